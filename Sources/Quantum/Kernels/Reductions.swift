// Reductions and measurement kernels. Sums run over fixed blocks (see `blockSum`) and accumulate
// in Double, so results do not depend on the thread count or on the state's precision type.
// Argument order as elsewhere: (amplitudes, numQubits, qubits…, other inputs, threads).

/// Σ |a_i|² over all amplitudes.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func normSquared<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, threads: Int) -> Double {
    let state = SharedPointer(base: amplitudes)
    return blockSum(count: 2 << numQubits, threads: threads) { start, end in
        var s = 0.0
        for j in start..<end {
            let x = Double(state.base[j])
            s += x * x
        }
        return s
    }
}

/// Σ |a_i|² over the amplitudes whose bit `qubit` is 1.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func probabilityOfOne<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, qubit: Int,
                                         threads: Int) -> Double
{
    let state = SharedPointer(base: amplitudes)
    let bit = 1 << qubit
    return blockSum(count: (1 << numQubits) >> 1, threads: threads) { start, end in
        var s = 0.0
        let p = state.base
        var k = start
        while k < end {
            // i: k-th index whose bit `qubit` is 1; runs of 2^qubit consecutive indices.
            let runEnd = min(end, (k | (bit &- 1)) &+ 1)
            var i = (((k >> qubit) << (qubit &+ 1)) | (k & (bit &- 1))) | bit
            for _ in k..<runEnd {
                let re = Double(p[2 &* i]), im = Double(p[2 &* i &+ 1])
                s += re * re + im * im
                i &+= 1
            }
            k = runEnd
        }
        return s
    }
}

/// Keeps the amplitudes whose bit `qubit` equals `outcome`, multiplied by `scale`, and zeroes
/// the others (the projection after a measurement, renormalised by the caller's `scale`).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func collapse<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, qubit: Int, outcome: Int,
                                 scale: Real, threads: Int)
{
    let state = SharedPointer(base: amplitudes)
    let bit = 1 << qubit
    let keep = outcome == 0 ? 0 : bit
    forEachRange(count: 1 << numQubits, threads: threads) { start, end in
        let p = state.base
        var i = start
        while i < end {
            let blockEnd = min(end, (i | (bit &- 1)) &+ 1)
            let kept = i & bit == keep
            for j in i..<blockEnd {
                if kept {
                    p[2 &* j] *= scale
                    p[2 &* j &+ 1] *= scale
                } else {
                    p[2 &* j] = 0
                    p[2 &* j &+ 1] = 0
                }
            }
            i = blockEnd
        }
    }
}

/// Swaps the halves where bit `qubit` is 0 and 1 (an X gate without arithmetic).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func flip<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, qubit: Int, threads: Int) {
    let state = SharedPointer(base: amplitudes)
    let bit = 1 << qubit
    forEachRange(count: (1 << numQubits) >> 1, threads: threads) { start, end in
        let p = state.base
        for k in start..<end {
            let i0 = ((k >> qubit) << (qubit &+ 1)) | (k & (bit &- 1))
            let i1 = i0 | bit
            let re = p[2 &* i0], im = p[2 &* i0 &+ 1]
            p[2 &* i0] = p[2 &* i1]
            p[2 &* i0 &+ 1] = p[2 &* i1 &+ 1]
            p[2 &* i1] = re
            p[2 &* i1 &+ 1] = im
        }
    }
}

/// Writes |a_i|² for every i into `output` (2^numQubits Doubles).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func writeProbabilities<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int,
                                           into output: UnsafeMutablePointer<Double>, threads: Int)
{
    let state = SharedPointer(base: amplitudes)
    let out = SharedPointer(base: output)
    forEachRange(count: 1 << numQubits, threads: threads) { start, end in
        for i in start..<end {
            let re = Double(state.base[2 &* i]), im = Double(state.base[2 &* i &+ 1])
            out.base[i] = re * re + im * im
        }
    }
}

/// Σ_i conj(a[i ⊕ xMask]) · (−1)^popcount(i & zMask) · a[i], as (re, im).
/// With xMask the X-or-Y qubits and zMask the Z-or-Y qubits, ⟨ψ|P|ψ⟩ = i^(number of Y) × this.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func pauliCorrelation<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, xMask: Int,
                                         zMask: Int, threads: Int) -> (Double, Double)
{
    let state = SharedPointer(base: amplitudes)
    return blockSumComplex(count: 1 << numQubits, threads: threads) { start, end in
        var sr = 0.0, si = 0.0
        let p = state.base
        for i in start..<end {
            let j = i ^ xMask
            let ar = Double(p[2 &* i]), ai = Double(p[2 &* i &+ 1])
            let br = Double(p[2 &* j]), bi = -Double(p[2 &* j &+ 1])  // conj(a[j])
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
}

/// Σ_i conj(a_i) · b_i, as (re, im).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func innerProduct<Real: StateScalar>(_ a: UnsafeMutablePointer<Real>, _ b: UnsafeMutablePointer<Real>, numQubits: Int,
                                     threads: Int) -> (Double, Double)
{
    let left = SharedPointer(base: a)
    let right = SharedPointer(base: b)
    return blockSumComplex(count: 1 << numQubits, threads: threads) { start, end in
        var sr = 0.0, si = 0.0
        for i in start..<end {
            let ar = Double(left.base[2 &* i]), ai = -Double(left.base[2 &* i &+ 1])
            let br = Double(right.base[2 &* i]), bi = Double(right.base[2 &* i &+ 1])
            sr += ar * br - ai * bi
            si += ar * bi + ai * br
        }
        return (sr, si)
    }
}
