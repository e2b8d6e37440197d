import Foundation
import Testing
@testable import Parallel

/// The distributed checks, written once and run on any communicator: in-process groups of 1, 2 and
/// 4 ranks here, and the MPI world under `mpirun -np 2` (WorldTests). Every result must equal the
/// one-rank result bit for bit.
enum DistributedChecks {
    /// Collectives against values each rank can predict.
    static func collectives(_ comm: any Communicator) throws {
        let r = comm.rank, s = comm.size
        try comm.barrier()
        #expect(try comm.allreduce([Double(r), 1.5], .sum) == [Double(s * (s - 1) / 2), 1.5 * Double(s)])
        #expect(try comm.allreduce([r, -r], .max) == [s - 1, 0])
        #expect(try comm.allreduce([Float(r) + 0.5], .min) == [0.5])
        #expect(try comm.allreduce([UInt8(r)], .sum) == [UInt8(s * (s - 1) / 2)])
        #expect(try comm.allreduce([Double](), .sum).isEmpty)
        var inPlace = [Double(r), -Double(r)]
        try comm.allreduce(&inPlace, .sum)
        #expect(inPlace == [Double(s * (s - 1) / 2), -Double(s * (s - 1) / 2)])
        var mixed = [Int](repeating: 1, count: s > 1 ? r + 1 : 1)
        if s > 1 {
            #expect(thrownMessage { try comm.allreduce(&mixed, .max) }?.hasPrefix("communication error: allreduce: the ranks gave different counts") == true)
        }
        let big = (0..<100_000).map { Double($0 + r) }
        let sum = try comm.allreduce(big, .sum)
        #expect(sum[99_999] == Double(s) * 99_999 + Double(s * (s - 1) / 2))
        #expect(try comm.broadcast(r == s - 1 ? [7, 8, 9] : [], from: s - 1) == [7, 8, 9])
        let gathered = try comm.allgather(Array(repeating: r, count: r + 1))
        #expect(gathered == (0..<s).map { Array(repeating: $0, count: $0 + 1) })
        let atRoot = try comm.gather([Double(r)], to: 0)
        #expect(atRoot == (r == 0 ? (0..<s).map { [Double($0)] } : nil))
        let part = try comm.scatter(r == 0 ? (0..<s).map { [$0 * 10, $0] } : [], from: 0)
        #expect(part == [r * 10, r])
        // Point to point: a ring.
        let next = (r + 1) % s, previous = (r + s - 1) % s
        try comm.send(Array("hello from \(r)".utf8), to: next, tag: 5)
        #expect(String(decoding: try comm.receive(from: previous, tag: 5), as: UTF8.self) == "hello from \(previous)")
        // Errors every rank sees the same way.
        #expect(thrownMessage { _ = try comm.broadcast([1.0], from: s) } == "communication error: root rank \(s) is out of range: valid ranks are 0..<\(s)")
        #expect(thrownMessage { try comm.send([], to: -1, tag: 0) } == "communication error: destination rank -1 is out of range: valid ranks are 0..<\(s)")
        #expect(thrownMessage { _ = try comm.receive(from: 0, tag: 40000) }
            == "communication error: tag 40000 is out of range: valid tags are 0...32766 (32767 is reserved for Verdant's own messages)")
        // 32767 is Verdant's own (scatter's parts over MPI): refused on both sides, on every communicator.
        #expect(thrownMessage { try comm.send([1], to: next, tag: 32767) }
            == "communication error: tag 32767 is out of range: valid tags are 0...32766 (32767 is reserved for Verdant's own messages)")
        #expect(thrownMessage { _ = try comm.receive(from: previous, tag: 32767) }?.hasPrefix("communication error: tag 32767 is out of range") == true)
        #expect(thrownMessage { _ = try comm.receive(from: previous, tag: -1) }?.hasPrefix("communication error: tag -1 is out of range") == true)
        // A user message with the largest user tag, in flight across a scatter, is neither taken by
        // the scatter nor disturbs it.
        try comm.send(Array("pending \(r)".utf8), to: next, tag: 32766)
        let scattered = try comm.scatter(r == s - 1 ? (0..<s).map { [Double($0) + 0.25] } : [], from: s - 1)
        #expect(scattered == [Double(r) + 0.25])
        #expect(String(decoding: try comm.receive(from: previous, tag: 32766), as: UTF8.self) == "pending \(previous)")
        if s > 1 {
            #expect(thrownMessage { _ = try comm.allreduce(Array(repeating: 1.0, count: r + 1), .sum) }?
                .hasPrefix("communication error: allreduce: the ranks gave different counts") == true)
            #expect(thrownMessage { _ = try comm.scatter(r == 0 ? [[1]] : [], from: 0) }
                == "communication error: scatter: root gave 1 parts for \(s) ranks; give one part per rank")
        }
        try comm.barrier()
    }

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

@Suite("communicators")
struct CommunicatorTests {
    @Test("collectives on in-process groups of 1, 2 and 4 ranks", arguments: [1, 2, 4])
    func collectives(ranks: Int) throws {
        let backends = try LocalCommunicator.run(ranks: ranks) { comm in
            try DistributedChecks.collectives(comm)
            return comm.backend
        }
        #expect(backends == Array(repeating: ranks == 1 ? "local" : "local group", count: ranks))
    }

    @Test("distributed arrays, maps and sums equal the one-rank result on 1, 2 and 4 ranks", arguments: [1, 2, 4])
    func arrays(ranks: Int) throws {
        _ = try LocalCommunicator.run(ranks: ranks) { comm in try DistributedChecks.arrays(comm) }
    }

    @Test("a rank that fails stops the others instead of leaving them waiting")
    func rankFailure() throws {
        let message = thrownMessage {
            _ = try LocalCommunicator.run(ranks: 3) { comm -> Int in
                if comm.rank == 1 { throw Refusal(item: 1) }
                try comm.barrier()
                return 0
            }
        }
        #expect(message == "item 1 refused")
        #expect(thrownMessage { _ = try LocalCommunicator.group(size: 0) } == "a local group needs 1...1024 ranks, received 0")
        #expect(thrownMessage { _ = try LocalCommunicator().receive(from: 0, tag: 1) }
            == "communication error: receive from rank 0 with tag 1: no message was sent, and no other rank can send one")
    }

    @Test("an MPI launcher without the MPI trait stops with a message saying to rebuild")
    func launchDetection() throws {
        #expect(Launcher.detect(["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"])
            == LaunchInfo(variable: "OMPI_COMM_WORLD_SIZE", value: "2", size: 2, rank: 1))
        #expect(Launcher.detect(["PMI_SIZE": "4", "PMI_RANK": "0"])?.size == 4)
        #expect(Launcher.detect(["PMIX_RANK": "0"])?.variable == "PMIX_RANK")
        #expect(Launcher.detect(["HOME": "/root"]) == nil)
        if !Distributed.isMPICompiledIn {
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["OMPI_COMM_WORLD_SIZE": "2"]) }?
                .hasPrefix("launched by an MPI launcher (OMPI_COMM_WORLD_SIZE=2), but this Verdant was built without MPI") == true)
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["PMI_SIZE": "3"]) }?.contains("--traits MPI") == true)
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["OMPI_COMM_WORLD_SIZE": "1"]) } == nil)
        }
        #expect(thrownMessage { try Distributed.checkLaunch(environment: [:]) } == nil)
        // The decision itself, for any build: one rank runs, several are refused.
        let prefix = "launched by an MPI launcher "
        func refusal(_ environment: [String: String]) -> String? { Launcher.refusalWithoutMPI(environment).map { "\($0)" } }
        for single in [["PMIX_RANK": "0"], ["PMI_RANK": "0"], ["OMPI_COMM_WORLD_RANK": "0"], ["OMPI_COMM_WORLD_SIZE": "1"],
                       ["PMI_SIZE": "1", "PMI_RANK": "0"], ["PMIX_SIZE": "1"], ["PMIX_RANK": " 0 "], ["PMIX_SIZE": "unknown"], [:]]
        {
            #expect(refusal(single) == nil, "\(single)")
        }
        #expect(refusal(["PMIX_RANK": "0", "PMIX_SIZE": "2"])?.hasPrefix(prefix + "(PMIX_SIZE=2)") == true)
        #expect(refusal(["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "0"])?.hasPrefix(prefix + "(OMPI_COMM_WORLD_SIZE=4)") == true)
        #expect(refusal(["PMIX_RANK": "3"])?.hasPrefix(prefix + "(PMIX_RANK=3), but this Verdant was built without MPI") == true)
        #expect(refusal(["PMI_SIZE": "1", "PMI_RANK": "2"])?.hasPrefix(prefix + "(PMI_RANK=2)") == true)
        #expect(refusal(["PMIX_SIZE": "unknown", "PMIX_RANK": "1"])?.hasPrefix(prefix + "(PMIX_RANK=1)") == true)
        if !Distributed.isMPICompiledIn {
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["PMIX_RANK": "0"]) } == nil)
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["PMIX_RANK": "1"]) }?.hasPrefix(prefix + "(PMIX_RANK=1)") == true)
        }
    }
}

/// The world communicator: size 1 in a plain `swift test`; all ranks when the test binary runs
/// under `mpirun` with the MPI trait (.ci/run filters to this suite).
@Suite("world", .serialized)
struct WorldTests {
    @Test("collectives on the world")
    func collectives() throws {
        let world = try Distributed.world()
        // Under a launcher the world must span every rank (not N copies of size 1).
        if let size = Distributed.launch?.size, Distributed.isMPICompiledIn {
            #expect(world.size == size)
            #expect(world.backend.hasPrefix("MPI"))
        }
        try DistributedChecks.collectives(world)
        // CI checks that a failure on one rank fails the whole mpirun (.ci/run sets this).
        if let failing = ProcessInfo.processInfo.environment["VERDANT_TEST_FAIL_RANK"], failing == String(world.rank) {
            Issue.record("deliberate failure on rank \(world.rank) (VERDANT_TEST_FAIL_RANK)")
        }
    }

    @Test("distributed arrays on the world equal the one-rank result")
    func arrays() throws {
        let world = try Distributed.world()
        #expect(world.size >= 1 && (0..<world.size).contains(world.rank))
        try DistributedChecks.arrays(world)
    }
}
