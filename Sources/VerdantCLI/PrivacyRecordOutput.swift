import Foundation
import Verdant

// How `train`, `predict` and `inspect` show a model's differential privacy record: lines for
// people and a JSON object. Formatting only; the record comes from the model file.

extension DifferentialPrivacyRecord {
    /// `ε = 2.93 at δ = 1e-05 (RDP accountant, order α = 9.0)`, or `ε = ∞ …` without noise.
    var guaranteeText: String {
        let number = PrivacyBudgetCommand.number
        let how = accountant == .rdp ? "RDP accountant" + (order.map { ", order α = \(number($0))" } ?? "") : "PLD accountant"
        guard let epsilon else { return "ε = ∞ at δ = \(number(delta)) (σ = 0: no noise, no privacy)" }
        return "ε = \(number(epsilon)) at δ = \(number(delta)) (\(how))"
    }

    /// The record for people: the guarantee, then how it was reached, then warnings.
    var lines: [String] {
        let number = PrivacyBudgetCommand.number
        var lines = ["differential privacy (DP-SGD, example-level, add/remove one of \(protectedSamples) training samples): \(guaranteeText)"]
        var how = "  σ = \(number(noiseMultiplier))"
        if calibrated, let targetEpsilon { how += " (calibrated for ε ≤ \(number(targetEpsilon)) over \(plannedSteps) steps)" }
        how += ", q = \(number(samplingRate)) (expected batch \(expectedBatchSize)), \(steps) steps"
        how += maxGradientNorm.map { ", clipping norm C = \(number($0))" } ?? ", no clipping"
        if let clippedFraction { how += String(format: "; %.1f %% of per-sample gradients clipped", 100 * clippedFraction) }
        lines.append(how)
        if stoppedAtBudget, let targetEpsilon {
            lines.append("  training stopped at the privacy budget after \(steps) of \(plannedSteps) planned steps: one more step would have passed ε = \(number(targetEpsilon))")
        }
        if noisePerSite == true {
            lines.append("  noise added per site (--dp-noise per-site): each federated site adds its share to its masked partial sum, "
                         + "so the aggregate carries σ in all")
        }
        if seeded { lines.append("  batches and noise came from --dp-seed: reproducible, and no privacy against anyone who knows the seed") }
        if protectedSamples > 0, delta * Double(protectedSamples) >= 1 {
            // δ is the chance the guarantee fails outright; at δ ≥ 1/N a mechanism that publishes
            // one random training sample in full meets it (found by an audit: δ = 0.5 gave ε = 0).
            lines.append("  warning: δ = \(number(delta)) is not below 1/N = 1/\(protectedSamples): a mechanism that publishes a "
                         + "whole training sample with probability δ meets such a guarantee; use δ well below 1/N (e.g. 1e-5)")
        }
        return lines
    }

    /// The record as JSON, fields as in the model file.
    var json: JSON {
        func number(_ value: Double?) -> JSON { value.map { .number($0) } ?? .null }
        return .object([
            ("epsilon", number(epsilon)), ("delta", .number(delta)), ("accountant", .string(accountant.rawValue)), ("order", number(order)),
            ("noiseMultiplier", .number(noiseMultiplier)), ("samplingRate", .number(samplingRate)), ("steps", .integer(steps)),
            ("plannedSteps", .integer(plannedSteps)), ("maxGradientNorm", number(maxGradientNorm)),
            ("expectedBatchSize", .integer(expectedBatchSize)), ("protectedSamples", .integer(protectedSamples)),
            ("targetEpsilon", number(targetEpsilon)), ("calibrated", .bool(calibrated)), ("stoppedAtBudget", .bool(stoppedAtBudget)),
            ("seeded", .bool(seeded)), ("clippedFraction", number(clippedFraction)), ("adjacency", .string(adjacency)),
        ])
    }
}

extension TrainedModel {
    /// The differential privacy record of a variational model trained with DP-SGD.
    var privacyRecord: DifferentialPrivacyRecord? {
        if case .variational(let model) = self { return model.training.privacy }
        return nil
    }
}
