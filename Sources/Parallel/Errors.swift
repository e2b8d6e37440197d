import Communication
import Foundation

/// Every user-facing error of the `Parallel` module, in one catalogue (the communicators' own errors
/// are ``CommunicationError``, from the `Communication` module that `Parallel` re-exports).
///
/// Each message says what was received and what is valid; file errors also say which file.
/// Tests match on these messages.
public enum ParallelError: Error, CustomStringConvertible, LocalizedError {
    /// Chunk lengths that do not describe the array's shape.
    case invalidChunks(String)
    /// Two arrays combined element by element whose chunks differ.
    case chunkMismatch(operation: String, left: String, right: String)
    /// Two arrays whose shapes do not fit the operation.
    case shapeMismatch(operation: String, left: [Int], right: [Int])
    /// A shape that cannot be built (negative length, wrong element count, more than two axes).
    case invalidShape(String)
    /// An axis that the array does not have.
    case invalidAxis(received: Int, dimensions: Int, operation: String)
    /// A slice outside the array.
    case sliceOutOfRange(axis: Int, received: String, length: Int)
    /// A reduction with no identity (min, max, mean, …) of an empty array.
    case emptyReduction(operation: String)
    /// An integer element divided by zero.
    case integerDivisionByZero(task: String)
    /// An integer array raised to a negative power.
    case negativeIntegerPower(exponent: Int)
    /// A block function that returned the wrong number of values.
    case blockShapeMismatch(task: String, expected: Int, received: Int)
    /// An argument outside its valid range.
    case invalidArgument(String)
    /// A task that threw; the rest were cancelled.
    case taskFailed(task: String, rank: Int?, underlying: any Error)
    /// A `.npy` file that cannot be read as asked.
    case npy(path: String, message: String)
    /// A file that could not be read or written.
    case file(path: String, reason: String)

    /// The message, with what was received and what is valid.
    public var description: String {
        switch self {
        case .invalidChunks(let message):
            return "invalid chunks: \(message)"
        case .chunkMismatch(let operation, let left, let right):
            return "\(operation): the arrays' chunks differ (left \(left), right \(right)); "
                + "call rechunk(…) on one of them so both have the same chunks"
        case .shapeMismatch(let operation, let left, let right):
            return "\(operation): shapes \(left) and \(right) do not fit"
                + (operation == "matmul" ? " (the left's columns must equal the right's rows)" : " (they must be equal)")
        case .invalidShape(let message):
            return "invalid shape: \(message)"
        case .invalidAxis(let received, let dimensions, let operation):
            let valid = dimensions == 1 ? "0 (or -1)" : "0 or 1 (or -1, -2)"
            return "\(operation): axis \(received) is out of range for a \(dimensions)-D array; valid axes: \(valid)"
        case .sliceOutOfRange(let axis, let received, let length):
            return "slice \(received) on axis \(axis) is out of range: valid indices are 0..<\(length)"
        case .emptyReduction(let operation):
            return "\(operation) of an empty array: the result is undefined (the array has no elements)"
        case .integerDivisionByZero(let task):
            return "integer division by zero in task '\(task)'"
        case .negativeIntegerPower(let exponent):
            return "an integer array raised to the negative power \(exponent): integer powers must be ≥ 0 "
                + "(convert with map(to: Double.self) first)"
        case .blockShapeMismatch(let task, let expected, let received):
            return "task '\(task)': the block function returned \(received) values; the block has \(expected)"
        case .invalidArgument(let message):
            return message
        case .taskFailed(let task, let rank, let underlying):
            let place = rank.map { " on rank \($0)" } ?? ""
            return "task '\(task)'\(place) failed: \(describe(underlying)) (the remaining tasks were cancelled)"
        case .npy(let path, let message):
            return "\(path): \(message)"
        case .file(let path, let reason):
            return "'\(path)': \(reason)"
        }
    }

    /// The same as ``description``.
    public var errorDescription: String? { description }
}

/// The message of any error: ours verbatim, others by their localized description.
func describe(_ error: any Error) -> String { errorMessage(error) }
