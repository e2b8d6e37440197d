import ArgumentParser
import Foundation
import Verdant

/// Keys of a job that reads sealed inputs and may write sealed outputs (`train`, `predict`,
/// `kernel`). `--key-file` and `--passphrase` work both ways: they open sealed inputs and seal the
/// outputs; `-i` only opens, `-r`/`-R` only seal.
struct JobKeyOptions: ParsableArguments {
    @Option(name: [.customShort("i"), .customLong("identity")],
            help: ArgumentHelp("Open sealed inputs with the X25519 identities in this file; repeatable.", valueName: "file"))
    var identityFiles: [String] = []

    @Option(name: [.customShort("r"), .customLong("recipient")],
            help: ArgumentHelp("Seal the outputs for this X25519 recipient (verdant1…); repeatable.", valueName: "recipient"))
    var recipients: [String] = []

    @Option(name: [.customShort("R"), .customLong("recipients-file")],
            help: ArgumentHelp("Seal the outputs for every recipient in this file; repeatable.", valueName: "file"))
    var recipientFiles: [String] = []

    @Option(name: .customLong("key-file"),
            help: ArgumentHelp("A raw 256-bit key file that opens sealed inputs and seals the outputs; repeatable.", valueName: "file"))
    var keyFiles: [String] = []

    @Flag(name: .customLong("passphrase"),
          help: "Open sealed inputs and seal the outputs with a passphrase (from --passphrase-file, $VERDANT_PASSPHRASE or the terminal).")
    var passphrase = false

    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the passphrase from this file's first line.", valueName: "file"))
    var passphraseFile: String?

    @Option(name: .customLong("passphrase-fd"),
            help: ArgumentHelp("Read the passphrase from the first line of this open file descriptor (e.g. 3 with 3<secret).", valueName: "n"))
    var passphraseDescriptor: Int32?

    @Option(name: .customLong("work-factor"), help: ArgumentHelp("scrypt work for sealing with a passphrase: log2 N, 10...22.", valueName: "n"))
    var workFactor: Int = Recipient.defaultWorkFactor

    @Option(name: .customLong("max-work-factor"), help: ArgumentHelp("The most scrypt work to accept from a sealed input, as log2 N.", valueName: "n"))
    var maxWorkFactor: Int = OpenOptions.defaultMaximumWorkFactor

    @Flag(name: .customLong("allow-plaintext"),
          help: "Accept unsealed inputs even when keys are given or the name ends in .sealed (refused otherwise, exit status 4).")
    var allowPlaintext = false

    func validate() throws {
        guard (10...22).contains(workFactor) else { throw ValidationError("--work-factor must be in 10...22, received \(workFactor)") }
        guard (1...30).contains(maxWorkFactor) else { throw ValidationError("--max-work-factor must be in 1...30, received \(maxWorkFactor)") }
    }

    /// Whether the outputs are sealed.
    var sealsOutputs: Bool {
        !recipients.isEmpty || !recipientFiles.isEmpty || !keyFiles.isEmpty || passphrase || passphraseFile != nil || passphraseDescriptor != nil
    }

    /// The keys of one run: the passphrase is asked at most once.
    func resolve() throws -> JobKeys {
        try withPrivacyErrors {
            let asked = passphrase || passphraseFile != nil || passphraseDescriptor != nil
            let phrase = asked ? try Passphrase.read(file: passphraseFile, descriptor: passphraseDescriptor, confirm: true) : nil
            let outputs = try KeyMaterial.recipients(recipients, files: recipientFiles, keyFiles: keyFiles, passphrase: phrase,
                                                     workFactor: workFactor)
            if !outputs.isEmpty { try SealedWriter.checkRecipients(outputs) }
            let inputs = try KeyMaterial.identities(files: identityFiles, keyFiles: keyFiles, passphrase: phrase, warnKeyFiles: false)
            let policy = PlaintextPolicy.automatic(keysGiven: !inputs.isEmpty, allowPlaintext: allowPlaintext)
            return JobKeys(recipients: outputs, identities: inputs, askPassphrase: phrase == nil,
                           passphraseFile: passphraseFile,
                           options: OpenOptions(maximumWorkFactor: maxWorkFactor, threads: nil, plaintext: policy))
        }
    }
}

/// The resolved keys of a job.
struct JobKeys {
    /// Who the outputs are sealed for (empty: plain outputs).
    let recipients: [Recipient]
    /// What opens sealed inputs.
    let identities: [Identity]
    /// Whether a passphrase may still be asked for an input that has only a passphrase stanza.
    let askPassphrase: Bool
    let passphraseFile: String?
    /// Limits for opening sealed inputs.
    let options: OpenOptions

    /// The identities for a sealed input with this header.
    func identities(for header: SealedHeader) throws -> [Identity] {
        if identities.isEmpty, askPassphrase, KeyMaterial.hasPassphrase(header) {
            return [.passphrase(try Passphrase.read(file: passphraseFile, confirm: false))]
        }
        return identities
    }
}

/// `--feature-map`, `--reps`, `--entanglement`, `--paulis`, `--alpha`, `--rotation`.
struct FeatureMapOptions: ParsableArguments {
    @Option(name: .customLong("feature-map"), help: "The quantum encoding: zz, z, pauli, angle or amplitude (default: zz for qsvm, angle for vqc and vqr).")
    var featureMap: String?

    @Option(help: "Repetitions of the Pauli feature maps (zz, z, pauli).")
    var reps: Int = 2

    @Option(help: "Entanglement of multi-qubit Paulis: full, linear, reverse_linear or circular.")
    var entanglement: String = "full"

    @Option(help: ArgumentHelp("Pauli labels of --feature-map pauli, comma-separated (e.g. Z,YY,XZ).", valueName: "labels"))
    var paulis: String = "Z,ZZ"

    @Option(help: "The Pauli maps' α (angles are α·φ(x)).")
    var alpha: Double = 2

    @Option(help: "The axis of --feature-map angle: x, y or z.")
    var rotation: String = "y"

    /// The feature map for `features` features: `--feature-map`, else `fallback` (nil: the model's own default).
    func make(features: Int, default fallback: String?) throws -> FeatureMap? {
        guard let featureMap = featureMap ?? fallback else { return nil }
        guard let entanglement = Entanglement(rawValue: entanglement) else {
            throw CLIError.usage("--entanglement: '\(entanglement)' is not one of \(Entanglement.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        switch featureMap {
        case "zz": return try FeatureMap.zz(features: features, reps: reps, entanglement: entanglement, alpha: alpha)
        case "z": return try FeatureMap.z(features: features, reps: reps, alpha: alpha)
        case "pauli":
            let labels = paulis.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return try FeatureMap.pauli(features: features, paulis: labels, reps: reps, entanglement: entanglement, alpha: alpha)
        case "angle":
            guard let axis = RotationAxis(rawValue: rotation) else { throw CLIError.usage("--rotation: '\(rotation)' is not one of x, y, z") }
            return try FeatureMap.angle(features: features, rotation: axis)
        case "amplitude": return try FeatureMap.amplitude(features: features)
        default:
            throw CLIError.usage("--feature-map: '\(featureMap)' is not one of zz, z, pauli, angle, amplitude")
        }
    }

    /// The feature map of a quantum kernel (default zz).
    func kernelMap(features: Int) throws -> FeatureMap {
        try make(features: features, default: "zz") ?? FeatureMap.zz(features: features, reps: reps)
    }
}

/// Loading a data set for a job: a CSV file (plain or sealed) or a built-in set.
enum DataSource {
    /// The built-in data sets `--data` accepts.
    static let builtins = ["builtin:iris", "builtin:adhoc"]

    /// The data at `path`; for `builtin:adhoc` also its own test set.
    static func load(_ path: String, label: String?, keys: JobKeys, seed: UInt64) throws -> (data: Dataset, test: Dataset?) {
        if path.hasPrefix("builtin:"), let label, label != (path == "builtin:iris" ? "species" : "label") {
            throw CLIError.usage("--label: the built-in data set \(path) has the label column '\(path == "builtin:iris" ? "species" : "label")'; received '\(label)'")
        }
        switch path {
        case "builtin:iris":
            return (DatasetLoader.iris(), nil)
        case "builtin:adhoc":
            let (train, test) = try DatasetLoader.adHoc(trainingSize: 20, testSize: 10, features: 2, gap: 0.3, seed: seed)
            return (train, test)
        default:
            if path.hasPrefix("builtin:") {
                throw CLIError.usage("--data: '\(path)' is not a built-in data set; built-in: \(builtins.joined(separator: ", "))")
            }
            return (try DatasetLoader.csv(text: text(of: path, keys: keys), name: path, labelColumn: label), nil)
        }
    }
}

/// The UTF-8 text of a file that may be sealed, opened in memory.
func text(of path: String, keys: JobKeys) throws -> String {
    let data = try withPrivacyErrors {
        try SealedFile.contents(atPath: path, options: keys.options, identities: keys.identities(for:))
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw CLIError.usage("'\(path)' is not UTF-8 text; a data file must be CSV")
    }
    return text
}

/// Refuses to replace an existing output unless `--force`.
func checkOutput(_ path: String?, force: Bool, option: String = "-o") throws {
    guard let path, path != "-" else { return }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        if isDirectory.boolValue { throw CLIError.usage("\(option) '\(path)' is a directory; give a file name") }
        if !force { throw CLIError.usage("\(option) '\(path)' exists; use --force to replace it") }
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder) else {
        throw CLIError.usage("\(option) '\(path)': the folder '\(folder)' does not exist")
    }
}

extension QuantumMLError {
    /// Training that cannot produce a model is a runtime failure (1); the rest is bad input (2).
    var cliError: CLIError {
        if case .training = self { return CLIError.runtime(description) }
        return CLIError.usage(description)
    }
}
