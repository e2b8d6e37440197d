import Foundation

/// An angle expression as written in OpenQASM; evaluated when a gate is applied.
indirect enum QASMExpression: Sendable {
    case number(Double)
    case name(String, SourcePosition)
    case function(String, QASMExpression)
    case negate(QASMExpression)
    case binary(Character, QASMExpression, QASMExpression)
}

/// A qubit or register operand: `q` (a whole register) or `q[3]`.
struct QASMOperand: Sendable {
    let name: String
    let index: Int?
    let position: SourcePosition
}

/// A gate call, at top level or inside a gate body.
struct QASMGateCall: Sendable {
    let name: String
    let position: SourcePosition
    let parameters: [QASMExpression]
    let operands: [QASMOperand]
}

/// A user `gate` (or `opaque`) declaration.
struct QASMGateDefinition: Sendable {
    let name: String
    let parameters: [String]
    let qubits: [String]
    /// Calls and barriers; barriers are kept as calls named "barrier".
    let body: [QASMGateCall]
    let isOpaque: Bool
    let position: SourcePosition
    /// How many operations one call expands to (saturating).
    let expandedSize: Int
}

/// A gate the importer maps straight to a Verdant gate kind.
struct BuiltinGate: Sendable {
    let kind: GateKind
    let numParameters: Int
    /// `u0(γ)` takes an angle and is the identity.
    var ignoresParameters = false
}

/// The gates that `include "qelib1.inc";` defines (Qiskit's version of the file).
let qelib1Gates: [String: BuiltinGate] = {
    var table: [String: BuiltinGate] = [:]
    let direct: [GateKind] = [
        .u3, .u2, .u1, .cx, .id, .u, .p, .x, .y, .z, .h, .s, .sdg, .t, .tdg, .rx, .ry, .rz, .sx, .sxdg,
        .cz, .cy, .swap, .ch, .ccx, .cswap, .crx, .cry, .crz, .cu1, .cp, .cu3, .csx, .cu, .rxx, .rzz, .rccx,
    ]
    for kind in direct { table[kind.name] = BuiltinGate(kind: kind, numParameters: kind.numParameters) }
    table["u0"] = BuiltinGate(kind: .id, numParameters: 1, ignoresParameters: true)
    table["rc3x"] = BuiltinGate(kind: .rc3x, numParameters: 0)
    table["c3x"] = BuiltinGate(kind: .mcx(controls: 3), numParameters: 0)
    table["c3sqrtx"] = BuiltinGate(kind: .c3sqrtx, numParameters: 0)
    table["c4x"] = BuiltinGate(kind: .mcx(controls: 4), numParameters: 0)
    return table
}()

/// The gates every OpenQASM 2 program has.
let languageGates: [String: BuiltinGate] = [
    "U": BuiltinGate(kind: .u, numParameters: 3),
    "CX": BuiltinGate(kind: .cx, numParameters: 0),
]

extension QuantumCircuit {
    /// Reads an OpenQASM 2.0 program.
    ///
    /// `include "qelib1.inc";` is built in (not read from disk); other includes are read relative
    /// to `directory`. User `gate` definitions are expanded into their bodies.
    /// - Parameters:
    ///   - qasm: the program text.
    ///   - file: the name used in error messages (`bell.qasm:4:3: …`).
    ///   - directory: where relative includes are looked up (default: the working directory).
    /// - Throws: ``QuantumError/qasm(file:line:column:message:)`` with the position and what was
    ///   found and expected.
    public init(qasm: String, file: String = "<string>", directory: String? = nil) throws {
        var parser = QASMParser(file: file, directory: directory ?? FileManager.default.currentDirectoryPath)
        try parser.parseProgram(qasm)
        self = parser.circuit
    }

    /// Reads an OpenQASM 2.0 file.
    /// - Parameter path: the file's path; relative includes are read from its folder.
    /// - Throws: ``QuantumError/fileUnreadable(path:reason:)`` and the errors of ``init(qasm:file:directory:)``.
    public init(qasmFile path: String) throws {
        let text = try readQASMFile(path)
        let directory = (path as NSString).deletingLastPathComponent
        try self.init(qasm: text, file: path, directory: directory.isEmpty ? "." : directory)
    }
}

func readQASMFile(_ path: String) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw QuantumError.fileUnreadable(path: path, reason: "no such file")
    }
    guard !isDirectory.boolValue else { throw QuantumError.fileUnreadable(path: path, reason: "it is a directory") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw QuantumError.fileUnreadable(path: path, reason: "permission denied or unreadable")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw QuantumError.fileUnreadable(path: path, reason: "it is not UTF-8 text")
    }
    return text
}

/// The OpenQASM 2 reader: tokens → statements → a ``QuantumCircuit``.
struct QASMParser {
    private(set) var circuit = QuantumCircuit()
    private var file: String
    private let directory: String
    private var tokens: [Token] = []
    private var cursor = 0
    private var gates: [String: BuiltinGate] = languageGates
    private var definitions: [String: QASMGateDefinition] = [:]
    private var quantum: [String: (offset: Int, size: Int, line: Int)] = [:]
    private var classical: [String: (offset: Int, size: Int, line: Int)] = [:]
    private var includeStack: [String] = []
    private var includedQelib = false

    /// Expressions nested deeper or longer than this are refused (a hostile file cannot exhaust
    /// the stack), and so are programs that expand to too many operations.
    private static let maximumNesting = 200
    private static let maximumOperators = 2000
    static let maximumOperations = 10_000_000
    private var nesting = 0
    private var operators = 0

    init(file: String, directory: String) {
        self.file = file
        self.directory = directory
    }

    // MARK: - Errors and tokens

    private func error(_ message: String, at position: SourcePosition) -> QuantumError {
        .qasm(file: file, line: position.line, column: position.column, message: message)
    }

    private var current: Token { tokens[min(cursor, tokens.count - 1)] }

    private mutating func next() -> Token {
        let t = current
        if cursor < tokens.count - 1 { cursor += 1 }
        return t
    }

    private func isSymbol(_ s: String) -> Bool { current.kind == .symbol(s) }

    private mutating func expectSymbol(_ s: String, _ context: String) throws {
        guard isSymbol(s) else { throw error("expected '\(s)' \(context), found \(current.text)", at: current.position) }
        _ = next()
    }

    private mutating func expectIdentifier(_ what: String) throws -> (String, SourcePosition) {
        let t = next()
        guard case .identifier(let name) = t.kind else { throw error("expected \(what), found \(t.text)", at: t.position) }
        return (name, t.position)
    }

    private mutating func expectInteger(_ what: String) throws -> Int {
        let t = next()
        guard case .integer(let value) = t.kind else { throw error("expected \(what) (an integer), found \(t.text)", at: t.position) }
        return value
    }

    // MARK: - Program

    mutating func parseProgram(_ text: String) throws {
        var lexer = Lexer(text: text, file: file)
        tokens = try lexer.tokenize()
        cursor = 0
        // Header: OPENQASM 2.0;
        let first = current
        guard case .identifier("OPENQASM") = first.kind else {
            throw error("expected the header 'OPENQASM 2.0;', found \(first.text)", at: first.position)
        }
        _ = next()
        let versionToken = next()
        let version: Double
        switch versionToken.kind {
        case .real(let v): version = v
        case .integer(let v): version = Double(v)
        default: throw error("expected a version number after 'OPENQASM', found \(versionToken.text)", at: versionToken.position)
        }
        guard version == 2 else {
            throw error("unsupported OpenQASM version \(version); Verdant reads OpenQASM 2.0", at: versionToken.position)
        }
        try expectSymbol(";", "after the version")
        try parseStatements()
    }

    private mutating func parseStatements() throws {
        while current.kind != .end {
            try parseStatement()
        }
    }

    private mutating func parseStatement() throws {
        let t = current
        guard case .identifier(let word) = t.kind else {
            throw error("expected a statement (a gate, qreg, creg, measure, …), found \(t.text)", at: t.position)
        }
        switch word {
        case "OPENQASM": throw error("the 'OPENQASM' header may appear only once, at the start", at: t.position)
        case "include": try parseInclude()
        case "qreg", "creg": try parseRegister()
        case "gate": try parseGateDefinition(opaque: false)
        case "opaque": try parseGateDefinition(opaque: true)
        case "if": try parseConditional()
        case "barrier":
            _ = next()
            let operands = try parseOperandList()
            try expectSymbol(";", "after the barrier's operands")
            let qubits = try operands.flatMap { try resolveQubits($0) }
            guard Set(qubits).count == qubits.count else {
                throw error("barrier names a qubit more than once", at: t.position)
            }
            circuit.appendResolved(Instruction(operation: .barrier, qubits: qubits, clbits: [], condition: nil))
        default:
            try parseQuantumOperation(condition: nil)
        }
    }

    private mutating func parseInclude() throws {
        let keyword = next()
        let nameToken = next()
        guard case .string(let name) = nameToken.kind else {
            throw error("expected a file name in quotes after 'include', found \(nameToken.text)", at: nameToken.position)
        }
        try expectSymbol(";", "after the include")
        if name == "qelib1.inc" {
            if !includedQelib {
                includedQelib = true
                for (gateName, gate) in qelib1Gates { gates[gateName] = gate }
            }
            return
        }
        let path = name.hasPrefix("/") ? name : (directory as NSString).appendingPathComponent(name)
        guard !includeStack.contains(path), includeStack.count < 16 else {
            throw error("'\(name)' is included recursively", at: keyword.position)
        }
        let text: String
        do {
            text = try readQASMFile(path)
        } catch let e as QuantumError {
            throw error("cannot include \"\(name)\": \(e.description)", at: nameToken.position)
        }
        // Parse the included file's statements in place, then continue here.
        var lexer = Lexer(text: text, file: path)
        let savedTokens = tokens, savedCursor = cursor, savedFile = file
        tokens = try lexer.tokenize()
        cursor = 0
        file = path
        includeStack.append(path)
        defer {
            includeStack.removeLast()
            tokens = savedTokens
            cursor = savedCursor
            file = savedFile
        }
        if case .identifier("OPENQASM") = current.kind {
            _ = next()
            _ = next()
            try expectSymbol(";", "after the version")
        }
        try parseStatements()
    }

    private mutating func parseRegister() throws {
        let keyword = next()
        let isQuantum = keyword.kind == .identifier("qreg")
        let (name, position) = try expectIdentifier("a register name")
        try expectSymbol("[", "after the register name")
        let sizeToken = current
        let size = try expectInteger("the register size")
        try expectSymbol("]", "after the register size")
        try expectSymbol(";", "after the register declaration")
        guard size >= 1 else { throw error("register '\(name)' must have at least 1 element, received \(size)", at: sizeToken.position) }
        if let previous = quantum[name] ?? classical[name] {
            throw error("register '\(name)' is already declared on line \(previous.line)", at: position)
        }
        if isQuantum {
            guard circuit.numQubits + size <= 1 << 20 else {
                throw error("register '\(name)' with \(size) qubits is too large", at: sizeToken.position)
            }
            quantum[name] = (circuit.numQubits, size, position.line)
            circuit.add(QuantumRegister(size, name: name))
        } else {
            guard circuit.numClbits + size <= 1 << 20 else {
                throw error("register '\(name)' with \(size) bits is too large", at: sizeToken.position)
            }
            classical[name] = (circuit.numClbits, size, position.line)
            circuit.add(ClassicalRegister(size, name: name))
        }
    }

    private mutating func parseGateDefinition(opaque: Bool) throws {
        _ = next()
        let (name, position) = try expectIdentifier("a gate name")
        var parameters: [String] = []
        if isSymbol("(") {
            _ = next()
            if !isSymbol(")") {
                repeat {
                    let (parameter, parameterPosition) = try expectIdentifier("a parameter name")
                    if parameter == "pi" || QASMParser.functions.contains(parameter) {
                        throw error("'\(parameter)' cannot name a parameter of gate '\(name)': it is built into the language "
                                    + "(pi, sin, cos, tan, exp, ln, sqrt)", at: parameterPosition)
                    }
                    parameters.append(parameter)
                } while try consumeComma()
            }
            try expectSymbol(")", "after the gate's parameters")
        }
        var qubits: [String] = []
        repeat {
            qubits.append(try expectIdentifier("a qubit name").0)
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
    }

    private func firstDuplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        for n in names where !seen.insert(n).inserted { return n }
        return nil
    }

    private mutating func consumeComma() throws -> Bool {
        if isSymbol(",") {
            _ = next()
            return true
        }
        return false
    }

    /// One operation inside a gate body: a gate call on the gate's qubit names, or a barrier.
    private mutating func parseBodyOperation(gate: String, parameters: [String], qubits: [String]) throws -> QASMGateCall {
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

    private func checkCallable(_ name: String, at position: SourcePosition) throws {
        if gates[name] != nil || definitions[name] != nil { return }
        throw unknownGateError(name, at: position)
    }

    private func unknownGateError(_ name: String, at position: SourcePosition) -> QuantumError {
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

    // MARK: - Operations

    private mutating func parseConditional() throws {
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

    private mutating func parseQuantumOperation(condition: Condition?) throws {
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

    private func describe(_ operand: QASMOperand) -> String {
        operand.index.map { "\(operand.name)[\($0)]" } ?? operand.name
    }

    private func describeWithSize(_ operand: QASMOperand) -> String {
        let size = quantum[operand.name]?.size ?? classical[operand.name]?.size ?? 0
        return "\(operand.name)[\(size)]"
    }

    /// Applies a gate (built-in or user-defined, expanded) to resolved qubit indices.
    private mutating func applyGate(_ name: String, values: [Double], qubits: [Int], condition: Condition?,
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

    private mutating func parseOperand() throws -> QASMOperand {
        let (name, position) = try expectIdentifier("a register or register[index]")
        if isSymbol("[") {
            _ = next()
            let index = try expectInteger("an index")
            try expectSymbol("]", "after the index")
            return QASMOperand(name: name, index: index, position: position)
        }
        return QASMOperand(name: name, index: nil, position: position)
    }

    private mutating func parseOperandList() throws -> [QASMOperand] {
        var operands: [QASMOperand] = []
        repeat {
            operands.append(try parseOperand())
        } while try consumeComma()
        return operands
    }

    private func unknownRegisterError(_ name: String, at position: SourcePosition, quantum isQuantum: Bool) -> QuantumError {
        let known = Array(isQuantum ? quantum.keys : classical.keys)
        let kind = isQuantum ? "quantum" : "classical"
        if let suggestion = closestName(to: name, in: known) {
            return error("unknown \(kind) register '\(name)'; did you mean '\(suggestion)'?", at: position)
        }
        let list = known.isEmpty ? "none is declared" : "declared: \(known.sorted().joined(separator: ", "))"
        return error("unknown \(kind) register '\(name)' (\(list))", at: position)
    }

    private func resolveQubits(_ operand: QASMOperand) throws -> [Int] {
        guard let register = quantum[operand.name] else {
            if classical[operand.name] != nil {
                throw error("'\(operand.name)' is a classical register; expected a quantum register", at: operand.position)
            }
            throw unknownRegisterError(operand.name, at: operand.position, quantum: true)
        }
        return try indices(operand, register.offset, register.size)
    }

    private func resolveClbits(_ operand: QASMOperand) throws -> [Int] {
        guard let register = classical[operand.name] else {
            if quantum[operand.name] != nil {
                throw error("'\(operand.name)' is a quantum register; expected a classical register", at: operand.position)
            }
            throw unknownRegisterError(operand.name, at: operand.position, quantum: false)
        }
        return try indices(operand, register.offset, register.size)
    }

    private func indices(_ operand: QASMOperand, _ offset: Int, _ size: Int) throws -> [Int] {
        guard let index = operand.index else { return Array(offset..<offset + size) }
        guard index < size else {
            throw error("index \(index) is out of range for \(operand.name)[\(size)] (valid: 0...\(size - 1))", at: operand.position)
        }
        return [offset + index]
    }

    // MARK: - Expressions

    /// expression := term (('+' | '-') term)*
    private mutating func parseExpression(allowed: [String]) throws -> QASMExpression {
        if nesting == 0 { operators = 0 }
        try enter()
        defer { nesting -= 1 }
        var left = try parseTerm(allowed: allowed)
        while isSymbol("+") || isSymbol("-") {
            let op: Character = isSymbol("+") ? "+" : "-"
            try countOperator()
            _ = next()
            left = .binary(op, left, try parseTerm(allowed: allowed))
        }
        return left
    }

    /// term := unary (('*' | '/') unary)*
    private mutating func parseTerm(allowed: [String]) throws -> QASMExpression {
        var left = try parseUnary(allowed: allowed)
        while isSymbol("*") || isSymbol("/") {
            let op: Character = isSymbol("*") ? "*" : "/"
            try countOperator()
            _ = next()
            left = .binary(op, left, try parseUnary(allowed: allowed))
        }
        return left
    }

    /// unary := '-' unary | power
    private mutating func parseUnary(allowed: [String]) throws -> QASMExpression {
        if isSymbol("-") || isSymbol("+") {
            let negative = isSymbol("-")
            _ = next()
            try enter()
            defer { nesting -= 1 }
            let operand = try parseUnary(allowed: allowed)
            return negative ? .negate(operand) : operand
        }
        return try parsePower(allowed: allowed)
    }

    /// power := primary ('^' unary)?   (right-associative)
    private mutating func parsePower(allowed: [String]) throws -> QASMExpression {
        let base = try parsePrimary(allowed: allowed)
        if isSymbol("^") {
            try countOperator()
            _ = next()
            try enter()
            defer { nesting -= 1 }
            return .binary("^", base, try parseUnary(allowed: allowed))
        }
        return base
    }

    private mutating func enter() throws {
        nesting += 1
        guard nesting < QASMParser.maximumNesting else {
            throw error("expression is nested too deeply (more than \(QASMParser.maximumNesting) levels)", at: current.position)
        }
    }

    private mutating func countOperator() throws {
        operators += 1
        guard operators <= QASMParser.maximumOperators else {
            throw error("expression is too long (more than \(QASMParser.maximumOperators) operators)", at: current.position)
        }
    }

    private static let functions: Set<String> = ["sin", "cos", "tan", "exp", "ln", "sqrt"]

    private mutating func parsePrimary(allowed: [String]) throws -> QASMExpression {
        let t = next()
        switch t.kind {
        case .integer(let v): return .number(Double(v))
        case .real(let v): return .number(v)
        case .symbol("("):
            let inner = try parseExpression(allowed: allowed)
            try expectSymbol(")", "to close the parenthesis")
            return inner
        case .identifier("pi"): return .number(Double.pi)
        case .identifier(let name):
            if QASMParser.functions.contains(name) {
                try expectSymbol("(", "after the function '\(name)'")
                let argument = try parseExpression(allowed: allowed)
                try expectSymbol(")", "after the argument of '\(name)'")
                return .function(name, argument)
            }
            if isSymbol("(") {
                throw error("unknown function '\(name)' (valid: sin, cos, tan, exp, ln, sqrt)", at: t.position)
            }
            guard allowed.contains(name) else {
                if allowed.isEmpty {
                    throw error("unknown name '\(name)' in an expression (outside a gate body only numbers, pi and functions are allowed)",
                                at: t.position)
                }
                throw error("unknown parameter '\(name)' (this gate's parameters: \(allowed.joined(separator: ", ")))", at: t.position)
            }
            return .name(name, t.position)
        default:
            throw error("expected a number, 'pi', a parameter or '(', found \(t.text)", at: t.position)
        }
    }

    private func evaluate(_ expression: QASMExpression, _ environment: [String: Double], at position: SourcePosition) throws -> Double {
        let value = QASMParser.value(of: expression, environment)
        guard value.isFinite else {
            throw error("an angle evaluates to \(value) (division by zero or a function outside its domain)", at: position)
        }
        return value
    }

    private static func value(of expression: QASMExpression, _ environment: [String: Double]) -> Double {
        switch expression {
        case .number(let v): return v
        case .name(let n, _): return environment[n] ?? .nan
        case .negate(let e): return -value(of: e, environment)
        case .function(let f, let e):
            let x = value(of: e, environment)
            switch f {
            case "sin": return sin(x)
            case "cos": return cos(x)
            case "tan": return tan(x)
            case "exp": return exp(x)
            case "ln": return log(x)
            default: return x.squareRoot()
            }
        case .binary(let op, let a, let b):
            let x = value(of: a, environment), y = value(of: b, environment)
            switch op {
            case "+": return x + y
            case "-": return x - y
            case "*": return x * y
            case "/": return x / y
            default: return pow(x, y)
            }
        }
    }
}

/// The known name nearest to `name` (edit distance ≤ 2, or ≤ 1 for short names), if any.
func closestName(to name: String, in known: [String]) -> String? {
    // One- and two-letter names have too many neighbours to suggest one.
    let limit = name.count <= 2 ? 0 : name.count <= 4 ? 1 : 2
    func sharedPrefix(_ candidate: String) -> Int { zip(name, candidate).prefix { $0 == $1 }.count }
    // Nearest first; among equals, the longest shared prefix, then alphabetical.
    let ranked = known.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= limit && $0.1 > 0 }
        .sorted { ($0.1, -sharedPrefix($0.0), $0.0) < ($1.1, -sharedPrefix($1.0), $1.0) }
    return ranked.first?.0
}

/// Levenshtein distance.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    var row = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        row[0] = i
        for j in 1...y.count {
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&previous, &row)
    }
    return previous[y.count]
}
