import Foundation
import Parallel
import Privacy

// DP-SGD's plan (q, σ, the steps of each epoch) and its running state (sampler, noise, budget),
// built once a checked configuration meets the training set's size. The trainer takes one step at
// a time through `PrivateTrainingState.beginStep`; the state is Codable for checkpoints.

/// The fixed part of a private run: the schedule and the mechanism of every step.
struct PrivatePlan: Sendable, Equatable {
    let configuration: DifferentialPrivacyConfiguration
    /// N, the training samples.
    let datasetSize: Int
    /// B, the expected batch size.
    let expectedBatchSize: Int
    /// E, the epochs.
    let epochs: Int
    /// q = B/N.
    let samplingRate: Double
    /// σ, as given or calibrated.
    let noiseMultiplier: Double
    /// T = ⌈E·N/B⌉.
    let plannedSteps: Int
    /// Whether σ was calibrated for a target ε.
    let calibrated: Bool
    /// The step's mechanism for the accountant; nil when σ = 0 (nothing to account: ε = ∞).
    let mechanism: SubsampledGaussian?

    /// The plan of E epochs over N samples in expected batches of B; calibrates σ when only a
    /// target ε is given.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` when B > N;
    ///   ``DifferentialPrivacyError`` when no σ in [0.1, 1000] meets the target (or any σ does).
    init(_ configuration: DifferentialPrivacyConfiguration, datasetSize: Int, batchSize: Int, epochs: Int) throws {
        guard batchSize <= datasetSize else {
            throw QuantumMLError.invalidArgument(
                argument: "the batch size of differentially private training", received: "\(batchSize) for \(datasetSize) training samples",
                valid: "at most the training samples: each sample joins a batch with probability q = batch size / training samples ≤ 1")
        }
        self.configuration = configuration
        self.datasetSize = datasetSize
        expectedBatchSize = batchSize
        self.epochs = epochs
        let schedule = try TrainingSchedule(epochs: Double(epochs), datasetSize: datasetSize, batchSize: batchSize)
        samplingRate = schedule.samplingRate
        plannedSteps = schedule.steps
        if let sigma = configuration.noiseMultiplier {
            noiseMultiplier = sigma
            calibrated = false
        } else {
            let target = configuration.targetEpsilon ?? .nan
            noiseMultiplier = try PrivacyAccounting.noiseMultiplier(forEpsilon: target, delta: configuration.delta, schedule: schedule,
                                                                    accountant: configuration.accountant).noiseMultiplier
            calibrated = true
        }
        mechanism = noiseMultiplier > 0 ? try SubsampledGaussian(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier) : nil
    }

    /// The steps of epoch k (from 1): ⌈k·N/B⌉ − ⌈(k−1)·N/B⌉, so that E epochs are ⌈E·N/B⌉ steps.
    func steps(inEpoch k: Int) -> Int {
        let n = datasetSize, b = expectedBatchSize
        return (k * n + b - 1) / b - ((k - 1) * n + b - 1) / b
    }

    /// A fresh state: sampler and noise keyed by `keys` (64 bytes: the sampler's key, then the
    /// noise's) or by the configuration's seed, and nothing spent. With noise per site, this
    /// rank's own noise source too: keyed by the operating system on this rank alone, or, seeded,
    /// by seed + 1000 + `rank`.
    func initialState(keys: [UInt8], rank: Int = 0) throws -> PrivateTrainingState {
        let samplerSource: SecureRandomGenerator, noiseSource: SecureRandomGenerator
        if let seed = configuration.randomSeed {
            samplerSource = SecureRandomGenerator(seed: seed)
            noiseSource = SecureRandomGenerator(seed: seed &+ 1)
        } else {
            samplerSource = try SecureRandomGenerator(key: Array(keys[0..<32]))
            noiseSource = try SecureRandomGenerator(key: Array(keys[32..<64]))
        }
        let accountant = PrivacyAccountant(configuration.accountant)
        var budget: PrivacyBudget? = nil
        if let target = configuration.targetEpsilon {
            budget = try PrivacyBudget(targetEpsilon: target, delta: configuration.delta, accountant: accountant)
        }
        return PrivateTrainingState(
            sampler: try PoissonSampler(datasetSize: datasetSize, samplingRate: samplingRate, generator: samplerSource),
            aggregator: try DPSGDAggregator(maxGradientNorm: configuration.maxGradientNorm, noiseMultiplier: noiseMultiplier,
                                            noise: GaussianNoise(generator: noiseSource)),
            budget: budget, ledger: PrivacyLedger(), samples: 0, clipped: 0, stoppedAtBudget: false,
            siteNoise: configuration.noisePerSite
                ? GaussianNoise(generator: configuration.randomSeed.map { SecureRandomGenerator(seed: $0 &+ 1000 &+ UInt64(rank)) }
                    ?? SecureRandomGenerator())
                : nil)
    }

    /// The record saved in the model for the state at the end of training.
    /// - Throws: ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)`` from PLD.
    func record(_ state: PrivateTrainingState) throws -> DifferentialPrivacyRecord {
        let accountant = PrivacyAccountant(configuration.accountant)
        let guarantee = mechanism == nil ? nil : try accountant.guarantee(for: state.ledger, delta: configuration.delta)
        var discretization: Double? = nil
        if case .pld(let pld) = accountant { discretization = pld.discretization }
        return DifferentialPrivacyRecord(
            epsilon: guarantee?.epsilon, delta: configuration.delta, accountant: configuration.accountant, order: guarantee?.order,
            discretization: discretization, noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: state.sampler.batchesDrawn,
            plannedSteps: plannedSteps, maxGradientNorm: configuration.maxGradientNorm.isFinite ? configuration.maxGradientNorm : nil,
            expectedBatchSize: expectedBatchSize, protectedSamples: datasetSize, targetEpsilon: configuration.targetEpsilon,
            calibrated: calibrated, stoppedAtBudget: state.stoppedAtBudget, seeded: configuration.randomSeed != nil,
            clippedFraction: state.samples > 0 ? Double(state.clipped) / Double(state.samples) : nil, adjacency: "add-or-remove-one",
            noisePerSite: configuration.noisePerSite ? true : nil)
    }
}

/// The running state of a private run: what a checkpoint must hold so that a resumed run draws the
/// same batches and noise and spends the same budget.
struct PrivateTrainingState: Codable, Sendable, Equatable {
    /// Draws each step's Poisson batch.
    var sampler: PoissonSampler
    /// Clips and adds the noise (its noise source included).
    var aggregator: DPSGDAggregator
    /// The running budget when a target ε was given (its ledger equals ``ledger``).
    var budget: PrivacyBudget?
    /// The steps taken, as the accountant sees them (empty when σ = 0).
    var ledger: PrivacyLedger
    /// Per-sample gradients computed so far, and how many of them clipping scaled down.
    var samples: Int
    var clipped: Int
    /// Whether a step was refused because it would have passed the target ε.
    var stoppedAtBudget: Bool
    /// This rank's own noise source when each federated site adds its share (nil otherwise).
    var siteNoise: GaussianNoise? = nil

    /// Accounts for one more step of `mechanism` and draws its batch, or returns nil — spending
    /// nothing and drawing nothing — when the step would take ε past the target.
    /// - Throws: accounting errors (PLD too large).
    mutating func beginStep(_ mechanism: SubsampledGaussian?) throws -> [Int]? {
        if let mechanism {
            if var budget {
                do {
                    try budget.spend(mechanism)
                } catch DifferentialPrivacyError.budgetExhausted {
                    stoppedAtBudget = true
                    return nil
                }
                self.budget = budget
            }
            try ledger.record(mechanism)
        }
        return sampler.nextBatch()
    }

    /// Checks a decoded state against the plan it must continue.
    /// - Returns: what does not fit, or nil.
    func mismatch(with plan: PrivatePlan) -> String? {
        if sampler.datasetSize != plan.datasetSize || sampler.samplingRate != plan.samplingRate {
            return "its Poisson sampler draws from \(sampler.datasetSize) samples at q = \(sampler.samplingRate); this run has \(plan.datasetSize) at q = \(plan.samplingRate)"
        }
        if aggregator.noiseMultiplier != plan.noiseMultiplier || aggregator.maxGradientNorm != plan.configuration.maxGradientNorm {
            return "its noise has σ = \(aggregator.noiseMultiplier), C = \(aggregator.maxGradientNorm); this run has σ = \(plan.noiseMultiplier), C = \(plan.configuration.maxGradientNorm)"
        }
        if (budget == nil) != (plan.configuration.targetEpsilon == nil) || (budget.map { $0.ledger != ledger } ?? false) {
            return "its privacy budget does not match the run's target ε or its own ledger"
        }
        if sampler.batchesDrawn < ledger.steps || (plan.mechanism != nil && sampler.batchesDrawn != ledger.steps) {
            return "its sampler drew \(sampler.batchesDrawn) batches but its ledger holds \(ledger.steps) steps"
        }
        return nil
    }
}

// MARK: - Aggregation: the step between per-sample gradients and the optimiser

/// One batch's aggregated gradient: the same on every rank.
public struct AggregatedBatch: Sendable, Equatable {
    /// Σ over the batch of the per-sample gradients (clipped, with noise added once, when private).
    public var gradient: [Double]
    /// Σ over the batch of the per-sample statistics (loss, correct count, …), never clipped.
    public var statistics: [Double]
    /// How many per-sample gradients clipping scaled down (0 without clipping).
    public var clippedCount: Int
}

/// How the per-sample gradients of one batch become the one gradient that every rank steps with —
/// the trainer's only way of combining them, so that another combination (a secure-aggregation
/// layer that masks each rank's share, with noise added per site) can take its place, or wrap one
/// of these, without a change to the trainer.
///
/// `term(i, &buffer)` computes sample i's gradient into `buffer[0..<gradientLength]` and its
/// statistics into the next `statisticsLength` entries, on a zeroed buffer; it is called on
/// worker threads of every rank. An aggregation returns the same result on every rank.
public protocol GradientAggregation: Sendable {
    /// Combines `count` per-sample terms.
    /// - Parameters:
    ///   - count: the batch's samples (≥ 0).
    ///   - gradientLength: P, the gradient's entries.
    ///   - statisticsLength: the statistics' entries after the gradient.
    ///   - scheduler: this rank's threads.
    ///   - term: writes sample i's gradient and statistics.
    /// - Returns: the batch's aggregated gradient and summed statistics, identical on every rank.
    /// - Throws: whatever `term` throws, communication errors, or the aggregation's own errors.
    mutating func aggregate(count: Int, gradientLength: Int, statisticsLength: Int, using scheduler: Scheduler,
                            _ term: @escaping @Sendable (Int, inout [Double]) throws -> Void) throws -> AggregatedBatch
}

/// The plain sum: per-sample gradients added in batch order across threads and ranks
/// (`Communicator.reproducibleSum`, one sample per block), bit for bit the same for any number of
/// ranks and threads.
public struct SummedGradients: GradientAggregation {
    /// The ranks sharing the batch.
    public let communicator: any Communicator
    /// With federated shards, which of the batch's samples this rank holds: each is computed there
    /// and the ranks' partial sums meet in one sum (`partitionedSum`). Nil: every rank holds every
    /// sample, and the batch is shared out in fixed blocks.
    public var holds: (@Sendable (Int) -> Bool)?

    /// A sum over `communicator`'s ranks.
    public init(communicator: any Communicator) {
        self.communicator = communicator
        holds = nil
    }

    /// Σ of the terms, in batch order.
    /// - Throws: as ``GradientAggregation/aggregate(count:gradientLength:statisticsLength:using:_:)``.
    public mutating func aggregate(count: Int, gradientLength: Int, statisticsLength: Int, using scheduler: Scheduler,
                                   _ term: @escaping @Sendable (Int, inout [Double]) throws -> Void) throws -> AggregatedBatch
    {
        let sum = try sumOfTerms(communicator, count: count, length: gradientLength + statisticsLength, using: scheduler,
                                 holds: holds, term)
        return AggregatedBatch(gradient: Array(sum[..<gradientLength]), statistics: Array(sum[gradientLength...]), clippedCount: 0)
    }
}

/// DP-SGD's aggregation: each per-sample gradient is clipped to norm C where it is computed, the
/// clipped gradients are added in batch order across threads and ranks (as ``SummedGradients``),
/// and N(0, σ²C²) noise is added to the sum once. Every rank holds the same noise state, so every
/// rank adds the same noise and the result equals the one-rank run bit for bit.
public struct PrivateGradients: GradientAggregation {
    /// The ranks sharing the batch.
    public let communicator: any Communicator
    /// The clipping norm, σ and the noise source (advanced by each aggregation).
    public var dpsgd: DPSGDAggregator
    /// With federated shards, which of the batch's samples this rank holds (see
    /// ``SummedGradients/holds``); nil: every rank holds every sample.
    public var holds: (@Sendable (Int) -> Bool)?
    /// With federated shards and noise per site: this rank's own noise source. Each rank then adds
    /// N(0, σ²C²/(P − 1)) to its partial sum before the ranks' sums meet (P > 1 ranks; one rank adds
    /// N(0, σ²C²)), and no noise is added to the aggregate. Nil: the noise is added once to the
    /// aggregate, from ``dpsgd``'s source, the same on every rank.
    public var siteNoise: GaussianNoise?

    /// A private aggregation over `communicator`'s ranks.
    public init(communicator: any Communicator, dpsgd: DPSGDAggregator) {
        self.communicator = communicator
        self.dpsgd = dpsgd
        holds = nil
        siteNoise = nil
    }

    /// Σ clip(g_i) + N(0, σ²C²), and the statistics' plain sum.
    /// - Throws: ``DifferentialPrivacyError/nonFiniteGradient(sample:coordinate:value:)`` for a
    ///   gradient that holds NaN or ∞ (it cannot be clipped); as
    ///   ``GradientAggregation/aggregate(count:gradientLength:statisticsLength:using:_:)``.
    public mutating func aggregate(count: Int, gradientLength: Int, statisticsLength: Int, using scheduler: Scheduler,
                                   _ term: @escaping @Sendable (Int, inout [Double]) throws -> Void) throws -> AggregatedBatch
    {
        let clipper = dpsgd, p = gradientLength, s = statisticsLength
        // One entry past the statistics counts the clipped gradients.
        // Noise per site: this rank's share, on its partial gradient sum only (not the statistics).
        let perSite = siteNoise != nil && holds != nil
        let siteDeviation = dpsgd.noiseStandardDeviation / Double(max(communicator.size - 1, 1)).squareRoot()
        var ownNoise = siteNoise
        let sum = try sumOfTerms(communicator, count: count, length: p + s + 1, using: scheduler, holds: holds,
                                 adjustingPartial: { partial in
                                     guard perSite, ownNoise != nil else { return }
                                     var gradient = Array(partial[..<p])
                                     ownNoise?.add(standardDeviation: siteDeviation, to: &gradient)
                                     partial.replaceSubrange(0..<p, with: gradient)
                                 }) { i, accumulator in
            var sample = [Double](repeating: 0, count: p + s)
            try term(i, &sample)
            var gradient = Array(sample[..<p])
            if let k = gradient.firstIndex(where: { !$0.isFinite }) {
                throw DifferentialPrivacyError.nonFiniteGradient(sample: i, coordinate: k, value: gradient[k])
            }
            let clipped = clipper.clip(&gradient)
            for k in 0..<p { accumulator[k] += gradient[k] }
            for k in 0..<s { accumulator[p + k] += sample[p + k] }
            if clipped { accumulator[p + s] += 1 }
        }
        var gradient = Array(sum[..<p])
        if perSite {
            siteNoise = ownNoise
        } else {
            dpsgd.addNoise(to: &gradient)
        }
        return AggregatedBatch(gradient: gradient, statistics: Array(sum[p..<(p + s)]), clippedCount: Int(sum[p + s]))
    }
}
