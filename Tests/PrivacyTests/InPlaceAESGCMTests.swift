import Crypto
import Foundation
import Testing
@testable import Privacy

/// The in-place AES-256-GCM (BoringSSL through the CAEAD shim) against the published GCM vector and
/// against swift-crypto's `AES.GCM`, which the encrypted communicator's other messages use.
@Suite struct InPlaceAESGCMTests {
    /// McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 60 bytes
    /// of plaintext, 20 bytes of associated data).
    @Test func publishedVector() throws {
        let key = SymmetricKey(data: hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let nonce = try AES.GCM.Nonce(data: hex("cafebabefacedbaddecaf888"))
        let plain = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let associated = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let expected = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            + "76fc6ece0f4e1768cddf8853bb2d551b"
        let cipher = try #require(InPlaceAESGCM(key: key))
        var sealed = [UInt8](repeating: 0, count: plain.count + 16)
        let sealedOK = plain.withUnsafeBytes { p in
            sealed.withUnsafeMutableBytes { cipher.seal(p, into: $0, nonce: nonce, authenticating: associated) }
        }
        #expect(sealedOK)
        #expect(hexString(sealed) == expected)
        var opened = [UInt8](repeating: 0, count: plain.count)
        let openedOK = sealed.withUnsafeBytes { s in
            opened.withUnsafeMutableBytes { cipher.open(s, into: $0, nonce: nonce, authenticating: associated) }
        }
        #expect(openedOK)
        #expect(opened == plain)
    }

    /// Sealed here opens with swift-crypto and the other way round, for chunk sizes around the
    /// cipher's 16-byte blocks and its wide batches (empty chunks included), in place and not.
    @Test(arguments: [0, 1, 15, 16, 17, 255, 256, 1000, 4096 + 3, 262_144])
    func agreesWithSwiftCrypto(size: Int) throws {
        let key = SymmetricKey(size: .bits256)
        let cipher = try #require(InPlaceAESGCM(key: key))
        var generator = SystemRandomNumberGenerator()
        let plain = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let associated = Array("VC chunk \(size)".utf8)
        let nonce = AES.GCM.Nonce()

        // Ours → swift-crypto.
        var sealed = [UInt8](repeating: 0, count: size + 16)
        let sealedOK = plain.withUnsafeBytes { p in
            sealed.withUnsafeMutableBytes { cipher.seal(p, into: $0, nonce: nonce, authenticating: associated) }
        }
        #expect(sealedOK)
        let box = try AES.GCM.SealedBox(nonce: nonce, ciphertext: sealed[0..<size], tag: sealed[size...])
        #expect(Array(try AES.GCM.open(box, using: key, authenticating: associated)) == plain)
        let reference = try AES.GCM.seal(plain, using: key, nonce: nonce, authenticating: associated)
        #expect(Array(reference.ciphertext) + Array(reference.tag) == sealed)

        // swift-crypto → ours, opened in place (output where the input starts).
        var buffer = Array(reference.ciphertext) + Array(reference.tag)
        let openedOK = buffer.withUnsafeMutableBytes { raw in
            cipher.open(UnsafeRawBufferPointer(raw), into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<size]), nonce: nonce,
                        authenticating: associated)
        }
        #expect(openedOK)
        #expect(Array(buffer[0..<size]) == plain)
    }

    /// A flipped bit anywhere (ciphertext, tag, associated data, nonce), a wrong key or a wrong
    /// size is refused.
    @Test func refusesTamperingAndWrongSizes() throws {
        let key = SymmetricKey(size: .bits256)
        let cipher = try #require(InPlaceAESGCM(key: key))
        let other = try #require(InPlaceAESGCM(key: SymmetricKey(size: .bits256)))
        let plain = [UInt8](repeating: 0x5A, count: 100)
        let associated: [UInt8] = [1, 2, 3]
        let nonce = try AES.GCM.Nonce(data: [UInt8](repeating: 7, count: 12))
        var sealed = [UInt8](repeating: 0, count: 116)
        let sealedOK = plain.withUnsafeBytes { p in
            sealed.withUnsafeMutableBytes { cipher.seal(p, into: $0, nonce: nonce, authenticating: associated) }
        }
        #expect(sealedOK)
        func opens(_ bytes: [UInt8], with c: InPlaceAESGCM = cipher, nonce n: AES.GCM.Nonce = nonce,
                   associated a: [UInt8] = associated, into count: Int = 100) -> Bool
        {
            var out = [UInt8](repeating: 0, count: count)
            return bytes.withUnsafeBytes { s in out.withUnsafeMutableBytes { c.open(s, into: $0, nonce: n, authenticating: a) } }
        }
        #expect(opens(sealed))
        for position in [0, 50, 99, 100, 115] {
            var tampered = sealed
            tampered[position] ^= 0x01
            #expect(!opens(tampered), "a flipped bit at byte \(position) was accepted")
        }
        #expect(!opens(sealed, associated: [1, 2, 4]))
        #expect(!opens(sealed, nonce: try AES.GCM.Nonce(data: [UInt8](repeating: 8, count: 12))))
        #expect(!opens(sealed, with: other))
        #expect(!opens(sealed, into: 99))
        #expect(!opens(Array(sealed[0..<15]), into: 0))
        var short = [UInt8](repeating: 0, count: 115)
        let wrongSize = plain.withUnsafeBytes { p in
            short.withUnsafeMutableBytes { cipher.seal(p, into: $0, nonce: nonce, authenticating: associated) }
        }
        #expect(!wrongSize)
        #expect(InPlaceAESGCM(key: SymmetricKey(size: .bits128)) == nil)
    }
}
