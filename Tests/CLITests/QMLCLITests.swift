import Foundation
import Testing
import Verdant

/// The Qiskit fixture of the QuantumML tests (ZZ map, 2 features, reps 2).
private struct KernelCase: Decodable {
    let name: String
    let train: [[Double]]
    let test: [[Double]]
    let train_kernel: [[Double]]
    let test_kernel: [[Double]]
}

private struct KernelCases: Decodable { let cases: [KernelCase] }

private func csv(_ rows: [[Double]]) -> String {
    "x0,x1,label\n" + rows.map { $0.map { "\($0)" }.joined(separator: ",") + ",0\n" }.joined()
}

@Suite("verdant demo, train, predict and kernel", .serialized)
struct QMLCLITests {
    @Test("demo: sealed data → quantum and RBF SVMs → sealed models and predictions → one table, in a fresh folder")
    func demo() throws {
        let folder = try TemporaryDirectory()
        let work = folder.url.appendingPathComponent("demo").path
        let result = try verdant(["demo", "--work-dir", work, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        let models = try #require(object["models"] as? [[String: Any]])
        #expect(models.map { $0["model"] as? String } == ["qsvm", "svm-rbf", "vqc"])
        for model in models {
            let accuracy = try #require(model["accuracy"] as? Double)
            #expect(accuracy >= 0.9, "\(model)")
            #expect((model["joules"] as? Double ?? -1) > 0)
            #expect(Provenance.allCases.map(\.rawValue).contains(model["provenance"] as? String ?? ""))
            // The band travels with the value: low ≤ joules ≤ high.
            let band = try #require(model["joules_band"] as? [Double])
            #expect(band.count == 2 && band[0] <= (model["joules"] as? Double ?? -1) && (model["joules"] as? Double ?? -1) <= band[1])
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: work).sorted()
        #expect(files == ["demo.key", "iris.csv.sealed", "qsvm.model.sealed", "qsvm.predictions.sealed",
                          "svm-rbf.model.sealed", "svm-rbf.predictions.sealed", "vqc.model.sealed", "vqc.predictions.sealed"])
        let attributes = try FileManager.default.attributesOfItem(atPath: work + "/demo.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // No plaintext: the sealed files hold no CSV text; the owner's key opens them.
        let sealedData = try String(decoding: Data(contentsOf: URL(fileURLWithPath: work + "/iris.csv.sealed")), as: UTF8.self)
        #expect(!sealedData.contains("sepal_length"))
        let opened = try verdant(["unseal", "-i", work + "/demo.key", work + "/qsvm.predictions.sealed"])
        #expect(opened.status == 0 && opened.stdout.hasPrefix("sample,prediction\n0,"))
        // The text table names every column and the folder.
        let table = try verdant(["demo", "--work-dir", folder.url.appendingPathComponent("again").path, "--no-energy-summary"])
        #expect(table.status == 0)
        for word in ["model", "test accuracy", "seconds", "joules", "gCO2e", "cost", "energy provenance", "quantum SVM", "classical SVM (RBF)", "quantum neural network", "files: "] {
            #expect(table.stdout.contains(word), "\(word)")
        }
        // A work folder that is not empty is refused, and nothing is written into it.
        let refused = try verdant(["demo", "--work-dir", work])
        #expect(refused.status == 2 && refused.stderr.contains("is not empty"))
        expectNoTrace(refused)
        // Found by an audit: an empty --work-dir wrote into the working folder; --report over the
        // demo's key destroyed it; two reports in one file kept one; a path under a file gave
        // "NSCocoaErrorDomain error 512"; --circuits ignored the main demo's options.
        let fresh = folder.url.appendingPathComponent("fresh").path
        let cases: [([String], String)] = [
            (["--work-dir", ""], "--work-dir: the path is empty"),
            (["--work-dir", fresh, "--report", fresh + "/demo.key"], "is the demo's own demo.key in the work folder"),
            (["--work-dir", fresh, "--report", work + "-r.out", "--energy-report", work + "-r.out"], "give each output its own file"),
            (["--work-dir", work + "/demo.key/sub"], "'\(work)/demo.key' is a file, not a folder"),
            (["--circuits", "--json"], "--json belongs to the main demo, and --circuits runs the circuit demo instead"),
        ]
        for (arguments, message) in cases {
            let result = try verdant(["demo"] + arguments + ["--no-energy-summary"])
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            expectNoTrace(result)
        }
        #expect(!FileManager.default.fileExists(atPath: fresh), "a refused demo leaves no work folder")
        // A report in the work folder is fine.
        let inside = try verdant(["demo", "--work-dir", fresh, "--report", fresh + "/report.html", "--no-energy-summary"])
        #expect(inside.status == 0 && FileManager.default.fileExists(atPath: fresh + "/report.html"), "\(inside.stderr)")
    }

    @Test("train and predict on sealed data: sealed model and predictions that verdant unseal opens")
    func trainPredictSealed() throws {
        let folder = try TemporaryDirectory()
        let key = folder.url.appendingPathComponent("me.key").path
        let keygen = try verdant(["keygen", "-o", key])
        let recipient = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var rows = "f1,f2,class\n"
        for i in 0..<40 {
            let a = Double(i % 2), noise = Double((i * 37) % 11) / 40
            rows += "\(a + noise),\(1 - a + noise),\(i % 2 == 0 ? "even" : "odd")\n"
        }
        let plain = try folder.write("data.csv", rows)
        let sealed = folder.url.appendingPathComponent("data.sealed").path
        #expect(try verdant(["seal", "-r", recipient, "-o", sealed, plain]).status == 0)
        try FileManager.default.removeItem(atPath: plain)

        let model = folder.url.appendingPathComponent("model.sealed").path
        let train = try verdant(["train", "--data", sealed, "-i", key, "-r", recipient, "--model", "qsvm", "--reps", "1",
                                 "-o", model, "--json", "--no-energy-summary"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try jsonObject(train.stdout)
        #expect(summary["sealed"] as? Bool == true && summary["testSamples"] as? Int == 10)
        #expect((summary["testAccuracy"] as? Double ?? 0) >= 0.9)
        #expect(try verdant(["inspect", model]).stdout.contains("model/verdant"))

        let predictions = folder.url.appendingPathComponent("predictions.sealed").path
        let predict = try verdant(["predict", "--model", model, "--data", sealed, "-i", key, "-r", recipient, "-o", predictions])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stderr.contains("40 predictions → \(predictions) (sealed); accuracy"))
        let opened = try verdant(["unseal", "-i", key, predictions])
        let lines = opened.stdout.split(separator: "\n")
        #expect(lines.first == "sample,prediction,label" && lines.count == 41)
        // Only the sealed files are in the folder: no plaintext was written.
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted()
        #expect(files == ["data.sealed", "me.key", "model.sealed", "predictions.sealed"])

        // Without the identity the sealed data cannot be read, and nothing is written.
        let model2 = folder.url.appendingPathComponent("model2.json").path
        let denied = try verdant(["train", "--data", sealed, "-o", model2])
        #expect(denied.status == 2 && !FileManager.default.fileExists(atPath: model2))
        expectNoTrace(denied)
        // An existing model is kept without --force.
        let again = try verdant(["train", "--data", sealed, "-i", key, "-o", model])
        #expect(again.status == 2 && again.stderr.contains("exists; use --force"))
    }

    @Test("train --model vqc on sealed data with a key file; predict reads the vqc model; the history is in the JSON")
    func variational() throws {
        let folder = try TemporaryDirectory()
        let key = folder.url.appendingPathComponent("k.bin").path
        #expect(try verdant(["keygen", "--symmetric", "-o", key]).status == 0)
        let model = folder.url.appendingPathComponent("vqc.model").path
        let train = try verdant(["train", "--data", "builtin:iris", "--model", "vqc", "--ansatz", "strongly-entangling", "--layers", "2",
                                 "--epochs", "8", "--key-file", key, "-o", model, "--json", "--no-energy-summary"])
        #expect(train.status == 0, "\(train.stderr)")
        let summary = try jsonObject(train.stdout)
        #expect(summary["kind"] as? String == "vqc" && summary["sealed"] as? Bool == true)
        #expect((summary["history"] as? [[String: Any]])?.count == 8)
        #expect((summary["testAccuracy"] as? Double ?? 0) >= 0.7)
        let predictions = folder.url.appendingPathComponent("p.sealed").path
        let predict = try verdant(["predict", "--model", model, "--data", "builtin:iris", "--key-file", key, "-o", predictions])
        #expect(predict.status == 0, "\(predict.stderr)")
        let opened = try verdant(["unseal", "--key-file", key, predictions])
        #expect(opened.stdout.split(separator: "\n").count == 151)
    }

    @Test("vqc options reach the model: sgd + momentum, hybrid, early stopping, parameter shift, efficient-su2 linear; sealed with a passphrase")
    func variationalOptions() throws {
        let folder = try TemporaryDirectory()
        let passphrase = try folder.write("pw.txt", "a passphrase for tests\n")
        let model = folder.url.appendingPathComponent("m.sealed").path
        let train = try verdant(["train", "--data", "builtin:iris", "--model", "vqc", "--ansatz", "efficient-su2", "--layers", "1",
                                 "--ansatz-entanglement", "linear", "--epochs", "3", "--batch-size", "8", "--optimizer", "sgd",
                                 "--momentum", "0.5", "--learning-rate", "0.2", "--hybrid", "--validation-fraction", "0.25",
                                 "--patience", "2", "--gradient", "parameter-shift", "--passphrase-file", passphrase,
                                 "--work-factor", "10", "-o", model, "--no-energy-summary"])
        #expect(train.status == 0, "\(train.stderr)")
        let opened = try verdant(["unseal", "--passphrase-file", passphrase, model])
        #expect(opened.status == 0, "\(opened.stderr)")
        let file = try jsonObject(opened.stdout)
        let ansatz = try #require(file["ansatz"] as? [String: Any])
        #expect(ansatz["kind"] as? String == "efficient_su2" && ansatz["entanglement"] as? String == "linear" && ansatz["reps"] as? Int == 1)
        #expect(file["linear"] != nil)  // the hybrid layer
        let training = try #require(file["training"] as? [String: Any])
        let sgd = (training["optimizer"] as? [String: Any])?["sgd"] as? [String: Any]
        #expect(sgd?["learningRate"] as? Double == 0.2 && sgd?["momentum"] as? Double == 0.5)
        #expect(training["gradientMethod"] as? String == "parameter-shift" && training["patience"] as? Int == 2)
        #expect(training["validationFraction"] as? Double == 0.25 && training["batchSize"] as? Int == 8)
        #expect((training["validationSamples"] as? Int ?? 0) > 0 && training["energy"] != nil)
        // The model file carries the energy's band, not only its value and provenance.
        let energy = try #require(training["energy"] as? [String: Any])
        let (low, joules, high) = (energy["joulesLow"] as? Double ?? .nan, energy["joules"] as? Double ?? .nan, energy["joulesHigh"] as? Double ?? .nan)
        #expect(low <= joules && joules <= high && high > low, "\(energy)")
        // predict opens the passphrase-sealed model and seals its predictions with the same passphrase.
        let predictions = folder.url.appendingPathComponent("p.sealed").path
        let predict = try verdant(["predict", "--model", model, "--data", "builtin:iris", "--passphrase-file", passphrase,
                                   "--work-factor", "10", "-o", predictions, "--no-energy-summary"])
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(try verdant(["unseal", "--passphrase-file", passphrase, predictions]).stdout.split(separator: "\n").count == 151)
    }

    @Test("kernel --feature-map pauli with --paulis, --entanglement, --reps, --alpha equals the library's kernel")
    func kernelPauliOptions() throws {
        let folder = try TemporaryDirectory()
        let out = folder.url.appendingPathComponent("K.csv").path
        let result = try verdant(["kernel", "--data", "builtin:iris", "--feature-map", "pauli", "--paulis", "Z,XY", "--entanglement", "circular",
                                  "--reps", "1", "--alpha", "1.3", "--scale", "none", "--out", out, "--no-energy-summary"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").compactMap { Double($0) } }
        let map = try FeatureMap.pauli(features: 4, paulis: ["Z", "XY"], reps: 1, entanglement: .circular, alpha: 1.3)
        let expected = try QuantumKernel(featureMap: map).trainingMatrix(DatasetLoader.iris().features)
        #expect(rows.count == 150 && rows.allSatisfy { $0.count == 150 })
        var worst = 0.0
        for i in 0..<150 { for j in 0..<150 { worst = max(worst, abs(rows[i][j] - expected[i, j])) } }
        #expect(worst < 1e-12)
    }

    @Test("train --model qsvm applies --alpha, --reps and --entanglement to its default ZZ map (no --feature-map needed)")
    func qsvmFeatureMapOptions() throws {
        let folder = try TemporaryDirectory()
        let model = folder.url.appendingPathComponent("m.json").path
        let result = try verdant(["train", "--data", "builtin:iris", "--alpha", "0.5", "--reps", "1", "--entanglement", "linear",
                                  "-o", model, "--json", "--no-energy-summary"])
        #expect(result.status == 0, "\(result.stderr)")
        let file = try jsonObject(String(decoding: try Data(contentsOf: URL(fileURLWithPath: model)), as: UTF8.self))
        let map = try #require(file["featureMap"] as? [String: Any])
        let pauli = try #require((map["kind"] as? [String: Any])?["pauli"] as? [String: Any])
        #expect(pauli["alpha"] as? Double == 0.5 && map["reps"] as? Int == 1 && pauli["entanglement"] as? String == "linear", "\(map)")
        #expect(pauli["paulis"] as? [String] == ["Z", "ZZ"])
        // α = 0.5 is the demo's choice on Iris: 0.974 test accuracy (α = 2 gives 0.744; docs/qsvm.md).
        #expect(try jsonObject(result.stdout)["testAccuracy"] as? Double ?? 0 > 0.95)
    }

    @Test("kernel --seed draws builtin:adhoc as train --seed does (it was fixed at 7); a sealed model given as data is refused, exit 2")
    func kernelSeedAndSealedModelAsData() throws {
        let folder = try TemporaryDirectory()
        func kernel(_ seed: String) throws -> String {
            let result = try verdant(["kernel", "--data", "builtin:adhoc", "--scale", "none", "--seed", seed, "--no-energy-summary"])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout
        }
        let seven = try kernel("7"), three = try kernel("3")
        #expect(seven == (try kernel("7")) && seven != three)
        let (train, _) = try DatasetLoader.adHoc(trainingSize: 20, testSize: 10, features: 2, gap: 0.3, seed: 3)
        let expected = try QuantumKernel(featureMap: .zz(features: 2)).trainingMatrix(train.features)
        let rows = three.split(separator: "\n").map { $0.split(separator: ",").compactMap { Double($0) } }
        #expect(rows.count == 40 && abs(rows[3][17] - expected[3, 17]) < 1e-12)
        // A sealed model is not data: its content type is checked before any key is tried.
        let key = folder.url.appendingPathComponent("k.key").path
        #expect(try verdant(["keygen", "--symmetric", "-o", key]).status == 0)
        let model = folder.url.appendingPathComponent("m.sealed").path
        #expect(try verdant(["train", "--data", "builtin:iris", "--model", "svm-linear", "--key-file", key, "-o", model,
                             "--no-energy-summary"]).status == 0)
        let refused = try verdant(["train", "--data", model, "--key-file", key, "-o", folder.url.appendingPathComponent("x").path,
                                   "--no-energy-summary"])
        #expect(refused.status == 2 && refused.stderr.contains("the sealed file holds model/verdant, not a CSV dataset"), "\(refused.stderr)")
    }

    @Test("kernel writes Qiskit's kernel matrix (training and test) as .csv and .npy")
    func kernelMatchesQiskit() throws {
        let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("QuantumMLTests/Fixtures/kernels/kernels.json")
        let cases = try JSONDecoder().decode(KernelCases.self, from: Data(contentsOf: fixtureURL)).cases
        let fixture = try #require(cases.first { $0.name == "zz-2-full-reps2" })
        let folder = try TemporaryDirectory()
        let train = try folder.write("train.csv", csv(fixture.train))
        let test = try folder.write("test.csv", csv(fixture.test))
        let out = folder.url.appendingPathComponent("K.csv").path
        let run = try verdant(["kernel", "--data", train, "--feature-map", "zz", "--reps", "2", "--scale", "none", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let values = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").compactMap { Double($0) } }
        #expect(values.count == fixture.train.count)
        for (row, expected) in zip(values, fixture.train_kernel) {
            #expect(zip(row, expected).allSatisfy { abs($0 - $1) < 1e-10 })
        }
        let testOut = try verdant(["kernel", "--data", train, "--test", test, "--scale", "none", "--no-energy-summary"])
        let testValues = testOut.stdout.split(separator: "\n").map { $0.split(separator: ",").compactMap { Double($0) } }
        #expect(testValues.count == fixture.test.count && testValues.first?.count == fixture.train.count)
        for (row, expected) in zip(testValues, fixture.test_kernel) {
            #expect(zip(row, expected).allSatisfy { abs($0 - $1) < 1e-10 })
        }
        let npy = folder.url.appendingPathComponent("K.npy").path
        let json = try verdant(["kernel", "--data", train, "--scale", "none", "--out", npy, "--json", "--no-energy-summary"])
        #expect(json.status == 0)
        let summary = try jsonObject(json.stdout)
        #expect(summary["rows"] as? Int == fixture.train.count && summary["qubits"] as? Int == 2)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: npy))
        #expect(bytes.prefix(6) == Data([0x93]) + Data("NUMPY".utf8))
        #expect(bytes.count % 64 == (fixture.train.count * fixture.train.count * 8) % 64)
    }

    @Test("bad input: clear messages with file, line and column, exit 2, no partial output")
    func badInput() throws {
        let folder = try TemporaryDirectory()
        let bad = try folder.write("bad.csv", "a,b,label\n1,2,x\n3,oops,y\n")
        let three = try folder.write("three.csv", "a,b,c,label\n1,2,3,x\n2,3,1,y\n3,1,2,x\n1,1,1,y\n")
        let two = try folder.write("two.csv", "a,b,label\n1,2,x\n2,3,y\n")
        let out = folder.url.appendingPathComponent("m.json").path
        let cases: [([String], String)] = [
            (["train", "--data", bad, "-o", out], "bad.csv: line 3, column 2 (\"b\"): \"oops\" is not a number"),
            (["train", "--data", folder.url.appendingPathComponent("missing.csv").path, "-o", out], "missing.csv"),
            (["train", "--data", "builtin:nope", "-o", out], "'builtin:nope' is not a built-in data set; built-in: builtin:iris, builtin:adhoc"),
            (["train", "--data", "builtin:iris", "--model", "forest", "-o", out], "--model: 'forest' is not one of qsvm, svm-rbf, svm-linear, vqc, vqr"),
            (["train", "--data", "builtin:iris", "--feature-map", "zx", "-o", out], "--feature-map: 'zx' is not one of zz, z, pauli, angle, amplitude"),
            (["train", "--data", "builtin:iris", "--test-size", "1.5", "-o", out], "--test-size must be in [0, 1), received 1.5"),
            (["train", "--data", "builtin:iris", "--label", "colour", "-o", out], "colour"),
            (["predict", "--model", bad, "--data", "builtin:iris"], "not a Verdant model file"),
            (["train", "--data", "builtin:iris", "--model", "vqc", "--ansatz", "mps", "-o", out], "--ansatz: 'mps' is not one of real-amplitudes, efficient-su2, strongly-entangling"),
            (["train", "--data", "builtin:iris", "--model", "vqc", "--epochs", "0", "-o", out], "--epochs must be at least 1, received 0"),
            (["train", "--data", "builtin:iris", "--model", "vqc", "--readout", "parity", "-o", out], "parity"),
            (["kernel", "--data", "builtin:iris", "--out", folder.url.appendingPathComponent("K.txt").path], "--out: '"),
            (["kernel", "--data", three, "--test", two, "--out", folder.url.appendingPathComponent("K.npy").path],
             "two.csv: a, b; expected those of the training samples \(three) (a, b, c), in the same order"),
        ]
        for (arguments, message) in cases {
            let result = try verdant(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            expectNoTrace(result)
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == ["bad.csv", "three.csv", "two.csv"])
        // predict reads builtin:iris or a file; the ad hoc set exists only inside a training run.
        let models = try TemporaryDirectory()
        let model = models.url.appendingPathComponent("m.json").path
        #expect(try verdant(["train", "--data", "builtin:iris", "--model", "svm-rbf", "-o", model, "--no-energy-summary"]).status == 0)
        let adhoc = try verdant(["predict", "--model", model, "--data", "builtin:adhoc", "--no-energy-summary"])
        #expect(adhoc.status == 2 && adhoc.stderr.contains(
            "--data: predict reads a CSV file (plain or sealed) or builtin:iris; 'builtin:adhoc' is generated per training run"))
    }

    @Test("a sealed model opened with another identity: a clear error, exit 3 (no key opens it), no predictions file")
    func wrongKey() throws {
        let folder = try TemporaryDirectory()
        let owner = folder.url.appendingPathComponent("owner.key").path, other = folder.url.appendingPathComponent("other.key").path
        let recipient = try verdant(["keygen", "-o", owner]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try verdant(["keygen", "-o", other])
        let model = folder.url.appendingPathComponent("m.sealed").path
        let trained = try verdant(["train", "--data", "builtin:iris", "--model", "svm-rbf", "-r", recipient, "-o", model, "--no-energy-summary"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let predictions = folder.url.appendingPathComponent("p.csv").path
        let result = try verdant(["predict", "--model", model, "--data", "builtin:iris", "-i", other, "-o", predictions, "--no-energy-summary"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("m.sealed: no identity opens this file"), "\(result.stderr)")
        expectNoTrace(result)
        #expect(!FileManager.default.fileExists(atPath: predictions))
        #expect(try verdant(["predict", "--model", model, "--data", "builtin:iris", "-i", owner, "-o", predictions,
                             "--no-energy-summary"]).status == 0)
    }

    @Test("finite values too large to encode are refused with exit 2 and nothing written: kernel --test, predict, train (found by an audit)")
    func overflowingFeatures() throws {
        let folder = try TemporaryDirectory()
        let data = try folder.write("d.csv", "a,b,label\n0.1,0.2,x\n0.4,0.3,y\n0.2,0.6,x\n0.9,0.7,y\n0.5,0.1,x\n0.3,0.8,y\n")
        let far = try folder.write("far.csv", "a,b,label\n1e308,0.1,x\n0.1,0.2,y\n")
        let wide = try folder.write("wide.csv", "a,b,label\n1,-1e308,x\n3,1e308,y\n5,6,x\n7,8,y\n")
        let out = folder.url.appendingPathComponent("k.npy").path
        let kernel = try verdant(["kernel", "--data", data, "--test", far, "--out", out, "--no-energy-summary"])
        #expect(kernel.status == 2 && kernel.stderr.contains("sample 0, feature 0 (counting from 0): 1e+308, which scales to inf"),
                "\(kernel.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "a kernel matrix of NaN was written")
        let model = folder.url.appendingPathComponent("m.model").path
        #expect(try verdant(["train", "--data", data, "-o", model, "--no-energy-summary"]).status == 0)
        let predicted = try verdant(["predict", "--model", model, "--data", far, "-o", folder.url.appendingPathComponent("p.csv").path,
                                     "--no-energy-summary"])
        #expect(predicted.status == 2 && predicted.stderr.contains("sample 0, feature 0 (counting from 0): 1e+308"), "\(predicted.stderr)")
        for extra in [[String](), ["--model", "vqc", "--epochs", "1"]] {
            let trained = try verdant(["train", "--data", wide, "--test-size", "0", "-o", folder.url.appendingPathComponent("w.model").path,
                                       "--no-energy-summary"] + extra)
            #expect(trained.status == 2 && trained.stderr.contains("values from -1e+308 to 1e+308, whose range overflows a double"),
                    "\(extra): \(trained.stderr)")
            expectNoTrace(trained)
        }
    }
}
