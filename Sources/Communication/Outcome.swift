import Foundation
import Synchronization

// One rule for a step that may fail on some ranks: every rank learns every rank's outcome, and when
// any rank failed every rank throws — the failing rank its own error, the others
// `CommunicationError.rankFailed` with that error's message and exit status — so that no rank goes
// on to a collective that a stopped rank will never join, and the job ends with the failing rank's
// status on every rank (the launcher reports whichever rank exits first).

/// How an error becomes a process's exit status. A program sets it once (the command line sets its
/// one map of errors to statuses); the ranks that learn of another rank's failure then carry that
/// rank's status in ``CommunicationError/rankFailed(rank:message:status:)``.
public enum FailureStatus {
    private static let classifier = Mutex<(@Sendable (any Error) -> Int32?)?>(nil)

    /// Sets the map from errors to exit statuses (nil for errors it does not know).
    /// - Parameter classify: the map.
    public static func use(_ classify: @escaping @Sendable (any Error) -> Int32?) {
        classifier.withLock { $0 = classify }
    }

    /// The exit status of `error` by the map set with ``use(_:)`` (nil: none set, or not known).
    package static func of(_ error: any Error) -> Int32? {
        if case CommunicationError.rankFailed(_, _, let status) = error { return status }
        return classifier.withLock { $0 }?(error)
    }
}

/// One rank's outcome of a step, as the bytes the ranks exchange: `[0] + bytes` for success,
/// `[1] + status (4 bytes, little-endian; 0 for none) + message` for failure.
package enum RankOutcome {
    /// The bytes of a success.
    package static func success(_ bytes: [UInt8] = []) -> [UInt8] { [0] + bytes }

    /// The bytes of a failure: the error's status and message.
    package static func failure(_ error: any Error, message: String? = nil) -> [UInt8] {
        let status = UInt32(bitPattern: FailureStatus.of(error) ?? 0)
        return [1, UInt8(status & 0xFF), UInt8(status >> 8 & 0xFF), UInt8(status >> 16 & 0xFF), UInt8(status >> 24)]
            + Array((message ?? errorMessage(error)).utf8)
    }

    /// The first failure among every rank's outcome, as the error the other ranks throw.
    package static func firstFailure(in all: [[UInt8]]) -> CommunicationError? {
        for (rank, bytes) in all.enumerated() where bytes.first != 0 {
            guard bytes.count >= 5 else { return .rankFailed(rank: rank, message: "(no message)") }
            let raw = UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 24
            let status = Int32(bitPattern: raw)
            return .rankFailed(rank: rank, message: String(decoding: bytes.dropFirst(5), as: UTF8.self), status: status == 0 ? nil : status)
        }
        return nil
    }

    /// The payload of a success.
    package static func payload(_ bytes: [UInt8]) -> [UInt8] { Array(bytes.dropFirst()) }
}

/// Runs `body` on every rank of `communicator` and agrees on the outcome: when it throws on any
/// rank, every rank throws — the failing rank its own error, the others
/// ``CommunicationError/rankFailed(rank:message:status:)`` with that error's message and status.
/// - Parameters:
///   - communicator: the ranks.
///   - body: the step.
/// - Returns: `body`'s result.
/// - Throws: `body`'s error on the rank it failed on, `rankFailed` on the others; communication errors.
package func agreeing<T>(_ communicator: any Communicator, _ body: () throws -> T) throws -> T {
    let result = Result { try body() }
    guard communicator.size > 1 else { return try result.get() }
    let local: [UInt8]
    switch result {
    case .success: local = RankOutcome.success()
    case .failure(let error): local = RankOutcome.failure(error)
    }
    let all = try communicator.allgather(local)
    if case .failure(let error) = result { throw error }
    if let failure = RankOutcome.firstFailure(in: all) { throw failure }
    return try result.get()
}
