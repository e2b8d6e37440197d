import Foundation
import Parallel

// `TrainingJob` with `DataSource.shards`: each rank opens only its own file (plain or sealed, with
// the job's keys), the ranks agree on success before anything else, and the variational model
// trains on the shards (VariationalModel.trainFederatedClassifier / trainFederatedRegressor).

/// What a report may show of federated shards without moving a row: each site's row counts —
/// which training exchanges anyway — and, when the job asks for them
/// (``TrainingJob/sharesShardClassCounts``), each site's rows per class.
public struct ShardSummary: Sendable, Equatable {
    /// One site's (rank's) counts.
    public struct Site: Sendable, Equatable {
        /// The site's training rows (its validation share included).
        public var trainingRows: Int
        /// The site's test rows (its held-out share or its test shard; 0 when none).
        public var testRows: Int
        /// The training rows of each class of ``ShardSummary/classes`` (nil: not exchanged, or a
        /// regressor).
        public var trainingClassCounts: [Int]?
        /// The test rows of each class (nil: not exchanged, or a regressor).
        public var testClassCounts: [Int]?

        /// A site's counts.
        /// - Parameters:
        ///   - trainingRows: its training rows.
        ///   - testRows: its test rows.
        ///   - trainingClassCounts: its training rows per class, if exchanged.
        ///   - testClassCounts: its test rows per class, if exchanged.
        public init(trainingRows: Int, testRows: Int, trainingClassCounts: [Int]? = nil, testClassCounts: [Int]? = nil) {
            self.trainingRows = trainingRows
            self.testRows = testRows
            self.trainingClassCounts = trainingClassCounts
            self.testClassCounts = testClassCounts
        }
    }

    /// The sites, in rank order.
    public var sites: [Site]
    /// The class list the ranks agreed (vqc; nil for a regressor).
    public var classes: [String]?

    /// A summary.
    /// - Parameters:
    ///   - sites: the sites in rank order.
    ///   - classes: the agreed class list (nil for a regressor).
    public init(sites: [Site], classes: [String]?) {
        self.sites = sites
        self.classes = classes
    }

    /// Gathers every rank's counts (one allgather). Class counts are exchanged only when
    /// `classCounts` is true.
    /// - Parameters:
    ///   - training: this rank's training labels (class indices into `classes`), or only its row
    ///     count for a regressor.
    ///   - test: this rank's test labels, likewise.
    /// - Throws: the communicator's errors.
    static func gather(training: (rows: Int, labels: [Int]?), test: (rows: Int, labels: [Int]?), classes: [String]?,
                       classCounts: Bool, over communicator: any Communicator) throws -> ShardSummary
    {
        func histogram(_ labels: [Int]?) -> [Int] {
            guard classCounts, let classes else { return [] }
            var counts = [Int](repeating: 0, count: classes.count)
            for label in labels ?? [] where counts.indices.contains(label) { counts[label] += 1 }
            return counts
        }
        let width = classCounts ? classes?.count ?? 0 : 0
        let all = try communicator.allgather([training.rows, test.rows] + histogram(training.labels) + histogram(test.labels))
        let sites = all.map { counts -> Site in
            let shares = width > 0 && counts.count == 2 + 2 * width
            return Site(trainingRows: counts.first ?? 0, testRows: counts.count > 1 ? counts[1] : 0,
                        trainingClassCounts: shares ? Array(counts[2..<(2 + width)]) : nil,
                        testClassCounts: shares ? Array(counts[(2 + width)...]) : nil)
        }
        return ShardSummary(sites: sites, classes: classes)
    }
}

extension TrainedModel {
    /// Trains a job whose data are federated shards (`site-{rank}.csv`): refuses what shards cannot
    /// do, loads this rank's shard (and test shard), holds out a test share of each shard when
    /// asked (stratified for vqc, random for vqr), and trains a vqc or vqr on the shards.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for one rank, a kernel
    ///   model or a test file that is not a shard — on every rank, before
    ///   any file is read; the loaders' errors on the rank whose shard fails and
    ///   ``CommunicationError/rankFailed(rank:message:status:)`` on the others; the training errors.
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
        // No samples for a report (rank 0 holds only its own site's rows): the sites' counts instead.
        let summary = try ShardSummary.gather(training: (train.count, train.labels), test: (held?.count ?? 0, held?.labels),
                                              classes: train.classes, classCounts: job.sharesShardClassCounts, over: communicator)
        return TrainingOutcome(model: .variational(model), history: model.history, testSamples: nil, trainingSamples: nil, shards: summary)
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
        try FederatedAgreement.columns(label: train.targetName, features: train.featureNames, name: train.name, over: communicator)
        let configuration = try TrainingRun.agree(communicator) { try variationalConfiguration(job, features: train.features.columns) }
        let model = try inSpan(job.meter, "train") {
            try VariationalModel.trainFederatedRegressor(train, test: held, configuration: configuration, split: split)
        }
        let summary = try ShardSummary.gather(training: (train.count, nil), test: (held?.count ?? 0, nil), classes: nil, classCounts: false,
                                              over: communicator)
        return TrainingOutcome(model: .variational(model), history: model.history, testSamples: nil, trainingSamples: nil, shards: summary)
    }
}
