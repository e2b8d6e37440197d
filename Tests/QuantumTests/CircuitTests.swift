import Foundation
import Testing
import _TestSupport
@testable import Quantum

@Suite("Circuits")
struct CircuitTests {
    @Test("conditions on bits no measurement has written are decided: ==0 holds, others never do; later ones stay")
    func unwrittenConditions() throws {
        // An audit found `h q[1]; if(c==0) x q[0];` (no measurement) refused; Aer runs it with c = 0.
        let c = ClassicalRegister(2, name: "c")
        var circuit = QuantumCircuit(QuantumRegister(3, name: "q"), c)
        circuit.h(1)
        circuit.conditioned(on: c, equals: 0) { $0.x(0) }
        circuit.conditioned(on: c, equals: 1) { $0.x(1) }
        circuit.measure(1, 0)
        circuit.conditioned(on: c, equals: 1) { $0.x(2) }
        circuit.measure(2, 1)
        let resolved = circuit.resolvingUnwrittenConditions()
        #expect(resolved.instructions.map(\.description) == ["h q1", "x q0", "measure q1 -> c0", "if([\"c0\", \"c1\"] == 1) x q2", "measure q2 -> c1"])
        for seed: UInt64 in [1, 2] {
            #expect(try resolved.run(shots: 400, seed: seed).counts == circuit.run(shots: 400, seed: seed).counts)
        }
        // Without measurements the final state is pure again, the one Qiskit gives: x on q0 applied.
        var unmeasured = QuantumCircuit(QuantumRegister(2, name: "q"), c)
        unmeasured.h(1)
        unmeasured.conditioned(on: c, equals: 0) { $0.x(0) }
        let probabilities = try unmeasured.resolvingUnwrittenConditions().probabilities()
        #expect(abs(probabilities[1] - 0.5) < 1e-12 && abs(probabilities[3] - 0.5) < 1e-12)
        // A measurement whose bit a later condition reads is not final (it was removed, which left
        // the condition on a bit nothing wrote).
        #expect(circuit.removingFinalMeasurements().instructions.map(\.description)
            == ["h q1", "if([\"c0\", \"c1\"] == 0) x q0", "if([\"c0\", \"c1\"] == 1) x q1", "measure q1 -> c0", "if([\"c0\", \"c1\"] == 1) x q2"])
    }

    @Test("idle qubits removed: active qubits in order, barriers trimmed, classical registers kept, the same counts")
    func removingIdleQubits() throws {
        // Qubits 1 and 4 of 6 act; a classical register named q forces another quantum name.
        let q = QuantumRegister(6, name: "r"), c = ClassicalRegister(2, name: "q")
        var circuit = QuantumCircuit(q, c)
        circuit.ry(0.7, 4)
        circuit.barrier()
        circuit.cx(4, 1)
        circuit.measure(4, 0)
        circuit.conditioned(on: c, equals: 1) { $0.x(1) }
        circuit.measure(1, 1)
        #expect(circuit.activeQubits == [1, 4])
        let (compact, qubits) = try #require(try circuit.removingIdleQubits())
        #expect(qubits == [1, 4])
        #expect(compact.numQubits == 2 && compact.numClbits == 2)
        #expect(compact.quantumRegisters.map(\.name) == ["q_"] && compact.classicalRegisters == [c])
        #expect(compact.instructions.count == circuit.instructions.count)
        #expect(compact.instructions.map(\.qubits) == [[1], [0, 1], [1, 0], [1], [0], [0]])
        #expect(compact.instructions[4].condition == circuit.instructions[4].condition)
        for seed: UInt64 in [1, 2, 3] {
            #expect(try compact.run(shots: 500, seed: seed).counts == circuit.run(shots: 500, seed: seed).counts)
        }
        // Nothing to remove: nil.
        var full = QuantumCircuit(numQubits: 2)
        full.h(0)
        full.cx(0, 1)
        #expect(try full.removingIdleQubits() == nil)
    }

    @Test("the seed's example works as written")
    func seedExample() throws {
        let q = QuantumRegister(2, name: "q"); let c = ClassicalRegister(2, name: "c")
        var circuit = QuantumCircuit(q, c)
        circuit.h(q[0]); circuit.cx(q[0], q[1]); circuit.measure(q, c)
        let result = try circuit.run(shots: 1024, seed: 7)
        #expect(Set(result.counts.keys) == ["00", "11"])
        #expect(result.counts.values.reduce(0, +) == 1024)
        #expect(abs(Double(result.counts["00"] ?? 0) - 512) < 5 * 16)
        // The same seed gives the same counts, whatever the thread count or precision.
        #expect(try circuit.run(shots: 1024, seed: 7, simulator: Simulator(threads: 1)).counts == result.counts)
        #expect(try circuit.run(shots: 1024, seed: 7, simulator: Simulator(precision: .single)).counts == result.counts)
        #expect(try circuit.run(shots: 1024, seed: 8).counts != result.counts)
    }

    @Test("the README's Swift example runs as written")
    func readmeExample() throws {
        let q = QuantumRegister(2, name: "q"); let c = ClassicalRegister(2, name: "c")
        var circuit = QuantumCircuit(q, c)
        circuit.h(q[0]); circuit.cx(q[0], q[1]); circuit.measure(q, c)
        let result = try circuit.run(shots: 1024, seed: 7)
        #expect(result.counts == ["00": 496, "11": 528])

        let theta = Parameter("θ")
        var ansatz = QuantumCircuit(numQubits: 2)
        ansatz.ry(theta, 0); ansatz.cx(0, 1)
        let compiled = try Simulator().compile(ansatz)
        let energy = try compiled.expectation(PauliSum("0.5*ZZ - 1.2*XI"), binding: [theta: 0.3])
        // ry(θ)|0⟩ then CNOT: ⟨ZZ⟩ = 1, ⟨XI⟩ = 0 (X on qubit 1 of a state with equal qubits).
        #expect(abs(energy - 0.5) < 1e-12)
        let qasm = try QuantumCircuit.qft(numQubits: 5).qasm()
        #expect(qasm.hasPrefix("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n"))
    }

    @Test("the library QFT is the discrete Fourier transform", arguments: [1, 2, 3, 4, 5])
    func qftIsDFT(n: Int) throws {
        let unitary = try ReferenceSimulator.unitary(of: .qft(numQubits: n))
        let size = 1 << n
        for row in 0..<size {
            for column in 0..<size {
                let angle = 2 * Double.pi * Double(row * column) / Double(size)
                let expected = Complex(cos(angle), sin(angle)) / Complex(Double(size).squareRoot())
                #expect((unitary[row][column] - expected).length < 1e-12)
            }
        }
    }

    @Test("counts keys follow Qiskit: highest bit first, last register first, space-separated")
    func countsKeyOrder() throws {
        let q = QuantumRegister(3, name: "q")
        let a = ClassicalRegister(1, name: "a"), b = ClassicalRegister(2, name: "b")
        var circuit = QuantumCircuit(q, a, b)
        circuit.x(q[0])             // q0 = 1
        circuit.x(q[2])             // q2 = 1
        circuit.measure(q[0], b[1]) // b = 10
        circuit.measure(q[1], b[0])
        circuit.measure(q[2], a[0]) // a = 1
        #expect(try circuit.run(shots: 10, seed: 1).counts == ["10 1": 10])
        let memory = try circuit.run(shots: 3, seed: 1, memory: true).memory
        #expect(memory == ["10 1", "10 1", "10 1"])
    }

    @Test("integer indices and several registers number qubits in order")
    func indices() throws {
        let a = QuantumRegister(2, name: "a"), b = QuantumRegister(3, name: "b")
        var circuit = QuantumCircuit(a, b)
        circuit.x(b[1])  // qubit 3
        circuit.x(0)     // qubit 0
        let probabilities = try circuit.probabilities()
        #expect(probabilities[0b01001] == 1)
        #expect(circuit.numQubits == 5)
    }

    @Test("depth and countOps match Qiskit's (values from Qiskit 2.6.2)")
    func depthAndCounts() throws {
        // Qiskit 2.6.2: qc = QuantumCircuit(3, 2); qc.h(0); qc.cx(0, 1); qc.barrier(); qc.x(2);
        // qc.measure(0, 0); qc.cz(1, 2) → depth() == 4 (the barrier lines the qubits up);
        // then `with qc.if_test((qc.cregs[0], 1)): qc.x(2)` → depth() == 5.
        var circuit = QuantumCircuit(numQubits: 3, numClbits: 2)
        circuit.h(0); circuit.cx(0, 1); circuit.barrier(); circuit.x(2); circuit.measure(0, 0); circuit.cz(1, 2)
        #expect(circuit.depth() == 4)
        #expect(circuit.countOps() == ["h": 1, "cx": 1, "barrier": 1, "x": 1, "measure": 1, "cz": 1])
        // A condition reads its bits: it waits for the measurement that writes them.
        let c = circuit.classicalRegisters[0]
        circuit.conditioned(on: c, equals: 1) { $0.x(2) }
        #expect(circuit.depth() == 5)
        #expect(QuantumCircuit(numQubits: 2).depth() == 0)
    }

    @Test("compose maps qubits and bits; inverse undoes the circuit")
    func composeAndInverse() throws {
        var rng = SeededGenerator(seed: 9)
        let base = try RandomCircuits.circuit(qubits: 4, gates: 30, &rng)
        let undone = try base.compose(try base.inverse())
        let identity = try ReferenceSimulator.unitary(of: undone)
        #expect(Distance.max(identity, ReferenceGates.identity(16)) < 1e-10)

        var small = QuantumCircuit(numQubits: 2, numClbits: 1)
        small.x(0); small.cx(0, 1); small.measure(1, 0)
        var wide = QuantumCircuit(numQubits: 4, numClbits: 2)
        wide = try wide.compose(small, qubits: [3, 1], clbits: [1])
        #expect(wide.instructions.map(\.qubits) == [[3], [3, 1], [1]])
        #expect(wide.instructions.last?.clbits == [1])
        #expect(errorMessage { _ = try wide.compose(small, qubits: [0, 0]) }
            == "cannot compose a 2-qubit circuit onto qubits [0, 0] of a 4-qubit circuit: give 2 distinct indices in 0...3")
        #expect(errorMessage { _ = try wide.compose(small, clbits: [5]) }
            == "cannot compose a circuit with 1 classical bits onto bits [5] of a circuit with 2: give 1 distinct indices in 0...1")
        #expect(errorMessage { _ = try small.inverse() }
            == "cannot invert a circuit that contains 'measure': only unitary gates and barriers have inverses")
    }

    @Test("symbolic parameters: expressions, bind, compile once and bind many times")
    func parameters() throws {
        let theta = Parameter("θ"), phi = Parameter("φ")
        var circuit = QuantumCircuit(numQubits: 2)
        circuit.ry(theta, 0)
        circuit.rz(2 * theta + phi, 1)
        circuit.cx(0, 1)
        circuit.u(theta, -phi, ParameterExpression.sin(theta) / 2, 1)
        #expect(circuit.parameters == [theta, phi])
        let compiled = try Simulator().compile(circuit)
        for (t, p) in [(0.1, 0.2), (1.3, -0.7), (-2.0, 3.0)] {
            let bound = try circuit.bind([theta: t, phi: p])
            #expect(bound.parameters.isEmpty)
            var direct = QuantumCircuit(numQubits: 2)
            direct.ry(t, 0); direct.rz(2 * t + p, 1); direct.cx(0, 1); direct.u(t, -p, sin(t) / 2, 1)
            let expected = try ReferenceSimulator.statevector(of: direct)
            #expect(Distance.max(try compiled.statevector(binding: [theta: t, phi: p]).amplitudes, expected) < 1e-12)
            #expect(Distance.max(try compiled.statevector(values: [t, p]).amplitudes, expected) < 1e-12)
            #expect(Distance.max(try bound.statevector().amplitudes, expected) < 1e-12)
        }
        // Partial binding keeps the rest symbolic; by-name binding works.
        #expect(try circuit.bind([theta: 1]).parameters == [phi])
        #expect(try circuit.bind(names: ["θ": 1, "φ": 2]).parameters.isEmpty)
        #expect(errorMessage { _ = try circuit.statevector() }
            == "parameters without values: θ, φ; bind them first (circuit.bind([...]) or compiled.statevector(binding:))")
        #expect(errorMessage { _ = try compiled.statevector(binding: [theta: 1]) }.hasPrefix("parameters without values: φ"))
        #expect(errorMessage { _ = try circuit.bind([Parameter("θ"): 1]) } == "the circuit has no parameter 'θ' (its parameters: θ, φ)")
        #expect(errorMessage { _ = try circuit.bind(names: ["x": 1]) } == "the circuit has no parameter 'x' (its parameters: θ, φ)")
        #expect(errorMessage { _ = try compiled.statevector(values: [1]) } == "received 1 value for 2 parameters (θ, φ)")
        #expect(compiled.gateCount == 4)
    }

    @Test("building never traps: bad operands are reported when the circuit is used")
    func deferredErrors() {
        let q = QuantumRegister(2, name: "q"), other = QuantumRegister(1, name: "z")
        var a = QuantumCircuit(q)
        a.h(q[5])
        #expect(errorMessage { try a.validate() } == "qubit q[5] is out of range: valid indices are 0...1 (2 qubits)")
        var b = QuantumCircuit(q)
        b.x(other[0])
        #expect(errorMessage { _ = try b.statevector() } == "register z[1] is not part of this circuit (its registers: q[2])")
        var c = QuantumCircuit(q)
        c.cx(0, 0)
        #expect(errorMessage { _ = try c.qasm() } == "gate 'cx' received the same qubit more than once ([0, 0]); its qubits must be distinct")
        var d = QuantumCircuit(q)
        d.append(Gate(kind: .ccx), [0, 1])
        #expect(errorMessage { try d.validate() } == "gate 'ccx' acts on 3 qubits, received 2")
        var e = QuantumCircuit(q, QuantumRegister(1, name: "q"))
        e.h(0)
        #expect(errorMessage { try e.validate() } == "a register named 'q' is already in this circuit; register names must be unique")
        var f = QuantumCircuit(numQubits: 1)
        f.measure(0, 0)
        #expect(errorMessage { try f.validate() } == "classical bit 0 is out of range: valid indices are none (the circuit has no classical bits)")
        var g = QuantumCircuit(numQubits: 1)
        g.unitary([.one, .zero, .zero, Complex(2)], [0])
        #expect(errorMessage { try g.validate() }.hasPrefix("the 2×2 matrix is not unitary"))
        var h = QuantumCircuit(numQubits: 2, numClbits: 1)
        h.conditioned(on: ClassicalRegister(1, name: "c"), equals: 2) { $0.x(0) }
        #expect(errorMessage { try h.validate() } == "condition value 2 does not fit register c[1]: valid values are 0...1")
        var m = QuantumCircuit(q, ClassicalRegister(3, name: "c3"))
        m.measure(q, ClassicalRegister(3, name: "c3"))
        #expect(errorMessage { try m.validate() } == "measure q[2] -> c3[3]: the registers must have the same size (2 ≠ 3)")
        #expect(errorMessage { _ = try Gate(.rx, []) } == "gate 'rx' takes 1 parameter, received 0")
        #expect(errorMessage { _ = try Gate(.mcx(controls: 2)) } == "mcx with 2 controls: use at least 3 (fewer controls are the gates cx/ccx, cz, cp)")
        #expect(errorMessage { _ = try Gate(.unitary(qubits: 1)) } == "a unitary gate needs its matrix: use Gate.unitary(_:label:)")
        var p = QuantumCircuit(numQubits: 1)
        p.append(.rx, [], [0])
        #expect(errorMessage { try p.validate() } == "gate 'rx' takes 1 parameter, received 0")
    }

    @Test("measureAll, removingFinalMeasurements and conditioned blocks")
    func measurementHelpers() throws {
        var circuit = QuantumCircuit(numQubits: 3)
        circuit.h(0); circuit.cx(0, 1); circuit.cx(1, 2)
        circuit.measureAll()
        #expect(circuit.classicalRegisters.map(\.description) == ["meas[3]"])
        #expect(Set(try circuit.run(shots: 500, seed: 3).counts.keys) == ["000", "111"])
        let stripped = circuit.removingFinalMeasurements()
        #expect(stripped.countOps()["measure"] == nil)
        #expect(abs(try stripped.probabilities()[0b111] - 0.5) < 1e-12)
        #expect(errorMessage { _ = try circuit.statevector() }.hasPrefix("the circuit contains measure: a state vector needs"))
    }
}
