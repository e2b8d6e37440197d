import Foundation
import Parallel
import Privacy
import Testing
@testable import QuantumML

/// Writes `rows` of `features` (and labels) as a CSV file with columns x0, x1, …, label.
private func writeCSV(_ path: String, _ x: [[Double]], _ labels: [String]) throws {
    var text = (0..<(x.first?.count ?? 0)).map { "x\($0)" }.joined(separator: ",") + ",label\n"
    for (row, label) in zip(x, labels) { text += row.map { "\($0)" }.joined(separator: ",") + ",\(label)\n" }
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

@Suite("Library jobs: a training configuration → a model, one call; predictions; kernel matrices")
struct JobTests {
    @Test("qsvm from CSV files with a given test set: scikit-learn's predictions and accuracy on qiskit-ml's ad hoc split")
    func qsvmFromFilesMatchesScikitLearn() throws {
        let f = try ClassifierTests.fixture()
        let folder = try TemporaryFolder()
        try writeCSV(folder.path("train.csv"), f.train_x, f.train_y.map(String.init))
        try writeCSV(folder.path("test.csv"), f.test_x, f.test_y.map(String.init))
        var job = TrainingJob(model: .qsvm, data: .file(folder.path("train.csv")))
        job.test = .file(folder.path("test.csv"))
        job.scale = .none
        let outcome = try TrainedModel.train(job)
        guard case .kernel(let model) = outcome.model else { Issue.record("not a kernel model"); return }
        #expect(model.svm.supportIndices == f.support)
        #expect(model.training.testAccuracy == f.test_accuracy)
        #expect(model.training.seed == nil && model.training.testSize == nil)  // a given test set is no split
        #expect(model.training.dataset == "train")  // named after the file, as DatasetLoader names it
        // Predicting the test samples again through a prediction job gives scikit-learn's labels.
        let predictions = try outcome.model.predict(PredictionJob(data: .file(folder.path("test.csv"))))
        #expect(predictions.predicted == f.predict_test.map(String.init))
        #expect(predictions.truth == f.test_y.map(String.init))
        #expect(predictions.accuracy == f.test_accuracy)
        #expect(outcome.history.isEmpty)
    }

    @Test("a held-out share is a stratified split, recorded in the model; the test samples come back for prediction")
    func heldOutSplit() throws {
        var job = TrainingJob(model: .svmRBF, data: .iris)
        job.testFraction = 0.2
        job.seed = 11
        let outcome = try TrainedModel.train(job)
        guard case .kernel(let model) = outcome.model, case .dataset(let held)? = outcome.testSamples else {
            Issue.record("expected a kernel model and labelled test samples"); return
        }
        // 150 Iris samples, 50 per class: 20 % of each class held out.
        #expect(held.count == 30 && model.training.samples == 120)
        for c in 0..<3 { #expect(held.labels.filter { $0 == c }.count == 10) }
        #expect(model.training.seed == 11 && model.training.testSize == 0.2)
        // The recorded test accuracy is the accuracy of the model's own predictions on those samples.
        let predicted = try model.predict(held.features)
        let truth = held.labels.map { held.classes[$0] }
        let correct = zip(predicted, truth).filter { $0 == $1 }.count
        #expect(model.training.testAccuracy == Double(correct) / Double(truth.count))
        // A fraction of 0 trains on every sample and scores nothing.
        job.testFraction = 0
        let all = try TrainedModel.train(job)
        #expect(all.model.trainingSamples == 150 && all.testSamples == nil)
    }

    @Test("vqc: the epoch history comes back with the model, and progress reports every epoch")
    func variationalHistory() throws {
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var reports: [JobProgress] = []
            func add(_ p: JobProgress) { lock.lock(); reports.append(p); lock.unlock() }
        }
        let seen = Seen()
        var job = TrainingJob(model: .vqc, data: .iris)
        job.variational = VariationalSettings(ansatz: AnsatzChoice(.realAmplitudes, layers: 1), epochs: 3, batchSize: 32)
        job.progress = { seen.add($0) }
        let outcome = try TrainedModel.train(job)
        #expect(outcome.history.map(\.epoch) == [1, 2, 3])
        #expect(seen.reports.map(\.done) == [1, 2, 3] && seen.reports.allSatisfy { $0.phase == .epochs && $0.total == 3 })
        guard case .variational(let model) = outcome.model else { Issue.record("not a variational model"); return }
        #expect(model.history == outcome.history && model.ansatz.parameterCount == 8)
    }

    @Test("vqr: a random split of regression samples; predictions scored by MSE, MAE and R² computed here by hand")
    func regressor() throws {
        let folder = try TemporaryFolder()
        var text = "a,b,y\n"
        for i in 0..<24 {
            let a = Double(i) / 24, b = Double((i * 7) % 24) / 24
            text += "\(a),\(b),\(sin(3 * a) + 0.5 * b)\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: folder.path("sine.csv")))
        var job = TrainingJob(model: .vqr, data: .file(folder.path("sine.csv")))
        job.variational = VariationalSettings(ansatz: AnsatzChoice(.realAmplitudes, layers: 1), hybrid: true, epochs: 2, batchSize: 8)
        let outcome = try TrainedModel.train(job)
        guard case .regression(let held)? = outcome.testSamples else { Issue.record("expected regression test samples"); return }
        #expect(held.count == 6 && outcome.model.trainingSamples == 18 && outcome.model.isRegressor)
        let predictions = try outcome.model.predict(PredictionJob(data: .regression(held)))
        let values = try #require(predictions.values)
        let mse = zip(values, held.targets).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 6
        let mae = zip(values, held.targets).map { abs($0 - $1) }.reduce(0, +) / 6
        let mean = held.targets.reduce(0, +) / 6
        let r2 = 1 - mse * 6 / held.targets.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
        let metrics = try #require(predictions.metrics)
        #expect(abs(metrics.meanSquaredError - mse) < 1e-12 && abs(metrics.meanAbsoluteError - mae) < 1e-12 && abs(metrics.rSquared - r2) < 1e-9)
        #expect(predictions.accuracy == nil && predictions.predicted == values.map { "\($0)" })
    }

    @Test("bad jobs fail with messages that say what was received and what is valid")
    func badJobs() throws {
        var job = TrainingJob(model: .qsvm, data: .iris)
        job.labelColumn = "colour"
        #expect(thrownMessage { _ = try TrainedModel.train(job) }
            == "invalid argument: the label column of the built-in data set builtin:iris must be 'species'; received 'colour'")
        #expect(thrownMessage { _ = try TrainedModel.train(TrainingJob(model: .vqr, data: .iris)) }
            == "invalid argument: the data of a regressor must be a CSV file whose label column holds numbers; received 'builtin:iris', a classification set (class labels)")
        var fraction = TrainingJob(model: .svmLinear, data: .iris)
        fraction.testFraction = 1
        #expect(thrownMessage { _ = try TrainedModel.train(fraction) }
            == "invalid argument: the test fraction must be in [0, 1) (0 trains on every sample); received 1.0")
        #expect(thrownMessage { _ = try DataSource(parsing: "builtin:nope") }
            == "invalid argument: the data source must be a CSV file or a built-in set (built-in: builtin:iris, builtin:adhoc); received 'builtin:nope', which is not a built-in data set")
        #expect(try DataSource(parsing: "builtin:adhoc") == .adHoc)
        // The shard placeholder in other letter case, naming no file: a hint, not "no such file".
        #expect(thrownMessage { _ = try DataSource(parsing: "/nonexistent/site-{Rank}.csv") }
            == "invalid argument: the data path must be an existing file, or a path with {rank} in lower case to name one shard per "
                + "MPI rank; received '/nonexistent/site-{Rank}.csv', which does not exist")
        #expect(try DataSource(parsing: "site-{rank}.csv") == .shards("site-{rank}.csv"))
    }

    @Test("sealed inputs: data opened in memory with the job's keys; a sealed model is refused as data before any key is tried")
    func sealedInputs() throws {
        let folder = try TemporaryFolder()
        let key = RawKey()
        let data = folder.path("iris.csv.sealed")
        try SealedFile.write(Data(DatasetLoader.irisCSV.utf8), toPath: data, for: [.key(key)], contentType: "dataset/csv")
        var job = TrainingJob(model: .svmRBF, data: .file(data))
        job.keys = InputKeys(identities: [.key(key)])
        let fromFile = try TrainedModel.train(job)
        let inMemory = try TrainedModel.train(TrainingJob(model: .svmRBF, data: .iris))
        guard case .kernel(let a) = fromFile.model, case .kernel(let b) = inMemory.model else { Issue.record("kernel models"); return }
        #expect(a.svm == b.svm && a.supportVectors == b.supportVectors && a.training.testAccuracy == b.training.testAccuracy)
        // No key: Privacy's error, not a silent plaintext read.
        #expect(throws: PrivacyError.self) { _ = try TrainedModel.train(TrainingJob(model: .svmRBF, data: .file(data))) }
        // A sealed model given as data: refused by its content type, the keys never asked for.
        let modelPath = folder.path("m.sealed")
        try fromFile.model.write(toPath: modelPath, recipients: [.key(key)])
        final class Asked: @unchecked Sendable { var count = 0 }
        let asked = Asked()
        var wrong = TrainingJob(model: .svmRBF, data: .file(modelPath))
        wrong.keys = InputKeys { _ in asked.count += 1; return [.key(key)] }
        #expect(thrownMessage { _ = try TrainedModel.train(wrong) }?.contains("the sealed file holds model/verdant, not a CSV dataset") == true)
        #expect(asked.count == 0)
        // And the model reads back as the same model, through its own keyed loader.
        #expect(try TrainedModel.load(atPath: modelPath, keys: InputKeys(identities: [.key(key)])) == fromFile.model)
    }

    @Test("predictions file: CSV quoting, the label column when known, sealed round trip of the prediction column")
    func predictionsFile() throws {
        let predictions = try Predictions(predicted: ["a,b", "say \"x\"", "c"], truth: ["a,b", "c", "c"])
        #expect(predictions.csv == "sample,prediction,label\n0,\"a,b\",\"a,b\"\n1,\"say \"\"x\"\"\",c\n2,c,c\n")
        #expect(predictions.accuracy == 2.0 / 3.0)
        #expect(try Predictions(predicted: ["p"]).csv == "sample,prediction\n0,p\n")
        let folder = try TemporaryFolder()
        let key = RawKey()
        try predictions.write(toPath: folder.path("p.sealed"), recipients: [.key(key)])
        #expect(try SealedFile.header(atPath: folder.path("p.sealed")).contentType == Predictions.contentType)
        #expect(try Predictions.predictedLabels(atPath: folder.path("p.sealed"), keys: InputKeys(identities: [.key(key)]))
            == ["a,b", "say \"x\"", "c"])
        #expect(throws: PrivacyError.self) { try predictions.write(toPath: folder.path("p.sealed"), recipients: [.key(key)]) }
        #expect(Predictions.accuracy(["a"], []) == 0)
        // Numeric labels agree by value (an audit found a 0/1 model scored 0.0 on data labelled 0.0/1.0).
        #expect(Predictions.accuracy(["0", "1", "1"], ["0.0", "1.0", "+1"]) == 1)
        #expect(Predictions.accuracy(["0", "1"], ["0.0", "2"]) == 0.5)
    }

    @Test("amplitude encoding: a sample that scaling makes zero is named by its features as written, with the remedy")
    func amplitudeZeroAfterScaling() throws {
        // An audit found "sample 3: every feature is 0" for the row (0.1, 0.1) of a file: min-max
        // scaling had made it zero, and 3 was its place after the shuffled split.
        let folder = try TemporaryFolder()
        try writeCSV(folder.path("d.csv"), [[0.5, 0.9], [0.3, 0.4], [0.1, 0.1], [0.7, 0.4]], ["x", "y", "x", "y"])
        var job = KernelJob(data: .file(folder.path("d.csv")))
        job.featureMap = FeatureMapChoice(.amplitude)
        #expect(thrownMessage { _ = try QuantumKernel.compute(job) }
            == folder.path("d.csv") + ": the sample with x0 = 0.1, x1 = 0.1 is 0 in every feature after minmax scaling (minmax maps a sample at every feature's training minimum to 0); amplitude encoding normalises each sample, and an all-zero sample has no direction: use --scale standard or none, or drop the sample")
        job.scale = .standard
        #expect(try QuantumKernel.compute(job).matrix.rows == 4)
        // In training (qsvm and vqc) and prediction the same message names the data.
        let data = try DatasetLoader.csv(text: "a,b,y\n0.5,0.9,x\n0.3,0.4,y\n0.1,0.1,x\n0.7,0.4,y\n", name: "t")
        var configuration = TrainingConfiguration(kind: .qsvm)
        configuration.featureMap = try .amplitude(features: 2)
        #expect(thrownMessage { _ = try Classifier.train(data, configuration: configuration) }?.hasPrefix("t: the sample with a = 0.1, b = 0.1 is 0 in every feature") == true)
    }

    @Test("a kernel job from CSV files equals Qiskit's train and test kernels (scale none, every fixture map)")
    func kernelJobMatchesQiskit() throws {
        let folder = try TemporaryFolder()
        for c in KernelTests.cases {
            guard let entanglement = Entanglement(rawValue: c.spec.entanglement) else { continue }
            try writeCSV(folder.path("\(c.name)-train.csv"), c.train, c.train.map { _ in "0" })
            try writeCSV(folder.path("\(c.name)-test.csv"), c.test, c.test.map { _ in "0" })
            var job = KernelJob(data: .file(folder.path("\(c.name)-train.csv")))
            job.featureMap = FeatureMapChoice(.pauli, reps: c.spec.reps, entanglement: entanglement, paulis: c.spec.paulis, alpha: c.spec.alpha)
            job.scale = .none
            let train = try QuantumKernel.compute(job)
            #expect(maxDifference(train.matrix.values, c.train_kernel.flatMap { $0 }) < 1e-10, "\(c.name)")
            job.test = .file(folder.path("\(c.name)-test.csv"))
            let test = try QuantumKernel.compute(job)
            #expect(test.matrix.rows == c.test.count && test.matrix.columns == c.train.count)
            #expect(maxDifference(test.matrix.values, c.test_kernel.flatMap { $0 }) < 1e-10, "\(c.name)")
            // The CSV form reads back as the same numbers.
            let rows = test.csv.split(separator: "\n").map { $0.split(separator: ",").compactMap { Double($0) } }
            #expect(rows.flatMap { $0 } == test.matrix.values)
        }
        #expect(!KernelTests.cases.isEmpty)
    }
}
