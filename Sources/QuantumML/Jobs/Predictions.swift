import Energy
import Foundation
import Parallel
import Privacy
import VerdantCommon

/// A prediction run described in full: the samples, what opens them, where it runs. Give it to
/// ``TrainedModel/predict(_:)``.
public struct PredictionJob: Sendable {
    /// The samples: a CSV file (plain or sealed) whose columns are matched to the model's features
    /// by name, `builtin:iris`, or samples in memory (``TrainingOutcome/testSamples``). When the
    /// samples have the model's label column, the predictions are scored against it.
    public var data: DataSource
    /// What opens a sealed data file.
    public var keys: InputKeys
    /// This process's threads.
    public var scheduler: Scheduler
    /// The ranks sharing the work (nil: this process alone).
    public var communicator: (any Communicator)?
    /// A meter that gets the span `predict` (nil: none).
    public var meter: EnergyMeter?
    /// Progress of a quantum kernel (qsvm models).
    public var progress: (@Sendable (JobProgress) -> Void)?
    /// Predict under noise (nil: ideal): qsvm's kernel with the test samples, vqc/vqr's readouts.
    public var noise: NoiseSettings?

    /// A job on all cores of this process.
    ///
    /// - Parameter data: The samples.
    public init(data: DataSource) {
        self.data = data
        keys = InputKeys()
        scheduler = .shared
        communicator = nil
        meter = nil
        progress = nil
    }
}

/// A model's predictions for some samples, scored when the samples had the label column, and the
/// predictions file (CSV: `sample,prediction` and `label` when known; docs/model-format.md).
public struct Predictions: Sendable, Equatable {
    /// The content type of a sealed predictions file.
    public static let contentType = "predictions/csv"

    /// The predicted class of each sample, or a regressor's predicted value as text.
    public var predicted: [String]
    /// A regressor's predicted values (nil for a classifier).
    public var values: [Double]?
    /// The samples' labels (or targets, as text) when the samples had the model's label column.
    public var truth: [String]?
    /// The fraction of correct predictions, for a classifier whose samples had labels.
    public var accuracy: Double?
    /// MSE, MAE and R², for a regressor whose samples had targets.
    public var metrics: RegressionMetrics?

    /// Predictions and their scores.
    ///
    /// - Parameters:
    ///   - predicted: The predicted labels (or values as text).
    ///   - values: A regressor's values (nil for a classifier).
    ///   - truth: The true labels (or targets as text), if known.
    ///   - targets: A regressor's true targets, if known.
    /// - Throws: The errors of ``RegressionMetrics/init(predicted:targets:)``.
    public init(predicted: [String], values: [Double]? = nil, truth: [String]? = nil, targets: [Double]? = nil) throws {
        self.predicted = predicted
        self.values = values
        self.truth = truth
        if let values, let targets {
            metrics = try RegressionMetrics(predicted: values, targets: targets)
            accuracy = nil
        } else {
            metrics = nil
            accuracy = values == nil ? truth.map { Self.accuracy(predicted, $0) } : nil
        }
    }

    /// The fraction of `predicted` equal to `truth`, element by element — the same text or the same
    /// number (``Dataset/sameClass(_:_:)``: `1` and `1.0` agree) — (0 when `truth` is empty or the
    /// lengths differ).
    ///
    /// - Parameters:
    ///   - predicted: Predicted labels.
    ///   - truth: True labels.
    /// - Returns: The accuracy in [0, 1].
    public static func accuracy(_ predicted: [String], _ truth: [String]) -> Double {
        guard !truth.isEmpty, predicted.count == truth.count else { return 0 }
        return Double(zip(predicted, truth).filter { Dataset.sameClass($0, $1) }.count) / Double(truth.count)
    }

    /// The predictions file: a header `sample,prediction` (`,label` when the labels are known), then
    /// one row per sample, fields quoted as RFC 4180 requires.
    public var csv: String {
        var text = truth == nil ? "sample,prediction\n" : "sample,prediction,label\n"
        text.reserveCapacity(predicted.count * 24)
        for (i, p) in predicted.enumerated() {
            text += "\(i)," + CSVText.field(p) + (truth.map { "," + CSVText.field($0[i]) } ?? "") + "\n"
        }
        return text
    }

    /// The predictions file's bytes, sealed for `recipients` when there are any.
    ///
    /// - Parameter recipients: Who can open it (none: plain CSV).
    /// - Returns: The bytes.
    /// - Throws: Privacy's errors.
    public func encoded(for recipients: [Recipient] = []) throws -> Data {
        recipients.isEmpty ? Data(csv.utf8) : try SealedFile.seal(Data(csv.utf8), for: recipients, contentType: Self.contentType)
    }

    /// Writes the predictions file atomically, sealed for `recipients` when there are any.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - recipients: Who can open it (none: plain CSV).
    ///   - overwrite: Whether an existing file may be replaced.
    ///   - mode: A plain file's permissions (nil: 0666 less the umask; 0o600 for outputs of sealed data).
    /// - Throws: Privacy's errors (`outputExists` without `overwrite`, I/O).
    public func write(toPath path: String, recipients: [Recipient] = [], overwrite: Bool = false, mode: mode_t? = nil) throws {
        if recipients.isEmpty {
            try AtomicOutput.write(Data(csv.utf8), toPath: path, overwrite: overwrite, mode: mode)
        } else {
            try SealedFile.write(Data(csv.utf8), toPath: path, for: recipients, contentType: Self.contentType, overwrite: overwrite)
        }
    }

    /// The `prediction` column of a predictions file, plain or sealed (opened in memory; a sealed
    /// file must have the content type ``contentType``).
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - keys: What opens it when it is sealed.
    /// - Returns: The predictions in sample order.
    /// - Throws: Privacy's errors; ``QuantumMLError/data(location:found:valid:)`` for a file that is
    ///   not a predictions CSV.
    public static func predictedLabels(atPath path: String, keys: InputKeys = InputKeys()) throws -> [String] {
        let data = try SealedFile.contents(atPath: path, expecting: contentType, options: keys.options, identities: keys.identities)
        guard let text = String(data: data, encoding: .utf8) else { throw QuantumMLError.csvNotUTF8(path) }
        let table = try CSVTable(text: text, location: path)
        return try table.labels(column: table.column(named: "prediction", role: "the predictions"))
    }
}

extension TrainedModel {
    /// Predicts the samples of a job, and scores the predictions when the samples have the model's
    /// label column.
    ///
    /// - Parameter job: The samples and where to run.
    /// - Returns: The predictions.
    /// - Throws: The loaders' errors; ``QuantumMLError/invalidArgument(argument:received:valid:)`` for
    ///   `builtin:adhoc` (generated per training run); ``QuantumMLError/data(location:found:valid:)`` for
    ///   a missing feature column; the model's prediction errors.
    public func predict(_ job: PredictionJob) throws -> Predictions {
        let (features, truth, targets) = try agreeIfDistributed(job.communicator) { try samples(job) }
        try SameSamples.check([(job.data.name, SampleFingerprint(features: features))], over: job.communicator)
        do {
            return try predict(features, truth: truth, targets: targets, job)
        } catch QuantumMLError.data(let location, let found, let valid) where location == "the data" {
            // The model's checks of scaled samples know only "the data"; name the file.
            let name: String
            if case .file(let path) = job.data { name = path } else { name = job.data.name }
            throw QuantumMLError.data(location: name, found: found, valid: valid)
        }
    }

    private func predict(_ features: Matrix, truth: [String]?, targets: [Double]?, _ job: PredictionJob) throws -> Predictions {
        try TrainedModel.inSpan(job.meter, "predict") {
            switch self {
            case .kernel(let model):
                var configuration = TrainingConfiguration(kind: model.kind, scheduler: job.scheduler, communicator: job.communicator)
                configuration.noise = model.kind == .qsvm ? job.noise : nil
                if let progress = job.progress { configuration.progress = { progress(JobProgress(phase: .kernel, done: $0, total: $1)) } }
                return try Predictions(predicted: model.predict(features, configuration: configuration), truth: truth)
            case .variational(let model) where model.kind == .vqr:
                let values = try model.predictValues(features, scheduler: job.scheduler, communicator: job.communicator, noise: job.noise)
                return try Predictions(predicted: values.map { "\($0)" }, values: values, truth: truth, targets: targets)
            case .variational(let model):
                return try Predictions(predicted: model.predict(features, scheduler: job.scheduler, communicator: job.communicator,
                                                                noise: job.noise), truth: truth)
            }
        }
    }

    /// The model's features of the job's samples, and their labels (or targets) when present.
    private func samples(_ job: PredictionJob) throws -> (Matrix, [String]?, [Double]?) {
        let text: String, name: String
        switch job.data {
        case .file(let path):
            (text, name) = (try DatasetLoader.readText(atPath: path, keys: job.keys), path)
        case .iris:
            (text, name) = (DatasetLoader.irisCSV, job.data.name)
        case .shards(let pattern):
            throw QuantumMLError.shardsNotReadHere(pattern, use: "the data to predict")
        case .adHoc:
            throw QuantumMLError.invalidArgument(
                argument: "the data to predict", received: "'builtin:adhoc', which is generated per training run (train scores its own test split)",
                valid: "a CSV file (plain or sealed), builtin:iris or samples in memory")
        case .dataset(let data):
            let columns = try featureNames.map { name in
                guard let index = data.featureNames.firstIndex(of: name) else {
                    throw QuantumMLError.data(location: data.name, found: "there is no feature \"\(name)\" (a feature the model needs)",
                                              valid: "the features are \(data.featureNames.map { "\"\($0)\"" }.joined(separator: ", "))")
                }
                return index
            }
            let truth = data.labelName == labelName ? data.labels.map { data.classes[$0] } : nil
            return (data.features.selectingColumns(columns), truth, nil)
        case .regression(let data):
            let columns = try featureNames.map { name in
                guard let index = data.featureNames.firstIndex(of: name) else {
                    throw QuantumMLError.data(location: data.name, found: "there is no feature \"\(name)\" (a feature the model needs)",
                                              valid: "the features are \(data.featureNames.map { "\"\($0)\"" }.joined(separator: ", "))")
                }
                return index
            }
            let targets = data.targetName == labelName ? data.targets : nil
            return (data.features.selectingColumns(columns), targets.map { $0.map { "\($0)" } }, targets)
        }
        if isRegressor {
            let read = try DatasetLoader.regressionFeatures(text: text, name: name, featureNames: featureNames, targetColumn: labelName)
            return (read.features, read.targets.map { $0.map { "\($0)" } }, read.targets)
        }
        let read = try DatasetLoader.features(text: text, name: name, featureNames: featureNames, labelColumn: labelName)
        return (read.features, read.labels, nil)
    }
}
