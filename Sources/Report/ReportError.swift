import Foundation
import VerdantCommon

/// Why a report could not be made. Each message says what was received, where, and what is valid.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An input that is not a file Verdant writes (or that cannot be read).
    case unreadableInput(path: String, found: String, valid: String)
    /// No input was given, or none held anything to draw.
    case nothingToDraw(inputs: [String], reason: String)
    /// An option out of range.
    case invalidArgument(argument: String, received: String, valid: String)
    /// The report file could not be written.
    case cannotWrite(path: String, reason: String)

    /// The files a report reads, in words, for messages.
    public static let readableInputs = "a file Verdant writes: `verdant run --json` output, a model file (plain or sealed), "
        + "`verdant measure --json` or `--energy-report` JSON, `verdant bench --json` output or a Benchmarks/results file, "
        + "`verdant demo --json` or `verdant train --json` output, a CSV data file, or a `verdant demo --work-dir` folder"

    /// The message.
    public var description: String {
        switch self {
        case .unreadableInput(let path, let found, let valid):
            "\(path): \(found); valid: \(valid)"
        case .nothingToDraw(let inputs, let reason):
            inputs.isEmpty ? "nothing to report: \(reason)" : "nothing to report from \(inputs.joined(separator: ", ")): \(reason)"
        case .invalidArgument(let argument, let received, let valid):
            "\(argument): received \(received); valid: \(valid)"
        case .cannotWrite(let path, let reason):
            "cannot write the report '\(path)': \(reason); nothing was left at '\(path)'"
        }
    }

    /// Whether the error is the input's fault (bad input) rather than the system's (writing).
    public var isInputError: Bool {
        if case .cannotWrite = self { return false }
        return true
    }
}
