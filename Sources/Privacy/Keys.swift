import Crypto
import Foundation

/// An X25519 public key that files can be sealed for, written `verdant1…` (Bech32).
public struct X25519Recipient: Hashable, Sendable, CustomStringConvertible {
    /// The Bech32 human-readable part of recipient strings.
    public static let prefix = "verdant"

    let publicKey: Curve25519.KeyAgreement.PublicKey

    /// The 32 bytes of the public key.
    public var rawRepresentation: Data { publicKey.rawRepresentation }

    /// The recipient string, `verdant1…` (66 characters, with a checksum).
    public var string: String { Bech32.encode(hrp: Self.prefix, bytes: Array(publicKey.rawRepresentation)) }

    /// The recipient string.
    public var description: String { string }

    init(publicKey: Curve25519.KeyAgreement.PublicKey) {
        self.publicKey = publicKey
    }

    /// Parses a recipient string.
    /// - Parameter string: `verdant1…` as `verdant keygen` prints it (surrounding spaces are ignored).
    /// - Throws: `PrivacyError.invalidRecipient` saying what is wrong (checksum, prefix, length).
    public init(string: String) throws {
        let text = string.trimmingCharacters(in: .whitespacesAndNewlines)
        // Never repeat what may be a secret key (`-r "$(cat me.key)"` would put it on stderr).
        let shown = KeyText.shown(text)
        let decoded: (hrp: String, bytes: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch {
            let hint = KeyText.looksSecret(text) ? " (this looks like a secret identity: never share it; its recipient is verdant keygen -y FILE)" : ""
            throw PrivacyError.invalidRecipient(received: shown, reason: error.description + hint)
        }
        guard decoded.hrp == Self.prefix else {
            let hint = decoded.hrp == X25519Identity.prefix ? " (this is a secret identity: never share it)" : ""
            let prefix = decoded.hrp == X25519Identity.prefix ? decoded.hrp.uppercased() : decoded.hrp
            throw PrivacyError.invalidRecipient(received: shown, reason: "its prefix is '\(prefix)', not '\(Self.prefix)'\(hint)")
        }
        guard decoded.bytes.count == 32 else {
            throw PrivacyError.invalidRecipient(received: shown, reason: "it holds \(decoded.bytes.count) bytes, not 32")
        }
        do {
            publicKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: decoded.bytes)
        } catch {
            throw PrivacyError.invalidRecipient(received: shown, reason: "not an X25519 public key")
        }
    }

    /// Two recipients are equal when their keys are.
    public static func == (a: Self, b: Self) -> Bool { a.rawRepresentation == b.rawRepresentation }

    /// Hashes the key bytes.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawRepresentation) }

    /// Reads a recipients file: one `verdant1…` per line; blank lines and `#` comments are skipped.
    /// - Parameter path: The file.
    /// - Returns: The recipients, in file order.
    /// - Throws: `PrivacyError.io` when unreadable, `.invalidRecipient` (with `path:line`) for a bad
    ///   line, `.emptyKeyList` when it holds none.
    public static func load(contentsOfFile path: String) throws -> [X25519Recipient] {
        var recipients: [X25519Recipient] = []
        for (number, line) in try KeyText.lines(path) {
            do {
                recipients.append(try X25519Recipient(string: line))
            } catch let PrivacyError.invalidRecipient(received, reason) {
                // `received` is already redacted when it may be a secret.
                throw PrivacyError.invalidRecipient(received: "\(path):\(number): \(received)", reason: reason)
            }
        }
        guard !recipients.isEmpty else { throw PrivacyError.emptyKeyList(path: path, expected: "recipient (verdant1…)") }
        return recipients
    }
}

/// An X25519 private key that opens files sealed for its recipient, written
/// `VERDANT-SECRET-KEY-1…` (Bech32, upper case).
public struct X25519Identity: Sendable {
    /// The Bech32 human-readable part of identity strings (written upper case).
    public static let prefix = "verdant-secret-key-"

    let privateKey: Curve25519.KeyAgreement.PrivateKey

    /// A new random identity.
    public init() {
        privateKey = Curve25519.KeyAgreement.PrivateKey()
    }

    /// An identity from its 32 private bytes (an X25519 scalar).
    /// - Parameter rawRepresentation: 32 bytes.
    /// - Throws: `PrivacyError.invalidIdentity` when the length is wrong.
    public init(rawRepresentation: some ContiguousBytes) throws {
        do {
            privateKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: rawRepresentation)
        } catch {
            throw PrivacyError.invalidIdentity(location: "identity", reason: "not 32 bytes")
        }
    }

    /// Parses an identity string.
    /// - Parameter string: `VERDANT-SECRET-KEY-1…` as `verdant keygen` writes it.
    /// - Throws: `PrivacyError.invalidIdentity` saying what is wrong (the message never repeats the key).
    public init(string: String) throws {
        let text = string.trimmingCharacters(in: .whitespacesAndNewlines)
        let decoded: (hrp: String, bytes: [UInt8])
        do {
            decoded = try Bech32.decode(text)
        } catch {
            throw PrivacyError.invalidIdentity(location: "identity", reason: error.description)
        }
        guard decoded.hrp == Self.prefix else {
            let hint = decoded.hrp == X25519Recipient.prefix ? " (this is a public recipient, used to seal, not to open)" : ""
            throw PrivacyError.invalidIdentity(location: "identity",
                                               reason: "its prefix is '\(decoded.hrp.uppercased())', not 'VERDANT-SECRET-KEY-'\(hint)")
        }
        guard decoded.bytes.count == 32 else {
            throw PrivacyError.invalidIdentity(location: "identity", reason: "it holds \(decoded.bytes.count) bytes, not 32")
        }
        try self.init(rawRepresentation: decoded.bytes)
    }

    /// The identity string, `VERDANT-SECRET-KEY-1…`. Secret: write it only to files of mode 0600.
    public var string: String { Bech32.encode(hrp: Self.prefix, bytes: Array(privateKey.rawRepresentation)).uppercased() }

    /// The public recipient that files for this identity are sealed to.
    public var recipient: X25519Recipient { X25519Recipient(publicKey: privateKey.publicKey) }

    /// The text of an identity file: two comment lines (creation time, recipient) and the identity.
    /// - Parameter created: The time written in the comment.
    /// - Returns: The file's text, ending with a newline.
    public func fileText(created: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return "# Verdant X25519 identity, created \(formatter.string(from: created))\n"
            + "# recipient: \(recipient.string)\n\(string)\n"
    }

    /// Reads an identity file: one `VERDANT-SECRET-KEY-1…` per line; blank lines and `#` comments
    /// are skipped.
    /// - Parameter path: The file.
    /// - Returns: The identities, in file order.
    /// - Throws: `PrivacyError.io` when unreadable, `.invalidIdentity` (with `path:line`) for a bad
    ///   line, `.emptyKeyList` when it holds none.
    public static func load(contentsOfFile path: String) throws -> [X25519Identity] {
        var identities: [X25519Identity] = []
        for (number, line) in try KeyText.lines(path) {
            do {
                identities.append(try X25519Identity(string: line))
            } catch let PrivacyError.invalidIdentity(_, reason) {
                throw PrivacyError.invalidIdentity(location: "\(path):\(number)", reason: reason)
            }
        }
        guard !identities.isEmpty else { throw PrivacyError.emptyKeyList(path: path, expected: "identity (VERDANT-SECRET-KEY-1…)") }
        return identities
    }

    /// A warning when a file holding secrets can be read or written by users other than its owner,
    /// or `nil` when its mode is private (or it cannot be examined).
    /// - Parameter path: The identity or key file.
    /// - Returns: The warning's text.
    public static func permissionWarning(forFile path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 != 0 else { return nil }
        return "'\(path)' holds secret keys but others can access it (mode \(String(mode, radix: 8))); run: chmod 600 '\(path)'"
    }
}

/// A raw 256-bit symmetric key, as held by a key file (`--key-file`).
public struct RawKey: Sendable {
    let key: SymmetricKey

    /// A new random key.
    public init() {
        key = SymmetricKey(size: .bits256)
    }

    init(key: SymmetricKey) {
        self.key = key
    }

    /// A key from its 32 bytes.
    /// - Parameter bytes: Exactly 32 bytes.
    /// - Throws: `PrivacyError.invalidKeyFile` when the length is wrong.
    public init(bytes: some ContiguousBytes) throws {
        let count = bytes.withUnsafeBytes { $0.count }
        guard count == 32 else { throw PrivacyError.invalidKeyFile(path: "key", reason: "it has \(count) bytes") }
        key = SymmetricKey(data: bytes)
    }

    /// Reads a key file: 32 raw bytes, or 64 hexadecimal digits optionally followed by a line end.
    /// - Parameter path: The file.
    /// - Throws: `PrivacyError.io` when unreadable, `.invalidKeyFile` when it is neither form.
    public init(contentsOfFile path: String) throws {
        let data = try SealedFile.readWhole(path)
        if data.count == 32 {
            key = SymmetricKey(data: data)
            return
        }
        var text = Array(data)
        while let last = text.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { text.removeLast() }
        guard text.count == 64, let bytes = KeyText.hexBytes(text) else {
            if text.count == 64, let bad = text.firstIndex(where: { !KeyText.isHexDigit($0) }) {
                let shown = (32...126).contains(text[bad]) ? "'\(Character(UnicodeScalar(text[bad])))'" : "byte \(text[bad])"
                throw PrivacyError.invalidKeyFile(path: path, reason: "its 64 characters are not all hexadecimal digits "
                                                  + "(\(shown) at character \(bad + 1))")
            }
            throw PrivacyError.invalidKeyFile(path: path, reason: "it has \(data.count) bytes")
        }
        key = SymmetricKey(data: bytes)
    }

    /// The 32 key bytes (secret).
    public var bytes: Data { key.withUnsafeBytes { Data($0) } }
}

/// Something a file is sealed for: each becomes one recipient stanza of the header.
public enum Recipient: Sendable {
    /// An X25519 public key (`verdant1…`); opened by its identity.
    case x25519(X25519Recipient)
    /// A passphrase, stretched by scrypt with N = 2^workFactor, r = 8, p = 1.
    case passphrase(String, workFactor: Int = Recipient.defaultWorkFactor)
    /// A raw 256-bit key (a key file).
    case key(RawKey)

    /// `X25519`, `passphrase`, `key file`.
    var kindName: String {
        switch self {
        case .x25519: "X25519"
        case .passphrase: "passphrase"
        case .key: "key file"
        }
    }

    /// The default scrypt work factor for sealing: log2 N = 18 (256 MiB, about a second).
    public static let defaultWorkFactor = 18
    /// The work factors a writer accepts (log2 N): 10 for tests up to 22 (4 GiB of memory).
    public static let workFactors: ClosedRange<Int> = 1...22
}

/// Something that opens a sealed file: an identity matched against the recipient stanzas.
public enum Identity: Sendable {
    /// An X25519 private key (`VERDANT-SECRET-KEY-1…`).
    case x25519(X25519Identity)
    /// A passphrase.
    case passphrase(String)
    /// A raw 256-bit key (a key file).
    case key(RawKey)

    /// `X25519`, `passphrase`, `key file`.
    var kindName: String {
        switch self {
        case .x25519: "X25519"
        case .passphrase: "passphrase"
        case .key: "key file"
        }
    }
}

/// Reading the text of key files.
enum KeyText {
    /// Whether `text` may hold a secret key: it names one (`SECRET-KEY`, any case), or it holds a
    /// run of 40 or more letters and digits (a Bech32 or hexadecimal key) and is not a public
    /// recipient string (`verdant1…`).
    static func looksSecret(_ text: String) -> Bool {
        let lower = text.lowercased()
        if lower.contains("secret") { return true }
        if lower.hasPrefix(X25519Recipient.prefix + "1"), !lower.contains(X25519Identity.prefix) { return false }
        var run = 0
        for byte in lower.utf8 {
            let alphanumeric = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            run = alphanumeric ? run + 1 : 0
            if run >= 40 { return true }
        }
        return false
    }

    /// `text` for an error message, or a description of it when it may be a secret key.
    static func shown(_ text: String) -> String {
        guard looksSecret(text) else { return text }
        return "<\(text.count) characters, not shown: it may be a secret key>"
    }

    /// The non-blank, non-comment lines of a file with their 1-based line numbers.
    static func lines(_ path: String) throws -> [(Int, String)] {
        let data = try SealedFile.readWhole(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw PrivacyError.invalidIdentity(location: path, reason: "it is not UTF-8 text")
        }
        var result: [(Int, String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            result.append((index + 1, trimmed))
        }
        return result
    }

    /// Bytes from hexadecimal digits, or `nil`.
    /// Whether `d` is an ASCII hexadecimal digit (either case).
    static func isHexDigit(_ d: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(d)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(d)
    }

    static func hexBytes(_ digits: [UInt8]) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        func value(_ d: UInt8) -> UInt8? {
            switch d {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }
}
