import Communication
import ComplexModule
import Foundation
import Testing
import _TestSupport
@testable import Quantum

// The distributed state vector against the one-rank simulator (itself checked against Qiskit's
// fixtures): state vectors to 1e-12, counts equal for equal seeds, on in-process rank groups of
// 2, 4 and 8 ranks (LocalCommunicator groups), with exchange buffers small enough that every exchange goes in many pieces.

/// A simulator whose passes are small, so stretches of small slices still run through cache-blocked passes.
func smallBlocks(_ simulator: Simulator = Simulator()) -> Simulator {
    var s = simulator
    s.blockQubits = 3
    return s
}

private func distributedState(_ circuit: QuantumCircuit, ranks: Int, simulator: Simulator = Simulator(),
                              bufferBytes: Int = 48) throws -> (StateVector<Double>, [DistributionStatistics])
{
    let compiled = try simulator.compile(circuit)
    let results = try LocalCommunicator.run(ranks: ranks) { group in
        try compiled.distributedStatevector(binding: [:], group: CommunicatorRanks(group), bufferBytes: bufferBytes, as: Double.self)
    }
    let state = try #require(results[0].state)
    #expect(results.dropFirst().allSatisfy { $0.state == nil })
    return (state, results.compactMap(\.statistics))
}

/// The most qubits one gate of the circuit mixes (a rank must hold that many).
func widest(_ circuit: QuantumCircuit) -> Int {
    circuit.instructions.map { instruction -> Int in
        if case .gate(let gate) = instruction.operation, gate.kind == .swap, instruction.condition == nil { return 1 }
        return max(1, ExecutionPlan.mixedQubits(instruction).count)
    }.max() ?? 1
}

/// A random circuit whose gates land on every qubit (so on global positions in every role: control,
/// target, diagonal argument), all kinds included.
func randomCircuit(qubits n: Int, gates: Int, seed: UInt64) throws -> QuantumCircuit {
    var rng = SeededGenerator(seed: seed)
    return try RandomCircuits.circuit(qubits: n, gates: gates, &rng)
}

/// The checks written once and run on any communicator: in-process groups in `swift test`, the MPI
/// world under `mpirun -np 2` and `-np 4` in CI (QuantumWorldTests). Each rank computes the one-rank
/// oracle itself.
enum DistributedStateChecks {
    /// Fixture and random circuits: gathered states equal one rank's to 1e-12; counts equal for
    /// equal seeds, with measurements, resets and conditions on global qubits.
    static func all(_ comm: any Communicator, bufferBytes: Int = 48) throws {
        let k = comm.size.trailingZeroBitCount
        var circuits = try DistributedTests.fixtures.map { try $0.load() }
        for seed in 0..<4 { circuits.append(try randomCircuit(qubits: 5 + seed % 3, gates: 50, seed: UInt64(300 + seed))) }
        circuits.append(QuantumCircuit.qft(numQubits: 9))
        for circuit in circuits where circuit.numQubits - widest(circuit) >= k {
            let expected = try Simulator().statevector(circuit)
            let compiled = try smallBlocks().compile(circuit)
            let result = try compiled.distributedStatevector(binding: [:], group: CommunicatorRanks(comm), bufferBytes: bufferBytes,
                                                             as: Double.self)
            if comm.rank == 0 {
                let state = try #require(result.state)
                #expect(Distance.max(state.amplitudes, expected.amplitudes) < 1e-12, "\(circuit.numQubits) qubits on \(comm.size) ranks")
            } else {
                #expect(result.state == nil)
            }
        }
        let measured = try midCircuitCircuit()
        let compiled = try Simulator().compile(measured)
        let expected = try compiled.run(shots: 300, seed: 5)
        let counts = try compiled.distributedRun(binding: [:], shots: 300, seed: 5, memory: false, group: CommunicatorRanks(comm),
                                                 bufferBytes: bufferBytes, as: Double.self)
        #expect(counts.run.counts == expected.counts)
        var terminal = try randomCircuit(qubits: 6, gates: 40, seed: 77)
        terminal.add(ClassicalRegister(6, name: "c"))
        for q in 0..<6 { terminal.measure(q, q) }
        let sampled = try Simulator().compile(terminal)
        let oracle = try sampled.run(shots: 2000, seed: 11, memory: true)
        let split = try sampled.run(shots: 2000, seed: 11, memory: true, distributedOver: comm)
        #expect(split.run.counts == oracle.counts)
        #expect(split.run.memory == oracle.memory)
    }

    /// Qubits 4 and 5 (global on 2 and 4 ranks) measured, reset and conditioned on.
    static func midCircuitCircuit() throws -> QuantumCircuit {
        let q = QuantumRegister(6, name: "q"), c = ClassicalRegister(4, name: "c")
        var circuit = QuantumCircuit(q, c)
        for i in 0..<6 { circuit.h(i) }
        circuit.cx(5, 0); circuit.ry(0.7, 4); circuit.cp(0.3, 4, 5)
        circuit.measure(5, 0)
        circuit.reset(4)
        circuit.conditioned(on: c, equals: 1) { $0.x(2) }
        circuit.crx(1.1, 2, 5)
        circuit.measure(4, 1)
        circuit.h(4)
        circuit.conditioned(on: c, equals: 1) { $0.cx(4, 1); $0.reset(5) }
        circuit.reset(5)
        circuit.rz(0.4, 5); circuit.h(5)
        circuit.measure(5, 2); circuit.measure(1, 3)
        return circuit
    }
}

/// The distributed state on the world communicator: one rank in a plain `swift test` (a split over
/// one rank), every rank under `mpirun` with the MPI trait (.ci/run filters to the WorldTests suites).
@Suite("quantum world", .serialized)
struct QuantumWorldTests {
    @Test("the distributed state vector on the world equals the one-rank result")
    func distributedState() throws {
        let world = try Distributed.world()
        guard world.size & (world.size - 1) == 0 else { return }
        try DistributedStateChecks.all(world)
        try DistributedStateChecks.all(world, bufferBytes: 1 << 20)
    }

    @Test("expectation values and adjoint gradients on the world equal the one-rank results")
    func distributedObservables() throws {
        let world = try Distributed.world()
        guard world.size & (world.size - 1) == 0 else { return }
        try DistributedObservableChecks.all(world)
        try DistributedObservableChecks.all(world, bufferBytes: 1 << 20)
    }

    @Test("noise trajectories on the world's split state give the same counts as one rank")
    func distributedNoise() throws {
        let world = try Distributed.world()
        guard world.size & (world.size - 1) == 0, world.size <= 4 else { return }
        try DistributedNoiseChecks.all(world)
    }
}

@Suite("Distributed state vector (in-process rank groups against one rank)")
struct DistributedTests {
    static let fixtures = QiskitFixtureTests.circuits.filter { $0.statevector != nil && $0.numQubits >= 2 }

    @Test("Qiskit fixture circuits: the gathered state equals one rank's to 1e-12 on 2 and 4 ranks", arguments: fixtures)
    func fixtureStates(fixture: QiskitCircuit) throws {
        let circuit = try fixture.load()
        let expected = try Simulator().statevector(circuit)
        for ranks in [2, 4] where ranks <= 1 << (circuit.numQubits - widest(circuit)) {
            let (state, _) = try distributedState(circuit, ranks: ranks)
            #expect(Distance.max(state.amplitudes, expected.amplitudes) < 1e-12, "\(ranks) ranks")
        }
    }

    @Test("random circuits of every gate kind on 2, 4 and 8 ranks equal one rank to 1e-12", arguments: 0..<6)
    func randomStates(seed: Int) throws {
        let n = 5 + seed % 3
        let circuit = try randomCircuit(qubits: n, gates: 60, seed: UInt64(100 + seed))
        let expected = try Simulator().statevector(circuit)
        for ranks in [2, 4, 8] where ranks <= 1 << (n - widest(circuit)) {
            for simulator in [smallBlocks(), Simulator(fusion: false)] {
                let (state, statistics) = try distributedState(circuit, ranks: ranks, simulator: simulator)
                #expect(Distance.max(state.amplitudes, expected.amplitudes) < 1e-12, "\(n) qubits, \(ranks) ranks")
                #expect(statistics.allSatisfy { $0.remaps == statistics[0].remaps && $0.stretches == statistics[0].stretches })
            }
        }
    }

    @Test("a split state reports its own fusion figures: nothing folded, every stretch's kernels counted")
    func localExecutionSummary() throws {
        // A layer of u on every qubit, then CX across all: one rank folds the layer into the initial
        // state, a split state (its slice of |0…0⟩ through the ordinary kernels) does not.
        var circuit = QuantumCircuit(numQubits: 8)
        var rng = SeededGenerator(seed: 21)
        RandomCircuits.prepareGenericState(&circuit, &rng)
        let oneRank = try Simulator().compile(circuit).execution
        #expect(oneRank.foldedGates > 0)
        let (_, statistics) = try distributedState(circuit, ranks: 2)
        for s in statistics {
            let local = try #require(s.localExecution)
            #expect(local.foldedGates == 0)
            #expect(local.kernels > 0 && local.sweeps > 0 && local.flops > 0)
            #expect(local.gates > 0)
            #expect(s.stretches >= 2, "a remap splits the circuit into stretches")
        }
        // Ranks may differ: a gate diagonal on a global qubit is a phase on one rank, nothing on another.
        // The sum of two plans adds counts and keeps the wider block.
        let twice = oneRank.adding(oneRank)
        #expect(twice.kernels == 2 * oneRank.kernels && twice.flops == 2 * oneRank.flops)
        #expect(twice.denseKernelsByTargets == oneRank.denseKernelsByTargets.map { 2 * $0 })
        #expect(twice.maxFusedQubits == oneRank.maxFusedQubits && twice.blockQubits == oneRank.blockQubits)
    }

    @Test("the most ranks a state allows (2^(n−1): one local qubit) still gives the right state")
    func oneLocalQubit() throws {
        // Gates that mix one qubit each (any number of controls and diagonal arguments), and swaps.
        var rng = SeededGenerator(seed: 9)
        var circuit = QuantumCircuit(numQubits: 4)
        let kinds = RandomCircuits.kinds(fitting: 4).filter { kind in
            let gate = try? RandomCircuits.gate(kind, &rng)
            return gate.map { ExecutionPlan.mixedQubits(Instruction(operation: .gate($0), qubits: Array(0..<kind.numQubits),
                                                                    clbits: [], condition: nil)).count <= 1 } ?? false
        }
        for _ in 0..<40 {
            let kind = kinds[Int(rng.next() % UInt64(kinds.count))]
            var qubits = Array(0..<4)
            qubits.shuffle(using: &rng)
            circuit.append(try RandomCircuits.gate(kind, &rng), Array(qubits.prefix(kind.numQubits)))
        }
        circuit.swap(0, 3)
        let expected = try Simulator().statevector(circuit)
        let (state, _) = try distributedState(circuit, ranks: 8, bufferBytes: 16)
        #expect(Distance.max(state.amplitudes, expected.amplitudes) < 1e-12)
    }

    @Test("circuits whose swaps leave the global qubits out of order: rank permutations restore them, and the state is right")
    func rankPermutations() throws {
        var permutations = 0
        for seed in 0..<6 {
            var circuit = try randomCircuit(qubits: 6, gates: 30, seed: UInt64(500 + seed))
            circuit.swap(4, 5)
            circuit.swap(seed % 4, 4)
            let expected = try Simulator().statevector(circuit)
            let (state, statistics) = try distributedState(circuit, ranks: 4)
            #expect(Distance.max(state.amplitudes, expected.amplitudes) < 1e-12)
            permutations += statistics[0].rankPermutations
        }
        #expect(permutations > 0, "no circuit exercised a rank permutation")
    }

    @Test("single precision: the gathered state equals one rank's to 1e-6")
    func singlePrecision() throws {
        let circuit = try randomCircuit(qubits: 6, gates: 50, seed: 4)
        let simulator = Simulator(precision: .single)
        let expected = try simulator.statevector(circuit, as: Float.self).amplitudes
        let compiled = try simulator.compile(circuit)
        let results = try LocalCommunicator.run(ranks: 4) { group in
            try compiled.distributedStatevector(binding: [:], group: CommunicatorRanks(group), bufferBytes: 40, as: Float.self)
        }
        let state = try #require(results[0].state).amplitudes
        let gap = zip(state, expected).map { Double(($0 - $1).length) }.max() ?? 1
        #expect(gap < 1e-6)
    }

    @Test("a QFT needs a few remaps, not one exchange per gate, and its closing swaps move no data")
    func qftRemaps() throws {
        let n = 10
        let circuit = QuantumCircuit.qft(numQubits: n)
        let expected = try Simulator().statevector(circuit)
        let (state, statistics) = try distributedState(circuit, ranks: 4, bufferBytes: 1 << 12)
        #expect(Distance.max(state.amplitudes, expected.amplitudes) < 1e-12)
        let plan = try DistributedPlan(numQubits: n, globalQubits: 2, instructions: circuit.instructions, restoresLayout: true,
                                       mixing: ExecutionPlan.mixedQubits)
        // Every Hadamard on the two top qubits needs them local: one remap brings both, one more at most restores.
        #expect(plan.remapCount <= 3)
        #expect(statistics[0].remaps == plan.remapCount)
        let gatesOnGlobal = circuit.instructions.filter { $0.qubits.contains { $0 >= n - 2 } }.count
        #expect(plan.remapCount < gatesOnGlobal / 4)
        #expect(plan.finalLayout == Array(0..<n))
    }

    @Test("the planner: every stretch gate mixes local positions only, and a restored layout is the identity", arguments: 0..<8)
    func plannerInvariants(seed: Int) throws {
        let n = 6
        var circuit = try randomCircuit(qubits: n, gates: 80, seed: UInt64(seed))
        for q in 0..<n where q % 2 == 0 { circuit.swap(q, n - 1 - q) }
        for k in 1...3 {
            let plan = try DistributedPlan(numQubits: n, globalQubits: k, instructions: circuit.instructions, restoresLayout: true,
                                           mixing: ExecutionPlan.mixedQubits)
            #expect(plan.finalLayout == Array(0..<n))
            for step in plan.steps {
                guard case .stretch(let operations) = step else { continue }
                for operation in operations {
                    guard case .gate(let gate) = operation.operation else { continue }
                    let instruction = Instruction(operation: .gate(gate), qubits: operation.positions, clbits: [], condition: nil)
                    #expect(ExecutionPlan.mixedQubits(instruction).allSatisfy { $0 < n - k }, "\(gate) on \(operation.positions)")
                }
            }
        }
    }

    @Test("counts from the final state equal one rank's for the same seed", arguments: [2, 4])
    func terminalCounts(ranks: Int) throws {
        var circuit = try randomCircuit(qubits: 6, gates: 40, seed: 77)
        circuit.add(ClassicalRegister(6, name: "c"))
        for q in 0..<6 { circuit.measure(q, q) }
        let compiled = try smallBlocks().compile(circuit)
        let expected = try compiled.run(shots: 3000, seed: 11)
        let results = try LocalCommunicator.run(ranks: ranks) { group in
            try compiled.distributedRun(binding: [:], shots: 3000, seed: 11, memory: true, group: CommunicatorRanks(group), bufferBytes: 64, as: Double.self)
        }
        for result in results {
            #expect(result.run.counts == expected.counts)
            #expect(result.run.memory == (try compiled.run(shots: 3000, seed: 11, memory: true).memory))
            #expect(result.run.sampledFromFinalState)
        }
    }

    @Test("mid-circuit measurements, resets and conditions on global qubits: the same counts as one rank", arguments: [2, 4])
    func midCircuit(ranks: Int) throws {
        let circuit = try DistributedStateChecks.midCircuitCircuit()
        let compiled = try Simulator().compile(circuit)
        let expected = try compiled.run(shots: 400, seed: 5)
        #expect(!expected.sampledFromFinalState)
        let results = try LocalCommunicator.run(ranks: ranks) { group in
            try compiled.distributedRun(binding: [:], shots: 400, seed: 5, memory: false, group: CommunicatorRanks(group), bufferBytes: 32, as: Double.self)
        }
        for result in results { #expect(result.run.counts == expected.counts) }
    }

    @Test("the shared checks on in-process groups of 2 and 4 ranks", arguments: [2, 4])
    func sharedChecks(ranks: Int) throws {
        _ = try LocalCommunicator.run(ranks: ranks) { comm in try DistributedStateChecks.all(comm) }
    }

    @Test("refusals: ranks not a power of two, more ranks than 2^(n−1), not enough memory (one message, every rank)")
    func refusals() throws {
        let circuit = QuantumCircuit.qft(numQubits: 3)
        let compiled = try Simulator().compile(circuit)
        let three = try LocalCommunicator.run(ranks: 3) { group in
            Result { try compiled.distributedStatevector(binding: [:], group: CommunicatorRanks(group), as: Double.self) }.error
        }
        for error in three {
            #expect("\(error.map { "\($0)" } ?? "")".contains("power-of-two number of ranks"))
            #expect("\(error.map { "\($0)" } ?? "")".contains("received 3 ranks: run with 2 or 4"))
        }
        let eight = try LocalCommunicator.run(ranks: 8) { group in
            Result { try compiled.distributedStatevector(binding: [:], group: CommunicatorRanks(group), as: Double.self) }.error
        }
        for error in eight { #expect("\(error.map { "\($0)" } ?? "")".contains("at most 4 ranks")) }

        // 12 qubits: 64 KiB of state; 2 ranks with 20 KiB each do not fit, 4 would (16 KiB + 16 KiB buffer? no: buffer ≤ slice).
        var limited = Simulator()
        limited.maxMemoryBytes = 20 << 10
        let big = try limited.compile(QuantumCircuit.qft(numQubits: 12))
        let messages = try LocalCommunicator.run(ranks: 2) { group in
            Result { try big.distributedRun(binding: [:], shots: 10, seed: 1, memory: false, group: CommunicatorRanks(group), as: Double.self) }
                .error.map { "\($0)" } ?? ""
        }
        #expect(messages[0] == messages[1])
        #expect(messages[0].contains("on 2 ranks: each rank needs"))
        #expect(messages[0].contains("the smallest number of such ranks that fits is 8"))
        // Gathering the whole state on rank 0 is refused on its own when only that does not fit.
        var roomy = Simulator()
        roomy.maxMemoryBytes = 40 << 10
        let gathered = try roomy.compile(QuantumCircuit.qft(numQubits: 12))
        let refusals = try LocalCommunicator.run(ranks: 4) { group in
            Result { try gathered.distributedStatevector(binding: [:], group: CommunicatorRanks(group), as: Double.self) }.error.map { "\($0)" } ?? ""
        }
        #expect(refusals.allSatisfy { $0.contains("does not fit on rank 0 to be gathered") })
    }

    @Test("the public entry points: always splits, never and auto (when the state fits) leave it to rank 0")
    func modes() throws {
        var circuit = try randomCircuit(qubits: 6, gates: 30, seed: 21)
        circuit.add(ClassicalRegister(6, name: "c"))
        for q in 0..<6 { circuit.measure(q, q) }
        let compiled = try Simulator().compile(circuit)
        let expected = try compiled.run(shots: 500, seed: 3)
        for mode in DistributionMode.allCases {
            let results = try LocalCommunicator.run(ranks: 4) { comm in
                try compiled.run(shots: 500, seed: 3, on: comm, distribution: mode)
            }
            #expect(results[0]?.run.counts == expected.counts, "\(mode)")
            if mode == .always {
                #expect(results.allSatisfy { $0?.statistics?.ranks == 4 && $0?.run.counts == expected.counts })
            } else {
                #expect(results[0]?.statistics == nil)
                #expect(results.dropFirst().allSatisfy { $0 == nil })
            }
        }
        // auto splits when the state does not fit one rank's limit but fits the ranks'.
        var limited = Simulator()
        limited.maxMemoryBytes = 800   // 6 qubits: 1 KiB whole, 256 bytes + 256 bytes buffer per rank of 4
        let tight = try limited.compile(circuit)
        let split = try LocalCommunicator.run(ranks: 4) { comm in
            try tight.run(shots: 500, seed: 3, on: comm, distribution: .auto)
        }
        #expect(split.allSatisfy { $0?.statistics != nil && $0?.run.counts == expected.counts })
        let unitary = try Simulator().compile(circuit.removingFinalMeasurements())
        let states = try LocalCommunicator.run(ranks: 2) { comm in
            try unitary.statevector(distributedOver: comm, as: Double.self).state?.amplitudes
        }
        let whole = try Simulator().statevector(circuit.removingFinalMeasurements()).amplitudes
        #expect(Distance.max(try #require(states[0]), whole) < 1e-12)
        #expect(states[1] == nil)
    }

    @Test("a gate that mixes more qubits than a rank holds is refused with the largest rank count that works")
    func tooWide() throws {
        var circuit = QuantumCircuit(numQubits: 3)
        var rng = SeededGenerator(seed: 3)
        circuit.append(try Gate.unitary(RandomCircuits.unitary(4, &rng)), [0, 2])
        #expect(throws: QuantumError.self) {
            _ = try DistributedPlan(numQubits: 3, globalQubits: 2, instructions: circuit.instructions, restoresLayout: true,
                                    mixing: ExecutionPlan.mixedQubits)
        }
        let compiled = try Simulator().compile(circuit)
        let errors = try LocalCommunicator.run(ranks: 4) { group in
            Result { try compiled.distributedStatevector(binding: [:], group: CommunicatorRanks(group), as: Double.self) }.error.map { "\($0)" } ?? ""
        }
        #expect(errors.allSatisfy { $0.contains("use at most 2 ranks") })
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
