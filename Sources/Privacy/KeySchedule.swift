import Crypto
import CryptoExtras
import Foundation

/// The keys derived from a file key (docs/sealed-format.md, "Header MAC" and "Payload").
///
///     header key  = HKDF-SHA256(ikm: file key, salt: "",           info: "verdant-sealed/v1 header",  32)
///     payload key = HKDF-SHA256(ikm: file key, salt: payload salt, info: "verdant-sealed/v1 payload", 32)
enum KeySchedule {
    static func headerKey(fileKey: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: [UInt8](), info: SealedFormat.headerInfo, outputByteCount: 32)
    }

    static func payloadKey(fileKey: SymmetricKey, payloadSalt: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: payloadSalt, info: SealedFormat.payloadInfo, outputByteCount: 32)
    }

    static func headerMAC(fileKey: SymmetricKey, authenticatedBytes: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: authenticatedBytes, using: headerKey(fileKey: fileKey)))
    }

    /// Compares the header's MAC in constant time.
    static func verifyHeader(_ header: SealedHeader, fileKey: SymmetricKey) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(header.mac, authenticating: header.authenticatedBytes,
                                               using: headerKey(fileKey: fileKey))
    }
}

/// Wrapping and unwrapping the file key in recipient stanzas (docs/sealed-format.md, "Recipient
/// stanzas"). No validation beyond lengths: callers check work factors first.
enum StanzaCodec {
    static let wrappedBytes = 32 + SealedFormat.tagBytes
    static let x25519BodyBytes = 32 + wrappedBytes
    static let passphraseBodyBytes = 16 + 3 + wrappedBytes
    static let keyFileBodyBytes = 16 + wrappedBytes

    static let ciphersuite = HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)
    static let zeroNonce: AES.GCM.Nonce = {
        // 12 zero bytes is always a valid GCM nonce.
        (try? AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12))) ?? AES.GCM.Nonce()
    }()

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    // MARK: Type 01: X25519 (HPKE base mode)

    static func wrapX25519(fileKey: SymmetricKey, for recipient: X25519Recipient) throws -> Stanza {
        var sender = try HPKE.Sender(recipientKey: recipient.publicKey, ciphersuite: ciphersuite, info: Data(SealedFormat.x25519Info))
        let wrapped = try fileKey.withUnsafeBytes { try sender.seal($0) }
        return Stanza(type: SealedFormat.x25519Stanza, body: Array(sender.encapsulatedKey) + Array(wrapped))
    }

    static func unwrapX25519(_ body: [UInt8], identity: X25519Identity) -> SymmetricKey? {
        guard body.count == x25519BodyBytes else { return nil }
        guard var receiver = try? HPKE.Recipient(privateKey: identity.privateKey, ciphersuite: ciphersuite,
                                                 info: Data(SealedFormat.x25519Info), encapsulatedKey: Data(body[0..<32])),
              let fileKey = try? receiver.open(body[32...])
        else { return nil }
        return fileKey.count == 32 ? SymmetricKey(data: fileKey) : nil
    }

    // MARK: Type 02: passphrase (scrypt)

    static func passphraseWrapKey(_ passphrase: String, salt: ArraySlice<UInt8>, log2N: Int, r: Int, p: Int) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(from: Array(passphrase.utf8), salt: SealedFormat.scryptSaltPrefix + salt,
                                 outputByteCount: 32, rounds: 1 << log2N, blockSize: r, parallelism: p)
    }

    static func wrapPassphrase(fileKey: SymmetricKey, passphrase: String, log2N: Int, salt: [UInt8]) throws -> Stanza {
        let key = try passphraseWrapKey(passphrase, salt: salt[...], log2N: log2N, r: 8, p: 1)
        let box = try fileKey.withUnsafeBytes { try AES.GCM.seal($0, using: key, nonce: zeroNonce) }
        return Stanza(type: SealedFormat.passphraseStanza, body: salt + [UInt8(log2N), 8, 1] + Array(box.ciphertext) + Array(box.tag))
    }

    /// The file key from a passphrase stanza, or `nil` when the passphrase does not open it.
    /// - Throws: `PrivacyError.cryptoFailure` when scrypt itself fails (it cannot allocate its memory).
    static func unwrapPassphrase(_ body: [UInt8], passphrase: String) throws -> SymmetricKey? {
        guard body.count == passphraseBodyBytes else { return nil }
        let log2N = Int(body[16]), r = Int(body[17]), p = Int(body[18])
        let key: SymmetricKey
        do {
            key = try passphraseWrapKey(passphrase, salt: body[0..<16], log2N: log2N, r: r, p: p)
        } catch {
            throw PrivacyError.cryptoFailure(operation: "run scrypt with N = 2^\(log2N), r = \(r), p = \(p) "
                                             + "(\(PrivacyError.bytes(128 * r * ((1 << log2N) + p + 1))) of memory; is that much free?)")
        }
        return unwrapAESGCM(body[19...], key: key)
    }

    // MARK: Type 03: raw key

    static func keyFileWrapKey(_ key: RawKey, salt: ArraySlice<UInt8>) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key.key, salt: salt, info: SealedFormat.keyFileInfo, outputByteCount: 32)
    }

    static func wrapKeyFile(fileKey: SymmetricKey, key: RawKey, salt: [UInt8]) throws -> Stanza {
        let box = try fileKey.withUnsafeBytes { try AES.GCM.seal($0, using: keyFileWrapKey(key, salt: salt[...]), nonce: zeroNonce) }
        return Stanza(type: SealedFormat.keyFileStanza, body: salt + Array(box.ciphertext) + Array(box.tag))
    }

    static func unwrapKeyFile(_ body: [UInt8], key: RawKey) -> SymmetricKey? {
        guard body.count == keyFileBodyBytes else { return nil }
        return unwrapAESGCM(body[16...], key: keyFileWrapKey(key, salt: body[0..<16]))
    }

    private static func unwrapAESGCM(_ wrapped: ArraySlice<UInt8>, key: SymmetricKey) -> SymmetricKey? {
        guard wrapped.count == wrappedBytes,
              let box = try? AES.GCM.SealedBox(nonce: zeroNonce, ciphertext: wrapped.prefix(32), tag: wrapped.suffix(16)),
              let fileKey = try? AES.GCM.open(box, using: key)
        else { return nil }
        return SymmetricKey(data: fileKey)
    }

    // MARK: Choosing

    /// The scrypt cost N·r·p a reader accepts for a maximum work factor `maximumLog2N` (at r = 8, p = 1).
    static func acceptsWork(log2N: Int, r: Int, p: Int, maximumLog2N: Int) -> Bool {
        guard validScryptParameters(log2N: log2N, r: r, p: p) else { return false }
        return (1 << log2N) * r * p <= (1 << maximumLog2N) * 8
    }

    /// The scrypt parameters the format allows: 1 ≤ log2N ≤ 30, 1 ≤ r ≤ 16, 1 ≤ p ≤ 16, and
    /// RFC 7914's N < 2^(16·r). r stops at 16 because BoringSSL (through swift-crypto, which does
    /// not pass a memory limit of its own) refuses r > 16 at p = 1 as over its memory bound.
    static func validScryptParameters(log2N: Int, r: Int, p: Int) -> Bool {
        (1...30).contains(log2N) && (1...16).contains(r) && (1...16).contains(p) && log2N < 16 * r
    }

    /// Why scrypt parameters are invalid, for messages; `nil` when they are valid.
    static func scryptProblem(log2N: Int, r: Int, p: Int) -> String? {
        if !(1...30).contains(log2N) { return "log2 N = \(log2N) is outside 1...30" }
        if !(1...16).contains(r) { return "r = \(r) is outside 1...16" }
        if !(1...16).contains(p) { return "p = \(p) is outside 1...16" }
        if log2N >= 16 * r { return "N = 2^\(log2N) is not below 2^(16·r) = 2^\(16 * r), as RFC 7914 requires" }
        return nil
    }

    /// Finds the file key and checks the header MAC with it (docs/sealed-format.md, "Opening").
    ///
    /// Stanzas are tried in file order, each with every identity of its kind in the order given;
    /// scrypt work is checked before it is done. A stanza that yields a key under which the header
    /// MAC fails does not end the search (a forged stanza cannot hide a good one). When no stanza
    /// gives a key that the MAC accepts, the error is, in this order of precedence: the header was
    /// modified (some stanza gave a key, the MAC failed); a stanza asked for more scrypt work than
    /// allowed; no identity opens the file.
    /// - Throws: `PrivacyError.identityRequired`, `.headerModified`, `.workFactorTooHigh`,
    ///   `.noMatchingIdentity`, `.cryptoFailure` (scrypt could not run).
    static func unwrap(_ header: SealedHeader, identities: [Identity], maximumLog2N: Int, source: String) throws -> SymmetricKey {
        let kinds = header.recipients.map(\.description)
        guard !identities.isEmpty else { throw PrivacyError.identityRequired(source: source, stanzas: kinds) }
        var macFailed = false
        var refused: PrivacyError?
        for stanza in header.stanzas {
            for identity in identities {
                let candidate: SymmetricKey?
                switch (stanza.type, identity) {
                case (SealedFormat.x25519Stanza, .x25519(let id)):
                    candidate = unwrapX25519(stanza.body, identity: id)
                case (SealedFormat.keyFileStanza, .key(let key)):
                    candidate = unwrapKeyFile(stanza.body, key: key)
                case (SealedFormat.passphraseStanza, .passphrase(let passphrase)):
                    guard stanza.body.count == passphraseBodyBytes else { continue }
                    let log2N = Int(stanza.body[16]), r = Int(stanza.body[17]), p = Int(stanza.body[18])
                    guard validScryptParameters(log2N: log2N, r: r, p: p) else { continue }
                    guard acceptsWork(log2N: log2N, r: r, p: p, maximumLog2N: maximumLog2N) else {
                        refused = refused ?? .workFactorTooHigh(source: source, log2N: log2N, r: r, p: p, maximumLog2N: maximumLog2N)
                        continue
                    }
                    candidate = try unwrapPassphrase(stanza.body, passphrase: passphrase)
                default:
                    continue
                }
                guard let candidate else { continue }
                if KeySchedule.verifyHeader(header, fileKey: candidate) { return candidate }
                macFailed = true
            }
        }
        if macFailed { throw PrivacyError.headerModified(source: source) }
        if let refused { throw refused }
        var tried: [String] = []
        for identity in identities where !tried.contains(identity.kindName) { tried.append(identity.kindName) }
        throw PrivacyError.noMatchingIdentity(source: source, stanzas: kinds, tried: tried)
    }
}
