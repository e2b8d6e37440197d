import Foundation

/// A running privacy budget: the steps taken so far, ε spent, and a refusal of any step that would
/// take ε past the target — so training stops at the budget, never past it.
///
/// Its whole state (target, δ, accountant and ledger) is `Codable`; a decoded budget equals the
/// original and gives bit-for-bit the same ε (numbers are written in shortest round-trip form), so
/// a checkpoint restores it exactly. The cache of how many steps remain is rebuilt on demand.
///
/// ```swift
/// var budget = try PrivacyBudget(targetEpsilon: 3, delta: 1e-5, accountant: .init(.rdp))
/// let step = try SubsampledGaussian(samplingRate: 0.01, noiseMultiplier: 1.1)
/// while try budget.remainingSteps(for: step) > 0 {
///     try budget.spend(step)     // then take the step
/// }
/// ```
public struct PrivacyBudget: Codable, Sendable {
    /// The ε the budget may not exceed.
    public let targetEpsilon: Double
    /// δ, fixed for the whole run.
    public let delta: Double
    /// The accountant that measures ε.
    public let accountant: PrivacyAccountant
    /// The steps spent so far.
    public private(set) var ledger = PrivacyLedger()

    /// The largest total step count allowed while every new step uses `mechanism` (not saved).
    private var allowance: (mechanism: SubsampledGaussian, maximumSteps: Int)?

    /// The most steps the budget will ever count, whatever the mechanism (2⁴⁰).
    public static let stepLimit = 1 << 40

    /// A budget with nothing spent.
    ///
    /// - Parameters:
    ///   - targetEpsilon: ε > 0, finite.
    ///   - delta: δ in (0, 1).
    ///   - accountant: RDP or PLD, with its settings.
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for ε or δ out of range.
    public init(targetEpsilon: Double, delta: Double, accountant: PrivacyAccountant = PrivacyAccountant(.rdp)) throws {
        try Validate.epsilon(targetEpsilon)
        try Validate.delta(delta)
        self.targetEpsilon = targetEpsilon
        self.delta = delta
        self.accountant = accountant
    }

    /// The number of steps spent.
    public var steps: Int { ledger.steps }

    /// The guarantee of the steps spent so far (ε = 0 before the first).
    ///
    /// - Throws: ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)`` from PLD.
    public func spent() throws -> PrivacyGuarantee {
        try accountant.guarantee(for: ledger, delta: delta)
    }

    /// How many more steps of `mechanism` fit in the budget: the largest k with
    /// ε(ledger + k steps) ≤ target (up to ``stepLimit``), found by doubling then bisection over k
    /// (ε grows with k).
    ///
    /// - Throws: ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)`` from PLD.
    public mutating func remainingSteps(for mechanism: SubsampledGaussian) throws -> Int {
        let maximum = try maximumSteps(for: mechanism)
        return max(0, maximum - ledger.steps)
    }

    /// Whether `count` more steps of `mechanism` fit in the budget.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for `count` < 1;
    ///   ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)`` from PLD.
    public mutating func allows(_ mechanism: SubsampledGaussian, steps count: Int = 1) throws -> Bool {
        try Validate.steps(count)
        return try remainingSteps(for: mechanism) >= count
    }

    /// Records one step of `mechanism`, or refuses it — leaving the budget unchanged — when it would
    /// take ε past the target.
    ///
    /// - Parameter mechanism: the step's q and σ.
    /// - Throws: ``DifferentialPrivacyError/budgetExhausted(targetEpsilon:delta:spentEpsilon:epsilonAfterStep:steps:)``
    ///   when the step does not fit; ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)``
    ///   from PLD.
    public mutating func spend(_ mechanism: SubsampledGaussian) throws {
        guard try remainingSteps(for: mechanism) >= 1 else {
            let after = try accountant.guarantee(for: try ledger.appending(mechanism, steps: 1), delta: delta)
            throw DifferentialPrivacyError.budgetExhausted(targetEpsilon: targetEpsilon, delta: delta, spentEpsilon: try spent().epsilon,
                                                           epsilonAfterStep: after.epsilon, steps: ledger.steps)
        }
        try ledger.record(mechanism, steps: 1)
    }

    /// The largest total step count whose ε stays within the target when the steps after the
    /// current ledger all use `mechanism`; cached until another mechanism is asked for.
    private mutating func maximumSteps(for mechanism: SubsampledGaussian) throws -> Int {
        if let allowance, allowance.mechanism == mechanism { return allowance.maximumSteps }
        let base = ledger
        func fits(_ extra: Int) throws -> Bool {
            try accountant.guarantee(for: try base.appending(mechanism, steps: extra), delta: delta).epsilon <= targetEpsilon
        }
        var extra = 0
        if try fits(1) {
            // Doubling: `good` fits, `bad` does not (or is past the limit).
            var good = 1, bad = 2
            // The RDP count, when cheaper to find, is a good first guess for PLD.
            if case .pld = accountant, let guess = try? Self.rdpGuess(base, mechanism, delta: delta, target: targetEpsilon), guess > 1 {
                if try fits(guess) { good = guess; bad = guess * 2 } else { bad = guess }
            }
            let limit = Self.stepLimit - base.steps
            while bad <= limit, try fits(bad) {
                good = bad
                bad = bad * 2
            }
            bad = min(bad, limit + 1)
            while bad - good > 1 {
                let middle = good + (bad - good) / 2
                if try fits(middle) { good = middle } else { bad = middle }
            }
            extra = good
        }
        let maximum = base.steps + extra
        allowance = (mechanism, maximum)
        return maximum
    }

    /// The number of further steps the RDP accountant allows (a starting point for PLD's search).
    private static func rdpGuess(_ base: PrivacyLedger, _ mechanism: SubsampledGaussian, delta: Double, target: Double) throws -> Int {
        var rdp = try PrivacyBudget(targetEpsilon: target, delta: delta, accountant: PrivacyAccountant(.rdp))
        rdp.ledger = base
        return try rdp.remainingSteps(for: mechanism)
    }

    private enum CodingKeys: String, CodingKey {
        case targetEpsilon, delta, accountant, ledger
    }

    /// Decodes a saved budget (target, δ, accountant, ledger), checking each.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidState(_:)`` for a value out of range; decoding errors.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let target = try container.decode(Double.self, forKey: .targetEpsilon)
        let delta = try container.decode(Double.self, forKey: .delta)
        let accountant = try container.decode(PrivacyAccountant.self, forKey: .accountant)
        do {
            try self.init(targetEpsilon: target, delta: delta, accountant: accountant)
        } catch let error as DifferentialPrivacyError {
            throw DifferentialPrivacyError.invalidState("saved privacy budget: \(error.description)")
        }
        ledger = try container.decode(PrivacyLedger.self, forKey: .ledger)
    }

    /// Writes the saved state: target, δ, accountant and ledger (not the cache).
    ///
    /// - Throws: encoding errors.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(targetEpsilon, forKey: .targetEpsilon)
        try container.encode(delta, forKey: .delta)
        try container.encode(accountant, forKey: .accountant)
        try container.encode(ledger, forKey: .ledger)
    }
}

extension PrivacyBudget: Equatable {
    /// Budgets are equal when their saved state is: target, δ, accountant and ledger.
    public static func == (a: PrivacyBudget, b: PrivacyBudget) -> Bool {
        a.targetEpsilon == b.targetEpsilon && a.delta == b.delta && a.accountant == b.accountant && a.ledger == b.ledger
    }
}
