// Dense gate kernels: range loops. Internal: no checks (only asserts), no heap allocation, no logging.
//
// Argument order, the same for every range loop in this folder:
//   (amplitudes, geometry (targets…, controlMask, fixed positions, run length), matrix, start, end)
// - amplitudes: complex numbers stored as interleaved (re, im) Reals.
// - targets: qubit positions; bit j of a matrix row/column index is the value of targets[j].
// - controlMask: qubits that must all be 1 for the gate to act (0: uncontrolled). The loops visit
//   only that controlled part of the state.
// - fixed positions: the ascending bit positions that a free index skips (targets and controls).
// - start..<end: a range of free indices (see below).
//
// Free indices: a loop enumerates k in start..<end and inserts a zero at each fixed bit position to
// get the group's base amplitude index, then ORs in the control bits. Consecutive k map to
// consecutive indices for 2^(lowest fixed position) steps: a "run", the unit that the SIMD inner
// loops stream through. `KernelCall` (KernelCall.swift) owns the geometry and splits ranges over
// threads or cache blocks.

/// (a, b, c, d) → (b, a, d, c): swaps re and im of both complex numbers in a vector.
@inline(__always)
func swapPairs<Real: StateScalar>(_ v: SIMD4<Real>) -> SIMD4<Real> {
    SIMD4(v[1], v[0], v[3], v[2])
}

@inline(__always)
func load4<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, _ complexIndex: Int) -> SIMD4<Real> {
    UnsafeRawPointer(p + 2 &* complexIndex).loadUnaligned(as: SIMD4<Real>.self)
}

@inline(__always)
func store4<Real: StateScalar>(_ v: SIMD4<Real>, _ p: UnsafeMutablePointer<Real>, _ complexIndex: Int) {
    UnsafeMutableRawPointer(p + 2 &* complexIndex).storeBytes(of: v, as: SIMD4<Real>.self)
}

/// The splatted form of a complex number for `v * re + swapPairs(v) * im` products.
@inline(__always)
func splat<Real: StateScalar>(_ re: Real, _ im: Real) -> (SIMD4<Real>, SIMD4<Real>) {
    (SIMD4(repeating: re), SIMD4(-im, im, -im, im))
}

/// A 2 × 2 matrix's constants splatted for the SIMD loops: (re, re, re, re) and (−im, im, −im, im)
/// of each entry (target ≥ 1), and the diagonal and off-diagonal forms of the qubit-0 loops.
struct MatrixSplats<Real: StateScalar> {
    var r00, i00, r01, i01, r10, i10, r11, i11: SIMD4<Real>
    var diagR, diagI, offR, offI: SIMD4<Real>
}

/// The splats of `m`, made in a function of their own on purpose: when a loop's function builds
/// (−im, im) from one value, LLVM sees the negation and rewrites `x·re + swap(x)·(−im, im)` into
/// de-interleaving shuffles that cost more than the arithmetic (~30 % of a 2 × 2 kernel on SSE2).
@inline(never)
func splats<Real: StateScalar>(of m: Matrix2<Real>) -> MatrixSplats<Real> {
    MatrixSplats(
        r00: SIMD4(repeating: m.m00r), i00: SIMD4(-m.m00i, m.m00i, -m.m00i, m.m00i),
        r01: SIMD4(repeating: m.m01r), i01: SIMD4(-m.m01i, m.m01i, -m.m01i, m.m01i),
        r10: SIMD4(repeating: m.m10r), i10: SIMD4(-m.m10i, m.m10i, -m.m10i, m.m10i),
        r11: SIMD4(repeating: m.m11r), i11: SIMD4(-m.m11i, m.m11i, -m.m11i, m.m11i),
        diagR: SIMD4(m.m00r, m.m00r, m.m11r, m.m11r), diagI: SIMD4(-m.m00i, m.m00i, -m.m11i, m.m11i),
        offR: SIMD4(m.m01r, m.m01r, m.m10r, m.m10r), offI: SIMD4(-m.m01i, m.m01i, -m.m10i, m.m10i))
}

/// A 2 × 2 matrix on one target: pairs (i0, i0 + 2^target) in runs of free indices. Runs the
/// AVX2/FMA loop of CQuantumKernels where the CPU has it (`WideKernels`), else the portable one.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func dense1Range<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, controlMask: Int,
                                    positions: UnsafeBufferPointer<Int>, runLength: Int, matrix m: Matrix2<Real>,
                                    start: Int, end: Int)
{
    if WideKernels.available, WideKernels.dense1(p, target: target, controlMask: controlMask, positions: positions,
                                                 runLength: runLength, matrix: m, start: start, end: end)
    {
        return
    }
    dense1RangePortable(p, target: target, controlMask: controlMask, positions: positions, runLength: runLength, matrix: m,
                        start: start, end: end)
}

/// The portable form of `dense1Range` (SIMD4 of the generic target).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func dense1RangePortable<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, controlMask: Int,
                                            positions: UnsafeBufferPointer<Int>, runLength: Int, matrix m: Matrix2<Real>,
                                            start: Int, end: Int)
{
    let stride = 1 << target
    let s = splats(of: m)
    let (r00, i00, r01, i01) = (s.r00, s.i00, s.r01, s.i01)
    let (r10, i10, r11, i11) = (s.r10, s.i10, s.r11, s.i11)
    // Uncontrolled target 1 and no other fixed bit: runs of two pairs, free index k (even) ↦
    // i0 = 2k; one step per run. (A held bit — a multiplexed block's part — is a fixed position
    // with a zero in controlMask: then k ↦ i0 must insert it, as below.)
    let targetOneRuns = target == 1 && controlMask == 0 && positions.count == 1 && start & 1 == 0 && end & 1 == 0
    var k = start
    while k < end {
        let runEnd = targetOneRuns ? k &+ 2 : min(end, (k | (runLength &- 1)) &+ 1)
        // i0: first amplitude of the run with the target bit 0 and control bits 1.
        var i0 = targetOneRuns ? 2 &* k : insertZeroBits(k, positions) | controlMask
        let last = i0 &+ (runEnd &- k)
        // Two complex numbers per step while at least two remain in the run.
        while i0 &+ 1 < last {
            let a = load4(p, i0)
            let b = load4(p, i0 &+ stride)
            let sa = swapPairs(a)
            let sb = swapPairs(b)
            store4(a * r00 + sa * i00 + b * r01 + sb * i01, p, i0)
            store4(a * r10 + sa * i10 + b * r11 + sb * i11, p, i0 &+ stride)
            i0 &+= 2
        }
        if i0 < last { dense1Scalar(p, i0, i0 &+ stride, m) }
        k = runEnd
    }
}

/// A real 2 × 2 matrix (H, RY, …) on one target: half the arithmetic of `dense1Range`. Wide
/// loop where the CPU has one, as `dense1Range`.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func dense1RealRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, controlMask: Int,
                                        positions: UnsafeBufferPointer<Int>, runLength: Int, matrix m: Matrix2<Real>,
                                        start: Int, end: Int)
{
    if WideKernels.available, WideKernels.dense1Real(p, target: target, controlMask: controlMask, positions: positions,
                                                     runLength: runLength, matrix: m, start: start, end: end)
    {
        return
    }
    dense1RealRangePortable(p, target: target, controlMask: controlMask, positions: positions, runLength: runLength,
                            matrix: m, start: start, end: end)
}

/// The portable form of `dense1RealRange`.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func dense1RealRangePortable<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, controlMask: Int,
                                                positions: UnsafeBufferPointer<Int>, runLength: Int, matrix m: Matrix2<Real>,
                                                start: Int, end: Int)
{
    let stride = 1 << target
    let r00 = SIMD4<Real>(repeating: m.m00r), r01 = SIMD4<Real>(repeating: m.m01r)
    let r10 = SIMD4<Real>(repeating: m.m10r), r11 = SIMD4<Real>(repeating: m.m11r)
    var k = start
    while k < end {
        let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
        var i0 = insertZeroBits(k, positions) | controlMask
        let last = i0 &+ (runEnd &- k)
        while i0 &+ 1 < last {
            let a = load4(p, i0)
            let b = load4(p, i0 &+ stride)
            store4(a * r00 + b * r01, p, i0)
            store4(a * r10 + b * r11, p, i0 &+ stride)
            i0 &+= 2
        }
        if i0 < last { dense1Scalar(p, i0, i0 &+ stride, m) }
        k = runEnd
    }
}

/// A 2 × 2 matrix on qubit 0, uncontrolled: pair k is the adjacent amplitudes 2k, 2k + 1, both in
/// one SIMD4.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func dense1AdjacentRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, matrix m: Matrix2<Real>, start: Int, end: Int) {
    if WideKernels.available, WideKernels.dense1Adjacent(p, matrix: m, start: start, end: end) { return }
    dense1AdjacentRangePortable(p, matrix: m, start: start, end: end)
}

/// The portable form of `dense1AdjacentRange`.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func dense1AdjacentRangePortable<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, matrix m: Matrix2<Real>, start: Int, end: Int) {
    let s = splats(of: m)
    let (diagR, diagI, offR, offI) = (s.diagR, s.diagI, s.offR, s.offI)
    for k in start..<end {
        let v = load4(p, 2 &* k)
        let w = SIMD4(v[2], v[3], v[0], v[1])  // (a1, a0)
        store4(v * diagR + swapPairs(v) * diagI + w * offR + swapPairs(w) * offI, p, 2 &* k)
    }
}

/// A real 2 × 2 matrix on qubit 0, uncontrolled: (a0, a1) → (m00·a0 + m01·a1, m10·a0 + m11·a1)
/// with one SIMD4 per pair.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func dense1RealAdjacentRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, matrix m: Matrix2<Real>, start: Int, end: Int) {
    if WideKernels.available, WideKernels.dense1RealAdjacent(p, matrix: m, start: start, end: end) { return }
    dense1RealAdjacentRangePortable(p, matrix: m, start: start, end: end)
}

/// The portable form of `dense1RealAdjacentRange`.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func dense1RealAdjacentRangePortable<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, matrix m: Matrix2<Real>, start: Int,
                                                        end: Int)
{
    let diagonal = SIMD4<Real>(m.m00r, m.m00r, m.m11r, m.m11r)
    let off = SIMD4<Real>(m.m01r, m.m01r, m.m10r, m.m10r)
    for k in start..<end {
        let v = load4(p, 2 &* k)
        store4(v * diagonal + SIMD4(v[2], v[3], v[0], v[1]) * off, p, 2 &* k)
    }
}

/// The 2 × 2 update of one pair of amplitudes.
@inline(__always)
func dense1Scalar<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, _ i0: Int, _ i1: Int, _ m: Matrix2<Real>) {
    let ar = p[2 &* i0], ai = p[2 &* i0 &+ 1]
    let br = p[2 &* i1], bi = p[2 &* i1 &+ 1]
    p[2 &* i0] = m.m00r * ar - m.m00i * ai + m.m01r * br - m.m01i * bi
    p[2 &* i0 &+ 1] = m.m00r * ai + m.m00i * ar + m.m01r * bi + m.m01i * br
    p[2 &* i1] = m.m10r * ar - m.m10i * ai + m.m11r * br - m.m11i * bi
    p[2 &* i1 &+ 1] = m.m10r * ai + m.m10i * ar + m.m11r * bi + m.m11i * br
}

/// A 4 × 4 matrix (32 Reals, row-major) on (target0, target1). Within a run, two neighbouring
/// groups share each SIMD4; a lone group at a run's end is done in scalar code.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func dense2Range<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target0: Int, target1: Int, controlMask: Int,
                                    positions: UnsafeBufferPointer<Int>, runLength: Int, matrix: UnsafeBufferPointer<Real>,
                                    start: Int, end: Int)
{
    let b0 = 1 << target0, b1 = 1 << target1
    withUnsafeTemporaryAllocation(of: SIMD4<Real>.self, capacity: 32) { s in
        // s[2(4r + c)], s[2(4r + c) + 1]: splatted real and imaginary parts of m[r][c].
        for e in 0..<16 {
            let (re, im) = splat(matrix[2 &* e], matrix[2 &* e &+ 1])
            s[2 &* e] = re
            s[2 &* e &+ 1] = im
        }
        var k = start
        while k < end {
            let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
            var i = insertZeroBits(k, positions) | controlMask
            let last = i &+ (runEnd &- k)
            while i &+ 1 < last {
                let x0 = load4(p, i), x1 = load4(p, i | b0), x2 = load4(p, i | b1), x3 = load4(p, i | b0 | b1)
                let y0 = swapPairs(x0), y1 = swapPairs(x1), y2 = swapPairs(x2), y3 = swapPairs(x3)
                @inline(__always) func row(_ r: Int) -> SIMD4<Real> {
                    let o = 8 &* r
                    var acc = x0 * s[o] + y0 * s[o &+ 1]
                    acc += x1 * s[o &+ 2] + y1 * s[o &+ 3]
                    acc += x2 * s[o &+ 4] + y2 * s[o &+ 5]
                    acc += x3 * s[o &+ 6] + y3 * s[o &+ 7]
                    return acc
                }
                let out0 = row(0), out1 = row(1), out2 = row(2), out3 = row(3)
                store4(out0, p, i)
                store4(out1, p, i | b0)
                store4(out2, p, i | b1)
                store4(out3, p, i | b0 | b1)
                i &+= 2
            }
            if i < last { dense2Scalar(p, i, b0, b1, matrix) }
            k = runEnd
        }
    }
}

/// The 4 × 4 update of one group of amplitudes (i, i|b0, i|b1, i|b0|b1).
@inline(__always)
func dense2Scalar<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, _ i: Int, _ b0: Int, _ b1: Int,
                                     _ mat: UnsafeBufferPointer<Real>)
{
    let idx = (i, i | b0, i | b1, i | b0 | b1)
    let xr = (p[2 &* idx.0], p[2 &* idx.1], p[2 &* idx.2], p[2 &* idx.3])
    let xi = (p[2 &* idx.0 &+ 1], p[2 &* idx.1 &+ 1], p[2 &* idx.2 &+ 1], p[2 &* idx.3 &+ 1])
    @inline(__always) func row(_ r: Int) -> (Real, Real) {
        let o = 8 &* r
        var re: Real = mat[o] * xr.0 - mat[o + 1] * xi.0
        re += mat[o + 2] * xr.1 - mat[o + 3] * xi.1
        re += mat[o + 4] * xr.2 - mat[o + 5] * xi.2
        re += mat[o + 6] * xr.3 - mat[o + 7] * xi.3
        var im: Real = mat[o] * xi.0 + mat[o + 1] * xr.0
        im += mat[o + 2] * xi.1 + mat[o + 3] * xr.1
        im += mat[o + 4] * xi.2 + mat[o + 5] * xr.2
        im += mat[o + 6] * xi.3 + mat[o + 7] * xr.3
        return (re, im)
    }
    let y0 = row(0), y1 = row(1), y2 = row(2), y3 = row(3)
    p[2 &* idx.0] = y0.0
    p[2 &* idx.0 &+ 1] = y0.1
    p[2 &* idx.1] = y1.0
    p[2 &* idx.1 &+ 1] = y1.1
    p[2 &* idx.2] = y2.0
    p[2 &* idx.2 &+ 1] = y2.1
    p[2 &* idx.3] = y3.0
    p[2 &* idx.3 &+ 1] = y3.1
}

/// A 2^k × 2^k matrix (interleaved (re, im), row-major) on k targets; `offsets[r]` is the
/// amplitude offset of matrix index r. Runs the AVX2/FMA loop of CQuantumKernels for k = 2…5
/// where the CPU has it (`WideKernels`), else the portable one.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func denseKRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, offsets: UnsafeBufferPointer<Int>, controlMask: Int,
                                    positions: UnsafeBufferPointer<Int>, runLength: Int, matrix mat: UnsafeBufferPointer<Real>,
                                    start: Int, end: Int)
{
    if WideKernels.available, WideKernels.dense(p, offsets: offsets, controlMask: controlMask, positions: positions,
                                                runLength: runLength, matrix: mat, start: start, end: end)
    {
        return
    }
    denseKRangePortable(p, offsets: offsets, controlMask: controlMask, positions: positions, runLength: runLength,
                        matrix: mat, start: start, end: end)
}

/// The portable form of `denseKRange`: within a run two neighbouring groups share each SIMD4
/// (y_r = Σ_c x_c·Re m_rc + swap(x_c)·(−Im, Im) m_rc, constants splatted once per call); groups
/// alone at a run's end, and every group when the lowest fixed position is 0, in scalar code.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func denseKRangePortable<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, offsets: UnsafeBufferPointer<Int>,
                                            controlMask: Int, positions: UnsafeBufferPointer<Int>, runLength: Int,
                                            matrix mat: UnsafeBufferPointer<Real>, start: Int, end: Int)
{
    let dimension = offsets.count
    withUnsafeTemporaryAllocation(of: SIMD4<Real>.self, capacity: 2 * dimension * dimension + 2 * dimension) { buffer in
        // s[2(r·d + c)], s[2(r·d + c) + 1]: splatted real and sign-alternated imaginary parts of m[r][c];
        // then x and swap(x) of the group pair being multiplied.
        let s = buffer.baseAddress!
        let x = s + 2 * dimension * dimension, xs = x + dimension
        for e in 0..<(dimension * dimension) {
            let (re, im) = splat(mat[2 &* e], mat[2 &* e &+ 1])
            s[2 &* e] = re
            s[2 &* e &+ 1] = im
        }
        var k = start
        while k < end {
            let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
            var i = insertZeroBits(k, positions) | controlMask
            let last = i &+ (runEnd &- k)
            while i &+ 1 < last {
                for c in 0..<dimension {
                    x[c] = load4(p, i | offsets[c])
                    xs[c] = swapPairs(x[c])
                }
                for r in 0..<dimension {
                    let row = s + 2 &* r &* dimension
                    var acc = x[0] * row[0] + xs[0] * row[1]
                    for c in 1..<dimension { acc += x[c] * row[2 &* c] + xs[c] * row[2 &* c &+ 1] }
                    store4(acc, p, i | offsets[r])
                }
                i &+= 2
            }
            if i < last { denseKScalar(p, base: i, offsets: offsets, matrix: mat) }
            k = runEnd
        }
    }
}

/// The 2^k × 2^k update of one group of amplitudes (base | offsets[r]).
@inline(__always)
func denseKScalar<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, base: Int, offsets: UnsafeBufferPointer<Int>,
                                     matrix mat: UnsafeBufferPointer<Real>)
{
    let dimension = offsets.count
    withUnsafeTemporaryAllocation(of: Real.self, capacity: 2 * dimension) { input in
        for r in 0..<dimension {
            let i = base | offsets[r]
            input[2 &* r] = p[2 &* i]
            input[2 &* r &+ 1] = p[2 &* i &+ 1]
        }
        for r in 0..<dimension {
            var sr: Real = 0, si: Real = 0
            let row = 2 &* r &* dimension
            for c in 0..<dimension {
                let mr = mat[row &+ 2 &* c], mi = mat[row &+ 2 &* c &+ 1]
                let xr = input[2 &* c], xi = input[2 &* c &+ 1]
                sr += mr * xr - mi * xi
                si += mr * xi + mi * xr
            }
            let i = base | offsets[r]
            p[2 &* i] = sr
            p[2 &* i &+ 1] = si
        }
    }
}
