import ArgumentParser
import Foundation
import Verdant

/// The options of `verdant train --model vqc` and `--model vqr`.
struct VariationalOptions: ParsableArguments {
    @Option(help: "vqc, vqr: the trainable circuit: real-amplitudes, efficient-su2 or strongly-entangling.")
    var ansatz: String = "real-amplitudes"

    @Option(help: "vqc, vqr: repetitions (real-amplitudes, efficient-su2; default 3) or layers (strongly-entangling; default 2).")
    var layers: Int?

    @Option(name: .customLong("ansatz-entanglement"), help: "vqc, vqr: entanglement of real-amplitudes/efficient-su2: full, linear, reverse_linear, circular.")
    var ansatzEntanglement: String = "reverse_linear"

    @Option(help: "vqc, vqr: passes over the training data.")
    var epochs: Int = 20

    @Option(name: .customLong("batch-size"), help: "vqc, vqr: samples per gradient step.")
    var batchSize: Int = 16

    @Option(help: "vqc, vqr: the optimiser: adam, sgd or spsa.")
    var optimizer: String = "adam"

    @Option(name: .customLong("learning-rate"), help: "vqc, vqr: the step size (default 0.05 for adam, 0.1 for sgd and spsa).")
    var learningRate: Double?

    @Option(help: "vqc, vqr: sgd's momentum.")
    var momentum: Double = 0.9

    @Option(help: "vqc: class scores from z (⟨Z_i⟩ of qubit i per class) or parity (two classes); vqr: z only (predicts ⟨Z_0⟩).")
    var readout: String = "z"

    @Flag(help: "vqc, vqr: a trained linear layer on the measured expectations (vqr: w·e + b on every ⟨Z_i⟩).")
    var hybrid = false

    @Option(name: .customLong("validation-fraction"), help: "vqc, vqr: share of the training samples held out for early stopping, in [0, 1).")
    var validationFraction: Double = 0

    @Option(help: "vqc, vqr: stop after this many epochs without a better validation loss (needs --validation-fraction).")
    var patience: Int?

    @Option(help: "vqc, vqr: gradients by adjoint or parameter-shift.")
    var gradient: String = "adjoint"

    /// Why these options do not fit a regressor (`--model vqr`), or nil when they do: the parity
    /// readout is a two-class readout.
    var regressorConflict: String? {
        guard readout == "parity" else { return nil }
        return "--readout parity scores two classes; --model vqr predicts a value from ⟨Z_0⟩ (or w·e + b on every ⟨Z_i⟩ with --hybrid): leave --readout at z"
    }

    /// The configuration, checked.
    func configuration(features: Int, featureMap: FeatureMap?, scale: Scaler.Kind, seed: UInt64, scheduler: Scheduler,
                       communicator: any Communicator) throws -> VariationalConfiguration
    {
        guard epochs >= 1 else { throw CLIError.usage("--epochs must be at least 1, received \(epochs)") }
        guard batchSize >= 1 else { throw CLIError.usage("--batch-size must be at least 1, received \(batchSize)") }
        let qubits = featureMap?.numQubits ?? features
        let ansatz: Ansatz
        switch self.ansatz {
        case "real-amplitudes", "efficient-su2":
            guard let entanglement = Entanglement(rawValue: ansatzEntanglement) else {
                throw CLIError.usage("--ansatz-entanglement: '\(ansatzEntanglement)' is not one of \(Entanglement.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            ansatz = self.ansatz == "real-amplitudes"
                ? try .realAmplitudes(qubits: qubits, reps: layers ?? 3, entanglement: entanglement)
                : try .efficientSU2(qubits: qubits, reps: layers ?? 3, entanglement: entanglement)
        case "strongly-entangling":
            ansatz = try .stronglyEntangling(qubits: qubits, layers: layers ?? 2)
        default:
            throw CLIError.usage("--ansatz: '\(self.ansatz)' is not one of real-amplitudes, efficient-su2, strongly-entangling")
        }
        let optimizer: Optimizer
        switch self.optimizer {
        case "adam": optimizer = .adam(learningRate: learningRate ?? 0.05)
        case "sgd": optimizer = .sgd(learningRate: learningRate ?? 0.1, momentum: momentum)
        case "spsa": optimizer = .spsa(learningRate: learningRate ?? 0.1)
        default: throw CLIError.usage("--optimizer: '\(self.optimizer)' is not one of adam, sgd, spsa")
        }
        let readout: Readout
        switch self.readout {
        case "z": readout = .zExpectations
        case "parity": readout = .parity
        default: throw CLIError.usage("--readout: '\(self.readout)' is not one of z, parity")
        }
        guard let method = GradientMethod(rawValue: gradient) else {
            throw CLIError.usage("--gradient: '\(gradient)' is not one of adjoint, parameter-shift")
        }
        return VariationalConfiguration(featureMap: featureMap, ansatz: ansatz, readout: readout, hybrid: hybrid, optimizer: optimizer,
                                        epochs: epochs, batchSize: batchSize, seed: seed, validationFraction: validationFraction,
                                        patience: patience, gradientMethod: method, scale: scale, scheduler: scheduler,
                                        communicator: communicator)
    }
}

/// One `--model vqc` training run.
enum VariationalRun {
    static func train(_ data: Dataset, test: Dataset?, options: Train, world: any Communicator, meter: EnergyMeter,
                      showProgress: Bool) throws -> VariationalModel
    {
        let scheduler = try options.threads.map { try Scheduler(threads: $0) } ?? .shared
        let featureMap = try options.featureMapOptions.make(features: data.features.columns, default: nil)
        var configuration = try options.variational.configuration(
            features: data.features.columns, featureMap: featureMap, scale: Scaler.Kind(rawValue: options.scale) ?? .minmax,
            seed: options.seed, scheduler: scheduler, communicator: world)
        return try train(data, test: test, configuration: &configuration, testSize: options.testSize, seed: options.seed, meter: meter,
                         showProgress: showProgress)
    }

    /// A progress bar over the epochs, fed by `configuration` when `show` (finish it after training).
    static func epochBar(_ configuration: inout VariationalConfiguration, show: Bool) -> ProgressBar {
        let bar = ProgressBar("epochs")
        let epochs = configuration.epochs
        if show { configuration.progress = { record in bar.update(record.epoch, epochs) } }
        return bar
    }

    /// Splits (unless a test set is given) and trains, with a progress bar per epoch.
    static func train(_ data: Dataset, test: Dataset?, configuration: inout VariationalConfiguration, testSize: Double, seed: UInt64,
                      meter: EnergyMeter, showProgress: Bool) throws -> VariationalModel
    {
        let bar = epochBar(&configuration, show: showProgress)
        defer { bar.finish() }
        let config = configuration
        if let test {
            return try meter.span("train") { try VariationalModel.trainClassifier(data, test: test, configuration: config) }
        } else if testSize > 0 {
            let (train, held) = try stratifiedSplit(data, testFraction: testSize, seed: seed)
            return try meter.span("train") {
                try VariationalModel.trainClassifier(train, test: held, configuration: config, split: (seed, testSize))
            }
        }
        return try meter.span("train") { try VariationalModel.trainClassifier(data, configuration: config) }
    }
}

/// A model of either family: what `train` writes and `predict` reads.
enum TrainedModel {
    case kernel(Classifier)
    case variational(VariationalModel)

    /// The model with the job's energy in its training record.
    func withEnergy(_ energy: EnergyRecord) -> TrainedModel {
        switch self {
        case .kernel(var model):
            model.training.energy = energy
            return .kernel(model)
        case .variational(var model):
            model.training.energy = energy
            return .variational(model)
        }
    }

    func write(toPath path: String, recipients: [Recipient], overwrite: Bool) throws {
        switch self {
        case .kernel(let model): try model.write(toPath: path, recipients: recipients, overwrite: overwrite)
        case .variational(let model): try model.write(toPath: path, recipients: recipients, overwrite: overwrite)
        }
    }

    func summary(output: String, sealed: Bool) -> String {
        switch self {
        case .kernel(let model):
            return TrainingRun.summary(model, output: output, sealed: sealed)
        case .variational(let model) where model.kind == .vqr:
            return RegressionRun.summary(model, output: output, sealed: sealed)
        case .variational(let model):
            let t = model.training
            var lines = ["vqc on \(t.dataset): \(t.samples) training samples, \(model.classes?.count ?? 0) classes, "
                + "\(model.weights.count) circuit parameters\(model.isHybrid ? " + linear layer" : "")"]
            lines.append("feature map: \(model.featureMap.description)")
            lines.append("ansatz: \(model.ansatz.description); readout \(model.readout.rawValue); \(t.optimizer.description)")
            lines.append("train accuracy \(String(format: "%.4f", t.trainAccuracy ?? 0))"
                + (t.testAccuracy.map { String(format: ", test accuracy %.4f on %d samples", $0, t.testSamples) } ?? ""))
            lines.append(String(format: "%d epochs%@, training %.3f s (%d rank%@ × %d threads)", t.epochs,
                                t.stoppedEarly ? " (stopped early; best epoch \(t.bestEpoch ?? 0))" : "", t.seconds, t.ranks,
                                t.ranks == 1 ? "" : "s", t.threads))
            lines.append("model → \(output)\(sealed ? " (sealed)" : "")")
            return lines.joined(separator: "\n")
        }
    }

    func json(output: String, sealed: Bool, report: EnergyReport) -> JSON {
        let energy = JSON.object([
            ("joules", .number(report.total.joules.value)), ("gCO2e", .number(report.total.gCO2e.value)),
            ("cost", .number(report.total.cost.value)), ("currency", .string(report.total.currency)),
            ("provenance", .string(report.total.provenance.rawValue)),
        ])
        switch self {
        case .kernel(let model):
            return TrainingRun.json(model, output: output, sealed: sealed, report: report)
        case .variational(let model) where model.kind == .vqr:
            return RegressionRun.json(model, output: output, sealed: sealed, energy: energy)
        case .variational(let model):
            let t = model.training
            return .object([
                ("model", .string(output)), ("sealed", .bool(sealed)), ("kind", .string(model.kind.rawValue)),
                ("dataset", .string(t.dataset)), ("classes", .array((model.classes ?? []).map { .string($0) })),
                ("samples", .integer(t.samples)), ("testSamples", .integer(t.testSamples)),
                ("parameters", .integer(model.weights.count)),
                ("trainAccuracy", t.trainAccuracy.map { .number($0) } ?? .null),
                ("testAccuracy", t.testAccuracy.map { .number($0) } ?? .null),
                ("epochs", .integer(t.epochs)), ("bestEpoch", t.bestEpoch.map { .integer($0) } ?? .null),
                ("history", .array(model.history.map { r in
                    .object([("epoch", .integer(r.epoch)), ("loss", .number(r.loss)), ("accuracy", r.accuracy.map { .number($0) } ?? .null)])
                })),
                ("seconds", .number(t.seconds)), ("ranks", .integer(t.ranks)), ("threads", .integer(t.threads)),
                ("energy", energy),
            ])
        }
    }
}

/// Reading a model file of either family (`predict`).
extension TrainedModel {
    /// Decodes `bytes` (already opened if sealed) as the family its `kind` names.
    init(_ bytes: Data, path: String) throws {
        switch try ModelFile.kind(of: bytes, path: path) {
        case "vqc", "vqr": self = .variational(try VariationalModel.decode(bytes, path: path))
        default: self = .kernel(try Classifier.decode(bytes, path: path))
        }
    }

    var featureNames: [String] {
        switch self {
        case .kernel(let m): m.featureNames
        case .variational(let m): m.featureNames
        }
    }

    var labelName: String {
        switch self {
        case .kernel(let m): m.labelName
        case .variational(let m): m.labelName
        }
    }

    /// Whether the model predicts values (a `vqr`) rather than classes.
    var isRegressor: Bool {
        if case .variational(let m) = self { return m.kind == .vqr }
        return false
    }

    /// Predicted labels (classes) as text; for a regressor also the values the text shows.
    func predict(_ features: Matrix, scheduler: Scheduler, communicator: any Communicator,
                 progress: (@Sendable (Int, Int) -> Void)?) throws -> (texts: [String], values: [Double]?)
    {
        switch self {
        case .kernel(let m):
            var configuration = TrainingConfiguration(kind: m.kind, scheduler: scheduler, communicator: communicator)
            configuration.progress = progress
            return (try m.predict(features, configuration: configuration), nil)
        case .variational(let m) where m.kind == .vqr:
            let values = try m.predictValues(features, scheduler: scheduler, communicator: communicator)
            return (values.map { "\($0)" }, values)
        case .variational(let m):
            return (try m.predict(features, scheduler: scheduler, communicator: communicator), nil)
        }
    }
}
