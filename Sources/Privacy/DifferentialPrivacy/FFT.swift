import Foundation

// The discrete Fourier transform the PLD accountant composes with: an iterative radix-2
// Cooley–Tukey transform over separate real and imaginary arrays, for power-of-two sizes.
//
// Argument order of every function here: (real parts, imaginary parts, [exponent]).
// Twiddle factors w_k = e^{−2πik/N} are computed directly with cos and sin for each k (no
// recurrence), so their error stays one ulp whatever N is; a length-N transform then has a
// relative error of about log₂N ulps of the largest value. The accountant's sums of probabilities
// are at most 1, so its absolute error per entry stays near 1e-15.

struct FourierTransform {
    /// N, a power of two.
    let count: Int
    /// cos(2πk/N) and sin(2πk/N) for k < N/2.
    private let cosines: [Double]
    private let sines: [Double]

    /// A transform of `count` points; `count` must be a power of two (checked by the caller).
    init(count: Int) {
        precondition(count > 0 && count & (count - 1) == 0, "FFT sizes are powers of two")
        self.count = count
        let half = count / 2
        var cosines = [Double](repeating: 1, count: max(half, 1))
        var sines = [Double](repeating: 0, count: max(half, 1))
        for k in 0..<half {
            let angle = 2 * Double.pi * Double(k) / Double(count)
            cosines[k] = cos(angle)
            sines[k] = sin(angle)
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// The smallest power of two ≥ n (n ≥ 1).
    static func size(atLeast n: Int) -> Int {
        var size = 1
        while size < n { size <<= 1 }
        return size
    }

    /// X_k = Σ_j x_j e^{−2πijk/N}, in place.
    func forward(_ real: inout [Double], _ imaginary: inout [Double]) {
        transform(&real, &imaginary, sign: -1)
    }

    /// x_j = (1/N) Σ_k X_k e^{+2πijk/N}, in place.
    func inverse(_ real: inout [Double], _ imaginary: inout [Double]) {
        transform(&real, &imaginary, sign: 1)
        let scale = 1 / Double(count)
        for k in 0..<count {
            real[k] *= scale
            imaginary[k] *= scale
        }
    }

    private func transform(_ realArray: inout [Double], _ imaginaryArray: inout [Double], sign: Double) {
        precondition(realArray.count == count && imaginaryArray.count == count)
        let n = count
        if n == 1 { return }
        cosines.withUnsafeBufferPointer { cosines in
            sines.withUnsafeBufferPointer { sines in
                realArray.withUnsafeMutableBufferPointer { re in
                    imaginaryArray.withUnsafeMutableBufferPointer { im in
                        // Bit-reversal permutation: j is i with its log₂N bits reversed.
                        var j = 0
                        for i in 1..<n {
                            var bit = n >> 1
                            while j & bit != 0 {
                                j ^= bit
                                bit >>= 1
                            }
                            j |= bit
                            if i < j {
                                re.swapAt(i, j)
                                im.swapAt(i, j)
                            }
                        }
                        // Butterflies: blocks of `length` points; the k-th pair of a block is
                        // (start + k, start + k + half), with twiddle w_{k·N/length}.
                        var length = 2
                        while length <= n {
                            let half = length / 2
                            let stride = n / length
                            var start = 0
                            while start < n {
                                for k in 0..<half {
                                    let wr = cosines[k * stride], wi = sign * sines[k * stride]
                                    let top = start + k, bottom = top + half
                                    let vr = re[bottom] * wr - im[bottom] * wi
                                    let vi = re[bottom] * wi + im[bottom] * wr
                                    let ur = re[top], ui = im[top]
                                    re[top] = ur + vr
                                    im[top] = ui + vi
                                    re[bottom] = ur - vr
                                    im[bottom] = ui - vi
                                }
                                start += length
                            }
                            length <<= 1
                        }
                    }
                }
            }
        }
    }
}

/// The transform of a real sequence of N points through one complex transform of N/2 points: the
/// even samples as real parts, the odd ones as imaginary parts (z_j = x_{2j} + i·x_{2j+1}), then
/// X_k = ½(Z_k + Z̄_{M−k}) − ½i·w_k(Z_k − Z̄_{M−k}) with w_k = e^{−2πik/N}, M = N/2, for k = 0…M
/// (the other half is the conjugate mirror). Half the work and memory of a complex transform.
struct RealFourierTransform {
    /// N, a power of two ≥ 2.
    let count: Int
    private let half: FourierTransform
    /// cos(2πk/N) and sin(2πk/N) for k < N/2.
    private let cosines: [Double]
    private let sines: [Double]

    init(count: Int) {
        precondition(count >= 2 && count & (count - 1) == 0, "real FFT sizes are powers of two ≥ 2")
        self.count = count
        half = FourierTransform(count: count / 2)
        let m = count / 2
        var cosines = [Double](repeating: 1, count: m), sines = [Double](repeating: 0, count: m)
        for k in 0..<m {
            let angle = 2 * Double.pi * Double(k) / Double(count)
            cosines[k] = cos(angle)
            sines[k] = sin(angle)
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// X_0 … X_{N/2} of the real sequence `x` (zero-padded to N).
    func forward(_ x: [Double]) -> (real: [Double], imaginary: [Double]) {
        let m = count / 2
        var zr = [Double](repeating: 0, count: m), zi = [Double](repeating: 0, count: m)
        for j in 0..<m {
            if 2 * j < x.count { zr[j] = x[2 * j] }
            if 2 * j + 1 < x.count { zi[j] = x[2 * j + 1] }
        }
        half.forward(&zr, &zi)
        var xr = [Double](repeating: 0, count: m + 1), xi = [Double](repeating: 0, count: m + 1)
        xr[0] = zr[0] + zi[0]
        xr[m] = zr[0] - zi[0]
        for k in 1..<max(m, 1) {
            // E = ½(Z_k + Z̄_{M−k}), O = −½i(Z_k − Z̄_{M−k}); X_k = E + w_k·O.
            let ar = zr[k], ai = zi[k], br = zr[m - k], bi = -zi[m - k]
            let er = 0.5 * (ar + br), ei = 0.5 * (ai + bi)
            let dr = ar - br, di = ai - bi
            let or = 0.5 * di, oi = -0.5 * dr
            let wr = cosines[k], wi = -sines[k]
            xr[k] = er + wr * or - wi * oi
            xi[k] = ei + wr * oi + wi * or
        }
        return (xr, xi)
    }

    /// The real sequence of N points whose spectrum's first half (k = 0 … N/2) is given.
    func inverse(real xr: [Double], imaginary xi: [Double]) -> [Double] {
        let m = count / 2
        var zr = [Double](repeating: 0, count: m), zi = [Double](repeating: 0, count: m)
        for k in 0..<m {
            // E_k = ½(X_k + X̄_{M−k}), O_k = ½·w̄_k(X_k − X̄_{M−k}); Z_k = E_k + i·O_k.
            let ar = xr[k], ai = xi[k], br = xr[m - k], bi = -xi[m - k]
            let er = 0.5 * (ar + br), ei = 0.5 * (ai + bi)
            let dr = 0.5 * (ar - br), di = 0.5 * (ai - bi)
            let wr = cosines[k], wi = sines[k]
            let or = wr * dr - wi * di, oi = wr * di + wi * dr
            zr[k] = er - oi
            zi[k] = ei + or
        }
        half.inverse(&zr, &zi)
        var x = [Double](repeating: 0, count: count)
        for j in 0..<m {
            x[2 * j] = zr[j]
            x[2 * j + 1] = zi[j]
        }
        return x
    }
}

enum Convolution {
    /// The linear convolution c_k = Σ_j a_j b_{k−j} of two real sequences, length |a| + |b| − 1,
    /// through one real transform of each and one inverse.
    static func linear(_ a: [Double], _ b: [Double]) -> [Double] {
        let length = a.count + b.count - 1
        let fft = RealFourierTransform(count: max(2, FourierTransform.size(atLeast: length)))
        var (ar, ai) = fft.forward(a)
        let (br, bi) = fft.forward(b)
        for k in ar.indices {
            (ar[k], ai[k]) = (ar[k] * br[k] - ai[k] * bi[k], ar[k] * bi[k] + ai[k] * br[k])
        }
        return Array(fft.inverse(real: ar, imaginary: ai)[0..<length])
    }

    /// The `times`-fold convolution of `a` with itself, taken modulo `size` (a power of two ≥ |a|):
    /// entry k is Σ over index tuples summing to k (mod size). The spectrum of the real sequence is
    /// raised to the power by repeated squaring.
    static func selfCyclic(_ a: [Double], times: Int, size: Int) -> [Double] {
        if size == 1 { return [pow(a[0], Double(times))] }
        let fft = RealFourierTransform(count: size)
        var (re, im) = fft.forward(a)
        for k in re.indices {
            (re[k], im[k]) = power(re[k], im[k], times)
        }
        return fft.inverse(real: re, imaginary: im)
    }

    /// (x + iy)^n by binary exponentiation.
    static func power(_ x: Double, _ y: Double, _ n: Int) -> (Double, Double) {
        var resultR = 1.0, resultI = 0.0
        var baseR = x, baseI = y
        var e = n
        while e > 0 {
            if e & 1 == 1 {
                (resultR, resultI) = (resultR * baseR - resultI * baseI, resultR * baseI + resultI * baseR)
            }
            e >>= 1
            if e > 0 { (baseR, baseI) = (baseR * baseR - baseI * baseI, 2 * baseR * baseI) }
        }
        return (resultR, resultI)
    }
}
