import Communication
import Foundation

/// The precision of the amplitudes.
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// 64-bit `Double` amplitudes (16 bytes per amplitude). The default.
    case double
    /// 32-bit `Float` amplitudes (8 bytes per amplitude): half the memory and time, ~1e-6 error.
    case single

    /// "double" or "single".
    public var description: String { rawValue }

    /// The bytes one amplitude takes.
    public var bytesPerAmplitude: Int { self == .double ? 16 : 8 }
}

/// The outcome of running a circuit with shots.
public struct RunResult: Sendable {
    /// Outcome counts keyed as Qiskit keys them (highest classical bit first; registers separated
    /// by spaces, the last-added register first). Empty when the circuit measures nothing.
    public let counts: [String: Int]
    /// Each shot's outcome in shot order, when asked for.
    public let memory: [String]?
    /// The number of shots.
    public let shots: Int
    /// The seed used (the one given, or the one drawn when none was given).
    public let seed: UInt64
    /// The number of qubits.
    public let numQubits: Int
    /// The precision of the state.
    public let precision: Precision
    /// The bytes of the state vector.
    public let stateBytes: Int
    /// Wall-clock seconds for simulation and sampling.
    public let seconds: Double
    /// Whether shots were sampled once from the final state (`true`) or simulated one by one
    /// because of mid-circuit measurement, reset or conditions (`false`).
    public let sampledFromFinalState: Bool
    /// The number of gates, and of kernel calls after fusion.
    public let gateCount: Int
    /// The number of kernel calls after fusion.
    public let kernelCount: Int
    /// How the unitary part runs: gates, kernels, cache-blocked passes and memory sweeps.
    public let execution: ExecutionSummary
    /// How a noisy run went (method and why, exact probabilities, …); nil for an ideal run.
    public internal(set) var noise: NoisyRunInfo? = nil

    /// Counts divided by shots.
    public var frequencies: [String: Double] { counts.mapValues { Double($0) / Double(shots) } }
}

/// How a compiled circuit runs: what gate fusion and cache blocking made of its gates.
public struct ExecutionSummary: Sendable, Codable, CustomStringConvertible {
    /// Gates in the circuit.
    public let gates: Int
    /// Kernel calls after fusion: one per fused block (or unfused gate).
    public let kernels: Int
    /// Blocks that hold two or more gates (one-qubit runs and multi-qubit blocks).
    public let fusedBlocks: Int
    /// Kernels whose matrix is diagonal (each amplitude takes a phase).
    public let diagonalKernels: Int
    /// Kernels whose matrix is a permutation, possibly with phases (amplitudes move).
    public let permutationKernels: Int
    /// Dense kernels by number of target qubits (index 0 unused; controls are not targets).
    public let denseKernelsByTargets: [Int]
    /// Gates whose fused product was the identity, dropped.
    public let droppedGates: Int
    /// Leading one-qubit gates folded into the initial product state ⊗_q U_q|0⟩ (each qubit's
    /// one-qubit gates before any other operation touches it), written in one sweep instead of
    /// applied as kernels; 0 when the run does not start from |0…0⟩ or fusion is off.
    public let foldedGates: Int
    /// The widest block the fuser was allowed to make.
    public let maxFusedQubits: Int
    /// Cache-blocked passes (each runs several kernels in one sweep over memory).
    public let passes: Int
    /// Sweeps over the state's memory: passes, kernels run alone, and the initial product state
    /// when gates are folded into it.
    public let sweeps: Int
    /// Local qubits of a pass (its block is 2^blockQubits amplitudes).
    public let blockQubits: Int
    /// Floating-point operations of one run of the unitary part, estimated from the kernels:
    /// 8·2^t per amplitude a dense t-target kernel visits, 6 per amplitude a diagonal (or a
    /// permutation with phases) visits, none for amplitudes that only move.
    public let flops: Double
    /// One-qubit gates (or the X-symmetric cores of one-qubit and multiplexed gates, their phases
    /// moved into neighbouring diagonal runs) that cache-blocked passes run two or three at a time
    /// as H^⊗k · diagonal · H^⊗k (`SymmetricLayer`), in the summary's precision; 0 for a circuit
    /// with free parameters (the split depends on the values, so it is made at each binding).
    public let layeredGates: Int

    /// Sweeps saved against one sweep per gate.
    public var sweepsSaved: Int { max(0, gates - sweeps) }

    /// The figures of two plans run one after the other (the stretches of a split state): counts
    /// and flops add, the widest block and the pass width are the larger.
    func adding(_ other: ExecutionSummary) -> ExecutionSummary {
        var dense = [Int](repeating: 0, count: max(denseKernelsByTargets.count, other.denseKernelsByTargets.count))
        for (t, n) in denseKernelsByTargets.enumerated() { dense[t] += n }
        for (t, n) in other.denseKernelsByTargets.enumerated() { dense[t] += n }
        return ExecutionSummary(gates: gates + other.gates, kernels: kernels + other.kernels,
                                fusedBlocks: fusedBlocks + other.fusedBlocks,
                                diagonalKernels: diagonalKernels + other.diagonalKernels,
                                permutationKernels: permutationKernels + other.permutationKernels, denseKernelsByTargets: dense,
                                droppedGates: droppedGates + other.droppedGates, foldedGates: foldedGates + other.foldedGates,
                                maxFusedQubits: max(maxFusedQubits, other.maxFusedQubits), passes: passes + other.passes,
                                sweeps: sweeps + other.sweeps, blockQubits: max(blockQubits, other.blockQubits),
                                flops: flops + other.flops, layeredGates: layeredGates + other.layeredGates)
    }

    /// `1440 gates → 24 folded into the initial state, 72 kernels (43 diagonal, 10 permutation, dense 19×1q; blocks of
    /// up to 5 qubits) → 4 sweeps of memory (3 cache-blocked passes of 15 local qubits); 1436 saved; 908.07 M flop per run`.
    public var description: String {
        func count(_ n: Int, _ noun: String, _ plural: String? = nil) -> String { "\(n) \(n == 1 ? noun : plural ?? noun + "s")" }
        var forms: [String] = []
        if diagonalKernels > 0 { forms.append("\(diagonalKernels) diagonal") }
        if permutationKernels > 0 { forms.append("\(permutationKernels) permutation") }
        let dense = denseKernelsByTargets.enumerated().filter { $0.offset > 0 && $0.element > 0 }
        if !dense.isEmpty { forms.append("dense " + dense.map { "\($0.element)×\($0.offset)q" }.joined(separator: " ")) }
        let fusing = maxFusedQubits == 0 ? "no fusion" : "blocks of up to \(count(maxFusedQubits, "qubit"))"
        let dropped = droppedGates > 0 ? ", \(count(droppedGates, "identity gate")) dropped" : ""
        let folded = foldedGates > 0 ? "\(foldedGates) folded into the initial state, " : ""
        if layeredGates > 0 { forms.append("\(layeredGates) one-qubit gates as Hadamard-basis layers") }
        return "\(count(gates, "gate")) → \(folded)\(count(kernels, "kernel")) (\((forms + [fusing]).joined(separator: ", "))\(dropped))"
            + " → \(count(sweeps, "sweep")) of memory (\(count(passes, "cache-blocked pass", "cache-blocked passes")) of "
            + "\(blockQubits) local qubits); \(sweepsSaved) saved; \(Self.format(flops))flop per run"
    }

    static func format(_ flops: Double) -> String {
        if flops >= 1e9 { return String(format: "%.2f G", flops / 1e9) }
        if flops >= 1e6 { return String(format: "%.2f M", flops / 1e6) }
        if flops >= 1e3 { return String(format: "%.2f k", flops / 1e3) }
        return String(format: "%.0f ", flops)
    }
}

/// The state-vector simulator: validates a circuit, fuses gates, and dispatches kernels.
///
/// ```swift
/// let simulator = Simulator(precision: .single, threads: 2)
/// let result = try simulator.run(circuit, shots: 1000, seed: 1)
/// ```
public struct Simulator: Sendable {
    /// The widest state the simulator accepts (memory permitting).
    public static let maximumQubits = 50
    /// All cores, divided among the ranks an MPI launcher started on this node.
    public static var defaultThreads: Int {
        // Divided among the ranks an MPI launcher started on this node, as the scheduler's (an
        // audit found each of 2 ranks on 2 cores using 2 threads, and reporting 2).
        max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, Launcher.localRanks))
    }

    /// The precision of the amplitudes.
    public var precision: Precision
    /// Threads for kernels (nil: all cores).
    public var threads: Int?
    /// A memory limit in bytes on top of what the system has available.
    public var maxMemoryBytes: UInt64?
    /// Whether gates are fused: consecutive one-qubit gates on a qubit, then blocks of up to
    /// ``maxFusedQubits`` qubits multiplied out and applied as one kernel each.
    public var fusion: Bool
    /// The widest fused block, 1…5 (default 5; 1 fuses one-qubit runs only). Within it the
    /// fuser picks each block's width by its cost model (docs/architecture.md).
    public var maxFusedQubits: Int = 5
    /// Called with (done, total) as kernels (or, for per-shot runs, shots) complete; for progress
    /// bars. Keep it cheap: it runs on the simulating thread.
    public var progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?
    /// The local qubits of a cache-blocked pass (nil: 512 KiB of amplitudes). Tests set it small
    /// to exercise passes on small states.
    var blockQubits: Int?
    /// Whether blocks may hold gates with free parameters whatever the width (nil: from 14 qubits
    /// on). Tests set it to fuse parameterised circuits on small states.
    var fusesParameterised: Bool?
    /// Whether runs from |0…0⟩ fold each qubit's leading one-qubit gates into the initial product
    /// state (with fusion on). Tests turn it off to compare the two.
    var foldsLeadingGates = true
    /// The most copies of ψ an adjoint gradient keeps at the ends of commuting layers (nil: up to
    /// 8 within 64 MiB; 0: none, the plain sweep). Tests set it to compare the two.
    var adjointCheckpoints: Int?
    /// How a noisy circuit is simulated (Noise/SimulationMethod.swift); `.automatic` by default.
    public var method: SimulationMethod = .automatic
    /// The noise model (nil: ideal). With a model, runs use the density-matrix or trajectory method.
    public var noise: NoiseModel?
    /// Noisy expectation values estimated from this many shots instead of exactly (nil: exact).
    public var estimateShots: Int?
    /// Trajectories averaged for a noisy expectation value by the trajectory method (nil:
    /// ``estimateShots``, else 1000). The density-matrix method does not read it.
    public var expectationTrajectories: Int?
    /// Whether shot-based noisy estimates invert the readout errors' tensored assignment matrices.
    public var mitigatesReadout = false
    /// The seed of shot-based estimates and trajectories (each evaluation derives its own from it).
    public var seed: UInt64 = 0
    /// Whether a density-matrix run keeps the final density matrix in ``RunResult/noise``.
    public var keepsDensityMatrix = false
    /// Whether the caller wants the exact probabilities before readout (`verdant run
    /// --probabilities`): with ``method`` automatic, the density matrix is then chosen whenever it
    /// fits, as it is for a circuit that measures nothing or with ``keepsDensityMatrix``.
    public var wantsExactProbabilities = false

    /// Creates a simulator.
    /// - Parameters:
    ///   - precision: `.double` (default) or `.single`.
    ///   - threads: threads for kernels; nil means all cores (divided among the ranks an MPI launcher started on this node).
    ///   - maxMemoryBytes: refuse states larger than this.
    ///   - fusion: fuse consecutive one-qubit gates (default on).
    public init(precision: Precision = .double, threads: Int? = nil, maxMemoryBytes: UInt64? = nil, fusion: Bool = true) {
        self.precision = precision
        self.threads = threads
        self.maxMemoryBytes = maxMemoryBytes
        self.fusion = fusion
    }

    static func resolveThreads(_ threads: Int?) throws -> Int {
        guard let threads else { return defaultThreads }
        guard threads >= 1 else { throw QuantumError.invalidThreads(threads) }
        return threads
    }

    /// Compiles a circuit once, to bind parameters and run it many times.
    /// - Throws: the circuit's validation errors.
    public func compile(_ circuit: QuantumCircuit) throws -> CompiledCircuit {
        guard (1...5).contains(maxFusedQubits) else { throw QuantumError.invalidFusionWidth(maxFusedQubits) }
        var compiled = CompiledCircuit(plan: try ExecutionPlan(circuit: circuit, fusion: fusion, maxFusedQubits: maxFusedQubits,
                                                               fusesParameterised: fusesParameterised,
                                                               foldsLeadingGates: fusion && foldsLeadingGates),
                                       simulator: self)
        compiled.noisy = try NoisyCompilation.make(circuit, simulator: self)
        return compiled
    }

    /// The final state of a circuit without measurement, reset or conditions, in `Double`
    /// whatever ``precision`` says (use ``statevector(_:as:)`` with `Float.self` for single).
    /// - Throws: validation errors, ``QuantumError/unboundParameters(_:)``, memory errors, and
    ///   ``QuantumError/invalidState(_:)`` for non-unitary circuits.
    public func statevector(_ circuit: QuantumCircuit) throws -> StateVector<Double> {
        try compile(circuit).statevector(binding: [:], as: Double.self)
    }

    /// The final state of a circuit in the chosen `Real` type (`Float` or `Double`).
    /// - Throws: as ``statevector(_:)``.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func statevector<Real: StateScalar>(_ circuit: QuantumCircuit, as type: Real.Type) throws -> StateVector<Real> {
        try compile(circuit).statevector(binding: [:], as: type)
    }

    /// Runs a circuit with shots.
    /// - Parameters:
    ///   - circuit: the circuit.
    ///   - shots: the number of shots, at least 1.
    ///   - seed: the seed (the same seed gives the same counts on every machine); drawn at random
    ///     and reported in the result when nil.
    ///   - memory: whether to keep each shot's outcome.
    /// - Throws: validation, parameter and memory errors; ``QuantumError/invalidShots(_:)``.
    public func run(_ circuit: QuantumCircuit, shots: Int = 1024, seed: UInt64? = nil, memory: Bool = false) throws -> RunResult {
        try compile(circuit).run(binding: [:], shots: shots, seed: seed, memory: memory)
    }
}

/// A circuit compiled once (validated, fused) and run many times with different parameter values:
/// binding only evaluates angles and rebuilds the matrices of parameterised blocks.
public struct CompiledCircuit: Sendable {
    let plan: ExecutionPlan
    /// The simulator settings it runs with.
    public let simulator: Simulator
    /// The differentiable program (Gradients/AdjointProgram.swift), built on first use.
    let differentiation = DifferentiationCache()
    /// The noisy program when the simulator has a noise model or a noisy method (Noise/).
    var noisy: NoisyCompilation?

    /// The circuit's free parameters, sorted by name (the order for ``statevector(values:)``).
    public var parameters: [Parameter] { plan.parameters }
    /// The number of qubits.
    public var numQubits: Int { plan.numQubits }
    /// The number of gates before fusion.
    public var gateCount: Int { plan.gateCount }
    /// The number of kernel calls after fusion.
    public var kernelCount: Int { plan.kernelCount }

    /// Whether every measurement is final and nothing is reset or conditioned, so that shots are
    /// drawn from one final state; then ``execution`` is the same as that of the circuit without
    /// its measurements.
    public var samplesFromFinalState: Bool { plan.samplesFromFinalState }

    /// What fusion and cache blocking make of the circuit in the simulator's precision.
    public var execution: ExecutionSummary {
        let blockQubits = simulator.blockQubits ?? (simulator.precision == .double
            ? ExecutionPlan.defaultBlockQubits(for: Double.self) : ExecutionPlan.defaultBlockQubits(for: Float.self))
        return plan.summary(blockQubits: blockQubits, precision: simulator.precision)
    }

    /// Values in ``parameters`` order, as a binding.
    /// - Throws: ``QuantumError/wrongBindingCount(received:expected:)``.
    public func binding(_ values: [Double]) throws -> [Parameter: Double] {
        guard values.count == parameters.count else {
            throw QuantumError.wrongBindingCount(received: values.count, expected: parameters.map(\.name))
        }
        return Dictionary(uniqueKeysWithValues: zip(parameters, values))
    }

    func checkBinding(_ values: [Parameter: Double]) throws {
        let known = Set(parameters)
        for p in values.keys where !known.contains(p) {
            throw QuantumError.unknownParameter(name: p.name, known: parameters.map(\.name))
        }
        let missing = parameters.filter { values[$0] == nil }
        if !missing.isEmpty { throw QuantumError.unboundParameters(missing.map(\.name)) }
    }

    /// The final state with the parameters bound.
    /// - Parameters:
    ///   - values: a number for every parameter.
    ///   - type: `Double.self` or `Float.self`.
    /// - Throws: ``QuantumError/unboundParameters(_:)``, ``QuantumError/unknownParameter(name:known:)``,
    ///   memory errors, and ``QuantumError/invalidState(_:)`` when the circuit is not unitary.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func statevector<Real: StateScalar>(binding values: [Parameter: Double], as type: Real.Type) throws -> StateVector<Real> {
        try checkBinding(values)
        if noisy != nil { throw NoisyCompilation.noStateVector }
        if let step = plan.steps.first(where: { !$0.isUnitary }) {
            let what = ExecutionPlan.describeNonUnitary(step)
            throw QuantumError.invalidState(
                "the circuit contains \(what): a state vector needs a circuit of unitary gates only "
                    + "(use run(shots:) for counts, or removingFinalMeasurements())")
        }
        let threads = try Simulator.resolveThreads(simulator.threads)
        try checkMemory(numQubits: plan.numQubits, as: Real.self, userLimit: simulator.maxMemoryBytes)
        // With leading gates folded, the first executable overwrites every amplitude.
        var state = StateVector<Real>(unchecked: plan.numQubits, threads: threads, zeroed: plan.leadingSteps.isEmpty)
        try plan.applyUnitarySteps(plan.steps.indices, to: &state, values: values, blockQubits: simulator.blockQubits,
                                   fromZero: true, progress: simulator.progress)
        return state
    }

    /// The final `Double` state with the parameters bound.
    /// - Throws: as ``statevector(binding:as:)``.
    public func statevector(binding values: [Parameter: Double] = [:]) throws -> StateVector<Double> {
        try statevector(binding: values, as: Double.self)
    }

    /// The final `Double` state with values given in ``parameters`` order.
    /// - Throws: as ``statevector(binding:as:)`` and ``binding(_:)``.
    public func statevector(values: [Double]) throws -> StateVector<Double> {
        try statevector(binding: binding(values), as: Double.self)
    }

    /// ⟨ψ(values)|O|ψ(values)⟩.
    /// - Throws: as ``statevector(binding:as:)`` and ``StateVector/expectation(_:)``.
    public func expectation(_ observable: PauliSum, binding values: [Parameter: Double] = [:]) throws -> Double {
        if noisy != nil { return try expectations([observable], values: orderedValues(values))[0] }
        return switch simulator.precision {
        case .double: try statevector(binding: values, as: Double.self).expectation(observable)
        case .single: try statevector(binding: values, as: Float.self).expectation(observable)
        }
    }

    /// Runs with shots and the parameters bound, in the simulator's precision.
    /// - Throws: as ``Simulator/run(_:shots:seed:memory:)``.
    public func run(binding values: [Parameter: Double] = [:], shots: Int, seed: UInt64? = nil, memory: Bool = false) throws -> RunResult {
        if let noisy { return try noisy.run(self, values: orderedValues(values), shots: shots, seed: seed, memory: memory) }
        return switch simulator.precision {
        case .double: try run(binding: values, shots: shots, seed: seed, memory: memory, observing: [], as: Double.self).result
        case .single: try run(binding: values, shots: shots, seed: seed, memory: memory, observing: [], as: Float.self).result
        }
    }

    /// Runs with shots and takes ⟨ψ|O_k|ψ⟩ of the final state before its measurements from the
    /// same simulation (the circuit must measure only at the end).
    func runObserving(_ observables: [PauliSum], binding values: [Parameter: Double], shots: Int, seed: UInt64?,
                      memory: Bool) throws -> (result: RunResult, expectations: [Double])
    {
        switch simulator.precision {
        case .double: try run(binding: values, shots: shots, seed: seed, memory: memory, observing: observables, as: Double.self)
        case .single: try run(binding: values, shots: shots, seed: seed, memory: memory, observing: observables, as: Float.self)
        }
    }

    /// Refuses observables for a run that cannot give them: not as wide as the circuit, or a
    /// circuit simulated shot by shot (its final state is not one state).
    func checkObservedRun(_ observables: [PauliSum]) throws {
        guard !observables.isEmpty else { return }
        for observable in observables where observable.numQubits != numQubits {
            throw QuantumError.observableWidth(received: observable.numQubits, numQubits: numQubits)
        }
        guard plan.samplesFromFinalState else {
            throw QuantumError.invalidState("the circuit has mid-circuit measurement, reset or conditions: expectation values need "
                                            + "the one state before its final measurements")
        }
    }

    private func run<Real: StateScalar>(binding values: [Parameter: Double], shots: Int, seed: UInt64?, memory: Bool,
                                        observing observables: [PauliSum],
                                        as _: Real.Type) throws -> (result: RunResult, expectations: [Double])
    {
        try checkShots(shots, memory: memory, userLimit: simulator.maxMemoryBytes)
        try checkBinding(values)
        try checkObservedRun(observables)
        var expectations: [Double] = []
        let threads = try Simulator.resolveThreads(simulator.threads)
        try checkMemory(numQubits: plan.numQubits, as: Real.self, userLimit: simulator.maxMemoryBytes,
                        copies: plan.samplesFromFinalState ? 1 : 2)
        let seedUsed = seed ?? UInt64.random(in: .min ... .max)
        var rng = SeededGenerator(seed: seedUsed)
        let clock = ContinuousClock.now
        // With leading gates folded, the first executable (of the first range) overwrites every amplitude.
        var state = StateVector<Real>(unchecked: plan.numQubits, threads: threads, zeroed: plan.leadingSteps.isEmpty)
        var counts: [String: Int] = [:]
        var outcomes: [String]? = memory ? [] : nil

        if plan.samplesFromFinalState {
            try plan.applyUnitarySteps(plan.steps.indices, to: &state, values: values, blockQubits: simulator.blockQubits,
                                       fromZero: true, progress: simulator.progress)
            // The kernel itself (widths were checked): a call to the exported specialisation of
            // StateVector.expectation from this generic function left it undefined at link time in release builds.
            let amplitudes = state.storage.pointer
            expectations = observables.map { pauliExpectation(amplitudes, numQubits: plan.numQubits, observable: $0, threads: threads) }
            if !plan.measurements.isEmpty {
                let indices = state.sampleIndices(shots: shots, using: &rng)
                (counts, outcomes) = plan.countOutcomes(indices, memory: memory)
            }
        } else {
            // Simulate the unitary prefix once (with every leading gate of the plan in its initial
            // product state), then branch per shot from a copy of it.
            let prefixEnd = plan.steps.firstIndex { !$0.isUnitary } ?? plan.steps.count
            try plan.applyUnitarySteps(0..<prefixEnd, to: &state, values: values, blockQubits: simulator.blockQubits, fromZero: true)
            let rest = Array(prefixEnd..<plan.steps.count)
            let kernels: [Int: KernelCall<Real>] = try Dictionary(uniqueKeysWithValues: rest.compactMap { index in
                guard case .gates(let block) = plan.steps[index].action, !plan.isLeading[index] else { return nil }
                return (index, try plan.kernel(at: index, block: block, lookup: { values[$0] }))
            })
            for shot in 0..<shots {
                simulator.progress?(shot, shots)
                var shotState = state
                shotState.makeUnique()
                var bits = [UInt8](repeating: 0, count: plan.numClbits)
                for index in rest {
                    let step = plan.steps[index]
                    if let condition = step.condition {
                        // Bit m of the register against bit m of the value (0 beyond the value's 63 bits).
                        let holds = condition.clbits.enumerated().allSatisfy { m, c in
                            Int(bits[c]) == (m < 63 ? (condition.value >> m) & 1 : 0)
                        }
                        if !holds { continue }
                    }
                    switch step.action {
                    case .gates:
                        kernels[index]?.apply(to: shotState.storage.pointer, threads: shotState.threads)
                    case .measure(let q, let c):
                        bits[c] = UInt8(measure(&shotState, qubit: q, rng: &rng))
                    case .reset(let q):
                        if measure(&shotState, qubit: q, rng: &rng) == 1 {
                            flip(shotState.storage.pointer, numQubits: shotState.numQubits, qubit: q, threads: shotState.threads)
                        }
                    }
                }
                let key = plan.countsKey(bits)
                if !plan.measurements.isEmpty {
                    counts[key, default: 0] += 1
                    outcomes?.append(key)
                }
            }
        }
        let elapsed = ContinuousClock.now - clock
        let result = RunResult(counts: counts, memory: outcomes, shots: shots, seed: seedUsed, numQubits: plan.numQubits,
                               precision: Real.self == Float.self ? .single : .double, stateBytes: state.memoryBytes,
                               seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                               sampledFromFinalState: plan.samplesFromFinalState, gateCount: plan.gateCount,
                               kernelCount: plan.kernelCount, execution: execution)
        return (result, expectations)
    }

    /// Measures one qubit: draws the outcome, collapses and renormalises the state.
    private func measure<Real: StateScalar>(_ state: inout StateVector<Real>, qubit: Int, rng: inout SeededGenerator) -> Int {
        let p = state.storage.pointer
        let total = normSquared(p, numQubits: state.numQubits, threads: state.threads)
        let one = probabilityOfOne(p, numQubits: state.numQubits, qubit: qubit, threads: state.threads) / total
        let outcome = rng.nextUniform() < one ? 1 : 0
        let kept = outcome == 1 ? one : 1 - one
        let scale = Real(1 / (kept * total).squareRoot())
        collapse(p, numQubits: state.numQubits, qubit: qubit, outcome: outcome, scale: scale, threads: state.threads)
        return outcome
    }
}

extension ExecutionPlan {
    /// Counts of sampled basis-state indices, keyed as Qiskit keys them (the measured bits of each
    /// index), and each shot's key in order when `memory` is set: what `run` returns for shots
    /// sampled from the final state.
    func countOutcomes(_ indices: [Int], memory: Bool) -> (counts: [String: Int], memory: [String]?) {
        var counts: [String: Int] = [:]
        var outcomes: [String]? = memory ? [] : nil
        var bits = [UInt8](repeating: 0, count: numClbits)
        var keyCache: [Int: String] = [:]
        for index in indices {
            let key: String
            if let cached = keyCache[index] {
                key = cached
            } else {
                for i in bits.indices { bits[i] = 0 }
                for (q, c) in measurements { bits[c] = UInt8((index >> q) & 1) }
                key = countsKey(bits)
                keyCache[index] = key
            }
            counts[key, default: 0] += 1
            outcomes?.append(key)
        }
        return (counts, outcomes)
    }
}

extension QuantumCircuit {
    /// Runs the circuit on the state-vector simulator.
    /// - Parameters:
    ///   - shots: the number of shots, at least 1.
    ///   - seed: the seed; the same seed gives the same counts on every machine.
    ///   - memory: whether to keep each shot's outcome.
    ///   - simulator: the simulator settings (precision, threads, memory limit).
    /// - Returns: counts in Qiskit's format, and timing.
    /// - Throws: the circuit's validation errors, parameter and memory errors.
    public func run(shots: Int = 1024, seed: UInt64? = nil, memory: Bool = false,
                    simulator: Simulator = Simulator()) throws -> RunResult
    {
        try simulator.run(self, shots: shots, seed: seed, memory: memory)
    }

    /// The final state (circuits of unitary gates only).
    /// - Parameter simulator: the simulator settings.
    /// - Throws: as ``Simulator/statevector(_:)``.
    public func statevector(simulator: Simulator = Simulator()) throws -> StateVector<Double> {
        try simulator.statevector(self)
    }

    /// The probability of each basis state of the final state, simulated in the simulator's
    /// precision.
    /// - Throws: as ``Simulator/statevector(_:)``.
    public func probabilities(simulator: Simulator = Simulator()) throws -> [Double] {
        switch simulator.precision {
        case .double: try simulator.statevector(self).probabilities()
        case .single: try simulator.statevector(self, as: Float.self).probabilities()
        }
    }

    /// A copy without the measurements that end the circuit (each measured qubit untouched
    /// afterwards, and its bit read by no later condition) — Qiskit's `remove_final_measurements`.
    /// Barriers and classical registers are kept.
    public func removingFinalMeasurements() -> QuantumCircuit {
        var touchedLater = Set<Int>(), readLater = Set<Int>()
        var keep = [Bool](repeating: true, count: instructions.count)
        for (index, instruction) in instructions.enumerated().reversed() {
            switch instruction.operation {
            case .measure where instruction.condition == nil && !touchedLater.contains(instruction.qubits[0])
                && readLater.isDisjoint(with: instruction.clbits):
                keep[index] = false
            case .barrier:
                break
            default:
                touchedLater.formUnion(instruction.qubits)
            }
            if let condition = instruction.condition { readLater.formUnion(condition.clbits) }
        }
        var copy = self
        copy.replaceInstructions(instructions.enumerated().filter { keep[$0.offset] }.map(\.element))
        return copy
    }

    /// A copy in which every condition that no measurement can have changed yet is decided:
    /// classical bits start at 0, so before any measurement writes a condition's bits
    /// `if(c==0)` always holds (the instruction stays, unconditioned) and `if(c==v)`, v ≠ 0, never
    /// does (the instruction is dropped). Qiskit and Aer run such circuits the same way; here a
    /// circuit that measures nothing keeps one pure final state. Conditions on bits that a
    /// measurement may have written stay.
    public func resolvingUnwrittenConditions() -> QuantumCircuit {
        var written = Set<Int>()
        var resolved: [Instruction] = []
        resolved.reserveCapacity(instructions.count)
        var changed = false
        for instruction in instructions {
            if let condition = instruction.condition, written.isDisjoint(with: condition.clbits) {
                changed = true
                if condition.value == 0 {
                    resolved.append(Instruction(operation: instruction.operation, qubits: instruction.qubits, clbits: instruction.clbits,
                                                condition: nil))
                }
            } else {
                resolved.append(instruction)
            }
            if instruction.operation == .measure { written.formUnion(instruction.clbits) }
        }
        guard changed else { return self }
        var copy = self
        copy.replaceInstructions(resolved)
        return copy
    }

    mutating func replaceInstructions(_ new: [Instruction]) {
        instructions = new
    }

    /// The qubits that some gate, measurement or reset acts on, in increasing order (barriers do
    /// not count).
    public var activeQubits: [Int] {
        var active = [Bool](repeating: false, count: numQubits)
        for instruction in instructions where instruction.operation != .barrier {
            for q in instruction.qubits { active[q] = true }
        }
        return active.indices.filter { active[$0] }
    }

    /// This circuit on its ``activeQubits`` only, for a circuit transpiled for a device, which
    /// names every qubit of the device (127 on an IBM Eagle) but acts on a few: one quantum
    /// register `q` of the active qubits in order, the same classical registers, the same
    /// instructions (barriers keep their active qubits, and one with none is dropped). Counts,
    /// which are keyed by classical bits, are the same for both circuits.
    /// - Returns: the compact circuit and, for each of its qubits, the qubit of this circuit it
    ///   stands for; nil when every qubit is active.
    /// - Throws: the circuit's own validation errors.
    public func removingIdleQubits() throws -> (circuit: QuantumCircuit, qubits: [Int])? {
        try validate()
        let active = activeQubits
        guard active.count < numQubits else { return nil }
        var position = [Int](repeating: -1, count: numQubits)
        for (k, q) in active.enumerated() { position[q] = k }
        var name = "q"
        while classicalRegisters.contains(where: { $0.name == name }) { name += "_" }
        var compact = QuantumCircuit()
        if !active.isEmpty { compact.add(QuantumRegister(active.count, name: name)) }
        for register in classicalRegisters { compact.add(register) }
        var kept: [Instruction] = []
        for instruction in instructions {
            let qubits = instruction.qubits.compactMap { position[$0] >= 0 ? position[$0] : nil }
            if instruction.operation == .barrier, qubits.isEmpty { continue }
            kept.append(Instruction(operation: instruction.operation, qubits: qubits, clbits: instruction.clbits,
                                    condition: instruction.condition))
        }
        compact.replaceInstructions(kept)
        try compact.validate()
        return (compact, active)
    }
}
