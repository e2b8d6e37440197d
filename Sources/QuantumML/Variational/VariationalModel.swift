import Energy
import Foundation
import Parallel
import Privacy
import Quantum

/// The affine map of a regressor's targets to [−1, 1], the range of an expectation value:
/// scaled = (t − offset)·factor with offset = (min + max)/2 and factor = 2/(max − min) over the
/// training targets (factor 1 for constant targets). Predictions are mapped back.
public struct TargetScaling: Codable, Sendable, Equatable {
    /// Subtracted from a target.
    public let offset: Double
    /// Multiplies the difference.
    public let factor: Double

    /// The scaling that maps the targets' range onto [−1, 1].
    static func fit(_ targets: [Double], bounds: ClosedRange<Double>? = nil) -> TargetScaling {
        if let bounds { return fit([bounds.lowerBound, bounds.upperBound]) }
        let low = targets.min() ?? 0, high = targets.max() ?? 0
        let range = high - low
        let factor = 2 / range
        return TargetScaling(offset: low + range / 2, factor: range > 0 && factor.isFinite ? factor : 1)
    }

    /// A target in the model's units.
    func scaled(_ t: Double) -> Double { (t - offset) * factor }
    /// A model output in the targets' units.
    func unscaled(_ y: Double) -> Double { y / factor + offset }
}

/// The trained hybrid layer: outputs = W·e + b.
public struct LinearLayer: Codable, Sendable, Equatable {
    /// W: outputs × inputs.
    public var weights: Matrix
    /// b: one per output.
    public var bias: [Double]
}

/// What training a variational model measured, saved in the model file.
public struct VariationalTrainingRecord: Codable, Sendable, Equatable {
    /// Samples the optimiser trained on (after the validation holdout).
    public var samples: Int
    /// Samples held out for validation (0 without a split).
    public var validationSamples: Int
    /// Test samples scored after training (0 when none).
    public var testSamples: Int
    /// Accuracy of the final model on its training samples (classifier).
    public var trainAccuracy: Double?
    /// Accuracy on the test samples (classifier with test data).
    public var testAccuracy: Double?
    /// Mean squared error on the training samples, in the targets' units (regressor).
    public var trainMSE: Double?
    /// Mean squared error on the test samples, in the targets' units (regressor with test data).
    public var testMSE: Double?
    /// Mean absolute error on the training samples, in the targets' units (regressor; absent
    /// from files written before it was recorded).
    public var trainMAE: Double?
    /// Mean absolute error on the test samples (regressor with test data).
    public var testMAE: Double?
    /// R², the coefficient of determination, on the training samples (regressor; absent from
    /// files written before it was recorded). See ``RegressionMetrics``.
    public var trainR2: Double?
    /// R² on the test samples (regressor with test data).
    public var testR2: Double?
    /// Epochs run (fewer than configured when training stopped early).
    public var epochs: Int
    /// The epoch whose weights the model holds (with a validation split).
    public var bestEpoch: Int?
    /// Whether early stopping ended training.
    public var stoppedEarly: Bool
    /// The optimiser.
    public var optimizer: Optimizer
    /// Samples per step.
    public var batchSize: Int
    /// The training seed (initialisation, batch order, SPSA, validation split).
    public var seed: UInt64
    /// The validation share.
    public var validationFraction: Double
    /// The early-stopping patience, if any.
    public var patience: Int?
    /// `adjoint` or `parameter-shift`.
    public var gradientMethod: String
    /// The seed of the caller's train/test split, when there was one.
    public var splitSeed: UInt64?
    /// The test fraction of that split.
    public var testSize: Double?
    /// Wall-clock seconds of training.
    public var seconds: Double
    /// Ranks that shared the mini-batches.
    public var ranks: Int
    /// Threads per rank.
    public var threads: Int
    /// The data set's name.
    public var dataset: String
    /// Energy of the training job, when the caller measured it.
    public var energy: EnergyRecord?
    /// The differential privacy guarantee of a DP-SGD run (ε, δ, σ, q, steps, clipping norm,
    /// accountant); absent for plain training and from files written before it was recorded.
    public var privacy: DifferentialPrivacyRecord?
}

/// A trained variational quantum classifier (`vqc`) or regressor (`vqr`): a Verdant model file
/// (docs/model-format.md).
///
/// The circuit is the ``featureMap`` (one parameter per scaled feature) followed by the
/// ``ansatz`` (the trained ``weights``); the ``readout``'s expectations give the outputs, through
/// the ``linear`` layer when the model is hybrid. Prediction compiles the circuit once and binds it
/// per sample.
public struct VariationalModel: Codable, Sendable, Equatable {
    /// The two variational models.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Classifier.
        case vqc
        /// Regressor.
        case vqr
    }

    /// Always `verdant-model`.
    public var format: String
    /// The format version (1).
    public var version: Int
    /// Classifier or regressor.
    public var kind: Kind
    /// When the model was trained (ISO 8601, UTC).
    public var created: String
    /// The feature columns, in the order the model expects.
    public var featureNames: [String]
    /// The label (classifier) or target (regressor) column's name.
    public var labelName: String
    /// The class labels in class-index order (classifier; nil for a regressor).
    public var classes: [String]?
    /// The scaler fitted on the training features.
    public var scaler: Scaler
    /// The targets' scaling (regressor).
    public var targetScaling: TargetScaling?
    /// The encoding.
    public var featureMap: FeatureMap
    /// The trainable circuit.
    public var ansatz: Ansatz
    /// How expectations become outputs.
    public var readout: Readout
    /// The trained circuit parameters, in the ansatz's order.
    public var weights: [Double]
    /// The trained linear layer (hybrid models).
    public var linear: LinearLayer?
    /// One record per epoch run.
    public var history: [EpochRecord]
    /// What training measured.
    public var training: VariationalTrainingRecord

    /// Whether the model has a linear layer.
    public var isHybrid: Bool { linear != nil }

    // MARK: - Training

    /// Trains a classifier on `train` and, when given, scores it on `test`.
    /// - Parameters:
    ///   - train: the training samples (at least two classes present).
    ///   - test: held-out samples with the same features (their classes must be among the training classes).
    ///   - configuration: the circuit, readout, optimiser and schedule.
    ///   - split: the caller's train/test split seed and fraction, to save (nil when none).
    /// - Returns: the model, its history and training record filled in (without energy).
    /// - Throws: ``QuantumMLError`` for bad data or configuration (each message names the value and
    ///   what is valid); the simulator's and communicator's errors.
    public static func trainClassifier(_ train: Dataset, test: Dataset? = nil, configuration: VariationalConfiguration,
                                       split: (seed: UInt64, testSize: Double)? = nil) throws -> VariationalModel
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let setup = try VariationalSetup.classifier(train, test: test, configuration)
        let scaled = try setup.scaler.transform(train.features)
        try setup.featureMap.checkScaledSamples(raw: train.features, scaled: scaled, featureNames: train.featureNames, data: train.name,
                                                scale: setup.scaler.kind)
        var samples = TrainingSamples(x: scaled, targets: train.labels.map(Double.init))
        var validation: TrainingSamples? = nil
        if configuration.validationFraction > 0 {
            let (fit, held) = try stratifiedSplit(train, testFraction: configuration.validationFraction, seed: configuration.seed)
            samples = TrainingSamples(x: try setup.scaler.transform(fit.features), targets: fit.labels.map(Double.init))
            validation = TrainingSamples(x: try setup.scaler.transform(held.features), targets: held.labels.map(Double.init))
        }
        var model = try fit(setup, samples, validation, configuration, kind: .vqc, featureNames: train.featureNames,
                            labelName: train.labelName, classes: train.classes, targetScaling: nil, dataset: train.name, split: split,
                            started: start)
        model.training.trainAccuracy = try model.accuracy(train.features, train.labels, configuration)
        if let test {
            let truth = try test.labels.map { label in
                guard let index = Dataset.classIndex(of: test.classes[label], in: train.classes) else {
                    throw QuantumMLError.data(location: test.name, found: "class \"\(test.classes[label])\" is not among the training classes", valid: "the classes are \(train.classes)")
                }
                return index
            }
            model.training.testSamples = test.count
            model.training.testAccuracy = try model.accuracy(test.features, truth, configuration)
        }
        model.training.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return model
    }

    /// Trains a regressor on `features` → `targets` and, when given, scores it on `test`.
    /// - Parameters:
    ///   - features: training samples × features (finite).
    ///   - targets: one finite target per sample.
    ///   - featureNames: one distinct name per feature (nil: `x0`, `x1`, …).
    ///   - targetName: the target column's name.
    ///   - test: held-out features and targets.
    ///   - dataset: a name for the record.
    ///   - configuration: the circuit, readout, optimiser and schedule (the readout's first
    ///     expectation is the prediction; hybrid: w·e + b).
    ///   - split: the caller's train/test split seed and fraction, to save.
    /// - Returns: the model, its history and training record filled in (without energy).
    /// - Throws: ``QuantumMLError`` for bad data or configuration; the simulator's and
    ///   communicator's errors.
    public static func trainRegressor(features: Matrix, targets: [Double], featureNames: [String]? = nil,
                                      targetName: String = "target", test: (features: Matrix, targets: [Double])? = nil,
                                      dataset: String = "data", configuration: VariationalConfiguration,
                                      split: (seed: UInt64, testSize: Double)? = nil) throws -> VariationalModel
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let names = featureNames ?? (0..<features.columns).map { "x\($0)" }
        let setup = try VariationalSetup.regressor(features: features, targets: targets, featureNames: names, test: test,
                                                   configuration)
        let targetScaling = TargetScaling.fit(targets, bounds: configuration.targetBounds)
        let scaled = try setup.scaler.transform(features)
        try setup.featureMap.checkScaledSamples(raw: features, scaled: scaled, featureNames: names, data: "the training data",
                                                scale: setup.scaler.kind)
        let all = TrainingSamples(x: scaled, targets: targets.map(targetScaling.scaled))
        var samples = all
        var validation: TrainingSamples? = nil
        if configuration.validationFraction > 0 {
            let (fit, held) = try VariationalSetup.randomSplit(count: targets.count, fraction: configuration.validationFraction,
                                                           seed: configuration.seed)
            samples = TrainingSamples(x: scaled.selectingRows(fit), targets: fit.map { all.targets[$0] })
            validation = TrainingSamples(x: scaled.selectingRows(held), targets: held.map { all.targets[$0] })
        }
        var model = try fit(setup, samples, validation, configuration, kind: .vqr, featureNames: names, labelName: targetName,
                            classes: nil, targetScaling: targetScaling, dataset: dataset, split: split, started: start)
        let trainMetrics = try model.regressionMetrics(features, targets, configuration)
        model.training.trainMSE = trainMetrics.meanSquaredError
        model.training.trainMAE = trainMetrics.meanAbsoluteError
        model.training.trainR2 = trainMetrics.rSquared
        if let test, !test.targets.isEmpty {
            let testMetrics = try model.regressionMetrics(test.features, test.targets, configuration)
            model.training.testSamples = test.targets.count
            model.training.testMSE = testMetrics.meanSquaredError
            model.training.testMAE = testMetrics.meanAbsoluteError
            model.training.testR2 = testMetrics.rSquared
        }
        model.training.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return model
    }

    /// Trains a regressor on `train` and, when given, scores it on `test` (MSE, MAE and R² of both
    /// are saved in ``training``).
    /// - Parameters:
    ///   - train: the training samples and targets.
    ///   - test: held-out samples with the same feature names.
    ///   - configuration: the circuit, readout, optimiser and schedule (the readout's first
    ///     expectation is the prediction; hybrid: w·e + b).
    ///   - split: the caller's train/test split seed and fraction, to save (nil when none).
    /// - Returns: the model, its history and training record filled in (without energy).
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when the test data's features differ from the
    ///   training data's; the errors of
    ///   ``trainRegressor(features:targets:featureNames:targetName:test:dataset:configuration:split:)``.
    public static func trainRegressor(_ train: RegressionData, test: RegressionData? = nil, configuration: VariationalConfiguration,
                                      split: (seed: UInt64, testSize: Double)? = nil) throws -> VariationalModel
    {
        if let test, test.featureNames != train.featureNames {
            throw QuantumMLError.shapeMismatch(subject: "the features of the test data \(test.name)", received: "\(test.featureNames)", expected: "the training data \(train.name)'s \(train.featureNames)")
        }
        return try trainRegressor(features: train.features, targets: train.targets, featureNames: train.featureNames,
                                  targetName: train.targetName, test: test.map { ($0.features, $0.targets) }, dataset: train.name,
                                  configuration: configuration, split: split)
    }

    /// Runs the loop (resuming from a checkpoint when asked) and assembles the model; its
    /// `seconds` holds the training time of a resumed run's earlier sessions.
    static func fit(_ setup: VariationalSetup, _ samples: TrainingSamples, _ validation: TrainingSamples?,
                    _ configuration: VariationalConfiguration, kind: Kind, featureNames: [String], labelName: String,
                    classes: [String]?, targetScaling: TargetScaling?, dataset: String,
                    split: (seed: UInt64, testSize: Double)?, started: UInt64) throws -> VariationalModel
    {
        guard samples.count >= 1 else {
            throw QuantumMLError.invalidArgument(argument: "the training samples left after the validation split", received: "none", valid: "at least one")
        }
        let problem = try VariationalProblem(featureMap: setup.featureMap, ansatz: setup.ansatz, head: setup.head,
                                             method: configuration.gradientMethod, noise: configuration.noise)
        let communicator = configuration.communicator ?? LocalCommunicator()
        if let privacy = configuration.privacy, privacy.noisePerSite {
            guard samples.shard != nil else {
                throw QuantumMLError.invalidArgument(
                    argument: "noise per site", received: "a run without federated shards (every rank holds every row)",
                    valid: "used with federated shards (--data 'site-{rank}.csv') and --secure-aggregation; otherwise the noise is added once to the aggregate")
            }
            guard communicator.size == 1 || communicator is any AggregatesPrivately else {
                throw QuantumMLError.invalidArgument(
                    argument: "noise per site", received: "sums without secure aggregation: every rank would see each site's partial sum "
                        + "with only that site's share of the noise (σ²C²/(P − 1))",
                    valid: "used with secure aggregation (--secure-aggregation --cluster-key FILE), which reveals only the total")
            }
        }
        let initial = VariationalTrainer.initialParameters(problem, seed: configuration.seed)
        // The data checks and one sample on this process first: the circuit's own errors (such as
        // a parameter-shift gradient through a gate it cannot shift) surface here unwrapped, before
        // any collective. With federated shards each rank checks its own rows, and the ranks agree
        // on the outcome, so that a failure on one site stops every rank.
        let check = {
            try problem.checkEncodable(samples.x, name: "training data")
            if let validation { try problem.checkEncodable(validation.x, name: "validation data") }
            guard samples.x.rows > 0 else { return }
            var probe = [Double](repeating: 0, count: problem.parameterCount + 2)
            if configuration.optimizer.usesGradients {
                try problem.addGradient(samples.x, row: 0, target: samples.targets[0], theta: initial, into: &probe)
            } else {
                _ = try problem.loss(samples.x, row: 0, target: samples.targets[0], theta: initial)
            }
        }
        if samples.shard != nil { try TrainingRun.agree(communicator, check) } else { try check() }
        let run = try TrainingRun.run(problem, setup, samples, validation, configuration, kind: kind, targetScaling: targetScaling,
                                      started: started)
        let outcome = run.result

        let weightCount = problem.weightCount
        var linear: LinearLayer? = nil
        if setup.head.hybrid {
            let m = setup.head.inputCount, outputs = setup.head.outputCount
            linear = LinearLayer(weights: try Matrix(rows: outputs, columns: m, values: Array(outcome.theta[weightCount..<(weightCount + outputs * m)])),
                                 bias: Array(outcome.theta[(weightCount + outputs * m)...]))
        }
        return VariationalModel(
            format: ModelFile.formatName, version: ModelFile.currentVersion, kind: kind, created: ModelFile.timestamp(),
            featureNames: featureNames, labelName: labelName, classes: classes, scaler: setup.scaler, targetScaling: targetScaling,
            featureMap: setup.featureMap, ansatz: setup.ansatz, readout: configuration.readout,
            weights: Array(outcome.theta[..<weightCount]), linear: linear, history: outcome.history,
            training: VariationalTrainingRecord(
                samples: samples.count, validationSamples: validation?.count ?? 0, testSamples: 0,
                trainAccuracy: nil, testAccuracy: nil, trainMSE: nil, testMSE: nil,
                epochs: outcome.history.count, bestEpoch: outcome.bestEpoch, stoppedEarly: outcome.stoppedEarly,
                optimizer: configuration.optimizer, batchSize: configuration.batchSize, seed: configuration.seed,
                validationFraction: configuration.validationFraction, patience: configuration.patience,
                gradientMethod: configuration.gradientMethod.rawValue, splitSeed: split?.seed, testSize: split?.testSize,
                seconds: run.earlierSeconds, ranks: communicator.size, threads: configuration.scheduler.threads, dataset: dataset,
                energy: nil, privacy: try run.plan.flatMap { plan in try outcome.privacy.map { try plan.record($0) } }))
    }

    private func accuracy(_ features: Matrix, _ truth: [Int], _ configuration: VariationalConfiguration) throws -> Double {
        let predicted = try predictClassIndices(features, scheduler: configuration.scheduler, communicator: configuration.communicator,
                                                noise: configuration.noise)
        return Classifier.accuracy(predicted, truth)
    }

    /// MSE, MAE and R² of the model's predictions for checked, non-empty `features` and `targets`.
    private func regressionMetrics(_ features: Matrix, _ targets: [Double], _ configuration: VariationalConfiguration) throws
        -> RegressionMetrics
    {
        let predicted = try predictValues(features, scheduler: configuration.scheduler, communicator: configuration.communicator,
                                          noise: configuration.noise)
        return RegressionMetrics.measure(predicted, targets)
    }

    // MARK: - Prediction

    /// The flat parameter vector θ (weights, then W row-major, then b).
    var parameters: [Double] {
        weights + (linear.map { $0.weights.values + $0.bias } ?? [])
    }

    /// The readout head of this model.
    var head: ReadoutHead {
        ReadoutHead(classes: kind == .vqc ? classes?.count : nil, readout: readout, hybrid: isHybrid, qubits: ansatz.qubits)
    }

    /// One output row per sample (probabilities or the scaled value), spread over ranks and threads.
    private func outputs(_ features: Matrix, scheduler: Scheduler, communicator: (any Communicator)?,
                         noise: NoiseSettings?) throws -> [[Double]] {
        guard features.columns == featureNames.count else {
            throw QuantumMLError.shapeMismatch(subject: "the data", received: "\(features.columns) features", expected: "\(featureNames.count), as the model takes (\(featureNames.joined(separator: ", ")))")
        }
        if let bad = features.values.firstIndex(where: { !$0.isFinite }) {
            throw QuantumMLError.invalidArgument(argument: "feature \(bad % features.columns) of sample \(bad / features.columns)", received: "\(features.values[bad])", valid: "finite")
        }
        let x = try scaler.transform(features)
        try featureMap.checkScaledSamples(raw: features, scaled: x, featureNames: featureNames, data: "the data", scale: scaler.kind)
        try noise?.validate()
        let problem = try VariationalProblem(featureMap: featureMap, ansatz: ansatz, head: head, method: .adjoint, noise: noise)
        try problem.checkEncodable(x, name: "data")
        let theta = parameters
        let communicator = communicator ?? LocalCommunicator()
        return try communicator.map(count: x.rows, using: scheduler) { row in try problem.outputs(x, row: row, theta: theta) }
    }

    /// Class probabilities for raw (unscaled) samples: samples × classes.
    /// - Parameters:
    ///   - features: samples × ``featureNames`` count.
    ///   - scheduler: this process's threads.
    ///   - communicator: ranks to share the samples (nil: this process alone).
    ///   - noise: predict under noise (nil: ideal), as the model would run on a noisy device.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a regressor or non-finite features,
    ///   ``QuantumMLError/shapeMismatch(subject:received:expected:)`` for a wrong feature count; parallel errors.
    public func scores(_ features: Matrix, scheduler: Scheduler = .shared, communicator: (any Communicator)? = nil,
                       noise: NoiseSettings? = nil) throws -> Matrix {
        guard kind == .vqc, let classes else {
            throw QuantumMLError.invalidArgument(argument: "the model of predict", received: "a \(kind.rawValue) model, which predicts values, not class scores", valid: "a classifier (vqc; call predictValues for a regressor)")
        }
        let rows = try outputs(features, scheduler: scheduler, communicator: communicator, noise: noise)
        return try Matrix(rows: rows.count, columns: classes.count, values: rows.flatMap { $0 })
    }

    /// Class indices (into ``classes``) for raw samples: the most probable class, ties to the lower index.
    /// - Throws: as ``scores(_:scheduler:communicator:)``.
    public func predictClassIndices(_ features: Matrix, scheduler: Scheduler = .shared,
                                    communicator: (any Communicator)? = nil, noise: NoiseSettings? = nil) throws -> [Int]
    {
        let probabilities = try scores(features, scheduler: scheduler, communicator: communicator, noise: noise)
        return probabilities.rowArrays.map(ReadoutHead.argmax)
    }

    /// Class labels for raw samples.
    /// - Throws: as ``scores(_:scheduler:communicator:)``.
    public func predict(_ features: Matrix, scheduler: Scheduler = .shared, communicator: (any Communicator)? = nil,
                        noise: NoiseSettings? = nil) throws -> [String] {
        let indices = try predictClassIndices(features, scheduler: scheduler, communicator: communicator, noise: noise)
        let classes = classes ?? []
        return indices.map { classes[$0] }
    }

    /// Predicted targets for raw samples (regressor), in the targets' units.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a classifier or non-finite features,
    ///   ``QuantumMLError/shapeMismatch(subject:received:expected:)`` for a wrong feature count; parallel errors.
    public func predictValues(_ features: Matrix, scheduler: Scheduler = .shared,
                              communicator: (any Communicator)? = nil, noise: NoiseSettings? = nil) throws -> [Double]
    {
        guard kind == .vqr, let targetScaling else {
            throw QuantumMLError.invalidArgument(argument: "the model of predictValues", received: "a \(kind.rawValue) model, which predicts classes, not values", valid: "a regressor (vqr; call predict for a classifier)")
        }
        return try outputs(features, scheduler: scheduler, communicator: communicator, noise: noise).map { targetScaling.unscaled($0[0]) }
    }
}
