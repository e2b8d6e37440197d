import Quantum

// The saved form of a custom ansatz (docs/model-format.md, `ansatz` of kind `custom`): the gate
// list with angles as expression trees whose symbols are indices into the parameter list, so a
// model file rebuilds exactly the circuit that was trained.

/// A custom ansatz circuit as a model file holds it.
struct CircuitRecord: Codable, Sendable, Equatable {
    /// The trainable parameters' names, in weight order.
    var parameterNames: [String]
    /// The gates, in circuit order.
    var gates: [GateRecord]

    init(parameterNames: [String], gates: [GateRecord]) {
        self.parameterNames = parameterNames
        self.gates = gates
    }

    /// The record of a validated circuit whose free parameters are all in `parameters`.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a measurement, reset, condition or
    ///   matrix-defined gate.
    init(_ circuit: QuantumCircuit, parameters: [Parameter]) throws {
        let index = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { ($1, $0) })
        var gates: [GateRecord] = []
        for (position, instruction) in circuit.instructions.enumerated() {
            guard instruction.condition == nil else {
                throw QuantumMLError.invalidArgument(argument: "instruction \(position) of the ansatz", received: "\(instruction), with a classical condition", valid: "a unitary gate (an ansatz must be unitary)")
            }
            switch instruction.operation {
            case .barrier:
                continue
            case .measure, .reset:
                throw QuantumMLError.invalidArgument(argument: "instruction \(position) of the ansatz", received: "a \(instruction.operation.name)", valid: "a unitary gate (an ansatz must be unitary)")
            case .gate(let gate):
                if case .unitary = gate.kind {
                    throw QuantumMLError.invalidArgument(argument: "instruction \(position) of the ansatz", received: "a matrix-defined gate, which a model file cannot hold", valid: "a named gate")
                }
                let angles = try gate.parameters.map { try AngleRecord($0, index: index) }
                gates.append(GateRecord(name: gate.name, qubits: instruction.qubits, angles: angles))
            }
        }
        self.init(parameterNames: parameters.map(\.name), gates: gates)
    }

    /// Appends the gates on `parameters` (one per name) to a circuit already checked to fit.
    func append(to circuit: inout QuantumCircuit, parameters: [Parameter]) {
        do {
            try rebuild(into: &circuit, parameters: parameters)
        } catch {
            assertionFailure("a checked circuit record failed to rebuild: \(error)")
        }
    }

    /// Appends the gates on `parameters`, checking names, angle counts and qubits.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` naming the gate that does not fit.
    func rebuild(into circuit: inout QuantumCircuit, parameters: [Parameter]) throws {
        guard parameters.count == parameterNames.count else {
            throw QuantumMLError.invalidArgument(argument: "the parameter count of the circuit", received: "\(parameters.count)", valid: "\(parameterNames.count)")
        }
        for (position, record) in gates.enumerated() {
            guard let kind = GateRecord.kind(named: record.name, qubits: record.qubits.count) else {
                throw QuantumMLError.invalidArgument(argument: "gate \(position) of the ansatz", received: "unknown gate \"\(record.name)\" on \(record.qubits.count) qubits", valid: "a gate of Verdant's gate set")
            }
            let angles = try record.angles.map { try $0.expression(parameters) }
            let gate: Gate
            do {
                gate = try Gate(kind, angles)
            } catch {
                throw QuantumMLError.invalidArgument(argument: "gate \(position) of the ansatz", received: "a gate that is not valid: \(error)", valid: "a valid gate")
            }
            guard record.qubits.allSatisfy({ $0 >= 0 && $0 < circuit.numQubits }) else {
                throw QuantumMLError.invalidArgument(argument: "the qubits of gate \(position) of the ansatz", received: "\(record.qubits)", valid: "in 0..<\(circuit.numQubits)")
            }
            circuit.append(gate, record.qubits)
        }
        do {
            try circuit.validate()
        } catch {
            throw QuantumMLError.invalidArgument(argument: "the ansatz circuit", received: "a circuit that is not valid: \(error)", valid: "a valid unitary circuit")
        }
    }
}

/// One gate of a ``CircuitRecord``: `{"gate": "ry", "qubits": [0], "angles": [{"parameter": 0}]}`.
struct GateRecord: Codable, Sendable, Equatable {
    /// Qiskit's instruction name.
    var name: String
    /// The qubits, in the gate's argument order.
    var qubits: [Int]
    /// The angles.
    var angles: [AngleRecord]

    private enum CodingKeys: String, CodingKey { case name = "gate", qubits, angles }

    /// The gate kind with Qiskit's name `name` on `qubits` qubits.
    static func kind(named name: String, qubits: Int) -> GateKind? {
        switch name {
        case "mcx": return qubits >= 4 ? .mcx(controls: qubits - 1) : nil
        case "mcz": return qubits >= 3 ? .mcz(controls: qubits - 1) : nil
        case "mcphase": return qubits >= 3 ? .mcp(controls: qubits - 1) : nil
        default: return GateKind.standard.first { $0.name == name && $0.numQubits == qubits }
        }
    }
}

/// An angle expression whose symbols are indices into the parameter list:
/// `{"value": 1.5}`, `{"parameter": 0}`, `{"function": "sin", "argument": …}` (functions as
/// ``ParameterExpression/UnaryFunction`` raw values, `-` for negation),
/// `{"operator": "+", "left": …, "right": …}` (`+ - * / ^`).
indirect enum AngleRecord: Codable, Sendable, Equatable {
    case value(Double)
    case parameter(Int)
    case function(String, AngleRecord)
    case binary(String, AngleRecord, AngleRecord)

    /// The record of an expression whose symbols are all keys of `index`.
    init(_ expression: ParameterExpression, index: [Parameter: Int]) throws {
        switch expression {
        case .constant(let v):
            self = .value(v)
        case .symbol(let p):
            guard let i = index[p] else {
                throw QuantumMLError.invalidArgument(argument: "the ansatz parameter list", received: "a list without \"\(p.name)\", which occurs in the circuit", valid: "a list of every parameter of the circuit")
            }
            self = .parameter(i)
        case .unary(let f, let x):
            self = .function(f.rawValue, try AngleRecord(x, index: index))
        case .binary(let op, let a, let b):
            self = .binary(op.rawValue, try AngleRecord(a, index: index), try AngleRecord(b, index: index))
        }
    }

    /// The expression on `parameters`.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for an index out of range or an unknown
    ///   function or operator.
    func expression(_ parameters: [Parameter]) throws -> ParameterExpression {
        switch self {
        case .value(let v):
            guard v.isFinite else { throw QuantumMLError.invalidArgument(argument: "an ansatz angle constant", received: "\(v)", valid: "finite") }
            return .constant(v)
        case .parameter(let i):
            guard parameters.indices.contains(i) else {
                throw QuantumMLError.invalidArgument(argument: "the parameter an ansatz angle refers to", received: "\(i)", valid: "in 0..<\(parameters.count)")
            }
            return .symbol(parameters[i])
        case .function(let name, let x):
            guard let f = ParameterExpression.UnaryFunction(rawValue: name) else {
                throw QuantumMLError.invalidArgument(argument: "a function in an ansatz angle", received: "\"\(name)\"", valid: "one of \(ParameterExpression.UnaryFunction.allCases.map(\.rawValue))")
            }
            return .unary(f, try x.expression(parameters))
        case .binary(let name, let a, let b):
            guard let op = ParameterExpression.BinaryOperator(rawValue: name) else {
                throw QuantumMLError.invalidArgument(argument: "an operator in an ansatz angle", received: "\"\(name)\"", valid: "one of + - * / ^")
            }
            return .binary(op, try a.expression(parameters), try b.expression(parameters))
        }
    }

    private enum CodingKeys: String, CodingKey { case value, parameter, function, argument, `operator`, left, right }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .value(let v): try container.encode(v, forKey: .value)
        case .parameter(let i): try container.encode(i, forKey: .parameter)
        case .function(let f, let x):
            try container.encode(f, forKey: .function)
            try container.encode(x, forKey: .argument)
        case .binary(let op, let a, let b):
            try container.encode(op, forKey: .operator)
            try container.encode(a, forKey: .left)
            try container.encode(b, forKey: .right)
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let v = try container.decodeIfPresent(Double.self, forKey: .value) {
            self = .value(v)
        } else if let i = try container.decodeIfPresent(Int.self, forKey: .parameter) {
            self = .parameter(i)
        } else if let f = try container.decodeIfPresent(String.self, forKey: .function) {
            self = .function(f, try container.decode(AngleRecord.self, forKey: .argument))
        } else if let op = try container.decodeIfPresent(String.self, forKey: .operator) {
            self = .binary(op, try container.decode(AngleRecord.self, forKey: .left), try container.decode(AngleRecord.self, forKey: .right))
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "an angle needs \"value\", \"parameter\", \"function\" or \"operator\""))
        }
    }
}
