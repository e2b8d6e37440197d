import Foundation
import Verdant

// The one map from errors to exit codes (README, "Exit codes"). Every command lets library errors
// through unchanged; `VerdantMain` asks `ExitCodes.failure(for:)` for the message and the code.
// Adding an error type to a module means adding one case here, and a test in CLITests.

/// Exit codes: 0 ok, 1 runtime error, 2 usage or input error, and one code per way a sealed
/// input can fail.
enum ExitStatus {
    static let runtimeError: Int32 = 1
    static let usageError: Int32 = 2
    /// No identity, passphrase or key given opens the sealed file.
    static let noKeyOpens: Int32 = 3
    /// The input is not a sealed file.
    static let notSealed: Int32 = 4
    /// A sealed file of a format version this build does not read.
    static let unsupportedVersion: Int32 = 5
    /// The header was changed after sealing, or is malformed.
    static let headerDamaged: Int32 = 6
    /// The file ends early (inside the header, or before the final chunk).
    static let truncated: Int32 = 7
    /// A chunk failed authentication, or data follows the final chunk.
    static let chunkFailed: Int32 = 8
}

/// An error the CLI reports itself (a bad option value, a refused output), with its exit code.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    let code: Int32

    static func usage(_ message: String) -> CLIError { CLIError(description: message, code: ExitStatus.usageError) }
    static func runtime(_ message: String) -> CLIError { CLIError(description: message, code: ExitStatus.runtimeError) }
}

enum ExitCodes {
    /// The message and exit code of an error from Verdant's modules or the CLI, or `nil` for an
    /// error that is not Verdant's (ArgumentParser's own, which it reports itself).
    static func failure(for error: any Error) -> (message: String, code: Int32)? {
        switch error {
        case let error as CLIError: (error.description, error.code)
        case let error as QuantumError: (error.description, error.exitCode)
        case let error as QuantumMLError: (error.description, error.exitCode)
        case let error as NoiseError: (error.description, error.exitCode)
        case let error as PrivacyError: (error.description, error.exitCode)
        case let error as EnergyError: (error.description, error.exitCode)
        case let error as DifferentialPrivacyError: (error.description, error.exitCode)
        case let error as CheckpointError: (error.description, error.exitCode)
        case let error as CommunicationError: (error.description, error.exitCode)
        case let error as SecureCommunicationError: (error.description, error.exitCode)
        case let error as ReportError: (error.description, error.isInputError ? ExitStatus.usageError : ExitStatus.runtimeError)
        case let error as ParallelError:
            // A task's QuantumML error reads as itself (a bad sample is the data's problem, not the scheduler's).
            if case .taskFailed(_, _, let inner as QuantumMLError) = error { (inner.description, inner.exitCode) }
            else if case .taskFailed(_, _, let inner as NoiseError) = error { (inner.description, inner.exitCode) }
            else { (error.description, error.exitCode) }
        default: nil
        }
    }
}

extension ExitCodes {
    /// Whether every rank of an MPI job throws this error alike (the checks of a split state are
    /// collective), so that rank 0 alone needs to print it.
    static func isThrownByEveryRank(_ error: any Error) -> Bool {
        switch error {
        case QuantumError.distribution, QuantumError.insufficientDistributedMemory: true
        // Every rank reads `run --expectation`'s observables before anything runs.
        case QuantumError.invalidObservable, QuantumError.observableWidth: true
        default: false
        }
    }
}

extension QuantumError {
    /// Memory and capacity problems are runtime errors (1); everything else is bad input (2).
    var exitCode: Int32 {
        switch self {
        case .insufficientMemory, .insufficientDistributedMemory, .tooManyQubits, .tooManyShots: ExitStatus.runtimeError
        default: ExitStatus.usageError
        }
    }
}

extension NoiseError {
    /// A density matrix that does not fit is a runtime error (1); everything else is bad input (2).
    var exitCode: Int32 {
        if case .insufficientMemory = self { return ExitStatus.runtimeError }
        return ExitStatus.usageError
    }
}

extension QuantumMLError {
    /// Training that cannot produce a model is a runtime failure (1); the rest is bad input (2).
    var exitCode: Int32 {
        if case .training = self { return ExitStatus.runtimeError }
        return ExitStatus.usageError
    }
}

extension PrivacyError {
    /// One code per way a sealed input fails (3–8), else 2 for bad input and 1 for system failures
    /// (writing, the crypto library).
    var exitCode: Int32 {
        switch self {
        case .noMatchingIdentity: ExitStatus.noKeyOpens
        case .notSealed, .unsealedInput: ExitStatus.notSealed
        case .unsupportedVersion: ExitStatus.unsupportedVersion
        case .headerMalformed, .headerModified: ExitStatus.headerDamaged
        case .headerTruncated, .truncated: ExitStatus.truncated
        case .chunkFailed, .trailingData, .payloadMalformed: ExitStatus.chunkFailed
        default: isInputError ? ExitStatus.usageError : ExitStatus.runtimeError
        }
    }
}

extension EnergyError {
    /// Bad input exits 2; a job that cannot run or a file that cannot be written exits 1.
    var exitCode: Int32 {
        switch self {
        case .invalidParameter, .unknownCountry, .unusablePath, .emptyCommand, .csvHeaderMismatch, .cannotStart:
            ExitStatus.usageError
        case .noCounterReadable, .cannotWrite, .meterStopped:
            ExitStatus.runtimeError
        }
    }
}

extension ParallelError {
    /// Files are runtime errors (1); a task's failure takes the code of the error inside it (a bad
    /// CSV cell in a task is still bad input); the rest is bad input (2).
    var exitCode: Int32 {
        switch self {
        case .taskFailed(_, _, let underlying):
            ExitCodes.failure(for: underlying)?.code ?? ExitStatus.runtimeError
        case .file:
            ExitStatus.runtimeError
        default:
            ExitStatus.usageError
        }
    }
}

extension CommunicationError {
    /// MPI and collectives used inconsistently are runtime errors (1); an argument out of range and
    /// ranks started with different options are bad input (2); another rank's failure takes that
    /// rank's status (1 when it is not known).
    var exitCode: Int32 {
        switch self {
        case .invalidArgument, .settingsDiffer: ExitStatus.usageError
        // Another rank's failure ends this rank with that rank's status, so the job's status does
        // not depend on which rank the launcher sees exit first.
        case .rankFailed(_, _, let status): status ?? ExitStatus.runtimeError
        case .mpi, .mpiNotCompiledIn, .communication: ExitStatus.runtimeError
        }
    }
}

extension SecureCommunicationError {
    /// A bad argument is bad input (2); a handshake or message that failed authentication and a
    /// value secure aggregation cannot carry are runtime errors (1).
    var exitCode: Int32 {
        switch self {
        case .invalidArgument: ExitStatus.usageError
        case .handshakeFailed, .tampered, .malformed, .outOfRange, .nonFinite: ExitStatus.runtimeError
        }
    }
}

extension DifferentialPrivacyError {
    /// An accounting too large for memory and a saved state that does not decode are runtime
    /// errors (1); the rest (a parameter out of range, an unreachable target ε, a non-finite
    /// gradient) is bad input (2).
    var exitCode: Int32 {
        switch self {
        case .accountingTooLarge, .invalidState: ExitStatus.runtimeError
        default: ExitStatus.usageError
        }
    }
}

extension CheckpointError {
    /// A checkpoint that a sealed file's check refused keeps that failure's code (3 no key opens it,
    /// 6 header modified, 7 truncated, 8 a chunk failed authentication); a folder that cannot be made
    /// or listed is a runtime error (1); a plain checkpoint whose SHA-256 fails, settings and a
    /// checkpoint of another run are bad input (2).
    var exitCode: Int32 {
        switch self {
        case .damaged(_, _, let underlying as PrivacyError, _): underlying.exitCode
        case .folder: ExitStatus.runtimeError
        case .damaged, .notFound, .occupied, .mismatch, .invalidSettings: ExitStatus.usageError
        }
    }
}
