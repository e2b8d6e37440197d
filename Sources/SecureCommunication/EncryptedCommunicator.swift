import Communication
import Crypto
import Foundation
import Privacy

/// A communicator that seals every payload it carries with AES-256-GCM before handing it to the
/// communicator it wraps, and opens (authenticates) every payload it receives — a decorator, so
/// that the code above it (training, kernels, arrays) does not change.
///
/// ```swift
/// let world = try EncryptedCommunicator(wrapping: Distributed.world(),
///                                        clusterKey: RawKey(contentsOfFile: "cluster.key"))
/// let total = try world.allreduce(localGradient, .sum)   // sealed on the wire
/// ```
///
/// Keys: the handshake (ephemeral X25519, HKDF salted with the cluster key, key confirmation) gives
/// every pair of ranks its own keys, one per direction. Framing: a message to several ranks (the
/// contributions of `allgather` and `allreduce`, root's values in `broadcast`) is sealed once under
/// a fresh random message key, and that key is sealed for each recipient under the pairwise key of
/// the direction sender → recipient; a message to one rank carries one such slot. The pairwise
/// nonces are per-direction, per-channel counters (collectives; each point-to-point tag) that both
/// sides advance in step and never reuse; the counters are not sent, so a replayed, dropped or
/// reordered message fails authentication like a changed one. Details and the threat model:
/// docs/secure-distributed.md.
///
/// A message that fails authentication in a collective ends the collective on every rank: the
/// receiving rank throws ``SecureCommunicationError/tampered(rank:source:operation:)`` and the
/// others ``CommunicationError/rankFailed(rank:message:status:)`` with the same message. (`receive`
/// throws on the receiving rank only: point-to-point has no other rank to tell.)
///
/// Reductions combine the contributions in rank order, so every rank holds the same bits: up to
/// 64 KiB, every rank opens and combines every contribution; above, the message is reduced in
/// sealed chunks of up to 512 KiB (a reduce-scatter then an allgather over pairwise raw exchanges, each
/// chunk under the pairwise key of its direction with the same nonce counters; pipelined: the next
/// chunk is sealed while earlier ones are in flight). Use one instance
/// from one thread at a time, as any communicator.
public final class EncryptedCommunicator: Communicator, @unchecked Sendable {
    /// The communicator that carries the sealed bytes.
    public let inner: any Communicator
    /// This rank.
    public var rank: Int { inner.rank }
    /// The number of ranks.
    public var size: Int { inner.size }
    /// The inner backend, and the cipher: `MPI (…) + AES-256-GCM`.
    public var backend: String { "\(inner.backend) + AES-256-GCM" }

    private let keys: PairwiseKeys
    /// The pairwise wrapping keys, per direction: `sendKeys[j]` for this rank → j,
    /// `receiveKeys[j]` for j → this rank.
    let sendKeys: [SymmetricKey?]
    let receiveKeys: [SymmetricKey?]
    /// The same keys' AES-GCM contexts for sealing into and opening into caller buffers (the
    /// chunks of a large allreduce).
    let sendCiphers: [InPlaceAESGCM?]
    let receiveCiphers: [InPlaceAESGCM?]
    /// The next nonce counter per (peer, channel), for each direction.
    private var sent: [Channel: UInt64] = [:]
    private var received: [Channel: UInt64] = [:]
    private let lock = NSLock()
    /// The plaintext bytes of one sealed chunk of a large `allreduce` (ChunkedAllreduce.swift).
    private(set) var chunkBytes = EncryptedCommunicator.defaultChunkBytes
    /// The smallest contribution, in bytes, that `allreduce` reduces in chunks; smaller ones take
    /// one sealed envelope per rank through one allgather.
    private(set) var chunkedMinimumBytes = EncryptedCommunicator.defaultChunkedMinimumBytes
    /// Whether the chunks of a large `allreduce` are pipelined (sealing the next while earlier ones
    /// are in flight) or exchanged one at a time (ChunkedAllreduce.swift).
    private(set) var pipelinesChunks = EncryptedCommunicator.defaultPipelinesChunks

    /// 2 MiB one at a time, 512 KiB pipelined. One at a time, each exchange costs a round trip, which
    /// is what the traffic between hosts that encryption is for pays most: over loopback TCP the
    /// encrypted call took 7.2 ms in 2 MiB chunks and 9.6 ms in 256 KiB chunks, against 5.7 ms plain
    /// (docs/secure-distributed.md, "In-place cipher and chunk size"). Pipelined, smaller chunks give
    /// the pipeline more stages: 512 KiB looked quicker than 2 MiB in a short trial; six loaded runs
    /// that timed both did not settle it (docs/secure-distributed.md, "Pipelined chunks (2026-12-07)").
    package static let defaultChunkBytes = defaultPipelinesChunks ? 512 << 10 : 2 << 20
    /// 64 KiB: below it the one-round envelope exchange is quicker than the chunked rounds.
    static let defaultChunkedMinimumBytes = 64 << 10
    /// Pipelined: in 11 interleaved runs on a quiet machine (load 1–2) the pipelined 512 KiB chunks
    /// took 3.76 against 4.06 ms over shared memory, 5.89 against 5.98 ms over loopback TCP and 7.60
    /// against 8.77 ms over a veth link (pooled medians, 8 MiB, 2 ranks); at load 2–5 they were
    /// slower over shared memory (docs/secure-distributed.md, "Pipelined chunks (2026-12-07)").
    static let defaultPipelinesChunks = true

    /// The label of the handshake and of every derived key (versioned).
    static let label = "verdant/traffic/v1"

    /// Wraps `inner`, running the authenticated handshake with every rank (all ranks must call it
    /// at the same point, with the same cluster key).
    /// - Parameters:
    ///   - inner: the communicator that carries the sealed bytes (MPI, or an in-process group).
    ///   - clusterKey: the 256-bit key every rank of the job holds (`verdant keygen --cluster-key`).
    /// - Throws: ``SecureCommunicationError/handshakeFailed(rank:peer:reason:layer:)`` on a rank whose peer
    ///   holds another key (``CommunicationError/rankFailed(rank:message:status:)`` on the others);
    ///   the inner communicator's errors.
    public init(wrapping inner: any Communicator, clusterKey: RawKey) throws {
        self.inner = inner
        // Each message allocates a few buffers of its size; keep glibc from returning them to the
        // system and faulting them in again every call (as the sealed-file cipher does).
        tuneAllocatorForLargeBuffers()
        let keys = try PairwiseKeys.establish(over: inner, label: Self.label, clusterKey: SymmetricKey(data: clusterKey.bytes))
        self.keys = keys
        sendKeys = (0..<inner.size).map { $0 == inner.rank ? nil : keys.key("wrap", from: inner.rank, to: $0) }
        receiveKeys = (0..<inner.size).map { $0 == inner.rank ? nil : keys.key("wrap", from: $0, to: inner.rank) }
        sendCiphers = sendKeys.map { $0.flatMap(InPlaceAESGCM.init(key:)) }
        receiveCiphers = receiveKeys.map { $0.flatMap(InPlaceAESGCM.init(key:)) }
    }

    /// The same with other chunk sizes (tests use small ones, to cross chunk boundaries with
    /// little data). Every rank must give the same sizes.
    convenience init(wrapping inner: any Communicator, clusterKey: RawKey, chunkBytes: Int, chunkedMinimumBytes: Int,
                     pipelinesChunks: Bool = EncryptedCommunicator.defaultPipelinesChunks) throws
    {
        precondition(chunkBytes >= 8 && chunkedMinimumBytes >= 1, "chunk sizes are set by the package, not by users")
        try self.init(wrapping: inner, clusterKey: clusterKey)
        self.chunkBytes = chunkBytes
        self.chunkedMinimumBytes = chunkedMinimumBytes
        self.pipelinesChunks = pipelinesChunks
    }

    // MARK: - Collectives

    /// Returns when every rank has called it (no payload, so nothing to seal).
    /// - Throws: the inner communicator's errors.
    public func barrier() throws { try inner.barrier() }

    /// Root's values, sealed once for every other rank.
    /// - Throws: ``CommunicationError/communication(_:)`` for a root out of range; a failed
    ///   authentication (every rank throws); the inner communicator's errors.
    public func broadcast<T: Communicable>(_ values: [T], from root: Int) throws -> [T] {
        try checkRank(root, "root", size: size)
        if size == 1 { return values }
        let envelope = rank == root ? try seal(values, operation: .broadcast, recipients: peers) : []
        let received = try inner.broadcast(envelope, from: root)
        return try agreeing(inner) { rank == root ? values : try open(received, from: root, operation: .broadcast, as: T.self) }
    }

    /// The elementwise reduction of every rank's values, combined in rank order
    /// (`((x₀ ⊕ x₁) ⊕ x₂) ⊕ …`), the same bits on every rank.
    ///
    /// Up to 64 KiB per rank, each contribution is sealed once, allgathered, and opened and combined
    /// by every rank. Larger ones are reduced in sealed chunks (a reduce-scatter, then an allgather
    /// of the reduced parts, over pairwise nonblocking exchanges, sealing the next chunk while
    /// earlier ones are in flight): each rank sends and receives about
    /// 2·(n−1)/n of the message instead of (n−1) times it, and seals and opens chunks that stay in
    /// cache (docs/secure-distributed.md, "Large reductions").
    /// - Throws: ``CommunicationError/communication(_:)`` when the counts differ; a failed
    ///   authentication (every rank throws); the inner communicator's errors.
    public func allreduce<T: Communicable>(_ values: [T], _ op: ReductionOperator) throws -> [T] {
        var result = values
        try allreduce(&result, op)
        return result
    }

    /// In-place form of ``allreduce(_:_:)``: large reductions need no buffer of the message's size
    /// besides `values`.
    /// - Throws: as ``allreduce(_:_:)``.
    public func allreduce<T: Communicable>(_ values: inout [T], _ op: ReductionOperator) throws {
        if size == 1 { return }
        let chunked = values.count * MemoryLayout<T>.stride >= chunkedMinimumBytes
        // Every rank learns every count first: from the contribution itself (small), or from a
        // sealed announcement of the count (chunked), so a mismatch, also across the two paths,
        // stops every rank with the same error.
        let mine = chunked
            ? try seal(bytesOf: [UInt64(values.count)], kind: Self.kindCode(T.self), operation: .allreduceInChunks, recipients: peers)
            : try seal(values, operation: .allreduce, recipients: peers)
        let envelopes = try inner.allgather(mine)
        let contributions = try agreeing(inner) { () -> [Contribution<T>] in
            try (0..<size).map { r in
                if r == rank { return chunked ? .announced(count: values.count) : .values(values) }
                return try openContribution(envelopes[r], from: r, as: T.self)
            }
        }
        let counts = contributions.map(\.count)
        guard counts.allSatisfy({ $0 == values.count }) else { throw differentCountsError(counts) }
        // Equal counts of one type take the same path on every rank, unless the ranks were built
        // with other chunk settings: refuse that on every rank rather than wait for each other.
        guard contributions.allSatisfy({ $0.isAnnouncement == chunked }) else {
            throw CommunicationError.communication("allreduce: the ranks disagree on reducing \(values.count) values in chunks; "
                + "every rank must run the same Verdant")
        }
        if chunked {
            try reduceInChunks(&values, op)
        } else {
            values = try reduceInRankOrder(contributions.map(\.values), op)
        }
    }

    /// What one rank's allreduce envelope carried: its values, or the count it will reduce in chunks.
    private enum Contribution<T: Communicable> {
        case values([T])
        case announced(count: Int)

        var isAnnouncement: Bool {
            if case .announced = self { return true }
            return false
        }

        var count: Int {
            switch self {
            case .values(let values): values.count
            case .announced(let count): count
            }
        }

        /// The values (empty for an announcement, which never reaches a reduction).
        var values: [T] {
            if case .values(let values) = self { return values }
            return []
        }
    }

    /// Opens another rank's allreduce envelope: an announcement when its (authenticated) header
    /// says so, else a contribution.
    private func openContribution<T: Communicable>(_ envelope: [UInt8], from source: Int, as _: T.Type) throws -> Contribution<T> {
        // The operation byte is read before authentication only to pick what to open it as; the
        // header is associated data, so a changed byte fails to open either way.
        guard envelope.count > 3, envelope[3] == Operation.allreduceInChunks.code else {
            return .values(try open(envelope, from: source, operation: .allreduce, as: T.self))
        }
        let plaintext = try openBytes(envelope, from: source, operation: .allreduceInChunks, kind: Self.kindCode(T.self), elementName: "\(T.self)")
        guard plaintext.count == 8 else {
            throw SecureCommunicationError.malformed(rank: rank, source: source, operation: Operation.allreduce.name,
                                                     reason: "its announcement has \(plaintext.count) bytes, not 8")
        }
        let count = plaintext.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        return .announced(count: Int(truncatingIfNeeded: count))
    }

    /// Every rank's values, in rank order: each contribution sealed once for every other rank.
    /// - Throws: a failed authentication (every rank throws); the inner communicator's errors.
    public func allgather<T: Communicable>(_ values: [T]) throws -> [[T]] {
        if size == 1 { return [values] }
        return try exchangeAll(values, operation: .allgather)
    }

    /// Every rank's values on `root`, each sealed for root alone.
    /// - Throws: ``CommunicationError/communication(_:)`` for a root out of range; a failed
    ///   authentication (every rank throws); the inner communicator's errors.
    public func gather<T: Communicable>(_ values: [T], to root: Int) throws -> [[T]]? {
        try checkRank(root, "root", size: size)
        if size == 1 { return [values] }
        let envelope = rank == root ? [] : try seal(values, operation: .gather, recipients: [root])
        let received = try inner.gather(envelope, to: root)
        return try agreeing(inner) { () -> [[T]]? in
            guard rank == root, let received else { return nil }
            return try (0..<size).map { r in r == rank ? values : try open(received[r], from: r, operation: .gather, as: T.self) }
        }
    }

    /// Part r of root's `parts` on rank r, each part sealed for its rank alone.
    /// - Throws: ``CommunicationError/communication(_:)`` for a root out of range or a number of
    ///   parts other than `size`; a failed authentication (every rank throws); the inner
    ///   communicator's errors.
    public func scatter<T: Communicable>(_ parts: [[T]], from root: Int) throws -> [T] {
        try checkRank(root, "root", size: size)
        if size == 1 { return try inner.scatter(parts, from: root) }
        // Root's count goes first, so every rank refuses a wrong one with the same error.
        let count = try inner.broadcast(rank == root ? [parts.count] : [], from: root).first ?? -1
        guard count == size else {
            throw CommunicationError.communication("scatter: root gave \(count) parts for \(size) ranks; give one part per rank")
        }
        let envelopes = rank == root ? try (0..<size).map { r in r == root ? [] : try seal(parts[r], operation: .scatter, recipients: [r]) } : []
        let mine = try inner.scatter(rank == root ? envelopes : [], from: root)
        return try agreeing(inner) { rank == root ? parts[root] : try open(mine, from: root, operation: .scatter, as: T.self) }
    }

    /// Sends bytes to one rank, sealed under the pairwise key with the counter of `tag`'s channel.
    /// - Throws: ``CommunicationError/communication(_:)`` for a rank or tag out of range; the inner
    ///   communicator's errors.
    public func send(_ bytes: [UInt8], to destination: Int, tag: Int) throws {
        try checkRank(destination, "destination", size: size)
        try checkTag(tag)
        guard destination != rank else { return try inner.send(bytes, to: destination, tag: tag) }
        try inner.send(try seal(bytes, operation: .pointToPoint(tag: tag), recipients: [destination]), to: destination, tag: tag)
    }

    /// Receives the next message with `tag` from `source`, opened and authenticated.
    /// - Throws: ``SecureCommunicationError/tampered(rank:source:operation:)`` (on this rank only);
    ///   ``CommunicationError/communication(_:)`` for a rank or tag out of range; the inner
    ///   communicator's errors.
    public func receive(from source: Int, tag: Int) throws -> [UInt8] {
        try checkRank(source, "source", size: size)
        try checkTag(tag)
        let envelope = try inner.receive(from: source, tag: tag)
        guard source != rank else { return envelope }
        return try open(envelope, from: source, operation: .pointToPoint(tag: tag), as: UInt8.self)
    }

    /// Exchanges raw buffers with one rank, sealed like point-to-point messages on Verdant's
    /// reserved tag: the envelopes' sizes are exchanged first (8 bytes each way), then the envelopes,
    /// so both sides always post their send and receive together (no deadlock on large messages).
    /// - Throws: ``SecureCommunicationError/tampered(rank:source:operation:)``;
    ///   ``CommunicationError/communication(_:)`` for a rank out of range or a size other than
    ///   `receive.count`; the inner communicator's errors.
    public func sendReceive(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                            from source: Int) throws
    {
        try checkRank(destination, "destination", size: size)
        try checkRank(source, "source", size: size)
        let sealed = destination == rank ? Array(send)
            : try seal(raw: send, kind: Self.kindCode(UInt8.self), operation: .pointToPoint(tag: internalTag), recipients: [destination])
        var mine = UInt64(sealed.count)
        var theirs: UInt64 = 0
        try withUnsafeBytes(of: &mine) { out in
            try withUnsafeMutableBytes(of: &theirs) { into in try inner.sendReceive(out, to: destination, into, from: source) }
        }
        var envelope = [UInt8](repeating: 0, count: Int(theirs))
        try sealed.withUnsafeBytes { out in
            try envelope.withUnsafeMutableBytes { into in try inner.sendReceive(out, to: destination, into, from: source) }
        }
        let opened = source == rank ? envelope
            : try open(envelope, from: source, operation: .pointToPoint(tag: internalTag), as: UInt8.self)
        try deliver(opened, into: receive, rank: rank, source: source)
    }

    // MARK: - Envelopes

    /// What a message belongs to: bound into its associated data, and its counter channel.
    enum Operation: Equatable {
        case broadcast, allreduce, allgather, gather, scatter
        case pointToPoint(tag: Int)
        /// The count of an allreduce to be reduced in chunks (the envelope), and its chunks.
        case allreduceInChunks

        var code: UInt8 {
            switch self {
            case .broadcast: 1
            case .allreduce: 2
            case .allgather: 3
            case .gather: 4
            case .scatter: 5
            case .pointToPoint: 6
            case .allreduceInChunks: 7
            }
        }

        /// Collectives share channel 0 (every rank calls them in the same order); each
        /// point-to-point tag has its own (MPI keeps order per source and tag, not across tags).
        var channel: UInt32 {
            if case .pointToPoint(let tag) = self { return UInt32(tag) + 1 }
            return 0
        }

        var name: String {
            switch self {
            case .broadcast: "broadcast"
            case .allreduce, .allreduceInChunks: "allreduce"
            case .allgather: "allgather"
            case .gather: "gather"
            case .scatter: "scatter"
            case .pointToPoint(let tag): "send/receive, tag \(tag)"
            }
        }
    }

    struct Channel: Hashable {
        let peer: Int
        let channel: UInt32
    }

    var peers: [Int] { (0..<size).filter { $0 != rank } }

    /// Header: "VT" ‖ version 1 ‖ operation ‖ element kind ‖ sender (u32 LE) ‖ slot count (u32 LE).
    static let headerBytes = 13
    /// One slot: the 32-byte message key sealed under a pairwise key (no nonce: it is the counter).
    static let slotBytes = 32 + 16
    /// The payload's AES-GCM tag.
    static let tagBytes = 16

    static func kindCode<T: Communicable>(_: T.Type) -> UInt8 {
        switch T.communicableKind.storage {
        case .double: 1
        case .float: 2
        case .int64: 3
        case .uint8: 4
        }
    }

    /// The nonce of the next sealed message or chunk from this rank to `peer` on `channel`
    /// (advancing the counter).
    func nextSendNonce(to peer: Int, channel: UInt32) throws -> AES.GCM.Nonce {
        lock.lock()
        defer { lock.unlock() }
        return try nextNonce(&sent, peer: peer, channel: channel)
    }

    /// The nonce of the next message or chunk from `peer` to this rank on `channel` (advancing the
    /// counter).
    func nextReceiveNonce(from peer: Int, channel: UInt32) throws -> AES.GCM.Nonce {
        lock.lock()
        defer { lock.unlock() }
        return try nextNonce(&received, peer: peer, channel: channel)
    }

    /// Reserves the next `count` counters of the direction this rank → `peer` on `channel` (for
    /// pieces sealed out of order: piece j takes the first + j); returns the first.
    func reserveSendCounters(to peer: Int, channel: UInt32, count: Int) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return reserve(&sent, peer: peer, channel: channel, count: count)
    }

    /// Reserves the next `count` counters of the direction `peer` → this rank on `channel`, in step
    /// with the sender's ``reserveSendCounters(to:channel:count:)``; returns the first.
    func reserveReceiveCounters(from peer: Int, channel: UInt32, count: Int) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return reserve(&received, peer: peer, channel: channel, count: count)
    }

    private func reserve(_ table: inout [Channel: UInt64], peer: Int, channel: UInt32, count: Int) -> UInt64 {
        let key = Channel(peer: peer, channel: channel)
        let first = table[key, default: 0]
        table[key] = first + UInt64(count)
        return first
    }

    /// The 12-byte nonce of the next message on (peer, channel) in one direction, advancing it.
    private func nextNonce(_ table: inout [Channel: UInt64], peer: Int, channel: UInt32) throws -> AES.GCM.Nonce {
        try Self.nonce(channel: channel, counter: reserve(&table, peer: peer, channel: channel, count: 1))
    }

    /// The nonce of counter `counter` on `channel`: the channel (4 bytes, big-endian) ‖ the counter
    /// (8 bytes, big-endian).
    static func nonce(channel: UInt32, counter: UInt64) throws -> AES.GCM.Nonce {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: channel.bigEndian) { bytes += $0 }
        withUnsafeBytes(of: counter.bigEndian) { bytes += $0 }
        return try AES.GCM.Nonce(data: bytes)
    }

    /// Seals `values` once under a fresh message key and that key for each recipient.
    func seal<T: Communicable>(_ values: [T], operation: Operation, recipients: [Int]) throws -> [UInt8] {
        try seal(bytesOf: values, kind: Self.kindCode(T.self), operation: operation, recipients: recipients)
    }

    /// Seals the bytes of `values` as a message of element kind `kind` (the header's), once under
    /// a fresh message key, and that key for each recipient.
    func seal<V>(bytesOf values: [V], kind: UInt8, operation: Operation, recipients: [Int]) throws -> [UInt8] {
        try values.withUnsafeBytes { try seal(raw: $0, kind: kind, operation: operation, recipients: recipients) }
    }

    /// Seals the bytes of `plain` as a message of element kind `kind`: ``seal(bytesOf:kind:operation:recipients:)``
    /// for a raw buffer.
    func seal(raw plain: UnsafeRawBufferPointer, kind: UInt8, operation: Operation, recipients: [Int]) throws -> [UInt8] {
        var header: [UInt8] = [UInt8(ascii: "V"), UInt8(ascii: "T"), 1, operation.code, kind]
        withUnsafeBytes(of: UInt32(rank).littleEndian) { header += $0 }
        withUnsafeBytes(of: UInt32(recipients.count).littleEndian) { header += $0 }
        let messageKey = SymmetricKey(size: .bits256)
        // The sealed pieces, then one buffer of the envelope's size filled by memcpy (appending
        // `Data` or raw buffers element by element costs more than the cipher itself).
        var slots: [AES.GCM.SealedBox] = []
        slots.reserveCapacity(recipients.count)
        for recipient in recipients {
            guard let key = sendKeys[recipient] else { continue }
            let nonce = try nextSendNonce(to: recipient, channel: operation.channel)
            slots.append(try messageKey.withUnsafeBytes { raw in
                try AES.GCM.seal(raw, using: key, nonce: nonce, authenticating: header + pairBytes(rank, recipient))
            })
        }
        // A fresh key per message, so the payload's nonce may be constant. The envelope is made at
        // its final size and the payload sealed straight into its place (appending `Data` or raw
        // buffers element by element, or copying a sealed buffer, costs as much as the cipher).
        guard let payloadCipher = InPlaceAESGCM(key: messageKey) else {
            throw CommunicationError.communication("AES-GCM: no context for a 256-bit message key")
        }
        let slotsBytes = slots.count * Self.slotBytes
        let payloadBytes = plain.count
        let total = header.count + slotsBytes + payloadBytes + Self.tagBytes
        var sealedPayload = true
        let envelope = try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.copyBytes(from: header)
            var offset = header.count
            for slot in slots {
                for piece in [slot.ciphertext, slot.tag] {
                    UnsafeMutableRawBufferPointer(rebasing: raw[offset..<(offset + piece.count)]).copyBytes(from: piece)
                    offset += piece.count
                }
            }
            sealedPayload = payloadCipher.seal(plain, into: UnsafeMutableRawBufferPointer(rebasing: raw[offset...]),
                                               nonce: try AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12)), authenticating: header)
            initialized = total
        }
        guard sealedPayload else { throw CommunicationError.communication("AES-GCM failed to seal a message of \(payloadBytes) bytes") }
        return envelope
    }

    /// Opens a message from `source`, finding this rank's slot; throws when anything fails.
    func open<T: Communicable>(_ envelope: [UInt8], from source: Int, operation: Operation, as _: T.Type) throws -> [T] {
        let plaintext = try openBytes(envelope, from: source, operation: operation, kind: Self.kindCode(T.self), elementName: "\(T.self)")
        let stride = MemoryLayout<T>.stride
        guard plaintext.count % stride == 0 else {
            throw SecureCommunicationError.malformed(rank: rank, source: source, operation: operation.name,
                                                     reason: "\(plaintext.count) bytes are not a whole number of \(T.self) values")
        }
        let count = plaintext.count / stride
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            plaintext.withUnsafeBytes { raw in
                if let base = raw.baseAddress, let out = buffer.baseAddress, count > 0 {
                    UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: plaintext.count)
                }
            }
            initialized = count
        }
    }

    /// Opens a message from `source` whose header must name element kind `kind` (`elementName`,
    /// for the error), finding this rank's slot; returns the payload's bytes.
    /// - Throws: ``SecureCommunicationError/tampered(rank:source:operation:)`` when anything fails to
    ///   authenticate; ``SecureCommunicationError/malformed(rank:source:operation:reason:)`` for an
    ///   envelope too short to be one, or another element kind.
    func openBytes(_ envelope: [UInt8], from source: Int, operation: Operation, kind: UInt8, elementName: String) throws -> [UInt8] {
        let name = operation.name
        guard envelope.count >= Self.headerBytes + Self.slotBytes + Self.tagBytes else {
            throw SecureCommunicationError.malformed(rank: rank, source: source, operation: name, reason: "it has \(envelope.count) bytes, fewer than any sealed message")
        }
        let header = Array(envelope[0..<Self.headerBytes])
        let slots = Int(UInt32(header[9]) | UInt32(header[10]) << 8 | UInt32(header[11]) << 16 | UInt32(header[12]) << 24)
        guard header[0] == UInt8(ascii: "V"), header[1] == UInt8(ascii: "T"), header[2] == 1, header[3] == operation.code,
              slots >= 1, envelope.count >= Self.headerBytes + slots * Self.slotBytes + Self.tagBytes
        else {
            throw SecureCommunicationError.tampered(rank: rank, source: source, operation: name)
        }
        // Slots follow the recipients in rank order, without the sender.
        let slot = slots == 1 ? 0 : (rank < source ? rank : rank - 1)
        guard slot < slots, let key = receiveKeys[source] else {
            throw SecureCommunicationError.tampered(rank: rank, source: source, operation: name)
        }
        let messageKey: SymmetricKey
        do {
            let nonce = Result { try nextReceiveNonce(from: source, channel: operation.channel) }
            let start = Self.headerBytes + slot * Self.slotBytes
            let box = try AES.GCM.SealedBox(nonce: nonce.get(), ciphertext: envelope[start..<(start + 32)], tag: envelope[(start + 32)..<(start + 48)])
            messageKey = SymmetricKey(data: try AES.GCM.open(box, using: key, authenticating: header + pairBytes(source, rank)))
            let payloadStart = Self.headerBytes + slots * Self.slotBytes
            // The payload opens straight into the result.
            guard let payloadCipher = InPlaceAESGCM(key: messageKey) else {
                throw SecureCommunicationError.tampered(rank: rank, source: source, operation: name)
            }
            let nonceZero = try AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 12))
            var authentic = false
            let plaintext = envelope.withUnsafeBytes { raw in
                [UInt8](unsafeUninitializedCapacity: raw.count - payloadStart - Self.tagBytes) { buffer, initialized in
                    authentic = payloadCipher.open(UnsafeRawBufferPointer(rebasing: raw[payloadStart...]), into: UnsafeMutableRawBufferPointer(buffer),
                                                   nonce: nonceZero, authenticating: header)
                    initialized = buffer.count
                }
            }
            guard authentic else { throw SecureCommunicationError.tampered(rank: rank, source: source, operation: name) }
            // The header is authenticated now, so a different element type is the ranks' doing.
            guard header[4] == kind else {
                throw SecureCommunicationError.malformed(rank: rank, source: source, operation: name,
                                                         reason: "the ranks called it with different element types (expected \(elementName))")
            }
            return plaintext
        } catch let error as SecureCommunicationError {
            throw error
        } catch {
            throw SecureCommunicationError.tampered(rank: rank, source: source, operation: name)
        }
    }

    /// Seals this rank's values for every other rank, allgathers the envelopes and opens every
    /// other rank's; every rank learns whether all of them authenticated.
    private func exchangeAll<T: Communicable>(_ values: [T], operation: Operation) throws -> [[T]] {
        let envelopes = try inner.allgather(try seal(values, operation: operation, recipients: peers))
        return try agreeing(inner) {
            try (0..<size).map { r in r == rank ? values : try open(envelopes[r], from: r, operation: operation, as: T.self) }
        }
    }
}
