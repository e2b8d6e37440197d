import Foundation
import Testing
@testable import VerdantCLI
import Verdant

/// The options every private run below shares: public bounds of Iris's features, σ given, seeded.
private let privateIris = ["--data", "builtin:iris", "--model", "vqc", "--feature-bounds", "4:8,2:4.5,1:7,0:2.6",
                           "--noise-multiplier", "1.1", "--dp-delta", "1e-5", "--dp-seed", "5", "--no-energy-summary"]

/// A model file's lines without those that vary between runs (times, energy, rank and thread
/// counts), as .ci/run compares them.
private func invariantLines(_ data: Data) -> [Substring] {
    let varying = ["created", "seconds", "kernelSeconds", "joules", "joulesLow", "joulesHigh", "gCO2e", "cost", "currency", "provenance",
                   "ranks", "threads"].map { "\"\($0)\"" }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in !varying.contains { line.contains($0) } }
}

/// Runs `verdant` and kills it with SIGKILL after `seconds` (unless it ends first); true when it ended by itself.
private func runKilled(_ arguments: [String], after seconds: Double) throws -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: verdantExecutable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning, Date() < deadline { usleep(5_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return process.terminationReason == .exit && process.terminationStatus == 0
}

@Suite("verdant train with DP-SGD and checkpoints; predict and inspect show the guarantee", .serialized)
struct PrivateTrainingCLITests {
    @Test("δ at or above 1/N is flagged beside the guarantee; δ below it is not")
    func largeDelta() throws {
        let folder = try TemporaryDirectory()
        var options = privateIris + ["--epochs", "1"]
        options[options.firstIndex(of: "1e-5").map { $0 } ?? 0] = "0.5"
        let large = try verdant(["train"] + options + ["-o", folder.url.appendingPathComponent("large.model").path])
        #expect(large.status == 0, "\(large.stderr)")
        #expect((large.stdout + large.stderr).contains("warning: δ = 0.5 is not below 1/N = 1/"))
        let small = try verdant(["train"] + privateIris + ["--epochs", "1", "-o", folder.url.appendingPathComponent("small.model").path])
        #expect(small.status == 0 && !(small.stdout + small.stderr).contains("is not below 1/N"))
    }

    @Test("train --noise-multiplier: the model's ε equals privacy-budget's for its q, σ and T; predict and inspect show it")
    func epsilonAndDisplay() throws {
        let folder = try TemporaryDirectory()
        let model = folder.url.appendingPathComponent("dp.model").path
        let trained = try verdant(["train"] + privateIris + ["--epochs", "3", "-o", model, "--json"])
        #expect(trained.status == 0, "\(trained.stderr)")
        // JSONDecoder reads numbers exactly (JSONSerialization rounds some on Linux).
        struct Output: Decodable { let privacy: Record }
        struct Record: Decodable { let samplingRate: Double, steps: Int, plannedSteps: Int, epsilon: Double }
        struct Budget: Decodable { let epsilon: Double }
        let record = try JSONDecoder().decode(Output.self, from: Data(trained.stdout.utf8)).privacy
        let (q, steps, epsilon) = (record.samplingRate, record.steps, record.epsilon)
        // 3 epochs of the 111 training rows in expected batches of 16: ⌈3·111/16⌉ steps at q = 16/111.
        #expect(q == 16.0 / 111 && steps == 21 && record.plannedSteps == 21)
        let budget = try verdant(["privacy-budget", "--sampling-rate", "\(q)", "--noise-multiplier", "1.1", "--steps", "\(steps)",
                                  "--delta", "1e-5", "--json"])
        #expect(budget.status == 0)
        #expect(try JSONDecoder().decode(Budget.self, from: Data(budget.stdout.utf8)).epsilon == epsilon)
        let file = try jsonObject(String(decoding: Data(contentsOf: URL(fileURLWithPath: model)), as: UTF8.self))
        let saved = try #require((file["training"] as? [String: Any])?["privacy"] as? [String: Any])
        #expect(saved["epsilon"] is Double && saved["accountant"] as? String == "rdp" && saved["maxGradientNorm"] as? Double == 1)
        #expect(saved["noiseMultiplier"] as? Double == 1.1 && saved["delta"] as? Double == 1e-5 && saved["order"] is Double)

        let predicted = try verdant(["predict", "--model", model, "--data", "builtin:iris", "-o", folder.url.appendingPathComponent("p.csv").path,
                                     "--no-energy-summary"])
        #expect(predicted.status == 0 && predicted.stderr.contains("differential privacy (DP-SGD") && predicted.stderr.contains("σ = 1.1"))
        let predictedJSON = try verdant(["predict", "--model", model, "--data", "builtin:iris", "-o", folder.url.appendingPathComponent("q.csv").path,
                                         "--json", "--no-energy-summary"])
        #expect(try JSONDecoder().decode(Output.self, from: Data(predictedJSON.stdout.utf8)).privacy.epsilon == epsilon)
        let inspected = try verdant(["inspect", model])
        #expect(inspected.status == 0 && inspected.stdout.contains("vqc (Verdant model file") && inspected.stdout.contains("ε = "))
        let inspectedJSON = try jsonObject(try verdant(["inspect", model, "--json"]).stdout)
        #expect(((inspectedJSON["model"] as? [String: Any])?["privacy"] as? [String: Any])?["steps"] as? Int == 21)
        #expect(!inspected.stdout.contains("noise added per site"))
        // A record of noise added per site says so (such models come from federated runs under mpirun;
        // here the record of this one is edited to say it).
        let perSite = try folder.write("per-site.model", try String(contentsOfFile: model, encoding: .utf8)
            .replacingOccurrences(of: "\"noiseMultiplier\" :", with: "\"noisePerSite\" : true, \"noiseMultiplier\" :"))
        let inspectedPerSite = try verdant(["inspect", perSite])
        #expect(inspectedPerSite.stdout.contains("noise added per site (--dp-noise per-site): each federated site adds its share"),
                "\(inspectedPerSite.stdout)")

        // Sealed: inspect shows the header alone without a key, the model too with one.
        let key = try folder.write("k.key", String(repeating: "ab", count: 32) + "\n")
        let sealed = folder.url.appendingPathComponent("dp.sealed").path
        #expect(try verdant(["train"] + privateIris + ["--epochs", "1", "-o", sealed, "--key-file", key]).status == 0)
        let header = try verdant(["inspect", sealed])
        #expect(header.status == 0 && header.stdout.contains("model/verdant") && !header.stdout.contains("ε = "))
        let opened = try verdant(["inspect", sealed, "--key-file", key])
        #expect(opened.status == 0 && opened.stdout.contains("model/verdant") && opened.stdout.contains("ε = "), "\(opened.stderr)")
    }

    @Test("refusals: DP-SGD for a kernel SVM, without δ, stray options, fitted scaling, unsealed private checkpoints, bad bounds")
    func refusals() throws {
        let folder = try TemporaryDirectory()
        let out = folder.url.appendingPathComponent("m.model").path
        func expectRefused(_ arguments: [String], _ words: [String], code: Int32 = 2) throws {
            let result = try verdant(["train"] + arguments + ["-o", out, "--no-energy-summary"])
            #expect(result.status == code, "\(arguments): \(result.stderr)")
            for word in words { #expect(result.stderr.contains(word), "\(arguments): \(result.stderr)") }
            expectNoTrace(result)
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        try expectRefused(["--data", "builtin:iris", "--model", "qsvm", "--dp-epsilon", "3", "--dp-delta", "1e-5"], ["support vectors", "vqc"])
        try expectRefused(["--data", "builtin:iris", "--model", "vqc", "--dp-epsilon", "3"], ["--dp-delta"])
        try expectRefused(["--data", "builtin:iris", "--model", "vqc", "--max-grad-norm", "2"], ["--max-grad-norm", "--dp-epsilon"])
        try expectRefused(["--data", "builtin:iris", "--model", "vqc", "--dp-epsilon", "3", "--dp-delta", "1e-5"], ["--feature-bounds", "--scale none"])
        try expectRefused(privateIris + ["--checkpoint", folder.url.appendingPathComponent("ck").path], ["--allow-plain-checkpoint"])
        try expectRefused(["--data", "builtin:iris", "--model", "qsvm", "--checkpoint", folder.url.appendingPathComponent("ck").path], ["checkpoints"])
        try expectRefused(privateIris + ["--feature-bounds", "4:8,2"], ["--feature-bounds", "LOW:HIGH"])
        try expectRefused(privateIris + ["--feature-bounds", "0:1,0:1"], ["feature bounds", "one per feature"])
        try expectRefused(privateIris + ["--optimizer", "spsa"], ["spsa"])
        try expectRefused(privateIris + ["--dp-delta", "2"], ["δ must be in (0, 1)"])
        try expectRefused(["--data", "builtin:iris", "--model", "vqc", "--scale", "none", "--dp-epsilon", "0.000001", "--dp-delta", "1e-5"],
                          ["no noise multiplier up to"])
        try expectRefused(["--data", "builtin:iris", "--model", "vqc", "--resume", folder.url.appendingPathComponent("none").path], ["no checkpoint"])
    }

    @Test("SIGKILL at random moments, then --resume: the model equals the uninterrupted run's byte for byte (timing and energy aside)")
    func killAndResume() throws {
        let folder = try TemporaryDirectory()
        let key = try folder.write("k.key", String(repeating: "5c", count: 32) + "\n")
        let run = privateIris + ["--epochs", "12", "--batch-size", "8", "--validation-fraction", "0.2", "--key-file", key]
        let reference = folder.url.appendingPathComponent("reference.model").path
        let started = Date()
        #expect(try verdant(["train"] + run + ["-o", reference]).status == 0)
        let duration = Date().timeIntervalSince(started)
        var system = SystemRandomNumberGenerator()
        for attempt in 0..<2 {
            let checkpoints = folder.url.appendingPathComponent("ck\(attempt)").path
            let model = folder.url.appendingPathComponent("resumed\(attempt).model").path
            var delays: [Double] = []
            var finished = false
            // Up to three kills, each after a random share of an uninterrupted run's time.
            for kill in 0..<4 where !finished {
                let hasCheckpoint = !((try? FileManager.default.contentsOfDirectory(atPath: checkpoints))?.filter { $0.hasPrefix("checkpoint-") }.isEmpty ?? true)
                let arguments = ["train"] + run + ["-o", model, "--force", "--checkpoint-every", "3"]
                    + (hasCheckpoint ? ["--resume", checkpoints] : ["--checkpoint", checkpoints])
                if kill == 3 {
                    let result = try verdant(arguments)
                    #expect(result.status == 0, "\(result.stderr)")
                    finished = true
                } else {
                    let delay = duration * Double.random(in: 0.15...0.85, using: &system)
                    delays.append(delay)
                    finished = try runKilled(arguments, after: delay)
                }
            }
            let expected = try SealedFile.contents(atPath: reference, identities: [.key(RawKey(contentsOfFile: key))])
            let resumed = try SealedFile.contents(atPath: model, identities: [.key(RawKey(contentsOfFile: key))])
            #expect(invariantLines(resumed) == invariantLines(expected), "killed after \(delays) s (an uninterrupted run took \(duration) s)")
            #expect(invariantLines(expected).contains { $0.contains("\"epsilon\"") })
        }
    }

    @Test("a tampered checkpoint exits with the sealed file's code (8) and names the file; another run's checkpoint exits 2 saying what differs")
    func tamperedAndForeign() throws {
        let folder = try TemporaryDirectory()
        let key = try folder.write("k.key", String(repeating: "7e", count: 32) + "\n")
        let checkpoints = folder.url.appendingPathComponent("ck").path
        let run = privateIris + ["--epochs", "2", "--key-file", key]
        #expect(try verdant(["train"] + run + ["-o", folder.url.appendingPathComponent("a.model").path, "--checkpoint", checkpoints]).status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted()
        #expect(files.count == 2 && files.allSatisfy { $0.hasSuffix(".sealed") })
        let newest = checkpoints + "/" + files[1]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        bytes[bytes.count - 30] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: newest))
        let out = folder.url.appendingPathComponent("b.model").path
        let tampered = try verdant(["train"] + run + ["-o", out, "--resume", checkpoints])
        #expect(tampered.status == 8 && tampered.stderr.contains(files[1]) && tampered.stderr.contains("failed authentication"), "\(tampered.stderr)")
        expectNoTrace(tampered)
        try FileManager.default.removeItem(atPath: newest)
        let foreign = try verdant(["train"] + privateIris + ["--epochs", "3", "--key-file", key, "-o", out, "--resume", checkpoints])
        #expect(foreign.status == 2 && foreign.stderr.contains("epochs is '2' in the checkpoint, '3' in this run"), "\(foreign.stderr)")
        let resumed = try verdant(["train"] + run + ["-o", out, "--resume", checkpoints])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(FileManager.default.fileExists(atPath: out))
    }

    @Test("bench --suite qml --cases dp-epoch: a plain and a DP-SGD epoch of the same model, both times and their ratio")
    func benchCase() throws {
        let result = try verdant(["bench", "--suite", "qml", "--cases", "dp-epoch", "--batch-qubits", "3", "--layers", "1", "--epoch-samples", "24",
                                  "--batch-size", "6", "--threads", "1", "--repeats", "2", "--json", "--no-energy-summary"])
        #expect(result.status == 0, "\(result.stderr)")
        let results = try #require(try jsonObject(result.stdout)["results"] as? [[String: Any]])
        #expect(results.count == 1 && results[0]["case"] as? String == "dp-epoch" && results[0]["samples"] as? Int == 24)
        for key in ["plainSeconds", "privateSeconds", "privateOverPlain", "privateOverPlainPerSample"] {
            #expect((results[0][key] as? Double ?? 0) > 0, "\(key)")
        }
        #expect((results[0]["privateSampleCount"] as? Int ?? 0) > 0 && (results[0]["plainTimes"] as? [Double])?.count == 2)
        let bad = try verdant(["bench", "--suite", "qml", "--cases", "dp-epoch", "--epoch-samples", "4", "--batch-size", "8"])
        #expect(bad.status == 2 && bad.stderr.contains("--epoch-samples (4) must be at least --batch-size (8)"))
    }

    @Test("exit codes: DifferentialPrivacyError and CheckpointError in the one map")
    func exitCodes() {
        func code(_ error: any Error) -> Int32? { ExitCodes.failure(for: error)?.code }
        #expect(code(DifferentialPrivacyError.invalidParameter(.delta, received: "2", valid: "(0, 1)")) == 2)
        #expect(code(DifferentialPrivacyError.targetUnreachable(targetEpsilon: 1e-9, delta: 1e-5, bestEpsilon: 1, noiseMultiplier: 1000,
                                                                side: .tooMuchNoiseNeeded)) == 2)
        #expect(code(DifferentialPrivacyError.accountingTooLarge(points: 1, limit: 0, detail: "")) == 1)
        #expect(code(DifferentialPrivacyError.invalidState("x")) == 1)
        #expect(code(CheckpointError.damaged(path: "c", reason: "r", underlying: PrivacyError.chunkFailed(source: "c", chunk: 0, offset: 0, isFinal: true),
                                             previous: nil)) == 8)
        #expect(code(CheckpointError.damaged(path: "c", reason: "r", underlying: PrivacyError.noMatchingIdentity(source: "c", stanzas: [], tried: []),
                                             previous: nil)) == 3)
        #expect(code(CheckpointError.damaged(path: "c", reason: "sha", underlying: nil, previous: nil)) == 2)
        #expect(code(CheckpointError.mismatch(path: "c", differences: ["epochs"])) == 2)
        #expect(code(CheckpointError.notFound(directory: "d")) == 2 && code(CheckpointError.folder(path: "d", reason: "r")) == 1)
        // privacy-budget keeps naming its options, with the map's codes.
        let named = DifferentialPrivacyError.invalidParameter(.samplingRate, received: "2", valid: "v").cliError
        #expect(named.description == "--sampling-rate: received '2'; v" && named.code == 2)
    }
}
