import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// `verdant seal`: encrypt and authenticate a file (or standard input) for recipients.
struct Seal: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encrypt and authenticate a file for recipients (X25519 keys, a passphrase, key files).",
        discussion: """
            Writes a Verdant sealed file (docs/sealed-format.md): AES-256-GCM in 64 KiB chunks, sealed on every \
            core, any change, truncation or reordering detected when opened. Reads IN (standard input when absent \
            or '-') and writes -o OUT (standard output when absent or '-', never a terminal). OUT appears only once \
            complete; an existing OUT is kept unless --force. The passphrase is never read from the command line.
            Examples:
              verdant keygen -o me.key                  # prints the recipient verdant1…
              verdant seal -r verdant1… -o data.csv.sealed data.csv
              verdant seal --passphrase-file pass.txt -o model.sealed model.json
              verdant seal --passphrase-fd 3 -o model.sealed model.json 3<pass.txt
            A passphrase or a key file must be the only recipient of a file (any number of -r may share one). \
            Exit status: 0 done, 2 bad options, input or keys, 1 a system failure (e.g. the disk is full: nothing is left at OUT).
            """
    )

    @Argument(help: ArgumentHelp("The file to seal ('-' or absent: standard input).", valueName: "in"))
    var input: String?

    @Option(name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp("Where to write the sealed file ('-' or absent: standard output).", valueName: "out"))
    var output: String?

    @OptionGroup var recipientOptions: RecipientOptions

    @Option(name: .customLong("content-type"),
            help: "What the plaintext is, e.g. dataset/csv, model/verdant, predictions/csv (default: dataset/csv for *.csv, else application/octet-stream).")
    var contentType: String?

    @Option(name: .customLong("chunk-size"), help: "Plaintext bytes per chunk: a power of two from 1K to 16M.")
    var chunkSize: String = "64K"

    @Option(help: "Threads in all (default: all cores); with two or more, one reads and writes while the others seal.")
    var threads: Int?

    @Flag(help: "Overwrite OUT if it exists.")
    var force = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
    }

    func run() throws {
        AtomicOutput.removeOnInterrupt()
        SecretMemory.protectProcess()
        do {
            try StreamEnds.checkDistinct(input: input, output: output)
            let chunkBytes = try parseChunkSize(chunkSize)
            let type = contentType ?? ((input ?? "").lowercased().hasSuffix(".csv") ? "dataset/csv" : SealedFile.defaultContentType)
            guard SealedFile.isValidContentType(type) else { throw PrivacyError.invalidContentType(received: type) }
            let toStdout = output == nil || output == "-"
            if toStdout, isatty(STDOUT_FILENO) != 0 {
                throw CLIError.usage("refusing to write a sealed file to the terminal; use -o FILE or redirect standard output")
            }
            // A device or pipe first: --force would not help there, so the message must not suggest it.
            if let output, !toStdout, let kind = AtomicFile.specialKind(atPath: output) {
                throw CLIError.usage("-o '\(output)': \(AtomicFileError.notAFile(path: output, kind: kind).reason)")
            }
            if let output, !toStdout, FileManager.default.fileExists(atPath: output), !force {
                throw PrivacyError.outputExists(path: output)
            }
            let recipients = try recipientOptions.resolve()
            let source = try StreamEnds.input(input)
            defer { if source.isFile { close(source.descriptor) } }

            let file = try output.flatMap { toStdout ? nil : try AtomicOutput(path: $0, overwrite: force) }
            let sink = file?.sink ?? ByteSink.fileDescriptor(STDOUT_FILENO, name: "<stdout>")
            let writer = try SealedWriter(to: sink, recipients: recipients, contentType: type,
                                          options: SealOptions(chunkSize: chunkBytes, threads: threads))
            try writer.write(contentsOf: ByteSource.fileDescriptor(source.descriptor, name: source.name))
            try writer.finish()
            try file?.commit()
            if let output, !toStdout, isatty(STDERR_FILENO) != 0 {
                printNote("sealed \(Format.bytes(writer.plaintextByteCount)) (\(type)) for \(recipients.count) recipient"
                          + "\(recipients.count == 1 ? "" : "s") → \(output)")
            }
        }
    }
}

/// Parses `--chunk-size` (`64K`, `1M`, `65536`).
func parseChunkSize(_ text: String) throws -> Int {
    let bytes = try? parseBytes(text)
    guard let bytes, bytes >= 1024, bytes <= 16 << 20, bytes.nonzeroBitCount == 1 else {
        throw CLIError.usage("--chunk-size: '\(text)' is not a power of two from 1K to 16M (e.g. 64K, 1M)")
    }
    return Int(bytes)
}
