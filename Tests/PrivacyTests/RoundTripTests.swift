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

    @Test("several X25519 recipients: each identity alone opens the file, at every boundary length",
          arguments: boundaryLengths(1024) + [5000])
    func severalRecipients(length: Int) throws {
        let plaintext = pseudoRandomBytes(length, seed: 1)
        let third = X25519Identity()
        let recipients: [Recipient] = [.x25519(TestKeys.identity.recipient), .x25519(TestKeys.otherIdentity.recipient),
                                       .x25519(third.recipient)]
        let sealed = try SealedFile.seal(plaintext, for: recipients, options: SealOptions(chunkSize: 1024))
        let header = try SealedFile.header(of: sealed)
        #expect(header.recipients == [.x25519, .x25519, .x25519])
        for identity in [TestKeys.identity, TestKeys.otherIdentity, third] {
            #expect(try SealedFile.open(sealed, with: [.x25519(identity)]) == plaintext)
        }
        // A wrong key next to the right one is skipped.
        #expect(try SealedFile.open(sealed, with: [.key(TestKeys.other), .passphrase("nope"), .x25519(X25519Identity()),
                                                   .x25519(third)]) == plaintext)
        #expect(throws: PrivacyError.noMatchingIdentity(source: "<data>", stanzas: ["X25519", "X25519", "X25519"],
                                                        tried: ["key file", "passphrase", "X25519"])) {
            try SealedFile.open(sealed, with: [.key(TestKeys.other), .passphrase("nope"), .x25519(X25519Identity())])
        }
    }

    @Test("a passphrase or a key file must be the only recipient, when sealing and when opening")
    func secretsStandAlone() throws {
        let x = Recipient.x25519(TestKeys.identity.recipient)
        let phrase = Recipient.passphrase("a", workFactor: 4)
        let key = Recipient.key(TestKeys.raw)
        for recipients in [[phrase, x], [x, key], [key, .key(TestKeys.other)], [phrase, .passphrase("b", workFactor: 4)], [key, phrase]] {
            #expect(throws: PrivacyError.self) { try SealedFile.seal(Data("x".utf8), for: recipients) }
            #expect(throws: PrivacyError.self) { try SealedWriter.checkRecipients(recipients) }
        }
        #expect(throws: PrivacyError.mixedRecipients(kinds: ["X25519", "key file"])) { try SealedWriter.checkRecipients([x, key]) }
        #expect(PrivacyError.mixedRecipients(kinds: ["passphrase", "X25519", "X25519"]).description.hasPrefix(
            "a file sealed for a passphrase or a key file can have no other recipient; received passphrase, 2 × X25519."))
        for alone in [[phrase], [key], [x], [x, .x25519(TestKeys.otherIdentity.recipient)]] {
            try SealedWriter.checkRecipients(alone)
        }

        // Reading: a key-file stanza added beside an X25519 one (by a writer that ignores the rule)
        // makes the header malformed before any key is tried.
        let sealed = try deterministicSeal(Data("x".utf8), recipients: [x], chunkSize: 1024, threads: 1)
        let withKey = try deterministicSeal(Data("x".utf8), recipients: [key], chunkSize: 1024, threads: 1)
        let xHeader = try SealedFile.header(of: sealed), keyHeader = try SealedFile.header(of: withKey)
        let bytes = SealedHeader.authenticatedBytes(chunkExponent: 10, contentType: xHeader.contentType,
                                                    payloadSalt: xHeader.payloadSalt, stanzas: xHeader.stanzas + keyHeader.stanzas)
        let forged = Data(bytes + xHeader.mac) + sealed.dropFirst(xHeader.byteCount)
        #expect(throws: PrivacyError.headerMalformed(source: "<data>", detail: "a key-file stanza must be the only stanza of a header, "
                                                     + "and this one has 2 (X25519, key file); a file for a passphrase or key file may have no other recipient")) {
            try SealedFile.open(forged, with: [.x25519(TestKeys.identity)])
        }
    }

    @Test("a stanza that opens but fails the header MAC does not end the search; precedence: modified, work, no match")
    func macFailureContinues() throws {
        // Two files for the same identity with different file keys: the first's stanza, put in front
        // of the second's (header MAC of the second), gives a key under which the MAC fails.
        let one = try deterministicSeal(Data("one".utf8), recipients: [.x25519(TestKeys.identity.recipient)], chunkSize: 1024,
                                        threads: 1, fileKey: Array(repeating: 1, count: 32))
        let two = try deterministicSeal(Data("two".utf8), recipients: [.x25519(TestKeys.identity.recipient)], chunkSize: 1024,
                                        threads: 1, fileKey: Array(repeating: 2, count: 32))
        let h1 = try SealedFile.header(of: one), h2 = try SealedFile.header(of: two)
        func file(stanzas: [Stanza], key: [UInt8], payload: Data) -> Data {
            let bytes = SealedHeader.authenticatedBytes(chunkExponent: 10, contentType: h2.contentType, payloadSalt: h2.payloadSalt,
                                                        stanzas: stanzas)
            let mac = KeySchedule.headerMAC(fileKey: SymmetricKey(data: key), authenticatedBytes: bytes)
            return Data(bytes + mac) + payload
        }
        let payload = two.dropFirst(h2.byteCount)
        let good = file(stanzas: h1.stanzas + h2.stanzas, key: Array(repeating: 2, count: 32), payload: payload)
        #expect(try SealedFile.open(good, with: [.x25519(TestKeys.identity)]) == Data("two".utf8))
        // With the stanzas the other way round the good one comes first: the same result.
        let reversed = file(stanzas: h2.stanzas + h1.stanzas, key: Array(repeating: 2, count: 32), payload: payload)
        #expect(try SealedFile.open(reversed, with: [.x25519(TestKeys.identity)]) == Data("two".utf8))
        // Only the wrong stanza: it opens, the MAC fails: the header was modified (exit 6 in the CLI).
        let bad = file(stanzas: h1.stanzas, key: Array(repeating: 2, count: 32), payload: payload)
        #expect(throws: PrivacyError.headerModified(source: "<data>")) { try SealedFile.open(bad, with: [.x25519(TestKeys.identity)]) }
        // An identity that opens nothing: no match.
        #expect(throws: PrivacyError.noMatchingIdentity(source: "<data>", stanzas: ["X25519"], tried: ["X25519"])) {
            try SealedFile.open(bad, with: [.x25519(TestKeys.otherIdentity)])
        }
    }

    @Test("large chunks at one thread, read from a source: every byte sealed (a batch of one 4 MiB chunk once sealed an empty chunk and stopped reading)",
          arguments: [(4 << 20, 1), (16 << 20, 1), (4 << 20, 3)])
    func largeChunksFromSource(chunkSize: Int, threads: Int) throws {
        let plaintext = pseudoRandomBytes(2 * chunkSize + 12_345, seed: 11)
        let sealed = try deterministicSeal(plaintext, recipients: [.key(TestKeys.raw)], chunkSize: chunkSize, threads: threads,
                                           fromSource: true)
        let header = try SealedFile.header(of: sealed)
        #expect(sealed.count == header.byteCount + plaintext.count + 16 * 3)
        #expect(try SealedFile.open(sealed, with: [.key(TestKeys.raw)], options: OpenOptions(threads: threads)) == plaintext)
    }

    @Test("a reader asks its source for at most one bounded batch, whatever the thread count")
    func boundedReaderBatches() throws {
        let chunkSize = 1 << 20
        let plaintext = pseudoRandomBytes(70 << 20, seed: 3)
        let sealed = try deterministicSeal(plaintext, recipients: [.key(TestKeys.raw)], chunkSize: chunkSize, threads: 2)
        for threads in [1, 64, 4096] {
            var largest = 0, offset = 0
            let source = ByteSource { buffer in
                largest = max(largest, buffer.count)
                let n = min(buffer.count, sealed.count - offset)
                sealed.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: offset..<(offset + n))
                offset += n
                return n
            }
            var opened = 0
            let reader = try SealedReader(from: source, identities: [.key(TestKeys.raw)], options: OpenOptions(threads: threads))
            try reader.copy(to: ByteSink { opened += $0.count })
            #expect(opened == plaintext.count)
            // 32 MiB of sealed chunks (and the look-ahead byte), not threads × 4 MiB.
            #expect(largest <= ChunkCipher.maximumBatchBytes / chunkSize * (chunkSize + 16) + 1, "threads \(threads): \(largest)")
            #expect(largest >= min(threads, 32) * (chunkSize + 16) / 2, "threads \(threads): \(largest)")
        }
    }

    @Test("the bytes do not depend on the thread count or on how the plaintext is fed")
    func threadsAndPieces() throws {
        let c = 1024
        // Up to several full batches (1024 chunks of 1 KiB at 2 threads or more), so that batches are
        // sealed in the background while the previous one is written and the next one read.
        for length in [0, 1, c, 3 * c + 5, 40 * c, 40 * c + 1, 3 * 1024 * c + 77, 4 * 1024 * c] {
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

    @Test("scrypt parameters: RFC 7914's N < 2^(16r), r and p in 1...16; others make the header malformed before any work",
          arguments: [(16, 1, 1, false), (15, 1, 1, true), (10, 16, 1, true), (10, 17, 1, false), (10, 8, 16, true), (10, 8, 17, false),
                      (0, 8, 1, false), (31, 8, 1, false), (10, 0, 1, false), (10, 8, 0, false)])
    func scryptParameters(log2N: Int, r: Int, p: Int, valid: Bool) throws {
        #expect(StanzaCodec.validScryptParameters(log2N: log2N, r: r, p: p) == valid)
        #expect((StanzaCodec.scryptProblem(log2N: log2N, r: r, p: p) == nil) == valid)
        // Rewrite a passphrase file's parameters (and its MAC cannot matter: parsing fails first).
        var sealed = try SealedFile.seal(Data("secret".utf8), for: [.passphrase(TestKeys.passphrase, workFactor: 4)])
        let body = 45 + Int(sealed[44]) + 1 + 3  // stanza count, then the stanza's type and length
        #expect(sealed[body + 16] == 4 && sealed[body + 17] == 8 && sealed[body + 18] == 1)
        sealed[body + 16] = UInt8(log2N)
        sealed[body + 17] = UInt8(r)
        sealed[body + 18] = UInt8(p)
        if valid {
            #expect(try SealedFile.header(of: sealed).recipients == [.passphrase(log2N: log2N, r: r, p: p)])
        } else {
            #expect(throws: PrivacyError.self) { try SealedFile.header(of: sealed) }
            #expect(outcome(sealed, [.passphrase(TestKeys.passphrase)]).0 == .failure("header-malformed", chunk: nil))
        }
    }
}
