import Energy
import Foundation
import Parallel
import Privacy
import Quantum

/// The models `verdant train` builds.
public enum ModelKind: String, Codable, Sendable, CaseIterable {
    /// A C-SVC on the fidelity quantum kernel of a ``FeatureMap``.
    case qsvm
    /// The classical baseline: a C-SVC on the RBF kernel exp(−γ‖x − y‖²).
    case svmRBF = "svm-rbf"
    /// A C-SVC on the linear kernel x·y.
    case svmLinear = "svm-linear"
}

/// How to train a kernel classifier.
public struct TrainingConfiguration: Sendable {
    /// The model.
    public var kind: ModelKind
    /// The encoding (``ModelKind/qsvm`` only); nil chooses the ZZ map with 2 reps and full
    /// entanglement on as many qubits as features.
    public var featureMap: FeatureMap?
    /// The scaler fitted on the training features and saved with the model.
    public var scale: Scaler.Kind
    /// The SVM's parameters (C, tolerance).
    public var svm: SVCParameters
    /// γ of the RBF kernel; nil uses scikit-learn's `gamma='scale'` on the scaled training features.
    public var gamma: Double?
    /// This process's threads.
    public var scheduler: Scheduler
    /// The ranks sharing the kernel computation (nil: this process alone).
    public var communicator: (any Communicator)?
    /// Progress of the kernel computation: (done, total) work items.
    public var progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?
    /// Noise for the quantum kernel (nil: ideal): Tr(ρ(x)·ρ(x′)) of the noisy feature-map
    /// circuits, exact or from shots (``NoiseSettings``).
    public var noise: NoiseSettings?

    /// A configuration; defaults follow qiskit-machine-learning's QSVC tutorials (ZZ map, 2 reps,
    /// min-max scaling to [0, π], C = 1).
    public init(kind: ModelKind = .qsvm, featureMap: FeatureMap? = nil, scale: Scaler.Kind = .minmax,
                svm: SVCParameters = SVCParameters(), gamma: Double? = nil, scheduler: Scheduler = .shared,
                communicator: (any Communicator)? = nil)
    {
        self.kind = kind
        self.featureMap = featureMap
        self.scale = scale
        self.svm = svm
        self.gamma = gamma
        self.scheduler = scheduler
        self.communicator = communicator
    }
}

/// What training measured, saved in the model file.
public struct TrainingRecord: Codable, Sendable, Equatable {
    /// Training samples.
    public var samples: Int
    /// Test samples held out (0 when none).
    public var testSamples: Int
    /// Accuracy on the training samples.
    public var trainAccuracy: Double
    /// Accuracy on the held-out test samples (nil when none).
    public var testAccuracy: Double?
    /// The seed of the train/test split, when there was one.
    public var seed: UInt64?
    /// The test fraction of the split, when there was one.
    public var testSize: Double?
    /// Wall-clock seconds of training (kernel and SVM).
    public var seconds: Double
    /// Seconds spent on the kernel matrix.
    public var kernelSeconds: Double
    /// Energy of the training job, when it was measured.
    public var energy: EnergyRecord?
    /// Ranks and threads per rank that computed the kernel.
    public var ranks: Int
    /// Threads per rank.
    public var threads: Int
    /// The data set's name (file name or `iris`, `adhoc`).
    public var dataset: String
}

/// The energy figures saved with a model (from `Energy`'s report): the best estimate of the joules,
/// their error band, carbon and cost, and how the joules were obtained.
public struct EnergyRecord: Codable, Sendable, Equatable {
    /// Joules (the best estimate).
    public var joules: Double
    /// The lower end of the joules' error band (nil in files written before the band was saved).
    public var joulesLow: Double?
    /// The upper end of the joules' error band (nil in files written before the band was saved).
    public var joulesHigh: Double?
    /// Grams of CO2-equivalent.
    public var gCO2e: Double
    /// Cost in ``currency``.
    public var cost: Double
    /// The currency of ``cost``.
    public var currency: String
    /// How the joules were obtained: `measured`, `attributed`, `modelled`, `upper-bound` or `default`
    /// (docs/energy-method.md).
    public var provenance: String

    /// The figures of an `EnergyUsage`, with the joules' band.
    public init(_ usage: EnergyUsage) {
        joules = usage.joules.value
        joulesLow = usage.joules.low
        joulesHigh = usage.joules.high
        gCO2e = usage.gCO2e.value
        cost = usage.cost.value
        currency = usage.currency
        provenance = usage.provenance.rawValue
    }
}

/// A trained kernel classifier — what a Verdant model file holds (docs/model-format.md).
///
/// Prediction scales new samples with the saved ``scaler``, computes their kernel against the
/// saved support vectors only, and applies the one-vs-one decision functions.
public struct Classifier: Codable, Sendable, Equatable {
    /// The file format's name, `verdant-model`.
    public static let formatName = ModelFile.formatName
    /// The version this Verdant writes and reads.
    public static let currentVersion = ModelFile.currentVersion
    /// The content type of a sealed model file.
    public static let contentType = ModelFile.contentType

    /// Always ``formatName``.
    public var format: String
    /// The format version.
    public var version: Int
    /// The model.
    public var kind: ModelKind
    /// When the model was trained (ISO 8601, UTC).
    public var created: String
    /// The feature columns, in the order the model expects.
    public var featureNames: [String]
    /// The label column's name in the training data.
    public var labelName: String
    /// The class labels, in the order of the classifier's class indices.
    public var classes: [String]
    /// The scaler fitted on the training features.
    public var scaler: Scaler
    /// The encoding (``ModelKind/qsvm``), nil for classical kernels.
    public var featureMap: FeatureMap?
    /// γ of the RBF kernel (``ModelKind/svmRBF``).
    public var gamma: Double?
    /// The SVM's parameters as trained.
    public var parameters: SVCParameters
    /// The support vectors (scaled features), in the order of the dual coefficients' columns.
    public var supportVectors: Matrix
    /// The trained one-vs-one SVMs (scikit-learn's layout).
    public var svm: SupportVectorClassifier
    /// What training measured.
    public var training: TrainingRecord

    /// The number of classes.
    public var classCount: Int { classes.count }

    // MARK: - Training

    /// Trains on `train` and, when given, scores on `test`.
    /// - Parameters:
    ///   - train: the training samples.
    ///   - test: held-out samples with labels (their classes must be among the training classes).
    ///   - configuration: the model and its options.
    ///   - record: the split's seed and fraction to save (nil when the caller made no split).
    /// - Returns: the classifier, its training record filled in (without energy).
    /// - Throws: ``QuantumMLError`` for bad data or options; the SVM's and kernel's errors.
    public static func train(_ train: Dataset, test: Dataset? = nil, configuration: TrainingConfiguration,
                             split: (seed: UInt64, testSize: Double)? = nil) throws -> Classifier
    {
        let present = Set(train.labels)
        guard present.count >= 2 else {
            let only = present.first.map { "\"\(train.classes[$0])\"" } ?? "none"
            throw QuantumMLError.data(location: train.name, found: "the training data has one class (\(only))", valid: "a classifier needs at least two")
        }
        if let test {
            guard test.featureNames == train.featureNames else {
                throw QuantumMLError.shapeMismatch(subject: "the features of the test data \(test.name)", received: "\(test.featureNames)", expected: "the training data \(train.name)'s \(train.featureNames)")
            }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let scaler = try Scaler.fit(train.features, kind: configuration.scale)
        let x = try scaler.transform(train.features)
        var featureMap: FeatureMap? = nil
        var gamma: Double? = nil
        let kernelStart = DispatchTime.now().uptimeNanoseconds
        let kernel: Matrix
        switch configuration.kind {
        case .qsvm:
            let map = try configuration.featureMap ?? .zz(features: train.features.columns, reps: 2)
            try map.checkScaledSamples(raw: train.features, scaled: x, featureNames: train.featureNames, data: train.name, scale: scaler.kind)
            featureMap = map
            kernel = try quantumKernel(map, configuration).trainingMatrix(x)
        case .svmRBF:
            let g = configuration.gamma ?? ClassicalKernel.scaleGamma(x)
            guard g > 0, g.isFinite else {
                throw QuantumMLError.invalidArgument(argument: configuration.gamma == nil ? "gamma = 1 / (features × variance), as scikit-learn's 'scale'" : "gamma",
                                                     received: "\(g)", valid: configuration.gamma == nil
                                                         ? "a positive number: the scaled features' variance is \(g == 0 ? "too large" : "0 or not finite"); scale them (--scale minmax or standard) or give --gamma"
                                                         : "a positive number")
            }
            gamma = g
            kernel = try ClassicalKernel.rbf(x, x, gamma: g)
        case .svmLinear:
            kernel = try ClassicalKernel.linear(x, x)
        }
        let kernelSeconds = Double(DispatchTime.now().uptimeNanoseconds - kernelStart) / 1e9
        let svm = try SupportVectorClassifier.fit(kernel: kernel, labels: train.labels, classCount: train.classes.count,
                                                   parameters: configuration.svm)
        let trainPredictions = try svm.predict(trainingKernel: kernel)
        var model = Classifier(
            format: formatName, version: currentVersion, kind: configuration.kind, created: isoNow(),
            featureNames: train.featureNames, labelName: train.labelName, classes: train.classes, scaler: scaler,
            featureMap: featureMap, gamma: gamma, parameters: configuration.svm,
            supportVectors: x.selectingRows(svm.supportIndices), svm: svm,
            training: TrainingRecord(
                samples: train.count, testSamples: test?.count ?? 0,
                trainAccuracy: accuracy(trainPredictions, train.labels), testAccuracy: nil,
                seed: split?.seed, testSize: split?.testSize, seconds: 0, kernelSeconds: kernelSeconds, energy: nil,
                ranks: configuration.communicator?.size ?? 1, threads: configuration.scheduler.threads, dataset: train.name))
        if let test {
            let predicted = try model.predictClassIndices(test.features, configuration: configuration)
            let truth = try test.labels.map { label in
                guard let index = Dataset.classIndex(of: test.classes[label], in: model.classes) else {
                    throw QuantumMLError.data(location: test.name, found: "class \"\(test.classes[label])\" is not among the training classes", valid: "the classes are \(model.classes)")
                }
                return index
            }
            model.training.testAccuracy = accuracy(predicted, truth)
        }
        model.training.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return model
    }

    private static func quantumKernel(_ map: FeatureMap, _ configuration: TrainingConfiguration) -> QuantumKernel {
        var kernel = QuantumKernel(featureMap: map, scheduler: configuration.scheduler, communicator: configuration.communicator)
        kernel.progress = configuration.progress
        kernel.noise = configuration.noise
        return kernel
    }

    // MARK: - Prediction

    /// The kernel between raw (unscaled) samples and the support vectors.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` for a wrong feature count; kernel errors.
    public func supportKernel(_ features: Matrix, configuration: TrainingConfiguration? = nil) throws -> Matrix {
        guard features.columns == featureNames.count else {
            throw QuantumMLError.shapeMismatch(subject: "the data", received: "\(features.columns) features", expected: "\(featureNames.count), as the model takes (\(featureNames.joined(separator: ", ")))")
        }
        let x = try scaler.transform(features)
        switch kind {
        case .qsvm:
            guard let featureMap else { throw QuantumMLError.model(path: "model", found: "a qsvm model without a feature map", valid: "a qsvm model needs a featureMap") }
            try featureMap.checkScaledSamples(raw: features, scaled: x, featureNames: featureNames, data: "the data", scale: scaler.kind)
            var kernel = QuantumKernel(featureMap: featureMap, scheduler: configuration?.scheduler ?? .shared,
                                       communicator: configuration?.communicator)
            kernel.progress = configuration?.progress
            kernel.noise = configuration?.noise
            return try kernel.matrix(x, supportVectors)
        case .svmRBF:
            return try ClassicalKernel.rbf(x, supportVectors, gamma: gamma ?? 1)
        case .svmLinear:
            return try ClassicalKernel.linear(x, supportVectors)
        }
    }

    /// Class indices (into ``classes``) for raw samples.
    /// - Throws: as ``supportKernel(_:configuration:)``.
    public func predictClassIndices(_ features: Matrix, configuration: TrainingConfiguration? = nil) throws -> [Int] {
        try svm.predict(supportKernel: supportKernel(features, configuration: configuration))
    }

    /// Class labels for raw samples.
    /// - Throws: as ``supportKernel(_:configuration:)``.
    public func predict(_ features: Matrix, configuration: TrainingConfiguration? = nil) throws -> [String] {
        try predictClassIndices(features, configuration: configuration).map { classes[$0] }
    }

    /// The one-vs-one decision values for raw samples (scikit-learn's `decision_function`, 'ovo').
    /// - Throws: as ``supportKernel(_:configuration:)``.
    public func decisionFunction(_ features: Matrix, configuration: TrainingConfiguration? = nil) throws -> Matrix {
        try svm.decisionFunction(supportKernel: supportKernel(features, configuration: configuration))
    }

    /// The fraction of `predicted` equal to `truth`.
    public static func accuracy(_ predicted: [Int], _ truth: [Int]) -> Double {
        guard !truth.isEmpty, predicted.count == truth.count else { return 0 }
        return Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
    }

    private static func isoNow() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
