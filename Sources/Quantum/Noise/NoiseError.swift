import Foundation

/// Every user-facing error of noisy simulation: channels, noise models (and their Aer JSON
/// files), the density-matrix and trajectory methods. Each message says what was received, what
/// is valid and, for files, where (`model.json: errors[3].probabilities: …`). Tests match on them.
public enum NoiseError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A channel or readout parameter outside its valid range.
    case invalidParameter(name: String, received: String, valid: String)
    /// Kraus operators whose Σ K†K differs from the identity: the map does not preserve the trace.
    case incompleteKraus(deviation: Double, tolerance: Double)
    /// Kraus operators of the wrong shape (not square 2^k × 2^k, mixed sizes, k outside 1…3, not finite).
    case invalidKraus(String)
    /// Mixture probabilities that are negative or do not sum to 1.
    case invalidProbabilities(subject: String, received: [Double])
    /// An error attached to an instruction (or qubits) of a different width.
    case widthMismatch(subject: String, received: Int, expected: Int)
    /// A problem in a noise-model file, at a JSON path.
    case file(path: String, location: String, message: String)
    /// Instructions a noise-model file uses that Verdant does not have.
    case unsupportedInstructions(path: String, names: [String], known: [String])
    /// A simple noise option (`--t1 50us`, `--depolarizing 1e-3,1e-2`) that does not parse or is out of range.
    case invalidOption(option: String, received: String, valid: String)
    /// A density matrix too large for the memory that is available.
    case insufficientMemory(qubits: Int, bytesNeeded: Double, bytesAvailable: UInt64, limitSource: String)
    /// A method that cannot run this circuit or request, and what to use instead.
    case methodUnavailable(method: String, reason: String, remedy: String)
    /// A gate the noisy simulator needs to translate to the model's basis but cannot.
    case cannotTranslate(gate: String, basis: [String])

    /// The message, with what was received and what is valid.
    public var description: String {
        switch self {
        case .invalidParameter(let name, let received, let valid):
            return "\(name) = \(received) is out of range: valid values are \(valid)"
        case .incompleteKraus(let deviation, let tolerance):
            return "the Kraus operators are not complete: max |Σ K†K − I| = \(String(format: "%.3g", deviation)), "
                + "the tolerance is \(String(format: "%.0e", tolerance)) (a channel must preserve the trace: Σ K†K = I)"
        case .invalidKraus(let message):
            return message
        case .invalidProbabilities(let subject, let received):
            let sum = received.reduce(0, +)
            // Every digit: a rounded value could look valid ("0.9" for 0.9000001).
            let shown = received.prefix(8).map { "\($0)" }.joined(separator: ", ")
                + (received.count > 8 ? ", … (\(received.count) in all)" : "")
            return "\(subject): probabilities must be in [0, 1] and sum to 1; received [\(shown)] (sum \(String(format: "%.12g", sum)))"
        case .widthMismatch(let subject, let received, let expected):
            return "\(subject): a \(received)-qubit error cannot be attached to \(expected) qubit\(expected == 1 ? "" : "s")"
        case .file(let path, let location, let message):
            return "\(path): \(location): \(message)"
        case .unsupportedInstructions(let path, let names, let known):
            return "\(path): the noise model uses instruction\(names.count == 1 ? "" : "s") Verdant does not have: "
                + "\(names.joined(separator: ", ")) (Verdant knows: \(known.joined(separator: ", ")))"
                + (names.contains { $0.hasSuffix("(inside an error)") }
                    ? "; an error's own instructions may be gates, reset, pauli, kraus, unitary or diagonal, not a measurement" : "")
        case .invalidOption(let option, let received, let valid):
            return "\(option) '\(received)': \(valid)"
        case .insufficientMemory(let qubits, let needed, let available, let source):
            return "cannot simulate \(qubits) qubits with the density-matrix method: the 4^\(qubits) entries need "
                + "\(formatBytes(needed)) but \(formatBytes(Double(available))) is available (\(source)); "
                + "use --method trajectories (2^\(qubits) amplitudes per shot)"
        case .methodUnavailable(let method, let reason, let remedy):
            return "\(method): \(reason); \(remedy)"
        case .cannotTranslate(let gate, let basis):
            return "cannot translate gate '\(gate)' to the noise model's basis (\(basis.joined(separator: ", ")))"
        }
    }

    /// The same as ``description``.
    public var errorDescription: String? { description }
}
