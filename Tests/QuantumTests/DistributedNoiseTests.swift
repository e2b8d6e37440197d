import Communication
import Foundation
import Testing
import _TestSupport
@testable import Quantum

// Noise trajectories over ranks: on the split state, and with the shots split. Oracles: the
// brute-force noisy reference (ReferenceNoisySimulator: dense density matrices, every measurement
// enumerated) and the density-matrix method's exact probabilities, by chi-square; and the same
// walk on one in-process rank, whose counts the split walk must equal for the same seed.
//
// Each chi-square test fails with probability α = 1e-6 / (number of chi-square tests in this
// file) when the counts do follow the exact distribution, so a false failure of the whole file
// has probability at most 1e-6.
private let chiSquareTests = 3
private let alpha = 1e-6 / Double(chiSquareTests)

/// The shared checks, written once for any communicator: in-process groups here, the MPI world
/// under `mpirun -np 2` and `-np 4` in CI (QuantumWorldTests).
enum DistributedNoiseChecks {
    /// Depolarizing and thermal relaxation after every gate, amplitude damping before measurements,
    /// a reset error, and readout errors.
    static func noise() throws -> NoiseModel {
        var model = try DeviceNoise.parse(depolarizing: "0.02,0.05", t1: "30us", t2: "45us", gateTime: "200ns,600ns",
                                          readoutError: "0.03,0.07").model()
        try model.add(try QuantumChannel.amplitudeDamping(0.1), on: ["measure"])
        try model.add(try QuantumChannel.reset(toZero: 0.05, toOne: 0.05), on: ["reset"])
        return model
    }

    /// Four qubits (two global on 4 ranks): gates, errors, a mid-circuit measurement, a condition
    /// and a reset on the highest qubits; three measured at the end (the brute-force oracle evolves
    /// dense density matrices and enumerates every outcome and readout: small keeps it quick).
    static func dynamicCircuit() throws -> QuantumCircuit {
        try QuantumCircuit(qasm: """
            OPENQASM 2.0; include "qelib1.inc"; qreg q[4]; creg a[1]; creg c[3];
            h q[3]; cx q[3],q[2]; ry(0.7) q[0]; cx q[0],q[3]; rx(1.1) q[2];
            measure q[3] -> a[0];
            if(a==1) x q[0];
            reset q[3]; h q[3]; cz q[3],q[1]; sx q[1]; cx q[1],q[2];
            measure q[0] -> c[0]; measure q[2] -> c[1]; measure q[3] -> c[2];
            """, file: "dynamic.qasm")
    }

    /// Five qubits measured at the end: every error, then readout errors.
    static func terminalCircuit() throws -> QuantumCircuit {
        try QuantumCircuit(qasm: """
            OPENQASM 2.0; include "qelib1.inc"; qreg q[5]; creg c[5];
            h q[4]; ry(0.9) q[3]; cx q[4],q[0]; cx q[3],q[4]; rz(0.4) q[4]; sx q[1]; cx q[1],q[3]; h q[2]; cx q[2],q[4];
            measure q[0] -> c[0]; measure q[1] -> c[1]; measure q[2] -> c[2]; measure q[3] -> c[3]; measure q[4] -> c[4];
            """, file: "terminal.qasm")
    }

    static func simulator(method: SimulationMethod = .trajectories) throws -> Simulator {
        var simulator = Simulator(threads: 1)
        simulator.noise = try noise()
        simulator.method = method
        return simulator
    }

    /// Counts and memory on the communicator's ranks equal those of the same walk on one rank.
    static func all(_ comm: any Communicator) throws {
        for circuit in [try dynamicCircuit(), try terminalCircuit()] {
            let compiled = try simulator().compile(circuit)
            let one = try LocalCommunicator.run(ranks: 1) { try compiled.run(shots: 300, seed: 21, memory: true, distributedOver: $0) }[0]
            let split = try compiled.run(shots: 300, seed: 21, memory: true, distributedOver: comm)
            #expect(split.run.counts == one.run.counts, "\(comm.size) ranks")
            #expect(split.run.memory == one.run.memory, "\(comm.size) ranks")
            #expect(split.run.counts.values.reduce(0, +) == 300)
            #expect(split.run.noise?.method == .trajectories)
            #expect((split.statistics?.ranks ?? 0) == comm.size)
        }
    }
}

@Suite("Distributed noise trajectories (in-process rank groups)")
struct DistributedNoiseTests {
    @Test("on the split state, the same counts and memory as on one rank for the same seed", arguments: [2, 4])
    func sameAsOneRank(ranks: Int) throws {
        _ = try LocalCommunicator.run(ranks: ranks) { try DistributedNoiseChecks.all($0) }
    }

    @Test("on the split state, counts fit the exact distribution: brute force for a dynamic circuit, the density matrix for a terminal one")
    func fitsExactDistribution() throws {
        let noise = try DistributedNoiseChecks.noise()
        let dynamic = try DistributedNoiseChecks.dynamicCircuit()
        let exactDynamic = try ReferenceNoisySimulator.distribution(dynamic, noise: noise)
        let compiledDynamic = try DistributedNoiseChecks.simulator().compile(dynamic)
        for seed: UInt64 in [1] {
            let result = try LocalCommunicator.run(ranks: 4) { try compiledDynamic.run(shots: 2000, seed: seed, distributedOver: $0) }
            #expect(result.allSatisfy { $0.run.counts == result[0].run.counts }, "every rank holds the same counts")
            let (statistic, degrees, p) = ChiSquare.test(counts: result[0].run.counts, probabilities: exactDynamic)
            #expect(p >= alpha, "seed \(seed): χ² = \(statistic), \(degrees) degrees of freedom, p = \(p) < α = \(alpha)")
        }
        // The terminal circuit's exact distribution of recorded keys from the density-matrix method.
        let terminal = try DistributedNoiseChecks.terminalCircuit()
        let density = try DistributedNoiseChecks.simulator(method: .densityMatrix).compile(terminal)
        let probabilities = try #require(try density.run(shots: 1, seed: 1).noise?.probabilities)
        // (The density-matrix method is checked against Aer and the brute-force reference in NoisySimulatorTests.)
        let exactTerminal = try #require(density.noisy).program.recordedDistribution(probabilities)
        let compiledTerminal = try DistributedNoiseChecks.simulator().compile(terminal)
        let split = try LocalCommunicator.run(ranks: 2) { try compiledTerminal.run(shots: 2000, seed: 9, distributedOver: $0) }[0]
        let (statistic, degrees, p) = ChiSquare.test(counts: split.run.counts, probabilities: exactTerminal)
        #expect(p >= alpha, "χ² = \(statistic), \(degrees) degrees of freedom, p = \(p) < α = \(alpha)")
        // The test can fail: the same counts are far from the noiseless distribution.
        let ideal = try ReferenceNoisySimulator.distribution(terminal, noise: NoiseModel())
        #expect(ChiSquare.test(counts: split.run.counts, probabilities: ideal).pValue < 1e-6)
    }

    @Test("every channel runs on local positions: channels on the global qubits come after remaps")
    func channelsAreLocal() throws {
        let compiled = try DistributedNoiseChecks.simulator().compile(try DistributedNoiseChecks.dynamicCircuit())
        let walk = try DistributedTrajectories(program: try #require(compiled.noisy).program, globalQubits: 2)
        let channels = walk.plan.steps.compactMap { step -> [Int]? in
            if case .channel(_, let positions, _) = step { positions } else { nil }
        }
        #expect(channels.count == walk.locations.count)
        #expect(channels.allSatisfy { $0.allSatisfy { $0 < walk.plan.localQubits } })
        #expect(walk.plan.remapCount >= 1, "the circuit acts on qubits 3 and 4, global on 4 ranks")
        // The final measurements are sampled from the leaves, the mid-circuit one is a step.
        #expect(walk.deferred.count == 3)
        #expect(walk.plan.steps.count { if case .measure = $0 { true } else { false } } == 1)
    }

    @Test("when the state fits one rank, each rank runs its share of the shots: counts add up, agree on every rank, repeat, fit")
    func splitShots() throws {
        let terminal = try DistributedNoiseChecks.terminalCircuit()
        let compiled = try DistributedNoiseChecks.simulator().compile(terminal)
        func splitRun(_ seed: UInt64) throws -> [DistributedRunResult?] {
            try LocalCommunicator.run(ranks: 2) {
                try compiled.run(shots: 3000, seed: seed, memory: true, on: $0, distribution: .auto, ranksOnNode: 1)
            }
        }
        let first = try splitRun(4), again = try splitRun(4)
        let result = try #require(first[0])
        #expect(result.statistics == nil, "the state is not split")
        #expect(result.run.noise?.reason.contains("shots split across 2 ranks") == true)
        #expect(result.run.counts.values.reduce(0, +) == 3000)
        #expect(result.run.memory?.count == 3000)
        #expect(first.allSatisfy { $0?.run.counts == result.run.counts }, "every rank holds the counts")
        #expect(again[0]?.run.counts == result.run.counts, "the same seed and ranks give the same counts")
        let density = try DistributedNoiseChecks.simulator(method: .densityMatrix).compile(terminal)
        let probabilities = try #require(try density.run(shots: 1, seed: 1).noise?.probabilities)
        let exact = try #require(density.noisy).program.recordedDistribution(probabilities)
        let (statistic, degrees, p) = ChiSquare.test(counts: result.run.counts, probabilities: exact)
        #expect(p >= alpha, "χ² = \(statistic), \(degrees) degrees of freedom, p = \(p) < α = \(alpha)")
        // `never`: rank 0 alone, the one-process result.
        let never = try LocalCommunicator.run(ranks: 2) { try compiled.run(shots: 200, seed: 4, on: $0, distribution: .never) }
        #expect(never[1] == nil)
        #expect(never[0]?.run.counts == (try compiled.run(shots: 200, seed: 4).counts))
    }

    @Test("the density-matrix method: rank 0 alone under auto, refused on every rank under always")
    func densityMatrix() throws {
        let compiled = try DistributedNoiseChecks.simulator(method: .densityMatrix).compile(try DistributedNoiseChecks.terminalCircuit())
        let auto = try LocalCommunicator.run(ranks: 2) { try compiled.run(shots: 100, seed: 1, on: $0, distribution: .auto) }
        #expect(auto[1] == nil)
        #expect(auto[0]?.run.noise?.method == .densityMatrix)
        #expect(auto[0]?.run.counts == (try compiled.run(shots: 100, seed: 1).counts))
        let messages = try LocalCommunicator.run(ranks: 2) { comm -> String in
            do {
                _ = try compiled.run(shots: 100, seed: 1, on: comm, distribution: .always)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(messages[0] == messages[1])
        #expect(messages[0].contains("the density-matrix method is not split across ranks"), "\(messages[0])")
        #expect(messages[0].contains("--method trajectories"))
        // The automatic method takes trajectories when asked to split.
        let automatic = try DistributedNoiseChecks.simulator(method: .automatic).compile(try DistributedNoiseChecks.terminalCircuit())
        let split = try LocalCommunicator.run(ranks: 2) { try automatic.run(shots: 100, seed: 1, on: $0, distribution: .always) }
        #expect(split[0]?.run.noise?.method == .trajectories)
        #expect(split[0]?.statistics?.ranks == 2)
    }

    @Test("a channel on more qubits than a rank holds is refused with the most ranks that work")
    func channelTooWide() throws {
        // cz mixes nothing, but its two-qubit error needs both qubits on one rank: 3 qubits allow 2 ranks.
        let circuit = try QuantumCircuit(qasm: """
            OPENQASM 2.0; include "qelib1.inc"; qreg q[3]; creg c[3]; h q[0]; cz q[0],q[2]; measure q[0] -> c[0];
            """, file: "wide.qasm")
        let compiled = try DistributedNoiseChecks.simulator().compile(circuit)
        let messages = try LocalCommunicator.run(ranks: 4) { comm -> String in
            do {
                _ = try compiled.run(shots: 10, seed: 1, distributedOver: comm)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(messages.allSatisfy { $0 == messages[0] })
        #expect(messages[0].contains("noise channel on qubits [0, 2]") && messages[0].contains("use at most 2 ranks"), "\(messages[0])")
    }
}
