import Communication
import ComplexModule
import Foundation

// Noise trajectories on a split state, and trajectories split by shots.
//
// Split state: the noisy program (NoisyProgram, errors placed as on one node) is planned for the
// ranks with every channel a step of its own whose qubits are local (PlanInput.channel: the rule
// of measurements and resets). The shots walk a tree, as in the one-node engine: all start in one
// branch, and at a channel a branch of m shots splits among the channel's branches by one
// multinomial draw with their true probabilities — a term's probability times Tr(K†Kρ)/Tr ρ, ρ
// the reduced density matrix of the channel's qubits, whose per-rank parts are allgathered and
// added in rank order, so every rank holds the same numbers, draws the same split from the same
// generator and walks the same tree. Measurements and resets split by the outcome probability
// (summed across ranks) and then by the readout error, as on one node; measurements that nothing
// follows are sampled from each leaf's split final state (the same sampler as ideal split runs).
// Each child's operator is applied rescaled to norm 1 when the child first runs (copy on write).
//
// This walk does not take the one-node engine's shortcuts (events drawn in advance over fused
// runs of free branches, exact pieces, parallel subtrees): those consume the random stream in an
// order tied to whole-state plans, so the counts are not bit-equal to one process's. They follow
// the same distribution (checked by chi-square against the exact one) and are the same for the
// same seed on any number of ranks.
//
// Split shots: when the state fits one rank, rank r runs its share of the shots (Communicator's
// `share(of:)`) with the one-node engine and the seed mixed from the run's seed and r; counts and
// memory are joined in rank order. The same seed and rank count give the same counts.

/// A noisy program planned for a split state: the plan, each channel's branches, the readout
/// error of each measurement step, and the measurements sampled at the leaves.
struct DistributedTrajectories {
    let program: NoisyProgram
    let plan: DistributedPlan
    /// Branches of channel `id` (the id of its ``DistributedStep/channel(id:positions:condition:)`` step).
    let locations: [TrajectoryEngine.Location]
    /// readouts[i]: the readout error of the measurement at step i (nil elsewhere or when ideal).
    let readouts: [ReadoutError?]
    /// Measurements sampled from each leaf's final state: (qubit, clbit, readout).
    let deferred: [(qubit: Int, clbit: Int, readout: ReadoutError?)]

    /// Plans `program` for 2^k ranks.
    /// - Throws: ``QuantumError/distribution(_:)`` when a gate or channel needs more qubits than a rank holds.
    init(program: NoisyProgram, globalQubits k: Int) throws {
        self.program = program
        let deferrable = program.deferrableMeasurements
        var inputs: [PlanInput] = []
        var locations: [TrajectoryEngine.Location] = []
        var measured: [ReadoutError?] = []
        var deferred: [(Int, Int, ReadoutError?)] = []
        for (i, step) in program.steps.enumerated() {
            switch step {
            case .gate(let gate, let qubits, let condition):
                inputs.append(.instruction(Instruction(operation: .gate(gate), qubits: qubits, clbits: [], condition: condition)))
            case .channel(let channel, let qubits, let condition):
                inputs.append(.channel(id: locations.count, qubits: qubits, condition: condition))
                locations.append(TrajectoryEngine.Location(channel, on: qubits))
            case .measure(let q, let c, let readout, let condition):
                if deferrable[i] {
                    deferred.append((q, c, readout))
                } else {
                    inputs.append(.instruction(Instruction(operation: .measure, qubits: [q], clbits: [c], condition: condition)))
                    measured.append(readout)
                }
            case .reset(let q, let condition):
                inputs.append(.instruction(Instruction(operation: .reset, qubits: [q], clbits: [], condition: condition)))
            case .barrier(let qubits):
                inputs.append(.instruction(Instruction(operation: .barrier, qubits: qubits, clbits: [], condition: nil)))
            }
        }
        plan = try DistributedPlan(numQubits: program.numQubits, globalQubits: k, inputs: inputs, restoresLayout: true,
                                   mixing: ExecutionPlan.mixedQubits)
        // The planner keeps measurements in order: the j-th measure step is the j-th kept measurement.
        var readouts = [ReadoutError?](repeating: nil, count: plan.steps.count)
        var next = 0
        for (i, step) in plan.steps.enumerated() {
            guard case .measure = step else { continue }
            readouts[i] = measured[next]
            next += 1
        }
        self.locations = locations
        self.readouts = readouts
        self.deferred = deferred
    }

    /// A group of shots that share everything so far, on this rank's slice.
    struct Node {
        var state: StateVector<Double>
        /// The plan step to run next.
        var step: Int
        var shots: Int
        var bits: [UInt8]
        var seed: UInt64
        /// The branch's operator, already divided by its norm on the parent's state, and its positions.
        var pending: (matrix: SmallMatrix, positions: [Int])?
        /// A measurement or reset outcome to collapse onto first: (position, outcome, 1/√P(outcome), flip after).
        var outcome: (position: Int, value: Int, scale: Double, flip: Bool)?
    }

    /// Runs `shots` trajectories from |0…0⟩ on every rank of the executor's group (collective:
    /// every rank calls it with the same arguments and gets the same result).
    func run(executor: DistributedExecutor<Double>, shots: Int, seed: UInt64, memory: Bool,
             progress: (@Sendable (Int, Int) -> Void)?) throws -> TrajectoryRun
    {
        let root = Node(state: executor.initialSlice(), step: 0, shots: shots,
                        bits: [UInt8](repeating: 0, count: program.numClbits), seed: seed, pending: nil, outcome: nil)
        var tally = TrajectoryEngine.Tally()
        var leaves: [TrajectoryEngine.Leaf] = []
        var finished = 0
        var stack = [root]
        while var node = stack.popLast() {
            if let children = try advance(&node, executor: executor, tally: &tally) {
                // The largest child last, so it is popped last and runs in its parent's amplitudes.
                stack += children.enumerated().sorted { ($0.element.shots, $1.offset) > ($1.element.shots, $0.offset) }.map(\.element)
                continue
            }
            tally.leaves += 1
            var rng = SeededGenerator(seed: node.seed)
            let indices = try executor.sample(node.state, shots: node.shots, rng: &rng)
            leaves.append(TrajectoryEngine.Leaf(seed: node.seed, shots: node.shots,
                                                keys: program.leafKeys(indices, bits: node.bits, deferred: deferred, rng: &rng),
                                                values: nil))
            finished += node.shots
            progress?(finished, shots)
        }
        let (counts, outcomes) = program.counts(of: leaves, seed: seed, memory: memory)
        return TrajectoryRun(counts: counts, memory: outcomes, shots: shots, seed: seed, branches: tally.leaves,
                             errorsApplied: tally.errorsApplied, reason: "")
    }

    /// Runs the branch until it splits (returning the children) or ends (returning nil).
    private func advance(_ node: inout Node, executor: DistributedExecutor<Double>, tally: inout TrajectoryEngine.Tally) throws -> [Node]? {
        enter(&node, localQubits: plan.localQubits)
        while node.step < plan.steps.count {
            let index = node.step
            node.step += 1
            switch plan.steps[index] {
            case .channel(let id, let positions, let condition):
                if let condition, !executor.holds(condition, node.bits) { continue }
                let children = try split(node, locations[id], positions: positions, executor: executor, tally: &tally)
                if children.count == 1 {
                    node = children[0]
                    enter(&node, localQubits: plan.localQubits)
                    continue
                }
                return children
            case .measure(let position, let clbit, let condition):
                if let condition, !executor.holds(condition, node.bits) { continue }
                return try measure(node, position: position, clbit: clbit, readout: readouts[index], reset: false, executor: executor)
            case .reset(let position, let condition):
                if let condition, !executor.holds(condition, node.bits) { continue }
                return try measure(node, position: position, clbit: nil, readout: nil, reset: true, executor: executor)
            case .stretch, .remap, .permuteRanks, .conditioned:
                // No measurement runs through the executor here, so its generator is never read.
                var unused = SeededGenerator(seed: 0)
                try executor.run(index..<(index + 1), on: &node.state, bits: &node.bits, rng: &unused)
            }
        }
        return nil
    }

    /// Applies what the branch took at its parent: its operator, or its measurement outcome.
    private func enter(_ node: inout Node, localQubits l: Int) {
        if let pending = node.pending {
            node.state.makeUnique()
            KernelCall<Double>(structure: GateStructure(numControls: 0, target: pending.matrix), qubits: pending.positions, numQubits: l)
                .apply(to: node.state.storage.pointer, threads: node.state.threads)
            node.pending = nil
        }
        if let o = node.outcome {
            node.state.makeUnique()
            let p = node.state.storage.pointer
            collapse(p, numQubits: l, qubit: o.position, outcome: o.value, scale: o.scale, threads: node.state.threads)
            if o.flip { flip(p, numQubits: l, qubit: o.position, threads: node.state.threads) }
            node.outcome = nil
        }
    }

    /// The numbers of every rank, added in rank order (the same doubles on every rank).
    private func summed(_ local: [Double], _ group: any RankGroup) throws -> [Double] {
        var total = [Double](repeating: 0, count: local.count)
        for part in try group.allgatherDoubles(local) {
            for i in 0..<min(total.count, part.count) { total[i] += part[i] }
        }
        return total
    }

    /// Splits a node at a channel among its branches (children in branch order, seeds from the node's generator).
    private func split(_ node: Node, _ location: TrajectoryEngine.Location, positions: [Int], executor: DistributedExecutor<Double>,
                       tally: inout TrajectoryEngine.Tally) throws -> [Node]
    {
        var reduced: [Complex<Double>]?
        if location.stateDependent {
            let rho = try summed(reducedDensityMatrix(node.state.storage.pointer, numQubits: plan.localQubits, qubits: positions,
                                                      threads: node.state.threads), executor.group)
            reduced = (0..<(rho.count / 2)).map { Complex(rho[2 * $0], rho[2 * $0 + 1]) }
        }
        let probabilities = location.probabilities(reduced: reduced)
        var rng = SeededGenerator(seed: node.seed)
        let counts = multinomial(node.shots, probabilities.map { max(0, $0) }, &rng)
        var children: [Node] = []
        for (b, count) in counts.enumerated() where count > 0 {
            var child = node
            child.shots = count
            child.seed = rng.next()
            if !location.isIdentity(b) {
                let branch = location.branches[b]
                // ‖Kψ‖² = P(b)/p_term for a state of norm 1: the child's state is Kψ/‖Kψ‖.
                let kept = branch.isUnitary ? 1 : probabilities[b] / branch.probability
                child.pending = (branch.matrix.scaled(by: Complex(1 / kept.squareRoot(), 0)), positions)
            }
            if b != location.free { tally.errorsApplied += 1 }
            children.append(child)
        }
        return children
    }

    /// Splits a node at a measurement (or reset) by its outcome, then by the readout error.
    private func measure(_ node: Node, position: Int, clbit: Int?, readout: ReadoutError?, reset: Bool,
                         executor: DistributedExecutor<Double>) throws -> [Node]
    {
        let l = plan.localQubits
        let p = node.state.storage.pointer
        let local = [probabilityOfOne(p, numQubits: l, qubit: position, threads: node.state.threads),
                     normSquared(p, numQubits: l, threads: node.state.threads)]
        let total = try summed(local, executor.group)
        var children: [Node] = []
        for part in TrajectoryEngine.measurementSplit(shots: node.shots, probabilityOfOne: total[0] / total[1],
                                                      readout: clbit == nil ? nil : readout, seed: node.seed) {
            let kept = (part.outcome == 1 ? total[0] : total[1] - total[0])
            var child = node
            child.shots = part.shots
            child.seed = part.seed
            child.outcome = (position, part.outcome, 1 / kept.squareRoot(), reset && part.outcome == 1)
            if let clbit { child.bits[clbit] = UInt8(part.recorded) }
            children.append(child)
        }
        return children
    }
}

extension CompiledCircuit {
    /// Trajectories of the noisy circuit with the state split across the ranks of `group`.
    func distributedTrajectories(binding values: [Parameter: Double], shots: Int, seed: UInt64?, memory: Bool,
                                 group: any RankGroup, ranksOnNode: Int = 1, bufferBytes: Int = defaultExchangeBufferBytes,
                                 reason: String) throws -> DistributedRunResult
    {
        guard let noisy else { throw QuantumError.invalidState("internal: trajectories of a circuit compiled without noise") }
        try checkShots(shots, memory: memory)
        try checkBinding(values)
        if simulator.method == .densityMatrix {
            throw QuantumError.distribution(NoisyCompilation.densityMatrixNotSplit(numQubits: numQubits, ranks: group.size))
        }
        let threads = try Simulator.resolveThreads(simulator.threads)
        let k = try checkDistributed(group: group, as: Double.self, copies: TrajectoryEngine.liveStates(shots), gathers: false,
                                     ranksOnNode: ranksOnNode)
        let seedUsed = try agreedSeed(seed, group: group)
        let clock = ContinuousClock.now
        let walk = try DistributedTrajectories(program: noisy.program, globalQubits: k)
        let executor = DistributedExecutor<Double>(plan: walk.plan, group: group, simulator: simulator, values: values, threads: threads,
                                                   bufferBytes: bufferBytes)
        var result = try walk.run(executor: executor, shots: shots, seed: seedUsed, memory: memory, progress: simulator.progress)
        result.reason = reason
        let run = result.runResult(compiled: self, program: noisy.program, noise: noisy.noise,
                                   seconds: executor.seconds(since: clock))
        return DistributedRunResult(run: run, statistics: executor.statistics)
    }

    /// Trajectories of the noisy circuit with the shots split across the ranks of `communicator`
    /// (each rank the whole state): rank r runs its share with a seed mixed from the run's and r.
    func splitShotTrajectories(binding values: [Parameter: Double], shots: Int, seed: UInt64?, memory: Bool,
                               communicator: any Communicator, reason: String) throws -> DistributedRunResult
    {
        guard let noisy else { throw QuantumError.invalidState("internal: trajectories of a circuit compiled without noise") }
        try checkShots(shots, memory: memory)
        try checkBinding(values)
        let seedUsed = try agreedSeed(seed, group: CommunicatorRanks(communicator))
        let clock = ContinuousClock.now
        let share = communicator.share(of: shots)
        var mine = SplitShotPart(counts: [:], memory: [], branches: 0, errorsApplied: 0)
        var failure: (any Error)?
        if !share.isEmpty {
            do {
                let engine = try noisy.trajectoryEngine(fusion: simulator.fusion, maxFusedQubits: 5)
                let part = try engine.run(values, shots: share.count, seed: NoisyCompilation.seed(seedUsed, [], tag: UInt64(communicator.rank)),
                                          memory: memory, simulator: simulator)
                mine = SplitShotPart(counts: part.counts, memory: part.memory ?? [], branches: part.branches,
                                     errorsApplied: part.errorsApplied)
            } catch {
                failure = error
            }
        }
        // Every rank says whether it failed before the parts travel, so no rank waits for a failed one.
        let failed = try communicator.allgather([failure == nil ? 0.0 : 1.0]).enumerated().first { $0.element[0] != 0 }?.offset
        if let failure { throw failure }
        if let failed { throw QuantumError.distribution("rank \(failed) failed while running its share of the trajectories") }
        let parts = try communicator.allgather([UInt8](JSONEncoder().encode(mine))).map {
            try JSONDecoder().decode(SplitShotPart.self, from: Data($0))
        }
        var counts: [String: Int] = [:]
        var outcomes: [String] = []
        var branches = 0, errors = 0
        for part in parts {
            for (key, count) in part.counts { counts[key, default: 0] += count }
            outcomes += part.memory
            branches += part.branches
            errors += part.errorsApplied
        }
        let joined = TrajectoryRun(counts: counts, memory: memory ? outcomes : nil, shots: shots, seed: seedUsed, branches: branches,
                                   errorsApplied: errors, reason: reason)
        let elapsed = ContinuousClock.now - clock
        let run = joined.runResult(compiled: self, program: noisy.program, noise: noisy.noise,
                                   seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        return DistributedRunResult(run: run, statistics: nil)
    }

    /// A noisy run over the ranks of `communicator` (see ``run(binding:shots:seed:memory:on:distribution:ranksOnNode:)``).
    func noisyRun(binding values: [Parameter: Double], shots: Int, seed: UInt64?, memory: Bool, on communicator: any Communicator,
                  distribution: DistributionMode, ranksOnNode: Int?) throws -> DistributedRunResult?
    {
        guard let noisy else { return nil }
        func onRoot(_ note: String?) throws -> DistributedRunResult? {
            guard communicator.rank == 0 else { return nil }
            var result = try run(binding: values, shots: shots, seed: seed, memory: memory)
            if let note, let info = result.noise {
                result.noise = NoisyRunInfo(method: info.method, reason: info.reason + "; " + note, probabilities: info.probabilities,
                                            densityMatrix: info.densityMatrix, noisyInstructions: info.noisyInstructions,
                                            idealInstructions: info.idealInstructions, unusedReadoutErrors: info.unusedReadoutErrors,
                                            branches: info.branches, errorsApplied: info.errorsApplied)
            }
            return DistributedRunResult(run: result, statistics: nil)
        }
        guard communicator.size > 1, distribution != .never else { return try onRoot(nil) }
        // The method rank 0 would choose alone (the memory budget can differ between ranks).
        let choice = try noisy.chooseMethod(self, shots: shots, forExpectations: false)
        let density = try communicator.allgather([choice.method == .densityMatrix ? 1.0 : 0.0])[0][0] == 1
        let ranks = communicator.size
        if density {
            if distribution == .always, simulator.method == .densityMatrix {
                throw QuantumError.distribution(NoisyCompilation.densityMatrixNotSplit(numQubits: numQubits, ranks: ranks))
            }
            if distribution == .auto { return try onRoot("rank 0 runs the density matrix alone (it is not split across ranks)") }
        }
        let copies = TrajectoryEngine.liveStates(shots)
        if try splitsState(over: communicator, distribution: distribution, copies: copies, ranksOnNode: ranksOnNode) {
            let why = density ? "--distribute always: trajectories on the split state (the density matrix is not split)"
                : choice.reason + "; the state split across \(ranks) ranks"
            return try distributedTrajectories(binding: values, shots: shots, seed: seed, memory: memory,
                                                        group: CommunicatorRanks(communicator),
                                                        ranksOnNode: Self.ranksOnNode(ranksOnNode, communicator), reason: why)
        }
        return try splitShotTrajectories(binding: values, shots: shots, seed: seed, memory: memory, communicator: communicator,
                                         reason: choice.reason + "; the shots split across \(ranks) ranks (the state fits one)")
    }
}

/// One rank's part of a run with split shots, as it travels to every rank.
private struct SplitShotPart: Codable {
    let counts: [String: Int]
    let memory: [String]
    let branches: Int
    let errorsApplied: Int
}

extension NoisyCompilation {
    /// Why the density-matrix method does not run on split ranks, and what to do.
    static func densityMatrixNotSplit(numQubits n: Int, ranks: Int) -> String {
        "the density-matrix method is not split across ranks (its \(n)-qubit density matrix has 4^\(n) entries on one process), "
            + "and \(ranks) ranks were asked to split the run: use --method trajectories (trajectories on the split state), "
            + "or --distribute auto/never (rank 0 runs the density matrix alone)"
    }
}
