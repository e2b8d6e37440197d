import Crypto
import Foundation
import Testing
@testable import Privacy

@Suite("Keys: Bech32, identities, recipients, key files")
struct KeyTests {
    @Test("BIP 173 test vectors: valid strings decode and re-encode, invalid ones fail")
    func bip173() throws {
        for valid in ["A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                      "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl"] {
            let (hrp, bytes) = try Bech32.decode(valid)
            #expect(Bech32.encode(hrp: hrp, bytes: bytes) == valid.lowercased(), "\(valid)")
        }
        // The abcdef vector's data is the 32 symbols in order: 0, 1, …, 31.
        let (_, bytes) = try Bech32.decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
        #expect(Bech32.regroup(bytes, from: 8, to: 5, pad: true) == (0..<32).map { UInt8($0) })
        let invalid: [(String, Bech32.Failure)] = [
            ("A1G7SGD8", .badChecksum), ("10a06t8", .noSeparator), ("1qzzfhee", .noSeparator), ("li1dgmt3", .tooShort),
            ("x1b4n0q5v", .invalidCharacter("b")), ("pzry9x0s0muk", .noSeparator), ("A12uEL5L", .mixedCase),
            ("a12uel5m", .badChecksum),
        ]
        for (text, failure) in invalid {
            #expect(throws: failure, "\(text)") { try Bech32.decode(text) }
        }
    }

    @Test("age's keys (made by age-keygen) decode, and re-encoding the public key gives age's recipient")
    func ageCrossCheck() throws {
        let text = try String(contentsOf: fixtures.appendingPathComponent("age-identity.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let publicLine = try #require(lines.first { $0.hasPrefix("# public key: ") })
        let secret = try #require(lines.first { $0.hasPrefix("AGE-SECRET-KEY-1") })
        let (hrp, scalar) = try Bech32.decode(secret)
        #expect(hrp == "age-secret-key-")
        let identity = try X25519Identity(rawRepresentation: scalar)
        #expect(Bech32.encode(hrp: "age", bytes: Array(identity.recipient.rawRepresentation)) == publicLine.dropFirst(14).description)
    }

    @Test("identities and recipients round-trip through their strings and files")
    func strings() throws {
        let identity = X25519Identity()
        let parsed = try X25519Identity(string: identity.string)
        #expect(parsed.recipient == identity.recipient)
        #expect(identity.string.hasPrefix("VERDANT-SECRET-KEY-1") && identity.string.count == 78)
        #expect(identity.recipient.string.hasPrefix("verdant1") && identity.recipient.string.count == 66)
        #expect(try X25519Recipient(string: "  \(identity.recipient.string)\n") == identity.recipient)
        #expect(try X25519Identity(string: identity.string.lowercased()).recipient == identity.recipient)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("id.txt").path
        try AtomicOutput.write(Data((identity.fileText() + X25519Identity().fileText()).utf8), toPath: path, overwrite: false, mode: 0o600)
        let loaded = try X25519Identity.load(contentsOfFile: path)
        #expect(loaded.count == 2)
        #expect(loaded[0].recipient == identity.recipient)
        #expect(X25519Identity.permissionWarning(forFile: path) == nil)
        chmod(path, 0o644)
        #expect(X25519Identity.permissionWarning(forFile: path)
                == "'\(path)' holds secret keys but others can access it (mode 644); run: chmod 600 '\(path)'")
        let recipients = folder.appendingPathComponent("recipients.txt").path
        try "# team\n\(identity.recipient.string)\n\n\(loaded[1].recipient.string)\n".write(toFile: recipients, atomically: true, encoding: .utf8)
        #expect(try X25519Recipient.load(contentsOfFile: recipients) == [identity.recipient, loaded[1].recipient])
    }

    @Test("a secret key given where a recipient is expected never reaches the message, however it fails to decode")
    func secretsRedacted() throws {
        let identity = X25519Identity()
        let secret = identity.string  // VERDANT-SECRET-KEY-1…
        let data = String(secret.dropFirst("VERDANT-SECRET-KEY-1".count))
        var typo = Array(secret)
        typo[30] = typo[30] == "Q" ? "P" : "Q"
        let rawHex = RawKey().bytes.map { String(format: "%02x", $0) }.joined()
        let inputs = [
            secret,                                   // the wrong kind of key (decodes, wrong prefix)
            secret.lowercased(),                      // lower case
            identity.fileText(),                      // -r "$(cat me.key)": comments, newlines (Bech32 fails)
            String(typo),                             // a mistyped secret (checksum fails)
            "verdant-secret-key-1" + data.lowercased().dropLast(3),  // cut short
            secret.prefix(40) + secret.suffix(40).lowercased(),       // mixed case
            rawHex,                                   // a raw key's hexadecimal digits
        ]
        for input in inputs {
            do {
                _ = try X25519Recipient(string: input)
                Issue.record("accepted \(input.prefix(24))")
            } catch let error as PrivacyError {
                let message = error.description
                for piece in stride(from: 0, to: data.count - 12, by: 6) {
                    let window = String(Array(data)[piece..<(piece + 12)])
                    #expect(!message.lowercased().contains(window.lowercased()), "\(message)")
                }
                #expect(!message.contains(rawHex.prefix(16)), "\(message)")
                #expect(message.contains("not shown: it may be a secret key"), "\(message)")
            }
        }
        // Public strings and short typos are shown as given, to help the user.
        #expect(throws: PrivacyError.invalidRecipient(received: "verdant1abc", reason: "it contains 'b', which Bech32 does not use")) {
            try X25519Recipient(string: "verdant1abc")
        }
        // A recipients file with a secret key on a line: the line number, never the key.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-redact-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("team.txt").path
        try "\(identity.recipient.string)\n\(secret)\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try X25519Recipient.load(contentsOfFile: file)
            Issue.record("a recipients file with a secret key loaded")
        } catch let error as PrivacyError {
            #expect(error.description.hasPrefix("invalid recipient '\(file):2: <"), "\(error)")
            #expect(!error.description.contains(data.prefix(12)))
        }
    }

    @Test("bad keys fail with messages that say what is wrong and never print a secret")
    func badKeys() throws {
        let identity = X25519Identity()
        let recipient = identity.recipient.string
        var typo = Array(recipient)
        typo[20] = typo[20] == "q" ? "p" : "q"
        #expect(throws: PrivacyError.invalidRecipient(received: String(typo), reason: "its checksum does not match (a character is mistyped or missing)")) {
            try X25519Recipient(string: String(typo))
        }
        #expect(throws: PrivacyError.invalidRecipient(received: "<\(identity.string.count) characters, not shown: it may be a secret key>",
                                                      reason: "its prefix is 'VERDANT-SECRET-KEY-', not 'verdant' (this is a secret identity: never share it)")) {
            try X25519Recipient(string: identity.string)
        }
        #expect(throws: PrivacyError.invalidIdentity(location: "identity",
                                                     reason: "its prefix is 'VERDANT', not 'VERDANT-SECRET-KEY-' (this is a public recipient, used to seal, not to open)")) {
            try X25519Identity(string: recipient)
        }
        let short = Bech32.encode(hrp: "verdant", bytes: [1, 2, 3])
        #expect(throws: PrivacyError.invalidRecipient(received: short, reason: "it holds 3 bytes, not 32")) { try X25519Recipient(string: short) }
        #expect(throws: PrivacyError.invalidRecipient(received: "age1byz", reason: "it contains 'b', which Bech32 does not use")) {
            try X25519Recipient(string: "age1byz")
        }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("ids").path
        try "# comment\n\nVERDANT-SECRET-KEY-1QQQQ\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try X25519Identity.load(contentsOfFile: file)
            Issue.record("a bad identity file loaded")
        } catch let error as PrivacyError {
            #expect(error.description.hasPrefix("\(file):3: invalid identity: "))
            #expect(!error.description.contains("QQQQ"))
        }
        try "# nothing\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: PrivacyError.emptyKeyList(path: file, expected: "identity (VERDANT-SECRET-KEY-1…)")) {
            try X25519Identity.load(contentsOfFile: file)
        }
        #expect(throws: PrivacyError.io(path: file + "x", operation: "read", reason: "no such file")) {
            try X25519Identity.load(contentsOfFile: file + "x")
        }
    }

    @Test("key files: 32 raw bytes or 64 hex digits, nothing else")
    func keyFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let raw = folder.appendingPathComponent("raw").path, text = folder.appendingPathComponent("hex").path
        let bytes = Data((0..<32).map { UInt8($0 * 7 % 256) })
        try bytes.write(to: URL(fileURLWithPath: raw))
        try (hexString(bytes).uppercased() + "\r\n").write(toFile: text, atomically: true, encoding: .utf8)
        #expect(try RawKey(contentsOfFile: raw).bytes == bytes)
        #expect(try RawKey(contentsOfFile: text).bytes == bytes)
        for (content, size) in [("abc", 3), (String(repeating: "a", count: 63) + "\n", 64)] {
            try content.write(toFile: text, atomically: true, encoding: .utf8)
            #expect(throws: PrivacyError.invalidKeyFile(path: text, reason: "it has \(size) bytes")) { try RawKey(contentsOfFile: text) }
        }
        // 64 characters that are not all digits: the first bad one is named.
        try String(repeating: "g", count: 64).write(toFile: text, atomically: true, encoding: .utf8)
        #expect(throws: PrivacyError.invalidKeyFile(path: text, reason: "its 64 characters are not all hexadecimal digits ('g' at character 1)")) {
            try RawKey(contentsOfFile: text)
        }
        #expect(PrivacyError.invalidKeyFile(path: "k", reason: "it has 3 bytes").description
                == "k: not a key file: it has 3 bytes (a key file holds 32 raw bytes or 64 hexadecimal digits)")
    }
}
