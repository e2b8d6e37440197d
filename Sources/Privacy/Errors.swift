import Foundation

/// Every user-facing error of the `Privacy` module, in one catalogue.
///
/// Each message says what was received, what is valid and, for files, where (`source` is a path or
/// `<stdin>`). Messages never contain key material. Tests match on them.
public enum PrivacyError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    // MARK: Not a sealed file / header

    /// The input does not start with the sealed-file magic.
    case notSealed(source: String, firstBytes: [UInt8])
    /// An unsealed input where a sealed one is expected (keys were given, or the name ends in
    /// `.sealed`); `why` says which. Accepted only with `PlaintextPolicy.allow` (`--allow-plaintext`).
    case unsealedInput(source: String, firstBytes: [UInt8], why: String)
    /// A sealed file of a format version this reader does not know.
    case unsupportedVersion(source: String, version: Int)
    /// The input ends inside the header.
    case headerTruncated(source: String, bytesNeeded: Int, bytesRead: Int)
    /// A header field out of its valid range.
    case headerMalformed(source: String, detail: String)
    /// A stanza gave the file key but the header MAC does not match: the header was changed.
    case headerModified(source: String)

    // MARK: Keys

    /// No identity given opens any stanza of the file.
    case noMatchingIdentity(source: String, stanzas: [String], tried: [String])
    /// The file is sealed but no identity, passphrase or key was given.
    case identityRequired(source: String, stanzas: [String])
    /// A passphrase stanza asks for more scrypt work than the reader accepts.
    case workFactorTooHigh(source: String, log2N: Int, r: Int, p: Int, maximumLog2N: Int)
    /// A recipient string that does not parse.
    case invalidRecipient(received: String, reason: String)
    /// An identity (private key) that does not parse; `location` is `path:line` or a description.
    case invalidIdentity(location: String, reason: String)
    /// A raw key file that is not 32 bytes or 64 hexadecimal digits.
    case invalidKeyFile(path: String, reason: String)
    /// A file of identities or recipients that holds none.
    case emptyKeyList(path: String, expected: String)
    /// A passphrase or key file given with other recipients (they must stand alone).
    case mixedRecipients(kinds: [String])
    /// Sealing was asked for with no recipient.
    case noRecipients
    /// A passphrase that cannot be used (empty, not confirmed, unavailable).
    case passphraseUnavailable(reason: String)
    /// A scrypt work factor outside what the writer allows.
    case invalidWorkFactor(received: Int, valid: ClosedRange<Int>)

    // MARK: Payload

    /// The input ended before the final chunk: chunk `afterChunk` is the last one present
    /// (`-1`: no chunk at all).
    case truncated(source: String, afterChunk: Int)
    /// A chunk did not authenticate.
    case chunkFailed(source: String, chunk: Int, offset: Int, isFinal: Bool)
    /// Bytes follow the chunk that authenticates as the final one.
    case trailingData(source: String, afterChunk: Int)
    /// A payload that no correct writer produces (an empty final chunk after full ones).
    case payloadMalformed(source: String, chunk: Int, detail: String)

    // MARK: Options and output

    /// A content type that is not `type/subtype` of lower-case letters, digits, `.`, `+`, `-`.
    case invalidContentType(received: String)
    /// A chunk size that is not a power of two in the valid range.
    case invalidChunkSize(received: Int)
    /// A thread count that is not positive.
    case invalidThreads(received: Int)
    /// A writer or reader used after it finished or failed.
    case streamClosed(detail: String)
    /// A sealed input whose content type is not the one the caller expects.
    case unexpectedContentType(source: String, found: String, expected: String)
    /// The cryptographic library refused an operation that cannot fail on valid keys.
    case cryptoFailure(operation: String)
    /// An output that exists and may not be overwritten.
    case outputExists(path: String)
    /// An output path that cannot be one: a folder, a missing folder, a device or pipe (bad input,
    /// exit status 2, unlike a write that fails).
    case outputRefused(path: String, reason: String)
    /// A file-system or stream error.
    case io(path: String, operation: String, reason: String)

    /// The message, with what was received, what is valid and where.
    public var description: String {
        switch self {
        case .notSealed(let source, let first):
            let shown = first.isEmpty ? "it is empty" : "it starts with \(Self.describe(first))"
            return "\(source): not a Verdant sealed file (\(shown); a sealed file starts with \\x89VSEAL\\r\\n)"
        case .unsealedInput(let source, let first, let why):
            let shown = first.isEmpty ? "it is empty" : "it starts with \(Self.describe(first))"
            return "\(source): refusing an unsealed file: \(why), but this one is not sealed (\(shown)). "
                + "Someone may have replaced the sealed file; if you trust this plain file, pass --allow-plaintext"
        case .unsupportedVersion(let source, let version):
            return "\(source): sealed file format version \(version) is not supported (this Verdant reads version 1); "
                + "a newer Verdant wrote it"
        case .headerTruncated(let source, let needed, let read):
            return "\(source): the header is truncated: it needs \(needed) bytes but the input ends after \(read)"
        case .headerMalformed(let source, let detail):
            return "\(source): malformed header: \(detail)"
        case .headerModified(let source):
            return "\(source): the header was modified after sealing (its MAC does not match); "
                + "the content type, chunk size, salt or a recipient stanza changed"
        case .noMatchingIdentity(let source, let stanzas, let tried):
            let sealedFor = Self.summary(stanzas)
            if tried == ["passphrase"], stanzas.contains("passphrase") {
                return "\(source): wrong passphrase (or the passphrase stanza was modified)"
            }
            if tried == ["key file"], stanzas.contains("key file") {
                return "\(source): the key file does not open this file: wrong key (or its stanza was modified)"
            }
            let given = Self.summary(tried)
            if Set(tried).isDisjoint(with: Set(stanzas)) {
                return "\(source): it is sealed for \(sealedFor), and you gave only \(given): give a key of a kind it was sealed for"
            }
            return "\(source): no identity opens this file: it is sealed for \(sealedFor) and you gave \(given); "
                + "it was sealed for other keys (or a stanza was modified)"
        case .identityRequired(let source, let stanzas):
            return "\(source) is sealed for \(Self.summary(stanzas)); give an identity (-i FILE), "
                + "a passphrase (--passphrase) or a key file (--key-file FILE)"
        case .workFactorTooHigh(let source, let log2N, let r, let p, let maximum):
            return "\(source): the passphrase stanza asks for scrypt N = 2^\(log2N), r = \(r), p = \(p) "
                + "(\(Self.bytes(128 * r * (1 << min(log2N, 40)))) of memory); the limit is the work of N = 2^\(maximum) at r = 8, p = 1. "
                + "If you trust the file, raise the limit (--max-work-factor \(log2N))"
        case .invalidRecipient(let received, let reason):
            return "invalid recipient '\(received)': \(reason) (a recipient looks like verdant1… and comes from verdant keygen)"
        case .invalidIdentity(let location, let reason):
            return "\(location): invalid identity: \(reason) (an identity line looks like VERDANT-SECRET-KEY-1…)"
        case .invalidKeyFile(let path, let reason):
            return "\(path): not a key file: \(reason) (a key file holds 32 raw bytes or 64 hexadecimal digits)"
        case .emptyKeyList(let path, let expected):
            return "\(path): holds no \(expected)"
        case .mixedRecipients(let kinds):
            return "a file sealed for a passphrase or a key file can have no other recipient; received \(Self.summary(kinds)). "
                + "Whoever opens a file can make another that its other recipients accept, so a shared secret proves nothing "
                + "about who wrote a file it shares; seal one file per passphrase or key file, or use X25519 recipients (-r, -R) "
                + "for several people"
        case .noRecipients:
            return "no recipient given: use -r RECIPIENT, -R FILE, --passphrase or --key-file FILE"
        case .passphraseUnavailable(let reason):
            return reason
        case .invalidWorkFactor(let received, let valid):
            return "scrypt work factor (log2 N) \(received) is out of range: valid values are \(valid.lowerBound)...\(valid.upperBound)"
        case .truncated(let source, let after):
            if after < 0 { return "\(source): truncated: the file ends after the header, before chunk 0" }
            return "\(source): truncated: the file ends after chunk \(after), which is not the final chunk"
        case .chunkFailed(let source, let chunk, let offset, let isFinal):
            let which = isFinal ? "the final chunk, chunk \(chunk)" : "chunk \(chunk)"
            let cause = isFinal
                ? "it was modified, the file was truncated inside it, or data was appended to it"
                : "it was modified, moved, duplicated or taken from another file"
            return "\(source): \(which) (at byte \(offset)) failed authentication: \(cause); nothing after it was released"
        case .trailingData(let source, let after):
            return "\(source): data was appended after the final chunk (chunk \(after))"
        case .payloadMalformed(let source, let chunk, let detail):
            return "\(source): malformed payload at chunk \(chunk): \(detail)"
        case .invalidContentType(let received):
            return "invalid content type '\(received)': use type/subtype with lower-case letters, digits, '.', '+' or '-', "
                + "at most 127 characters (e.g. dataset/csv, model/verdant)"
        case .invalidChunkSize(let received):
            return "invalid chunk size \(received): use a power of two from 1024 (1 KiB) to 16777216 (16 MiB)"
        case .invalidThreads(let received):
            return "threads must be at least 1, received \(received)"
        case .streamClosed(let detail):
            return detail
        case .unexpectedContentType(let source, let found, let expected):
            return "\(source): holds '\(found)' but '\(expected)' is expected here"
        case .cryptoFailure(let operation):
            return "the cryptographic library failed to \(operation); this is a bug in Verdant or swift-crypto"
        case .outputExists(let path):
            return "'\(path)' exists; use --force to overwrite it"
        case .outputRefused(let path, let reason):
            return "cannot write '\(path)': \(reason)"
        case .io(let path, let operation, let reason):
            return "cannot \(operation) '\(path)': \(reason)"
        }
    }

    /// The same text as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }

    /// Whether the failure lies in the input (a bad or missing file, key or option: exit status 2)
    /// rather than in the system (a file that cannot be written, a full disk: exit status 1).
    public var isInputError: Bool {
        switch self {
        case .io(_, let operation, _): return operation == "read"
        case .cryptoFailure: return false
        default: return true
        }
    }

    /// "2 × X25519, passphrase" from a list of kinds.
    static func summary(_ kinds: [String]) -> String {
        guard !kinds.isEmpty else { return "nothing" }
        var order: [String] = []
        var counts: [String: Int] = [:]
        for kind in kinds {
            if counts[kind] == nil { order.append(kind) }
            counts[kind, default: 0] += 1
        }
        return order.map { counts[$0, default: 1] > 1 ? "\(counts[$0, default: 1]) × \($0)" : $0 }.joined(separator: ", ")
    }

    /// Printable text as a quoted string; anything else as hexadecimal bytes.
    static func describe(_ bytes: [UInt8]) -> String {
        if bytes.allSatisfy({ (0x20..<0x7F).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            let text = String(decoding: bytes, as: UTF8.self)
                .replacingOccurrences(of: "\t", with: "\\t").replacingOccurrences(of: "\n", with: "\\n")
                .replacingOccurrences(of: "\r", with: "\\r")
            return "'\(text)'"
        }
        return bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }

    /// Bytes in binary units.
    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.0f", value) + " " + units[unit]
    }
}
