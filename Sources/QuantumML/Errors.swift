import Foundation

/// Every user-facing error of the `QuantumML` module, in one catalogue.
///
/// Each case carries, as separate fields, what was received, what is valid, and where (the file,
/// line and column, or the sample and feature, when there is one), so that callers can tell the
/// cases apart and tests can match on fields; ``description`` joins them into one message.
public enum QuantumMLError: Error, CustomStringConvertible, LocalizedError {
    /// Input data that cannot be used: a CSV cell that is not a number, a ragged row, an empty
    /// file, a label column that does not exist, a non-finite feature.
    /// - `location`: the file and, where known, the line and column (`iris.csv`), or the data set,
    ///   sample and feature (`training data, sample 3, feature 1`).
    /// - `found`: what is there (`line 7, column 2 ("x"): "abc" is not a number`).
    /// - `valid`: what is accepted (`a feature cell holds a finite number`).
    case data(location: String, found: String, valid: String)
    /// An argument outside its valid range: `argument` names it (`C`, `the test fraction`),
    /// `received` is its value as text, and `valid` says what is accepted (`a finite number > 0`).
    case invalidArgument(argument: String, received: String, valid: String)
    /// Two inputs whose sizes do not fit: `subject` is the input that does not fit (`the training
    /// kernel`), `received` its size, `expected` the size it needs.
    case shapeMismatch(subject: String, received: String, expected: String)
    /// A model file that cannot be read (a foreign file, an unknown version, a missing field, an
    /// inconsistent model): the file, what was found in it and what a readable file has.
    case model(path: String, found: String, valid: String)
    /// Training that could not produce a model (one class only, no convergence within the limit):
    /// why, and what to change.
    case training(reason: String, remedy: String)

    /// The message: `invalid argument: C must be a finite number > 0; received 0`,
    /// `iris.csv: line 3, column 2 ("b"): "x" is not a number; a feature cell holds a finite number`,
    /// `shape mismatch: the training kernel: 3 × 4; expected square (n × n, …)`,
    /// `model.json: model format version 9; this Verdant reads version 1 (newer than)`,
    /// `training failed: only one class present (…); a classifier needs samples of at least 2 classes`.
    public var description: String {
        switch self {
        case .data(let location, let found, let valid):
            "\(location): \(found); \(valid)"
        case .invalidArgument(let argument, let received, let valid):
            "invalid argument: \(argument) must be \(valid); received \(received)"
        case .shapeMismatch(let subject, let received, let expected):
            "shape mismatch: \(subject): \(received); expected \(expected)"
        case .model(let path, let found, let valid):
            "\(path): \(found); \(valid)"
        case .training(let reason, let remedy):
            "training failed: \(reason); \(remedy)"
        }
    }

    /// The same text as ``description``, for Foundation's error reporting.
    public var errorDescription: String? { description }
}
