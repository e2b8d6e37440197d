import Foundation
import Testing
@testable import Parallel

/// `partitionedSum`: items that only one rank can compute (federated shards). The oracle is a plain
/// loop over every item in index order; the ranks' partial sums are added in another order, so the
/// results agree within rounding (and exactly when every term is an integer).
@Suite("partitioned sums over items held by one rank each")
struct PartitionedSumTests {
    /// Item i's vector: [i, 1/(i+1), (−1)^i].
    static func term(_ i: Int, _ accumulator: inout [Double]) {
        accumulator[0] += Double(i)
        accumulator[1] += 1 / Double(i + 1)
        accumulator[2] += i % 2 == 0 ? 1 : -1
    }

    @Test("each rank adds the items it holds; every rank gets the one-process sum, for any holding pattern", arguments: [1, 2, 3])
    func sums(ranks: Int) throws {
        var reference = [Double](repeating: 0, count: 3)
        for i in 0..<101 { Self.term(i, &reference) }
        let results = try LocalCommunicator.run(ranks: ranks) { comm -> [[Double]] in
            let scheduler = try Scheduler(threads: 2)
            // Contiguous shards, interleaved items, and every item on the last rank.
            let patterns: [@Sendable (Int) -> Bool] = [
                { shareRange(of: 101, rank: comm.rank, size: comm.size).contains($0) },
                { $0 % comm.size == comm.rank },
                { _ in comm.rank == comm.size - 1 },
            ]
            let sums = try patterns.map { holds in
                try comm.partitionedSum(count: 101, length: 3, using: scheduler, holds: holds) { Self.term($0, &$1) }
            }
            let counted = try comm.partitionedSum(count: 101, length: 1, using: scheduler, holds: patterns[1]) { _, a in a[0] += 1 }
            return sums + [counted]
        }
        for perRank in results {
            for sum in perRank.dropLast() {
                #expect(sum[0] == reference[0] && sum[2] == reference[2], "integer terms add exactly")
                #expect(abs(sum[1] - reference[1]) <= 1e-14 * reference[1])
            }
            #expect(perRank.last == [101], "each item counted once")
        }
        #expect(try LocalCommunicator().partitionedSum(count: 0, length: 2, holds: { _ in true }) { _, _ in } == [0, 0])
    }

    @Test("a term that throws on one rank stops every rank; a bad length is refused")
    func failures() throws {
        let messages = try LocalCommunicator.run(ranks: 2) { comm -> String in
            do {
                _ = try comm.partitionedSum(count: 10, length: 1, holds: { $0 % 2 == comm.rank }) { i, _ in
                    if i == 7 { throw ParallelError.invalidArgument("item 7 is bad") }
                }
                return "summed"
            } catch {
                return "\(error)"
            }
        }
        #expect(messages[1].contains("item 7 is bad"), "\(messages[1])")
        #expect(messages[0].contains("rank 1 failed") && messages[0].contains("item 7 is bad"), "\(messages[0])")
        #expect(throws: ParallelError.self) { try LocalCommunicator().partitionedSum(count: -1, length: 1, holds: { _ in true }) { _, _ in } }
        #expect(throws: ParallelError.self) {
            try LocalCommunicator().partitionedSum(count: 2, length: 1, holds: { _ in true }) { _, a in a.append(1) }
        }
    }
}
