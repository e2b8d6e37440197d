import Foundation
import Testing
import _TestSupport
@testable import Quantum

// The pass scheduler fills each pass from every block not yet scheduled, moving a block back past
// blocks it commutes with. Checked against a plain in-order greedy (the scheduler before lookahead,
// re-written here as the reference), the order rule stated independently (two blocks that share a
// qubit one of them mixes keep their order), and the state of the reference simulator.
@Suite("Pass scheduling: blocks move back past blocks they commute with")
struct PassScheduleTests {
    /// Sweeps of the in-order greedy: a pass closes at the first block whose mixing qubits do not
    /// fit beside the lowest `run` qubits; a block too wide for any pass runs alone.
    static func inOrderSweeps(_ blocks: [FusedBlock], blockQubits: Int, run: Int) -> Int {
        let runMask = (1 << run) - 1
        var sweeps = 0, dense = 0, count = 0
        func close() {
            if count > 0 { sweeps += 1 }
            count = 0
            dense = 0
        }
        for block in blocks {
            let needed = block.mixingMask & ~runMask
            if needed.nonzeroBitCount > blockQubits - run {
                close()
                sweeps += 1
                continue
            }
            if (dense | needed).nonzeroBitCount > blockQubits - run { close() }
            dense |= needed
            count += 1
        }
        close()
        return sweeps
    }

    /// A random circuit with runs of diagonal gates between mixing ones (so blocks often commute).
    static func circuit(qubits n: Int, layers: Int, _ rng: inout SeededGenerator) -> QuantumCircuit {
        var circuit = QuantumCircuit(numQubits: n)
        RandomCircuits.prepareGenericState(&circuit, &rng)
        func qubit() -> Int { Int(rng.next() % UInt64(n)) }
        func angle() -> Double { rng.nextUniform() * 2 * Double.pi }
        for _ in 0..<layers {
            for _ in 0..<n {
                let a = qubit(), b = (a + 1 + Int(rng.next() % UInt64(n - 1))) % n
                switch rng.next() % 6 {
                case 0: circuit.cx(a, b)
                case 1: circuit.cp(angle(), a, b)
                case 2: circuit.rz(angle(), a)
                case 3: circuit.rzz(angle(), a, b)
                case 4: circuit.u(angle(), angle(), angle(), a)
                default: circuit.sx(a)
                }
            }
        }
        return circuit
    }

    @Test("every block once; blocks that do not commute keep their order; passes hold their mixing qubits; never more sweeps than in order")
    func invariants() throws {
        var rng = SeededGenerator(seed: 2027)
        var fewer = 0, total = 0
        for (blockQubits, run) in [(6, 2), (7, 3), (8, 5)] {
            for _ in 0..<8 {
                let n = blockQubits + 4
                let plan = try ExecutionPlan(circuit: Self.circuit(qubits: n, layers: 6, &rng), fusion: true, maxFusedQubits: 2)
                for range in plan.unitaryRanges {
                    let blocks = plan.fusion(range).blocks
                    let items = plan.schedule(range, blockQubits: blockQubits, runQubits: run)
                    let order = items.flatMap { item -> [Int] in
                        switch item {
                        case .single(let index): [index]
                        case .pass(let indices, _): indices
                        }
                    }
                    #expect(order.sorted() == Array(blocks.indices))
                    var position = [Int](repeating: 0, count: blocks.count)
                    for (place, index) in order.enumerated() { position[index] = place }
                    let masks = blocks.map { $0.qubits.reduce(0) { $0 | (1 << $1) } }
                    for a in blocks.indices {
                        for b in (a + 1)..<blocks.count
                        where masks[a] & masks[b] & (blocks[a].mixingMask | blocks[b].mixingMask) != 0 {
                            #expect(position[a] < position[b], "blocks \(a) and \(b) share a mixed qubit but were reordered")
                        }
                    }
                    for case .pass(let indices, let local) in items {
                        let localMask = local.reduce(0) { $0 | (1 << $1) }
                        #expect(local.count == blockQubits && localMask & ((1 << run) - 1) == (1 << run) - 1)
                        #expect(indices.count >= 2)
                        for index in indices { #expect(blocks[index].mixingMask & ~localMask == 0) }
                    }
                    let reference = Self.inOrderSweeps(blocks, blockQubits: blockQubits, run: run)
                    #expect(items.count <= reference, "\(items.count) sweeps against \(reference) in order")
                    if items.count < reference { fewer += 1 }
                    total += 1
                }
            }
        }
        // Lookahead must pay somewhere on these circuits.
        #expect(fewer > total / 4, "fewer sweeps than in order on only \(fewer) of \(total) circuits")
    }

    /// The number of maximal stretches of consecutive diagonal blocks.
    static func diagonalRuns(_ order: [Int], _ blocks: [FusedBlock]) -> Int {
        order.indices.filter { i in blocks[order[i]].isDiagonal && (i == 0 || !blocks[order[i - 1]].isDiagonal) }.count
    }

    @Test("diagonal blocks move later within a pass to join the next diagonal block, past blocks they commute with only")
    func gatheringDiagonals() throws {
        var rng = SeededGenerator(seed: 2028)
        // The QFTs (native and transpiled: controlled phases between other qubits' one-qubit gates)
        // must gather; random circuits check the order rule on mixed blocks.
        let qfts = [QuantumCircuit.qft(numQubits: 12)] + QuantumBenchmark.Basis.allCases.map {
            QuantumBenchmark.transpiledQFT(numQubits: 12, basis: $0)
        }
        let circuits = qfts.map { ($0, true) } + (0..<4).map { _ in (Self.circuit(qubits: 10, layers: 6, &rng), false) }
        for (circuit, mustGather) in circuits {
            var fewerRuns = 0
            let plan = try ExecutionPlan(circuit: circuit, fusion: true)
            for range in plan.unitaryRanges {
                let blocks = plan.fusion(range).blocks
                let masks = blocks.map { $0.qubits.reduce(0) { $0 | (1 << $1) } }
                for case .pass(let indices, _) in plan.schedule(range, blockQubits: 8, runQubits: 3) {
                    let gathered = ExecutionPlan.gatheringDiagonals(indices, blocks: blocks)
                    #expect(gathered.sorted() == indices.sorted())
                    var position: [Int: Int] = [:]
                    for (place, index) in gathered.enumerated() { position[index] = place }
                    // Stated apart from the code: two blocks that share a qubit one of them mixes
                    // keep their order; only a diagonal block moves, and only later.
                    for (i, a) in indices.enumerated() {
                        for b in indices[(i + 1)...] {
                            let (pa, pb) = (position[a] ?? 0, position[b] ?? 0)
                            if masks[a] & masks[b] & (blocks[a].mixingMask | blocks[b].mixingMask) != 0 {
                                #expect(pa < pb, "blocks \(a) and \(b) share a mixed qubit but were reordered")
                            }
                            if pa > pb { #expect(blocks[a].isDiagonal, "block \(a) moved past \(b) but is not diagonal") }
                        }
                    }
                    let (before, after) = (Self.diagonalRuns(indices, blocks), Self.diagonalRuns(gathered, blocks))
                    #expect(after <= before)
                    if after < before { fewerRuns += 1 }
                }
            }
            if mustGather { #expect(fewerRuns > 0, "\(circuit.name ?? "a QFT"): no pass gathered its diagonal blocks") }
        }
    }

    @Test("the reordered passes give the reference state, both precisions", arguments: [6, 8])
    func states(blockQubits: Int) throws {
        var rng = SeededGenerator(seed: UInt64(blockQubits) * 101)
        for _ in 0..<3 {
            let circuit = Self.circuit(qubits: blockQubits + 3, layers: 5, &rng)
            let expected = try ReferenceSimulator.statevector(of: circuit)
            var simulator = Simulator(precision: .double, threads: 2)
            simulator.blockQubits = blockQubits
            simulator.maxFusedQubits = 3
            #expect(Distance.max(try simulator.statevector(circuit).amplitudes, expected) < doubleTolerance)
            simulator.precision = .single
            let single = try simulator.statevector(circuit, as: Float.self).amplitudes
            #expect(Distance.max(single.map { Complex(Double($0.real), Double($0.imaginary)) }, expected) < floatTolerance)
        }
    }
}
