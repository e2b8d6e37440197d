import Foundation
import VerdantCommon
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the meter reads the kernel's files; replaced in tests to simulate denied or broken files.
struct SystemFiles: Sendable {
    /// Reads a whole small file.
    var read: @Sendable (String) -> FileRead
    /// Lists a directory's entries, or `nil` when it cannot be listed.
    var list: @Sendable (String) -> FileRead?

    /// The real files, read with `open`/`read` so that the `errno` of a failure is kept.
    static let live = SystemFiles(read: FileRead.contents(of:), list: { path in
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
