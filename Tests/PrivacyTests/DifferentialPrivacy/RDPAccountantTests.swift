import Foundation
import Testing
@testable import Privacy

@Suite("RDP accountant")
struct RDPAccountantTests {
    @Test("the default orders are dp-accounting's DEFAULT_RDP_ORDERS")
    func defaultOrders() throws {
        let expected = try #require(try dpFixture("rdp_epsilon.json")["orders"] as? [Double])
        #expect(RDPAccountant.defaultOrders == expected)
        #expect(RDPAccountant.defaultOrders.count == 156)
    }

    @Test("one step's RDP equals dp-accounting's at every default order (64 (q, σ) pairs, 1e-10 relative + 1e-15)")
    func curves() throws {
        let accountant = try RDPAccountant()
        var worst = 0.0
        for curve in try dpCases("rdp_curves.json", key: "curves") {
            let q = try #require(fixtureDouble(curve["q"])), sigma = try #require(fixtureDouble(curve["sigma"]))
            let expected = try #require(curve["rdp"] as? [Any]).map { fixtureDouble($0) ?? .nan }
            let computed = accountant.rdp(of: try SubsampledGaussian(samplingRate: q, noiseMultiplier: sigma))
            #expect(computed.count == expected.count)
            for (k, (mine, theirs)) in zip(computed, expected).enumerated() {
                if theirs.isInfinite || mine.isInfinite {
                    #expect(mine == theirs, "q=\(q) σ=\(sigma) order \(accountant.orders[k]): \(mine) vs \(theirs)")
                    continue
                }
                // log A_α is a log-sum whose absolute rounding is ~1e-16, so values near 1e-18
                // (q = 1e-8) carry only that absolute accuracy — in both implementations.
                let difference = abs(mine - theirs)
                if abs(theirs) > 1e-5 { worst = max(worst, relativeError(mine, theirs)) }
                #expect(difference <= 1e-10 * abs(theirs) + 1e-15, "q=\(q) σ=\(sigma) order \(accountant.orders[k]): \(mine) vs \(theirs)")
            }
        }
        print("RDP curves: largest relative difference from dp-accounting (values above 1e-5) \(worst)")
    }

    @Test("ε and the optimal order equal dp-accounting's on 768 (q, σ, T, δ), q = 1 and q = 1e-8 included (1e-6 relative)")
    func epsilonGrid() throws {
        let accountant = try RDPAccountant()
        var oneStep: [String: [Double]] = [:]
        var worst = 0.0, checked = 0
        for record in try dpCases("rdp_epsilon.json") {
            let q = try #require(fixtureDouble(record["q"])), sigma = try #require(fixtureDouble(record["sigma"]))
            let steps = try #require(fixtureInt(record["steps"])), delta = try #require(fixtureDouble(record["delta"]))
            let expected = try #require(fixtureDouble(record["epsilon"])), expectedOrder = try #require(fixtureDouble(record["order"]))
            let mechanism = try SubsampledGaussian(samplingRate: q, noiseMultiplier: sigma)
            let key = "\(q) \(sigma)"
            let rdp = oneStep[key] ?? accountant.rdp(of: mechanism)
            oneStep[key] = rdp
            let (epsilon, order) = try accountant.epsilon(fromRDP: rdp.map { Double(steps) * $0 }, delta: delta)
            let error = relativeError(epsilon, expected)
            worst = max(worst, error)
            #expect(error <= 1e-6, "q=\(q) σ=\(sigma) T=\(steps) δ=\(delta): ε \(epsilon) vs dp-accounting \(expected)")
            #expect(order == expectedOrder, "q=\(q) σ=\(sigma) T=\(steps) δ=\(delta): order \(order) vs \(expectedOrder)")
            checked += 1
        }
        #expect(checked == 768)
        print("RDP ε: largest relative difference from dp-accounting \(worst) over \(checked) cases")
    }

    @Test("the public entry point and a one-run ledger give the fixture's ε")
    func entryPoint() throws {
        // q = 0.01, σ = 1, T = 1000, δ = 1e-5 (a fixture row).
        let record = try #require(try dpCases("rdp_epsilon.json").first {
            fixtureDouble($0["q"]) == 0.01 && fixtureDouble($0["sigma"]) == 1 && fixtureInt($0["steps"]) == 1000
                && fixtureDouble($0["delta"]) == 1e-5
        })
        let guarantee = try PrivacyAccounting.epsilon(samplingRate: 0.01, noiseMultiplier: 1, steps: 1000, delta: 1e-5)
        #expect(relativeError(guarantee.epsilon, try #require(fixtureDouble(record["epsilon"]))) <= 1e-6)
        #expect(guarantee.order == fixtureDouble(record["order"]))
        #expect(guarantee.accountant == .rdp && guarantee.delta == 1e-5)
    }

    /// log A_α = log ∫ N(z; 0, σ²)·((1 − q) + q·e^{(2z−1)/(2σ²)})^α dz by the trapezoid rule on a
    /// fine grid, with the integrand's logarithm shifted by its maximum: a slow reference that
    /// shares nothing with the series.
    static func logAByQuadrature(q: Double, sigma: Double, alpha: Double) -> Double {
        let low = -30 * sigma, high = 30 * sigma + alpha
        let count = 400_000
        let h = (high - low) / Double(count)
        func logIntegrand(_ z: Double) -> Double {
            let logRatio = log1p(q * expm1((2 * z - 1) / (2 * sigma * sigma)))
            return -z * z / (2 * sigma * sigma) - log(sigma * (2 * Double.pi).squareRoot()) + alpha * logRatio
        }
        var peak = -Double.infinity
        for k in 0...count { peak = max(peak, logIntegrand(low + Double(k) * h)) }
        var sum = 0.0
        for k in 0...count {
            let weight = (k == 0 || k == count) ? 0.5 : 1.0
            sum += weight * exp(logIntegrand(low + Double(k) * h) - peak)
        }
        return peak + log(sum * h)
    }

    @Test("integer orders: RDP equals direct numerical integration of A_α (1e-9 relative)",
          arguments: [(0.01, 1.0, 2.0), (0.1, 2.0, 4.0), (0.5, 1.5, 12.0), (1e-4, 0.8, 20.0), (0.004, 1.1, 64.0)])
    func quadratureInteger(q: Double, sigma: Double, alpha: Double) throws {
        let series = RDPComputation.rdp(q: q, sigma: sigma, order: alpha)
        let integral = Self.logAByQuadrature(q: q, sigma: sigma, alpha: alpha) / (alpha - 1)
        #expect(relativeError(series, integral) <= 1e-9, "q=\(q) σ=\(sigma) α=\(alpha): series \(series), quadrature \(integral)")
    }

    /// dp-accounting's fractional-order series adds the terms' absolute values (log|C(α,i)| from
    /// gammaln), while C(α,i) alternates in sign for i > α: the sum is an upper bound on A_α, so
    /// the RDP it gives is pessimistic (0.06 % at q = 0.1, σ = 2, α = 3.5; 1.3 % at q = 0.2, σ = 1,
    /// α = 2.3; the signed series, summed with mpmath at 40 digits, equals the integral). Verdant
    /// keeps the same series, to equal dp-accounting.
    @Test("fractional orders: RDP bounds direct numerical integration from above, within 2 %",
          arguments: [(0.01, 1.0, 7.8), (0.1, 2.0, 3.5), (0.5, 1.5, 12.5), (1e-4, 0.8, 20.5), (0.2, 1.0, 2.3)])
    func quadratureFractional(q: Double, sigma: Double, alpha: Double) throws {
        let series = RDPComputation.rdp(q: q, sigma: sigma, order: alpha)
        let integral = Self.logAByQuadrature(q: q, sigma: sigma, alpha: alpha) / (alpha - 1)
        #expect(series >= integral * (1 - 1e-9) && series <= integral * 1.02,
                "q=\(q) σ=\(sigma) α=\(alpha): series \(series), quadrature \(integral)")
    }

    @Test("a fractional order whose series does not converge in 1000 terms is left out (+∞), as in dp-accounting")
    func nonConvergence() throws {
        // q = 0.1, σ = 0.5: dp-accounting warns and excludes orders 1.1 … 1.6 (fixture: rdp_curves.json).
        let curve = try #require(try dpCases("rdp_curves.json", key: "curves").first {
            fixtureDouble($0["q"]) == 0.1 && fixtureDouble($0["sigma"]) == 0.5
        })
        let expected = try #require(curve["rdp"] as? [Any]).map { fixtureDouble($0) ?? .nan }
        #expect(expected[0].isInfinite)
        let mine = try RDPAccountant().rdp(of: try SubsampledGaussian(samplingRate: 0.1, noiseMultiplier: 0.5))
        for k in 0..<10 { #expect(mine[k].isInfinite == expected[k].isInfinite, "order \(RDPAccountant.defaultOrders[k])") }
    }

    @Test("q = 1 is the Gaussian mechanism exactly: ε_α = α/(2σ²); and RDP's ε bounds the exact ε from above")
    func fullBatch() throws {
        let accountant = try RDPAccountant()
        let rdp = accountant.rdp(of: try SubsampledGaussian(samplingRate: 1, noiseMultiplier: 2))
        for (alpha, value) in zip(accountant.orders, rdp) { #expect(value == alpha / 8) }
        for (sigma, steps) in [(1.0, 1), (2.0, 10), (5.0, 100)] {
            let rdpEpsilon = try PrivacyAccounting.epsilon(samplingRate: 1, noiseMultiplier: sigma, steps: steps, delta: 1e-5).epsilon
            let exact = exactGaussianEpsilon(sigma: sigma, steps: steps, delta: 1e-5)
            #expect(rdpEpsilon >= exact && rdpEpsilon <= 1.25 * exact, "σ=\(sigma) T=\(steps): RDP \(rdpEpsilon), exact \(exact)")
        }
    }

    @Test("a ledger composes by adding RDP: runs of two mechanisms, merged runs, empty ledger")
    func composition() throws {
        let accountant = try RDPAccountant()
        let a = try SubsampledGaussian(samplingRate: 0.02, noiseMultiplier: 1.2)
        let b = try SubsampledGaussian(samplingRate: 0.05, noiseMultiplier: 2)
        var ledger = PrivacyLedger()
        try ledger.record(a, steps: 30)
        try ledger.record(a, steps: 70)
        try ledger.record(b, steps: 5)
        #expect(ledger.entries.count == 2 && ledger.steps == 105 && ledger.entries[0].steps == 100)
        let expected = zip(accountant.rdp(of: a), accountant.rdp(of: b)).map { 100 * $0 + 5 * $1 }
        #expect(accountant.rdp(of: ledger) == expected)
        let empty = try accountant.guarantee(for: PrivacyLedger(), delta: 1e-5)
        #expect(empty.epsilon == 0 && empty.order == nil)
        // More steps never lower ε.
        let shorter = try accountant.guarantee(for: try PrivacyLedger(a, steps: 100), delta: 1e-5).epsilon
        #expect(try accountant.guarantee(for: ledger, delta: 1e-5).epsilon > shorter)
    }

    @Test("bad input: each parameter out of range is refused with what was received and what is valid")
    func badInput() throws {
        let cases: [(() throws -> Any, String)] = [
            ({ try SubsampledGaussian(samplingRate: 0, noiseMultiplier: 1) }, "sampling rate: received '0.0'; give the probability q"),
            ({ try SubsampledGaussian(samplingRate: 1.5, noiseMultiplier: 1) }, "sampling rate: received '1.5'"),
            ({ try SubsampledGaussian(samplingRate: .nan, noiseMultiplier: 1) }, "sampling rate: received 'nan'"),
            ({ try SubsampledGaussian(samplingRate: 0.1, noiseMultiplier: 0) }, "noise multiplier: received '0.0'; give σ > 0"),
            ({ try SubsampledGaussian(samplingRate: 0.1, noiseMultiplier: -.infinity) }, "noise multiplier: received '-inf'"),
            ({ try PrivacyAccounting.epsilon(samplingRate: 0.1, noiseMultiplier: 1, steps: 0, delta: 1e-5) }, "steps: received '0'; give T ≥ 1"),
            ({ try PrivacyAccounting.epsilon(samplingRate: 0.1, noiseMultiplier: 1, steps: 10, delta: 1) }, "delta: received '1.0'; give 0 < δ < 1"),
            ({ try PrivacyAccounting.epsilon(samplingRate: 0.1, noiseMultiplier: 1, steps: 10, delta: 0) }, "delta: received '0.0'"),
            ({ try RDPAccountant(orders: []) }, "RDP orders: received '[]'"),
            ({ try RDPAccountant(orders: [2, 1]) }, "RDP orders: received '1.0'; every order α must be finite and > 1"),
            ({ try RDPAccountant().epsilon(fromRDP: [1], delta: 1e-5) }, "RDP orders: received '1 RDP values'"),
        ]
        for (call, message) in cases {
            do {
                _ = try call()
                Issue.record("accepted; expected: \(message)")
            } catch let error as DifferentialPrivacyError {
                #expect(error.description.contains(message), "\(error.description)")
            }
        }
    }
}
