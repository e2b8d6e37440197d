import ArgumentParser
import Foundation
import Verdant

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

    @Flag(help: "Replace the output files (and --energy-report) if they exist.")
    var force = false

    @Flag(help: "Print a JSON summary on standard output (needs -o FILE for the predictions).")
    var json = false

    @OptionGroup var noise: MLNoiseOptions
    @OptionGroup var keys: JobKeyOptions
    @OptionGroup var energy: EnergyOptions
    @OptionGroup(title: "Traffic between MPI ranks") var traffic: SecureTrafficOptions

    func validate() throws {
        try traffic.check()
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
        if json, output == nil || output == "-" { throw ValidationError("--json prints a summary on standard output; give -o FILE for the predictions") }
        if data.hasPrefix("builtin:"), data != "builtin:iris" {
            throw ValidationError("--data: predict reads a CSV file (plain or sealed) or builtin:iris; '\(data)' is "
                                  + (data == "builtin:adhoc" ? "generated per training run (train scores its own test split)" : "not a built-in data set"))
        }
    }

    func run() throws {
        AtomicOutput.removeOnInterrupt()
        let world = try traffic.world(command: self)
        let toStdout = output == nil || output == "-"
        if world.rank == 0 {
            try checkOutput(output, force: force)
            try checkDistinctFiles(outputs: [("-o", output), ("--energy-report", energy.energyReport), ("--write-noise", noise.model.writeNoise)],
                                   inputs: [("--model", model), ("--data", data), ("--noise", noise.model.noise)] + keys.inputFiles)
        }
        let meter = try energy.start(force: force, writesReport: world.rank == 0)
        let jobKeys = try keys.resolve()
        if toStdout, !jobKeys.recipients.isEmpty, isatty(STDOUT_FILENO) != 0 {
            throw CLIError.usage("refusing to write sealed predictions to the terminal; use -o FILE or redirect standard output")
        }
        let trained = try TrainedModel.load(atPath: model, keys: jobKeys.inputs)
        var job = PredictionJob(data: try dataSource(data))
        job.keys = jobKeys.inputs
        job.noise = try noise.settings(force: force)
        job.scheduler = try threads.map { try Scheduler(threads: $0) } ?? .shared
        job.communicator = world
        job.meter = meter
        let bar = world.rank == 0 && !json ? ProgressBar("kernel") : nil
        job.progress = progressReporter(bar)
        let predictions = try trained.predict(job)
        bar?.finish()
        let report = try energy.stop(meter, label: "verdant predict", over: world)
        guard world.rank == 0 else { return }

        try noise.model.write(job.noise?.model, force: force)
        if let output, !toStdout {
            let mode = plainOutputMode("the predictions", path: output, sealedInputs: anySealed([model, data], rank: 0),
                                       sealedOutput: !jobKeys.recipients.isEmpty)
            try predictions.write(toPath: output, recipients: jobKeys.recipients, overwrite: force, mode: mode)
        } else {
            FileHandle.standardOutput.write(try predictions.encoded(for: jobKeys.recipients))
        }
        if json {
            JSON.object([
                ("predictions", .string(output ?? "-")), ("sealed", .bool(!jobKeys.recipients.isEmpty)),
                ("samples", .integer(predictions.predicted.count)), ("accuracy", predictions.accuracy.map { .number($0) } ?? .null),
                ("mse", predictions.metrics.map { .number($0.meanSquaredError) } ?? .null),
                ("mae", predictions.metrics.map { .number($0.meanAbsoluteError) } ?? .null),
                ("r2", predictions.metrics.map { .number($0.rSquared) } ?? .null),
                ("joules", .number(report.total.joules.value)), ("provenance", .string(report.total.provenance.rawValue)),
                ("privacy", trained.privacyRecord?.json ?? .null),
            ]).print()
        } else if !toStdout {
            printNote("\(predictions.predicted.count) predictions → \(output ?? "-")\(jobKeys.recipients.isEmpty ? "" : " (sealed)")"
                      + (predictions.accuracy.map { String(format: "; accuracy %.4f against the data's %@ column", $0, trained.labelName) } ?? "")
                      + (predictions.metrics.map { m in
                          "; \(TrainedModel.metrics(m.meanSquaredError, m.meanAbsoluteError, m.rSquared)) against the data's \(trained.labelName) column"
                      } ?? ""))
        }
        if !json, let privacy = trained.privacyRecord { printNote("model \(model): " + privacy.lines.joined(separator: "\n")) }
        try energy.publish(report)
    }
}
