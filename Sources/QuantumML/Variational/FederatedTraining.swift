import Foundation
import Parallel

// Training on federated shards: each rank holds only its own rows (its site's data). The ranks
// agree on what must be common — the columns, the class list, the scaler, the row counts — and then
// run the ordinary loop in one global index space (the shards in rank order): the batch order and
// DP-SGD's Poisson batches are drawn over all N = Σ N_r rows with the same seeds on every rank, each
// rank computes the terms of the batch rows it holds, and the partial sums meet in one sum per step
// (masked with secure aggregation). Rows never leave their rank.

/// The agreement of the ranks' shards on their columns and classes.
enum FederatedAgreement {
    /// Agrees the columns (label and features, in order: rank 0's must be every rank's) and the
    /// class list — the union of every rank's classes (training and test), sorted as
    /// ``Dataset/sortedClassNames(_:)`` sorts — and maps each rank's labels onto it.
    /// - Parameters:
    ///   - train: this rank's training rows.
    ///   - test: this rank's test rows, if any.
    ///   - communicator: the ranks.
    /// - Returns: the shards with the agreed class list (the same on every rank).
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` naming the first rank whose columns
    ///   differ from rank 0's (on every rank); ``QuantumMLError/invalidArgument(argument:received:valid:)``
    ///   when a test set's columns differ from its training shard's; the communicator's errors.
    static func columnsAndClasses(_ train: Dataset, test: Dataset?, over communicator: any Communicator) throws
        -> (train: Dataset, test: Dataset?)
    {
        try TrainingRun.agree(communicator) {
            if let test, test.featureNames != train.featureNames || test.labelName != train.labelName {
                throw QuantumMLError.shapeMismatch(subject: "the columns of the test shard \(test.name)",
                                                   received: "\(test.featureNames + [test.labelName])",
                                                   expected: "the training shard \(train.name)'s \(train.featureNames + [train.labelName])")
            }
        }
        try columns(label: train.labelName, features: train.featureNames, name: train.name, over: communicator)
        let classLists = try communicator.allgather(encoded(train.classes + (test?.classes ?? [])))
        let union = Dataset.sortedClassNames(classLists.flatMap(decoded))
        func mapped(_ data: Dataset) -> Dataset {
            let index = data.classes.map { Dataset.classIndex(of: $0, in: union) ?? 0 }
            return Dataset(unchecked: data.name, features: data.features, labels: data.labels.map { index[$0] },
                    classes: union, featureNames: data.featureNames, labelName: data.labelName)
        }
        return (mapped(train), test.map(mapped))
    }

    /// Agrees the label (or target) and feature columns: rank 0's must be every rank's.
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` naming the first rank whose columns
    ///   differ (on every rank: each rank sees every rank's names); the communicator's errors.
    /// - Parameters:
    ///   - label: this rank's label (or target) column.
    ///   - features: this rank's feature columns.
    ///   - name: this rank's shard, as the message should name it (its file).
    ///   - communicator: the ranks.
    static func columns(label: String, features: [String], name: String, over communicator: any Communicator) throws {
        // Each rank's shard name first, then its columns.
        let gathered = try communicator.allgather(encoded([name, label] + features)).map(decoded)
        for (rank, names) in gathered.enumerated() where names.dropFirst() != gathered[0].dropFirst() {
            throw QuantumMLError.shardsDisagree(rank: rank, path: names.first ?? "the shard",
                                                found: "its columns are \(describe(Array(names.dropFirst())))",
                                                expected: describe(Array(gathered[0].dropFirst())))
        }
    }

    /// The names as one JSON array's bytes.
    private static func encoded(_ names: [String]) throws -> [UInt8] {
        Array(try JSONEncoder().encode(names))
    }

    private static func decoded(_ bytes: [UInt8]) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(bytes))) ?? []
    }

    private static func describe(_ names: [String]) -> String {
        guard let label = names.first else { return "none" }
        return "label \"\(label)\", features " + names.dropFirst().map { "\"\($0)\"" }.joined(separator: ", ")
    }
}

extension VariationalModel {
    /// Trains a classifier on federated shards: `shard` is this rank's rows only, and every rank of
    /// `configuration.communicator` calls this with its own shard and the same configuration.
    ///
    /// The ranks agree on the columns (rank 0's), the class list (the union of every rank's
    /// classes, sorted), the row counts (allgathered; the shards form one index space in rank
    /// order, N = Σ N_r) and the scaler (``VariationalConfiguration/featureBounds``, `none`, or the
    /// fitted scaler agreed from per-rank minima and maxima — or sums, for `standard`). Then every
    /// rank runs the same loop: batches (shuffled, or DP-SGD's Poisson batches at q = B/N) over the
    /// global indices, each rank computing the terms of the batch rows it holds, their partial sums
    /// added in one sum per step (masked when the communicator aggregates privately), the mean
    /// divided by the batch size (or q·N) — so the model equals the one-process model on the
    /// concatenated shards with the same seed, within floating-point rounding of the sums (and
    /// within the masking layer's quantisation under secure aggregation). A validation share is held
    /// out of each shard (stratified per shard). Accuracies count every rank's rows (summed counts).
    ///
    /// - Parameters:
    ///   - shard: this rank's training rows (at least one).
    ///   - test: this rank's test rows, if any.
    ///   - configuration: the circuit, readout, optimiser and schedule, with the ranks as its
    ///     communicator; with checkpoints every rank writes its own (`checkpoint-STEPS-rankR`), and a
    ///     resume refuses a rank whose shard is not the one it trained on.
    ///   - split: the caller's train/test split seed and fraction, to save (nil when none).
    /// - Returns: the model, the same on every rank.
    /// - Throws: ``QuantumMLError`` for shards that disagree, ``CheckpointError`` (a resume whose
    ///   checkpoints or shards do not fit), and the errors of
    ///   ``trainClassifier(_:test:configuration:split:)`` — each on every rank (a rank whose own
    ///   rows fail makes the others throw ``CommunicationError/rankFailed(rank:message:status:)``).
    public static func trainFederatedClassifier(_ shard: Dataset, test: Dataset? = nil, configuration: VariationalConfiguration,
                                                split: (seed: UInt64, testSize: Double)? = nil) throws -> VariationalModel
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let communicator = configuration.communicator ?? LocalCommunicator()
        let (train, test) = try FederatedAgreement.columnsAndClasses(shard, test: test, over: communicator)
        // Fitted scaling, agreed over the ranks; DP-SGD refuses it in the setup's checks, before any
        // statistic of the rows is exchanged.
        var agreedScaler: Scaler? = nil
        if configuration.featureBounds == nil, configuration.privacy == nil {
            agreedScaler = try Scaler.agreed(train.features, kind: configuration.scale, over: communicator)
        }
        let setup = try TrainingRun.agree(communicator) {
            try VariationalSetup.classifier(train, test: test, configuration, agreedScaler: agreedScaler, federated: true)
        }
        var fitRows = train, held: Dataset? = nil
        if configuration.validationFraction > 0 {
            (fitRows, held) = try TrainingRun.agree(communicator) {
                let parts = try stratifiedSplit(train, testFraction: configuration.validationFraction, seed: configuration.seed)
                return (parts.train, Optional(parts.test))
            }
        }
        func samples(_ data: Dataset) throws -> TrainingSamples {
            let layout = try SampleShard.agree(localCount: data.count, over: communicator)
            return TrainingSamples(x: try setup.scaler.transform(data.features), targets: data.labels.map(Double.init), shard: layout.shard)
        }
        let fitSamples = try samples(fitRows)
        let validation = try held.map(samples)
        var model = try fit(setup, fitSamples, validation, configuration, kind: .vqc, featureNames: train.featureNames,
                            labelName: train.labelName, classes: train.classes, targetScaling: nil, dataset: train.name, split: split,
                            started: start)
        let trained = try model.federatedAccuracy(train, configuration, over: communicator)
        model.training.trainAccuracy = trained.accuracy
        if let test {
            let scored = try model.federatedAccuracy(test, configuration, over: communicator)
            model.training.testSamples = scored.count
            model.training.testAccuracy = scored.accuracy
        }
        model.training.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return model
    }

    /// The accuracy over every rank's rows: each rank predicts its own rows, and the correct and
    /// total counts are summed over the ranks (masked under secure aggregation; rounded back to
    /// whole counts).
    private func federatedAccuracy(_ data: Dataset, _ configuration: VariationalConfiguration,
                                   over communicator: any Communicator) throws -> (accuracy: Double?, count: Int)
    {
        let correct = try TrainingRun.agree(communicator) { () -> Int in
            guard data.count > 0 else { return 0 }
            let predicted = try predictClassIndices(data.features, scheduler: configuration.scheduler, communicator: nil,
                                                    noise: configuration.noise)
            return zip(predicted, data.labels).filter { $0 == $1 }.count
        }
        let sums = try communicator.allreduce([Double(correct), Double(data.count)], .sum).map { $0.rounded() }
        let count = Int(sums[1])
        return (count > 0 ? sums[0] / sums[1] : nil, count)
    }
}

extension VariationalModel {
    /// Trains a regressor on federated shards: `shard` is this rank's rows only, and every rank of
    /// `configuration.communicator` calls this with its own shard and the same configuration.
    ///
    /// As ``trainFederatedClassifier(_:test:configuration:split:)``, with the target column agreed
    /// with the features, the targets' scaling from ``VariationalConfiguration/targetBounds`` or
    /// from the minimum and maximum target over every rank (allreduced: exactly the one-process
    /// scaling of the concatenated rows), a random validation share of each shard, and MSE, MAE and
    /// R² over every rank's rows (from summed residuals, targets and squared deviations from the
    /// agreed mean). The model equals the one-process model on the concatenated shards within
    /// rounding (within the quantisation under secure aggregation).
    ///
    /// - Parameters:
    ///   - shard: this rank's training rows (at least one).
    ///   - test: this rank's test rows, if any.
    ///   - configuration: as for ``trainRegressor(_:test:configuration:split:)``, with the ranks as
    ///     its communicator; checkpoints as for the classifier.
    ///   - split: the caller's train/test split seed and fraction, to save (nil when none).
    /// - Returns: the model, the same on every rank.
    /// - Throws: as ``trainFederatedClassifier(_:test:configuration:split:)`` and
    ///   ``trainRegressor(_:test:configuration:split:)``, on every rank.
    public static func trainFederatedRegressor(_ shard: RegressionData, test: RegressionData? = nil,
                                               configuration: VariationalConfiguration,
                                               split: (seed: UInt64, testSize: Double)? = nil) throws -> VariationalModel
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let communicator = configuration.communicator ?? LocalCommunicator()
        try TrainingRun.agree(communicator) {
            if let test, test.featureNames != shard.featureNames {
                throw QuantumMLError.shapeMismatch(subject: "the features of the test shard \(test.name)", received: "\(test.featureNames)",
                                                   expected: "the training shard \(shard.name)'s \(shard.featureNames)")
            }
        }
        try FederatedAgreement.columns(label: shard.targetName, features: shard.featureNames, name: shard.name, over: communicator)
        var agreedScaler: Scaler? = nil
        if configuration.featureBounds == nil, configuration.privacy == nil {
            agreedScaler = try Scaler.agreed(shard.features, kind: configuration.scale, over: communicator)
        }
        let setup = try TrainingRun.agree(communicator) {
            try VariationalSetup.regressor(features: shard.features, targets: shard.targets, featureNames: shard.featureNames,
                                           test: test.map { ($0.features, $0.targets) }, configuration, agreedScaler: agreedScaler)
        }
        // The targets' scaling: public bounds, or the extremes over every rank (DP-SGD has refused
        // a regressor without bounds in the setup's checks).
        let targetScaling: TargetScaling
        if let bounds = configuration.targetBounds {
            targetScaling = TargetScaling.fit([], bounds: bounds)
        } else {
            let low = try communicator.allreduce([shard.targets.min() ?? .infinity], .min)[0]
            let high = try communicator.allreduce([shard.targets.max() ?? -.infinity], .max)[0]
            targetScaling = TargetScaling.fit([low, high])
        }
        var fitRows = Array(0..<shard.count), heldRows: [Int]? = nil
        if configuration.validationFraction > 0 {
            (fitRows, heldRows) = try TrainingRun.agree(communicator) {
                let parts = try VariationalSetup.randomSplit(count: shard.count, fraction: configuration.validationFraction,
                                                             seed: configuration.seed)
                return (parts.fit, Optional(parts.held))
            }
        }
        let scaled = try setup.scaler.transform(shard.features)
        func samples(_ rows: [Int]) throws -> TrainingSamples {
            let layout = try SampleShard.agree(localCount: rows.count, over: communicator)
            return TrainingSamples(x: scaled.selectingRows(rows), targets: rows.map { targetScaling.scaled(shard.targets[$0]) },
                                   shard: layout.shard)
        }
        let fitSamples = try samples(fitRows)
        let validation = try heldRows.map(samples)
        var model = try fit(setup, fitSamples, validation, configuration, kind: .vqr, featureNames: shard.featureNames,
                            labelName: shard.targetName, classes: nil, targetScaling: targetScaling, dataset: shard.name, split: split,
                            started: start)
        if let metrics = try model.federatedRegressionMetrics(shard.features, shard.targets, configuration, over: communicator).metrics {
            model.training.trainMSE = metrics.meanSquaredError
            model.training.trainMAE = metrics.meanAbsoluteError
            model.training.trainR2 = metrics.rSquared
        }
        if let test {
            let scored = try model.federatedRegressionMetrics(test.features, test.targets, configuration, over: communicator)
            if let metrics = scored.metrics {
                model.training.testSamples = scored.count
                model.training.testMSE = metrics.meanSquaredError
                model.training.testMAE = metrics.meanAbsoluteError
                model.training.testR2 = metrics.rSquared
            }
        }
        model.training.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return model
    }

    /// MSE, MAE and R² over every rank's rows (as ``RegressionMetrics`` defines them): each rank
    /// predicts its own rows; the sums of squared and absolute residuals, of targets and the row
    /// count are summed over the ranks, then the squared deviations from the agreed mean; constant
    /// targets are recognised from the allreduced extremes. Nil when no rank has a row.
    private func federatedRegressionMetrics(_ features: Matrix, _ targets: [Double], _ configuration: VariationalConfiguration,
                                            over communicator: any Communicator) throws -> (metrics: RegressionMetrics?, count: Int)
    {
        let predicted = try TrainingRun.agree(communicator) { () -> [Double] in
            guard !targets.isEmpty else { return [] }
            return try predictValues(features, scheduler: configuration.scheduler, communicator: nil, noise: configuration.noise)
        }
        let low = try communicator.allreduce([targets.min() ?? .infinity], .min)[0]
        let high = try communicator.allreduce([targets.max() ?? -.infinity], .max)[0]
        // The sums are taken in units of a power of two (exact) that keeps every target within
        // 2^20, so that squared residuals stay far inside secure aggregation's fixed-point range
        // (an audit lost a whole run of prices near 4e10 to it after training): 1 unless |y| > 2^20.
        let largest = Swift.max(Swift.abs(low), Swift.abs(high))
        let unit = largest.isFinite && largest > 0x1p20 ? Double(sign: .plus, exponent: largest.exponent - 19, significand: 1) : 1
        var local = [0.0, 0.0, 0.0, Double(targets.count)]
        for (y, yHat) in zip(targets, predicted) {
            let residual = (y - yHat) / unit
            local[0] += residual * residual
            local[1] += Swift.abs(residual)
            local[2] += y / unit
        }
        let sums = try communicator.allreduce(local, .sum)
        let n = sums[3].rounded()
        guard n > 0 else { return (nil, 0) }
        let mean = sums[2] / n
        let total = try communicator.allreduce([targets.reduce(0) { $0 + ($1 / unit - mean) * ($1 / unit - mean) }], .sum)[0]
        let squared = sums[0]
        let rSquared = low == high ? (squared == 0 ? 1 : 0) : 1 - squared / total
        return (RegressionMetrics(meanSquaredError: squared / n * unit * unit, meanAbsoluteError: sums[1] / n * unit, rSquared: rSquared), Int(n))
    }
}
