import ArgumentParser
import Foundation
import Verdant

/// `verdant keygen`: make an X25519 identity (or a raw key), or show an identity's recipient.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate an X25519 identity and print its recipient (or a raw key with --symmetric).",
        discussion: """
            With -o FILE the identity is written to FILE with mode 600 and its recipient (verdant1…, safe to share) \
            is printed on standard output; without -o the identity file's text goes to standard output and the \
            recipient to standard error. -y FILE prints the recipients of the identities in FILE. --symmetric \
            makes a random 256-bit key for --key-file (32 raw bytes in FILE, or 64 hexadecimal digits on \
            standard output); --cluster-key makes the same kind of key for the ranks of an MPI job \
            (--encrypt-traffic --cluster-key FILE; copy FILE to every node, mode 600). An existing FILE is kept unless --force. FILE is flushed to the disk, with its \
            folder, before the recipient is printed, so a recipient you were shown survives a power cut.
            """
    )

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write the new key to this file (mode 600).", valueName: "file"))
    var output: String?

    @Flag(help: "Make a raw 256-bit key for --key-file instead of an X25519 identity.")
    var symmetric = false

    @Flag(name: .customLong("cluster-key"),
          help: "Make a cluster key for --encrypt-traffic/--secure-aggregation: a raw 256-bit key; give the same file to every rank.")
    var clusterKey = false

    @Option(name: [.customShort("y"), .customLong("recipient-of")],
            help: ArgumentHelp("Print the recipient of each identity in this file, and make nothing.", valueName: "file"))
    var recipientOf: String?

    @Flag(help: "Overwrite the output file if it exists.")
    var force = false

    func validate() throws {
        if recipientOf != nil, output != nil || symmetric || clusterKey {
            throw ValidationError("-y/--recipient-of reads an identity file; it cannot be combined with -o, --symmetric or --cluster-key")
        }
        if symmetric, clusterKey { throw ValidationError("--symmetric and --cluster-key both make a raw key; give one of them") }
    }

    func run() throws {
        AtomicOutput.removeOnInterrupt()
        SecretMemory.protectProcess()
        // `-o -` is standard output, as for seal and unseal.
        let output = output == "-" ? nil : output
        if output == nil, recipientOf == nil, let warning = Keygen.exposedStandardOutput() {
            printNote("verdant: warning: \(warning)")
        }
        do {
            if let recipientOf {
                if let warning = X25519Identity.permissionWarning(forFile: recipientOf) { printNote("verdant: warning: \(warning)") }
                for identity in try X25519Identity.load(contentsOfFile: recipientOf) { print(identity.recipient.string) }
                return
            }
            if symmetric || clusterKey {
                let key = RawKey()
                if let output {
                    try AtomicOutput.write(key.bytes, toPath: output, overwrite: force, mode: 0o600)
                    printNote(clusterKey
                        ? "wrote a 256-bit cluster key to \(output) (mode 600); give the same file to every rank: --encrypt-traffic --cluster-key \(output)"
                        : "wrote a 256-bit key to \(output) (mode 600); use it with --key-file \(output)")
                } else {
                    print(key.bytes.map { String(format: "%02x", $0) }.joined())
                }
                return
            }
            let identity = X25519Identity()
            if let output {
                try AtomicOutput.write(Data(identity.fileText().utf8), toPath: output, overwrite: force, mode: 0o600)
                print(identity.recipient.string)
                if isatty(STDOUT_FILENO) != 0 { printNote("wrote the identity to \(output) (mode 600); share the recipient above") }
            } else {
                print(identity.fileText(), terminator: "")
                printNote("recipient: \(identity.recipient.string)")
            }
        }
    }

    /// A warning when the secret would go to standard output redirected to a regular file that
    /// others may read (as age-keygen warns); `nil` for a terminal, a pipe or a private file.
    static func exposedStandardOutput() -> String? {
        var status = stat()
        guard fstat(STDOUT_FILENO, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_mode & 0o044 != 0 else { return nil }
        return "the secret key is written to standard output, a file others can read (mode "
            + String(status.st_mode & 0o777, radix: 8) + "); use -o FILE (written with mode 600) or chmod 600 it"
    }
}
