import Crypto
import Foundation
import Testing
@testable import Privacy

/// Lengths at every chunk boundary: 0, 1, c−1, c, c+1, 2c, 2c+k.
func boundaryLengths(_ c: Int) -> [Int] { [0, 1, c - 1, c, c + 1, 2 * c, 2 * c + 123] }

@Suite("Round trips")
struct RoundTripTests {
    static let recipientSets: [(String, [Recipient], [Identity])] = [
        ("x25519", [.x25519(TestKeys.identity.recipient)], [.x25519(TestKeys.identity)]),
        ("passphrase", [.passphrase(TestKeys.passphrase, workFactor: 10)], [.passphrase(TestKeys.passphrase)]),
        ("key", [.key(TestKeys.raw)], [.key(TestKeys.raw)]),
    ]

    @Test("every recipient type at every chunk boundary, 1 KiB and 64 KiB chunks",
          arguments: ["x25519", "passphrase", "key"], [1024, 65536])
    func boundaries(kind: String, chunkSize: Int) throws {
        let (_, recipients, identities) = try #require(Self.recipientSets.first { $0.0 == kind })
        for length in boundaryLengths(chunkSize) {
            let plaintext = pseudoRandomBytes(length, seed: UInt64(length))
            let sealed = try SealedFile.seal(plaintext, for: recipients, contentType: "dataset/csv",
                                             options: SealOptions(chunkSize: chunkSize, threads: 2))
            let chunks = length == 0 ? 1 : (length + chunkSize - 1) / chunkSize
            let header = try SealedFile.header(of: sealed)
            #expect(sealed.count == header.byteCount + length + 16 * chunks, "length \(length)")
            #expect(header.chunkCount(payloadByteCount: sealed.count - header.byteCount) == chunks)
            #expect(try SealedFile.open(sealed, with: identities, expecting: "dataset/csv") == plaintext, "length \(length)")
        }
    }

    @Test("several recipients: each identity alone opens the file, at every boundary length", arguments: boundaryLengths(1024) + [5000])
    func severalRecipients(length: Int) throws {
        let plaintext = pseudoRandomBytes(length, seed: 1)
        let recipients: [Recipient] = [.x25519(TestKeys.identity.recipient), .x25519(TestKeys.otherIdentity.recipient),
                                       .passphrase(TestKeys.passphrase, workFactor: 10), .key(TestKeys.raw)]
        let sealed = try SealedFile.seal(plaintext, for: recipients, options: SealOptions(chunkSize: 1024))
        let header = try SealedFile.header(of: sealed)
        #expect(header.recipients == [.x25519, .x25519, .passphrase(log2N: 10, r: 8, p: 1), .keyFile])
        for identity: Identity in [.x25519(TestKeys.identity), .x25519(TestKeys.otherIdentity), .passphrase(TestKeys.passphrase),
                                   .key(TestKeys.raw)] {
            #expect(try SealedFile.open(sealed, with: [identity]) == plaintext)
        }
        // A wrong key next to the right one is skipped.
        #expect(try SealedFile.open(sealed, with: [.key(TestKeys.other), .passphrase("nope"), .x25519(TestKeys.identity)]) == plaintext)
        #expect(throws: PrivacyError.noMatchingIdentity(source: "<data>", stanzas: ["X25519", "X25519", "passphrase", "key file"],
                                                        tried: ["key file", "passphrase"])) {
            try SealedFile.open(sealed, with: [.key(TestKeys.other), .passphrase("nope")])
        }
    }

    @Test("the bytes do not depend on the thread count or on how the plaintext is fed")
    func threadsAndPieces() throws {
        let c = 1024
        for length in [0, 1, c, 3 * c + 5, 40 * c, 40 * c + 1] {
            let plaintext = pseudoRandomBytes(length, seed: 7)
            let one = try deterministicSeal(plaintext, recipients: [.key(TestKeys.raw)], chunkSize: c, threads: 1)
            for threads in [2, 3, 8] {
                #expect(try deterministicSeal(plaintext, recipients: [.key(TestKeys.raw)], chunkSize: c, threads: threads) == one)
                #expect(try deterministicSeal(plaintext, recipients: [.key(TestKeys.raw)], chunkSize: c, threads: threads, pieces: 9) == one)
                #expect(try deterministicSeal(plaintext, recipients: [.key(TestKeys.raw)], chunkSize: c, threads: threads,
                                              fromSource: true) == one)
            }
            for threads in [1, 4] {
                let (result, opened) = outcome(one, [.key(TestKeys.raw)], threads: threads, chunkedReads: 777)
                #expect(result == .success)
                #expect(opened == plaintext)
            }
        }
    }

    @Test("streams larger than one batch round-trip through file descriptors")
    func multiBatchStream() throws {
        // 1 KiB chunks and 1 thread: batches of 1, 4, 16, 64, 256, then 1024 chunks (1 MiB); 2.5 MiB spans seven.
        let plaintext = pseudoRandomBytes(5 << 19 + 17, seed: 3)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-privacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("big.sealed").path
        try SealedFile.write(plaintext, toPath: path, for: [.key(TestKeys.raw)], contentType: "application/octet-stream",
                             options: SealOptions(chunkSize: 1024, threads: 1))
        for threads in [1, 2] {
            #expect(try SealedFile.open(atPath: path, with: [.key(TestKeys.raw)], options: OpenOptions(threads: threads)) == plaintext)
        }
        // Reading from a source straight into the writer's buffer gives the same bytes across batches.
        let viaData = try deterministicSeal(plaintext, recipients: [.key(TestKeys.raw)], chunkSize: 1024, threads: 1)
        #expect(try deterministicSeal(plaintext, recipients: [.key(TestKeys.raw)], chunkSize: 1024, threads: 2, fromSource: true) == viaData)
        // Cut at batch boundaries (1 + 4 + 16 + 64 + 256 = 341 and 341 + 1024 = 1365 chunks) and elsewhere:
        // the chunk before the cut is not final.
        let sealed = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = try SealedFile.header(of: sealed)
        for chunks in [1, 5, 341, 1024, 1365, 1366] {
            let cut = sealed.prefix(header.byteCount + chunks * 1040)
            let (result, released) = outcome(cut, [.key(TestKeys.raw)])
            #expect(result == .failure("truncated", chunk: chunks - 1), "cut after \(chunks) chunks")
            #expect(released == plaintext.prefix(released.count))
        }
    }

    @Test("the writer refuses bad options and use after finish")
    func writerErrors() throws {
        let sink = ByteSink { _ in }
        #expect(throws: PrivacyError.noRecipients) { try SealedWriter(to: sink, recipients: []) }
        #expect(throws: PrivacyError.invalidContentType(received: "CSV")) {
            try SealedWriter(to: sink, recipients: [.key(TestKeys.raw)], contentType: "CSV")
        }
        for size in [0, 512, 1000, 1 << 25] {
            #expect(throws: PrivacyError.invalidChunkSize(received: size)) {
                try SealedWriter(to: sink, recipients: [.key(TestKeys.raw)], options: SealOptions(chunkSize: size))
            }
        }
        #expect(throws: PrivacyError.invalidThreads(received: 0)) {
            try SealedWriter(to: sink, recipients: [.key(TestKeys.raw)], options: SealOptions(threads: 0))
        }
        #expect(throws: PrivacyError.invalidWorkFactor(received: 23, valid: 1...22)) {
            try SealedWriter(to: sink, recipients: [.passphrase("x", workFactor: 23)])
        }
        #expect(throws: PrivacyError.passphraseUnavailable(reason: "the passphrase is empty")) {
            try SealedWriter(to: sink, recipients: [.passphrase("", workFactor: 10)])
        }
        let writer = try SealedWriter(to: sink, recipients: [.key(TestKeys.raw)])
        try writer.finish()
        #expect(throws: PrivacyError.streamClosed(detail: "the sealed stream is already finished")) { try writer.write(Data([1])) }
        #expect(throws: PrivacyError.streamClosed(detail: "the sealed stream is already finished")) { try writer.finish() }
        for valid in ["dataset/csv", "model/verdant", "application/vnd.a+json", "x/1-2.3"] {
            #expect(SealedFormat.isValidContentType(valid), "\(valid)")
        }
        for invalid in ["", "csv", "a/b/c", "/b", "a/", "Text/plain", "a /b", "a/é", ".a/b", "a/" + String(repeating: "b", count: 126)] {
            #expect(!SealedFormat.isValidContentType(invalid), "\(invalid)")
        }
    }

    @Test("a passphrase file's scrypt work above the reader's limit is refused; raising the limit opens it")
    func workLimit() throws {
        let sealed = try SealedFile.seal(Data("secret".utf8), for: [.passphrase(TestKeys.passphrase, workFactor: 12)])
        #expect(throws: PrivacyError.workFactorTooHigh(source: "<data>", log2N: 12, r: 8, p: 1, maximumLog2N: 11)) {
            try SealedFile.open(sealed, with: [.passphrase(TestKeys.passphrase)], options: OpenOptions(maximumWorkFactor: 11))
        }
        #expect(try SealedFile.open(sealed, with: [.passphrase(TestKeys.passphrase)], options: OpenOptions(maximumWorkFactor: 12))
                == Data("secret".utf8))
        #expect(throws: PrivacyError.invalidWorkFactor(received: 31, valid: 1...30)) {
            try SealedFile.open(sealed, with: [.passphrase(TestKeys.passphrase)], options: OpenOptions(maximumWorkFactor: 31))
        }
        #expect(throws: PrivacyError.identityRequired(source: "<data>", stanzas: ["passphrase"])) {
            try SealedFile.open(sealed, with: [])
        }
    }

    @Test("at most one passphrase stanza per file, so a hostile file cannot multiply the scrypt bound; bad scrypt parameters never open")
    func onePassphrase() throws {
        let two: [Recipient] = [.passphrase("a", workFactor: 4), .passphrase("b", workFactor: 4)]
        #expect(throws: PrivacyError.self) { try SealedFile.seal(Data("x".utf8), for: two) }
        do {
            _ = try SealedFile.seal(Data("x".utf8), for: two)
        } catch let error as PrivacyError {
            #expect(error.description.contains("2 passphrases") && error.description.contains("at most one passphrase"))
        }
        // One passphrase beside other recipients is fine.
        let mixed = try SealedFile.seal(Data("x".utf8), for: [.passphrase("a", workFactor: 4), .key(TestKeys.raw)])
        #expect(try SealedFile.open(mixed, with: [.passphrase("a")]) == Data("x".utf8))

        // r = 0 in the stanza: malformed, so "no identity opens", not a work-limit message that raising cannot help.
        var sealed = try SealedFile.seal(Data("secret".utf8), for: [.passphrase(TestKeys.passphrase, workFactor: 4)])
        let header = try SealedFile.header(of: sealed)
        let typeLength = Int(sealed[44])
        let body = 45 + typeLength + 1 + 3  // stanza count, then the stanza's type and length
        #expect(sealed[body + 17] == 8)
        sealed[body + 17] = 0
        #expect(header.recipients == [.passphrase(log2N: 4, r: 8, p: 1)])
        #expect(try SealedFile.header(of: sealed).recipients == [.malformed(type: 2)])
        #expect(outcome(sealed, [.passphrase(TestKeys.passphrase)]).0 == .failure("no-match", chunk: nil))
    }
}
