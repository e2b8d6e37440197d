import Crypto
import Foundation

/// A SHA-256 digest built up from a training run's parts — its settings and its data — so that a
/// checkpoint can tell whether it belongs to the run that wants to resume from it.
///
/// Numbers go in as their IEEE 754 bits (little-endian), strings as their UTF-8 bytes preceded by
/// their length, so that no two different sequences of updates give the same input to the hash.
///
/// ```swift
/// var fingerprint = RunFingerprint()
/// fingerprint.update("training features")
/// fingerprint.update(features.values)
/// print(fingerprint.hex)      // 64 hexadecimal digits
/// ```
public struct RunFingerprint: Sendable {
    private var hash = SHA256()

    /// An empty fingerprint.
    public init() {}

    /// Adds a string (its byte length, then its UTF-8 bytes).
    ///
    /// - Parameter text: any text.
    public mutating func update(_ text: String) {
        let bytes = Array(text.utf8)
        update(count: bytes.count)
        hash.update(data: bytes)
    }

    /// Adds numbers (their count, then each one's 64 bits, little-endian).
    ///
    /// - Parameter values: the numbers, in order.
    public mutating func update(_ values: [Double]) {
        update(count: values.count)
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        hash.update(data: bytes)
    }

    /// Adds a count or an integer (64 bits, little-endian).
    ///
    /// - Parameter count: any integer.
    public mutating func update(count: Int) {
        withUnsafeBytes(of: Int64(count).littleEndian) { hash.update(bufferPointer: $0) }
    }

    /// The digest so far, as 64 lowercase hexadecimal digits (the fingerprint can still be updated).
    public var hex: String {
        hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 of some bytes, as 64 lowercase hexadecimal digits.
    ///
    /// - Parameter data: the bytes.
    /// - Returns: the digest.
    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
