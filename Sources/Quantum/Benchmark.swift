import Foundation

/// The quantum benchmark suite behind `verdant bench --suite quantum`: times, in this process,
/// single gates, a QFT and a seeded random circuit, and an in-place streaming sweep of the same
/// memory (the bandwidth limit the gates are compared against).
public enum QuantumBenchmark {
    /// One timed case.
    public struct Case: Sendable {
        /// "sweep", "h-first", "h-last", "qft", "random" or "sample".
        public let name: String
        /// The circuit it runs ("sweep" runs none; for "sample" it prepares the state, untimed).
        public let circuit: QuantumCircuit?
        /// For "sample": the shots drawn from the prepared state (the timed part).
        public var shots: Int? = nil
    }

    /// One measurement.
    public struct Result: Sendable, Codable {
        /// The case name.
        public let `case`: String
        /// The number of qubits.
        public let qubits: Int
        /// "double" or "single".
        public let precision: String
        /// The number of threads.
        public let threads: Int
        /// The median of the repeats, in seconds.
        public let secondsMedian: Double
        /// Every repeat, in seconds.
        public let seconds: [Double]
        /// Gates in the circuit (1 for the sweep).
        public let gates: Int
        /// Kernel calls after fusion (1 for the sweep).
        public let kernelCalls: Int
        /// Sweeps of the state's memory: one per cache-blocked pass or lone kernel (1 for the sweep).
        public let sweeps: Int
        /// gates / secondsMedian.
        public let gatesPerSecond: Double
        /// Effective bandwidth: sweeps × state bytes × 2 (read and write) / secondsMedian, in GB/s.
        public let bandwidthGBPerSecond: Double
        /// The state's size in bytes.
        public let stateBytes: Int

        enum CodingKeys: String, CodingKey {
            case `case`, qubits, precision, threads, seconds, gates
            case secondsMedian = "seconds_median"
            case kernelCalls = "kernel_calls"
            case sweeps
            case gatesPerSecond = "gates_per_second"
            case bandwidthGBPerSecond = "bandwidth_gb_per_s"
            case stateBytes = "state_bytes"
        }
    }

    /// The cases at `numQubits` qubits: sweep, H on qubit 0, H on qubit n−1, QFT, random (depth 20, seed 2026).
    public static func cases(numQubits n: Int) -> [Case] {
        var first = QuantumCircuit(numQubits: n)
        first.h(0)
        first.name = "h-first-\(n)"
        var last = QuantumCircuit(numQubits: n)
        last.h(n - 1)
        last.name = "h-last-\(n)"
        return [
            Case(name: "sweep", circuit: nil),
            Case(name: "h-first", circuit: first),
            Case(name: "h-last", circuit: last),
            Case(name: "qft", circuit: .qft(numQubits: n)),
            Case(name: "random", circuit: .randomLayers(numQubits: n, depth: 20, seed: 2026)),
            Case(name: "sample", circuit: .randomLayers(numQubits: n, depth: 4, seed: 7), shots: 100_000),
        ]
    }

    /// Times one case.
    /// - Parameters:
    ///   - benchmarkCase: the case.
    ///   - numQubits: the width.
    ///   - precision: the amplitude type.
    ///   - threads: the thread count.
    ///   - repeats: how many timed runs (the median is reported).
    ///   - fusion: whether gate fusion is on.
    ///   - maxMemoryBytes: a memory limit.
    /// - Returns: the measurement.
    /// - Throws: memory errors before anything is allocated.
    public static func run(_ benchmarkCase: Case, numQubits: Int, precision: Precision, threads: Int, repeats: Int,
                           fusion: Bool = true, maxMemoryBytes: UInt64? = nil) throws -> Result
    {
        switch precision {
        case .double:
            return try run(benchmarkCase, numQubits: numQubits, as: Double.self, threads: threads, repeats: repeats,
                           fusion: fusion, maxMemoryBytes: maxMemoryBytes)
        case .single:
            return try run(benchmarkCase, numQubits: numQubits, as: Float.self, threads: threads, repeats: repeats,
                           fusion: fusion, maxMemoryBytes: maxMemoryBytes)
        }
    }

    private static func run<Real: StateScalar>(_ benchmarkCase: Case, numQubits n: Int, as _: Real.Type, threads: Int,
                                               repeats: Int, fusion: Bool, maxMemoryBytes: UInt64?) throws -> Result
    {
        guard threads >= 1 else { throw QuantumError.invalidThreads(threads) }
        try checkMemory(numQubits: n, as: Real.self, userLimit: maxMemoryBytes)
        var state = StateVector<Real>(unchecked: n, threads: threads)
        let plan = try benchmarkCase.circuit.map { try ExecutionPlan(circuit: $0, fusion: fusion) }
        let executables: [Executable<Real>] = try plan.map { plan in
            try plan.program(plan.steps.indices, values: [:], blockQubits: ExecutionPlan.defaultBlockQubits(for: Real.self))
        } ?? []
        // One untimed run warms caches and page tables.
        var times: [Double] = []
        for attempt in 0...max(repeats, 1) {
            resetToZeroState(&state)
            if let shots = benchmarkCase.shots {
                // Sampling: prepare the state untimed, time drawing the shots.
                for executable in executables { executable.apply(to: &state) }
                var rng = SeededGenerator(seed: UInt64(attempt))
                let start = ContinuousClock.now
                let drawn = state.sampleIndices(shots: shots, using: &rng)
                let elapsed = ContinuousClock.now - start
                precondition(drawn.count == shots)
                if attempt > 0 {
                    times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                }
                continue
            }
            let start = ContinuousClock.now
            if plan == nil {
                // A unit factor computed at run time, so the sweep cannot be optimised away.
                let factor = Real(Double.cos(Double(attempt) * 1e-300))
                streamingSweep(state.storage.pointer, count: state.count, factor: factor, threads: threads)
            } else {
                for executable in executables { executable.apply(to: &state) }
            }
            let elapsed = ContinuousClock.now - start
            if attempt > 0 {
                times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            }
        }
        let median = times.sorted()[times.count / 2]
        let sampling = benchmarkCase.shots != nil
        let gates = sampling ? 0 : plan?.gateCount ?? 1
        let calls = sampling ? 1 : plan?.kernelCount ?? 1
        let sweeps = sampling || plan == nil ? 1 : executables.count
        return Result(case: benchmarkCase.name, qubits: n, precision: Real.precisionName, threads: threads,
                      secondsMedian: median, seconds: times, gates: gates, kernelCalls: calls, sweeps: sweeps,
                      gatesPerSecond: Double(gates) / median,
                      bandwidthGBPerSecond: Double(sweeps) * Double(state.memoryBytes) * 2 / median / 1e9,
                      stateBytes: state.memoryBytes)
    }

    private static func resetToZeroState<Real: StateScalar>(_ state: inout StateVector<Real>) {
        let shared = SharedPointer(base: state.storage.pointer)
        forEachRange(count: 2 * state.count, threads: state.threads) { start, end in
            (shared.base + start).update(repeating: 0, count: end - start)
        }
        state.storage.pointer[0] = 1
    }
}
