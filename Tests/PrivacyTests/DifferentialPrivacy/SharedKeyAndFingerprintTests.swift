import Crypto
import Foundation
import Testing
@testable import Privacy

@Suite("Shared generator keys and run fingerprints")
struct SharedKeyAndFingerprintTests {
    @Test("a generator keyed with given bytes draws the ChaCha20 stream of that key (the fixture's, from Python cryptography)")
    func keyedGenerator() throws {
        let fixture = try dpFixture("stream.json")
        let keyText = try #require(fixture["key"] as? String)
        let key = try #require(KeyText.hexBytes(Array(keyText.utf8)))
        var generator = try SecureRandomGenerator(key: key)
        #expect(!generator.isSeeded)
        let words = try #require(fixture["words"] as? [String: String])
        var drawn: [UInt64] = []
        for _ in 0..<1100 { drawn.append(generator.next()) }
        for (index, hex) in words {
            let position = try #require(Int(index))
            #expect(String(drawn[position], radix: 16).leftPadding(16) == hex, "word \(index)")
        }
        #expect(throws: DifferentialPrivacyError.invalidParameter(.randomKey, received: "31 bytes", valid: "give a 256-bit key (32 bytes)")) {
            _ = try SecureRandomGenerator(key: [UInt8](repeating: 1, count: 31))
        }
        let a = SecureRandomGenerator.systemKey(), b = SecureRandomGenerator.systemKey()
        #expect(a.count == 32 && b.count == 32 && a != b)
        // Two generators with one key draw the same stream (what every rank of a run relies on).
        var first = try SecureRandomGenerator(key: a), second = try SecureRandomGenerator(key: a)
        #expect((0..<600).map { _ in first.next() } == (0..<600).map { _ in second.next() })
    }

    @Test("fingerprints: SHA-256 of length-prefixed parts (checked against Crypto's SHA-256 of the same bytes); parts cannot run together")
    func fingerprints() throws {
        // FIPS 180-2's "abc".
        #expect(RunFingerprint.sha256(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var fingerprint = RunFingerprint()
        fingerprint.update("ab")
        fingerprint.update([1.5, -0.0])
        var bytes: [UInt8] = []
        func int(_ value: Int64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        int(2)
        bytes += Array("ab".utf8)
        int(2)
        for value in [1.5, -0.0] { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        #expect(fingerprint.hex == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
        var split1 = RunFingerprint(), split2 = RunFingerprint()
        split1.update("ab"); split1.update("c")
        split2.update("a"); split2.update("bc")
        #expect(split1.hex != split2.hex)
        var zero = RunFingerprint(), negativeZero = RunFingerprint()
        zero.update([0.0])
        negativeZero.update([-0.0])
        #expect(zero.hex != negativeZero.hex && zero.hex.count == 64)
    }
}
