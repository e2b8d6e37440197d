import Foundation
import Testing
@testable import Privacy

@Suite("PLD accountant")
struct PLDAccountantTests {
    /// Fixture cases whose composed distribution has at most this many points run in the debug
    /// test; `VERDANT_DP_ALL_FIXTURES=1` runs every case (for release builds).
    static let debugPointLimit = 200_000

    @Test("ε within 1 % of dp-accounting's PLDAccountant and never below it, on (q, σ, T, δ, d) with q = 1 and q = 1e-5")
    func fixtures() throws {
        let all = ProcessInfo.processInfo.environment["VERDANT_DP_ALL_FIXTURES"] == "1"
        var worst = 0.0, lowest = 0.0, checked = 0, skipped = 0
        var cache: [String: (accountant: PLDAccountant, ledger: PrivacyLedger)] = [:]
        for record in try dpCases("pld_epsilon.json") {
            let q = try #require(fixtureDouble(record["q"])), sigma = try #require(fixtureDouble(record["sigma"]))
            let steps = try #require(fixtureInt(record["steps"])), delta = try #require(fixtureDouble(record["delta"]))
            let d = try #require(fixtureDouble(record["discretization"])), expected = try #require(fixtureDouble(record["epsilon"]))
            let size = try #require(fixtureInt(record["pmf_size"]))
            if size > Self.debugPointLimit, !all {
                skipped += 1
                continue
            }
            let key = "\(q) \(sigma) \(steps) \(d)"
            let setup = try cache[key] ?? (try PLDAccountant(discretization: d),
                                           try PrivacyLedger(SubsampledGaussian(samplingRate: q, noiseMultiplier: sigma), steps: steps))
            cache[key] = setup
            let epsilon = try setup.accountant.guarantee(for: setup.ledger, delta: delta).epsilon
            let ratio = epsilon / expected
            worst = max(worst, ratio - 1)
            lowest = min(lowest, ratio - 1)
            // "Never below": both compute the same pessimistic discretisation and differ only by the
            // rounding of their FFT compositions (power-of-two sizes here, 5-smooth in SciPy), measured
            // at under 5e-7 relative either way; 1e-6 allows that noise and nothing more.
            #expect(ratio >= 1 - 1e-6, "q=\(q) σ=\(sigma) T=\(steps) δ=\(delta) d=\(d): ε \(epsilon) below dp-accounting's \(expected)")
            #expect(ratio <= 1.01, "q=\(q) σ=\(sigma) T=\(steps) δ=\(delta) d=\(d): ε \(epsilon), dp-accounting \(expected)")
            checked += 1
        }
        #expect(checked >= 40)
        print("PLD ε vs dp-accounting over \(checked) cases (\(skipped) large ones skipped): ratio − 1 in [\(lowest), \(worst)]")
    }

    @Test("q = 1: PLD's ε bounds the exact Gaussian ε from above, within 1 %, and is below RDP's",
          arguments: [(1.0, 1), (2.0, 10), (0.8, 1), (5.0, 50)])
    func exactGaussian(sigma: Double, steps: Int) throws {
        let ledger = try PrivacyLedger(SubsampledGaussian(samplingRate: 1, noiseMultiplier: sigma), steps: steps)
        let pld = try PLDAccountant(discretization: 1e-3).guarantee(for: ledger, delta: 1e-6).epsilon
        let rdp = try RDPAccountant().guarantee(for: ledger, delta: 1e-6).epsilon
        let exact = exactGaussianEpsilon(sigma: sigma, steps: steps, delta: 1e-6)
        #expect(pld >= exact && pld <= 1.01 * exact, "σ=\(sigma) T=\(steps): PLD \(pld), exact \(exact)")
        #expect(pld < rdp)
    }

    /// δ(ε) = ∫ (μ_upper(x) − e^ε μ_lower(x))₊ dx by the trapezoid rule: the hockey-stick divergence
    /// straight from its definition, without the loss's inverse.
    static func hockeyStick(q: Double, sigma: Double, epsilon: Double, adjacency: Adjacency) -> Double {
        func density(_ x: Double, _ mean: Double) -> Double {
            exp(-(x - mean) * (x - mean) / (2 * sigma * sigma)) / (sigma * (2 * Double.pi).squareRoot())
        }
        let low = -15 * sigma - 1, high = 15 * sigma + 1, count = 300_000
        let h = (high - low) / Double(count)
        var sum = 0.0
        for k in 0...count {
            let x = low + Double(k) * h
            let upper: Double, lower: Double
            switch adjacency {
            case .remove:
                upper = (1 - q) * density(x, 0) + q * density(x, -1)
                lower = density(x, 0)
            case .add:
                upper = density(x, 0)
                lower = (1 - q) * density(x, 0) + q * density(x, 1)
            }
            sum += (k == 0 || k == count ? 0.5 : 1) * max(0, upper - exp(epsilon) * lower)
        }
        return sum * h
    }

    @Test("one step's δ(ε) equals the hockey-stick integral, both adjacencies (1e-7 relative)",
          arguments: [(0.01, 1.0, 0.5), (0.1, 2.0, 0.05), (0.5, 0.8, 1.5), (1.0, 1.0, 2.0), (0.01, 1.0, -0.002)])
    func hockeyStickDelta(q: Double, sigma: Double, epsilon: Double) throws {
        for adjacency in [Adjacency.remove, .add] {
            let closed = GaussianPrivacyLoss(sigma: sigma, q: q, adjacency: adjacency).delta(forEpsilon: epsilon)
            let integral = Self.hockeyStick(q: q, sigma: sigma, epsilon: epsilon, adjacency: adjacency)
            // The integrand has a kink where it reaches 0, so the trapezoid rule is only O(h²) there.
            #expect(abs(closed - integral) <= 1e-7 * integral + 1e-13, "\(adjacency) q=\(q) σ=\(sigma) ε=\(epsilon): \(closed) vs \(integral)")
        }
    }

    @Test("the connect-the-dots PLD is pessimistic: its δ(ε) is at least the true δ(ε) on and off the grid, and its mass is 1")
    func pessimism() throws {
        for (q, sigma) in [(0.05, 1.0), (1.0, 2.0)] {
            for adjacency in [Adjacency.remove, .add] {
                let loss = GaussianPrivacyLoss(sigma: sigma, q: q, adjacency: adjacency)
                let pld = try DiscretePrivacyLoss.connectTheDots(loss, discretization: 1e-2, maximumPoints: 1 << 20)
                let mass = pld.probabilities.reduce(0, +) + pld.infinityMass
                #expect(abs(mass - 1) <= 1e-9, "mass \(mass)")
                for epsilon in stride(from: -0.2, through: 1.5, by: 0.0137) {
                    var delta = pld.infinityMass
                    for (k, p) in pld.probabilities.enumerated() {
                        let value = Double(pld.lowerLoss + k) * pld.discretization
                        if value > epsilon { delta += p * -expm1(epsilon - value) }
                    }
                    let truth = loss.delta(forEpsilon: epsilon)
                    #expect(delta >= truth - 1e-12, "\(adjacency) q=\(q) σ=\(sigma) ε=\(epsilon): PLD δ \(delta) < true δ \(truth)")
                }
            }
        }
    }

    @Test("the FFT equals the O(N²) DFT, and FFT convolutions equal direct sums")
    func fourier() throws {
        var state: UInt64 = 12345
        func random() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) * 0x1p-53 - 0.5
        }
        for n in [1, 2, 8, 64] {
            let xr = (0..<n).map { _ in random() }, xi = (0..<n).map { _ in random() }
            var re = xr, im = xi
            FourierTransform(count: n).forward(&re, &im)
            for k in 0..<n {
                var sr = 0.0, si = 0.0
                for j in 0..<n {
                    let angle = -2 * Double.pi * Double(j * k) / Double(n)
                    sr += xr[j] * cos(angle) - xi[j] * sin(angle)
                    si += xr[j] * sin(angle) + xi[j] * cos(angle)
                }
                #expect(abs(re[k] - sr) <= 1e-12 && abs(im[k] - si) <= 1e-12, "n=\(n) k=\(k)")
            }
            FourierTransform(count: n).inverse(&re, &im)
            for j in 0..<n { #expect(abs(re[j] - xr[j]) <= 1e-14 && abs(im[j] - xi[j]) <= 1e-14) }
        }
        // The real transform (one complex transform of half the length) equals the complex one.
        for n in [2, 4, 16, 128] {
            let x = (0..<(n - n / 4)).map { _ in random() }     // shorter than n: zero-padded
            var re = x + [Double](repeating: 0, count: n - x.count), im = [Double](repeating: 0, count: n)
            FourierTransform(count: n).forward(&re, &im)
            let real = RealFourierTransform(count: n)
            let (xr, xi) = real.forward(x)
            #expect(xr.count == n / 2 + 1)
            for k in 0...(n / 2) { #expect(abs(xr[k] - re[k]) <= 1e-13 && abs(xi[k] - im[k]) <= 1e-13, "n=\(n) k=\(k)") }
            let back = real.inverse(real: xr, imaginary: xi)
            for j in 0..<n { #expect(abs(back[j] - (j < x.count ? x[j] : 0)) <= 1e-14, "n=\(n) j=\(j)") }
        }
        let a = (0..<37).map { _ in random() }, b = (0..<20).map { _ in random() }
        let fast = Convolution.linear(a, b)
        #expect(fast.count == 56)
        for k in 0..<56 {
            var direct = 0.0
            for j in 0..<37 where k - j >= 0 && k - j < 20 { direct += a[j] * b[k - j] }
            #expect(abs(fast[k] - direct) <= 1e-13)
        }
        // Three-fold self-convolution, taken cyclically in a length that holds it all.
        let p = (0..<11).map { _ in abs(random()) }
        let cyclic = Convolution.selfCyclic(p, times: 3, size: 32)
        let direct = Convolution.linear(Convolution.linear(p, p), p)
        for k in 0..<31 { #expect(abs(cyclic[k] - direct[k]) <= 1e-13) }
        // (x + iy)^n by squaring equals n − 1 plain multiplications.
        for n in [1, 2, 7, 64, 1000] {
            var r = 0.3, i = -0.4
            for _ in 1..<n { (r, i) = (r * 0.3 - i * -0.4, r * -0.4 + i * 0.3) }
            let (pr, pi) = Convolution.power(0.3, -0.4, n)
            #expect(abs(pr - r) <= 1e-13 * pow(0.5, Double(n)) * Double(n) && abs(pi - i) <= 1e-13 * pow(0.5, Double(n)) * Double(n))
        }
    }

    @Test("a ledger of two mechanisms: the composed ε lies between each part's and is at most RDP's")
    func mixedLedger() throws {
        let accountant = try PLDAccountant(discretization: 1e-3)
        let a = try SubsampledGaussian(samplingRate: 0.02, noiseMultiplier: 1.5)
        let b = try SubsampledGaussian(samplingRate: 0.05, noiseMultiplier: 2)
        var ledger = try PrivacyLedger(a, steps: 200)
        let first = try accountant.guarantee(for: ledger, delta: 1e-5).epsilon
        try ledger.record(b, steps: 100)
        let both = try accountant.guarantee(for: ledger, delta: 1e-5)
        #expect(both.epsilon > first && both.order == nil && both.accountant == .pld)
        let rdp = try RDPAccountant().guarantee(for: ledger, delta: 1e-5).epsilon
        #expect(both.epsilon <= rdp)
        #expect(try accountant.guarantee(for: PrivacyLedger(), delta: 1e-5).epsilon == 0)
    }

    @Test("a distribution too large for memory is refused with the sizes, not allocated")
    func tooLarge() throws {
        let ledger = try PrivacyLedger(SubsampledGaussian(samplingRate: 1, noiseMultiplier: 0.001), steps: 1)
        #expect {
            try PLDAccountant().guarantee(for: ledger, delta: 1e-5)
        } throws: { error in
            guard case .accountingTooLarge(let points, let limit, _) = error as? DifferentialPrivacyError else { return false }
            return points > limit && "\(error)".contains("use the RDP accountant")
        }
        #expect(throws: DifferentialPrivacyError.self) { try PLDAccountant(discretization: 0) }
        #expect(throws: DifferentialPrivacyError.self) { try PLDAccountant(discretization: .nan) }
    }
}
