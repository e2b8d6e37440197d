import Foundation
import Parallel
import Privacy

// One training run around the trainer's loop: DP-SGD's plan and keys, the run's identity, a fresh
// start or a resume from the newest checkpoint, and checkpoints written on the way (by rank 0;
// every rank learns whether it worked, so no rank is left waiting in a collective).

/// What a run produced besides the loop's result.
struct TrainingRunOutcome: Sendable {
    var result: TrainerResult
    /// DP-SGD's plan (private runs).
    var plan: PrivatePlan?
    /// Training seconds of earlier sessions of a resumed run (0 for a fresh run).
    var earlierSeconds: Double
}

enum TrainingRun {
    /// Trains `problem` on checked samples as `configuration` says.
    /// - Parameters:
    ///   - started: when this session's training started (for the seconds a checkpoint records).
    /// - Throws: ``CheckpointError``, ``DifferentialPrivacyError`` (calibration), ``QuantumMLError``,
    ///   the trainer's and the communicator's errors.
    static func run(_ problem: VariationalProblem, _ setup: VariationalSetup, _ samples: TrainingSamples, _ validation: TrainingSamples?,
                    _ configuration: VariationalConfiguration, kind: VariationalModel.Kind, targetScaling: TargetScaling?,
                    started: UInt64) throws -> TrainingRunOutcome
    {
        let communicator = configuration.communicator ?? LocalCommunicator()
        let plan = try configuration.privacy.map {
            try PrivatePlan($0, datasetSize: samples.count, batchSize: configuration.batchSize, epochs: configuration.epochs)
        }
        var trainer = VariationalTrainer(problem: problem, optimizer: configuration.optimizer, epochs: configuration.epochs,
                                         batchSize: configuration.batchSize, seed: configuration.seed, patience: configuration.patience,
                                         scheduler: configuration.scheduler, communicator: communicator, progress: configuration.progress)
        trainer.privacy = plan
        let settings = runSettings(configuration, setup, kind: kind, targetScaling: targetScaling, parameters: problem.parameterCount)
        let checkpoints = configuration.checkpoint
        if let checkpoints { try check(checkpoints, privateRun: plan != nil) }

        // Resume, or start afresh with a run id and DP-SGD's keys drawn on rank 0 and shared.
        var state: TrainerState
        var identity: RunIdentity
        var earlierSeconds = 0.0
        if let checkpoints, let folder = checkpoints.resumeFrom {
            let current = RunIdentity(id: "", settings: settings, train: samples, validation: validation)
            let saved = try agree(communicator) { () -> (CheckpointFile, String) in
                guard let found = try CheckpointStore.newest(in: folder, keys: checkpoints.keys, sealed: !checkpoints.recipients.isEmpty) else {
                    throw CheckpointError.notFound(directory: folder)
                }
                return found
            }
            let (file, path) = saved
            var differences = current.differences(from: file.run)
            if file.kind != kind.rawValue { differences.insert("it is a \(file.kind) run; this one trains a \(kind.rawValue)", at: 0) }
            if differences.isEmpty,
               let problem = file.state.mismatch(parameterCount: problem.parameterCount, trainCount: samples.count, privacy: plan) {
                differences.append("its state does not fit this run: \(problem)")
            }
            guard differences.isEmpty else { throw CheckpointError.mismatch(path: path, differences: differences) }
            state = file.state
            identity = file.run
            earlierSeconds = file.seconds
        } else {
            var shared = [UInt8](repeating: 0, count: 16 + 64)
            if communicator.rank == 0 {
                var system = SystemRandomNumberGenerator()
                for k in 0..<16 { shared[k] = UInt8(truncatingIfNeeded: system.next()) }
                if plan != nil, plan?.configuration.randomSeed == nil {
                    shared.replaceSubrange(16..<48, with: SecureRandomGenerator.systemKey())
                    shared.replaceSubrange(48..<80, with: SecureRandomGenerator.systemKey())
                }
            }
            if communicator.size > 1 { shared = try communicator.broadcast(shared, from: 0) }
            let id = shared[0..<16].map { String(format: "%02x", $0) }.joined()
            identity = RunIdentity(id: id, settings: settings, train: samples, validation: validation)
            let privacyState = try plan.map { try $0.initialState(keys: Array(shared[16...]), rank: communicator.rank) }
            state = trainer.initialState(theta: VariationalTrainer.initialParameters(problem, seed: configuration.seed),
                                         trainCount: samples.count, privacy: privacyState)
        }

        // The folder checkpoints go to: made if missing; a new run refuses one that holds checkpoints.
        var store: CheckpointStore? = nil
        if let checkpoints {
            let candidate = CheckpointStore(directory: checkpoints.directory, recipients: checkpoints.recipients, keys: checkpoints.keys)
            try agree(communicator) {
                guard communicator.rank == 0 else { return }
                try candidate.prepare()
                if checkpoints.resumeFrom.map({ standardized($0) != standardized(checkpoints.directory) }) ?? true,
                   let existing = try CheckpointStore.files(in: checkpoints.directory).last {
                    throw CheckpointError.occupied(directory: checkpoints.directory, file: existing.name)
                }
            }
            store = candidate
        }
        let save: ((TrainerState) throws -> Void)? = store.map { store in
            { state in
                try agree(communicator) {
                    guard communicator.rank == 0 else { return }
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                    try store.write(CheckpointFile(format: CheckpointFile.formatName, version: CheckpointFile.currentVersion, kind: kind.rawValue,
                                                   run: identity, created: ModelFile.timestamp(), seconds: earlierSeconds + elapsed, state: state))
                }
            }
        }
        let result = try trainer.run(samples, validation: validation, from: state, checkpointEvery: checkpoints?.everySteps, checkpoint: save)
        return TrainingRunOutcome(result: result, plan: plan, earlierSeconds: earlierSeconds)
    }

    /// Refuses checkpoint settings that cannot work: a step interval below 1, or plain checkpoints
    /// of a private run (they would hold the noise generator's key) without permission.
    private static func check(_ settings: CheckpointSettings, privateRun: Bool) throws {
        if let every = settings.everySteps, every < 1 {
            throw CheckpointError.invalidSettings(reason: "a checkpoint every \(every) steps", remedy: "give at least 1 step, or none for one checkpoint per epoch")
        }
        if privateRun, settings.recipients.isEmpty, !settings.allowPlain {
            throw CheckpointError.invalidSettings(
                reason: "the checkpoints of a differentially private run would be written unsealed, and they hold the noise generator's key, "
                    + "the Poisson sampler's state and the unreleased weights",
                remedy: "seal them for the model's recipients (CLI: -r, --key-file, --passphrase) or a checkpoint key (--checkpoint-key-file), "
                    + "or allow plain checkpoints explicitly (--allow-plain-checkpoint)")
        }
    }

    /// The settings that decide a run's course, by name, for its identity. Thread and rank counts
    /// are not among them: the result does not depend on them.
    static func runSettings(_ configuration: VariationalConfiguration, _ setup: VariationalSetup, kind: VariationalModel.Kind,
                            targetScaling: TargetScaling?, parameters: Int) -> [String: String]
    {
        func json(_ value: some Encodable) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
        var settings: [String: String] = [
            "model": kind.rawValue, "feature map": json(setup.featureMap), "ansatz": json(setup.ansatz),
            "readout": configuration.readout.rawValue, "hybrid": "\(configuration.hybrid)", "optimizer": json(configuration.optimizer),
            "epochs": "\(configuration.epochs)", "batch size": "\(configuration.batchSize)", "seed": "\(configuration.seed)",
            "validation fraction": "\(configuration.validationFraction)", "patience": configuration.patience.map { "\($0)" } ?? "none",
            "gradient method": configuration.gradientMethod.rawValue, "scaler": json(setup.scaler), "parameters": "\(parameters)",
            "classes": setup.head.classes.map { "\($0)" } ?? "none",
        ]
        if let targetScaling { settings["target scaling"] = json(targetScaling) }
        if let privacy = configuration.privacy {
            settings["dp target epsilon"] = privacy.targetEpsilon.map { "\($0)" } ?? "none"
            settings["dp noise multiplier"] = privacy.noiseMultiplier.map { "\($0)" } ?? "calibrated"
            settings["dp delta"] = "\(privacy.delta)"
            settings["dp max grad norm"] = "\(privacy.maxGradientNorm)"
            settings["dp accountant"] = privacy.accountant.rawValue
            settings["dp random seed"] = privacy.randomSeed.map { "\($0)" } ?? "operating system"
            if privacy.noisePerSite { settings["dp noise"] = "per site" }
        } else {
            settings["dp"] = "off"
        }
        return settings
    }

    private static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Runs `body` on every rank; when it throws on any rank, every rank throws (the failing rank
    /// its own error, the others ``CommunicationError/rankFailed(rank:message:)``), so that no rank
    /// waits in a collective for one that has stopped.
    @discardableResult
    static func agree<T>(_ communicator: any Communicator, _ body: () throws -> T) throws -> T {
        let result = Result { try body() }
        guard communicator.size > 1 else { return try result.get() }
        var message: [UInt8] = [0]
        if case .failure(let error) = result { message = [1] + Array("\(error)".utf8) }
        let all = try communicator.allgather(message)
        if case .failure(let error) = result { throw error }
        for (rank, bytes) in all.enumerated() where bytes.first != 0 {
            throw CommunicationError.rankFailed(rank: rank, message: String(decoding: bytes.dropFirst(), as: UTF8.self))
        }
        return try result.get()
    }
}
