import Foundation
import Parallel

// `TrainingJob` with `DataSource.shards`: each rank opens only its own file (plain or sealed, with
// the job's keys), the ranks agree on success before anything else, and the variational model
// trains on the shards (VariationalModel.trainFederatedClassifier / trainFederatedRegressor).

extension TrainedModel {
    /// Trains a job whose data are federated shards (`site-{rank}.csv`): refuses what shards cannot
    /// do, loads this rank's shard (and test shard), holds out a test share of each shard when
    /// asked (stratified for vqc, random for vqr), and trains a vqc or vqr on the shards.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for one rank, a kernel
    ///   model or a test file that is not a shard — on every rank, before
    ///   any file is read; the loaders' errors on the rank whose shard fails and
    ///   ``CommunicationError/rankFailed(rank:message:)`` on the others; the training errors.
    static func trainFederated(_ job: TrainingJob, pattern: String) throws -> TrainingOutcome {
        let communicator = job.communicator ?? LocalCommunicator()
        if job.model.kernelKind != nil { throw QuantumMLError.shardsForKernelModel(job.model.rawValue) }
        if let test = job.test, test.shardPath(rank: 0) == nil {
            throw QuantumMLError.shardsUnsupported(
                "a test set that is not sharded ('\(test.name)')",
                remedy: "a test path with \(DataSource.rankPlaceholder) too (each rank scores its own test rows), or a held-out share "
                    + "of each shard (--test-size)")
        }
        guard communicator.size > 1 else { throw QuantumMLError.shardsNeedRanks(pattern) }
        let rank = communicator.rank
        if job.model == .vqr { return try trainFederatedRegressor(job, pattern: pattern, rank: rank, over: communicator) }
        let (loaded, loadedTest) = try inSpan(job.meter, "load data") { () -> (Dataset, Dataset?) in
            try TrainingRun.agree(communicator) { () -> (Dataset, Dataset?) in
                guard let path = job.data.shardPath(rank: rank) else { throw QuantumMLError.shardsNeedRanks(pattern) }
                var data = try DatasetLoader.csv(atPath: path, labelColumn: job.labelColumn, keys: job.keys)
                // The model records the pattern's name, not one site's.
                data.name = DatasetLoader.datasetName(forPath: pattern)
                let test = try job.test?.shardPath(rank: rank).map { try DatasetLoader.csv(atPath: $0, labelColumn: job.labelColumn, keys: job.keys) }
                return (data, test)
            }
        }
        let agreed = try FederatedAgreement.columnsAndClasses(loaded, test: loadedTest, over: communicator)
        let train: Dataset, held: Dataset?, split: (seed: UInt64, testSize: Double)?
        if let test = agreed.test {
            (train, held, split) = (agreed.train, test, nil)
        } else if job.testFraction > 0 {
            // Each site holds out its own stratified share (seeded): the rows stay where they are.
            let parts = try TrainingRun.agree(communicator) { try stratifiedSplit(agreed.train, testFraction: job.testFraction, seed: job.seed) }
            (train, held, split) = (parts.train, parts.test, (job.seed, job.testFraction))
        } else {
            (train, held, split) = (agreed.train, nil, nil)
        }
        let configuration = try TrainingRun.agree(communicator) { try variationalConfiguration(job, features: train.features.columns) }
        let model = try inSpan(job.meter, "train") {
            try VariationalModel.trainFederatedClassifier(train, test: held, configuration: configuration, split: split)
        }
        // No samples for a report: rank 0 holds only its own site's rows.
        return TrainingOutcome(model: .variational(model), history: model.history, testSamples: nil, trainingSamples: nil)
    }

    /// The vqr form of ``trainFederated(_:pattern:)``: regression shards, a random test share of
    /// each shard, `VariationalModel.trainFederatedRegressor`.
    private static func trainFederatedRegressor(_ job: TrainingJob, pattern: String, rank: Int,
                                                over communicator: any Communicator) throws -> TrainingOutcome {
        let (loaded, loadedTest) = try inSpan(job.meter, "load data") { () -> (RegressionData, RegressionData?) in
            try TrainingRun.agree(communicator) { () -> (RegressionData, RegressionData?) in
                guard let path = job.data.shardPath(rank: rank) else { throw QuantumMLError.shardsNeedRanks(pattern) }
                var data = try DatasetLoader.loadRegression(.file(path), targetColumn: job.labelColumn, keys: job.keys)
                data.name = DatasetLoader.datasetName(forPath: pattern)
                let test = try job.test?.shardPath(rank: rank).map {
                    try DatasetLoader.loadRegression(.file($0), targetColumn: job.labelColumn, keys: job.keys)
                }
                return (data, test)
            }
        }
        let train: RegressionData, held: RegressionData?, split: (seed: UInt64, testSize: Double)?
        if let loadedTest {
            (train, held, split) = (loaded, loadedTest, nil)
        } else if job.testFraction > 0 {
            let parts = try TrainingRun.agree(communicator) { try randomSplit(loaded, testFraction: job.testFraction, seed: job.seed) }
            (train, held, split) = (parts.train, parts.test, (job.seed, job.testFraction))
        } else {
            (train, held, split) = (loaded, nil, nil)
        }
        try FederatedAgreement.columns(label: train.targetName, features: train.featureNames, over: communicator)
        let configuration = try TrainingRun.agree(communicator) { try variationalConfiguration(job, features: train.features.columns) }
        let model = try inSpan(job.meter, "train") {
            try VariationalModel.trainFederatedRegressor(train, test: held, configuration: configuration, split: split)
        }
        return TrainingOutcome(model: .variational(model), history: model.history, testSamples: nil, trainingSamples: nil)
    }
}
