import Foundation
import Privacy

/// Where a job's samples come from: a CSV file (plain or sealed), a built-in data set, or samples
/// already in memory.
///
/// `verdant train/predict/kernel --data` take the text form (``init(parsing:)``): a path, or
/// `builtin:iris` / `builtin:adhoc`.
public enum DataSource: Sendable, Equatable {
    /// A CSV file with a header row, plain or sealed (opened in memory with the job's ``InputKeys``).
    case file(String)
    /// Fisher's Iris data, embedded (``DatasetLoader/iris()``).
    case iris
    /// Qiskit's ad hoc data set (``DatasetLoader/adHoc(trainingSize:testSize:features:gap:seed:)``)
    /// with 20 training and 10 test samples per class, 2 features and gap 0.3, drawn from the job's
    /// seed. It brings its own test set.
    case adHoc
    /// Labelled samples already in memory.
    case dataset(Dataset)
    /// Regression samples already in memory.
    case regression(RegressionData)
    /// Federated shards: one CSV file per rank (plain or sealed), named by a path in which
    /// ``rankPlaceholder`` stands for the rank, e.g. `site-{rank}.csv.sealed`. Each rank reads only
    /// its own file; only ``TrainedModel/train(_:)`` of a variational model (vqc, vqr) takes such a source
    /// (docs/secure-distributed.md, "Federated shards").
    case shards(String)

    /// The text forms of the built-in sets, as ``init(parsing:)`` reads them.
    public static let builtinNames = ["builtin:iris", "builtin:adhoc"]

    /// What a ``shards(_:)`` path holds in place of each rank's number: `{rank}`.
    public static let rankPlaceholder = "{rank}"

    /// A source from its text form: `builtin:iris`, `builtin:adhoc`, a path with `{rank}` (one
    /// shard per rank, ``shards(_:)``), or a file path.
    ///
    /// - Parameter text: The text, e.g. the value of `--data`.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a `builtin:` name
    ///   that is not one of ``builtinNames``, and for a missing file whose name holds the
    ///   placeholder in other letter case (`{Rank}`).
    public init(parsing text: String) throws {
        switch text {
        case "builtin:iris": self = .iris
        case "builtin:adhoc": self = .adHoc
        default:
            guard !text.hasPrefix("builtin:") else {
                throw QuantumMLError.invalidArgument(argument: "the data source", received: "'\(text)', which is not a built-in data set",
                                                     valid: "a CSV file or a built-in set (built-in: \(Self.builtinNames.joined(separator: ", ")))")
            }
            if !text.contains(Self.rankPlaceholder), text.lowercased().contains(Self.rankPlaceholder),
               !FileManager.default.fileExists(atPath: text)
            {
                // `site-{Rank}.csv` would only say "no such file".
                throw QuantumMLError.invalidArgument(
                    argument: "the data path", received: "'\(text)', which does not exist",
                    valid: "an existing file, or a path with \(Self.rankPlaceholder) in lower case to name one shard per MPI rank")
            }
            self = text.contains(Self.rankPlaceholder) ? .shards(text) : .file(text)
        }
    }

    /// The file of rank `rank` of a ``shards(_:)`` source (every `{rank}` replaced by the number);
    /// nil for the other sources.
    /// - Parameter rank: the rank, from 0.
    /// - Returns: the path.
    public func shardPath(rank: Int) -> String? {
        guard case .shards(let pattern) = self else { return nil }
        return pattern.replacingOccurrences(of: Self.rankPlaceholder, with: "\(rank)")
    }

    /// The scaling a source gets when none is asked for: none for `builtin:adhoc`, whose features
    /// are already the zz feature map's angles (0…2π; mapping them to 0…π breaks the class
    /// structure the set is built on: the QSVM's test accuracy falls from 1.0 to about 0.65),
    /// minmax to 0…π for every other source.
    public var defaultScale: Scaler.Kind {
        if case .adHoc = self { return .none }
        return .minmax
    }

    /// The source as a person wrote it: the path, `builtin:iris`, `builtin:adhoc`, or the name of
    /// the samples in memory.
    public var name: String {
        switch self {
        case .file(let path), .shards(let path): path
        case .iris: "builtin:iris"
        case .adHoc: "builtin:adhoc"
        case .dataset(let data): data.name
        case .regression(let data): data.name
        }
    }

    /// The label column of a built-in set (`species`, `label`), or nil.
    var builtinLabel: String? {
        switch self {
        case .iris: "species"
        case .adHoc: "label"
        default: nil
        }
    }
}

/// The keys that open a job's sealed inputs (data and model files), and the limits for opening them.
///
/// The identities are asked for per file, given its header, so that a passphrase is prompted for
/// only when a file has a passphrase stanza (the CLI's `-i`/`--key-file`/`--passphrase`).
public struct InputKeys: Sendable {
    /// Given a sealed file's header, the identities to try.
    public var identities: @Sendable (SealedHeader) throws -> [Identity]
    /// The scrypt work limit and threads for opening sealed files.
    public var options: OpenOptions

    /// Keys that try the same identities on every sealed input.
    ///
    /// - Parameters:
    ///   - identities: The identities (none: sealed inputs cannot be opened, plain ones are read
    ///     unless their name ends in `.sealed`). When identities are given, a sealed input is
    ///     expected and an unsealed one is refused, unless `options.plaintext` is `.allow`.
    ///   - options: The limits for opening sealed files.
    public init(identities: [Identity] = [], options: OpenOptions = OpenOptions()) {
        var options = options
        if options.plaintext == .automatic, !identities.isEmpty { options.plaintext = .refuse }
        self.identities = { _ in identities }
        self.options = options
    }

    /// Keys chosen per sealed input from its header.
    ///
    /// - Parameters:
    ///   - options: The limits for opening sealed files.
    ///   - identities: Given a sealed file's header, the identities to try (it may ask for a
    ///     passphrase); it is not called for plain files.
    public init(options: OpenOptions = OpenOptions(), identities: @escaping @Sendable (SealedHeader) throws -> [Identity]) {
        self.identities = identities
        self.options = options
    }
}

extension DatasetLoader {
    /// Loads a labelled data set from a source, and the test set a built-in source brings.
    ///
    /// - Parameters:
    ///   - source: Where the samples are.
    ///   - labelColumn: The label column of a CSV file (nil: the last column); for a built-in set it
    ///     must be nil or the set's own label column.
    ///   - keys: What opens a sealed file.
    ///   - seed: The seed of ``DataSource/adHoc``.
    /// - Returns: The samples, and the ad hoc set's own test samples (nil for the other sources).
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a label column that
    ///   a built-in set does not have, or regression samples; the errors of
    ///   ``csv(atPath:labelColumn:keys:)``.
    public static func load(_ source: DataSource, labelColumn: String? = nil, keys: InputKeys = InputKeys(),
                            seed: UInt64 = 7) throws -> (data: Dataset, test: Dataset?) {
        if let builtin = source.builtinLabel, let labelColumn, labelColumn != builtin {
            throw QuantumMLError.invalidArgument(argument: "the label column of the built-in data set \(source.name)",
                                                 received: "'\(labelColumn)'", valid: "'\(builtin)'")
        }
        switch source {
        case .iris: return (iris(), nil)
        case .adHoc:
            let set = try adHoc(trainingSize: 20, testSize: 10, features: 2, gap: 0.3, seed: seed)
            return (set.train, set.test)
        case .dataset(let data): return (data, nil)
        case .file(let path): return (try csv(atPath: path, labelColumn: labelColumn, keys: keys), nil)
        case .shards(let pattern): throw QuantumMLError.shardsNotReadHere(pattern, use: "the samples of this job")
        case .regression(let data):
            throw QuantumMLError.invalidArgument(argument: "the data of a classifier", received: "regression data \(data.name) (numeric targets)",
                                                 valid: "labelled samples (a CSV file, a built-in set or a Dataset)")
        }
    }

    /// Loads regression samples (numeric targets) from a source.
    ///
    /// - Parameters:
    ///   - source: A CSV file whose target column holds a number in every row, or regression data.
    ///   - targetColumn: The target column of a CSV file (nil: the last column).
    ///   - keys: What opens a sealed file.
    /// - Returns: The samples.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a classification
    ///   set (the built-in sets and a `Dataset` hold class labels); the errors of
    ///   ``regressionCSV(atPath:targetColumn:identities:options:)``.
    public static func loadRegression(_ source: DataSource, targetColumn: String? = nil, keys: InputKeys = InputKeys()) throws
        -> RegressionData {
        switch source {
        case .regression(let data): return data
        case .file(let path):
            let text = try readText(atPath: path, keys: keys)
            return try regressionData(CSVTable(text: text, location: path), name: datasetName(forPath: path), targetColumn: targetColumn)
        case .shards(let pattern):
            throw QuantumMLError.shardsNotReadHere(pattern, use: "the samples of a regressor")
        case .iris, .adHoc, .dataset:
            throw QuantumMLError.invalidArgument(
                argument: "the data of a regressor", received: "'\(source.name)', a classification set (class labels)",
                valid: "a CSV file whose label column holds numbers")
        }
    }

    /// Loads a labelled data set from a CSV file, plain or sealed, opened with keys chosen per file
    /// (as ``csv(atPath:labelColumn:identities:options:)`` does with a fixed list).
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - labelColumn: The label column's name, or `nil` for the last column.
    ///   - keys: What opens the file when it is sealed.
    /// - Returns: The data set, named after the file (``csv(atPath:labelColumn:identities:options:)``).
    /// - Throws: As ``csv(atPath:labelColumn:identities:options:)``.
    public static func csv(atPath path: String, labelColumn: String? = nil, keys: InputKeys) throws -> Dataset {
        let text = try readText(atPath: path, keys: keys)
        return try dataset(CSVTable(text: text, location: path), name: datasetName(forPath: path), labelColumn: labelColumn)
    }

    /// The text of a file that may be sealed, decrypted in memory; a sealed file must hold a CSV
    /// data set (``acceptedSealedContentTypes``), checked before any key is tried.
    static func readText(atPath path: String, keys: InputKeys) throws -> String {
        let data = try SealedFile.contents(atPath: path, expecting: nil, options: keys.options) { header in
            guard acceptedSealedContentTypes.contains(header.contentType) else {
                throw QuantumMLError.sealedNotCSV(path, contentType: header.contentType, accepted: acceptedSealedContentTypes)
            }
            return try keys.identities(header)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw QuantumMLError.csvNotUTF8(path) }
        return text
    }
}
