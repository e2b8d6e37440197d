import Energy
import Foundation
import Parallel
import Quantum

/// Progress of a long job: which phase, and how far it is.
public struct JobProgress: Sendable, Equatable {
    /// What is being counted.
    public enum Phase: String, Sendable {
        /// Work items of a quantum kernel matrix (state chunks and tiles).
        case kernel
        /// Training epochs of a variational model.
        case epochs
    }

    /// The phase.
    public var phase: Phase
    /// Items done so far.
    public var done: Int
    /// Items in all.
    public var total: Int

    /// A progress report.
    public init(phase: Phase, done: Int, total: Int) {
        self.phase = phase
        self.done = done
        self.total = total
    }
}

/// One training run described in full — the data, how it is split, the model and its options,
/// where it runs — so that `verdant train`, `verdant demo` and a Swift caller train the same way
/// with one call: ``TrainedModel/train(_:)``.
///
/// The split: a given ``test`` source (or the test set a built-in source brings) is scored as it
/// is; otherwise a share ``testFraction`` is held out (stratified by class for classifiers, drawn at
/// random for a regressor, seeded by ``seed``) and recorded in the model; a fraction of 0 trains on
/// every sample.
///
/// ```swift
/// var job = TrainingJob(model: .qsvm, data: .iris)
/// job.featureMap = FeatureMapChoice(.zz, alpha: 0.5)
/// let outcome = try TrainedModel.train(job)
/// try outcome.model.write(toPath: "iris.model")
/// ```
public struct TrainingJob: Sendable {
    /// The models (`--model`).
    public enum Model: String, Sendable, CaseIterable {
        /// A C-SVC on the fidelity quantum kernel.
        case qsvm
        /// A C-SVC on the RBF kernel (the classical baseline).
        case svmRBF = "svm-rbf"
        /// A C-SVC on the linear kernel.
        case svmLinear = "svm-linear"
        /// A variational quantum classifier (quantum neural network).
        case vqc
        /// A variational quantum regressor (numeric targets).
        case vqr

        /// The kernel SVM's kind, or nil for a variational model.
        public var kernelKind: ModelKind? { ModelKind(rawValue: rawValue) }
    }

    /// The model to train.
    public var model: Model
    /// The training samples.
    public var data: DataSource
    /// Test samples to score instead of holding out ``testFraction`` (nil: hold out).
    public var test: DataSource?
    /// The label (or target) column of CSV files (nil: the last column).
    public var labelColumn: String?
    /// Share of the samples held out for testing, in [0, 1); 0 trains on all.
    public var testFraction: Double
    /// Seed of the split, of `builtin:adhoc` and of a variational model's initial weights and batches.
    public var seed: UInt64
    /// Feature scaling fitted on the training samples (default: ``DataSource/defaultScale``).
    public var scale: Scaler.Kind
    /// The encoding (nil: ZZ with 2 repetitions for qsvm; angle encoding with `ry` for vqc and vqr;
    /// unused by the classical SVMs).
    public var featureMap: FeatureMapChoice?
    /// The SVM's C and tolerance (kernel models).
    public var svm: SVCParameters
    /// γ of svm-rbf (nil: scikit-learn's `gamma='scale'`).
    public var gamma: Double?
    /// The circuit, readout, optimiser and schedule (vqc, vqr).
    public var variational: VariationalSettings
    /// Differentially private training (DP-SGD) of a vqc or vqr (nil: none). A kernel SVM refuses
    /// it: its model is made of training rows (the support vectors), which no noise on a gradient
    /// protects — see ``TrainedModel/train(_:)``.
    public var privacy: DifferentialPrivacyConfiguration?
    /// Public bounds of the features for min-max scaling (vqc, vqr; nil: the training data's own
    /// range). See ``VariationalConfiguration/featureBounds``.
    public var featureBounds: [ClosedRange<Double>]?
    /// Public bounds of a vqr's targets (nil: the training targets' own range).
    public var targetBounds: ClosedRange<Double>?
    /// Checkpoints and resuming (vqc, vqr; nil: none).
    public var checkpoint: CheckpointSettings?
    /// What opens sealed inputs.
    public var keys: InputKeys
    /// This process's threads.
    public var scheduler: Scheduler
    /// The ranks sharing the work (nil: this process alone).
    public var communicator: (any Communicator)?
    /// A meter that gets the spans `load data` and `train` (nil: none).
    public var meter: EnergyMeter?
    /// Progress of the kernel (qsvm) or of the epochs (vqc, vqr).
    public var progress: (@Sendable (JobProgress) -> Void)?
    /// Whether the ranks of a federated job (``DataSource/shards(_:)``) exchange each site's rows
    /// per class, for a report (``TrainingOutcome/shards``); false: only the row counts, which
    /// training exchanges anyway. `verdant train --report` sets it.
    public var sharesShardClassCounts = false
    /// Train under noise (nil: ideal): the qsvm's kernel is Tr(ρ(x)·ρ(x′)), vqc and vqr read out
    /// the noisy circuit (parameter-shift gradients); exact or from shots (``NoiseSettings``).
    public var noise: NoiseSettings?

    /// A job with `verdant train`'s defaults: a stratified 25 % test split with seed 7, min-max
    /// scaling to [0, π], C = 1, the model's default encoding, all cores of this process.
    ///
    /// - Parameters:
    ///   - model: The model to train.
    ///   - data: The training samples.
    public init(model: Model, data: DataSource) {
        self.model = model
        self.data = data
        test = nil
        labelColumn = nil
        testFraction = 0.25
        seed = 7
        scale = data.defaultScale
        featureMap = nil
        svm = SVCParameters()
        gamma = nil
        variational = VariationalSettings()
        privacy = nil
        featureBounds = nil
        targetBounds = nil
        checkpoint = nil
        keys = InputKeys()
        scheduler = .shared
        communicator = nil
        meter = nil
        progress = nil
    }
}

/// What a training run produced: the model (with its training record: accuracy or MSE/MAE/R²,
/// split, seconds, ranks and threads), its epoch history, and the samples it was scored on.
public struct TrainingOutcome: Sendable {
    /// The trained model (its energy is not filled in: the caller's meter measured the job).
    public var model: TrainedModel
    /// Loss and accuracy per epoch (variational models; empty for kernel SVMs).
    public var history: [EpochRecord]
    /// The test samples the model was scored on — `.dataset` for a classifier, `.regression` for a
    /// regressor — or nil when it trained on every sample.
    public var testSamples: DataSource?
    /// The samples the model was trained on (before a variational model's validation holdout), in
    /// the same form; what a report draws the kernel matrix and decision regions from.
    public var trainingSamples: DataSource? = nil
    /// With federated shards: each site's row counts (and class counts when asked), the same on
    /// every rank; nil otherwise.
    public var shards: ShardSummary? = nil
}

extension TrainedModel {
    /// Runs a training job: loads the data (and test data), splits it as ``TrainingJob`` describes,
    /// trains and scores the model. With ``DataSource/shards(_:)`` each rank of the job's
    /// communicator reads only its own shard and a vqc or vqr trains on all of them
    /// (``VariationalModel/trainFederatedClassifier(_:test:configuration:split:)``,
    /// ``VariationalModel/trainFederatedRegressor(_:test:configuration:split:)``); a test share is
    /// then held out of each shard, and a test set must be sharded too.
    ///
    /// - Parameter job: The job.
    /// - Returns: The model, its history and its test samples.
    /// - Throws: The loaders' errors (Privacy's for sealed files, ``QuantumMLError/data(location:found:valid:)``
    ///   for bad CSV); ``QuantumMLError/invalidArgument(argument:received:valid:)`` for bad options
    ///   (a test fraction outside [0, 1), a classification set for a regressor; shards for a kernel
    ///   model or a run of one rank); the training
    ///   errors of ``Classifier/train(_:test:configuration:split:)`` and ``VariationalModel``.
    public static func train(_ job: TrainingJob) throws -> TrainingOutcome {
        guard job.testFraction.isFinite, job.testFraction >= 0, job.testFraction < 1 else {
            throw QuantumMLError.invalidArgument(argument: "the test fraction", received: "\(job.testFraction)", valid: "in [0, 1) (0 trains on every sample)")
        }
        func span<T>(_ name: String, _ body: () throws -> T) rethrows -> T { try inSpan(job.meter, name, body) }
        if case .shards(let pattern) = job.data { return try trainFederated(job, pattern: pattern) }
        try checkKernelOptions(job)
        if job.model == .vqr { return try trainRegressor(job) }

        let (data, test) = try span("load data") { () -> (Dataset, Dataset?) in
            let (data, test) = try agreeIfDistributed(job.communicator) { () -> (Dataset, Dataset?) in
                let loaded = try DatasetLoader.load(job.data, labelColumn: job.labelColumn, keys: job.keys, seed: job.seed)
                if let source = job.test {
                    return (loaded.data, try DatasetLoader.load(source, labelColumn: job.labelColumn, keys: job.keys, seed: job.seed).data)
                }
                return (loaded.data, loaded.test)
            }
            try SameSamples.check([(job.data.name, SampleFingerprint(data))] + (test.map { [(job.test?.name ?? $0.name, SampleFingerprint($0))] } ?? []),
                                  over: job.communicator)
            return (data, test)
        }
        // Split, unless test samples were given.
        let train: Dataset, held: Dataset?, split: (seed: UInt64, testSize: Double)?
        if let test {
            (train, held, split) = (data, test, nil)
        } else if job.testFraction > 0 {
            let parts = try stratifiedSplit(data, testFraction: job.testFraction, seed: job.seed)
            (train, held, split) = (parts.train, parts.test, (job.seed, job.testFraction))
        } else {
            (train, held, split) = (data, nil, nil)
        }

        if let kind = job.model.kernelKind {
            var configuration = TrainingConfiguration(kind: kind, scale: job.scale, svm: job.svm, gamma: job.gamma,
                                                      scheduler: job.scheduler, communicator: job.communicator)
            configuration.noise = kind == .qsvm ? job.noise : nil
            if kind == .qsvm {
                configuration.featureMap = try (job.featureMap ?? FeatureMapChoice(.zz)).featureMap(features: train.features.columns)
            }
            if let progress = job.progress { configuration.progress = { progress(JobProgress(phase: .kernel, done: $0, total: $1)) } }
            let model = try span("train") { try Classifier.train(train, test: held, configuration: configuration, split: split) }
            return TrainingOutcome(model: .kernel(model), history: [], testSamples: held.map { .dataset($0) }, trainingSamples: .dataset(train))
        }
        let configuration = try variationalConfiguration(job, features: train.features.columns)
        let model = try span("train") {
            try VariationalModel.trainClassifier(train, test: held, configuration: configuration, split: split)
        }
        return TrainingOutcome(model: .variational(model), history: model.history, testSamples: held.map { .dataset($0) },
                               trainingSamples: .dataset(train))
    }

    private static func trainRegressor(_ job: TrainingJob) throws -> TrainingOutcome {
        let (data, test) = try inSpan(job.meter, "load data") { () -> (RegressionData, RegressionData?) in
            let (data, test) = try agreeIfDistributed(job.communicator) { () -> (RegressionData, RegressionData?) in
                let data = try DatasetLoader.loadRegression(job.data, targetColumn: job.labelColumn, keys: job.keys)
                return (data, try job.test.map { try DatasetLoader.loadRegression($0, targetColumn: job.labelColumn, keys: job.keys) })
            }
            try SameSamples.check([(job.data.name, SampleFingerprint(data))] + (test.map { [(job.test?.name ?? $0.name, SampleFingerprint($0))] } ?? []),
                                  over: job.communicator)
            return (data, test)
        }
        let train: RegressionData, held: RegressionData?, split: (seed: UInt64, testSize: Double)?
        if let test {
            (train, held, split) = (data, test, nil)
        } else if job.testFraction > 0 {
            let parts = try randomSplit(data, testFraction: job.testFraction, seed: job.seed)
            (train, held, split) = (parts.train, parts.test, (job.seed, job.testFraction))
        } else {
            (train, held, split) = (data, nil, nil)
        }
        let configuration = try variationalConfiguration(job, features: train.features.columns)
        let model = try inSpan(job.meter, "train") {
            try VariationalModel.trainRegressor(train, test: held, configuration: configuration, split: split)
        }
        return TrainingOutcome(model: .variational(model), history: model.history, testSamples: held.map { .regression($0) },
                               trainingSamples: .regression(train))
    }

    /// Refuses what a kernel SVM cannot do: differential privacy (DP-SGD privatises gradient steps;
    /// an SVM is one solve, and its model lists training rows verbatim as support vectors, so noise
    /// on anything else would protect nothing), checkpoints (there are no steps to resume between)
    /// and bounds-based scaling of the variational models.
    private static func checkKernelOptions(_ job: TrainingJob) throws {
        guard job.model.kernelKind != nil else { return }
        if job.privacy != nil {
            throw QuantumMLError.invalidArgument(
                argument: "differential privacy for a \(job.model.rawValue) model",
                received: "DP-SGD settings for a kernel SVM",
                valid: "none: DP-SGD clips and noises per-sample gradients, and a kernel SVM has none — it is one solve whose model "
                    + "stores training rows verbatim as its support vectors, so the model file itself would publish them. "
                    + "Train a variational classifier (vqc) privately instead, or the SVM without differential privacy")
        }
        if job.checkpoint != nil {
            throw QuantumMLError.invalidArgument(argument: "checkpoints for a \(job.model.rawValue) model", received: "a checkpoint folder",
                                                 valid: "none: a kernel SVM trains in one solve; checkpoints are for the epochs of vqc and vqr")
        }
        if job.featureBounds != nil || job.targetBounds != nil {
            throw QuantumMLError.invalidArgument(argument: "feature or target bounds for a \(job.model.rawValue) model", received: "bounds",
                                                 valid: "none: they scale the variational models (vqc, vqr); a kernel SVM scales with its fitted scaler")
        }
    }

    /// `body` inside a span of `meter` when there is one.
    static func inSpan<T>(_ meter: EnergyMeter?, _ name: String, _ body: () throws -> T) rethrows -> T {
        if let meter { return try meter.span(name, body) }
        return try body()
    }

    /// The variational configuration of a job, for data with `features` features.
    static func variationalConfiguration(_ job: TrainingJob, features: Int) throws -> VariationalConfiguration {
        let settings = job.variational
        let featureMap = try job.featureMap?.featureMap(features: features)
        let ansatz = try settings.ansatz.ansatz(qubits: featureMap?.numQubits ?? features)
        var configuration = VariationalConfiguration(
            featureMap: featureMap, ansatz: ansatz, readout: settings.readout, hybrid: settings.hybrid, optimizer: settings.optimizer,
            epochs: settings.epochs, batchSize: settings.batchSize, seed: job.seed, validationFraction: settings.validationFraction,
            patience: settings.patience, gradientMethod: settings.gradientMethod, scale: job.scale, scheduler: job.scheduler,
            communicator: job.communicator)
        configuration.noise = job.noise
        configuration.privacy = job.privacy
        configuration.featureBounds = job.featureBounds
        configuration.targetBounds = job.targetBounds
        configuration.checkpoint = job.checkpoint
        if let progress = job.progress {
            let epochs = settings.epochs
            configuration.progress = { record in progress(JobProgress(phase: .epochs, done: record.epoch, total: epochs)) }
        }
        return configuration
    }
}
