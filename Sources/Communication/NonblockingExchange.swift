// Nonblocking pairwise exchanges of raw bytes on Verdant's reserved tag: the pipelined encrypted
// allreduce (SecureCommunication/ChunkedAllreduce.swift) seals the next piece while earlier ones
// are in flight. Package-level: no user needs it.
//
// Semantics, shared by every backend:
// - `startExchange(_:to:_:from:)` starts sending `send` to `destination` and receiving exactly
//   `receive.count` bytes from `source`, and returns at once.
// - Exchanges between the same pair match in the order they were started (MPI's non-overtaking
//   rule for one source and tag): the i-th exchange that rank a starts towards b carries the bytes
//   of b's i-th exchange from a.
// - Both buffers belong to the exchange until it has completed (`test()` returned true, or
//   `wait()` returned): the caller must not change `send` nor read `receive` before.
// - A size other than `receive.count` throws the same error as `sendReceive`; a failed rank of an
//   in-process group makes `test()` and `wait()` throw `rankFailed` instead of waiting forever.
//
// One selection point: `Communicator.startExchange` uses the backend's own nonblocking exchange
// where it has one (MPI: MPI_Isend/MPI_Irecv; the in-process group: its mailboxes) and otherwise
// completes the exchange at once with the blocking `sendReceive`.

/// One started exchange: its send and its receive.
package protocol PendingExchange: AnyObject {
    /// Whether both the send and the receive have completed (progressing them; never blocks).
    /// - Throws: ``CommunicationError/communication(_:)`` for a size other than expected;
    ///   ``CommunicationError/rankFailed(rank:message:status:)``; MPI errors.
    func test() throws -> Bool

    /// Returns when both the send and the receive have completed.
    /// - Throws: as ``test()``.
    func wait() throws
}

/// A communicator with its own nonblocking exchange (the semantics above).
package protocol NonblockingExchanging: Communicator {
    /// Starts sending `send` to `destination` and receiving `receive.count` bytes from `source`.
    /// The ranks are valid (checked by the caller).
    func startNonblockingExchange(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                                  from source: Int) throws -> any PendingExchange
}

/// An exchange that completed when it was started (the blocking fallback).
package final class CompletedExchange: PendingExchange {
    package init() {}
    package func test() throws -> Bool { true }
    package func wait() throws {}
}

extension Communicator {
    /// Starts a pairwise exchange of raw bytes on Verdant's reserved tag (the semantics at the top
    /// of NonblockingExchange.swift): nonblocking where the backend has its own, else the blocking
    /// ``sendReceive(_:to:_:from:)``, complete on return.
    /// - Parameters:
    ///   - send: the bytes to send (at most 2³¹ − 1); not to be changed until the exchange completes.
    ///   - destination: the receiving rank.
    ///   - receive: where the incoming bytes go, exactly `receive.count` of them; not to be read
    ///     until the exchange completes.
    ///   - source: the sending rank.
    /// - Returns: the exchange, to be tested or waited on.
    /// - Throws: ``CommunicationError/communication(_:)`` for a rank out of range or a message too
    ///   long; the backend's errors (the blocking fallback's among them).
    package func startExchange(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                               from source: Int) throws -> any PendingExchange
    {
        try checkRank(destination, "destination", size: size)
        try checkRank(source, "source", size: size)
        if let nonblocking = self as? any NonblockingExchanging {
            return try nonblocking.startNonblockingExchange(send, to: destination, receive, from: source)
        }
        try sendReceive(send, to: destination, receive, from: source)
        return CompletedExchange()
    }
}

// MARK: - The in-process group

extension LocalCommunicator: NonblockingExchanging {
    /// Posts the send to the destination's mailbox (a copy: the send completes at once) and
    /// queues the receive behind this rank's earlier receives from `source`.
    package func startNonblockingExchange(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                                          from source: Int) throws -> any PendingExchange
    {
        group.post(Array(send), from: rank, to: destination, tag: internalTag)
        let exchange = LocalExchange(communicator: self, source: source, receive: receive)
        postedReceives[source, default: []].append(exchange)
        return exchange
    }

    /// Delivers the messages that have arrived from `source` to the receives posted for them, in
    /// the order they were posted; with `blockingUntil`, waits for messages until that receive is
    /// delivered.
    func deliverPosted(from source: Int, blockingUntil target: LocalExchange?) throws {
        while var queue = postedReceives[source], let head = queue.first {
            let message: [UInt8]
            if let target, !target.isDone {
                message = try group.take(from: source, to: rank, tag: internalTag)
            } else if let arrived = try group.takeIfPresent(from: source, to: rank, tag: internalTag) {
                message = arrived
            } else {
                return
            }
            queue.removeFirst()
            postedReceives[source] = queue
            try head.complete(with: message)
        }
    }
}

/// A receive of the in-process group, delivered in the order posted (its send completed at once).
final class LocalExchange: PendingExchange {
    private unowned let communicator: LocalCommunicator
    private let source: Int
    private let receive: UnsafeMutableRawBufferPointer
    private(set) var isDone = false

    init(communicator: LocalCommunicator, source: Int, receive: UnsafeMutableRawBufferPointer) {
        self.communicator = communicator
        self.source = source
        self.receive = receive
    }

    func complete(with message: [UInt8]) throws {
        isDone = true
        try deliver(message, into: receive, rank: communicator.rank, source: source)
    }

    func test() throws -> Bool {
        if !isDone { try communicator.deliverPosted(from: source, blockingUntil: nil) }
        return isDone
    }

    func wait() throws {
        if !isDone { try communicator.deliverPosted(from: source, blockingUntil: self) }
    }
}
