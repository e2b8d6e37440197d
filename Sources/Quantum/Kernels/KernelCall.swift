/// A kernel with its numbers and its geometry, ready to run on a state — or on a cache block —
/// of `numQubits` qubits. This is the one place that picks a range loop for a gate and splits
/// its free indices over threads.
struct KernelCall<Real: StateScalar>: Sendable {
    enum Operation: Sendable {
        /// A 2 × 2 matrix on targets[0].
        case dense1(Matrix2<Real>)
        /// A real 2 × 2 matrix on targets[0].
        case dense1Real(Matrix2<Real>)
        /// A 4 × 4 matrix (32 Reals) on targets[0], targets[1].
        case dense2([Real])
        /// A 2^k × 2^k matrix and the amplitude offset of each matrix index.
        case denseK(matrix: [Real], offsets: [Int])
        /// 2^k complex factors (interleaved) selected by the target bits.
        case diagonal([Real])
        /// X on targets[0].
        case flip
        /// SWAP of targets[0] and targets[1].
        case swap
        /// A permutation with phases on the targets: matrix row r takes column `sources[r]`
        /// times `phases[r]` (interleaved; nil when every phase is 1); `offsets[r]` is the
        /// amplitude offset of matrix index r; `moving` lists the rows that change.
        case permutation(sources: [Int], phases: [Real]?, offsets: [Int], moving: [Int])
        /// A block-diagonal matrix run as one smaller kernel per value of the target bits it does
        /// not mix (each such kernel holds those bits fixed, as controls hold theirs).
        case multiplexed([KernelCall<Real>])
        /// X on targets[0] where the parity of the bits in `mask` is odd (even when `invert`): a run
        /// of CX gates with one target, however many controls.
        case parityFlip(mask: Int, invert: Bool)
        /// Two or three X-symmetric one-qubit gates on the targets (ascending), as
        /// Hu^⊗k · diag(factors) · Hu^⊗k with 2^k complex factors (interleaved): see `SymmetricLayer`.
        case symmetricLayer([Real])
    }

    let operation: Operation
    let targets: [Int]
    let controlMask: Int
    /// Ascending bit positions that free indices skip.
    let positions: [Int]
    /// The number of free indices.
    let freeCount: Int
    /// Consecutive free indices map to consecutive amplitudes for this many steps.
    let runLength: Int
    /// Qubit-0 uncontrolled one-target kernels use a pair index space instead (see the *Adjacent loops).
    let adjacent: Bool

    /// - Parameter heldMask: bits, besides the controls and targets, that free indices skip (held
    ///   at the value `controlMask` gives them: the selecting bits of a multiplexed kernel's parts).
    init(_ operation: Operation, targets: [Int], controlMask: Int, numQubits: Int, heldMask: Int = 0) {
        var operation = operation
        var targets = targets
        if case .diagonal(let factors) = operation, targets.count > 1, targets != targets.sorted() {
            // Targets ascending (the wide loop wants them so): factor index j of the sorted order
            // is old index Σ_t bit_t(j) · 2^order[t].
            let order = targets.indices.sorted { targets[$0] < targets[$1] }
            var sortedFactors = factors
            for j in 0..<(1 << targets.count) {
                let old = order.enumerated().reduce(0) { j & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 }
                sortedFactors[2 * j] = factors[2 * old]
                sortedFactors[2 * j + 1] = factors[2 * old + 1]
            }
            operation = .diagonal(sortedFactors)
            targets = order.map { targets[$0] }
        }
        self.operation = operation
        self.targets = targets
        self.controlMask = controlMask
        let isDiagonal: Bool
        if case .diagonal = operation { isDiagonal = true } else { isDiagonal = false }
        let targetMask = targets.reduce(0) { $0 | (1 << $1) }
        let fixedMask = (isDiagonal ? controlMask : controlMask | targetMask) | heldMask
        positions = setBitPositions(fixedMask)
        adjacent = controlMask == 0 && heldMask == 0 && targets == [0] && {
            switch operation {
            case .dense1, .dense1Real, .diagonal, .flip: true
            default: false
            }
        }()
        if adjacent {
            freeCount = (1 << numQubits) >> 1
            runLength = freeCount
        } else {
            freeCount = (1 << numQubits) >> positions.count
            runLength = positions.first.map { 1 << $0 } ?? freeCount
        }
    }

    /// The kernel for a gate's structure applied to `qubits` (controls first, as the gate's
    /// arguments): diagonal, permutation or dense, by the matrix.
    /// - Parameters:
    ///   - selected: bits held at 1 besides the controls, and `held`: bits held at the value
    ///     `selected` gives them (the parts of a multiplexed kernel; none for a whole gate).
    init(structure: GateStructure, qubits: [Int], numQubits: Int, selected: Int = 0, held: Int = 0) {
        let controls = qubits.prefix(structure.numControls)
        var targets = Array(qubits.dropFirst(structure.numControls))
        var mask = controls.reduce(0) { $0 | (1 << $1) } | selected
        let m = structure.target
        let operation: Operation
        if m.isDiagonal, targets.count == 1, mask != 0, held == 0, selected == 0, let lowest = controls.min(), lowest < targets[0],
           m.diagonalEntries[0] == .one
        {
            // diag(1, d) controlled by c is symmetric in c and the target: make the lowest qubit the
            // target so free-index runs (2^lowest control) are long.
            mask = (mask & ~(1 << lowest)) | (1 << targets[0])
            targets = [lowest]
            operation = .diagonal([1, 0, Real(m.diagonalEntries[1].real), Real(m.diagonalEntries[1].imaginary)])
        } else if m.isDiagonal {
            operation = .diagonal(m.diagonalEntries.flatMap { [Real($0.real), Real($0.imaginary)] })
        } else if targets.count == 1, m == GateDefinitions.pauliX {
            operation = .flip
        } else if targets.count == 2, m == GateDefinitions.swapMatrix {
            operation = .swap
        } else if let (sources, phases) = KernelCall.permutation(m) {
            let offsets = (0..<m.dimension).map { r in
                targets.enumerated().reduce(0) { r & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 }
            }
            let moving = (0..<m.dimension).filter { r in
                sources[r] != r || (phases.map { $0[2 * r] != 1 || $0[2 * r + 1] != 0 } ?? false)
            }
            operation = .permutation(sources: sources, phases: phases, offsets: offsets, moving: moving)
        } else if let parts = KernelCall.multiplexedParts(m, targets: targets, controlMask: mask, held: held, numQubits: numQubits) {
            operation = .multiplexed(parts)
        } else if targets.count == 1 {
            operation = m.entries.allSatisfy({ $0.imaginary == 0 }) ? .dense1Real(Matrix2(m)) : .dense1(Matrix2(m))
        } else {
            // Targets ascending (the wide loops want qubit 0, when it is a target, first): matrix
            // index r of the sorted order is old index Σ_j bit_j(r) · 2^order[j].
            let order = targets.indices.sorted { targets[$0] < targets[$1] }
            let sorted = order.map { targets[$0] }
            let d = m.dimension
            let old = (0..<d).map { r in order.enumerated().reduce(0) { r & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 } }
            var interleaved = [Real](repeating: 0, count: 2 * d * d)
            for r in 0..<d {
                for c in 0..<d {
                    let value = m[old[r], old[c]]
                    interleaved[2 * (r * d + c)] = Real(value.real)
                    interleaved[2 * (r * d + c) + 1] = Real(value.imaginary)
                }
            }
            let offsets = (0..<d).map { r in
                sorted.enumerated().reduce(0) { r & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 }
            }
            targets = sorted
            operation = .denseK(matrix: interleaved, offsets: offsets)
        }
        self.init(operation, targets: targets, controlMask: mask, numQubits: numQubits, heldMask: held)
    }

    /// The target bits a dense matrix does not mix (it is block-diagonal in them), when splitting
    /// on them is worth it: at most 3 of them, none below qubit 2 (so the parts keep runs of
    /// vectors), and some target mixed. Shared with the fuser's cost model.
    static func multiplexedBits(_ m: SmallMatrix, targets: [Int]) -> [Int]? {
        guard targets.count >= 2 else { return nil }
        let d = m.dimension
        var mixing = 0
        for r in 0..<d {
            for c in 0..<d where r != c && m.entries[r * d + c] != .zero { mixing |= r ^ c }
        }
        let held = targets.indices.filter { mixing & (1 << $0) == 0 }
        guard !held.isEmpty, held.count <= 3, held.count < targets.count, held.allSatisfy({ targets[$0] >= 2 }) else {
            return nil
        }
        return held
    }

    /// A dense matrix's parts, one per value of the target bits it does not mix (see
    /// ``multiplexedBits(_:targets:)``); nil when it is not worth splitting.
    static func multiplexedParts(_ m: SmallMatrix, targets: [Int], controlMask: Int, held outer: Int,
                                 numQubits: Int) -> [KernelCall<Real>]?
    {
        guard !m.isDiagonal, let held = multiplexedBits(m, targets: targets) else { return nil }
        let kept = targets.indices.filter { !held.contains($0) }
        let heldMask = held.reduce(0) { $0 | (1 << targets[$1]) }
        let sub = 1 << kept.count
        var parts: [KernelCall<Real>] = []
        for variant in 0..<(1 << held.count) {
            var base = 0, bits = 0
            for (j, t) in held.enumerated() where variant & (1 << j) != 0 {
                base |= 1 << t
                bits |= 1 << targets[t]
            }
            // Matrix index of sub-index s: the held bits of the variant, s's bits at the kept targets.
            let index = (0..<sub).map { s in kept.enumerated().reduce(base) { s & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 } }
            var entries = [Complex<Double>](repeating: .zero, count: sub * sub)
            for r in 0..<sub {
                for c in 0..<sub { entries[r * sub + c] = m[index[r], index[c]] }
            }
            if entries == SmallMatrix.identity(sub).entries { continue }
            let part = KernelCall(structure: GateStructure(numControls: 0, target: SmallMatrix(dimension: sub, entries: entries)),
                                  qubits: kept.map { targets[$0] }, numQubits: numQubits, selected: controlMask | bits,
                                  held: outer | heldMask)
            // A part that splits again is flattened (its parts hold every selecting bit).
            if case .multiplexed(let inner) = part.operation { parts += inner } else { parts.append(part) }
        }
        return parts
    }

    /// The source column and factor of each row of a matrix with exactly one nonzero entry in
    /// every row and every column (a permutation with phases, others exactly 0); nil for any
    /// other matrix. Factors are nil when all are exactly 1.
    static func permutation(_ m: SmallMatrix) -> (sources: [Int], phases: [Real]?)? {
        let d = m.dimension
        var sources = [Int](repeating: 0, count: d)
        var used = [Bool](repeating: false, count: d)
        var phases = [Real](repeating: 0, count: 2 * d)
        var allOne = true
        for r in 0..<d {
            var column = -1
            for c in 0..<d where m[r, c] != .zero {
                if column >= 0 { return nil }
                column = c
            }
            guard column >= 0, !used[column] else { return nil }
            used[column] = true
            let c = column
            sources[r] = c
            let value = m[r, c]
            phases[2 * r] = Real(value.real)
            phases[2 * r + 1] = Real(value.imaginary)
            if value != .one { allOne = false }
        }
        return (sources, allOne ? nil : phases)
    }

    /// Runs free indices start..<end (a multiplexed kernel runs each part whole: it is only run
    /// whole, on a cache block).
    func run(_ p: UnsafeMutablePointer<Real>, start: Int, end: Int) {
        positions.withUnsafeBufferPointer { positions in
            switch operation {
            case .dense1(let m):
                if adjacent {
                    dense1AdjacentRange(p, matrix: m, start: start, end: end)
                } else {
                    dense1Range(p, target: targets[0], controlMask: controlMask, positions: positions, runLength: runLength,
                                matrix: m, start: start, end: end)
                }
            case .dense1Real(let m):
                if adjacent {
                    dense1RealAdjacentRange(p, matrix: m, start: start, end: end)
                } else {
                    dense1RealRange(p, target: targets[0], controlMask: controlMask, positions: positions,
                                    runLength: runLength, matrix: m, start: start, end: end)
                }
            case .dense2(let m):
                m.withUnsafeBufferPointer { m in
                    dense2Range(p, target0: targets[0], target1: targets[1], controlMask: controlMask, positions: positions,
                                runLength: runLength, matrix: m, start: start, end: end)
                }
            case .denseK(let m, let offsets):
                m.withUnsafeBufferPointer { m in
                    offsets.withUnsafeBufferPointer { offsets in
                        denseKRange(p, offsets: offsets, controlMask: controlMask, positions: positions, runLength: runLength,
                                    matrix: m, start: start, end: end)
                    }
                }
            case .diagonal(let factors):
                factors.withUnsafeBufferPointer { f in
                    if adjacent {
                        diagonalAdjacentRange(p, factors: f, start: start, end: end)
                    } else {
                        targets.withUnsafeBufferPointer { targets in
                            diagonalRange(p, targets: targets, controlMask: controlMask, positions: positions,
                                          runLength: runLength, factors: f, start: start, end: end)
                        }
                    }
                }
            case .flip:
                if adjacent {
                    flipAdjacentRange(p, start: start, end: end)
                } else if WideKernels.available, WideKernels.flip(p, target: targets[0], controlMask: controlMask,
                                                                  positions: positions, start: start, end: end)
                {
                    return
                } else if positions.first == 0 {
                    flipLowRange(p, target: targets[0], controlMask: controlMask, positions: positions, start: start, end: end)
                } else {
                    flipRange(p, target: targets[0], controlMask: controlMask, positions: positions, runLength: runLength,
                              start: start, end: end)
                }
            case .swap:
                swapRange(p, qubitA: targets[0], qubitB: targets[1], controlMask: controlMask, positions: positions,
                          runLength: runLength, start: start, end: end)
            case .multiplexed(let parts):
                for part in parts { part.run(p, start: 0, end: part.freeCount) }
            case .parityFlip(let mask, let invert):
                parityFlipRange(p, target: targets[0], parityMask: mask, invert: invert, start: start, end: end)
            case .symmetricLayer(let factors):
                targets.withUnsafeBufferPointer { targets in
                    factors.withUnsafeBufferPointer { factors in
                        symmetricLayerRange(p, targets: targets, factors: factors, start: start, end: end)
                    }
                }
            case .permutation(let sources, let phases, let offsets, let moving):
                sources.withUnsafeBufferPointer { sources in
                    offsets.withUnsafeBufferPointer { offsets in
                        moving.withUnsafeBufferPointer { moving in
                            if let phases {
                                phases.withUnsafeBufferPointer { phases in
                                    permutationRange(p, sources: sources, phases: phases, offsets: offsets, moving: moving,
                                                     controlMask: controlMask, positions: positions, runLength: runLength,
                                                     start: start, end: end)
                                }
                            } else {
                                permutationRange(p, sources: sources, phases: nil, offsets: offsets, moving: moving,
                                                 controlMask: controlMask, positions: positions, runLength: runLength,
                                                 start: start, end: end)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Runs every free index, split over `threads` contiguous ranges.
    func apply(to p: UnsafeMutablePointer<Real>, threads: Int) {
        if case .multiplexed(let parts) = operation {
            for part in parts { part.apply(to: p, threads: threads) }
            return
        }
        let state = SharedPointer(base: p)
        // Fewer free indices are worth a thread when each visits a larger group of amplitudes.
        let groupQubits: Int = switch operation {
        case .diagonal: 0
        default: targets.count
        }
        forEachRange(count: freeCount, threads: threads, alignment: min(runLength, 64),
                     grain: max(1, minimumIndicesPerThread >> groupQubits)) { start, end in
            run(state.base, start: start, end: end)
        }
    }
}
