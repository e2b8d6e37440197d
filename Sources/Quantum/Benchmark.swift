import Foundation
import VerdantCommon

/// The quantum benchmark suite behind `verdant bench --suite quantum`: times, in this process,
/// single gates, a QFT, the same QFT and three more circuits as a transpiler writes them, a seeded
/// random circuit, drawing shots, and an in-place streaming sweep of the same memory (the
/// bandwidth limit the gates are compared against). A circuit's time includes what the user pays
/// before the first gate: validating, fusing, scheduling and binding the plan.
public enum QuantumBenchmark {
    /// One timed case.
    public struct Case: Sendable {
        /// The case's name (one of ``names``).
        public let name: String
        /// The circuit it runs ("sweep" runs none; for "sample" it prepares the state, untimed).
        public let circuit: QuantumCircuit?
        /// For "sample": the shots drawn from the prepared state (the timed part).
        public var shots: Int? = nil
    }

    /// Every case, in the order they run: "sweep", "h-first", "h-last", "qft", "qft-ucx",
    /// "qft-rzsx", "random", "qaoa", "su2", "sample".
    public static let names = ["sweep", "h-first", "h-last", "qft", "qft-ucx", "qft-rzsx", "random", "qaoa", "su2", "sample",
                               "bind"]

    /// The width of the "bind" case (a variational model's size, whatever `--qubits` says).
    public static let bindQubits = 8
    /// Bindings timed per repeat in the "bind" case.
    public static let bindCount = 200

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
        /// The median CPU time of the process over each repeat (user + system, every thread), in
        /// seconds: steadier than wall time on a shared machine, and about threads × wall time
        /// when the work splits well.
        public let cpuSecondsMedian: Double
        /// Gates in the circuit (1 for the sweep).
        public let gates: Int
        /// Kernel calls after fusion (1 for the sweep).
        public let kernelCalls: Int
        /// Sweeps of the state's memory: one per cache-blocked pass or lone kernel (1 for the sweep).
        public let sweeps: Int
        /// The median time of validating, fusing, scheduling and binding the plan, in seconds
        /// (included in ``secondsMedian``; 0 for the sweep and for sampling).
        public let planningSecondsMedian: Double
        /// What fusion made of the circuit (nil for the sweep and for sampling).
        public let execution: ExecutionSummary?
        /// gates / secondsMedian.
        public let gatesPerSecond: Double
        /// Effective bandwidth: sweeps × state bytes × 2 (read and write) / secondsMedian, in GB/s.
        public let bandwidthGBPerSecond: Double
        /// The state's size in bytes.
        public let stateBytes: Int

        enum CodingKeys: String, CodingKey {
            case `case`, qubits, precision, threads, seconds, gates
            case secondsMedian = "seconds_median"
            case cpuSecondsMedian = "cpu_seconds_median"
            case kernelCalls = "kernel_calls"
            case sweeps
            case planningSecondsMedian = "planning_seconds_median"
            case execution
            case gatesPerSecond = "gates_per_second"
            case bandwidthGBPerSecond = "bandwidth_gb_per_s"
            case stateBytes = "state_bytes"
        }
    }

    /// The cases at `numQubits` qubits: sweep; H on qubit 0 and on qubit n−1; the QFT (h, cp,
    /// swap); the QFT transpiled to u+cx (level 0) and to rz+sx+cx (level 1); a random circuit
    /// (depth 20, u and cx, seed 2026); a QAOA ring ansatz (3 layers, rz+sx+x+cx, seeded angles);
    /// EfficientSU2 (full entanglement, 4 reps, u+cx, seeded angles); and drawing 100,000 shots of
    /// every qubit from a prepared state (depth-4 random circuit, seed 7).
    public static func cases(numQubits n: Int) -> [Case] {
        var first = QuantumCircuit(numQubits: n)
        first.h(0)
        first.name = "h-first-\(n)"
        var last = QuantumCircuit(numQubits: n)
        last.h(n - 1)
        last.name = "h-last-\(n)"
        let qaoaAngles = angles(6, seed: 2026)
        var sample = QuantumCircuit.randomLayers(numQubits: n, depth: 4, seed: 7)
        sample.measureAll()
        return [
            Case(name: "sweep", circuit: nil),
            Case(name: "h-first", circuit: first),
            Case(name: "h-last", circuit: last),
            Case(name: "qft", circuit: .qft(numQubits: n)),
            Case(name: "qft-ucx", circuit: transpiledQFT(numQubits: n, basis: .uCX)),
            Case(name: "qft-rzsx", circuit: transpiledQFT(numQubits: n, basis: .rzSXCX)),
            Case(name: "random", circuit: .randomLayers(numQubits: n, depth: 20, seed: 2026)),
            Case(name: "qaoa", circuit: qaoaRing(numQubits: n, gammas: Array(qaoaAngles[0..<3]), betas: Array(qaoaAngles[3..<6]))),
            Case(name: "su2", circuit: efficientSU2Full(numQubits: n, reps: 4, angles: angles(10 * n, seed: 2026))),
            Case(name: "sample", circuit: sample, shots: 100_000),
            Case(name: "bind", circuit: bindAnsatz()),
        ]
    }

    /// The "bind" case's circuit: a hardware-efficient ansatz on ``bindQubits`` qubits (ry and rz
    /// on every qubit, a cx ladder, 3 layers) whose angles are free parameters, as a variational
    /// model binds it for every sample.
    static func bindAnsatz() -> QuantumCircuit {
        let n = bindQubits
        var circuit = QuantumCircuit(numQubits: n)
        circuit.name = "bind-\(n)"
        for layer in 0..<3 {
            for q in 0..<n {
                circuit.ry(Parameter("y\(layer)_\(q)"), q)
                circuit.rz(Parameter("z\(layer)_\(q)"), q)
            }
            for q in 0..<(n - 1) { circuit.cx(q, q + 1) }
        }
        return circuit
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
        if benchmarkCase.name == "bind", let circuit = benchmarkCase.circuit {
            return try bind(circuit, as: Real.self, threads: threads, repeats: repeats, fusion: fusion)
        }
        try checkMemory(numQubits: n, as: Real.self, userLimit: maxMemoryBytes)
        // A circuit's repeats each time a fresh state, as `Simulator` makes one for a user (its
        // allocation and page faults are part of what a user pays, as they are in qsim's and
        // Aer's figures); the sweep and the sampling cases reuse one state.
        let freshStates = benchmarkCase.circuit != nil && benchmarkCase.shots == nil
        var state = StateVector<Real>(unchecked: freshStates ? 0 : n, threads: threads)
        let stateBytes = 2 * (1 << n) * MemoryLayout<Real>.size
        let blockQubits = ExecutionPlan.defaultBlockQubits(for: Real.self)
        // The plan as the user gets it: validated, fused, scheduled and bound. Each timed repeat
        // makes its own (nothing is cached across repeats), and its time is part of the case's.
        func compile() throws -> (ExecutionPlan, [Executable<Real>])? {
            guard let circuit = benchmarkCase.circuit else { return nil }
            let unitary = benchmarkCase.shots == nil ? circuit : circuit.removingFinalMeasurements()
            // As Simulator.compile makes it: leading one-qubit gates folded into the initial state.
            let plan = try ExecutionPlan(circuit: unitary, fusion: fusion, foldsLeadingGates: fusion)
            return (plan, try plan.program(plan.steps.indices, values: [:], blockQubits: blockQubits, fromZero: true))
        }
        let measuredPlan = try benchmarkCase.shots.map { _ in try ExecutionPlan(circuit: benchmarkCase.circuit ?? QuantumCircuit(numQubits: n), fusion: fusion) }
        var times: [Double] = []
        var cpuTimes: [Double] = []
        var planning: [Double] = []
        var compiled: (ExecutionPlan, [Executable<Real>])?
        // One untimed run warms caches (and, where the state is reused, its pages).
        for attempt in 0...max(repeats, 1) {
            // The previous repeat's state is freed untimed (as the other sides free theirs), and
            // first, so that two never coexist.
            if freshStates { state = StateVector<Real>(unchecked: 0, threads: threads) } else { resetToZeroState(&state) }
            if let shots = benchmarkCase.shots, let measuredPlan {
                // Sampling: prepare the state untimed; time drawing the shots and counting them
                // into the dictionary `run` returns (Qiskit's keys), as Aer's counts are.
                compiled = try compiled ?? compile()
                for executable in compiled?.1 ?? [] { executable.apply(to: &state) }
                var rng = SeededGenerator(seed: UInt64(attempt))
                let start = ContinuousClock.now
                let cpuStart = processCPUSeconds()
                let drawn = state.sampleIndices(shots: shots, using: &rng)
                let counts = measuredPlan.countOutcomes(drawn, memory: false).counts
                let elapsed = ContinuousClock.now - start
                precondition(counts.values.reduce(0, +) == shots)
                if attempt > 0 {
                    times.append(seconds(elapsed))
                    cpuTimes.append(processCPUSeconds() - cpuStart)
                }
                continue
            }
            let start = ContinuousClock.now
            let cpuStart = processCPUSeconds()
            if benchmarkCase.circuit == nil {
                // A unit factor computed at run time, so the sweep cannot be optimised away.
                let factor = Real(Double.cos(Double(attempt) * 1e-300))
                streamingSweep(state.storage.pointer, count: state.count, factor: factor, threads: threads)
            } else {
                compiled = try compile()
                let planned = ContinuousClock.now
                state = StateVector<Real>(unchecked: n, threads: threads,
                                          zeroed: compiled?.0.leadingSteps.isEmpty ?? true)
                for executable in compiled?.1 ?? [] { executable.apply(to: &state) }
                if attempt > 0 { planning.append(seconds(planned - start)) }
            }
            let elapsed = ContinuousClock.now - start
            if attempt > 0 {
                times.append(seconds(elapsed))
                cpuTimes.append(processCPUSeconds() - cpuStart)
            }
        }
        let median = Timing.median(times)
        let sampling = benchmarkCase.shots != nil
        let plan = sampling ? nil : compiled?.0
        let gates = sampling ? 0 : plan?.gateCount ?? 1
        let calls = sampling ? 1 : plan?.kernelCount ?? 1
        let sweeps = sampling || plan == nil ? 1 : compiled?.1.count ?? 1
        return Result(case: benchmarkCase.name, qubits: n, precision: Real.precisionName, threads: threads,
                      secondsMedian: median, seconds: times, cpuSecondsMedian: Timing.median(cpuTimes),
                      gates: gates, kernelCalls: calls, sweeps: sweeps,
                      planningSecondsMedian: planning.isEmpty ? 0 : Timing.median(planning),
                      execution: plan?.summary(blockQubits: blockQubits, precision: Real.self == Float.self ? .single : .double),
                      gatesPerSecond: Double(gates) / median,
                      bandwidthGBPerSecond: Double(sweeps) * Double(stateBytes) * 2 / median / 1e9,
                      stateBytes: stateBytes)
    }

    /// Compiles a parameterised circuit once and times ``bindCount`` bindings (each: bind new
    /// values, run, get the state), as a variational model does per sample.
    private static func bind<Real: StateScalar>(_ circuit: QuantumCircuit, as _: Real.Type, threads: Int, repeats: Int,
                                                fusion: Bool) throws -> Result
    {
        let compiled = try Simulator(precision: Real.self == Float.self ? .single : .double, threads: threads, fusion: fusion)
            .compile(circuit)
        var rng = SeededGenerator(seed: 5)
        let values = (0..<bindCount).map { _ in compiled.parameters.map { _ in (rng.nextUniform() * 2 - 1) * Double.pi } }
        var times: [Double] = [], cpuTimes: [Double] = []
        var bytes = 0
        for attempt in 0...max(repeats, 1) {
            let start = ContinuousClock.now
            let cpuStart = processCPUSeconds()
            for v in values {
                let state = try compiled.statevector(binding: compiled.binding(v), as: Real.self)
                bytes = state.memoryBytes
            }
            if attempt > 0 {
                times.append(seconds(ContinuousClock.now - start))
                cpuTimes.append(processCPUSeconds() - cpuStart)
            }
        }
        let median = Timing.median(times)
        let execution = compiled.execution
        return Result(case: "bind", qubits: compiled.numQubits, precision: Real.precisionName, threads: threads,
                      secondsMedian: median, seconds: times, cpuSecondsMedian: Timing.median(cpuTimes),
                      gates: compiled.gateCount * bindCount, kernelCalls: execution.kernels * bindCount,
                      sweeps: execution.sweeps * bindCount, planningSecondsMedian: 0, execution: execution,
                      gatesPerSecond: Double(compiled.gateCount * bindCount) / median,
                      bandwidthGBPerSecond: Double(execution.sweeps * bindCount) * Double(bytes) * 2 / median / 1e9,
                      stateBytes: bytes)
    }

    /// User + system CPU time of the whole process, in seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    private static func resetToZeroState<Real: StateScalar>(_ state: inout StateVector<Real>) {
        let shared = SharedPointer(base: state.storage.pointer)
        forEachRange(count: 2 * state.count, threads: state.threads) { start, end in
            (shared.base + start).update(repeating: 0, count: end - start)
        }
        state.storage.pointer[0] = 1
    }
}
