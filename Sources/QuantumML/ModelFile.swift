import Foundation
import Privacy

// Reading and writing Verdant model files (docs/model-format.md): versioned JSON, sealed when the
// caller gives recipients. A sealed model is opened in memory; its plaintext never touches the disk.

extension Classifier {
    /// The model as JSON (sorted keys, indented; numbers round-trip exactly).
    /// - Throws: an encoding error only for non-finite numbers, which training never produces.
    public func encoded() throws -> Data {
        try ModelFile.encode(self)
    }

    /// Writes the model to `path`, atomically (nothing appears unless all of it was written);
    /// sealed for `recipients` when there are any.
    /// - Parameters:
    ///   - path: the file.
    ///   - recipients: who can open the sealed file (none: plain JSON).
    ///   - overwrite: replace an existing file.
    ///   - mode: a plain file's permissions (nil: 0666 less the umask; 0o600 for a model of sealed data).
    /// - Throws: Privacy's errors (`outputExists` without `overwrite`, I/O).
    public func write(toPath path: String, recipients: [Recipient] = [], overwrite: Bool = false, mode: mode_t? = nil) throws {
        try ModelFile.write(encoded(), toPath: path, recipients: recipients, overwrite: overwrite, mode: mode)
    }

    /// Reads a model file, plain or sealed.
    /// - Parameters:
    ///   - path: the file.
    ///   - options: limits for opening a sealed file.
    ///   - identities: given a sealed file's header, the keys to try (not called for a plain file).
    /// - Throws: Privacy's errors for a sealed file that cannot be opened; ``QuantumMLError/model(path:found:valid:)``
    ///   for anything that is not a readable Verdant model.
    public static func load(atPath path: String, options: OpenOptions = OpenOptions(),
                            identities: (SealedHeader) throws -> [Identity] = { _ in [] }) throws -> Classifier
    {
        try decode(ModelFile.contents(atPath: path, options: options, identities: identities), path: path)
    }

    /// Decodes and checks a model file's bytes.
    /// - Throws: ``QuantumMLError/model(path:found:valid:)`` naming what is wrong: not JSON, a foreign
    ///   file, an unsupported version, a model of another kind (such as a variational model), a
    ///   missing or mistyped field, inconsistent sizes.
    public static func decode(_ data: Data, path: String) throws -> Classifier {
        let model = try ModelFile.decode(Classifier.self, from: data, path: path,
                                         kinds: ModelKind.allCases.map(\.rawValue), family: "kernel SVM")
        try model.checkConsistency(path: path)
        return model
    }

    /// Checks the sizes agree, so prediction cannot index out of range.
    func checkConsistency(path: String) throws {
        func fail(_ found: String, _ valid: String = "a model as Verdant writes it (docs/model-format.md)") -> QuantumMLError {
            .model(path: path, found: "inconsistent model: \(found)", valid: valid)
        }
        guard classes.count >= 2, Set(classes).count == classes.count else { throw fail("needs at least two distinct classes", "has \(classes)") }
        guard svm.classCount == classes.count else { throw fail("the SVM has \(svm.classCount) classes", "the file lists \(classes.count)") }
        guard supportVectors.columns == featureNames.count else {
            throw fail("support vectors have \(supportVectors.columns) features", "the model names \(featureNames.count)")
        }
        guard supportVectors.rows == svm.supportIndices.count, supportVectors.rows == svm.dualCoefficients.columns,
              svm.supportCounts.reduce(0, +) == supportVectors.rows,
              svm.supportCounts.count == classes.count,
              svm.dualCoefficients.rows == classes.count - 1,
              svm.intercepts.count == classes.count * (classes.count - 1) / 2
        else { throw fail("support vector counts, dual coefficients and intercepts do not agree") }
        guard supportVectors.values.allSatisfy(\.isFinite), svm.dualCoefficients.values.allSatisfy(\.isFinite),
              svm.intercepts.allSatisfy(\.isFinite)
        else { throw fail("non-finite numbers") }
        switch kind {
        case .qsvm:
            guard let featureMap else { throw fail("a qsvm model needs \"featureMap\"") }
            guard featureMap.featureCount == featureNames.count else {
                throw fail("the feature map takes \(featureMap.featureCount) features", "the model names \(featureNames.count)")
            }
        case .svmRBF:
            guard let gamma, gamma > 0, gamma.isFinite else { throw fail("an svm-rbf model needs a positive \"gamma\"") }
        case .svmLinear:
            break
        }
    }
}

/// What every Verdant model file shares (docs/model-format.md): the JSON coding, the header checks
/// (`format`, `version`, `kind`) and plain or sealed storage. ``Classifier`` and
/// ``VariationalModel`` read and write through it.
public enum ModelFile {
    /// The file format's name, `verdant-model`.
    public static let formatName = "verdant-model"
    /// The version this Verdant writes and reads.
    public static let currentVersion = 1
    /// The content type of a sealed model file.
    public static let contentType = "model/verdant"

    /// Every model kind this Verdant reads, with a few words for messages.
    static let kindDescriptions: [(kind: String, description: String)] = [
        ("qsvm", "SVM on the quantum kernel"),
        ("svm-rbf", "SVM on the RBF kernel"),
        ("svm-linear", "linear SVM"),
        ("vqc", "variational quantum classifier"),
        ("vqr", "variational quantum regressor"),
    ]

    /// The `kind` of a model file, after the format and version checks — for a caller that must
    /// choose between ``Classifier`` and ``VariationalModel``.
    /// - Parameters:
    ///   - data: the file's bytes (opened, if it was sealed).
    ///   - path: the file's name, for messages.
    /// - Returns: the kind, such as `qsvm` or `vqc`.
    /// - Throws: ``QuantumMLError/model(path:found:valid:)`` for bytes that are not a Verdant model, an
    ///   unsupported version, a missing or unknown kind.
    public static func kind(of data: Data, path: String) throws -> String {
        let dictionary = try header(data, path: path)
        guard let kind = dictionary["kind"] as? String else {
            throw QuantumMLError.model(path: path, found: "the model file has no string \"kind\"", valid: "a model file names its kind (qsvm, svm-rbf, svm-linear, vqc, vqr)")
        }
        guard kindDescriptions.contains(where: { $0.kind == kind }) else {
            throw QuantumMLError.model(path: path, found: "unknown model kind \"\(kind)\"", valid: "this Verdant reads \(kindDescriptions.map(\.kind).joined(separator: ", "))")
        }
        return kind
    }

    /// The JSON object of a model file whose format and version are right.
    private static func header(_ data: Data, path: String) throws -> [String: Any] {
        let object = try? JSONSerialization.jsonObject(with: data)
        guard let dictionary = object as? [String: Any] else {
            throw QuantumMLError.model(path: path, found: "not a Verdant model file", valid: "expected a JSON object with \"format\": \"\(formatName)\"")
        }
        guard let format = dictionary["format"] as? String, format == formatName else {
            let found = dictionary["format"].map { "\"format\" is \(String(describing: $0))" } ?? "there is no \"format\" field"
            throw QuantumMLError.model(path: path, found: "not a Verdant model file: \(found)", valid: "expected \"\(formatName)\"")
        }
        guard let version = dictionary["version"] as? Int else {
            throw QuantumMLError.model(path: path, found: "the model file has no integer \"version\"", valid: "this Verdant reads version \(currentVersion)")
        }
        guard version == currentVersion else {
            let relation = version > currentVersion ? "newer than this Verdant, which reads" : "older than this Verdant, which reads only"
            throw QuantumMLError.model(path: path, found: "model format version \(version) is \(relation) version \(currentVersion)",
                                       valid: "open it with the Verdant that wrote it")
        }
        return dictionary
    }

    /// Decodes a model of one family after the header checks.
    /// - Parameters:
    ///   - kinds: the `kind` values the family reads.
    ///   - family: the family's name for the message about another kind ("kernel SVM", "variational").
    /// - Throws: ``QuantumMLError/model(path:found:valid:)``.
    static func decode<Model: Decodable>(_ type: Model.Type, from data: Data, path: String, kinds: [String],
                                         family: String) throws -> Model
    {
        let dictionary = try header(data, path: path)
        // A missing or mistyped kind is left to the decoder, which names the field.
        if let kind = dictionary["kind"] as? String, !kinds.contains(kind) {
            if let known = kindDescriptions.first(where: { $0.kind == kind }) {
                throw QuantumMLError.model(path: path, found: "this is a \"\(kind)\" model (\(known.description))", valid: "a \(family) model (\(kinds.joined(separator: ", "))) is needed here")
            }
            throw QuantumMLError.model(path: path, found: "unknown model kind \"\(kind)\"", valid: "this Verdant reads \(kindDescriptions.map(\.kind).joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(Model.self, from: data)
        } catch let error as DecodingError {
            throw QuantumMLError.model(path: path, found: describe(error), valid: "a model file as Verdant writes it (docs/model-format.md)")
        }
    }

    /// The JSON of a model (sorted keys, indented, slashes unescaped).
    static func encode(_ model: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(model)
        } catch EncodingError.invalidValue(let value, let context) {
            // JSON has no NaN or infinity: a model holding one is not worth writing.
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            throw QuantumMLError.training(reason: "the trained model holds \(value) at \(path.hasPrefix(".") ? String(path.dropFirst()) : path), "
                                          + "which a model file cannot store (training diverged)",
                                          remedy: "lower --learning-rate, rescale the features (--scale minmax), or check the data for extreme values")
        }
    }

    /// Writes atomically, sealed for `recipients` when there are any.
    static func write(_ data: Data, toPath path: String, recipients: [Recipient], overwrite: Bool, mode: mode_t? = nil) throws {
        if recipients.isEmpty {
            try AtomicOutput.write(data, toPath: path, overwrite: overwrite, mode: mode)
        } else {
            try SealedFile.write(data, toPath: path, for: recipients, contentType: contentType, overwrite: overwrite)
        }
    }

    /// A model file's bytes, opened in memory when sealed.
    static func contents(atPath path: String, options: OpenOptions,
                         identities: (SealedHeader) throws -> [Identity]) throws -> Data
    {
        try SealedFile.contents(atPath: path, expecting: contentType, options: options, identities: identities)
    }

    /// The current time in ISO 8601 (UTC, seconds).
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }

    /// A decoding error as "missing field … in …" or "bad value at …: …".
    static func describe(_ error: DecodingError) -> String {
        func where_(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \"\(key.stringValue)\" in \(where_(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "bad value at \(where_(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "unreadable model (\(error))"
        }
    }
}
