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

enum Convolution {
    /// The linear convolution c_k = Σ_j a_j b_{k−j} of two real sequences, length |a| + |b| − 1,
    /// through one transform of each and one inverse.
    static func linear(_ a: [Double], _ b: [Double]) -> [Double] {
        let length = a.count + b.count - 1
        let fft = FourierTransform(count: FourierTransform.size(atLeast: length))
        var ar = a + [Double](repeating: 0, count: fft.count - a.count), ai = [Double](repeating: 0, count: fft.count)
        var br = b + [Double](repeating: 0, count: fft.count - b.count), bi = [Double](repeating: 0, count: fft.count)
        fft.forward(&ar, &ai)
        fft.forward(&br, &bi)
        for k in 0..<fft.count {
            let r = ar[k] * br[k] - ai[k] * bi[k]
            let i = ar[k] * bi[k] + ai[k] * br[k]
            ar[k] = r
            ai[k] = i
        }
        fft.inverse(&ar, &ai)
        return Array(ar[0..<length])
    }

    /// The `times`-fold convolution of `a` with itself, taken modulo `size` (a power of two ≥ |a|):
    /// entry k is Σ over index tuples summing to k (mod size). The spectrum is raised to the power
    /// by repeated squaring.
    static func selfCyclic(_ a: [Double], times: Int, size: Int) -> [Double] {
        let fft = FourierTransform(count: size)
        var re = a + [Double](repeating: 0, count: size - a.count), im = [Double](repeating: 0, count: size)
        fft.forward(&re, &im)
        for k in 0..<size {
            (re[k], im[k]) = power(re[k], im[k], times)
        }
        fft.inverse(&re, &im)
        return re
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
