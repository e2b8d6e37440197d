import Communication
import ComplexModule
import Foundation

// The validating layer of distributed runs: layout and memory checks (collective, so every rank
// refuses together with one message), then the executor. Everything here runs on every rank with
// the same arguments; results that are gathered exist on rank 0 only.

/// Whether a run splits its state across the ranks of a communicator.
public enum DistributionMode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Always split across every rank (the rank count must be a power of two).
    case always
    /// Split when the whole state does not fit on one rank, otherwise rank 0 simulates alone.
    case auto
    /// Never split: rank 0 simulates the whole state.
    case never

    /// "always", "auto" or "never".
    public var description: String { rawValue }
}

/// The result of a run over the ranks of a communicator, on one rank.
public struct DistributedRunResult: Sendable {
    /// Counts and timing. When the state was split, the same on every rank (sampled once from the
    /// split final state, or shot by shot with measurements agreed by all ranks); when rank 0
    /// simulated alone, its result.
    public let run: RunResult
    /// What moved between ranks and where the time went; nil when the state was not split.
    public let statistics: DistributionStatistics?
    /// ⟨ψ|O_k|ψ⟩ of the state before the final measurements, one per observable asked for
    /// (``CompiledCircuit/run(binding:shots:seed:memory:observing:on:distribution:ranksOnNode:)``);
    /// nil when none were.
    public internal(set) var expectations: [Double]? = nil
}

/// The final state of a run over the ranks of a communicator, on one rank.
public struct DistributedStateResult<Real: StateScalar>: Sendable {
    /// The whole state, on rank 0 (gathered when it was split); nil on the other ranks.
    public let state: StateVector<Real>?
    /// What moved between ranks and where the time went; nil when the state was not split.
    public let statistics: DistributionStatistics?
}

extension ExecutionPlan {
    /// The plan's steps as instructions again (one-qubit runs split into their gates, barriers
    /// where fusion stopped), without measurements when `droppingMeasurements`.
    func instructions(droppingMeasurements: Bool) -> [Instruction] {
        var result: [Instruction] = []
        for (index, step) in steps.enumerated() {
            if barriers.contains(index) {
                result.append(Instruction(operation: .barrier, qubits: Array(0..<numQubits), clbits: [], condition: nil))
            }
            switch step.action {
            case .gates(.gate(let gate, let qubits)):
                result.append(Instruction(operation: .gate(gate), qubits: qubits, clbits: [], condition: step.condition))
            case .gates(.fused(let q, let gates)):
                for gate in gates { result.append(Instruction(operation: .gate(gate), qubits: [q], clbits: [], condition: nil)) }
            case .measure(let q, let c):
                if !droppingMeasurements {
                    result.append(Instruction(operation: .measure, qubits: [q], clbits: [c], condition: step.condition))
                }
            case .reset(let q):
                result.append(Instruction(operation: .reset, qubits: [q], clbits: [], condition: step.condition))
            }
        }
        return result
    }

    /// The qubits a gate instruction mixes (the targets its matrix does not keep diagonal): from
    /// the matrix when its angles are numbers, from its kind otherwise (a kind that is diagonal for
    /// every angle mixes nothing; otherwise every target is mixed).
    static func mixedQubits(_ instruction: Instruction) -> [Int] {
        guard case .gate(let gate) = instruction.operation else { return [] }
        let numbers = gate.parameters.map { $0.evaluate { _ in nil } }
        if numbers.allSatisfy({ $0 != nil }) {
            let structure = GateDefinitions.structure(of: gate, values: numbers.map { $0 ?? 0 })
            let target = structure.target
            let d = target.dimension
            var mixed = 0
            for r in 0..<d {
                for c in 0..<d where r != c && target.entries[r * d + c] != .zero { mixed |= r ^ c }
            }
            let targets = instruction.qubits.dropFirst(structure.numControls)
            return targets.enumerated().filter { mixed & (1 << $0.offset) != 0 }.map(\.element)
        }
        if isDiagonalKind(gate.kind) { return [] }
        let controls: Int = switch gate.kind {
        case .cx, .cy, .cz, .ch, .cs, .csdg, .csx, .cp, .cu1, .crx, .cry, .crz, .cu, .cu3, .cswap: 1
        case .ccx: 2
        case .c3sqrtx: 3
        case .mcx(let c), .mcz(let c), .mcp(let c): c
        default: 0
        }
        return Array(instruction.qubits.dropFirst(controls))
    }
}

/// How many global qubits P ranks take for n qubits.
/// - Throws: ``QuantumError/distribution(_:)`` when P is not a power of two or exceeds 2^(n−1).
func globalQubitCount(ranks: Int, numQubits n: Int) throws -> Int {
    guard ranks >= 1, ranks & (ranks - 1) == 0 else {
        let below = 1 << (Int.bitWidth - 1 - ranks.leadingZeroBitCount)
        throw QuantumError.distribution(
            "a distributed state needs a power-of-two number of ranks (each holds an equal slice of the 2^n amplitudes); "
                + "received \(ranks) ranks: run with \(below) or \(below * 2)")
    }
    let k = ranks.trailingZeroBitCount
    guard k <= max(0, n - 1) else {
        let most = n >= 1 ? 1 << (n - 1) : 1
        throw QuantumError.distribution(
            "a state of \(n) qubit\(n == 1 ? "" : "s") can be split over at most \(most) rank\(most == 1 ? "" : "s") "
                + "(each rank must hold at least one qubit); received \(ranks) ranks")
    }
    return k
}

/// What a rank's memory allows: the system's budget (MemAvailable, the cgroup's allowance) shared
/// by the ranks on this node, or the user's per-rank limit when smaller.
func rankMemoryBudget(userLimit: UInt64?, ranksOnNode: Int) -> (bytes: UInt64, isUserLimit: Bool) {
    let system = MemoryBudget.current(userLimit: nil)
    let share = system.bytes == UInt64.max ? system.bytes : system.bytes / UInt64(max(1, ranksOnNode))
    if let userLimit, userLimit < share { return (userLimit, true) }
    return (share, false)
}

/// Where a rank's budget came from, from what every rank knows of it.
func rankMemorySource(isUserLimit: Bool, ranksOnNode: Int) -> String {
    if isUserLimit { return "the --max-memory limit per rank" }
    return ranksOnNode > 1 ? "its node's available memory (MemAvailable or the cgroup's limit) shared by the \(ranksOnNode) ranks on it"
        : "its node's available memory (MemAvailable or the cgroup's limit)"
}

extension CompiledCircuit {
    /// Checks, on every rank together, that the layout is valid and each rank's slice, copies and
    /// buffer fit (plus the gathered state on rank 0 when `gathers`); every rank throws the same
    /// error when one does not.
    func checkDistributed<Real: StateScalar>(group: any RankGroup, as _: Real.Type, copies: Int, gathers: Bool,
                                             ranksOnNode: Int) throws -> Int
    {
        let n = plan.numQubits
        guard n <= Simulator.maximumQubits else { throw QuantumError.tooManyQubits(received: n, maximum: Simulator.maximumQubits) }
        let k = try globalQubitCount(ranks: group.size, numQubits: n)
        let amplitudeBytes = Double(2 * MemoryLayout<Real>.size)
        let stateBytes = amplitudeBytes * pow(2.0, Double(n))
        func need(ranks: Int) -> Double {
            let slice = stateBytes / Double(ranks)
            return Double(copies) * slice + min(Double(defaultExchangeBufferBytes), slice)
        }
        let budget = rankMemoryBudget(userLimit: simulator.maxMemoryBytes, ranksOnNode: ranksOnNode)
        let mine = need(ranks: group.size) + (gathers && group.rank == 0 ? stateBytes : 0)
        let all = try group.allgatherDoubles([mine, Double(budget.bytes), mine <= Double(budget.bytes) ? 1 : 0,
                                              budget.isUserLimit ? 1 : 0, Double(ranksOnNode)])
        guard let failing = all.indices.first(where: { all[$0][2] == 0 }) else { return k }
        let source = rankMemorySource(isUserLimit: all[failing][3] == 1, ranksOnNode: Int(all[failing][4]))
        if gathers, failing == 0, need(ranks: group.size) <= all[0][1] {
            throw QuantumError.distribution(
                "the state vector of \(n) qubits (\(formatBytes(stateBytes))) does not fit on rank 0 to be gathered: rank 0 has "
                    + "\(formatBytes(all[0][1])) (\(source)) beside its slice; drop --statevector/--probabilities "
                    + "(counts are sampled across the ranks), or use more memory per rank")
        }
        let smallestAvailable = all.map { $0[1] }.min() ?? 0
        var smallest: Int?
        var p = 1
        while p <= (n >= 1 ? 1 << (n - 1) : 1) {
            if need(ranks: p) <= smallestAvailable { smallest = p; break }
            p *= 2
        }
        throw QuantumError.insufficientDistributedMemory(
            qubits: n, precision: Real.precisionName, ranks: group.size, bytesPerRank: all[failing][0],
            bytesAvailable: UInt64(all[failing][1]), rank: failing, limitSource: source, smallestRanks: smallest)
    }

    /// The seed every rank uses: the given one, or rank 0's draw.
    func agreedSeed(_ seed: UInt64?, group: any RankGroup) throws -> UInt64 {
        if let seed { return seed }
        let drawn = UInt64.random(in: .min ... .max)
        // Two 32-bit halves travel exactly as Doubles.
        let all = try group.allgatherDoubles([Double(drawn >> 32), Double(drawn & 0xFFFF_FFFF)])
        return UInt64(all[0][0]) << 32 | UInt64(all[0][1])
    }

    /// Runs with shots on every rank of `group`, the state split across them.
    /// With `observables`, also ⟨ψ|O_k|ψ⟩ of the final state before sampling (terminal measurements only).
    func distributedRun<Real: StateScalar>(binding values: [Parameter: Double], shots: Int, seed: UInt64?, memory: Bool,
                                           observing observables: [PauliSum] = [],
                                           group: any RankGroup, ranksOnNode: Int = 1,
                                           bufferBytes: Int = defaultExchangeBufferBytes,
                                           as _: Real.Type) throws -> DistributedRunResult
    {
        try checkShots(shots, memory: memory)
        try checkBinding(values)
        try checkObservedRun(observables)
        var expectations: [Double]?
        let threads = try Simulator.resolveThreads(simulator.threads)
        let terminal = plan.samplesFromFinalState
        let k = try checkDistributed(group: group, as: Real.self, copies: terminal ? 1 : 2, gathers: false, ranksOnNode: ranksOnNode)
        let seedUsed = try agreedSeed(seed, group: group)
        var rng = SeededGenerator(seed: seedUsed)
        let clock = ContinuousClock.now
        let layout = try DistributedPlan(numQubits: plan.numQubits, globalQubits: k,
                                         instructions: plan.instructions(droppingMeasurements: terminal),
                                         restoresLayout: terminal, mixing: ExecutionPlan.mixedQubits)
        let executor = DistributedExecutor<Real>(plan: layout, group: group, simulator: simulator, values: values,
                                                 threads: threads, bufferBytes: bufferBytes)
        var state = executor.initialSlice()
        var counts: [String: Int] = [:]
        var outcomes: [String]? = memory ? [] : nil
        var bits = [UInt8](repeating: 0, count: plan.numClbits)
        if terminal {
            try executor.run(layout.steps.indices, on: &state, bits: &bits, rng: &rng)
            if !observables.isEmpty {
                // The layout is restored: the observables act on the positions of their qubits.
                let placed = try observables.map { try $0.placed(qubitAt: layout.finalLayout) }
                expectations = sumInRankOrder(try group.allgatherDoubles(try executor.localExpectations(placed, of: state)),
                                              count: observables.count)
            }
            if !plan.measurements.isEmpty {
                let indices = try executor.sample(state, shots: shots, rng: &rng)
                (counts, outcomes) = plan.countOutcomes(indices, memory: memory)
            }
        } else {
            try executor.run(0..<layout.prefixEnd, on: &state, bits: &bits, rng: &rng)
            for shot in 0..<shots {
                simulator.progress?(shot, shots)
                var shotState = state
                shotState.makeUnique()
                for i in bits.indices { bits[i] = 0 }
                try executor.run(layout.prefixEnd..<layout.steps.count, on: &shotState, bits: &bits, rng: &rng)
                let key = plan.countsKey(bits)
                if !plan.measurements.isEmpty {
                    counts[key, default: 0] += 1
                    outcomes?.append(key)
                }
            }
        }
        let elapsed = ContinuousClock.now - clock
        let run = RunResult(counts: counts, memory: outcomes, shots: shots, seed: seedUsed, numQubits: plan.numQubits,
                            precision: Real.self == Float.self ? .single : .double,
                            stateBytes: state.memoryBytes * group.size,
                            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                            sampledFromFinalState: terminal, gateCount: plan.gateCount, kernelCount: plan.kernelCount,
                            execution: execution)
        return DistributedRunResult(run: run, statistics: executor.statistics, expectations: expectations)
    }

    /// The final state, split across the ranks of `group` while simulating and gathered on rank 0.
    func distributedStatevector<Real: StateScalar>(binding values: [Parameter: Double], group: any RankGroup,
                                                   ranksOnNode: Int = 1, bufferBytes: Int = defaultExchangeBufferBytes,
                                                   as _: Real.Type) throws -> DistributedStateResult<Real>
    {
        try checkBinding(values)
        if let step = plan.steps.first(where: { !$0.isUnitary }) {
            throw QuantumError.invalidState(
                "the circuit contains \(ExecutionPlan.describeNonUnitary(step)): a state vector needs a circuit of unitary gates only "
                    + "(use run(shots:) for counts, or removingFinalMeasurements())")
        }
        let threads = try Simulator.resolveThreads(simulator.threads)
        let k = try checkDistributed(group: group, as: Real.self, copies: 1, gathers: true, ranksOnNode: ranksOnNode)
        let layout = try DistributedPlan(numQubits: plan.numQubits, globalQubits: k,
                                         instructions: plan.instructions(droppingMeasurements: false),
                                         restoresLayout: true, mixing: ExecutionPlan.mixedQubits)
        let executor = DistributedExecutor<Real>(plan: layout, group: group, simulator: simulator, values: values,
                                                 threads: threads, bufferBytes: bufferBytes)
        var state = executor.initialSlice()
        var bits: [UInt8] = []
        var rng = SeededGenerator(seed: 0)
        try executor.run(layout.steps.indices, on: &state, bits: &bits, rng: &rng)
        let whole = try executor.gather(state)
        return DistributedStateResult(state: whole, statistics: executor.statistics)
    }
}

extension CompiledCircuit {
    // MARK: - Public entry points

    /// The ranks sharing this node's memory: the launcher's count under mpirun/srun, every rank
    /// of an in-process group otherwise.
    static func ranksOnNode(_ given: Int?, _ communicator: any Communicator) -> Int {
        if let given { return max(1, given) }
        return Launcher.detect() != nil ? Launcher.localRanks : communicator.size
    }

    /// Runs with shots, the state split across every rank of `communicator` (P = 2^k ranks, each
    /// holding 2^(n−k) amplitudes; gates on the k highest qubits run after remaps that swap them
    /// with local qubits). Every rank must call it with the same arguments.
    ///
    /// The same seed gives the same counts as ``run(binding:shots:seed:memory:)`` on one rank
    /// (up to draws that fall within rounding, ~1e-15, of an outcome's boundary).
    ///
    /// A circuit compiled with noise runs as trajectories on the split state (double precision):
    /// at each error the shots split among its branches with the probabilities summed across the
    /// ranks. Those counts follow the one-process distribution and are the same for the same seed
    /// on any number of ranks, but are not the one-process engine's counts (it draws its random
    /// numbers in another order); the density-matrix method is refused.
    /// - Parameters:
    ///   - values: a number for every parameter.
    ///   - shots: at least 1.
    ///   - seed: the seed (rank 0's random draw, shared, when nil).
    ///   - memory: keep each shot's outcome.
    ///   - communicator: the ranks (``LocalCommunicator`` groups in tests, MPI under mpirun).
    ///   - ranksOnNode: ranks sharing this node's memory (nil: the launcher's count).
    /// - Returns: counts on every rank, and what was exchanged.
    /// - Throws: ``QuantumError/distribution(_:)`` (ranks not a power of two, more than 2^(n−1), a
    ///   gate or noise channel needing more qubits than a rank holds, the density-matrix method),
    ///   ``QuantumError/insufficientDistributedMemory(qubits:precision:ranks:bytesPerRank:bytesAvailable:rank:limitSource:smallestRanks:)``
    ///   on every rank, parameter errors, and the communicator's errors.
    public func run(binding values: [Parameter: Double] = [:], shots: Int, seed: UInt64? = nil, memory: Bool = false,
                    distributedOver communicator: any Communicator, ranksOnNode: Int? = nil) throws -> DistributedRunResult
    {
        let group = CommunicatorRanks(communicator)
        let onNode = Self.ranksOnNode(ranksOnNode, communicator)
        if noisy != nil {
            return try distributedTrajectories(binding: values, shots: shots, seed: seed, memory: memory, group: group,
                                               ranksOnNode: onNode, reason: "trajectories on the state split across \(communicator.size) ranks")
        }
        return switch simulator.precision {
        case .double: try distributedRun(binding: values, shots: shots, seed: seed, memory: memory, group: group,
                                         ranksOnNode: onNode, as: Double.self)
        case .single: try distributedRun(binding: values, shots: shots, seed: seed, memory: memory, group: group,
                                         ranksOnNode: onNode, as: Float.self)
        }
    }

    /// The final state, split across every rank of `communicator` while simulating and gathered
    /// on rank 0 (refused before simulating when it does not fit there).
    /// - Parameters:
    ///   - values: a number for every parameter.
    ///   - communicator: the ranks.
    ///   - ranksOnNode: ranks sharing this node's memory (nil: the launcher's count).
    ///   - type: `Double.self` or `Float.self`.
    /// - Returns: the state on rank 0 (nil elsewhere), and what was exchanged.
    /// - Throws: as ``run(binding:shots:seed:memory:distributedOver:ranksOnNode:)``, and
    ///   ``QuantumError/distribution(_:)`` when the whole state does not fit on rank 0,
    ///   ``QuantumError/invalidState(_:)`` for circuits that are not unitary.
    public func statevector<Real: StateScalar>(binding values: [Parameter: Double] = [:], distributedOver communicator: any Communicator,
                                               ranksOnNode: Int? = nil, as type: Real.Type) throws -> DistributedStateResult<Real>
    {
        try distributedStatevector(binding: values, group: CommunicatorRanks(communicator),
                                   ranksOnNode: Self.ranksOnNode(ranksOnNode, communicator), as: type)
    }

    /// Whether a run over `communicator` splits its state, agreed by every rank from rank 0's view:
    /// `always` (more than one rank), `never`, or `auto`: when the state (and its copy for shot
    /// branching) does not fit rank 0's share of its node's memory and the limit.
    /// - Throws: the communicator's errors.
    public func splitsState(over communicator: any Communicator, distribution: DistributionMode, copies: Int = 1,
                            ranksOnNode: Int? = nil) throws -> Bool
    {
        guard communicator.size > 1 else { return false }
        switch distribution {
        case .never: return false
        case .always: return true
        case .auto:
            let budget = rankMemoryBudget(userLimit: simulator.maxMemoryBytes,
                                          ranksOnNode: Self.ranksOnNode(ranksOnNode, communicator))
            let stateBytes = Double(simulator.precision.bytesPerAmplitude) * pow(2.0, Double(numQubits)) * Double(copies)
            let fits = stateBytes <= Double(budget.bytes) ? 1.0 : 0.0
            return try communicator.allgather([fits])[0][0] == 0
        }
    }

    /// Runs with shots on the ranks of `communicator` as `distribution` says: split across all of
    /// them, or simulated whole by rank 0 (the other ranks then return nil at once).
    ///
    /// A circuit compiled with noise: with the density-matrix method (requested, or chosen by the
    /// automatic method) rank 0 runs alone under `auto`, and `always` refuses a requested density
    /// matrix (the automatic method then takes trajectories). Trajectories run on the split state
    /// when it splits (`always`, or `auto` when the live states of the walk do not fit one rank);
    /// otherwise each rank runs its share of the shots on the whole state, with a seed mixed from
    /// the run's seed and its rank, and the counts are added (the same seed and number of ranks
    /// give the same counts). `never` leaves the run to rank 0.
    /// ``NoisyRunInfo/reason`` says which.
    /// - Parameters:
    ///   - values: a number for every parameter.
    ///   - shots: at least 1.
    ///   - seed: the seed.
    ///   - memory: keep each shot's outcome.
    ///   - communicator: the ranks.
    ///   - distribution: `always`, `auto` (split when the state does not fit one rank) or `never`.
    ///   - ranksOnNode: ranks sharing this node's memory (nil: the launcher's count).
    /// - Returns: the result (nil on ranks other than 0 when rank 0 simulated alone).
    /// - Throws: as ``run(binding:shots:seed:memory:distributedOver:ranksOnNode:)`` and
    ///   ``Simulator/run(_:shots:seed:memory:)``.
    public func run(binding values: [Parameter: Double] = [:], shots: Int, seed: UInt64? = nil, memory: Bool = false,
                    on communicator: any Communicator, distribution: DistributionMode,
                    ranksOnNode: Int? = nil) throws -> DistributedRunResult?
    {
        if noisy != nil {
            return try noisyRun(binding: values, shots: shots, seed: seed, memory: memory, on: communicator, distribution: distribution,
                                ranksOnNode: ranksOnNode)
        }
        let copies = plan.samplesFromFinalState ? 1 : 2
        if try splitsState(over: communicator, distribution: distribution, copies: copies, ranksOnNode: ranksOnNode) {
            return try run(binding: values, shots: shots, seed: seed, memory: memory, distributedOver: communicator,
                           ranksOnNode: ranksOnNode)
        }
        guard communicator.rank == 0 else { return nil }
        return DistributedRunResult(run: try run(binding: values, shots: shots, seed: seed, memory: memory), statistics: nil)
    }

    /// Counts and expectation values of Pauli sums from one simulation, over the ranks of
    /// `communicator` as `distribution` says: ⟨ψ|O_k|ψ⟩ of the state before the final measurements,
    /// then the shots sampled from it (the same counts as
    /// ``run(binding:shots:seed:memory:on:distribution:ranksOnNode:)`` for the same seed). On a
    /// split state the observables' parts are added across the ranks, nothing gathered.
    /// - Parameters:
    ///   - values: a number for every parameter.
    ///   - shots: at least 1.
    ///   - seed: the seed.
    ///   - memory: keep each shot's outcome.
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - communicator: the ranks.
    ///   - distribution: `always`, `auto` (split when the state does not fit one rank) or `never`.
    ///   - ranksOnNode: ranks sharing this node's memory (nil: the launcher's count).
    /// - Returns: counts and ``DistributedRunResult/expectations`` on every rank when split, on rank
    ///   0 only (nil elsewhere) otherwise.
    /// - Throws: ``QuantumError/observableWidth(received:numQubits:)``; ``QuantumError/invalidState(_:)``
    ///   when the circuit measures before its end, resets or has conditions, or has noise (use
    ///   ``estimateExpectations(_:values:)``); otherwise as ``run(binding:shots:seed:memory:on:distribution:ranksOnNode:)``.
    public func run(binding values: [Parameter: Double] = [:], shots: Int, seed: UInt64? = nil, memory: Bool = false,
                    observing observables: [PauliSum], on communicator: any Communicator, distribution: DistributionMode,
                    ranksOnNode: Int? = nil) throws -> DistributedRunResult?
    {
        if noisy != nil {
            throw QuantumError.invalidState("counts and expectation values from one run need a circuit without noise: "
                                            + "estimate a noisy circuit's expectation values with estimateExpectations(_:values:)")
        }
        try checkObservedRun(observables)
        if try splitsState(over: communicator, distribution: distribution, ranksOnNode: ranksOnNode) {
            let group = CommunicatorRanks(communicator)
            let onNode = Self.ranksOnNode(ranksOnNode, communicator)
            return switch simulator.precision {
            case .double: try distributedRun(binding: values, shots: shots, seed: seed, memory: memory, observing: observables,
                                             group: group, ranksOnNode: onNode, as: Double.self)
            case .single: try distributedRun(binding: values, shots: shots, seed: seed, memory: memory, observing: observables,
                                             group: group, ranksOnNode: onNode, as: Float.self)
            }
        }
        guard communicator.rank == 0 else { return nil }
        let (result, expectations) = try runObserving(observables, binding: values, shots: shots, seed: seed, memory: memory)
        return DistributedRunResult(run: result, statistics: nil, expectations: expectations)
    }

    /// The final state on rank 0, computed over the ranks of `communicator` as `distribution` says.
    /// - Parameters:
    ///   - values: a number for every parameter.
    ///   - communicator: the ranks.
    ///   - distribution: `always`, `auto` or `never`.
    ///   - ranksOnNode: ranks sharing this node's memory (nil: the launcher's count).
    ///   - type: `Double.self` or `Float.self`.
    /// - Returns: the state on rank 0 (nil elsewhere).
    /// - Throws: as ``statevector(binding:distributedOver:ranksOnNode:as:)``.
    public func statevector<Real: StateScalar>(binding values: [Parameter: Double] = [:], on communicator: any Communicator,
                                               distribution: DistributionMode, ranksOnNode: Int? = nil,
                                               as type: Real.Type) throws -> DistributedStateResult<Real>
    {
        if try splitsState(over: communicator, distribution: distribution, ranksOnNode: ranksOnNode) {
            return try statevector(binding: values, distributedOver: communicator, ranksOnNode: ranksOnNode, as: type)
        }
        guard communicator.rank == 0 else { return DistributedStateResult(state: nil, statistics: nil) }
        return DistributedStateResult(state: try statevector(binding: values, as: type), statistics: nil)
    }
}
