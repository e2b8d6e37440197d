import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// One circuit of transpiled.json (made by Fixtures/make_transpiled_fixtures.py with Qiskit's transpiler).
struct TranspiledCircuit: CustomTestStringConvertible, Sendable {
    let name: String
    let basis: String
    let qasm: String
    let numQubits: Int
    let statevector: [Complex<Double>]
    var testDescription: String { name }

    static func all() throws -> [TranspiledCircuit] {
        let data = try FixtureLoader.json("transpiled.json", in: fixtures)
        guard let entries = data["circuits"] as? [[String: Any]] else { return [] }
        return try entries.map { e in
            TranspiledCircuit(name: e["name"] as? String ?? "?", basis: e["basis"] as? String ?? "?",
                              qasm: e["qasm"] as? String ?? "", numQubits: e["num_qubits"] as? Int ?? 0,
                              statevector: try FixtureLoader.complexArray(e["statevector"]))
        }
    }
}

/// The fused product of gates applied in order, classified.
func classify(_ gates: [(Gate, [Int])]) throws -> FusedProduct {
    let qubits = Array(Set(gates.flatMap(\.1))).sorted()
    var matrix = FusionMatrix(identityOn: qubits)
    for (gate, on) in gates {
        matrix.multiply(by: GateDefinitions.structure(of: gate, values: try gate.numericParameters()).fullMatrix(), on: on)
    }
    return matrix.classified()
}

func gate(_ kind: GateKind, _ angles: Double...) throws -> Gate { try Gate(kind, angles) }

/// A simulator with a given fusion width (0: no fusion at all) and, optionally, small passes.
func fusedSimulator(_ width: Int, blockQubits: Int? = nil, threads: Int = 1, parameterised: Bool? = nil) -> Simulator {
    var s = Simulator(threads: threads, fusion: width > 0)
    s.maxFusedQubits = max(width, 1)
    s.blockQubits = blockQubits
    s.fusesParameterised = parameterised
    return s
}

@Suite("Gate fusion: classification of fused products")
struct FusionClassificationTests {
    @Test("a controlled phase written as u·cx·u·cx·u is diagonal again")
    func hiddenControlledPhase() throws {
        let lambda = 0.7
        let product = try classify([
            (try gate(.u, 0, 0, lambda / 2), [3]), (try gate(.cx), [3, 1]), (try gate(.u, 0, 0, -lambda / 2), [1]),
            (try gate(.cx), [3, 1]), (try gate(.u, 0, 0, lambda / 2), [1]),
        ])
        #expect(product.form == .diagonal)
        // diag(1, e^{iλ}) on |11⟩: one control, the lowest qubit the target.
        #expect(product.qubits == [3, 1] && product.numControls == 1)
        let d = product.structure.target.diagonalEntries
        #expect((d[0] - .one).length < 1e-15 && (d[1] - Complex(cos(lambda), sin(lambda))).length < 1e-15)
        #expect(product.mixingMask == 0)
        // In rz+sx+cx form (rz's carry global phases): still diagonal, not controlled.
        let rz = try classify([
            (try gate(.rz, lambda / 2), [0]), (try gate(.cx), [0, 2]), (try gate(.rz, -lambda / 2), [2]),
            (try gate(.cx), [0, 2]), (try gate(.rz, lambda / 2), [2]),
        ])
        #expect(rz.form == .diagonal && rz.numControls == 0)
    }

    @Test("three CX make a SWAP, a CX fan-out a controlled permutation")
    func permutations() throws {
        let swap = try classify([(try gate(.cx), [0, 4]), (try gate(.cx), [4, 0]), (try gate(.cx), [0, 4])])
        #expect(swap.form == .permutation && swap.numControls == 0)
        #expect(swap.structure.target == GateDefinitions.swapMatrix)
        #expect(swap.mixingMask == (1 << 0) | (1 << 4))
        let fan = try classify([(try gate(.cx), [1, 0]), (try gate(.cx), [1, 2]), (try gate(.cx), [1, 3])])
        #expect(fan.form == .permutation)
        #expect(fan.qubits == [1, 0, 2, 3] && fan.numControls == 1)
        #expect(fan.mixingMask == 0b1101)
        // With phases: CX then S on the target.
        let phased = try classify([(try gate(.cx), [0, 1]), (try gate(.s), [1])])
        #expect(phased.form == .permutation)
        let call = KernelCall<Double>(structure: phased.structure, qubits: phased.qubits, numQubits: 2)
        if case .flip = call.operation { Issue.record("CX·S is not a plain X") }
    }

    @Test("controlled rotations hidden in two CX stay controlled")
    func controlled() throws {
        let theta = 1.3
        let product = try classify([
            (try gate(.ry, theta / 2), [2]), (try gate(.cx), [0, 2]), (try gate(.ry, -theta / 2), [2]), (try gate(.cx), [0, 2]),
        ])
        #expect(product.form == .dense && product.numControls == 1 && product.qubits == [0, 2])
        #expect(product.isReal)
        let expected = GateDefinitions.ry(theta)
        let target = product.structure.target
        #expect(zip(target.entries, expected.entries).allSatisfy { ($0 - $1).length < 1e-15 })
    }

    @Test("identities are dropped; a global phase is not an identity")
    func identities() throws {
        let u = try gate(.u, 0.3, -1.1, 2.4)
        #expect(try classify([(u, [1]), (try u.inverse(), [1])]).form == .identity)
        #expect(try classify([(try gate(.cx), [0, 1]), (try gate(.cx), [0, 1])]).form == .identity)
        #expect(try classify([(try gate(.h), [0]), (try gate(.h), [0])]).form == .identity)
        // rz(2π) = −1: a global phase, diagonal, kept.
        #expect(try classify([(try gate(.rz, 2 * Double.pi), [0])]).form == .diagonal)
    }

    @Test("near misses stay dense: small rotations are not rounding")
    func nearMisses() throws {
        for epsilon in [1e-9, 1e-11, 5e-13] {
            // An identity up to a tiny rotation.
            let almostIdentity = try classify([(try gate(.rx, epsilon), [0]), (try gate(.h), [0]), (try gate(.h), [0])])
            #expect(almostIdentity.form == .dense, "rx(\(epsilon))")
            // A controlled phase with a tiny rotation on its target.
            let almostDiagonal = try classify([
                (try gate(.cx), [0, 1]), (try gate(.u, 0, 0, 0.4), [1]), (try gate(.cx), [0, 1]), (try gate(.ry, epsilon), [1]),
            ])
            #expect(almostDiagonal.form == .dense, "ry(\(epsilon)) after a phase")
            // A SWAP with a tiny rotation.
            let almostSwap = try classify([
                (try gate(.cx), [0, 1]), (try gate(.cx), [1, 0]), (try gate(.cx), [0, 1]), (try gate(.rx, epsilon), [0]),
            ])
            #expect(almostSwap.form == .dense, "rx(\(epsilon)) after a swap")
        }
    }

    @Test("products equal to a form up to rounding are recognised")
    func rounding() throws {
        // h·s·s·h = x, through irrational entries.
        let x = try classify([(try gate(.h), [0]), (try gate(.s), [0]), (try gate(.s), [0]), (try gate(.h), [0])])
        #expect(x.form == .permutation)
        // sx·sx = x; rz·sx·rz forms of h twice = identity up to a global phase (diagonal).
        let sxsx = try classify([(try gate(.sx), [2]), (try gate(.sx), [2])])
        #expect(sxsx.form == .permutation)
        var h: [(Gate, [Int])] = []
        for _ in 0..<2 { h += [(try gate(.rz, Double.pi / 2), [0]), (try gate(.sx), [0]), (try gate(.rz, Double.pi / 2), [0])] }
        #expect(try classify(h).form == .diagonal)
    }
}

@Suite("Gate fusion: fused and unfused plans agree")
struct FusionAgreementTests {
    static let circuits = (try? QiskitCircuit.all())?.filter { $0.statevector != nil } ?? []
    static let transpiled = (try? TranspiledCircuit.all()) ?? []

    /// The largest difference between the fused states (every width, with and without passes)
    /// and the unfused state.
    static func worstDifference(_ circuit: QuantumCircuit, threads: Int = 1) throws -> Double {
        let unfused = try fusedSimulator(0).statevector(circuit).amplitudes
        var worst = 0.0
        for width in [1, 2, 3, 5] {
            for blockQubits in [nil, 3] where blockQubits == nil || circuit.numQubits > 4 {
                let fused = try fusedSimulator(width, blockQubits: blockQubits, threads: threads).statevector(circuit).amplitudes
                worst = max(worst, Distance.max(fused, unfused))
            }
        }
        return worst
    }

    @Test("every Qiskit fixture circuit: fused = unfused to 1e-12", arguments: circuits)
    func qiskitFixtures(fixture: QiskitCircuit) throws {
        let circuit = try fixture.load()
        #expect(try FusionAgreementTests.worstDifference(circuit) < 1e-12)
    }

    @Test("the transpiled fixtures (u+cx, rz+sx+cx, rz+sx+x+cx): Qiskit's state, fused = unfused to 1e-12",
          arguments: transpiled)
    func transpiledFixtures(fixture: TranspiledCircuit) throws {
        let circuit = try QuantumCircuit(qasm: fixture.qasm, file: fixture.name)
        #expect(Distance.max(try Simulator().statevector(circuit).amplitudes, fixture.statevector) < doubleTolerance)
        #expect(try FusionAgreementTests.worstDifference(circuit) < 1e-12)
    }

    @Test("the fixture set covers three bases and both levels")
    func coverage() {
        #expect(Set(FusionAgreementTests.transpiled.map(\.basis)) == ["u+cx", "rz+sx+cx", "rz+sx+x+cx"])
        #expect(FusionAgreementTests.transpiled.count >= 150)
    }

    @Test("a transpiled QFT fuses back to the native QFT's work", arguments: QuantumBenchmark.Basis.allCases)
    func transpiledQFTStructure(basis: QuantumBenchmark.Basis) throws {
        // Planning only (no state), at a width where kernel-call overhead no longer decides.
        let n = 18
        let transpiled = try Simulator().compile(QuantumBenchmark.transpiledQFT(numQubits: n, basis: basis)).execution
        let native = try Simulator().compile(QuantumCircuit.qft(numQubits: n)).execution
        // Unrecovered, every controlled phase would be a dense two-qubit block: the arithmetic and
        // the kernel count would be several times the native QFT's.
        // (The native QFT is fused too; the cost model may cut the two a little differently.)
        #expect(transpiled.flops <= 1.35 * native.flops, "\(basis): \(transpiled) vs native \(native)")
        #expect(transpiled.kernels <= native.kernels + native.kernels / 4, "\(basis): \(transpiled) vs native \(native)")
        #expect(transpiled.diagonalKernels > 0 && transpiled.denseKernelsByTargets.dropFirst(3).allSatisfy { $0 == 0 },
                "\(basis): \(transpiled)")
    }

    @Test("random circuits with random angles: fused = unfused = reference", arguments: [1, 2, 3])
    func randomCircuits(seed: UInt64) throws {
        var rng = SeededGenerator(seed: 4000 + seed)
        for n in [3, 5, 7] {
            var circuit = QuantumCircuit(numQubits: n)
            RandomCircuits.prepareGenericState(&circuit, &rng)
            circuit = try circuit.compose(try RandomCircuits.circuit(qubits: n, gates: 40, &rng))
            let reference = try ReferenceSimulator.statevector(of: circuit)
            #expect(Distance.max(try Simulator().statevector(circuit).amplitudes, reference) < doubleTolerance)
            #expect(try FusionAgreementTests.worstDifference(circuit, threads: 2) < 1e-12)
            let single = try Simulator(precision: .single).statevector(circuit, as: Float.self).amplitudes
            #expect(Distance.max(single.map { Complex(Double($0.real), Double($0.imaginary)) }, reference) < floatTolerance)
        }
    }

    @Test("long chains of one-qubit gates (randomized benchmarking writes thousands): fused = unfused = reference, in a few blocks")
    func longChains() throws {
        var rng = SeededGenerator(seed: 4100)
        var circuit = QuantumCircuit(numQubits: 3)
        circuit.cx(0, 1)
        // 600 gates alternating on qubits 0 and 1 wait for the next CX: one run of 601 pieces, far
        // longer than a block may start back from its end; then 400 more, a CX and a lone one.
        for (count, closing) in [(600, [0, 1]), (400, [1, 2])] {
            for i in 0..<count {
                circuit.u(rng.nextUniform() * 3, rng.nextUniform() * 3, rng.nextUniform() * 3, i % 2)
            }
            circuit.cx(closing[0], closing[1])
        }
        let reference = try ReferenceSimulator.statevector(of: circuit)
        #expect(Distance.max(try Simulator().statevector(circuit).amplitudes, reference) < 1e-10)
        #expect(try FusionAgreementTests.worstDifference(circuit) < 1e-11)
        // Each chain is one dense block, also where no later stage merges blocks (blocks of at most
        // two qubits): cut only within a window of the block's end, the run would be 13 or more.
        for width in [2, 5] {
            let execution = try fusedSimulator(width).compile(circuit).execution
            #expect(execution.kernels <= 5, "width \(width): \(execution)")
        }
    }

    @Test("parameterised circuits bound to random values: fused blocks rebuilt per bind = unfused")
    func parameterised() throws {
        var rng = SeededGenerator(seed: 77)
        let n = 6
        let theta = (0..<8).map { Parameter("θ\($0)") }
        var circuit = QuantumCircuit(numQubits: n)
        for layer in 0..<3 {
            for q in 0..<n {
                circuit.ry(theta[(q + layer) % 8], q)
                circuit.rz(theta[(2 * q + layer) % 8] + theta[(q + 1) % 8], q)
            }
            for q in 0..<(n - 1) { circuit.cx(q, q + 1) }
            circuit.cp(theta[layer], 0, n - 1)
            circuit.u(theta[3], theta[4] + theta[5], 0.3, layer)
            circuit.rzz(theta[6], 1, 4)
        }
        for blockQubits in [nil, 3] {
            let fused = try fusedSimulator(5, blockQubits: blockQubits, parameterised: true).compile(circuit)
            let unfused = try fusedSimulator(0).compile(circuit)
            #expect(fused.execution.kernels < unfused.execution.kernels)
            for _ in 0..<4 {
                let values = (0..<8).map { _ in RandomCircuits.angle(&rng) }
                let a = try fused.statevector(values: values).amplitudes
                let b = try unfused.statevector(values: values).amplitudes
                #expect(Distance.max(a, b) < 1e-12)
            }
            // One fusion and one schedule for all the bindings.
            #expect(fused.plan.schedules.count == 1)
        }
    }

    @Test("the benchmark's families equal Qiskit's transpiled circuits (counts and state up to phase)")
    func families() throws {
        let data = try FixtureLoader.json("transpiled.json", in: fixtures)
        let entries = try #require(data["families"] as? [[String: Any]])
        #expect(entries.count == 4)
        for e in entries {
            let family = try #require(e["family"] as? String)
            let n = try #require(e["num_qubits"] as? Int)
            let circuit: QuantumCircuit = switch family {
            case "qft-ucx": QuantumBenchmark.transpiledQFT(numQubits: n, basis: .uCX)
            case "qft-rzsx": QuantumBenchmark.transpiledQFT(numQubits: n, basis: .rzSXCX)
            case "qaoa": QuantumBenchmark.qaoaRing(numQubits: n, gammas: e["gammas"] as? [Double] ?? [],
                                                   betas: e["betas"] as? [Double] ?? [])
            default: QuantumBenchmark.efficientSU2Full(numQubits: n, reps: e["reps"] as? Int ?? 0,
                                                      angles: e["angles"] as? [Double] ?? [])
            }
            let ops = try #require(e["ops"] as? [String: Int])
            #expect(circuit.countOps() == ops, "\(family)")
            let expected = try FixtureLoader.complexArray(e["statevector"])
            let ours = try Simulator(fusion: false).statevector(circuit).amplitudes
            #expect(Distance.maxUpToPhase(ours, expected) < 1e-12, "\(family)")
        }
    }

    @Test("permutation kernels with and without phases move and multiply amplitudes as the reference")
    func permutationKernel() throws {
        var rng = SeededGenerator(seed: 5)
        func permutation(_ k: Int, phases: Bool) throws -> Gate {
            // A cycle through all 2^k indices: no SWAP, X or diagonal in disguise.
            let d = 1 << k
            let order = (0..<d).map { ($0 + 1) % d }
            var entries = [Complex<Double>](repeating: .zero, count: d * d)
            for r in 0..<d {
                let a = RandomCircuits.angle(&rng)
                entries[r * d + order[r]] = phases ? Complex(cos(a), sin(a)) : .one
            }
            return try Gate.unitary(entries)
        }
        for n in [4, 6] {
            var circuit = QuantumCircuit(numQubits: n)
            RandomCircuits.prepareGenericState(&circuit, &rng)
            circuit.append(try permutation(2, phases: false), [1, 3])
            circuit.append(try permutation(3, phases: true), [2, 0, 3])
            circuit.append(try permutation(2, phases: true), [0, 1])
            circuit.append(try permutation(3, phases: false), [3, 1, 2])
            // A fan-out and a SWAP as three CX, then phases: fused into permutations where cheaper.
            circuit.cx(1, 0); circuit.cx(1, 2); circuit.cx(1, 3)
            circuit.cx(0, 3); circuit.cx(3, 0); circuit.cx(0, 3); circuit.s(0)
            let reference = try ReferenceSimulator.statevector(of: circuit)
            let plan = try ExecutionPlan(circuit: circuit, fusion: false)
            let calls: [KernelCall<Double>] = try plan.steps.indices.map { index in
                guard case .gates(let block) = plan.steps[index].action else { throw QuantumError.invalidGate("?") }
                return try plan.kernel(at: index, block: block, lookup: { _ in nil })
            }
            #expect(calls.filter { if case .permutation = $0.operation { true } else { false } }.count == 4)
            for width in [0, 2, 3, 5] {
                for blockQubits in [nil, 2] where blockQubits == nil || n > 3 {
                    let ours = try fusedSimulator(width, blockQubits: blockQubits).statevector(circuit).amplitudes
                    #expect(Distance.max(ours, reference) < doubleTolerance, "n = \(n), width \(width), L = \(blockQubits ?? 0)")
                }
            }
            let single = try Simulator(precision: .single).statevector(circuit, as: Float.self).amplitudes
            #expect(Distance.max(single.map { Complex(Double($0.real), Double($0.imaginary)) }, reference) < floatTolerance)
        }
    }

    @Test("widening takes in the later blocks on its qubits when only all of them together pay")
    func wideningTakesInLaterBlocks() throws {
        // u⊗u·cx on (0, 1), (1, 2), (0, 2): three dense 4×4 blocks (2.6 one-qubit gates each). Any
        // two merged (a 3-qubit kernel, 5.7) cost more than apart (5.2); all three less (7.8).
        var circuit = QuantumCircuit(numQubits: 15)
        for (j, (a, b)) in [(0, 1), (1, 2), (0, 2)].enumerated() {
            let angle = 0.3 + 0.2 * Double(j)
            circuit.u(angle, 0.5, -angle, a); circuit.u(0.7, angle, 0.1, b); circuit.cx(a, b)
        }
        let plan = try ExecutionPlan(circuit: circuit, fusion: true)
        let blocks = plan.fusion(plan.steps.indices).blocks
        #expect(blocks.map(\.qubits) == [[0, 1, 2]])
        #expect(try Self.worstDifference(circuit) < 1e-12)
        var crossing = QuantumCircuit(numQubits: 15)
        for (j, (a, b)) in [(0, 1), (1, 2), (2, 3), (0, 2)].enumerated() {
            let angle = 0.3 + 0.2 * Double(j)
            crossing.u(angle, 0.5, -angle, a); crossing.u(0.7, angle, 0.1, b); crossing.cx(a, b)
        }
        // (2, 3) touches qubit 2 and one outside: the last block (steps 9–11, on (0, 2)) may not move
        // back past it into the block of the first two (steps 0–5; the u on 2 at step 6 may join it).
        let crossingPlan = try ExecutionPlan(circuit: crossing, fusion: true)
        let crossingBlocks = crossingPlan.fusion(crossingPlan.steps.indices).blocks
        #expect(!crossingBlocks.contains { $0.steps.contains(2) && $0.steps.contains(11) },
                "\(crossingBlocks.map { ($0.qubits, $0.steps) })")
        #expect(try Self.worstDifference(crossing) < 1e-12)
    }

    @Test("barriers bound fusion")
    func barriers() throws {
        // (The h comes after a cx: a leading h would be folded into the initial state, barrier or not.)
        var circuit = QuantumCircuit(numQubits: 2)
        circuit.cx(0, 1); circuit.h(0); circuit.cx(0, 1)
        let fused = try Simulator().compile(circuit).execution.kernels
        circuit = QuantumCircuit(numQubits: 2)
        circuit.cx(0, 1); circuit.h(0); circuit.barrier(); circuit.cx(0, 1)
        #expect(try Simulator().compile(circuit).execution.kernels == fused + 1)
    }

    @Test("the widest fused block is checked")
    func widthChecked() {
        var simulator = Simulator()
        simulator.maxFusedQubits = 6
        #expect(throws: QuantumError.invalidFusionWidth(6)) { try simulator.compile(QuantumCircuit(numQubits: 2)) }
        simulator.maxFusedQubits = 0
        #expect(throws: QuantumError.invalidFusionWidth(0)) { try simulator.compile(QuantumCircuit(numQubits: 2)) }
    }
}

@Suite("Gate fusion: runs of CX on one target")
struct ParityFlipTests {
    @Test("CX runs become one parity kernel; states equal the unfused ones and the reference")
    func cxRuns() throws {
        var rng = SeededGenerator(seed: 61)
        for n in [5, 7, 8] {
            var circuit = QuantumCircuit(numQubits: n)
            RandomCircuits.prepareGenericState(&circuit, &rng)
            // EfficientSU2's full entanglement as Qiskit writes it (by target), with gates between
            // that commute with the CX (rz and cz on controls) or break a run (a u on a control, any
            // gate on the target), and a control that appears twice (it cancels).
            for t in 1..<n {
                for c in 0..<t {
                    circuit.cx(c, t)
                    if c == 1 { circuit.rz(0.3, 0); circuit.cz(0, 1) }
                    if c == 2 && t == n - 1 { circuit.u(0.2, 0.1, -0.4, 0) }
                }
                if t == 3 { circuit.cx(0, 3); circuit.cx(0, 3) }
            }
            circuit.h(n - 1)
            for c in 0..<(n - 1) { circuit.cx(c, n - 1) }
            let reference = try ReferenceSimulator.statevector(of: circuit)
            let plan = try ExecutionPlan(circuit: circuit, fusion: true)
            #expect(plan.fusion(plan.steps.indices).blocks.contains { $0.parity != nil }, "n = \(n)")
            for blockQubits in [nil, 2, 3, 4] where blockQubits.map({ n > $0 + 1 }) ?? true {
                for threads in [1, 2] {
                    let ours = try fusedSimulator(5, blockQubits: blockQubits, threads: threads).statevector(circuit).amplitudes
                    #expect(Distance.max(ours, reference) < doubleTolerance, "n = \(n), L = \(blockQubits ?? 0), \(threads) threads")
                }
                let single = try {
                    var s = fusedSimulator(5, blockQubits: blockQubits)
                    s.precision = .single
                    return try s.statevector(circuit, as: Float.self).amplitudes
                }()
                #expect(Distance.max(single.map { Complex(Double($0.real), Double($0.imaginary)) }, reference) < floatTolerance)
            }
        }
    }

    @Test("the parity kernel: wide equals portable, and a parity of no bits moves nothing")
    func parityKernel() {
        func compare<Real: StateScalar>(_: Real.Type) {
            let n = 8
            var rng = SeededGenerator(seed: 62)
            let state = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
            for target in 0..<n {
                for mask in [0, 1, 2, 3, 0b1010_0101, 0b1111_1111] {
                    let parity = mask & ~(1 << target)
                    for invert in [false, true] {
                        for (start, end) in [(0, 1 << (n - 1)), (1, (1 << (n - 1)) - 3)] {
                            var wide = state, portable = state
                            wide.withUnsafeMutableBufferPointer {
                                parityFlipRange($0.baseAddress!, target: target, parityMask: parity, invert: invert, start: start, end: end)
                            }
                            portable.withUnsafeMutableBufferPointer {
                                parityFlipRangePortable($0.baseAddress!, target: target, parityMask: parity, invert: invert,
                                                        start: start, end: end)
                            }
                            #expect(wide == portable, "target \(target) mask \(parity) invert \(invert)")
                            if parity == 0 && !invert { #expect(wide == state) }
                        }
                    }
                }
            }
        }
        compare(Double.self)
        compare(Float.self)
    }
}

@Suite("Gate fusion: products of blocks on different qubits")
struct FusionProductTests {
    /// The operator on all of qubits 0..<n: entry (R, C) is m's entry at R's and C's bits on m's
    /// qubits where R and C agree on every other qubit, else 0 (the oracle's own embedding).
    static func embedded(_ m: FusionMatrix, n: Int) -> [Complex<Double>] {
        let d = 1 << n
        let qubits = m.qubits
        let mask = qubits.reduce(0) { $0 | (1 << $1) }
        func local(_ x: Int) -> Int {
            var s = 0
            for (j, q) in qubits.enumerated() where x & (1 << q) != 0 { s |= 1 << j }
            return s
        }
        var out = [Complex<Double>](repeating: .zero, count: d * d)
        for r in 0..<d {
            for c in 0..<d where r & ~mask == c & ~mask { out[r * d + c] = m[local(r), local(c)] }
        }
        return out
    }

    /// Row-major a · b by the textbook triple loop.
    static func naiveProduct(_ a: [Complex<Double>], _ b: [Complex<Double>], _ d: Int) -> [Complex<Double>] {
        var out = [Complex<Double>](repeating: .zero, count: d * d)
        for i in 0..<d {
            for j in 0..<d {
                var sum = Complex<Double>.zero
                for k in 0..<d { sum = sum + a[i * d + k] * b[k * d + j] }
                out[i * d + j] = sum
            }
        }
        return out
    }

    /// A random operator on `qubits` (ascending): a permutation with random phases (sparse), or
    /// random complex entries (dense, not unitary: the product does not rely on it).
    static func random(on qubits: [Int], sparse: Bool, _ rng: inout SeededGenerator) -> FusionMatrix {
        let d = 1 << qubits.count
        guard sparse else {
            return FusionMatrix(qubits: qubits, entries: (0..<(2 * d * d)).map { _ in rng.nextUniform() * 2 - 1 })
        }
        var order = Array(0..<d)
        order.shuffle(using: &rng)
        var entries = [Complex<Double>](repeating: .zero, count: d * d)
        for r in 0..<d { entries[r * d + order[r]] = Complex(length: 1, phase: RandomCircuits.angle(&rng)) }
        let structure = GateStructure(numControls: 0, target: SmallMatrix(dimension: d, entries: entries))
        return FusionMatrix(structure: structure, on: qubits)
    }

    @Test("later · earlier on the union of their qubits equals the product of the embedded matrices")
    func productMatchesEmbeddedProduct() {
        var rng = SeededGenerator(seed: 15)
        let n = 5
        var sparseProducts = 0
        for trial in 0..<300 {
            func subset() -> [Int] {
                let size = 1 + Int(rng.next() % 4)
                return Array((0..<n).shuffled(using: &rng).prefix(size)).sorted()
            }
            let (qa, qb) = (subset(), subset())
            let (sa, sb) = (rng.next() % 2 == 0, rng.next() % 2 == 0)
            let a = Self.random(on: qa, sparse: sa, &rng), b = Self.random(on: qb, sparse: sb, &rng)
            let product = FusionMatrix.product(a, b)
            #expect(product.qubits == Array(Set(qa + qb)).sorted())
            #expect(product.isSparse == (sa && sb), "trial \(trial): sparse factors give a sparse product, others dense")
            if product.isSparse { sparseProducts += 1 }
            let expected = Self.naiveProduct(Self.embedded(a, n: n), Self.embedded(b, n: n), 1 << n)
            let got = Self.embedded(product, n: n)
            let error = zip(got, expected).map { ($0 - $1).length }.max() ?? 0
            #expect(error < 1e-12, "trial \(trial): later on \(qa) (sparse: \(sa)), earlier on \(qb) (sparse: \(sb))")
        }
        #expect(sparseProducts > 30)
    }

    @Test("a gate's block matrix, in any argument order, equals the identity multiplied by the gate")
    func gateMatrixInArgumentOrder() throws {
        var rng = SeededGenerator(seed: 7)
        let cases: [(GateStructure, [Int])] = [
            (GateDefinitions.structure(of: try gate(.u, 0.3, -1.1, 2.0), values: [0.3, -1.1, 2.0]), [3]),
            (GateDefinitions.structure(of: try gate(.cx), values: []), [3, 1]),
            (GateDefinitions.structure(of: try gate(.cx), values: []), [1, 3]),
            (GateDefinitions.structure(of: try gate(.ccx), values: []), [2, 0, 4]),
            (GateDefinitions.structure(of: try gate(.cp, 0.4), values: [0.4]), [4, 2]),
            (GateStructure(numControls: 0, target: SmallMatrix(dimension: 4, entries: RandomCircuits.unitary(4, &rng))), [4, 0]),
            (GateStructure(numControls: 1, target: SmallMatrix(dimension: 4, entries: RandomCircuits.unitary(4, &rng))), [1, 4, 2]),
        ]
        for (structure, qubits) in cases {
            let direct = FusionMatrix(structure: structure, on: qubits)
            var multiplied = FusionMatrix(identityOn: qubits.sorted())
            multiplied.multiply(by: structure.fullMatrix(), on: qubits)
            #expect(direct.qubits == multiplied.qubits)
            #expect(direct.isSparse == multiplied.isSparse, "\(qubits)")
            #expect(direct.entries == multiplied.entries, "\(qubits)")
        }
    }
}
