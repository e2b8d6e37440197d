import ComplexModule
import Foundation
import VerdantCommon

// Qiskit Aer's noise-model JSON: what `NoiseModel.to_dict(serializable=True)` writes and
// `NoiseModel.from_dict` reads. Top level {"errors": [...]}; each error is
//   {"type": "qerror", "operations": [names], "instructions": [[{"name", "qubits", "params"?}, …], …],
//    "probabilities": [p…], "gate_qubits": [[q…], …]?}   (no gate_qubits: all qubits)
//   {"type": "roerror", "operations": ["measure"], "probabilities": [[P(m|t)…]…], "gate_qubits"?}
// Complex numbers are [re, im] pairs; matrices are lists of rows. Instructions inside an error:
// `pauli` (params: [label]), `kraus` (params: [matrix…]), `unitary` (params: [matrix]), `reset`,
// `diagonal` (params: [entries]) and any gate by name with numeric params.

extension NoiseModel {
    /// Reads a noise model from Qiskit Aer's JSON, as `NoiseModel.to_dict(serializable=True)` writes it.
    ///
    /// ```python
    /// json.dump(NoiseModel.from_backend(FakeManilaV2()).to_dict(serializable=True), open("manila.json", "w"))
    /// ```
    /// - Parameters:
    ///   - data: the JSON text.
    ///   - source: the file name used in messages.
    /// - Throws: ``NoiseError/file(path:location:message:)`` with the JSON path of the problem;
    ///   ``NoiseError/unsupportedInstructions(path:names:known:)`` naming every instruction Verdant
    ///   does not have; the channel errors (probabilities, completeness) prefixed by their path.
    public init(aerJSON data: Data, source: String = "noise model") throws {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw NoiseError.file(path: source, location: "JSON",
                                  message: "not valid JSON: " + (JSONDiagnosis.problem(in: data) ?? error.localizedDescription))
        }
        let reader = AerJSONReader(source: source)
        guard let object = root as? [String: Any] else {
            throw reader.fail("top level", "expected an object {\"errors\": [...]}, found \(AerJSONReader.kind(root))")
        }
        guard let errors = object["errors"] as? [Any] else {
            throw reader.fail("errors", object["errors"] == nil ? "missing: the file must have an \"errors\" list"
                : "expected a list, found \(AerJSONReader.kind(object["errors"] as Any))")
        }
        try reader.checkNames(errors)
        self.init()
        for (i, entry) in errors.enumerated() {
            try reader.add(entry, at: "errors[\(i)]", to: &self)
        }
    }

    /// Reads a noise model from an Aer JSON file.
    /// - Parameter path: the file.
    /// - Throws: ``QuantumError/fileUnreadable(path:reason:)`` and the errors of ``init(aerJSON:source:)``.
    public init(aerJSONFile path: String) throws {
        let data: Data
        do {
            data = try UserFile.read(path)
        } catch {
            throw QuantumError.fileUnreadable(path: path, reason: error.reason)
        }
        try self.init(aerJSON: data, source: path)
    }

    /// The model as Aer's JSON (`NoiseModel.from_dict` reads it back): one error entry per
    /// instruction and qubits, in the order added, then the readout errors.
    /// - Returns: UTF-8 JSON text.
    public func aerJSON() -> Data {
        var errors: [JSONValue] = []
        for (n, item) in quantumErrorList.enumerated() {
            var members: [(String, JSONValue)] = [
                ("type", .string("qerror")),
                ("id", .string(String(format: "verdant%025d", n))),
                ("operations", .array([.string(item.instruction)])),
                ("instructions", .array(item.channel.terms.map { term in .array(term.operations.map(AerJSONWriter.operation)) })),
                ("probabilities", .array(item.channel.terms.map { .number($0.probability) })),
            ]
            if let q = item.qubits { members.append(("gate_qubits", .array([.array(q.map { .integer($0) })]))) }
            errors.append(.object(members))
        }
        for item in readoutErrorList {
            var members: [(String, JSONValue)] = [
                ("type", .string("roerror")), ("operations", .array([.string("measure")])),
                ("probabilities", .array(item.error.probabilities.map { row in .array(row.map { .number($0) }) })),
            ]
            if let q = item.qubits { members.append(("gate_qubits", .array([.array(q.map { .integer($0) })]))) }
            errors.append(.object(members))
        }
        return Data(JSONValue.object([("errors", .array(errors))]).text.utf8)
    }

    /// Writes the model as Aer's JSON, atomically (the file appears whole or not at all).
    /// - Parameters:
    ///   - path: the output file.
    ///   - overwrite: whether an existing file may be replaced.
    /// - Throws: ``NoiseError/file(path:location:message:)`` when it cannot be written (or exists).
    public func writeAerJSON(toPath path: String, overwrite: Bool = false) throws {
        do throws(AtomicFileError) {
            try AtomicFile.write(aerJSON(), toPath: path, replacing: overwrite)
        } catch {
            throw NoiseError.file(path: path, location: "writing", message: error.reason)
        }
    }
}

/// The reader's state: the file name, for messages.
struct AerJSONReader {
    let source: String

    func fail(_ location: String, _ message: String) -> NoiseError {
        NoiseError.file(path: source, location: location, message: message)
    }

    static func kind(_ value: Any) -> String {
        switch value {
        case is String: "a string"
        case is [Any]: "a list"
        case is [String: Any]: "an object"
        case is NSNull: "null"
        case is NSNumber: "a number"
        default: "\(type(of: value))"
        }
    }

    /// Names in the file (operations and error instructions) that Verdant lacks, all at once.
    func checkNames(_ errors: [Any]) throws {
        var unknown = Set<String>()
        let errorOps = Set(["pauli", "kraus", "unitary", "reset", "diagonal"])
        for entry in errors {
            guard let e = entry as? [String: Any] else { continue }
            for name in (e["operations"] as? [Any] ?? []).compactMap({ $0 as? String })
            where !NoiseModel.knownInstructions.contains(name) {
                unknown.insert(name)
            }
            for circuit in e["instructions"] as? [Any] ?? [] {
                for instruction in circuit as? [Any] ?? [] {
                    guard let name = (instruction as? [String: Any])?["name"] as? String else { continue }
                    if errorOps.contains(name) { continue }
                    // A measurement inside an error (not as the error's instruction) is not applied.
                    if name == "measure" { unknown.insert("measure (inside an error)") }
                    else if !NoiseModel.knownInstructions.contains(name) { unknown.insert(name) }
                }
            }
        }
        if !unknown.isEmpty {
            throw NoiseError.unsupportedInstructions(path: source, names: unknown.sorted(), known: NoiseModel.knownInstructions)
        }
    }

    func number(_ value: Any?, _ location: String) throws -> Double {
        // (JSONSerialization on Linux gives true and false as NSNumber too: they read as 1 and 0.)
        guard let n = value as? NSNumber else {
            throw fail(location, "expected a number, found \(value.map(Self.kind) ?? "nothing")")
        }
        // JSONSerialization on Linux keeps long decimals as NSDecimalNumber, whose doubleValue is
        // off by a few ulps; its exact decimal text converts correctly rounded.
        if let decimal = n as? NSDecimalNumber, let exact = Double(decimal.stringValue) { return exact }
        return n.doubleValue
    }

    func integer(_ value: Any?, _ location: String) throws -> Int {
        let x = try number(value, location)
        guard x == x.rounded(), abs(x) < 1e15 else { throw fail(location, "expected a whole number, found \(x)") }
        return Int(x)
    }

    func list(_ value: Any?, _ location: String) throws -> [Any] {
        guard let l = value as? [Any] else { throw fail(location, "expected a list, found \(value.map(Self.kind) ?? "nothing")") }
        return l
    }

    /// A complex number: [re, im] or a plain real number.
    func complex(_ value: Any?, _ location: String) throws -> Complex<Double> {
        if let pair = value as? [Any] {
            guard pair.count == 2 else { throw fail(location, "expected a complex number [re, im], found a list of \(pair.count)") }
            return Complex(try number(pair[0], location + "[0]"), try number(pair[1], location + "[1]"))
        }
        return Complex(try number(value, location), 0)
    }

    /// A square matrix of complex numbers (a list of rows).
    func matrix(_ value: Any?, _ location: String) throws -> [Complex<Double>] {
        let rows = try list(value, location)
        var entries: [Complex<Double>] = []
        for (r, row) in rows.enumerated() {
            let items = try list(row, "\(location)[\(r)]")
            guard items.count == rows.count else {
                throw fail("\(location)[\(r)]", "expected a row of \(rows.count) entries (a square matrix), found \(items.count)")
            }
            for (c, item) in items.enumerated() { entries.append(try complex(item, "\(location)[\(r)][\(c)]")) }
        }
        return entries
    }

    func qubitList(_ value: Any?, _ location: String) throws -> [Int] {
        let items = try list(value, location)
        let qubits = try items.enumerated().map { try integer($1, "\(location)[\($0)]") }
        guard !qubits.isEmpty, qubits.allSatisfy({ $0 >= 0 }), Set(qubits).count == qubits.count else {
            throw fail(location, "expected distinct qubit indices ≥ 0, found \(qubits)")
        }
        return qubits
    }

    /// Wraps a channel error with the location it came from.
    func at<T>(_ location: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as NoiseError {
            if case .file = error { throw error }
            throw fail(location, error.description)
        } catch let error as QuantumError {
            throw fail(location, error.description)
        }
    }

    /// One instruction of an error term.
    func operation(_ value: Any, _ location: String) throws -> ChannelOperation {
        guard let object = value as? [String: Any] else { throw fail(location, "expected an instruction object, found \(Self.kind(value))") }
        guard let name = object["name"] as? String else { throw fail(location + ".name", "expected the instruction's name") }
        let qubits = try qubitList(object["qubits"], location + ".qubits")
        let params = object["params"] as? [Any] ?? []
        let paramsAt = location + ".params"
        func expectWidth(_ k: Int) throws {
            guard qubits.count == k else { throw fail(location + ".qubits", "'\(name)' here acts on \(k) qubit\(k == 1 ? "" : "s"), found \(qubits.count)") }
        }
        switch name {
        case "pauli":
            guard var label = params.first as? String else { throw fail(paramsAt, "expected [label] (a Pauli string such as \"IX\")") }
            for prefix in ["-i", "+i", "-", "+", "i"] where label.hasPrefix(prefix) {
                label.removeFirst(prefix.count)
                break
            }
            guard !label.isEmpty, label.allSatisfy({ "IXYZ".contains($0) }) else {
                throw fail(paramsAt + "[0]", "'\(label)' is not a Pauli string (characters I, X, Y, Z)")
            }
            try expectWidth(label.count)
            return .pauli(label, qubits: qubits)
        case "kraus":
            let ops = try params.enumerated().map { n, m in try at("\(paramsAt)[\(n)]") { try QuantumChannel.squareMatrix(try matrix(m, "\(paramsAt)[\(n)]"), what: "a Kraus operator") } }
            guard let first = ops.first else { throw fail(paramsAt, "expected at least one Kraus matrix") }
            try expectWidth(first.dimension.trailingZeroBitCount)
            guard ops.allSatisfy({ $0.dimension == first.dimension }) else { throw fail(paramsAt, "Kraus matrices of different sizes") }
            try at(paramsAt) { try QuantumChannel.checkComplete(ops) }
            return .kraus(ops, qubits: qubits)
        case "unitary":
            guard let m = params.first else { throw fail(paramsAt, "expected [matrix]") }
            let u = try at(paramsAt + "[0]") { try QuantumChannel.squareMatrix(try matrix(m, paramsAt + "[0]"), what: "the unitary") }
            try expectWidth(u.dimension.trailingZeroBitCount)
            let deviation = u.unitarityDeviation()
            guard deviation <= 1e-8 else { throw fail(paramsAt + "[0]", QuantumError.notUnitary(dimension: u.dimension, deviation: deviation).description) }
            return .unitary(u, qubits: qubits)
        case "diagonal":
            let entries = try params.enumerated().map { try complex($1, "\(paramsAt)[\($0)]") }
            guard entries.count == 1 << qubits.count, entries.allSatisfy({ abs($0.length - 1) <= 1e-8 }) else {
                throw fail(paramsAt, "expected \(1 << qubits.count) entries of modulus 1 (a diagonal unitary)")
            }
            return .unitary(.diagonal(entries), qubits: qubits)
        case "reset":
            try expectWidth(1)
            return .reset(qubit: qubits[0])
        default:
            guard let kind = GateKind.standard.first(where: { $0.name == name }) else {
                throw fail(location + ".name", "unknown instruction '\(name)'")
            }
            try expectWidth(kind.numQubits)
            let angles = try params.enumerated().map { try number($1, "\(paramsAt)[\($0)]") }
            let gate = try at(location) { try Gate(kind, angles) }
            return .gate(gate, qubits: qubits)
        }
    }

    /// Adds one entry of the "errors" list to the model.
    func add(_ value: Any, at location: String, to model: inout NoiseModel) throws {
        guard let entry = value as? [String: Any] else { throw fail(location, "expected an error object, found \(Self.kind(value))") }
        guard let type = entry["type"] as? String, type == "qerror" || type == "roerror" else {
            throw fail(location + ".type", "expected \"qerror\" or \"roerror\", found \(entry["type"].map { "\($0)" } ?? "nothing")")
        }
        let operations = try list(entry["operations"], location + ".operations").enumerated().map { n, v -> String in
            guard let s = v as? String else { throw fail("\(location).operations[\(n)]", "expected an instruction name") }
            return s
        }
        guard !operations.isEmpty else { throw fail(location + ".operations", "expected at least one instruction name") }
        var qubitSets: [[Int]?] = [nil]
        if let gq = entry["gate_qubits"], !(gq is NSNull) {
            let sets = try list(gq, location + ".gate_qubits")
            qubitSets = try sets.enumerated().map { try qubitList($1, "\(location).gate_qubits[\($0)]") }
            if qubitSets.isEmpty { qubitSets = [nil] }
        }
        if let nq = entry["noise_qubits"] as? [Any], !nq.isEmpty {
            let noise = try nq.enumerated().map { try qubitList($1, "\(location).noise_qubits[\($0)]") }
            if noise.map(Optional.some) != qubitSets {
                throw fail(location + ".noise_qubits", "non-local errors (noise on qubits other than the instruction's) are not supported "
                           + "(Aer removed them too); attach the error to the instruction's own qubits")
            }
        }
        if type == "roerror" {
            guard operations == ["measure"] else { throw fail(location + ".operations", "a readout error applies to [\"measure\"], found \(operations)") }
            let rows = try list(entry["probabilities"], location + ".probabilities").enumerated().map { r, row in
                try list(row, "\(location).probabilities[\(r)]").enumerated().map { try number($1, "\(location).probabilities[\(r)][\($0)]") }
            }
            let error = try at(location + ".probabilities") { try ReadoutError(rows) }
            for qubits in qubitSets { try at(location + ".gate_qubits") { try model.add(error, qubits: qubits) } }
            return
        }
        let circuits = try list(entry["instructions"], location + ".instructions")
        let probabilities = try list(entry["probabilities"], location + ".probabilities").enumerated().map {
            try number($1, "\(location).probabilities[\($0)]")
        }
        guard circuits.count == probabilities.count, !circuits.isEmpty else {
            throw fail(location, "expected one probability per instruction list; found \(circuits.count) lists and \(probabilities.count) probabilities")
        }
        var terms: [[ChannelOperation]] = []
        for (c, circuit) in circuits.enumerated() {
            let items = try list(circuit, "\(location).instructions[\(c)]")
            terms.append(try items.enumerated().map { try operation($1, "\(location).instructions[\(c)][\($0)]") })
        }
        var width = terms.flatMap { $0.flatMap(\.qubits) }.max().map { $0 + 1 } ?? 1
        if let first = qubitSets.first, let q = first { width = max(width, q.count) }
        let checked = try at(location + ".probabilities") {
            try QuantumChannel.checkedProbabilities(probabilities, subject: "error terms")
        }
        let channel = QuantumChannel(numQubits: width, mixture: Array(zip(checked, terms)))
        for qubits in qubitSets {
            try at(location) { try model.add(channel, on: operations, qubits: qubits) }
        }
    }
}

/// Operations as Aer's JSON writes them (numbers in Swift's shortest round-trip form, so a
/// written model reads back to an equal one).
enum AerJSONWriter {
    static func complex(_ z: Complex<Double>) -> JSONValue { .array([.number(z.real), .number(z.imaginary)]) }

    static func matrix(_ m: SmallMatrix) -> JSONValue {
        .array((0..<m.dimension).map { r in .array((0..<m.dimension).map { c in complex(m[r, c]) }) })
    }

    static func qubits(_ q: [Int]) -> JSONValue { .array(q.map { .integer($0) }) }

    static func operation(_ op: ChannelOperation) -> JSONValue {
        switch op {
        case .gate(let gate, let q):
            var members: [(String, JSONValue)] = [("name", .string(gate.name)), ("qubits", qubits(q))]
            if !gate.parameters.isEmpty { members.append(("params", .array(gate.parameters.map { .number($0.value ?? 0) }))) }
            return .object(members)
        case .pauli(let label, let q):
            return .object([("name", .string("pauli")), ("qubits", qubits(q)), ("params", .array([.string(label)]))])
        case .unitary(let m, let q):
            return .object([("name", .string("unitary")), ("qubits", qubits(q)), ("params", .array([matrix(m)]))])
        case .kraus(let ops, let q):
            return .object([("name", .string("kraus")), ("qubits", qubits(q)), ("params", .array(ops.map(matrix)))])
        case .reset(let q):
            return .object([("name", .string("reset")), ("qubits", qubits([q]))])
        }
    }
}
