import Communication
import Foundation
import Privacy

/// How the ranks of a job talk: in the clear, with every payload sealed (``EncryptedCommunicator``),
/// with sums masked (``SecureAggregationCommunicator``), or both — the one place that stacks the
/// layers, so every command and every Swift caller gets them in the same order.
///
/// The order is fixed: the masking layer sits on top of the encrypting one, so the masked vectors
/// are sealed on the wire too, and every other collective (kernel tiles, agreements, broadcasts)
/// is sealed.
public struct SecureLayers: Sendable, Equatable {
    /// Seal every payload between ranks with AES-256-GCM (needs ``clusterKeyPath``).
    public var encryptTraffic: Bool
    /// Mask every sum of `Double` values (gradients) so that no rank sees another's.
    public var secureAggregation: Bool
    /// The cluster key file (32 raw bytes or 64 hexadecimal digits), the same on every rank.
    public var clusterKeyPath: String?

    /// Layers as given.
    /// - Parameters:
    ///   - encryptTraffic: seal every payload (needs `clusterKeyPath`).
    ///   - secureAggregation: mask sums.
    ///   - clusterKeyPath: the cluster key file; with secure aggregation alone it authenticates the
    ///     handshake of the mask seeds.
    public init(encryptTraffic: Bool = false, secureAggregation: Bool = false, clusterKeyPath: String? = nil) {
        self.encryptTraffic = encryptTraffic
        self.secureAggregation = secureAggregation
        self.clusterKeyPath = clusterKeyPath
    }

    /// Whether any layer is on.
    public var isEmpty: Bool { !encryptTraffic && !secureAggregation }

    /// Refuses settings that cannot work or would protect less than they say: a layer without a
    /// cluster key (encryption has no keys without one, and secure aggregation's handshake would
    /// not be authenticated, so a host in the middle of it could learn the masks), and a cluster
    /// key that nothing uses.
    /// - Parameter offersSecureAggregation: whether the command has `--secure-aggregation` (the
    ///   message for an unused key names only the options the command has).
    /// - Throws: ``SecureCommunicationError/invalidArgument(_:)``.
    public func check(offersSecureAggregation: Bool = true) throws {
        let howToMakeOne = "(make one with `verdant keygen --cluster-key -o cluster.key` and give the same file to every rank)"
        if encryptTraffic, clusterKeyPath == nil {
            throw SecureCommunicationError.invalidArgument(
                "--encrypt-traffic needs --cluster-key FILE: the key every rank holds, which authenticates the ranks to each other "
                    + howToMakeOne)
        }
        if secureAggregation, clusterKeyPath == nil {
            throw SecureCommunicationError.invalidArgument(
                "--secure-aggregation needs --cluster-key FILE: the ranks agree on their masks in a handshake that only the key "
                    + "every rank holds authenticates; without it a host in the middle of the handshake could learn the masks "
                    + howToMakeOne)
        }
        if let path = clusterKeyPath, isEmpty {
            let options = offersSecureAggregation ? "--encrypt-traffic or --secure-aggregation; add one of them" : "--encrypt-traffic; add it"
            throw SecureCommunicationError.invalidArgument("--cluster-key \(path) is used only with \(options), or drop --cluster-key")
        }
    }

    /// `world` with the layers on top (the same communicator when none is on). Every rank must
    /// call it at the same point, with the same settings and the same cluster key.
    /// - Parameter world: the communicator of the job's ranks.
    /// - Returns: the communicator the job should use.
    /// - Throws: ``SecureCommunicationError/invalidArgument(_:)`` (see ``check()``); `PrivacyError`
    ///   for a cluster key file that cannot be read or is not a key;
    ///   ``SecureCommunicationError/handshakeFailed(rank:peer:reason:layer:)`` when the ranks hold
    ///   different keys; the communicator's errors.
    public func wrap(_ world: any Communicator) throws -> any Communicator {
        try check()
        if isEmpty { return world }
        // Every rank reads its key first and tells the others whether it could, so that a missing
        // file on one node stops every rank with that file's error instead of a hang.
        let key = try agreeing(world) { try clusterKeyPath.map { try RawKey(contentsOfFile: $0) } }
        var communicator = world
        if encryptTraffic, let key { communicator = try EncryptedCommunicator(wrapping: communicator, clusterKey: key) }
        if secureAggregation { communicator = try SecureAggregationCommunicator(wrapping: communicator, clusterKey: key) }
        return communicator
    }
}

extension RawKey {
    /// A random key drawn on rank 0 and broadcast **in the clear** to every rank: for benchmarks
    /// that measure the encrypted layer's cost (`verdant bench --suite parallel`), never for a job
    /// whose traffic must be protected.
    /// - Parameter communicator: the ranks that share the key.
    /// - Returns: the same key on every rank.
    /// - Throws: the communicator's errors.
    public static func throwawayClusterKey(over communicator: any Communicator) throws -> RawKey {
        let bytes = communicator.rank == 0 ? RawKey().bytes.map { $0 } : [UInt8](repeating: 0, count: 32)
        return try RawKey(bytes: communicator.size > 1 ? try communicator.broadcast(bytes, from: 0) : bytes)
    }
}
