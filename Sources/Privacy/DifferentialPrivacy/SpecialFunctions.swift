import Foundation

// Numerical helpers of the accountants: sums in log space, log|Γ|, the normal distribution's CDF,
// its logarithm and its quantile. Everything here is accurate to a few ulps over the ranges the
// accountants use (the RDP series reach log-values near -10⁵; the PLD's tails reach 1e-22).

enum LogSpace {
    /// log(eᵃ + eᵇ), exact when either is -∞ (adding zero).
    static func add(_ a: Double, _ b: Double) -> Double {
        let low = min(a, b), high = max(a, b)
        if low == -.infinity { return high }
        return log1p(exp(low - high)) + high
    }

    /// log|eˣ − eʸ| and whether eˣ − eʸ is positive (log of zero is -∞, counted positive).
    static func subtract(_ x: Double, _ y: Double) -> (positive: Bool, magnitude: Double) {
        if x > y { return (true, x + log1p(-exp(y - x))) }
        if x < y { return (false, y + log1p(-exp(x - y))) }
        return (true, -.infinity)
    }

    /// log(a·eᵇ + c) for the signs the PLD uses: a·eᵇ + c must be positive.
    static func aTimesExpBPlusC(_ a: Double, _ b: Double, _ c: Double) -> Double {
        if a == 0 { return log(c) }
        if a < 0 {
            // log(c − |a|eᵇ) = log c + log1p(−|a|eᵇ / c)
            let logC = log(c), other = log(-a) + b
            return logC + log1p(-exp(other - logC))
        }
        if b == 0 { return log(a + c) }
        let d = b + log(a)
        if c == 0 { return d }
        if c < 0 {
            let other = log(-c)
            return d + log1p(-exp(other - d))
        }
        return add(d, log(c))
    }
}

/// log|Γ(x)| (glibc's reentrant lgamma_r: no shared sign variable between threads).
func logAbsGamma(_ x: Double) -> Double {
    var sign: Int32 = 0
    return lgamma_r(x, &sign)
}

/// log|C(n, k)| = log|Γ(n+1)| − log|Γ(k+1)| − log|Γ(n−k+1)|, for real n (the RDP series of a
/// fractional order uses it beyond k > n, where the binomial coefficient alternates in sign).
func logAbsBinomial(_ n: Double, _ k: Double) -> Double {
    logAbsGamma(n + 1) - logAbsGamma(k + 1) - logAbsGamma(n - k + 1)
}

enum Normal {
    /// log(erfc(x)), accurate where erfc(x) itself underflows: for x ≥ 25 the asymptotic series
    /// erfc(x) = e^{−x²}/(x√π) · (1 − 1/(2x²) + 3/(2x²)² − 15/(2x²)³ + …), eight terms (the
    /// ninth is below 1e-16 there).
    static func logErfc(_ x: Double) -> Double {
        if x < 25 { return log(erfc(x)) }
        let inverse = 1 / (2 * x * x)
        var term = 1.0, series = 1.0
        for k in 1...8 {
            term *= -Double(2 * k - 1) * inverse
            series += term
        }
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(series)
    }

    /// Φ(z), the standard normal CDF: ½·erfc(−z/√2).
    static func cdf(_ z: Double) -> Double {
        0.5 * erfc(-z / 2.0.squareRoot())
    }

    /// log Φ(z), accurate deep in the lower tail.
    static func logCDF(_ z: Double) -> Double {
        log(0.5) + logErfc(-z / 2.0.squareRoot())
    }

    /// Φ⁻¹(p) for 0 < p ≤ ½, by Newton's method on log Φ (concave, so Newton from the asymptotic
    /// start −√(−2 log p) converges monotonically); accurate to a few ulps.
    static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p <= 0.5, "Normal.quantile covers the lower half")
        if p == 0.5 { return 0 }
        let target = log(p)
        var x = -(-2 * target).squareRoot()
        for _ in 0..<100 {
            let logPhi = logCDF(x)
            // d/dx log Φ(x) = φ(x)/Φ(x), with log φ(x) = −x²/2 − log √(2π).
            let slope = exp(-0.5 * x * x - 0.5 * log(2 * Double.pi) - logPhi)
            let step = (logPhi - target) / slope
            x -= step
            if abs(step) <= 1e-15 * max(1, abs(x)) { break }
        }
        return x
    }
}
