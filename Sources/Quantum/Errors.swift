import Foundation

/// Every user-facing error of the `Quantum` module, in one catalogue.
///
/// Each message says what was received and what is valid; OpenQASM errors also say where
/// (`file:line:column`). Tests match on these messages.
public enum QuantumError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A qubit index or register element outside the circuit.
    case qubitOutOfRange(received: String, numQubits: Int)
    /// A classical bit index or register element outside the circuit.
    case clbitOutOfRange(received: String, numClbits: Int)
    /// A register that was never added to the circuit.
    case unknownRegister(name: String, size: Int, known: [String])
    /// A second register with a name the circuit already uses.
    case duplicateRegister(name: String)
    /// One instruction names the same qubit twice.
    case duplicateQubits(gate: String, qubits: [Int])
    /// A gate applied to the wrong number of qubits.
    case wrongQubitCount(gate: String, received: Int, expected: Int)
    /// A gate given the wrong number of angles.
    case wrongParameterCount(gate: String, received: Int, expected: Int)
    /// A gate that cannot be built as asked.
    case invalidGate(String)
    /// A matrix given as a unitary that is not one.
    case notUnitary(dimension: Int, deviation: Double)
    /// Angles that still hold free parameters where numbers are needed.
    case unboundParameters([String])
    /// A binding that names a parameter the circuit does not have.
    case unknownParameter(name: String, known: [String])
    /// A binding given as a list of values of the wrong length.
    case wrongBindingCount(received: Int, expected: [String])
    /// A state too large for the memory that is available.
    case insufficientMemory(qubits: Int, precision: String, bytesNeeded: Double, bytesAvailable: UInt64,
                            limitSource: String)
    /// A circuit wider than the simulator supports at all.
    case tooManyQubits(received: Int, maximum: Int)
    /// A shot count that is not positive.
    case invalidShots(Int)
    /// More shots than the memory for their draws and outcomes allows.
    case tooManyShots(received: Int, bytesNeeded: Double, bytesAvailable: UInt64, limitSource: String)
    /// A thread count that is not positive.
    case invalidThreads(Int)
    /// A widest fused block outside 1…5 qubits.
    case invalidFusionWidth(Int)
    /// An operation that has no inverse (measure, reset) in `inverse()`.
    case notInvertible(operation: String)
    /// Two circuits that cannot be composed as asked.
    case incompatibleCircuits(String)
    /// A condition on classical bits that is out of range or not a whole register where one is needed.
    case invalidCondition(String)
    /// A Pauli-sum text that does not parse.
    case invalidObservable(text: String, column: Int, message: String)
    /// An observable whose width differs from the state's.
    case observableWidth(received: Int, numQubits: Int)
    /// A state vector given by amplitudes that cannot be one.
    case invalidState(String)
    /// An OpenQASM 2 input error with its position.
    case qasm(file: String, line: Int, column: Int, message: String)
    /// A circuit that OpenQASM 2 cannot express.
    case unsupportedExport(String)
    /// A file that could not be read.
    case fileUnreadable(path: String, reason: String)
    /// A circuit that gradients cannot be taken of (measure, reset or a classical condition).
    case notDifferentiable(operation: String)
    /// A gate angle that the parameter-shift rule cannot differentiate: its generator has more than
    /// two eigenvalues (controlled rotations, the θ of controlled U).
    case parameterShiftUnsupported(gate: String, angle: String, parameter: String)
    /// A distributed run that cannot be laid out: a number of ranks that is not a power of two, more
    /// ranks than half the amplitudes, a gate wider than a rank's qubits, a gathered result too large.
    case distribution(String)
    /// A distributed state whose slice (plus exchange buffers) does not fit on some rank.
    case insufficientDistributedMemory(qubits: Int, precision: String, ranks: Int, bytesPerRank: Double,
                                       bytesAvailable: UInt64, rank: Int, limitSource: String, smallestRanks: Int?)

    /// The message, with what was received and what is valid.
    public var description: String {
        switch self {
        case .qubitOutOfRange(let received, let n):
            return "qubit \(received) is out of range: valid indices are 0...\(n - 1) (\(n) qubits)"
                .replacingOccurrences(of: "0...-1 (0 qubits)", with: "none (the circuit has no qubits)")
        case .clbitOutOfRange(let received, let n):
            return "classical bit \(received) is out of range: valid indices are 0...\(n - 1) (\(n) bits)"
                .replacingOccurrences(of: "0...-1 (0 bits)", with: "none (the circuit has no classical bits)")
        case .unknownRegister(let name, let size, let known):
            let list = known.isEmpty ? "none" : known.joined(separator: ", ")
            return "register \(name)[\(size)] is not part of this circuit (its registers: \(list))"
        case .duplicateRegister(let name):
            return "a register named '\(name)' is already in this circuit; register names must be unique"
        case .duplicateQubits(let gate, let qubits):
            return "gate '\(gate)' received the same qubit more than once (\(qubits)); its qubits must be distinct"
        case .wrongQubitCount(let gate, let received, let expected):
            return "gate '\(gate)' acts on \(expected) qubit\(expected == 1 ? "" : "s"), received \(received)"
        case .wrongParameterCount(let gate, let received, let expected):
            return "gate '\(gate)' takes \(expected) parameter\(expected == 1 ? "" : "s"), received \(received)"
        case .invalidGate(let message):
            return message
        case .notUnitary(let dimension, let deviation):
            return "the \(dimension)×\(dimension) matrix is not unitary: max |U†U − I| = "
                + "\(String(format: "%.3g", deviation)), the tolerance is 1e-10"
        case .unboundParameters(let names):
            return "parameters without values: \(names.joined(separator: ", ")); bind them first "
                + "(circuit.bind([...]) or compiled.statevector(binding:))"
        case .unknownParameter(let name, let known):
            let list = known.isEmpty ? "none" : known.joined(separator: ", ")
            return "the circuit has no parameter '\(name)' (its parameters: \(list))"
        case .wrongBindingCount(let received, let expected):
            return "received \(received) value\(received == 1 ? "" : "s") for \(expected.count) parameter"
                + "\(expected.count == 1 ? "" : "s") (\(expected.joined(separator: ", ")))"
        case .insufficientMemory(let qubits, let precision, let needed, let available, let source):
            let one = (precision == "single" ? 8.0 : 16.0) * pow(2.0, Double(qubits))
            let copies = Int((needed / one).rounded())
            let what = copies > 1
                ? "the \(copies) state vectors this needs (\(formatBytes(one)) each) take "
                : "the state vector needs "
            return "cannot simulate \(qubits) qubits in \(precision) precision: \(what)"
                + "\(formatBytes(needed)) but \(formatBytes(Double(available))) is available (\(source))"
        case .tooManyQubits(let received, let maximum):
            return "cannot simulate \(received) qubits: Verdant's state-vector simulator supports at most \(maximum)"
        case .invalidShots(let shots):
            return "shots must be at least 1, received \(shots)"
        case .tooManyShots(let shots, let needed, let available, let source):
            let fitting = Double(shots) * Double(available) / needed
            return "cannot draw \(shots) shots: their draws and outcomes need about \(formatBytes(needed)) "
                + "(\(Int((needed / Double(shots)).rounded())) bytes per shot) but \(formatBytes(Double(available))) is available (\(source)); "
                + "use at most \(Int(fitting.rounded(.down))) shots, or several runs with different seeds"
        case .invalidThreads(let threads):
            return "threads must be at least 1, received \(threads)"
        case .invalidFusionWidth(let width):
            return "the widest fused block must be 1...5 qubits (1: one-qubit runs only), received \(width)"
        case .notInvertible(let operation):
            return "cannot invert a circuit that contains '\(operation)': only unitary gates and barriers have inverses"
        case .incompatibleCircuits(let message):
            return message
        case .invalidCondition(let message):
            return message
        case .invalidObservable(let text, let column, let message):
            return "observable '\(text)', column \(column): \(message)"
        case .observableWidth(let received, let n):
            return "the observable acts on \(received) qubit\(received == 1 ? "" : "s") but the state has \(n)"
        case .invalidState(let message):
            return message
        case .qasm(let file, let line, let column, let message):
            return "\(file):\(line):\(column): \(message)"
        case .unsupportedExport(let message):
            return "cannot export to OpenQASM 2: \(message)"
        case .fileUnreadable(let path, let reason):
            return "cannot read '\(path)': \(reason)"
        case .notDifferentiable(let operation):
            return "cannot differentiate a circuit that contains \(operation): gradients need a circuit of unitary gates "
                + "without classical conditions (remove final measurements with removingFinalMeasurements())"
        case .parameterShiftUnsupported(let gate, let angle, let parameter):
            return "the parameter-shift rule cannot differentiate gate '\(gate)' (angle \(angle)) with respect to "
                + "'\(parameter)': the angle's generator has more than two eigenvalues; use the adjoint method (method: .adjoint)"
        case .distribution(let message):
            return message
        case .insufficientDistributedMemory(let qubits, let precision, let ranks, let perRank, let available, let rank,
                                            let source, let smallest):
            let fix = smallest.map { "; the smallest number of such ranks that fits is \($0)" }
                ?? "; no power-of-two number of such ranks fits it"
            return "cannot simulate \(qubits) qubits in \(precision) precision on \(ranks) ranks: each rank needs "
                + "\(formatBytes(perRank)) (its slice of the state, any slices the job keeps beside it — a gradient's λ per "
                + "observable, a shot-by-shot run's copy — and the exchange buffer) but rank \(rank) has "
                + "\(formatBytes(Double(available))) (\(source))\(fix)"
        }
    }

    /// The same as ``description``.
    public var errorDescription: String? { description }
}

/// `1.5 GiB (1610612736 bytes)`, or a power-of-ten figure for huge sizes.
func formatBytes(_ bytes: Double) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = bytes
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    let exact = bytes < 9.0e15 ? "\(UInt64(bytes)) bytes" : String(format: "%.3e bytes", bytes)
    if unit == 0 { return exact }
    return String(format: "%.1f", value) + " \(units[unit]) (\(exact))"
}
