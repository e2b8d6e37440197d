import Foundation
import Privacy

// Checkpoints of variational training (docs/model-format.md, "Checkpoints"): the trainer's whole
// state between two steps, with the run's identity, written atomically into a folder that keeps
// the newest two — sealed for the model's recipients, or plain only when the caller allows it.

/// Where a training run writes checkpoints, and whether it resumes from one.
///
/// A checkpoint holds everything the run needs to continue exactly as an uninterrupted run would:
/// the parameters, the optimiser's moments, the batch order and every random generator's state
/// (batch order, SPSA directions, DP-SGD's Poisson sampler and noise), the privacy budget, the
/// epoch and step, the history so far — and the run's identity (a random run id, and SHA-256
/// fingerprints of its settings and of its training data), so that a checkpoint from another run
/// or another model is refused. A resumed run ends with the same model, bit for bit, as the run
/// would have without the interruption (timing and energy aside).
public struct CheckpointSettings: Sendable {
    /// The folder checkpoints are written to (created when missing; its parent must exist).
    public var directory: String
    /// A checkpoint after every this many optimiser steps; nil: one at the end of every epoch.
    public var everySteps: Int?
    /// Who the checkpoints are sealed for (content type `checkpoint/verdant`); empty: plain JSON,
    /// allowed only with ``allowPlain`` for a differentially private run (a checkpoint holds the
    /// noise generator's key).
    public var recipients: [Recipient]
    /// What opens sealed checkpoints when resuming.
    public var keys: InputKeys
    /// The folder to resume from (its newest checkpoint); nil starts a new run, which refuses a
    /// ``directory`` that already holds checkpoints.
    public var resumeFrom: String?
    /// Whether a differentially private run may write unsealed checkpoints.
    public var allowPlain: Bool

    /// Settings.
    /// - Parameters:
    ///   - directory: the checkpoint folder.
    ///   - everySteps: steps between checkpoints (nil: every epoch).
    ///   - recipients: who can open them (empty: plain).
    ///   - keys: what opens them when resuming.
    ///   - resumeFrom: a folder to resume from.
    ///   - allowPlain: allow plain checkpoints of a private run.
    public init(directory: String, everySteps: Int? = nil, recipients: [Recipient] = [], keys: InputKeys = InputKeys(),
                resumeFrom: String? = nil, allowPlain: Bool = false)
    {
        self.directory = directory
        self.everySteps = everySteps
        self.recipients = recipients
        self.keys = keys
        self.resumeFrom = resumeFrom
        self.allowPlain = allowPlain
    }

    /// The content type of a sealed checkpoint.
    public static let contentType = "checkpoint/verdant"
}

/// Why a checkpoint cannot be written or used.
public enum CheckpointError: Error, CustomStringConvertible, LocalizedError {
    /// The folder to resume from holds no checkpoint of this kind of run. `other` says what it
    /// does hold when that is the other kind's: a one-process run's checkpoints where a run on
    /// federated shards looks for per-rank ones, or the reverse.
    case notFound(directory: String, other: String? = nil)
    /// A new run's checkpoint folder already holds another run's checkpoints.
    case occupied(directory: String, file: String)
    /// A checkpoint that cannot be opened or read: modified after it was written (a sealed file's
    /// authentication failed, or a plain file's SHA-256 differs), truncated, or not a checkpoint.
    /// `underlying` is the sealed file's error when there is one (its exit code is kept);
    /// `previous` names an older checkpoint in the folder.
    case damaged(path: String, reason: String, underlying: (any Error)?, previous: String?)
    /// A checkpoint of another run or model: `differences` says what differs.
    case mismatch(path: String, differences: [String])
    /// Settings that cannot be checkpointed.
    case invalidSettings(reason: String, remedy: String)
    /// A folder that cannot be made or listed.
    case folder(path: String, reason: String)

    /// The message: what is wrong, where, and what to do.
    public var description: String {
        switch self {
        case .notFound(let directory, let other):
            if let other { return "no checkpoint to resume from in '\(directory)' for this run: \(other)" }
            return "no checkpoint to resume from in '\(directory)' (checkpoint-*.sealed or checkpoint-*.json); "
                + "start the run with --checkpoint '\(directory)' instead"
        case .occupied(let directory, let file):
            return "the checkpoint folder '\(directory)' already holds checkpoints of a run ('\(file)'); "
                + "resume that run with --resume '\(directory)', or give an empty folder"
        case .damaged(let path, let reason, _, let previous):
            return "checkpoint '\(path)' cannot be used: \(reason)"
                + (previous.map { "; the older checkpoint '\($0)' may be intact: remove the damaged file to resume from it" } ?? "")
        case .mismatch(let path, let differences):
            return "checkpoint '\(path)' belongs to another run or model: " + differences.joined(separator: "; ")
                + "; resume with the settings and data of the run that wrote it, or start a new run in another folder"
        case .invalidSettings(let reason, let remedy):
            return "checkpoints: \(reason); \(remedy)"
        case .folder(let path, let reason):
            return "checkpoint folder '\(path)': \(reason)"
        }
    }

    /// The same text as ``description``.
    public var errorDescription: String? { description }
}

/// Who a run is: what a checkpoint must match before a run continues from it.
struct RunIdentity: Codable, Sendable, Equatable {
    /// A random 128-bit id, drawn when the run starts and kept through resumes.
    var id: String
    /// The settings that decide the run's course, by name (model, circuit, optimiser, schedule,
    /// seeds, scaling, differential privacy): the values are short texts or JSON.
    var settings: [String: String]
    /// SHA-256 of the settings.
    var settingsHash: String
    /// The training (and validation) samples and their targets, scaled, and their SHA-256.
    var trainingSamples: Int
    var validationSamples: Int
    var dataHash: String

    /// The identity of a run with these settings and samples (and a random or given id).
    init(id: String, settings: [String: String], train: TrainingSamples, validation: TrainingSamples?) {
        self.id = id
        self.settings = settings
        var settingsFingerprint = RunFingerprint()
        for key in settings.keys.sorted() {
            settingsFingerprint.update(key)
            settingsFingerprint.update(settings[key] ?? "")
        }
        settingsHash = settingsFingerprint.hex
        var data = RunFingerprint()
        for (name, samples) in [("training", train), ("validation", validation)] {
            data.update(name)
            data.update(samples?.x.values ?? [])
            data.update(samples?.targets ?? [])
        }
        trainingSamples = train.count
        validationSamples = validation?.count ?? 0
        dataHash = data.hex
    }

    /// What differs between this run (`self`) and the one a checkpoint belongs to, in words.
    func differences(from saved: RunIdentity) -> [String] {
        var found: [String] = []
        for key in Set(settings.keys).union(saved.settings.keys).sorted() where settings[key] != saved.settings[key] {
            found.append("\(key) is \(Self.shown(saved.settings[key])) in the checkpoint, \(Self.shown(settings[key])) in this run")
        }
        if found.isEmpty, settingsHash != saved.settingsHash { found.append("the settings' fingerprints differ") }
        if dataHash != saved.dataHash {
            found.append("the training data differ (checkpoint: \(saved.trainingSamples) training and \(saved.validationSamples) validation samples, "
                + "SHA-256 \(saved.dataHash.prefix(12))…; this run: \(trainingSamples) and \(validationSamples), SHA-256 \(dataHash.prefix(12))…)")
        }
        return found
    }

    private static func shown(_ value: String?) -> String {
        guard let value else { return "absent" }
        return value.count > 80 ? "'\(value.prefix(77))…'" : "'\(value)'"
    }

    /// A fresh random run id (32 hexadecimal digits).
    static func randomID() -> String {
        var system = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(format: "%016llx", system.next()) }.joined()
    }
}

/// One checkpoint: the run's identity and the trainer's state.
struct CheckpointFile: Codable, Sendable {
    /// Always `verdant-checkpoint`.
    var format: String
    /// 1.
    var version: Int
    /// `vqc` or `vqr`.
    var kind: String
    /// Who wrote it.
    var run: RunIdentity
    /// When it was written (ISO 8601, UTC).
    var created: String
    /// Training seconds so far, over every session of the run.
    var seconds: Double
    /// Where training stands.
    var state: TrainerState
    /// Steps between checkpoints (`--checkpoint-every`; nil: one per epoch), so that a resumed run
    /// keeps the same cadence when it is not given again (absent from checkpoints written before
    /// 2026-12-07: they resume at one per epoch).
    var everySteps: Int? = nil

    static let formatName = "verdant-checkpoint"
    static let currentVersion = 1
}

/// The file on disk: the checkpoint and the SHA-256 of its JSON (so a plain checkpoint's damage is
/// found too; a sealed one is authenticated besides).
private struct CheckpointEnvelope: Codable {
    var checkpoint: CheckpointFile
    var sha256: String
}

/// Reading and writing the checkpoints of one folder.
///
/// With federated shards every rank keeps its own checkpoints (`rank` set): the files carry the
/// rank in their name (`checkpoint-STEPS-rankR.sealed`), so that ranks on one host can share the
/// folder and ranks on different hosts each keep theirs on their own disk.
struct CheckpointStore {
    let directory: String
    let recipients: [Recipient]
    let keys: InputKeys
    /// The rank whose checkpoints these are (federated shards); nil: the run's one set (rank 0's).
    var rank: Int? = nil

    /// The encoder: sorted keys, shortest round-trip numbers, ±∞ as strings (a fresh early-stopping
    /// state holds +∞).
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// A checkpoint's file name: `checkpoint-` and the step count, 12 digits, `-rankR` with shards,
    /// then `.sealed` or `.json`.
    private func fileName(steps: Int) -> String {
        String(format: "checkpoint-%012d", steps) + Self.rankSuffix(rank) + "." + (recipients.isEmpty ? "json" : "sealed")
    }

    private static func rankSuffix(_ rank: Int?) -> String { rank.map { "-rank\($0)" } ?? "" }

    /// The checkpoint files of the folder, oldest first: (name, steps) — those of `rank` (federated
    /// shards), or the run's one set when `rank` is nil.
    static func files(in directory: String, rank: Int? = nil) throws -> [(name: String, steps: Int)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { throw CheckpointError.folder(path: directory, reason: "it is not a folder") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw CheckpointError.folder(path: directory, reason: "cannot be listed (\(error.localizedDescription))")
        }
        return names.compactMap { name -> (String, Int)? in
            guard name.hasPrefix("checkpoint-"), name.hasSuffix(".sealed") || name.hasSuffix(".json") else { return nil }
            let digits = name.dropFirst("checkpoint-".count).prefix { $0.isNumber }
            guard digits.count == 12, let steps = Int(digits),
                  name == "checkpoint-\(digits)" + rankSuffix(rank) + (name.hasSuffix(".json") ? ".json" : ".sealed") else { return nil }
            return (name, steps)
        }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }

    /// Makes the folder (mode 0700) when it is missing, and removes the temporary files that a
    /// killed writer of this store's checkpoints left behind.
    /// - Returns: whether this call made the folder (see ``removeFolderIfUnused()``).
    @discardableResult
    func prepare() throws -> Bool {
        var isDirectory: ObjCBool = false
        var made = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                        attributes: [.posixPermissions: 0o700])
                made = true
            } catch {
                // Ranks that share the folder make it at the same time: one of them wins.
                guard !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue else { return false }
                throw CheckpointError.folder(path: directory, reason: "cannot be made (\(error.localizedDescription)); its parent folder must exist")
            }
        } else if !isDirectory.boolValue {
            throw CheckpointError.folder(path: directory, reason: "it is not a folder")
        }
        // Named temporary files of the atomic writer (VerdantCommon's AtomicFile), ".NAME.RANDOM.tmp",
        // made only where the file system cannot make unnamed ones; with shards only this rank's.
        let suffix = Self.rankSuffix(rank)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where name.hasPrefix(".checkpoint-") && name.hasSuffix(".tmp")
            && (rank == nil ? !name.contains("-rank") : name.contains(suffix + ".")) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
        return made
    }

    /// Removes the folder when it is empty: for a run that failed before its first checkpoint, in
    /// a folder that ``prepare()`` made (a failed run leaves nothing behind). `rmdir` removes only
    /// an empty folder, so a checkpoint written by now, or another rank's, is never touched.
    func removeFolderIfUnused() {
        _ = rmdir(directory)
    }

    /// Writes a checkpoint atomically and durably (`AtomicOutput`, Privacy's face of VerdantCommon's
    /// `AtomicFile`: the file and its folder are flushed before the older ones are removed, so a
    /// power cut cannot leave only a damaged newest checkpoint), then removes all but the newest two.
    /// Plain or sealed, the file is the owner's only (mode 0600): a checkpoint carries the noise
    /// generator's key and the training state.
    /// - Throws: Privacy's errors (I/O, sealing).
    func write(_ checkpoint: CheckpointFile) throws {
        let body = try Self.encoder().encode(checkpoint)
        let envelope = CheckpointEnvelope(checkpoint: checkpoint, sha256: RunFingerprint.sha256(body))
        let data = try Self.encoder().encode(envelope)
        let path = (directory as NSString).appendingPathComponent(fileName(steps: checkpoint.state.steps))
        if recipients.isEmpty {
            try AtomicOutput.write(data, toPath: path, overwrite: true, mode: 0o600)
        } else {
            try SealedFile.write(data, toPath: path, for: recipients, contentType: CheckpointSettings.contentType, overwrite: true,
                                 mode: 0o600)
        }
        let files = try Self.files(in: directory, rank: rank)
        for old in files.dropLast(2) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(old.name))
        }
    }

    /// The newest checkpoint of `directory` (of `rank`'s, with shards), or the one of step
    /// `steps`; nil when there is none.
    /// - Parameters:
    ///   - sealed: whether the run seals its checkpoints (then a plain one is refused: it could
    ///     have replaced the sealed one).
    ///   - rank: whose checkpoints (federated shards); nil: the run's one set.
    ///   - steps: the step count of the checkpoint to read; nil: the newest.
    /// - Throws: ``CheckpointError/damaged(path:reason:underlying:previous:)`` for a checkpoint that
    ///   cannot be opened or read.
    static func newest(in directory: String, keys: InputKeys, sealed: Bool, rank: Int? = nil,
                       steps: Int? = nil) throws -> (file: CheckpointFile, path: String)? {
        var files = try files(in: directory, rank: rank)
        if let steps { files = Array(files.prefix { $0.steps <= steps }) }
        guard let last = files.last, steps.map({ last.steps == $0 }) ?? true else { return nil }
        let path = (directory as NSString).appendingPathComponent(last.name)
        let previous = files.dropLast().last.map { (directory as NSString).appendingPathComponent($0.name) }
        func damaged(_ reason: String, _ underlying: (any Error)? = nil) -> CheckpointError {
            .damaged(path: path, reason: reason, underlying: underlying, previous: previous)
        }
        let isSealed = SealedFile.isSealed(atPath: path)
        if sealed, !isSealed {
            throw damaged("it is not sealed, but this run seals its checkpoints (a plain file in its place may have been forged)")
        }
        let data: Data
        do {
            if isSealed {
                data = try SealedFile.open(atPath: path, expecting: CheckpointSettings.contentType, options: keys.options,
                                           identities: keys.identities)
            } else {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        } catch let error as PrivacyError {
            throw damaged("\(error)", error)
        } catch {
            throw damaged("it cannot be read (\(error.localizedDescription))")
        }
        let envelope: CheckpointEnvelope
        do {
            envelope = try decoder().decode(CheckpointEnvelope.self, from: data)
        } catch let error as DecodingError {
            throw damaged("it is not a Verdant checkpoint as this version writes it (\(ModelFile.describe(error)))")
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw damaged("it holds an invalid state (\(error))")
        }
        let checkpoint = envelope.checkpoint
        guard checkpoint.format == CheckpointFile.formatName, checkpoint.version == CheckpointFile.currentVersion else {
            throw damaged("its format is \"\(checkpoint.format)\" version \(checkpoint.version); this Verdant reads \"\(CheckpointFile.formatName)\" version \(CheckpointFile.currentVersion)")
        }
        guard RunFingerprint.sha256(try encoder().encode(checkpoint)) == envelope.sha256 else {
            throw damaged("its SHA-256 does not match its contents: it was changed after it was written"
                + (isSealed ? "" : " (a plain checkpoint detects damage, not a deliberate forgery: seal checkpoints)"))
        }
        return (checkpoint, path)
    }
}
