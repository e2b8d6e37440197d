import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// `verdant inspect`: what a sealed file says about itself, without any key.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a sealed file's format, content type, recipients and sizes (no key needed, no secrets shown).",
        discussion: """
            The plaintext size is computed from the file's size; it is exact for an intact file. The header's MAC \
            and the chunks are not checked (that needs a key: use verdant unseal).
            A model file (from verdant train) shows its metadata — kind, features, classes, training and the \
            differential privacy record (ε, δ, σ, q, steps): a plain one as it is, a sealed one when a key is given \
            (-i, --key-file, --passphrase), opened in memory.
            """
    )

    @Argument(help: ArgumentHelp("The sealed file ('-': standard input).", valueName: "file"))
    var file: String

    @Flag(help: "Print JSON on standard output.")
    var json = false

    @OptionGroup(title: "Opening a sealed model file (optional)")
    var identityOptions: IdentityOptions

    func run() throws {
        var info = stat()
        let kind = file == "-" ? nil : stat(file, &info) == 0 ? info.st_mode & S_IFMT : nil
        if kind == S_IFDIR { throw CLIError.usage("'\(file)' is a directory; inspect reads one sealed file or model file") }
        // A named pipe (`<(…)`) or device is read once, into memory: probing it first would use up
        // its first bytes. Standard input is read through below without being kept.
        var piped: Data?
        if file != "-", kind != S_IFREG {
            do {
                piped = try UserFile.read(file)
            } catch {
                throw CLIError.usage("cannot read '\(file)': \(error.reason)")
            }
        }
        // A plain model file: its metadata (InspectModel.swift).
        let plain = try piped.map { try ModelInspection.plainModel($0, path: file) }
            ?? (file != "-" && !SealedFile.isSealed(atPath: file) ? try ModelInspection.plainModel(atPath: file) : nil)
        if let plain {
            ModelInspection.print(plain, file: file, sealed: false, json: json)
            return
        }
        do {
            let source = try piped == nil ? StreamEnds.input(file) : (descriptor: -1, name: file, isFile: false)
            defer { if source.isFile { close(source.descriptor) } }
            let reader = piped.map(ByteSource.data) ?? ByteSource.fileDescriptor(source.descriptor, name: source.name)
            let header = try SealedFile.header(from: reader, name: source.name)
            // The payload's size: the file's size less the header, or the pipe read through.
            var payloadBytes = 0
            if let piped {
                payloadBytes = piped.count - header.byteCount
            } else if source.isFile, fstat(source.descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                payloadBytes = Int(info.st_size) - header.byteCount
            } else {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate() }
                while case let n = try reader.read(into: buffer), n > 0 { payloadBytes += n }
            }
            let plaintext = header.plaintextByteCount(payloadByteCount: payloadBytes)
            let chunks = header.chunkCount(payloadByteCount: payloadBytes)
            // A sealed model file, with a key given: its metadata too.
            let wantsModel = header.contentType == ModelFile.contentType && ModelInspection.keysGiven(identityOptions)
            let model = !wantsModel ? nil
                : try piped.map { try ModelInspection.sealedModel($0, name: file, header: header, options: identityOptions) }
                ?? (source.isFile ? try ModelInspection.sealedModel(atPath: source.name, options: identityOptions) : nil)
            if json {
                let recipients: [JSON] = header.recipients.map { kind in
                    switch kind {
                    case .passphrase(let log2N, let r, let p):
                        .object([("type", .string("passphrase")), ("scrypt_log2_n", .integer(log2N)), ("scrypt_r", .integer(r)),
                                 ("scrypt_p", .integer(p))])
                    case .x25519: .object([("type", .string("x25519"))])
                    case .keyFile: .object([("type", .string("key-file"))])
                    case .unknown(let type): .object([("type", .string("unknown")), ("code", .integer(Int(type)))])
                    case .malformed(let type): .object([("type", .string("malformed")), ("code", .integer(Int(type)))])
                    }
                }
                JSON.object([
                    ("file", .string(source.name)), ("format", .string("verdant-sealed")), ("version", .integer(header.version)),
                    ("content_type", .string(header.contentType)), ("chunk_size", .integer(header.chunkSize)),
                    ("recipients", .array(recipients)), ("header_bytes", .integer(header.byteCount)),
                    ("payload_bytes", .integer(payloadBytes)), ("chunks", chunks.map { .integer($0) } ?? .null),
                    ("plaintext_bytes", plaintext.map { .integer($0) } ?? .null), ("payload_length_valid", .bool(plaintext != nil)),
                ] + (model.map { [("model", ModelInspection.json($0))] } ?? [])).print()
                return
            }
            let recipientText = header.recipients.map { kind -> String in
                if case .passphrase(let log2N, let r, let p) = kind { return "passphrase (scrypt N = 2^\(log2N), r = \(r), p = \(p))" }
                return kind.description
            }
            var rows = [
                ["file", source.name],
                ["format", "Verdant sealed file, version \(header.version)"],
                ["content type", header.contentType],
                ["chunk size", "\(Format.bytes(header.chunkSize)) (\(header.chunkSize) bytes)"],
                ["recipients", "\(header.recipients.count): " + recipientText.joined(separator: ", ")],
                ["header", "\(header.byteCount) bytes"],
            ]
            if let plaintext, let chunks {
                rows.append(["payload", "\(Format.bytes(payloadBytes)) in \(chunks) chunk\(chunks == 1 ? "" : "s")"])
                rows.append(["plaintext", "\(Format.bytes(plaintext)) (\(plaintext) bytes)"])
            } else {
                rows.append(["payload", "\(payloadBytes) bytes: no valid payload has this length; the file was truncated "
                             + "or has data appended (verdant unseal will refuse it)"])
            }
            print(rows.map { ($0[0] + ":").padding(toLength: 14, withPad: " ", startingAt: 0) + $0[1] }.joined(separator: "\n"))
            if let model {
                print("")
                ModelInspection.print(model, file: source.name, sealed: true, json: false)
            }
        }
    }
}
