// The fuser: groups a run of unitary gate steps into blocks of up to five qubits, multiplies each
// block out and classifies the product (FusionMatrix.swift), and keeps a block only where the cost
// model (KernelCosts.swift) says its kernel is cheaper than its parts'. Planning only: it never
// touches a state, and the loops that apply blocks (Kernels/) know nothing of it. A noisy
// trajectory can cut a circuit at its error locations and fuse each segment with the same call.
//
// Two stages, each greedy in circuit order:
// 1. Pairs. Each gate joins the latest block on its qubits when the union has at most two qubits
//    and the product costs no more than the two apart; a gate may pass back over blocks it
//    commutes with (on every shared qubit both are diagonal, e.g. a phase through the control of
//    a CX) to reach such a block. A two-qubit gate that starts a block takes in the one-qubit
//    blocks just before it on its qubits when that is cheaper. This is where structure comes
//    back: a controlled phase that a transpiler wrote as u·cx·u·cx·u multiplies out to a
//    diagonal, a SWAP written as three CX to a permutation, a CX and its neighbours to a dense 4×4.
// 2. Widening. A block merges into the next block that shares a qubit (passing blocks it
//    commutes with) while the union has at most `maxQubits` qubits and the merged kernel is
//    cheaper than the two, or cheaper than the two and the blocks after them that lie on the
//    union's qubits, which it then takes in: so k (2…5) is chosen per block by cost.
//    Permutations merge into permutations and diagonals into diagonals at no extra cost per
//    amplitude; dense blocks grow only where the larger kernel still costs less than the smaller
//    ones it replaces.
// Products whose form differs from what their parts suggest (a dense-looking run that is
// diagonal) are found because every candidate is multiplied out and classified, not guessed.
// Blocks that hold a gate with free parameters are classified by their gates' kinds (diagonal if
// every gate is), and multiplied out when parameters are bound.

/// A plan step, or some of the gates of a step that is a run of one-qubit gates: the fuser's
/// unit (it splits runs, so a phase at a run's end can join the block before it).
struct StepPiece: Sendable, Hashable {
    /// The plan step.
    let step: Int
    /// For a run of one-qubit gates: the gates of the run this piece holds (nil: the whole step).
    let gates: Range<Int>?
}

/// One piece of a step as the fuser sees it (or a run of CX gates on one target, grouped before
/// fusion: see ``ParityFlip``).
struct FusionInput: Sendable {
    /// The step or part of a step.
    let piece: StepPiece
    /// The further steps of a grouped CX run, in order.
    var extraPieces: [StepPiece] = []
    /// For a grouped CX run: the target and the parity of controls.
    var parity: ParityFlip? = nil
    /// The piece's qubits in the gate's argument order.
    let qubits: [Int]
    /// The piece's structure with its angles evaluated; nil when an angle has free parameters.
    let structure: GateStructure?
    /// Qubits the piece changes the value of (non-diagonal targets).
    let mixingMask: Int
    /// Whether the piece is diagonal for every parameter value.
    let isDiagonal: Bool

    var mask: Int { qubits.reduce(0) { $0 | (1 << $1) } }
}

/// X on `target` where the parity of the bits in `controls` is odd: the product of CX gates with
/// one target and those controls (a control that appears twice cancels). One kernel visits every
/// pair once, whatever the number of CX gates it replaces.
struct ParityFlip: Sendable, Equatable {
    let target: Int
    let controls: Int
}

/// A block of plan steps (or pieces of steps) applied as one kernel.
struct FusedBlock: Sendable {
    /// The pieces, in the order they are applied.
    let pieces: [StepPiece]
    /// Every qubit the block touches, ascending.
    let qubits: [Int]
    /// The classified product, for blocks without free parameters that are not one whole step.
    let product: FusedProduct?
    /// Qubits the block changes the value of: a cache-blocked pass must hold them.
    let mixingMask: Int
    /// Whether the block is diagonal for every parameter value.
    let isDiagonal: Bool
    /// The block's form (for blocks with free parameters: diagonal or dense, from the gates' kinds).
    let form: FusedProduct.Form
    /// The number of targets of the kernel (qubits minus leading controls).
    let targetCount: Int
    /// The estimated cost per amplitude.
    let cost: Double
    /// For a grouped CX run: its parity form (the block has no matrix).
    var parity: ParityFlip? = nil

    /// Whether the block is something other than one whole plan step.
    var isFused: Bool { pieces.count > 1 || pieces[0].gates != nil }
    /// The plan steps the block touches, in order.
    var steps: [Int] {
        var result: [Int] = []
        for piece in pieces where result.last != piece.step { result.append(piece.step) }
        return result
    }
}

/// The fuser's result for one run of steps.
struct FusionResult: Sendable {
    let blocks: [FusedBlock]
    /// Pieces whose product was the identity (within ``FusionMatrix/zeroTolerance``): dropped.
    let dropped: [StepPiece]
}

struct Fuser {
    /// The widest block.
    let maxQubits: Int
    /// The state's width (kernel call overhead weighs more on small states).
    let numQubits: Int
    /// Whether steps with free parameters may join multi-step blocks (their product is then
    /// rebuilt on every bind, so only states wide enough for that to be negligible fuse them).
    let fusesParameterised: Bool
    var costs = KernelCosts()
    /// How far back a gate looks for a block it can join, and how far ahead a block looks for one
    /// to merge into (in blocks).
    var window = 24

    /// The widest block whose product is kept as a dense matrix.
    static let widestProduct = 5

    private struct Group {
        var members: [Int]
        var mask: Int
        var mixingMask: Int
        var isDiagonal: Bool
        var isPermutation: Bool
        /// The product, when every member is numeric and the block is at most `widestProduct` wide.
        var matrix: FusionMatrix?
        /// Its form and masks (classified fully only for the blocks that are kept).
        var shape: ProductShape?
        var parameterised: Bool
        var cost: Double
        var alive = true

        var width: Int { mask.nonzeroBitCount }
    }

    /// Groups `inputs` (one run of unitary steps, in circuit order) into blocks.
    func fuse(_ inputs: [FusionInput]) -> FusionResult {
        var groups: [Group] = []
        groups.reserveCapacity(inputs.count)
        var latest = [Int](repeating: -1, count: max(numQubits, 1))
        func record(_ mask: Int, at index: Int) {
            var m = mask
            while m != 0 {
                let q = m.trailingZeroBitCount
                latest[q] = max(latest[q], index)
                m &= m - 1
            }
        }

        // Stage 1: runs on at most two qubits. One-qubit pieces wait on their qubit and go into
        // the next run that touches it (or a block of their own at the end); a two-qubit piece
        // continues the latest run on its qubits, passing blocks it commutes with, or starts one.
        let singles = inputs.indices.map { group(for: inputs[$0], index: $0) }
        var pending = [[Int]](repeating: [], count: max(numQubits, 1))
        func appendPending(on mask: Int) {
            for q in bits(mask) where !pending[q].isEmpty {
                groups.append(run(pending[q], singles))
                record(1 << q, at: groups.count - 1)
                pending[q] = []
            }
        }
        for (i, single) in singles.enumerated() {
            let width = single.width
            if width == 1, fusable(single) {
                pending[bits(single.mask)[0]].append(i)
                continue
            }
            guard width == 2, fusable(single) else {
                // Wider pieces and pieces that may not fuse: the waiting pieces first, alone.
                appendPending(on: single.mask)
                groups.append(single)
                record(single.mask, at: groups.count - 1)
                continue
            }
            let waiting = bits(single.mask).flatMap { pending[$0] }
            var target: Int?
            var j = groups.count - 1
            while j >= max(0, groups.count - window) {
                let g = groups[j]
                if !g.alive || g.mask & single.mask == 0 {
                    j -= 1
                    continue
                }
                if fusable(g), g.width <= 2, g.mask | single.mask == single.mask, g.members.count < Fuser.longestRun {
                    target = j
                    break
                }
                // Pass a block only when nothing waits (waiting pieces must follow it).
                if waiting.isEmpty, commute(g, single) {
                    j -= 1
                    continue
                }
                break
            }
            let members = waiting + [i]
            for q in bits(single.mask) { pending[q] = [] }
            if let target {
                // The run so far is the product of its members in order: extend it (the same
                // products, in the same order, as multiplying all members out again).
                groups[target] = members.reduce(groups[target]) { merge($0, singles[$1]) }
                record(single.mask, at: target)
            } else {
                groups.append(run(members, singles))
                record(single.mask, at: groups.count - 1)
            }
        }
        for q in pending.indices where !pending[q].isEmpty {
            groups.append(run(pending[q], singles))
            pending[q] = []
        }
        // Each run is cut into consecutive blocks of least total cost. A run whose whole product
        // is diagonal (or the identity) stays whole: one diagonal kernel on its two qubits costs
        // no more than any one kernel of a cut (its classification finds a control as the cut's
        // would), so the cut cannot win; transpiled controlled phases (u1·cx·u1·cx·u1) are such
        // runs, and skipping their cut saves most of the planning of a transpiled QFT.
        groups = groups.flatMap { group -> [Group] in
            guard group.alive, group.members.count > 1 else { return [group] }
            if let form = group.shape?.form, form == .diagonal || form == .identity { return [group] }
            return segmented(group.members, singles)
        }

        // Stage 2: merge blocks forward into wider ones while that is cheaper.
        if maxQubits > 2 {
            for i in groups.indices where groups[i].alive && fusable(groups[i]) {
                var j = i + 1
                let last = min(groups.count, i + 1 + window)
                while j < last {
                    let b = groups[i], c = groups[j]
                    if !c.alive || c.mask & b.mask == 0 {
                        j += 1
                        continue
                    }
                    if fusable(c), (b.mask | c.mask).nonzeroBitCount <= maxQubits {
                        if let merged = cheaperMerge(b, c) {
                            groups[j] = merged
                            groups[i].alive = false
                            break
                        }
                        if let (merged, absorbed) = cheaperClosure(b, c, at: j, in: groups) {
                            groups[j] = merged
                            groups[i].alive = false
                            for k in absorbed { groups[k].alive = false }
                            break
                        }
                    }
                    if commute(b, c) {
                        j += 1
                        continue
                    }
                    break
                }
            }
        }

        var blocks: [FusedBlock] = []
        var dropped: [StepPiece] = []
        for g in groups where g.alive {
            let pieces = g.members.flatMap { [inputs[$0].piece] + inputs[$0].extraPieces }
            let wholeStep = pieces.count == 1 && pieces[0].gates == nil
            // Kept blocks are classified fully (a piece of a run alone too: the step's structure is
            // the whole run's).
            let product = wholeStep ? nil : g.matrix?.classified()
            if let product, product.form == .identity {
                dropped += pieces
                continue
            }
            let form: FusedProduct.Form = product?.form ?? (g.isDiagonal ? .diagonal : g.isPermutation ? .permutation : .dense)
            blocks.append(FusedBlock(
                pieces: pieces, qubits: bits(g.mask), product: product, mixingMask: product?.mixingMask ?? g.mixingMask,
                isDiagonal: g.isDiagonal, form: form, targetCount: product.map(\.numTargets) ?? g.width, cost: g.cost,
                parity: g.members.count == 1 ? inputs[g.members[0]].parity : nil))
        }
        return FusionResult(blocks: blocks, dropped: dropped)
    }

    // MARK: - Groups

    /// The most pieces a run may hold (its cut is quadratic in its length).
    static let longestRun = 48

    /// Members as one group, multiplied out in order.
    private func run(_ members: [Int], _ singles: [Group]) -> Group {
        var group = singles[members[0]]
        for m in members.dropFirst() { group = merge(group, singles[m]) }
        return group
    }

    /// A run cut into consecutive blocks of least total cost (dynamic programming over cut
    /// points; each candidate block's product is multiplied out and classified). Only the costs
    /// are kept while the program runs; the blocks chosen are multiplied out again at the end.
    ///
    /// A block may start at most ``longestRun`` members before its end, except that the best
    /// block ending at the previous member may always grow by one more member: so a long chain of
    /// one-qubit gates on few qubits (randomized benchmarking writes tens of thousands) can still
    /// become one block, and the cut costs O(m · longestRun) products instead of O(m²). Runs of at
    /// most ``longestRun`` members are cut exactly as by the unbounded program.
    private func segmented(_ members: [Int], _ singles: [Group]) -> [Group] {
        let m = members.count
        var best = [Double](repeating: .infinity, count: m + 1)
        var cut = [Int](repeating: 0, count: m + 1)
        best[0] = 0
        let numeric = members.allSatisfy { singles[$0].matrix != nil }
        // The product of the block chosen so far for each end (a matrix, or a group without
        // members when some member is not numeric), for growing it by one member.
        var chosenMatrix = [FusionMatrix?](repeating: nil, count: m + 1)
        var chosenGroup = [Group?](repeating: nil, count: m + 1)
        func single(_ k: Int) -> Group {
            var g = singles[members[k]]
            g.members = []
            return g
        }
        for start in 0..<m {
            // The block that ends at `start` grows by member `start` when it began before the
            // window of the block ending at start + 1 (inside it, the loop below tries it anyway).
            if start > 0, cut[start] < start + 1 - Fuser.longestRun, best[cut[start]].isFinite {
                var grownMatrix: FusionMatrix?
                var grownGroup: Group?
                let cost: Double
                if let product = chosenMatrix[start], let factor = single(start).matrix {
                    let extended = FusionMatrix.product(factor, product)
                    grownMatrix = extended
                    cost = self.cost(of: extended.shape())
                } else if let g = chosenGroup[start] {
                    let merged = merge(g, single(start))
                    grownGroup = merged
                    cost = merged.cost
                } else {
                    cost = .infinity
                }
                if best[cut[start]] + cost < best[start + 1] - 1e-12 {
                    best[start + 1] = best[cut[start]] + cost
                    cut[start + 1] = cut[start]
                    chosenMatrix[start + 1] = grownMatrix
                    chosenGroup[start + 1] = grownGroup
                }
            }
            // The product of members start..<end so far: a matrix when every member is numeric,
            // else the group (its cost estimated from the gates' kinds).
            var matrix = numeric ? single(start).matrix : nil
            var group = numeric ? nil : Optional(single(start))
            for end in (start + 1)...min(m, start + Fuser.longestRun) {
                var cost = singles[members[start]].cost
                if end > start + 1 {
                    let next = single(end - 1)
                    if let product = matrix, let factor = next.matrix {
                        let extended = FusionMatrix.product(factor, product)
                        matrix = extended
                        cost = self.cost(of: extended.shape())
                    } else if let g = group {
                        let merged = merge(g, next)
                        group = merged
                        cost = merged.cost
                    }
                }
                let total = best[start] + cost
                if total < best[end] - 1e-12 {
                    best[end] = total
                    cut[end] = start
                    chosenMatrix[end] = matrix
                    chosenGroup[end] = group
                }
            }
        }
        var result: [Group] = []
        var end = m
        while end > 0 {
            let start = cut[end]
            result.append(run(Array(members[start..<end]), singles))
            end = start
        }
        return result.reversed()
    }

    private func bits(_ mask: Int) -> [Int] { setBitPositions(mask) }

    private func fusable(_ g: Group) -> Bool {
        (fusesParameterised || !g.parameterised) && (g.parameterised || g.matrix != nil)
    }

    /// Two blocks commute when on every qubit they share both leave the qubit's value alone
    /// (each is block-diagonal in it): then each is Σ_x |x⟩⟨x| ⊗ U_x over the shared bits x, with
    /// the U_x of the two acting on disjoint qubits.
    private func commute(_ a: Group, _ b: Group) -> Bool {
        let shared = a.mask & b.mask
        return (a.mixingMask | b.mixingMask) & shared == 0
    }

    /// A group of one step.
    private func group(for input: FusionInput, index: Int) -> Group {
        let mask = input.mask
        if input.parity != nil {
            // A grouped CX run: no matrix (it may be wide), never fused further.
            return Group(members: [index], mask: mask, mixingMask: input.mixingMask, isDiagonal: false, isPermutation: true,
                         matrix: nil, shape: nil, parameterised: false,
                         cost: costs.cost(form: .permutation, targets: 1, controls: 0, exchange: true, phases: false,
                                          width: numQubits))
        }
        guard let structure = input.structure else {
            return Group(members: [index], mask: mask, mixingMask: input.mixingMask, isDiagonal: input.isDiagonal,
                         isPermutation: false, matrix: nil, shape: nil, parameterised: true,
                         cost: estimate(form: input.isDiagonal ? .diagonal : .dense, mask: mask, mixing: input.mixingMask))
        }
        let target = structure.target
        let isPermutation = !target.isDiagonal && target.isPermutationWithPhases
        let form: FusedProduct.Form = target.isDiagonal ? .diagonal : isPermutation ? .permutation : .dense
        let exchange = target == GateDefinitions.pauliX || target == GateDefinitions.swapMatrix
        let phases = isPermutation && !target.entries.allSatisfy { $0 == .zero || $0 == .one }
        let cost = costs.cost(form: form, targets: structure.numTargets, controls: structure.numControls,
                              real: target.entries.allSatisfy { $0.imaginary == 0 }, exchange: exchange, phases: phases,
                              width: numQubits)
        let matrix = input.qubits.count <= Fuser.widestProduct ? FusionMatrix(structure: structure, on: input.qubits) : nil
        return Group(members: [index], mask: mask, mixingMask: input.mixingMask, isDiagonal: target.isDiagonal,
                     isPermutation: isPermutation || target.isDiagonal, matrix: matrix, shape: nil,
                     parameterised: false, cost: cost)
    }

    /// A cost estimate from a form alone (blocks with free parameters): dense on the mixing qubits.
    private func estimate(form: FusedProduct.Form, mask: Int, mixing: Int) -> Double {
        let targets = form == .dense ? max(mixing.nonzeroBitCount, 1) : max(mask.nonzeroBitCount, 1)
        return costs.cost(form: form, targets: targets, controls: 0, width: numQubits)
    }

    /// The cost of a product from its shape (a dense one split on the target bits it does not mix,
    /// as the kernel splits it — see ``KernelCall/multiplexedBits(_:targets:)`` — costs the dense
    /// kernel on the bits it mixes).
    private func cost(of shape: ProductShape) -> Double {
        var targets = shape.targetCount
        if shape.form == .dense {
            let held = shape.qubitMask & ~shape.controlMask & ~shape.mixingMask
            if held != 0, held.nonzeroBitCount <= 3, held.nonzeroBitCount < targets, held & 0b11 == 0 {
                targets -= held.nonzeroBitCount
            }
        }
        return costs.cost(form: shape.form, targets: targets, controls: shape.controlMask.nonzeroBitCount,
                          real: shape.isReal, exchange: shape.isExchange, phases: shape.hasPhases, width: numQubits)
    }

    /// `a` then `b` as one group (their product multiplied out and classified when numeric).
    private func merge(_ a: Group, _ b: Group) -> Group {
        let mask = a.mask | b.mask
        if let x = a.matrix, let y = b.matrix, mask.nonzeroBitCount <= Fuser.widestProduct {
            let matrix = FusionMatrix.product(y, x)
            let shape = matrix.shape()
            return Group(members: a.members + b.members, mask: mask, mixingMask: shape.mixingMask,
                         isDiagonal: shape.form == .diagonal || shape.form == .identity,
                         isPermutation: shape.form != .dense, matrix: matrix, shape: shape, parameterised: false,
                         cost: cost(of: shape))
        }
        let diagonal = a.isDiagonal && b.isDiagonal
        let mixing = a.mixingMask | b.mixingMask
        return Group(members: a.members + b.members, mask: mask, mixingMask: mixing, isDiagonal: diagonal,
                     isPermutation: false, matrix: nil, shape: nil, parameterised: true,
                     cost: estimate(form: diagonal ? .diagonal : .dense, mask: mask, mixing: mixing))
    }

    /// `a` then `b` (at `index`) merged together with the blocks after `b` that lie on their qubits,
    /// when that costs less than all of them apart: a wider kernel often pays only once it takes
    /// in the blocks that follow on its qubits (a 5-qubit kernel costs about as much as 20
    /// one-qubit gates, and no single neighbour brings that many). A later block is taken in when
    /// all its qubits are the union's and no block left in between touches them: it then moves
    /// back past blocks on other qubits only (which commute with it). A block left in between
    /// (one that has qubits outside the union, or may not fuse) closes its qubits of the union to
    /// later blocks. Returns the merged group and the indices of the blocks it took in.
    private func cheaperClosure(_ a: Group, _ b: Group, at index: Int, in groups: [Group]) -> (Group, [Int])? {
        let mask = a.mask | b.mask
        var absorbed: [Int] = []
        var apart = a.cost + b.cost
        var closed = 0
        var k = index + 1
        let last = min(groups.count, index + 1 + window)
        while k < last, closed != mask {
            let g = groups[k]
            k += 1
            guard g.alive, g.mask & mask != 0 else { continue }
            if g.mask & ~mask == 0, g.mask & closed == 0, fusable(g) {
                absorbed.append(k - 1)
                apart += g.cost
            } else {
                closed |= g.mask & mask
            }
        }
        guard !absorbed.isEmpty else { return nil }
        // The widest form first (a product may still turn out diagonal or a permutation, never costlier).
        let estimate = costs.cost(form: .dense, targets: mask.nonzeroBitCount, controls: 0, width: numQubits)
        guard estimate <= apart + 1e-12 else { return nil }
        var merged = merge(a, b)
        for k in absorbed { merged = merge(merged, groups[k]) }
        return merged.cost <= apart + 1e-12 ? (merged, absorbed) : nil
    }

    /// `a` then `b` merged, when that costs less than the two apart (estimated from the forms
    /// first; the product is multiplied out only when the estimate allows a gain).
    private func cheaperMerge(_ a: Group, _ b: Group) -> Group? {
        if let x = a.matrix, let y = b.matrix, x.isSparse, y.isSparse {
            // Permutations and diagonals multiply in O(2^k): no estimate needed.
            let merged = merge(a, b)
            return merged.cost <= a.cost + b.cost + 1e-12 ? merged : nil
        }
        let mask = a.mask | b.mask
        let estimatedForm: FusedProduct.Form = a.isDiagonal && b.isDiagonal ? .diagonal
            : a.isPermutation && b.isPermutation ? .permutation : .dense
        let mixing = a.mixingMask | b.mixingMask
        let targets = estimatedForm == .dense ? mixing.nonzeroBitCount : mask.nonzeroBitCount
        let estimate = costs.cost(form: estimatedForm, targets: max(targets, 1), controls: 0, width: numQubits)
        guard estimate <= a.cost + b.cost + 1e-12 else { return nil }
        let merged = merge(a, b)
        return merged.cost <= a.cost + b.cost + 1e-12 ? merged : nil
    }
}
