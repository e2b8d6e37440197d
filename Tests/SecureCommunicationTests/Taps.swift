@_exported import _TestSupport
import Communication
import Foundation

/// A communicator that passes everything to the one it wraps and records (or changes) the byte
/// payloads on the way: the "network" between an encrypted or masked layer and the ranks, as a
/// host in the middle sees it. Tests use it to look at what crosses the wire and to tamper with it.
final class Tap: Communicator, @unchecked Sendable {
    let inner: any Communicator
    var rank: Int { inner.rank }
    var size: Int { inner.size }
    var backend: String { inner.backend }

    /// What the tap does to a byte payload this rank receives (the operation's name, the source
    /// rank, the bytes); nil leaves it alone.
    let alter: (@Sendable (String, Int, [UInt8]) -> [UInt8]?)?
    /// What the tap does to the bytes of a raw exchange (`sendReceive`) this rank receives: the
    /// source rank, the exchange's index among this rank's exchanges with that source (0, 1, …),
    /// the bytes, changed in place.
    let alterRaw: (@Sendable (Int, Int, UnsafeMutableRawBufferPointer) -> Void)?
    fileprivate let lock = NSLock()
    /// Nonblocking exchanges started with each source (their indices for `alterRaw`).
    fileprivate var started: [Int: Int] = [:]
    /// Every byte payload received by this rank from another rank, in order.
    private(set) var seen: [(operation: String, source: Int, bytes: [UInt8])] = []
    /// Every Int payload received by this rank from another rank (secure aggregation's masked words).
    private(set) var seenWords: [(source: Int, words: [Int])] = []
    /// Every raw exchange's bytes received by this rank from another rank, in order (as received,
    /// before `alterRaw`).
    fileprivate(set) var seenRaw: [(source: Int, bytes: [UInt8])] = []

    init(_ inner: any Communicator, alter: (@Sendable (String, Int, [UInt8]) -> [UInt8]?)? = nil,
         alterRaw: (@Sendable (Int, Int, UnsafeMutableRawBufferPointer) -> Void)? = nil)
    {
        self.inner = inner
        self.alter = alter
        self.alterRaw = alterRaw
    }

    private func observe<T>(_ operation: String, _ source: Int, _ values: [T]) -> [T] {
        guard source != rank else { return values }
        if let words = values as? [Int] {
            lock.lock()
            seenWords.append((source, words))
            lock.unlock()
            return values
        }
        guard let bytes = values as? [UInt8] else { return values }
        lock.lock()
        seen.append((operation, source, bytes))
        lock.unlock()
        if let alter, let changed = alter(operation, source, bytes), let result = changed as? [T] { return result }
        return values
    }

    func barrier() throws { try inner.barrier() }
    func broadcast<T: Communicable>(_ values: [T], from root: Int) throws -> [T] {
        observe("broadcast", root, try inner.broadcast(values, from: root))
    }
    func allreduce<T: Communicable>(_ values: [T], _ op: ReductionOperator) throws -> [T] { try inner.allreduce(values, op) }
    func allreduce<T: Communicable>(_ values: inout [T], _ op: ReductionOperator) throws { try inner.allreduce(&values, op) }
    func allgather<T: Communicable>(_ values: [T]) throws -> [[T]] {
        try inner.allgather(values).enumerated().map { observe("allgather", $0.offset, $0.element) }
    }
    func gather<T: Communicable>(_ values: [T], to root: Int) throws -> [[T]]? {
        try inner.gather(values, to: root).map { $0.enumerated().map { observe("gather", $0.offset, $0.element) } }
    }
    func scatter<T: Communicable>(_ parts: [[T]], from root: Int) throws -> [T] {
        observe("scatter", root, try inner.scatter(parts, from: root))
    }
    func send(_ bytes: [UInt8], to destination: Int, tag: Int) throws { try inner.send(bytes, to: destination, tag: tag) }
    func receive(from source: Int, tag: Int) throws -> [UInt8] {
        observe("receive", source, try inner.receive(from: source, tag: tag))
    }
    func sendReceive(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                     from source: Int) throws
    {
        try inner.sendReceive(send, to: destination, receive, from: source)
        guard source != rank else { return }
        lock.lock()
        let index = started[source, default: 0]
        started[source] = index + 1
        seenRaw.append((source, Array(receive)))
        lock.unlock()
        alterRaw?(source, index, receive)
    }
}

extension Tap: NonblockingExchanging {
    /// The inner communicator's exchange (nonblocking where it has one), seen and altered like
    /// `sendReceive` once it completes; its index among this rank's exchanges with `source` is
    /// the order started.
    func startNonblockingExchange(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                                  from source: Int) throws -> any PendingExchange
    {
        let exchange = try inner.startExchange(send, to: destination, receive, from: source)
        guard source != rank else { return exchange }
        lock.lock()
        let index = started[source, default: 0]
        started[source] = index + 1
        lock.unlock()
        return TapExchange(tap: self, exchange: exchange, source: source, index: index, receive: receive)
    }

    /// Records (and alters) a completed exchange's received bytes.
    fileprivate func completed(source: Int, index: Int, receive: UnsafeMutableRawBufferPointer) {
        lock.lock()
        seenRaw.append((source, Array(receive)))
        lock.unlock()
        alterRaw?(source, index, receive)
    }
}

/// An exchange through a tap: the tap sees its bytes when it completes.
final class TapExchange: PendingExchange {
    private let tap: Tap
    private let exchange: any PendingExchange
    private let source: Int
    private let index: Int
    private let receive: UnsafeMutableRawBufferPointer
    private var seen = false

    init(tap: Tap, exchange: any PendingExchange, source: Int, index: Int, receive: UnsafeMutableRawBufferPointer) {
        self.tap = tap
        self.exchange = exchange
        self.source = source
        self.index = index
        self.receive = receive
    }

    private func see() {
        guard !seen else { return }
        seen = true
        tap.completed(source: source, index: index, receive: receive)
    }

    func test() throws -> Bool {
        guard try exchange.test() else { return false }
        see()
        return true
    }

    func wait() throws {
        try exchange.wait()
        see()
    }
}

/// Whether `pattern` occurs in `bytes`.
func contains(_ bytes: [UInt8], _ pattern: [UInt8]) -> Bool {
    guard pattern.count <= bytes.count, !pattern.isEmpty else { return pattern.isEmpty }
    for start in 0...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
        if bytes[start..<(start + pattern.count)].elementsEqual(pattern) { return true }
    }
    return false
}
