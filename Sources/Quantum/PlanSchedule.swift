import ComplexModule
import Foundation
import Synchronization

// From plan steps to what runs: the fuser groups a run of unitary steps into blocks (Fusion/),
// the schedule groups blocks into cache-blocked passes, and binding turns each block into a
// kernel with numbers. Fusions and schedules depend on the circuit's structure only, so they are
// made once per compiled circuit and every binding re-uses them.

/// What a bound plan runs: a single kernel over the whole state, a cache-blocked pass, or the
/// initial product state that holds the leading one-qubit gates of a run from |0…0⟩.
enum Executable<Real: StateScalar>: Sendable {
    case kernel(KernelCall<Real>)
    case pass(BlockedPass<Real>)
    /// Overwrites every amplitude with ⊗_q (c0_q|0⟩ + c1_q|1⟩); the columns as
    /// ``ExecutionPlan/leadingColumns(lookup:as:)`` gives them.
    case productState(columns: [Real])

    func apply(to state: inout StateVector<Real>) {
        switch self {
        case .kernel(let call): call.apply(to: state.storage.pointer, threads: state.threads)
        case .pass(let pass): pass.apply(to: state.storage.pointer, numQubits: state.numQubits, threads: state.threads)
        case .productState(let columns):
            assert(columns.count == 4 * state.numQubits)
            columns.withUnsafeBufferPointer { c in
                guard let base = c.baseAddress else { return }
                writeProductState(state.storage.pointer, numQubits: state.numQubits, columns: base, threads: state.threads)
            }
        }
    }
}

/// How a range's fused blocks are grouped: single kernels, or passes over local qubits. Numbers
/// are indices into the range's ``FusionResult/blocks``.
enum ScheduleItem: Sendable, Equatable {
    case single(Int)
    case pass(blocks: [Int], localQubits: [Int])
}

/// The fusions and schedules of a plan's step ranges, made once per range (and block size, and
/// whether the leading steps are skipped); they depend on the circuit's structure only, never on
/// parameter values.
final class ScheduleCache: Sendable {
    private struct Key: Hashable {
        let lower: Int, upper: Int, blockQubits: Int, skipsLeading: Bool
    }
    private struct FusionKey: Hashable {
        let range: Range<Int>, skipsLeading: Bool
    }
    private let made = Mutex<[Key: [ScheduleItem]]>([:])
    private let fused = Mutex<[FusionKey: FusionResult]>([:])

    /// The schedule for `range` at `blockQubits`, made by `make` the first time only.
    func items(range: Range<Int>, blockQubits: Int, skipsLeading: Bool = false, make: () -> [ScheduleItem]) -> [ScheduleItem] {
        let key = Key(lower: range.lowerBound, upper: range.upperBound, blockQubits: blockQubits, skipsLeading: skipsLeading)
        if let known = made.withLock({ $0[key] }) { return known }
        let items = make()
        made.withLock { $0[key] = items }
        return items
    }

    /// The fusion of `range`, made by `make` the first time only.
    func fusion(range: Range<Int>, skipsLeading: Bool = false, make: () -> FusionResult) -> FusionResult {
        let key = FusionKey(range: range, skipsLeading: skipsLeading)
        if let known = fused.withLock({ $0[key] }) { return known }
        let result = make()
        fused.withLock { $0[key] = result }
        return result
    }

    /// How many schedules have been made (for tests).
    var count: Int { made.withLock { $0.count } }
}

extension ExecutionPlan {
    // MARK: - Steps as the fuser sees them

    /// Kinds whose matrix is diagonal for every angle.
    static func isDiagonalKind(_ kind: GateKind) -> Bool {
        switch kind {
        case .id, .z, .s, .sdg, .t, .tdg, .rz, .p, .u1, .cz, .cs, .csdg, .cp, .cu1, .crz, .rzz, .mcz, .mcp: true
        default: false
        }
    }

    /// The qubits a step changes the value of: the targets its matrix mixes (none for a diagonal).
    /// From the matrix for steps without free parameters, from the gate's kind otherwise.
    func mixingQubits(of index: Int) -> [Int] {
        guard case .gates(let block) = steps[index].action else { return [] }
        let qubits: [Int] = switch block {
        case .gate(_, let q): q
        case .fused(let q, _): [q]
        }
        if let structure = fixedStructures[index] {
            let target = structure.target
            let d = target.dimension
            var local = 0
            for r in 0..<d {
                for c in 0..<d where r != c && target.entries[r * d + c] != .zero { local |= r ^ c }
            }
            let targets = qubits.dropFirst(structure.numControls)
            return targets.enumerated().filter { local & (1 << $0.offset) != 0 }.map(\.element)
        }
        switch block {
        case .gate(let gate, let qubits):
            if ExecutionPlan.isDiagonalKind(gate.kind) { return [] }
            let controls: Int = switch gate.kind {
            case .cx, .cy, .cz, .ch, .cs, .csdg, .csx, .cp, .cu1, .crx, .cry, .crz, .cu, .cu3, .cswap: 1
            case .ccx: 2
            case .c3sqrtx: 3
            case .mcx(let c), .mcz(let c), .mcp(let c): c
            default: 0
            }
            return Array(qubits.dropFirst(controls))
        case .fused(let q, let gates):
            return gates.allSatisfy({ ExecutionPlan.isDiagonalKind($0.kind) }) ? [] : [q]
        }
    }

    /// Whether a step's matrix is diagonal for every parameter value.
    func isDiagonalStep(_ index: Int) -> Bool {
        guard case .gates(let block) = steps[index].action else { return false }
        if let structure = fixedStructures[index] { return structure.target.isDiagonal }
        switch block {
        case .gate(let gate, _): return ExecutionPlan.isDiagonalKind(gate.kind)
        case .fused(_, let gates): return gates.allSatisfy { ExecutionPlan.isDiagonalKind($0.kind) }
        }
    }

    /// A step as a block of its own.
    func singleBlock(_ index: Int) -> FusedBlock {
        let qubits: [Int]
        if case .gates(let block) = steps[index].action {
            switch block {
            case .gate(_, let q): qubits = q
            case .fused(let q, _): qubits = [q]
            }
        } else {
            qubits = []
        }
        let mixing = mixingQubits(of: index).reduce(0) { $0 | (1 << $1) }
        let diagonal = isDiagonalStep(index)
        let structure = fixedStructures[index]
        let form: FusedProduct.Form = diagonal ? .diagonal
            : structure.map({ $0.target.isPermutationWithPhases }) == true ? .permutation : .dense
        return FusedBlock(pieces: [StepPiece(step: index, gates: nil)], qubits: qubits.sorted(), product: nil, mixingMask: mixing,
                          isDiagonal: diagonal, form: form, targetCount: qubits.count - (structure?.numControls ?? 0), cost: 0)
    }

    // MARK: - Fusion

    /// The fused blocks of a range of unitary steps (cached): the fuser runs on each stretch
    /// between barriers, with runs of one-qubit gates split into their gates (so that a phase at
    /// the end of a run can join the block before it). Without fusion, or with one-qubit fusion
    /// only, every step is a block. `skipsLeading`: the ``leadingSteps`` are left out (a run from
    /// |0…0⟩ writes them as the initial product state).
    func fusion(_ range: Range<Int>, skipsLeading: Bool = false) -> FusionResult {
        schedules.fusion(range: range, skipsLeading: skipsLeading) {
            let gateSteps = range.filter { index in
                if skipsLeading, isLeading[index] { return false }
                if case .gates = steps[index].action { return true }
                return false
            }
            // A barrier before a skipped step still ends a stretch: it moves to the next step fused.
            let barriers = !skipsLeading ? self.barriers
                : Set(self.barriers.compactMap { b in gateSteps.first { $0 >= b } })
            guard fusion, maxFusedQubits >= 2 else {
                return FusionResult(blocks: gateSteps.map(singleBlock), dropped: [])
            }
            let fuser = Fuser(maxQubits: maxFusedQubits, numQubits: numQubits,
                              fusesParameterised: fusesParameterised ?? (numQubits >= ExecutionPlan.parameterisedFusionQubits))
            var blocks: [FusedBlock] = []
            var dropped: [StepPiece] = []
            var stretch: [FusionInput] = []
            func flush() {
                guard !stretch.isEmpty else { return }
                let result = fuser.fuse(ExecutionPlan.groupingCXRuns(stretch, numQubits: numQubits))
                blocks += result.blocks
                dropped += result.dropped
                stretch = []
            }
            for index in gateSteps {
                if barriers.contains(index) { flush() }
                guard case .gates(let block) = steps[index].action else { continue }
                switch block {
                case .gate(_, let qubits):
                    stretch.append(FusionInput(piece: StepPiece(step: index, gates: nil), qubits: qubits,
                                               structure: fixedStructures[index],
                                               mixingMask: mixingQubits(of: index).reduce(0) { $0 | (1 << $1) },
                                               isDiagonal: isDiagonalStep(index)))
                case .fused(let q, let gates) where !fuser.fusesParameterised && gates.contains(where: { !$0.parameters.allSatisfy(\.isNumeric) }):
                    // A run with free parameters that may not join blocks stays one step (one
                    // kernel per bind, as without multi-qubit fusion).
                    stretch.append(FusionInput(piece: StepPiece(step: index, gates: nil), qubits: [q], structure: nil,
                                               mixingMask: mixingQubits(of: index).reduce(0) { $0 | (1 << $1) },
                                               isDiagonal: isDiagonalStep(index)))
                case .fused(let q, let gates):
                    for (g, gate) in gates.enumerated() {
                        let numeric = gate.parameters.allSatisfy(\.isNumeric)
                        let structure = numeric
                            ? (try? gate.numericParameters()).map { GateDefinitions.structure(of: gate, values: $0) } : nil
                        let diagonal = structure?.target.isDiagonal ?? ExecutionPlan.isDiagonalKind(gate.kind)
                        stretch.append(FusionInput(piece: StepPiece(step: index, gates: g..<(g + 1)), qubits: [q],
                                                   structure: structure, mixingMask: diagonal ? 0 : 1 << q,
                                                   isDiagonal: diagonal))
                    }
                }
            }
            flush()
            // A whole step alone keeps the step's own kernel.
            blocks = blocks.map { $0.isFused || $0.parity != nil ? $0 : singleBlock($0.pieces[0].step).withCost($0.cost) }
            return FusionResult(blocks: blocks, dropped: dropped)
        }
    }

    /// A piece's structure with its angles evaluated, and its qubits (controls first).
    func structure(of piece: StepPiece, lookup: (Parameter) -> Double?) throws -> (GateStructure, [Int]) {
        guard case .gates(let gates) = steps[piece.step].action else {
            throw QuantumError.invalidState("internal: not a gate step")
        }
        guard let range = piece.gates, case .fused(let q, let run) = gates else { return try bound(piece.step, gates, lookup) }
        let part = GateBlock.fused(qubit: q, gates: Array(run[range]))
        return (try ExecutionPlan.structure(of: part, lookup: lookup), [q])
    }

    /// Runs of CX gates with one target (3 or more) grouped into one ``ParityFlip`` input each,
    /// placed where the run's first CX is. A later CX(c, t) joins the open run on t when nothing
    /// has touched t since the run began and nothing since then has changed c (what lies between
    /// acts on c only diagonally, so it commutes with the CX). Runs of one or two CX stay as they
    /// are (a parity kernel visits every pair; a CX only its controlled half).
    static func groupingCXRuns(_ inputs: [FusionInput], numQubits: Int) -> [FusionInput] {
        func isCX(_ input: FusionInput) -> Bool {
            guard input.parity == nil, input.qubits.count == 2, let s = input.structure else { return false }
            return s.numControls == 1 && s.target == GateDefinitions.pauliX
        }
        // out: inputs in order, a run kept as the list of its CX inputs at the first one's place.
        var out: [[FusionInput]] = []
        var open: [Int: Int] = [:]  // target → index in `out` of its open run
        var lastTouch = [Int](repeating: -1, count: max(numQubits, 1))
        var lastMixing = [Int](repeating: -1, count: max(numQubits, 1))
        for input in inputs {
            if isCX(input) {
                let (c, t) = (input.qubits[0], input.qubits[1])
                if let at = open[t], lastTouch[t] == at, lastMixing[c] < at {
                    out[at].append(input)
                    lastTouch[c] = max(lastTouch[c], at)
                    continue
                }
                out.append([input])
                let at = out.count - 1
                open[t] = at
                lastTouch[c] = at
                lastTouch[t] = at
                lastMixing[t] = at
                continue
            }
            out.append([input])
            let at = out.count - 1
            for q in input.qubits {
                lastTouch[q] = at
                if open[q] != nil, open[q] != at { open[q] = nil }
            }
            for q in setBitPositions(input.mixingMask) { lastMixing[q] = at }
        }
        return out.flatMap { run -> [FusionInput] in
            guard run.count >= 3 else { return run }
            let target = run[0].qubits[1]
            let controls = run.reduce(0) { $0 ^ (1 << $1.qubits[0]) }
            var grouped = FusionInput(piece: run[0].piece, qubits: setBitPositions(controls) + [target], structure: nil,
                                      mixingMask: 1 << target, isDiagonal: false)
            grouped.extraPieces = run.dropFirst().map(\.piece)
            grouped.parity = ParityFlip(target: target, controls: controls)
            return [grouped]
        }
    }

    /// The narrowest state on which blocks with free parameters are fused: their product is
    /// rebuilt on every bind (a few thousand complex products for a 5-qubit block), which is
    /// negligible against applying gates to 2^14 amplitudes and more, and would not be on the
    /// small states that variational models bind thousands of times.
    static let parameterisedFusionQubits = 14

    /// A block's structure with its angles evaluated, and its qubits (controls first).
    func structure(of block: FusedBlock, lookup: (Parameter) -> Double?) throws -> (GateStructure, [Int]) {
        if let product = block.product { return (product.structure, product.qubits) }
        if !block.isFused { return try structure(of: block.pieces[0], lookup: lookup) }
        // Free parameters: multiply the pieces out now.
        var matrix = FusionMatrix(identityOn: block.qubits)
        for piece in block.pieces {
            let (structure, qubits) = try self.structure(of: piece, lookup: lookup)
            matrix.multiply(by: structure.fullMatrix(), on: qubits)
        }
        let d = matrix.dimension
        var entries = [Complex<Double>](repeating: .zero, count: d * d)
        for r in 0..<d {
            for c in 0..<d where !block.isDiagonal || r == c { entries[r * d + c] = matrix[r, c] }
        }
        return (GateStructure(numControls: 0, target: SmallMatrix(dimension: d, entries: entries)), block.qubits)
    }

    // MARK: - Cache blocking

    /// Groups a range's fused blocks into passes of `blockQubits` local qubits, the lowest
    /// `runQubits` always among them (so blocks are gathered in runs of 2^runQubits amplitudes).
    /// A pass is filled by scanning the blocks not yet scheduled, in order: a block joins while
    /// the pass's mixing qubits still fit, and a block that does not fit is left for a later pass —
    /// and so is every block after it that does not commute with it (they share a qubit that
    /// either mixes), so a later block joins only by moving back past blocks it commutes with.
    /// A pass of one block is a single kernel, and so is a block too wide for any pass. States of
    /// at most blockQubits + 1 qubits are not blocked.
    func schedule(_ range: Range<Int>, blockQubits: Int, runQubits: Int = 5, skipsLeading: Bool = false) -> [ScheduleItem] {
        let blocks = fusion(range, skipsLeading: skipsLeading).blocks
        guard fusion, numQubits > blockQubits + 1, blockQubits >= 2 else { return blocks.indices.map { .single($0) } }
        let run = min(runQubits, blockQubits - 1)
        let runMask = (1 << run) - 1
        let masks = blocks.map { $0.qubits.reduce(0) { $0 | (1 << $1) } }
        let everyQubit = numQubits >= Int.bitWidth - 1 ? ~0 : (1 << numQubits) - 1
        var items: [ScheduleItem] = []
        var remaining = Array(blocks.indices)
        while let first = remaining.first {
            if (blocks[first].mixingMask & ~runMask).nonzeroBitCount > blockQubits - run {
                items.append(.single(first))
                remaining.removeFirst()
                continue
            }
            var taken: [Int] = []
            var dense = 0
            // What the blocks left behind hold: every qubit, and the qubits they mix.
            var leftAll = 0, leftMixing = 0
            var left: [Int] = []
            left.reserveCapacity(remaining.count)
            for index in remaining {
                let mixing = blocks[index].mixingMask
                let free = leftMixing & masks[index] == 0 && leftAll & mixing == 0
                // The lowest `run` qubits are always local; the others must fit beside them.
                if free, ((dense | mixing) & ~runMask).nonzeroBitCount <= blockQubits - run {
                    dense |= mixing
                    taken.append(index)
                } else {
                    left.append(index)
                    leftAll |= masks[index]
                    leftMixing |= mixing
                }
                if leftMixing & everyQubit == everyQubit { break }
            }
            // The blocks after the scan's early end stay, in order.
            if taken.count + left.count < remaining.count {
                left += remaining[(taken.count + left.count)...]
            }
            remaining = left
            if taken.count == 1 {
                items.append(.single(taken[0]))
            } else {
                // Local qubits: the mixing qubits, then the lowest others (0, 1, … first).
                var local = dense | runMask
                var q = run
                while local.nonzeroBitCount < blockQubits {
                    local |= 1 << q
                    q += 1
                }
                items.append(.pass(blocks: taken, localQubits: setBitPositions(local)))
            }
        }
        return items
    }

    /// A block bound to numbers, as a gate of a pass over `localQubits`. Controls outside the
    /// local qubits become conditions on the cache block; targets outside them must be qubits the
    /// matrix does not mix, and each value of them selects a sub-matrix (a constant factor when no
    /// target is local).
    func blockGate<Real: StateScalar>(_ structure: GateStructure, qubits: [Int], localQubits: [Int]) -> BlockGate<Real> {
        var position: [Int: Int] = [:]
        for (local, q) in localQubits.enumerated() { position[q] = local }
        let L = localQubits.count
        let controls = qubits.prefix(structure.numControls)
        let targets = Array(qubits.dropFirst(structure.numControls))
        let localControls = controls.compactMap { position[$0] }
        let outsideControlMask = controls.filter { position[$0] == nil }.reduce(0) { $0 | (1 << $1) }
        let m = structure.target
        let outsideTargets = targets.enumerated().filter { position[$0.element] == nil }
        if outsideTargets.isEmpty {
            let call = KernelCall<Real>(structure: GateStructure(numControls: localControls.count, target: m),
                                        qubits: localControls + targets.compactMap { position[$0] }, numQubits: L)
            return BlockGate(outsideControlMask: outsideControlMask, outsideTargetBits: [], calls: [call], scalars: [(1, 0)])
        }
        // Targets outside S, which the matrix does not mix: each value of their bits selects the
        // sub-matrix on the local targets.
        let insideTargets = targets.enumerated().filter { position[$0.element] != nil }
        var calls: [KernelCall<Real>?] = []
        var scalars: [(Real, Real)] = []
        let subDimension = 1 << insideTargets.count
        for variant in 0..<(1 << outsideTargets.count) {
            var outsideBits = 0
            for (j, t) in outsideTargets.enumerated() where variant & (1 << j) != 0 { outsideBits |= 1 << t.offset }
            // Matrix index of sub-index s: the outside bits, and s's bits at the inside targets.
            let index = (0..<subDimension).map { s in
                insideTargets.enumerated().reduce(outsideBits) { s & (1 << $1.offset) != 0 ? $0 | (1 << $1.element.offset) : $0 }
            }
            if insideTargets.isEmpty {
                let d = m[outsideBits, outsideBits]
                let factor = (Real(d.real), Real(d.imaginary))
                if let first = localControls.first {
                    // The factor applies where the local controls are 1: a phase on one of them.
                    let rest = localControls.dropFirst().reduce(0) { $0 | (1 << $1) }
                    calls.append(KernelCall(.diagonal([1, 0, factor.0, factor.1]), targets: [first], controlMask: rest, numQubits: L))
                    scalars.append((1, 0))
                } else {
                    calls.append(nil)
                    scalars.append(factor)
                }
                continue
            }
            var entries = [Complex<Double>](repeating: .zero, count: subDimension * subDimension)
            for r in 0..<subDimension {
                for c in 0..<subDimension { entries[r * subDimension + c] = m[index[r], index[c]] }
            }
            let sub = GateStructure(numControls: localControls.count, target: SmallMatrix(dimension: subDimension, entries: entries))
            calls.append(KernelCall(structure: sub, qubits: localControls + insideTargets.compactMap { position[$0.element] },
                                    numQubits: L))
            scalars.append((1, 0))
        }
        return BlockGate(outsideControlMask: outsideControlMask, outsideTargetBits: outsideTargets.map(\.element),
                         calls: calls, scalars: scalars)
    }

    /// A pass's blocks with each diagonal block moved later, past the blocks that mix none of its
    /// qubits (it commutes with them), when that brings it next to the following diagonal block:
    /// consecutive diagonal blocks fold into one phase run (`PhaseRun`), whatever their number,
    /// and the blocks they leave behind may run as layers (`SymmetricLayer`). A diagonal block
    /// that cannot reach the next one stays where it is; nothing else moves.
    static func gatheringDiagonals(_ indices: [Int], blocks: [FusedBlock]) -> [Int] {
        var order = indices
        var i = order.count - 2
        while i >= 0 {
            let block = blocks[order[i]]
            if block.isDiagonal {
                let mask = block.qubits.reduce(0) { $0 | (1 << $1) }
                var j = i + 1
                while j < order.count, !blocks[order[j]].isDiagonal, blocks[order[j]].mixingMask & mask == 0 { j += 1 }
                if j > i + 1, j < order.count, blocks[order[j]].isDiagonal {
                    order.insert(order.remove(at: i), at: j - 1)
                }
            }
            i -= 1
        }
        return order
    }

    /// A pass's blocks bound to numbers, in order.
    func passItems(_ indices: [Int], blocks: [FusedBlock], lookup: (Parameter) -> Double?) throws -> [SymmetricLayer.PassItem] {
        try indices.map { index in
            let block = blocks[index]
            if let parity = block.parity { return .parity(controls: parity.controls, target: parity.target) }
            let (structure, qubits) = try self.structure(of: block, lookup: lookup)
            return block.isDiagonal && structure.target.isDiagonal ? .diagonal(structure, qubits) : .other(structure, qubits)
        }
    }

    /// The operations of a schedule's passes (nil for the blocks run alone): each pass's bound
    /// blocks with phases moved out of one-qubit gates where that lets them run as layer kernels
    /// (`SymmetricLayer.splittingPhases`), then folded and grouped by ``operations(from:localQubits:)``.
    func scheduleOperations<Real: StateScalar>(_ items: [ScheduleItem], blocks: [FusedBlock],
                                               lookup: (Parameter) -> Double?) throws -> [[BlockOperation<Real>]?]
    {
        let passes: [(items: [SymmetricLayer.PassItem], localQubits: [Int])?] = try items.map { item in
            guard case .pass(let indices, let local) = item else { return nil }
            return (try passItems(ExecutionPlan.gatheringDiagonals(indices, blocks: blocks), blocks: blocks, lookup: lookup), local)
        }
        return passes.map { pass in
            guard let pass else { return nil }
            let items = SymmetricLayer.splittingPhases(pass.items, localQubits: pass.localQubits, as: Real.self)
            return operations(from: items, localQubits: pass.localQubits)
        }
    }

    /// A pass's operations: each step, except that runs of two or more consecutive diagonal
    /// steps are folded into one `PhaseRun` where they fit its form, and runs of two or three
    /// X-symmetric one-qubit gates become one `SymmetricLayer` kernel.
    func operations<Real: StateScalar>(from items: [SymmetricLayer.PassItem], localQubits: [Int]) -> [BlockOperation<Real>] {
        var operations: [BlockOperation<Real>] = []
        var run: [(GateStructure, [Int])] = []
        func flush() {
            defer { run = [] }
            if run.count >= 2 {
                var terms: [(mask: Int, angle: Double)] = []
                for (structure, qubits) in run {
                    let controls = qubits.prefix(structure.numControls).reduce(0) { $0 | (1 << $1) }
                    terms += PhaseRun<Real>.terms(controls: controls, targets: Array(qubits.dropFirst(structure.numControls)),
                                                  factors: structure.target.diagonalEntries)
                }
                if let folded = PhaseRun<Real>(terms: terms, localQubits: localQubits) {
                    operations.append(.phases(folded))
                    return
                }
            }
            for (structure, qubits) in run { operations.append(.gate(blockGate(structure, qubits: qubits, localQubits: localQubits))) }
        }
        for item in items {
            switch item {
            case .parity(let controls, let parityTarget):
                // Controls outside the local qubits add a parity that is constant over a cache block.
                flush()
                var position: [Int: Int] = [:]
                for (local, q) in localQubits.enumerated() { position[q] = local }
                let inside = setBitPositions(controls).compactMap { position[$0] }.reduce(0) { $0 | (1 << $1) }
                let outside = setBitPositions(controls).filter { position[$0] == nil }.reduce(0) { $0 | (1 << $1) }
                let target = position[parityTarget] ?? 0
                let L = localQubits.count
                operations.append(.parity(outsideMask: outside,
                                          even: KernelCall(.parityFlip(mask: inside, invert: false), targets: [target], controlMask: 0,
                                                           numQubits: L),
                                          odd: KernelCall(.parityFlip(mask: inside, invert: true), targets: [target], controlMask: 0,
                                                          numQubits: L)))
            case .diagonal(let structure, let qubits):
                run.append((structure, qubits))
            case .other(let structure, let qubits):
                flush()
                operations.append(.gate(blockGate(structure, qubits: qubits, localQubits: localQubits)))
            }
        }
        flush()
        return SymmetricLayer.grouped(operations, blockQubits: localQubits.count)
    }

    /// The executables for a range of unitary steps with parameter values. `fromZero` (a range
    /// that starts at step 0): the first executable writes the initial product state with every
    /// leading step of the plan folded in, and the range's own leading steps are skipped.
    func program<Real: StateScalar>(_ range: Range<Int>, values: [Parameter: Double], blockQubits: Int,
                                    fromZero: Bool = false) throws -> [Executable<Real>]
    {
        let lookup: (Parameter) -> Double? = { values[$0] }
        let folds = fromZero && !leadingSteps.isEmpty
        assert(!folds || range.lowerBound == 0)
        let blocks = fusion(range, skipsLeading: folds).blocks
        let items = schedules.items(range: range, blockQubits: blockQubits, skipsLeading: folds) {
            schedule(range, blockQubits: blockQubits, skipsLeading: folds)
        }
        let initial: [Executable<Real>] = folds ? [.productState(columns: try leadingColumns(lookup: lookup, as: Real.self))] : []
        let passOperations: [[BlockOperation<Real>]?] = try scheduleOperations(items, blocks: blocks, lookup: lookup)
        return try initial + items.enumerated().map { position, item in
            switch item {
            case .single(let index):
                if let parity = blocks[index].parity {
                    return .kernel(KernelCall(.parityFlip(mask: parity.controls, invert: false), targets: [parity.target],
                                              controlMask: 0, numQubits: numQubits))
                }
                let (structure, qubits) = try self.structure(of: blocks[index], lookup: lookup)
                return .kernel(KernelCall(structure: structure, qubits: qubits, numQubits: numQubits))
            case .pass(_, let local):
                return .pass(BlockedPass(localQubits: local, numQubits: numQubits, operations: passOperations[position] ?? []))
            }
        }
    }

    /// Memory sweeps of the unitary steps: the schedule of each run of consecutive unitary steps,
    /// and the initial product state when leading gates are folded into it.
    func sweepSummary(blockQubits: Int) -> (passes: Int, sweeps: Int) {
        var passes = 0, sweeps = leadingSteps.isEmpty ? 0 : 1
        for range in unitaryRanges {
            for item in schedule(range, blockQubits: blockQubits, skipsLeading: !leadingSteps.isEmpty) {
                sweeps += 1
                if case .pass = item { passes += 1 }
            }
        }
        // Conditioned gates run alone, one sweep each.
        sweeps += steps.filter { step in
            if case .gates = step.action, step.condition != nil { true } else { false }
        }.count
        return (passes, sweeps)
    }

    /// The maximal runs of consecutive unitary steps.
    var unitaryRanges: [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for index in 0...steps.count where index == steps.count || !steps[index].isUnitary {
            if start < index { ranges.append(start..<index) }
            start = index + 1
        }
        return ranges
    }
}

extension ExecutionPlan {
    // MARK: - What the plan runs

    /// The kernel calls one run makes: the fused blocks of every unitary run, plus conditioned gates
    /// (the initial product state that holds folded leading gates is not counted as a kernel).
    var kernelCount: Int {
        unitaryRanges.reduce(0) { $0 + fusion($1, skipsLeading: !leadingSteps.isEmpty).blocks.count } + conditionedGateCount
    }

    private var conditionedGateCount: Int {
        steps.filter { step in if case .gates = step.action, step.condition != nil { true } else { false } }.count
    }

    /// The form, targets, controls and whether the entries are phases other than 1, of a block's
    /// kernel (for blocks with free parameters, from their gates' kinds).
    func kernelShape(of block: FusedBlock) -> (form: FusedProduct.Form, targets: Int, controls: Int, phases: Bool) {
        if block.parity != nil { return (.permutation, 1, 0, false) }
        if let product = block.product {
            let phases = !product.structure.target.entries.allSatisfy { $0 == .zero || $0 == .one }
            // A dense product that the kernel splits on the bits it does not mix (multiplexed)
            // does the work of the smaller kernel.
            var targets = product.numTargets
            if product.form == .dense,
               let held = KernelCall<Double>.multiplexedBits(product.structure.target,
                                                             targets: Array(product.qubits.dropFirst(product.numControls)))
            {
                targets -= held.count
            }
            return (product.form, targets, product.numControls, phases)
        }
        if block.isFused { return (block.isDiagonal ? .diagonal : .dense, block.qubits.count, 0, true) }
        let index = block.pieces[0].step
        if let structure = fixedStructures[index] {
            let m = structure.target
            let form: FusedProduct.Form = m.isDiagonal ? .diagonal : m.isPermutationWithPhases ? .permutation : .dense
            return (form, structure.numTargets, structure.numControls, !m.entries.allSatisfy { $0 == .zero || $0 == .one })
        }
        // Free parameters: the kind's shape, with its angles at 0.
        guard case .gates(let gates) = steps[index].action else { return (.dense, 1, 0, true) }
        switch gates {
        case .fused: return (block.isDiagonal ? .diagonal : .dense, 1, 0, true)
        case .gate(let gate, _):
            let shape = GateDefinitions.structure(of: gate, values: [Double](repeating: 0, count: gate.parameters.count))
            return (block.isDiagonal ? .diagonal : .dense, shape.numTargets, shape.numControls, true)
        }
    }

    /// One-qubit gates that `Real`'s passes run as layer kernels (`SymmetricLayer`), for a plan
    /// without free parameters (0 otherwise: the split depends on the bound values).
    func layeredGateCount<Real: StateScalar>(blockQubits: Int, as _: Real.Type) -> Int {
        guard parameters.isEmpty else { return 0 }
        var count = 0
        let skips = !leadingSteps.isEmpty
        for range in unitaryRanges {
            let blocks = fusion(range, skipsLeading: skips).blocks
            let items = schedule(range, blockQubits: blockQubits, skipsLeading: skips)
            guard let passes: [[BlockOperation<Real>]?] = try? scheduleOperations(items, blocks: blocks, lookup: { _ in nil })
            else { continue }
            for case .gate(let gate) in passes.compactMap({ $0 }).joined() {
                if let call = gate.calls.first ?? nil, case .symmetricLayer = call.operation { count += call.targets.count }
            }
        }
        return count
    }

    /// What fusion and cache blocking make of the plan at `blockQubits` local qubits, with the
    /// layer kernels of `precision`'s passes.
    func summary(blockQubits: Int, precision: Precision = .double) -> ExecutionSummary {
        var diagonal = 0, permutation = 0, fused = 0, dropped = 0
        var dense = [Int](repeating: 0, count: 6)
        var flops = 0.0
        let amplitudes = Double(1 << min(numQubits, 62))
        for range in unitaryRanges {
            let result = fusion(range, skipsLeading: !leadingSteps.isEmpty)
            dropped += result.dropped.count
            for block in result.blocks {
                let gates = block.pieces.reduce(0) { total, piece in
                    guard case .gates(let gates) = steps[piece.step].action else { return total }
                    return total + (piece.gates?.count ?? gates.gateCount)
                }
                if gates > 1 { fused += 1 }
                let (form, targets, controls, phases) = kernelShape(of: block)
                let visited = amplitudes / Double(1 << min(controls, 62))
                switch form {
                case .identity: break
                case .diagonal:
                    diagonal += 1
                    flops += 6 * visited
                case .permutation:
                    permutation += 1
                    if phases { flops += 6 * visited }
                case .dense:
                    if dense.count <= targets { dense += [Int](repeating: 0, count: targets + 1 - dense.count) }
                    dense[targets] += 1
                    flops += 8 * Double(1 << targets) * visited
                }
            }
        }
        let (passes, sweeps) = sweepSummary(blockQubits: blockQubits)
        // Gate counts exclude the dropped gates of fused one-qubit runs: count plan gates.
        let droppedGates = dropped == 0 ? 0 : unitaryRanges.flatMap { fusion($0, skipsLeading: !leadingSteps.isEmpty).dropped }
            .reduce(0) { total, piece in
            guard case .gates(let block) = steps[piece.step].action else { return total }
            return total + (piece.gates?.count ?? block.gateCount)
        }
        // The initial product state: one complex multiply per amplitude.
        if !leadingSteps.isEmpty { flops += 6 * amplitudes }
        return ExecutionSummary(gates: gateCount, kernels: kernelCount, fusedBlocks: fused, diagonalKernels: diagonal,
                                permutationKernels: permutation, denseKernelsByTargets: dense, droppedGates: droppedGates,
                                foldedGates: leadingGateCount,
                                maxFusedQubits: fusion ? maxFusedQubits : 0, passes: passes, sweeps: sweeps,
                                blockQubits: blockQubits, flops: flops,
                                layeredGates: precision == .double ? layeredGateCount(blockQubits: blockQubits, as: Double.self)
                                    : layeredGateCount(blockQubits: blockQubits, as: Float.self))
    }
}

extension FusedBlock {
    /// The same block with the fuser's cost estimate.
    func withCost(_ cost: Double) -> FusedBlock {
        FusedBlock(pieces: pieces, qubits: qubits, product: product, mixingMask: mixingMask, isDiagonal: isDiagonal,
                   form: form, targetCount: targetCount, cost: cost)
    }
}
