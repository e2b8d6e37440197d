import Foundation

// Range loops of Pauli strings across two ranks' slices (DistributedPauli.swift calls them). A
// Pauli string P = i^y · X^x · Z^z whose X part flips a global bit pairs this rank's slice `a` with
// the slice b of the rank whose number differs by the string's global X bits; b arrives in pieces,
// `piece[j − first]` = b[j] for j in first ..< first + pieceCount. Masks are local (positions < L);
// the global parts of the signs are folded in by the caller.
//
// Argument order: the rank's own amplitudes, the piece and its first index, the output (when one),
// the X and Z masks, the factor (when one), start, end (a range of the piece's indices j).

/// Σ_j conj(b[j]) · (−1)^popcount((j ⊕ x) & z) · a[j ⊕ x] over j in start..<end, as (re, im):
/// the part of Σ_i conj(ψ[i ⊕ X]) (−1)^popcount(i & Z) ψ[i] that pairs a with those j of b (i = j ⊕ x).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func pauliPieceCorrelationRange<Real: StateScalar>(_ a: UnsafeMutablePointer<Real>, piece: UnsafeMutablePointer<Real>,
                                                   first: Int, xMask: Int, zMask: Int, start: Int, end: Int)
    -> (Double, Double)
{
    var sr = 0.0, si = 0.0
    for j in start..<end {
        // i: the amplitude of a that the piece's amplitude j meets.
        let i = j ^ xMask
        let o = j &- first
        let br = Double(piece[2 &* o]), bi = -Double(piece[2 &* o &+ 1])  // conj(b[j])
        let ar = Double(a[2 &* i]), ai = Double(a[2 &* i &+ 1])
        let re = br * ar - bi * ai
        let im = br * ai + bi * ar
        if (i & zMask).nonzeroBitCount & 1 == 0 {
            sr += re
            si += im
        } else {
            sr -= re
            si -= im
        }
    }
    return (sr, si)
}

/// λ[j ⊕ x] += f · (−1)^popcount(j & z) · b[j] for j in start..<end: the part of λ = f · P ψ that
/// comes from the piece of b (distinct j write distinct entries of λ, so ranges may run in parallel).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func pauliPieceTermRange<Real: StateScalar>(piece: UnsafeMutablePointer<Real>, first: Int, into lambda: UnsafeMutablePointer<Real>,
                                            xMask: Int, zMask: Int, factorRe fr: Real, factorIm fi: Real, start: Int, end: Int)
{
    for j in start..<end {
        let o = j &- first
        let sign: Real = (j & zMask).nonzeroBitCount & 1 == 0 ? 1 : -1
        let xr = sign * piece[2 &* o], xi = sign * piece[2 &* o &+ 1]
        let target = j ^ xMask
        lambda[2 &* target] += fr * xr - fi * xi
        lambda[2 &* target &+ 1] += fr * xi + fi * xr
    }
}
