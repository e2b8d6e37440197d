import Foundation
import Privacy
import QuantumML
import VerdantCommon

/// Reads what Verdant writes into a ``ReportContent``, telling files apart by their content, not
/// their names: model files (plain or sealed, opened with the job's keys through the same loader
/// as `verdant predict`), `run --json`, `measure --json` / `--energy-report`, `bench --json` and
/// the side-by-side scripts' results, `demo --json`, `train --json`, CSV data (plain or sealed),
/// and folders of these (`demo --work-dir`). Unknown fields are ignored.
public struct ReportReader: Sendable {
    /// What opens sealed inputs (and the plaintext policy for model and data files).
    public var keys: InputKeys
    /// The largest file read (bytes); larger inputs are refused with a message.
    public var maximumBytes: Int = 256 << 20

    /// A reader.
    ///
    /// - Parameter keys: What opens sealed inputs.
    public init(keys: InputKeys = InputKeys()) {
        self.keys = keys
    }

    /// Reads each input (a file or a folder) into `content`, in order.
    ///
    /// - Parameters:
    ///   - inputs: Paths of files and folders.
    ///   - content: Where to add what was read.
    /// - Throws: ``ReportError/unreadableInput(path:found:valid:)`` for a file that is not one Verdant
    ///   writes; Privacy's errors for a sealed file that cannot be opened (wrong key: exit 3, …);
    ///   ``QuantumMLError`` for a damaged model or data file.
    public func read(_ inputs: [String], into content: inout ReportContent) throws {
        for path in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ReportError.unreadableInput(path: path, found: "no such file or folder", valid: ReportError.readableInputs)
            }
            if isDirectory.boolValue {
                try readFolder(path, into: &content)
            } else {
                try readFile(path, into: &content, fromFolder: false)
            }
        }
    }

    /// Every regular file of a folder, by name; files that are not Verdant's are skipped with a
    /// note (a demo folder holds a key and predictions files the report does not draw).
    private func readFolder(_ path: String, into content: inout ReportContent) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw ReportError.unreadableInput(path: path, found: "a folder that cannot be listed (\(error.localizedDescription))",
                                              valid: "a readable folder")
        }
        let before = content.sources.count
        for name in names where !name.hasPrefix(".") {
            let file = (path as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
                content.notes.append("\(file): a folder inside \(path), not read (give it as an input of its own)")
                continue
            }
            try readFile(file, into: &content, fromFolder: true)
        }
        if content.sources.count == before {
            throw ReportError.unreadableInput(path: path, found: "a folder with no file Verdant writes", valid: ReportError.readableInputs)
        }
    }

    private func readFile(_ path: String, into content: inout ReportContent, fromFolder: Bool) throws {
        let name = (path as NSString).lastPathComponent
        if fromFolder, name.hasSuffix(".html") || name.hasSuffix(".png") { return }
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maximumBytes else {
            throw ReportError.unreadableInput(path: path, found: "\(size) bytes", valid: "an input of at most \(maximumBytes >> 20) MiB")
        }
        if SealedFile.isSealed(atPath: path) {
            try readSealed(path, into: &content, fromFolder: fromFolder)
            return
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ReportError.unreadableInput(path: path, found: "a file that cannot be read (\(error.localizedDescription))", valid: "a readable file")
        }
        let text = String(decoding: data.prefix(4096), as: UTF8.self)
        if text.contains("SECRET-KEY") {
            content.notes.append("\(path): a key file, not drawn (give it with -i or --key-file to open sealed inputs)")
            return
        }
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\u{FEFF}" }
        if trimmed.first == "{" || trimmed.first == "[" {
            try readJSON(data, path: path, into: &content)
        } else if name.lowercased().hasSuffix(".csv") || name.lowercased().hasSuffix(".csv.sealed") {
            try readData(path, into: &content)
        } else if fromFolder {
            content.notes.append("\(path): not a file Verdant writes, skipped")
        } else {
            throw ReportError.unreadableInput(path: path, found: "neither JSON, CSV nor a sealed file (it starts with \(Self.describe(data.prefix(8))))",
                                              valid: ReportError.readableInputs)
        }
    }

    private func readSealed(_ path: String, into content: inout ReportContent, fromFolder: Bool) throws {
        let header = try SealedFile.header(atPath: path)
        if header.contentType != "predictions/csv" { content.sealedInputs.append(path) }
        switch header.contentType {
        case ModelFile.contentType:
            let model = try TrainedModel.load(atPath: path, keys: keys)
            let json = try Self.encoded(model)
            content.models.append(try ModelEntry(json: json, model: model, name: Self.displayName(path), source: path))
            content.sources.append(path)
        case let type where DatasetLoader.acceptedSealedContentTypes.contains(type):
            try readData(path, into: &content)
        case "predictions/csv":
            content.notes.append("\(path): predictions, not drawn (the report predicts the held-out samples with the model itself)")
        default:
            // Anything else sealed (a JSON report sealed with `verdant seal`): open it and look inside.
            let data = try SealedFile.contents(atPath: path, expecting: nil, options: keys.options, identities: keys.identities)
            if String(decoding: data.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
                try readJSON(data, path: path, into: &content)
            } else if fromFolder {
                content.notes.append("\(path): sealed content of type '\(header.contentType)', not drawn")
            } else {
                throw ReportError.unreadableInput(path: path, found: "a sealed file of content type '\(header.contentType)'",
                                                  valid: "a sealed model (model/verdant), data set (dataset/csv) or JSON report")
            }
        }
    }

    /// A data file (plain or sealed): the samples models are evaluated on.
    private func readData(_ path: String, into content: inout ReportContent) throws {
        let data = try DatasetLoader.csv(atPath: path, keys: keys)
        if content.samples != nil {
            content.notes.append("\(path): a second data file; the models are evaluated on the first one given")
        } else {
            content.samples = data
        }
        content.sources.append(path)
    }

    private func readJSON(_ data: Data, path: String, into content: inout ReportContent) throws {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            // JSON Lines (one object per line, as Benchmarks/distributed_side_by_side.sh writes) is
            // not one JSON document: say so rather than where the second object starts.
            let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
            if lines.count > 1, lines.allSatisfy({ (try? JSONSerialization.jsonObject(with: Data($0.utf8))) is [String: Any] }) {
                throw ReportError.unreadableInput(path: path, found: "JSON Lines (\(lines.count) objects, one per line), which the report does not read",
                                                  valid: ReportError.readableInputs)
            }
            throw ReportError.unreadableInput(path: path, found: "JSON that does not parse (\(JSONDiagnosis.problem(in: data) ?? Self.reason(error)))",
                                              valid: ReportError.readableInputs)
        }
        guard let object = parsed as? [String: Any] else {
            let kind = parsed is [Any] ? "a JSON array" : "a JSON value that is not an object"
            throw ReportError.unreadableInput(path: path, found: "\(kind) at the top level; every file the report reads is one JSON object",
                                              valid: ReportError.readableInputs)
        }
        if object["format"] as? String == ModelFile.formatName {
            // The library's loader: the same plaintext policy and errors as `verdant predict`.
            let model = try TrainedModel.load(atPath: path, keys: keys)
            content.models.append(try ModelEntry(json: data, model: model, name: Self.displayName(path), source: path))
        } else if let entry = EnergyEntry(json: object, source: path) {
            content.energy.append(entry)
        } else if let run = Self.run(object, path: path) {
            content.runs.append(run)
        } else if let rows = Self.summaryRows(object, path: path) {
            content.models += rows
        } else if let bench = BenchReader.entry(object, path: path) {
            content.benchmarks.append(bench)
        } else {
            let keys = object.keys.sorted().prefix(8).joined(separator: ", ")
            throw ReportError.unreadableInput(path: path, found: "JSON with the keys \(keys)\(object.count > 8 ? ", …" : "")",
                                              valid: ReportError.readableInputs)
        }
        content.sources.append(path)
    }

    // MARK: - JSON kinds

    /// `verdant run --json`: an object with `counts` (and `shots`, `file`, …), or `probabilities` only.
    static func run(_ object: [String: Any], path: String) -> CircuitRun? {
        let counts = (object["counts"] as? [String: Any])?.compactMap { key, value in JSONRead.integer(value).map { (key, $0) } }
        let probabilities = (object["probabilities"] as? [String: Any])?.compactMap { key, value in JSONRead.number(value).map { (key, $0) } }
        guard counts != nil || (probabilities != nil && object["qubits"] != nil) else { return nil }
        return CircuitRun(source: path, circuit: object["file"] as? String ?? displayName(path), shots: JSONRead.integer(object["shots"]),
                          seed: object["seed"] as? String ?? JSONRead.integer(object["seed"]).map(String.init),
                          qubits: JSONRead.integer(object["qubits"]), counts: counts ?? [],
                          probabilities: (probabilities ?? []).sorted { $0.0 < $1.0 })
    }

    /// `verdant demo --json` (`models`: rows with accuracy and joules) or `verdant train --json`
    /// (one model with `kind`, accuracy and `energy`).
    static func summaryRows(_ object: [String: Any], path: String) -> [ModelEntry]? {
        if let rows = object["models"] as? [[String: Any]], rows.contains(where: { $0["accuracy"] != nil }) {
            return rows.compactMap { row in
                guard let kind = row["model"] as? String else { return nil }
                var entry = ModelEntry(summary: row["name"] as? String ?? kind, kind: kind, source: path)
                entry.testAccuracy = JSONRead.number(row["accuracy"])
                entry.seconds = JSONRead.number(row["seconds"])
                if let joules = JSONRead.number(row["joules"]) {
                    let band = (row["joules_band"] as? [Any] ?? []).compactMap(JSONRead.number)
                    entry.energy = EnergyFigure(joules: joules, low: band.first ?? joules, high: band.count > 1 ? band[1] : joules,
                                                provenance: row["provenance"] as? String ?? "unknown")
                }
                entry.testSamples = JSONRead.integer(object["testSamples"])
                entry.samples = JSONRead.integer(object["trainSamples"])
                return entry
            }
        }
        if let kind = object["kind"] as? String, TrainingJob.Model(rawValue: kind) != nil, object["samples"] != nil {
            var entry = ModelEntry(summary: object["model"] as? String ?? kind, kind: kind, source: path)
            entry.testAccuracy = JSONRead.number(object["testAccuracy"])
            entry.trainAccuracy = JSONRead.number(object["trainAccuracy"])
            entry.samples = JSONRead.integer(object["samples"])
            entry.testSamples = JSONRead.integer(object["testSamples"])
            entry.seconds = JSONRead.number(object["seconds"])
            entry.dataset = object["dataset"] as? String
            entry.energy = (object["energy"] as? [String: Any]).flatMap(JSONRead.energyRecord)
            entry.history = (object["history"] as? [[String: Any]] ?? []).compactMap(JSONRead.epoch)
            return [entry]
        }
        return nil
    }

    // MARK: - Helpers

    /// The model file's JSON for a model in memory.
    static func encoded(_ model: TrainedModel) throws -> Data {
        switch model {
        case .kernel(let classifier): try classifier.encoded()
        case .variational(let variational): try variational.encoded()
        }
    }

    /// `/tmp/demo/qsvm.model.sealed` → `qsvm.model.sealed`.
    static func displayName(_ path: String) -> String { (path as NSString).lastPathComponent }

    static func describe(_ bytes: Data) -> String {
        bytes.isEmpty ? "nothing: it is empty" : bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }

    static func reason(_ error: Error) -> String {
        let text = "\(error)"
        return text.count > 160 ? String(text.prefix(157)) + "…" : text
    }
}
