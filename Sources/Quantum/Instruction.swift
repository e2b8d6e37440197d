/// What one step of a circuit does.
public enum Operation: Hashable, Sendable, CustomStringConvertible {
    /// A unitary gate.
    case gate(Gate)
    /// Measure one qubit into one classical bit (computational basis).
    case measure
    /// Reset one qubit to |0⟩.
    case reset
    /// A barrier: no effect on the state; stops gate fusion across it.
    case barrier

    /// Qiskit's instruction name.
    public var name: String {
        switch self {
        case .gate(let g): g.name
        case .measure: "measure"
        case .reset: "reset"
        case .barrier: "barrier"
        }
    }

    /// The gate description, or the name.
    public var description: String {
        if case .gate(let g) = self { return g.description }
        return name
    }
}

/// A condition on classical bits (Qiskit's `c_if`): the instruction runs only when the bits,
/// read as an unsigned integer with `clbits[0]` least significant, equal `value`.
public struct Condition: Hashable, Sendable {
    /// The circuit's classical bit indices, least significant first.
    public let clbits: [Int]
    /// The value the bits must hold.
    public let value: Int
}

/// One step of a circuit: an operation on qubits (and classical bits), maybe conditioned.
public struct Instruction: Hashable, Sendable, CustomStringConvertible {
    /// What the step does.
    public let operation: Operation
    /// The circuit's qubit indices it acts on, in the operation's argument order.
    public let qubits: [Int]
    /// The circuit's classical bit indices it writes (measure) — empty otherwise.
    public let clbits: [Int]
    /// The classical condition, if any.
    public let condition: Condition?

    /// `if(c==v) name q[...] -> c[...]`, with global indices.
    public var description: String {
        var text = operation.description
        if !qubits.isEmpty { text += " " + qubits.map { "q\($0)" }.joined(separator: ", ") }
        if !clbits.isEmpty { text += " -> " + clbits.map { "c\($0)" }.joined(separator: ", ") }
        if let condition { text = "if(\(condition.clbits.map { "c\($0)" }) == \(condition.value)) " + text }
        return text
    }

    /// The gate, when the operation is one.
    var gate: Gate? {
        if case .gate(let g) = operation { return g }
        return nil
    }
}
