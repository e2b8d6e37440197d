/// A register that can be added to a circuit: ``QuantumRegister`` or ``ClassicalRegister``.
public protocol CircuitRegister: Sendable {}
extension QuantumRegister: CircuitRegister {}
extension ClassicalRegister: CircuitRegister {}

/// A quantum circuit: registers and a list of instructions, with Qiskit's conventions (qubit 0 is
/// the least significant bit of a basis index; counts keys put the highest classical bit first).
///
/// Building a circuit never throws: a call that names a qubit the circuit does not have is
/// recorded, and the first such problem is thrown when the circuit is used (``validate()``, run,
/// export). This keeps the seed's example readable:
/// ```swift
/// let q = QuantumRegister(2, name: "q"); let c = ClassicalRegister(2, name: "c")
/// var circuit = QuantumCircuit(q, c)
/// circuit.h(q[0]); circuit.cx(q[0], q[1]); circuit.measure(q, c)
/// let result = try circuit.run(shots: 1024, seed: 7)
/// ```
public struct QuantumCircuit: Sendable, CustomStringConvertible {
    /// The quantum registers, in the order they were added (their qubits are numbered in that order).
    public private(set) var quantumRegisters: [QuantumRegister] = []
    /// The classical registers, in the order they were added.
    public private(set) var classicalRegisters: [ClassicalRegister] = []
    /// The instructions, in order.
    public internal(set) var instructions: [Instruction] = []
    /// An optional name (used in OpenQASM export comments and reports).
    public var name: String?

    /// The first problem met while building, thrown by ``validate()``.
    private(set) var deferredError: QuantumError?
    /// The condition applied to instructions appended inside ``conditioned(on:equals:_:)``.
    private var activeCondition: Condition?

    /// The number of qubits.
    public private(set) var numQubits = 0
    /// The number of classical bits.
    public private(set) var numClbits = 0

    /// Creates a circuit from registers (quantum and classical in any order).
    /// - Parameter registers: the registers; qubits and bits are numbered in this order.
    public init(_ registers: any CircuitRegister...) {
        for r in registers { add(r) }
    }

    /// Creates a circuit with one quantum register `q` and (if `numClbits > 0`) one classical
    /// register `c`, as Qiskit's `QuantumCircuit(n, m)`.
    /// - Parameters:
    ///   - numQubits: the number of qubits.
    ///   - numClbits: the number of classical bits.
    public init(numQubits: Int, numClbits: Int = 0) {
        if numQubits > 0 { add(QuantumRegister(numQubits, name: "q")) }
        if numClbits > 0 { add(ClassicalRegister(numClbits, name: "c")) }
        if numQubits < 0 || numClbits < 0 {
            record(.invalidState("a circuit needs 0 or more qubits and classical bits, received \(numQubits) and \(numClbits)"))
        }
    }

    /// Adds a register after the existing ones. A duplicate name is reported by ``validate()``.
    /// - Parameter register: a ``QuantumRegister`` or ``ClassicalRegister``.
    public mutating func add(_ register: any CircuitRegister) {
        if let q = register as? QuantumRegister, q.size < 0 {
            record(.invalidState("register \(q.name) has size \(q.size); sizes must be 0 or more"))
            return
        }
        if let c = register as? ClassicalRegister, c.size < 0 {
            record(.invalidState("register \(c.name) has size \(c.size); sizes must be 0 or more"))
            return
        }
        if let q = register as? QuantumRegister {
            if quantumRegisters.contains(where: { $0.name == q.name }) || classicalRegisters.contains(where: { $0.name == q.name }) {
                record(.duplicateRegister(name: q.name))
                return
            }
            quantumRegisters.append(q)
            numQubits += max(q.size, 0)
        } else if let c = register as? ClassicalRegister {
            if classicalRegisters.contains(where: { $0.name == c.name }) || quantumRegisters.contains(where: { $0.name == c.name }) {
                record(.duplicateRegister(name: c.name))
                return
            }
            classicalRegisters.append(c)
            numClbits += max(c.size, 0)
        }
    }

    /// The index of the register's first qubit, or `nil` if it is not in the circuit.
    func offset(of register: QuantumRegister) -> Int? {
        var offset = 0
        for r in quantumRegisters {
            if r == register { return offset }
            offset += r.size
        }
        return nil
    }

    /// The index of the register's first bit, or `nil` if it is not in the circuit.
    func offset(of register: ClassicalRegister) -> Int? {
        var offset = 0
        for r in classicalRegisters {
            if r == register { return offset }
            offset += r.size
        }
        return nil
    }

    mutating func record(_ error: QuantumError) {
        if deferredError == nil { deferredError = error }
    }

    /// Throws the first problem recorded while the circuit was built.
    /// - Throws: the recorded ``QuantumError`` (out-of-range qubit, unknown register, wrong
    ///   qubit or parameter count, duplicate qubits, …).
    public func validate() throws {
        if let deferredError { throw deferredError }
    }

    // MARK: - Appending

    /// Appends a gate on qubits given by index or ``Qubit``.
    /// - Parameters:
    ///   - gate: the gate.
    ///   - qubits: exactly `gate.numQubits` distinct qubits, in the gate's argument order.
    public mutating func append(_ gate: Gate, _ qubits: [any QubitConvertible]) {
        guard let indices = resolve(qubits) else { return }
        append(gate, indices: indices)
    }

    /// Appends a gate on resolved qubit indices, checking count and distinctness.
    mutating func append(_ gate: Gate, indices: [Int]) {
        guard indices.count == gate.numQubits else {
            record(.wrongQubitCount(gate: gate.name, received: indices.count, expected: gate.numQubits))
            return
        }
        guard Set(indices).count == indices.count else {
            record(.duplicateQubits(gate: gate.name, qubits: indices))
            return
        }
        instructions.append(Instruction(operation: .gate(gate), qubits: indices, clbits: [], condition: activeCondition))
    }

    /// Appends a standard gate; angles are checked against the kind.
    mutating func append(_ kind: GateKind, _ angles: [any AngleConvertible], _ qubits: [any QubitConvertible]) {
        guard angles.count == kind.numParameters else {
            record(.wrongParameterCount(gate: kind.name, received: angles.count, expected: kind.numParameters))
            return
        }
        append(Gate(kind: kind, parameters: angles.map(\.angleExpression)), qubits)
    }

    /// Appends an instruction whose operands are already indices (used by the parser and compose).
    mutating func appendResolved(_ instruction: Instruction) {
        instructions.append(instruction)
    }

    func resolveQubit(_ q: any QubitConvertible) -> Int? {
        switch q.qubitIndex(in: self) {
        case .success(let i): return i
        case .failure: return nil
        }
    }

    /// Indices for operands, or nil after recording the first failure.
    private mutating func resolveAll<Operand>(_ operands: [Operand], _ index: (Operand) -> Result<Int, QuantumError>) -> [Int]? {
        var indices: [Int] = []
        indices.reserveCapacity(operands.count)
        for operand in operands {
            switch index(operand) {
            case .success(let i): indices.append(i)
            case .failure(let e):
                record(e)
                return nil
            }
        }
        return indices
    }

    private mutating func resolve(_ qubits: [any QubitConvertible]) -> [Int]? {
        let circuit = self
        return resolveAll(qubits) { $0.qubitIndex(in: circuit) }
    }

    private mutating func resolve(_ clbits: [any ClbitConvertible]) -> [Int]? {
        let circuit = self
        return resolveAll(clbits) { $0.clbitIndex(in: circuit) }
    }

    /// Measures one qubit into one classical bit.
    /// - Parameters:
    ///   - qubit: the qubit.
    ///   - clbit: the classical bit that receives the outcome.
    public mutating func measure(_ qubit: some QubitConvertible, _ clbit: some ClbitConvertible) {
        guard let q = resolve([qubit]), let c = resolve([clbit]) else { return }
        instructions.append(Instruction(operation: .measure, qubits: q, clbits: c, condition: activeCondition))
    }

    /// Measures each qubit of a register into the bit of the same position in a classical register.
    /// - Parameters:
    ///   - qubits: the quantum register.
    ///   - clbits: a classical register of the same size.
    public mutating func measure(_ qubits: QuantumRegister, _ clbits: ClassicalRegister) {
        guard qubits.size == clbits.size else {
            record(.incompatibleCircuits(
                "measure \(qubits) -> \(clbits): the registers must have the same size (\(qubits.size) ≠ \(clbits.size))"))
            return
        }
        for i in 0..<max(qubits.size, 0) { measure(qubits[i], clbits[i]) }
    }

    /// Adds a classical register `meas` as wide as the circuit, a barrier, and a measurement of
    /// every qubit into it (Qiskit's `measure_all`).
    public mutating func measureAll() {
        let n = numQubits
        var name = "meas"
        var suffix = 0
        while classicalRegisters.contains(where: { $0.name == name }) {
            suffix += 1
            name = "meas\(suffix)"
        }
        let register = ClassicalRegister(n, name: name)
        add(register)
        barrier()
        for i in 0..<n { measure(i, register[i]) }
    }

    /// Resets a qubit to |0⟩ (measures it and flips it if the outcome is 1).
    /// - Parameter qubit: the qubit.
    public mutating func reset(_ qubit: some QubitConvertible) {
        guard let q = resolve([qubit]) else { return }
        instructions.append(Instruction(operation: .reset, qubits: q, clbits: [], condition: activeCondition))
    }

    /// A barrier on the given qubits, or on all qubits when none are given.
    /// - Parameter qubits: the qubits the barrier spans.
    public mutating func barrier(_ qubits: any QubitConvertible...) {
        guard let q = resolve(qubits) else { return }
        instructions.append(Instruction(operation: .barrier, qubits: q.isEmpty ? Array(0..<numQubits) : q,
                                        clbits: [], condition: nil))
    }

    /// Appends the instructions that `body` adds, each conditioned on a classical register holding
    /// `value` (Qiskit's `c_if`; OpenQASM's `if (c == value)`).
    /// - Parameters:
    ///   - register: the classical register, read with its bit 0 least significant.
    ///   - value: the value it must hold, 0 ..< 2^size.
    ///   - body: adds the conditioned instructions.
    public mutating func conditioned(on register: ClassicalRegister, equals value: Int,
                                     _ body: (inout QuantumCircuit) -> Void)
    {
        guard let offset = offset(of: register) else {
            record(.unknownRegister(name: register.name, size: register.size, known: classicalRegisters.map(\.description)))
            return
        }
        guard value >= 0, register.size >= 63 || value < 1 << register.size else {
            let largest = register.size >= 63 ? "\(Int.max)" : "\((1 << register.size) - 1)"
            record(.invalidCondition(
                "condition value \(value) does not fit register \(register): valid values are 0...\(largest)"))
            return
        }
        let saved = activeCondition
        activeCondition = Condition(clbits: Array(offset..<offset + register.size), value: value)
        body(&self)
        activeCondition = saved
    }

    // MARK: - Whole-circuit operations

    /// The free parameters of the circuit, sorted by name (as Qiskit orders them).
    public var parameters: [Parameter] {
        var seen = Set<Parameter>()
        var result: [Parameter] = []
        for instruction in instructions {
            guard let g = instruction.gate else { continue }
            for p in g.parameters { p.collectParameters(into: &result, seen: &seen) }
        }
        return result.sorted { ($0.name, $0.identity) < ($1.name, $1.identity) }
    }

    /// A copy with the given parameters replaced by numbers (others stay symbolic).
    /// - Parameter values: numbers for some or all parameters.
    /// - Returns: the bound circuit.
    /// - Throws: ``QuantumError/unknownParameter(name:known:)`` for a parameter the circuit lacks.
    public func bind(_ values: [Parameter: Double]) throws -> QuantumCircuit {
        let known = Set(parameters)
        for p in values.keys where !known.contains(p) {
            throw QuantumError.unknownParameter(name: p.name, known: parameters.map(\.name))
        }
        var copy = self
        copy.instructions = instructions.map { instruction in
            guard var g = instruction.gate else { return instruction }
            g.parameters = g.parameters.map { $0.substituting(values) }
            return Instruction(operation: .gate(g), qubits: instruction.qubits, clbits: instruction.clbits,
                               condition: instruction.condition)
        }
        return copy
    }

    /// A copy with parameters replaced by numbers, named by parameter name.
    /// - Parameter values: numbers keyed by parameter name.
    /// - Returns: the bound circuit.
    /// - Throws: ``QuantumError/unknownParameter(name:known:)`` for a name the circuit lacks.
    public func bind(names values: [String: Double]) throws -> QuantumCircuit {
        let params = parameters
        var byParameter: [Parameter: Double] = [:]
        for (name, value) in values {
            let matches = params.filter { $0.name == name }
            guard !matches.isEmpty else { throw QuantumError.unknownParameter(name: name, known: params.map(\.name)) }
            for p in matches { byParameter[p] = value }
        }
        return try bind(byParameter)
    }

    /// The inverse circuit: instructions reversed, each gate inverted; barriers kept.
    /// - Returns: the inverse.
    /// - Throws: ``QuantumError/notInvertible(operation:)`` for measure, reset or a conditioned gate.
    public func inverse() throws -> QuantumCircuit {
        try validate()
        var copy = self
        copy.instructions = []
        for instruction in instructions.reversed() {
            if instruction.condition != nil {
                throw QuantumError.notInvertible(operation: "conditioned \(instruction.operation.name)")
            }
            switch instruction.operation {
            case .gate(let g):
                copy.instructions.append(Instruction(operation: .gate(try g.inverse()), qubits: instruction.qubits,
                                                     clbits: [], condition: nil))
            case .barrier:
                copy.instructions.append(instruction)
            case .measure, .reset:
                throw QuantumError.notInvertible(operation: instruction.operation.name)
            }
        }
        return copy
    }

    /// A new circuit: this one followed by `other`, whose qubit i goes to `qubits[i]` (default: i)
    /// and bit j to `clbits[j]` (default: j).
    /// - Parameters:
    ///   - other: the circuit to append.
    ///   - qubits: where each of `other`'s qubits goes in this circuit.
    ///   - clbits: where each of `other`'s classical bits goes in this circuit.
    /// - Returns: the composed circuit.
    /// - Throws: ``QuantumError/incompatibleCircuits(_:)`` when the maps are the wrong size, repeat
    ///   an index or point outside this circuit.
    public func compose(_ other: QuantumCircuit, qubits: [Int]? = nil, clbits: [Int]? = nil) throws -> QuantumCircuit {
        try validate()
        try other.validate()
        let qmap = qubits ?? Array(0..<other.numQubits)
        let cmap = clbits ?? Array(0..<other.numClbits)
        guard qmap.count == other.numQubits, Set(qmap).count == qmap.count, qmap.allSatisfy({ $0 >= 0 && $0 < numQubits }) else {
            throw QuantumError.incompatibleCircuits(
                "cannot compose a \(other.numQubits)-qubit circuit onto qubits \(qmap) of a \(numQubits)-qubit circuit: "
                    + "give \(other.numQubits) distinct indices in 0...\(numQubits - 1)")
        }
        guard cmap.count == other.numClbits, Set(cmap).count == cmap.count, cmap.allSatisfy({ $0 >= 0 && $0 < numClbits }) else {
            throw QuantumError.incompatibleCircuits(
                "cannot compose a circuit with \(other.numClbits) classical bits onto bits \(cmap) of a circuit with "
                    + "\(numClbits): give \(other.numClbits) distinct indices in 0...\(numClbits - 1)")
        }
        var result = self
        for instruction in other.instructions {
            let condition = instruction.condition.map { Condition(clbits: $0.clbits.map { cmap[$0] }, value: $0.value) }
            result.instructions.append(Instruction(operation: instruction.operation, qubits: instruction.qubits.map { qmap[$0] },
                                                   clbits: instruction.clbits.map { cmap[$0] }, condition: condition))
        }
        return result
    }

    /// The number of layers when every instruction waits for the qubits and classical bits it
    /// touches (conditions read their bits). Barriers add no layer but line up the qubits they
    /// span, as in Qiskit's `depth()`.
    public func depth() -> Int {
        var qubitLevel = Array(repeating: 0, count: numQubits)
        var clbitLevel = Array(repeating: 0, count: numClbits)
        var deepest = 0
        for instruction in instructions {
            let bits = instruction.clbits + (instruction.condition?.clbits ?? [])
            let start = (instruction.qubits.map { qubitLevel[$0] } + bits.map { clbitLevel[$0] }).max() ?? 0
            let level = instruction.operation == .barrier ? start : start + 1
            for q in instruction.qubits { qubitLevel[q] = level }
            for c in bits { clbitLevel[c] = level }
            deepest = max(deepest, level)
        }
        return deepest
    }

    /// How many times each operation occurs, by Qiskit's instruction name.
    public func countOps() -> [String: Int] {
        var counts: [String: Int] = [:]
        for instruction in instructions { counts[instruction.operation.name, default: 0] += 1 }
        return counts
    }

    /// The number of instructions.
    public var size: Int { instructions.count }

    /// Whether any instruction is a measurement, a reset or conditioned.
    var hasNonUnitaryOperations: Bool {
        instructions.contains { $0.condition != nil || $0.operation == .measure || $0.operation == .reset }
    }

    /// A listing: registers, then one instruction per line.
    public var description: String {
        var lines = ["QuantumCircuit(\(numQubits) qubits, \(numClbits) clbits)"]
        for instruction in instructions { lines.append("  " + instruction.description) }
        return lines.joined(separator: "\n")
    }
}
