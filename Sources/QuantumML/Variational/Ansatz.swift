import Quantum

/// The trainable part of a variational model: a parameterised circuit, by its reference definition.
///
/// - ``realAmplitudes(qubits:reps:entanglement:)`` — Qiskit's `real_amplitudes`: `reps + 1`
///   layers of `ry` on every qubit, with a layer of CX gates (the entanglement's qubit pairs, in
///   Qiskit's order) between consecutive layers. Parameters θ[0…(reps+1)·n − 1], layer after layer,
///   qubit 0 first.
/// - ``efficientSU2(qubits:reps:entanglement:)`` — Qiskit's `efficient_su2` with its default
///   gates: each rotation layer is `ry` on every qubit, then `rz` on every qubit; CX layers between.
///   Parameters θ[0…2·(reps+1)·n − 1]: per layer the n `ry` angles, then the n `rz` angles.
/// - ``stronglyEntangling(qubits:layers:ranges:)`` — PennyLane's `StronglyEntanglingLayers`: per
///   layer l, `Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ)` on every wire i, then `CNOT(i, (i + r_l) mod n)`
///   for i = 0…n−1 (none on one qubit), with the range r_l = (l mod (n − 1)) + 1 unless given.
///   Parameters in the order of PennyLane's `weights[l, i, k]` flattened row-major (k: φ, θ, ω).
/// - ``custom(_:parameters:)`` — any circuit of unitary gates with ``Parameter``s.
///
/// Qubit i is Verdant's (and Qiskit's) qubit i and PennyLane's wire i. The tests compare state
/// vectors with Qiskit's and PennyLane's for random parameters.
public struct Ansatz: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The families of ansatz.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Qiskit's `real_amplitudes`.
        case realAmplitudes = "real_amplitudes"
        /// Qiskit's `efficient_su2` (ry and rz layers).
        case efficientSU2 = "efficient_su2"
        /// PennyLane's `StronglyEntanglingLayers`.
        case stronglyEntangling = "strongly_entangling"
        /// A user's circuit.
        case custom
    }

    /// The family.
    public let kind: Kind
    /// The number of qubits.
    public let qubits: Int
    /// Repetitions of the entangling block (Qiskit's `reps`), or layers (PennyLane's `n_layers`);
    /// 1 for a custom circuit.
    public let reps: Int
    /// The CX pattern of the Qiskit families (nil for the others).
    public let entanglement: Entanglement?
    /// The CNOT range of each layer of ``Kind/stronglyEntangling`` (nil for the others).
    public let ranges: [Int]?
    /// A custom circuit, in its saved form (nil for the others).
    let custom: CircuitRecord?

    /// The largest qubit count an ansatz may have.
    public static let maximumQubits = FeatureMap.maximumQubits

    // MARK: - Builders

    /// Qiskit's `real_amplitudes(qubits, reps=reps, entanglement=entanglement)`.
    /// - Parameters:
    ///   - qubits: 1…``maximumQubits``.
    ///   - reps: entangling repetitions (≥ 0); Qiskit's default is 3.
    ///   - entanglement: the CX pattern; Qiskit 2's default is `reverse_linear`.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a qubit count or reps out of range.
    public static func realAmplitudes(qubits: Int, reps: Int = 3, entanglement: Entanglement = .reverseLinear) throws -> Ansatz {
        try checkShape(qubits: qubits, reps: reps, name: "reps", minimum: 0)
        return Ansatz(kind: .realAmplitudes, qubits: qubits, reps: reps, entanglement: entanglement, ranges: nil, custom: nil)
    }

    /// Qiskit's `efficient_su2(qubits, reps=reps, entanglement=entanglement)` (gates ry, rz).
    /// - Parameters:
    ///   - qubits: 1…``maximumQubits``.
    ///   - reps: entangling repetitions (≥ 0); Qiskit's default is 3.
    ///   - entanglement: the CX pattern; Qiskit 2's default is `reverse_linear`.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a qubit count or reps out of range.
    public static func efficientSU2(qubits: Int, reps: Int = 3, entanglement: Entanglement = .reverseLinear) throws -> Ansatz {
        try checkShape(qubits: qubits, reps: reps, name: "reps", minimum: 0)
        return Ansatz(kind: .efficientSU2, qubits: qubits, reps: reps, entanglement: entanglement, ranges: nil, custom: nil)
    }

    /// PennyLane's `StronglyEntanglingLayers` with `n_layers = layers` on `qubits` wires.
    /// - Parameters:
    ///   - qubits: 1…``maximumQubits``.
    ///   - layers: ≥ 1.
    ///   - ranges: the CNOT range of each layer (one per layer, none a multiple of `qubits`); nil
    ///     for PennyLane's default r_l = (l mod (n − 1)) + 1 (0 on one qubit, where there are no CNOTs).
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a qubit or layer count out of range, or
    ///   ranges of the wrong count or value.
    public static func stronglyEntangling(qubits: Int, layers: Int, ranges: [Int]? = nil) throws -> Ansatz {
        try checkShape(qubits: qubits, reps: layers, name: "layers", minimum: 1)
        let resolved: [Int]
        if let ranges {
            guard ranges.count == layers else {
                throw QuantumMLError.invalidArgument(argument: "the ranges of strongly entangling layers", received: "\(ranges.count)", valid: "one per layer (\(layers))")
            }
            if let bad = ranges.first(where: { $0 < 1 || $0 % qubits == 0 }) {
                throw QuantumMLError.invalidArgument(argument: "a strongly entangling range", received: "\(bad)", valid: "a positive number that is not a multiple of the qubit count (\(qubits))")
            }
            resolved = ranges
        } else {
            resolved = (0..<layers).map { qubits > 1 ? $0 % (qubits - 1) + 1 : 0 }
        }
        return Ansatz(kind: .stronglyEntangling, qubits: qubits, reps: layers, entanglement: nil, ranges: resolved, custom: nil)
    }

    /// A user's parameterised circuit as the ansatz.
    /// - Parameters:
    ///   - circuit: unitary gates only (barriers are dropped); no measurements, resets, conditions
    ///     or matrix-defined (`unitary`) gates.
    ///   - parameters: the trainable parameters in the order of the model's weights; nil takes the
    ///     circuit's parameters sorted by name (as Qiskit orders them). Every parameter of the
    ///     circuit must be listed, and every listed parameter must occur in it.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` naming the instruction or parameter that
    ///   cannot be used; the circuit's own validation error.
    public static func custom(_ circuit: QuantumCircuit, parameters: [Parameter]? = nil) throws -> Ansatz {
        do {
            try circuit.validate()
        } catch {
            throw QuantumMLError.invalidArgument(argument: "the ansatz circuit", received: "a circuit that is not valid: \(error)", valid: "a valid unitary circuit")
        }
        guard circuit.numQubits >= 1, circuit.numQubits <= maximumQubits else {
            throw QuantumMLError.invalidArgument(argument: "the qubits of an ansatz", received: "\(circuit.numQubits)", valid: "1…\(maximumQubits)")
        }
        let free = circuit.parameters
        let order = parameters ?? free
        guard Set(order).count == order.count else {
            throw QuantumMLError.invalidArgument(argument: "the ansatz parameter list", received: "a parameter named twice", valid: "each parameter once")
        }
        let listed = Set(order), present = Set(free)
        if let missing = free.first(where: { !listed.contains($0) }) {
            throw QuantumMLError.invalidArgument(argument: "the ansatz parameter list", received: "a list without \"\(missing.name)\", which occurs in the circuit", valid: "a list of every parameter of the circuit")
        }
        if let unused = order.first(where: { !present.contains($0) }) {
            throw QuantumMLError.invalidArgument(argument: "the ansatz parameter list", received: "\"\(unused.name)\", which occurs in no gate of the circuit", valid: "a list of parameters of the circuit only")
        }
        let record = try CircuitRecord(circuit, parameters: order)
        return Ansatz(kind: .custom, qubits: circuit.numQubits, reps: 1, entanglement: nil, ranges: nil, custom: record)
    }

    private static func checkShape(qubits: Int, reps: Int, name: String, minimum: Int) throws {
        guard qubits >= 1, qubits <= maximumQubits else {
            throw QuantumMLError.invalidArgument(argument: "the qubits of an ansatz", received: "\(qubits)", valid: "1…\(maximumQubits)")
        }
        guard reps >= minimum else { throw QuantumMLError.invalidArgument(argument: "\(name)", received: "\(reps)", valid: "≥ \(minimum)") }
    }

    // MARK: - The circuit

    /// The number of trainable parameters.
    public var parameterCount: Int {
        switch kind {
        case .realAmplitudes: (reps + 1) * qubits
        case .efficientSU2: 2 * (reps + 1) * qubits
        case .stronglyEntangling: 3 * reps * qubits
        case .custom: custom?.parameterNames.count ?? 0
        }
    }

    /// The circuit with new parameters named `prefix[0]`, `prefix[1]`, … (a custom circuit keeps
    /// its parameters' names), and those parameters in the model's weight order.
    /// - Parameter prefix: the name of the parameter vector (Qiskit's default `θ`).
    public func parameterisedCircuit(prefix: String = "θ") -> (circuit: QuantumCircuit, parameters: [Parameter]) {
        let parameters: [Parameter]
        if kind == .custom, let custom {
            parameters = custom.parameterNames.map { Parameter($0) }
        } else {
            parameters = (0..<parameterCount).map { Parameter("\(prefix)[\($0)]") }
        }
        return (uncheckedCircuit(parameters), parameters)
    }

    /// The circuit on the given parameters, in the reference's parameter order (Qiskit's θ[0], θ[1],
    /// …; PennyLane's `weights[l, i, k]` row-major; a custom circuit's list).
    /// - Parameter parameters: ``parameterCount`` parameters (or expressions' symbols).
    /// - Returns: the circuit on ``qubits`` qubits.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` when the count is not ``parameterCount``.
    public func circuit(parameters: [Parameter]) throws -> QuantumCircuit {
        guard parameters.count == parameterCount else {
            throw QuantumMLError.invalidArgument(argument: "the parameter count of \(description)", received: "\(parameters.count)", valid: "\(parameterCount)")
        }
        return uncheckedCircuit(parameters)
    }

    /// The circuit for exactly ``parameterCount`` parameters.
    func uncheckedCircuit(_ theta: [Parameter]) -> QuantumCircuit {
        assert(theta.count == parameterCount)
        var circuit = QuantumCircuit(numQubits: qubits)
        let n = qubits
        switch kind {
        case .realAmplitudes, .efficientSU2:
            let pairs = n > 1 ? (entanglement ?? .reverseLinear).blocks(size: 2, qubits: n) : []
            let perLayer = kind == .realAmplitudes ? n : 2 * n
            for layer in 0...reps {
                // Rotation layer `layer`: θ[layer·perLayer + q] for ry on qubit q, then (efficient_su2) rz.
                let base = layer * perLayer
                for q in 0..<n { circuit.ry(theta[base + q], q) }
                if kind == .efficientSU2 { for q in 0..<n { circuit.rz(theta[base + n + q], q) } }
                if layer < reps { for pair in pairs { circuit.cx(pair[0], pair[1]) } }
            }
        case .stronglyEntangling:
            let ranges = ranges ?? []
            for layer in 0..<reps {
                for i in 0..<n {
                    // weights[layer, i, 0…2] = (φ, θ, ω): Rot = RZ(ω)·RY(θ)·RZ(φ), so rz(φ) acts first.
                    let w = 3 * (layer * n + i)
                    circuit.rz(theta[w], i)
                    circuit.ry(theta[w + 1], i)
                    circuit.rz(theta[w + 2], i)
                }
                if n > 1 { for i in 0..<n { circuit.cx(i, (i + ranges[layer]) % n) } }
            }
        case .custom:
            custom?.append(to: &circuit, parameters: theta)
        }
        return circuit
    }

    /// A one-line description such as `real_amplitudes, 4 qubits, 3 reps, reverse_linear`.
    public var description: String {
        switch kind {
        case .realAmplitudes, .efficientSU2:
            return "\(kind.rawValue), \(qubits) qubits, \(reps) reps, \((entanglement ?? .reverseLinear).rawValue) entanglement"
        case .stronglyEntangling:
            return "strongly_entangling, \(qubits) qubits, \(reps) layers, ranges \(ranges ?? [])"
        case .custom:
            return "custom circuit, \(qubits) qubits, \(parameterCount) parameters, \(custom?.gates.count ?? 0) gates"
        }
    }

    // MARK: - Coding

    private enum CodingKeys: String, CodingKey {
        case kind, qubits, reps, layers, entanglement, ranges, parameters, gates
    }

    /// Writes the flat form of docs/model-format.md: `kind`, `qubits`, then `reps` and
    /// `entanglement` (Qiskit families), `layers` and `ranges` (strongly entangling), or
    /// `parameters` and `gates` (custom).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(qubits, forKey: .qubits)
        switch kind {
        case .realAmplitudes, .efficientSU2:
            try container.encode(reps, forKey: .reps)
            try container.encode(entanglement ?? .reverseLinear, forKey: .entanglement)
        case .stronglyEntangling:
            try container.encode(reps, forKey: .layers)
            try container.encode(ranges ?? [], forKey: .ranges)
        case .custom:
            try container.encode(custom?.parameterNames ?? [], forKey: .parameters)
            try container.encode(custom?.gates ?? [], forKey: .gates)
        }
    }

    /// Reads the flat form and checks it with the builders' rules.
    /// - Throws: `DecodingError` for missing or mistyped fields and, as `.dataCorrupted`, the
    ///   builders' messages for values out of range.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(Kind.self, forKey: .kind)
        let qubits = try container.decode(Int.self, forKey: .qubits)
        do {
            switch kind {
            case .realAmplitudes:
                self = try .realAmplitudes(qubits: qubits, reps: container.decode(Int.self, forKey: .reps),
                                           entanglement: container.decode(Entanglement.self, forKey: .entanglement))
            case .efficientSU2:
                self = try .efficientSU2(qubits: qubits, reps: container.decode(Int.self, forKey: .reps),
                                         entanglement: container.decode(Entanglement.self, forKey: .entanglement))
            case .stronglyEntangling:
                self = try .stronglyEntangling(qubits: qubits, layers: container.decode(Int.self, forKey: .layers),
                                               ranges: container.decode([Int].self, forKey: .ranges))
            case .custom:
                let record = CircuitRecord(parameterNames: try container.decode([String].self, forKey: .parameters),
                                           gates: try container.decode([GateRecord].self, forKey: .gates))
                let parameters = record.parameterNames.map { Parameter($0) }
                var circuit = QuantumCircuit(numQubits: qubits)
                try record.rebuild(into: &circuit, parameters: parameters)
                self = try .custom(circuit, parameters: parameters)
            }
        } catch let error as QuantumMLError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    private init(kind: Kind, qubits: Int, reps: Int, entanglement: Entanglement?, ranges: [Int]?, custom: CircuitRecord?) {
        self.kind = kind
        self.qubits = qubits
        self.reps = reps
        self.entanglement = entanglement
        self.ranges = ranges
        self.custom = custom
    }
}
