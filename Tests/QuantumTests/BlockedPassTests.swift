import Foundation
import Testing
import _TestSupport
@testable import Quantum

@Suite("Cache-blocked passes and permutation kernels")
struct BlockedPassTests {
    /// A simulator whose passes use `blockQubits` local qubits, so small states are blocked.
    func simulator(blockQubits: Int?, threads: Int = 2, precision: Precision = .double, maxFusedQubits: Int = 5) -> Simulator {
        var s = Simulator(precision: precision, threads: threads)
        s.blockQubits = blockQubits
        s.maxFusedQubits = maxFusedQubits
        return s
    }

    @Test("random circuits give the reference state for every block size", arguments: [2, 3, 4, 5, 6])
    func randomCircuits(blockQubits: Int) throws {
        var rng = SeededGenerator(seed: UInt64(blockQubits) * 7919)
        for n in [5, 7, 8] where n > blockQubits + 1 {
            for _ in 0..<3 {
                var circuit = QuantumCircuit(numQubits: n)
                RandomCircuits.prepareGenericState(&circuit, &rng)
                circuit = try circuit.compose(try RandomCircuits.circuit(qubits: n, gates: 60, &rng))
                let expected = try ReferenceSimulator.statevector(of: circuit)
                // Blocks narrower than a pass (on states this small the fuser would otherwise make
                // most blocks as wide as it may, and no pass of 2 or 3 local qubits could hold them).
                let widest = min(5, blockQubits - 1)
                let plan = try ExecutionPlan(circuit: circuit, fusion: true, maxFusedQubits: widest)
                let items = plan.schedule(plan.steps.indices, blockQubits: blockQubits)
                #expect(items.contains { if case .pass = $0 { true } else { false } }, "no pass formed (n = \(n))")
                for threads in [1, 2] {
                    let ours = try simulator(blockQubits: blockQubits, threads: threads, maxFusedQubits: widest)
                        .statevector(circuit).amplitudes
                    #expect(Distance.max(ours, expected) < doubleTolerance, "n = \(n), L = \(blockQubits), \(threads) threads")
                }
                let single = try simulator(blockQubits: blockQubits, precision: .single, maxFusedQubits: widest)
                    .statevector(circuit, as: Float.self).amplitudes
                #expect(Distance.max(single.map { Complex(Double($0.real), Double($0.imaginary)) }, expected) < floatTolerance)
            }
        }
    }

    @Test("diagonal gates with targets and controls outside the local qubits")
    func outsideDiagonals() throws {
        // Local qubits will be the dense targets {7} and the lowest ones; every diagonal and
        // control below reaches outside them.
        var rng = SeededGenerator(seed: 31)
        var circuit = QuantumCircuit(numQubits: 8)
        RandomCircuits.prepareGenericState(&circuit, &rng)
        circuit.h(7)
        circuit.cp(0.3, 7, 6)       // control and target outside S for L = 3 except 7
        circuit.crz(0.9, 5, 1)
        circuit.rzz(1.1, 6, 2)
        circuit.mcp(0.7, [4, 5], 6)
        circuit.append(try Gate.unitary([.one, .zero, .zero, .zero, .zero, Complex(0, 1), .zero, .zero,
                                         .zero, .zero, Complex(-1), .zero, .zero, .zero, .zero, Complex(0.6, 0.8)]), [5, 6])
        circuit.cx(6, 7)            // control outside, target local
        circuit.mcx([4, 5, 6], 0)
        circuit.rz(0.4, 6)
        circuit.s(5)
        circuit.ry(0.2, 7)
        let expected = try ReferenceSimulator.statevector(of: circuit)
        for L in [2, 3, 4] {
            let ours = try simulator(blockQubits: L).statevector(circuit).amplitudes
            #expect(Distance.max(ours, expected) < doubleTolerance, "L = \(L)")
        }
    }

    @Test("runs of diagonal gates fold into one phase function per block", arguments: [3, 4, 5])
    func foldedDiagonals(blockQubits: Int) throws {
        var rng = SeededGenerator(seed: UInt64(100 + blockQubits))
        let diagonalKinds: [GateKind] = [.z, .s, .sdg, .t, .tdg, .rz, .p, .u1, .cz, .cs, .csdg, .cp, .cu1, .crz, .rzz,
                                         .mcz(controls: 2), .mcp(controls: 2), .mcp(controls: 3)]
        for _ in 0..<4 {
            var circuit = QuantumCircuit(numQubits: 8)
            RandomCircuits.prepareGenericState(&circuit, &rng)
            circuit.h(7)
            for _ in 0..<25 {
                let kind = diagonalKinds[Int(rng.next() % UInt64(diagonalKinds.count))]
                var qubits = Array(0..<8)
                qubits.shuffle(using: &rng)
                circuit.append(try RandomCircuits.gate(kind, &rng), Array(qubits.prefix(kind.numQubits)))
            }
            // A diagonal unitary on three qubits.
            let phases = (0..<8).map { _ in RandomCircuits.angle(&rng) }
            var diagonal = [Complex<Double>](repeating: .zero, count: 64)
            for j in 0..<8 { diagonal[j * 9] = Complex(cos(phases[j]), sin(phases[j])) }
            circuit.append(try Gate.unitary(diagonal), [6, 1, 4])
            circuit.ry(0.3, 7)
            let expected = try ReferenceSimulator.statevector(of: circuit)
            let ours = try simulator(blockQubits: blockQubits).statevector(circuit).amplitudes
            #expect(Distance.max(ours, expected) < doubleTolerance)
        }
        // The QFT's stages fold (its controlled phases; one-qubit fusion only, so they stay
        // separate blocks), and the result is the DFT.
        let qft = QuantumCircuit.qft(numQubits: 9)
        let plan = try ExecutionPlan(circuit: qft, fusion: true, maxFusedQubits: 1)
        let program: [Executable<Double>] = try plan.program(plan.steps.indices, values: [:], blockQubits: blockQubits)
        let folded = program.contains { executable in
            if case .pass(let pass) = executable { return pass.operations.contains { if case .phases = $0 { true } else { false } } }
            return false
        }
        #expect(folded)
        var prepared = QuantumCircuit(numQubits: 9)
        RandomCircuits.prepareGenericState(&prepared, &rng)
        let full = try prepared.compose(qft)
        #expect(Distance.max(try simulator(blockQubits: blockQubits).statevector(full).amplitudes,
                             try ReferenceSimulator.statevector(of: full)) < doubleTolerance)
    }

    @Test("Möbius terms reproduce a diagonal's phases")
    func mobiusTerms() {
        var rng = SeededGenerator(seed: 8)
        let phases = (0..<8).map { _ in RandomCircuits.angle(&rng) }
        let factors = phases.map { Complex(cos($0), sin($0)) }
        let terms = PhaseRun<Double>.terms(controls: 1 << 5, targets: [2, 0, 7], factors: factors)
        for x in 0..<256 {
            var angle = 0.0
            for (mask, a) in terms where x & mask == mask { angle += a }
            let controlled = x & (1 << 5) != 0
            let j = ((x >> 2) & 1) | (((x >> 0) & 1) << 1) | (((x >> 7) & 1) << 2)
            let expected = controlled ? phases[j] : 0
            #expect((Complex(cos(angle), sin(angle)) - Complex(cos(expected), sin(expected))).length < 1e-12)
        }
    }

    @Test("the schedule groups gates while their dense targets fit, keeps low qubits local")
    func schedule() throws {
        var circuit = QuantumCircuit(numQubits: 10)
        circuit.h(9); circuit.cp(0.5, 9, 0); circuit.h(8); circuit.cx(9, 8)  // dense {9, 8}
        circuit.h(7); circuit.h(6)                                          // dense {9, 8, 7, 6}
        circuit.h(5)                                                        // no longer fits L = 6 with run 2
        // One-qubit fusion only: every step is a block of its own, numbered as the steps.
        let plan = try ExecutionPlan(circuit: circuit, fusion: true, maxFusedQubits: 1)
        let items = plan.schedule(plan.steps.indices, blockQubits: 6, runQubits: 2)
        #expect(items == [.pass(blocks: [0, 1, 2, 3, 4, 5], localQubits: [0, 1, 6, 7, 8, 9]), .single(6)])
        // Without fusion nothing is grouped; small states are not blocked.
        #expect(try ExecutionPlan(circuit: circuit, fusion: false).schedule(plan.steps.indices, blockQubits: 6)
            == plan.steps.indices.map { .single($0) })
        #expect(plan.schedule(plan.steps.indices, blockQubits: 9).allSatisfy { if case .single = $0 { true } else { false } })
    }

    @Test("permutation kernels: X, CX, CCX, SWAP, CSWAP move amplitudes exactly", arguments: [1, 2])
    func permutations(threads: Int) throws {
        var rng = SeededGenerator(seed: 12)
        var circuit = QuantumCircuit(numQubits: 15)
        RandomCircuits.prepareGenericState(&circuit, &rng)
        // Prepared as `ours` below prepares it (unfused), so that only the permutations differ.
        let prepared = try Simulator(threads: threads, fusion: false).statevector(circuit).amplitudes
        circuit.x(0); circuit.x(9); circuit.cx(3, 0); circuit.cx(0, 14); circuit.ccx(1, 13, 5)
        circuit.swap(0, 1); circuit.swap(14, 2); circuit.cswap(4, 0, 12); circuit.mcx([0, 1, 2], 7)
        let plan = try ExecutionPlan(circuit: circuit, fusion: false)
        let calls: [KernelCall<Double>] = try plan.steps.indices.suffix(9).map { index in
            guard case .gates(let block) = plan.steps[index].action else { throw QuantumError.invalidGate("?") }
            return try plan.kernel(at: index, block: block, lookup: { _ in nil })
        }
        for call in calls {
            switch call.operation {
            case .flip, .swap: break
            default: Issue.record("not a permutation kernel: \(call.operation)")
            }
        }
        // Apply the same permutation to the amplitudes by index arithmetic.
        var expected = prepared
        func permute(_ f: (Int) -> Int) {
            var next = expected
            for i in expected.indices { next[f(i)] = expected[i] }
            expected = next
        }
        func bit(_ i: Int, _ q: Int) -> Int { (i >> q) & 1 }
        permute { $0 ^ 1 }
        permute { $0 ^ (1 << 9) }
        permute { bit($0, 3) == 1 ? $0 ^ 1 : $0 }
        permute { bit($0, 0) == 1 ? $0 ^ (1 << 14) : $0 }
        permute { bit($0, 1) == 1 && bit($0, 13) == 1 ? $0 ^ (1 << 5) : $0 }
        func swapBits(_ i: Int, _ a: Int, _ b: Int) -> Int { bit(i, a) == bit(i, b) ? i : i ^ (1 << a) ^ (1 << b) }
        permute { swapBits($0, 0, 1) }
        permute { swapBits($0, 14, 2) }
        permute { bit($0, 4) == 1 ? swapBits($0, 0, 12) : $0 }
        permute { bit($0, 0) == 1 && bit($0, 1) == 1 && bit($0, 2) == 1 ? $0 ^ (1 << 7) : $0 }
        let ours = try Simulator(threads: threads, fusion: false).statevector(circuit).amplitudes
        #expect(Distance.max(ours, expected) == 0)
    }
}
