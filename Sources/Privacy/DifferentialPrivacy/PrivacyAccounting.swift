import Foundation

/// How many DP-SGD steps, at which sampling rate: given directly, or derived from epochs, dataset
/// size and batch size.
public struct TrainingSchedule: Codable, Hashable, Sendable {
    /// The epochs, dataset size and expected batch size a schedule was derived from.
    public struct Derivation: Codable, Hashable, Sendable {
        /// E, passes over the data (may be fractional).
        public let epochs: Double
        /// N, records in the dataset.
        public let datasetSize: Int
        /// B, the expected batch size (Poisson batches vary around it).
        public let batchSize: Int
    }

    /// q, the probability that a record joins a batch.
    public let samplingRate: Double
    /// T, the number of steps.
    public let steps: Int
    /// What q and T were derived from; `nil` when they were given.
    public let derivation: Derivation?

    /// A schedule of `steps` steps at sampling rate `samplingRate`.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for q outside (0, 1]
    ///   or T < 1.
    public init(samplingRate: Double, steps: Int) throws {
        try Validate.samplingRate(samplingRate)
        try Validate.steps(steps)
        self.samplingRate = samplingRate
        self.steps = steps
        derivation = nil
    }

    /// The schedule of E epochs of Poisson batches of expected size B from N records:
    /// q = B/N and T = ⌈E·N/B⌉ (an epoch is N/B expected batches; a partial last batch counts as a
    /// step, so T never undercounts).
    ///
    /// - Parameters:
    ///   - epochs: E > 0, finite (fractional epochs allowed).
    ///   - datasetSize: N ≥ 1.
    ///   - batchSize: B with 1 ≤ B ≤ N.
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for each value out of
    ///   range, or when T would exceed 10¹².
    public init(epochs: Double, datasetSize: Int, batchSize: Int) throws {
        guard epochs.isFinite, epochs > 0 else {
            throw DifferentialPrivacyError.invalidParameter(.epochs, received: "\(epochs)", valid: "give E > 0 passes over the data")
        }
        guard datasetSize >= 1 else {
            throw DifferentialPrivacyError.invalidParameter(.datasetSize, received: "\(datasetSize)", valid: "give N ≥ 1 records")
        }
        guard batchSize >= 1, batchSize <= datasetSize else {
            throw DifferentialPrivacyError.invalidParameter(.batchSize, received: "\(batchSize)",
                valid: "give an expected batch size B with 1 ≤ B ≤ N = \(datasetSize)")
        }
        let exactSteps: Double
        if epochs.rounded() == epochs, epochs < 1e9 {
            // Integer epochs: ⌈E·N/B⌉ in integers, so 3 epochs of 100 rows in batches of 10 is 30, not 31.
            let (product, overflow) = Int(epochs).multipliedReportingOverflow(by: datasetSize)
            exactSteps = overflow ? .infinity : Double((product + batchSize - 1) / batchSize)
        } else {
            // A decimal E (1.1) is not exact in binary: 1.1 · 100 / 10 is 11.000000000000002. A
            // quotient within 10⁻⁹ (relative) of a whole number is that number, as exact
            // arithmetic on the decimal E gives; otherwise ⌈E·N/B⌉.
            let quotient = epochs * Double(datasetSize) / Double(batchSize)
            let nearest = quotient.rounded()
            exactSteps = abs(quotient - nearest) <= 1e-9 * max(1, nearest) ? nearest : quotient.rounded(.up)
        }
        guard exactSteps <= 1e12 else {
            throw DifferentialPrivacyError.invalidParameter(.epochs, received: "\(epochs)",
                valid: "E·N/B must stay below 10¹² steps")
        }
        samplingRate = Double(batchSize) / Double(datasetSize)
        steps = max(1, Int(exactSteps))
        derivation = Derivation(epochs: epochs, datasetSize: datasetSize, batchSize: batchSize)
    }
}

/// The smallest noise multiplier that meets a target ε, as found by ``PrivacyAccounting/noiseMultiplier(forEpsilon:delta:schedule:accountant:relativeTolerance:range:)``.
public struct NoiseCalibration: Hashable, Sendable {
    /// σ: the upper end of the final bracket, so ε(σ) ≤ target is guaranteed.
    public let noiseMultiplier: Double
    /// The lower end of the final bracket: ε there exceeds the target. The smallest σ lies in
    /// (``lowerBound``, ``noiseMultiplier``], an interval of relative width ≤ ``relativeTolerance``.
    public let lowerBound: Double
    /// The guarantee at ``noiseMultiplier``.
    public let guarantee: PrivacyGuarantee
    /// The ε asked for.
    public let targetEpsilon: Double
    /// The bisection's stopping rule: (σ_high − σ_low) ≤ tolerance · σ_high.
    public let relativeTolerance: Double
    /// How many times the accountant was evaluated.
    public let evaluations: Int
}

/// A question for ``PrivacyAccounting/answer(_:)``, as `verdant privacy-budget` asks it.
public struct PrivacyBudgetQuery: Hashable, Sendable {
    /// What is given besides the schedule: σ (to find ε), or a target ε (to find σ).
    public enum Given: Hashable, Sendable {
        /// σ > 0: the answer is ε.
        case noiseMultiplier(Double)
        /// A target ε > 0: the answer is the smallest σ that meets it.
        case targetEpsilon(Double)
    }

    /// q and T.
    public var schedule: TrainingSchedule
    /// σ or the target ε.
    public var given: Given
    /// δ in (0, 1).
    public var delta: Double
    /// The accountant to use.
    public var accountant: PrivacyAccountantKind

    /// Collects a question (checked by ``PrivacyAccounting/answer(_:)``).
    public init(schedule: TrainingSchedule, given: Given, delta: Double, accountant: PrivacyAccountantKind = .rdp) {
        self.schedule = schedule
        self.given = given
        self.delta = delta
        self.accountant = accountant
    }
}

/// The answer to a ``PrivacyBudgetQuery``.
public struct PrivacyBudgetAnswer: Hashable, Sendable {
    /// The schedule, with what it was derived from.
    public let schedule: TrainingSchedule
    /// σ: as given, or as calibrated.
    public let noiseMultiplier: Double
    /// ε at δ for (q, σ, T).
    public let guarantee: PrivacyGuarantee
    /// The calibration's details when σ was found from a target ε; `nil` when σ was given.
    public let calibration: NoiseCalibration?
}

/// The accountants' entry points: ε from (q, σ, T, δ), and σ from a target (ε, δ, q, T).
public enum PrivacyAccounting {
    /// The default search range of the noise multiplier, [0.1, 1000].
    public static let defaultNoiseMultiplierRange: ClosedRange<Double> = 0.1...1000
    /// The default relative tolerance of the calibrated σ: 1e-6 (RDP) — the PLD accountant's own
    /// discretisation error is larger, so it uses ``defaultPLDTolerance``.
    public static let defaultRDPTolerance = 1e-6
    /// The default relative tolerance of a PLD-calibrated σ: 1e-4.
    public static let defaultPLDTolerance = 1e-4

    /// ε at δ after T steps of the subsampled Gaussian (q, σ).
    ///
    /// - Parameters:
    ///   - samplingRate: q in (0, 1].
    ///   - noiseMultiplier: σ > 0.
    ///   - steps: T ≥ 1.
    ///   - delta: δ in (0, 1).
    ///   - accountant: RDP (default) or PLD.
    /// - Returns: the guarantee (with the optimal order for RDP).
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for each value out of
    ///   range; ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)`` from PLD.
    public static func epsilon(samplingRate: Double, noiseMultiplier: Double, steps: Int, delta: Double,
                               accountant: PrivacyAccountantKind = .rdp) throws -> PrivacyGuarantee {
        let mechanism = try SubsampledGaussian(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier)
        try Validate.delta(delta)
        return try PrivacyAccountant(accountant).guarantee(for: try PrivacyLedger(mechanism, steps: steps), delta: delta)
    }

    /// The smallest σ in `range` whose T steps at rate q give ε ≤ `target` at δ: bracketing (σ
    /// doubled or halved from a start until ε crosses the target) then bisection until the bracket's
    /// relative width is at most `relativeTolerance`. ε(σ) is non-increasing in σ for both
    /// accountants; the PLD search starts from the RDP answer, which bounds it from above in practice.
    ///
    /// - Parameters:
    ///   - target: ε > 0.
    ///   - delta: δ in (0, 1).
    ///   - schedule: q and T.
    ///   - accountant: RDP (default) or PLD.
    ///   - relativeTolerance: the stopping width, in (0, 0.1]; `nil` for 1e-6 (RDP) or 1e-4 (PLD).
    ///   - range: the σ searched, within (0, 10⁶]; [0.1, 1000] unless given.
    /// - Returns: σ (meeting the target) with the bracket, the guarantee and the evaluation count.
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for bad input;
    ///   ``DifferentialPrivacyError/targetUnreachable(targetEpsilon:delta:bestEpsilon:noiseMultiplier:side:)``
    ///   when even the largest σ gives a larger ε, or the smallest σ already meets the target;
    ///   ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)`` from PLD.
    public static func noiseMultiplier(forEpsilon target: Double, delta: Double, schedule: TrainingSchedule,
                                       accountant kind: PrivacyAccountantKind = .rdp, relativeTolerance: Double? = nil,
                                       range: ClosedRange<Double> = defaultNoiseMultiplierRange) throws -> NoiseCalibration {
        try Validate.epsilon(target)
        try Validate.delta(delta)
        let tolerance = relativeTolerance ?? (kind == .rdp ? defaultRDPTolerance : defaultPLDTolerance)
        guard tolerance.isFinite, tolerance > 0, tolerance <= 0.1 else {
            throw DifferentialPrivacyError.invalidParameter(.tolerance, received: "\(tolerance)", valid: "give a relative tolerance in (0, 0.1]")
        }
        guard range.lowerBound.isFinite, range.lowerBound > 0, range.upperBound <= 1e6 else {
            throw DifferentialPrivacyError.invalidParameter(.noiseMultiplierRange, received: "\(range)",
                valid: "give a range of σ within (0, 10⁶]")
        }
        let accountant = PrivacyAccountant(kind)
        var evaluations = 0
        func epsilon(_ sigma: Double) throws -> PrivacyGuarantee {
            evaluations += 1
            let ledger = try PrivacyLedger(try SubsampledGaussian(samplingRate: schedule.samplingRate, noiseMultiplier: sigma),
                                           steps: schedule.steps)
            return try accountant.guarantee(for: ledger, delta: delta)
        }

        // A start and a growth factor: RDP from σ = 1; PLD from the RDP answer, in finer steps.
        var start = min(max(1, range.lowerBound), range.upperBound)
        var factor = 2.0
        if kind == .pld {
            let rdp = try? noiseMultiplier(forEpsilon: target, delta: delta, schedule: schedule, accountant: .rdp,
                                           relativeTolerance: 1e-3, range: range)
            if let rdp { start = rdp.noiseMultiplier }
            factor = 1.25
        }

        // Bracket: ε(passing) ≤ target < ε(failing), moving a probe from the start by `factor`.
        let first = try epsilon(start)
        var passing = (sigma: start, guarantee: first), failing = (sigma: start, guarantee: first)
        var probe = passing
        if first.epsilon > target {
            while probe.guarantee.epsilon > target {
                if probe.sigma >= range.upperBound {
                    throw DifferentialPrivacyError.targetUnreachable(targetEpsilon: target, delta: delta, bestEpsilon: probe.guarantee.epsilon,
                                                                     noiseMultiplier: probe.sigma, side: .tooMuchNoiseNeeded)
                }
                failing = probe
                let sigma = min(probe.sigma * factor, range.upperBound)
                probe = (sigma, try epsilon(sigma))
            }
            passing = probe
        } else {
            while probe.guarantee.epsilon <= target {
                if probe.sigma <= range.lowerBound {
                    throw DifferentialPrivacyError.targetUnreachable(targetEpsilon: target, delta: delta, bestEpsilon: probe.guarantee.epsilon,
                                                                     noiseMultiplier: probe.sigma, side: .anyNoiseSuffices)
                }
                passing = probe
                let sigma = max(probe.sigma / factor, range.lowerBound)
                probe = (sigma, try epsilon(sigma))
            }
            failing = probe
        }
        var high = passing.sigma, highGuarantee = passing.guarantee, low = failing.sigma
        // Bisection: keep ε(high) ≤ target < ε(low).
        while high - low > tolerance * high {
            let middle = 0.5 * (low + high)
            if middle <= low || middle >= high { break }
            let guarantee = try epsilon(middle)
            if guarantee.epsilon <= target {
                (high, highGuarantee) = (middle, guarantee)
            } else {
                low = middle
            }
        }
        return NoiseCalibration(noiseMultiplier: high, lowerBound: low, guarantee: highGuarantee, targetEpsilon: target,
                                relativeTolerance: tolerance, evaluations: evaluations)
    }

    /// Answers a ``PrivacyBudgetQuery``: ε for a given σ, or the smallest σ for a target ε (with the
    /// default tolerance and range).
    ///
    /// - Parameter query: the schedule, σ or target ε, δ and the accountant.
    /// - Returns: the schedule, σ, the guarantee and, for a target ε, the calibration.
    /// - Throws: the errors of ``epsilon(samplingRate:noiseMultiplier:steps:delta:accountant:)`` and
    ///   ``noiseMultiplier(forEpsilon:delta:schedule:accountant:relativeTolerance:range:)``.
    public static func answer(_ query: PrivacyBudgetQuery) throws -> PrivacyBudgetAnswer {
        switch query.given {
        case .noiseMultiplier(let sigma):
            let guarantee = try epsilon(samplingRate: query.schedule.samplingRate, noiseMultiplier: sigma, steps: query.schedule.steps,
                                        delta: query.delta, accountant: query.accountant)
            return PrivacyBudgetAnswer(schedule: query.schedule, noiseMultiplier: sigma, guarantee: guarantee, calibration: nil)
        case .targetEpsilon(let target):
            let calibration = try noiseMultiplier(forEpsilon: target, delta: query.delta, schedule: query.schedule,
                                                  accountant: query.accountant)
            return PrivacyBudgetAnswer(schedule: query.schedule, noiseMultiplier: calibration.noiseMultiplier,
                                       guarantee: calibration.guarantee, calibration: calibration)
        }
    }
}
