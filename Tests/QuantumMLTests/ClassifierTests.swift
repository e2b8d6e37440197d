import Foundation
import Parallel
import Privacy
import Testing
@testable import QuantumML

/// Fixtures/pipeline/make_pipeline_fixture.py: qiskit-ml's ad hoc data and kernel, scikit-learn's SVC.
struct PipelineFixture: Decodable {
    let train_x: [[Double]]
    let train_y: [Int]
    let test_x: [[Double]]
    let test_y: [Int]
    let support: [Int]
    let n_support: [Int]
    let dual_coef: [[Double]]
    let intercept: [Double]
    let decision_test: [Double]
    let predict_test: [Int]
    let test_accuracy: Double

    func datasets() throws -> (train: Dataset, test: Dataset) {
        func make(_ x: [[Double]], _ y: [Int], _ name: String) throws -> Dataset {
            try Dataset(name: name, features: Matrix(x), labels: y, classes: ["0", "1"], featureNames: ["x0", "x1"], labelName: "label")
        }
        return (try make(train_x, train_y, "adhoc-train"), try make(test_x, test_y, "adhoc-test"))
    }
}

@Suite("Quantum SVM pipeline and model files")
struct ClassifierTests {
    static func fixture() throws -> PipelineFixture { try loadFixture("pipeline/adhoc_qsvc.json", as: PipelineFixture.self) }

    static func qsvmConfiguration() throws -> TrainingConfiguration {
        TrainingConfiguration(kind: .qsvm, featureMap: try .zz(features: 2, reps: 2), scale: .none)
    }

    @Test("the quantum SVM equals qiskit-ml's kernel + scikit-learn's SVC: support, coefficients, intercept, decisions, predictions")
    func matchesQiskitAndScikitLearn() throws {
        let f = try Self.fixture()
        let (train, test) = try f.datasets()
        let model = try Classifier.train(train, test: test, configuration: Self.qsvmConfiguration())
        #expect(model.svm.supportIndices == f.support)
        #expect(model.svm.supportCounts == f.n_support)
        #expect(maxDifference(model.svm.dualCoefficients.values, f.dual_coef.flatMap { $0 }) < 1e-6)
        #expect(maxDifference(model.svm.intercepts, f.intercept) < 1e-6)
        let decision = try model.decisionFunction(test.features)
        #expect(maxDifference(decision.values, f.decision_test) < 1e-6)
        #expect(try model.predictClassIndices(test.features) == f.predict_test)
        #expect(model.training.testAccuracy == f.test_accuracy)
        #expect(model.supportVectors == train.features.selectingRows(f.support))
    }

    @Test("a model written and read back (plain and sealed) predicts the same, and equals the one written")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        let iris = DatasetLoader.iris()
        let (train, test) = try stratifiedSplit(iris, testFraction: 0.25, seed: 3)
        for kind in ModelKind.allCases {
            let model = try Classifier.train(train, test: test, configuration: TrainingConfiguration(kind: kind))
            let plain = folder.path("\(kind.rawValue).json")
            try model.write(toPath: plain)
            let read = try Classifier.load(atPath: plain)
            #expect(read == model)
            #expect(try read.predict(test.features) == model.predict(test.features))
            let key = RawKey()
            let sealed = folder.path("\(kind.rawValue).sealed")
            try model.write(toPath: sealed, recipients: [.key(key)])
            #expect(SealedFile.isSealed(atPath: sealed))
            let opened = try Classifier.load(atPath: sealed) { _ in [.key(key)] }
            #expect(opened == model)
            // The plaintext is nowhere on disk: only the two files written.
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasPrefix(kind.rawValue) }.sorted()
            #expect(files == ["\(kind.rawValue).json", "\(kind.rawValue).sealed"])
            #expect(thrownMessage { try model.write(toPath: plain) } != nil)  // no silent overwrite
        }
    }

    @Test("foreign, newer and damaged model files fail with a message naming the problem")
    func badModelFiles() throws {
        let model = try Classifier.train(DatasetLoader.iris(), configuration: TrainingConfiguration(kind: .svmLinear))
        let json = try #require(try JSONSerialization.jsonObject(with: model.encoded()) as? [String: Any])
        func decode(_ object: [String: Any]) -> String? {
            thrownMessage { _ = try Classifier.decode(JSONSerialization.data(withJSONObject: object), path: "m.json") }
        }
        #expect(thrownMessage { _ = try Classifier.decode(Data("hello".utf8), path: "m.json") }
            == "m.json: not a Verdant model file; expected a JSON object with \"format\": \"verdant-model\"")
        var foreign = json
        foreign["format"] = "sklearn-pickle"
        #expect(decode(foreign) == "m.json: not a Verdant model file: \"format\" is sklearn-pickle; expected \"verdant-model\"")
        var newer = json
        newer["version"] = 2
        #expect(decode(newer) == "m.json: model format version 2 is newer than this Verdant, which reads version 1; open it with the Verdant that wrote it")
        var older = json
        older["version"] = 0
        #expect(decode(older) == "m.json: model format version 0 is older than this Verdant, which reads only version 1; open it with the Verdant that wrote it")
        var missing = json
        missing["classes"] = nil
        #expect(decode(missing) == "m.json: missing field \"classes\" in the top level; a model file as Verdant writes it (docs/model-format.md)")
        var inconsistent = json
        inconsistent["featureNames"] = ["a", "b"]
        #expect(decode(inconsistent) == "m.json: inconsistent model: support vectors have 4 features; the model names 2")
        #expect(decode(json) == nil)
    }

    @Test("the kernel spread over ranks trains bit for bit the same model as one rank")
    func ranksAgree() throws {
        let f = try Self.fixture()
        let (train, _) = try f.datasets()
        let single = try Classifier.train(train, configuration: Self.qsvmConfiguration())
        let models = try LocalCommunicator.run(ranks: 2) { communicator in
            var configuration = try Self.qsvmConfiguration()
            configuration.communicator = communicator
            configuration.scheduler = try Scheduler(threads: 1)
            return try Classifier.train(train, configuration: configuration)
        }
        for model in models {
            #expect(model.svm == single.svm)
            #expect(model.supportVectors == single.supportVectors)
            #expect(model.training.ranks == 2)
        }
    }

    @Test("ranks that loaded different samples from the same path stop with a message on every rank (kernel, train, predict)")
    func ranksLoadedDifferentData() throws {
        // An audit found the same path holding different files on two hosts gave a kernel and a
        // model of neither file, with exit 0.
        let iris = DatasetLoader.iris()
        var changed = iris.features
        changed.values[7] += 0.25
        let other = try Dataset(name: iris.name, features: changed, labels: iris.labels, classes: iris.classes,
                                featureNames: iris.featureNames, labelName: iris.labelName)
        let messages = try LocalCommunicator.run(ranks: 2) { communicator -> [String] in
            let mine: Dataset = communicator.rank == 0 ? iris : other
            var kernel = KernelJob(data: .dataset(mine))
            kernel.communicator = communicator
            kernel.scheduler = try Scheduler(threads: 1)
            var training = TrainingJob(model: .svmRBF, data: .dataset(mine))
            training.communicator = communicator
            training.scheduler = try Scheduler(threads: 1)
            var prediction = PredictionJob(data: .dataset(mine))
            prediction.communicator = communicator
            prediction.scheduler = try Scheduler(threads: 1)
            let model = try TrainedModel.train(TrainingJob(model: .svmRBF, data: .dataset(iris))).model
            return [thrownMessage { _ = try QuantumKernel.compute(kernel) } ?? "no error",
                    thrownMessage { _ = try TrainedModel.train(training) } ?? "no error",
                    thrownMessage { _ = try model.predict(prediction) } ?? "no error"]
        }
        for rankMessages in messages {
            for message in rankMessages {
                #expect(message.contains("rank 1 loaded other samples from it than rank 0"), "\(message)")
            }
        }
        // The same samples on both ranks: no refusal.
        let same = try LocalCommunicator.run(ranks: 2) { communicator -> Int in
            var kernel = KernelJob(data: .dataset(iris))
            kernel.communicator = communicator
            kernel.scheduler = try Scheduler(threads: 1)
            return try QuantumKernel.compute(kernel).matrix.rows
        }
        #expect(same == [150, 150])
    }

    @Test("bad training input: wrong feature count for prediction, mismatched test features")
    func errors() throws {
        let iris = DatasetLoader.iris()
        let model = try Classifier.train(iris, configuration: TrainingConfiguration(kind: .svmRBF))
        #expect(thrownMessage { _ = try model.predict(Matrix([[1, 2]])) }
            == "shape mismatch: the data: 2 features; expected 4, as the model takes (sepal_length, sepal_width, petal_length, petal_width)")
        let other = try Dataset(name: "other", features: Matrix([[1, 2, 3, 4]]), labels: [0], classes: ["setosa"],
                                featureNames: ["a", "b", "c", "d"], labelName: "species")
        #expect(thrownMessage { _ = try Classifier.train(iris, test: other, configuration: TrainingConfiguration(kind: .svmRBF)) }
            == "shape mismatch: the features of the test data other: [\"a\", \"b\", \"c\", \"d\"]; expected the training data iris's [\"sepal_length\", \"sepal_width\", \"petal_length\", \"petal_width\"]")
    }
}
