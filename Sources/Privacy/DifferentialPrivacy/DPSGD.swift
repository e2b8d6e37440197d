import Foundation

// The building blocks of DP-SGD (Abadi et al. 2016) that the accountants assume: Poisson
// subsampling of the rows, per-sample clipping to L2 norm C, and Gaussian noise N(0, σ²C²) from a
// CSPRNG added to the sum. Training (QuantumML) composes them; these types know nothing of models.

/// Poisson subsampling: each row joins a batch independently with probability q, as the
/// accountants assume (a shuffled fixed-size batch does not match their analysis).
///
/// Row i of a draw joins when the i-th 64-bit word of the generator is below ⌊q·2⁶⁴⌋, so each row's
/// inclusion probability is exactly ⌊q·2⁶⁴⌋/2⁶⁴ — at most q and within 2⁻⁶⁴ of it, so accounting
/// with q is never optimistic. q = 1 takes every row and uses no randomness. A draw costs one word
/// per row (8 bytes of ChaCha20 keystream); batches may be empty, and such a step still counts.
/// The state (generator position, batches drawn) is `Codable`: a restored sampler draws the same
/// next batches.
public struct PoissonSampler: Codable, Equatable, Sendable {
    /// N, the rows sampled from (indices 0..<N).
    public let datasetSize: Int
    /// q, the requested inclusion probability.
    public let samplingRate: Double
    /// The random source.
    public private(set) var generator: SecureRandomGenerator
    /// How many batches have been drawn.
    public private(set) var batchesDrawn = 0

    /// A sampler of `datasetSize` rows at rate `samplingRate`.
    ///
    /// - Parameters:
    ///   - datasetSize: N ≥ 1.
    ///   - samplingRate: q in (0, 1].
    ///   - generator: the random source; by default keyed from the operating system (pass
    ///     `SecureRandomGenerator(seed:)` for reproducible tests).
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for N < 1 or q
    ///   outside (0, 1].
    public init(datasetSize: Int, samplingRate: Double, generator: SecureRandomGenerator = SecureRandomGenerator()) throws {
        guard datasetSize >= 1 else {
            throw DifferentialPrivacyError.invalidParameter(.datasetSize, received: "\(datasetSize)", valid: "give N ≥ 1 rows")
        }
        try Validate.samplingRate(samplingRate)
        self.datasetSize = datasetSize
        self.samplingRate = samplingRate
        self.generator = generator
    }

    /// ⌊q·2⁶⁴⌋, or `nil` for "every row" (q·2⁶⁴ rounds to 2⁶⁴ or more).
    private var threshold: UInt64? {
        let scaled = samplingRate * 0x1p64
        return scaled >= 0x1p64 ? nil : UInt64(scaled)
    }

    /// The exact probability that a row joins a batch: ⌊q·2⁶⁴⌋/2⁶⁴ (1 for q = 1).
    public var inclusionProbability: Double {
        threshold.map { Double($0) * 0x1p-64 } ?? 1
    }

    /// Draws the next batch.
    ///
    /// - Returns: the indices of the rows that joined, ascending (possibly none).
    public mutating func nextBatch() -> [Int] {
        batchesDrawn += 1
        guard let threshold else { return Array(0..<datasetSize) }
        var batch: [Int] = []
        batch.reserveCapacity(Int(Double(datasetSize) * samplingRate * 1.2) + 8)
        for row in 0..<datasetSize where generator.next() < threshold {
            batch.append(row)
        }
        return batch
    }

    /// Decodes a saved sampler, checking N and q.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidState(_:)`` for a value out of range; decoding errors.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(datasetSize: try container.decode(Int.self, forKey: .datasetSize),
                          samplingRate: try container.decode(Double.self, forKey: .samplingRate),
                          generator: try container.decode(SecureRandomGenerator.self, forKey: .generator))
        } catch let error as DifferentialPrivacyError {
            throw DifferentialPrivacyError.invalidState("saved Poisson sampler: \(error.description)")
        }
        batchesDrawn = try container.decode(Int.self, forKey: .batchesDrawn)
    }
}

/// Per-sample gradient clipping to a maximum L2 norm.
public enum GradientClipping {
    /// ‖g‖₂ = (Σ gᵢ²)^½, computed with the entries scaled by the largest |gᵢ| so that neither
    /// overflow nor underflow occurs (0 for an empty or zero vector).
    ///
    /// - Parameter gradient: finite entries.
    /// - Returns: the Euclidean norm.
    public static func norm(_ gradient: [Double]) -> Double {
        var largest = 0.0
        for value in gradient { largest = max(largest, abs(value)) }
        guard largest > 0, largest.isFinite else { return largest }
        var sum = 0.0
        for value in gradient {
            let scaled = value / largest
            sum += scaled * scaled
        }
        return largest * sum.squareRoot()
    }

    /// Scales `gradient` in place by min(1, C/‖g‖₂), so that its norm is at most C — exactly, as
    /// computed by ``norm(_:)``: when rounding leaves the scaled norm a few ulps above C, the factor
    /// is lowered until it is not (Opacus divides by ‖g‖ + 10⁻⁶ instead).
    ///
    /// - Parameters:
    ///   - gradient: one sample's gradient, finite entries.
    ///   - maxNorm: C > 0; +∞ leaves the gradient unchanged.
    /// - Returns: the norm before clipping.
    @discardableResult
    public static func clip(_ gradient: inout [Double], maxNorm: Double) -> Double {
        let before = norm(gradient)
        guard before > maxNorm else { return before }
        var factor = maxNorm / before
        var clipped = gradient
        for _ in 0..<64 {
            for k in gradient.indices { clipped[k] = gradient[k] * factor }
            if norm(clipped) <= maxNorm { break }
            factor *= 1 - 0x1p-50
        }
        gradient = clipped
        return before
    }
}

/// Gaussian noise from a ``SecureRandomGenerator``, hardened against floating-point attacks.
///
/// One draw of N(0, s²) is s·(z₁ + z₂ + z₃ + z₄)/2, where z₁…z₄ are independent standard normals
/// from two Box–Muller transforms of 53-bit uniforms in (0, 1): the sum of four has the same law as
/// one, but fills the gaps between the floating-point values that one Box–Muller sample can take,
/// which the attacks of Mironov (2012, for Laplace noise) and Jin et al. (2022, for Gaussian noise
/// in Opacus and elsewhere) exploit to tell neighbouring inputs apart (the mitigation of Holohan and
/// Braghin 2021, used by Opacus' `secure_mode`). Box–Muller has no rejection loop, so the time of a
/// draw does not depend on its value. docs/privacy.md says what this does and does not guarantee.
public struct GaussianNoise: Codable, Equatable, Sendable {
    /// The random source.
    public private(set) var generator: SecureRandomGenerator

    /// Standard normals summed per draw.
    public static let summands = 4

    /// A noise source over `generator` (keyed from the operating system by default).
    public init(generator: SecureRandomGenerator = SecureRandomGenerator()) {
        self.generator = generator
    }

    /// One draw of N(0, s²).
    ///
    /// - Parameter standardDeviation: s ≥ 0, finite (not checked here: callers validate once).
    /// - Returns: s·(z₁ + z₂ + z₃ + z₄)/2.
    public mutating func sample(standardDeviation: Double) -> Double {
        let (z1, z2) = boxMuller()
        let (z3, z4) = boxMuller()
        return standardDeviation * (0.5 * (z1 + z2 + z3 + z4))
    }

    /// Adds an independent draw of N(0, s²) to each entry of `values`.
    ///
    /// - Parameters:
    ///   - standardDeviation: s ≥ 0, finite.
    ///   - values: the vector to perturb in place.
    public mutating func add(standardDeviation: Double, to values: inout [Double]) {
        for k in values.indices { values[k] += sample(standardDeviation: standardDeviation) }
    }

    /// Two independent standard normals: √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂).
    private mutating func boxMuller() -> (Double, Double) {
        let u1 = generator.nextUnitInterval(), u2 = generator.nextUnitInterval()
        let radius = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return (radius * cos(angle), radius * sin(angle))
    }
}

/// The privatised sum of one batch's per-sample gradients.
public struct PrivateGradientSum: Equatable, Sendable {
    /// Σ clip(gᵢ, C) + N(0, σ²C²·I): divide by the *expected* batch size q·N for the mean, not by
    /// ``batchSize`` (the drawn size depends on the data).
    public let sum: [Double]
    /// How many per-sample gradients were summed.
    public let batchSize: Int
    /// How many of them were scaled down by clipping.
    public let clippedCount: Int
    /// σ·C, the noise's standard deviation per coordinate (0 without noise).
    public let noiseStandardDeviation: Double
}

/// One DP-SGD step's gradient: clip each sample's gradient to C, sum, add N(0, σ²C²) per coordinate.
///
/// With σ = 0 nothing is drawn and the sum is the plain sum of the clipped gradients in batch order;
/// with C = +∞ as well it is the plain sum of the gradients, bit for bit. The noise source's state is
/// `Codable` for checkpoints.
public struct DPSGDAggregator: Codable, Equatable, Sendable {
    /// C, the clipping norm (+∞: no clipping, allowed only without noise).
    public let maxGradientNorm: Double
    /// σ ≥ 0, the noise multiplier.
    public let noiseMultiplier: Double
    /// The noise source.
    public private(set) var noise: GaussianNoise

    /// An aggregator with clipping norm C and noise multiplier σ.
    ///
    /// - Parameters:
    ///   - maxGradientNorm: C > 0, or +∞ for no clipping (then σ must be 0: noise σ·∞ is meaningless).
    ///   - noiseMultiplier: σ ≥ 0, finite.
    ///   - noise: the noise source (keyed from the operating system by default).
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for each value out of
    ///   range.
    public init(maxGradientNorm: Double, noiseMultiplier: Double, noise: GaussianNoise = GaussianNoise()) throws {
        guard maxGradientNorm > 0, !maxGradientNorm.isNaN else {
            throw DifferentialPrivacyError.invalidParameter(.maxGradientNorm, received: "\(maxGradientNorm)",
                valid: "give the clipping norm C > 0 (per-sample gradients are scaled to L2 norm ≤ C)")
        }
        guard noiseMultiplier.isFinite, noiseMultiplier >= 0 else {
            throw DifferentialPrivacyError.invalidParameter(.noiseMultiplier, received: "\(noiseMultiplier)",
                valid: "give σ ≥ 0 (0: no noise, and no privacy)")
        }
        if maxGradientNorm.isInfinite, noiseMultiplier > 0 {
            throw DifferentialPrivacyError.invalidParameter(.maxGradientNorm, received: "\(maxGradientNorm)",
                valid: "noise needs a finite clipping norm C: the noise's standard deviation is σ·C")
        }
        self.maxGradientNorm = maxGradientNorm
        self.noiseMultiplier = noiseMultiplier
        self.noise = noise
    }

    /// Decodes a saved aggregator, checking C and σ.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidState(_:)`` for a value out of range; decoding errors.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(maxGradientNorm: try container.decode(Double.self, forKey: .maxGradientNorm),
                          noiseMultiplier: try container.decode(Double.self, forKey: .noiseMultiplier),
                          noise: try container.decode(GaussianNoise.self, forKey: .noise))
        } catch let error as DifferentialPrivacyError {
            throw DifferentialPrivacyError.invalidState("saved DP-SGD aggregator: \(error.description)")
        }
    }

    /// Clips, sums and perturbs one batch's per-sample gradients.
    ///
    /// Σ_i g_i·min(1, C/‖g_i‖₂) + N(0, σ²C²) on each of the `parameterCount` coordinates, summed in
    /// batch order. An empty batch gives pure noise.
    ///
    /// - Parameters:
    ///   - perSampleGradients: one gradient per sample of the batch, each of `parameterCount` finite
    ///     entries.
    ///   - parameterCount: the model's number of parameters, ≥ 0.
    /// - Returns: the noisy sum with the batch and clipping counts.
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for a negative count;
    ///   ``DifferentialPrivacyError/gradientDimensionMismatch(sample:received:expected:)`` and
    ///   ``DifferentialPrivacyError/nonFiniteGradient(sample:coordinate:value:)``; nothing is drawn
    ///   from the noise source then.
    public mutating func privatize(_ perSampleGradients: [[Double]], parameterCount: Int) throws -> PrivateGradientSum {
        guard parameterCount >= 0 else {
            throw DifferentialPrivacyError.invalidParameter(.parameterCount, received: "\(parameterCount)", valid: "give the model's parameter count, ≥ 0")
        }
        for (sample, gradient) in perSampleGradients.enumerated() {
            guard gradient.count == parameterCount else {
                throw DifferentialPrivacyError.gradientDimensionMismatch(sample: sample, received: gradient.count, expected: parameterCount)
            }
            if let k = gradient.firstIndex(where: { !$0.isFinite }) {
                throw DifferentialPrivacyError.nonFiniteGradient(sample: sample, coordinate: k, value: gradient[k])
            }
        }
        var sum = [Double](repeating: 0, count: parameterCount)
        var clippedCount = 0
        for var gradient in perSampleGradients {
            if clip(&gradient) { clippedCount += 1 }
            for k in 0..<parameterCount { sum[k] += gradient[k] }
        }
        addNoise(to: &sum)
        return PrivateGradientSum(sum: sum, batchSize: perSampleGradients.count, clippedCount: clippedCount,
                                  noiseStandardDeviation: noiseStandardDeviation)
    }

    /// σ·C, the standard deviation of the noise per coordinate (0 when σ = 0 or C = +∞).
    public var noiseStandardDeviation: Double {
        maxGradientNorm.isFinite ? noiseMultiplier * maxGradientNorm : 0
    }

    /// Clips one sample's gradient to norm C in place (``GradientClipping/clip(_:maxNorm:)``) — the
    /// per-sample half of ``privatize(_:parameterCount:)``, for a trainer that sums the clipped
    /// gradients itself (across threads or MPI ranks) and then calls ``addNoise(to:)`` once.
    ///
    /// - Parameter gradient: finite entries (the caller checks: this is the unchecked path).
    /// - Returns: whether the gradient was scaled down.
    @discardableResult
    public func clip(_ gradient: inout [Double]) -> Bool {
        guard maxGradientNorm.isFinite else { return false }
        return GradientClipping.clip(&gradient, maxNorm: maxGradientNorm) > maxGradientNorm
    }

    /// Adds N(0, σ²C²) to each entry of a sum of clipped gradients — the other half of
    /// ``privatize(_:parameterCount:)``. Call it once per step on the whole batch's sum; ranks that
    /// each hold a copy of the same aggregator state (decoded from one saved on rank 0) add the same
    /// noise, so the result does not depend on the number of ranks. Draws nothing when σC = 0.
    ///
    /// - Parameter sum: the clipped sum, perturbed in place.
    public mutating func addNoise(to sum: inout [Double]) {
        let deviation = noiseStandardDeviation
        if deviation > 0 { noise.add(standardDeviation: deviation, to: &sum) }
    }
}
