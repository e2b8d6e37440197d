import Crypto
import CryptoExtras
import Foundation
import Testing
@testable import Privacy

/// HKDF-SHA256 written out from RFC 5869 on top of HMAC, independently of `KeySchedule`:
/// PRK = HMAC(salt or 32 zero bytes, IKM); T(i) = HMAC(PRK, T(i−1) || info || i); OKM = T(1) || T(2) …
func referenceHKDF(ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
    let prk = Array(HMAC<SHA256>.authenticationCode(for: ikm, using: SymmetricKey(data: salt.isEmpty ? [UInt8](repeating: 0, count: 32) : salt)))
    var output: [UInt8] = [], block: [UInt8] = []
    var counter: UInt8 = 1
    while output.count < length {
        block = Array(HMAC<SHA256>.authenticationCode(for: block + info + [counter], using: SymmetricKey(data: prk)))
        output += block
        counter += 1
    }
    return Array(output.prefix(length))
}

@Suite("The file matches the spec, by a second computation")
struct IndependentComputationTests {
    @Test("RFC 5869 test case 1 checks the reference HKDF itself")
    func referenceHKDFVector() {
        // RFC 5869, A.1.
        let okm = referenceHKDF(ikm: [UInt8](repeating: 0x0B, count: 22), salt: hex("000102030405060708090a0b0c"),
                                info: hex("f0f1f2f3f4f5f6f7f8f9"), length: 42)
        #expect(hexString(okm) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    @Test("header fields, key-file wrap, header MAC and every chunk, recomputed from docs/sealed-format.md")
    func recompute() throws {
        let c = 1024
        let plaintext = pseudoRandomBytes(2 * c + 300, seed: 21)
        let fileKey: [UInt8] = (0..<32).map { UInt8(200 - $0) }
        let sealed = Array(try deterministicSeal(plaintext, recipients: [.key(TestKeys.raw)], chunkSize: c, threads: 2,
                                                 contentType: "model/verdant", fileKey: fileKey))
        // Salts drawn by deterministicSeal: first call (stanza salt, 16 bytes) is all 1s, second (payload salt, 32) all 2s.
        let stanzaSalt = [UInt8](repeating: 1, count: 16), payloadSalt = [UInt8](repeating: 2, count: 32)

        // Header layout, by offset.
        #expect(Array(sealed[0..<8]) == [0x89, 0x56, 0x53, 0x45, 0x41, 0x4C, 0x0D, 0x0A])
        #expect(sealed[8] == 1)
        #expect(sealed[9] == 10)
        let headerLength = Int(sealed[10]) << 8 | Int(sealed[11])
        #expect(Array(sealed[12..<44]) == payloadSalt)
        #expect(sealed[44] == 13)
        #expect(String(decoding: sealed[45..<58], as: UTF8.self) == "model/verdant")
        #expect(sealed[58] == 1)  // one stanza
        #expect(Array(sealed[59..<62]) == [0x03, 0x00, 64])  // type 03, body length 64
        #expect(Array(sealed[62..<78]) == stanzaSalt)
        #expect(headerLength == 78 + 48 + 32)

        // The key-file stanza wraps the file key under HKDF(key, salt, "verdant-sealed/v1 key-file").
        let wrapKey = referenceHKDF(ikm: Array(0..<32), salt: stanzaSalt, info: Array("verdant-sealed/v1 key-file".utf8), length: 32)
        let wrapped = Array(sealed[78..<126])
        let unwrapped = try AES.GCM.open(try AES.GCM.SealedBox(nonce: try AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12)),
                                                               ciphertext: wrapped[0..<32], tag: wrapped[32..<48]),
                                         using: SymmetricKey(data: wrapKey))
        #expect(Array(unwrapped) == fileKey)

        // Header MAC = HMAC(HKDF(file key, "", "verdant-sealed/v1 header"), header bytes before the MAC).
        let headerKey = referenceHKDF(ikm: fileKey, salt: [], info: Array("verdant-sealed/v1 header".utf8), length: 32)
        let mac = HMAC<SHA256>.authenticationCode(for: sealed[0..<(headerLength - 32)], using: SymmetricKey(data: headerKey))
        #expect(Array(mac) == Array(sealed[(headerLength - 32)..<headerLength]))

        // Chunk i = AES-256-GCM(payload key, i as 11 bytes || last flag, chunk).
        let payloadKey = SymmetricKey(data: referenceHKDF(ikm: fileKey, salt: payloadSalt,
                                                          info: Array("verdant-sealed/v1 payload".utf8), length: 32))
        var offset = headerLength
        var opened: [UInt8] = []
        for index in 0..<3 {
            let last = index == 2
            let length = last ? 300 + 16 : c + 16
            let chunk = sealed[offset..<(offset + length)]
            var nonce = [UInt8](repeating: 0, count: 11)
            nonce[10] = UInt8(index)
            nonce.append(last ? 1 : 0)
            let box = try AES.GCM.SealedBox(nonce: try AES.GCM.Nonce(data: nonce), ciphertext: chunk.dropLast(16), tag: chunk.suffix(16))
            opened += Array(try AES.GCM.open(box, using: payloadKey))
            offset += length
        }
        #expect(offset == sealed.count)
        #expect(Data(opened) == plaintext)
    }

    @Test("an X25519 stanza opens with HPKE set up by hand from the spec")
    func x25519Stanza() throws {
        let sealed = Array(try SealedFile.seal(Data("x".utf8), for: [.x25519(TestKeys.identity.recipient)]))
        // Content type "application/octet-stream" (24 bytes): the stanza starts at 12 + 32 + 1 + 24 + 1 = 70.
        #expect(Array(sealed[70..<73]) == [0x01, 0x00, 80])
        let body = sealed[73..<153]
        var receiver = try HPKE.Recipient(privateKey: TestKeys.identity.privateKey,
                                          ciphersuite: HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256),
                                          info: Data("verdant-sealed/v1 x25519".utf8), encapsulatedKey: Data(body.prefix(32)))
        let fileKey = try receiver.open(body.dropFirst(32), authenticating: Data())
        #expect(fileKey.count == 32)
        let headerLength = Int(sealed[10]) << 8 | Int(sealed[11])
        let headerKey = referenceHKDF(ikm: Array(fileKey), salt: [], info: Array("verdant-sealed/v1 header".utf8), length: 32)
        #expect(HMAC<SHA256>.isValidAuthenticationCode(Array(sealed[(headerLength - 32)..<headerLength]),
                                                       authenticating: sealed[0..<(headerLength - 32)], using: SymmetricKey(data: headerKey)))
    }

    @Test("a passphrase stanza's wrap key is scrypt(passphrase, \"verdant-sealed/v1 scrypt\" || salt) (RFC 7914 checked first)")
    func passphraseStanza() throws {
        // RFC 7914 §12, second vector: scrypt("password", "NaCl", N = 1024, r = 8, p = 16, 64).
        let rfc = try StanzaCodec.passphraseWrapKey("password", salt: Array("NaCl".utf8)[...], log2N: 10, r: 8, p: 16)
        #expect(rfc.bitCount == 256)
        let direct = try KDF.Scrypt.deriveKey(from: Array("password".utf8), salt: Array("NaCl".utf8), outputByteCount: 64,
                                              rounds: 1024, blockSize: 8, parallelism: 16)
        #expect(direct.withUnsafeBytes { hexString($0) }
                == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
        // The prefix is part of the salt: without it the wrap key differs.
        #expect(rfc.withUnsafeBytes { Array($0) } != Array(direct.withUnsafeBytes { Array($0) }.prefix(32)))

        let sealed = Array(try deterministicSeal(Data("y".utf8), recipients: [.passphrase("pw", workFactor: 5)], chunkSize: 1024,
                                                 threads: 1, fileKey: Array(repeating: 9, count: 32)))
        // Stanza body at 70 + 3: salt (all 1s), log2N, r, p, wrapped.
        let body = sealed[73..<140]
        #expect(Array(body.prefix(16)) == [UInt8](repeating: 1, count: 16))
        #expect(Array(body[89..<92]) == [5, 8, 1])
        let key = try KDF.Scrypt.deriveKey(from: Array("pw".utf8), salt: Array("verdant-sealed/v1 scrypt".utf8) + [UInt8](repeating: 1, count: 16),
                                           outputByteCount: 32, rounds: 32, blockSize: 8, parallelism: 1)
        let wrapped = Array(body.suffix(48))
        let fileKey = try AES.GCM.open(try AES.GCM.SealedBox(nonce: try AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12)),
                                                             ciphertext: wrapped.prefix(32), tag: wrapped.suffix(16)), using: key)
        #expect(Array(fileKey) == [UInt8](repeating: 9, count: 32))
    }
}
