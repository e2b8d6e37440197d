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

    init(_ operation: Operation, targets: [Int], controlMask: Int, numQubits: Int) {
        self.operation = operation
        self.targets = targets
        self.controlMask = controlMask
        let isDiagonal: Bool
        if case .diagonal = operation { isDiagonal = true } else { isDiagonal = false }
        let targetMask = targets.reduce(0) { $0 | (1 << $1) }
        let fixedMask = isDiagonal ? controlMask : controlMask | targetMask
        positions = setBitPositions(fixedMask)
        adjacent = controlMask == 0 && targets == [0] && {
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
    init(structure: GateStructure, qubits: [Int], numQubits: Int) {
        let controls = qubits.prefix(structure.numControls)
        var targets = Array(qubits.dropFirst(structure.numControls))
        var mask = controls.reduce(0) { $0 | (1 << $1) }
        let m = structure.target
        let operation: Operation
        if m.isDiagonal, targets.count == 1, mask != 0, let lowest = controls.min(), lowest < targets[0],
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
        } else {
            let interleaved = m.entries.flatMap { [Real($0.real), Real($0.imaginary)] }
            switch targets.count {
            case 1: operation = m.entries.allSatisfy({ $0.imaginary == 0 }) ? .dense1Real(Matrix2(m)) : .dense1(Matrix2(m))
            case 2: operation = .dense2(interleaved)
            default:
                let offsets = (0..<m.dimension).map { r in
                    targets.enumerated().reduce(0) { r & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 }
                }
                operation = .denseK(matrix: interleaved, offsets: offsets)
            }
        }
        self.init(operation, targets: targets, controlMask: mask, numQubits: numQubits)
    }

    /// Runs free indices start..<end.
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
                        denseKRange(p, offsets: offsets, controlMask: controlMask, positions: positions, matrix: m,
                                    start: start, end: end)
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
                } else if positions.first == 0 {
                    flipLowRange(p, target: targets[0], controlMask: controlMask, positions: positions, start: start, end: end)
                } else {
                    flipRange(p, target: targets[0], controlMask: controlMask, positions: positions, runLength: runLength,
                              start: start, end: end)
                }
            case .swap:
                swapRange(p, qubitA: targets[0], qubitB: targets[1], controlMask: controlMask, positions: positions,
                          runLength: runLength, start: start, end: end)
            }
        }
    }

    /// Runs every free index, split over `threads` contiguous ranges.
    func apply(to p: UnsafeMutablePointer<Real>, threads: Int) {
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
