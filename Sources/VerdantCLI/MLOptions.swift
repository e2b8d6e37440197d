import ArgumentParser
import Foundation
import VerdantCommon
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

    /// The key files the options read, for ``checkDistinctFiles(outputs:inputs:)``.
    var inputFiles: [(option: String, path: String?)] {
        identityFiles.map { ("-i", $0) } + recipientFiles.map { ("-R", $0) } + keyFiles.map { ("--key-file", $0) }
            + [("--passphrase-file", passphraseFile)]
    }

    /// Whether the outputs are sealed.
    var sealsOutputs: Bool {
        !recipients.isEmpty || !recipientFiles.isEmpty || !keyFiles.isEmpty || passphrase || passphraseFile != nil || passphraseDescriptor != nil
    }

    /// The keys of one run: the passphrase is asked at most once.
    func resolve() throws -> JobKeys {
        do {
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
struct JobKeys: Sendable {
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

    /// The library's form: the identities chosen per sealed input (a passphrase asked only for a
    /// file that has a passphrase stanza).
    var inputs: InputKeys {
        InputKeys(options: options) { header in try identities(for: header) }
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

    /// The chosen encoding: `--feature-map`, else `fallback` (nil: the model's own default).
    func choice(default fallback: FeatureMapChoice.Kind?) throws -> FeatureMapChoice? {
        guard let name = featureMap ?? fallback?.rawValue else { return nil }
        guard let kind = FeatureMapChoice.Kind(rawValue: name) else {
            throw CLIError.usage("--feature-map: '\(name)' is not one of \(FeatureMapChoice.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let entanglement = Entanglement(rawValue: entanglement) else {
            throw CLIError.usage("--entanglement: '\(entanglement)' is not one of \(Entanglement.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let axis = RotationAxis(rawValue: rotation) else { throw CLIError.usage("--rotation: '\(rotation)' is not one of x, y, z") }
        let labels = paulis.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return FeatureMapChoice(kind, reps: reps, entanglement: entanglement, paulis: labels, alpha: alpha, rotation: axis)
    }
}

/// The `--data` (or `--test`) value as a library source: a path, `builtin:iris` or `builtin:adhoc`.
func dataSource(_ text: String, option: String = "--data") throws -> DataSource {
    guard !text.hasPrefix("builtin:") || DataSource.builtinNames.contains(text) else {
        throw CLIError.usage("\(option): '\(text)' is not a built-in data set; built-in: \(DataSource.builtinNames.joined(separator: ", "))")
    }
    return try DataSource(parsing: text)
}

/// Refuses to replace an existing output unless `--force`.
func checkOutput(_ path: String?, force: Bool, option: String = "-o") throws {
    guard let path, path != "-" else { return }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        if isDirectory.boolValue { throw CLIError.usage("\(option) '\(path)' is a directory; give a file name") }
        if let kind = AtomicFile.specialKind(atPath: path) {
            throw CLIError.usage("\(option) '\(path)': \(AtomicFileError.notAFile(path: path, kind: kind).reason)")
        }
        if !force { throw CLIError.usage("\(option) '\(path)' exists; use --force to replace it") }
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder) else {
        throw CLIError.usage("\(option) '\(path)': the folder '\(folder)' does not exist")
    }
}

/// Whether two paths name the same file: the same path once `.`, `..` and links are resolved, or
/// (both existing) the same file by device and inode (a hard link).
func sameFile(_ a: String, _ b: String) -> Bool {
    func resolved(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
    if resolved(a) == resolved(b) { return true }
    var first = stat(), second = stat()
    return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino
}

/// Refuses, before any work, an output that is one of the command's inputs or another of its
/// outputs: `train --data d.csv -o d.csv --force` would replace the data with the model, and
/// `-o m.model --report m.model` would keep only the report. `-` (standard output or input) and
/// absent options are skipped.
/// - Parameters:
///   - outputs: (option, path) of each file the command writes.
///   - inputs: (option, path) of each file it reads.
func checkDistinctFiles(outputs: [(option: String, path: String?)], inputs: [(option: String, path: String?)]) throws {
    let given = { (items: [(option: String, path: String?)]) in
        items.compactMap { item in item.path.flatMap { $0 == "-" ? nil : (item.option, $0) } }
    }
    let written = given(outputs), read = given(inputs)
    for (index, output) in written.enumerated() {
        if let input = read.first(where: { sameFile($0.1, output.1) }) {
            throw CLIError.usage("\(output.0) '\(output.1)' is also an input (\(input.0) '\(input.1)'); write the output elsewhere")
        }
        if let other = written[..<index].first(where: { sameFile($0.1, output.1) }) {
            throw CLIError.usage("\(output.0) '\(output.1)' is also the file of \(other.0) ('\(other.1)'); give each output its own file")
        }
    }
}

/// Whether any of `paths` is a sealed file (a regular file that starts with the magic; a pipe is
/// not read here, since it cannot be read twice). `{rank}` templates are looked up as this rank's.
func anySealed(_ paths: [String?], rank: Int) -> Bool {
    paths.compactMap { $0?.replacingOccurrences(of: "{rank}", with: String(rank)) }.contains { path in
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && SealedFile.isSealed(atPath: path)
    }
}

/// The permissions of a plain output made from sealed inputs — the owner's only (0600), as `unseal`
/// writes plaintext — with a warning that it is not sealed; nil (the usual 0666 less the umask)
/// when the output is sealed or no input was.
/// - Parameters:
///   - what: the output, for the warning ("the model", "the predictions").
///   - path: its path.
///   - sealedInputs: whether any input was sealed.
///   - sealedOutput: whether the output is sealed.
func plainOutputMode(_ what: String, path: String, sealedInputs: Bool, sealedOutput: Bool) -> mode_t? {
    guard sealedInputs, !sealedOutput else { return nil }
    printNote("verdant: warning: \(what) \(path) is written unsealed, from sealed inputs: it is readable by you only (mode 600), "
              + "but it is plaintext on disk; seal it with -r, -R, --key-file or --passphrase")
    return 0o600
}

/// A progress bar fed by a library job's progress: epochs or kernel work items.
func progressReporter(_ bar: ProgressBar?) -> (@Sendable (JobProgress) -> Void)? {
    guard let bar else { return nil }
    return { progress in bar.update(progress.done, progress.total) }
}
