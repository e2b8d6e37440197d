import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` with the path of a pipe that holds `data` (at most 64 KiB, the pipe's buffer) and
/// then ends: `/dev/fd/N`, what a shell's process substitution `<(…)` passes.
/// - Parameters:
///   - data: the pipe's bytes.
///   - body: given the path.
/// - Returns: what `body` returns.
public func withPipe<T>(containing data: Data, _ body: (String) throws -> T) throws -> T {
    var descriptors: [Int32] = [0, 0]
    guard pipe(&descriptors) == 0 else { throw CocoaError(.fileReadUnknown) }
    defer { close(descriptors[0]) }
    let written = data.withUnsafeBytes { write(descriptors[1], $0.baseAddress, $0.count) }
    close(descriptors[1])
    guard written == data.count else { throw CocoaError(.fileWriteUnknown) }
    return try body("/dev/fd/\(descriptors[0])")
}
