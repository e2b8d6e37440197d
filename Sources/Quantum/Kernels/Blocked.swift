import CQuantumKernels

// Cache-blocked passes: many gates applied in one sweep over memory.
//
// A pass names L "local" qubits S. The state splits into 2^(n−L) blocks of 2^L amplitudes, one
// per value of the bits outside S. Every gate of the pass acts within a block: its dense targets
// are in S; a control outside S is a condition on the block; a diagonal target outside S only
// selects which factors apply (a constant for the block). So each block is copied into a
// cache-sized scratch buffer (or, when S = {0…L−1}, used in place), all gates run on it with the
// ordinary range loops, and it is written back: one read and one write of memory for the whole
// pass instead of one per gate.

/// One gate of a pass, bound to numbers, in the block's local bit positions.
struct BlockGate<Real: StateScalar>: Sendable {
    /// Global bits that must all be 1 in the block for the gate to act.
    let outsideControlMask: Int
    /// Global bit positions of diagonal targets outside S, in matrix-index order.
    let outsideTargetBits: [Int]
    /// One local kernel per value of the outside target bits (one entry when there are none);
    /// nil where the gate reduces to a constant factor on the block.
    let calls: [KernelCall<Real>?]
    /// The constant factor (re, im) per value of the outside target bits, where `calls` is nil.
    let scalars: [(Real, Real)]
}

/// What a pass does to each block: one gate, a folded run of diagonal gates, or a run of CX gates
/// on one target (X where a parity is odd: the kernel `even` when the parity of the block's
/// outside bits `outsideMask` is even, `odd` otherwise).
enum BlockOperation<Real: StateScalar>: Sendable {
    case gate(BlockGate<Real>)
    case phases(PhaseRun<Real>)
    case parity(outsideMask: Int, even: KernelCall<Real>, odd: KernelCall<Real>)
}

/// A pass: local qubits, the gates, and the geometry of gathering a block.
struct BlockedPass<Real: StateScalar>: Sendable {
    /// The local qubits S (global positions, ascending).
    let localQubits: [Int]
    /// The global positions outside S, ascending.
    let outsidePositions: [Int]
    /// S = {0 … L−1}: blocks are contiguous and used in place.
    let contiguous: Bool
    /// S holds qubits 0 … runQubits−1: a block is made of runs of 2^runQubits amplitudes.
    let runQubits: Int
    /// The global offset of each run of a block, relative to the block's base index.
    let runOffsets: [Int]
    /// The same in bytes (base and offset bits are disjoint, so base | offset = base + offset).
    let runByteOffsets: [Int]
    let operations: [BlockOperation<Real>]

    var blockQubits: Int { localQubits.count }

    init(localQubits: [Int], numQubits: Int, operations: [BlockOperation<Real>]) {
        self.localQubits = localQubits
        let local = Set(localQubits)
        outsidePositions = (0..<numQubits).filter { !local.contains($0) }
        var r = 0
        while r < localQubits.count && localQubits[r] == r { r += 1 }
        runQubits = r
        contiguous = r == localQubits.count
        // Run u of a block: the bits of u (above the run) placed at localQubits[r…].
        let high = Array(localQubits.dropFirst(r))
        runOffsets = (0..<(1 << high.count)).map { u in
            high.enumerated().reduce(0) { u & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 }
        }
        runByteOffsets = runOffsets.map { 2 * $0 * MemoryLayout<Real>.size }
        self.operations = operations
    }

    /// Runs the pass over a state of `numQubits` qubits.
    /// Specialised for both types: `Simulator` reaches it from generic code (docs/architecture.md,
    /// "Exported specialisations").
    @_specialize(where Real == Double)
    @_specialize(where Real == Float)
    func apply(to amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, threads: Int) {
        let blockCount = 1 << (numQubits - blockQubits)
        let state = SharedPointer(base: amplitudes)
        let blockSize = 1 << blockQubits
        forEachRange(count: blockCount, threads: threads, grain: 1) { start, end in
            let scratch: UnsafeMutablePointer<Real>? = contiguous ? nil : .allocate(capacity: 2 * blockSize)
            // Tables of folded diagonal runs: B and G (2^8 complex each) and u (8 complex).
            let tables = UnsafeMutablePointer<Real>.allocate(capacity: 4 * 256 + 16)
            defer {
                scratch?.deallocate()
                tables.deallocate()
            }
            // Inserting zeros at the local positions places b's bits at the outside positions.
            localQubits.withUnsafeBufferPointer { localPositions in
                    for b in start..<end {
                        let base = insertZeroBits(b, localPositions)
                        let block = scratch ?? state.base + 2 &* base
                        if let scratch { gather(from: state.base, base: base, into: scratch) }
                        var scale: (Real, Real) = (1, 0)
                        for operation in operations {
                            let gate: BlockGate<Real>
                            switch operation {
                            case .phases(let run):
                                run.apply(to: block, base: base, scratch: tables)
                                continue
                            case .parity(let outsideMask, let even, let odd):
                                let call = (base & outsideMask).nonzeroBitCount & 1 == 0 ? even : odd
                                call.run(block, start: 0, end: call.freeCount)
                                continue
                            case .gate(let g): gate = g
                            }
                            guard base & gate.outsideControlMask == gate.outsideControlMask else { continue }
                            var variant = 0
                            for (m, bit) in gate.outsideTargetBits.enumerated() where base & (1 << bit) != 0 {
                                variant |= 1 << m
                            }
                            if let call = gate.calls[variant] {
                                call.run(block, start: 0, end: call.freeCount)
                            } else {
                                let (fr, fi) = gate.scalars[variant]
                                scale = (scale.0 * fr - scale.1 * fi, scale.0 * fi + scale.1 * fr)
                            }
                        }
                        if scale != (1, 0) { scaleRun(block, start: 0, count: blockSize, fr: scale.0, fi: scale.1) }
                        if let scratch { scatter(scratch, into: state.base, base: base) }
                    }
            }
        }
    }

    /// Copies the block's runs into `block` (whole-vector copies in the wide loop when runs are
    /// multiples of 64 bytes; runs are often only 256–512 bytes, where a library call per run costs).
    private func gather(from p: UnsafeMutablePointer<Real>, base: Int, into block: UnsafeMutablePointer<Real>) {
        let run = 1 << runQubits
        let runBytes = 2 &* run &* MemoryLayout<Real>.size
        if WideKernels.available, runBytes % 64 == 0 {
            runByteOffsets.withUnsafeBufferPointer { offsets in
                guard let offsetBase = offsets.baseAddress else { return }
                verdant_gather_avx2(UnsafeMutableRawPointer(block).assumingMemoryBound(to: CChar.self),
                                    UnsafeRawPointer(p + 2 &* base).assumingMemoryBound(to: CChar.self),
                                    offsetBase, offsets.count, runBytes)
            }
            return
        }
        for (u, offset) in runOffsets.enumerated() {
            (block + 2 &* (u &* run)).update(from: p + 2 &* (base | offset), count: 2 &* run)
        }
    }

    private func scatter(_ block: UnsafeMutablePointer<Real>, into p: UnsafeMutablePointer<Real>, base: Int) {
        let run = 1 << runQubits
        let runBytes = 2 &* run &* MemoryLayout<Real>.size
        if WideKernels.available, runBytes % 64 == 0 {
            runByteOffsets.withUnsafeBufferPointer { offsets in
                guard let offsetBase = offsets.baseAddress else { return }
                verdant_scatter_avx2(UnsafeRawPointer(block).assumingMemoryBound(to: CChar.self),
                                     UnsafeMutableRawPointer(p + 2 &* base).assumingMemoryBound(to: CChar.self),
                                     offsetBase, offsets.count, runBytes)
            }
            return
        }
        for (u, offset) in runOffsets.enumerated() {
            (p + 2 &* (base | offset)).update(from: block + 2 &* (u &* run), count: 2 &* run)
        }
    }
}
