import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file the user named could not be read: a short phrase for messages ("no such file",
/// "it is a directory", "permission denied", or the system's text for another `errno`).
public struct UserFileError: Error, Equatable, Sendable {
    /// The phrase.
    public let reason: String

    /// An error with this phrase.
    /// - Parameter reason: the phrase.
    public init(reason: String) { self.reason = reason }

    /// The phrase of an `errno` from `open` or `read`.
    static func code(_ code: Int32) -> UserFileError {
        switch code {
        case ENOENT, ENOTDIR: UserFileError(reason: "no such file")
        case EISDIR: UserFileError(reason: "it is a directory")
        case EACCES, EPERM: UserFileError(reason: "permission denied")
        default: UserFileError(reason: String(cString: strerror(code)))
        }
    }
}

/// Reading a whole file that the user named: a regular file, or a pipe or device — a shell's
/// process substitution (`verdant run <(…)`, `-i <(pass show key)`) passes `/dev/fd/63`, which
/// `FileManager.contents(atPath:)` and `Data(contentsOf:)` refuse on Linux.
public enum UserFile {
    /// The bytes of the file at `path`, read to its end.
    /// - Parameter path: the file.
    /// - Returns: its bytes.
    /// - Throws: ``UserFileError`` naming why it could not be read.
    public static func read(_ path: String) throws(UserFileError) -> Data {
        let descriptor = try open(path)
        defer { close(descriptor) }
        return try read(descriptor: descriptor)
    }

    /// Opens `path` for reading, refusing a directory.
    /// - Parameter path: the file.
    /// - Returns: a descriptor the caller closes.
    /// - Throws: ``UserFileError``.
    public static func open(_ path: String) throws(UserFileError) -> Int32 {
        let descriptor = systemOpen(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .code(errno) }
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            close(descriptor)
            throw UserFileError(reason: "it is a directory")
        }
        return descriptor
    }

    /// The bytes from `descriptor`'s position to its end.
    /// - Parameter descriptor: an open descriptor (not closed here).
    /// - Returns: the bytes.
    /// - Throws: ``UserFileError`` for a failed `read`.
    public static func read(descriptor: Int32) throws(UserFileError) -> Data {
        var data = Data()
        var status = stat()
        // A regular file's size is a good first capacity; pipes and devices report 0.
        if fstat(descriptor, &status) == 0, status.st_size > 0 { data.reserveCapacity(Int(status.st_size)) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .code(errno)
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }
}

/// `open(2)` and `read(2)`, out of reach of `UserFile`'s own names.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(descriptor, buffer, count) }
