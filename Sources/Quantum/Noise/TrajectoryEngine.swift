import ComplexModule
import Foundation
import Synchronization

/// Monte-Carlo trajectories on the state vector, with shots grouped by what happened to them and
/// fused plans between the places where something happened.
///
/// **Branches.** All shots start together in one branch. At an error, a branch of m shots splits
/// among the error's branches (every term of the mixture and every Kraus operator of a term) with
/// their true probabilities: a term's fixed probability times ‖Kψ‖²/‖ψ‖², read from the reduced
/// density matrix of the error's qubits. Mid-circuit measurements, resets and readout errors on
/// recorded bits split likewise. Each child carries the shots that took its path and a seed drawn
/// from its parent's stream, so the tree — and the counts — depend only on the seed, never on the
/// order branches run in or on the number of threads. A multinomial split of m shots is m
/// independent draws: grouping changes the cost, not the distribution.
///
/// **Fused segments.** Every error has a *free* branch: the most likely one, whose probability is
/// at least q_free whatever the state (a unitary term's probability; for a Kraus operator K, its
/// term's probability times a lower bound of the eigenvalues of K†K). With probability q_free a
/// shot takes the free branch without the state being looked at, so a branch of m shots meets its
/// next *event* — an error where some shot does not take the free branch — at a location drawn in
/// advance: the first error where the accumulated hazard m·Σ −ln q_free passes an exponential
/// draw. Up to there nothing branches, and the circuit runs as planned: its gates and the free
/// branches' operators (identity for Pauli and depolarizing errors, the no-jump operator of
/// relaxation) are compiled into fused, cache-blocked plans of 64 and 8 steps, cached and reused
/// by every branch. At the event, the number of shots that leave the free branch is a binomial
/// conditioned to be at least one; they draw their branch from the rest of the distribution,
/// (P(b) − q_free·[b free])/(1 − q_free), and the others go on.
///
/// The branch with the most shots continues in place; the others share the parent's amplitudes
/// until they first change them (copy on write), and smaller branches run first, so at most about
/// log2(shots) + 1 states are alive. Small states run whole subtrees on separate threads; large
/// ones run branches one at a time with every thread in the kernels.
struct TrajectoryEngine: Sendable {
    /// What runs between the places where shots may split.
    enum Segment: Sendable {
        /// Gates and errors without conditions, run by chunked fused plans between events.
        case stream(Stream)
        /// A conditioned gate (planned once).
        case conditioned(ExecutionPlan, condition: Condition)
        /// A conditioned error: when its condition holds, every shot draws a branch.
        case conditionedChannel(Location, condition: Condition)
        /// A mid-circuit measurement (collapses the state, records the bit through its readout error).
        case measure(qubit: Int, clbit: Int, readout: ReadoutError?, condition: Condition?)
        /// A reset to |0⟩.
        case reset(qubit: Int, condition: Condition?)
    }

    /// An error's branches, and which one is free.
    struct Location: Sendable {
        struct Branch: Sendable {
            /// The term's probability.
            let probability: Double
            let matrix: SmallMatrix
            /// A unitary branch: its probability is the term's, whatever the state.
            let isUnitary: Bool
            /// K†K of the branch's operator K (made once: every split of every shot needs it).
            let gram: SmallMatrix
        }
        let qubits: [Int]
        let branches: [Branch]
        /// The free branch's index.
        let free: Int
        /// q_free: a lower bound of the free branch's probability for every state.
        let freeProbability: Double
        /// Whether the free branch's operator is a multiple of the identity (nothing to apply).
        let freeIsIdentity: Bool
        /// Whether some branch's probability depends on the state.
        let stateDependent: Bool

        init(_ channel: QuantumChannel, on qubits: [Int]) {
            self.qubits = qubits
            var branches: [Branch] = []
            var best = -1.0, free = 0
            for term in channel.terms {
                for k in term.kraus {
                    let single = term.kraus.count == 1 && term.isUnitary
                    let gram = k.adjoint() * k
                    let bound = single ? 1 : Location.smallestEigenvalueBound(gram)
                    if term.probability * bound > best {
                        best = term.probability * bound
                        free = branches.count
                    }
                    branches.append(Branch(probability: term.probability, matrix: k, isUnitary: single, gram: gram))
                }
            }
            self.branches = branches
            self.free = free
            freeProbability = max(0, min(1, best))
            let f = branches[free].matrix
            freeIsIdentity = branches[free].isUnitary && f.isDiagonal && f.diagonalEntries.allSatisfy { ($0 - f[0, 0]).length <= 1e-15 }
            stateDependent = branches.contains { !$0.isUnitary }
        }

        /// P(b) of every branch for a state whose reduced density matrix on ``qubits`` is `reduced`
        /// (unnormalised, row-major; nil when no branch depends on the state): a term's
        /// probability times Tr(K†Kρ)/Tr ρ for its Kraus operator K.
        func probabilities(reduced: [Complex<Double>]?) -> [Double] {
            let d = 1 << qubits.count
            let trace = reduced.map { rho in (0..<d).reduce(0.0) { $0 + rho[$1 * d + $1].real } } ?? 1
            return branches.map { branch in
                var p = branch.probability
                if !branch.isUnitary, let rho = reduced {
                    let m = branch.gram
                    var s = 0.0
                    for a in 0..<d { for c in 0..<d { s += (m[a, c] * rho[c * d + a]).real } }
                    p *= s / trace
                }
                return p
            }
        }

        /// Whether branch b's operator is a multiple of the identity (nothing to apply).
        func isIdentity(_ b: Int) -> Bool {
            let branch = branches[b]
            return branch.isUnitary && branch.matrix.isDiagonal
                && branch.matrix.diagonalEntries.allSatisfy { ($0 - branch.matrix[0, 0]).length <= 1e-15 }
        }

        /// A lower bound of the smallest eigenvalue of a Hermitian matrix: the smallest Gershgorin
        /// disc's left end (exact for diagonal matrices), at least 0.
        static func smallestEigenvalueBound(_ a: SmallMatrix) -> Double {
            var bound = Double.infinity
            for r in 0..<a.dimension {
                var radius = 0.0
                for c in 0..<a.dimension where c != r { radius += a[r, c].length }
                bound = min(bound, a[r, r].real - radius)
            }
            return max(0, bound)
        }
    }

    /// A run of gates and unconditioned errors.
    final class Stream: Sendable {
        enum Element: Sendable {
            case gate(Gate, qubits: [Int])
            case location(Location)
            case barrier(qubits: [Int])
        }
        let elements: [Element]
        /// The element index of each error, in order.
        let locations: [Int]
        /// Prefix sums of −ln q_free over the errors with q_free > 0.
        let hazards: [Double]
        /// Errors with q_free = 0 (every shot draws there), as indices into `locations`.
        let certain: [Int]
        let numQubits: Int
        let fusion: Bool
        /// Whether the unaligned ends of a run between events get one plan for exactly that piece
        /// (see ``TrajectoryEngine/exactPieceQubits``) instead of chunks of 8 and 1.
        let exactPieces: Bool
        /// Whether the free operators can shrink the norm so far that amplitudes must be rescaled
        /// (checked after every 64-step chunk).
        let renormalizes: Bool
        private let plans: Mutex<[Range<Int>: Chunk]> = Mutex([:])

        /// A compiled piece of the stream and, when it has no free parameters, its bound kernels.
        struct Chunk: Sendable {
            let plan: ExecutionPlan?
            let bound: [Executable<Double>]?
        }

        static let sizes = [64, 8, 1]

        init(elements: [Element], numQubits: Int, fusion: Bool, exactPieces: Bool) {
            self.elements = elements
            self.numQubits = numQubits
            self.fusion = fusion
            self.exactPieces = exactPieces
            var locations: [Int] = [], hazards = [0.0], certain: [Int] = []
            var decay = 0.0
            for (i, element) in elements.enumerated() {
                guard case .location(let l) = element else { continue }
                if l.freeProbability <= 0 {
                    certain.append(locations.count)
                    hazards.append(hazards[hazards.count - 1])
                } else {
                    hazards.append(hazards[hazards.count - 1] - Foundation.log(l.freeProbability))
                }
                if !l.freeIsIdentity, !l.branches[l.free].isUnitary {
                    decay += -Foundation.log(max(1e-300, Location.smallestEigenvalueBound(l.branches[l.free].matrix.adjoint() * l.branches[l.free].matrix)))
                }
                locations.append(i)
            }
            self.locations = locations
            self.hazards = hazards
            self.certain = certain
            renormalizes = decay > 200
        }

        /// The next event at or after element `from` for a branch of `shots` shots: the element
        /// index of the error, or nil when the branch gets through the stream without one.
        func nextEvent(from: Int, shots: Int, rng: inout SeededGenerator) -> Int? {
            // s: the first error at or after `from`.
            var lo = 0, hi = locations.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if locations[mid] < from { lo = mid + 1 } else { hi = mid }
            }
            let s = lo
            guard s < locations.count else { return nil }
            var limit = locations.count
            if let c = certain.first(where: { $0 >= s }) { limit = c }
            // The first error i ≥ s with shots·(H[i+1] − H[s]) ≥ E, E ~ Exp(1).
            let e = -Foundation.log(1 - rng.nextUniform()) / Double(shots) + hazards[s]
            lo = s
            hi = limit
            while lo < hi {
                let mid = (lo + hi) / 2
                if hazards[mid + 1] >= e { hi = mid } else { lo = mid + 1 }
            }
            return lo < locations.count ? locations[lo] : nil
        }

        /// Applies elements `range` to the state through the cached chunk plans: aligned chunks
        /// of 64 elements, and for the unaligned ends either one plan for exactly that piece
        /// (large states, from ``exactPieceQubits``) or chunks of 8 and 1 (small states, where the
        /// fixed chunks are reused by many branches and a pass costs less than planning).
        func apply(_ range: Range<Int>, to state: inout StateVector<Double>, values: [Parameter: Double]) {
            var p = range.lowerBound
            state.makeUnique()
            let largest = Stream.sizes[0]
            while p < range.upperBound {
                var piece = p..<p
                if exactPieces, p % largest != 0 || p + largest > range.upperBound {
                    piece = p..<min(range.upperBound, (p / largest + 1) * largest)
                } else {
                    for size in Stream.sizes where p % size == 0 && p + size <= range.upperBound {
                        piece = p..<(p + size)
                        break
                    }
                }
                let chunk = self.chunk(piece)
                if let bound = chunk.bound {
                    for executable in bound { executable.apply(to: &state) }
                } else if let plan = chunk.plan {
                    // Checked values: the plan's parameters are the circuit's.
                    try? plan.applyUnitarySteps(plan.steps.indices, to: &state, values: values)
                }
                if renormalizes, piece.count == largest || exactPieces { TrajectoryEngine.normalize(&state) }
                p = piece.upperBound
            }
        }

        private func chunk(_ piece: Range<Int>) -> Chunk {
            if let known = plans.withLock({ $0[piece] }) { return known }
            var circuit = QuantumCircuit(numQubits: numQubits)
            for element in elements[piece] {
                switch element {
                case .gate(let gate, let qubits):
                    if gate.kind != .id { circuit.append(gate, indices: qubits) }
                case .location(let l):
                    if !l.freeIsIdentity {
                        circuit.append(Gate(kind: .unitary(qubits: l.qubits.count), unitaryMatrix: l.branches[l.free].matrix.entries,
                                            label: "free branch"), indices: l.qubits)
                    }
                case .barrier(let qubits):
                    circuit.appendResolved(Instruction(operation: .barrier, qubits: qubits, clbits: [], condition: nil))
                }
            }
            // The circuit was validated as a whole, so its pieces plan without error.
            let plan = try? ExecutionPlan(circuit: circuit, fusion: fusion)
            let bound: [Executable<Double>]? = plan.flatMap { plan in
                plan.parameters.isEmpty
                    ? try? plan.program(plan.steps.indices, values: [:], blockQubits: ExecutionPlan.defaultBlockQubits(for: Double.self))
                    : nil
            }
            let made = Chunk(plan: plan, bound: bound)
            plans.withLock { $0[piece] = made }
            return made
        }
    }

    let numQubits: Int
    let numClbits: Int
    let segments: [Segment]
    /// Measurements sampled from each leaf's final state: (qubit, clbit, readout).
    let deferred: [(qubit: Int, clbit: Int, readout: ReadoutError?)]
    let program: NoisyProgram

    /// From this many qubits (8 MiB states, run one branch at a time with every thread in the
    /// kernels), the unaligned ends of a run between events are planned exactly: one fused pass
    /// instead of up to 14 unfused ones costs less than planning the piece. Smaller states keep the
    /// fixed chunks, which their many branches reuse, and run whole subtrees on separate threads.
    static let exactPieceQubits = 19

    /// Whether branches run one at a time with every thread in the kernels (large states) rather
    /// than as whole subtrees on separate threads.
    let largeState: Bool

    init(program: NoisyProgram, fusion: Bool, maxFusedQubits: Int, exactPieceQubits: Int = TrajectoryEngine.exactPieceQubits) throws {
        self.program = program
        let large = program.numQubits >= exactPieceQubits
        largeState = large
        numQubits = program.numQubits
        numClbits = program.numClbits
        let steps = program.steps
        let deferrable = program.deferrableMeasurements
        var segments: [Segment] = []
        var deferred: [(Int, Int, ReadoutError?)] = []
        var run: [Stream.Element] = []
        func flush() {
            guard run.contains(where: { if case .barrier = $0 { false } else { true } }) else { run = []; return }
            segments.append(.stream(Stream(elements: run, numQubits: program.numQubits, fusion: fusion, exactPieces: large)))
            run = []
        }
        for (i, step) in steps.enumerated() {
            switch step {
            case .gate(let gate, let qubits, let condition):
                if let condition {
                    flush()
                    var single = QuantumCircuit(numQubits: program.numQubits)
                    single.append(gate, indices: qubits)
                    segments.append(.conditioned(try ExecutionPlan(circuit: single, fusion: false), condition: condition))
                } else {
                    run.append(.gate(gate, qubits: qubits))
                }
            case .barrier(let qubits):
                run.append(.barrier(qubits: qubits))
            case .channel(let channel, let qubits, let condition):
                if let condition {
                    flush()
                    segments.append(.conditionedChannel(Location(channel, on: qubits), condition: condition))
                } else {
                    run.append(.location(Location(channel, on: qubits)))
                }
            case .measure(let q, let c, let readout, let condition):
                if deferrable[i] {
                    deferred.append((q, c, readout))
                } else {
                    flush()
                    segments.append(.measure(qubit: q, clbit: c, readout: readout, condition: condition))
                }
            case .reset(let q, let condition):
                flush()
                segments.append(.reset(qubit: q, condition: condition))
            }
        }
        flush()
        self.segments = segments
        self.deferred = deferred
    }

    /// Rescales a state to norm 1 (after free operators that shrink it).
    static func normalize(_ state: inout StateVector<Double>) {
        let total = state.normSquared
        guard total > 0, abs(total - 1) > 1e-6 else { return }
        let factor = 1 / total.squareRoot()
        let p = state.storage.pointer
        for i in 0..<(2 * state.count) { p[i] *= factor }
    }

    // MARK: - Branches

    /// A group of shots that share everything so far.
    struct Node {
        var state: StateVector<Double>
        /// The segment, and within a stream the element, to run next.
        var segment: Int
        var element: Int
        var shots: Int
        var bits: [UInt8]
        var seed: UInt64
        /// An operator to apply before anything else (the branch this node took), and its qubits.
        var pending: (matrix: SmallMatrix, qubits: [Int])?
        /// A measurement or reset outcome to collapse onto first: (qubit, outcome, flip after).
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

    /// Runs the branch until it splits (returning the children) or ends (returning nil).
    func advance(_ node: inout Node, values: [Parameter: Double], tally: inout Tally) -> [Node]? {
        if let pending = node.pending {
            node.state.makeUnique()
            let kernel = KernelCall<Double>(structure: GateStructure(numControls: 0, target: pending.matrix), qubits: pending.qubits,
                                            numQubits: numQubits)
            kernel.apply(to: node.state.storage.pointer, threads: node.state.threads)
            node.pending = nil
        }
        if let c = node.collapse {
            node.state.makeUnique()
            let p = node.state.storage.pointer
            let one = probabilityOfOne(p, numQubits: numQubits, qubit: c.qubit, threads: node.state.threads)
            let total = normSquared(p, numQubits: numQubits, threads: node.state.threads)
            let kept = c.outcome == 1 ? one : total - one
            collapse(p, numQubits: numQubits, qubit: c.qubit, outcome: c.outcome, scale: 1 / kept.squareRoot(), threads: node.state.threads)
            if c.flip { flip(p, numQubits: numQubits, qubit: c.qubit, threads: node.state.threads) }
            node.collapse = nil
        }
        while node.segment < segments.count {
            switch segments[node.segment] {
            case .stream(let stream):
                var rng = SeededGenerator(seed: node.seed)
                let event = stream.nextEvent(from: node.element, shots: node.shots, rng: &rng)
                stream.apply(node.element..<(event ?? stream.elements.count), to: &node.state, values: values)
                guard let event, case .location(let location) = stream.elements[event] else {
                    node.segment += 1
                    node.element = 0
                    node.seed = rng.next()
                    continue
                }
                node.element = event + 1
                let (children, errors) = split(&node, location, conditionedToLeave: true, rng: &rng)
                tally.errorsApplied += errors
                node.seed = rng.next()
                if children.count == 1 {
                    node = children[0]
                    advancePending(&node)
                    continue
                }
                return children
            case .conditioned(let plan, let condition):
                node.segment += 1
                if holds(condition, node.bits) { try? plan.applyUnitarySteps(plan.steps.indices, to: &node.state, values: values) }
            case .conditionedChannel(let location, let condition):
                node.segment += 1
                guard holds(condition, node.bits) else { continue }
                var rng = SeededGenerator(seed: node.seed)
                let (children, errors) = split(&node, location, conditionedToLeave: false, rng: &rng)
                tally.errorsApplied += errors
                node.seed = rng.next()
                if children.count == 1 {
                    node = children[0]
                    advancePending(&node)
                    continue
                }
                return children
            case .measure(let q, let c, let readout, let condition):
                node.segment += 1
                if let condition, !holds(condition, node.bits) { continue }
                return measure(&node, qubit: q, clbit: c, readout: readout, reset: false)
            case .reset(let q, let condition):
                node.segment += 1
                if let condition, !holds(condition, node.bits) { continue }
                return measure(&node, qubit: q, clbit: nil, readout: nil, reset: true)
            }
        }
        return nil
    }

    /// Applies a single child's pending operator in place.
    private func advancePending(_ node: inout Node) {
        guard let pending = node.pending else { return }
        node.state.makeUnique()
        KernelCall<Double>(structure: GateStructure(numControls: 0, target: pending.matrix), qubits: pending.qubits, numQubits: numQubits)
            .apply(to: node.state.storage.pointer, threads: node.state.threads)
        node.pending = nil
    }

    private func holds(_ condition: Condition, _ bits: [UInt8]) -> Bool {
        condition.clbits.enumerated().allSatisfy { m, c in Int(bits[c]) == (m < 63 ? (condition.value >> m) & 1 : 0) }
    }

    /// Splits a node at an error. With `conditionedToLeave`, at least one shot leaves the free
    /// branch (the event drawn in advance): the number that leave is Binomial(m, 1 − q_free)
    /// conditioned on ≥ 1, and they draw from the rest of the distribution; otherwise every shot
    /// draws from the whole distribution. Children come in a fixed order with seeds from `rng`.
    private func split(_ node: inout Node, _ location: Location, conditionedToLeave: Bool,
                       rng: inout SeededGenerator) -> (children: [Node], errors: Int) {
        let m = node.shots
        var leaving = m
        var q = 0.0
        if conditionedToLeave {
            q = location.freeProbability
            // The first shot to leave is the i-th with P ∝ q^(i−1)(1 − q), i ≤ m; the rest leave
            // independently with probability 1 − q.
            let qm = q > 0 ? Foundation.exp(Double(m) * Foundation.log(q)) : 0
            let u = rng.nextUniform()
            var first = 1
            if q > 0 && q < 1 {
                first = Int((Foundation.log(1 - u * (1 - qm)) / Foundation.log(q)).rounded(.up))
                first = min(m, max(1, first))
            }
            leaving = 1 + binomial(m - first, 1 - q, &rng)
        }
        // The leaving shots' distribution over branches: (P(b) − q·[b free])/(1 − q).
        var reduced: [Complex<Double>]?
        if location.stateDependent { reduced = reducedDensityMatrix(node.state, location.qubits) }
        let weights = location.probabilities(reduced: reduced).enumerated().map { b, p in max(0, b == location.free ? p - q : p) }
        let counts = multinomial(leaving, weights, &rng)
        var children: [Node] = []
        var freeShots = m - leaving + counts[location.free]
        if freeShots > 0 {
            var child = node
            child.shots = freeShots
            child.seed = rng.next()
            child.pending = location.freeIsIdentity ? nil : (location.branches[location.free].matrix, location.qubits)
            children.append(child)
            freeShots = 0
        }
        for (b, count) in counts.enumerated() where count > 0 && b != location.free {
            var child = node
            child.shots = count
            child.seed = rng.next()
            child.pending = location.isIdentity(b) ? nil : (location.branches[b].matrix, location.qubits)
            children.append(child)
        }
        return (children, counts.enumerated().filter { $0.offset != location.free && $0.element > 0 }.count)
    }

    /// How `shots` shots split at a measurement: by the outcome (a binomial draw with
    /// `probabilityOfOne`, clamped to [0, 1]), then each outcome's shots by the readout error into
    /// the bit recorded, each part with its child's seed — all from one generator seeded with
    /// `seed`, in outcome order. The one-node tree and the split-state walk share it, so both use
    /// the random stream the same way.
    static func measurementSplit(shots: Int, probabilityOfOne one: Double, readout: ReadoutError?, seed: UInt64)
        -> [(outcome: Int, recorded: Int, shots: Int, seed: UInt64)]
    {
        var rng = SeededGenerator(seed: seed)
        let ones = binomial(shots, min(1, max(0, one)), &rng)
        var parts: [(outcome: Int, recorded: Int, shots: Int, seed: UInt64)] = []
        for (outcome, count) in [(0, shots - ones), (1, ones)] where count > 0 {
            var recordedSplit: [(Int, Int)] = [(outcome, count)]
            if let readout {
                let flipped = binomial(count, readout.probabilities[outcome][1 - outcome], &rng)
                recordedSplit = [(outcome, count - flipped), (1 - outcome, flipped)].filter { $0.1 > 0 }
            }
            for (recorded, n) in recordedSplit { parts.append((outcome, recorded, n, rng.next())) }
        }
        return parts
    }

    /// Splits a node at a measurement (or reset) by its outcome, then by the readout error.
    private func measure(_ node: inout Node, qubit: Int, clbit: Int?, readout: ReadoutError?, reset: Bool) -> [Node] {
        let p = node.state.storage.pointer
        let one = probabilityOfOne(p, numQubits: numQubits, qubit: qubit, threads: node.state.threads)
            / normSquared(p, numQubits: numQubits, threads: node.state.threads)
        var children: [Node] = []
        for part in Self.measurementSplit(shots: node.shots, probabilityOfOne: one, readout: clbit == nil ? nil : readout, seed: node.seed) {
            var child = node
            child.shots = part.shots
            child.seed = part.seed
            child.collapse = (qubit, part.outcome, reset && part.outcome == 1)
            if let clbit { child.bits[clbit] = UInt8(part.recorded) }
            children.append(child)
        }
        return children
    }

    /// The reduced density matrix of some qubits (the kernel ``reducedDensityMatrix(_:numQubits:qubits:threads:)``).
    func reducedDensityMatrix(_ state: StateVector<Double>, _ qubits: [Int]) -> [Complex<Double>] {
        let rho = Quantum.reducedDensityMatrix(state.storage.pointer, numQubits: numQubits, qubits: qubits, threads: state.threads)
        return (0..<(rho.count / 2)).map { Complex(rho[2 * $0], rho[2 * $0 + 1]) }
    }

    // MARK: - Running the tree

    /// Runs the tree for `shots` shots from |0…0⟩ (or `initialState`), calling `finish` on every
    /// leaf (on worker threads for small states).
    func walk(values: [Parameter: Double], shots: Int, seed: UInt64, threads: Int, initialState: StateVector<Double>?,
              finish: @Sendable (Node) -> Leaf) -> (leaves: [Leaf], tally: Tally)
    {
        // Large states: one branch at a time, every thread in the kernels.
        let parallelBranches = !largeState && threads > 1
        var start = initialState ?? StateVector<Double>(unchecked: numQubits, threads: threads)
        start.threads = parallelBranches ? 1 : threads
        let root = Node(state: start, segment: 0, element: 0, shots: shots, bits: [UInt8](repeating: 0, count: numClbits), seed: seed,
                        pending: nil, collapse: nil)
        var tally = Tally()
        var leaves: [Leaf] = []
        guard parallelBranches else {
            runDepthFirst(root, values: values, tally: &tally, leaves: &leaves, finish: finish)
            return (leaves, tally)
        }
        // Breadth-first until there are enough branches to share, then whole subtrees per task.
        var frontier = [root]
        var head = 0
        while head < frontier.count, frontier.count - head < 8 * threads {
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
        try checkShots(shots, memory: memory, userLimit: simulator.maxMemoryBytes)
        let threads = try Simulator.resolveThreads(simulator.threads)
        try checkMemory(numQubits: numQubits, as: Double.self, userLimit: simulator.maxMemoryBytes, copies: TrajectoryEngine.liveStates(shots))
        let deferred = self.deferred
        let program = self.program
        let (leaves, tally) = walk(values: values, shots: shots, seed: seed, threads: threads, initialState: nil) { node in
            var rng = SeededGenerator(seed: node.seed)
            let indices = node.state.sampleIndices(shots: node.shots, using: &rng)
            return Leaf(seed: node.seed, shots: node.shots, keys: program.leafKeys(indices, bits: node.bits, deferred: deferred, rng: &rng),
                        values: nil)
        }
        let (counts, outcomes) = program.counts(of: leaves, seed: seed, memory: memory)
        return TrajectoryRun(counts: counts, memory: outcomes, shots: shots, seed: seed, branches: tally.leaves,
                             errorsApplied: tally.errorsApplied, reason: "")
    }

    /// Expectation values averaged over `shots` trajectories, with standard errors.
    func expectations(_ observables: [PauliSum], values: [Parameter: Double], initialState: StateVector<Double>?, shots: Int,
                      seed: UInt64, simulator: Simulator) throws -> [ExpectationEstimate]
    {
        try checkShots(shots)
        let threads = try Simulator.resolveThreads(simulator.threads)
        try checkMemory(numQubits: numQubits, as: Double.self, userLimit: simulator.maxMemoryBytes, copies: TrajectoryEngine.liveStates(shots))
        let (leaves, _) = walk(values: values, shots: shots, seed: seed, threads: threads, initialState: initialState) { node in
            let p = node.state.storage.pointer
            let norm = normSquared(p, numQubits: node.state.numQubits, threads: node.state.threads)
            let values = observables.map { o in pauliExpectation(p, numQubits: node.state.numQubits, observable: o, threads: node.state.threads) / norm }
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
