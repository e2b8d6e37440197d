// Diagonal gate kernels: each amplitude is multiplied by one complex factor; no pairs are loaded.
// Argument order as in Dense.swift: (amplitudes, geometry, factors, start, end). Fixed positions are
// the controls only: diagonal targets are not skipped, they select the factor.

/// Multiplies `count` amplitudes from complex index `start` by (fr + i·fi).
@inline(__always)
func scaleRun<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, start: Int, count: Int, fr: Real, fi: Real) {
    let (vr, vi) = splat(fr, fi)
    var i = start
    let end = start &+ count
    while i &+ 1 < end {
        let v = load4(p, i)
        store4(v * vr + swapPairs(v) * vi, p, i)
        i &+= 2
    }
    if i < end {
        let re = p[2 &* i], im = p[2 &* i &+ 1]
        p[2 &* i] = re * fr - im * fi
        p[2 &* i &+ 1] = re * fi + im * fr
    }
}

/// Multiplies each amplitude by `factors[j]` (interleaved complex), where bit m of j is the
/// amplitude's bit `targets[m]`, where all `controlMask` bits are 1. Free indices skip the controls.
/// Runs the AVX2/FMA loop of CQuantumKernels (up to 5 targets, ascending) where the CPU has it.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func diagonalRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, targets: UnsafeBufferPointer<Int>, controlMask: Int,
                                      positions: UnsafeBufferPointer<Int>, runLength: Int,
                                      factors f: UnsafeBufferPointer<Real>, start: Int, end: Int)
{
    if WideKernels.available, WideKernels.diagonal(p, targets: targets, controlMask: controlMask, positions: positions,
                                                   runLength: runLength, factors: f, start: start, end: end)
    {
        return
    }
    diagonalRangePortable(p, targets: targets, controlMask: controlMask, positions: positions, runLength: runLength,
                          factors: f, start: start, end: end)
}

/// The portable form of `diagonalRange`.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func diagonalRangePortable<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, targets: UnsafeBufferPointer<Int>,
                                              controlMask: Int, positions: UnsafeBufferPointer<Int>, runLength: Int,
                                              factors f: UnsafeBufferPointer<Real>, start: Int, end: Int)
{
    if targets.count == 1 && targets[0] == 0 && runLength >= 2 {
        // Target 0 inside runs of at least two: each SIMD4 holds a (×d0, ×d1) pair.
        let vr = SIMD4<Real>(f[0], f[0], f[2], f[2])
        let vi = SIMD4<Real>(-f[1], f[1], -f[3], f[3])
        var k = start
        while k < end {
            let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
            var i = insertZeroBits(k, positions) | controlMask
            let last = i &+ (runEnd &- k)
            if i & 1 != 0 {
                // A run that starts on an odd index (a range boundary): its first amplitude alone.
                scaleRun(p, start: i, count: 1, fr: f[2], fi: f[3])
                i &+= 1
            }
            while i &+ 1 < last {
                let v = load4(p, i)
                store4(v * vr + swapPairs(v) * vi, p, i)
                i &+= 2
            }
            if i < last { scaleRun(p, start: i, count: 1, fr: f[0], fi: f[1]) }
            k = runEnd
        }
        return
    }
    // Below the lowest target bit the factor is constant: blocks of 2^lowestTarget amplitudes.
    var lowestTarget = Int.max
    for t in targets { lowestTarget = min(lowestTarget, t) }
    let blockLength = 1 << lowestTarget
    var k = start
    while k < end {
        let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
        var i = insertZeroBits(k, positions) | controlMask
        let last = i &+ (runEnd &- k)
        while i < last {
            let blockEnd = min(last, (i | (blockLength &- 1)) &+ 1)
            var j = 0
            for (m, t) in targets.enumerated() where i & (1 << t) != 0 { j |= 1 << m }
            scaleRun(p, start: i, count: blockEnd &- i, fr: f[2 &* j], fi: f[2 &* j &+ 1])
            i = blockEnd
        }
        k = runEnd
    }
}

/// diag(d0, d1) on qubit 0, uncontrolled: one SIMD4 holds amplitudes 2k (× d0) and 2k + 1 (× d1).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func diagonalAdjacentRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, factors f: UnsafeBufferPointer<Real>,
                                              start: Int, end: Int)
{
    let vr = SIMD4<Real>(f[0], f[0], f[2], f[2])
    let vi = SIMD4<Real>(-f[1], f[1], -f[3], f[3])
    for k in start..<end {
        let v = load4(p, 2 &* k)
        store4(v * vr + swapPairs(v) * vi, p, 2 &* k)
    }
}

/// Multiplies every real component by one factor in place: the streaming sweep that the benchmark
/// compares gate kernels with — the least work that reads and writes every byte of the state once.
@inline(never)
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func streamingSweep<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, count: Int, factor: Real, threads: Int) {
    let state = SharedPointer(base: amplitudes)
    forEachRange(count: count, threads: threads, alignment: 64) { start, end in
        let f = SIMD4<Real>(repeating: factor)
        var i = start
        // Two complex numbers (four Reals) per step; count is even for every state of ≥ 1 qubit.
        while i &+ 1 < end {
            store4(load4(state.base, i) * f, state.base, i)
            i &+= 2
        }
        if i < end {
            state.base[2 &* i] *= factor
            state.base[2 &* i &+ 1] *= factor
        }
    }
}
