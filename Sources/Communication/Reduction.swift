// Elementwise reductions over contiguous buffers: the one kernel every communicator that reduces
// by itself (the in-process group, the encrypted layer) combines with, and the helpers around it
// that those communicators share.
//
// Argument order of every kernel here: (destination, first operand, second operand, count).
// `destination[i] = first[i] ⊕ second[i]`; the destination may be either operand (each index is
// read before it is written), so a running reduction is `combine(into: acc, acc, next, count:)`.
// The result is bit-identical to `ReductionOperator.apply(first[i], second[i])`: the same
// operation in the same operand order (sums of Int64 and UInt8 wrap, as MPI's do in practice).

extension ReductionOperator {
    /// `destination[i] = first[i] ⊕ second[i]` for `i < count`, one tight loop per element type
    /// (the element type is chosen once, not per element). No validation: the caller owns `count`
    /// elements at each pointer.
    package func combine<T: Communicable>(into destination: UnsafeMutablePointer<T>, _ first: UnsafePointer<T>,
                                          _ second: UnsafePointer<T>, count: Int)
    {
        switch T.communicableKind.storage {
        case .double: combineTyped(destination, first, second, count, as: Double.self)
        case .float: combineTyped(destination, first, second, count, as: Float.self)
        case .int64: combineTyped(destination, first, second, count, as: Int64.self)
        case .uint8: combineTyped(destination, first, second, count, as: UInt8.self)
        }
    }

    /// Rebinds the buffers to the concrete element type `E` (the same layout as `T`, as the
    /// storage switch above guarantees) and runs this operator's loop on it.
    @inline(__always)
    private func combineTyped<T, E: ReducibleElement>(_ destination: UnsafeMutablePointer<T>, _ first: UnsafePointer<T>,
                                                      _ second: UnsafePointer<T>, _ count: Int, as _: E.Type)
    {
        assert(MemoryLayout<T>.stride == MemoryLayout<E>.stride)
        let d = UnsafeMutableRawPointer(destination).assumingMemoryBound(to: E.self)
        let a = UnsafeRawPointer(first).assumingMemoryBound(to: E.self)
        let b = UnsafeRawPointer(second).assumingMemoryBound(to: E.self)
        switch self {
        case .sum: for i in 0..<count { d[i] = E.wrappingSum(a[i], b[i]) }
        case .min: for i in 0..<count { d[i] = Swift.min(a[i], b[i]) }
        case .max: for i in 0..<count { d[i] = Swift.max(a[i], b[i]) }
        }
    }
}

/// The element types the kernel reduces, with their sum (wrapping for integers, as `apply`).
private protocol ReducibleElement: Comparable {
    static func wrappingSum(_ a: Self, _ b: Self) -> Self
}

extension Double: ReducibleElement {
    @inline(__always) static func wrappingSum(_ a: Double, _ b: Double) -> Double { a + b }
}

extension Float: ReducibleElement {
    @inline(__always) static func wrappingSum(_ a: Float, _ b: Float) -> Float { a + b }
}

extension Int64: ReducibleElement {
    @inline(__always) static func wrappingSum(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
}

extension UInt8: ReducibleElement {
    @inline(__always) static func wrappingSum(_ a: UInt8, _ b: UInt8) -> UInt8 { a &+ b }
}

/// The error every communicator that compares counts itself throws when the ranks' counts differ
/// (the same message on every rank and every backend but MPI's, which sees only the extremes).
package func differentCountsError(_ counts: [Int], operation: String = "allreduce") -> CommunicationError {
    .communication("\(operation): the ranks gave different counts \(counts); every rank must give the same count")
}

/// The elementwise reduction of every rank's contribution, combined in rank order
/// (`((x₀ ⊕ x₁) ⊕ x₂) ⊕ …`), so every rank that runs it on the same contributions holds the same bits.
/// - Parameters:
///   - all: `all[r]` is rank r's contribution (at least one).
///   - op: sum, min or max.
/// - Returns: the reduction.
/// - Throws: ``CommunicationError/communication(_:)`` when the counts differ.
package func reduceInRankOrder<T: Communicable>(_ all: [[T]], _ op: ReductionOperator) throws -> [T] {
    let counts = all.map(\.count)
    guard let first = all.first, counts.allSatisfy({ $0 == first.count }) else { throw differentCountsError(counts) }
    var result = first
    result.withUnsafeMutableBufferPointer { out in
        guard let target = out.baseAddress else { return }
        for other in all.dropFirst() {
            other.withUnsafeBufferPointer { input in
                if let source = input.baseAddress { op.combine(into: target, target, source, count: out.count) }
            }
        }
    }
    return result
}

/// Copies a message that a raw `sendReceive` received (as an array) into the caller's buffer,
/// refusing one of another size.
/// - Throws: ``CommunicationError/communication(_:)`` when `message` is not `receive.count` bytes.
package func deliver(_ message: [UInt8], into receive: UnsafeMutableRawBufferPointer, rank: Int, source: Int) throws {
    guard message.count == receive.count else {
        throw CommunicationError.communication(
            "sendReceive: rank \(rank) expected \(receive.count) bytes from rank \(source), which sent \(message.count)")
    }
    guard let base = receive.baseAddress else { return }
    message.withUnsafeBytes { raw in
        if let from = raw.baseAddress { base.copyMemory(from: from, byteCount: raw.count) }
    }
}
