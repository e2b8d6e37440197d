import Foundation

/// An element type that collectives can carry: `Double`, `Float`, `Int`, `UInt8` (closed).
public protocol Communicable: Sendable, Comparable {
    /// How the element travels (its MPI datatype, its byte size).
    static var communicableKind: CommunicableKind { get }
}

/// The wire type of a ``Communicable`` element.
public struct CommunicableKind: Hashable, Sendable {
    package enum Storage: Sendable { case double, float, int64, uint8 }
    package let storage: Storage

    /// Bytes per element.
    public var byteCount: Int {
        switch storage {
        case .double, .int64: 8
        case .float: 4
        case .uint8: 1
        }
    }
}

extension Double: Communicable {
    /// float64.
    public static var communicableKind: CommunicableKind { CommunicableKind(storage: .double) }
}

extension Float: Communicable {
    /// float32.
    public static var communicableKind: CommunicableKind { CommunicableKind(storage: .float) }
}

extension Int: Communicable {
    /// int64.
    public static var communicableKind: CommunicableKind { CommunicableKind(storage: .int64) }
}

extension UInt8: Communicable {
    /// bytes.
    public static var communicableKind: CommunicableKind { CommunicableKind(storage: .uint8) }
}

/// How `allreduce` combines the ranks' values, element by element.
public enum ReductionOperator: String, Sendable, CaseIterable {
    /// x₀ + x₁ + … (in rank order for the in-process group; MPI's order for MPI).
    case sum
    /// The smallest.
    case min
    /// The largest.
    case max

    package func apply<T: Communicable>(_ a: T, _ b: T) -> T {
        switch self {
        case .sum:
            switch T.communicableKind.storage {
            case .double: return unsafeBitCast(unsafeBitCast(a, to: Double.self) + unsafeBitCast(b, to: Double.self), to: T.self)
            case .float: return unsafeBitCast(unsafeBitCast(a, to: Float.self) + unsafeBitCast(b, to: Float.self), to: T.self)
            case .int64: return unsafeBitCast(unsafeBitCast(a, to: Int.self) &+ unsafeBitCast(b, to: Int.self), to: T.self)
            case .uint8: return unsafeBitCast(unsafeBitCast(a, to: UInt8.self) &+ unsafeBitCast(b, to: UInt8.self), to: T.self)
            }
        case .min: return Swift.min(a, b)
        case .max: return Swift.max(a, b)
        }
    }
}

/// A group of ranks (processes, or threads in tests) that exchange data with collectives.
///
/// Every rank of the group must call the same collectives in the same order; `allreduce` needs the
/// same count on every rank (checked: a mismatch throws ``CommunicationError/communication(_:)`` instead
/// of giving wrong answers). Backends: ``LocalCommunicator`` (one process; or an in-process group
/// of ranks on threads, for tests) and `MPICommunicator` (built with the `MPI` trait). Use
/// ``world()`` to get the right one.
public protocol Communicator: AnyObject, Sendable {
    /// This rank, 0..<size.
    var rank: Int { get }
    /// The number of ranks.
    var size: Int { get }
    /// What carries the data: `local`, `local group`, `MPI (Open MPI v4.1.4, …)`.
    var backend: String { get }

    /// Returns when every rank has called it.
    /// - Throws: ``CommunicationError/mpi(function:code:message:)`` or ``CommunicationError/rankFailed(rank:message:status:)``.
    func barrier() throws

    /// Root's values, on every rank.
    /// - Parameters:
    ///   - values: the values on `root` (ignored elsewhere).
    ///   - root: the sending rank.
    /// - Returns: root's values.
    /// - Throws: ``CommunicationError/communication(_:)`` for a root out of range; MPI errors.
    func broadcast<T: Communicable>(_ values: [T], from root: Int) throws -> [T]

    /// The elementwise reduction of every rank's values, on every rank.
    /// - Parameters:
    ///   - values: this rank's values (the same count on every rank).
    ///   - op: sum, min or max.
    /// - Returns: the reduced values (identical on every rank).
    /// - Throws: ``CommunicationError/communication(_:)`` when the counts differ; MPI errors.
    func allreduce<T: Communicable>(_ values: [T], _ op: ReductionOperator) throws -> [T]

    /// The elementwise reduction of every rank's values, in place (no new buffer: for repeated
    /// reductions such as one gradient per optimiser step).
    /// - Parameters:
    ///   - values: this rank's values on entry; the reduced values (identical on every rank) on return.
    ///   - op: sum, min or max.
    /// - Throws: ``CommunicationError/communication(_:)`` when the counts differ; MPI errors.
    func allreduce<T: Communicable>(_ values: inout [T], _ op: ReductionOperator) throws

    /// Every rank's values (counts may differ), in rank order, on every rank.
    /// - Parameter values: this rank's values.
    /// - Returns: `result[r]` is rank r's values.
    /// - Throws: MPI errors.
    func allgather<T: Communicable>(_ values: [T]) throws -> [[T]]

    /// Every rank's values, in rank order, on `root` only.
    /// - Parameters:
    ///   - values: this rank's values.
    ///   - root: the receiving rank.
    /// - Returns: on root, `result[r]` is rank r's values; nil elsewhere.
    /// - Throws: ``CommunicationError/communication(_:)`` for a root out of range; MPI errors.
    func gather<T: Communicable>(_ values: [T], to root: Int) throws -> [[T]]?

    /// Part r of root's `parts`, on rank r.
    /// - Parameters:
    ///   - parts: on root, one array per rank (ignored elsewhere).
    ///   - root: the sending rank.
    /// - Returns: this rank's part.
    /// - Throws: ``CommunicationError/communication(_:)`` when root gives a number of parts other than
    ///   `size`, or for a root out of range; MPI errors.
    func scatter<T: Communicable>(_ parts: [[T]], from root: Int) throws -> [T]

    /// Sends bytes to one rank (returns once they are on their way or delivered).
    /// - Parameters:
    ///   - bytes: the message.
    ///   - destination: the receiving rank.
    ///   - tag: matches sends with receives: 0...32766 (32767, the last tag MPI guarantees, is
    ///     reserved for Verdant's own messages).
    /// - Throws: ``CommunicationError/communication(_:)`` for a rank or tag out of range; MPI errors.
    func send(_ bytes: [UInt8], to destination: Int, tag: Int) throws

    /// Receives the next message with `tag` from `source`.
    /// - Parameters:
    ///   - source: the sending rank.
    ///   - tag: as given to `send` (0...32766).
    /// - Returns: the message.
    /// - Throws: ``CommunicationError/communication(_:)`` for a rank or tag out of range; MPI errors.
    func receive(from source: Int, tag: Int) throws -> [UInt8]

    /// Sends the bytes of `send` to `destination` while receiving exactly `receive.count` bytes from
    /// `source` into `receive` (MPI's `MPI_Sendrecv`): a pairwise exchange of raw buffers with no
    /// copy into arrays, for large contiguous data such as a distributed state's amplitudes. Either
    /// buffer may be empty. Both sides call it with matching sizes; the buffers must not overlap.
    /// It uses Verdant's reserved tag, so it never matches a user's `send`/`receive`.
    /// - Parameters:
    ///   - send: the bytes to send (at most 2³¹ − 1).
    ///   - destination: the receiving rank.
    ///   - receive: where the incoming bytes go; its count is the size expected.
    ///   - source: the sending rank.
    /// - Throws: ``CommunicationError/communication(_:)`` for a rank out of range or a size that does
    ///   not match what the source sent; ``CommunicationError/rankFailed(rank:message:status:)``; MPI errors.
    func sendReceive(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                     from source: Int) throws
}

/// A communicator whose `allreduce(_:.sum)` of `Double` values reveals only the sum, not each
/// rank's contribution (secure aggregation: `SecureAggregationCommunicator`).
///
/// Work spread over ranks looks for this conformance in one place (`reproducibleSum` in Parallel):
/// with it, each rank adds its own share of the items locally and the ranks' partial sums meet in
/// one `allreduce`, instead of every rank receiving every block's sum.
public protocol AggregatesPrivately: Communicator {}

/// The contiguous share of `0..<count` that `rank` of `size` owns: ranks get ⌊count/size⌋ or one
/// more, in rank order.
package func shareRange(of count: Int, rank: Int, size: Int) -> Range<Int> {
    (rank * count / size)..<((rank + 1) * count / size)
}

extension Communicator {
    /// This rank's contiguous share of `0..<count` (rank r of s gets `r·count/s ..< (r+1)·count/s`).
    /// - Parameter count: the number of items.
    /// - Returns: this rank's items.
    public func share(of count: Int) -> Range<Int> { shareRange(of: count, rank: rank, size: size) }
}

/// Checks a rank argument.
package func checkRank(_ r: Int, _ role: String, size: Int) throws {
    guard (0..<size).contains(r) else {
        throw CommunicationError.communication("\(role) rank \(r) is out of range: valid ranks are 0..<\(size)")
    }
}

/// The largest tag that `send` and `receive` accept. MPI guarantees tags 0...32767 on every
/// implementation (`MPI_TAG_UB` ≥ 32767); Verdant keeps the last one, ``internalTag``, for its
/// own point-to-point traffic, so a user's message can never be matched by it or take its place.
package let maximumUserTag = 32766

/// The tag of Verdant's own point-to-point messages (the parts sent by `scatter` over MPI).
package let internalTag = 32767

/// Checks a tag argument of the public `send` and `receive`.
package func checkTag(_ tag: Int) throws {
    guard (0...maximumUserTag).contains(tag) else {
        throw CommunicationError.communication("tag \(tag) is out of range: valid tags are 0...\(maximumUserTag) "
            + "(\(internalTag) is reserved for Verdant's own messages)")
    }
}
