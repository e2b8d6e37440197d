import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// `verdant unseal`: authenticate and decrypt a sealed file.
struct Unseal: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Authenticate and decrypt a sealed file.",
        discussion: """
            Reads IN (standard input when absent or '-') and writes the plaintext to -o OUT (standard output when \
            absent or '-'). OUT is written beside its final name with mode 600 and renamed into place only after \
            the final chunk authenticates: on any failure nothing is left. On standard output each chunk is \
            written once it authenticates, and a truncated or tampered input ends with an error and a non-zero exit \
            status after the authenticated part. A file sealed for a passphrase asks for it (or reads \
            --passphrase-file, --passphrase-fd or $VERDANT_PASSPHRASE) when no other key is given.
            Exit status: 0 the whole file authenticated; 3 no key given opens it (wrong key or passphrase); \
            4 not a sealed file; 5 an unsupported format version; 6 the header was modified or is malformed; \
            7 truncated (in the header or at a chunk boundary before the final chunk); 8 a chunk failed \
            authentication (modified, reordered, duplicated or appended data, or a file cut inside a chunk, \
            which the format cannot tell from a change; the message names the chunk); 2 bad options or key files; \
            1 a system failure (e.g. the disk is full).
            """
    )

    @Argument(help: ArgumentHelp("The sealed file ('-' or absent: standard input).", valueName: "in"))
    var input: String?

    @Option(name: [.customShort("o"), .customLong("output")],
            help: ArgumentHelp("Where to write the plaintext ('-' or absent: standard output).", valueName: "out"))
    var output: String?

    @OptionGroup var identityOptions: IdentityOptions

    @Option(help: "Threads in all (default: all cores); with two or more, one reads and writes while the others open.")
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
            let toStdout = output == nil || output == "-"
            // A device or pipe first: --force would not help there, so the message must not suggest it.
            if let output, !toStdout, let kind = AtomicFile.specialKind(atPath: output) {
                throw CLIError.usage("-o '\(output)': \(AtomicFileError.notAFile(path: output, kind: kind).reason)")
            }
            if let output, !toStdout, FileManager.default.fileExists(atPath: output), !force {
                throw PrivacyError.outputExists(path: output)
            }
            let options = try identityOptions.openOptions(threads: threads)
            let source = try StreamEnds.input(input)
            defer { if source.isFile { close(source.descriptor) } }
            let reader = try SealedReader(from: .fileDescriptor(source.descriptor, name: source.name), options: options,
                                          name: source.name) { header in
                try identityOptions.identities(for: header)
            }
            if let output, !toStdout {
                // Plaintext goes to a 0600 temporary file, renamed only after the final chunk authenticates.
                let file = try AtomicOutput(path: output, overwrite: force, mode: 0o600)
                try reader.copy(to: file.sink)
                try file.commit()
            } else {
                try reader.copy(to: ByteSink.fileDescriptor(STDOUT_FILENO, name: "<stdout>"))
            }
        }
    }
}
