import Foundation
import Testing
@testable import Parallel

/// The distributed array checks, written once and run on any communicator: in-process groups of 1,
/// 2 and 4 ranks here, and the MPI world under `mpirun -np 2` (WorldTests). Every result must equal
/// the one-rank result bit for bit. The collectives themselves are checked in CommunicationTests.
enum DistributedChecks {
    /// Distributed arrays, maps and sums: every result equals the one-rank result exactly.
    static func arrays(_ comm: any Communicator) throws {
        let scheduler = try Scheduler(threads: 2)
        let x = try ChunkedArray<Double>.random(shape: [1000], chunks: 37, seed: 7)
        let y = try ChunkedArray<Double>.random(shape: [1000], chunks: 37, seed: 8, distribution: .standardNormal)
        let expression = try (x ** 2 + 1) * y
        let local = try expression.compute(using: scheduler)
        #expect(try expression.compute(on: comm, using: scheduler) == local)
        for value in [expression.sum(), expression.max(), expression.min()] {
            #expect(try value.compute(on: comm, using: scheduler) == value.compute(using: scheduler))
        }
        #expect(try expression.variance().compute(on: comm) == expression.variance().compute())
        #expect(try expression.argmax().compute(on: comm) == expression.argmax().compute())
        #expect(try x.dot(y).compute(on: comm) == x.dot(y).compute())
        try expectBlocksMatchChunks(expression, on: comm)
        // 2-D: matmul tiles, axis reductions, transposes spread over ranks.
        let a = try ChunkedArray<Double>.random(shape: [30, 20], chunks: .sizes([7, 6]), seed: 3)
        let b = try ChunkedArray<Double>.random(shape: [20, 11], chunks: .sizes([6, 4]), seed: 4)
        let c = try a.matmul(b)
        #expect(try c.compute(on: comm, using: scheduler) == c.compute(using: scheduler))
        #expect(try a.mean(axis: 0).compute(on: comm) == a.mean(axis: 0).compute())
        #expect(try a.transposed.compute(on: comm) == a.transposed.compute())
        let persisted = try c.persist(on: comm)
        #expect(try persisted.sum().compute() == c.sum().compute())
        let ints = try ChunkedArray<Int>.arange(101, chunks: 10)
        #expect(try (ints ** 2).sum().compute(on: comm) == (0...100).map { $0 * $0 }.reduce(0, +))
        // A failure on one rank reaches every rank.
        let failing = x.mapBlocks { block in
            if block.index == [20] { throw Refusal(item: 20) }
            return block.values
        }
        let message = thrownMessage { _ = try failing.compute(on: comm) } ?? ""
        let owner = (0..<comm.size).first { shareRange(of: x.chunks.count, rank: $0, size: comm.size).contains(20) } ?? 0
        if comm.size == 1 {
            #expect(message == "task 'mapBlocks chunk (20)' failed: item 20 refused (the remaining tasks were cancelled)")
        } else if comm.rank == owner {
            #expect(message == "task 'mapBlocks chunk (20)' on rank \(owner) failed: item 20 refused (the remaining tasks were cancelled)")
        } else {
            #expect(message.hasPrefix("rank \(owner) failed: task 'mapBlocks chunk (20)' on rank \(owner) failed: item 20 refused"))
        }
        // The general task API across ranks: tiles gathered in order; sums reproducible bit for bit.
        let tiles = try comm.map(count: 23, using: scheduler) { i in [Double(i), Double(i * i)] }
        #expect(tiles == (0..<23).map { [Double($0), Double($0 * $0)] })
        let gradient = try comm.reproducibleSum(count: 101, length: 3, blockSize: 8, using: scheduler) { i, acc in
            let v = 1 / Double(i + 1)
            acc[0] += v
            acc[1] += v * v
            acc[2] += Double.sin(Double(i))
        }
        let reference = try LocalCommunicator().reproducibleSum(count: 101, length: 3, blockSize: 8, using: Scheduler(threads: 1)) { i, acc in
            let v = 1 / Double(i + 1)
            acc[0] += v
            acc[1] += v * v
            acc[2] += Double.sin(Double(i))
        }
        #expect(gradient == reference)
        var oracle = [0.0, 0.0, 0.0]
        for i in 0...100 {
            let v = 1 / Double(i + 1)
            oracle[0] += v
            oracle[1] += v * v
            oracle[2] += Double.sin(Double(i))
        }
        #expect(close(gradient, oracle))
        let mapFailure = thrownMessage { _ = try comm.map(count: 10, using: scheduler) { i -> [Int] in
            if i == 9 { throw Refusal(item: 9) }
            return [i]
        } } ?? ""
        #expect(mapFailure.contains("index 9") && mapFailure.contains("item 9 refused"))
    }
}

@Suite("distributed arrays")
struct DistributedArrayTests {
    @Test("distributed arrays, maps and sums equal the one-rank result on 1, 2 and 4 ranks", arguments: [1, 2, 4])
    func arrays(ranks: Int) throws {
        _ = try LocalCommunicator.run(ranks: ranks) { comm in try DistributedChecks.arrays(comm) }
    }
}

/// Distributed arrays on the world communicator: size 1 in a plain `swift test`; all ranks when the
/// test binary runs under `mpirun` with the MPI trait (.ci/run filters to the WorldTests suites).
@Suite("world", .serialized)
struct WorldTests {
    @Test("distributed arrays on the world equal the one-rank result")
    func arrays() throws {
        let world = try Distributed.world()
        #expect(world.size >= 1 && (0..<world.size).contains(world.rank))
        try DistributedChecks.arrays(world)
    }
}
