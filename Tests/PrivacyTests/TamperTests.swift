import Crypto
import Foundation
import Testing
@testable import Privacy

@Suite("Tampering, truncation, reordering")
struct TamperTests {
    @Test("flipping any bit of any byte of a small sealed file fails, and releases nothing it should not",
          arguments: ["key", "x25519", "passphrase"])
    func everyByte(kind: String) throws {
        let plaintext = pseudoRandomBytes(2 * 1024 + 50, seed: 11)
        let recipient: Recipient, identity: Identity
        switch kind {
        case "key": (recipient, identity) = (.key(TestKeys.raw), .key(TestKeys.raw))
        case "x25519": (recipient, identity) = (.x25519(TestKeys.identity.recipient), .x25519(TestKeys.identity))
        default: (recipient, identity) = (.passphrase(TestKeys.passphrase, workFactor: 4), .passphrase(TestKeys.passphrase))
        }
        let sealed = try SealedFile.seal(plaintext, for: [recipient], options: SealOptions(chunkSize: 1024))
        let header = try SealedFile.header(of: sealed)
        #expect(outcome(sealed, [identity]).0 == .success)
        for index in 0..<sealed.count {
            var changed = sealed
            changed[index] ^= index % 2 == 0 ? 0x01 : 0x80
            let (result, released) = outcome(changed, [identity])
            #expect(result != .success, "a change at byte \(index) of \(sealed.count) went unnoticed")
            if index < header.byteCount {
                #expect(released.isEmpty)
            } else {
                // Only chunks before the changed one may be released, and they are the original bytes.
                let chunk = (index - header.byteCount) / 1040
                #expect(released == plaintext.prefix(chunk * 1024), "byte \(index)")
                #expect(result == .failure("chunk-failed", chunk: chunk), "byte \(index)")
            }
        }
    }

    @Test("truncation at every chunk boundary and inside every chunk fails")
    func truncation() throws {
        let c = 1024
        let plaintext = pseudoRandomBytes(4 * c + 100, seed: 5)
        let sealed = try SealedFile.seal(plaintext, for: [.key(TestKeys.raw)], options: SealOptions(chunkSize: c))
        let header = try SealedFile.header(of: sealed)
        var cuts: [Int] = [0, 1, 15, 16, 17, 500, 1039]
        for k in 1...4 {
            let boundary: Int = k * 1040
            cuts += [boundary - 1, boundary, boundary + 1, boundary + 16]
        }
        for cut in cuts {
            let length = header.byteCount + cut
            guard length < sealed.count else { continue }
            let (result, released) = outcome(sealed.prefix(length), [.key(TestKeys.raw)], threads: 2)
            #expect(result != Outcome.success, "cut after \(cut) payload bytes")
            if cut > 0, cut % 1040 == 0 {
                #expect(result == .failure("truncated", chunk: cut / 1040 - 1))
            }
            #expect(released == plaintext.prefix(released.count))
            #expect(released.count <= (cut / 1040) * c)
        }
        for cut in [0, 10, 11, 12, 30, header.byteCount - 1] {
            #expect(outcome(sealed.prefix(cut), [.key(TestKeys.raw)]).0 != .success)
        }
    }

    @Test("swapped, duplicated, dropped and foreign chunks fail at the first wrong chunk")
    func reordering() throws {
        let c = 1024, s = c + 16
        let plaintext = pseudoRandomBytes(4 * c + 100, seed: 6)
        let sealed = try SealedFile.seal(plaintext, for: [.key(TestKeys.raw)], options: SealOptions(chunkSize: c))
        let other = try SealedFile.seal(plaintext, for: [.key(TestKeys.raw)], options: SealOptions(chunkSize: c))
        let h = try SealedFile.header(of: sealed).byteCount
        let head = sealed.prefix(h)
        func chunk(_ i: Int, of data: Data = sealed) -> Data { data.subdata(in: (h + i * s)..<min(data.count, h + (i + 1) * s)) }
        let cases: [(String, Data, Outcome)] = [
            ("swap 1 and 2", head + chunk(0) + chunk(2) + chunk(1) + chunk(3) + chunk(4), .failure("chunk-failed", chunk: 1)),
            ("swap 3 and final", head + chunk(0) + chunk(1) + chunk(2) + chunk(4) + chunk(3), .failure("chunk-failed", chunk: 3)),
            ("duplicate 2", head + chunk(0) + chunk(1) + chunk(2) + chunk(2) + chunk(3) + chunk(4), .failure("chunk-failed", chunk: 3)),
            ("drop 1", head + chunk(0) + chunk(2) + chunk(3) + chunk(4), .failure("chunk-failed", chunk: 1)),
            ("chunk 2 from another file", head + chunk(0) + chunk(1) + chunk(2, of: other) + chunk(3) + chunk(4),
             .failure("chunk-failed", chunk: 2)),
            ("another file's header", other.prefix(h) + sealed.dropFirst(h), .failure("chunk-failed", chunk: 0)),
            ("final chunk appended twice", sealed + chunk(4), .failure("chunk-failed", chunk: 4)),
        ]
        for (name, data, expected) in cases {
            let (result, released) = outcome(Data(data), [.key(TestKeys.raw)], threads: 2)
            #expect(result == expected, "\(name)")
            #expect(released == plaintext.prefix(released.count), "\(name)")
        }
        // A full final chunk followed by anything: appended data.
        let even = pseudoRandomBytes(2 * c, seed: 8)
        let evenSealed = try SealedFile.seal(even, for: [.key(TestKeys.raw)], options: SealOptions(chunkSize: c))
        for extra in [Data([0]), Data(count: 16), pseudoRandomBytes(2000, seed: 9)] {
            #expect(outcome(evenSealed + extra, [.key(TestKeys.raw)]).0 == .failure("trailing-data", chunk: 1))
        }
    }
}
