import Foundation

// Privacy loss distributions (PLDs) of the Poisson-subsampled Gaussian mechanism, discretised
// pessimistically ("connect the dots", Doroshenko, Ghazi, Kamath, Kumar and Manurangsi 2022) and
// composed by FFT — the construction of dp-accounting's PLDAccountant (Koskela et al. 2020, Meiser
// and Mohammadi 2018 for the composition).
//
// The PLD of a pair (μ_upper, μ_lower) is the law of L = log(μ_upper(x)/μ_lower(x)) for x ∼ μ_upper;
// δ(ε) = E[(1 − e^{ε−L})₊] is the hockey-stick divergence, so a mechanism is (ε, δ(ε))-DP. With
// add/remove adjacency the accountant keeps two PLDs and reports the larger ε:
//   remove: μ_upper = (1−q)N(0,σ²) + q N(−1,σ²), μ_lower = N(0,σ²)
//   add:    μ_upper = N(0,σ²),                   μ_lower = (1−q)N(0,σ²) + q N(1,σ²)
// (q = 1 makes both the same, and one suffices).

/// Which neighbour relation a PLD describes.
enum Adjacency: Sendable {
    case remove, add
}

/// The privacy loss of one step of the subsampled Gaussian with sensitivity 1 (the clipping norm).
struct GaussianPrivacyLoss {
    let sigma: Double
    let q: Double
    let adjacency: Adjacency

    /// ln of the noise mass the discretisation may drop: e^{−50} (dp-accounting's default).
    static let logMassTruncationBound = -50.0

    /// The loss without subsampling, remove: log(N(x+1)/N(x)) = (−½ − x)/σ².
    private func lossWithoutSubsampling(_ x: Double) -> Double {
        (-0.5 - x) / (sigma * sigma)
    }

    /// The remove loss: log(1 − q + q·e^{ℓ(x)}).
    private func removeLoss(_ x: Double) -> Double {
        let loss = lossWithoutSubsampling(x)
        if q == 1 { return loss }
        return LogSpace.aTimesExpBPlusC(q, loss, 1 - q)
    }

    /// L(x), non-increasing in x. The add loss is the remove loss mirrored: −L_remove(−x).
    func privacyLoss(_ x: Double) -> Double {
        switch adjacency {
        case .remove: removeLoss(x)
        case .add: -removeLoss(-x)
        }
    }

    /// The largest x with L(x) ≥ ε.
    func inversePrivacyLoss(_ epsilon: Double) -> Double {
        // Without subsampling: ℓ⁻¹(ε) = −½ − εσ² (remove) and 1 + that (add).
        let inverseRemove = { (loss: Double) in -0.5 - loss * (self.sigma * self.sigma) }
        switch adjacency {
        case .remove:
            if q == 1 { return inverseRemove(epsilon) }
            if Self.isClose(epsilon, log(1 - q)) { return inverseRemove(-.infinity) }
            // ℓ = log(1 + (e^ε − 1)/q)
            return inverseRemove(LogSpace.aTimesExpBPlusC(1 / q, epsilon, 1 - 1 / q))
        case .add:
            if q == 1 { return 1 + inverseRemove(epsilon) }
            if Self.isClose(epsilon, -log(1 - q)) { return 1 + inverseRemove(.infinity) }
            // ℓ = −log(1 + (e^{−ε} − 1)/q)
            return 1 + inverseRemove(-LogSpace.aTimesExpBPlusC(1 / q, -epsilon, 1 - 1 / q))
        }
    }

    /// P[X ≤ x] for X ∼ μ_upper.
    func upperCDF(_ x: Double) -> Double {
        switch adjacency {
        case .add:
            return Normal.cdf(x / sigma)
        case .remove:
            if q == 1 { return Normal.cdf((x + 1) / sigma) }
            return (1 - q) * Normal.cdf(x / sigma) + q * Normal.cdf((x + 1) / sigma)
        }
    }

    /// log P[X ≤ x] for X ∼ μ_lower.
    func lowerLogCDF(_ x: Double) -> Double {
        switch adjacency {
        case .add:
            if q == 1 { return Normal.logCDF((x - 1) / sigma) }
            return LogSpace.add(log1p(-q) + Normal.logCDF(x / sigma), log(q) + Normal.logCDF((x - 1) / sigma))
        case .remove:
            return Normal.logCDF(x / sigma)
        }
    }

    /// δ(ε) = μ_upper(X ≤ x_ε) − e^ε μ_lower(X ≤ x_ε) with x_ε = L⁻¹(ε) (the loss is monotone, so
    /// the set where it exceeds ε is a half-line), clipped to [0, 1]. Where the loss cannot reach ε
    /// (add, ε ≥ −log(1−q)) δ is 0; where every x exceeds it (remove, ε ≤ log(1−q)) δ = 1 − e^ε.
    func delta(forEpsilon epsilon: Double) -> Double {
        var value: Double
        if q < 1, adjacency == .add, !(epsilon < -log1p(-q)) {
            value = 0
        } else if q < 1, adjacency == .remove, !(epsilon > log1p(-q)) {
            value = -expm1(epsilon)
        } else {
            let x = inversePrivacyLoss(epsilon)
            value = upperCDF(x) - exp(epsilon + lowerLogCDF(x))
        }
        return min(1, max(0, value))
    }

    /// The losses at the ends of the x range that keeps all but e^{−50} of the noise's mass:
    /// [σΦ⁻¹(½e^{−50}) − 1, −σΦ⁻¹(½e^{−50})] (remove) or [σΦ⁻¹(½e^{−50}), 1 − σΦ⁻¹(½e^{−50})] (add).
    /// Beyond them the discretisation puts the mass at +∞ (pessimistic).
    func epsilonBounds() -> (lower: Double, upper: Double) {
        var lowerX = sigma * Normal.quantile(0.5 * exp(Self.logMassTruncationBound))
        var upperX = -lowerX
        switch adjacency {
        case .add: upperX += 1
        case .remove: lowerX -= 1
        }
        return (privacyLoss(upperX), privacyLoss(lowerX))
    }

    /// Python's `math.isclose` with its default relative tolerance 1e-9.
    static func isClose(_ a: Double, _ b: Double) -> Bool {
        a == b || abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    }
}

/// A discretised PLD: probability `probabilities[k]` at loss (lowerLoss + k)·discretization, plus
/// `infinityMass` at +∞.
struct DiscretePrivacyLoss: Sendable {
    let discretization: Double
    let lowerLoss: Int
    let probabilities: [Double]
    let infinityMass: Double

    /// Tail mass the compositions may drop (put at +∞ on the right, at the lowest kept loss on the
    /// left): dp-accounting's 1e-15.
    static let tailMassTruncation = 1e-15

    /// The pessimistic connect-the-dots PLD of one step, on the grid ε_k = k·d between the loss
    /// bounds: with δ_k = δ(ε_k) and h = d, the mass at ε_1 is (1 − δ_1) + (δ_2 − δ_1)/(e^h − 1),
    /// at inner points ((δ_{k+1} − δ_k) − e^h(δ_k − δ_{k−1}))/(e^h − 1), at the last
    /// (δ_n − δ_{n−1})/(e^{−h} − 1), and δ_n at +∞; negative masses (rounding) become 0.
    static func connectTheDots(_ loss: GaussianPrivacyLoss, discretization d: Double, maximumPoints: Int) throws -> DiscretePrivacyLoss {
        let bounds = loss.epsilonBounds()
        let upperScaled = (bounds.upper / d).rounded(.up), lowerScaled = (bounds.lower / d).rounded(.down)
        let span = upperScaled - lowerScaled + 1
        guard span.isFinite, span <= Double(maximumPoints) else {
            throw DifferentialPrivacyError.accountingTooLarge(points: span.isFinite ? Int(span) : Int.max, limit: maximumPoints,
                detail: "one step of σ = \(loss.sigma), q = \(loss.q) spans losses \(DifferentialPrivacyError.short(bounds.lower)) "
                    + "to \(DifferentialPrivacyError.short(bounds.upper)) in steps of \(d)")
        }
        let lower = Int(lowerScaled), upper = Int(upperScaled)
        let count = upper - lower + 1
        var deltas = [Double](repeating: 0, count: count)
        for k in 0..<count {
            deltas[k] = loss.delta(forEpsilon: Double(lower + k) * d)
        }
        if count == 1 {
            return DiscretePrivacyLoss(discretization: d, lowerLoss: lower, probabilities: [1 - deltas[0]], infinityMass: deltas[0])
        }
        // δ is non-increasing in ε; rounding may break that by a few ulps: keep the running minimum.
        for k in 1..<count where deltas[k] > deltas[k - 1] { deltas[k] = deltas[k - 1] }
        var differences = [Double](repeating: 0, count: count - 1)
        for k in 0..<(count - 1) { differences[k] = deltas[k + 1] - deltas[k] }
        let expm1h = expm1(d), exph = exp(d)
        var probabilities = [Double](repeating: 0, count: count)
        probabilities[0] = 1 - deltas[0] + differences[0] / expm1h
        if count > 2 {
            for k in 1..<(count - 1) {
                probabilities[k] = (differences[k] - differences[k - 1] * exph) / expm1h
            }
        }
        probabilities[count - 1] = differences[count - 2] / expm1(-d)
        for k in 0..<count where !(probabilities[k] > 0) { probabilities[k] = 0 }
        return DiscretePrivacyLoss(discretization: d, lowerLoss: lower, probabilities: probabilities, infinityMass: deltas[count - 1])
    }

    /// The PLD of `times` compositions of this one: the `times`-fold convolution by FFT, kept on the
    /// index range where a Chernoff bound leaves at most 1e-15 of mass outside; that mass is added
    /// at +∞, and the +∞ mass becomes 1 − (1 − m)^times + 1e-15.
    func selfComposed(_ times: Int, maximumPoints: Int) throws -> DiscretePrivacyLoss {
        let tail = Self.tailMassTruncation
        let (lowerBound, upperBound) = Self.chernoffBounds(probabilities, times: times, tailMass: tail)
        let outputCount = upperBound - lowerBound + 1
        let size = FourierTransform.size(atLeast: max(outputCount, probabilities.count))
        let (scaledLower, overflow) = lowerLoss.multipliedReportingOverflow(by: times)
        guard size <= maximumPoints, !overflow else {
            throw DifferentialPrivacyError.accountingTooLarge(points: size, limit: maximumPoints,
                detail: "\(times) compositions of a distribution of \(probabilities.count) points")
        }
        let cyclic = Convolution.selfCyclic(probabilities, times: times, size: size)
        // The cyclic result holds index i (of the full convolution) at i mod size; indices outside
        // [lowerBound, upperBound] carry at most 1e-15 and wrap harmlessly.
        var output = [Double](repeating: 0, count: outputCount)
        for k in 0..<outputCount { output[k] = cyclic[(k + lowerBound) % size] }
        let infinity = tail - expm1(Double(times) * log1p(-infinityMass))
        return DiscretePrivacyLoss(discretization: discretization, lowerLoss: scaledLower + lowerBound,
                                   probabilities: output, infinityMass: infinity)
    }

    /// The PLD of this composed with another on the same grid: the linear convolution, then the
    /// tails truncated (``truncatingTails()``); +∞ masses combine as a + b − ab.
    func composed(with other: DiscretePrivacyLoss, maximumPoints: Int) throws -> DiscretePrivacyLoss {
        let count = probabilities.count + other.probabilities.count - 1
        guard FourierTransform.size(atLeast: count) <= maximumPoints else {
            throw DifferentialPrivacyError.accountingTooLarge(points: FourierTransform.size(atLeast: count), limit: maximumPoints,
                detail: "composing distributions of \(probabilities.count) and \(other.probabilities.count) points")
        }
        let convolution = Convolution.linear(probabilities, other.probabilities)
        let infinity = infinityMass + other.infinityMass - infinityMass * other.infinityMass
        return DiscretePrivacyLoss(discretization: discretization, lowerLoss: lowerLoss + other.lowerLoss,
                                   probabilities: convolution, infinityMass: infinity).truncatingTails()
    }

    /// Drops the longest prefix and suffix whose masses are each at most 1e-15/2, pessimistically:
    /// the prefix's mass moves to the first kept point, the suffix's to +∞.
    func truncatingTails() -> DiscretePrivacyLoss {
        let half = Self.tailMassTruncation / 2
        func prefixLength<C: Collection>(_ values: C) -> Int where C.Element == Double {
            var sum = 0.0, index = 0
            for value in values {
                sum += value
                if sum > half { return index }
                index += 1
            }
            return index
        }
        let left = prefixLength(probabilities)
        var right = probabilities.count - prefixLength(probabilities.reversed())
        right = max(right, left + 1)
        let leftMass = probabilities[0..<left].reduce(0, +)
        let rightMass = right < probabilities.count ? probabilities[right...].reduce(0, +) : 0
        var kept = Array(probabilities[left..<min(right, probabilities.count)])
        if kept.isEmpty { kept = [0] }
        kept[0] += leftMass
        return DiscretePrivacyLoss(discretization: discretization, lowerLoss: lowerLoss + left, probabilities: kept,
                                   infinityMass: infinityMass + rightMass)
    }

    /// The smallest ε ≥ 0 with δ(ε) ≤ `delta`: walking down from the largest loss, δ(ε) =
    /// M_upper − e^ε M_lower over the losses above ε, with M_upper = m_∞ + Σ p and M_lower = Σ p e^{−L};
    /// +∞ when the mass at +∞ alone exceeds δ.
    func epsilon(forDelta delta: Double) -> Double {
        if infinityMass > delta { return .infinity }
        var massUpper = infinityMass, massLower = 0.0
        for k in stride(from: probabilities.count - 1, through: 0, by: -1) {
            let loss = Double(lowerLoss + k) * discretization
            if massUpper > delta, massLower > 0, log((massUpper - delta) / massLower) >= loss { break }
            let p = probabilities[k]
            massUpper += p
            massLower += exp(-loss) * p
            if massUpper >= delta, massLower == 0 { return max(0, loss) }
        }
        if massUpper <= massLower + delta { return 0 }
        return log((massUpper - delta) / massLower)
    }

    /// Index bounds [lower, upper] of the `times`-fold convolution outside which at most `tailMass`
    /// lies, by the Chernoff bound P[S ≥ u] ≤ e^{times·log M(t) − t·u} at t = ±1/n … ±20/n, with
    /// M(t) = Σ_i p_i e^{t·i} the moment-generating function of one index (n points).
    static func chernoffBounds(_ probabilities: [Double], times: Int, tailMass: Double) -> (Int, Int) {
        let n = probabilities.count
        var upper = (n - 1).multipliedReportingOverflow(by: times).overflow ? Int.max : (n - 1) * times
        var lower = 0
        let logTwoOverTail = log(2 / tailMass)
        for k in [Int](-20 ... -1) + [Int](1...20) {
            let order = Double(k) / Double(n)
            // log Σ p_i e^{order·i}, shifted by the largest exponent.
            let shift = order > 0 ? order * Double(n - 1) : 0
            var sum = 0.0
            for i in 0..<n { sum += probabilities[i] * exp(order * Double(i) - shift) }
            let logMGF = log(sum) + shift
            let bound = (Double(times) * logMGF + logTwoOverTail) / order
            guard bound.isFinite else { continue }
            if order > 0, bound < Double(upper) { upper = Int(bound.rounded(.up)) }
            if order < 0, bound > Double(lower) { lower = Int(bound.rounded(.down)) }
        }
        return (lower, max(lower, upper))
    }
}
