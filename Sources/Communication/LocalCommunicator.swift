import Foundation

/// The communicator of one process (size 1), or one rank of an in-process group of ranks on
/// threads — the same collectives as MPI, used by tests to exercise distributed code without MPI.
///
/// ```swift
/// let sums = try LocalCommunicator.run(ranks: 4) { comm in
///     try comm.allreduce([Double(comm.rank)], .sum)[0]   // 6.0 on every rank
/// }
/// ```
/// In a group, `allreduce` combines in rank order, so every rank gets bit-identical results.
/// When one rank's work throws, the others' pending and later collectives throw
/// ``CommunicationError/rankFailed(rank:message:status:)`` instead of waiting forever.
public final class LocalCommunicator: Communicator, @unchecked Sendable {
    /// This rank.
    public let rank: Int
    /// The number of ranks in the group.
    public let size: Int
    let group: LocalGroup
    /// Nonblocking receives started and not yet delivered, per source, in the order started
    /// (NonblockingExchange.swift); used from this rank's thread only.
    var postedReceives: [Int: [LocalExchange]] = [:]

    /// `local` (size 1) or `local group`.
    public var backend: String { size == 1 ? "local" : "local group" }

    /// The communicator of this process alone (rank 0 of 1).
    public convenience init() {
        self.init(rank: 0, group: LocalGroup(size: 1))
    }

    init(rank: Int, group: LocalGroup) {
        self.rank = rank
        self.size = group.size
        self.group = group
    }

    /// The ranks of a new in-process group; each must be used from its own thread.
    /// - Parameter size: 1…1024 ranks.
    /// - Returns: one communicator per rank.
    /// - Throws: ``CommunicationError/invalidArgument(_:)`` for a size outside 1…1024.
    public static func group(size: Int) throws -> [LocalCommunicator] {
        guard (1...1024).contains(size) else {
            throw CommunicationError.invalidArgument("a local group needs 1...1024 ranks, received \(size)")
        }
        let group = LocalGroup(size: size)
        return (0..<size).map { LocalCommunicator(rank: $0, group: group) }
    }

    /// Runs `body` once per rank of a new in-process group, each rank on its own thread, and
    /// returns the results in rank order.
    /// - Parameters:
    ///   - ranks: 1…1024.
    ///   - body: the work of one rank.
    /// - Returns: `result[r]` is rank r's result.
    /// - Throws: the error of the first rank that failed on its own (others then fail with
    ///   ``CommunicationError/rankFailed(rank:message:status:)``); ``CommunicationError/invalidArgument(_:)``.
    public static func run<Result: Sendable>(ranks: Int, _ body: @escaping @Sendable (LocalCommunicator) throws -> Result) throws -> [Result] {
        let communicators = try group(size: ranks)
        let results = RankOutcomes<Swift.Result<Result, any Error>>(count: ranks)
        let done = CountdownSignal(ranks)
        @Sendable func work(_ comm: LocalCommunicator) {
            let outcome = Swift.Result { try body(comm) }
            if case .failure(let error) = outcome { comm.group.fail(rank: comm.rank, message: errorMessage(error)) }
            results.store(outcome, at: comm.rank)
            done.countDown()
        }
        for comm in communicators.dropFirst() {
            if !startThread({ work(comm) }) {
                comm.group.fail(rank: comm.rank, message: "the system refused a thread for rank \(comm.rank)")
                results.store(.failure(CommunicationError.invalidArgument("the system refused a thread for rank \(comm.rank)")), at: comm.rank)
                done.countDown()
            }
        }
        work(communicators[0])
        done.wait()
        let outcomes = results.values()
        let failures = outcomes.enumerated().compactMap { r, o -> (Int, any Error)? in
            if case .failure(let e) = o { return (r, e) }
            return nil
        }
        if let original = failures.first(where: { if case CommunicationError.rankFailed = $0.1 { return false } else { return true } })
            ?? failures.first
        {
            throw original.1
        }
        return outcomes.compactMap { try? $0.get() }
    }

    // MARK: - Collectives

    /// Returns when every rank has called it.
    /// - Throws: ``CommunicationError/rankFailed(rank:message:status:)``.
    public func barrier() throws {
        _ = try group.exchange(rank: rank, [UInt8]())
    }

    /// Root's values, on every rank.
    /// - Parameters:
    ///   - values: the values on `root`.
    ///   - root: the sending rank.
    /// - Returns: root's values.
    /// - Throws: ``CommunicationError/communication(_:)``, ``CommunicationError/rankFailed(rank:message:status:)``.
    public func broadcast<T: Communicable>(_ values: [T], from root: Int) throws -> [T] {
        try checkRank(root, "root", size: size)
        let all = try group.exchange(rank: rank, rank == root ? values : [T]())
        return try cast(all[root])
    }

    /// The elementwise reduction in rank order, on every rank.
    /// - Parameters:
    ///   - values: this rank's values.
    ///   - op: sum, min or max.
    /// - Returns: the reduced values.
    /// - Throws: ``CommunicationError/communication(_:)`` when counts differ; ``CommunicationError/rankFailed(rank:message:status:)``.
    public func allreduce<T: Communicable>(_ values: [T], _ op: ReductionOperator) throws -> [T] {
        let all: [[T]] = try group.exchange(rank: rank, values).map(cast)
        return try reduceInRankOrder(all, op)
    }

    /// The elementwise reduction in rank order, in place.
    /// - Parameters:
    ///   - values: this rank's values; the reduced values on return.
    ///   - op: sum, min or max.
    /// - Throws: ``CommunicationError/communication(_:)`` when counts differ; ``CommunicationError/rankFailed(rank:message:status:)``.
    public func allreduce<T: Communicable>(_ values: inout [T], _ op: ReductionOperator) throws {
        if size == 1 { return }
        values = try allreduce(values, op)
    }

    /// Every rank's values, in rank order.
    /// - Parameter values: this rank's values.
    /// - Returns: `result[r]` is rank r's values.
    /// - Throws: ``CommunicationError/rankFailed(rank:message:status:)``.
    public func allgather<T: Communicable>(_ values: [T]) throws -> [[T]] {
        try group.exchange(rank: rank, values).map(cast)
    }

    /// Every rank's values on `root`.
    /// - Parameters:
    ///   - values: this rank's values.
    ///   - root: the receiving rank.
    /// - Returns: on root, every rank's values; nil elsewhere.
    /// - Throws: ``CommunicationError/communication(_:)``, ``CommunicationError/rankFailed(rank:message:status:)``.
    public func gather<T: Communicable>(_ values: [T], to root: Int) throws -> [[T]]? {
        try checkRank(root, "root", size: size)
        let all: [[T]] = try group.exchange(rank: rank, values).map(cast)
        return rank == root ? all : nil
    }

    /// Part r of root's parts, on rank r.
    /// - Parameters:
    ///   - parts: on root, one array per rank.
    ///   - root: the sending rank.
    /// - Returns: this rank's part.
    /// - Throws: ``CommunicationError/communication(_:)``, ``CommunicationError/rankFailed(rank:message:status:)``.
    public func scatter<T: Communicable>(_ parts: [[T]], from root: Int) throws -> [T] {
        try checkRank(root, "root", size: size)
        let all = try group.exchange(rank: rank, rank == root ? parts : [[T]]())
        guard let rootParts = all[root] as? [[T]] else { throw CommunicationError.communication("scatter: root's parts have the wrong type") }
        guard rootParts.count == size else {
            throw CommunicationError.communication("scatter: root gave \(rootParts.count) parts for \(size) ranks; give one part per rank")
        }
        return rootParts[rank]
    }

    /// Sends bytes to `destination` (queued; never blocks).
    /// - Parameters:
    ///   - bytes: the message.
    ///   - destination: the receiving rank.
    ///   - tag: 0…32766 (32767 is reserved for Verdant's own messages, as on MPI).
    /// - Throws: ``CommunicationError/communication(_:)``.
    public func send(_ bytes: [UInt8], to destination: Int, tag: Int) throws {
        try checkRank(destination, "destination", size: size)
        try checkTag(tag)
        group.post(bytes, from: rank, to: destination, tag: tag)
    }

    /// Receives the next message with `tag` from `source`.
    /// - Parameters:
    ///   - source: the sending rank.
    ///   - tag: 0…32766 (as `send`).
    /// - Returns: the message.
    /// - Throws: ``CommunicationError/communication(_:)``, ``CommunicationError/rankFailed(rank:message:status:)``.
    public func receive(from source: Int, tag: Int) throws -> [UInt8] {
        try checkRank(source, "source", size: size)
        try checkTag(tag)
        return try group.take(from: source, to: rank, tag: tag)
    }

    /// Sends `send` to `destination` and receives `receive.count` bytes from `source` (queued:
    /// the send never blocks, the receive waits for its message).
    /// - Throws: ``CommunicationError/communication(_:)`` for a rank out of range or a size
    ///   mismatch; ``CommunicationError/rankFailed(rank:message:status:)``.
    public func sendReceive(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                            from source: Int) throws
    {
        try checkRank(destination, "destination", size: size)
        try checkRank(source, "source", size: size)
        group.post(Array(send), from: rank, to: destination, tag: internalTag)
        try deliver(try group.take(from: source, to: rank, tag: internalTag), into: receive, rank: rank, source: source)
    }

    private func cast<T>(_ value: any Sendable) throws -> [T] {
        guard let array = value as? [T] else {
            throw CommunicationError.communication("the ranks called collectives with different element types (expected \(T.self))")
        }
        return array
    }
}

/// The shared state of an in-process group: a reusable exchange and mailboxes.
final class LocalGroup: @unchecked Sendable {
    let size: Int
    private let state = ConditionLock()
    private var slots: [(any Sendable)?]
    private var arrived = 0
    private var departed = 0
    private var generation = 0
    private var draining = false
    private var failure: (rank: Int, message: String)?
    private var mailboxes: [MailKey: [[UInt8]]] = [:]

    private struct MailKey: Hashable {
        let source: Int
        let destination: Int
        let tag: Int
    }

    init(size: Int) {
        self.size = size
        slots = [(any Sendable)?](repeating: nil, count: size)
    }

    private func checkFailure() throws {
        if let failure { throw CommunicationError.rankFailed(rank: failure.rank, message: failure.message) }
    }

    /// Every rank deposits a value; when all have, every rank reads all of them.
    func exchange(rank: Int, _ value: any Sendable) throws -> [any Sendable] {
        if size == 1 { return [value] }
        state.lock()
        defer { state.unlock() }
        // Wait until the previous round has been read by everyone.
        while draining && failure == nil { state.wait() }
        try checkFailure()
        slots[rank] = value
        arrived += 1
        let round = generation
        if arrived == size {
            draining = true
            state.broadcast()
        } else {
            while !(draining && generation == round) && failure == nil { state.wait() }
            try checkFailure()
        }
        let result = slots.map { $0 ?? [UInt8]() }
        departed += 1
        if departed == size {
            departed = 0
            arrived = 0
            draining = false
            generation += 1
            for k in slots.indices { slots[k] = nil }
            state.broadcast()
        }
        return result
    }

    /// Marks the group failed: every waiting and later collective throws.
    func fail(rank: Int, message: String) {
        state.withLock {
            if failure == nil { failure = (rank, message) }
            state.broadcast()
        }
    }

    func post(_ bytes: [UInt8], from source: Int, to destination: Int, tag: Int) {
        state.withLock {
            mailboxes[MailKey(source: source, destination: destination, tag: tag), default: []].append(bytes)
            state.broadcast()
        }
    }

    /// The next message with `tag` from `source` if one is queued, else nil (never waits).
    /// - Throws: ``CommunicationError/rankFailed(rank:message:status:)`` when the group failed and nothing is queued.
    func takeIfPresent(from source: Int, to destination: Int, tag: Int) throws -> [UInt8]? {
        let key = MailKey(source: source, destination: destination, tag: tag)
        return try state.withLock {
            if var queue = mailboxes[key], !queue.isEmpty {
                let message = queue.removeFirst()
                mailboxes[key] = queue
                return message
            }
            try checkFailure()
            return nil
        }
    }

    func take(from source: Int, to destination: Int, tag: Int) throws -> [UInt8] {
        let key = MailKey(source: source, destination: destination, tag: tag)
        state.lock()
        defer { state.unlock() }
        while true {
            if var queue = mailboxes[key], !queue.isEmpty {
                let message = queue.removeFirst()
                mailboxes[key] = queue
                return message
            }
            try checkFailure()
            if size == 1 {
                throw CommunicationError.communication("receive from rank \(source) with tag \(tag): no message was sent, and no other rank can send one")
            }
            state.wait()
        }
    }
}

/// One slot per rank, filled by the rank's thread and read once every rank is done.
final class RankOutcomes<Element>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var slots: [Element?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ value: Element, at rank: Int) { lock.withLock { slots[rank] = value } }

    func values() -> [Element] { lock.withLock { slots.compactMap { $0 } } }
}

/// Counts down to zero; `wait` returns at zero.
final class CountdownSignal: @unchecked Sendable {
    private let state = ConditionLock()
    private var remaining: Int

    init(_ count: Int) { remaining = count }

    func countDown() {
        state.withLock {
            remaining -= 1
            if remaining == 0 { state.broadcast() }
        }
    }

    func wait() {
        state.withLock {
            while remaining > 0 { state.wait() }
        }
    }
}
