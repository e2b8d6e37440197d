import CAEAD
import Crypto

/// AES-256-GCM that seals into and opens into the caller's memory (BoringSSL's EVP_AEAD through
/// the `CAEAD` shim; see its header for why). The same cipher, nonce and tag as swift-crypto's
/// `AES.GCM` — a chunk sealed by one opens with the other — without the two allocations and two
/// copies swift-crypto makes per call, which on 256 KiB chunks cost as much as the cipher itself.
///
/// The key schedule is built once; `seal` and `open` may run on several threads at once.
package final class InPlaceAESGCM: @unchecked Sendable {
    /// The tag's length, appended to every ciphertext.
    package static let tagBytes = 16

    private let context: OpaquePointer

    /// A context for a 256-bit key.
    /// - Returns: nil if `key` is not 256 bits (or BoringSSL refused it, which it does not).
    package init?(key: SymmetricKey) {
        guard key.bitCount == 256 else { return nil }
        guard let context = key.withUnsafeBytes({ raw -> OpaquePointer? in
            verdant_aead_new(raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }) else { return nil }
        self.context = context
    }

    deinit { verdant_aead_free(context) }

    /// Seals `plain` into `sealed` as ciphertext ‖ tag (`sealed.count` must be `plain.count + 16`;
    /// `sealed` may start where `plain` does).
    /// - Returns: false if the sizes disagree or AES-GCM failed (it does not on valid sizes).
    package func seal(_ plain: UnsafeRawBufferPointer, into sealed: UnsafeMutableRawBufferPointer, nonce: AES.GCM.Nonce,
                      authenticating associatedData: [UInt8]) -> Bool
    {
        guard sealed.count == plain.count + Self.tagBytes, let out = sealed.baseAddress else { return false }
        // BoringSSL wants a non-null input pointer even for an empty chunk.
        var spare: UInt8 = 0
        return withUnsafeMutablePointer(to: &spare) { spare in
            let input = plain.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(spare)
            return nonce.withUnsafeBytes { n in
                associatedData.withUnsafeBufferPointer { ad in
                    verdant_aead_seal(context, out.assumingMemoryBound(to: UInt8.self), n.bindMemory(to: UInt8.self).baseAddress,
                                      input, plain.count, ad.baseAddress, ad.count) == 1
                }
            }
        }
    }

    /// Opens `sealed` (ciphertext ‖ tag) into `plain` (`plain.count` must be `sealed.count − 16`;
    /// `plain` may start where `sealed` does).
    /// - Returns: whether the tag authenticated; on false `plain`'s contents are unspecified.
    package func open(_ sealed: UnsafeRawBufferPointer, into plain: UnsafeMutableRawBufferPointer, nonce: AES.GCM.Nonce,
                      authenticating associatedData: [UInt8]) -> Bool
    {
        guard sealed.count >= Self.tagBytes, plain.count == sealed.count - Self.tagBytes, let input = sealed.baseAddress else {
            return false
        }
        // BoringSSL wants a non-null output pointer even for an empty chunk.
        var spare: UInt8 = 0
        return withUnsafeMutablePointer(to: &spare) { spare in
            let out = plain.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? spare
            return nonce.withUnsafeBytes { n in
                associatedData.withUnsafeBufferPointer { ad in
                    verdant_aead_open(context, out, n.bindMemory(to: UInt8.self).baseAddress,
                                      input.assumingMemoryBound(to: UInt8.self), sealed.count, ad.baseAddress, ad.count) == 1
                }
            }
        }
    }
}
