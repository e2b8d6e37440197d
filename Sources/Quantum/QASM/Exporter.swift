import Foundation

extension QuantumCircuit {
    /// The circuit as OpenQASM 2.0 that Qiskit's `qasm2.loads` (with its default, original
    /// `qelib1.inc`) and Verdant's own importer read.
    ///
    /// Gates of the original `qelib1.inc` are written by name. Every other gate (sx, swap, p, cp,
    /// u, rxx, rzz, iswap, ecr, c3x, multi-controlled gates, …) is written with a `gate`
    /// definition in terms of those, exact including global phase. An arbitrary unitary is written
    /// as a `gate` synthesised from two-level rotations, exact up to a global phase (OpenQASM 2
    /// cannot express the global phase of a whole program).
    /// - Returns: the program text.
    /// - Throws: ``QuantumError/unsupportedExport(_:)`` for unbound parameters or a condition that
    ///   is not a whole classical register; the circuit's validation errors.
    public func qasm() throws -> String {
        try validate()
        var writer = QASMWriter(circuit: self)
        return try writer.write()
    }
}

/// Builds OpenQASM 2 text: definitions first (each once, dependencies before use), then the body.
struct QASMWriter {
    let circuit: QuantumCircuit
    private var definitions: [String] = []
    private var defined = Set<String>()
    private var unitaryCount = 0
    private var qubitNames: [String] = []
    private var clbitNames: [String] = []
    private var registerNames: [String] = []

    init(circuit: QuantumCircuit) {
        self.circuit = circuit
    }

    /// Valid OpenQASM 2 identifiers start with a lowercase letter.
    private static func isValidIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    private static let reserved: Set<String> = [
        "qreg", "creg", "gate", "opaque", "measure", "reset", "barrier", "if", "pi", "include",
        "sin", "cos", "tan", "exp", "ln", "sqrt", "U", "CX",
    ]

    /// Whether a name has the form of a gate this writer may define (`mcx_5`, `mcz_3`,
    /// `mcphase_4`, `unitary_2`): a register must not take it, as Qiskit's reader keeps one namespace.
    static func isHelperGateName(_ name: String) -> Bool {
        for prefix in ["mcx_", "mcz_", "mcphase_", "unitary_"] where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            if !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }) { return true }
        }
        return false
    }

    /// A register name that OpenQASM accepts, unique in the program.
    private mutating func registerName(_ name: String) -> String {
        var candidate = QASMWriter.isValidIdentifier(name) && !QASMWriter.reserved.contains(name) && qelib1Gates[name] == nil
            && !QASMWriter.isHelperGateName(name)
            ? name
            : "r_" + String(name.unicodeScalars.map { Character(("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) ? $0 : "_") })
        var suffix = 1
        let base = candidate
        while registerNames.contains(candidate) {
            candidate = "\(base)_\(suffix)"
            suffix += 1
        }
        registerNames.append(candidate)
        return candidate
    }

    mutating func write() throws -> String {
        var header = ["OPENQASM 2.0;", "include \"qelib1.inc\";"]
        var declarations: [String] = []
        for r in circuit.quantumRegisters {
            let name = registerName(r.name)
            declarations.append("qreg \(name)[\(r.size)];")
            qubitNames += (0..<r.size).map { "\(name)[\($0)]" }
        }
        var classicalRanges: [(name: String, range: Range<Int>)] = []
        for r in circuit.classicalRegisters {
            let name = registerName(r.name)
            declarations.append("creg \(name)[\(r.size)];")
            classicalRanges.append((name, clbitNames.count..<clbitNames.count + r.size))
            clbitNames += (0..<r.size).map { "\(name)[\($0)]" }
        }
        var body: [String] = []
        for instruction in circuit.instructions {
            var prefix = ""
            if let condition = instruction.condition {
                guard let register = classicalRanges.first(where: { Array($0.range) == condition.clbits }) else {
                    throw QuantumError.unsupportedExport(
                        "a condition on classical bits \(condition.clbits) is not one whole classical register "
                            + "(OpenQASM 2 conditions compare a whole register)")
                }
                prefix = "if(\(register.name)==\(condition.value)) "
            }
            let qubits = instruction.qubits.map { qubitNames[$0] }.joined(separator: ",")
            switch instruction.operation {
            case .barrier:
                if !instruction.qubits.isEmpty { body.append("barrier \(qubits);") }
            case .measure:
                body.append(prefix + "measure \(qubitNames[instruction.qubits[0]]) -> \(clbitNames[instruction.clbits[0]]);")
            case .reset:
                body.append(prefix + "reset \(qubits);")
            case .gate(let gate):
                let call = try gateCall(gate)
                body.append(prefix + call + " " + qubits + ";")
            }
        }
        if let name = circuit.name { header.append("// \(name.replacingOccurrences(of: "\n", with: " "))") }
        return (header + definitions + declarations + body).joined(separator: "\n") + "\n"
    }

    /// The gates of the original `qelib1.inc` (the OpenQASM 2 paper's), which every reader knows.
    /// Qiskit 2's `qasm2.loads` knows only these; everything else is written with a definition.
    static let paperGates: Set<String> = [
        "u3", "u2", "u1", "cx", "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry", "rz",
        "cz", "cy", "ch", "ccx", "crz", "cu1", "cu3",
    ]

    /// `name(angles)` for a gate, defining it first if the original qelib1 lacks it.
    private mutating func gateCall(_ gate: Gate) throws -> String {
        let angles: [Double] = try gate.parameters.map { p in
            guard let v = p.value else {
                throw QuantumError.unsupportedExport(
                    "gate '\(gate.name)' has unbound parameters (\(gate.freeParameters.map(\.name).joined(separator: ", "))); bind them first")
            }
            return v
        }
        let name: String
        switch gate.kind {
        case .mcx(let n): name = try multiControlledXName(n)
        case .mcz(let n): name = try defineMultiControlledZ(n)
        case .mcp(let n): name = try defineMultiControlledPhase(n)
        case .unitary: name = try defineUnitary(gate)
        default:
            name = QASMWriter.paperGates.contains(gate.name) ? gate.name : try defineStandard(gate.kind)
        }
        return angles.isEmpty ? name : "\(name)(\(angles.map(formatAngle).joined(separator: ",")))"
    }

    private mutating func define(_ name: String, _ text: @autoclosure () throws -> String) rethrows {
        guard !defined.contains(name) else { return }
        let definition = try text()
        defined.insert(name)
        definitions.append(definition)
    }

    /// Definitions, in terms of the original qelib1 gates, of every other standard gate. Each is
    /// exact including global phase (tests import them back and compare matrices entry by entry).
    private mutating func defineStandard(_ kind: GateKind) throws -> String {
        let name = QASMWriter.exportName(kind)
        switch kind {
        case .u: define(name, "gate u(theta,phi,lambda) a { u3(theta,phi,lambda) a; }")
        case .p: define(name, "gate p(lambda) a { u1(lambda) a; }")
        case .sx: define(name, "gate sx a { h a; s a; h a; }")
        case .sxdg: define(name, "gate sxdg a { h a; sdg a; h a; }")
        case .swap: define(name, "gate swap a,b { cx a,b; cx b,a; cx a,b; }")
        case .cswap: define(name, "gate cswap a,b,c { cx c,b; ccx a,b,c; cx c,b; }")
        case .crx: define(name, "gate crx(theta) a,b { h b; crz(theta) a,b; h b; }")
        case .cry: define(name, "gate cry(theta) a,b { sdg b; h b; crz(theta) a,b; h b; s b; }")
        case .cp: define(name, "gate cp(lambda) a,b { cu1(lambda) a,b; }")
        case .cs: define(name, "gate cs a,b { cu1(pi/2) a,b; }")
        case .csdg: define(name, "gate csdg a,b { cu1(-pi/2) a,b; }")
        case .csx: define(name, "gate csx a,b { h b; cu1(pi/2) a,b; h b; }")
        case .cu: define(name, "gate cu(theta,phi,lambda,gamma) a,b { u1(gamma) a; cu3(theta,phi,lambda) a,b; }")
        case .rxx: define(name, "gate rxx(theta) a,b { h a; h b; cx a,b; rz(theta) b; cx a,b; h a; h b; }")
        case .ryy:
            define(name, "gate ryy(theta) a,b { sdg a; sdg b; h a; h b; cx a,b; rz(theta) b; cx a,b; h a; h b; s a; s b; }")
        case .rzz: define(name, "gate rzz(theta) a,b { cx a,b; rz(theta) b; cx a,b; }")
        case .rzx: define(name, "gate rzx(theta) a,b { h b; cx a,b; rz(theta) b; cx a,b; h b; }")
        case .dcx: define(name, "gate dcx a,b { cx a,b; cx b,a; }")
        case .iswap: define(name, "gate iswap a,b { s a; s b; h a; cx a,b; cx b,a; h b; }")
        case .ecr:
            // (1/√2)(IX − XY) = rzx(π/4) · x(a) · rzx(−π/4), exactly.
            define(name, "gate ecr a,b { h b; cx a,b; rz(pi/4) b; cx a,b; h b; x a; h b; cx a,b; rz(-pi/4) b; cx a,b; h b; }")
        case .rccx:
            define(name, "gate rccx a,b,c { u2(0,pi) c; u1(pi/4) c; cx b,c; u1(-pi/4) c; cx a,c; u1(pi/4) c; cx b,c; "
                + "u1(-pi/4) c; u2(0,pi) c; }")
        case .rc3x:
            define(name, "gate rc3x a,b,c,d { u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; cx a,d; "
                + "u1(pi/4) d; cx b,d; u1(-pi/4) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; u2(0,pi) d; u1(pi/4) d; "
                + "cx c,d; u1(-pi/4) d; u2(0,pi) d; }")
        case .c3sqrtx:
            let phase = try defineMultiControlledPhase(3)
            define(name, "gate c3sqrtx c0,c1,c2,t { h t; \(phase)(pi/2) c0,c1,c2,t; h t; }")
        default:
            // The paper's gates are never defined; nothing else reaches here.
            break
        }
        return name
    }

    /// The OpenQASM name a kind is written with.
    static func exportName(_ kind: GateKind) -> String {
        switch kind {
        case .rc3x: "rc3x"
        case .c3sqrtx: "c3sqrtx"
        default: kind.name
        }
    }

    private func formals(_ controls: Int) -> (list: String, controls: [String], target: String) {
        let names = (0..<controls).map { "c\($0)" }
        return ((names + ["t"]).joined(separator: ","), names, "t")
    }

    /// cx / ccx, or a defined c3x / c4x / `mcx_n`.
    private mutating func multiControlledXName(_ n: Int) throws -> String {
        switch n {
        case 1: return "cx"
        case 2: return "ccx"
        default:
            // c3x and c4x keep qelib1's names; wider ones are mcx_n.
            let name = n == 3 ? "c3x" : n == 4 ? "c4x" : "mcx_\(n)"
            let phase = try defineMultiControlledPhase(n)
            let f = formals(n)
            define(name, "gate \(name) \(f.list) { h t; \(phase)(pi) \(f.list); h t; }")
            return name
        }
    }

    private mutating func defineMultiControlledZ(_ n: Int) throws -> String {
        let phase = try defineMultiControlledPhase(n)
        let f = formals(n)
        define("mcz_\(n)", "gate mcz_\(n) \(f.list) { \(phase)(pi) \(f.list); }")
        return "mcz_\(n)"
    }

    /// mcphase_n(λ) = cu1(λ/2) c_{n−1},t; mcx_{n−1}(c_0…c_{n−2} → c_{n−1}); cu1(−λ/2) c_{n−1},t;
    /// mcx_{n−1}(…); mcphase_{n−1}(λ/2) c_0…c_{n−2},t — exact (Barenco et al. 1995, lemma 7.5).
    private mutating func defineMultiControlledPhase(_ n: Int) throws -> String {
        if n == 1 { return "cu1" }
        let smallerX = try multiControlledXName(n - 1)
        let smallerP = try defineMultiControlledPhase(n - 1)
        let f = formals(n)
        let last = f.controls[n - 1]
        let rest = f.controls.dropLast().joined(separator: ",")
        let body = [
            "cu1(lambda/2) \(last),t;",
            "\(smallerX) \(rest),\(last);",
            "cu1(-lambda/2) \(last),t;",
            "\(smallerX) \(rest),\(last);",
            "\(smallerP)(lambda/2) \(rest),t;",
        ].joined(separator: " ")
        define("mcphase_\(n)", "gate mcphase_\(n)(lambda) \(f.list) { \(body) }")
        return "mcphase_\(n)"
    }

    /// A `gate unitary_N` synthesised from the matrix.
    private mutating func defineUnitary(_ gate: Gate) throws -> String {
        let k = gate.numQubits
        let matrix = SmallMatrix(dimension: 1 << k, entries: gate.unitaryMatrix ?? SmallMatrix.identity(1 << k).entries)
        let steps = UnitarySynthesis.synthesize(matrix)
        var lines: [String] = []
        for (g, qubits) in steps {
            let call = try gateCall(g)
            lines.append(call + " " + qubits.map { "q\($0)" }.joined(separator: ",") + ";")
        }
        unitaryCount += 1
        let name = "unitary_\(unitaryCount)"
        let formals = (0..<k).map { "q\($0)" }.joined(separator: ",")
        let label = gate.label.map { " // \($0.replacingOccurrences(of: "\n", with: " "))" } ?? ""
        define(name, "gate \(name) \(formals) {\(label)\n  " + lines.joined(separator: "\n  ") + "\n}")
        return name
    }
}
