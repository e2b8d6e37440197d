import _TestSupport
import Communication
import Foundation
import Privacy
@testable import SecureCommunication
import Testing

/// Every allreduce of the encrypted layer reduced in chunks of `chunkBytes` (tests use tiny chunks,
/// so that a few dozen values cross many chunk and segment boundaries).
func chunked(_ comm: any Communicator, key: RawKey, chunkBytes: Int = 64, minimumBytes: Int = 1,
             pipelined: Bool = EncryptedCommunicator.defaultPipelinesChunks) throws -> EncryptedCommunicator
{
    try EncryptedCommunicator(wrapping: comm, clusterKey: key, chunkBytes: chunkBytes, chunkedMinimumBytes: minimumBytes,
                              pipelinesChunks: pipelined)
}

/// The oracle: every rank's values combined in rank order, written out element by element.
func rankOrderReduction<T: Communicable>(_ all: [[T]], _ combine: (T, T) -> T) -> [T] {
    var result = all[0]
    for other in all.dropFirst() { for k in result.indices { result[k] = combine(result[k], other[k]) } }
    return result
}

@Suite("encrypted allreduce in chunks")
struct ChunkedAllreduceTests {
    @Test("the same bits as the rank-order reduction, across chunk and segment boundaries, for every type and operator, pipelined or not",
          arguments: [2, 3, 4], [true, false])
    func equalsRankOrder(ranks: Int, pipelined: Bool) throws {
        let key = try clusterKey()
        // 64-byte chunks hold 8 Doubles: counts around one chunk, one chunk per rank and two.
        let counts = [1, 7, 8, 9, 8 * ranks - 1, 8 * ranks, 8 * ranks + 1, 16 * ranks + 3, 101]
        let contributions = (0..<ranks).map { r in counts.map { values(count: $0, rank: r, seed: UInt64($0), range: 1e6) } }
        let results = try LocalCommunicator.run(ranks: ranks) { comm -> [[[UInt64]]] in
            let encrypted = try chunked(comm, key: key, pipelined: pipelined)
            return try counts.indices.map { c -> [[UInt64]] in
                let mine = contributions[comm.rank][c]
                var inPlace = mine.map { $0 * 3 }
                try encrypted.allreduce(&inPlace, .sum)
                return [
                    try encrypted.allreduce(mine, .sum).map(\.bitPattern),
                    try encrypted.allreduce(mine, .min).map(\.bitPattern),
                    try encrypted.allreduce(mine, .max).map(\.bitPattern),
                    try encrypted.allreduce(mine.map(Float.init), .sum).map { UInt64($0.bitPattern) },
                    try encrypted.allreduce(mine.map { Int($0 * 1e12) }, .sum).map { UInt64(bitPattern: Int64($0)) },
                    try encrypted.allreduce(mine.map { UInt8(truncatingIfNeeded: Int($0)) }, .sum).map { UInt64($0) },
                    inPlace.map(\.bitPattern),
                ]
            }
        }
        for (c, count) in counts.enumerated() {
            let all = (0..<ranks).map { contributions[$0][c] }
            let expected: [[UInt64]] = [
                rankOrderReduction(all, +).map(\.bitPattern),
                rankOrderReduction(all, { Swift.min($0, $1) }).map(\.bitPattern),
                rankOrderReduction(all, { Swift.max($0, $1) }).map(\.bitPattern),
                rankOrderReduction(all.map { $0.map(Float.init) }, +).map { UInt64($0.bitPattern) },
                rankOrderReduction(all.map { $0.map { Int($0 * 1e12) } }, &+).map { UInt64(bitPattern: Int64($0)) },
                rankOrderReduction(all.map { $0.map { UInt8(truncatingIfNeeded: Int($0)) } }, &+).map { UInt64($0) },
                rankOrderReduction(all.map { $0.map { $0 * 3 } }, +).map(\.bitPattern),
            ]
            for rank in 0..<ranks {
                for (kind, name) in ["Double sum", "Double min", "Double max", "Float sum", "Int sum", "UInt8 sum", "in place"].enumerated() {
                    #expect(results[rank][c][kind] == expected[kind], "\(name), \(count) values, rank \(rank) of \(ranks), pipelined \(pipelined)")
                }
            }
        }
        // Rank order matters for these sums (the oracle is not order-blind): 3+ ranks differ reversed.
        if ranks > 2 {
            let all = (0..<ranks).map { contributions[$0][counts.count - 1] }
            #expect(rankOrderReduction(all, +) != rankOrderReduction(all.reversed(), +))
        }
    }

    @Test("the default settings: every collective, with the 100 000-value sum reduced in chunks (one per segment)", arguments: [2, 3])
    func defaultChunks(ranks: Int) throws {
        let key = try clusterKey()
        let exchanges = try LocalCommunicator.run(ranks: ranks) { comm -> Int in
            let tap = Tap(comm)
            try CollectiveChecks.collectives(try EncryptedCommunicator(wrapping: tap, clusterKey: key))
            return tap.seenRaw.count
        }
        // 800 000 bytes over n ranks in chunks of the default size, both phases, n − 1 peers each.
        let longestSegment = (100_000 + ranks - 1) / ranks
        let chunkDoubles = EncryptedCommunicator.defaultChunkBytes / 8
        let chunks = (longestSegment + chunkDoubles - 1) / chunkDoubles
        #expect(chunks == 1)
        #expect(exchanges.allSatisfy { $0 == 2 * chunks * (ranks - 1) }, "\(exchanges)")
    }

    @Test("counts that differ stop every rank, also when one rank's count is below the chunked minimum and another's above")
    func differentCounts() throws {
        let key = try clusterKey()
        let outcomes = try LocalCommunicator.run(ranks: 3) { comm -> String in
            let encrypted = try chunked(comm, key: key, minimumBytes: 16)
            // 8 bytes (one envelope) on rank 0; 16 and 24 bytes (chunked) on ranks 1 and 2.
            let message = thrownMessage { _ = try encrypted.allreduce([Double](repeating: 1, count: comm.rank + 1), .sum) } ?? "reduced"
            // The layer still works afterwards.
            let after = try encrypted.allreduce([Double](repeating: 1, count: 5), .sum)
            return message + " | \(after)"
        }
        for outcome in outcomes {
            #expect(outcome == "communication error: allreduce: the ranks gave different counts [1, 2, 3]; every rank must give the same count"
                + " | [3.0, 3.0, 3.0, 3.0, 3.0]")
        }
    }

    @Test("a tampered chunk in the middle of the pipeline stops every rank with the tampered error, pipelined or not",
          arguments: [2, 3], [true, false])
    func tamperedMiddleChunk(ranks: Int, pipelined: Bool) throws {
        let key = try clusterKey()
        // 20 Doubles per rank: segments of 20, 3 chunks of 8, 8 and 4. From rank 1, rank 0 receives
        // 6 pieces: (phase, chunk) = RS 0, RS 1, AG 0, RS 2, AG 1, AG 2 in the order the pipeline
        // starts them (RS 0, AG 0, RS 1, AG 1, RS 2, AG 2 not pipelined). Change each middle one:
        // exchanges in flight before and after it.
        for target in 1...4 {
            let outcomes = try LocalCommunicator.run(ranks: ranks) { comm -> String in
                let tap = Tap(comm, alterRaw: { source, index, bytes in
                    guard comm.rank == 0, source == 1, index == target else { return }
                    bytes[bytes.count / 2] ^= 0x01
                })
                let encrypted = try chunked(tap, key: key, pipelined: pipelined)
                let message = thrownMessage { _ = try encrypted.allreduce([Double](repeating: 1, count: 20 * ranks), .sum) } ?? "no error"
                // The layer goes on working after the failure.
                let after = try encrypted.allreduce([Double](repeating: 1, count: 20 * ranks), .sum)
                return after.allSatisfy { $0 == Double(ranks) } ? message : "wrong sum after the failure"
            }
            let expected = "encrypted traffic: a message from rank 1 to rank 0 (allreduce) failed authentication: "
                + "it was changed, replayed, reordered or forged on the way; the job stops on every rank"
            #expect(outcomes[0] == expected, "exchange \(target)")
            for rank in 1..<ranks { #expect(outcomes[rank] == "rank 0 failed: " + expected, "exchange \(target), rank \(rank)") }
        }
    }

    @Test("nonces differ across chunks and calls: equal plaintext chunks never give equal ciphertext, and a chunk replayed from an earlier call fails")
    func noncesDiffer() throws {
        let key = try clusterKey()
        // Every chunk of every call carries the same plaintext (all ones; the allgather phase all twos),
        // so equal ciphertexts could only come from a repeated nonce (GCM's ciphertext does not depend
        // on the associated data).
        let seen = try LocalCommunicator.run(ranks: 2) { comm -> [[UInt8]] in
            let tap = Tap(comm)
            let encrypted = try chunked(tap, key: key)
            for _ in 0..<2 { _ = try encrypted.allreduce([Double](repeating: 1, count: 64), .sum) }
            return tap.seenRaw.map { Array($0.bytes.dropLast(16)) }
        }
        for (rank, pieces) in seen.enumerated() {
            #expect(pieces.count == 2 * 2 * 4, "rank \(rank): 2 calls × 2 phases × 4 chunks")
            #expect(Set(pieces).count == pieces.count, "rank \(rank): a ciphertext repeated")
        }
        // A host in the middle keeps rank 1's first chunk of the first call and sends it again in the
        // second call, where everything else (phase, chunk index, count, pair) is the same.
        let outcomes = try LocalCommunicator.run(ranks: 2) { comm -> String in
            let recorded = RecordedBytes()
            let tap = Tap(comm, alterRaw: { source, index, bytes in
                guard comm.rank == 0, source == 1 else { return }
                if index == 0 { recorded.keep(Array(bytes)) }
                if index == 8, let first = recorded.bytes, first.count == bytes.count { bytes.copyBytes(from: first) }
            })
            let encrypted = try chunked(tap, key: key)
            _ = try encrypted.allreduce([Double](repeating: 1, count: 64), .sum)
            return thrownMessage { _ = try encrypted.allreduce([Double](repeating: 1, count: 64), .sum) } ?? "accepted"
        }
        #expect(outcomes[0].hasPrefix("encrypted traffic: a message from rank 1 to rank 0 (allreduce) failed authentication"), "\(outcomes[0])")
        #expect(outcomes[1].hasPrefix("rank 0 failed: encrypted traffic"), "\(outcomes[1])")
    }
}

/// Bytes kept by a tap between two exchanges.
final class RecordedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [UInt8]?
    func keep(_ bytes: [UInt8]) {
        lock.lock()
        kept = bytes
        lock.unlock()
    }
    var bytes: [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        return kept
    }
}
