import Foundation

/// Every user-facing error of the `Energy` module, in one catalogue.
///
/// Each message says what was received and what is valid. A counter that cannot be read is *not*
/// an error: it is reported in the energy report (``UnavailableSource``) and the figure falls back
/// to the documented model, visibly. These errors are for bad input and for jobs that cannot run.
public enum EnergyError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A numeric parameter outside its valid range, e.g. `--cpu-watts -3`.
    case invalidParameter(name: String, received: String, valid: String)
    /// A country that is not in the carbon-intensity table.
    case unknownCountry(received: String, suggestions: [String])
    /// A path given for a counter (powercap root, NVML library) that cannot be used.
    case unusablePath(option: String, path: String, reason: String)
    /// `requireCounters` was set and no hardware counter could be read.
    case noCounterReadable(reasons: [String])
    /// The command to measure could not be started.
    case cannotStart(command: String, reason: String)
    /// An empty command line was given to measure.
    case emptyCommand
    /// A report or CSV file could not be written.
    case cannotWrite(path: String, reason: String)
    /// A CSV file to append to has a header other than CodeCarbon's `emissions.csv` columns.
    case csvHeaderMismatch(path: String, found: String)
    /// A meter used after it was stopped, or stopped twice.
    case meterStopped

    /// The message shown to the user: what was received, what is valid, and where.
    public var description: String {
        switch self {
        case .invalidParameter(let name, let received, let valid):
            return "\(name): received '\(received)'; \(valid)"
        case .unknownCountry(let received, let suggestions):
            let hint = suggestions.isEmpty ? "" : " Did you mean \(suggestions.joined(separator: ", "))?"
            return "--country: '\(received)' is not in the carbon-intensity table; use an ISO 3166 code "
                + "(alpha-2 like FR or alpha-3 like FRA) or a country name, or give --grid-intensity.\(hint)"
        case .unusablePath(let option, let path, let reason):
            return "\(option): '\(path)' \(reason)"
        case .noCounterReadable(let reasons):
            return "no hardware energy counter is readable and counters were required: "
                + reasons.joined(separator: "; ")
        case .cannotStart(let command, let reason):
            return "cannot run '\(command)': \(reason)"
        case .emptyCommand:
            return "no command to measure; give one after '--', e.g. verdant measure -- sleep 1"
        case .cannotWrite(let path, let reason):
            return "cannot write '\(path)': \(reason)"
        case .csvHeaderMismatch(let path, let found):
            return "\(path): its first line is not CodeCarbon's emissions.csv header, so a row cannot be appended "
                + "(found '\(found.prefix(80))'); give a new file or one written by --csv"
        case .meterStopped:
            return "the energy meter was already stopped"
        }
    }

    /// The same text as ``description``, for `localizedDescription`.
    public var errorDescription: String? { description }
}
