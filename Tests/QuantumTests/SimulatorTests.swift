import Foundation
import Testing
import _TestSupport
@testable import Quantum

@Suite("Simulator")
struct SimulatorTests {
    @Test("one compile per run: with only final measurements the summary equals the unmeasured circuit's, and a mid-circuit one is told apart")
    func summaryWithFinalMeasurements() throws {
        var circuits: [(String, QuantumCircuit)] = try QiskitCircuit.all().map { ($0.name, try $0.load()) }
        for n in [6, 12] {
            circuits.append(("qft-ucx", QuantumBenchmark.transpiledQFT(numQubits: n, basis: .uCX)))
            circuits.append(("qft-rzsx", QuantumBenchmark.transpiledQFT(numQubits: n, basis: .rzSXCX)))
            circuits.append(("random", QuantumCircuit.randomLayers(numQubits: n, depth: 20, seed: 2026)))
            circuits.append(("qaoa", QuantumBenchmark.qaoaRing(numQubits: n, gammas: [0.3, 0.7, 1.1], betas: [0.2, 0.5, 0.9])))
        }
        var compared = 0
        for (name, circuit) in circuits {
            var measured = circuit
            if !circuit.instructions.contains(where: { $0.operation == .measure }) { measured.measureAll() }
            for precision in [Precision.double, .single] {
                let simulator = Simulator(precision: precision)
                let full = try simulator.compile(measured)
                guard full.samplesFromFinalState else { continue }
                let unmeasured = try simulator.compile(measured.removingFinalMeasurements())
                #expect(String(describing: full.execution) == String(describing: unmeasured.execution), "\(name), \(precision)")
                compared += 1
            }
        }
        #expect(compared >= 100)
        var midCircuit = QuantumCircuit(numQubits: 2, numClbits: 2)
        midCircuit.h(0)
        midCircuit.measure(0, 0)
        midCircuit.cx(0, 1)
        midCircuit.measure(1, 1)
        #expect(try !Simulator().compile(midCircuit).samplesFromFinalState)
    }

    @Test("matrix(circuit) == simulate(circuit) for random circuits (Double and Float, fused and not)",
          arguments: [2, 3, 4, 5, 6])
    func randomCircuits(qubits n: Int) throws {
        var rng = SeededGenerator(seed: UInt64(n) * 31)
        for _ in 0..<4 {
            let circuit = try RandomCircuits.circuit(qubits: n, gates: 40, &rng)
            let unitary = try ReferenceSimulator.unitary(of: circuit)
            let firstColumn = unitary.map { $0[0] }
            for fusion in [true, false] {
                let double = try Simulator(fusion: fusion).statevector(circuit).amplitudes
                #expect(Distance.max(double, firstColumn) < doubleTolerance)
                let single = try Simulator(precision: .single, fusion: fusion).statevector(circuit, as: Float.self).amplitudes
                #expect(Distance.max(single.map { Complex(Double($0.real), Double($0.imaginary)) }, firstColumn) < floatTolerance)
            }
            // Every column: apply the circuit to each basis state.
            for column in [1, (1 << n) - 1] {
                var prefix = QuantumCircuit(numQubits: n)
                for b in 0..<n where column & (1 << b) != 0 { prefix.x(b) }
                let state = try Simulator().statevector(try prefix.compose(circuit)).amplitudes
                #expect(Distance.max(state, unitary.map { $0[column] }) < doubleTolerance)
            }
        }
    }

    @Test("threaded kernels give the same state as one thread (15 qubits, every kernel kind)")
    func threadInvariance() throws {
        let n = 15
        var circuit = QuantumCircuit(numQubits: n)
        var rng = SeededGenerator(seed: 77)
        for q in 0..<n { circuit.h(q) }
        for target in [0, 1, 7, 14] {
            circuit.u(0.3, 0.2, -0.4, target)
            circuit.rz(0.7, target)
            circuit.cx((target + 3) % n, target)
            circuit.cp(0.9, (target + 1) % n, target)
            circuit.rzz(0.4, target, (target + 5) % n)
            circuit.append(try Gate.unitary(RandomCircuits.unitary(4, &rng)), [target, (target + 2) % n])
            circuit.append(try Gate.unitary(RandomCircuits.unitary(8, &rng)), [(target + 4) % n, target, (target + 9) % n])
            circuit.mcx([(target + 1) % n, (target + 2) % n, (target + 6) % n], target)
            circuit.append(try Gate.unitary(RandomCircuits.unitary(4, &rng).enumerated().map { $0.offset % 5 == 0 ? $0.element / Complex($0.element.length) : .zero }), [target, (target + 8) % n])
        }
        let one = try Simulator(threads: 1).statevector(circuit)
        for threads in [2, 3, 4] {
            let many = try Simulator(threads: threads).statevector(circuit)
            #expect(Distance.max(one.amplitudes, many.amplitudes) == 0, "\(threads) threads")
        }
        #expect(abs(one.normSquared - 1) < 1e-12)
        // Reductions are deterministic too.
        let observable = try PauliSum("0.5*" + String(repeating: "Z", count: n) + " - 1.25*X" + String(repeating: "I", count: n - 2) + "Y")
        let e1 = try one.expectation(observable)
        var copy = one
        copy.threads = 2
        #expect(try copy.expectation(observable) == e1)
    }

    @Test("probabilities, marginals and expectation values against dense computations")
    func observables() throws {
        var rng = SeededGenerator(seed: 5)
        let circuit = try RandomCircuits.circuit(qubits: 4, gates: 30, &rng)
        let state = try circuit.statevector()
        let reference = try ReferenceSimulator.statevector(of: circuit)
        let probabilities = state.probabilities()
        for (p, a) in zip(probabilities, reference) { #expect(abs(p - a.lengthSquared) < 1e-12) }
        // Marginal of qubits [3, 0]: index bit 0 ↔ qubit 3, bit 1 ↔ qubit 0.
        let marginal = try state.probabilities(of: [3, 0])
        var expected = [Double](repeating: 0, count: 4)
        for (i, a) in reference.enumerated() { expected[((i >> 3) & 1) | (((i >> 0) & 1) << 1)] += a.lengthSquared }
        for (x, y) in zip(marginal, expected) { #expect(abs(x - y) < 1e-12) }
        // ⟨ψ|P|ψ⟩ with a dense Pauli matrix; labels read with qubit 0 last.
        let sum = try PauliSum("0.5*ZZIX - 1.2*XIYI + 0.75*IIII + 2*YYZZ")
        var dense = DenseMatrix(repeating: [Complex<Double>](repeating: .zero, count: 16), count: 16)
        let pauli: [Character: DenseMatrix] = [
            "I": ReferenceGates.matrix(.id, []), "X": ReferenceGates.matrix(.x, []),
            "Y": ReferenceGates.matrix(.y, []), "Z": ReferenceGates.matrix(.z, []),
        ]
        for term in sum.terms {
            // kron(leftmost, …, rightmost): the rightmost factor acts on qubit 0.
            var m: DenseMatrix = [[.one]]
            for ch in term.label { m = ReferenceGates.kron(m, pauli[ch] ?? [[.one]]) }
            dense = ReferenceGates.add(dense, ReferenceGates.scale(m, Complex(term.coefficient)))
        }
        let applied = dense.map { row in zip(row, reference).reduce(Complex<Double>.zero) { $0 + $1.0 * $1.1 } }
        let value = zip(reference, applied).reduce(Complex<Double>.zero) { $0 + $1.0.conjugate * $1.1 }
        #expect(abs(try state.expectation(sum) - value.real) < 1e-12)
        #expect(abs(value.imaginary) < 1e-12)
        let single = try Simulator(precision: .single).statevector(circuit, as: Float.self)
        #expect(abs(try single.expectation(sum) - value.real) < 1e-5)
        #expect(errorMessage { _ = try state.expectation(try PauliSum("ZZ")) } == "the observable acts on 2 qubits but the state has 4")
        #expect(errorMessage { _ = try state.probabilities(of: [4]) } == "qubit 4 is out of range: valid indices are 0...3 (4 qubits)")
        #expect(errorMessage { _ = try state.probabilities(of: [1, 1]) }
            == "gate 'probabilities' received the same qubit more than once ([1, 1]); its qubits must be distinct")
    }

    @Test("sampling: seeded, shot-order memory, statistics against probabilities")
    func sampling() throws {
        var circuit = QuantumCircuit(numQubits: 3, numClbits: 3)
        circuit.ry(1.1, 0); circuit.ry(0.4, 1); circuit.cx(0, 2); circuit.h(1)
        let probabilities = try circuit.probabilities()
        circuit.measure(0, 0); circuit.measure(1, 1); circuit.measure(2, 2)
        let shots = 50_000
        let result = try circuit.run(shots: shots, seed: 123, memory: true)
        #expect(result.sampledFromFinalState)
        #expect(result.memory?.count == shots)
        var fromMemory: [String: Int] = [:]
        for key in result.memory ?? [] { fromMemory[key, default: 0] += 1 }
        #expect(fromMemory == result.counts)
        var distribution: [String: Double] = [:]
        for (i, p) in probabilities.enumerated() where p > 1e-15 { distribution[bitstring(i, width: 3)] = p }
        let (ok, message) = countsAgree(result.counts, shots: shots, with: distribution)
        #expect(ok, "\(message)")
        #expect(result.seed == 123)
        // A run without a seed reports the one it drew, which reproduces it.
        let unseeded = try circuit.run(shots: 100)
        #expect(try circuit.run(shots: 100, seed: unseeded.seed).counts == unseeded.counts)
        // Direct state sampling.
        let state = try circuit.removingFinalMeasurements().statevector()
        #expect(try state.sample(shots: 10, seed: 4) == state.sample(shots: 10, seed: 4))
        #expect(errorMessage { _ = try state.sample(shots: 0, seed: 1) } == "shots must be at least 1, received 0")
        #expect(errorMessage { _ = try circuit.run(shots: -5) } == "shots must be at least 1, received -5")
    }

    @Test("block-parallel sampling equals a plain cumulative scan, for every thread count")
    func blockSampling() throws {
        var rng = SeededGenerator(seed: 21)
        var circuit = QuantumCircuit(numQubits: 14)
        RandomCircuits.prepareGenericState(&circuit, &rng)
        circuit.ry(2.9, 13)  // make the high half unlikely: four blocks, uneven weights
        let state = try circuit.statevector()
        // The oracle: walk the cumulative distribution amplitude by amplitude.
        let probabilities = state.probabilities()
        var draws = SeededGenerator(seed: 77)
        let uniforms = (0..<3000).map { _ in draws.nextUniform() }
        // The oracle: the cumulative distribution, searched by bisection for each draw.
        var cumulative: [Double] = []
        var running = 0.0
        for p in probabilities {
            running += p
            cumulative.append(running)
        }
        let expected: [Int] = uniforms.map { u in
            let target = u * state.normSquared
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] > target { high = mid } else { low = mid + 1 }
            }
            return low
        }
        for threads in [1, 2, 3] {
            var copy = state
            copy.threads = threads
            var generator = SeededGenerator(seed: 77)
            let ours = copy.sampleIndices(shots: 3000, using: &generator)
            let agree = zip(ours, expected).filter { $0 == $1 }.count
            // Summation order differs from the oracle's, so a draw within rounding of a boundary
            // may fall on the neighbour; no more than that.
            #expect(agree >= 2998, "\(threads) threads: \(3000 - agree) disagree")
        }
        var a = state, b = state
        a.threads = 1
        b.threads = 2
        var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5)
        #expect(a.sampleIndices(shots: 5000, using: &g1) == b.sampleIndices(shots: 5000, using: &g2))
    }

    @Test("mid-circuit measurement branches per shot and feeds conditions")
    func midCircuit() throws {
        // Measure a |+⟩ qubit, then copy the outcome with a conditioned X: outcomes always agree.
        let q = QuantumRegister(2, name: "q"), m = ClassicalRegister(1, name: "m"), out = ClassicalRegister(1, name: "out")
        var circuit = QuantumCircuit(q, m, out)
        circuit.h(q[0])
        circuit.measure(q[0], m[0])
        circuit.conditioned(on: m, equals: 1) { $0.x(q[1]) }
        circuit.measure(q[1], out[0])
        let result = try circuit.run(shots: 4000, seed: 9)
        #expect(!result.sampledFromFinalState)
        #expect(Set(result.counts.keys) == ["0 0", "1 1"])
        #expect(abs(Double(result.counts["1 1"] ?? 0) - 2000) < 5 * 32)
        // Reset after a measurement returns the qubit to |0⟩.
        var reset = QuantumCircuit(numQubits: 1, numClbits: 2)
        reset.h(0); reset.measure(0, 0); reset.reset(0); reset.measure(0, 1)
        let counts = try reset.run(shots: 1000, seed: 2).counts
        #expect(Set(counts.keys).isSubset(of: ["00", "01"]) && counts.count == 2)
    }

    @Test("a reset before a qubit is used is dropped: shots still come from one final state")
    func leadingReset() throws {
        var circuit = QuantumCircuit(numQubits: 3, numClbits: 3)
        circuit.reset(0); circuit.reset(1); circuit.h(0); circuit.cx(0, 1)
        circuit.reset(2)  // qubit 2 is still |0⟩: dropped
        circuit.measure(0, 0); circuit.measure(1, 1); circuit.measure(2, 2)
        let result = try circuit.run(shots: 2000, seed: 4)
        #expect(result.sampledFromFinalState)
        #expect(Set(result.counts.keys) == ["000", "011"])
        // A reset after a gate on that qubit is real: per-shot simulation, and it returns the qubit to |0⟩.
        var later = QuantumCircuit(numQubits: 2, numClbits: 2)
        later.h(0); later.cx(0, 1); later.reset(1); later.measure(0, 0); later.measure(1, 1)
        let real = try later.run(shots: 2000, seed: 4)
        #expect(!real.sampledFromFinalState)
        #expect(Set(real.counts.keys) == ["00", "01"])
        // Conditioned resets are never dropped.
        let c = ClassicalRegister(1, name: "c")
        var conditioned = QuantumCircuit(QuantumRegister(1, name: "q"), c)
        conditioned.conditioned(on: c, equals: 0) { $0.reset(0) }
        conditioned.measure(0, 0)
        let plan = try ExecutionPlan(circuit: conditioned, fusion: true)
        #expect(plan.steps.count == 2 && !plan.samplesFromFinalState)
        #expect(try ExecutionPlan(circuit: circuit, fusion: true).steps.allSatisfy {
            if case .reset = $0.action { false } else { true }
        })
        // On a state the caller made, a reset is never dropped: apply(_:) refuses it.
        var plus = try StateVector<Double>(numQubits: 1)
        var h = QuantumCircuit(numQubits: 1)
        h.h(0)
        try plus.apply(h)
        var resetOnly = QuantumCircuit(numQubits: 1)
        resetOnly.reset(0)
        #expect(throws: QuantumError.self) { try plus.apply(resetOnly) }
        #expect(abs(plus[1].real - 0.5.squareRoot()) < 1e-15)
    }

    @Test("conditions on classical registers wider than 63 bits (Qiskit accepts them)")
    func wideRegisterConditions() throws {
        let text = """
        OPENQASM 2.0;
        include "qelib1.inc";
        qreg q[2];
        creg c[70];
        x q[0];
        measure q[0] -> c[0];
        if(c==1) x q[1];
        if(c==0) x q[0];
        measure q[1] -> c[69];
        """
        let counts = try QuantumCircuit(qasm: text).run(shots: 50, seed: 1).counts
        // c[0] = 1 from the first measurement, so q[1] flips and c[69] reads 1; q[0] is left alone.
        let key = "1" + String(repeating: "0", count: 68) + "1"
        #expect(counts == [key: 50])
        var circuit = QuantumCircuit(QuantumRegister(1, name: "q"), ClassicalRegister(64, name: "c"))
        circuit.conditioned(on: ClassicalRegister(64, name: "c"), equals: -1) { $0.x(0) }
        #expect(throws: QuantumError.self) { try circuit.run(shots: 1) }
    }

    @Test("largest probabilities and leading amplitudes, read in place, against sorting a copy")
    func inPlaceSummaries() throws {
        var rng = SeededGenerator(seed: 77)
        let circuit = try RandomCircuits.circuit(qubits: 9, gates: 60, &rng)
        func check<Real: StateScalar>(_ state: StateVector<Real>) {
            let all = state.probabilities()
            let expected = all.enumerated().filter { $0.element > 1e-24 }
                .sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            for limit in [1, 5, 64, 600] {
                let (top, nonzero) = state.largestProbabilities(limit: limit)
                #expect(nonzero == expected.count)
                #expect(top.map(\.index) == expected.prefix(limit).map(\.offset))
                #expect(zip(top, expected).allSatisfy { $0.probability == $1.element })
            }
            let (leading, count) = state.leadingNonzeroAmplitudes(limit: 7)
            let amplitudes = state.amplitudes.enumerated().filter { Double($0.element.lengthSquared) > 1e-24 }
            #expect(count == amplitudes.count && leading.map(\.index) == amplitudes.prefix(7).map(\.offset))
        }
        check(try Simulator().statevector(circuit))
        check(try Simulator().statevector(circuit, as: Float.self))
        var basis = QuantumCircuit(numQubits: 3)
        basis.x(1)
        let (single, nonzero) = try basis.statevector().largestProbabilities(limit: 64)
        #expect(nonzero == 1 && single.count == 1 && single[0].index == 2 && single[0].probability == 1)
        // "All of them" and "none" are fine; none still counts the nonzero ones.
        let plusState = try QuantumCircuit.qft(numQubits: 3).statevector()
        #expect(plusState.largestProbabilities(limit: .max).probabilities.count == 8)
        let none = plusState.largestProbabilities(limit: 0)
        #expect(none.probabilities.isEmpty && none.nonzero == 8)
    }

    @Test("binding new values re-uses the fused schedule: one schedule however many bindings")
    func bindingReusesSchedule() throws {
        let theta = Parameter("θ"), phi = Parameter("φ")
        var circuit = QuantumCircuit(numQubits: 18)
        for q in 0..<18 { circuit.h(q); circuit.ry(theta, q) }
        for q in 0..<17 { circuit.cx(q, q + 1); circuit.rz(phi, q + 1) }
        let compiled = try Simulator().compile(circuit)
        var states: [[Double]] = []
        for value in [0.1, 0.7, 1.3] {
            states.append(try compiled.statevector(binding: [theta: value, phi: 2 * value]).probabilities())
        }
        #expect(compiled.plan.schedules.count == 1)
        #expect(states[0] != states[1] && states[1] != states[2])
        // The re-used schedule gives what a fresh compilation gives.
        let fresh = try Simulator().compile(circuit).statevector(binding: [theta: 1.3, phi: 2.6]).probabilities()
        #expect(zip(fresh, states[2]).allSatisfy { abs($0 - $1) < 1e-14 })
    }

    @Test("40 qubits fail at once with qubits, bytes needed and bytes available")
    func memoryCheck() throws {
        var circuit = QuantumCircuit(numQubits: 40)
        circuit.h(0)
        let message = errorMessage { _ = try circuit.statevector() }
        #expect(message.hasPrefix("cannot simulate 40 qubits in double precision: the state vector needs 16.0 TiB (17592186044416 bytes) but "))
        #expect(message.contains("is available ("))
        let limited = Simulator(maxMemoryBytes: 1 << 20)
        var twenty = QuantumCircuit(numQubits: 20)
        twenty.h(0)
        #expect(errorMessage { _ = try limited.statevector(twenty) }
            == "cannot simulate 20 qubits in double precision: the state vector needs 16.0 MiB (16777216 bytes) but 1.0 MiB (1048576 bytes) is available (the --max-memory limit)")
        #expect(errorMessage { _ = try StateVector<Float>(numQubits: 51) }
            == "cannot simulate 51 qubits: Verdant's state-vector simulator supports at most 50")
        #expect(errorMessage { _ = try Simulator(threads: 0).statevector(twenty) } == "threads must be at least 1, received 0")
    }

    @Test("state vectors: construction, inner products, apply")
    func stateVectorAPI() throws {
        let r = 1 / 2.0.squareRoot()
        let plus = try StateVector<Double>(amplitudes: [Complex(r), Complex(r)])
        var zero = try StateVector<Double>(numQubits: 1)
        #expect(abs(try zero.fidelity(with: plus) - 0.5) < 1e-15)
        var h = QuantumCircuit(numQubits: 1)
        h.h(0)
        try zero.apply(h)
        #expect(abs(try zero.fidelity(with: plus) - 1) < 1e-15)
        #expect(errorMessage { _ = try StateVector<Double>(amplitudes: [.one, .one]) }
            == "the amplitudes are not normalised: Σ|a|² = 2.0, expected 1 within 1e-08")
        #expect(errorMessage { _ = try StateVector<Double>(amplitudes: [.one, .zero, .zero]) } == "a state needs 2^n amplitudes; received 3")
        #expect(errorMessage { try zero.apply(QuantumCircuit(numQubits: 2)) } == "a 2-qubit circuit cannot act on a 1-qubit state")
        var measured = QuantumCircuit(numQubits: 1, numClbits: 1)
        measured.measure(0, 0)
        #expect(errorMessage { try zero.apply(measured) }
            == "apply(_:) takes unitary circuits; this one has measure, reset or conditioned gates (use run(shots:))")
        #expect(errorMessage { _ = try zero.innerProduct(with: try StateVector<Double>(numQubits: 2)) }
            == "inner product of a 1-qubit and a 2-qubit state")
        #expect(zero.memoryBytes == 32)
        #expect(zero.probabilitiesByBitstring().keys.sorted() == ["0", "1"])
    }
}

@Suite("Pauli sums")
struct PauliSumTests {
    @Test("parsing")
    func parsing() throws {
        let sum = try PauliSum("0.5*ZZ - 1.2*XI")
        #expect(sum.terms.map(\.label) == ["ZZ", "XI"])
        #expect(sum.terms.map(\.coefficient) == [0.5, -1.2])
        #expect(sum.description == "0.5*ZZ - 1.2*XI")
        #expect(try PauliSum("ZZ + XI").terms.map(\.coefficient) == [1, 1])
        #expect(try PauliSum("-2.5 * XYZ").terms.first?.coefficient == -2.5)
        #expect(try PauliSum("1e-3*ZI").terms.first?.coefficient == 0.001)
        #expect(try PauliSum([("XY", 2)]).numQubits == 2)
    }

    static let errors: [(String, String)] = [
        ("", "observable '', column 1: expected a Pauli term such as 0.5*ZZ"),
        ("0.5*ZA", "observable '0.5*ZA', column 6: 'A' is not a Pauli letter (valid: I, X, Y, Z)"),
        ("ZZ + XII", "observable 'ZZ + XII', column 6: 'XII' has 3 qubits but the first term has 2"),
        ("ZZ XX", "observable 'ZZ XX', column 4: expected '+' or '-' between terms, found 'X'"),
        ("ZZ +", "observable 'ZZ +', column 5: expected a Pauli term after the last operator"),
        ("0.5*", "observable '0.5*', column 5: expected a Pauli string at the end"),
        ("1.2.3*Z", "observable '1.2.3*Z', column 1: '1.2.3' is not a number"),
        ("0.5*(Z)", "observable '0.5*(Z)', column 5: expected a Pauli string, found '('"),
        ("ZI - 1e400*ZZ", "observable 'ZI - 1e400*ZZ', column 6: '1e400' is too large for a coefficient (at most about 1.8e308)"),
    ]

    @Test("errors name the column", arguments: errors.indices)
    func parseErrors(index: Int) {
        let (text, expected) = PauliSumTests.errors[index]
        #expect(errorMessage { _ = try PauliSum(text) } == expected)
    }

    @Test("restricted to the qubits a circuit uses: the same value on the compact state as on the whole register")
    func restricted() throws {
        var rng = SeededGenerator(seed: 71)
        let used = [1, 4, 6]
        let small = try RandomCircuits.circuit(qubits: used.count, gates: 40, &rng)
        let wide = try QuantumCircuit(numQubits: 7).compose(small, qubits: used)
        let compact = try #require(try wide.removingIdleQubits())
        #expect(compact.qubits == used)
        let whole = try Simulator().statevector(wide)
        let part = try Simulator().statevector(compact.circuit)
        for _ in 0..<20 {
            let terms = (0..<3).map { _ in
                (String((0..<7).map { _ in "IXYZ".randomElement(using: &rng) ?? "I" }), Double.random(in: -2...2, using: &rng))
            }
            let observable = try PauliSum(terms)
            let value = try part.expectation(try observable.restricted(toQubits: used))
            #expect(abs(value - (try whole.expectation(observable))) < 1e-12, "\(observable)")
        }
        // X on a qubit in |0⟩ has expectation 0: every term drops, leaving a zero identity.
        let gone = try PauliSum("IXIIIII - 2*IIIIYII").restricted(toQubits: used)
        #expect(gone.numQubits == 3 && gone.terms.map(\.coefficient) == [0])
        #expect(try PauliSum("0.5*ZIZIIXI").restricted(toQubits: used).terms.map(\.label) == ["ZZX"])
        #expect(errorMessage { _ = try PauliSum("ZZ").restricted(toQubits: [0, 0]) }
            == "observable '1*ZZ', column 1: cannot restrict a 2-qubit observable to qubits [0, 0]: expected distinct qubits 0…1")
        #expect(errorMessage { _ = try PauliSum("ZZ").restricted(toQubits: [2]) }.contains("cannot restrict"))
        #expect(errorMessage { _ = try PauliSum("ZZ").restricted(toQubits: []) }.contains("cannot restrict"))
    }

    @Test("list errors")
    func listErrors() {
        #expect(errorMessage { _ = try PauliSum([]) } == "observable '', column 1: expected at least one Pauli term")
        #expect(errorMessage { _ = try PauliSum([("ZZ", .infinity)]) }
            == "observable 'ZZ', column 1: the coefficient of 'ZZ' is inf; it must be a finite number")
        #expect(errorMessage { _ = try PauliSum([("ZQ", 1)]) } == "observable 'ZQ', column 2: 'Q' is not a Pauli letter (valid: I, X, Y, Z)")
        #expect(errorMessage { _ = try PauliSum([("ZZ", 1), ("Z", 1)]) }
            == "observable 'Z', column 1: every Pauli string must have the same nonzero length; 'ZZ' has 2, 'Z' has 1")
    }
}
