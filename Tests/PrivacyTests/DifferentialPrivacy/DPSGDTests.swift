import Foundation
import Testing
@testable import Privacy

/// The statistical tests below use a fixed seed, so each passes or fails the same way every run;
/// each threshold is set so that a *random* seed would fail it with probability about 1e-7
/// (|z| > 5.33 for a normal statistic), which is the chance that this seed is an unlucky one.
let fivePointThreeThree = 5.33

@Suite("DP-SGD building blocks")
struct DPSGDTests {
    // MARK: Random source

    @Test("the seeded stream equals an independent ChaCha20 (Python cryptography), across a chunk and the 2³²-block counter wrap")
    func streamMatchesReference() throws {
        let fixture = try dpFixture("stream.json")
        let seed = try #require(fixtureInt(fixture["seed"]))
        var generator = SecureRandomGenerator(seed: UInt64(seed))
        #expect(generator.isSeeded)
        let words = try #require(fixture["words"] as? [String: String])
        var drawn: [UInt64] = []
        for _ in 0..<1100 { drawn.append(generator.next()) }
        for (index, hex) in words {
            let position = try #require(Int(index))
            #expect(String(drawn[position], radix: 16).leftPadding(16) == hex, "word \(index)")
        }
        let keyText = try #require(fixture["key"] as? String)
        let key = try #require(KeyText.hexBytes(Array(keyText.utf8)))
        for (chunk, hex) in try #require(fixture["chunk_prefixes"] as? [String: String]) {
            let index = try #require(UInt64(chunk))
            let stream = SecureRandomGenerator.keystream(key: key, chunk: index)
            #expect(stream.prefix(32).map { String(format: "%02x", $0) }.joined() == hex, "chunk \(chunk)")
        }
        // Uniforms (k + ½)·2⁻⁵³ and Gaussian draws 2.5·(z₁+z₂+z₃+z₄)/2, as the script computes them.
        var uniform = SecureRandomGenerator(seed: UInt64(seed))
        for expected in try #require(fixture["uniforms"] as? [Double]) { #expect(uniform.nextUnitInterval() == expected) }
        var noise = GaussianNoise(generator: SecureRandomGenerator(seed: UInt64(seed)))
        for expected in try #require(fixture["gaussian_draws"] as? [Double]) {
            #expect(abs(noise.sample(standardDeviation: 2.5) - expected) <= 1e-13 * abs(expected))
        }
    }

    @Test("a generator's saved state continues the stream exactly; OS-keyed generators differ; bad saved state is refused")
    func generatorState() throws {
        var generator = SecureRandomGenerator(seed: 99)
        for _ in 0..<700 { _ = generator.next() }
        let saved = try JSONEncoder().encode(generator)
        var restored = try JSONDecoder().decode(SecureRandomGenerator.self, from: saved)
        #expect(restored == generator && restored.bytesUsed == 5600)
        for _ in 0..<1000 { #expect(restored.next() == generator.next()) }
        var a = SecureRandomGenerator(), b = SecureRandomGenerator()
        #expect(!a.isSeeded && a != b && a.next() != b.next())
        for (json, message) in [(#"{"isSeeded":true,"key":"00","position":0}"#, "key must be 64 hexadecimal digits"),
                                (#"{"isSeeded":true,"key":"\#(String(repeating: "ab", count: 32))","position":3}"#, "must be a multiple of 8")] {
            #expect { try JSONDecoder().decode(SecureRandomGenerator.self, from: Data(json.utf8)) } throws: { "\($0)".contains(message) }
        }
    }

    // MARK: Poisson sampling

    @Test("Poisson batches equal the reference's (Python, word < ⌊q·2⁶⁴⌋); q = 1 takes every row")
    func poissonReference() throws {
        let fixture = try #require(try dpFixture("stream.json")["poisson"] as? [String: Any])
        let expected = try #require(fixture["batches"] as? [[Int]])
        var sampler = try PoissonSampler(datasetSize: 50, samplingRate: 0.3, generator: SecureRandomGenerator(seed: 11))
        #expect(sampler.nextBatch() == expected[0])
        #expect(sampler.nextBatch() == expected[1])
        #expect(sampler.inclusionProbability <= 0.3 && 0.3 - sampler.inclusionProbability < 0x1p-60)
        var full = try PoissonSampler(datasetSize: 9, samplingRate: 1, generator: SecureRandomGenerator(seed: 1))
        #expect(full.nextBatch() == Array(0..<9) && full.generator.bytesUsed == 0)
    }

    @Test("sampling rate: each row joins with probability q, independently — row counts, batch sizes and a slow per-row reference")
    func samplingRate() throws {
        let rows = 2000, batches = 400, q = 0.05
        var sampler = try PoissonSampler(datasetSize: rows, samplingRate: q, generator: SecureRandomGenerator(seed: 2024))
        // The slow reference: the same words, compared as real numbers u = word/2⁶⁴ < q, row by row.
        var reference = SecureRandomGenerator(seed: 2024)
        var perRow = [Int](repeating: 0, count: rows)
        var sizes: [Double] = []
        for _ in 0..<batches {
            let batch = sampler.nextBatch()
            let slow = (0..<rows).filter { _ in Double(reference.next()) * 0x1p-64 < q }
            #expect(batch == slow)
            for row in batch { perRow[row] += 1 }
            sizes.append(Double(batch.count))
        }
        let n = Double(rows * batches)
        let total = Double(perRow.reduce(0, +))
        // Total inclusions ~ Binomial(rows·batches, q).
        #expect(abs(total - n * q) / (n * q * (1 - q)).squareRoot() < fivePointThreeThree)
        // Batch sizes: mean N·q, variance N·q(1−q) (chi-square of the variance, normal approximation).
        let mean = sizes.reduce(0, +) / Double(batches)
        let variance = sizes.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(batches - 1)
        let expectedVariance = Double(rows) * q * (1 - q)
        #expect(abs(variance / expectedVariance - 1) / (2.0 / Double(batches - 1)).squareRoot() < fivePointThreeThree)
        // Rows are exchangeable: Pearson's chi-square over rows, ~ χ²(rows − 1) ≈ N(rows − 1, 2(rows − 1)).
        let expectedPerRow = Double(batches) * q
        let chiSquare = perRow.map { (Double($0) - expectedPerRow) * (Double($0) - expectedPerRow) / expectedPerRow }.reduce(0, +)
        #expect(abs(chiSquare - Double(rows - 1)) / (2 * Double(rows - 1)).squareRoot() < fivePointThreeThree)
    }

    @Test("a sampler restored from its saved state draws the same next batches")
    func samplerState() throws {
        var sampler = try PoissonSampler(datasetSize: 300, samplingRate: 0.1, generator: SecureRandomGenerator(seed: 5))
        for _ in 0..<7 { _ = sampler.nextBatch() }
        var restored = try JSONDecoder().decode(PoissonSampler.self, from: try JSONEncoder().encode(sampler))
        #expect(restored == sampler && restored.batchesDrawn == 7)
        for _ in 0..<5 { #expect(restored.nextBatch() == sampler.nextBatch()) }
        #expect { try PoissonSampler(datasetSize: 0, samplingRate: 0.1) } throws: { "\($0)".contains("dataset size: received '0'") }
        #expect { try PoissonSampler(datasetSize: 10, samplingRate: 0) } throws: { "\($0)".contains("sampling rate: received '0.0'") }
    }

    // MARK: Clipping

    @Test("clipping equals the slow reference g·min(1, C/‖g‖), never leaves a norm above C, and handles extreme values")
    func clipping() throws {
        var state: UInt64 = 77
        func random() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(Int64(bitPattern: state)) * 0x1p-63
        }
        for trial in 0..<300 {
            let dimension = 1 + trial % 40
            let scale = pow(10, Double(trial % 7) - 3)
            let gradient = (0..<dimension).map { _ in random() * scale }
            let maxNorm = 0.05 + Double(trial % 5) * 0.3
            // Reference: the textbook formula with a plain sum of squares.
            let referenceNorm = gradient.map { $0 * $0 }.reduce(0, +).squareRoot()
            let reference = referenceNorm > maxNorm ? gradient.map { $0 * (maxNorm / referenceNorm) } : gradient
            var clipped = gradient
            let before = GradientClipping.clip(&clipped, maxNorm: maxNorm)
            #expect(abs(before - referenceNorm) <= 1e-14 * referenceNorm)
            #expect(GradientClipping.norm(clipped) <= maxNorm)
            for (a, b) in zip(clipped, reference) { #expect(abs(a - b) <= 1e-14 * maxNorm) }
            if referenceNorm <= maxNorm { #expect(clipped == gradient) }
        }
        var huge = [1e300, -1e300, 1e300]
        #expect(GradientClipping.clip(&huge, maxNorm: 1) == 1e300 * 3.0.squareRoot())
        #expect(GradientClipping.norm(huge) <= 1 && abs(huge[0] - 1 / 3.0.squareRoot()) < 1e-15)
        var tiny = [1e-300, 1e-300]
        #expect(GradientClipping.clip(&tiny, maxNorm: 1) == 1e-300 * 2.0.squareRoot() && tiny == [1e-300, 1e-300])
        var zero = [0.0, 0.0]
        #expect(GradientClipping.clip(&zero, maxNorm: 1) == 0 && zero == [0, 0])
        var empty: [Double] = []
        #expect(GradientClipping.clip(&empty, maxNorm: 1) == 0)
    }

    // MARK: Noise

    @Test("noise has mean 0, standard deviation s, a normal kurtosis and a normal CDF (Kolmogorov–Smirnov), each at a 1e-7 false-failure rate")
    func noiseScale() throws {
        let n = 100_000, s = 2.5
        var noise = GaussianNoise(generator: SecureRandomGenerator(seed: 31337))
        var draws = (0..<n).map { _ in noise.sample(standardDeviation: s) }
        let mean = draws.reduce(0, +) / Double(n)
        #expect(abs(mean) / (s / Double(n).squareRoot()) < fivePointThreeThree, "mean \(mean)")
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        // (n − 1)S²/s² ~ χ²(n − 1): S²/s² − 1 has standard deviation √(2/(n − 1)).
        #expect(abs(variance / (s * s) - 1) / (2 / Double(n - 1)).squareRoot() < fivePointThreeThree, "variance \(variance)")
        // Excess kurtosis 0 with standard error √(24/n): tells a sum of uniforms or a scale mix-up apart.
        let fourth = draws.map { pow(($0 - mean) / variance.squareRoot(), 4) }.reduce(0, +) / Double(n)
        #expect(abs(fourth - 3) / (24 / Double(n)).squareRoot() < fivePointThreeThree, "kurtosis \(fourth)")
        // Kolmogorov–Smirnov against Φ(x/s): P[√n·D > 2.90] ≈ 2e^{−2·2.90²} ≈ 1e-7.
        draws.sort()
        var largest = 0.0
        for (k, x) in draws.enumerated() {
            let cdf = 0.5 * erfc(-x / (s * 2.0.squareRoot()))
            largest = max(largest, abs(cdf - Double(k) / Double(n)), abs(cdf - Double(k + 1) / Double(n)))
        }
        #expect(largest * Double(n).squareRoot() < 2.90, "KS statistic \(largest)")
    }

    // MARK: Aggregation

    @Test("σ = 0 and no clipping: the plain sum in batch order, bit for bit; σ = 0: the slow clip-and-sum reference")
    func aggregationWithoutNoise() throws {
        let gradients: [[Double]] = [[0.1, -2, 3], [1e-3, 0.5, 0.25], [4, 4, -4], [0.3, 0.2, 0.1]]
        var plain = try DPSGDAggregator(maxGradientNorm: .infinity, noiseMultiplier: 0)
        let sum = try plain.privatize(gradients, parameterCount: 3)
        var expected = [0.0, 0.0, 0.0]
        for g in gradients { for k in 0..<3 { expected[k] += g[k] } }
        #expect(sum.sum == expected && sum.batchSize == 4 && sum.clippedCount == 0 && sum.noiseStandardDeviation == 0)
        #expect(plain.noise.generator.bytesUsed == 0)
        var clipping = try DPSGDAggregator(maxGradientNorm: 1, noiseMultiplier: 0)
        let clipped = try clipping.privatize(gradients, parameterCount: 3)
        var reference = [0.0, 0.0, 0.0]
        for g in gradients {
            let norm = g.map { $0 * $0 }.reduce(0, +).squareRoot()
            for k in 0..<3 { reference[k] += norm > 1 ? g[k] / norm : g[k] }
        }
        for k in 0..<3 { #expect(abs(clipped.sum[k] - reference[k]) <= 1e-14) }
        #expect(clipped.clippedCount == 2)
    }

    @Test("σ > 0: the noise added to the clipped sum has standard deviation σC (20 000 coordinates, 1e-7 false-failure rate); an empty batch is pure noise")
    func aggregationNoise() throws {
        let d = 20_000, sigma = 1.7, clip = 0.6
        var aggregator = try DPSGDAggregator(maxGradientNorm: clip, noiseMultiplier: sigma,
                                             noise: GaussianNoise(generator: SecureRandomGenerator(seed: 8)))
        let gradients: [[Double]] = (0..<3).map { (i: Int) -> [Double] in
            (0..<d).map { (k: Int) -> Double in Double((k * 7 + i * 3) % 11) - 5 }
        }
        let result = try aggregator.privatize(gradients, parameterCount: d)
        var clean = try DPSGDAggregator(maxGradientNorm: clip, noiseMultiplier: 0)
        let reference = try clean.privatize(gradients, parameterCount: d).sum
        let residual = zip(result.sum, reference).map { $0 - $1 }
        let variance = residual.map { $0 * $0 }.reduce(0, +) / Double(d)
        let s = sigma * clip
        #expect(result.noiseStandardDeviation == s && result.clippedCount == 3)
        #expect(abs(variance / (s * s) - 1) / (2 / Double(d)).squareRoot() < fivePointThreeThree, "variance \(variance), expected \(s * s)")
        let empty = try aggregator.privatize([], parameterCount: 5)
        #expect(empty.batchSize == 0 && empty.sum.allSatisfy { $0 != 0 })
        // Reproducible from the same seed, and the aggregator's state saves and restores.
        var again = try DPSGDAggregator(maxGradientNorm: clip, noiseMultiplier: sigma, noise: GaussianNoise(generator: SecureRandomGenerator(seed: 8)))
        #expect(try again.privatize(gradients, parameterCount: d).sum == result.sum)
        var restored = try JSONDecoder().decode(DPSGDAggregator.self, from: try JSONEncoder().encode(aggregator))
        let fromRestored = try restored.privatize([[1, 2]], parameterCount: 2)
        #expect(try fromRestored == aggregator.privatize([[1, 2]], parameterCount: 2))
    }

    @Test("privatize equals its halves: clip each sample, sum, then addNoise once (what a multi-rank trainer does)")
    func halves() throws {
        let gradients: [[Double]] = [[3, 4], [0.1, 0.2], [-6, 8]]
        var whole = try DPSGDAggregator(maxGradientNorm: 1, noiseMultiplier: 0.8, noise: GaussianNoise(generator: SecureRandomGenerator(seed: 21)))
        var halves = whole
        let expected = try whole.privatize(gradients, parameterCount: 2)
        var sum = [0.0, 0.0], clipped = 0
        for var g in gradients {
            if halves.clip(&g) { clipped += 1 }
            sum[0] += g[0]
            sum[1] += g[1]
        }
        halves.addNoise(to: &sum)
        #expect(sum == expected.sum && clipped == expected.clippedCount && halves == whole)
        #expect(halves.noiseStandardDeviation == 0.8 && expected.noiseStandardDeviation == 0.8)
    }

    @Test("bad gradients and settings are refused with what was received, and draw no noise")
    func aggregationErrors() throws {
        var aggregator = try DPSGDAggregator(maxGradientNorm: 1, noiseMultiplier: 1, noise: GaussianNoise(generator: SecureRandomGenerator(seed: 1)))
        let cases: [([[Double]], Int, String)] = [
            ([[1, 2], [1, 2, 3]], 2, "per-sample gradient 1 has 3 entries; the model has 2 parameters"),
            ([[1, .nan]], 2, "per-sample gradient 0 holds nan at entry 1"),
            ([[1, 2], [.infinity, 0]], 2, "per-sample gradient 1 holds inf at entry 0"),
            ([], -1, "parameter count: received '-1'"),
        ]
        for (gradients, count, message) in cases {
            #expect { try aggregator.privatize(gradients, parameterCount: count) } throws: { "\($0)".contains(message) }
        }
        #expect(aggregator.noise.generator.bytesUsed == 0)
        let settings: [(Double, Double, String)] = [
            (0, 1, "max gradient norm: received '0.0'"), (-1, 1, "max gradient norm: received '-1.0'"),
            (.nan, 1, "max gradient norm: received 'nan'"), (1, -0.5, "noise multiplier: received '-0.5'"),
            (.infinity, 1, "noise needs a finite clipping norm C"),
        ]
        for (clip, sigma, message) in settings {
            #expect { try DPSGDAggregator(maxGradientNorm: clip, noiseMultiplier: sigma) } throws: { "\($0)".contains(message) }
        }
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    func leftPadding(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
