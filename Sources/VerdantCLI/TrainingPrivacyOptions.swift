import ArgumentParser
import Foundation
import Verdant

/// `verdant train`'s differential privacy options (vqc, vqr): DP-SGD and the public scaling it needs.
struct DifferentialPrivacyOptions: ParsableArguments {
    @Option(name: .customLong("dp-epsilon"),
            help: ArgumentHelp("vqc, vqr: train with DP-SGD to at most this ε (σ is calibrated for the planned steps; with --noise-multiplier, training stops at it).",
                               valueName: "ε"))
    var epsilon: Double?

    @Option(name: .customLong("dp-delta"), help: ArgumentHelp("DP-SGD's δ, in (0, 1), usually below 1/(training samples); required with DP-SGD.", valueName: "δ"))
    var delta: Double?

    @Option(name: .customLong("noise-multiplier"),
            help: ArgumentHelp("vqc, vqr: train with DP-SGD at this noise multiplier σ ≥ 0 (the model records the ε it gives).", valueName: "σ"))
    var noiseMultiplier: Double?

    @Option(name: .customLong("max-grad-norm"), help: ArgumentHelp("DP-SGD: clip each sample's gradient to this L2 norm C > 0 (default 1).", valueName: "C"))
    var maxGradNorm: Double?

    @Option(help: ArgumentHelp("DP-SGD's accountant: rdp (default) or pld (tighter, slower).", valueName: "kind"))
    var accountant: PrivacyAccountantKind?

    @Option(name: .customLong("dp-seed"),
            help: ArgumentHelp("DP-SGD: draw batches and noise from this seed (reproducible; no privacy against anyone who knows it).", valueName: "n"))
    var seed: UInt64?

    @Option(name: .customLong("dp-noise"),
            help: ArgumentHelp("DP-SGD on federated shards with --secure-aggregation: aggregate (default: one draw added to the sum) or per-site (each site adds its own share, so no rank sees the sum before noise).",
                               valueName: "where"))
    var noise: String?

    @Option(name: .customLong("feature-bounds"),
            help: ArgumentHelp("vqc, vqr: scale features from these public bounds to [0, π] instead of the data's range: LOW:HIGH, or one per feature comma-separated (write --feature-bounds=-1:1 for a negative first bound).",
                               valueName: "bounds"))
    var featureBounds: String?

    @Option(name: .customLong("target-bounds"),
            help: ArgumentHelp("vqr: scale targets from these public bounds LOW:HIGH to [−1, 1] instead of the targets' range.", valueName: "bounds"))
    var targetBounds: String?

    /// Whether DP-SGD was asked for.
    var isOn: Bool { epsilon != nil || noiseMultiplier != nil || delta != nil }

    /// Checks the options' combinations (their values are the library's to check).
    func check() throws {
        if !isOn {
            let stray = [("--max-grad-norm", maxGradNorm != nil), ("--accountant", accountant != nil), ("--dp-seed", seed != nil),
                         ("--dp-noise", noise != nil)]
                .filter(\.1).map(\.0)
            if !stray.isEmpty {
                throw ValidationError("\(stray.joined(separator: ", ")) set\(stray.count == 1 ? "s" : "") DP-SGD up; give --dp-epsilon ε or --noise-multiplier σ (with --dp-delta δ) to train privately")
            }
            return
        }
        guard epsilon != nil || noiseMultiplier != nil else {
            throw ValidationError("--dp-delta needs --dp-epsilon ε (σ is then calibrated) or --noise-multiplier σ (ε is then reported), or both (training stops at ε)")
        }
        guard delta != nil else {
            throw ValidationError("DP-SGD needs --dp-delta δ, the probability that the ε bound fails: in (0, 1), usually below 1/(training samples), e.g. 1e-5")
        }
        if let noise, noise != "aggregate", noise != "per-site" {
            throw ValidationError("--dp-noise: '\(noise)' is not one of aggregate, per-site")
        }
    }

    /// The library's settings (nil without DP-SGD).
    func configuration() -> DifferentialPrivacyConfiguration? {
        guard isOn, let delta else { return nil }
        return DifferentialPrivacyConfiguration(targetEpsilon: epsilon, noiseMultiplier: noiseMultiplier, delta: delta,
                                                maxGradientNorm: maxGradNorm ?? 1, accountant: accountant ?? .rdp, randomSeed: seed,
                                                noisePerSite: noise == "per-site")
    }

    /// `--feature-bounds` as ranges.
    func parsedFeatureBounds() throws -> [ClosedRange<Double>]? {
        try featureBounds.map { text in try text.split(separator: ",", omittingEmptySubsequences: false).map { try Self.range(String($0), "--feature-bounds") } }
    }

    /// `--target-bounds` as a range.
    func parsedTargetBounds() throws -> ClosedRange<Double>? {
        try targetBounds.map { try Self.range($0, "--target-bounds") }
    }

    /// `LOW:HIGH` with finite LOW < HIGH.
    private static func range(_ text: String, _ option: String) throws -> ClosedRange<Double> {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]), low.isFinite, high.isFinite, low < high else {
            throw CLIError.usage("\(option): '\(text)' is not a range; give LOW:HIGH with finite numbers LOW < HIGH, e.g. 0:8")
        }
        return low...high
    }
}

/// `verdant train`'s checkpoint options (vqc, vqr).
struct CheckpointOptions: ParsableArguments {
    @Option(name: .customLong("checkpoint"),
            help: ArgumentHelp("vqc, vqr: write checkpoints to this folder (the newest two are kept), sealed like the model.", valueName: "dir"))
    var directory: String?

    @Option(name: .customLong("checkpoint-every"),
            help: ArgumentHelp("A checkpoint after every N optimiser steps (default: one per epoch).", valueName: "N"))
    var every: Int?

    @Option(name: .customLong("checkpoint-key-file"),
            help: ArgumentHelp("Seal (and open) checkpoints with this raw key file instead of the model's recipients and keys.", valueName: "file"))
    var keyFile: String?

    @Flag(name: .customLong("allow-plain-checkpoint"),
          help: "Allow unsealed checkpoints of a DP-SGD run (they hold the noise generator's key).")
    var allowPlain = false

    @Option(name: .customLong("resume"),
            help: ArgumentHelp("vqc, vqr: continue the run whose checkpoints are in this folder (same data and options); the model equals the uninterrupted run's.",
                               valueName: "dir"))
    var resume: String?

    /// Whether any checkpoint option was given.
    var isOn: Bool { directory != nil || resume != nil }

    /// Checks the options' combinations.
    func check() throws {
        if !isOn, every != nil || keyFile != nil || allowPlain {
            throw ValidationError("--checkpoint-every, --checkpoint-key-file and --allow-plain-checkpoint go with --checkpoint DIR or --resume DIR")
        }
        if let every, every < 1 { throw ValidationError("--checkpoint-every must be at least 1 step, received \(every)") }
    }

    /// The library's settings: sealed for the model's recipients (and opened with the job's keys),
    /// or for `--checkpoint-key-file` alone.
    func settings(keys: JobKeys) throws -> CheckpointSettings? {
        guard let folder = directory ?? resume else { return nil }
        var recipients = keys.recipients, inputs = keys.inputs
        if let keyFile {
            let key = try RawKey(contentsOfFile: keyFile)
            recipients = [.key(key)]
            inputs = InputKeys(identities: [.key(key)], options: keys.options)
        }
        return CheckpointSettings(directory: folder, everySteps: every, recipients: recipients, keys: inputs, resumeFrom: resume,
                                  allowPlain: allowPlain)
    }
}

extension DifferentialPrivacyOptions: CustomOptionNames {
    static let customOptionNames = ["epsilon": "--dp-epsilon", "delta": "--dp-delta", "seed": "--dp-seed", "noise": "--dp-noise"]
}

extension CheckpointOptions: CustomOptionNames {
    static let customOptionNames = [
        "directory": "--checkpoint", "every": "--checkpoint-every", "keyFile": "--checkpoint-key-file",
        "allowPlain": "--allow-plain-checkpoint",
    ]
}
