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
