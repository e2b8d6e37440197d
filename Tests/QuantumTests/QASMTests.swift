import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// The message of the error `body` throws, or "" when it does not throw.
func errorMessage(_ body: () throws -> Void) -> String {
    do {
        try body()
        return ""
    } catch {
        return "\(error)"
    }
}

@Suite("OpenQASM 2 export and round trip")
struct QASMRoundTripTests {
    @Test("each standard gate exports as a definition that is exact including phase",
          arguments: RandomCircuits.kinds(fitting: 6))
    func standardGateRoundTrip(kind: GateKind) throws {
        var rng = SeededGenerator(seed: 3)
        let width = max(kind.numQubits, 2)
        var circuit = QuantumCircuit(numQubits: width)
        let gate = try RandomCircuits.gate(kind, &rng)
        circuit.append(gate, Array((0..<kind.numQubits).reversed()))
        let text = try circuit.qasm()
        let back = try QuantumCircuit(qasm: text)
        // Exact, not up to phase: definitions carry the global phase.
        let expected = try ReferenceSimulator.unitary(of: circuit)
        let actual = try ReferenceSimulator.unitary(of: back)
        #expect(Distance.max(expected, actual) < 1e-12, "\(kind.name):\n\(text)")
        // Only the original qelib1 gates are called without a definition.
        for line in text.split(separator: "\n") where !line.hasPrefix("gate ") && !line.hasPrefix("OPENQASM")
            && !line.hasPrefix("include") && !line.hasPrefix("qreg") && !line.hasPrefix("creg")
        {
            let name = String(line.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
            #expect(QASMWriter.paperGates.contains(name) || text.contains("gate \(name)"), "\(name) undefined in\n\(text)")
        }
    }

    @Test("arbitrary unitaries export up to a global phase", arguments: [1, 2, 3, 4])
    func unitaryRoundTrip(qubits k: Int) throws {
        var rng = SeededGenerator(seed: UInt64(40 + k))
        for _ in 0..<3 {
            var circuit = QuantumCircuit(numQubits: k + 1)
            let placement = Array((0...k).shuffled(using: &rng).prefix(k))
            circuit.unitary(RandomCircuits.unitary(1 << k, &rng), placement, label: "random")
            let back = try QuantumCircuit(qasm: try circuit.qasm())
            let distance = Distance.maxUpToPhase(try ReferenceSimulator.unitary(of: circuit), try ReferenceSimulator.unitary(of: back))
            #expect(distance < 1e-9, "k = \(k): \(distance)")
        }
    }

    @Test("random circuits with measurements, resets and conditions round-trip instruction by instruction")
    func randomRoundTrip() throws {
        var rng = SeededGenerator(seed: 11)
        for trial in 0..<10 {
            let q = QuantumRegister(3, name: "q"), a = QuantumRegister(2, name: "anc")
            let c = ClassicalRegister(2, name: "c"), d = ClassicalRegister(3, name: "d")
            var circuit = QuantumCircuit(q, a, c, d)
            let gates = try RandomCircuits.circuit(qubits: 5, gates: 25, &rng, includeUnitaries: false)
            circuit = try circuit.compose(gates)
            circuit.measure(q[0], c[1])
            circuit.reset(a[0])
            circuit.conditioned(on: c, equals: trial % 4) { $0.x(a[1]); $0.rz(0.25, q[2]) }
            circuit.barrier(q[0], a[1])
            circuit.measure(a[1], d[2])
            let text = try circuit.qasm()
            let back = try QuantumCircuit(qasm: text)
            #expect(back.numQubits == 5 && back.numClbits == 5)
            #expect(back.quantumRegisters.map(\.description) == ["q[3]", "anc[2]"])
            #expect(back.classicalRegisters.map(\.description) == ["c[2]", "d[3]"])
            // Same unitary part; same non-unitary instructions at the end.
            let unitaryPart = { (c: QuantumCircuit) in
                var copy = c
                copy.instructions = Array(c.instructions.prefix { $0.operation != .measure })
                return copy
            }
            #expect(Distance.max(try ReferenceSimulator.unitary(of: unitaryPart(circuit)),
                                 try ReferenceSimulator.unitary(of: unitaryPart(back))) < 1e-10)
            let tailOriginal = circuit.instructions.drop { $0.operation != .measure }
            let tailBack = back.instructions.drop { $0.operation != .measure }
            #expect(Array(tailOriginal) == Array(tailBack))
            // And the counts of both agree exactly with the same seed.
            #expect(try circuit.run(shots: 200, seed: 5).counts == back.run(shots: 200, seed: 5).counts)
        }
    }

    @Test("register names OpenQASM rejects are renamed; counts keep their order")
    func registerRenaming() throws {
        var circuit = QuantumCircuit(QuantumRegister(1, name: "Q"), ClassicalRegister(1, name: "measure"))
        circuit.x(0)
        circuit.measure(0, 0)
        let text = try circuit.qasm()
        #expect(text.contains("qreg r_Q[1];") && text.contains("creg r_measure[1];"))
        #expect(try QuantumCircuit(qasm: text).run(shots: 10, seed: 1).counts == ["1": 10])
        // A register named like a gate the writer defines (mcz_2) is renamed too.
        let q = QuantumRegister(3, name: "mcz_2")
        var helper = QuantumCircuit(q, ClassicalRegister(3, name: "c"))
        helper.x(0); helper.x(1); helper.x(2)
        helper.mcz([0, 1], 2)
        helper.measure(q, ClassicalRegister(3, name: "c"))
        let exported = try helper.qasm()
        #expect(exported.contains("gate mcz_2 ") && exported.contains("qreg r_mcz_2[3];") && !exported.contains("qreg mcz_2"))
        #expect(try QuantumCircuit(qasm: exported).run(shots: 5, seed: 1).counts == ["111": 5])
    }

    @Test("export errors")
    func exportErrors() {
        var circuit = QuantumCircuit(numQubits: 1)
        circuit.rx(Parameter("θ"), 0)
        #expect(errorMessage { _ = try circuit.qasm() }
            == "cannot export to OpenQASM 2: gate 'rx' has unbound parameters (θ); bind them first")
        let c = ClassicalRegister(2, name: "c")
        var partial = QuantumCircuit(QuantumRegister(1, name: "q"), c)
        var inner = QuantumCircuit(numQubits: 1, numClbits: 1)
        inner.conditioned(on: ClassicalRegister(1, name: "c"), equals: 1) { $0.x(0) }
        partial = (try? partial.compose(inner, qubits: [0], clbits: [1])) ?? partial
        #expect(errorMessage { _ = try partial.qasm() }.contains("is not one whole classical register"))
    }
}

@Suite("OpenQASM 2 import")
struct QASMImportTests {
    let header = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n"

    @Test("the seed's Bell circuit")
    func bell() throws {
        let circuit = try QuantumCircuit(qasm: header + "qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n")
        let counts = try circuit.run(shots: 1000, seed: 1).counts
        #expect(Set(counts.keys) == ["00", "11"])
    }

    @Test("as Qiskit reads them: empty statements, and a barrier that names a qubit twice (one barrier on each qubit)")
    func lenientStatements() throws {
        let circuit = try QuantumCircuit(qasm: "OPENQASM 2.0;;\ninclude \"qelib1.inc\";\n;\nqreg q[2];;\nh q[0];;\nbarrier q, q[0];\n",
                                         file: "lenient.qasm")
        #expect(circuit.numQubits == 2)
        #expect(circuit.instructions.map(\.description) == ["h q0", "barrier q0, q1"])
    }

    @Test("a scheduled circuit's delays (Qiskit's opaque delay and delay_NNN) are waits: read and dropped")
    func delays() throws {
        let body = "qreg q[2];\ncreg c[2];\nh q[0];\ndelay(160.0) q[1];\ncx q[0],q[1];\ndelay_1396876(2272.0) q;\nmeasure q -> c;\n"
        let scheduled = try QuantumCircuit(qasm: "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nopaque delay(param0) q0;\n"
            + "opaque delay_1396876(param0) q0;\n" + body, file: "scheduled.qasm")
        let plain = try QuantumCircuit(qasm: "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n"
            + body.split(separator: "\n").filter { !$0.hasPrefix("delay") }.joined(separator: "\n"), file: "plain.qasm")
        #expect(scheduled.instructions == plain.instructions)
        // A wait called with another arity is refused, naming what it takes.
        #expect(errorMessage {
            _ = try QuantumCircuit(qasm: "OPENQASM 2.0;\nopaque delay(d) a;\nqreg q[2];\ndelay(1, 2) q[0];", file: "f.qasm")
        } == "f.qasm:4:1: 'delay' (a delay) takes 1 duration and 1 qubit, received 2 and 1")
        // Only a one-qubit, one-parameter opaque named delay is a wait; another opaque is still refused.
        #expect(errorMessage {
            _ = try QuantumCircuit(qasm: "OPENQASM 2.0;\nopaque delay_x(d) a;\nqreg q[1];\ndelay_x(1) q[0];", file: "f.qasm")
        } == "f.qasm:4:1: gate 'delay_x' is declared opaque (line 2): it has no body, so it cannot be simulated")
    }

    @Test("expressions: precedence, functions, right-associative powers, unary minus")
    func expressions() throws {
        let cases: [(String, Double)] = [
            ("pi/2", .pi / 2), ("-pi^2", -(Double.pi * Double.pi)), ("2^3^2", 512), ("2^-1", 0.5), ("-2*-3", 6),
            ("1+2*3", 7), ("(1+2)*3", 9), ("sin(pi/2)+cos(0)", 2), ("tan(0.3)", tan(0.3)), ("exp(1)", M_E),
            ("ln(2)", log(2.0)), ("sqrt(2)", 2.0.squareRoot()), ("+1.5e-1", 0.15), (".5", 0.5), ("2.", 2), ("6/4/3", 0.5),
        ]
        for (text, value) in cases {
            let circuit = try QuantumCircuit(qasm: header + "qreg q[1];\nrz(\(text)) q[0];\n")
            let angle = try #require(circuit.instructions.first?.gate?.parameters.first?.value)
            #expect(abs(angle - value) < 1e-12, "\(text) = \(angle), expected \(value)")
        }
    }

    @Test("user gates with parameters, nesting and broadcast over registers")
    func userGates() throws {
        let text = header + """
            gate g(a, b) x, y { rx(a*2) x; cx x, y; ry(-b/2) y; }
            gate h2(t) p, q { g(t, t+1) p, q; barrier p, q; g(0, t) q, p; }
            qreg r[2];
            qreg s[2];
            h2(0.3) r, s;
            """
        let circuit = try QuantumCircuit(qasm: text)
        var expected = QuantumCircuit(QuantumRegister(2, name: "r"), QuantumRegister(2, name: "s"))
        for (p, q) in [(0, 2), (1, 3)] {
            expected.rx(0.6, p); expected.cx(p, q); expected.ry(-1.3 / 2, q)
            expected.barrier(p, q)
            expected.rx(0, q); expected.cx(q, p); expected.ry(-0.15, p)
        }
        #expect(Distance.max(try ReferenceSimulator.unitary(of: circuit), try ReferenceSimulator.unitary(of: expected)) < 1e-12)
        #expect(circuit.countOps()["barrier"] == 2)
    }

    @Test("a file may define gates that Qiskit's extended qelib1 adds; its definition wins")
    func extendedGateShadowing() throws {
        // Defining sx as the identity is silly, but it must be honoured.
        let circuit = try QuantumCircuit(qasm: header + "gate sx a { id a; }\nqreg q[1];\nsx q[0];\n")
        #expect(circuit.countOps() == ["id": 1])
    }

    @Test("includes: qelib1 is built in, other files are read relative to the including file")
    func includes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-include-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "gate bell a, b { h a; cx a, b; }\n".write(to: directory.appendingPathComponent("mine.inc"), atomically: true, encoding: .utf8)
        let main = directory.appendingPathComponent("main.qasm")
        try (header + "include \"mine.inc\";\nqreg q[2];\nbell q[0], q[1];\n").write(to: main, atomically: true, encoding: .utf8)
        let circuit = try QuantumCircuit(qasmFile: main.path)
        #expect(circuit.countOps() == ["h": 1, "cx": 1])
        try (header + "include \"main.qasm\";\n").write(to: directory.appendingPathComponent("loop.inc"), atomically: true, encoding: .utf8)
        try (header + "include \"loop.inc\";\n").write(to: main, atomically: true, encoding: .utf8)
        #expect(errorMessage { _ = try QuantumCircuit(qasmFile: main.path) }.contains("is included recursively"))
        // An included file's own includes are read beside it, not beside the main file (an audit
        // found sub/lib.inc's include "lib2.inc" looked up in the main file's folder).
        let sub = directory.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try "include \"lib2.inc\";\n".write(to: sub.appendingPathComponent("lib.inc"), atomically: true, encoding: .utf8)
        try "gate flip a { x a; }\n".write(to: sub.appendingPathComponent("lib2.inc"), atomically: true, encoding: .utf8)
        try (header + "include \"sub/lib.inc\";\nqreg q[1];\nflip q[0];\n").write(to: main, atomically: true, encoding: .utf8)
        #expect(try QuantumCircuit(qasmFile: main.path).countOps() == ["x": 1])
        // An included file may carry a header, of version 2.0 only.
        try "OPENQASM 3.0;\ngate flip a { x a; }\n".write(to: sub.appendingPathComponent("lib2.inc"), atomically: true, encoding: .utf8)
        #expect(errorMessage { _ = try QuantumCircuit(qasmFile: main.path) }.contains("lib2.inc:1:10: unsupported OpenQASM version 3.0"))
        #expect(QuantumCircuit.includeDirectory(ofFile: "/dev/fd/63") == FileManager.default.currentDirectoryPath)
        #expect(QuantumCircuit.includeDirectory(ofFile: "a/b.qasm") == "a" && QuantumCircuit.includeDirectory(ofFile: "b.qasm") == ".")
    }

    /// Every OpenQASM error of the catalogue, with its position and message.
    static let errorCases: [(String, String)] = [
        ("qreg q[1];", "bell.qasm:1:1: expected the header 'OPENQASM 2.0;', found 'qreg'"),
        ("OPENQASM 3.0;", "bell.qasm:1:10: unsupported OpenQASM version 3.0; Verdant reads OpenQASM 2.0"),
        // Qiskit's qasm3.dumps: refused by its version, not by the `=` the lexer does not know.
        ("// from qiskit.qasm3.dumps; Bell\nOPENQASM 3.0;\ninclude \"stdgates.inc\";\nbit[2] c;\nqubit[2] q;\nh q[0];\nc[0] = measure q[0];",
         "bell.qasm:2:10: unsupported OpenQASM version 3.0; Verdant reads OpenQASM 2.0"),
        ("OPENQASM 2.0;\nqreg q[2];\nh q[0];", "bell.qasm:3:1: unknown gate 'h'; it is defined in qelib1.inc: add 'include \"qelib1.inc\";' after the header"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncxx q[0],q[1];", "bell.qasm:4:1: unknown gate 'cxx'; did you mean 'cx'?"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nfoo q[0];", "bell.qasm:4:1: unknown gate 'foo'"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg qubits[2];\nh qubit[0];", "bell.qasm:4:3: unknown quantum register 'qubit'; did you mean 'qubits'?"),
        ("OPENQASM 2.0;\nqreg q[2];\nqreg q[3];", "bell.qasm:3:6: register 'q' is already declared on line 2"),
        ("OPENQASM 2.0;\nqreg q[0];", "bell.qasm:2:8: register 'q' must have at least 1 element, received 0"),
        ("OPENQASM 2.0;\nqreg q[1.5];", "bell.qasm:2:8: expected the register size (an integer), found '1.5'"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[2];", "bell.qasm:4:3: index 2 is out of range for q[2] (valid: 0...1)"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh r[0];", "bell.qasm:4:3: unknown quantum register 'r' (declared: q)"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh c[0];", "bell.qasm:5:3: 'c' is a classical register; expected a quantum register"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncx q[0],q[0];", "bell.qasm:4:1: the qubits of 'cx' must be distinct; one qubit appears twice"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncx q[0],q[1],q[2];", "bell.qasm:4:1: gate 'cx' acts on 2 qubits, received 3"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nrx(1,2) q[0];", "bell.qasm:4:1: gate 'rx' takes 1 parameter, received 2"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nqreg r[3];\ncx q, r;", "bell.qasm:5:1: 'cx' is applied to registers of different sizes (q[2], r[3])"),
        ("OPENQASM 2.0;\nqreg q[2];\ncreg c[3];\nmeasure q -> c;", "bell.qasm:4:1: measure: q has 2 qubits but c has 3 bits"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nopaque magic q;\nqreg q[1];\nmagic q[0];", "bell.qasm:5:1: gate 'magic' is declared opaque (line 3): it has no body, so it cannot be simulated"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate h a { x a; }", "bell.qasm:3:6: gate 'h' is already defined by qelib1.inc"),
        ("OPENQASM 2.0;\ngate g a { U(0,0,0) a; }\ngate g a { U(0,0,0) a; }", "bell.qasm:3:6: gate 'g' is already defined on line 2"),
        ("OPENQASM 2.0;\ngate g(t) a { U(s,0,0) a; }", "bell.qasm:2:17: unknown parameter 's' (this gate's parameters: t)"),
        ("OPENQASM 2.0;\ngate g a { CX a, b; }", "bell.qasm:2:18: 'b' is not a qubit of gate 'g' (its qubits: a)"),
        ("OPENQASM 2.0;\ngate g a { CX a[0], a; }", "bell.qasm:2:16: inside a gate body qubits are named without an index ('a', not 'a[…]')"),
        ("OPENQASM 2.0;\ngate g a { f a; }", "bell.qasm:2:12: unknown gate 'f'"),
        ("OPENQASM 2.0;\ngate g(a, a) b { }", "bell.qasm:2:6: gate 'g' declares parameter 'a' twice"),
        ("OPENQASM 2.0;\ngate g a, a { }", "bell.qasm:2:6: gate 'g' declares qubit 'a' twice"),
        ("OPENQASM 2.0;\nqreg q[1];\nU(foo(1),0,0) q[0];", "bell.qasm:3:3: unknown function 'foo' (valid: sin, cos, tan, exp, ln, sqrt)"),
        ("OPENQASM 2.0;\nqreg q[1];\nU(x,0,0) q[0];", "bell.qasm:3:3: unknown name 'x' in an expression (outside a gate body only numbers, pi and functions are allowed)"),
        ("OPENQASM 2.0;\nqreg q[1];\nU(1/0,0,0) q[0];", "bell.qasm:3:1: an angle evaluates to inf (division by zero or a function outside its domain)"),
        ("OPENQASM 2.0;\nqreg q[1];\nU(,0,0) q[0];", "bell.qasm:3:3: expected a number, 'pi', a parameter or '(', found ','"),
        ("OPENQASM 2.0;\nqreg q[1]", "bell.qasm:2:10: expected ';' after the register declaration, found the end of the file"),
        ("OPENQASM 2.0;\nqreg q[1];\nU(0,0,0) q[0] @", "bell.qasm:3:15: unexpected character '@'"),
        ("OPENQASM 2.0;\ninclude \"qelib1.inc", "bell.qasm:2:9: unterminated string: expected a closing '\"' on the same line"),
        ("OPENQASM 2.0;\ninclude \"nope.inc\";", "bell.qasm:2:9: cannot include \"nope.inc\": cannot read '/nonexistent/nope.inc': no such file"),
        ("OPENQASM 2.0;\nqreg q[1];\ncreg c[2];\nif (c == 4) U(0,0,0) q[0];", "bell.qasm:4:10: condition value 4 does not fit register c[2] (valid: 0...3)"),
        ("OPENQASM 2.0;\nqreg q[1];\nif (q == 1) U(0,0,0) q[0];", "bell.qasm:3:5: 'q' is a quantum register; 'if' compares a classical register"),
        ("OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nif (c == 1) barrier q;", "bell.qasm:4:1: 'if' must be followed by one quantum operation (a gate, measure or reset), found 'barrier'"),
        ("OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nmeasure c[0] -> q[0];", "bell.qasm:4:9: 'c' is a classical register; expected a quantum register"),
        ("OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> d[0];", "bell.qasm:4:17: unknown classical register 'd' (declared: c)"),
        ("OPENQASM 2.0;\nOPENQASM 2.0;", "bell.qasm:2:1: the 'OPENQASM' header may appear only once, at the start"),
        ("OPENQASM 2.0;\n+;", "bell.qasm:2:1: expected a statement (a gate, qreg, creg, measure, …), found '+'"),
        ("OPENQASM 2.0;\nqreg q[99999999999999999999];", "bell.qasm:2:8: integer '99999999999999999999' is too large (the largest is 9223372036854775807)"),
        ("OPENQASM 2.0;\ngate g a { reset a; }", "bell.qasm:2:12: 'reset' cannot appear in the body of gate 'g': a gate body holds only gate calls and barriers (OpenQASM 2 gates are unitary)"),
        ("OPENQASM 2.0;\ngate g a { U(0,0,0) a; g a; }", "bell.qasm:2:24: gate 'g' calls itself: OpenQASM 2 gates cannot be recursive (a body may call only gates defined before it)"),
        ("OPENQASM 2.0;\ngate g(sin) a { U(sin,0,0) a; }", "bell.qasm:2:8: 'sin' cannot be a parameter name of gate 'g': it is a reserved word of OpenQASM 2 (OPENQASM, barrier, cos, creg, exp, gate, if, include, ln, measure, opaque, pi, qreg, reset, sin, sqrt, tan)"),
        // Names and numbers Qiskit's reader refuses (qiskit.qasm2.loads, checked on this machine).
        ("OPENQASM 2.0;\nqreg gate[1];", "bell.qasm:2:6: 'gate' cannot be a register name: it is a reserved word of OpenQASM 2 (OPENQASM, barrier, cos, creg, exp, gate, if, include, ln, measure, opaque, pi, qreg, reset, sin, sqrt, tan)"),
        ("OPENQASM 2.0;\ncreg pi[2];", "bell.qasm:2:6: 'pi' cannot be a register name: it is a reserved word of OpenQASM 2 (OPENQASM, barrier, cos, creg, exp, gate, if, include, ln, measure, opaque, pi, qreg, reset, sin, sqrt, tan)"),
        ("OPENQASM 2.0;\ngate g a, measure { }", "bell.qasm:2:11: 'measure' cannot be a qubit name of gate 'g': it is a reserved word of OpenQASM 2 (OPENQASM, barrier, cos, creg, exp, gate, if, include, ln, measure, opaque, pi, qreg, reset, sin, sqrt, tan)"),
        ("OPENQASM 2.0;\ngate sqrt a { }", "bell.qasm:2:6: 'sqrt' cannot be a gate name: it is a reserved word of OpenQASM 2 (OPENQASM, barrier, cos, creg, exp, gate, if, include, ln, measure, opaque, pi, qreg, reset, sin, sqrt, tan)"),
        ("OPENQASM 2.0;\nqreg q[1];\nU(007,0,0) q[0];", "bell.qasm:3:3: integer '007' has a leading zero, which OpenQASM 2 does not allow: write 7"),
        ("OPENQASM 2.0;\nqreg q[00];", "bell.qasm:2:8: integer '00' has a leading zero, which OpenQASM 2 does not allow: write 0"),
    ]

    @Test("every error names the file, line and column, what was found and what is valid",
          arguments: errorCases.indices)
    func errors(index: Int) {
        let (text, expected) = QASMImportTests.errorCases[index]
        let message = errorMessage { _ = try QuantumCircuit(qasm: text, file: "bell.qasm", directory: "/nonexistent") }
        #expect(message == expected)
    }

    @Test("a file from a pipe (`verdant run <(…)`) or an empty device is read like any other")
    func pipesAndDevices() throws {
        let text = "OPENQASM 2.0;\nqreg q[1];\nU(0.5,0,0) q[0];\n"
        let circuit = try withPipe(containing: Data(text.utf8)) { try QuantumCircuit(qasmFile: $0) }
        #expect(circuit.instructions.map(\.gate) == (try QuantumCircuit(qasm: text)).instructions.map(\.gate))
        #expect(errorMessage { _ = try QuantumCircuit(qasmFile: "/dev/null") }
            == "/dev/null:1:1: expected the header 'OPENQASM 2.0;', found the end of the file")
        #expect(errorMessage { _ = try QuantumCircuit(qasmFile: "/") } == "cannot read '/': it is a directory")
    }

    @Test("reals and exponents may have leading zeros, as Qiskit reads them; 0 is an integer")
    func leadingZerosOfReals() throws {
        let circuit = try QuantumCircuit(qasm: "OPENQASM 2.0;\nqreg q[1];\nU(00.5,0e007,0) q[0];\nU(0,1e-007,0) q[0];")
        #expect(circuit.instructions.count == 2)
        let reference = try QuantumCircuit(qasm: "OPENQASM 2.0;\nqreg q[1];\nU(0.5,0,0) q[0];\nU(0,1e-7,0) q[0];")
        #expect(circuit.instructions.map(\.gate) == reference.instructions.map(\.gate))
    }

    @Test("deep or long expressions fail cleanly instead of exhausting the stack")
    func hostileExpressions() {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        #expect(errorMessage { _ = try QuantumCircuit(qasm: "OPENQASM 2.0;\nqreg q[1];\nU(\(deep),0,0) q[0];") }
            .contains("nested too deeply"))
        let long = Array(repeating: "1", count: 5000).joined(separator: "+")
        #expect(errorMessage { _ = try QuantumCircuit(qasm: "OPENQASM 2.0;\nqreg q[1];\nU(\(long),0,0) q[0];") }
            .contains("expression is too long"))
        let powers = Array(repeating: "1", count: 5000).joined(separator: "^")
        #expect(!errorMessage { _ = try QuantumCircuit(qasm: "OPENQASM 2.0;\nqreg q[1];\nU(\(powers),0,0) q[0];") }.isEmpty)
        let minus = String(repeating: "-", count: 5000) + "1"
        #expect(errorMessage { _ = try QuantumCircuit(qasm: "OPENQASM 2.0;\nqreg q[1];\nU(\(minus),0,0) q[0];") }
            .contains("nested too deeply"))
    }

    @Test("an exponential expansion of nested gates is refused")
    func expansionBomb() {
        var text = "OPENQASM 2.0;\ngate g0 a { U(0,0,0) a; }\n"
        for level in 1...30 { text += "gate g\(level) a { g\(level - 1) a; g\(level - 1) a; }\n" }
        text += "qreg q[1];\ng30 q[0];\n"
        #expect(errorMessage { _ = try QuantumCircuit(qasm: text) }.contains("expands to more than 10000000 operations"))
    }
}

@Suite("OpenQASM 2 fuzzing (property test)")
struct QASMFuzzTests {
    /// Mutates real programs thousands of times (byte flips, deletions, insertions of tokens,
    /// duplicated and truncated spans). Every result must parse or fail with a positioned error.
    /// More iterations: VERDANT_FUZZ_ITERATIONS=100000 swift test --filter QASMFuzz.
    @Test("thousands of mutated files parse or fail with a positioned message, never crash")
    func mutations() throws {
        let corpus = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("circuits").path)
            .filter { $0.hasSuffix(".qasm") }.sorted()
            .map { try String(contentsOf: fixtures.appendingPathComponent("circuits").appendingPathComponent($0), encoding: .utf8) }
        #expect(corpus.count >= 30)
        let iterations = Int(ProcessInfo.processInfo.environment["VERDANT_FUZZ_ITERATIONS"] ?? "") ?? 3000
        let tokens = ["(", ")", "[", "]", "{", "}", ";", ",", "->", "==", "-", "^", "/", "pi", "gate", "if", "measure",
                      "qreg", "creg", "q", "0", "99999999999999999999", "1e308", "\"", "//", "\n", "opaque", "barrier",
                      "include", "U", "CX", "é", "\u{0}"]
        var rng = SeededGenerator(seed: 2026)
        var parsed = 0, rejected = 0
        for _ in 0..<iterations {
            var bytes = Array(corpus[Int(rng.next() % UInt64(corpus.count))].utf8)
            for _ in 0..<(1 + Int(rng.next() % 4)) where !bytes.isEmpty {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 5 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(contentsOf: Array(tokens[Int(rng.next() % UInt64(tokens.count))].utf8), at: at)
                case 3:
                    let end = min(bytes.count, at + Int(rng.next() % 40))
                    bytes.insert(contentsOf: bytes[at..<end], at: at)
                default: bytes.removeSubrange(at..<bytes.count)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                let circuit = try QuantumCircuit(qasm: text, file: "fuzz.qasm", directory: "/nonexistent")
                parsed += 1
                // What parses must also export and read back.
                if circuit.numQubits <= 10 { _ = try QuantumCircuit(qasm: try circuit.qasm()) }
            } catch let error as QuantumError {
                rejected += 1
                guard case .qasm(let file, let line, let column, let message) = error else {
                    Issue.record("unpositioned error \(error) for:\n\(text)")
                    continue
                }
                #expect(file == "fuzz.qasm" && line >= 1 && column >= 1 && !message.isEmpty)
            }
        }
        #expect(parsed > 0 && rejected > 0)
    }
}
