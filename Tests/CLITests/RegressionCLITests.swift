import Foundation
import Testing

/// y = sin(x1) + 0.5·x2 on 30 fixed points of [−1.5, 1.5] × [−1, 1], as CSV with the target last.
private func sineCSV() -> (text: String, targets: [Double]) {
    var text = "x1,x2,y\n", targets: [Double] = []
    for i in 0..<30 {
        let x1 = Double((i * 37) % 30) / 10 - 1.5, x2 = Double((i * 61) % 20) / 10 - 1
        let y = sin(x1) + 0.5 * x2
        text += "\(x1),\(x2),\(y)\n"
        targets.append(y)
    }
    return (text, targets)
}

/// The prediction column of `sample,prediction[,label]` CSV, as numbers.
private func predictedValues(_ csv: String) throws -> [Double] {
    let lines = csv.split(separator: "\n").dropFirst()
    return try lines.map { line in
        let fields = line.split(separator: ",")
        return try #require(fields.count >= 2 ? Double(fields[1]) : nil, "not a value: \(line)")
    }
}

/// R² written out here, apart from the library: 1 − Σ(y − ŷ)² / Σ(y − ȳ)².
private func rSquared(_ predicted: [Double], _ targets: [Double]) -> Double {
    let mean = targets.reduce(0, +) / Double(targets.count)
    let residual = zip(targets, predicted).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
    let total = targets.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
    return 1 - residual / total
}

@Suite("verdant train --model vqr and predict with a regressor", .serialized)
struct RegressionCLITests {
    @Test("train --model vqr on 30 rows: a vqr file, MSE/MAE/R² in the JSON, the summary and the file; train R² beats the mean; predict gives one value per row")
    func trainAndPredict() throws {
        let folder = try TemporaryDirectory()
        let (text, targets) = sineCSV()
        let data = try folder.write("sine.csv", text)
        let model = folder.url.appendingPathComponent("vqr.json").path
        let train = try verdant(["train", "--data", data, "--model", "vqr", "--epochs", "8", "--batch-size", "5",
                                 "--learning-rate", "0.1", "-o", model, "--json", "--no-energy-summary"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try jsonObject(train.stdout)
        #expect(summary["kind"] as? String == "vqr" && summary["target"] as? String == "y" && summary["sealed"] as? Bool == false)
        // 25 % of 30, rounded: 8 test samples drawn at random, 22 to train on.
        #expect(summary["testSamples"] as? Int == 8 && summary["samples"] as? Int == 22)
        #expect((summary["history"] as? [[String: Any]])?.count == 8)
        for key in ["trainMSE", "trainMAE", "trainR2", "testMSE", "testMAE", "testR2"] {
            #expect(summary[key] is Double, "\(key) in \(summary)")
        }
        let trainR2 = try #require(summary["trainR2"] as? Double)
        // Predicting the mean scores 0; this run measured 0.91 (the training is seeded and the same on any thread count).
        #expect(trainR2 > 0.5, "train R² \(trainR2) is not well above predicting the mean (0)")
        #expect(summary["trainAccuracy"] == nil && summary["classes"] == nil)

        // The model file is a vqr with the same figures in its training record.
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any])
        #expect(file["kind"] as? String == "vqr" && file["labelName"] as? String == "y")
        let training = try #require(file["training"] as? [String: Any])
        for key in ["trainMSE", "trainMAE", "trainR2", "testMSE", "testMAE", "testR2"] {
            #expect(training[key] as? Double == summary[key] as? Double, "\(key)")
        }

        // predict: one value per row, in order; its R² on all rows agrees with an R² computed here.
        let predictions = folder.url.appendingPathComponent("p.csv").path
        let predict = try verdant(["predict", "--model", model, "--data", data, "-o", predictions, "--json", "--no-energy-summary"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let csv = try String(contentsOfFile: predictions, encoding: .utf8)
        #expect(csv.hasPrefix("sample,prediction,label\n"))
        let values = try predictedValues(csv)
        #expect(values.count == 30)
        let scored = try jsonObject(predict.stdout)
        #expect(scored["samples"] as? Int == 30 && scored["accuracy"] is NSNull)
        let ownR2 = rSquared(values, targets)
        #expect(abs((scored["r2"] as? Double ?? .nan) - ownR2) < 1e-9, "predict's R² \(String(describing: scored["r2"])), here \(ownR2)")
        #expect(ownR2 > 0)
        let ownMSE = zip(values, targets).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 30
        #expect(abs((scored["mse"] as? Double ?? .nan) - ownMSE) < 1e-9)

        // The human summary names the regression figures, not accuracy; the note of predict too.
        let human = try verdant(["train", "--data", data, "--model", "vqr", "--epochs", "2", "-o", model, "--force", "--no-energy-summary"])
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.hasPrefix("vqr on ") && human.stdout.contains("train MSE ") && human.stdout.contains(", R² ")
                && human.stdout.contains("test MSE ") && !human.stdout.contains("accuracy"), "\(human.stdout)")
        let note = try verdant(["predict", "--model", model, "--data", data, "-o", predictions, "--force", "--no-energy-summary"])
        #expect(note.stderr.contains("30 predictions → \(predictions); MSE ") && note.stderr.contains("against the data's y column"), "\(note.stderr)")
        // Without the target column: values only.
        let features = try folder.write("features.csv", "x2,x1\n0.5,0.25\n-1,1\n")
        let bare = try verdant(["predict", "--model", model, "--data", features, "--no-energy-summary"])
        #expect(bare.status == 0 && bare.stdout.hasPrefix("sample,prediction\n"))
        #expect(try predictedValues(bare.stdout).count == 2)
    }

    @Test("vqr on sealed data: the model and predictions are sealed, the values open with the key, nothing plain is written")
    func sealed() throws {
        let folder = try TemporaryDirectory()
        let key = folder.url.appendingPathComponent("k.bin").path
        #expect(try verdant(["keygen", "--symmetric", "-o", key]).status == 0)
        let plain = try folder.write("sine.csv", sineCSV().text)
        let data = folder.url.appendingPathComponent("sine.csv.sealed").path
        #expect(try verdant(["seal", "--key-file", key, "-o", data, plain]).status == 0)
        try FileManager.default.removeItem(atPath: plain)

        let model = folder.url.appendingPathComponent("vqr.sealed").path
        let train = try verdant(["train", "--data", data, "--key-file", key, "--model", "vqr", "--epochs", "3", "-o", model,
                                 "--json", "--no-energy-summary"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try jsonObject(train.stdout)
        #expect(summary["kind"] as? String == "vqr" && summary["sealed"] as? Bool == true)
        #expect(try verdant(["inspect", model]).stdout.contains("model/verdant"))
        let opened = try verdant(["unseal", "--key-file", key, model])
        #expect(try jsonObject(opened.stdout)["kind"] as? String == "vqr")

        let predictions = folder.url.appendingPathComponent("p.sealed").path
        let predict = try verdant(["predict", "--model", model, "--data", data, "--key-file", key, "-o", predictions, "--no-energy-summary"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stderr.contains("(sealed); MSE "), "\(predict.stderr)")
        let values = try predictedValues(try verdant(["unseal", "--key-file", key, predictions]).stdout)
        #expect(values.count == 30)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted()
        #expect(files == ["k.bin", "p.sealed", "sine.csv.sealed", "vqr.sealed"])
    }

    @Test("vqr input errors: a non-numeric target (file, line, column, value), --readout parity, a built-in class set; exit 2, no file")
    func errors() throws {
        let folder = try TemporaryDirectory()
        let bad = try folder.write("bad.csv", "x1,x2,y\n0.1,0.2,1.5\n0.3,0.4,2.5\n0.5,0.6,high\n")
        let good = try folder.write("good.csv", sineCSV().text)
        let out = folder.url.appendingPathComponent("m.json").path
        let cases: [([String], String)] = [
            (["train", "--data", bad, "--model", "vqr", "-o", out],
             "bad.csv: line 4, column 3 (\"y\"): the target \"high\" is not a number; a regressor needs a finite number in every row of its target column"),
            (["train", "--data", good, "--test", bad, "--model", "vqr", "-o", out],
             "bad.csv: line 4, column 3 (\"y\"): the target \"high\" is not a number"),
            (["train", "--data", good, "--model", "vqr", "--readout", "parity", "-o", out],
             "--readout parity scores two classes; --model vqr predicts a value from ⟨Z_0⟩"),
            (["train", "--data", "builtin:iris", "--model", "vqr", "-o", out],
             "--model vqr needs numeric targets; 'builtin:iris' is a classification set"),
            (["train", "--data", good, "--label", "price", "--model", "vqr", "-o", out],
             "there is no column named \"price\" (the target column); the columns are \"x1\", \"x2\", \"y\""),
        ]
        for (arguments, message) in cases {
            let result = try verdant(arguments + ["--no-energy-summary"])
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            expectNoTrace(result)
        }
        #expect(!FileManager.default.fileExists(atPath: out))

        // predict with a vqr model: the data's target column must hold numbers too.
        let model = folder.url.appendingPathComponent("vqr.json").path
        #expect(try verdant(["train", "--data", good, "--model", "vqr", "--epochs", "1", "-o", model, "--no-energy-summary"]).status == 0)
        let predictions = folder.url.appendingPathComponent("p.csv").path
        let predict = try verdant(["predict", "--model", model, "--data", bad, "-o", predictions, "--no-energy-summary"])
        #expect(predict.status == 2 && predict.stderr.contains("bad.csv: line 4, column 3 (\"y\"): the target \"high\" is not a number"),
                "\(predict.stderr)")
        expectNoTrace(predict)
        #expect(!FileManager.default.fileExists(atPath: predictions))
    }
}
