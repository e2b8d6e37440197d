import Foundation
import Parallel
import Privacy
import Quantum
import SecureCommunication
import Testing
@testable import QuantumML

// Federated shards: the oracle is one process training on the concatenated shards with the same
// seed (the ordinary, already-tested path). The shards are cut from Iris in row order, which is
// sorted by class, so most sites hold one or two classes only — each shard is read back from its
// own CSV text, so its class list is its own, as a site's file would give it.

/// 60 Iris rows (20 per class, in class order): small enough for a debug build.
private func irisRows() -> Dataset {
    let iris = DatasetLoader.iris()
    return iris.subset((0..<iris.count).filter { $0 % 50 < 20 })
}

/// Rank `rank`'s shard of `data` (rank r of s: rows r·n/s ..< (r+1)·n/s), read back from CSV text so
/// that its classes are only those it holds.
private func shard(_ data: Dataset, rank: Int, of size: Int, renaming renamed: String? = nil) throws -> Dataset {
    let rows = (rank * data.count / size)..<((rank + 1) * data.count / size)
    var text = (data.featureNames.enumerated().map { $0.offset == 0 ? (renamed ?? $0.element) : $0.element } + [data.labelName])
        .joined(separator: ",") + "\n"
    for i in rows { text += data.features.row(i).map { "\($0)" }.joined(separator: ",") + ",\(data.classes[data.labels[i]])\n" }
    return try DatasetLoader.dataset(CSVTable(text: text, location: "site-\(rank).csv"), name: "site", labelColumn: nil)
}

/// Four qubits, one layer, two epochs of 12, one thread; fitted min-max scaling unless changed.
private func federatedConfiguration() throws -> VariationalConfiguration {
    try VariationalConfiguration(ansatz: .realAmplitudes(qubits: 4, reps: 1), epochs: 2, batchSize: 12, seed: 11,
                                 scheduler: Scheduler(threads: 1))
}

private func largestDifference(_ a: [Double], _ b: [Double]) -> Double {
    a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
}

@Suite("federated shards: training where each rank holds only its own rows")
struct FederatedTrainingTests {
    @Test("vqc on shards equals one process on the concatenated rows: scaler, classes and accuracy exactly, weights to rounding",
          arguments: [2, 3])
    func sameModel(ranks: Int) throws {
        let data = irisRows()
        var configuration = try federatedConfiguration()
        configuration.validationFraction = 0
        let single = try VariationalModel.trainClassifier(data, configuration: configuration)
        let shards = try (0..<ranks).map { try shard(data, rank: $0, of: ranks) }
        #expect(shards.contains { $0.classes.count < 3 }, "some site lacks a class: the class list must be agreed")
        let base = configuration
        let models = try LocalCommunicator.run(ranks: ranks) { communicator in
            var local = base
            local.communicator = communicator
            return try VariationalModel.trainFederatedClassifier(shards[communicator.rank], configuration: local)
        }
        for model in models {
            #expect(model.parameters == models[0].parameters, "every rank takes the same steps")
            #expect(model.classes == single.classes)
            #expect(model.scaler == single.scaler, "min-max from the allreduced extremes is the fitted scaler of all rows")
            #expect(largestDifference(model.parameters, single.parameters) < 1e-9)
            #expect(model.training.samples == data.count)
            #expect(model.training.trainAccuracy == single.training.trainAccuracy)
            #expect(model.history.count == single.history.count)
            for (a, b) in zip(model.history, single.history) { #expect(abs(a.loss - b.loss) < 1e-9) }
        }
        // The oracle is not trivially met: a model trained on rank 0's shard alone differs.
        let alone = try VariationalModel.trainClassifier(data.subset(Array(0..<(data.count / 2))), configuration: configuration)
        #expect(largestDifference(alone.parameters, single.parameters) > 1e-3)
    }

    @Test("SPSA, and a hybrid head with a validation share, on shards: the one-process model (validation from each shard)")
    func otherSettings() throws {
        let data = irisRows()
        var spsa = try federatedConfiguration()
        spsa.optimizer = .spsa()
        var hybrid = try federatedConfiguration()
        hybrid.hybrid = true
        for configuration in [spsa, hybrid] {
            let single = try VariationalModel.trainClassifier(data, configuration: configuration)
            let models = try LocalCommunicator.run(ranks: 2) { communicator in
                var local = configuration
                local.communicator = communicator
                return try VariationalModel.trainFederatedClassifier(try shard(data, rank: communicator.rank, of: 2), configuration: local)
            }
            #expect(models[0].parameters == models[1].parameters)
            #expect(largestDifference(models[0].parameters, single.parameters) < 1e-9)
        }
        // A validation share: held out of each shard, so not the one-process split; the epochs
        // still report a validation loss over both shards' held rows.
        var validated = try federatedConfiguration()
        validated.validationFraction = 0.2
        let base = validated
        let models = try LocalCommunicator.run(ranks: 2) { communicator in
            var local = base
            local.communicator = communicator
            return try VariationalModel.trainFederatedClassifier(try shard(data, rank: communicator.rank, of: 2), configuration: local)
        }
        let held = try (0..<2).map { try stratifiedSplit(try shard(data, rank: $0, of: 2), testFraction: 0.2, seed: 11).test.count }
        #expect(models[0].training.validationSamples == held.reduce(0, +))
        #expect(models[0].history.allSatisfy { $0.validationLoss != nil } && models[0].parameters == models[1].parameters)
    }

    @Test("DP-SGD on shards: ε, σ, q and the steps count all N rows, the noise is added once; the same model as one process",
          arguments: [2, 3])
    func privateSameModel(ranks: Int) throws {
        let data = irisRows()
        var configuration = try federatedConfiguration()
        configuration.featureBounds = [4...8, 2...4.5, 1...7, 0...2.6]
        configuration.privacy = DifferentialPrivacyConfiguration(noiseMultiplier: 1.1, delta: 1e-5, maxGradientNorm: 0.5, randomSeed: 3)
        let single = try VariationalModel.trainClassifier(data, configuration: configuration)
        let shards = try (0..<ranks).map { try shard(data, rank: $0, of: ranks) }
        let base = configuration
        let models = try LocalCommunicator.run(ranks: ranks) { communicator in
            var local = base
            local.communicator = communicator
            return try VariationalModel.trainFederatedClassifier(shards[communicator.rank], configuration: local)
        }
        let expected = try #require(single.training.privacy)
        // The accountant's own figure for N = 60 rows in expected batches of 12 over 2 epochs.
        let budget = try PrivacyAccounting.epsilon(samplingRate: 12.0 / 60, noiseMultiplier: 1.1, steps: 10, delta: 1e-5)
        for model in models {
            let record = try #require(model.training.privacy)
            #expect(record.epsilon == expected.epsilon)
            #expect(record.epsilon == budget.epsilon)
            #expect(record.samplingRate == 12.0 / 60 && record.steps == 10 && record.protectedSamples == 60)
            #expect(largestDifference(model.parameters, single.parameters) < 1e-9)
        }
    }

    @Test("noise per site: each of P sites adds N(0, σ²C²/(P − 1)), so the aggregate's noise has variance P/(P − 1)·σ²C²")
    func perSiteNoiseVariance() throws {
        // No samples at all: the aggregate is the noise alone. 3 ranks × 40 steps × 100 coordinates.
        let ranks = 3, steps = 40, length = 100, sigma = 2.0
        let draws = try LocalCommunicator.run(ranks: ranks) { communicator -> [Double] in
            var aggregation = PrivateGradients(communicator: communicator,
                                               dpsgd: try DPSGDAggregator(maxGradientNorm: 1, noiseMultiplier: sigma,
                                                                          noise: GaussianNoise(generator: SecureRandomGenerator(seed: 1))))
            aggregation.holds = { _ in false }
            aggregation.siteNoise = GaussianNoise(generator: SecureRandomGenerator(seed: 50 + UInt64(communicator.rank)))
            var values: [Double] = []
            for _ in 0..<steps {
                values += try aggregation.aggregate(count: 0, gradientLength: length, statisticsLength: 1, using: try Scheduler(threads: 1)) { _, _ in }
                    .gradient
            }
            return values
        }
        #expect(draws[1] == draws[0] && draws[2] == draws[0], "every rank holds the same noisy sum")
        let n = Double(draws[0].count)
        let variance = draws[0].map { $0 * $0 }.reduce(0, +) / n   // mean 0 known
        let expected = Double(ranks) / Double(ranks - 1) * sigma * sigma
        // χ² with n = 4000 degrees of freedom: the ratio's standard deviation is √(2/n) ≈ 0.022, and
        // ±6 of them (±13 %) excludes σ² = 4, the variance of noise added once.
        #expect(abs(variance / expected - 1) < 6 * (2 / n).squareRoot(), "variance \(variance), expected \(expected)")
    }

    @Test("noise per site in training: ε as with noise once, recorded; refused without shards or without secure aggregation")
    func perSiteNoiseTraining() throws {
        let data = irisRows()
        var configuration = try federatedConfiguration()
        configuration.featureBounds = [4...8, 2...4.5, 1...7, 0...2.6]
        configuration.privacy = DifferentialPrivacyConfiguration(noiseMultiplier: 1.1, delta: 1e-5, maxGradientNorm: 0.5, randomSeed: 3)
        let once = try VariationalModel.trainClassifier(data, configuration: configuration)
        configuration.privacy?.noisePerSite = true
        let key = try RawKey(bytes: [UInt8](repeating: 4, count: 32))
        let base = configuration
        let models = try LocalCommunicator.run(ranks: 3) { communicator in
            var local = base
            local.communicator = try SecureAggregationCommunicator(wrapping: communicator, clusterKey: key)
            return try VariationalModel.trainFederatedClassifier(try shard(data, rank: communicator.rank, of: 3), configuration: local)
        }
        for model in models {
            #expect(model.parameters == models[0].parameters)
            #expect(model.training.privacy?.epsilon == once.training.privacy?.epsilon)
            #expect(model.training.privacy?.noisePerSite == true && once.training.privacy?.noisePerSite == nil)
        }
        #expect(largestDifference(models[0].parameters, once.parameters) > 1e-6, "other noise draws")
        // Without shards, and on shards without secure aggregation: refused on every rank.
        #expect(throws: QuantumMLError.self) { _ = try VariationalModel.trainClassifier(data, configuration: base) }
        let messages = try LocalCommunicator.run(ranks: 2) { communicator -> String in
            var local = base
            local.communicator = communicator
            do {
                _ = try VariationalModel.trainFederatedClassifier(try shard(data, rank: communicator.rank, of: 2), configuration: local)
                return "trained"
            } catch {
                return "\(error)"
            }
        }
        for message in messages { #expect(message.contains("noise per site") && message.contains("with secure aggregation"), "\(message)") }
    }

    @Test("with secure aggregation and encrypted traffic: the same model within the quantisation", arguments: [2, 3])
    func secureSameModel(ranks: Int) throws {
        let data = irisRows()
        var configuration = try federatedConfiguration()
        configuration.epochs = 1
        let single = try VariationalModel.trainClassifier(data, configuration: configuration)
        let shards = try (0..<ranks).map { try shard(data, rank: $0, of: ranks) }
        let key = try RawKey(bytes: [UInt8](repeating: 4, count: 32))
        let base = configuration
        let models = try LocalCommunicator.run(ranks: ranks) { communicator in
            var local = base
            let encrypted = try EncryptedCommunicator(wrapping: communicator, clusterKey: key)
            local.communicator = try SecureAggregationCommunicator(wrapping: encrypted, clusterKey: key)
            return try VariationalModel.trainFederatedClassifier(shards[communicator.rank], configuration: local)
        }
        for model in models {
            #expect(model.parameters == models[0].parameters)
            #expect(largestDifference(model.parameters, single.parameters) < 1e-6)
            #expect(model.training.trainAccuracy == single.training.trainAccuracy)
        }
    }

    @Test("vqr on shards equals one process on the concatenated rows: target scaling exactly, weights and MSE/MAE/R² to rounding",
          arguments: [2, 3])
    func regressorSameModel(ranks: Int) throws {
        var generator = SeededGenerator(seed: 21)
        let rows = (0..<36).map { _ in [4 * generator.nextUniform(), 2 * generator.nextUniform() - 1] }
        let data = try RegressionData(name: "waves", features: Matrix(rows), targets: rows.map { 3 * sin($0[0]) + $0[1] },
                                      featureNames: ["x", "y"], targetName: "z")
        let configuration = try VariationalConfiguration(ansatz: .realAmplitudes(qubits: 2, reps: 1), epochs: 2, batchSize: 8, seed: 4,
                                                         scheduler: Scheduler(threads: 1))
        let single = try VariationalModel.trainRegressor(data, configuration: configuration)
        let shards = try (0..<ranks).map { r in
            let range = (r * data.count / ranks)..<((r + 1) * data.count / ranks)
            return try RegressionData(name: "site", features: data.features.selectingRows(Array(range)), targets: Array(data.targets[range]),
                                      featureNames: data.featureNames, targetName: data.targetName)
        }
        let models = try LocalCommunicator.run(ranks: ranks) { communicator in
            var local = configuration
            local.communicator = communicator
            return try VariationalModel.trainFederatedRegressor(shards[communicator.rank], configuration: local)
        }
        func close(_ a: Double?, _ b: Double?) -> Bool { a.flatMap { a in b.map { abs(a - $0) <= 1e-12 * max(1, abs($0)) } } ?? false }
        for model in models {
            #expect(model.parameters == models[0].parameters)
            #expect(model.targetScaling == single.targetScaling, "the allreduced extremes are the concatenated targets' extremes")
            #expect(model.scaler == single.scaler)
            #expect(largestDifference(model.parameters, single.parameters) < 1e-9)
            #expect(close(model.training.trainMSE, single.training.trainMSE))
            #expect(close(model.training.trainMAE, single.training.trainMAE))
            #expect(close(model.training.trainR2, single.training.trainR2))
            #expect(model.training.samples == data.count)
        }
    }

    @Test("vqr on shards under secure aggregation with targets near 4e10: the metrics of one process, not an overflow")
    func regressorLargeTargetsSecure() throws {
        // An audit lost a whole run at its end: the sums of squared residuals of prices near 4e10
        // (about 1e21) were outside secure aggregation's fixed-point range (±4.6e18 on 2 ranks).
        var generator = SeededGenerator(seed: 22)
        let rows = (0..<24).map { _ in [4 * generator.nextUniform(), 2 * generator.nextUniform() - 1] }
        let data = try RegressionData(name: "prices", features: Matrix(rows), targets: rows.map { 4e10 + 1e10 * sin($0[0]) + 3e9 * $0[1] },
                                      featureNames: ["x", "y"], targetName: "price")
        let configuration = try VariationalConfiguration(ansatz: .realAmplitudes(qubits: 2, reps: 1), epochs: 1, batchSize: 8, seed: 4,
                                                         scheduler: Scheduler(threads: 1))
        let single = try VariationalModel.trainRegressor(data, configuration: configuration)
        let shards = try (0..<2).map { r in
            let range = (r * data.count / 2)..<((r + 1) * data.count / 2)
            return try RegressionData(name: "site", features: data.features.selectingRows(Array(range)), targets: Array(data.targets[range]),
                                      featureNames: data.featureNames, targetName: data.targetName)
        }
        let key = try RawKey(bytes: [UInt8](repeating: 5, count: 32))
        let models = try LocalCommunicator.run(ranks: 2) { communicator in
            var local = configuration
            local.communicator = try SecureAggregationCommunicator(wrapping: communicator, clusterKey: key)
            return try VariationalModel.trainFederatedRegressor(shards[communicator.rank], configuration: local)
        }
        func close(_ a: Double?, _ b: Double?, _ tolerance: Double) -> Bool {
            a.flatMap { a in b.map { abs(a - $0) <= tolerance * max(1, abs($0)) } } ?? false
        }
        for model in models {
            #expect(close(model.training.trainMSE, single.training.trainMSE, 1e-6), "\(String(describing: model.training.trainMSE))")
            #expect(close(model.training.trainMAE, single.training.trainMAE, 1e-6))
            #expect(close(model.training.trainR2, single.training.trainR2, 1e-6))
        }
    }

    @Test("the agreed standard scaler is the one fitted on the concatenated rows, within rounding", arguments: [2, 3])
    func standardScaler(ranks: Int) throws {
        let data = irisRows()
        let fitted = try Scaler.fit(data.features, kind: .standard)
        let agreed = try LocalCommunicator.run(ranks: ranks) { communicator in
            try Scaler.agreed(try shard(data, rank: communicator.rank, of: ranks).features, kind: .standard, over: communicator)
        }
        for scaler in agreed {
            #expect(scaler.kind == .standard)
            #expect(largestDifference(scaler.offsets, fitted.offsets) < 1e-12 && largestDifference(scaler.factors, fitted.factors) < 1e-12)
        }
    }

    @Test("a job on sealed shard files: each rank opens its own; a test and a validation share held out of each shard")
    func sealedJob() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-fed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = irisRows(), key = RawKey()
        var heldPerSite: [(test: Int, validation: Int)] = []
        var classCounts: [(train: [String: Int], test: [String: Int])] = []
        for r in 0..<2 {
            let site = try shard(data, rank: r, of: 2)
            var text = (site.featureNames + [site.labelName]).joined(separator: ",") + "\n"
            for i in 0..<site.count { text += site.features.row(i).map { "\($0)" }.joined(separator: ",") + ",\(site.classes[site.labels[i]])\n" }
            try SealedFile.write(Data(text.utf8), toPath: folder.appendingPathComponent("site-\(r).csv.sealed").path, for: [.key(key)],
                                 contentType: "dataset/csv")
            // The oracle of the held-out counts: each shard split on its own, as a site would.
            let (train, test) = try stratifiedSplit(site, testFraction: 0.2, seed: 7)
            let (_, validation) = try stratifiedSplit(train, testFraction: 0.25, seed: 7)
            heldPerSite.append((test.count, validation.count))
            func counted(_ part: Dataset) -> [String: Int] { Dictionary(part.labels.map { (part.classes[$0], 1) }, uniquingKeysWith: +) }
            classCounts.append((counted(train), counted(test)))
        }
        var job = TrainingJob(model: .vqc, data: .shards(folder.appendingPathComponent("site-{rank}.csv.sealed").path))
        job.testFraction = 0.2
        job.variational.epochs = 1
        job.variational.validationFraction = 0.25
        job.keys = InputKeys(identities: [.key(key)])
        job.scheduler = try Scheduler(threads: 1)
        job.sharesShardClassCounts = true
        let base = job
        let results = try LocalCommunicator.run(ranks: 2) { communicator -> TrainingOutcome in
            var local = base
            local.communicator = communicator
            return try TrainedModel.train(local)
        }
        let outcomes = results.map(\.model)
        // What a report shows instead of rows: every site's counts, the same on every rank.
        let summary = try #require(results[0].shards)
        #expect(results[1].shards == summary)
        #expect(summary.classes == outcomes[0].classNames)
        for (r, site) in summary.sites.enumerated() {
            #expect(site.testRows == heldPerSite[r].test && site.trainingRows == classCounts[r].train.values.reduce(0, +))
            #expect(site.trainingClassCounts == summary.classes?.map { classCounts[r].train[$0] ?? 0 })
            #expect(site.testClassCounts == summary.classes?.map { classCounts[r].test[$0] ?? 0 })
        }
        guard case .variational(let model) = outcomes[0], case .variational(let other) = outcomes[1] else {
            Issue.record("not a variational model")
            return
        }
        #expect(model.parameters == other.parameters)
        let tests = heldPerSite.map(\.test).reduce(0, +), validations = heldPerSite.map(\.validation).reduce(0, +)
        #expect(model.training.testSamples == tests && model.training.validationSamples == validations)
        #expect(model.training.samples + validations + tests == data.count)
        #expect(model.training.testAccuracy != nil && model.history.first?.validationLoss != nil)
        #expect(model.training.dataset == "site-{rank}")
    }

    @Test("shards whose columns differ stop every rank with the rank and both column lists")
    func columnsDisagree() throws {
        let data = irisRows()
        let results = try LocalCommunicator.run(ranks: 2) { communicator -> String in
            var local = try federatedConfiguration()
            local.communicator = communicator
            let mine = try shard(data, rank: communicator.rank, of: 2, renaming: communicator.rank == 1 ? "sepal" : nil)
            do {
                _ = try VariationalModel.trainFederatedClassifier(mine, configuration: local)
                return "trained"
            } catch {
                return "\(error)"
            }
        }
        for message in results {
            #expect(message.contains("site (rank 1): its columns are label \"species\", features \"sepal\""), "\(message)")
            #expect(message.contains("every shard must have rank 0's columns: label \"species\", features \"sepal_length\""))
        }
    }

    @Test("jobs: a {rank} path on one rank, for a kernel model, or with a missing shard is refused on every rank")
    func jobRefusals() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-fed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pattern = folder.appendingPathComponent("site-{rank}.csv").path
        try DatasetLoader.irisCSV.write(toFile: folder.appendingPathComponent("site-0.csv").path, atomically: true, encoding: .utf8)
        #expect(try DataSource(parsing: pattern) == .shards(pattern))

        var job = TrainingJob(model: .vqc, data: try DataSource(parsing: pattern))
        job.scheduler = try Scheduler(threads: 1)
        do {
            _ = try TrainedModel.train(job)
            Issue.record("a {rank} path trained on one rank")
        } catch {
            #expect("\(error)".contains("in a run of one rank: {rank} names one shard per MPI rank"), "\(error)")
        }
        let kernel = TrainingJob(model: .qsvm, data: .shards(pattern))
        do {
            _ = try TrainedModel.train(kernel)
            Issue.record("a qsvm trained on shards")
        } catch {
            #expect("\(error)".contains("a kernel SVM needs the kernel of every pair of training rows"), "\(error)")
        }
        do {
            _ = try DatasetLoader.load(.shards(pattern))
            Issue.record("a single loader read shards")
        } catch {
            #expect("\(error)".contains("a path with {rank} (one shard per MPI rank)"), "\(error)")
        }
        // site-1.csv is missing: rank 1 fails to read it, rank 0 learns that and stops too.
        let base = job
        let messages = try LocalCommunicator.run(ranks: 2) { communicator -> String in
            var local = base
            local.communicator = communicator
            local.variational.epochs = 1
            do {
                _ = try TrainedModel.train(local)
                return "trained"
            } catch {
                return "\(error)"
            }
        }
        #expect(messages[1].contains("site-1.csv"), "\(messages[1])")
        #expect(messages[0].contains("rank 1 failed") && messages[0].contains("site-1.csv"), "\(messages[0])")
    }

    @Test("checkpoints on shards: each rank keeps its own; resumed after epoch 2 (also with one rank a checkpoint behind) the uninterrupted model; swapped shards refused")
    func checkpointAndResume() throws {
        let data = irisRows()
        let folder = try TemporaryFolder()
        let root = folder.url.path
        let key = RawKey()
        let shards = try (0..<2).map { try shard(data, rank: $0, of: 2) }
        var plain = try federatedConfiguration()
        plain.epochs = 3
        plain.validationFraction = 0.2
        var perSite = try federatedConfiguration()
        perSite.epochs = 3
        perSite.featureBounds = [4...8, 2...4.5, 1...7, 0...2.6]
        perSite.privacy = DifferentialPrivacyConfiguration(noiseMultiplier: 1.1, delta: 1e-5, maxGradientNorm: 0.5, randomSeed: 3,
                                                           noisePerSite: true)
        let clusterKey = try RawKey(bytes: [UInt8](repeating: 4, count: 32))
        // The epochs that rank 0 trains in a call: a resumed run trains only those after its checkpoint.
        final class Epochs: @unchecked Sendable {
            let lock = NSLock()
            var trained: [Int] = []
            func add(_ epoch: Int) { lock.lock(); trained.append(epoch); lock.unlock() }
        }
        let epochs = Epochs()
        func train(_ configuration: VariationalConfiguration, _ name: String?, resume: Bool = false, swap: Bool = false) throws
            -> [Result<VariationalModel, any Error>]
        {
            epochs.trained = []
            return try LocalCommunicator.run(ranks: 2) { communicator in
                var local = configuration
                if communicator.rank == 0 { local.progress = { epochs.add($0.epoch) } }
                local.communicator = local.privacy == nil ? communicator : try SecureAggregationCommunicator(wrapping: communicator, clusterKey: clusterKey)
                local.checkpoint = name.map {
                    CheckpointSettings(directory: root + "/" + $0, recipients: [.key(key)], keys: InputKeys(identities: [.key(key)]),
                                       resumeFrom: resume ? root + "/" + $0 : nil)
                }
                let mine = shards[swap ? 1 - communicator.rank : communicator.rank]
                return Result { try VariationalModel.trainFederatedClassifier(mine, configuration: local) }
            }
        }
        func files(_ name: String, rank: Int) throws -> [String] {
            try CheckpointStore.files(in: folder.path(name), rank: rank).map { (folder.path(name) as NSString).appendingPathComponent($0.name) }
        }
        for (name, configuration) in [("plain", plain), ("per-site", perSite)] {
            let reference = try train(configuration, nil).map { try $0.get() }
            let checkpointed = try train(configuration, name).map { try $0.get() }
            #expect(checkpointed[0].parameters == reference[0].parameters, "\(name): writing checkpoints changes nothing")
            for rank in 0..<2 {
                let own = try files(name, rank: rank)
                #expect(own.count == 2 && own.allSatisfy { SealedFile.isSealed(atPath: $0) && $0.hasSuffix("-rank\(rank).sealed") }, "\(own)")
            }
            // Cut short after epoch 2 (both ranks' newest removed); then with rank 1 a checkpoint behind
            // (only its newest removed): rank 0 still holds epoch 3, and the ranks resume from their
            // common step, epoch 2. Either way only epoch 3 is trained again.
            for (lagging, continued) in [([0, 1], [3]), ([1], [3])] {
                for rank in lagging { try FileManager.default.removeItem(atPath: try files(name, rank: rank)[1]) }
                let resumed = try train(configuration, name, resume: true).map { try $0.get() }
                #expect(epochs.trained == continued, "\(name), removed \(lagging): trained epochs \(epochs.trained)")
                for rank in 0..<2 {
                    #expect(largestDifference(resumed[rank].parameters, reference[rank].parameters) <= 1e-12, "\(name), removed \(lagging)")
                    #expect(resumed[rank].history.map(\.loss) == reference[rank].history.map(\.loss))
                    #expect(resumed[rank].training.privacy?.epsilon == reference[rank].training.privacy?.epsilon)
                }
            }
            // The shards swapped between the ranks: each rank refuses, naming the swap.
            let swapped = try train(configuration, name, resume: true, swap: true)
            for (rank, outcome) in swapped.enumerated() {
                guard case .failure(let error) = outcome else {
                    Issue.record("\(name): resumed with swapped shards")
                    continue
                }
                #expect("\(error)".contains("is not the shard it trained on but the one rank \(1 - rank) trained on")
                            || "\(error)".contains("rank \(1 - rank) failed"), "\(error)")
            }
        }
        // No common step: rank 1's checkpoints gone.
        for file in try files("plain", rank: 1) { try FileManager.default.removeItem(atPath: file) }
        for outcome in try train(plain, "plain", resume: true) {
            guard case .failure(let error) = outcome else { Issue.record("resumed without rank 1's checkpoints"); continue }
            #expect("\(error)".contains("no common step (steps by rank — rank 0: 8, 12; rank 1: none)"), "\(error)")
        }
        // The other kind's checkpoints: one process in a folder of per-rank files, and shards in a
        // folder holding a one-process run's file (named as one process names it) — each says so.
        var single = plain
        single.checkpoint = CheckpointSettings(directory: root + "/per-site", recipients: [.key(key)], keys: InputKeys(identities: [.key(key)]),
                                               resumeFrom: root + "/per-site")
        let oneProcess = thrownMessage { _ = try VariationalModel.trainClassifier(data, configuration: single) } ?? "no error"
        #expect(oneProcess.contains("it holds the per-rank checkpoints of a run on federated shards"), "\(oneProcess)")
        let onePath = folder.path("one")
        try FileManager.default.createDirectory(atPath: onePath, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try files("per-site", rank: 0)[0], toPath: onePath + "/checkpoint-000000000008.sealed")
        for outcome in try train(plain, "one", resume: true) {
            guard case .failure(let error) = outcome else { Issue.record("shards resumed from a one-process folder"); continue }
            #expect("\(error)".contains("it holds a one-process run's checkpoints ('checkpoint-000000000008.sealed')"), "\(error)")
        }
    }
}

/// Federated training on the world communicator: one rank in a plain `swift test`; under `mpirun`
/// (.ci/run, -np 2 and -np 3) every rank trains on its own shard and compares with the one-process
/// model it trains itself on the concatenated rows.
@Suite("federated world", .serialized)
struct FederatedWorldTests {
    @Test("the world's shards train the one-process model")
    func world() throws {
        let world = try Distributed.world()
        let data = irisRows()
        var configuration = try federatedConfiguration()
        configuration.epochs = 1
        let single = try VariationalModel.trainClassifier(data, configuration: configuration)
        configuration.communicator = world
        let model = try VariationalModel.trainFederatedClassifier(try shard(data, rank: world.rank, of: world.size), configuration: configuration)
        #expect(largestDifference(model.parameters, single.parameters) < 1e-9)
        #expect(model.training.trainAccuracy == single.training.trainAccuracy)
        #expect(model.training.ranks == world.size)
    }
}
