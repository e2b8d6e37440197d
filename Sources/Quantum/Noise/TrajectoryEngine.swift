import ComplexModule
import Foundation

/// Monte-Carlo trajectories on the state vector, with shots grouped by what happened to them.
///
/// All shots start together in one branch. Runs of ideal gates go through the state-vector
/// planner (fused, cache-blocked). At an error, a branch of m shots splits them among the error's
/// terms with the terms' fixed probabilities (a multinomial draw); a term of Kraus operators splits
/// its shots again with the operators' probabilities ‖Kψ‖², read from the reduced density matrix
/// of the error's qubits. A mid-circuit measurement or reset splits by its outcome probabilities,
/// and a readout error by its flip probabilities (conditions read the recorded bits). Each child
/// carries the shots that took its path and a seed drawn from its parent's, so the tree — and so
/// the counts — depend only on the seed, never on the order in which branches run or on the
/// number of threads. Every branch's probability is its true one: grouping shots changes the
/// cost, not the distribution (a multinomial split of m shots is m independent draws).
///
/// The branch with the most shots continues in place; the others share the parent's amplitudes
/// until they first change them (copy on write), and smaller branches run first, so at most about
/// log2(shots) + 1 states are alive. Small states run whole subtrees on separate threads; large
/// ones run branches one at a time with every thread in the kernels.
struct TrajectoryEngine: Sendable {
    enum Op: Sendable {
        /// A run of unconditioned gates, planned (fused) once.
        case unitary(ExecutionPlan)
        /// A conditioned gate, planned once.
        case conditioned(ExecutionPlan, condition: Condition)
        /// An error (mixture of terms of Kraus operators) on qubits.
        case channel(Branching, condition: Condition?)
        /// A mid-circuit measurement (collapses the state, records the bit through its readout error).
        case measure(qubit: Int, clbit: Int, readout: ReadoutError?, condition: Condition?)
        /// A reset to |0⟩.
        case reset(qubit: Int, condition: Condition?)
    }

    /// An error's terms as branch operators on the state's qubits.
    struct Branching: Sendable {
        struct Term: Sendable {
            let probability: Double
            let operators: [SmallMatrix]
            /// One operator that is a multiple of the identity: the branch changes nothing.
            let isIdentity: Bool
            /// One unitary operator: its probability is the term's, whatever the state.
            let isUnitary: Bool
        }
        let qubits: [Int]
        let terms: [Term]
    }

    let numQubits: Int
    let numClbits: Int
    let ops: [Op]
    /// Measurements sampled from each leaf's final state: (qubit, clbit, readout).
    let deferred: [(qubit: Int, clbit: Int, readout: ReadoutError?)]
    let program: NoisyProgram

    init(program: NoisyProgram, fusion: Bool, maxFusedQubits: Int) throws {
        self.program = program
        numQubits = program.numQubits
        numClbits = program.numClbits
        let steps = program.steps
        // A measurement is deferred to the leaves when nothing after it touches its qubit, writes
        // its bit again or reads its bit in a condition.
        var deferrable = [Bool](repeating: false, count: steps.count)
        var touchedQubits = Set<Int>(), writtenBits = Set<Int>(), readBits = Set<Int>()
        for (i, step) in steps.enumerated().reversed() {
            switch step {
            case .measure(let q, let c, _, let condition):
                deferrable[i] = condition == nil && !touchedQubits.contains(q) && !writtenBits.contains(c) && !readBits.contains(c)
                touchedQubits.insert(q)
                writtenBits.insert(c)
                if let condition { readBits.formUnion(condition.clbits) }
            case .gate(_, let qubits, let condition), .channel(_, let qubits, let condition):
                touchedQubits.formUnion(qubits)
                if let condition { readBits.formUnion(condition.clbits) }
            case .reset(let q, let condition):
                touchedQubits.insert(q)
                if let condition { readBits.formUnion(condition.clbits) }
            case .barrier:
                break
            }
        }
        var ops: [Op] = []
        var deferred: [(Int, Int, ReadoutError?)] = []
        var run = QuantumCircuit(numQubits: program.numQubits)
        var runHasGates = false
        func flush() throws {
            guard runHasGates else { return }
            ops.append(.unitary(try ExecutionPlan(circuit: run, fusion: fusion)))
            run = QuantumCircuit(numQubits: program.numQubits)
            runHasGates = false
        }
        for (i, step) in steps.enumerated() {
            switch step {
            case .gate(let gate, let qubits, let condition):
                if let condition {
                    try flush()
                    var single = QuantumCircuit(numQubits: program.numQubits)
                    single.append(gate, indices: qubits)
                    ops.append(.conditioned(try ExecutionPlan(circuit: single, fusion: false), condition: condition))
                } else if gate.kind != .id {
                    run.append(gate, indices: qubits)
                    runHasGates = true
                }
            case .barrier(let qubits):
                run.appendResolved(Instruction(operation: .barrier, qubits: qubits, clbits: [], condition: nil))
            case .channel(let channel, let qubits, let condition):
                try flush()
                ops.append(.channel(TrajectoryEngine.branching(channel, on: qubits), condition: condition))
            case .measure(let q, let c, let readout, let condition):
                try flush()
                if deferrable[i] { deferred.append((q, c, readout)) } else { ops.append(.measure(qubit: q, clbit: c, readout: readout, condition: condition)) }
            case .reset(let q, let condition):
                try flush()
                ops.append(.reset(qubit: q, condition: condition))
            }
        }
        try flush()
        self.ops = ops
        self.deferred = deferred
    }

    static func branching(_ channel: QuantumChannel, on qubits: [Int]) -> Branching {
        Branching(qubits: qubits, terms: channel.terms.map { term in
            let single = term.kraus.count == 1
            let k = term.kraus[0]
            var isIdentity = false
            if single, k.isDiagonal {
                let d = k.diagonalEntries
                isIdentity = d.allSatisfy { ($0 - d[0]).length <= 1e-15 }
            }
            return Branching.Term(probability: term.probability, operators: term.kraus, isIdentity: isIdentity,
                                  isUnitary: single && term.isUnitary)
        })
    }

    // MARK: - Branches

    /// A group of shots that share everything so far.
    struct Node {
        var state: StateVector<Double>
        /// The next op to run.
        var op: Int
        var shots: Int
        var bits: [UInt8]
        var seed: UInt64
        /// ‖ψ‖² of the (unnormalised) amplitudes.
        var normSquared: Double
        /// An operator to apply before the next op (the branch this node took), and its qubits.
        var pending: (matrix: SmallMatrix, qubits: [Int])?
        /// A measurement or reset outcome to collapse onto before the next op: (qubit, outcome, flip after).
        var collapse: (qubit: Int, outcome: Int, flip: Bool)?
    }

    /// What one branch ended with.
    struct Leaf: Sendable {
        let seed: UInt64
        let shots: Int
        /// Per-shot counts keys (runs), or nil.
        let keys: [String]?
        /// ⟨O_k⟩ of the final state (expectations), or nil.
        let values: [Double]?
    }

    /// Per-branch statistics.
    struct Tally {
        var leaves = 0
        var errorsApplied = 0
    }

    /// Runs every op from `node.op` on, splitting at errors; returns the children when it splits,
    /// or nil when the branch reached the end (then `finish` was called).
    func advance(_ node: inout Node, values: [Parameter: Double], tally: inout Tally) -> [Node]? {
        if let pending = node.pending {
            node.state.makeUnique()
            let kernel = KernelCall<Double>(structure: GateStructure(numControls: 0, target: pending.matrix), qubits: pending.qubits,
                                            numQubits: numQubits)
            kernel.apply(to: node.state.storage.pointer, threads: node.state.threads)
            node.pending = nil
            tally.errorsApplied += 1
        }
        if let c = node.collapse {
            node.state.makeUnique()
            let p = node.state.storage.pointer
            let one = probabilityOfOne(p, numQubits: numQubits, qubit: c.qubit, threads: node.state.threads)
            let total = normSquared(p, numQubits: numQubits, threads: node.state.threads)
            let kept = c.outcome == 1 ? one : total - one
            collapse(p, numQubits: numQubits, qubit: c.qubit, outcome: c.outcome, scale: 1 / kept.squareRoot(), threads: node.state.threads)
            if c.flip { flip(p, numQubits: numQubits, qubit: c.qubit, threads: node.state.threads) }
            node.normSquared = 1
            node.collapse = nil
        }
        // Keep the amplitudes away from underflow after many non-unitary branches.
        if node.normSquared < 1e-100 {
            node.state.makeUnique()
            scale(&node.state, by: 1 / node.normSquared.squareRoot())
            node.normSquared = 1
        }
        while node.op < ops.count {
            let op = ops[node.op]
            node.op += 1
            switch op {
            case .unitary(let plan):
                // Checked values: the plan's parameters are the circuit's.
                try? plan.applyUnitarySteps(plan.steps.indices, to: &node.state, values: values)
            case .conditioned(let plan, let condition):
                if holds(condition, node.bits) { try? plan.applyUnitarySteps(plan.steps.indices, to: &node.state, values: values) }
            case .channel(let branching, let condition):
                if let condition, !holds(condition, node.bits) { continue }
                if let children = split(&node, branching), children.count > 1 || children.first?.pending != nil {
                    return children
                }
            case .measure(let q, let c, let readout, let condition):
                if let condition, !holds(condition, node.bits) { continue }
                return measure(&node, qubit: q, clbit: c, readout: readout, reset: false)
            case .reset(let q, let condition):
                if let condition, !holds(condition, node.bits) { continue }
                return measure(&node, qubit: q, clbit: nil, readout: nil, reset: true)
            }
        }
        return nil
    }

    private func holds(_ condition: Condition, _ bits: [UInt8]) -> Bool {
        condition.clbits.enumerated().allSatisfy { m, c in Int(bits[c]) == (m < 63 ? (condition.value >> m) & 1 : 0) }
    }

    private func scale(_ state: inout StateVector<Double>, by factor: Double) {
        let p = state.storage.pointer
        for i in 0..<(2 * state.count) { p[i] *= factor }
    }

    /// Splits a node's shots among an error's branches. Returns nil when every shot took an
    /// identity branch (the node goes on unchanged).
    private func split(_ node: inout Node, _ branching: Branching) -> [Node]? {
        var rng = SeededGenerator(seed: node.seed)
        // The node's stream moves on whatever happens, so the next error draws afresh.
        defer { node.seed = rng.next() }
        let perTerm = multinomial(node.shots, branching.terms.map(\.probability), &rng)
        var outcomes: [(shots: Int, matrix: SmallMatrix?, normFactor: Double)] = []
        var reduced: [Complex<Double>]?
        for (t, term) in branching.terms.enumerated() where perTerm[t] > 0 {
            if term.isUnitary {
                outcomes.append((perTerm[t], term.isIdentity ? nil : term.operators[0], 1))
                continue
            }
            // ‖Kψ‖²/‖ψ‖² = Tr(K†K ρ_Q)/Tr ρ_Q from the reduced density matrix of the error's qubits.
            if reduced == nil { reduced = reducedDensityMatrix(node.state, branching.qubits) }
            let rho = reduced ?? []
            let d = 1 << branching.qubits.count
            let trace = (0..<d).reduce(0.0) { $0 + rho[$1 * d + $1].real }
            let probabilities = term.operators.map { k -> Double in
                let m = k.adjoint() * k
                var s = 0.0
                for a in 0..<d { for b in 0..<d { s += (m[a, b] * rho[b * d + a]).real } }
                return max(0, s / trace)
            }
            let counts = multinomial(perTerm[t], probabilities, &rng)
            for (j, k) in term.operators.enumerated() where counts[j] > 0 {
                outcomes.append((counts[j], k, probabilities[j]))
            }
        }
        if outcomes.count == 1, outcomes[0].matrix == nil { return nil }
        // Children in a fixed order, each with a seed drawn from this node's stream.
        var children: [Node] = []
        for outcome in outcomes {
            var child = node
            child.shots = outcome.shots
            child.seed = rng.next()
            child.normSquared = node.normSquared * outcome.normFactor
            child.pending = outcome.matrix.map { ($0, branching.qubits) }
            children.append(child)
        }
        return children
    }

    /// Splits a node at a measurement (or reset) by its outcome, then by the readout error.
    private func measure(_ node: inout Node, qubit: Int, clbit: Int?, readout: ReadoutError?, reset: Bool) -> [Node] {
        var rng = SeededGenerator(seed: node.seed)
        let p = node.state.storage.pointer
        let one = probabilityOfOne(p, numQubits: numQubits, qubit: qubit, threads: node.state.threads)
            / normSquared(p, numQubits: numQubits, threads: node.state.threads)
        let ones = binomial(node.shots, min(1, max(0, one)), &rng)
        var children: [Node] = []
        for (outcome, shots) in [(0, node.shots - ones), (1, ones)] where shots > 0 {
            var recordedSplit: [(Int, Int)] = [(outcome, shots)]
            if let readout, let clbit, clbit >= 0 {
                let flipped = binomial(shots, readout.probabilities[outcome][1 - outcome], &rng)
                recordedSplit = [(outcome, shots - flipped), (1 - outcome, flipped)].filter { $0.1 > 0 }
            }
            for (recorded, count) in recordedSplit {
                var child = node
                child.shots = count
                child.seed = rng.next()
                child.collapse = (qubit, outcome, reset && outcome == 1)
                if let clbit { child.bits[clbit] = UInt8(recorded) }
                children.append(child)
            }
        }
        return children
    }

    /// The reduced density matrix ρ_Q[a][b] = Σ_rest ψ[a, rest]·conj(ψ[b, rest]) of some qubits
    /// (bit j of a and b on qubits[j]), row-major, unnormalised; summed in index order.
    func reducedDensityMatrix(_ state: StateVector<Double>, _ qubits: [Int]) -> [Complex<Double>] {
        let k = qubits.count, d = 1 << k
        let mask = qubits.reduce(0) { $0 | (1 << $1) }
        let positions = setBitPositions(mask)
        let offsets = (0..<d).map { a in qubits.enumerated().reduce(0) { a & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 } }
        var rho = [Double](repeating: 0, count: 2 * d * d)
        let p = state.storage.pointer
        var amplitudes = [Double](repeating: 0, count: 2 * d)
        positions.withUnsafeBufferPointer { positions in
            for rest in 0..<(state.count >> k) {
                let base = insertZeroBits(rest, positions)
                for a in 0..<d {
                    amplitudes[2 * a] = p[2 * (base | offsets[a])]
                    amplitudes[2 * a + 1] = p[2 * (base | offsets[a]) + 1]
                }
                for a in 0..<d {
                    let ar = amplitudes[2 * a], ai = amplitudes[2 * a + 1]
                    for b in 0..<d {
                        let br = amplitudes[2 * b], bi = amplitudes[2 * b + 1]
                        rho[2 * (a * d + b)] += ar * br + ai * bi
                        rho[2 * (a * d + b) + 1] += ai * br - ar * bi
                    }
                }
            }
        }
        return (0..<(d * d)).map { Complex(rho[2 * $0], rho[2 * $0 + 1]) }
    }

    // MARK: - Running the tree

    /// Runs the tree for `shots` shots from |0…0⟩ (or `initialState`), calling `finish` on every
    /// leaf (on worker threads for small states).
    func walk(values: [Parameter: Double], shots: Int, seed: UInt64, threads: Int, initialState: StateVector<Double>?,
              finish: @Sendable (Node) -> Leaf) -> (leaves: [Leaf], tally: Tally)
    {
        // Large states: one branch at a time, every thread in the kernels.
        let parallelBranches = numQubits < 14 && threads > 1
        var start = initialState ?? StateVector<Double>(unchecked: numQubits, threads: threads)
        start.threads = parallelBranches ? 1 : threads
        let root = Node(state: start, op: 0, shots: shots, bits: [UInt8](repeating: 0, count: numClbits), seed: seed,
                        normSquared: start.normSquared, pending: nil, collapse: nil)
        var tally = Tally()
        var leaves: [Leaf] = []
        guard parallelBranches else {
            runDepthFirst(root, values: values, tally: &tally, leaves: &leaves, finish: finish)
            return (leaves, tally)
        }
        // Breadth-first until there are enough branches to share, then whole subtrees per task.
        var frontier = [root]
        var head = 0
        while head < frontier.count, frontier.count - head < 4 * threads {
            var node = frontier[head]
            head += 1
            if let children = advance(&node, values: values, tally: &tally) {
                frontier += children
            } else {
                tally.leaves += 1
                leaves.append(finish(node))
            }
        }
        let tasks = Array(frontier[head...])
        let slots = TaskResults(count: tasks.count)
        forEachTask(count: tasks.count, threads: threads) { t in
            var local = Tally()
            var found: [Leaf] = []
            self.runDepthFirst(tasks[t], values: values, tally: &local, leaves: &found, finish: finish)
            slots.store(t, leaves: found, tally: local)
        }
        for t in 0..<tasks.count {
            let (found, local) = slots.result(t)
            leaves += found
            tally.leaves += local.leaves
            tally.errorsApplied += local.errorsApplied
        }
        return (leaves, tally)
    }

    /// Depth first: the largest child continues last, in place; smaller ones first (so their
    /// parent's amplitudes stay shared until the last child, and few states are alive).
    private func runDepthFirst(_ root: Node, values: [Parameter: Double], tally: inout Tally, leaves: inout [Leaf],
                               finish: (Node) -> Leaf)
    {
        var stack = [root]
        while var node = stack.popLast() {
            if let children = advance(&node, values: values, tally: &tally) {
                // Push the largest first so it is popped last.
                stack += children.enumerated().sorted { ($0.element.shots, $1.offset) > ($1.element.shots, $0.offset) }.map(\.element)
            } else {
                tally.leaves += 1
                leaves.append(finish(node))
            }
        }
    }

    // MARK: - Results

    /// The most states alive at once: one per ancestor still waiting for a larger child (at most
    /// ⌈log2 shots⌉, since each waiting child has at most half its parent's shots), plus the
    /// branch running and a copy being written.
    static func liveStates(_ shots: Int) -> Int {
        2 + (shots > 1 ? Int.bitWidth - (shots - 1).leadingZeroBitCount : 0)
    }

    /// Counts with shots sampled from each leaf's state for the deferred measurements.
    func run(_ values: [Parameter: Double], shots: Int, seed: UInt64, memory: Bool, simulator: Simulator) throws -> TrajectoryRun {
        let threads = try Simulator.resolveThreads(simulator.threads)
        try checkMemory(numQubits: numQubits, as: Double.self, userLimit: simulator.maxMemoryBytes, copies: TrajectoryEngine.liveStates(shots))
        let deferred = self.deferred
        let program = self.program
        let (leaves, tally) = walk(values: values, shots: shots, seed: seed, threads: threads, initialState: nil) { node in
            var rng = SeededGenerator(seed: node.seed)
            let indices = node.state.sampleIndices(shots: node.shots, using: &rng)
            var keys: [String] = []
            keys.reserveCapacity(node.shots)
            var bits = node.bits
            for index in indices {
                for m in deferred {
                    let value = (index >> m.qubit) & 1
                    bits[m.clbit] = UInt8(m.readout.map { $0.record(value, uniform: rng.nextUniform()) } ?? value)
                }
                keys.append(program.countsKey(bits))
            }
            return Leaf(seed: node.seed, shots: node.shots, keys: keys, values: nil)
        }
        var counts: [String: Int] = [:]
        for leaf in leaves { for key in leaf.keys ?? [] { counts[key, default: 0] += 1 } }
        if program.measurements.isEmpty { counts = [:] }
        var outcomes: [String]?
        if memory {
            // Leaves in seed order, then the shots shuffled with the run's seed: the same for any thread count.
            var all = leaves.sorted { $0.seed < $1.seed }.flatMap { $0.keys ?? [] }
            var rng = SeededGenerator(seed: seed ^ 0x6D65_6D6F_7279)
            all.shuffle(using: &rng)
            outcomes = all
        }
        return TrajectoryRun(counts: counts, memory: outcomes, shots: shots, seed: seed, branches: tally.leaves,
                             errorsApplied: tally.errorsApplied, reason: "")
    }

    /// Expectation values averaged over `shots` trajectories, with standard errors.
    func expectations(_ observables: [PauliSum], values: [Parameter: Double], initialState: StateVector<Double>?, shots: Int,
                      seed: UInt64, simulator: Simulator) throws -> [ExpectationEstimate]
    {
        guard shots >= 1 else { throw QuantumError.invalidShots(shots) }
        let threads = try Simulator.resolveThreads(simulator.threads)
        try checkMemory(numQubits: numQubits, as: Double.self, userLimit: simulator.maxMemoryBytes, copies: TrajectoryEngine.liveStates(shots))
        let (leaves, _) = walk(values: values, shots: shots, seed: seed, threads: threads, initialState: initialState) { node in
            let values = observables.map { o in
                pauliExpectation(node.state.storage.pointer, numQubits: node.state.numQubits, observable: o, threads: node.state.threads)
                    / node.normSquared
            }
            return Leaf(seed: node.seed, shots: node.shots, keys: nil, values: values)
        }
        return observables.indices.map { k in
            var sum = 0.0, squares = 0.0
            for leaf in leaves {
                let v = leaf.values?[k] ?? 0
                sum += Double(leaf.shots) * v
                squares += Double(leaf.shots) * v * v
            }
            let mean = sum / Double(shots)
            let variance = shots > 1 ? max(0, (squares - Double(shots) * mean * mean) / Double(shots - 1)) : 0
            return ExpectationEstimate(value: mean, standardError: (variance / Double(shots)).squareRoot(), method: .trajectories,
                                       samples: shots)
        }
    }
}

/// A trajectory run's counts and statistics.
struct TrajectoryRun {
    let counts: [String: Int]
    let memory: [String]?
    let shots: Int
    let seed: UInt64
    let branches: Int
    let errorsApplied: Int
    var reason: String

    func runResult(compiled: CompiledCircuit, program: NoisyProgram, noise: NoiseModel, seconds: Double) -> RunResult {
        var result = RunResult(counts: counts, memory: memory, shots: shots, seed: seed, numQubits: program.numQubits,
                               precision: .double, stateBytes: 16 << program.numQubits, seconds: seconds,
                               sampledFromFinalState: false, gateCount: compiled.gateCount, kernelCount: compiled.kernelCount,
                               execution: compiled.execution)
        result.noise = NoisyRunInfo(method: .trajectories, reason: reason, probabilities: nil, densityMatrix: nil,
                                    noisyInstructions: program.noisyInstructions, idealInstructions: program.idealInstructions,
                                    unusedReadoutErrors: noise.unusedReadoutErrors, branches: branches, errorsApplied: errorsApplied)
        return result
    }
}

/// Per-task results of the parallel walk (each task writes its own slot).
final class TaskResults: @unchecked Sendable {
    private var leaves: [[TrajectoryEngine.Leaf]]
    private var tallies: [TrajectoryEngine.Tally]
    private let lock = NSLock()

    init(count: Int) {
        leaves = Array(repeating: [], count: count)
        tallies = Array(repeating: TrajectoryEngine.Tally(), count: count)
    }

    func store(_ t: Int, leaves found: [TrajectoryEngine.Leaf], tally: TrajectoryEngine.Tally) {
        lock.lock()
        defer { lock.unlock() }
        leaves[t] = found
        tallies[t] = tally
    }

    func result(_ t: Int) -> ([TrajectoryEngine.Leaf], TrajectoryEngine.Tally) {
        lock.lock()
        defer { lock.unlock() }
        return (leaves[t], tallies[t])
    }
}

// MARK: - Exact multinomial draws

/// A binomial draw of n trials with success probability p: by geometric waiting times (O(n·p)
/// steps for p ≤ ½, the complement otherwise), exact for every n and p.
func binomial(_ n: Int, _ p: Double, _ rng: inout SeededGenerator) -> Int {
    if n <= 0 || p <= 0 { return 0 }
    if p >= 1 { return n }
    if p > 0.5 { return n - binomial(n, 1 - p, &rng) }
    let logQ = Foundation.log1p(-p)
    var successes = 0
    var position = 0
    while true {
        // Trials up to and including the next success: 1 + ⌊ln U / ln(1 − p)⌋.
        let u = 1 - rng.nextUniform()
        let gap = Foundation.log(u) / logQ
        if gap >= Double(n - position) { return successes }
        position += Int(gap) + 1
        if position > n { return successes }
        successes += 1
    }
}

/// Splits n trials among outcomes with probabilities p (summing to about 1) by successive
/// conditional binomials.
func multinomial(_ n: Int, _ probabilities: [Double], _ rng: inout SeededGenerator) -> [Int] {
    var counts = [Int](repeating: 0, count: probabilities.count)
    var remaining = n
    var mass = probabilities.reduce(0) { $0 + max(0, $1) }
    for (i, p) in probabilities.enumerated() {
        if remaining == 0 { break }
        if i == probabilities.count - 1 || mass <= 0 {
            counts[i] = remaining
            break
        }
        let k = binomial(remaining, min(1, max(0, p) / mass), &rng)
        counts[i] = k
        remaining -= k
        mass -= max(0, p)
    }
    return counts
}

extension SeededGenerator {
    /// A binomial draw: successes in `trials` independent trials of probability `probability`
    /// (exact, by geometric waiting times).
    /// - Parameters:
    ///   - trials: n ≥ 0 (0 or less gives 0).
    ///   - probability: p, clamped to [0, 1].
    /// - Returns: a draw from Binomial(n, p).
    public mutating func binomial(trials: Int, probability: Double) -> Int {
        Quantum.binomial(trials, min(1, max(0, probability)), &self)
    }
}
