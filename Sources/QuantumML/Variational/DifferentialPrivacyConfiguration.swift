import Foundation
import Privacy

/// Differentially private training of a variational model: DP-SGD (Abadi et al. 2016) with the
/// sampling the accountants assume.
///
/// Each optimiser step draws a **Poisson batch** (every training sample joins independently with
/// probability q = B/N, B the expected batch size ``VariationalConfiguration/batchSize`` and N the
/// training samples), computes each sample's gradient (the same one-pass per-sample gradients as
/// plain training), **clips** it to L2 norm C = ``maxGradientNorm``, sums the batch (across threads
/// and ranks, in a fixed order), adds **Gaussian noise** N(0, σ²C²) to every coordinate once, and
/// divides by the *expected* batch size q·N = B (not the drawn size, which depends on the data).
/// An epoch is ⌈k·N/B⌉ − ⌈(k−1)·N/B⌉ steps (epoch k), so E epochs are T = ⌈E·N/B⌉ steps, the
/// schedule `verdant privacy-budget --epochs E --dataset-size N --batch-size B` accounts for.
///
/// The noise is set by one of:
/// - ``targetEpsilon`` alone: σ is calibrated so that the planned T steps give ε ≤ target at δ;
/// - ``noiseMultiplier`` alone: σ as given, and the model records the ε the steps taken give;
/// - both: σ as given, and training stops before the step that would take ε past the target.
///
/// Randomness (batches and noise) comes from ChaCha20 keyed by the operating system — shared by
/// every rank of a run, so that each rank adds the same noise — unless ``randomSeed`` makes it
/// reproducible, which gives no privacy against anyone who knows the seed.
public struct DifferentialPrivacyConfiguration: Sendable, Equatable {
    /// ε to reach at most (> 0): calibrates σ when ``noiseMultiplier`` is nil, stops training at
    /// the budget otherwise.
    public var targetEpsilon: Double?
    /// σ ≥ 0, the noise's standard deviation in units of the clipping norm; 0 adds no noise
    /// (ε = ∞: clipping and Poisson batches alone, not private).
    public var noiseMultiplier: Double?
    /// δ in (0, 1), usually below 1/N.
    public var delta: Double
    /// C > 0, the per-sample gradient's L2 norm bound; +∞ (no clipping) only with σ = 0.
    public var maxGradientNorm: Double
    /// RDP (default; dp-accounting's `RdpAccountant`) or PLD (tighter, slower).
    public var accountant: PrivacyAccountantKind
    /// A seed for the batches and the noise (nil: keys from the operating system). Seeded runs are
    /// reproducible and give no privacy against whoever knows the seed; the model records that.
    public var randomSeed: UInt64?
    /// Federated shards with secure aggregation only: instead of one N(0, σ²C²) draw added to the
    /// aggregate by every rank (from the shared noise key), each of the P sites adds its own
    /// N(0, σ²C²/(P − 1)) draw (its own key) to its partial sum before the masked sum. The noise
    /// any one site does not know then still has variance σ²C², so the accountant's ε holds
    /// against a curious site as well as against whoever sees the model, and no rank sees the sum
    /// before noise; the total noise is P/(P − 1) times larger. Default false.
    public var noisePerSite: Bool

    /// Settings.
    /// - Parameters:
    ///   - targetEpsilon: the target ε (nil: report ε only; then give `noiseMultiplier`).
    ///   - noiseMultiplier: σ (nil: calibrate it for `targetEpsilon`).
    ///   - delta: δ.
    ///   - maxGradientNorm: C, default 1.
    ///   - accountant: default RDP.
    ///   - randomSeed: default nil (operating-system keys).
    ///   - noisePerSite: each federated site adds its own share of the noise (see ``noisePerSite``).
    public init(targetEpsilon: Double? = nil, noiseMultiplier: Double? = nil, delta: Double, maxGradientNorm: Double = 1,
                accountant: PrivacyAccountantKind = .rdp, randomSeed: UInt64? = nil, noisePerSite: Bool = false)
    {
        self.noisePerSite = noisePerSite
        self.targetEpsilon = targetEpsilon
        self.noiseMultiplier = noiseMultiplier
        self.delta = delta
        self.maxGradientNorm = maxGradientNorm
        self.accountant = accountant
        self.randomSeed = randomSeed
    }

    /// Checks the settings on their own (the data-dependent checks come with the data).
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` naming the setting.
    func validate() throws {
        guard targetEpsilon != nil || noiseMultiplier != nil else {
            throw QuantumMLError.invalidArgument(argument: "the noise of differentially private training", received: "neither a target ε nor a noise multiplier σ",
                                                 valid: "a target ε (σ is then calibrated), a noise multiplier σ (ε is then reported), or both (training stops at the budget)")
        }
        if let targetEpsilon, !(targetEpsilon.isFinite && targetEpsilon > 0) {
            throw QuantumMLError.invalidArgument(argument: "the target ε", received: "\(targetEpsilon)", valid: "a finite number > 0")
        }
        if let noiseMultiplier {
            guard noiseMultiplier.isFinite, noiseMultiplier >= 0 else {
                throw QuantumMLError.invalidArgument(argument: "the noise multiplier σ", received: "\(noiseMultiplier)",
                                                     valid: "a finite number ≥ 0 (0: no noise, and no privacy)")
            }
            if noiseMultiplier == 0, let targetEpsilon {
                throw QuantumMLError.invalidArgument(argument: "the noise multiplier σ", received: "0 with a target ε = \(targetEpsilon)",
                                                     valid: "σ > 0: without noise ε is infinite, so no step fits a finite budget")
            }
        }
        guard delta.isFinite, delta > 0, delta < 1 else {
            throw QuantumMLError.invalidArgument(argument: "δ", received: "\(delta)", valid: "in (0, 1), usually below 1/(training samples), e.g. 1e-5")
        }
        guard maxGradientNorm > 0, !maxGradientNorm.isNaN else {
            throw QuantumMLError.invalidArgument(argument: "the clipping norm C", received: "\(maxGradientNorm)", valid: "a number > 0")
        }
        if maxGradientNorm.isInfinite, noiseMultiplier != 0 {
            throw QuantumMLError.invalidArgument(argument: "the clipping norm C", received: "∞ (no clipping) with noise",
                                                 valid: "a finite C: the noise's standard deviation is σ·C, and without clipping one sample's influence is unbounded")
        }
    }
}

/// What a differentially private training run guarantees and how it got there, saved in the
/// model file (`training.privacy`, docs/model-format.md).
///
/// The guarantee is (ε, δ)-DP of the trained weights for each training sample, with neighbouring
/// data sets differing by adding or removing one sample; ``epsilon`` is the accountant's value for
/// ``steps`` steps of the Poisson-subsampled Gaussian mechanism (``samplingRate``,
/// ``noiseMultiplier``) — the same number `verdant privacy-budget` gives for that q, σ and T.
public struct DifferentialPrivacyRecord: Codable, Sendable, Equatable {
    /// ε at ``delta`` for the steps taken; nil when σ = 0 (no noise: ε is infinite).
    public var epsilon: Double?
    /// δ.
    public var delta: Double
    /// `rdp` or `pld`.
    public var accountant: PrivacyAccountantKind
    /// The Rényi order at which the RDP accountant's conversion gave ``epsilon`` (RDP only).
    public var order: Double?
    /// The PLD accountant's discretisation interval (PLD only).
    public var discretization: Double?
    /// σ, the noise's standard deviation in units of the clipping norm.
    public var noiseMultiplier: Double
    /// q = B/N, the probability that a training sample joins a step's batch.
    public var samplingRate: Double
    /// Optimiser steps taken (each one a Poisson batch with noise, empty batches included).
    public var steps: Int
    /// The steps that ``VariationalTrainingRecord/epochs`` epochs plan, ⌈E·N/B⌉.
    public var plannedSteps: Int
    /// C, the per-sample clipping norm; nil for no clipping (only with σ = 0).
    public var maxGradientNorm: Double?
    /// B = q·N, the expected batch size the summed gradient is divided by.
    public var expectedBatchSize: Int
    /// N, the training samples the guarantee covers.
    public var protectedSamples: Int
    /// The target ε, when one was given.
    public var targetEpsilon: Double?
    /// Whether σ was calibrated from ``targetEpsilon`` for ``plannedSteps`` steps.
    public var calibrated: Bool
    /// Whether training stopped because the next step would have taken ε past ``targetEpsilon``.
    public var stoppedAtBudget: Bool
    /// Whether the batches and noise came from a seed (reproducible: no privacy against whoever
    /// knows it) rather than operating-system keys.
    public var seeded: Bool
    /// The share of per-sample gradients (over all steps) that clipping scaled down.
    public var clippedFraction: Double?
    /// Neighbouring data sets: `add-or-remove-one` (dp-accounting's default).
    public var adjacency: String
    /// True when each federated site added its own share of the noise (``DifferentialPrivacyConfiguration/noisePerSite``);
    /// absent when the noise was added once to the aggregate.
    public var noisePerSite: Bool? = nil
}
