// Dense gate kernels. Internal: no checks (only asserts), no allocation on the heap, no logging.
//
// Argument order, the same for every kernel in this folder:
//   (amplitudes, numQubits, targets…, controlMask, matrix, threads)
// - amplitudes: 2^numQubits complex numbers stored as interleaved (re, im) Reals.
// - targets: qubit positions; bit j of a matrix row/column index is the value of targets[j].
// - controlMask: qubits that must all be 1 for the gate to act (0: uncontrolled). The kernels
//   visit only that controlled part of the state.
// - matrix: row-major complex entries.
//
// Free indices: a kernel enumerates k in 0..<2^(n − |fixed bits|) and inserts a zero at each fixed
// bit position (targets and controls) to get the group's base amplitude index, then ORs in the
// control bits. Consecutive k map to consecutive indices for 2^(lowest fixed position) steps: a
// "run", the unit that the SIMD inner loops stream through.

/// A 2 × 2 complex matrix, entries as (re, im).
struct Matrix2<Real: StateScalar>: Sendable {
    var m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i: Real

    init(_ m: SmallMatrix) {
        func r(_ i: Int) -> Real { Real(m.entries[i].real) }
        func im(_ i: Int) -> Real { Real(m.entries[i].imaginary) }
        (m00r, m00i, m01r, m01i) = (r(0), im(0), r(1), im(1))
        (m10r, m10i, m11r, m11i) = (r(2), im(2), r(3), im(3))
    }
}

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

/// Applies a 2 × 2 matrix to `target`, where all `controlMask` bits are 1.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func applyDense1<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, target: Int,
                                    controlMask: Int, matrix m: Matrix2<Real>, threads: Int)
{
    let fixed = setBitPositions(controlMask | (1 << target))
    let pairCount = (1 << numQubits) >> fixed.count
    let stride = 1 << target
    let lowest = fixed[0]
    let state = SharedPointer(base: amplitudes)

    if controlMask == 0 && target == 0 {
        // Pairs are adjacent: one SIMD4 holds (a0, a1) of pair k at complex index 2k.
        let diagR = SIMD4<Real>(m.m00r, m.m00r, m.m11r, m.m11r)
        let diagI = SIMD4<Real>(-m.m00i, m.m00i, -m.m11i, m.m11i)
        let offR = SIMD4<Real>(m.m01r, m.m01r, m.m10r, m.m10r)
        let offI = SIMD4<Real>(-m.m01i, m.m01i, -m.m10i, m.m10i)
        forEachRange(count: pairCount, threads: threads) { start, end in
            let p = state.base
            for k in start..<end {
                let v = load4(p, 2 &* k)
                let w = SIMD4(v[2], v[3], v[0], v[1])  // (a1, a0)
                let out = v * diagR + swapPairs(v) * diagI + w * offR + swapPairs(w) * offI
                store4(out, p, 2 &* k)
            }
        }
        return
    }

    let runLength = 1 << lowest
    let splat = (
        r00: SIMD4<Real>(repeating: m.m00r), i00: SIMD4<Real>(-m.m00i, m.m00i, -m.m00i, m.m00i),
        r01: SIMD4<Real>(repeating: m.m01r), i01: SIMD4<Real>(-m.m01i, m.m01i, -m.m01i, m.m01i),
        r10: SIMD4<Real>(repeating: m.m10r), i10: SIMD4<Real>(-m.m10i, m.m10i, -m.m10i, m.m10i),
        r11: SIMD4<Real>(repeating: m.m11r), i11: SIMD4<Real>(-m.m11i, m.m11i, -m.m11i, m.m11i)
    )
    forEachRange(count: pairCount, threads: threads, alignment: min(runLength, 64)) { start, end in
        fixed.withUnsafeBufferPointer { positions in
            let p = state.base
            var k = start
            while k < end {
                let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
                // i0: first amplitude of the run with the target bit 0 and control bits 1.
                var i0 = insertZeroBits(k, positions) | controlMask
                let last = i0 &+ (runEnd &- k)
                // Two complex numbers per step while at least two remain in the run.
                while i0 &+ 1 < last {
                    let a = load4(p, i0)
                    let b = load4(p, i0 &+ stride)
                    let sa = swapPairs(a)
                    let sb = swapPairs(b)
                    let newA = a * splat.r00 + sa * splat.i00 + b * splat.r01 + sb * splat.i01
                    let newB = a * splat.r10 + sa * splat.i10 + b * splat.r11 + sb * splat.i11
                    store4(newA, p, i0)
                    store4(newB, p, i0 &+ stride)
                    i0 &+= 2
                }
                if i0 < last {
                    applyDense1Scalar(p, i0, i0 &+ stride, m)
                }
                k = runEnd
            }
        }
    }
}

/// The 2 × 2 update of one pair of amplitudes.
@inline(__always)
func applyDense1Scalar<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, _ i0: Int, _ i1: Int, _ m: Matrix2<Real>) {
    let ar = p[2 &* i0], ai = p[2 &* i0 &+ 1]
    let br = p[2 &* i1], bi = p[2 &* i1 &+ 1]
    p[2 &* i0] = m.m00r * ar - m.m00i * ai + m.m01r * br - m.m01i * bi
    p[2 &* i0 &+ 1] = m.m00r * ai + m.m00i * ar + m.m01r * bi + m.m01i * br
    p[2 &* i1] = m.m10r * ar - m.m10i * ai + m.m11r * br - m.m11i * bi
    p[2 &* i1 &+ 1] = m.m10r * ai + m.m10i * ar + m.m11r * bi + m.m11i * br
}

/// Applies a 2^k × 2^k matrix (interleaved (re, im), row-major) to `targets`, where all
/// `controlMask` bits are 1. Used for k ≥ 2.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func applyDenseK<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, targets: [Int],
                                    controlMask: Int, matrix: [Real], threads: Int)
{
    let k = targets.count
    let dimension = 1 << k
    let targetMask = targets.reduce(0) { $0 | (1 << $1) }
    let fixed = setBitPositions(controlMask | targetMask)
    let groupCount = (1 << numQubits) >> fixed.count
    // offsets[r]: the amplitude offset of matrix index r (bit j of r set → targets[j] set).
    var offsets = [Int](repeating: 0, count: dimension)
    for r in 0..<dimension {
        for j in 0..<k where r & (1 << j) != 0 { offsets[r] |= 1 << targets[j] }
    }
    let state = SharedPointer(base: amplitudes)
    let offsetTable = offsets
    forEachRange(count: groupCount, threads: threads, grain: max(1, minimumIndicesPerThread >> k)) { start, end in
        fixed.withUnsafeBufferPointer { positions in
            offsetTable.withUnsafeBufferPointer { offsets in
                matrix.withUnsafeBufferPointer { mat in
                    withUnsafeTemporaryAllocation(of: Real.self, capacity: 2 * dimension) { input in
                        let p = state.base
                        for g in start..<end {
                            let base = insertZeroBits(g, positions) | controlMask
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
                }
            }
        }
    }
}

/// Applies a 4 × 4 matrix to (target0, target1), where all `controlMask` bits are 1.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func applyDense2<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, target0: Int, target1: Int,
                                    controlMask: Int, matrix: [Real], threads: Int)
{
    let fixed = setBitPositions(controlMask | (1 << target0) | (1 << target1))
    let groupCount = (1 << numQubits) >> fixed.count
    let b0 = 1 << target0, b1 = 1 << target1
    let state = SharedPointer(base: amplitudes)
    forEachRange(count: groupCount, threads: threads, grain: minimumIndicesPerThread >> 2) { start, end in
        fixed.withUnsafeBufferPointer { positions in
            matrix.withUnsafeBufferPointer { mat in
                let p = state.base
                for g in start..<end {
                    let i00 = insertZeroBits(g, positions) | controlMask
                    let idx = (i00, i00 | b0, i00 | b1, i00 | b0 | b1)
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
            }
        }
    }
}
