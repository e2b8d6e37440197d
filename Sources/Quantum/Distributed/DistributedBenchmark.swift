import Communication
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension CompiledCircuit {
    /// Runs the unitary circuit split over `group` and returns what moved, leaving the final state
    /// in its last layout (no restore, no gather): what a benchmark times.
    func distributedEvolution<Real: StateScalar>(group: any RankGroup, ranksOnNode: Int, as _: Real.Type) throws -> DistributionStatistics {
        let threads = try Simulator.resolveThreads(simulator.threads)
        let k = try checkDistributed(group: group, as: Real.self, copies: 1, gathers: false, ranksOnNode: ranksOnNode)
        let layout = try DistributedPlan(numQubits: plan.numQubits, globalQubits: k,
                                         instructions: plan.instructions(droppingMeasurements: true),
                                         restoresLayout: false, mixing: ExecutionPlan.mixedQubits)
        let executor = DistributedExecutor<Real>(plan: layout, group: group, simulator: simulator, values: [:], threads: threads)
        var state = executor.initialSlice()
        var bits: [UInt8] = []
        var rng = SeededGenerator(seed: 0)
        try executor.run(layout.steps.indices, on: &state, bits: &bits, rng: &rng)
        return executor.statistics
    }
}

extension QuantumBenchmark {
    /// One case run with its state split across ranks (`verdant bench --suite quantum --distributed`).
    public struct DistributedResult: Sendable, Codable {
        /// The case name.
        public let `case`: String
        /// The number of qubits.
        public let qubits: Int
        /// "double" or "single".
        public let precision: String
        /// Ranks.
        public let ranks: Int
        /// Threads per rank.
        public let threads: Int
        /// The median over repeats of the slowest rank's wall time (planning, simulation, exchanges), in seconds.
        public let secondsMedian: Double
        /// Every repeat's slowest-rank time, in seconds.
        public let seconds: [Double]
        /// Rank 0's seconds in exchanges, in the median repeat.
        public let exchangeSeconds: Double
        /// Rank 0's seconds in local kernels, in the median repeat.
        public let computeSeconds: Double
        /// Remaps (global-local qubit swaps) per run.
        public let remaps: Int
        /// Bytes each rank sends per run.
        public let bytesSentPerRank: Int
        /// Gates in the circuit.
        public let gates: Int
        /// The bytes of one rank's slice.
        public let sliceBytes: Int
        /// Every rank's peak resident memory (the process's high-water mark), in bytes, in rank order.
        public let peakResidentBytes: [Int]

        enum CodingKeys: String, CodingKey {
            case `case`, qubits, precision, ranks, threads, seconds, remaps, gates
            case secondsMedian = "seconds_median"
            case exchangeSeconds = "exchange_seconds"
            case computeSeconds = "compute_seconds"
            case bytesSentPerRank = "bytes_sent_per_rank"
            case sliceBytes = "slice_bytes"
            case peakResidentBytes = "peak_resident_bytes"
        }
    }

    /// Times one case with the state split across every rank of `communicator` (every rank calls
    /// it with the same arguments). The cases are those of ``cases(numQubits:)`` that run a circuit
    /// of gates; each repeat compiles, runs and leaves the final state in its last layout.
    /// - Parameters:
    ///   - benchmarkCase: the case.
    ///   - numQubits: the width.
    ///   - precision: the amplitude type.
    ///   - threads: threads per rank.
    ///   - repeats: timed runs (after one untimed run).
    ///   - communicator: the ranks.
    ///   - maxMemoryBytes: a per-rank memory limit.
    /// - Returns: the measurement (the same on every rank).
    /// - Throws: the distributed run's refusals; ``QuantumError/distribution(_:)`` for a case without a circuit.
    public static func runDistributed(_ benchmarkCase: Case, numQubits: Int, precision: Precision, threads: Int, repeats: Int,
                                      communicator: any Communicator, maxMemoryBytes: UInt64? = nil) throws -> DistributedResult
    {
        guard let circuit = benchmarkCase.circuit, benchmarkCase.shots == nil, benchmarkCase.name != "bind" else {
            throw QuantumError.distribution("bench --distributed: case '\(benchmarkCase.name)' has no circuit of gates to split "
                + "(use qft, qft-ucx, qft-rzsx, random, qaoa, su2, h-first or h-last)")
        }
        let group = CommunicatorRanks(communicator)
        let onNode = CompiledCircuit.ranksOnNode(nil, communicator)
        let simulator = Simulator(precision: precision, threads: threads, maxMemoryBytes: maxMemoryBytes)
        var times: [Double] = []
        var details: [(exchange: Double, compute: Double)] = []
        var last: DistributionStatistics?
        for attempt in 0...max(1, repeats) {
            _ = try communicator.allgather([0.0])   // start together
            let start = ContinuousClock.now
            let compiled = try simulator.compile(circuit)
            let statistics = switch precision {
            case .double: try compiled.distributedEvolution(group: group, ranksOnNode: onNode, as: Double.self)
            case .single: try compiled.distributedEvolution(group: group, ranksOnNode: onNode, as: Float.self)
            }
            let elapsed = ContinuousClock.now - start
            let mine = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let slowest = try communicator.allgather([mine]).map { $0[0] }.max() ?? mine
            if attempt > 0 {
                times.append(slowest)
                details.append((statistics.exchangeSeconds, statistics.computeSeconds))
            }
            last = statistics
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let peaks = try communicator.allgather([Double(usage.ru_maxrss) * 1024]).map { Int($0[0]) }
        let order = times.indices.sorted { times[$0] < times[$1] }
        let middle = order[order.count / 2]
        return DistributedResult(
            case: benchmarkCase.name, qubits: numQubits, precision: precision.rawValue, ranks: communicator.size, threads: threads,
            secondsMedian: times[middle], seconds: times, exchangeSeconds: details[middle].exchange,
            computeSeconds: details[middle].compute, remaps: last?.remaps ?? 0, bytesSentPerRank: last?.bytesSent ?? 0,
            gates: circuit.instructions.count, sliceBytes: precision.bytesPerAmplitude << (numQubits - communicator.size.trailingZeroBitCount),
            peakResidentBytes: peaks)
    }
}
