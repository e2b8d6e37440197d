import Foundation

// The OpenQASM 2 reader, part 3: conditions, quantum operations (gates, measure, reset, barrier)
// applied to the circuit, and operands resolved to qubits and bits (QASMParser is in Parser.swift).
extension QASMParser {
    // MARK: - Operations

    mutating func parseConditional() throws {
        let keyword = next()
        try expectSymbol("(", "after 'if'")
        let (name, position) = try expectIdentifier("a classical register name")
        guard let register = classical[name] else {
            if quantum[name] != nil {
                throw error("'\(name)' is a quantum register; 'if' compares a classical register", at: position)
            }
            throw unknownRegisterError(name, at: position, quantum: false)
        }
        try expectSymbol("==", "in the condition")
        let valueToken = current
        let value = try expectInteger("the value to compare with")
        try expectSymbol(")", "after the condition")
        guard register.size >= 63 || value < 1 << register.size else {
            throw error("condition value \(value) does not fit register \(name)[\(register.size)] "
                        + "(valid: 0...\((1 << register.size) - 1))", at: valueToken.position)
        }
        guard case .identifier(let word) = current.kind, !["if", "barrier", "gate", "opaque", "qreg", "creg", "include"].contains(word) else {
            throw error("'if' must be followed by one quantum operation (a gate, measure or reset), found \(current.text)",
                        at: keyword.position)
        }
        let condition = Condition(clbits: Array(register.offset..<register.offset + register.size), value: value)
        try parseQuantumOperation(condition: condition)
    }

    mutating func parseQuantumOperation(condition: Condition?) throws {
        let (name, position) = try expectIdentifier("a gate, measure or reset")
        switch name {
        case "measure":
            let source = try parseOperand()
            try expectSymbol("->", "between the measured qubit and the classical bit")
            let target = try parseOperand()
            try expectSymbol(";", "after measure")
            let qubits = try resolveQubits(source)
            let clbits = try resolveClbits(target)
            guard qubits.count == clbits.count else {
                throw error("measure: \(describe(source)) has \(qubits.count) qubit\(qubits.count == 1 ? "" : "s") but "
                            + "\(describe(target)) has \(clbits.count) bit\(clbits.count == 1 ? "" : "s")", at: position)
            }
            for (q, c) in zip(qubits, clbits) {
                circuit.appendResolved(Instruction(operation: .measure, qubits: [q], clbits: [c], condition: condition))
            }
        case "reset":
            let operand = try parseOperand()
            try expectSymbol(";", "after reset")
            for q in try resolveQubits(operand) {
                circuit.appendResolved(Instruction(operation: .reset, qubits: [q], clbits: [], condition: condition))
            }
        default:
            var arguments: [QASMExpression] = []
            if isSymbol("(") {
                _ = next()
                if !isSymbol(")") {
                    repeat {
                        arguments.append(try parseExpression(allowed: []))
                    } while try consumeComma()
                }
                try expectSymbol(")", "after the arguments")
            }
            let operands = try parseOperandList()
            try expectSymbol(";", "after the gate's operands")
            try checkCallable(name, at: position)
            let values = try arguments.map { try evaluate($0, [:], at: position) }
            // Broadcast: whole registers of one size run the gate once per index.
            let resolved = try operands.map { try resolveQubits($0) }
            let registerSizes = Set(zip(operands, resolved).filter { $0.0.index == nil }.map { $0.1.count })
            guard registerSizes.count <= 1 else {
                throw error("'\(name)' is applied to registers of different sizes "
                            + "(\(operands.filter { $0.index == nil }.map(describeWithSize).joined(separator: ", ")))", at: position)
            }
            let repeats = registerSizes.first ?? 1
            for r in 0..<repeats {
                let qubits = zip(operands, resolved).map { $0.0.index == nil ? $0.1[r] : $0.1[0] }
                try applyGate(name, values: values, qubits: qubits, condition: condition, at: position)
            }
        }
    }

    func describe(_ operand: QASMOperand) -> String {
        operand.index.map { "\(operand.name)[\($0)]" } ?? operand.name
    }

    func describeWithSize(_ operand: QASMOperand) -> String {
        let size = quantum[operand.name]?.size ?? classical[operand.name]?.size ?? 0
        return "\(operand.name)[\(size)]"
    }

    /// Applies a gate (built-in or user-defined, expanded) to resolved qubit indices.
    mutating func applyGate(_ name: String, values: [Double], qubits: [Int], condition: Condition?,
                                    at position: SourcePosition) throws
    {
        guard Set(qubits).count == qubits.count else {
            throw error("the qubits of '\(name)' must be distinct; one qubit appears twice", at: position)
        }
        if let builtin = gates[name] {
            guard values.count == builtin.numParameters else {
                throw error("gate '\(name)' takes \(builtin.numParameters) parameter\(builtin.numParameters == 1 ? "" : "s"), "
                            + "received \(values.count)", at: position)
            }
            guard qubits.count == builtin.kind.numQubits else {
                throw error("gate '\(name)' acts on \(builtin.kind.numQubits) qubit\(builtin.kind.numQubits == 1 ? "" : "s"), "
                            + "received \(qubits.count)", at: position)
            }
            guard circuit.instructions.count < QASMParser.maximumOperations else {
                throw error("the program expands to more than \(QASMParser.maximumOperations) operations", at: position)
            }
            let angles: [ParameterExpression] = builtin.ignoresParameters ? [] : values.map { .constant($0) }
            let gate = Gate(kind: builtin.kind, parameters: angles)
            circuit.appendResolved(Instruction(operation: .gate(gate), qubits: qubits, clbits: [], condition: condition))
            return
        }
        guard let definition = definitions[name] else { throw unknownGateError(name, at: position) }
        guard !definition.isOpaque else {
            // Qiskit writes a scheduled circuit's waits as `opaque delay(param0) q0;` (or
            // delay_NNN for each distinct one) and `delay(160.0) q[1];`: for an ideal simulator a
            // wait does nothing, so a call of one is read and dropped.
            let suffix = name.dropFirst("delay".count)
            if name.hasPrefix("delay"), suffix.isEmpty || (suffix.first == "_" && suffix.dropFirst().allSatisfy(\.isNumber)),
               definition.parameters.count == 1, definition.qubits.count == 1
            {
                guard values.count == 1, qubits.count == 1 else {
                    throw error("'\(name)' (a delay) takes 1 duration and 1 qubit, received \(values.count) and \(qubits.count)", at: position)
                }
                return
            }
            throw error("gate '\(name)' is declared opaque (line \(definition.position.line)): it has no body, so it cannot be simulated",
                        at: position)
        }
        guard values.count == definition.parameters.count else {
            throw error("gate '\(name)' takes \(definition.parameters.count) parameter\(definition.parameters.count == 1 ? "" : "s"), "
                        + "received \(values.count)", at: position)
        }
        guard qubits.count == definition.qubits.count else {
            throw error("gate '\(name)' acts on \(definition.qubits.count) qubit\(definition.qubits.count == 1 ? "" : "s"), "
                        + "received \(qubits.count)", at: position)
        }
        guard definition.expandedSize <= QASMParser.maximumOperations - circuit.instructions.count else {
            throw error("the program expands to more than \(QASMParser.maximumOperations) operations", at: position)
        }
        let environment = Dictionary(uniqueKeysWithValues: zip(definition.parameters, values))
        let qubitOf = Dictionary(uniqueKeysWithValues: zip(definition.qubits, qubits))
        for call in definition.body {
            let callQubits = call.operands.compactMap { qubitOf[$0.name] }
            if call.name == "barrier" {
                circuit.appendResolved(Instruction(operation: .barrier, qubits: callQubits, clbits: [], condition: nil))
                continue
            }
            let callValues = try call.parameters.map { try evaluate($0, environment, at: call.position) }
            try applyGate(call.name, values: callValues, qubits: callQubits, condition: condition, at: call.position)
        }
    }

    // MARK: - Operands

    mutating func parseOperand() throws -> QASMOperand {
        let (name, position) = try expectIdentifier("a register or register[index]")
        if isSymbol("[") {
            _ = next()
            let index = try expectInteger("an index")
            try expectSymbol("]", "after the index")
            return QASMOperand(name: name, index: index, position: position)
        }
        return QASMOperand(name: name, index: nil, position: position)
    }

    mutating func parseOperandList() throws -> [QASMOperand] {
        var operands: [QASMOperand] = []
        repeat {
            operands.append(try parseOperand())
        } while try consumeComma()
        return operands
    }

    func unknownRegisterError(_ name: String, at position: SourcePosition, quantum isQuantum: Bool) -> QuantumError {
        let known = Array(isQuantum ? quantum.keys : classical.keys)
        let kind = isQuantum ? "quantum" : "classical"
        if let suggestion = closestName(to: name, in: known) {
            return error("unknown \(kind) register '\(name)'; did you mean '\(suggestion)'?", at: position)
        }
        let list = known.isEmpty ? "none is declared" : "declared: \(known.sorted().joined(separator: ", "))"
        return error("unknown \(kind) register '\(name)' (\(list))", at: position)
    }

    func resolveQubits(_ operand: QASMOperand) throws -> [Int] {
        guard let register = quantum[operand.name] else {
            if classical[operand.name] != nil {
                throw error("'\(operand.name)' is a classical register; expected a quantum register", at: operand.position)
            }
            throw unknownRegisterError(operand.name, at: operand.position, quantum: true)
        }
        return try indices(operand, register.offset, register.size)
    }

    func resolveClbits(_ operand: QASMOperand) throws -> [Int] {
        guard let register = classical[operand.name] else {
            if quantum[operand.name] != nil {
                throw error("'\(operand.name)' is a quantum register; expected a classical register", at: operand.position)
            }
            throw unknownRegisterError(operand.name, at: operand.position, quantum: false)
        }
        return try indices(operand, register.offset, register.size)
    }

    func indices(_ operand: QASMOperand, _ offset: Int, _ size: Int) throws -> [Int] {
        guard let index = operand.index else { return Array(offset..<offset + size) }
        guard index < size else {
            throw error("index \(index) is out of range for \(operand.name)[\(size)] (valid: 0...\(size - 1))", at: operand.position)
        }
        return [offset + index]
    }
}
