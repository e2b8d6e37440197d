import Crypto
import CryptoExtras
import Foundation

/// The random source of DP-SGD: a ChaCha20 keystream (RFC 8439, BoringSSL's implementation through
/// swift-crypto), keyed from the operating system's CSPRNG (`getrandom`) — or, for tests and
/// reproducible experiments, from a seed.
///
/// Bits come out in keystream order: block b of 64 bytes is ChaCha20(key, nonce = 0³² ‖ ⌊b/2³²⌋ as
/// 64-bit little-endian, counter = b mod 2³²), read 4 KiB at a time. The state is the key and the
/// position, so it is `Codable` and a decoded generator continues exactly where the saved one
/// stopped. **The saved state contains the key**: anyone who reads it can predict the noise, so
/// keep it only in sealed checkpoints. A seeded generator is reproducible by design and therefore
/// gives no privacy against whoever knows the seed (``isSeeded`` says which kind it is).
public struct SecureRandomGenerator: RandomNumberGenerator, Codable, Sendable {
    /// Whether the key came from a seed (reproducible, not secret) rather than the OS.
    public let isSeeded: Bool
    /// The 256-bit ChaCha20 key.
    private let key: [UInt8]
    /// The next unread byte of the keystream (a multiple of 8).
    private var position: UInt64 = 0
    /// The 4 KiB chunk that holds `position`, once generated (not saved).
    private var chunk: [UInt8] = []
    private var chunkIndex: UInt64 = .max

    /// Bytes generated per ChaCha20 call: 64 blocks, so a call never crosses a counter wrap.
    private static let chunkBytes: UInt64 = 4096

    /// A generator keyed with 32 bytes from the operating system's CSPRNG.
    public init() {
        key = Self.systemKey()
        isSeeded = false
    }

    /// A generator with a given 256-bit key, not seeded: for a key drawn once (``systemKey()``) and
    /// shared, so that several processes — the ranks of one training run — draw the same stream.
    ///
    /// - Parameter key: 32 bytes, secret (whoever knows them can predict every draw).
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for a key that is
    ///   not 32 bytes long.
    public init(key: [UInt8]) throws {
        guard key.count == 32 else {
            throw DifferentialPrivacyError.invalidParameter(.randomKey, received: "\(key.count) bytes", valid: "give a 256-bit key (32 bytes)")
        }
        self.key = key
        isSeeded = false
    }

    /// 32 bytes from the operating system's CSPRNG: a key for ``init(key:)``.
    public static func systemKey() -> [UInt8] {
        var system = SystemRandomNumberGenerator()
        var key = [UInt8]()
        key.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: system.next().littleEndian) { key.append(contentsOf: $0) } }
        return key
    }

    /// A deterministic generator: key = SHA-256("verdant/dp-random/v1" ‖ seed as 8 little-endian
    /// bytes). The same seed gives the same stream on every machine.
    ///
    /// - Parameter seed: any 64-bit value.
    public init(seed: UInt64) {
        var hash = SHA256()
        hash.update(data: Array("verdant/dp-random/v1".utf8))
        withUnsafeBytes(of: seed.littleEndian) { hash.update(bufferPointer: $0) }
        key = Array(hash.finalize())
        isSeeded = true
    }

    /// How many bytes of keystream have been used.
    public var bytesUsed: UInt64 { position }

    /// The next 64 random bits (8 keystream bytes, little-endian).
    public mutating func next() -> UInt64 {
        // `position` is always a multiple of 8, and a chunk holds 512 such words.
        let index = position / Self.chunkBytes
        if index != chunkIndex {
            chunk = Self.keystream(key: key, chunk: index)
            chunkIndex = index
        }
        let offset = Int(position % Self.chunkBytes)
        let word = chunk.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        position += 8
        return UInt64(littleEndian: word)
    }

    /// A uniform double in (0, 1): (k + ½)·2⁻⁵³ for k a uniform 53-bit integer, so neither 0 nor 1
    /// occurs and every value has full 53-bit resolution.
    public mutating func nextUnitInterval() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1p-53
    }

    /// Keystream chunk `index`: blocks 64·index … 64·index + 63.
    static func keystream(key: [UInt8], chunk index: UInt64) -> [UInt8] {
        let block = index &* (chunkBytes / 64)
        var nonce = [UInt8](repeating: 0, count: 4)
        withUnsafeBytes(of: (block >> 32).littleEndian) { nonce.append(contentsOf: $0) }
        do {
            let output = try Insecure.ChaCha20CTR.encrypt(
                [UInt8](repeating: 0, count: Int(chunkBytes)), using: SymmetricKey(data: key),
                counter: try Insecure.ChaCha20CTR.Counter(offset: UInt32(truncatingIfNeeded: block)),
                nonce: try Insecure.ChaCha20CTR.Nonce(data: nonce))
            return [UInt8](output)
        } catch {
            // The key, nonce and counter sizes are fixed above; BoringSSL cannot refuse them.
            preconditionFailure("ChaCha20 keystream failed: \(error)")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case isSeeded, key, position
    }

    /// Decodes a saved generator: its kind, its key (64 hexadecimal digits) and its position.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidState(_:)`` for a malformed key or a position that
    ///   is not a multiple of 8; decoding errors.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        isSeeded = try container.decode(Bool.self, forKey: .isSeeded)
        let keyText = try container.decode(String.self, forKey: .key)
        guard let key = KeyText.hexBytes(Array(keyText.utf8)), key.count == 32 else {
            throw DifferentialPrivacyError.invalidState("a random generator's key must be 64 hexadecimal digits")
        }
        self.key = key
        position = try container.decode(UInt64.self, forKey: .position)
        guard position % 8 == 0 else {
            throw DifferentialPrivacyError.invalidState("a random generator's position (\(position)) must be a multiple of 8 bytes")
        }
    }

    /// Writes the state: kind, key (hexadecimal — a secret unless seeded) and position.
    ///
    /// - Throws: encoding errors.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(isSeeded, forKey: .isSeeded)
        try container.encode(key.map { String(format: "%02x", $0) }.joined(), forKey: .key)
        try container.encode(position, forKey: .position)
    }
}

extension SecureRandomGenerator: Equatable {
    /// Generators are equal when their saved state is: kind, key and position.
    public static func == (a: SecureRandomGenerator, b: SecureRandomGenerator) -> Bool {
        a.isSeeded == b.isSeeded && a.key == b.key && a.position == b.position
    }
}
