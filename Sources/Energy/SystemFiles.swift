import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of reading one small kernel file (sysfs, procfs), keeping the reason of a failure.
enum FileRead: Equatable, Sendable {
    case text(String)
    case missing
    case permissionDenied
    case failed(code: Int32)

    /// The text, or `nil` on failure.
    var text: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    /// A short phrase for a failure ("missing", "permission denied", "error 5: Input/output error").
    var failurePhrase: String {
        switch self {
        case .text: "readable"
        case .missing: "missing"
        case .permissionDenied: "permission denied"
        case .failed(let code): "error \(code): \(String(cString: strerror(code)))"
        }
    }
}

/// How the meter reads the kernel's files; replaced in tests to simulate denied or broken files.
struct SystemFiles: Sendable {
    /// Reads a whole small file.
    var read: @Sendable (String) -> FileRead
    /// Lists a directory's entries, or `nil` when it cannot be listed.
    var list: @Sendable (String) -> FileRead?

    /// The real files, read with `open`/`read` so that the `errno` of a failure is kept.
    static let live = SystemFiles(read: readKernelFile, list: { path in
        do {
            return .text(try FileManager.default.contentsOfDirectory(atPath: path).sorted().joined(separator: "\n"))
        } catch {
            return access(path, F_OK) == 0 ? .permissionDenied : .missing
        }
    })

    /// The directory's entry names, or the failure.
    func entries(_ path: String) -> Result<[String], FileReadFailure> {
        guard let listing = list(path) else { return .failure(FileReadFailure(read: .missing)) }
        guard let text = listing.text else { return .failure(FileReadFailure(read: listing)) }
        return .success(text.split(separator: "\n").map(String.init))
    }
}

/// A failed `FileRead`, as an `Error` for `Result`.
struct FileReadFailure: Error, Equatable {
    let read: FileRead
}

/// Reads at most 64 KiB of a kernel file. Kernel files report their size as 0 or 4096, so the
/// file is read until end of file rather than by its reported size.
@Sendable
func readKernelFile(_ path: String) -> FileRead {
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
