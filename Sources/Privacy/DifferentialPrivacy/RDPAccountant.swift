import Foundation

/// The Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and
/// Zhang 2019), with the (ε, δ) conversion of Balle et al. 2020 — the computation of dp-accounting's
/// `RdpAccountant` with its default orders.
///
/// One step of ``SubsampledGaussian`` (q, σ) has RDP ε_α = log(A_α)/(α − 1) at order α, where
/// A_α = E_{z∼μ₀}[(μ(z)/μ₀(z))^α], μ₀ = N(0, σ²), μ = (1−q)μ₀ + q·N(1, σ²):
/// - integer α: A_α = Σ_{i=0}^{α} C(α,i) (1−q)^{α−i} q^i e^{(i²−i)/(2σ²)};
/// - fractional α: the two-sided series of Mironov et al. §3.3, summed until both sides decrease
///   and fall 30 nats below the total (at most 1000 terms; an order that does not converge is left
///   out, as dp-accounting does);
/// - q = 1: exactly α/(2σ²).
/// All sums run in log space, so tiny q and orders up to 1024 neither underflow nor overflow.
/// Steps compose by adding RDP: T steps give T·ε_α. The conversion at each order α > 1.01 is
/// ε = ε_α + log(1 − 1/α) − (log δ + log α)/(α − 1) (Balle et al. 2020, Prop. 12), or 0 when
/// δ² > 1 − e^{−ε_α} (the KL bound); the reported ε is the smallest over the orders.
public struct RDPAccountant: Codable, Hashable, Sendable {
    /// dp-accounting's `DEFAULT_RDP_ORDERS`: 1.1, 1.2, …, 10.9, then 11, 12, …, 63, then 128, 256,
    /// 512 and 1024 (α = 2…10 appear twice, as there).
    public static let defaultOrders: [Double] = {
        var orders: [Double] = (1..<100).map { (x: Int) -> Double in 1 + Double(x) / 10.0 }
        orders += (11..<64).map { (x: Int) -> Double in Double(x) }
        orders += [128, 256, 512, 1024]
        return orders
    }()

    /// The orders α at which RDP is tracked, each > 1.
    public let orders: [Double]

    /// An accountant over the given orders.
    ///
    /// - Parameter orders: the Rényi orders α, each finite and > 1 (dp-accounting's defaults
    ///   unless given).
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for an empty list
    ///   or an order ≤ 1 or not finite.
    public init(orders: [Double] = RDPAccountant.defaultOrders) throws {
        guard !orders.isEmpty else {
            throw DifferentialPrivacyError.invalidParameter(.orders, received: "[]", valid: "give at least one order α > 1")
        }
        if let bad = orders.first(where: { !($0.isFinite && $0 > 1) }) {
            throw DifferentialPrivacyError.invalidParameter(.orders, received: "\(bad)", valid: "every order α must be finite and > 1")
        }
        self.orders = orders
    }

    /// Decodes a saved accountant, checking its orders.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidState(_:)`` for a bad order; decoding errors.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(orders: try container.decode([Double].self, forKey: .orders))
        } catch let error as DifferentialPrivacyError {
            throw DifferentialPrivacyError.invalidState("saved RDP orders: \(error.description)")
        }
    }

    /// The RDP of one step at each of ``orders``: ε_α = log(A_α)/(α − 1) (+∞ where the fractional
    /// series does not converge).
    ///
    /// - Parameter mechanism: the step's q and σ.
    /// - Returns: one value per order, in the order of ``orders``.
    public func rdp(of mechanism: SubsampledGaussian) -> [Double] {
        orders.map { RDPComputation.rdp(q: mechanism.samplingRate, sigma: mechanism.noiseMultiplier, order: $0) }
    }

    /// The RDP of a whole ledger: Σ over its runs of steps × the run's one-step RDP.
    ///
    /// - Parameter ledger: the steps taken.
    /// - Returns: one value per order; all zero for an empty ledger.
    public func rdp(of ledger: PrivacyLedger) -> [Double] {
        var total = [Double](repeating: 0, count: orders.count)
        for entry in ledger.entries {
            let one = rdp(of: entry.mechanism)
            for k in total.indices { total[k] += Double(entry.steps) * one[k] }
        }
        return total
    }

    /// Converts RDP values at ``orders`` to the smallest ε at `delta` (Balle et al. 2020, Prop. 12).
    ///
    /// ε(α) = max(0, ε_α + log(1 − 1/α) − log(δ·α)/(α − 1)) for α > 1.01; 0 when
    /// δ² + e^{−ε_α} − 1 > 0; +∞ for α ≤ 1.01 (the bound is unstable there).
    ///
    /// - Parameters:
    ///   - rdp: RDP values, one per order of ``orders``.
    ///   - delta: δ in (0, 1).
    /// - Returns: the smallest ε and the order that gives it (the first such order on a tie).
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for δ outside (0, 1)
    ///   or a list of the wrong length.
    public func epsilon(fromRDP rdp: [Double], delta: Double) throws -> (epsilon: Double, order: Double) {
        try Validate.delta(delta)
        guard rdp.count == orders.count else {
            throw DifferentialPrivacyError.invalidParameter(.orders, received: "\(rdp.count) RDP values",
                valid: "give one RDP value per order (\(orders.count))")
        }
        return RDPComputation.epsilon(orders: orders, rdp: rdp, delta: delta)
    }

    /// The (ε, δ) guarantee of a ledger.
    ///
    /// - Parameters:
    ///   - ledger: the steps taken.
    ///   - delta: δ in (0, 1).
    /// - Returns: ε, δ, the optimal order (`nil` for an empty ledger, whose ε is 0) and `.rdp`.
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for δ outside (0, 1).
    public func guarantee(for ledger: PrivacyLedger, delta: Double) throws -> PrivacyGuarantee {
        try Validate.delta(delta)
        if ledger.isEmpty { return PrivacyGuarantee(epsilon: 0, delta: delta, order: nil, accountant: .rdp) }
        let (epsilon, order) = RDPComputation.epsilon(orders: orders, rdp: rdp(of: ledger), delta: delta)
        return PrivacyGuarantee(epsilon: epsilon, delta: delta, order: order, accountant: .rdp)
    }
}

/// The unchecked computations behind ``RDPAccountant`` (inputs already validated).
enum RDPComputation {
    /// The fractional series' term limit, as dp-accounting's `_MAX_STEPS_LOG_A_FRAC`.
    static let maxFractionalTerms = 1000

    /// ε_α of one step.
    static func rdp(q: Double, sigma: Double, order alpha: Double) -> Double {
        if alpha.isInfinite { return .infinity }
        if q == 1 { return alpha / (2 * sigma * sigma) }
        let logA = alpha.rounded() == alpha ? logAInteger(q: q, sigma: sigma, alpha: Int(alpha))
            : logAFractional(q: q, sigma: sigma, alpha: alpha)
        return logA / (alpha - 1)
    }

    /// log A_α for integer α: log Σ_{i=0}^{α} C(α,i) q^i (1−q)^{α−i} e^{(i²−i)/(2σ²)}.
    static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
        var logA = -Double.infinity
        let logQ = log(q), log1mq = log1p(-q)
        let twoSigmaSquared = 2 * (sigma * sigma)
        for i in 0...alpha {
            let logCoefficient = logAbsBinomial(Double(alpha), Double(i)) + Double(i) * logQ + Double(alpha - i) * log1mq
            let term = logCoefficient + Double(i * i - i) / twoSigmaSquared
            logA = LogSpace.add(logA, term)
        }
        return logA
    }

    /// log A_α for fractional α: the integrals over (−∞, z₀] and [z₀, ∞), z₀ = σ² log(1/q − 1) + ½,
    /// each expanded as a binomial series whose i-th terms are
    /// C(α,i) q^i (1−q)^{α−i} e^{(i²−i)/(2σ²)} · ½ erfc((i − z₀)/(√2σ)) and the same with i ↔ α − i
    /// (and erfc's argument negated). +∞ when 1000 terms do not converge.
    static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
        var logA0 = -Double.infinity, logA1 = -Double.infinity
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let logQ = log(q), log1mq = log1p(-q)
        let twoSigmaSquared = 2 * (sigma * sigma)
        let erfcScale = 2.0.squareRoot() * sigma
        var lastS0 = -Double.infinity, lastS1 = -Double.infinity
        for n in 0..<maxFractionalTerms {
            let i = Double(n)
            let logCoefficient = logAbsBinomial(alpha, i)
            let j = alpha - i
            let logT0 = logCoefficient + i * logQ + j * log1mq
            let logT1 = logCoefficient + j * logQ + i * log1mq
            let logE0 = log(0.5) + Normal.logErfc((i - z0) / erfcScale)
            let logE1 = log(0.5) + Normal.logErfc((z0 - j) / erfcScale)
            let logS0 = logT0 + (i * i - i) / twoSigmaSquared + logE0
            let logS1 = logT1 + (j * j - j) / twoSigmaSquared + logE1
            logA0 = LogSpace.add(logA0, logS0)
            logA1 = LogSpace.add(logA1, logS1)
            let total = LogSpace.add(logA0, logA1)
            // Stop when both sides decrease and their newest terms are negligible (e^{-30}).
            if logS0 < lastS0, logS1 < lastS1, max(logS0, logS1) < total - 30 { return total }
            lastS0 = logS0
            lastS1 = logS1
        }
        return .infinity
    }

    /// The Balle et al. 2020 conversion over all orders; the first smallest ε wins.
    static func epsilon(orders: [Double], rdp: [Double], delta: Double) -> (epsilon: Double, order: Double) {
        var best = Double.infinity, bestOrder = orders[0]
        var first = true
        for (alpha, r) in zip(orders, rdp) {
            let epsilon: Double
            if r < 0 {
                epsilon = 0  // numerical noise from extreme parameters: dp-accounting returns 0 too
            } else if delta * delta + expm1(-r) > 0 {
                epsilon = 0  // the KL bound δ ≤ √(1 − e^{−ε_α}) already gives ε = 0
            } else if alpha > 1.01 {
                epsilon = r + log1p(-1 / alpha) - log(delta * alpha) / (alpha - 1)
            } else {
                epsilon = .infinity
            }
            if first || epsilon < best {
                best = epsilon
                bestOrder = alpha
                first = false
            }
        }
        return (max(0, best), bestOrder)
    }
}
