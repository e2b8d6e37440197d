import Foundation
import Privacy

// Reading and writing Verdant model files (docs/model-format.md): versioned JSON, sealed when the
// caller gives recipients. A sealed model is opened in memory; its plaintext never touches the disk.

extension Classifier {
    /// The model as JSON (sorted keys, indented; numbers round-trip exactly).
    /// - Throws: an encoding error only for non-finite numbers, which training never produces.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Writes the model to `path`, atomically (nothing appears unless all of it was written);
    /// sealed for `recipients` when there are any.
    /// - Throws: Privacy's errors (`outputExists` without `overwrite`, I/O).
    public func write(toPath path: String, recipients: [Recipient] = [], overwrite: Bool = false) throws {
        let data = try encoded()
        if recipients.isEmpty {
            try AtomicOutput.write(data, toPath: path, overwrite: overwrite)
        } else {
            try SealedFile.write(data, toPath: path, for: recipients, contentType: Self.contentType, overwrite: overwrite)
        }
    }

    /// Reads a model file, plain or sealed.
    /// - Parameters:
    ///   - path: the file.
    ///   - options: limits for opening a sealed file.
    ///   - identities: given a sealed file's header, the keys to try (not called for a plain file).
    /// - Throws: Privacy's errors for a sealed file that cannot be opened; ``QuantumMLError/model(path:message:)``
    ///   for anything that is not a readable Verdant model.
    public static func load(atPath path: String, options: OpenOptions = OpenOptions(),
                            identities: (SealedHeader) throws -> [Identity] = { _ in [] }) throws -> Classifier
    {
        let data = try SealedFile.contents(atPath: path, expecting: contentType, options: options, identities: identities)
        return try decode(data, path: path)
    }

    /// Decodes and checks a model file's bytes.
    /// - Throws: ``QuantumMLError/model(path:message:)`` naming what is wrong: not JSON, a foreign
    ///   file, an unsupported version, a missing or mistyped field, inconsistent sizes.
    public static func decode(_ data: Data, path: String) throws -> Classifier {
        let object = try? JSONSerialization.jsonObject(with: data)
        guard let dictionary = object as? [String: Any] else {
            throw QuantumMLError.model(path: path, message: "not a Verdant model file (expected a JSON object with \"format\": \"\(formatName)\")")
        }
        guard let format = dictionary["format"] as? String, format == formatName else {
            let found = dictionary["format"].map { "\"format\" is \(String(describing: $0))" } ?? "there is no \"format\" field"
            throw QuantumMLError.model(path: path, message: "not a Verdant model file: \(found); expected \"\(formatName)\"")
        }
        guard let version = dictionary["version"] as? Int else {
            throw QuantumMLError.model(path: path, message: "the model file has no integer \"version\"")
        }
        guard version == currentVersion else {
            let relation = version > currentVersion ? "newer than this Verdant, which reads" : "older than this Verdant, which reads only"
            throw QuantumMLError.model(path: path, message: "model format version \(version) is \(relation) version \(currentVersion)")
        }
        let model: Classifier
        do {
            model = try JSONDecoder().decode(Classifier.self, from: data)
        } catch let error as DecodingError {
            throw QuantumMLError.model(path: path, message: describe(error))
        }
        try model.checkConsistency(path: path)
        return model
    }

    /// Checks the sizes agree, so prediction cannot index out of range.
    func checkConsistency(path: String) throws {
        func fail(_ message: String) -> QuantumMLError { .model(path: path, message: "inconsistent model: \(message)") }
        guard classes.count >= 2, Set(classes).count == classes.count else { throw fail("needs at least two distinct classes; has \(classes)") }
        guard svm.classCount == classes.count else { throw fail("the SVM has \(svm.classCount) classes; the file lists \(classes.count)") }
        guard supportVectors.columns == featureNames.count else {
            throw fail("support vectors have \(supportVectors.columns) features; the model names \(featureNames.count)")
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
                throw fail("the feature map takes \(featureMap.featureCount) features; the model names \(featureNames.count)")
            }
        case .svmRBF:
            guard let gamma, gamma > 0, gamma.isFinite else { throw fail("an svm-rbf model needs a positive \"gamma\"") }
        case .svmLinear:
            break
        }
    }

    private static func describe(_ error: DecodingError) -> String {
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
