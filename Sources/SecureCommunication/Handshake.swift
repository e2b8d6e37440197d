import Communication
import Crypto
import Foundation

// The handshake both secure layers start with (docs/secure-distributed.md, "Handshake"):
//
//   1. every rank draws an ephemeral X25519 key pair e_i and allgathers its public key E_i;
//   2. transcript T = SHA-256(label ‖ size ‖ E_0 ‖ … ‖ E_{n−1});
//   3. for each pair i < j: K_ij = HKDF-SHA256(ikm = X25519(e_i, E_j), salt = cluster key
//      (or a fixed label without one), info = label ‖ T ‖ i ‖ j), and from K_ij one subkey per
//      purpose and direction (HKDF again, info = purpose ‖ from ‖ to);
//   4. key confirmation: rank i sends HMAC-SHA256(confirm key i→j, T) to every j (one allgather),
//      each rank checks the tags addressed to it, and the ranks agree on the outcome, so that a
//      wrong cluster key or a changed public key stops every rank before any data moves.
//
// A host without the cluster key cannot compute any K_ij (the key is HKDF's salt), so it can
// neither read nor forge traffic, nor pass key confirmation — also not by replacing public keys in
// the middle. The ephemeral keys are forgotten after the handshake: recording the traffic and
// learning the cluster key later does not open it (forward secrecy).

/// The pairwise keys of one rank after the handshake.
struct PairwiseKeys: Sendable {
    let rank: Int
    let size: Int
    /// K_ij for every peer j (nil at this rank's own index).
    private let pairKeys: [SymmetricKey?]
    /// The handshake transcript's hash.
    let transcript: [UInt8]

    /// Runs the handshake over `communicator` (every rank must call it at the same point).
    /// - Parameters:
    ///   - label: the layer's domain-separation label ("verdant/traffic/v1", "verdant/secagg/v1").
    ///   - clusterKey: the pre-shared key that authenticates the group (nil: none, which protects
    ///     against curious ranks but not against a host in the middle).
    /// - Throws: ``SecureCommunicationError/handshakeFailed(rank:peer:reason:layer:)`` on the rank that
    ///   could not authenticate a peer, ``CommunicationError/rankFailed(rank:message:status:)`` on the
    ///   others; communication errors.
    /// The layer a handshake label belongs to, as its errors name it.
    static func layer(_ label: String) -> String {
        label.hasPrefix("verdant/secagg/") ? "secure aggregation" : "encrypted traffic"
    }

    static func establish(over communicator: any Communicator, label: String, clusterKey: SymmetricKey?) throws -> PairwiseKeys {
        let rank = communicator.rank, size = communicator.size
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let publicKeys = try communicator.allgather(Array(ephemeral.publicKey.rawRepresentation))

        var hash = SHA256()
        hash.update(data: Array(label.utf8))
        withUnsafeBytes(of: UInt64(size).littleEndian) { hash.update(bufferPointer: $0) }
        for key in publicKeys { hash.update(data: key) }
        let transcript = Array(hash.finalize())

        let salt: [UInt8] = clusterKey.map { key in key.withUnsafeBytes { Array($0) } } ?? Array((label + "/no-cluster-key").utf8)
        var keys: [SymmetricKey?] = Array(repeating: nil, count: size)
        let derived = Result { () throws -> [SymmetricKey?] in
            for peer in 0..<size where peer != rank {
                guard publicKeys[peer].count == 32,
                      let theirs = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKeys[peer]),
                      let shared = try? ephemeral.sharedSecretFromKeyAgreement(with: theirs)
                else {
                    throw SecureCommunicationError.handshakeFailed(rank: rank, peer: peer, reason: "its public key is not a valid X25519 key", layer: layer(label))
                }
                let info = Array(label.utf8) + transcript + pairBytes(min(rank, peer), max(rank, peer))
                keys[peer] = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: salt, sharedInfo: info, outputByteCount: 32)
            }
            return keys
        }
        keys = try agreeing(communicator) { try derived.get() }
        let result = PairwiseKeys(rank: rank, size: size, pairKeys: keys, transcript: transcript)

        // Key confirmation: one tag per peer, in peer order.
        var tags: [UInt8] = []
        for peer in 0..<size where peer != rank {
            tags += Array(HMAC<SHA256>.authenticationCode(for: transcript, using: result.key("confirm", from: rank, to: peer)))
        }
        let allTags = try communicator.allgather(tags)
        try agreeing(communicator) {
            for peer in 0..<size where peer != rank {
                let slot = rank < peer ? rank : rank - 1
                let tags = allTags[peer]
                guard tags.count == 32 * (size - 1) else {
                    throw SecureCommunicationError.handshakeFailed(rank: rank, peer: peer, reason: "it sent \(tags.count) bytes of key confirmation", layer: layer(label))
                }
                let tag = Array(tags[(32 * slot)..<(32 * slot + 32)])
                guard HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: transcript, using: result.key("confirm", from: peer, to: rank)) else {
                    throw SecureCommunicationError.handshakeFailed(rank: rank, peer: peer, reason: "its key confirmation did not verify", layer: layer(label))
                }
            }
        }
        return result
    }

    /// The subkey for `purpose` on the direction `from → to` (for a symmetric purpose, pass the
    /// pair in either order and the same direction on both sides).
    func key(_ purpose: String, from: Int, to: Int) -> SymmetricKey {
        let peer = from == rank ? to : from
        precondition(peer != rank && (0..<size).contains(peer), "no pairwise key for \(from) → \(to) on rank \(rank)")
        guard let pairKey = pairKeys[peer] else { preconditionFailure("no pairwise key for peer \(peer)") }
        return HKDF<SHA256>.deriveKey(inputKeyMaterial: pairKey, info: Array(purpose.utf8) + pairBytes(from, to), outputByteCount: 32)
    }
}

/// Two ranks as 8 little-endian bytes (4 each), for HKDF's info and AES-GCM's associated data.
func pairBytes(_ a: Int, _ b: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt32(truncatingIfNeeded: a).littleEndian) { bytes += $0 }
    withUnsafeBytes(of: UInt32(truncatingIfNeeded: b).littleEndian) { bytes += $0 }
    return bytes
}
