// Diagonal gate kernels: each amplitude is multiplied by one complex factor, no pairs are loaded.
// Argument order as in Dense.swift: (amplitudes, numQubits, targets…, controlMask, factors, threads).

/// Multiplies `count` amplitudes from complex index `start` by (fr + i·fi).
@inline(__always)
func scaleRun<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, start: Int, count: Int, fr: Real, fi: Real) {
    let vr = SIMD4<Real>(repeating: fr)
    let vi = SIMD4<Real>(-fi, fi, -fi, fi)
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

/// Multiplies amplitudes by d0 where `target` is 0 and d1 where it is 1, on the part of the
/// state where all `controlMask` bits are 1.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func applyDiagonal1<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, target: Int,
                                       controlMask: Int, d0r: Real, d0i: Real, d1r: Real, d1i: Real, threads: Int)
{
    let state = SharedPointer(base: amplitudes)
    if controlMask == 0 && target == 0 {
        // One SIMD4 holds amplitudes 2k (factor d0) and 2k + 1 (factor d1).
        let vr = SIMD4<Real>(d0r, d0r, d1r, d1r)
        let vi = SIMD4<Real>(-d0i, d0i, -d1i, d1i)
        forEachRange(count: (1 << numQubits) >> 1, threads: threads) { start, end in
            let p = state.base
            for k in start..<end {
                let v = load4(p, 2 &* k)
                store4(v * vr + swapPairs(v) * vi, p, 2 &* k)
            }
        }
        return
    }
    applyDiagonalK(amplitudes, numQubits: numQubits, targets: [target], controlMask: controlMask,
                   factors: [d0r, d0i, d1r, d1i], threads: threads)
}

/// Multiplies each amplitude by `factors[j]`, where bit m of j is the amplitude's bit
/// `targets[m]`, on the part of the state where all `controlMask` bits are 1.
/// `factors` holds 2^targets.count complex numbers, interleaved.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func applyDiagonalK<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, targets: [Int],
                                       controlMask: Int, factors: [Real], threads: Int)
{
    let state = SharedPointer(base: amplitudes)
    let fixed = setBitPositions(controlMask)
    let count = (1 << numQubits) >> fixed.count
    let lowestTarget = targets.min() ?? 0
    let runLength = fixed.isEmpty ? count : 1 << fixed[0]
    let blockLength = 1 << lowestTarget
    forEachRange(count: count, threads: threads, alignment: min(runLength, 64)) { start, end in
        fixed.withUnsafeBufferPointer { positions in
            targets.withUnsafeBufferPointer { targets in
                factors.withUnsafeBufferPointer { f in
                    let p = state.base
                    var k = start
                    while k < end {
                        let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
                        var i = insertZeroBits(k, positions) | controlMask
                        let last = i &+ (runEnd &- k)
                        // Below the lowest target bit the factor is constant: blocks of 2^lowestTarget.
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
            }
        }
    }
}

/// Multiplies every amplitude by one complex factor in place: the streaming sweep that the
/// benchmark compares gate kernels with (the same bytes read and written once).
@inline(never)
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func streamingSweep<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, count: Int, factorReal: Real,
                                       factorImaginary: Real, threads: Int)
{
    let state = SharedPointer(base: amplitudes)
    forEachRange(count: count, threads: threads, alignment: 64) { start, end in
        scaleRun(state.base, start: start, count: end &- start, fr: factorReal, fi: factorImaginary)
    }
}
