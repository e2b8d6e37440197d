import Foundation

/// A parameter of differentially private training or accounting, named in error messages by its
/// raw value (the CLI maps each to its option, e.g. `samplingRate` to `--sampling-rate`).
public enum DifferentialPrivacyParameter: String, Sendable, Codable, CaseIterable {
    case samplingRate = "sampling rate"
    case noiseMultiplier = "noise multiplier"
    case steps = "steps"
    case delta = "delta"
    case epsilon = "epsilon"
    case epochs = "epochs"
    case datasetSize = "dataset size"
    case batchSize = "batch size"
    case orders = "RDP orders"
    case discretization = "PLD discretization interval"
    case tolerance = "tolerance"
    case noiseMultiplierRange = "noise multiplier range"
    case maxGradientNorm = "max gradient norm"
    case parameterCount = "parameter count"
    case randomKey = "random key"
}

/// Every user-facing error of differential privacy (accountants, budgets, DP-SGD building blocks),
/// in one catalogue.
///
/// Each message says what was received and what is valid; the CLI prefixes the option's name.
/// Tests match on these messages.
public enum DifferentialPrivacyError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A number outside its valid range: `received` is the value as given, `valid` the rule.
    case invalidParameter(DifferentialPrivacyParameter, received: String, valid: String)
    /// No noise multiplier in the searched range reaches the target ε.
    case targetUnreachable(targetEpsilon: Double, delta: Double, bestEpsilon: Double, noiseMultiplier: Double,
                           side: UnreachableSide)
    /// The PLD of this many steps needs more points than the accountant allows (memory).
    case accountingTooLarge(points: Int, limit: Int, detail: String)
    /// A step that would take ε past the budget's target; nothing was recorded.
    case budgetExhausted(targetEpsilon: Double, delta: Double, spentEpsilon: Double, epsilonAfterStep: Double,
                         steps: Int)
    /// A per-sample gradient whose length differs from the model's parameter count.
    case gradientDimensionMismatch(sample: Int, received: Int, expected: Int)
    /// A per-sample gradient holding NaN or an infinity.
    case nonFiniteGradient(sample: Int, coordinate: Int, value: Double)
    /// A saved generator, sampler or budget whose fields are inconsistent.
    case invalidState(String)

    /// Which end of the searched range failed to reach the target.
    public enum UnreachableSide: String, Sendable, Codable {
        /// Even the largest noise multiplier gives ε above the target.
        case tooMuchNoiseNeeded
        /// Even the smallest noise multiplier gives ε below the target: the target does not constrain σ.
        case anyNoiseSuffices
    }

    /// The message, with what was received and what is valid.
    public var description: String {
        switch self {
        case .invalidParameter(let parameter, let received, let valid):
            return "\(parameter.rawValue): received '\(received)'; \(valid)"
        case .targetUnreachable(let target, let delta, let best, let sigma, let side):
            switch side {
            case .tooMuchNoiseNeeded:
                return "no noise multiplier up to \(Self.short(sigma)) reaches ε = \(Self.short(target)) at δ = \(Self.short(delta)): "
                    + "σ = \(Self.short(sigma)) still gives ε = \(Self.short(best)); ask for a larger ε or δ, fewer steps "
                    + "or a lower sampling rate"
            case .anyNoiseSuffices:
                return "ε = \(Self.short(target)) at δ = \(Self.short(delta)) is met even by the smallest noise multiplier "
                    + "searched, σ = \(Self.short(sigma)) (ε = \(Self.short(best))); such a target hardly constrains the "
                    + "noise: ask for a smaller ε"
            }
        case .accountingTooLarge(let points, let limit, let detail):
            return "the privacy loss distribution needs \(points) points, more than the \(limit) this accountant allows "
                + "(\(detail)); use the RDP accountant, or fewer steps or more noise"
        case .budgetExhausted(let target, let delta, let spent, let after, let steps):
            return "privacy budget reached: after \(steps) steps ε = \(Self.short(spent)) at δ = \(Self.short(delta)); "
                + "one more step would give ε = \(Self.short(after)), past the target ε = \(Self.short(target)). "
                + "The step was not taken"
        case .gradientDimensionMismatch(let sample, let received, let expected):
            return "per-sample gradient \(sample) has \(received) entries; the model has \(expected) parameters"
        case .nonFiniteGradient(let sample, let coordinate, let value):
            return "per-sample gradient \(sample) holds \(value) at entry \(coordinate); a gradient must be finite "
                + "to be clipped (check the learning rate and the data)"
        case .invalidState(let detail):
            return "invalid saved state: \(detail)"
        }
    }

    /// The same text as ``description``, for `localizedDescription`.
    public var errorDescription: String? { description }

    /// A number in its shortest form that reads back to the same `Double`, six significant digits
    /// when longer.
    static func short(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "∞" : "-∞" }
        let exact = "\(value)"
        if exact.count <= 10 { return exact }
        return String(format: "%.6g", value)
    }
}
