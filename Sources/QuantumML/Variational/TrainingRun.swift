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
        // The resumed run's cadence when --checkpoint-every is not given again.
        var savedCadence: Int? = nil
        // With federated shards every rank writes and reads its own checkpoints (its shard's
        // fingerprint and, with noise per site, its own noise source are its alone).
        let ownRank = samples.shard != nil && communicator.size > 1 ? communicator.rank : nil
        if let checkpoints, let folder = checkpoints.resumeFrom {
            let current = RunIdentity(id: "", settings: settings, train: samples, validation: validation)
            let sealed = !checkpoints.recipients.isEmpty
            let saved: (file: CheckpointFile, path: String)
            var differences: [String] = []
            if let ownRank {
                (saved, differences) = try resumeShard(folder, keys: checkpoints.keys, sealed: sealed, rank: ownRank, current: current,
                                                       over: communicator)
            } else {
                saved = try agree(communicator) { () -> (file: CheckpointFile, path: String) in
                    guard let found = try CheckpointStore.newest(in: folder, keys: checkpoints.keys, sealed: sealed) else {
                        let shardFiles = try CheckpointStore.files(in: folder, rank: 0)
                        throw CheckpointError.notFound(directory: folder, other: shardFiles.isEmpty ? nil
                            : "it holds the per-rank checkpoints of a run on federated shards ('\(shardFiles[shardFiles.count - 1].name)'); "
                                + "resume that run under mpirun with its --data 'site-{rank}…' shards, one rank per shard")
                    }
                    return found
                }
                differences = current.differences(from: saved.file.run)
            }
            let (file, path) = saved
            if file.kind != kind.rawValue { differences.insert("it is a \(file.kind) run; this one trains a \(kind.rawValue)", at: 0) }
            if differences.isEmpty,
               let problem = file.state.mismatch(parameterCount: problem.parameterCount, trainCount: samples.count, privacy: plan) {
                differences.append("its state does not fit this run: \(problem)")
            }
            // One rank's shard or checkpoint may be the only one that differs: every rank stops.
            try agree(communicator) {
                guard differences.isEmpty else { throw CheckpointError.mismatch(path: path, differences: differences) }
            }
            if ownRank != nil { try agreeSharedState(file, path: path, over: communicator) }
            state = file.state
            identity = file.run
            earlierSeconds = file.seconds
            savedCadence = file.everySteps
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
        // Whether this rank made the folder: a run that fails before its first checkpoint removes it.
        var madeFolder = false
        if let checkpoints {
            let candidate = CheckpointStore(directory: checkpoints.directory, recipients: checkpoints.recipients, keys: checkpoints.keys,
                                            rank: ownRank)
            defer { if madeFolder, store == nil { candidate.removeFolderIfUnused() } }
            try agree(communicator) {
                guard communicator.rank == 0 || ownRank != nil else { return }
                madeFolder = try candidate.prepare()
                if checkpoints.resumeFrom.map({ standardized($0) != standardized(checkpoints.directory) }) ?? true,
                   let existing = try CheckpointStore.files(in: checkpoints.directory, rank: ownRank).last {
                    throw CheckpointError.occupied(directory: checkpoints.directory, file: existing.name)
                }
            }
            store = candidate
        }
        let cadence = checkpoints?.everySteps ?? savedCadence
        let save: ((TrainerState) throws -> Void)? = store.map { store in
            { state in
                try agree(communicator) {
                    guard communicator.rank == 0 || ownRank != nil else { return }
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                    try store.write(CheckpointFile(format: CheckpointFile.formatName, version: CheckpointFile.currentVersion, kind: kind.rawValue,
                                                   run: identity, created: ModelFile.timestamp(), seconds: earlierSeconds + elapsed, state: state,
                                                   everySteps: cadence))
                }
            }
        }
        let result: TrainerResult
        do {
            result = try trainer.run(samples, validation: validation, from: state, checkpointEvery: cadence, checkpoint: save)
        } catch {
            if madeFolder { store?.removeFolderIfUnused() }
            throw error
        }
        return TrainingRunOutcome(result: result, plan: plan, earlierSeconds: earlierSeconds)
    }

    /// Finds the checkpoint a federated rank resumes from: the newest step for which every rank
    /// holds a checkpoint (a run stopped while the ranks were writing may have left one rank a step
    /// ahead; each keeps two), read by each rank from its own files.
    /// - Returns: this rank's checkpoint, and what differs between it and this run — a changed shard
    ///   named as such, and as swapped when it is the shard another rank trained on.
    /// - Throws: ``CheckpointError/notFound(directory:other:)`` when no rank holds a checkpoint, and
    ///   ``CheckpointError/mismatch(path:differences:)`` naming each rank's steps when they share none
    ///   (both on every rank); the checkpoint's read errors (on every rank, through ``agree(_:_:)``).
    private static func resumeShard(_ folder: String, keys: InputKeys, sealed: Bool, rank: Int, current: RunIdentity,
                                    over communicator: any Communicator) throws
        -> (saved: (file: CheckpointFile, path: String), differences: [String])
    {
        let own = try agree(communicator) { try CheckpointStore.files(in: folder, rank: rank).map(\.steps) }
        let steps = try communicator.allgather(own)
        let common = steps.dropFirst().reduce(Set(steps[0])) { $0.intersection($1) }
        guard let step = common.max() else {
            if steps.allSatisfy(\.isEmpty) {
                // Every rank sees its own folder; each names what it finds there, rank 0's message is printed.
                let oneProcess = try agree(communicator) { try CheckpointStore.files(in: folder) }
                throw CheckpointError.notFound(directory: folder, other: oneProcess.isEmpty ? nil
                    : "it holds a one-process run's checkpoints ('\(oneProcess[oneProcess.count - 1].name)'), and a run on federated "
                        + "shards resumes only from the per-rank checkpoint-STEPS-rankR files its ranks wrote; resume that run "
                        + "without {rank} in --data, or start this one with --checkpoint in another folder")
            }
            let held = steps.enumerated().map { "rank \($0.offset): " + ($0.element.isEmpty ? "none" : $0.element.map(String.init).joined(separator: ", ")) }
            throw CheckpointError.mismatch(path: folder, differences: [
                "the ranks hold checkpoints of no common step (steps by rank — \(held.joined(separator: "; "))), so they cannot continue "
                    + "from one point; with shards every rank keeps its own checkpoint-STEPS-rankR files in its --checkpoint folder"])
        }
        let saved = try agree(communicator) { () -> (file: CheckpointFile, path: String) in
            guard let found = try CheckpointStore.newest(in: folder, keys: keys, sealed: sealed, rank: rank, steps: step) else {
                throw CheckpointError.notFound(directory: folder)
            }
            return found
        }
        var differences = current.differences(from: saved.file.run)
        // Which shard each rank trained on (the SHA-256 of its scaled rows), to name a swap.
        let trainedOn = try communicator.allgather(Array(saved.file.run.dataHash.utf8)).map { String(decoding: $0, as: UTF8.self) }
        if current.dataHash != saved.file.run.dataHash {
            let swapped = trainedOn.firstIndex(of: current.dataHash)
            differences = differences.filter { !$0.hasPrefix("the training data differ") }
            differences.append("this rank's shard (rank \(rank)) is not the shard it trained on"
                + (swapped.map { " but the one rank \($0) trained on: the shards were swapped or the ranks renumbered" } ?? ": its rows changed")
                + " (checkpoint: \(saved.file.run.trainingSamples) training samples over all ranks, shard SHA-256 "
                + "\(saved.file.run.dataHash.prefix(12))…; now: \(current.trainingSamples), \(current.dataHash.prefix(12))…); give every rank "
                + "the shard it trained on")
        }
        return (saved, differences)
    }

    /// Checks that every rank's checkpoint is of the same run at the same point: the run id, the
    /// step and the state that all ranks share (everything but a rank's own noise source under
    /// noise per site) must be rank 0's.
    /// - Throws: ``CheckpointError/mismatch(path:differences:)`` on every rank, naming the first
    ///   rank that differs.
    private static func agreeSharedState(_ file: CheckpointFile, path: String, over communicator: any Communicator) throws {
        let fingerprint = try agree(communicator) { () -> String in
            var shared = file.state
            shared.privacy?.siteNoise = nil
            return file.run.id + "/\(file.state.steps)/" + RunFingerprint.sha256(try CheckpointStore.encoder().encode(shared))
        }
        let all = try communicator.allgather(Array(fingerprint.utf8))
        if let other = all.indices.first(where: { all[$0] != all[0] }) {
            throw CheckpointError.mismatch(path: path, differences: [
                "rank \(other)'s checkpoint is not of the same run at the same point as rank 0's (run id / step / SHA-256 of the shared "
                    + "state: \(String(decoding: all[other], as: UTF8.self)) against \(String(decoding: all[0], as: UTF8.self))); "
                    + "every rank must resume from its own checkpoints of this run"])
        }
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
    /// its own error, the others ``CommunicationError/rankFailed(rank:message:status:)``), so that no rank
    /// waits in a collective for one that has stopped.
    @discardableResult
    static func agree<T>(_ communicator: any Communicator, _ body: () throws -> T) throws -> T {
        try Communication.agreeing(communicator, body)
    }
}
