import ArgumentParser
import Foundation
import Verdant

/// `verdant train`: the main job — data (plain or sealed) → kernel in parallel → SVM → (sealed) model.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a quantum SVM, a variational quantum classifier (vqc) or regressor (vqr), or a classical SVM; write the model, sealed on request.",
        discussion: """
            Reads a CSV with a header row (the label is --label, else the last column), or a built-in set \
            (builtin:iris, builtin:adhoc). A sealed data file is opened in memory with -i/--key-file/--passphrase. \
            Holds out a stratified --test-size share (seeded) and prints its accuracy. The quantum kernel runs on \
            every core and, under mpirun (built with --traits MPI), across ranks; rank 0 alone writes and prints.
            --model vqr fits the label column as numbers (every cell must be one); its --test-size share is drawn at \
            random (seeded), and it reports MSE, MAE and R² instead of accuracy.
            Examples:
              verdant train --data builtin:iris --model qsvm -o iris.model
              verdant train --data prices.csv --label price --model vqr -o price.model
              verdant train --data data.csv.sealed -i me.key -r verdant1… --model qsvm -o model.sealed
            """
    )

    @Option(help: ArgumentHelp("The training data: a CSV file (plain or sealed), builtin:iris or builtin:adhoc.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("The label column's name (default: the last column).", valueName: "column"))
    var label: String?

    @Option(help: ArgumentHelp("A test set (CSV, plain or sealed) to score on instead of holding out --test-size.", valueName: "file"))
    var test: String?

    @Option(help: "The model: qsvm, svm-rbf, svm-linear, vqc (a variational quantum classifier) or vqr (a variational quantum regressor).")
    var model: String = "qsvm"

    @OptionGroup var featureMapOptions: FeatureMapOptions

    @OptionGroup(title: "Variational models (--model vqc, vqr)")
    var variational: VariationalOptions

    @Option(help: "Feature scaling fitted on the training data: minmax (to [0, π]), standard or none.")
    var scale: String = "minmax"

    @Option(name: .customLong("c"), help: "The SVM's C (penalty of margin violations).")
    var c: Double = 1

    @Option(help: "γ of svm-rbf (default: scikit-learn's 'scale', 1 / (features · variance)).")
    var gamma: Double?

    @Option(name: .customLong("test-size"), help: "Share of the samples held out for testing, in [0, 1); 0 trains on all.")
    var testSize: Double = 0.25

    @Option(help: "Seed of the train/test split (and of builtin:adhoc).")
    var seed: UInt64 = 7

    @Option(help: "Threads per process (default: all cores).")
    var threads: Int?

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Where to write the model.", valueName: "model"))
    var output: String

    @Flag(help: "Replace the model file if it exists.")
    var force = false

    @Flag(help: "Print the result as JSON on standard output.")
    var json = false

    @OptionGroup var keys: JobKeyOptions
    @OptionGroup var energy: EnergyOptions

    /// Every model `--model` accepts.
    static let models = ModelKind.allCases.map(\.rawValue) + VariationalModel.Kind.allCases.map(\.rawValue)

    func validate() throws {
        guard Train.models.contains(model) else {
            throw ValidationError("--model: '\(model)' is not one of \(Train.models.joined(separator: ", "))")
        }
        guard Scaler.Kind(rawValue: scale) != nil else { throw ValidationError("--scale: '\(scale)' is not one of minmax, standard, none") }
        guard testSize >= 0, testSize < 1 else { throw ValidationError("--test-size must be in [0, 1), received \(testSize)") }
        guard c > 0, c.isFinite else { throw ValidationError("--c must be a positive number, received \(c)") }
        if let gamma, !(gamma > 0 && gamma.isFinite) { throw ValidationError("--gamma must be a positive number, received \(gamma)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
        if model == VariationalModel.Kind.vqr.rawValue {
            if let conflict = variational.regressorConflict { throw ValidationError(conflict) }
            for path in [data] + (test.map { [$0] } ?? []) where path.hasPrefix("builtin:") {
                throw ValidationError("--model vqr needs numeric targets; '\(path)' is a classification set (class labels); give a CSV file whose label column holds numbers")
            }
        }
    }

    func run() throws {
        AtomicOutput.removeOnInterrupt()
        let world = try parallelCall { try Distributed.world() }
        let isRoot = world.rank == 0
        if isRoot { try checkOutput(output, force: force) }
        let meter = try energy.start()
        let jobKeys = try keys.resolve()
        let trained = try mlErrors { () -> TrainedModel in
            if model == VariationalModel.Kind.vqr.rawValue {
                return .variational(try RegressionRun.train(options: self, keys: jobKeys, world: world, meter: meter,
                                                            showProgress: isRoot && !json))
            }
            let job = try meter.span("load data") { () -> (data: Dataset, test: Dataset?) in
                let loaded = try DataSource.load(data, label: label, keys: jobKeys, seed: seed)
                if let test { return (loaded.data, try DataSource.load(test, label: label, keys: jobKeys, seed: seed).data) }
                return loaded
            }
            if model == VariationalModel.Kind.vqc.rawValue {
                return .variational(try VariationalRun.train(job.data, test: job.test, options: self, world: world, meter: meter,
                                                             showProgress: isRoot && !json))
            }
            return .kernel(try TrainingRun.train(job.data, builtinTest: job.test, options: self, world: world, meter: meter,
                                                 showProgress: isRoot && !json).classifier)
        }
        let report = meter.stop(label: "verdant train")
        let withEnergy = trained.withEnergy(EnergyRecord(report.total))
        guard isRoot else { return }
        try mlErrors { try withPrivacyErrors { try withEnergy.write(toPath: output, recipients: jobKeys.recipients, overwrite: force) } }
        let sealed = !jobKeys.recipients.isEmpty
        if json {
            withEnergy.json(output: output, sealed: sealed, report: report).print()
        } else {
            print(withEnergy.summary(output: output, sealed: sealed))
        }
        if !energy.noEnergySummary {
            fflush(nil)
            printNote(report.oneLine)
        }
        if let path = energy.energyReport {
            try report.writeJSON(to: path)
        }
    }
}

/// One training run, shared by `train` and `demo`.
struct TrainingRun {
    let classifier: Classifier

    /// Splits (unless a test set is given), trains and scores.
    static func train(_ data: Dataset, builtinTest: Dataset?, options: Train, world: any Communicator, meter: EnergyMeter,
                      showProgress: Bool) throws -> TrainingRun
    {
        let kind = ModelKind(rawValue: options.model) ?? .qsvm
        var configuration = TrainingConfiguration(kind: kind, scale: Scaler.Kind(rawValue: options.scale) ?? .minmax,
                                                  svm: SVCParameters(c: options.c), gamma: options.gamma,
                                                  scheduler: try options.threads.map { try Scheduler(threads: $0) } ?? .shared,
                                                  communicator: world)
        if kind == .qsvm {
            configuration.featureMap = try options.featureMapOptions.make(features: data.features.columns, default: "zz")
        }
        return try train(data, builtinTest: builtinTest, configuration: configuration, testSize: options.testSize, seed: options.seed,
                         meter: meter, showProgress: showProgress)
    }

    /// Splits (unless a test set is given), trains and scores with a ready configuration.
    static func train(_ data: Dataset, builtinTest: Dataset?, configuration: TrainingConfiguration, testSize: Double, seed: UInt64,
                      meter: EnergyMeter, showProgress: Bool) throws -> TrainingRun
    {
        var configuration = configuration
        let bar = ProgressBar("kernel")
        if showProgress { configuration.progress = { done, total in bar.update(done, total) } }
        defer { bar.finish() }
        let classifier: Classifier
        if let builtinTest {
            classifier = try meter.span("train") { try Classifier.train(data, test: builtinTest, configuration: configuration) }
        } else if testSize > 0 {
            let (train, test) = try stratifiedSplit(data, testFraction: testSize, seed: seed)
            classifier = try meter.span("train") {
                try Classifier.train(train, test: test, configuration: configuration, split: (seed, testSize))
            }
        } else {
            classifier = try meter.span("train") { try Classifier.train(data, configuration: configuration) }
        }
        return TrainingRun(classifier: classifier)
    }

    /// The human summary.
    static func summary(_ model: Classifier, output: String, sealed: Bool) -> String {
        let t = model.training
        var lines = ["\(model.kind.rawValue) on \(t.dataset): \(t.samples) training samples, \(model.classes.count) classes, "
            + "\(model.supportVectors.rows) support vectors"]
        if let map = model.featureMap { lines.append("feature map: \(map.description)") }
        lines.append(String(format: "train accuracy %.4f", t.trainAccuracy)
            + (t.testAccuracy.map { String(format: ", test accuracy %.4f on %d samples", $0, t.testSamples) } ?? ""))
        lines.append(String(format: "kernel %.3f s, training %.3f s (%d rank%@ × %d threads)", t.kernelSeconds, t.seconds, t.ranks,
                            t.ranks == 1 ? "" : "s", t.threads))
        lines.append("model → \(output)\(sealed ? " (sealed)" : "")")
        return lines.joined(separator: "\n")
    }

    /// The machine-readable result.
    static func json(_ model: Classifier, output: String, sealed: Bool, report: EnergyReport) -> JSON {
        let t = model.training
        return .object([
            ("model", .string(output)), ("sealed", .bool(sealed)), ("kind", .string(model.kind.rawValue)),
            ("dataset", .string(t.dataset)), ("classes", .array(model.classes.map { .string($0) })),
            ("samples", .integer(t.samples)), ("testSamples", .integer(t.testSamples)),
            ("supportVectors", .integer(model.supportVectors.rows)),
            ("trainAccuracy", .number(t.trainAccuracy)), ("testAccuracy", t.testAccuracy.map { .number($0) } ?? .null),
            ("seconds", .number(t.seconds)), ("kernelSeconds", .number(t.kernelSeconds)),
            ("ranks", .integer(t.ranks)), ("threads", .integer(t.threads)),
            ("energy", .object([
                ("joules", .number(report.total.joules.value)), ("gCO2e", .number(report.total.gCO2e.value)),
                ("cost", .number(report.total.cost.value)), ("currency", .string(report.total.currency)),
                ("provenance", .string(report.total.provenance.rawValue)),
            ])),
        ])
    }
}

/// Runs `body` (errors map to exit codes in one place, ExitCodes.swift).
func mlErrors<T>(_ body: () throws -> T) throws -> T { try body() }
