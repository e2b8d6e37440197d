import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// `verdant predict`: apply a (sealed) model to data; predictions sealed for recipients on request.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict classes (or values, with a vqr model) with a trained model; write the predictions as CSV, sealed on request.",
        discussion: """
            The data's columns are matched to the model's features by name; when the data also has the model's \
            label column, the accuracy is printed (for a vqr regressor: MSE, MAE and R² of the predicted values, and the \
            column must hold numbers). The CSV has the columns sample, prediction (and label when known). \
            A sealed model or data file is opened in memory. With -r/-R/--key-file/--passphrase the predictions are \
            sealed (content type predictions/csv); open them with verdant unseal.
            Example:
              verdant predict --model model.sealed --data new.csv -i me.key -r verdant1… -o predictions.sealed
            """
    )

    @Option(help: ArgumentHelp("The model file (plain or sealed).", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("The data: a CSV file (plain or sealed) or builtin:iris.", valueName: "file"))
    var data: String

    @Option(name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp("Where to write the predictions ('-' or absent: standard output).", valueName: "file"))
    var output: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Flag(help: "Print a JSON summary on standard output (needs -o FILE for the predictions).")
    var json = false

    @OptionGroup var keys: JobKeyOptions
    @OptionGroup var energy: EnergyOptions

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
        if json, output == nil || output == "-" { throw ValidationError("--json prints a summary on standard output; give -o FILE for the predictions") }
    }

    func run() throws {
        AtomicOutput.removeOnInterrupt()
        let world = try parallelCall { try Distributed.world() }
        let toStdout = output == nil || output == "-"
        if world.rank == 0 { try checkOutput(output, force: force) }
        let meter = try energy.start()
        let jobKeys = try keys.resolve()
        if toStdout, !jobKeys.recipients.isEmpty, isatty(STDOUT_FILENO) != 0 {
            throw CLIError.usage("refusing to write sealed predictions to the terminal; use -o FILE or redirect standard output")
        }
        let loaded = try mlErrors { () -> TrainedModel in
            let bytes = try withPrivacyErrors {
                try SealedFile.contents(atPath: model, expecting: ModelFile.contentType, options: jobKeys.options,
                                        identities: jobKeys.identities(for:))
            }
            return try TrainedModel(bytes, path: model)
        }
        let (features, labels, targets) = try mlErrors { () -> (Matrix, [String]?, [Double]?) in
            if data.hasPrefix("builtin:"), data != "builtin:iris" {
                throw CLIError.usage("--data: predict reads a CSV file (plain or sealed) or builtin:iris; '\(data)' is "
                                     + (data == "builtin:adhoc" ? "generated per training run (train scores its own test split)" : "not a built-in data set"))
            }
            let text = data == "builtin:iris" ? DatasetLoader.irisCSV : try text(of: data, keys: jobKeys)
            if loaded.isRegressor {
                let read = try DatasetLoader.regressionFeatures(text: text, name: data, featureNames: loaded.featureNames,
                                                                targetColumn: loaded.labelName)
                return (read.features, read.targets.map { $0.map { "\($0)" } }, read.targets)
            }
            let read = try DatasetLoader.features(text: text, name: data, featureNames: loaded.featureNames,
                                                  labelColumn: loaded.labelName)
            return (read.features, read.labels, nil)
        }
        let scheduler = try threads.map { try Scheduler(threads: $0) } ?? .shared
        let bar = ProgressBar("kernel")
        let progress: (@Sendable (Int, Int) -> Void)? = world.rank == 0 && !json ? { @Sendable in bar.update($0, $1) } : nil
        let (predicted, values) = try mlErrors {
            try meter.span("predict") { try loaded.predict(features, scheduler: scheduler, communicator: world, progress: progress) }
        }
        bar.finish()
        let report = meter.stop(label: "verdant predict")
        guard world.rank == 0 else { return }

        var csv = labels == nil ? "sample,prediction\n" : "sample,prediction,label\n"
        for (i, p) in predicted.enumerated() {
            csv += "\(i),\(CSVText.field(p))" + (labels.map { ",\(CSVText.field($0[i]))" } ?? "") + "\n"
        }
        // A classifier is scored by accuracy, a regressor by MSE, MAE and R², against the data's label column.
        let metrics = try mlErrors { () -> RegressionMetrics? in
            guard let values, let targets else { return nil }
            return try RegressionMetrics(predicted: values, targets: targets)
        }
        let accuracy = loaded.isRegressor ? nil
            : labels.map { truth in Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(max(1, truth.count)) }
        try mlErrors {
            try withPrivacyErrors {
                if toStdout {
                    if jobKeys.recipients.isEmpty {
                        FileHandle.standardOutput.write(Data(csv.utf8))
                    } else {
                        FileHandle.standardOutput.write(try SealedFile.seal(Data(csv.utf8), for: jobKeys.recipients, contentType: "predictions/csv"))
                    }
                } else if let output {
                    if jobKeys.recipients.isEmpty {
                        try AtomicOutput.write(Data(csv.utf8), toPath: output, overwrite: force)
                    } else {
                        try SealedFile.write(Data(csv.utf8), toPath: output, for: jobKeys.recipients, contentType: "predictions/csv",
                                             overwrite: force)
                    }
                }
            }
        }
        if json {
            JSON.object([
                ("predictions", .string(output ?? "-")), ("sealed", .bool(!jobKeys.recipients.isEmpty)),
                ("samples", .integer(predicted.count)), ("accuracy", accuracy.map { .number($0) } ?? .null),
                ("mse", metrics.map { .number($0.meanSquaredError) } ?? .null),
                ("mae", metrics.map { .number($0.meanAbsoluteError) } ?? .null),
                ("r2", metrics.map { .number($0.rSquared) } ?? .null),
                ("joules", .number(report.total.joules.value)), ("provenance", .string(report.total.provenance.rawValue)),
            ]).print()
        } else if !toStdout {
            printNote("\(predicted.count) predictions → \(output ?? "-")\(jobKeys.recipients.isEmpty ? "" : " (sealed)")"
                      + (accuracy.map { String(format: "; accuracy %.4f against the data's %@ column", $0, loaded.labelName) } ?? "")
                      + (metrics.map { m in
                          "; \(RegressionRun.metrics(m.meanSquaredError, m.meanAbsoluteError, m.rSquared)) against the data's \(loaded.labelName) column"
                      } ?? ""))
        }
        if !energy.noEnergySummary { printNote(report.oneLine) }
        if let path = energy.energyReport {
            try report.writeJSON(to: path)
        }
    }
}

