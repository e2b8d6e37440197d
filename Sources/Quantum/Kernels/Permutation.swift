// Permutation kernels: amplitudes change places, no arithmetic (X, CX, CCX, multi-controlled X,
// SWAP, CSWAP). Argument order as in Dense.swift.

/// Exchanges the pair (i0, i0 + 2^target) in the controlled part: X on `target`.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func flipRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, controlMask: Int,
                                  positions: UnsafeBufferPointer<Int>, runLength: Int, start: Int, end: Int)
{
    let stride = 1 << target
    var k = start
    while k < end {
        let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
        var i0 = insertZeroBits(k, positions) | controlMask
        let last = i0 &+ (runEnd &- k)
        while i0 &+ 1 < last {
            let a = load4(p, i0)
            store4(load4(p, i0 &+ stride), p, i0)
            store4(a, p, i0 &+ stride)
            i0 &+= 2
        }
        if i0 < last { exchange(p, i0, i0 &+ stride) }
        k = runEnd
    }
}

/// X on `target` where qubit 0 is the target or a control (fixed positions start at 0), one SIMD4
/// (amplitudes e, e + 1) per free index instead of one scalar exchange:
/// - target 0 (controls above): swap the halves of the vector at e;
/// - control on qubit 0, target t ≥ 1: exchange the upper halves (bit 0 = 1) of the vectors at e
///   and e + 2^t.
/// Free index k ↦ e = the pair base with bit 0 cleared. With c leading fixed positions 0 … c − 1,
/// consecutive k give e, e + 2^c, … for 2^(positions[c] − c) steps (a run).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func flipLowRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, controlMask: Int,
                                     positions: UnsafeBufferPointer<Int>, start: Int, end: Int)
{
    assert(positions.first == 0)
    let highControls = controlMask & ~1
    var leading = 0
    while leading < positions.count && positions[leading] == leading { leading &+= 1 }
    let step = 1 << leading
    let runLength = leading < positions.count ? 1 << (positions[leading] &- leading) : Int.max >> 1
    var k = start
    while k < end {
        let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
        // e: the vector base (bit 0 and the target bit clear, the other controls set).
        var e = insertZeroBits(k, positions) | highControls
        if target == 0 {
            for _ in k..<runEnd {
                let v = load4(p, e)
                store4(SIMD4(v[2], v[3], v[0], v[1]), p, e)
                e &+= step
            }
        } else {
            let stride = 1 << target
            for _ in k..<runEnd {
                let v = load4(p, e), w = load4(p, e &+ stride)
                store4(SIMD4(v[0], v[1], w[2], w[3]), p, e)
                store4(SIMD4(w[0], w[1], v[2], v[3]), p, e &+ stride)
                e &+= step
            }
        }
        k = runEnd
    }
}

/// X on qubit 0, uncontrolled: swaps the two halves of each SIMD4.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func flipAdjacentRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, start: Int, end: Int) {
    for k in start..<end {
        let v = load4(p, 2 &* k)
        store4(SIMD4(v[2], v[3], v[0], v[1]), p, 2 &* k)
    }
}

/// Exchanges |…1_a…0_b…⟩ and |…0_a…1_b…⟩ in the controlled part: SWAP of qubits a and b.
/// Free indices skip a, b and the controls; only the half of the state where the bits differ moves.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func swapRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, qubitA: Int, qubitB: Int, controlMask: Int,
                                  positions: UnsafeBufferPointer<Int>, runLength: Int, start: Int, end: Int)
{
    let bitA = 1 << qubitA, bitB = 1 << qubitB
    if positions.first == 0 {
        // Qubit 0 is fixed (a target or a control): consecutive free indices are 2^z apart (z the
        // fixed positions 0, 1, … z−1) for runs of 2^(next fixed position − z), so the index is
        // rebuilt once per run instead of once per amplitude (the SWAPs that end a QFT pair qubit
        // 0 with the highest).
        var z = 0
        while z < positions.count && positions[z] == z { z += 1 }
        let stride = 1 << z
        let run = z < positions.count ? 1 << (positions[z] - z) : max(end - start, 1)
        var k = start
        while k < end {
            let runEnd = min(end, (k / run + 1) &* run)
            var i = insertZeroBits(k, positions) | controlMask
            for _ in k..<runEnd {
                exchange(p, i | bitA, i | bitB)
                i &+= stride
            }
            k = runEnd
        }
        return
    }
    var k = start
    while k < end {
        let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
        var i = insertZeroBits(k, positions) | controlMask
        let last = i &+ (runEnd &- k)
        while i &+ 1 < last {
            let a = load4(p, i | bitA)
            store4(load4(p, i | bitB), p, i | bitA)
            store4(a, p, i | bitB)
            i &+= 2
        }
        if i < last { exchange(p, i | bitA, i | bitB) }
        k = runEnd
    }
}

@inline(__always)
func exchange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, _ i: Int, _ j: Int) {
    let re = p[2 &* i], im = p[2 &* i &+ 1]
    p[2 &* i] = p[2 &* j]
    p[2 &* i &+ 1] = p[2 &* j &+ 1]
    p[2 &* j] = re
    p[2 &* j &+ 1] = im
}

/// A permutation with phases on k targets: in each group, amplitude r (offset `offsets[r]`)
/// becomes `phases[r]` × the old amplitude `sources[r]`, for the rows in `moving` (the others
/// stay). `phases` interleaved (re, im); nil when every factor is 1. Runs the AVX2/FMA loop of
/// CQuantumKernels (up to 5 targets) where the CPU has it.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func permutationRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, sources: UnsafeBufferPointer<Int>,
                                         phases: UnsafeBufferPointer<Real>?, offsets: UnsafeBufferPointer<Int>,
                                         moving: UnsafeBufferPointer<Int>, controlMask: Int,
                                         positions: UnsafeBufferPointer<Int>, runLength: Int, start: Int, end: Int)
{
    if WideKernels.available, WideKernels.permutation(p, sources: sources, phases: phases, offsets: offsets, moving: moving,
                                                      controlMask: controlMask, positions: positions, runLength: runLength,
                                                      start: start, end: end)
    {
        return
    }
    permutationRangePortable(p, sources: sources, phases: phases, offsets: offsets, moving: moving, controlMask: controlMask,
                             positions: positions, runLength: runLength, start: start, end: end)
}

/// The portable form of `permutationRange`: within a run two neighbouring groups share each
/// SIMD4; a lone group at a run's end is done in scalar code.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func permutationRangePortable<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, sources: UnsafeBufferPointer<Int>,
                                         phases: UnsafeBufferPointer<Real>?, offsets: UnsafeBufferPointer<Int>,
                                         moving: UnsafeBufferPointer<Int>, controlMask: Int,
                                         positions: UnsafeBufferPointer<Int>, runLength: Int, start: Int, end: Int)
{
    let dimension = offsets.count
    withUnsafeTemporaryAllocation(of: SIMD4<Real>.self, capacity: dimension) { held in
        var k = start
        while k < end {
            let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
            // i: the group's base amplitude (target bits 0, control bits 1).
            var i = insertZeroBits(k, positions) | controlMask
            let last = i &+ (runEnd &- k)
            while i &+ 1 < last {
                // Load every source first: a row may overwrite another row's source.
                for r in moving { held[sources[r]] = load4(p, i | offsets[sources[r]]) }
                for r in moving {
                    let v = held[sources[r]]
                    if let phases {
                        let (re, im) = (phases[2 &* r], phases[2 &* r &+ 1])
                        store4(v * SIMD4(repeating: re) + swapPairs(v) * SIMD4(-im, im, -im, im), p, i | offsets[r])
                    } else {
                        store4(v, p, i | offsets[r])
                    }
                }
                i &+= 2
            }
            if i < last {
                for r in moving {
                    let s = i | offsets[sources[r]]
                    held[sources[r]] = SIMD4(p[2 &* s], p[2 &* s &+ 1], 0, 0)
                }
                for r in moving {
                    let v = held[sources[r]]
                    let o = i | offsets[r]
                    if let phases {
                        let (re, im) = (phases[2 &* r], phases[2 &* r &+ 1])
                        p[2 &* o] = v[0] * re - v[1] * im
                        p[2 &* o &+ 1] = v[0] * im + v[1] * re
                    } else {
                        p[2 &* o] = v[0]
                        p[2 &* o &+ 1] = v[1]
                    }
                }
            }
            k = runEnd
        }
    }
}

/// X on `target` controlled by a parity (a run of CX gates on one target): the pairs
/// (i0, i0 + 2^target), i0 with the target bit 0, exchange where popcount(i0 & parityMask) is odd
/// (even when `invert`). Free indices skip the target only. Runs the AVX2 loop of
/// CQuantumKernels where the CPU has it (target at or above the vector width).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func parityFlipRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, parityMask: Int, invert: Bool,
                                        start: Int, end: Int)
{
    if WideKernels.available, WideKernels.parityFlip(p, target: target, parityMask: parityMask, invert: invert,
                                                     start: start, end: end)
    {
        return
    }
    parityFlipRangePortable(p, target: target, parityMask: parityMask, invert: invert, start: start, end: end)
}

/// The portable form of `parityFlipRange`.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func parityFlipRangePortable<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, parityMask: Int,
                                                invert: Bool, start: Int, end: Int)
{
    let stride = 1 << target
    let flipWhen = invert ? 0 : 1
    for k in start..<end {
        // i0: free index k with a zero inserted at the target.
        let i0 = ((k >> target) << (target + 1)) | (k & (stride - 1))
        if (i0 & parityMask).nonzeroBitCount & 1 == flipWhen { exchange(p, i0, i0 &+ stride) }
    }
}
