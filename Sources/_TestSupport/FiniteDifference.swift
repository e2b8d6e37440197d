import ComplexModule
import Foundation
import Quantum

/// Central finite differences: the independent oracle for every gradient path.
///
/// With step h the error is O(h²·|f‴|) from truncation plus O(ε·|f|/h) from rounding; for
/// expectation values (|f| ≤ ‖O‖, smooth trigonometric functions of the angles) h = 1e-6 gives
/// about 1e-9.
public enum FiniteDifference {
    /// g_j = (f(x + h·e_j) − f(x − h·e_j)) / 2h for every coordinate j.
    /// - Parameters:
    ///   - f: the function.
    ///   - x: the point.
    ///   - step: h.
    /// - Returns: the approximate gradient, one entry per coordinate of `x`.
    public static func gradient(_ f: ([Double]) throws -> Double, at x: [Double], step: Double = 1e-6) rethrows -> [Double] {
        try jacobian({ [try f($0)] }, at: x, step: step)[0]
    }

    /// J[k][j] = (f_k(x + h·e_j) − f_k(x − h·e_j)) / 2h for a vector-valued f.
    /// - Parameters:
    ///   - f: the function; every call must return the same number of values.
    ///   - x: the point.
    ///   - step: h.
    /// - Returns: one row per output of `f`, one column per coordinate of `x`.
    public static func jacobian(_ f: ([Double]) throws -> [Double], at x: [Double], step: Double = 1e-6) rethrows -> [[Double]] {
        let outputs = try f(x).count
        var result = [[Double]](repeating: [Double](repeating: 0, count: x.count), count: outputs)
        for j in x.indices {
            var plus = x, minus = x
            plus[j] += step
            minus[j] -= step
            let up = try f(plus), down = try f(minus)
            for k in 0..<outputs { result[k][j] = (up[k] - down[k]) / (2 * step) }
        }
        return result
    }

    /// max_j |a_j − b_j| (infinity when the lengths differ).
    public static func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// The largest entrywise difference of two matrices given as rows.
    public static func maxDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { maxDifference($0, $1) }.max() ?? 0
    }
}

extension ReferenceSimulator {
    /// ⟨ψ|O|ψ⟩ straight from the labels: each Pauli string is applied letter by letter to a copy of
    /// the state (the rightmost letter acts on qubit 0), independent of `Quantum`'s bit masks.
    /// - Parameters:
    ///   - terms: (label, coefficient) pairs, labels over `IXYZ` as wide as the state.
    ///   - state: 2^n amplitudes.
    public static func expectation(_ terms: [(String, Double)], in state: [Complex<Double>]) -> Double {
        var total = 0.0
        for (label, coefficient) in terms {
            var image = state
            for (position, letter) in label.reversed().enumerated() {
                let bit = 1 << position
                var next = image
                for index in image.indices {
                    let flipped = index ^ bit
                    let one = index & bit != 0
                    switch letter {
                    case "X": next[index] = image[flipped]
                    case "Y": next[index] = (one ? Complex(0, 1) : Complex(0, -1)) * image[flipped]
                    case "Z": next[index] = one ? -image[index] : image[index]
                    default: break
                    }
                }
                image = next
            }
            var inner = Complex<Double>.zero
            for (a, b) in zip(state, image) { inner = inner + a.conjugate * b }
            total += coefficient * inner.real
        }
        return total
    }
}
