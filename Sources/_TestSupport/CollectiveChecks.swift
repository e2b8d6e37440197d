import Communication
import Foundation

/// A check of ``CollectiveChecks`` that did not hold: what was expected and what came.
public struct CollectiveCheckFailure: Error, CustomStringConvertible {
    /// The check and the values seen.
    public let description: String
}

/// The collective checks, written once and run on any communicator: in-process groups, the MPI
/// world under `mpirun`, and the secure layers (encrypted, masked) over either. Each check throws
/// a ``CollectiveCheckFailure`` naming the rank, what was expected and what came, so the same
/// body serves every test target and every backend.
public enum CollectiveChecks {
    static func require(_ condition: Bool, _ what: @autoclosure () -> String, rank: Int) throws {
        guard condition else { throw CollectiveCheckFailure(description: "rank \(rank): \(what())") }
    }

    static func requireEqual<T: Equatable>(_ value: T, _ expected: T, _ what: String, rank: Int) throws {
        try require(value == expected, "\(what): expected \(expected), received \(value)", rank: rank)
    }

    /// Collectives and point-to-point messages against values each rank can predict, and the
    /// errors every backend must give the same way.
    /// - Parameter comm: the communicator (every rank of its group calls this).
    /// - Throws: ``CollectiveCheckFailure`` for the first check that fails; the communicator's errors.
    public static func collectives(_ comm: any Communicator) throws {
        let r = comm.rank, s = comm.size
        try comm.barrier()
        try requireEqual(try comm.allreduce([Double(r), 1.5], .sum), [Double(s * (s - 1) / 2), 1.5 * Double(s)], "Double sum", rank: r)
        try requireEqual(try comm.allreduce([r, -r], .max), [s - 1, 0], "Int max", rank: r)
        try requireEqual(try comm.allreduce([Float(r) + 0.5], .min), [0.5], "Float min", rank: r)
        try requireEqual(try comm.allreduce([UInt8(r)], .sum), [UInt8(s * (s - 1) / 2)], "UInt8 sum", rank: r)
        try requireEqual(try comm.allreduce([Double](), .sum), [], "empty sum", rank: r)
        var inPlace = [Double(r), -Double(r)]
        try comm.allreduce(&inPlace, .sum)
        try requireEqual(inPlace, [Double(s * (s - 1) / 2), -Double(s * (s - 1) / 2)], "in-place sum", rank: r)
        if s > 1 {
            var mixed = [Int](repeating: 1, count: r + 1)
            let message = thrownMessage { try comm.allreduce(&mixed, .max) } ?? "nothing thrown"
            try require(message.hasPrefix("communication error: allreduce: the ranks gave different counts"),
                        "mismatched in-place counts: \(message)", rank: r)
        }
        let big = (0..<100_000).map { Double($0 + r) }
        let sum = try comm.allreduce(big, .sum)
        try requireEqual(sum[99_999], Double(s) * 99_999 + Double(s * (s - 1) / 2), "large sum", rank: r)
        try requireEqual(try comm.broadcast(r == s - 1 ? [7, 8, 9] : [], from: s - 1), [7, 8, 9], "broadcast", rank: r)
        let gathered = try comm.allgather(Array(repeating: r, count: r + 1))
        try requireEqual(gathered, (0..<s).map { Array(repeating: $0, count: $0 + 1) }, "allgather", rank: r)
        let atRoot = try comm.gather([Double(r)], to: 0)
        try requireEqual(atRoot, r == 0 ? (0..<s).map { [Double($0)] } : nil, "gather", rank: r)
        let part = try comm.scatter(r == 0 ? (0..<s).map { [$0 * 10, $0] } : [], from: 0)
        try requireEqual(part, [r * 10, r], "scatter", rank: r)
        // Point to point: a ring.
        let next = (r + 1) % s, previous = (r + s - 1) % s
        try comm.send(Array("hello from \(r)".utf8), to: next, tag: 5)
        try requireEqual(String(decoding: try comm.receive(from: previous, tag: 5), as: UTF8.self), "hello from \(previous)", "ring", rank: r)
        // Errors every rank sees the same way.
        try requireEqual(thrownMessage { _ = try comm.broadcast([1.0], from: s) },
                         "communication error: root rank \(s) is out of range: valid ranks are 0..<\(s)", "root out of range", rank: r)
        try requireEqual(thrownMessage { try comm.send([], to: -1, tag: 0) },
                         "communication error: destination rank -1 is out of range: valid ranks are 0..<\(s)", "destination out of range", rank: r)
        let tagMessage = "communication error: tag 40000 is out of range: valid tags are 0...32766 (32767 is reserved for Verdant's own messages)"
        try requireEqual(thrownMessage { _ = try comm.receive(from: 0, tag: 40000) }, tagMessage, "tag out of range", rank: r)
        // 32767 is Verdant's own: refused on both sides, on every communicator.
        try requireEqual(thrownMessage { try comm.send([1], to: next, tag: 32767) },
                         "communication error: tag 32767 is out of range: valid tags are 0...32766 (32767 is reserved for Verdant's own messages)",
                         "reserved tag", rank: r)
        try require(thrownMessage { _ = try comm.receive(from: previous, tag: 32767) }?.hasPrefix("communication error: tag 32767 is out of range") == true,
                    "reserved tag on receive", rank: r)
        try require(thrownMessage { _ = try comm.receive(from: previous, tag: -1) }?.hasPrefix("communication error: tag -1 is out of range") == true,
                    "negative tag", rank: r)
        // A user message with the largest user tag, in flight across a scatter, is neither taken by
        // the scatter nor disturbs it.
        try comm.send(Array("pending \(r)".utf8), to: next, tag: 32766)
        let scattered = try comm.scatter(r == s - 1 ? (0..<s).map { [Double($0) + 0.25] } : [], from: s - 1)
        try requireEqual(scattered, [Double(r) + 0.25], "scatter across a pending message", rank: r)
        try requireEqual(String(decoding: try comm.receive(from: previous, tag: 32766), as: UTF8.self), "pending \(previous)",
                         "pending message", rank: r)
        if s > 1 {
            let counts = thrownMessage { _ = try comm.allreduce(Array(repeating: 1.0, count: r + 1), .sum) } ?? "nothing thrown"
            try require(counts.hasPrefix("communication error: allreduce: the ranks gave different counts"), "mismatched counts: \(counts)", rank: r)
            try requireEqual(thrownMessage { _ = try comm.scatter(r == 0 ? [[1]] : [], from: 0) },
                             "communication error: scatter: root gave 1 parts for \(s) ranks; give one part per rank", "scatter parts", rank: r)
        }
        try comm.barrier()
    }

    /// Nonblocking pairwise exchanges (Communication/NonblockingExchange.swift) in a ring: several
    /// in flight at once (an eager-sized one, an empty one and one of 300 000 bytes, which MPI sends
    /// by rendezvous) complete into the right buffers when waited on in reverse order and when
    /// only tested; a size other than expected gives `sendReceive`'s error.
    /// - Parameter comm: the communicator (every rank of its group calls this).
    /// - Throws: ``CollectiveCheckFailure`` for the first check that fails; the communicator's errors.
    public static func nonblockingExchanges(_ comm: any Communicator) throws {
        let r = comm.rank, s = comm.size
        let next = (r + 1) % s, previous = (r + s - 1) % s
        let sizes = [40, 0, 300_000, 7]
        // Byte k of message i from rank q.
        func pattern(_ i: Int, _ q: Int, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i &* 7 &+ q) } }
        for waitInReverse in [true, false] {
            let outgoing = sizes.indices.map { pattern($0, r, sizes[$0]) }
            let incoming = sizes.map { UnsafeMutableRawBufferPointer.allocate(byteCount: $0, alignment: 8) }
            let sending = outgoing.map { bytes in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
                buffer.copyBytes(from: bytes)
                return buffer
            }
            defer { for buffer in incoming + sending { buffer.deallocate() } }
            for buffer in incoming { buffer.initializeMemory(as: UInt8.self, repeating: 0xEE) }
            let exchanges = try sizes.indices.map { i in
                try comm.startExchange(UnsafeRawBufferPointer(sending[i]), to: next, incoming[i], from: previous)
            }
            if waitInReverse {
                for exchange in exchanges.reversed() { try exchange.wait() }
            } else {
                var open = exchanges
                while !open.isEmpty { open = try open.filter { !(try $0.test()) } }
            }
            for i in sizes.indices {
                try requireEqual(Array(incoming[i]), pattern(i, previous, sizes[i]), "exchange \(i) of \(sizes[i]) bytes"
                    + (waitInReverse ? ", waited in reverse" : ", tested"), rank: r)
            }
        }
        // Rank 0 expects one byte more than its source sends.
        let eight = [UInt8](repeating: 1, count: 8)
        var into = [UInt8](repeating: 0, count: r == 0 ? 9 : 8)
        let message = eight.withUnsafeBytes { out in
            into.withUnsafeMutableBytes { buffer in
                thrownMessage { try comm.startExchange(out, to: next, buffer, from: previous).wait() }
            }
        }
        try requireEqual(message, r == 0 ? "communication error: sendReceive: rank 0 expected 9 bytes from rank \(previous), which sent 8" : nil,
                         "a size mismatch", rank: r)
        try comm.barrier()
    }
}
