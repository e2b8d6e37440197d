import ComplexModule
import Foundation
import Testing
import _TestSupport
@testable import Quantum

private func rows(_ rho: DensityMatrix) -> DenseMatrix { rho.rows }

private func maxDistance(_ a: DenseMatrix, _ b: DenseMatrix) -> Double {
    var worst = 0.0
    for r in a.indices { for c in a[r].indices { worst = max(worst, (a[r][c] - b[r][c]).length) } }
    return worst
}

private func krausMatrices(_ channel: QuantumChannel) -> [DenseMatrix] {
    let d = 1 << channel.numQubits
    return channel.krausOperators.map { flat in (0..<d).map { r in Array(flat[(r * d)..<((r + 1) * d)]) } }
}

/// Channels to check: every standard kind, random Kraus maps on 1–3 qubits, and composites.
private func sampleChannels() throws -> [(String, QuantumChannel)] {
    var rng = SeededGenerator(seed: 16)
    func randomKraus(_ k: Int, count: Int) throws -> QuantumChannel {
        // The first d columns of a random unitary form an isometry V (d·count × d): K_j = block j
        // of V, so Σ K†K = V†V = I.
        let d = 1 << k
        let side = d * count
        let u = RandomCircuits.unitary(side, &rng)
        let ops: [[Complex<Double>]] = (0..<count).map { j in
            (0..<d).flatMap { r in (0..<d).map { c in u[(j * d + r) * side + c] } }
        }
        return try .kraus(ops)
    }
    let relax = try QuantumChannel.thermalRelaxation(t1: 50e-6, t2: 70e-6, time: 300e-9)
    return [
        ("depolarizing 1q", try .depolarizing(0.3)),
        ("depolarizing 2q", try .depolarizing(0.5, qubits: 2)),
        ("depolarizing 3q", try .depolarizing(0.2, qubits: 3)),
        ("pauli", try .pauli([("XZ", 0.1), ("YY", 0.2), ("II", 0.7)])),
        ("amplitude damping", try .amplitudeDamping(0.35, excitedStatePopulation: 0.2)),
        ("phase damping", try .phaseDamping(0.4)),
        ("phase+amplitude damping", try .phaseAmplitudeDamping(amplitude: 0.2, phase: 0.3, excitedStatePopulation: 0.1)),
        ("thermal T2 < T1", try .thermalRelaxation(t1: 40e-6, t2: 20e-6, time: 5e-6, excitedStatePopulation: 0.1)),
        ("thermal T2 > T1", try .thermalRelaxation(t1: 40e-6, t2: 70e-6, time: 5e-6, excitedStatePopulation: 0.3)),
        ("reset", try .reset(toZero: 0.2, toOne: 0.1)),
        ("over-rotation", try .overRotation(about: "ZX", angle: 0.3)),
        ("kraus 1q", try randomKraus(1, count: 3)),
        ("kraus 2q", try randomKraus(2, count: 4)),
        ("kraus 3q", try randomKraus(3, count: 2)),
        ("depolarizing then thermal", try QuantumChannel.depolarizing(0.05, qubits: 2).composed(with: relax.expanded(with: relax))),
        ("mixture", try .mixture([(0.3, .amplitudeDamping(0.5)), (0.7, .depolarizing(0.1))])),
    ]
}

@Suite("Noise: channels")
struct ChannelTests {
    @Test("the density-matrix engine's conj(U) is the elementwise conjugate of U, phase included, for every gate kind")
    func conjugatedGates() throws {
        // An audit found rccx among the "real" kinds left as they are: its ±i entries made the
        // column half U instead of conj(U), and ρ came out with trace −1.
        var rng = SeededGenerator(seed: 41)
        let kinds = GateKind.standard + [.mcx(controls: 3), .mcz(controls: 2), .mcp(controls: 3)]
        for kind in kinds {
            let gate = try Gate(kind, (0..<kind.numParameters).map { _ in (rng.nextUniform() * 2 - 1) * Double.pi })
            let expected = try gate.matrix().map(\.conjugate)
            let got = try DensityMatrixEngine.conjugate(gate).matrix()
            #expect(got.count == expected.count, "\(kind.name)")
            let worst = zip(got, expected).map { ($0 - $1).length }.max() ?? .infinity
            #expect(worst < 1e-14, "\(kind.name): |conj(U) − conjugate(gate)| = \(worst)")
        }
    }

    @Test("standard channels equal their closed forms on a random one-qubit state")
    func closedForms() throws {
        var rng = SeededGenerator(seed: 7)
        let rho0 = ReferenceDensityMatrix.random(qubits: 1, rank: 2, &rng)
        let a = rho0[0][0], b = rho0[0][1], d = rho0[1][1]
        func run(_ channel: QuantumChannel) throws -> DenseMatrix {
            var rho = try DensityMatrix(rows: rho0)
            try rho.apply(channel, to: [0])
            return rho.rows
        }
        func c(_ x: Double) -> Complex<Double> { Complex(x, 0) }
        // Depolarizing: (1 − λ)ρ + λ·I/2.
        let lambda = 0.3
        let dep = try run(.depolarizing(lambda))
        #expect(maxDistance(dep, [[a * c(1 - lambda) + c(lambda / 2), b * c(1 - lambda)],
                                  [b.conjugate * c(1 - lambda), d * c(1 - lambda) + c(lambda / 2)]]) < 1e-14)
        // Amplitude damping γ: ρ11 → (1−γ)ρ11, ρ01 → √(1−γ)ρ01.
        let gamma = 0.35
        let ad = try run(.amplitudeDamping(gamma))
        #expect(maxDistance(ad, [[a + d * c(gamma), b * c((1 - gamma).squareRoot())],
                                 [b.conjugate * c((1 - gamma).squareRoot()), d * c(1 - gamma)]]) < 1e-14)
        // Phase damping λ: off-diagonal × √(1−λ).
        let pd = try run(.phaseDamping(0.4))
        #expect(maxDistance(pd, [[a, b * c(0.6.squareRoot())], [b.conjugate * c(0.6.squareRoot()), d]]) < 1e-14)
        // Thermal relaxation (both regimes): r = 1 − e^{−t/T1}, populations relax toward p, coherence × e^{−t/T2}.
        for (t1, t2, p) in [(40.0, 20.0, 0.1), (40.0, 70.0, 0.3), (40.0, 80.0, 0.0)] {
            let time = 5.0
            let r = 1 - Foundation.exp(-time / t1), e = Foundation.exp(-time / t2)
            let th = try run(.thermalRelaxation(t1: t1, t2: t2, time: time, excitedStatePopulation: p))
            let p00 = a.real * (1 - p * r) + d.real * (1 - p) * r
            let expected: DenseMatrix = [[c(p00), b * c(e)], [b.conjugate * c(e), c(1 - p00)]]
            #expect(maxDistance(th, expected) < 1e-14, "T1 \(t1) T2 \(t2) p \(p)")
        }
        // Reset error: (1 − p0 − p1)ρ + p0|0⟩⟨0| + p1|1⟩⟨1|.
        let reset = try run(.reset(toZero: 0.2, toOne: 0.1))
        #expect(maxDistance(reset, [[a * c(0.7) + c(0.2), b * c(0.7)], [b.conjugate * c(0.7), d * c(0.7) + c(0.1)]]) < 1e-14)
    }

    @Test("every channel is CPTP on random states, and equals Σ K ρ K† of the dense reference")
    func cptp() throws {
        var rng = SeededGenerator(seed: 11)
        for (name, channel) in try sampleChannels() {
            for trial in 0..<3 {
                let n = 3
                var qubits = Array(0..<n)
                qubits.shuffle(using: &rng)
                qubits = Array(qubits.prefix(channel.numQubits))
                let rho0 = ReferenceDensityMatrix.random(qubits: n, rank: 1 + trial * 3, &rng)
                var rho = try DensityMatrix(rows: rho0)
                try rho.apply(channel, to: qubits)
                let out = rho.rows
                let reference = ReferenceDensityMatrix.apply(krausMatrices(channel), to: rho0, on: qubits, width: n)
                #expect(maxDistance(out, reference) < 1e-13, "\(name): differs from Σ K ρ K†")
                #expect(abs(rho.trace - 1) < 1e-13, "\(name): trace \(rho.trace)")
                #expect(maxDistance(out, ReferenceDensityMatrix.adjoint(out)) < 1e-14, "\(name): not Hermitian")
                let smallest = ReferenceDensityMatrix.eigenvalues(out).first ?? -1
                #expect(smallest > -1e-12, "\(name): negative eigenvalue \(smallest)")
            }
            // Σ K†K = I for the flattened operators.
            let d = 1 << channel.numQubits
            var sum = [Complex<Double>](repeating: .zero, count: d * d)
            for k in channel.krausOperators {
                for r in 0..<d { for c in 0..<d { for m in 0..<d { sum[r * d + c] = sum[r * d + c] + k[m * d + r].conjugate * k[m * d + c] } } }
            }
            for r in 0..<d { for c in 0..<d { #expect((sum[r * d + c] - (r == c ? .one : .zero)).length < 1e-12, "\(name): Σ K†K ≠ I") } }
        }
    }

    @Test("composition multiplies superoperators; expansion tensors them")
    func composition() throws {
        let a = try QuantumChannel.amplitudeDamping(0.3), b = try QuantumChannel.pauli([("X", 0.2), ("I", 0.8)])
        let ab = try a.composed(with: b).superoperatorMatrix()
        let product = b.superoperatorMatrix() * a.superoperatorMatrix()
        #expect(zip(ab.entries, product.entries).allSatisfy { ($0 - $1).length < 1e-14 })
        // a on qubit 0, b on qubit 1 applied separately equals a.expanded(with: b) on [0, 1].
        var rng = SeededGenerator(seed: 3)
        let rho0 = ReferenceDensityMatrix.random(qubits: 2, rank: 3, &rng)
        var separate = try DensityMatrix(rows: rho0), joint = try DensityMatrix(rows: rho0)
        try separate.apply(a, to: [0])
        try separate.apply(b, to: [1])
        try joint.apply(a.expanded(with: b), to: [0, 1])
        #expect(maxDistance(separate.rows, joint.rows) < 1e-14)
    }

    @Test("incomplete or malformed Kraus maps are refused with what was received")
    func refusedKraus() throws {
        let half = [Complex<Double>(0.5.squareRoot(), 0), .zero, .zero, Complex(0.5.squareRoot(), 0)]
        var message = ""
        do { _ = try QuantumChannel.kraus([half]) } catch { message = "\(error)" }
        #expect(message.contains("not complete") && message.contains("Σ K†K − I| = 0.5"))
        #expect(throws: NoiseError.self) { try QuantumChannel.kraus([[.one, .zero, .zero]]) }
        #expect(throws: NoiseError.self) { try QuantumChannel.kraus([]) }
        #expect(throws: NoiseError.self) { try QuantumChannel.kraus([half, [.one, .zero, .zero, .zero, .zero, .one, .zero, .zero, .zero, .zero, .one, .zero, .zero, .zero, .zero, .one]]) }
        #expect(throws: NoiseError.self) { try QuantumChannel.kraus([[Complex(.nan, 0), .zero, .zero, .one]]) }
        // 16 × 16 (4 qubits) is beyond 1–3 qubits.
        #expect(throws: NoiseError.self) { try QuantumChannel.kraus([Array(repeating: .zero, count: 256)]) }
    }

    @Test("parameters outside Aer's ranges are refused, naming the parameter")
    func ranges() throws {
        func text(_ body: () throws -> QuantumChannel) -> String {
            do { _ = try body(); return "" } catch { return "\(error)" }
        }
        #expect(text { try .depolarizing(1.5) }.contains("depolarizing parameter λ = 1.5"))
        #expect(text { try .depolarizing(-0.1, qubits: 2) }.contains("0...1.06667"))
        #expect(text { try .thermalRelaxation(t1: 10, t2: 25, time: 1) }.contains("T2 = 25.0"))
        #expect(text { try .thermalRelaxation(t1: 0, t2: 1, time: 1) }.contains("T1 = 0.0"))
        #expect(text { try .thermalRelaxation(t1: 10, t2: 10, time: -1) }.contains("gate time"))
        #expect(text { try .amplitudeDamping(1.2) }.contains("amplitude damping parameter = 1.2"))
        #expect(text { try .reset(toZero: 0.7, toOne: 0.6) }.contains("p0 + p1"))
        #expect(text { try .pauli([("XQ", 1)]) }.contains("'XQ'"))
        #expect(text { try .pauli([("X", 0.5), ("I", 0.4)]) }.contains("sum 0.9"))
        #expect(text { try .mixture([(0.5, .depolarizing(0.1)), (0.5, .depolarizing(0.1, qubits: 2))]) }.contains("2-qubit"))
        #expect(throws: QuantumError.self) { try QuantumChannel.unitary([.one, .one, .zero, .one]) }
        // Boundaries are accepted.
        _ = try QuantumChannel.depolarizing(4.0 / 3.0)
        _ = try QuantumChannel.thermalRelaxation(t1: 10, t2: 20, time: 1)
        _ = try QuantumChannel.thermalRelaxation(t1: .infinity, t2: .infinity, time: 1)
        _ = try QuantumChannel.amplitudeDamping(1)
    }

    @Test("readout mitigation inverts the tensored assignment matrices")
    func mitigation() throws {
        let errors = [try ReadoutError(oneGivenZero: 0.05, zeroGivenOne: 0.1), nil, try ReadoutError(oneGivenZero: 0.2, zeroGivenOne: 0.02)]
        var rng = SeededGenerator(seed: 5)
        var truth = (0..<8).map { _ in rng.nextUniform() }
        let total = truth.reduce(0, +)
        truth = truth.map { $0 / total }
        // Forward: each bit through its assignment matrix, computed term by term.
        var recorded = [Double](repeating: 0, count: 8)
        for t in 0..<8 {
            for m in 0..<8 {
                var w = truth[t]
                for j in 0..<3 {
                    let tb = (t >> j) & 1, mb = (m >> j) & 1
                    w *= errors[j].map { $0.probabilities[tb][mb] } ?? (tb == mb ? 1 : 0)
                }
                recorded[m] += w
            }
        }
        let mitigated = try ReadoutMitigator(errors: errors).mitigate(recorded)
        for i in 0..<8 { #expect(abs(mitigated[i] - truth[i]) < 1e-14) }
        #expect(throws: NoiseError.self) { try ReadoutMitigator(errors: [try ReadoutError(oneGivenZero: 0.5, zeroGivenOne: 0.5)]) }
        #expect(throws: NoiseError.self) { try ReadoutMitigator(errors: [nil]).mitigate([1, 0, 0]) }
    }
}
