import Foundation
import Parallel
import Privacy
import Quantum
import Testing
@testable import QuantumML

// Checkpoints: a run resumed from any step ends with the uninterrupted run's model, bit for bit;
// damaged checkpoints and checkpoints of other runs are refused with what is wrong.

/// A trainer and its samples built as TrainingRun builds them (24 training, 6 validation samples).
private func trainerAndSamples(_ configuration: VariationalConfiguration, data: Dataset) throws
    -> (trainer: VariationalTrainer, train: TrainingSamples, validation: TrainingSamples?, start: TrainerState)
{
    let p = try pieces(data, configuration)
    let train = TrainingSamples(x: p.x.selectingRows(Array(0..<24)), targets: Array(p.targets[..<24]))
    let validation = configuration.validationFraction > 0
        ? TrainingSamples(x: p.x.selectingRows(Array(24..<30)), targets: Array(p.targets[24...])) : nil
    let used = validation == nil ? TrainingSamples(x: p.x, targets: p.targets) : train
    let plan = try configuration.privacy.map { try PrivatePlan($0, datasetSize: used.count, batchSize: configuration.batchSize, epochs: configuration.epochs) }
    var trainer = VariationalTrainer(problem: p.problem, optimizer: configuration.optimizer, epochs: configuration.epochs,
                                     batchSize: configuration.batchSize, seed: configuration.seed, patience: configuration.patience,
                                     scheduler: configuration.scheduler, communicator: LocalCommunicator(), progress: nil)
    trainer.privacy = plan
    let start = trainer.initialState(theta: p.theta, trainCount: used.count, privacy: try plan.map { try $0.initialState(keys: []) })
    return (trainer, used, validation, start)
}

/// A temporary folder and a key that seals and opens checkpoints.
private struct Sealing {
    let folder: TemporaryFolder
    let key = RawKey()
    init() throws { folder = try TemporaryFolder() }
    func settings(_ name: String, every: Int? = nil, resume: Bool = false) -> CheckpointSettings {
        CheckpointSettings(directory: folder.path(name), everySteps: every, recipients: [.key(key)], keys: InputKeys(identities: [.key(key)]),
                           resumeFrom: resume ? folder.path(name) : nil)
    }
}

/// The checkpoint files of a folder, oldest first.
private func checkpointFiles(_ folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("checkpoint-") }.sorted()
        .map { (folder as NSString).appendingPathComponent($0) }
}

@Suite("Checkpoints: resume bit for bit, refuse damaged and foreign checkpoints")
struct CheckpointTests {
    @Test("a folder the store made is removed when the run fails before its first checkpoint; never one with files or made before")
    func unusedFolder() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("made")
        let store = CheckpointStore(directory: path, recipients: [], keys: InputKeys(), rank: nil)
        #expect(try store.prepare() == true)
        #expect(try store.prepare() == false, "the second call finds the folder")
        store.removeFolderIfUnused()
        #expect(!FileManager.default.fileExists(atPath: path))
        // A folder that holds anything (a checkpoint, another rank's file) stays.
        #expect(try store.prepare() == true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: (path as NSString).appendingPathComponent("checkpoint-000000000001-rank1.json")))
        store.removeFolderIfUnused()
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("resumed from the saved state of every step (through JSON), the trainer ends exactly as without the interruption")
    func resumeFromEveryStep() throws {
        let data = try dpData()
        var plain = try dpConfiguration(DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1e-5), epochs: 4, batchSize: 5)
        plain.privacy = nil
        plain.validationFraction = 0.2
        plain.patience = 2
        var spsa = plain
        spsa.optimizer = .spsa()
        spsa.validationFraction = 0
        spsa.patience = nil
        let dp = try dpConfiguration(DifferentialPrivacyConfiguration(targetEpsilon: 4.8, noiseMultiplier: 1.2, delta: 1e-5, maxGradientNorm: 0.2,
                                                                       randomSeed: 12), epochs: 4, batchSize: 5)
        for (name, configuration) in [("adam with early stopping", plain), ("spsa", spsa), ("dp-sgd", dp)] {
            let (trainer, train, validation, start) = try trainerAndSamples(configuration, data: data)
            var saved: [Data] = []
            let full = try trainer.run(train, validation: validation, from: start, checkpointEvery: 1) { state in
                saved.append(try CheckpointStore.encoder().encode(state))
            }
            #expect(saved.count >= 10, "\(name)")
            // Every third step, and the last.
            for (k, bytes) in saved.enumerated() where k % 3 == 1 || k == saved.count - 1 {
                let state = try CheckpointStore.decoder().decode(TrainerState.self, from: bytes)
                #expect(try CheckpointStore.encoder().encode(state) == bytes, "\(name): the state re-encodes to the same bytes")
                let resumed = try trainer.run(train, validation: validation, from: state)
                #expect(resumed.theta == full.theta && resumed.history == full.history && resumed.bestEpoch == full.bestEpoch,
                        "\(name), resumed after step \(k + 1)")
                #expect(resumed.privacy == full.privacy && resumed.stoppedEarly == full.stoppedEarly)
            }
        }
    }

    @Test("sealed checkpoints in a folder: the newest two kept; resuming from an older one gives the same model file")
    func resumeThroughFiles() throws {
        let data = try dpData()
        let sealing = try Sealing()
        let privacy = DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1e-5, maxGradientNorm: 0.5, randomSeed: 30)
        let reference = try VariationalModel.trainClassifier(data, configuration: dpConfiguration(privacy, epochs: 3))
        for every in [Int?.none, 2] {
            let name = "run-\(every ?? 0)"
            var configuration = try dpConfiguration(privacy, epochs: 3)
            configuration.checkpoint = sealing.settings(name, every: every)
            let first = try VariationalModel.trainClassifier(data, configuration: configuration)
            #expect(first.parameters == reference.parameters && first.history == reference.history)
            var files = try checkpointFiles(sealing.folder.path(name))
            #expect(files.count == 2 && files.allSatisfy { SealedFile.isSealed(atPath: $0) })
            // Ciphertext, but still the owner's only.
            for file in files {
                #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(file)")
            }
            let uninterrupted = files.map { ($0 as NSString).lastPathComponent }
            // The run was cut short after the older checkpoint: only it is left. It is resumed
            // without the cadence, which the checkpoint keeps (an audit found a resumed run writing
            // per epoch instead).
            try FileManager.default.removeItem(atPath: files[1])
            configuration.checkpoint = sealing.settings(name, every: nil, resume: true)
            let resumed = try VariationalModel.trainClassifier(data, configuration: configuration)
            #expect(resumed.parameters == reference.parameters && resumed.history == reference.history)
            #expect(resumed.training.privacy == reference.training.privacy && resumed.training.testAccuracy == reference.training.testAccuracy)
            files = try checkpointFiles(sealing.folder.path(name))
            #expect(files.map { ($0 as NSString).lastPathComponent } == uninterrupted, "every \(every ?? 0)")
        }
    }

    @Test("a modified, truncated or unsealed-in-place checkpoint is refused, naming the file and the older one")
    func damaged() throws {
        let data = try dpData()
        let sealing = try Sealing()
        let privacy = DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1e-5, randomSeed: 31)
        var configuration = try dpConfiguration(privacy, epochs: 2)
        configuration.checkpoint = sealing.settings("run")
        _ = try VariationalModel.trainClassifier(data, configuration: configuration)
        let files = try checkpointFiles(sealing.folder.path("run"))
        let newest = files[1], original = try Data(contentsOf: URL(fileURLWithPath: newest))
        configuration.checkpoint = sealing.settings("run", resume: true)
        func resumeError() -> (any Error)? {
            do { _ = try VariationalModel.trainClassifier(data, configuration: configuration); return nil } catch { return error }
        }
        var modified = original
        modified[modified.count - 20] ^= 0x01
        try modified.write(to: URL(fileURLWithPath: newest))
        let error = try #require(resumeError() as? CheckpointError)
        guard case .damaged(let path, _, let underlying as PrivacyError, let previous) = error, case .chunkFailed = underlying else {
            Issue.record("expected a chunk that failed authentication, got \(error)")
            return
        }
        #expect(path == newest && previous == files[0] && "\(error)".contains("remove the damaged file"))
        try original.prefix(original.count - 10).write(to: URL(fileURLWithPath: newest))
        #expect("\(resumeError() ?? CheckpointError.notFound(directory: ""))".contains("truncated"))
        // A plain file in place of a sealed one could be forged: refused.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: newest))
        #expect("\(resumeError() ?? CheckpointError.notFound(directory: ""))".contains("it is not sealed"))

        // Plain checkpoints (allowed explicitly): a changed number breaks the SHA-256.
        let plainFolder = sealing.folder.path("plain")
        configuration.checkpoint = CheckpointSettings(directory: plainFolder, allowPlain: true)
        _ = try VariationalModel.trainClassifier(data, configuration: configuration)
        let plainFile = try checkpointFiles(plainFolder)[1]
        var text = try String(contentsOfFile: plainFile, encoding: .utf8)
        let range = try #require(text.range(of: "\"steps\":10"))
        text.replaceSubrange(range, with: "\"steps\":11")
        try text.write(toFile: plainFile, atomically: true, encoding: .utf8)
        configuration.checkpoint = CheckpointSettings(directory: plainFolder, resumeFrom: plainFolder, allowPlain: true)
        #expect("\(resumeError() ?? CheckpointError.notFound(directory: ""))".contains("SHA-256 does not match"))
    }

    @Test("a checkpoint of another run is refused with what differs: settings, data, model kind; a new run refuses a used folder")
    func foreign() throws {
        let data = try dpData()
        let sealing = try Sealing()
        let privacy = DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1e-5, randomSeed: 32)
        var configuration = try dpConfiguration(privacy, epochs: 2)
        configuration.checkpoint = sealing.settings("run")
        _ = try VariationalModel.trainClassifier(data, configuration: configuration)
        func message(_ change: (inout VariationalConfiguration) -> Void, data: Dataset = data) throws -> String {
            var changed = configuration
            changed.checkpoint = sealing.settings("run", resume: true)
            change(&changed)
            return thrownMessage { _ = try VariationalModel.trainClassifier(data, configuration: changed) } ?? "no error"
        }
        #expect(try message { $0.epochs = 3 }.contains("epochs is '2' in the checkpoint, '3' in this run"))
        #expect(try message { $0.privacy?.noiseMultiplier = 1.2 }.contains("dp noise multiplier is '1.0' in the checkpoint, '1.2' in this run"))
        #expect(try message { _ in }.contains("no error"))
        let other = try dpData(seed: 99)
        #expect(try message({ _ in }, data: other).contains("the training data differ"))
        var regression = configuration
        regression.checkpoint = sealing.settings("run", resume: true)
        regression.targetBounds = 0...1
        let vqr = thrownMessage {
            _ = try VariationalModel.trainRegressor(features: data.features, targets: data.labels.map(Double.init), configuration: regression)
        } ?? ""
        #expect(vqr.contains("it is a vqc run; this one trains a vqr"))
        // Another key cannot open it (the sealed file's own error, kept for its exit code).
        var wrongKey = configuration
        wrongKey.checkpoint = CheckpointSettings(directory: sealing.folder.path("run"), recipients: [.key(RawKey())],
                                                 keys: InputKeys(identities: [.key(RawKey())]), resumeFrom: sealing.folder.path("run"))
        let opened = thrownMessage { _ = try VariationalModel.trainClassifier(data, configuration: wrongKey) } ?? ""
        #expect(opened.contains("cannot be used") && opened.contains("key"))
        // A new run into the used folder, and a resume from an empty one.
        #expect(thrownMessage { _ = try VariationalModel.trainClassifier(data, configuration: configuration) }?.contains("already holds checkpoints") == true)
        configuration.checkpoint = sealing.settings("empty", resume: true)
        #expect(thrownMessage { _ = try VariationalModel.trainClassifier(data, configuration: configuration) }?.contains("no checkpoint to resume from") == true)
        // A private run refuses to write plain checkpoints unless allowed.
        configuration.checkpoint = CheckpointSettings(directory: sealing.folder.path("plain"))
        #expect(thrownMessage { _ = try VariationalModel.trainClassifier(data, configuration: configuration) }?.contains("--allow-plain-checkpoint") == true)
    }
}
