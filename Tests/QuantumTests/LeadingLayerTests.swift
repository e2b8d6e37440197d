import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// A simulator with fusion on (blocks of up to 5 qubits), folding leading gates or not.
private func simulator(folds: Bool, precision: Precision = .double, blockQubits: Int? = nil, threads: Int = 1,
                       parameterised: Bool? = nil) -> Simulator
{
    var s = Simulator(precision: precision, threads: threads)
    s.foldsLeadingGates = folds
    s.blockQubits = blockQubits
    s.fusesParameterised = parameterised
    return s
}

/// Single-precision amplitudes widened to Double.
private func widened(_ state: StateVector<Float>) -> [Complex<Double>] {
    state.amplitudes.map { Complex(Double($0.real), Double($0.imaginary)) }
}

/// A random leading layer: 1 to 3 one-qubit gates (diagonal ones among them) on each qubit but
/// qubits 3, 7, 11, …, so that those start with a gate of the body (or are never touched) while
/// more than half the qubits have leading gates (the plan folds them only then).
private func leadingLayer(_ n: Int, _ rng: inout SeededGenerator) throws -> QuantumCircuit {
    var circuit = QuantumCircuit(numQubits: n)
    let kinds: [GateKind] = [.h, .x, .sx, .u, .ry, .rx, .rz, .p, .s, .t, .z, .unitary(qubits: 1)]
    for q in 0..<n where q % 4 != 3 {
        for _ in 0...Int(rng.next() % 3) {
            circuit.append(try RandomCircuits.gate(kinds[Int(rng.next() % UInt64(kinds.count))], &rng), [q])
        }
    }
    return circuit
}

@Suite("Leading one-qubit gates folded into the initial product state")
struct LeadingLayerTests {
    @Test("the product state kernel equals the product of its columns at every size around the doubled run",
          arguments: [1, 2])
    func productState(threads: Int) {
        var rng = SeededGenerator(seed: 15)
        let low = productStateLowQubits
        for n in [0, 1, 2, low - 1, low, low + 1, low + 3] {
            var columns: [Double] = []
            for _ in 0..<n {
                // A random unit column, and now and then (1, 0) or (0, phase).
                let kind = rng.next() % 4
                let a = RandomCircuits.angle(&rng), b = RandomCircuits.angle(&rng), c = RandomCircuits.angle(&rng)
                switch kind {
                case 0: columns += [1, 0, 0, 0]
                case 1: columns += [0, 0, cos(b), sin(b)]
                default: columns += [cos(a) * cos(b), cos(a) * sin(b), sin(a) * cos(c), sin(a) * sin(c)]
                }
            }
            let state = StateVector<Double>(unchecked: n, threads: threads)
            // Old contents must not matter: fill with garbage first.
            for i in 0..<(2 << n) { state.storage.pointer[i] = 7 }
            // (Padded so that n = 0 has a pointer too; the kernel reads 4n numbers.)
            let padded = columns + [0, 0, 0, 0]
            padded.withUnsafeBufferPointer { c in
                guard let base = c.baseAddress else { return }
                writeProductState(state.storage.pointer, numQubits: n, columns: base, threads: threads)
            }
            var worst = 0.0
            for i in 0..<(1 << n) {
                // Slow oracle: the product over qubits of the column entry at i's bit.
                var amplitude = Complex<Double>.one
                for q in 0..<n {
                    let o = 4 * q + ((i >> q) & 1) * 2
                    amplitude = amplitude * Complex(columns[o], columns[o + 1])
                }
                worst = max(worst, (state[i] - amplitude).length)
            }
            #expect(worst < 1e-14, "n = \(n), \(threads) threads")
        }
    }

    @Test("random circuits with random angles: folded = reference = unfolded (double and single)", arguments: [1, 2, 3])
    func randomCircuits(seed: UInt64) throws {
        var rng = SeededGenerator(seed: 1500 + seed)
        for n in [3, 5, 7] {
            var circuit = try leadingLayer(n, &rng)
            circuit = try circuit.compose(try RandomCircuits.circuit(qubits: n, gates: 30, &rng))
            let reference = try ReferenceSimulator.statevector(of: circuit)
            let folded = try simulator(folds: true).compile(circuit)
            #expect(folded.execution.foldedGates > 0, "n = \(n): the test must fold something")
            for blockQubits in [nil, 2, 3] {
                for threads in [1, 2] {
                    let ours = try simulator(folds: true, blockQubits: blockQubits, threads: threads).statevector(circuit).amplitudes
                    #expect(Distance.max(ours, reference) < 1e-12, "n = \(n), L = \(blockQubits ?? 0), \(threads) threads")
                }
            }
            let unfolded = try simulator(folds: false).statevector(circuit).amplitudes
            #expect(Distance.max(try folded.statevector().amplitudes, unfolded) < 1e-12, "n = \(n)")
            let single = try simulator(folds: true, precision: .single).statevector(circuit, as: Float.self)
            #expect(Distance.max(widened(single), reference) < floatTolerance, "n = \(n)")
        }
    }

    @Test("a state wider than the product state's doubled run: folded = unfolded, double and single")
    func wide() throws {
        var rng = SeededGenerator(seed: 1515)
        let n = productStateLowQubits + 2
        var circuit = try leadingLayer(n, &rng)
        circuit = try circuit.compose(try RandomCircuits.circuit(qubits: n, gates: 20, &rng, includeUnitaries: false))
        for blockQubits in [nil, 6] {
            let folded = try simulator(folds: true, blockQubits: blockQubits, threads: 2).compile(circuit)
            #expect(folded.execution.foldedGates > 0)
            let unfolded = try simulator(folds: false, blockQubits: blockQubits, threads: 2).statevector(circuit).amplitudes
            #expect(Distance.max(try folded.statevector().amplitudes, unfolded) < 1e-12)
            let single = try simulator(folds: true, precision: .single, blockQubits: blockQubits).statevector(circuit, as: Float.self)
            #expect(Distance.max(widened(single), unfolded) < floatTolerance)
        }
    }

    @Test("qubits first touched by a two-qubit gate, never touched, or only by phases")
    func whichGatesFold() throws {
        var circuit = QuantumCircuit(numQubits: 6)
        circuit.cx(0, 1)  // qubits 0 and 1: nothing leading
        circuit.h(0)
        circuit.h(2)  // qubit 2: h, rz leading
        circuit.rz(0.4, 2)
        circuit.s(4)  // qubit 4: s, t, rz only phases on |0⟩
        circuit.t(4)
        circuit.rz(-1.1, 4)
        circuit.cx(2, 4)
        circuit.u(0.3, 0.2, 0.1, 4)  // after the cx: not leading
        circuit.ry(0.7, 5)  // qubit 5: ry leading; qubit 3 untouched
        circuit.cz(5, 1)
        let compiled = try simulator(folds: true).compile(circuit)
        #expect(compiled.execution.foldedGates == 6)
        #expect(compiled.execution.description.contains("6 folded into the initial state"))
        #expect(try simulator(folds: false).compile(circuit).execution.foldedGates == 0)
        #expect(try Simulator(fusion: false).compile(circuit).execution.foldedGates == 0)
        let reference = try ReferenceSimulator.statevector(of: circuit)
        #expect(Distance.max(try compiled.statevector().amplitudes, reference) < 1e-12)
        let single = try simulator(folds: true, precision: .single).statevector(circuit, as: Float.self)
        #expect(Distance.max(widened(single), reference) < floatTolerance)
    }

    @Test("fewer than half the qubits with leading gates: nothing folded (the product state's sweep would not pay)")
    func threshold() throws {
        var circuit = QuantumCircuit(numQubits: 5)
        circuit.h(4)
        circuit.rz(0.3, 1)
        for q in 0..<4 { circuit.cp(0.5, q, q + 1) }
        #expect(try simulator(folds: true).compile(circuit).execution.foldedGates == 0)
        // With an sx on qubit 2 first, 3 of 5 qubits have leading gates: folded.
        var folding = QuantumCircuit(numQubits: 5)
        folding.sx(2)
        folding = try folding.compose(circuit)
        let compiled = try simulator(folds: true).compile(folding)
        #expect(compiled.execution.foldedGates == 3)
        #expect(Distance.max(try compiled.statevector().amplitudes, try ReferenceSimulator.statevector(of: folding)) < 1e-12)
    }

    @Test("only diagonal leading gates: a global phase on |0…0⟩, kept")
    func diagonalOnly() throws {
        var circuit = QuantumCircuit(numQubits: 3)
        circuit.rz(0.9, 0)
        circuit.p(1.3, 1)  // p on |0⟩: no phase
        circuit.t(2)
        circuit.rz(-0.4, 2)
        let state = try simulator(folds: true).statevector(circuit)
        // rz(θ)|0⟩ = e^{−iθ/2}|0⟩.
        let expected = Complex<Double>(cos(-0.45 + 0.2), sin(-0.45 + 0.2))
        #expect((state[0] - expected).length < 1e-15)
        #expect((1..<8).allSatisfy { state[$0].length == 0 })
        #expect(Distance.max(state.amplitudes, try ReferenceSimulator.statevector(of: circuit)) < 1e-12)
    }

    @Test("mid-circuit measurement, reset and conditions: leading gates after them still fold, counts as unfolded and reference")
    func midCircuit() throws {
        var circuit = QuantumCircuit(numQubits: 4, numClbits: 3)
        circuit.h(0)
        circuit.measure(0, 0)
        circuit.ry(1.1, 2)  // leading on qubit 2 although after a measurement: folded, skipped per shot
        let bits = circuit.classicalRegisters[0]
        circuit.conditioned(on: bits, equals: 1) { $0.x(1) }  // conditioned: qubit 1 not leading
        circuit.h(1)
        circuit.reset(0)
        circuit.rx(0.6, 0)
        circuit.barrier(3)
        circuit.sx(3)  // after a barrier on it: not leading
        circuit.cx(2, 3)
        circuit.measure(2, 1)
        circuit.measure(3, 2)
        let folded = try simulator(folds: true).compile(circuit)
        #expect(folded.execution.foldedGates == 2)  // h on 0, ry on 2
        #expect(folded.plan.leadingSteps.contains { $0 > folded.plan.steps.firstIndex { !$0.isUnitary } ?? 0 })
        let shots = 4000
        let ours = try folded.run(shots: shots, seed: 9)
        #expect(!ours.sampledFromFinalState)
        let unfolded = try simulator(folds: false).run(circuit, shots: shots, seed: 9)
        #expect(ours.counts == unfolded.counts)
        let exact = try ReferenceNoisySimulator.distribution(circuit, noise: NoiseModel())
        let fit = ChiSquare.test(counts: ours.counts, probabilities: exact)
        #expect(fit.pValue > 1e-4, "χ² = \(fit.statistic) on \(fit.degrees) degrees: \(ours.counts) vs \(exact)")
    }

    @Test("parameterised leading gates: one plan, rebound several times, equal to the reference", arguments: [false, true])
    func parameterised(fusesParameterised: Bool) throws {
        var rng = SeededGenerator(seed: 151)
        let theta = (0..<7).map { Parameter("θ\($0)") }
        var circuit = QuantumCircuit(numQubits: 5)
        circuit.ry(theta[0], 0)
        circuit.rx(theta[1], 1)
        circuit.rz(theta[2], 1)
        circuit.u(theta[3], theta[4] + theta[5], 0.2, 2)
        circuit.p(theta[6], 3)  // a parameterised phase on |0⟩
        circuit.rz(theta[2] * 2, 4)
        circuit.h(4)
        for q in 0..<4 { circuit.cx(q, q + 1) }
        circuit.ry(theta[0], 3)
        circuit.rzz(theta[5], 0, 4)
        for blockQubits in [nil, 3] {
            let compiled = try simulator(folds: true, blockQubits: blockQubits, parameterised: fusesParameterised).compile(circuit)
            #expect(compiled.execution.foldedGates == 7)
            let single = try simulator(folds: true, precision: .single, blockQubits: blockQubits,
                                       parameterised: fusesParameterised).compile(circuit)
            for _ in 0..<4 {
                let values = theta.map { _ in RandomCircuits.angle(&rng) }
                let bound = try circuit.bind(Dictionary(uniqueKeysWithValues: zip(theta, values)))
                let reference = try ReferenceSimulator.statevector(of: bound)
                #expect(Distance.max(try compiled.statevector(values: values).amplitudes, reference) < 1e-12)
                let state = try single.statevector(binding: single.binding(values), as: Float.self)
                #expect(Distance.max(widened(state), reference) < floatTolerance)
            }
            // One fusion and one schedule for all the bindings.
            #expect(compiled.plan.schedules.count == 1)
        }
    }

    @Test("gradients on a folding plan: the blocked forward pass folds, the adjoint program keeps every gate")
    func gradients() throws {
        let theta = (0..<3).map { Parameter("θ\($0)") }
        var circuit = QuantumCircuit(numQubits: 4)
        circuit.ry(theta[0], 0)
        circuit.rx(theta[1], 1)
        circuit.h(2)
        circuit.cx(0, 1)
        circuit.cx(1, 2)
        circuit.ry(theta[2], 2)
        circuit.cx(2, 3)
        let terms = [("ZZII", 0.5), ("IXXI", -0.3), ("ZIIZ", 1.0), ("IIIZ", 0.7), ("IIZI", 0.4)]
        let observable = try PauliSum(terms)
        let values = [0.3, -1.2, 0.8]
        // Small passes and no checkpoints, so the wide-state forward pass (the plan's) runs on 4 qubits.
        var folding = simulator(folds: true, blockQubits: 2)
        folding.adjointCheckpoints = 0
        var plain = simulator(folds: false, blockQubits: 2)
        plain.adjointCheckpoints = 0
        let folded = try folding.compile(circuit)
        #expect(folded.execution.foldedGates == 3)
        let unfolded = try plain.compile(circuit)
        let a = try folded.gradient(of: observable, values: values)
        let b = try unfolded.gradient(of: observable, values: values)
        #expect(abs(a.value - b.value) < 1e-12 && FiniteDifference.maxDifference(a.gradient, b.gradient) < 1e-12)
        let bound = try circuit.bind(Dictionary(uniqueKeysWithValues: zip(theta, values)))
        let exact = ReferenceSimulator.expectation(terms, in: try ReferenceSimulator.statevector(of: bound))
        #expect(abs(a.value - exact) < 1e-12)
        #expect(abs(try folded.expectations([observable], values: values)[0] - exact) < 1e-12)
        let numeric = try FiniteDifference.gradient({ v in
            try folded.expectation(observable, binding: folded.binding(v))
        }, at: values)
        #expect(FiniteDifference.maxDifference(a.gradient, numeric) < 1e-6)
    }
}
