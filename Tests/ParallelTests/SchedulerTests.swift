import Foundation
import Synchronization
import Testing
@testable import Parallel

struct Refusal: Error, CustomStringConvertible {
    let item: Int
    var description: String { "item \(item) refused" }
}

@Suite("scheduler and tasks")
struct SchedulerTests {
    @Test("run, map, mapChunks and forEachChunk return results in order, for 1, 2 and 3 threads", arguments: [1, 2, 3])
    func ordering(threads: Int) throws {
        let scheduler = try Scheduler(threads: threads)
        #expect(scheduler.threads == threads)
        let closures: [@Sendable () throws -> Int] = (0..<50).map { i in { i * i } }
        #expect(try scheduler.run(closures) == (0..<50).map { $0 * $0 })
        #expect(try scheduler.map(Array(0..<1000), chunkSize: 7) { $0 * 3 } == (0..<1000).map { $0 * 3 })
        #expect(try scheduler.map(count: 0) { $0 }.isEmpty)
        #expect(try scheduler.mapChunks(count: 10, chunkSize: 4) { Array($0) } == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        let total = Atomic<Int>(0)
        try scheduler.forEachChunk(count: 10_001, chunkSize: 100) { range in
            total.wrappingAdd(range.reduce(0, +), ordering: .relaxed)
        }
        #expect(total.load(ordering: .relaxed) == 10_000 * 10_001 / 2)
        // Nested calls from inside a task run on the calling thread and still give ordered results.
        let nested = try scheduler.map(count: 4, chunkSize: 1) { i in try scheduler.map(count: 3) { j in i * 10 + j } }
        #expect(nested == (0..<4).map { i in (0..<3).map { i * 10 + $0 } })
    }

    @Test("a throwing task cancels the rest and the error names the task")
    func failures() throws {
        let scheduler = try Scheduler(threads: 2)
        let started = Atomic<Int>(0)
        let message = thrownMessage {
            _ = try scheduler.map(Array(0..<10_000), chunkSize: 1) { item -> Int in
                started.wrappingAdd(1, ordering: .relaxed)
                if item == 3 { throw Refusal(item: item) }
                if item > 3 { usleep(100) }
                return item
            }
        }
        #expect(message == "task 'map item 3' failed: item 3 refused (the remaining tasks were cancelled)")
        #expect(started.load(ordering: .relaxed) < 10_000)  // the rest were cancelled
        let named = [NamedTask("load") { 1 }, NamedTask("tile (0, 3)") { throw Refusal(item: 7) }, NamedTask("save") { 3 }]
        #expect(thrownMessage { _ = try scheduler.run(named) } == "task 'tile (0, 3)' failed: item 7 refused (the remaining tasks were cancelled)")
        let unnamed: [@Sendable () throws -> Int] = [{ 1 }, { throw Refusal(item: 1) }]
        #expect(thrownMessage { _ = try scheduler.run(unnamed) } == "task 'task 1' failed: item 1 refused (the remaining tasks were cancelled)")
        #expect(thrownMessage { _ = try scheduler.mapChunks(count: 10, chunkSize: 4) { r -> Int in
            if r.contains(5) { throw Refusal(item: 5) }
            return 0
        } } == "task 'chunk 1 (indices 4..<8)' failed: item 5 refused (the remaining tasks were cancelled)")
        #expect(thrownMessage { _ = try Scheduler(threads: 0) } == "threads must be in 1...4096, received 0")
        #expect(thrownMessage { _ = try scheduler.map(count: 3, chunkSize: 0) { $0 } } == "chunkSize must be at least 1, received 0")
    }

    @Test("task graph: dependencies, results by handle, errors naming the task")
    func taskGraph() throws {
        let graph = TaskGraph()
        let a = graph.add("load a") { [1.0, 2.0, 3.0] }
        let b = graph.add("load b") { [4.0, 5.0, 6.0] }
        let dot = graph.add("dot", after: a, b) { inputs in zip(try inputs[a], try inputs[b]).map(*).reduce(0, +) }
        let twice = graph.add("twice", after: [dot]) { inputs in try inputs[dot] * 2 }
        #expect(try graph.compute(dot) == 32)
        #expect(try graph.compute(twice, using: Scheduler(threads: 2)) == 64)
        #expect(graph.count == 4)
        let bad = graph.add("divide", after: a) { inputs -> Double in
            guard try inputs[a].count == 2 else { throw Refusal(item: 2) }
            return 0
        }
        let after = graph.add("after bad", after: bad, twice) { inputs in try inputs[bad] + inputs[twice] }
        #expect(thrownMessage { _ = try graph.compute(after) } == "task 'divide' failed: item 2 refused (the remaining tasks were cancelled)")
        let reader = graph.add("reads a non-dependency", after: a) { inputs in try inputs[b] }
        #expect(thrownMessage { _ = try graph.compute(reader) }?.contains("is not a dependency of this task") == true)
        let other = TaskGraph()
        #expect(thrownMessage { _ = try other.compute(a) } == "compute: the handle is not a task of this TaskGraph")
        // A wide graph: 2,000 independent tasks and a sum.
        let wide = TaskGraph()
        let leaves = (0..<2000).map { i in wide.add("leaf \(i)") { i } }
        let total = wide.add("total", after: leaves) { inputs in try leaves.map { try inputs[$0] }.reduce(0, +) }
        #expect(try wide.compute(total) == 1999 * 2000 / 2)
    }

    @Test("depth-first order keeps few results alive: a reduction over 200 chunks on one thread")
    func memoryOrdering() throws {
        // 200 leaves combined pairwise in a tree: depth-first ordering combines as it goes.
        var tasks: [GraphTask] = []
        var level: [Int] = []
        for i in 0..<200 {
            tasks.append(GraphTask(name: "leaf \(i)", dependencies: []) { _ in Box(i) })
            level.append(tasks.count - 1)
        }
        while level.count > 1 {
            var next: [Int] = []
            var k = 0
            while k < level.count {
                let deps = Array(level[k..<min(k + 2, level.count)])
                tasks.append(GraphTask(name: "combine", dependencies: deps) { inputs in
                    Box(inputs.reduce(0) { $0 + (($1 as? Box<Int>)?.value ?? 0) })
                })
                next.append(tasks.count - 1)
                k += 2
            }
            level = next
        }
        var statistics = ExecutionStatistics()
        let result = try executeGraph(tasks, outputs: [level[0]], scheduler: Scheduler(threads: 1)) { statistics = $0 }
        #expect((result[0] as? Box<Int>)?.value == 199 * 200 / 2)
        #expect(statistics.tasksRun == tasks.count)
        // Breadth-first would hold 200 leaves at once; depth-first holds about one per tree level.
        #expect(statistics.peakLiveResults <= 10)
    }
}
