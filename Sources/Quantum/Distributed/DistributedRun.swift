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

/// The result of a distributed run on one rank.
public struct DistributedRunResult: Sendable {
    /// Counts and timing, the same on every rank (sampled once from the split final state, or shot
    /// by shot with measurements agreed by all ranks).
    public let run: RunResult
    /// What moved between ranks and where the time went.
    public let statistics: DistributionStatistics
}

/// The final state of a distributed run on one rank.
public struct DistributedStateResult<Real: StateScalar>: Sendable {
    /// The whole state, gathered on rank 0; nil on the other ranks.
    public let state: StateVector<Real>?
    /// What moved between ranks and where the time went.
    public let statistics: DistributionStatistics
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
    func distributedRun<Real: StateScalar>(binding values: [Parameter: Double], shots: Int, seed: UInt64?, memory: Bool,
                                           group: any RankGroup, ranksOnNode: Int = 1,
                                           bufferBytes: Int = defaultExchangeBufferBytes,
                                           as _: Real.Type) throws -> DistributedRunResult
    {
        guard shots >= 1 else { throw QuantumError.invalidShots(shots) }
        try checkBinding(values)
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
        return DistributedRunResult(run: run, statistics: executor.statistics)
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
