import ComplexModule
import Foundation
import Synchronization

/// The noisy side of a ``CompiledCircuit``: made by ``Simulator/compile(_:)`` when the simulator
/// has a noise model (or asks for a noisy method), it places the model's errors once and builds
/// each method's engine on first use. `CompiledCircuit.run`, `expectations` and `gradient` come
/// here after their usual checks, so noise is a setting of the simulator, not another API.
final class NoisyCompilation: Sendable {
    let circuit: QuantumCircuit
    let program: NoisyProgram
    let noise: NoiseModel
    private let engines = Mutex<Engines>(Engines())

    private struct Engines {
        var density: DensityMatrixEngine?
        var shifted: ShiftedDensity?
        var trajectories: TrajectoryEngine?
    }

    /// The compilation, or nil when the simulator is ideal (no model, automatic method).
    static func make(_ circuit: QuantumCircuit, simulator: Simulator) throws -> NoisyCompilation? {
        guard simulator.noise != nil || simulator.method != .automatic else { return nil }
        let model = simulator.noise ?? NoiseModel()
        return NoisyCompilation(circuit: circuit, program: try NoisyProgram(circuit: circuit, noise: model), noise: model)
    }

    private init(circuit: QuantumCircuit, program: NoisyProgram, noise: NoiseModel) {
        self.circuit = circuit
        self.program = program
        self.noise = noise
    }

    static let noStateVector = QuantumError.invalidState(
        "a noisy circuit has a density matrix, not a state vector: use densityMatrix(values:) or run(shots:) "
            + "(or a simulator without a noise model)")

    // MARK: - Engines (built on first use)

    func densityEngine(fusion: Bool) throws -> DensityMatrixEngine {
        try engines.withLock { e in
            if let known = e.density { return known }
            let made = try DensityMatrixEngine(program: program, fusion: fusion)
            e.density = made
            return made
        }
    }

    func shiftedEngine(fusion: Bool) throws -> ShiftedDensity {
        try engines.withLock { e in
            if let known = e.shifted { return known }
            let made = try ShiftedDensity(circuit: circuit, noise: noise, fusion: fusion)
            e.shifted = made
            return made
        }
    }

    func trajectoryEngine(fusion: Bool, maxFusedQubits: Int) throws -> TrajectoryEngine {
        try engines.withLock { e in
            if let known = e.trajectories { return known }
            let made = try TrajectoryEngine(program: program, fusion: fusion, maxFusedQubits: maxFusedQubits)
            e.trajectories = made
            return made
        }
    }

    // MARK: - Density matrices

    /// The final density matrix for parameter values (in the compiled circuit's order).
    func densityMatrix(_ compiled: CompiledCircuit, values: [Parameter: Double], initialState: StateVector<Double>?,
                       engine: DensityMatrixEngine? = nil) throws -> DensityMatrix
    {
        let simulator = compiled.simulator
        let threads = try Simulator.resolveThreads(simulator.threads)
        try DensityMatrix.checkMemory(numQubits: program.numQubits, userLimit: simulator.maxMemoryBytes)
        let engine = try engine ?? densityEngine(fusion: simulator.fusion)
        var rho: DensityMatrix
        if let initialState {
            rho = try DensityMatrix(initialState)
            rho.threads = threads
        } else {
            rho = DensityMatrix(unchecked: program.numQubits, threads: threads)
        }
        try engine.evolve(&rho.vector, values: values, blockQubits: simulator.blockQubits, progress: simulator.progress)
        return rho
    }

    // MARK: - Expectation values

    /// Expectation values. Density matrix: exact, or with ``Simulator/estimateShots`` measured
    /// from that many shots (readout errors included, mitigated when asked). Trajectories: Tr(ρO)
    /// estimated as the mean of ⟨ψ|O|ψ⟩ over ``Simulator/expectationTrajectories``, else
    /// ``Simulator/estimateShots``, else 1000
    /// trajectories — readout errors act on recorded bits, not on states, so they do not enter.
    func estimates(_ compiled: CompiledCircuit, _ observables: [PauliSum], values: [Double],
                   initialState: StateVector<Double>?) throws -> [ExpectationEstimate]
    {
        for observable in observables where observable.numQubits != program.numQubits {
            throw QuantumError.observableWidth(received: observable.numQubits, numQubits: program.numQubits)
        }
        try checkUnitaryProgram(differentiating: false)
        let binding = Dictionary(uniqueKeysWithValues: zip(compiled.parameters, values))
        if try expectationMethod(compiled) == .trajectories {
            let trajectories = compiled.simulator.expectationTrajectories ?? compiled.simulator.estimateShots ?? NoisyCompilation.defaultTrajectories
            return try trajectoryEngine(fusion: compiled.simulator.fusion, maxFusedQubits: 5)
                .expectations(observables, values: binding, initialState: initialState, shots: trajectories,
                              seed: NoisyCompilation.seed(compiled.simulator.seed, values, tag: 0), simulator: compiled.simulator)
        }
        let rho = try densityMatrix(compiled, values: binding, initialState: initialState)
        return try sample(rho, observables, compiled.simulator, values: values, tag: 0)
    }

    /// Trajectories averaged for an expectation value when the simulator names no shot count.
    static let defaultTrajectories = 1000

    /// The method for expectation values: the one requested; automatically the exact density
    /// matrix while it takes at most half the memory available (and n ≤ 14), else trajectories.
    func expectationMethod(_ compiled: CompiledCircuit) throws -> SimulationMethod {
        switch compiled.simulator.method {
        case .densityMatrix: return .densityMatrix
        case .trajectories: return .trajectories
        case .automatic:
            let n = program.numQubits
            let budget = MemoryBudget.current(userLimit: compiled.simulator.maxMemoryBytes)
            return n <= 14 && 16 * pow(4.0, Double(n)) <= Double(budget.bytes) / 2 ? .densityMatrix : .trajectories
        }
    }

    /// Exact values from ρ, or estimates from shots of it (``Simulator/estimateShots``).
    private func sample(_ rho: DensityMatrix, _ observables: [PauliSum], _ simulator: Simulator, values: [Double],
                        tag: UInt64) throws -> [ExpectationEstimate]
    {
        guard let shots = simulator.estimateShots else {
            return try observables.map { ExpectationEstimate(value: try rho.expectation($0), standardError: 0, method: .densityMatrix, samples: 0) }
        }
        try checkShots(shots)
        var rng = SeededGenerator(seed: NoisyCompilation.seed(simulator.seed, values, tag: tag))
        let readout = (0..<program.numQubits).map { noise.readoutError(forQubit: $0) }
        return try rho.estimate(observables, shots: shots, readout: readout, mitigate: simulator.mitigatesReadout, rng: &rng)
    }

    /// Values and Jacobian by the parameter-shift rule on the noisy circuit (exact under any
    /// noise that does not depend on the angles: the shifted gate is still followed by the same
    /// channels). Adjoint differentiation is refused.
    func gradient(_ compiled: CompiledCircuit, _ observables: [PauliSum], values: [Double], method: GradientMethod,
                  wanted: [Bool]?, initialState: StateVector<Double>?) throws -> (values: [Double], jacobian: [[Double]])
    {
        guard method == .parameterShift else {
            throw NoiseError.methodUnavailable(
                method: "adjoint gradients", reason: "adjoint differentiation runs the circuit backwards through unitary gates, and noise channels are not unitary",
                remedy: "use the parameter-shift rule (method: .parameterShift; --gradient parameter-shift), which is exact under noise")
        }
        for observable in observables where observable.numQubits != program.numQubits {
            throw QuantumError.observableWidth(received: observable.numQubits, numQubits: program.numQubits)
        }
        try checkUnitaryProgram(differentiating: true)
        let simulator = compiled.simulator
        let shifted = try shiftedEngine(fusion: simulator.fusion)
        let parameters = compiled.parameters
        let index = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { ($1, $0) })
        var binding = Dictionary(uniqueKeysWithValues: zip(parameters, values))
        for occurrence in shifted.occurrences { binding[occurrence.shift] = 0 }
        func evaluate(tag: UInt64) throws -> [Double] {
            let rho = try densityMatrix(compiled, values: binding, initialState: initialState, engine: shifted.engine)
            return try sample(rho, observables, simulator, values: values, tag: tag).map(\.value)
        }
        let base = try evaluate(tag: 0)
        var jacobian = [[Double]](repeating: [Double](repeating: 0, count: parameters.count), count: observables.count)
        for (k, occurrence) in shifted.occurrences.enumerated() {
            let used = occurrence.terms.filter { term in index[term.parameter].map { wanted?[$0] ?? true } ?? false }
            guard !used.isEmpty else { continue }
            if let refusal = occurrence.refusal { throw QuantumError.parameterShiftUnsupported(gate: refusal.gate, angle: refusal.angle, parameter: used[0].parameter.name) }
            binding[occurrence.shift] = Double.pi / 2
            let plus = try evaluate(tag: UInt64(2 * k + 1))
            binding[occurrence.shift] = -Double.pi / 2
            let minus = try evaluate(tag: UInt64(2 * k + 2))
            binding[occurrence.shift] = 0
            for term in used {
                guard let j = index[term.parameter] else { continue }
                let factor = term.derivative.evaluate { binding[$0] } ?? 0
                for o in observables.indices { jacobian[o][j] += factor * (plus[o] - minus[o]) / 2 }
            }
        }
        return (base, jacobian)
    }

    private func checkUnitaryProgram(differentiating: Bool) throws {
        for step in program.steps {
            let what: String?
            switch step {
            case .measure: what = "measure"
            case .reset: what = "reset"
            case .gate(_, _, let condition), .channel(_, _, let condition): what = condition == nil ? nil : "a conditioned gate"
            case .barrier: what = nil
            }
            guard let what else { continue }
            if differentiating { throw QuantumError.notDifferentiable(operation: what) }
            throw QuantumError.invalidState("the circuit contains \(what): expectation values need a circuit of gates only "
                                            + "(use run(shots:) for counts, or removingFinalMeasurements())")
        }
    }

    // MARK: - Runs

    /// Runs with shots: counts in Qiskit's format (readout errors applied), and how it went.
    func run(_ compiled: CompiledCircuit, values: [Double], shots: Int, seed: UInt64?, memory: Bool) throws -> RunResult {
        try checkShots(shots, memory: memory)
        let simulator = compiled.simulator
        let choice = try chooseMethod(compiled, shots: shots, forExpectations: false)
        let seedUsed = seed ?? UInt64.random(in: .min ... .max)
        let binding = Dictionary(uniqueKeysWithValues: zip(compiled.parameters, values))
        let clock = ContinuousClock.now
        if choice.method == .trajectories, program.measurements.isEmpty {
            // Trajectories give counts of measurements, and there are none: nothing would come out.
            let n = program.numQubits
            throw QuantumError.invalidState(
                "the circuit measures nothing, and the trajectories method (\(choice.reason)) gives counts of measurements only: "
                    + "add measurements, or use the density-matrix method for its probabilities (a \(n)-qubit density matrix "
                    + "needs \(formatBytes(16 * pow(4.0, Double(n)))))")
        }
        if choice.method == .trajectories {
            let engine = try trajectoryEngine(fusion: simulator.fusion, maxFusedQubits: 5)
            var result = try engine.run(binding, shots: shots, seed: seedUsed, memory: memory, simulator: simulator)
            result.reason = choice.reason
            return result.runResult(compiled: compiled, program: program, noise: noise, seconds: seconds(since: clock))
        }
        let engine = try densityEngine(fusion: simulator.fusion)
        let rho = try densityMatrix(compiled, values: binding, initialState: nil, engine: engine)
        let probabilities = rho.probabilities()
        var rng = SeededGenerator(seed: seedUsed)
        var counts: [String: Int] = [:]
        var outcomes: [String]?
        if !program.measurements.isEmpty {
            let indices = NoisyCompilation.drawIndices(probabilities, shots: shots, rng: &rng)
            (counts, outcomes) = program.terminalCounts(indices, rng: &rng, memory: memory)
        }
        var result = RunResult(counts: counts, memory: outcomes, shots: shots, seed: seedUsed, numQubits: program.numQubits,
                               precision: .double, stateBytes: rho.memoryBytes, seconds: seconds(since: clock),
                               sampledFromFinalState: true, gateCount: compiled.gateCount, kernelCount: engine.plan.kernelCount,
                               execution: engine.plan.executionSummary(blockQubits: simulator.blockQubits))
        result.noise = NoisyRunInfo(method: .densityMatrix, reason: choice.reason, probabilities: probabilities,
                                    densityMatrix: simulator.keepsDensityMatrix ? rho : nil,
                                    noisyInstructions: program.noisyInstructions, idealInstructions: program.idealInstructions,
                                    unusedReadoutErrors: noise.unusedReadoutErrors, branches: nil, errorsApplied: nil)
        return result
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    // MARK: - Choosing a method

    /// The method for this run and why: the one requested, or (automatic) the density matrix when
    /// it fits in memory and its estimated work is below the trajectories', else trajectories.
    func chooseMethod(_ compiled: CompiledCircuit, shots: Int, forExpectations: Bool) throws -> (method: SimulationMethod, reason: String) {
        let simulator = compiled.simulator
        let n = program.numQubits
        let needsShots = program.hasMidCircuitMeasurement || program.hasConditions
        let dmBytes = 16 * pow(4.0, Double(n))
        let budget = MemoryBudget.current(userLimit: simulator.maxMemoryBytes)
        switch simulator.method {
        case .densityMatrix:
            if needsShots {
                _ = try DensityMatrixEngine(program: program, fusion: false)  // throws the explanation
            }
            return (.densityMatrix, "requested")
        case .trajectories:
            return (.trajectories, "requested")
        case .automatic:
            if needsShots {
                return (.trajectories, "the circuit has \(program.hasConditions ? "classical conditions" : "mid-circuit measurements"), "
                        + "which the density-matrix method does not simulate")
            }
            if dmBytes > Double(budget.bytes) / 2 || 2 * n > Simulator.maximumQubits {
                return (.trajectories, "a \(n)-qubit density matrix needs \(formatBytes(dmBytes)), more than half of the "
                        + "\(formatBytes(Double(budget.bytes))) available (\(budget.source))")
            }
            // Exact probabilities come from the density matrix only.
            if !forExpectations, program.measurements.isEmpty {
                return (.densityMatrix, "the circuit measures nothing: its probabilities need the density matrix")
            }
            if !forExpectations, simulator.wantsExactProbabilities || simulator.keepsDensityMatrix {
                return (.densityMatrix, "exact probabilities were asked for, and the density matrix fits")
            }
            // Work per amplitude sweep: the density matrix runs about 4 kernels (U, conj U, error
            // superoperator) over 4^n entries once; trajectories run ~1 kernel over 2^n amplitudes per
            // distinct branch, and about (1 − e^(−λ))·shots + 1 branches differ when λ errors are
            // expected per shot (each needs most of the circuit again).
            let lambda = program.expectedErrorsPerShot
            let branches = min(Double(shots), Double(shots) * (1 - Foundation.exp(-lambda)) + 1)
            let dmWork = 4 * pow(4.0, Double(n))
            let trajectoryWork = pow(2.0, Double(n)) * max(1, branches)
            let detail = String(format: "%d qubits, %d shot%@, %.2g expected errors per shot: density matrix ≈ %.3g amplitude updates per gate "
                                + "(%@), trajectories ≈ %.3g (%.0f distinct branches)", n, shots, shots == 1 ? "" : "s", lambda,
                                dmWork, formatBytes(dmBytes), trajectoryWork, branches)
            return dmWork <= trajectoryWork ? (.densityMatrix, detail) : (.trajectories, detail)
        }
    }

    /// Mixes a base seed, parameter values and a tag into the seed of one evaluation (SplitMix64
    /// steps), so equal inputs give equal estimates and different ones independent estimates.
    static func seed(_ base: UInt64, _ values: [Double], tag: UInt64) -> UInt64 {
        func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var h = mix(base ^ 0x6E6F_6973_65)
        for v in values { h = mix(h ^ v.bitPattern) }
        return mix(h ^ tag)
    }
}

extension NoisyProgram {
    /// The expected number of non-identity error terms per shot: Σ over errors of the probability
    /// that the term drawn is not the most likely one.
    var expectedErrorsPerShot: Double {
        steps.reduce(0.0) { total, step in
            guard case .channel(let channel, _, _) = step else { return total }
            return total + (1 - channel.mostLikelyBranchProbability)
        }
    }
}

extension QuantumChannel {
    /// A lower estimate of the probability of the most likely branch: a unitary term's
    /// probability, or for a term of Kraus operators its probability times the largest min-diagonal
    /// of K†K (exact for the diagonal no-jump operators of damping and relaxation).
    var mostLikelyBranchProbability: Double {
        terms.map { term in
            if term.isUnitary { return term.probability }
            let best = term.kraus.map { k -> Double in
                let p = k.adjoint() * k
                return (0..<p.dimension).map { p[$0, $0].real }.min() ?? 0
            }.max() ?? 0
            return term.probability * best
        }.max() ?? 1
    }
}

/// The doubled circuit with every parameterised angle a(θ) replaced by a(θ) + σ, one fresh shift
/// parameter σ per occurrence, so the parameter-shift rule shifts one gate at a time in one
/// compiled plan (σ = 0 is the circuit itself).
struct ShiftedDensity: Sendable {
    struct Occurrence: Sendable {
        let shift: Parameter
        /// The circuit parameters in the angle, with ∂angle/∂parameter.
        let terms: [(parameter: Parameter, derivative: ParameterExpression)]
        /// Set when the gate's angle has a generator with more than two eigenvalues.
        let refusal: (gate: String, angle: String)?
    }

    let engine: DensityMatrixEngine
    let occurrences: [Occurrence]

    init(circuit: QuantumCircuit, noise: NoiseModel, fusion: Bool) throws {
        let (shifted, occurrences) = ShiftedDensity.shifting(circuit)
        self.occurrences = occurrences
        engine = try DensityMatrixEngine(program: try NoisyProgram(circuit: shifted, noise: noise), fusion: fusion)
    }

    /// The circuit with every parameterised angle a(θ) replaced by a(θ) + σ_k (σ_k a fresh
    /// parameter per occurrence), and the occurrences in order. Shared by the noisy parameter shift
    /// and the parameter shift on a split state (Distributed/DistributedParameterShift.swift).
    static func shifting(_ circuit: QuantumCircuit) -> (circuit: QuantumCircuit, occurrences: [Occurrence]) {
        var occurrences: [Occurrence] = []
        var shifted = circuit
        var instructions = circuit.instructions
        for (i, instruction) in instructions.enumerated() {
            guard var gate = instruction.gate, gate.parameters.contains(where: { !$0.isNumeric }) else { continue }
            let names = gate.kind.parameterNames
            for (a, angle) in gate.parameters.enumerated() where !angle.isNumeric {
                let shift = Parameter("σ\(occurrences.count)")
                let refused: Bool = switch gate.kind {
                case .crx, .cry, .crz: true
                case .cu, .cu3: a == 0
                default: false
                }
                occurrences.append(Occurrence(shift: shift, terms: angle.parameters.map { ($0, angle.derivative(withRespectTo: $0)) },
                                              refusal: refused ? (gate.name, a < names.count ? names[a] : "\(a)") : nil))
                gate.parameters[a] = angle + .symbol(shift)
            }
            instructions[i] = Instruction(operation: .gate(gate), qubits: instruction.qubits, clbits: instruction.clbits,
                                          condition: instruction.condition)
        }
        shifted.replaceInstructions(instructions)
        return (shifted, occurrences)
    }
}
