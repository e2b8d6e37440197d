import Foundation
import VerdantCommon

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
    ///   - nativeDefinitions: which definitions of gates Verdant has natively (Qiskit writes
    ///     `gate ecr q0,q1 { … }`, `gate rzx(param0) …`) become those gates.
    public init(qasm: String, file: String = "<string>", directory: String? = nil,
                nativeDefinitions: NativeDefinitions = .exact) throws {
        var parser = QASMParser(file: file, directory: directory ?? FileManager.default.currentDirectoryPath)
        parser.nativeDefinitions = nativeDefinitions
        try parser.parseProgram(qasm)
        self = parser.circuit
    }

    /// Reads an OpenQASM 2.0 file.
    /// - Parameters:
    ///   - path: the file's path; relative includes are read from its folder.
    ///   - nativeDefinitions: as in ``init(qasm:file:directory:nativeDefinitions:)``.
    /// - Throws: ``QuantumError/fileUnreadable(path:reason:)`` and the errors of ``init(qasm:file:directory:nativeDefinitions:)``.
    public init(qasmFile path: String, nativeDefinitions: NativeDefinitions = .exact) throws {
        let text = try Self.qasmText(ofFile: path)
        try self.init(qasm: text, file: path, directory: Self.includeDirectory(ofFile: path), nativeDefinitions: nativeDefinitions)
    }

    /// The text of an OpenQASM file (a pipe too), for ``init(qasm:file:directory:nativeDefinitions:)``.
    /// - Parameter path: the file.
    /// - Returns: its text.
    /// - Throws: ``QuantumError/fileUnreadable(path:reason:)``.
    public static func qasmText(ofFile path: String) throws -> String { try readQASMFile(path) }

    /// The folder relative includes of the file at `path` are read from.
    /// - Parameter path: the file.
    /// - Returns: its folder (`.` for a bare name); the working directory for a pipe given by a
    ///   descriptor's name (`<(…)` is `/dev/fd/63`, whose folder holds no includes).
    public static func includeDirectory(ofFile path: String) -> String {
        let directory = folderPart(of: path)
        if directory == "/dev/fd" || directory == "/dev" && path == "/dev/stdin"
            || directory.hasPrefix("/proc/") && directory.hasSuffix("/fd") {
            return FileManager.default.currentDirectoryPath
        }
        return directory.isEmpty ? "." : directory
    }

    /// Which `gate` definitions in a file of gates Verdant has natively (by the same name and
    /// arity) are read as those gates rather than expanded.
    public enum NativeDefinitions: Sendable {
        /// Those whose body is exactly the gate's unitary (Qiskit's rzx, cs, csdg, iswap, dcx,
        /// ryy, …): no amplitude changes, and a noise model's error on the gate applies.
        case exact
        /// Also those equal to it up to a global phase (Qiskit's `ecr`, whose OpenQASM 2 body
        /// is e^{iπ/4}·ECR, as Qiskit's own reader and Aer take it): for noisy simulation, where a
        /// global phase changes nothing, so that the model's `ecr` error applies as in Aer.
        case upToGlobalPhase
    }
}

func readQASMFile(_ path: String) throws -> String {
    let data: Data
    do {
        data = try UserFile.read(path)
    } catch {
        throw QuantumError.fileUnreadable(path: path, reason: error.reason)
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw QuantumError.fileUnreadable(path: path, reason: "it is not UTF-8 text")
    }
    return text
}

/// The OpenQASM 2 reader: tokens → statements → a ``QuantumCircuit``.
struct QASMParser {
    /// The circuit read so far (built by the parts of the reader in Parser*.swift).
    var circuit = QuantumCircuit()
    var file: String
    let directory: String
    var tokens: [Token] = []
    var cursor = 0
    var gates: [String: BuiltinGate] = languageGates
    var definitions: [String: QASMGateDefinition] = [:]
    var quantum: [String: (offset: Int, size: Int, line: Int)] = [:]
    var classical: [String: (offset: Int, size: Int, line: Int)] = [:]
    var includeStack: [String] = []
    var includedQelib = false
    var nativeDefinitions: QuantumCircuit.NativeDefinitions = .exact

    /// Expressions nested deeper or longer than this are refused (a hostile file cannot exhaust
    /// the stack), and so are programs that expand to too many operations.
    static let maximumNesting = 200
    static let maximumOperators = 2000
    static let maximumOperations = 10_000_000
    var nesting = 0
    var operators = 0

    init(file: String, directory: String) {
        self.file = file
        self.directory = directory
    }

    // MARK: - Errors and tokens

    func error(_ message: String, at position: SourcePosition) -> QuantumError {
        .qasm(file: file, line: position.line, column: position.column, message: message)
    }

    var current: Token { tokens[min(cursor, tokens.count - 1)] }

    mutating func next() -> Token {
        let t = current
        if cursor < tokens.count - 1 { cursor += 1 }
        return t
    }

    func isSymbol(_ s: String) -> Bool { current.kind == .symbol(s) }

    mutating func expectSymbol(_ s: String, _ context: String) throws {
        guard isSymbol(s) else { throw error("expected '\(s)' \(context), found \(current.text)", at: current.position) }
        _ = next()
    }

    mutating func expectIdentifier(_ what: String) throws -> (String, SourcePosition) {
        let t = next()
        guard case .identifier(let name) = t.kind else { throw error("expected \(what), found \(t.text)", at: t.position) }
        return (name, t.position)
    }

    /// The words the language reserves — its keywords, `pi` and the functions — which no register,
    /// gate, parameter or gate qubit may take as its name (Qiskit's reader refuses them too).
    static let reservedWords = Set(["OPENQASM", "include", "qreg", "creg", "gate", "opaque", "barrier", "measure", "reset", "if", "pi"])
        .union(functions)

    /// The name a declaration introduces: an identifier that is not a reserved word.
    mutating func expectNewName(_ what: String) throws -> (String, SourcePosition) {
        let (name, position) = try expectIdentifier(what)
        if Self.reservedWords.contains(name) {
            throw error("'\(name)' cannot be \(what): it is a reserved word of OpenQASM 2 (\(Self.reservedWords.sorted().joined(separator: ", ")))",
                        at: position)
        }
        return (name, position)
    }

    mutating func expectInteger(_ what: String) throws -> Int {
        let t = next()
        guard case .integer(let value) = t.kind else { throw error("expected \(what) (an integer), found \(t.text)", at: t.position) }
        return value
    }

    // MARK: - Program

    mutating func parseProgram(_ text: String) throws {
        // The header alone first, so that a file in another version is refused by its version,
        // not by the first construct of that version the lexer does not know (OpenQASM 3's `=`).
        if let keyword = text.range(of: "OPENQASM"), let semicolon = text[keyword.upperBound...].firstIndex(of: ";") {
            var headerLexer = Lexer(text: String(text[...semicolon]), file: file)
            if let header = try? headerLexer.tokenize(), header.count >= 2, case .identifier("OPENQASM") = header[0].kind {
                let version: Double? = switch header[1].kind {
                case .real(let v): v
                case .integer(let v): Double(v)
                default: nil
                }
                if let version, version != 2 {
                    throw error("unsupported OpenQASM version \(version); Verdant reads OpenQASM 2.0", at: header[1].position)
                }
            }
        }
        var lexer = Lexer(text: text, file: file)
        tokens = try lexer.tokenize()
        cursor = 0
        // Header: OPENQASM 2.0;
        let first = current
        guard case .identifier("OPENQASM") = first.kind else {
            throw error("expected the header 'OPENQASM 2.0;', found \(first.text)", at: first.position)
        }
        try parseVersion()
        try parseStatements()
    }

    /// `OPENQASM 2.0;` from the keyword on: any other version is refused.
    mutating func parseVersion() throws {
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
    }

    mutating func parseStatements() throws {
        while current.kind != .end {
            // An empty statement (`qreg q[2];;`), which Qiskit's reader accepts too.
            if isSymbol(";") {
                _ = next()
                continue
            }
            try parseStatement()
        }
    }

    mutating func parseStatement() throws {
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
            // A qubit named twice (`barrier q, q[0];`) is one barrier on it, as in Qiskit.
            var seen = Set<Int>()
            let qubits = try operands.flatMap { try resolveQubits($0) }.filter { seen.insert($0).inserted }
            circuit.appendResolved(Instruction(operation: .barrier, qubits: qubits, clbits: [], condition: nil))
        default:
            try parseQuantumOperation(condition: nil)
        }
    }

    mutating func parseInclude() throws {
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
        // Relative to the including file: the main file's folder at the top, an included file's
        // own folder inside it.
        let base = includeStack.isEmpty ? directory : QuantumCircuit.includeDirectory(ofFile: file)
        let path = name.hasPrefix("/") ? name : (base as NSString).appendingPathComponent(name)
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
        if case .identifier("OPENQASM") = current.kind { try parseVersion() }
        try parseStatements()
    }

    mutating func parseRegister() throws {
        let keyword = next()
        let isQuantum = keyword.kind == .identifier("qreg")
        let (name, position) = try expectNewName("a register name")
        try expectSymbol("[", "after the register name")
        let sizeToken = current
        let size = try expectInteger("the register size")
        try expectSymbol("]", "after the register size")
        try expectSymbol(";", "after the register declaration")
        guard size >= 1 else { throw error("register '\(name)' must have at least 1 element, received \(size)", at: sizeToken.position) }
        if let previous = quantum[name] ?? classical[name] {
            throw error("register '\(name)' is already declared on line \(previous.line)", at: position)
        }
        // A register may share its name with a gate (`qreg s[1];`): Qiskit's reader refuses that,
        // but nothing in the file is ambiguous, so Verdant reads it.
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
