import ArgumentParser
import Foundation
import Verdant

/// `verdant privacy-budget`: the (ε, δ) of DP-SGD's Poisson-subsampled Gaussian steps, or the noise
/// multiplier that meets a target ε — without training.
struct PrivacyBudgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy-budget",
        abstract: "Compute the privacy budget ε of DP-SGD (or the noise multiplier for a target ε) without training.",
        discussion: """
            Give the schedule as --sampling-rate and --steps, or as --epochs, --dataset-size and \
            --batch-size (then q = B/N and T = ⌈E·N/B⌉). Give --noise-multiplier to get ε, or --epsilon to \
            get the smallest noise multiplier that meets it. The RDP accountant equals Google's \
            dp-accounting RdpAccountant; the PLD accountant (tighter, slower) equals its PLDAccountant \
            within 1 %, never below it by more than its stated rounding allowance (10⁻⁶ relative). See docs/privacy.md.
            """
    )

    @Option(name: .customLong("sampling-rate"), help: ArgumentHelp("q: the probability that a record joins a batch, in (0, 1].", valueName: "q"))
    var samplingRate: Double?

    @Option(help: ArgumentHelp("T: the number of DP-SGD steps.", valueName: "T"))
    var steps: Int?

    @Option(help: ArgumentHelp("E: passes over the data (with --dataset-size and --batch-size).", valueName: "E"))
    var epochs: Double?

    @Option(name: .customLong("dataset-size"), help: ArgumentHelp("N: records in the dataset.", valueName: "N"))
    var datasetSize: Int?

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("B: the expected batch size.", valueName: "B"))
    var batchSize: Int?

    @Option(name: .customLong("noise-multiplier"), help: ArgumentHelp("σ: the noise's standard deviation over the clipping norm; prints ε.", valueName: "σ"))
    var noiseMultiplier: Double?

    @Option(help: ArgumentHelp("A target ε; prints the smallest noise multiplier σ that meets it.", valueName: "ε"))
    var epsilon: Double?

    @Option(help: ArgumentHelp("δ, in (0, 1); usually below 1/N.", valueName: "δ"))
    var delta: Double

    @Option(help: ArgumentHelp("The accountant: rdp or pld.", valueName: "kind"))
    var accountant: PrivacyAccountantKind = .rdp

    @Flag(help: "Print JSON on standard output.")
    var json = false

    func validate() throws {
        switch (noiseMultiplier, epsilon) {
        case (nil, nil): throw ValidationError("give --noise-multiplier σ (to get ε) or --epsilon ε (to get σ)")
        case (.some, .some): throw ValidationError("give --noise-multiplier or --epsilon, not both: one is computed from the other")
        default: break
        }
        let direct = [samplingRate != nil, steps != nil], derived = [epochs != nil, datasetSize != nil, batchSize != nil]
        if direct.contains(true), derived.contains(true) {
            throw ValidationError("give the schedule as --sampling-rate and --steps, or as --epochs, --dataset-size and --batch-size, not both")
        }
        if derived.contains(true), derived.contains(false) {
            let missing = zip(["--epochs", "--dataset-size", "--batch-size"], derived).filter { !$0.1 }.map(\.0)
            throw ValidationError("--epochs, --dataset-size and --batch-size go together: missing \(missing.joined(separator: " and "))")
        }
        if !derived.contains(true), direct.contains(false) {
            let missing = zip(["--sampling-rate", "--steps"], direct).filter { !$0.1 }.map(\.0)
            throw ValidationError("missing \(missing.joined(separator: " and ")): give --sampling-rate q and --steps T "
                                  + "(or --epochs, --dataset-size and --batch-size)")
        }
    }

    func run() throws {
        let answer: PrivacyBudgetAnswer
        do {
            let schedule: TrainingSchedule
            if let epochs, let datasetSize, let batchSize {
                schedule = try TrainingSchedule(epochs: epochs, datasetSize: datasetSize, batchSize: batchSize)
            } else {
                schedule = try TrainingSchedule(samplingRate: samplingRate ?? .nan, steps: steps ?? 0)
            }
            let given: PrivacyBudgetQuery.Given = epsilon.map { .targetEpsilon($0) } ?? .noiseMultiplier(noiseMultiplier ?? .nan)
            answer = try PrivacyAccounting.answer(PrivacyBudgetQuery(schedule: schedule, given: given, delta: delta, accountant: accountant))
        } catch let error as DifferentialPrivacyError {
            throw error.cliError
        }
        if json {
            Self.json(answer).print()
        } else {
            print(Self.text(answer))
        }
    }

    /// The answer as JSON: ε, δ, order and accountant first (null order for PLD, and when ε is
    /// infinite: no order bounds it), then σ and the
    /// schedule; a calibration adds the target, the bracket's lower end and the tolerance.
    static func json(_ answer: PrivacyBudgetAnswer) -> JSON {
        let guarantee = answer.guarantee
        var members: [(String, JSON)] = [
            ("epsilon", .number(guarantee.epsilon)), ("delta", .number(guarantee.delta)),
            ("order", guarantee.epsilon.isFinite ? guarantee.order.map { .number($0) } ?? .null : .null), ("accountant", .string(guarantee.accountant.rawValue)),
            ("noise_multiplier", .number(answer.noiseMultiplier)),
            ("sampling_rate", .number(answer.schedule.samplingRate)), ("steps", .integer(answer.schedule.steps)),
        ]
        if let derivation = answer.schedule.derivation {
            members.append(("derived_from", .object([("epochs", .number(derivation.epochs)), ("dataset_size", .integer(derivation.datasetSize)),
                                                     ("batch_size", .integer(derivation.batchSize))])))
        }
        if let calibration = answer.calibration {
            members.append(("target_epsilon", .number(calibration.targetEpsilon)))
            members.append(("noise_multiplier_lower_bound", .number(calibration.lowerBound)))
            members.append(("relative_tolerance", .number(calibration.relativeTolerance)))
        }
        return .object(members)
    }

    /// The answer for people: σ or ε first, then how it was obtained.
    static func text(_ answer: PrivacyBudgetAnswer) -> String {
        let guarantee = answer.guarantee
        let how = guarantee.order.flatMap { guarantee.epsilon.isFinite ? "RDP accountant, optimal order α = \(number($0))" : nil }
            ?? "\(guarantee.accountant.rawValue.uppercased()) accountant"
        var lines: [String] = []
        if let calibration = answer.calibration {
            lines.append("noise multiplier σ = \(number(answer.noiseMultiplier))")
            lines.append("  gives ε = \(number(guarantee.epsilon)) ≤ \(number(calibration.targetEpsilon)) at δ = \(number(guarantee.delta)) (\(how))")
            lines.append("  the smallest such σ lies in (\(number(calibration.lowerBound)), \(number(answer.noiseMultiplier))] "
                         + "(relative tolerance \(number(calibration.relativeTolerance)))")
        } else {
            lines.append("ε = \(number(guarantee.epsilon)) at δ = \(number(guarantee.delta)) (\(how))")
            lines.append("  noise multiplier σ = \(number(answer.noiseMultiplier))")
        }
        let schedule = answer.schedule
        lines.append("  sampling rate q = \(number(schedule.samplingRate)), steps T = \(schedule.steps)")
        if let derivation = schedule.derivation {
            let epochs = derivation.epochs.rounded() == derivation.epochs && derivation.epochs < 1e15
                ? String(Int(derivation.epochs)) : number(derivation.epochs)
            lines.append("  derived from \(epochs) epochs of N = \(derivation.datasetSize) records in expected batches of "
                         + "B = \(derivation.batchSize): q = B/N, T = ⌈E·N/B⌉")
        }
        return lines.joined(separator: "\n")
    }

    /// Up to seven significant digits.
    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "∞" : "-∞" }
        let text = "\(value)"
        return text.count <= 9 ? text : String(format: "%.7g", value)
    }
}

extension PrivacyAccountantKind: ExpressibleByArgument {}

extension DifferentialPrivacyError {
    /// The error as `privacy-budget` reports it: a parameter's message names the option it came
    /// from; the exit code is the one map's (ExitCodes.swift).
    var cliError: CLIError {
        if case .invalidParameter(let parameter, let received, let valid) = self, let option = Self.option[parameter] {
            return CLIError(description: "\(option): received '\(received)'; \(valid)", code: exitCode)
        }
        return CLIError(description: description, code: exitCode)
    }

    /// The option that sets each parameter.
    private static let option: [DifferentialPrivacyParameter: String] = [
        .samplingRate: "--sampling-rate", .noiseMultiplier: "--noise-multiplier", .steps: "--steps", .delta: "--delta",
        .epsilon: "--epsilon", .epochs: "--epochs", .datasetSize: "--dataset-size", .batchSize: "--batch-size",
    ]
}
