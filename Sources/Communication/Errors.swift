import Foundation

/// Every user-facing error of the `Communication` module, in one catalogue: collectives used
/// inconsistently, another rank that failed, MPI's own failures and a launch without MPI.
///
/// Each message says what was received and what is valid. Tests match on these messages.
public enum CommunicationError: Error, CustomStringConvertible, LocalizedError {
    /// An argument outside its valid range (a group size, a timeout).
    case invalidArgument(String)
    /// A collective used inconsistently (counts that differ between ranks, a rank out of range, …).
    case communication(String)
    /// Another rank of the group failed, so this one stopped too; `status` is the exit status of
    /// that rank's error when the program set one (``FailureStatus``), so every rank ends alike.
    case rankFailed(rank: Int, message: String, status: Int32? = nil)
    /// An MPI call that returned an error, with MPI's own message.
    case mpi(function: String, code: Int32, message: String)
    /// Launched by an MPI launcher, but built without the `MPI` trait.
    case mpiNotCompiledIn(launcherVariable: String, value: String)
    /// Ranks started with different options (``Distributed/agreeOnSettings(_:over:)``): each entry
    /// names a rank and how its options differ from rank 0's.
    case settingsDiffer([String])

    /// The message, with what was received and what is valid.
    public var description: String {
        switch self {
        case .invalidArgument(let message):
            return message
        case .communication(let message):
            return "communication error: \(message)"
        case .rankFailed(let rank, let message, _):
            return "rank \(rank) failed: \(message)"
        case .mpi(let function, let code, let message):
            return "\(function) failed with MPI error \(code): \(message)"
        case .mpiNotCompiledIn(let variable, let value):
            return "launched by an MPI launcher (\(variable)=\(value)), but this Verdant was built without MPI, so every "
                + "process would do the same work alone. Rebuild with the MPI trait: "
                + "`swift build -c release --traits MPI` (needs libopenmpi-dev or libmpich-dev; see docs/mpi.md), "
                + "or run without mpirun"
        case .settingsDiffer(let differences):
            return "the ranks were started with different options: \(differences.joined(separator: "; ")). "
                + "Start every rank with the same options (only key files, output paths, --threads and the energy options may differ)"
        }
    }

    /// The same as ``description``.
    public var errorDescription: String? { description }
}

/// The message of any error: a `LocalizedError`'s description (every Verdant catalogue is one),
/// else the error as text.
package func errorMessage(_ error: any Error) -> String {
    if let error = error as? LocalizedError, let text = error.errorDescription { return text }
    return String(describing: error)
}
