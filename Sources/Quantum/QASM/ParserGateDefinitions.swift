import Foundation

// The OpenQASM 2 reader, part 2: `gate` and `opaque` definitions and the operations of gate
// bodies (QASMParser is in Parser.swift).
extension QASMParser {
    mutating func parseGateDefinition(opaque: Bool) throws {
        _ = next()
        let (name, position) = try expectNewName("a gate name")
        var parameters: [String] = []
        if isSymbol("(") {
            _ = next()
            if !isSymbol(")") {
                repeat {
                    parameters.append(try expectNewName("a parameter name of gate '\(name)'").0)
                } while try consumeComma()
            }
            try expectSymbol(")", "after the gate's parameters")
        }
        var qubits: [String] = []
        repeat {
            qubits.append(try expectNewName("a qubit name of gate '\(name)'").0)
        } while try consumeComma()
        if let repeated = firstDuplicate(parameters) {
            throw error("gate '\(name)' declares parameter '\(repeated)' twice", at: position)
        }
        if let repeated = firstDuplicate(qubits) {
            throw error("gate '\(name)' declares qubit '\(repeated)' twice", at: position)
        }
        var body: [QASMGateCall] = []
        if opaque {
            try expectSymbol(";", "after the opaque declaration")
        } else {
            try expectSymbol("{", "to open the gate body")
            while !isSymbol("}") {
                body.append(try parseBodyOperation(gate: name, parameters: parameters, qubits: qubits))
            }
            _ = next()
        }
        if gates[name] != nil {
            // The gates Qiskit's extended qelib1.inc adds to the original (sx, swap, cp, …) may be
            // defined by the file, and the file's definition wins; the original ones may not.
            if languageGates[name] != nil || QASMWriter.paperGates.contains(name) {
                throw error("gate '\(name)' is already defined by \(languageGates[name] != nil ? "the language" : "qelib1.inc")",
                            at: position)
            }
            gates[name] = nil
        }
        if let previous = definitions[name] {
            throw error("gate '\(name)' is already defined on line \(previous.position.line)", at: position)
        }
        var size = 0
        for call in body {
            let callSize = definitions[call.name]?.expandedSize ?? 1
            size = size.addingReportingOverflow(callSize).overflow ? Int.max : size + callSize
        }
        definitions[name] = QASMGateDefinition(name: name, parameters: parameters, qubits: qubits, body: body,
                                               isOpaque: opaque, position: position, expandedSize: size)
        // Qiskit writes a definition for each gate it uses that qelib1.inc lacks (`gate ecr q0,q1
        // { s q0; sx q1; cx q0,q1; x q0; }`, `gate rzx(param0) q0,q1 { … }`, cs, iswap, dcx, ryy, …)
        // and its reader makes them its own gates again. When the body is exactly the native gate's
        // unitary (global phase included, so that no amplitude changes; or up to a global phase,
        // for noisy runs: `nativeDefinitions`), calls become that gate too, so that a noise model's
        // error on `ecr` or `rzx` applies to them, as in Aer.
        if !opaque, let kind = GateKind.standard.first(where: { $0.name == name }), kind.numParameters == parameters.count,
           kind.numQubits == qubits.count, definitionIsNative(name, kind: kind, at: position)
        {
            gates[name] = BuiltinGate(kind: kind, numParameters: kind.numParameters)
            definitions[name] = nil
        }
    }

    /// Whether gate `name`'s definition has the unitary of `kind` (exactly, or up to a global phase
    /// with ``QuantumCircuit/NativeDefinitions/upToGlobalPhase``) at two sets of sample angles: its
    /// columns are simulated from each basis state.
    /// Never throws: a body that cannot be simulated here is simply not native (its calls report
    /// their own errors where they are made).
    func definitionIsNative(_ name: String, kind: GateKind, at position: SourcePosition) -> Bool {
        (try? definitionMatches(name, kind: kind, at: position)) ?? false
    }

    private func definitionMatches(_ name: String, kind: GateKind, at position: SourcePosition) throws -> Bool {
        let k = kind.numQubits
        for sample in [[0.3719, -1.2345, 2.0503], [1.9, 0.611, -0.27]] {
            let values = Array(sample.prefix(kind.numParameters))
            var body = self
            body.circuit = QuantumCircuit(numQubits: k)
            try body.applyGate(name, values: values, qubits: Array(0..<k), condition: nil, at: position)
            let native = try Gate(kind: kind, parameters: values.map { .constant($0) }).matrix()
            let dimension = 1 << k
            // The global phase found (1 when it must be exact): found / expected at the first clear entry.
            var phase: Complex<Double>? = nativeDefinitions == .exact ? Complex(1, 0) : nil
            for column in 0..<dimension {
                var prepared = QuantumCircuit(numQubits: k)
                for bit in 0..<k where column >> bit & 1 == 1 { prepared.x(bit) }
                prepared.instructions += body.circuit.instructions
                let state = try Simulator().statevector(prepared)
                for row in 0..<dimension {
                    let expected = native[row * dimension + column]
                    if phase == nil, expected.length > 0.1 { phase = state[row] / expected }
                    if (state[row] - expected * (phase ?? Complex(1, 0))).length > 1e-9 { return false }
                }
            }
        }
        return true
    }

    func firstDuplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        for n in names where !seen.insert(n).inserted { return n }
        return nil
    }

    mutating func consumeComma() throws -> Bool {
        if isSymbol(",") {
            _ = next()
            return true
        }
        return false
    }

    /// One operation inside a gate body: a gate call on the gate's qubit names, or a barrier.
    mutating func parseBodyOperation(gate: String, parameters: [String], qubits: [String]) throws -> QASMGateCall {
        let (name, position) = try expectIdentifier("a gate call or '}' in the body of '\(gate)'")
        if ["measure", "reset", "if", "creg", "qreg", "opaque", "gate"].contains(name) {
            throw error("'\(name)' cannot appear in the body of gate '\(gate)': a gate body holds only gate calls and barriers "
                        + "(OpenQASM 2 gates are unitary)", at: position)
        }
        if name == gate {
            throw error("gate '\(gate)' calls itself: OpenQASM 2 gates cannot be recursive (a body may call only gates defined before it)",
                        at: position)
        }
        var arguments: [QASMExpression] = []
        if name != "barrier", isSymbol("(") {
            _ = next()
            if !isSymbol(")") {
                repeat {
                    arguments.append(try parseExpression(allowed: parameters))
                } while try consumeComma()
            }
            try expectSymbol(")", "after the arguments")
        }
        var operands: [QASMOperand] = []
        repeat {
            let (qubit, qubitPosition) = try expectIdentifier("a qubit name")
            guard qubits.contains(qubit) else {
                throw error("'\(qubit)' is not a qubit of gate '\(gate)' (its qubits: \(qubits.joined(separator: ", ")))",
                            at: qubitPosition)
            }
            if isSymbol("[") {
                throw error("inside a gate body qubits are named without an index ('\(qubit)', not '\(qubit)[…]')", at: current.position)
            }
            operands.append(QASMOperand(name: qubit, index: nil, position: qubitPosition))
        } while try consumeComma()
        try expectSymbol(";", "after the gate call")
        if name != "barrier" {
            // The callee must already exist (no recursion, no forward references).
            try checkCallable(name, at: position)
        }
        return QASMGateCall(name: name, position: position, parameters: arguments, operands: operands)
    }

    func checkCallable(_ name: String, at position: SourcePosition) throws {
        if gates[name] != nil || definitions[name] != nil { return }
        throw unknownGateError(name, at: position)
    }

    func unknownGateError(_ name: String, at position: SourcePosition) -> QuantumError {
        if !includedQelib, qelib1Gates[name] != nil {
            return error("unknown gate '\(name)'; it is defined in qelib1.inc: add 'include \"qelib1.inc\";' after the header",
                         at: position)
        }
        let known = Array(gates.keys) + Array(definitions.keys)
        if let suggestion = closestName(to: name, in: known) {
            return error("unknown gate '\(name)'; did you mean '\(suggestion)'?", at: position)
        }
        return error("unknown gate '\(name)'", at: position)
    }
}
