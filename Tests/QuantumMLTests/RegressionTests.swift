import Foundation
import Testing
@testable import QuantumML
import Parallel

@Suite("Regression: MSE, MAE and R², numeric CSV targets, the random split, the vqr training record")
struct RegressionTests {
    // MARK: - Metrics against hand-computed values

    @Test("MSE, MAE and R² of scikit-learn's r2_score example, computed by hand")
    func metricsByHand() throws {
        // y = [3, −0.5, 2, 7], ŷ = [2.5, 0, 2, 8]: residuals 0.5, −0.5, 0, −1.
        // SS_res = 0.25 + 0.25 + 0 + 1 = 1.5 → MSE = 1.5 / 4 = 0.375; MAE = (0.5 + 0.5 + 0 + 1) / 4 = 0.5.
        // ȳ = 11.5 / 4 = 2.875; SS_tot = 0.125² + 3.375² + 0.875² + 4.125² = 29.1875;
        // R² = 1 − 1.5 / 29.1875 = 0.94860813704496788… (scikit-learn's documented 0.948…).
        let m = try RegressionMetrics(predicted: [2.5, 0, 2, 8], targets: [3, -0.5, 2, 7])
        #expect(m.meanSquaredError == 0.375)
        #expect(m.meanAbsoluteError == 0.5)
        #expect(abs(m.rSquared - 0.948_608_137_044_967_9) < 1e-15)
    }

    @Test("R² is 0 for predicting the mean, 1 for a perfect fit, negative for worse than the mean")
    func metricsLandmarks() throws {
        // y = [1, 2, 3], ȳ = 2, SS_tot = 2.
        let mean = try RegressionMetrics(predicted: [2, 2, 2], targets: [1, 2, 3])
        #expect(mean.rSquared == 0 && mean.meanSquaredError == 2.0 / 3 && mean.meanAbsoluteError == 2.0 / 3)
        let perfect = try RegressionMetrics(predicted: [1, 2, 3], targets: [1, 2, 3])
        #expect(perfect.rSquared == 1 && perfect.meanSquaredError == 0 && perfect.meanAbsoluteError == 0)
        // Reversed: residuals −2, 0, 2 → SS_res = 8, R² = 1 − 8/2 = −3; MSE 8/3; MAE 4/3.
        let reversed = try RegressionMetrics(predicted: [3, 2, 1], targets: [1, 2, 3])
        #expect(reversed.rSquared == -3 && reversed.meanSquaredError == 8.0 / 3 && reversed.meanAbsoluteError == 4.0 / 3)
    }

    @Test("constant targets and a single sample: R² is 1 for a perfect fit, else 0 (never NaN)")
    func metricsConstantTargets() throws {
        // 0.1 three times: the rounded mean need not equal 0.1, so SS_tot = 0 must be found by equality.
        #expect(try RegressionMetrics(predicted: [0.1, 0.1, 0.1], targets: [0.1, 0.1, 0.1]).rSquared == 1)
        let off = try RegressionMetrics(predicted: [0.1, 0.4, 0.1], targets: [0.1, 0.1, 0.1])
        #expect(off.rSquared == 0 && abs(off.meanSquaredError - 0.03) < 1e-15 && abs(off.meanAbsoluteError - 0.1) < 1e-15)
        let one = try RegressionMetrics(predicted: [4], targets: [5])
        #expect(one.rSquared == 0 && one.meanSquaredError == 1 && one.meanAbsoluteError == 1)
    }

    @Test("bad metric inputs: different counts, none, non-finite values")
    func metricsErrors() {
        #expect(thrownMessage { _ = try RegressionMetrics(predicted: [1, 2], targets: [1]) }
            == "shape mismatch: the predictions: 2 for 1 targets; expected one prediction per target")
        #expect(thrownMessage { _ = try RegressionMetrics(predicted: [], targets: []) }
            == "invalid argument: the samples of regression metrics must be at least one; received none")
        #expect(thrownMessage { _ = try RegressionMetrics(predicted: [1, .nan], targets: [1, 2]) }
            == "invalid argument: prediction 1 must be finite; received nan")
        #expect(thrownMessage { _ = try RegressionMetrics(predicted: [1, 2], targets: [.infinity, 2]) }
            == "invalid argument: target 0 must be finite; received inf")
    }

    // MARK: - CSV with numeric targets

    @Test("regressionCSV reads the target column as numbers (by name or the last column); the other columns are features")
    func csvTargets() throws {
        let text = "x1,y,x2\n1,0.5,2\n3,-1e-3,4\n5,  7 ,6\n"
        let named = try DatasetLoader.regressionCSV(text: text, name: "t.csv", targetColumn: "y")
        #expect(named.targets == [0.5, -0.001, 7])
        #expect(named.featureNames == ["x1", "x2"] && named.targetName == "y" && named.name == "t.csv")
        #expect(try named.features == Matrix([[1, 2], [3, 4], [5, 6]]))
        let last = try DatasetLoader.regressionCSV(text: text, name: "t.csv")
        #expect(last.targetName == "x2" && last.targets == [2, 4, 6] && last.featureNames == ["x1", "y"])
    }

    @Test("a target that is not a number, empty or not finite: the file, line, column and the text received")
    func csvTargetErrors() {
        func message(_ text: String) -> String? {
            thrownMessage { _ = try DatasetLoader.regressionCSV(text: text, name: "t.csv", targetColumn: "y") }
        }
        #expect(message("x,y\n1,2\n2,high\n")
            == "t.csv: line 3, column 2 (\"y\"): the target \"high\" is not a number; a regressor needs a finite number in every row of its target column")
        #expect(message("x,y\n1,\n")
            == "t.csv: line 2, column 2 (\"y\"): the target is empty; a regressor needs a finite number in every row of its target column")
        #expect(message("x,y\n1,2\n2,inf\n")
            == "t.csv: line 3, column 2 (\"y\"): \"inf\" is not a finite number; NaN and infinity are not accepted")
        #expect(message("x,z\n1,2\n") == "t.csv: there is no column named \"y\" (the target column); the columns are \"x\", \"z\"")
        // Feature cells keep the feature message.
        #expect(message("x,y\nfoo,2\n") == "t.csv: line 2, column 1 (\"x\"): \"foo\" is not a number; a feature cell holds a finite number")
    }

    @Test("regressionFeatures reads a model's features by name, and the targets only when the column is there")
    func csvFeaturesForPrediction() throws {
        let withTarget = try DatasetLoader.regressionFeatures(text: "b,y,a\n1,10,2\n3,30,4\n", name: "p.csv", featureNames: ["a", "b"],
                                                              targetColumn: "y")
        #expect(try withTarget.features == Matrix([[2, 1], [4, 3]]) && withTarget.targets == [10, 30])
        let without = try DatasetLoader.regressionFeatures(text: "a,b\n1,2\n", name: "p.csv", featureNames: ["a", "b"], targetColumn: "y")
        #expect(without.targets == nil)
        #expect(thrownMessage {
            _ = try DatasetLoader.regressionFeatures(text: "a,b,y\n1,2,x\n", name: "p.csv", featureNames: ["a", "b"], targetColumn: "y")
        } == "p.csv: line 2, column 3 (\"y\"): the target \"x\" is not a number; a regressor needs a finite number in every row of its target column")
    }

    @Test("RegressionData checks its parts")
    func dataChecks() throws {
        #expect(thrownMessage {
            _ = try RegressionData(name: "d", features: Matrix([[1], [2]]), targets: [1], featureNames: ["x"], targetName: "y")
        } == "shape mismatch: the targets: 1 for 2 samples; expected one target per sample")
        #expect(thrownMessage {
            _ = try RegressionData(name: "d", features: Matrix([[1], [2]]), targets: [1, .nan], featureNames: ["x"], targetName: "y")
        } == "invalid argument: the target of sample 1 must be finite; received nan")
        #expect(thrownMessage {
            _ = try RegressionData(name: "d", features: Matrix([[1, 2]]), targets: [1], featureNames: ["x", "x"], targetName: "y")
        } == "invalid argument: feature names 0 and 1 must be distinct; received \"x\" for both")
    }

    // MARK: - Random split

    /// Ten samples whose target is their index, so a split shows which samples went where.
    private func indexed(_ count: Int) throws -> RegressionData {
        try RegressionData(name: "ten", features: Matrix((0..<count).map { [Double($0)] }), targets: (0..<count).map(Double.init),
                           featureNames: ["x"], targetName: "i")
    }

    @Test("randomSplit: round(f·n) test samples, disjoint, together all, in data order, the same for the same seed")
    func split() throws {
        let data = try indexed(10)
        let (train, test) = try randomSplit(data, testFraction: 0.3, seed: 7)
        #expect(test.count == 3 && train.count == 7)
        #expect(Set(train.targets).isDisjoint(with: test.targets))
        #expect(Set(train.targets + test.targets) == Set(data.targets))
        #expect(train.targets == train.targets.sorted() && test.targets == test.targets.sorted())
        // Features travel with their targets.
        #expect(train.features.values == train.targets && test.features.values == test.targets)
        let again = try randomSplit(data, testFraction: 0.3, seed: 7)
        #expect(again.test == test && again.train == train)
        let others = try (1...5).map { try randomSplit(data, testFraction: 0.3, seed: UInt64($0)).test.targets }
        #expect(others.contains { $0 != test.targets }, "five other seeds all chose \(test.targets)")
        // Both sets keep at least one sample.
        #expect(try randomSplit(try indexed(2), testFraction: 0.01, seed: 1).test.count == 1)
        #expect(try randomSplit(try indexed(2), testFraction: 0.99, seed: 1).train.count == 1)
    }

    @Test("randomSplit refuses a fraction outside (0, 1) and fewer than two samples")
    func splitErrors() throws {
        let data = try indexed(4)
        #expect(thrownMessage { _ = try randomSplit(data, testFraction: 0, seed: 1) }
            == "invalid argument: the test fraction must be between 0 and 1 (exclusive); received 0.0")
        #expect(thrownMessage { _ = try randomSplit(data, testFraction: 1, seed: 1) }
            == "invalid argument: the test fraction must be between 0 and 1 (exclusive); received 1.0")
        #expect(thrownMessage { _ = try randomSplit(try indexed(1), testFraction: 0.5, seed: 1) }
            == "invalid argument: the sample count of ten must be at least 2 for a split; received 1")
    }

    // MARK: - Training record

    /// y = sin(x0) + 0.5·x1 on a fixed grid.
    private func sineData(count: Int) throws -> RegressionData {
        let rows: [[Double]] = (0..<count).map { (i: Int) -> [Double] in
            let x0 = Double(i % 6) / 2 - 1.25, x1 = Double(i % 5) / 2 - 1
            return [x0, x1]
        }
        let targets: [Double] = rows.map { (row: [Double]) -> Double in sin(row[0]) + 0.5 * row[1] }
        return try RegressionData(name: "sine", features: Matrix(rows), targets: targets, featureNames: ["x0", "x1"], targetName: "y")
    }

    private func configuration(epochs: Int) throws -> VariationalConfiguration {
        var configuration = try VariationalConfiguration(featureMap: .angle(features: 2, rotation: .y),
                                                         ansatz: .realAmplitudes(qubits: 2, reps: 2), epochs: epochs,
                                                         batchSize: 5, seed: 3, scheduler: Scheduler(threads: 1))
        configuration.optimizer = .adam(learningRate: 0.1)
        return configuration
    }

    @Test("trainRegressor on RegressionData saves train and test MSE, MAE and R², equal to the metrics of its own predictions")
    func recordHoldsMetrics() throws {
        let (train, test) = try randomSplit(try sineData(count: 30), testFraction: 0.25, seed: 7)
        let model = try VariationalModel.trainRegressor(train, test: test, configuration: configuration(epochs: 8), split: (7, 0.25))
        let t = model.training
        #expect(model.kind == .vqr && model.featureNames == ["x0", "x1"] && model.labelName == "y" && t.dataset == "sine")
        #expect(t.testSamples == test.count && t.splitSeed == 7 && t.testSize == 0.25)
        let onTrain = try RegressionMetrics(predicted: model.predictValues(train.features), targets: train.targets)
        let onTest = try RegressionMetrics(predicted: model.predictValues(test.features), targets: test.targets)
        #expect(t.trainMSE == onTrain.meanSquaredError && t.trainMAE == onTrain.meanAbsoluteError && t.trainR2 == onTrain.rSquared)
        #expect(t.testMSE == onTest.meanSquaredError && t.testMAE == onTest.meanAbsoluteError && t.testR2 == onTest.rSquared)
        // Better than predicting the training mean: the fit learned something.
        #expect(onTrain.rSquared > 0, "train R² \(onTrain.rSquared)")
        // Without test data the test figures stay absent.
        let alone = try VariationalModel.trainRegressor(train, configuration: configuration(epochs: 1))
        #expect(alone.training.testMSE == nil && alone.training.testR2 == nil && alone.training.trainR2 != nil)
    }

    @Test("trainRegressor refuses test data whose features differ")
    func testFeaturesMustMatch() throws {
        let data = try sineData(count: 6)
        var other = data
        other.featureNames = ["a", "b"]
        #expect(thrownMessage { _ = try VariationalModel.trainRegressor(data, test: other, configuration: configuration(epochs: 1)) }
            == "shape mismatch: the features of the test data sine: [\"a\", \"b\"]; expected the training data sine's [\"x0\", \"x1\"]")
    }

    @Test("a vqr file written before MAE and R² were recorded still loads, with those fields absent")
    func olderRecordLoads() throws {
        let (train, test) = try randomSplit(try sineData(count: 12), testFraction: 0.25, seed: 7)
        let model = try VariationalModel.trainRegressor(train, test: test, configuration: configuration(epochs: 1))
        var object = try #require(try JSONSerialization.jsonObject(with: model.encoded()) as? [String: Any])
        var training = try #require(object["training"] as? [String: Any])
        for key in ["trainMAE", "testMAE", "trainR2", "testR2"] {
            #expect(training[key] != nil, "\(key) is written")
            training[key] = nil
        }
        object["training"] = training
        let old = try VariationalModel.decode(JSONSerialization.data(withJSONObject: object), path: "old.json")
        #expect(old.training.trainMAE == nil && old.training.trainR2 == nil && old.training.testR2 == nil)
        #expect(old.training.trainMSE == model.training.trainMSE && old.weights == model.weights)
        #expect(try old.predictValues(test.features) == model.predictValues(test.features))
    }
}
