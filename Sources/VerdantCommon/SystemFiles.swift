import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of reading one small kernel file (sysfs, procfs), keeping the reason of a failure.
public enum FileRead: Equatable, Sendable {
    /// The file's text.
    case text(String)
    /// The file (or a folder on its path) does not exist.
    case missing
    /// The file exists but may not be read (EACCES, EPERM).
    case permissionDenied
    /// Any other failure, with its `errno`.
    case failed(code: Int32)

    /// The text, or `nil` on failure.
    public var text: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    /// A short phrase for a failure ("missing", "permission denied", "error 5: Input/output error").
    public var failurePhrase: String {
        switch self {
        case .text: "readable"
        case .missing: "missing"
        case .permissionDenied: "permission denied"
        case .failed(let code): "error \(code): \(String(cString: strerror(code)))"
        }
    }

    /// Reads at most 64 KiB of a kernel file. Kernel files report their size as 0 or 4096, so the
    /// file is read until end of file rather than by its reported size; `open`/`read` keep the
    /// `errno` of a failure.
    ///
    /// - Parameter path: The file, e.g. `/proc/meminfo`.
    /// - Returns: Its text (invalid UTF-8 repaired), or why it could not be read.
    @Sendable
    public static func contents(of path: String) -> FileRead {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR: return .missing
            case EACCES, EPERM: return .permissionDenied
            default: return .failed(code: code)
            }
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 16 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                return code == EACCES || code == EPERM ? .permissionDenied : .failed(code: code)
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return .text(String(decoding: bytes, as: UTF8.self))
    }
}

/// What `/proc/cpuinfo` and `/proc/meminfo` say about this machine: the one reader of each, with
/// the parsing split from the reading so that tests can give fixed texts.
public enum SystemInfo {
    /// This machine's processor model: `/proc/cpuinfo`'s first `model name`, or `unknown`.
    ///
    /// - Returns: The model name, e.g. `Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz`.
    public static func cpuModelName() -> String {
        FileRead.contents(of: "/proc/cpuinfo").text.flatMap(cpuModelName(cpuinfo:)) ?? "unknown"
    }

    /// The first `model name` of a `/proc/cpuinfo` text.
    ///
    /// - Parameter cpuinfo: The file's text.
    /// - Returns: The value after the colon, trimmed; `nil` when no line names a model (some ARM
    ///   kernels have none).
    public static func cpuModelName(cpuinfo: String) -> String? {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { return value }
        }
        return nil
    }

    /// Memory the kernel estimates is available for new work without swapping (`MemAvailable`).
    ///
    /// - Returns: Bytes, or `nil` when `/proc/meminfo` or the field cannot be read.
    public static func availableMemoryBytes() -> UInt64? {
        FileRead.contents(of: "/proc/meminfo").text.flatMap { meminfoBytes("MemAvailable", in: $0) }
    }

    /// Installed memory as the kernel reports it (`MemTotal`).
    ///
    /// - Returns: Bytes, or `nil` when `/proc/meminfo` or the field cannot be read.
    public static func totalMemoryBytes() -> UInt64? {
        FileRead.contents(of: "/proc/meminfo").text.flatMap { meminfoBytes("MemTotal", in: $0) }
    }

    /// One field of a `/proc/meminfo` text, in bytes.
    ///
    /// - Parameters:
    ///   - field: The name before the colon, e.g. `MemAvailable`.
    ///   - meminfo: The file's text (lines like `MemAvailable:   12345678 kB`).
    /// - Returns: The value × 1024 for a `kB` field (the kernel's unit, KiB), the value for a field
    ///   without a unit (`HugePages_Total`); `nil` when the field is missing or not a whole number.
    public static func meminfoBytes(_ field: String, in meminfo: String) -> UInt64? {
        for line in meminfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0] == field else { continue }
            let words = parts[1].split(separator: " ", omittingEmptySubsequences: true)
            guard let first = words.first, let value = UInt64(first) else { return nil }
            if words.count > 1, words[1] == "kB" {
                let (bytes, overflow) = value.multipliedReportingOverflow(by: 1024)
                return overflow ? nil : bytes
            }
            return value
        }
        return nil
    }
}

/// The folder part of `path`, as `NSString.deletingLastPathComponent` defines it — `""` for a bare
/// name, `"/"` for a name in the root, trailing slashes ignored — without calling it:
/// swift-corelibs-foundation's traps on a one-character name (`"k"`), which an audit found crashed
/// `keygen -o k` and every other output written through ``AtomicFile``.
/// - Parameter path: a file path.
/// - Returns: its folder, or `""` when it has none.
public func folderPart(of path: String) -> String {
    var rest = Substring(path)
    while rest.count > 1, rest.hasSuffix("/") { rest = rest.dropLast() }
    guard let slash = rest.lastIndex(of: "/") else { return "" }
    if slash == rest.startIndex { return "/" }
    var folder = rest[..<slash]
    while folder.count > 1, folder.hasSuffix("/") { folder = folder.dropLast() }
    return String(folder)
}
