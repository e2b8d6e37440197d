import Foundation

/// Every user-facing error of the `QuantumML` module, in one catalogue.
///
/// Each message says what was received, where (file, line, column when there is one) and what is
/// valid. Tests match on these messages.
public enum QuantumMLError: Error, CustomStringConvertible, LocalizedError {
    /// Input data that cannot be used: a CSV cell that is not a number, a ragged row, an empty
    /// file, a label column that does not exist. `location` names the file and, where known, the
    /// line and column.
    case data(location: String, message: String)
    /// An argument outside its valid range (a negative C, a test size outside (0, 1), …).
    case invalidArgument(String)
    /// Two inputs whose shapes do not fit (a kernel matrix whose size is not the label count, …).
    case shapeMismatch(String)
    /// A model file that cannot be read: a foreign file, an unknown version, missing fields.
    case model(path: String, message: String)
    /// Training that could not produce a model (one class only, no convergence within the limit).
    case training(String)

    /// The message, with what was received and what is valid.
    public var description: String {
        switch self {
        case .data(let location, let message):
            return "\(location): \(message)"
        case .invalidArgument(let message):
            return "invalid argument: \(message)"
        case .shapeMismatch(let message):
            return "shape mismatch: \(message)"
        case .model(let path, let message):
            return "\(path): \(message)"
        case .training(let message):
            return "training failed: \(message)"
        }
    }

    /// The same text as ``description``, for Foundation's error reporting.
    public var errorDescription: String? { description }
}
