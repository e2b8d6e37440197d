import Foundation
import Verdant
import VerdantCommon

// How `train` (and `demo`) show a trained model: a human summary and the `--json` object. Only
// formatting lives here; the model and its figures come from the library.

extension TrainedModel {
    /// The human summary of a model written to `output`.
    func summary(output: String, sealed: Bool) -> String {
        var lines: [String]
        switch self {
        case .kernel(let model):
            let t = model.training
            lines = ["\(model.kind.rawValue) on \(t.dataset): \(t.samples) training samples, \(model.classes.count) classes, "
                + "\(model.supportVectors.rows) support vectors"]
            if let map = model.featureMap { lines.append("feature map: \(map.description)") }
            lines.append(String(format: "train accuracy %.4f", t.trainAccuracy)
                + (t.testAccuracy.map { String(format: ", test accuracy %.4f on %d samples", $0, t.testSamples) } ?? ""))
            lines.append(String(format: "kernel %.3f s, training %.3f s (%d rank%@ × %d thread%@)", t.kernelSeconds, t.seconds, t.ranks,
                                t.ranks == 1 ? "" : "s", t.threads, t.threads == 1 ? "" : "s"))
        case .variational(let model):
            let t = model.training
            if model.kind == .vqr {
                lines = ["vqr on \(t.dataset): \(t.samples) training samples, target \(model.labelName), "
                    + "\(model.weights.count) circuit parameters\(model.isHybrid ? " + linear layer" : "")"]
            } else {
                lines = ["vqc on \(t.dataset): \(t.samples) training samples, \(model.classes?.count ?? 0) classes, "
                    + "\(model.weights.count) circuit parameters\(model.isHybrid ? " + linear layer" : "")"]
            }
            lines.append("feature map: \(model.featureMap.description)")
            lines.append("ansatz: \(model.ansatz.description); readout \(model.readout.rawValue); \(t.optimizer.description)")
            if model.kind == .vqr {
                lines.append("train " + Self.metrics(t.trainMSE, t.trainMAE, t.trainR2))
                if t.testSamples > 0, t.testMSE != nil {
                    lines.append("test " + Self.metrics(t.testMSE, t.testMAE, t.testR2) + " on \(t.testSamples) samples")
                }
            } else {
                lines.append("train accuracy \(String(format: "%.4f", t.trainAccuracy ?? 0))"
                    + (t.testAccuracy.map { String(format: ", test accuracy %.4f on %d samples", $0, t.testSamples) } ?? ""))
            }
            lines.append(String(format: "%d epochs%@, training %.3f s (%d rank%@ × %d thread%@)", t.epochs,
                                t.stoppedEarly ? " (stopped early; best epoch \(t.bestEpoch ?? 0))" : "", t.seconds, t.ranks,
                                t.ranks == 1 ? "" : "s", t.threads, t.threads == 1 ? "" : "s"))
            if let privacy = t.privacy { lines += privacy.lines }
        }
        lines.append("model → \(output)\(sealed ? " (sealed)" : "")")
        return lines.joined(separator: "\n")
    }

    /// `MSE 0.0123, MAE 0.0871, R² 0.9412` (a dash for a missing figure).
    static func metrics(_ mse: Double?, _ mae: Double?, _ r2: Double?) -> String {
        func figure(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "–" }
        return "MSE \(figure(mse)), MAE \(figure(mae)), R² \(r2.map { String(format: "%.4f", $0) } ?? "–")"
    }

    /// The machine-readable result of `train --json`.
    func json(output: String, sealed: Bool, energy report: EnergyReport) -> JSON {
        let energy = JSON.energy(report.total)
        func number(_ value: Double?) -> JSON { value.map { .number($0) } ?? .null }
        switch self {
        case .kernel(let model):
            let t = model.training
            return .object([
                ("model", .string(output)), ("sealed", .bool(sealed)), ("kind", .string(model.kind.rawValue)),
                ("dataset", .string(t.dataset)), ("classes", .array(model.classes.map { .string($0) })),
                ("samples", .integer(t.samples)), ("testSamples", .integer(t.testSamples)),
                ("supportVectors", .integer(model.supportVectors.rows)),
                ("trainAccuracy", .number(t.trainAccuracy)), ("testAccuracy", number(t.testAccuracy)),
                ("seconds", .number(t.seconds)), ("kernelSeconds", .number(t.kernelSeconds)),
                ("ranks", .integer(t.ranks)), ("threads", .integer(t.threads)),
                ("energy", energy),
            ])
        case .variational(let model) where model.kind == .vqr:
            let t = model.training
            return .object([
                ("model", .string(output)), ("sealed", .bool(sealed)), ("kind", .string(model.kind.rawValue)),
                ("dataset", .string(t.dataset)), ("target", .string(model.labelName)),
                ("samples", .integer(t.samples)), ("testSamples", .integer(t.testSamples)),
                ("parameters", .integer(model.weights.count)),
                ("trainMSE", number(t.trainMSE)), ("trainMAE", number(t.trainMAE)), ("trainR2", number(t.trainR2)),
                ("testMSE", number(t.testMSE)), ("testMAE", number(t.testMAE)), ("testR2", number(t.testR2)),
                ("epochs", .integer(t.epochs)), ("bestEpoch", t.bestEpoch.map { .integer($0) } ?? .null),
                ("history", .array(model.history.map { r in
                    .object([("epoch", .integer(r.epoch)), ("loss", .number(r.loss)), ("validationLoss", number(r.validationLoss))])
                })),
                ("seconds", .number(t.seconds)), ("ranks", .integer(t.ranks)), ("threads", .integer(t.threads)),
                ("privacy", t.privacy?.json ?? .null), ("energy", energy),
            ])
        case .variational(let model):
            let t = model.training
            return .object([
                ("model", .string(output)), ("sealed", .bool(sealed)), ("kind", .string(model.kind.rawValue)),
                ("dataset", .string(t.dataset)), ("classes", .array((model.classes ?? []).map { .string($0) })),
                ("samples", .integer(t.samples)), ("testSamples", .integer(t.testSamples)),
                ("parameters", .integer(model.weights.count)),
                ("trainAccuracy", number(t.trainAccuracy)), ("testAccuracy", number(t.testAccuracy)),
                ("epochs", .integer(t.epochs)), ("bestEpoch", t.bestEpoch.map { .integer($0) } ?? .null),
                ("history", .array(model.history.map { r in
                    .object([("epoch", .integer(r.epoch)), ("loss", .number(r.loss)), ("accuracy", number(r.accuracy))])
                })),
                ("seconds", .number(t.seconds)), ("ranks", .integer(t.ranks)), ("threads", .integer(t.threads)),
                ("privacy", t.privacy?.json ?? .null), ("energy", energy),
            ])
        }
    }
}

extension JSONValue {
    /// A job's energy for `--json` output: joules and their band (as `demo --json` writes it),
    /// carbon, cost, currency and provenance.
    static func energy(_ usage: EnergyUsage) -> JSONValue {
        .object([
            ("joules", .number(usage.joules.value)), ("joules_band", .array([.number(usage.joules.low), .number(usage.joules.high)])),
            ("gCO2e", .number(usage.gCO2e.value)),
            ("cost", .number(usage.cost.value)), ("currency", .string(usage.currency)),
            ("provenance", .string(usage.provenance.rawValue)),
        ])
    }
}
