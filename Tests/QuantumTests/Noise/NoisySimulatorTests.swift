import ComplexModule
import Foundation
import Testing
import _TestSupport
@testable import Quantum

// Statistical thresholds. Every chi-square test below compares sampled counts with an exact
// distribution and fails when its p-value is below α = 1e-6 / (number of chi-square tests in this
// file), so a correct simulator fails a whole test run with probability below 1e-6 (union bound).
// The seeds are fixed, so runs are reproducible; the bound says how unlikely a failure of a
// correct simulator would be for any seed.
private let chiSquareTests = 2 * NoisyCase.all.filter { $0.recorded != nil }.count + 3 * DynamicCase.all.count + 2
private let alpha = 1e-6 / Double(max(1, chiSquareTests))

/// Circuits the density-matrix method does not take (mid-circuit measurement, conditions) and
/// resets, with noise, checked against the brute-force reference.
struct DynamicCase: Sendable, CustomTestStringConvertible {
    let name: String
    let qasm: String
    var testDescription: String { name }

    static let all: [DynamicCase] = [
        DynamicCase(name: "teleportation with conditions", qasm: """
            OPENQASM 2.0; include "qelib1.inc"; qreg q[3]; creg a[1]; creg b[1]; creg out[1];
            ry(1.1) q[0]; h q[1]; cx q[1],q[2]; cx q[0],q[1]; h q[0];
            measure q[0] -> a[0]; measure q[1] -> b[0];
            if(b==1) x q[2]; if(a==1) z q[2];
            measure q[2] -> out[0];
            """),
        DynamicCase(name: "measure, reset and reuse", qasm: """
            OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[3];
            h q[0]; cx q[0],q[1]; measure q[0] -> c[0]; reset q[0]; h q[0]; rz(0.4) q[0]; sx q[1];
            measure q[0] -> c[1]; measure q[1] -> c[2];
            """),
        DynamicCase(name: "repeated measurement of one qubit", qasm: """
            OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; creg c[2];
            rx(1.2) q[0]; measure q[0] -> c[0]; rx(0.7) q[0]; measure q[0] -> c[1];
            """),
    ]
}

private func dynamicNoise() throws -> NoiseModel {
    var model = try DeviceNoise.parse(depolarizing: "0.02,0.05", t1: "30us", t2: "45us", gateTime: "200ns,600ns", readoutError: "0.03,0.07").model()
    try model.add(try QuantumChannel.amplitudeDamping(0.1), on: ["measure"])
    try model.add(try QuantumChannel.reset(toZero: 0.05, toOne: 0.05), on: ["reset"])
    return model
}

@Suite("Noise: simulator methods")
struct NoisySimulatorTests {
    @Test("the chi-square p-value equals SciPy's chi2.sf")
    func chiSquarePValue() {
        // scipy.stats.chi2.sf(x, k) for (x, k).
        let cases: [(Double, Int, Double)] = [(3.0, 1, 0.08326451666355042), (10.0, 4, 0.04042768199451279),
                                              (50.0, 30, 0.01240206071890054), (100.0, 60, 0.0009168288614560842),
                                              (7.5, 7, 0.37873690604821353), (200, 150, 0.003973185970821635),
                                              (0.5, 3, 0.9188914116546758)]
        for (x, k, expected) in cases {
            let p = ChiSquare.upperRegularizedGamma(Double(k) / 2, x / 2)
            #expect(abs(p - expected) <= 1e-12 * max(1, expected / 1e-3), "χ²(\(x), \(k)) = \(p), expected \(expected)")
        }
    }

    @Test("trajectory counts fit Aer's exact distribution (chi-square, two seeds)",
          arguments: NoisyCase.all.filter { $0.recorded != nil })
    func trajectoriesAgainstAer(_ c: NoisyCase) throws {
        let circuit = try QuantumCircuit(qasm: c.qasm, file: "\(c.name).qasm")
        var simulator = Simulator(threads: 2)
        simulator.noise = try NoiseModel(aerJSON: c.model, source: c.name)
        simulator.method = .trajectories
        for seed: UInt64 in [11, 12] {
            let result = try simulator.run(circuit, shots: 3000, seed: seed)
            #expect(result.noise?.method == .trajectories)
            let (statistic, degrees, p) = ChiSquare.test(counts: result.counts, probabilities: c.recorded ?? [:])
            #expect(p >= alpha, "seed \(seed): χ² = \(statistic) with \(degrees) degrees of freedom, p = \(p) < α = \(alpha)")
        }
    }

    @Test("mid-circuit measurement, conditions and resets under noise fit the brute-force distribution",
          arguments: DynamicCase.all)
    func dynamicCircuits(_ c: DynamicCase) throws {
        let circuit = try QuantumCircuit(qasm: c.qasm, file: "\(c.name).qasm")
        let noise = try dynamicNoise()
        let exact = try ReferenceNoisySimulator.distribution(circuit, noise: noise)
        var simulator = Simulator(threads: 2)
        simulator.noise = noise
        for seed: UInt64 in [1, 2, 3] {
            let result = try simulator.run(circuit, shots: 4000, seed: seed)
            #expect(result.noise?.method == .trajectories, "auto picks trajectories for dynamic circuits")
            let (statistic, degrees, p) = ChiSquare.test(counts: result.counts, probabilities: exact)
            #expect(p >= alpha, "seed \(seed): χ² = \(statistic), \(degrees) degrees of freedom, p = \(p)")
        }
        // The density-matrix method refuses them, saying what to use.
        simulator.method = .densityMatrix
        #expect(throws: NoiseError.self) { try simulator.run(circuit, shots: 10, seed: 1) }
    }

    @Test("the tests can fail: noisy counts are far from the ideal distribution; the reference agrees with Aer")
    func power() throws {
        let c = try #require(NoisyCase.all.first { $0.name == "depolarizing_then_thermal" })
        let circuit = try QuantumCircuit(qasm: c.qasm, file: "c.qasm")
        let model = try NoiseModel(aerJSON: c.model)
        var simulator = Simulator(threads: 2)
        simulator.noise = model
        simulator.method = .trajectories
        let noisy = try simulator.run(circuit, shots: 20000, seed: 5)
        let ideal = try ReferenceNoisySimulator.distribution(circuit, noise: NoiseModel())
        #expect(ChiSquare.test(counts: noisy.counts, probabilities: ideal).pValue < 1e-6)
        // The brute-force reference equals Aer's distribution (it is an independent oracle).
        let reference = try ReferenceNoisySimulator.distribution(circuit, noise: model)
        for (key, p) in c.recorded ?? [:] { #expect(abs((reference[key] ?? 0) - p) < 1e-12, "P(\(key))") }
        // And the density-matrix method's counts fit it.
        simulator.method = .densityMatrix
        let dm = try simulator.run(circuit, shots: 20000, seed: 6)
        #expect(ChiSquare.test(counts: dm.counts, probabilities: reference).pValue >= alpha)
    }

    @Test("the same seed gives the same counts and memory for any thread count", arguments: [3, 14])
    func threadIndependence(_ n: Int) throws {
        var rng = SeededGenerator(seed: UInt64(n))
        var circuit = try RandomCircuits.circuit(qubits: n, gates: n == 3 ? 40 : 30, &rng)
        RandomCircuits.prepareGenericState(&circuit, &rng)
        circuit.measureAll()
        let noise = try dynamicNoise()
        var reference: RunResult?
        for threads in [1, 2, 4] {
            var simulator = Simulator(threads: threads)
            simulator.noise = noise
            simulator.method = .trajectories
            let result = try simulator.run(circuit, shots: n == 3 ? 2000 : 40, seed: 99, memory: true)
            if let reference {
                #expect(result.counts == reference.counts, "\(threads) threads")
                #expect(result.memory == reference.memory, "\(threads) threads")
            } else {
                reference = result
                #expect((result.noise?.branches ?? 0) > 1)
            }
        }
    }

    @Test("large states plan the ends of each run between events exactly: the same counts as the fixed chunks")
    func exactPieces() throws {
        var rng = SeededGenerator(seed: 5)
        var circuit = try RandomCircuits.circuit(qubits: 6, gates: 150, &rng)
        circuit.measureAll()
        let simulator = Simulator(threads: 2)
        let program = try NoisyProgram(circuit: circuit, noise: try dynamicNoise())
        var results: [[String: Int]] = []
        // exactPieceQubits 0: this 6-qubit state takes the large-state path (exact pieces, one
        // branch at a time); 64: the fixed chunks of 64, 8 and 1 elements, subtrees on threads.
        for threshold in [0, 64] {
            let engine = try TrajectoryEngine(program: program, fusion: true, maxFusedQubits: 5, exactPieceQubits: threshold)
            #expect(engine.largeState == (threshold == 0))
            let run = try engine.run([:], shots: 400, seed: 21, memory: false, simulator: simulator)
            #expect(run.branches > 20, "the runs must split often for the pieces to matter")
            results.append(run.counts)
        }
        #expect(results[0] == results[1])
    }

    @Test("expectation values: trajectories and shots lie within 5 standard errors of the exact value")
    func expectations() throws {
        // Each check below fails falsely with probability ≈ 5.7e-7 (normal approximation).
        var circuit = QuantumCircuit(numQubits: 3)
        circuit.h(0); circuit.cx(0, 1); circuit.ry(0.8, 2); circuit.cx(1, 2); circuit.rz(0.3, 0); circuit.sx(1)
        let observable = try PauliSum("0.7*ZZI - 0.4*XIX + 0.2*IYZ + 0.1*III")
        var simulator = Simulator(threads: 2)
        simulator.noise = try DeviceNoise.parse(depolarizing: "0.03,0.06", t1: "20us", t2: "30us", gateTime: "300ns,900ns", readoutError: "0.05").model()
        simulator.method = .densityMatrix
        let exact = try simulator.compile(circuit).expectations([observable], values: [])[0]
        // The exact value against the dense reference.
        let rho = try ReferenceDensityMatrix.run(circuit, noise: simulator.noise ?? NoiseModel())
        #expect(abs(exact - ReferenceDensityMatrix.expectation(rho, observable)) < 1e-12)
        simulator.method = .trajectories
        simulator.estimateShots = 4000
        simulator.seed = 3
        let compiled = try simulator.compile(circuit)
        let trajectory = try compiled.noisy?.estimates(compiled, [observable], values: [], initialState: nil)[0]
        let t = try #require(trajectory)
        #expect(t.method == .trajectories && t.samples == 4000 && t.standardError > 0)
        #expect(abs(t.value - exact) <= 5 * t.standardError, "\(t) vs exact \(exact)")
        // Shots from the density matrix, with readout errors mitigated.
        simulator.method = .densityMatrix
        simulator.mitigatesReadout = true
        let dmCompiled = try simulator.compile(circuit)
        let shot = try #require(try dmCompiled.noisy?.estimates(dmCompiled, [observable], values: [], initialState: nil)[0])
        #expect(shot.samples == 4000 && shot.standardError > 0)
        #expect(abs(shot.value - exact) <= 5 * shot.standardError, "\(shot) vs exact \(exact)")
    }

    @Test("Qiskit-written definitions of native gates are those gates (ecr up to its global phase, for noise), so the model's errors apply as in Aer")
    func nativeDefinitions() throws {
        let text = """
            OPENQASM 2.0;
            include "qelib1.inc";
            gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
            gate rzx(param0) q0,q1 { h q1; cx q0,q1; rz(param0) q1; cx q0,q1; h q1; }
            gate myecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
            gate ecr_bad q0,q1 { s q0; sx q1; cx q0,q1; }
            qreg q[2];
            ry(0.3) q[0];
            ecr q[0],q[1];
            rzx(0.4) q[0],q[1];
            rz(0.2) q[1];
            """
        // Exactly: rzx's body is RZX; ecr's is e^{iπ/4}·ECR, so it stays expanded (no amplitude changes).
        let expanded = try QuantumCircuit(qasm: text)
        #expect(expanded.instructions.map { $0.gate?.name ?? "" } == ["ry", "s", "sx", "cx", "x", "rzx", "rz"])
        let circuit = try QuantumCircuit(qasm: text, nativeDefinitions: .upToGlobalPhase)
        #expect(circuit.instructions.map { $0.gate?.name ?? "" } == ["ry", "ecr", "rzx", "rz"])
        // The same body under another name stays a user gate (expanded).
        let renamed = try QuantumCircuit(qasm: text.replacingOccurrences(of: "ecr q[0],q[1];", with: "myecr q[0],q[1];"),
                                         nativeDefinitions: .upToGlobalPhase)
        #expect(renamed.instructions.map { $0.gate?.name ?? "" } == ["ry", "s", "sx", "cx", "x", "rzx", "rz"])
        // A body that is not ecr's unitary keeps its own gates even under the name ecr.
        let wrong = text.replacingOccurrences(of: "gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }", with: "gate ecr q0,q1 { s q0; sx q1; cx q0,q1; }")
        #expect(try QuantumCircuit(qasm: wrong, nativeDefinitions: .upToGlobalPhase).instructions.map { $0.gate?.name ?? "" }
            == ["ry", "s", "sx", "cx", "rzx", "rz"])
        var model = NoiseModel()
        try model.add(try QuantumChannel.depolarizing(0.3, qubits: 2), on: ["ecr"])
        try model.add(try QuantumChannel.depolarizing(0.1), on: ["sx"])
        // Aer 0.18.2 on the same text and model (Fixtures/noise/native_definitions.py).
        let aer = [0.08585985271713728, 0.5504365670908896, 0.07977237608890045, 0.28393120410307143]
        let rho = try ReferenceDensityMatrix.run(circuit, noise: model)
        for (index, expected) in aer.enumerated() { #expect(abs(rho[index][index].real - expected) < 1e-12, "\(index)") }
        var simulator = Simulator(threads: 1)
        simulator.noise = model
        simulator.method = .densityMatrix
        simulator.wantsExactProbabilities = true
        var measured = circuit
        measured.measureAll()
        let run = try simulator.run(measured, shots: 10, seed: 1)
        let exact = try #require(run.noise?.probabilities)
        #expect(exact.count == 4)
        for (index, expected) in aer.enumerated() where index < exact.count { #expect(abs(exact[index] - expected) < 1e-12, "\(index)") }
    }

    @Test("idle qubits dropped with the model renumbered: the same exact probabilities as the whole register")
    func idleQubitsUnderNoise() throws {
        // A device-transpiled circuit: 6 qubits declared, 1, 3 and 4 used.
        var circuit = QuantumCircuit(numQubits: 6, numClbits: 3)
        circuit.sx(3); circuit.cx(3, 1); circuit.x(4); circuit.cx(1, 4); circuit.rz(0.4, 4); circuit.sx(4)
        circuit.measure(3, 0); circuit.measure(1, 1); circuit.measure(4, 2)
        var model = NoiseModel()
        for q in 0..<6 {
            try model.add(try QuantumChannel.amplitudeDamping(0.01 * Double(q + 1)), on: ["sx", "x"], qubits: [q])
            try model.add(try ReadoutError(oneGivenZero: 0.01 * Double(q), zeroGivenOne: 0.02), qubits: [q])
        }
        try model.add(try QuantumChannel.depolarizing(0.05, qubits: 2), on: ["cx"], qubits: [3, 1])
        try model.add(try QuantumChannel.depolarizing(0.02, qubits: 2), on: ["cx"], qubits: [1, 4])
        try model.add(try QuantumChannel.depolarizing(0.5, qubits: 2), on: ["cx"], qubits: [4, 1])  // never used: reversed pair
        try model.add(try QuantumChannel.depolarizing(0.3, qubits: 2), on: ["cx"], qubits: [0, 2])  // idle pair: dropped
        let compact = try #require(try circuit.removingIdleQubits())
        #expect(compact.qubits == [1, 3, 4])
        let restricted = try model.restricted(to: compact.qubits)
        #expect(restricted.error(for: "cx", on: [1, 0]) == model.error(for: "cx", on: [3, 1]))
        #expect(restricted.error(for: "sx", on: [2]) == model.error(for: "sx", on: [4]))
        #expect(restricted.readoutError(forQubit: 1) == model.readoutError(forQubit: 3))
        #expect(restricted.quantumErrorList.count == 3 * 2 + 3)
        var simulator = Simulator(threads: 1)
        simulator.method = .densityMatrix
        simulator.wantsExactProbabilities = true
        simulator.noise = model
        let whole = try #require(try simulator.run(circuit, shots: 100, seed: 1).noise?.probabilities)
        simulator.noise = restricted
        let small = try #require(try simulator.run(compact.circuit, shots: 100, seed: 1).noise?.probabilities)
        #expect(whole.count == 64 && small.count == 8)
        for index in 0..<8 {
            // Compact qubit k is whole-register qubit compact.qubits[k]; the idle qubits stay 0.
            let wholeIndex = (0..<3).reduce(0) { $0 | ((index >> $1) & 1) << compact.qubits[$1] }
            #expect(abs(small[index] - whole[wholeIndex]) < 1e-14, "\(index)")
        }
    }

    @Test("readout mitigation removes the readout bias of a shot estimate")
    func mitigation() throws {
        var circuit = QuantumCircuit(numQubits: 2)
        circuit.x(0)
        let observable = try PauliSum("IZ + ZI")  // exact: −1 + 1 = 0 without readout; with readout the X'd qubit reads 0 often
        var model = NoiseModel()
        try model.add(try ReadoutError(oneGivenZero: 0.02, zeroGivenOne: 0.2))
        var simulator = Simulator(threads: 1)
        simulator.noise = model
        simulator.method = .densityMatrix
        simulator.estimateShots = 20000
        simulator.seed = 8
        let raw = try simulator.compile(circuit).expectations([observable], values: [])[0]
        simulator.mitigatesReadout = true
        let compiled = try simulator.compile(circuit)
        let mitigated = try #require(try compiled.noisy?.estimates(compiled, [observable], values: [], initialState: nil)[0])
        // Unmitigated: ⟨Z0⟩ = −1 + 2·0.2 = −0.6, ⟨Z1⟩ = 1 − 2·0.02 = 0.96: sum 0.36, far outside the error bars.
        #expect(abs(raw - 0.36) < 0.05)
        #expect(abs(mitigated.value) <= 5 * mitigated.standardError, "\(mitigated)")
    }

    @Test("automatic choice: density matrix for small circuits, trajectories when memory or dynamics demand")
    func automatic() throws {
        var circuit = QuantumCircuit(numQubits: 3, numClbits: 3)
        circuit.h(0); circuit.cx(0, 1); circuit.cx(1, 2)
        circuit.measure(QuantumRegister(3, name: "q"), ClassicalRegister(3, name: "c"))
        var simulator = Simulator(threads: 1)
        simulator.noise = try DeviceNoise.parse(depolarizing: "0.01,0.02").model()
        let small = try simulator.run(circuit, shots: 1000, seed: 1)
        #expect(small.noise?.method == .densityMatrix)
        #expect((small.noise?.reason ?? "").isEmpty == false)
        #expect(small.noise?.probabilities?.count == 8)
        simulator.maxMemoryBytes = 1536  // 4^3·16 = 1 KiB: more than half; 12 trajectory states of 128 bytes fit
        let limited = try simulator.run(circuit, shots: 1000, seed: 1)
        #expect(limited.noise?.method == .trajectories)
        #expect(limited.noise?.reason.contains("more than half") == true)
        // A density matrix too large for the limit is refused with the numbers.
        simulator.method = .densityMatrix
        simulator.maxMemoryBytes = 512
        var message = ""
        do { _ = try simulator.run(circuit, shots: 10, seed: 1) } catch { message = "\(error)" }
        #expect(message.contains("cannot simulate 3 qubits with the density-matrix method: the 4^3 entries need 1.0 KiB (1024 bytes)"))
    }

    @Test("parameter-shift gradients under noise equal central differences of the exact density matrix; adjoint is refused")
    func gradients() throws {
        let a = Parameter("a"), b = Parameter("b")
        var circuit = QuantumCircuit(numQubits: 2)
        circuit.ry(a, 0); circuit.cx(0, 1); circuit.rz(2 * b, 1); circuit.rx(a + b, 1); circuit.h(0)
        let observables = [try PauliSum("ZI"), try PauliSum("0.5*XX + IZ")]
        var simulator = Simulator(threads: 1)
        simulator.noise = try DeviceNoise.parse(depolarizing: "0.05,0.1", t1: "10us", t2: "15us", gateTime: "1us,2us").model()
        let compiled = try simulator.compile(circuit)
        let values = [0.37, -1.1]
        let (e, jacobian) = try compiled.gradient(of: observables, values: values, method: .parameterShift)
        #expect(zip(e, try compiled.expectations(observables, values: values)).allSatisfy { abs($0 - $1) < 1e-13 })
        let h = 1e-5
        for j in 0..<2 {
            var plus = values, minus = values
            plus[j] += h
            minus[j] -= h
            let ep = try compiled.expectations(observables, values: plus), em = try compiled.expectations(observables, values: minus)
            for k in 0..<2 { #expect(abs(jacobian[k][j] - (ep[k] - em[k]) / (2 * h)) < 1e-8, "∂⟨O\(k)⟩/∂p\(j)") }
        }
        var message = ""
        do { _ = try compiled.gradient(of: observables, values: values, method: .adjoint) } catch { message = "\(error)" }
        #expect(message.hasPrefix("adjoint gradients: adjoint differentiation runs the circuit backwards"))
        #expect(message.contains("parameter-shift"))
    }

    @Test("a noisy circuit has no state vector; run gives counts and the exact probabilities")
    func apiShape() throws {
        var circuit = QuantumCircuit(numQubits: 2, numClbits: 2)
        circuit.h(0); circuit.cx(0, 1); circuit.measure(0, 0); circuit.measure(1, 1)
        var simulator = Simulator(threads: 1)
        simulator.noise = try DeviceNoise.parse(depolarizing: "0.1,0.1", readoutError: "0.1").model()
        simulator.keepsDensityMatrix = true
        #expect(throws: QuantumError.self) { try simulator.statevector(circuit.removingFinalMeasurements()) }
        let result = try simulator.run(circuit, shots: 500, seed: 4)
        #expect(result.counts.values.reduce(0, +) == 500)
        let info = try #require(result.noise)
        #expect(info.densityMatrix?.numQubits == 2)
        #expect(abs((info.probabilities ?? []).reduce(0, +) - 1) < 1e-12)
        #expect(info.noisyInstructions == ["h": 1, "cx": 1])
        #expect(info.idealInstructions == ["measure": 2])
    }
}

