import Foundation
import Verdant

// `verdant inspect` on a model file: its metadata (kind, features, classes, how it was trained,
// the differential privacy record) for a plain model, or for a sealed one when a key is given.
// Kept apart from Inspect.swift, which shows what a sealed file's header says without a key.

enum ModelInspection {
    /// Whether any key option was given (inspect opens a sealed model only then; it never asks
    /// for a passphrase unprompted).
    static func keysGiven(_ options: IdentityOptions) -> Bool {
        !options.identityFiles.isEmpty || !options.keyFiles.isEmpty || options.passphrase || options.passphraseFile != nil
    }

    /// The model in a plain file, or nil when the file is not a Verdant model (its first byte is
    /// not `{`, or it has no `"format": "verdant-model"`).
    /// - Throws: the model reader's errors for a file that says it is a Verdant model but is not a
    ///   readable one.
    static func plainModel(atPath path: String) throws -> TrainedModel? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var head: UInt8 = 0
        let count = read(descriptor, &head, 1)
        close(descriptor)
        guard count == 1, head == UInt8(ascii: "{"), let data = FileManager.default.contents(atPath: path) else { return nil }
        return try plainModel(data, path: path)
    }

    /// The model in bytes already read (a pipe's), or nil as for ``plainModel(atPath:)``.
    static func plainModel(_ data: Data, path: String) throws -> TrainedModel? {
        guard data.first == UInt8(ascii: "{"), (try? ModelFile.kind(of: data, path: path)) != nil else { return nil }
        return try TrainedModel.decode(data, path: path)
    }

    /// A sealed model read from a pipe, opened in memory with the given keys.
    static func sealedModel(_ data: Data, name: String, header: SealedHeader, options: IdentityOptions) throws -> TrainedModel {
        let plaintext = try SealedFile.open(data, with: try options.identities(for: header), expecting: ModelFile.contentType,
                                            options: try options.openOptions(threads: nil), name: name)
        return try TrainedModel.decode(plaintext, path: name)
    }

    /// A sealed model file opened in memory with the given keys.
    static func sealedModel(atPath path: String, options: IdentityOptions) throws -> TrainedModel {
        let keys = InputKeys(options: try options.openOptions(threads: nil)) { header in try options.identities(for: header) }
        return try TrainedModel.load(atPath: path, keys: keys)
    }

    /// The metadata as rows (label, value) for the human table.
    static func rows(_ model: TrainedModel) -> [[String]] {
        var rows: [[String]] = [["model", "\(model.kind) (Verdant model file, version \(ModelFile.currentVersion))"]]
        switch model {
        case .kernel(let svm):
            let t = svm.training
            rows += [["created", svm.created], ["features", svm.featureNames.joined(separator: ", ")], ["label", svm.labelName],
                     ["classes", svm.classes.joined(separator: ", ")], ["support vectors", "\(svm.supportVectors.rows)"]]
            if let map = svm.featureMap { rows.append(["feature map", map.description]) }
            rows.append(["trained on", "\(t.samples) samples of \(t.dataset)" + (t.testAccuracy.map { String(format: "; test accuracy %.4f on %d", $0, t.testSamples) } ?? "")])
            rows.append(["privacy", "none (a kernel SVM's support vectors are training rows)"])
        case .variational(let vm):
            let t = vm.training
            rows += [["created", vm.created], ["features", vm.featureNames.joined(separator: ", ")],
                     [vm.kind == .vqr ? "target" : "label", vm.labelName]]
            if let classes = vm.classes { rows.append(["classes", classes.joined(separator: ", ")]) }
            rows += [["feature map", vm.featureMap.description], ["ansatz", vm.ansatz.description],
                     ["readout", vm.readout.rawValue + (vm.isHybrid ? " + linear layer" : "")],
                     ["scaler", "\(vm.scaler.kind.rawValue) (offsets \(vm.scaler.offsets.map { PrivacyBudgetCommand.number($0) }.joined(separator: ", ")))"],
                     ["training", "\(t.samples) samples of \(t.dataset), \(t.epochs) epochs, batch \(t.batchSize), \(t.optimizer.description)"]]
            if let accuracy = t.testAccuracy { rows.append(["test accuracy", String(format: "%.4f on %d samples", accuracy, t.testSamples)]) }
            if let mse = t.testMSE { rows.append(["test", TrainedModel.metrics(mse, t.testMAE, t.testR2) + " on \(t.testSamples) samples"]) }
            if let privacy = t.privacy {
                rows.append(["privacy", privacy.guaranteeText])
                for line in privacy.lines.dropFirst() { rows.append(["", line.trimmingCharacters(in: .whitespaces)]) }
            } else {
                rows.append(["privacy", "none (trained without differential privacy)"])
            }
        }
        return rows
    }

    /// The metadata as JSON.
    static func json(_ model: TrainedModel) -> JSON {
        var members: [(String, JSON)] = [("kind", .string(model.kind)), ("features", .array(model.featureNames.map { .string($0) })),
                                         ("label", .string(model.labelName)), ("trainingSamples", .integer(model.trainingSamples)),
                                         ("testSamples", .integer(model.testSamples))]
        switch model {
        case .kernel(let svm):
            members.append(("created", .string(svm.created)))
            members.append(("classes", .array(svm.classes.map { .string($0) })))
            members.append(("testAccuracy", svm.training.testAccuracy.map { .number($0) } ?? .null))
        case .variational(let vm):
            members.append(("created", .string(vm.created)))
            members.append(("classes", vm.classes.map { .array($0.map { .string($0) }) } ?? .null))
            members.append(("epochs", .integer(vm.training.epochs)))
            members.append(("testAccuracy", vm.training.testAccuracy.map { .number($0) } ?? .null))
        }
        members.append(("privacy", model.privacyRecord?.json ?? .null))
        return .object(members)
    }

    /// Prints a model's metadata: a table, or `{"file": …, "sealed": …, "model": {…}}` with `json`.
    static func print(_ model: TrainedModel, file: String, sealed: Bool, json: Bool) {
        if json {
            JSON.object([("file", .string(file)), ("sealed", .bool(sealed)), ("model", Self.json(model))]).print()
        } else {
            Swift.print(rows(model).map { ($0[0].isEmpty ? "" : $0[0] + ":").padding(toLength: 17, withPad: " ", startingAt: 0) + $0[1] }
                .joined(separator: "\n"))
        }
    }
}
