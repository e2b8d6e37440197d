import Communication
import Crypto
import Foundation
import Privacy

/// A communicator whose sums of `Double` values reveal only the sum: each rank's contribution is
/// turned into fixed point and hidden under pairwise masks that cancel in the sum (Bonawitz et al.,
/// "Practical Secure Aggregation", without the dropout recovery) — a decorator, so that the code
/// above it does not change.
///
/// `allreduce(_:.sum)` of `Double` is the masked sum; every other operation (other element types,
/// `min`/`max`, `allgather`, `broadcast`, …) goes to the wrapped communicator unchanged, so wrap an
/// ``EncryptedCommunicator`` to protect those on the wire too (the CLI does, with
/// `--encrypt-traffic`). Work spread over ranks (`reproducibleSum`) sees this communicator's
/// ``AggregatesPrivately`` conformance and sums each rank's share locally before one masked
/// allreduce, so that no per-sample or per-block value leaves a rank.
///
/// **Quantisation.** A value x becomes the integer q = round(x·2^f) (f = ``fractionBits``,
/// default 32: a resolution of 2^−32 ≈ 2.3·10^−10), carried as two 64-bit words: its high part
/// h = ⌊q/2^32⌋ in two's complement and its low part l = q − h·2^32 in [0, 2^32). Each rank checks
/// |h| ≤ (2^63 − 1)/n for n ranks, so the sum of the n high parts cannot leave the signed 64-bit
/// range, and the sum of n low parts stays below n·2^32 < 2^64: both sums mod 2^64 *are* the sums.
/// The range is |x| ≤ ``bound`` ≈ 2^(95−f)/n (with f = 32: 4.6·10^18 on 2 ranks, 1.2·10^18 on 8),
/// wide enough for sums of squares of raw data (a salary column's Σ(x − x̄)² is about 10^10; one
/// 64-bit word, the earlier form, stopped at 2^30 ≈ 1.07·10^9 on 2 ranks). The result differs from
/// the exact sum of the ranks' values by at most n·2^−(f+1) per entry (rounding), plus Double's
/// own rounding of values beyond 2^53·2^−f, and is the same on every rank.
///
/// **Masks.** For each pair i < j, a 256-bit seed s_ij comes from the handshake (ephemeral X25519,
/// HKDF, salted with the cluster key when one is given), and a ChaCha20 stream keyed with s_ij
/// gives one 64-bit mask word per word sent (two per entry) and call, the same on both ranks. Rank i
/// sends y_i = w_i + Σ_{j>i} m_ij − Σ_{j<i} m_ji (mod 2^64) for each of its words w_i: uniformly
/// distributed for every other rank as long as one pairwise seed stays secret to it. The masked
/// vectors are allgathered and added mod 2^64 by every rank (MPI's signed-integer sum may not
/// wrap, so Verdant adds them itself).
///
/// **Failures.** A value out of range or not finite stops every rank (the rank holding it with
/// ``SecureCommunicationError/outOfRange(rank:index:value:bound:fractionBits:ranks:)`` or
/// ``SecureCommunicationError/nonFinite(rank:index:value:)``, the others with
/// ``CommunicationError/rankFailed(rank:message:status:)``); a rank that drops out ends the job as on
/// the wrapped communicator. Dropout recovery is not implemented: every rank must finish.
public final class SecureAggregationCommunicator: AggregatesPrivately, @unchecked Sendable {
    /// The communicator that carries the masked vectors.
    public let inner: any Communicator
    /// Fraction bits f of the fixed-point form (resolution 2^−f).
    public let fractionBits: Int
    /// This rank.
    public var rank: Int { inner.rank }
    /// The number of ranks.
    public var size: Int { inner.size }
    /// The inner backend, and the masking: `MPI (…) + secure aggregation`.
    public var backend: String { "\(inner.backend) + secure aggregation" }

    /// One mask stream per peer (nil at this rank), advanced by each masked sum.
    private var streams: [SecureRandomGenerator?]
    private let lock = NSLock()

    /// The label of the handshake and of the seeds (versioned).
    static let label = "verdant/secagg/v1"
    /// The fraction bits of the CLI's `--secure-aggregation`.
    public static let defaultFractionBits = 32

    /// Wraps `inner`, agreeing on a pairwise mask seed with every rank (all ranks must call it at
    /// the same point, with the same cluster key or none).
    /// - Parameters:
    ///   - inner: the communicator that carries the masked vectors.
    ///   - clusterKey: binds the seeds to the cluster key, so that a host in the middle of the
    ///     handshake cannot learn them (nil: seeds are secret from the other ranks, but the
    ///     handshake is not authenticated).
    ///   - fractionBits: f, 8…52 (default 32).
    /// - Throws: ``SecureCommunicationError/invalidArgument(_:)`` for f outside 8…52;
    ///   ``SecureCommunicationError/handshakeFailed(rank:peer:reason:layer:)``; the inner communicator's
    ///   errors.
    public init(wrapping inner: any Communicator, clusterKey: RawKey? = nil, fractionBits: Int = SecureAggregationCommunicator.defaultFractionBits) throws {
        guard (8...52).contains(fractionBits) else {
            throw SecureCommunicationError.invalidArgument("secure aggregation: fraction bits must be in 8...52, received \(fractionBits)")
        }
        self.inner = inner
        self.fractionBits = fractionBits
        let keys = try PairwiseKeys.establish(over: inner, label: Self.label, clusterKey: clusterKey.map { SymmetricKey(data: $0.bytes) })
        streams = try (0..<inner.size).map { peer in
            guard peer != inner.rank else { return nil }
            // The same key on both ranks of the pair: the direction is always low → high.
            let seed = keys.key("mask", from: min(peer, inner.rank), to: max(peer, inner.rank))
            return try SecureRandomGenerator(key: seed.withUnsafeBytes { Array($0) })
        }
    }

    /// The largest |x| a rank may contribute: about (2^63 − 1)/n · 2^(32−f) (a high part of at most
    /// (2^63 − 1)/n).
    public var bound: Double { Self.highLimit(ranks: size) * Double(sign: .plus, exponent: Self.lowBits - fractionBits, significand: 1) }

    /// Bits in the low word of a fixed-point value.
    static let lowBits = 32

    /// The largest |high part| one of `ranks` ranks may send: below (2^63 − 1)/n also after
    /// rounding to a Double, so that n contributions cannot wrap.
    static func highLimit(ranks: Int) -> Double { Double(Int64.max / Int64(ranks)).nextDown }

    /// This rank's masked fixed-point vector (what every other rank receives): the high words of
    /// every entry, then the low words.
    /// - Throws: ``SecureCommunicationError/outOfRange(rank:index:value:bound:fractionBits:ranks:)``,
    ///   ``SecureCommunicationError/nonFinite(rank:index:value:)``.
    func masked(_ values: [Double]) throws -> [UInt64] {
        let scale = Double(sign: .plus, exponent: fractionBits, significand: 1)
        let lowUnit = Double(sign: .plus, exponent: Self.lowBits, significand: 1)
        let limit = Self.highLimit(ranks: size)
        let count = values.count
        var words = [UInt64](repeating: 0, count: 2 * count)
        for (k, x) in values.enumerated() {
            guard x.isFinite else { throw SecureCommunicationError.nonFinite(rank: rank, index: k, value: x) }
            let scaled = (x * scale).rounded()
            let high = (scaled / lowUnit).rounded(.down)
            guard abs(high) <= limit else {
                throw SecureCommunicationError.outOfRange(rank: rank, index: k, value: x, bound: bound, fractionBits: fractionBits, ranks: size)
            }
            // Exact: both are integers, and the difference is in [0, 2^32).
            let low = scaled - high * lowUnit
            words[k] = UInt64(bitPattern: Int64(high))
            words[count + k] = UInt64(low)
        }
        lock.lock()
        defer { lock.unlock() }
        for peer in 0..<size where peer != rank {
            guard var stream = streams[peer] else { continue }
            if rank < peer {
                for k in words.indices { words[k] &+= stream.next() }
            } else {
                for k in words.indices { words[k] &-= stream.next() }
            }
            streams[peer] = stream
        }
        return words
    }

    /// The masked sum of every rank's values.
    private func secureSum(_ values: [Double]) throws -> [Double] {
        if size == 1 { return values }
        // The counts first (plain: they are public), so a mismatch is an error, not a wrong sum.
        let counts = try inner.allgather([values.count]).map { $0.first ?? -1 }
        guard Set(counts).count == 1 else { throw differentCountsError(counts) }
        let mine = try agreeing(inner) { try masked(values).map { Int(bitPattern: UInt($0)) } }
        let all = try inner.allgather(mine)
        let count = values.count
        var total = [UInt64](repeating: 0, count: 2 * count)
        for contribution in all {
            guard contribution.count == total.count else {
                throw CommunicationError.communication("secure aggregation: a rank sent \(contribution.count) masked words for \(total.count)")
            }
            for k in total.indices { total[k] &+= UInt64(bitPattern: Int64(contribution[k])) }
        }
        let scale = Double(sign: .plus, exponent: -fractionBits, significand: 1)
        let lowUnit = Double(sign: .plus, exponent: Self.lowBits, significand: 1)
        return (0..<count).map { k in
            (Double(Int64(bitPattern: total[k])) * lowUnit + Double(total[count + k])) * scale
        }
    }

    // MARK: - Communicator

    /// Returns when every rank has called it.
    /// - Throws: the inner communicator's errors.
    public func barrier() throws { try inner.barrier() }

    /// Root's values (not masked: a broadcast has one source).
    /// - Throws: the inner communicator's errors.
    public func broadcast<T: Communicable>(_ values: [T], from root: Int) throws -> [T] { try inner.broadcast(values, from: root) }

    /// The masked sum for `Double` and `.sum`; otherwise the inner reduction.
    /// - Throws: ``SecureCommunicationError/outOfRange(rank:index:value:bound:fractionBits:ranks:)``,
    ///   ``SecureCommunicationError/nonFinite(rank:index:value:)`` (every rank throws);
    ///   ``CommunicationError/communication(_:)`` when the counts differ; the inner communicator's errors.
    public func allreduce<T: Communicable>(_ values: [T], _ op: ReductionOperator) throws -> [T] {
        guard op == .sum, T.self == Double.self else { return try inner.allreduce(values, op) }
        // T is Double: the bit casts are identities (a conditional cast would visit every element).
        return unsafeBitCast(try secureSum(unsafeBitCast(values, to: [Double].self)), to: [T].self)
    }

    /// In-place form of ``allreduce(_:_:)``.
    /// - Throws: as ``allreduce(_:_:)``.
    public func allreduce<T: Communicable>(_ values: inout [T], _ op: ReductionOperator) throws {
        values = try allreduce(values, op)
    }

    /// Every rank's values (not masked).
    /// - Throws: the inner communicator's errors.
    public func allgather<T: Communicable>(_ values: [T]) throws -> [[T]] { try inner.allgather(values) }

    /// Every rank's values on root (not masked).
    /// - Throws: the inner communicator's errors.
    public func gather<T: Communicable>(_ values: [T], to root: Int) throws -> [[T]]? { try inner.gather(values, to: root) }

    /// Root's parts (not masked).
    /// - Throws: the inner communicator's errors.
    public func scatter<T: Communicable>(_ parts: [[T]], from root: Int) throws -> [T] { try inner.scatter(parts, from: root) }

    /// Sends bytes (not masked).
    /// - Throws: the inner communicator's errors.
    public func send(_ bytes: [UInt8], to destination: Int, tag: Int) throws { try inner.send(bytes, to: destination, tag: tag) }

    /// Receives bytes (not masked).
    /// - Throws: the inner communicator's errors.
    public func receive(from source: Int, tag: Int) throws -> [UInt8] { try inner.receive(from: source, tag: tag) }

    /// Exchanges raw buffers with one rank through the inner communicator (not masked: only sums are).
    /// - Throws: the inner communicator's errors.
    public func sendReceive(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                            from source: Int) throws
    {
        try inner.sendReceive(send, to: destination, receive, from: source)
    }
}
