import Foundation

/// The constants of the sealed file format, version 1 (docs/sealed-format.md).
enum SealedFormat {
    /// `\x89VSEAL\r\n`.
    static let magic: [UInt8] = [0x89, 0x56, 0x53, 0x45, 0x41, 0x4C, 0x0D, 0x0A]
    static let version: UInt8 = 1
    /// Bytes of an AES-GCM tag, added to every chunk.
    static let tagBytes = 16
    /// log2 of the chunk size: 1 KiB … 16 MiB.
    static let chunkExponents: ClosedRange<Int> = 10...24
    static let defaultChunkExponent = 16
    static let maximumStanzas = 64
    static let maximumContentTypeBytes = 127
    static let payloadSaltBytes = 32
    static let macBytes = 32
    /// magic (8) + version (1) + exponent (1) + header length (2).
    static let fixedPrefixBytes = 12
    /// The smallest header that can be valid: prefix, salt, one-byte content type, count, an empty stanza, MAC.
    static let minimumHeaderBytes = fixedPrefixBytes + payloadSaltBytes + 2 + 1 + 3 + macBytes

    static let headerInfo = Array("verdant-sealed/v1 header".utf8)
    static let payloadInfo = Array("verdant-sealed/v1 payload".utf8)
    static let x25519Info = Array("verdant-sealed/v1 x25519".utf8)
    static let scryptSaltPrefix = Array("verdant-sealed/v1 scrypt".utf8)
    static let keyFileInfo = Array("verdant-sealed/v1 key-file".utf8)

    /// Stanza type bytes.
    static let x25519Stanza: UInt8 = 0x01
    static let passphraseStanza: UInt8 = 0x02
    static let keyFileStanza: UInt8 = 0x03

    /// Whether `text` is a valid content type: `type/subtype`, each part `[a-z0-9][a-z0-9.+-]*`.
    static func isValidContentType(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...maximumContentTypeBytes).contains(bytes.count) else { return false }
        let parts = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        for part in parts {
            guard let first = part.first, isLowerAlphanumeric(first) else { return false }
            for byte in part where !(isLowerAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "+")
                                     || byte == UInt8(ascii: "-")) {
                return false
            }
        }
        return true
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

/// One recipient stanza of a sealed file, as the header holds it.
struct Stanza: Equatable, Sendable {
    let type: UInt8
    let body: [UInt8]
}

/// The kind of one recipient of a sealed file, as `inspect` shows it (no secrets).
public enum RecipientKind: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// An X25519 public key (HPKE).
    case x25519
    /// A passphrase, with its scrypt parameters: N = 2^log2N, block size r, parallelism p.
    case passphrase(log2N: Int, r: Int, p: Int)
    /// A raw 256-bit key.
    case keyFile
    /// A stanza type this version does not know (skipped when opening).
    case unknown(type: UInt8)
    /// A stanza of a known type whose body has the wrong length (never opens).
    case malformed(type: UInt8)

    /// `X25519`, `passphrase`, `key file`, `unknown (type 0x7f)`.
    public var description: String {
        switch self {
        case .x25519: "X25519"
        case .passphrase: "passphrase"
        case .keyFile: "key file"
        case .unknown(let type): String(format: "unknown (type 0x%02x)", type)
        case .malformed(let type): String(format: "malformed (type 0x%02x)", type)
        }
    }
}

/// The parsed header of a sealed file: what `verdant inspect` shows, and what opening needs.
///
/// Parsing checks every field's range but not the MAC, which needs the file key.
public struct SealedHeader: Equatable, Sendable {
    /// The format version (1).
    public let version: Int
    /// Plaintext bytes per chunk, `c` (every chunk but the final one holds exactly `c`).
    public let chunkSize: Int
    /// What the plaintext is, e.g. `dataset/csv`.
    public let contentType: String
    /// One entry per recipient stanza, in file order.
    public let recipients: [RecipientKind]
    /// Bytes of the header, including its MAC; the payload starts here.
    public let byteCount: Int

    let payloadSalt: [UInt8]
    let stanzas: [Stanza]
    /// Header bytes 0 ..< byteCount − 32: the MAC's input.
    let authenticatedBytes: [UInt8]
    let mac: [UInt8]

    /// The plaintext length that a payload of `payloadByteCount` bytes holds, or `nil` when no
    /// valid payload has that length.
    ///
    /// Payload bytes = n + 16·⌈n / c⌉ for n > 0, and 16 for n = 0.
    /// - Parameter payloadByteCount: The bytes after the header.
    /// - Returns: The plaintext bytes, or `nil`.
    public func plaintextByteCount(payloadByteCount: Int) -> Int? {
        let tag = SealedFormat.tagBytes
        guard payloadByteCount >= tag else { return nil }
        if payloadByteCount == tag { return 0 }
        let sealedChunk = chunkSize + tag
        let fullChunks = payloadByteCount / sealedChunk
        let rest = payloadByteCount % sealedChunk
        if rest == 0 { return fullChunks * chunkSize }
        guard rest > tag else { return nil }
        return fullChunks * chunkSize + rest - tag
    }

    /// The number of chunks of a payload of `payloadByteCount` bytes, or `nil` when no valid payload
    /// has that length.
    /// - Parameter payloadByteCount: The bytes after the header.
    /// - Returns: The chunk count, or `nil`.
    public func chunkCount(payloadByteCount: Int) -> Int? {
        guard let n = plaintextByteCount(payloadByteCount: payloadByteCount) else { return nil }
        return n == 0 ? 1 : (n + chunkSize - 1) / chunkSize
    }

    init(version: Int, chunkSize: Int, contentType: String, payloadSalt: [UInt8], stanzas: [Stanza],
         authenticatedBytes: [UInt8], mac: [UInt8]) {
        self.version = version
        self.chunkSize = chunkSize
        self.contentType = contentType
        self.payloadSalt = payloadSalt
        self.stanzas = stanzas
        self.authenticatedBytes = authenticatedBytes
        self.mac = mac
        byteCount = authenticatedBytes.count + mac.count
        recipients = stanzas.map(Self.kind)
    }

    static func kind(of stanza: Stanza) -> RecipientKind {
        switch stanza.type {
        case SealedFormat.x25519Stanza:
            return stanza.body.count == StanzaCodec.x25519BodyBytes ? .x25519 : .malformed(type: stanza.type)
        case SealedFormat.passphraseStanza:
            guard stanza.body.count == StanzaCodec.passphraseBodyBytes,
                  StanzaCodec.validScryptParameters(log2N: Int(stanza.body[16]), r: Int(stanza.body[17]), p: Int(stanza.body[18]))
            else { return .malformed(type: stanza.type) }
            return .passphrase(log2N: Int(stanza.body[16]), r: Int(stanza.body[17]), p: Int(stanza.body[18]))
        case SealedFormat.keyFileStanza:
            return stanza.body.count == StanzaCodec.keyFileBodyBytes ? .keyFile : .malformed(type: stanza.type)
        default:
            return .unknown(type: stanza.type)
        }
    }

    /// A passphrase or key-file stanza must be the only stanza of its header, and well formed
    /// (docs/sealed-format.md, "Stanzas that stand alone"): a file sealed for a shared secret is
    /// then opened only by that secret, so no other recipient can make a file that the secret's
    /// holder accepts; and a file holds at most one scrypt stanza, so it cannot multiply the
    /// bounded work of opening it.
    static func checkStandAlone(_ stanzas: [Stanza], malformed: (String) -> PrivacyError) throws {
        guard let secret = stanzas.first(where: { $0.type == SealedFormat.passphraseStanza || $0.type == SealedFormat.keyFileStanza })
        else { return }
        let name = secret.type == SealedFormat.passphraseStanza ? "passphrase" : "key-file"
        guard stanzas.count == 1 else {
            let kinds = PrivacyError.summary(stanzas.map { kind(of: $0).description })
            throw malformed("a \(name) stanza must be the only stanza of a header, and this one has \(stanzas.count) (\(kinds)); "
                            + "a file for a passphrase or key file may have no other recipient")
        }
        if secret.type == SealedFormat.passphraseStanza {
            guard secret.body.count == StanzaCodec.passphraseBodyBytes else {
                throw malformed("the passphrase stanza's body has \(secret.body.count) bytes, not \(StanzaCodec.passphraseBodyBytes)")
            }
            if let problem = StanzaCodec.scryptProblem(log2N: Int(secret.body[16]), r: Int(secret.body[17]), p: Int(secret.body[18])) {
                throw malformed("the passphrase stanza's scrypt parameters are invalid: \(problem)")
            }
        } else if secret.body.count != StanzaCodec.keyFileBodyBytes {
            throw malformed("the key-file stanza's body has \(secret.body.count) bytes, not \(StanzaCodec.keyFileBodyBytes)")
        }
    }

    // MARK: Writing

    /// The header bytes before the MAC, for a new file.
    static func authenticatedBytes(chunkExponent: Int, contentType: String, payloadSalt: [UInt8], stanzas: [Stanza]) -> [UInt8] {
        let typeBytes = Array(contentType.utf8)
        var bytes = SealedFormat.magic
        bytes.append(SealedFormat.version)
        bytes.append(UInt8(chunkExponent))
        let total = SealedFormat.fixedPrefixBytes + payloadSalt.count + 1 + typeBytes.count + 1
            + stanzas.reduce(0) { $0 + 3 + $1.body.count } + SealedFormat.macBytes
        bytes.append(UInt8(truncatingIfNeeded: total >> 8))
        bytes.append(UInt8(truncatingIfNeeded: total))
        bytes += payloadSalt
        bytes.append(UInt8(typeBytes.count))
        bytes += typeBytes
        bytes.append(UInt8(stanzas.count))
        for stanza in stanzas {
            bytes.append(stanza.type)
            bytes.append(UInt8(truncatingIfNeeded: stanza.body.count >> 8))
            bytes.append(UInt8(truncatingIfNeeded: stanza.body.count))
            bytes += stanza.body
        }
        return bytes
    }

    // MARK: Reading

    /// Reads and parses a header from the start of `source`, consuming exactly its bytes.
    /// - Throws: `PrivacyError.notSealed`, `.unsupportedVersion`, `.headerTruncated`, `.headerMalformed`.
    static func read(from source: inout ByteSource, name: String) throws -> SealedHeader {
        var prefix = [UInt8](repeating: 0, count: SealedFormat.fixedPrefixBytes)
        let got = try source.readFully(into: &prefix, count: SealedFormat.fixedPrefixBytes)
        let magicBytes = min(got, SealedFormat.magic.count)
        guard Array(prefix[0..<magicBytes]) == Array(SealedFormat.magic[0..<magicBytes]), got > 0 else {
            throw PrivacyError.notSealed(source: name, firstBytes: Array(prefix[0..<min(got, 8)]))
        }
        if got > SealedFormat.magic.count, prefix[8] != SealedFormat.version {
            throw PrivacyError.unsupportedVersion(source: name, version: Int(prefix[8]))
        }
        guard got == SealedFormat.fixedPrefixBytes else {
            throw PrivacyError.headerTruncated(source: name, bytesNeeded: SealedFormat.fixedPrefixBytes, bytesRead: got)
        }
        let total = Int(prefix[10]) << 8 | Int(prefix[11])
        guard total >= SealedFormat.minimumHeaderBytes else {
            throw PrivacyError.headerMalformed(
                source: name, detail: "header length \(total) is below the minimum \(SealedFormat.minimumHeaderBytes)")
        }
        var rest = [UInt8](repeating: 0, count: total - SealedFormat.fixedPrefixBytes)
        let restGot = try source.readFully(into: &rest, count: rest.count)
        guard restGot == rest.count else {
            throw PrivacyError.headerTruncated(source: name, bytesNeeded: total, bytesRead: SealedFormat.fixedPrefixBytes + restGot)
        }
        return try parse(prefix + rest, name: name)
    }

    /// Parses a complete header (`bytes.count` equals its length field).
    /// - Throws: `PrivacyError.headerMalformed` naming the field.
    static func parse(_ bytes: [UInt8], name: String) throws -> SealedHeader {
        func malformed(_ detail: String) -> PrivacyError { .headerMalformed(source: name, detail: detail) }
        let exponent = Int(bytes[9])
        guard SealedFormat.chunkExponents.contains(exponent) else {
            throw malformed("chunk size exponent \(exponent) is out of range (valid: \(SealedFormat.chunkExponents.lowerBound)"
                            + "...\(SealedFormat.chunkExponents.upperBound), i.e. 1 KiB to 16 MiB)")
        }
        let end = bytes.count - SealedFormat.macBytes  // first byte of the MAC
        var offset = SealedFormat.fixedPrefixBytes
        func take(_ count: Int, _ field: String) throws -> ArraySlice<UInt8> {
            guard count <= end - offset else {
                throw malformed("\(field) at byte \(offset) runs past the header's end (byte \(end), from its length field)")
            }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }
        let salt = Array(try take(SealedFormat.payloadSaltBytes, "the payload salt"))
        let typeLength = Int(try take(1, "the content type length")[offset - 1])
        guard (1...SealedFormat.maximumContentTypeBytes).contains(typeLength) else {
            throw malformed("content type length \(typeLength) is out of range (valid: 1...\(SealedFormat.maximumContentTypeBytes))")
        }
        let typeBytes = try take(typeLength, "the content type")
        let contentType = String(decoding: typeBytes, as: UTF8.self)
        guard SealedFormat.isValidContentType(contentType), Array(contentType.utf8) == Array(typeBytes) else {
            throw malformed("content type \(PrivacyError.describe(Array(typeBytes))) is not type/subtype of lower-case "
                            + "letters, digits, '.', '+', '-'")
        }
        let count = Int(try take(1, "the stanza count")[offset - 1])
        guard (1...SealedFormat.maximumStanzas).contains(count) else {
            throw malformed("stanza count \(count) is out of range (valid: 1...\(SealedFormat.maximumStanzas))")
        }
        var stanzas: [Stanza] = []
        for index in 0..<count {
            let head = try take(3, "stanza \(index)")
            let type = head[head.startIndex]
            let length = Int(head[head.startIndex + 1]) << 8 | Int(head[head.startIndex + 2])
            let body = try take(length, "stanza \(index)'s \(length)-byte body")
            stanzas.append(Stanza(type: type, body: Array(body)))
        }
        try checkStandAlone(stanzas, malformed: malformed)
        guard offset == end else {
            throw malformed("\(end - offset) unexpected bytes after the last stanza (byte \(offset)); "
                            + "the header length field says the MAC starts at byte \(end)")
        }
        return SealedHeader(version: Int(bytes[8]), chunkSize: 1 << exponent, contentType: contentType, payloadSalt: salt,
                            stanzas: stanzas, authenticatedBytes: Array(bytes[0..<end]), mac: Array(bytes[end...]))
    }
}
