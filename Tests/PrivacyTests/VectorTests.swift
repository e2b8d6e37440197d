import Crypto
import Foundation
import Testing
@testable import Privacy

/// One vector of Fixtures/vectors/manifest.json (made by Fixtures/make_vectors.py, an independent
/// Python implementation of docs/sealed-format.md).
struct Vector: CustomTestStringConvertible, Sendable {
    let file: String
    let identities: [String]
    let expect: String
    let chunk: Int?
    let plaintextSHA256: String?
    let plaintextLength: Int?
    let contentType: String?
    let chunkSize: Int?
    let note: String

    var testDescription: String { "\(file) → \(expect)" }

    nonisolated(unsafe) static let manifest: [String: Any] = {
        guard let data = try? Data(contentsOf: vectorsFolder.appendingPathComponent("manifest.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }()

    static let all: [Vector] = ((manifest["vectors"] as? [[String: Any]]) ?? []).map { entry in
        Vector(file: entry["file"] as? String ?? "?", identities: entry["identities"] as? [String] ?? [],
               expect: entry["expect"] as? String ?? "?", chunk: entry["chunk"] as? Int,
               plaintextSHA256: entry["plaintext_sha256"] as? String, plaintextLength: entry["plaintext_length"] as? Int,
               contentType: entry["content_type"] as? String, chunkSize: entry["chunk_size"] as? Int,
               note: entry["note"] as? String ?? "")
    }

    /// The identities the manifest names.
    static func identity(_ name: String) throws -> Identity {
        let table = try #require(manifest["identities"] as? [String: [String: String]])
        let entry = try #require(table[name], "manifest has no identity '\(name)'")
        switch entry["kind"] {
        case "key": return .key(try RawKey(bytes: hex(try #require(entry["hex"]))))
        case "passphrase": return .passphrase(try #require(entry["text"]))
        case "x25519": return .x25519(try X25519Identity(string: try #require(entry["identity"])))
        default: throw PrivacyError.invalidIdentity(location: name, reason: "unknown kind")
        }
    }
}

@Suite("Test vectors (independent Python implementation)")
struct VectorTests {
    @Test("the manifest lists every kind of outcome")
    func manifestCoverage() {
        let outcomes = Set(Vector.all.map(\.expect))
        #expect(outcomes == ["success", "no-match", "not-sealed", "unsupported-version", "header-truncated", "header-malformed",
                             "header-modified", "work-factor", "truncated", "chunk-failed", "trailing-data", "payload-malformed"])
        #expect(Vector.all.count >= 53)
    }

    @Test("each vector gives its expected outcome", arguments: Vector.all)
    func vector(_ vector: Vector) throws {
        let data = try Data(contentsOf: vectorsFolder.appendingPathComponent(vector.file))
        let identities = try vector.identities.map(Vector.identity)
        for threads in [1, 3] {
            let (result, released) = outcome(data, identities, threads: threads)
            if vector.expect == "success" {
                #expect(result == .success, "\(vector.file): \(vector.note)")
                #expect(released.count == vector.plaintextLength)
                #expect(hexString(SHA256.hash(data: released)) == vector.plaintextSHA256)
            } else {
                #expect(result == .failure(vector.expect, chunk: vector.chunk), "\(vector.file): \(vector.note)")
                // Whatever was released before the failure is a prefix of authenticated chunks.
                #expect(released.count % 1024 == 0)
            }
        }
        if vector.expect == "success" {
            let header = try SealedFile.header(of: data)
            #expect(header.contentType == vector.contentType)
            #expect(header.chunkSize == vector.chunkSize)
            #expect(header.plaintextByteCount(payloadByteCount: data.count - header.byteCount) == vector.plaintextLength)
            // Reading in small pieces gives the same bytes.
            let (again, pieces) = outcome(data, identities, threads: 2, chunkedReads: 100)
            #expect(again == .success)
            #expect(hexString(SHA256.hash(data: pieces)) == vector.plaintextSHA256)
        }
    }

    @Test("the manifest's identity strings decode to the keys Python derived")
    func identityStrings() throws {
        let table = try #require(Vector.manifest["identities"] as? [String: [String: String]])
        for name in ["x25519", "other-x25519"] {
            let entry = try #require(table[name])
            let identity = try X25519Identity(string: try #require(entry["identity"]))
            #expect(identity.recipient.string == entry["recipient"])
            #expect(try X25519Recipient(string: try #require(entry["recipient"])) == identity.recipient)
            #expect(identity.string == entry["identity"])
        }
    }

    @Test("the header and payload keys match the manifest's HKDF values")
    func derivations() throws {
        let table = try #require(Vector.manifest["derivations"] as? [String: String])
        let fileKey = SymmetricKey(data: hex(try #require(table["file_key"])))
        let salt = hex(try #require(table["payload_salt"]))
        #expect(KeySchedule.headerKey(fileKey: fileKey).withUnsafeBytes { hexString($0) } == table["header_key"])
        #expect(KeySchedule.payloadKey(fileKey: fileKey, payloadSalt: salt).withUnsafeBytes { hexString($0) } == table["payload_key"])
        let stanzaSalt = hex(try #require(table["stanza_salt"]))
        #expect(StanzaCodec.keyFileWrapKey(TestKeys.raw, salt: stanzaSalt[...]).withUnsafeBytes { hexString($0) }
                == table["key_file_wrap_key"])
    }

    @Test("error messages name the file, the chunk and the cause")
    func messages() throws {
        func message(_ file: String, _ identity: String) throws -> String {
            let data = try Data(contentsOf: vectorsFolder.appendingPathComponent(file))
            do {
                _ = try SealedFile.open(data, with: [try Vector.identity(identity)], name: file)
                return "opened"
            } catch {
                return "\(error)"
            }
        }
        #expect(try message("chunk1-modified.sealed", "key")
                == "chunk1-modified.sealed: chunk 1 (at byte 1209) failed authentication: it was modified, moved, duplicated "
                + "or taken from another file; nothing after it was released")
        #expect(try message("truncated-at-boundary.sealed", "key")
                == "truncated-at-boundary.sealed: truncated: the file ends after chunk 1, which is not the final chunk")
        #expect(try message("empty-payload.sealed", "key")
                == "empty-payload.sealed: truncated: the file ends after the header, before chunk 0")
        #expect(try message("trailing-data.sealed", "key") == "trailing-data.sealed: data was appended after the final chunk (chunk 1)")
        #expect(try message("wrong-key.sealed", "wrong-key")
                == "wrong-key.sealed: the key file does not open this file: wrong key (or its stanza was modified)")
        #expect(try message("wrong-passphrase.sealed", "wrong-passphrase")
                == "wrong-passphrase.sealed: wrong passphrase (or the passphrase stanza was modified)")
        #expect(try message("other-identity.sealed", "other-x25519")
                == "other-identity.sealed: no identity opens this file: it is sealed for X25519 and you gave X25519; "
                + "it was sealed for other keys (or a stanza was modified)")
        #expect(try message("x25519.sealed", "key")
                == "x25519.sealed: it is sealed for X25519, and you gave only key file: give a key of a kind it was sealed for")
        #expect(try message("version-2.sealed", "key")
                == "version-2.sealed: sealed file format version 2 is not supported (this Verdant reads version 1); a newer Verdant wrote it")
        #expect(try message("not-sealed.csv", "key")
                == "not-sealed.csv: not a Verdant sealed file (it starts with 'sepal_le'; a sealed file starts with \\x89VSEAL\\r\\n)")
        #expect(try message("header-content-type-changed.sealed", "key").hasSuffix("the header was modified after sealing (its MAC does not match); "
                                                                                 + "the content type, chunk size, salt or a recipient stanza changed"))
        #expect(try message("work-factor-24.sealed", "passphrase")
                == "work-factor-24.sealed: the passphrase stanza asks for scrypt N = 2^24, r = 8, p = 1 (16 GiB of memory); "
                + "the limit is the work of N = 2^20 at r = 8, p = 1. If you trust the file, raise the limit (--max-work-factor 24)")
        #expect(try message("chunk-exponent-9.sealed", "key")
                == "chunk-exponent-9.sealed: malformed header: chunk size exponent 9 is out of range (valid: 10...24, i.e. 1 KiB to 16 MiB)")
        #expect(try message("header-truncated.sealed", "key")
                == "header-truncated.sealed: the header is truncated: it needs 155 bytes but the input ends after 60")
        #expect(try message("truncated-mid-chunk.sealed", "key").contains("the final chunk, chunk 2 (at byte 2249) failed authentication"))
        #expect(try message("mixed-passphrase-x25519.sealed", "x25519")
                == "mixed-passphrase-x25519.sealed: malformed header: a passphrase stanza must be the only stanza of a header, and this "
                + "one has 2 (X25519, passphrase); a file for a passphrase or key file may have no other recipient")
        #expect(try message("passphrase-r1-n16.sealed", "passphrase")
                == "passphrase-r1-n16.sealed: malformed header: the passphrase stanza's scrypt parameters are invalid: "
                + "N = 2^16 is not below 2^(16·r) = 2^16, as RFC 7914 requires")
        #expect(try message("passphrase-r17.sealed", "passphrase")
                == "passphrase-r17.sealed: malformed header: the passphrase stanza's scrypt parameters are invalid: r = 17 is outside 1...16")
        #expect(try message("forged-stanza-only.sealed", "x25519").hasSuffix("the header was modified after sealing (its MAC does not match); "
                                                                            + "the content type, chunk size, salt or a recipient stanza changed"))
    }
}
