import Communication
import Foundation
import VerdantCommon

/// The workloads of `verdant bench --suite parallel`, timed in this process (reported, never
/// asserted). Each time is the median of the repeats after one untimed warm-up.
public enum ParallelBenchmark {
    /// One measured case.
    public struct Result: Sendable {
        /// The case: `sum-squares`, `fused-loop`, `tasks-run`, `tasks-map`, `tasks-graph`, `matmul`, `allreduce`
        /// (the CLI renames its plain and sealed allreduce pair `allreduce-plain`, `allreduce-encrypted`).
        public var name: String
        /// The size parameters, e.g. `["elements": 1e8, "chunk": 1e6]`.
        public let parameters: [(String, Double)]
        /// Threads used in this process.
        public let threads: Int
        /// Ranks taking part.
        public let ranks: Int
        /// Every timed repeat, seconds.
        public let seconds: [Double]
        /// The figure of merit: GB/s, µs per task, GFLOP/s, or µs per call.
        public let value: Double
        /// Its unit.
        public let unit: String
        /// Bytes processed per second, in GB/s (10⁹ bytes), where the case moves data besides its
        /// figure of merit: for `allreduce`, the message bytes reduced per second, bytes / (time
        /// per call), on two ranks or more (one rank reduces nothing). nil for the other cases.
        public let gigabytesPerSecond: Double?

        package init(name: String, parameters: [(String, Double)], threads: Int, ranks: Int, seconds: [Double], value: Double, unit: String,
             gigabytesPerSecond: Double? = nil)
        {
            self.name = name
            self.parameters = parameters
            self.threads = threads
            self.ranks = ranks
            self.seconds = seconds
            self.value = value
            self.unit = unit
            self.gigabytesPerSecond = gigabytesPerSecond
        }

        /// The median of ``seconds``.
        public var secondsMedian: Double { median(seconds) }
    }

    static func median(_ values: [Double]) -> Double { Timing.median(values) }

    static func time(repeats: Int, warmUp: Bool = true, _ body: () throws -> Void) rethrows -> [Double] {
        try Timing.samples(repeats: repeats, warmUp: warmUp, body)
    }

    /// Σx² over `elements` random Doubles held in memory, chunked: Verdant's `(x ** 2).sum()` and,
    /// as the reference, one hand-written fused loop per thread over the same memory.
    /// - Parameters:
    ///   - elements: array length.
    ///   - chunkSizes: chunk lengths to time.
    ///   - threads: threads of the scheduler and of the reference loop.
    ///   - repeats: timed repeats.
    /// - Returns: one `sum-squares` result per chunk size and one `fused-loop` result (GB/s read).
    /// - Throws: ``ParallelError`` from building or computing.
    public static func sumOfSquares(elements: Int, chunkSizes: [Int], threads: Int, repeats: Int) throws -> [Result] {
        let scheduler = try Scheduler(threads: threads)
        // The data: seeded uniform values, generated in parallel into one buffer (not timed).
        let buffer = ChunkBuffer<Double>(rows: 1, columns: elements)
        let generator = Generator<Double>(kind: .random(seed: 2026, .unit), totalColumns: elements)
        let shared = SendablePointer(buffer.pointer)
        try scheduler.forEachChunk(count: elements, chunkSize: 1 << 20) { range in
            generator.fill(shared.pointer + range.lowerBound, row: 0, column: range.lowerBound, count: range.count)
        }
        let bytes = Double(elements * 8)
        var results: [Result] = []
        var checks: [Double] = []
        for chunk in chunkSizes {
            let layout = Layout(try Chunks(shape: [elements], .size(chunk)))
            let x = ChunkedArray(node: StoredNode(buffer: buffer, layout: layout))
            let squares = (x ** 2).sum()
            var value = 0.0
            let seconds = try time(repeats: repeats) { value = try squares.compute(using: scheduler) }
            checks.append(value)
            results.append(Result(name: "sum-squares", parameters: [("elements", Double(elements)), ("chunk", Double(chunk))],
                                  threads: threads, ranks: 1, seconds: seconds, value: bytes / median(seconds) / 1e9, unit: "GB/s"))
        }
        // The reference: one contiguous part per thread, four accumulators, no chunks, no graph.
        var reference = 0.0
        let seconds = try time(repeats: repeats) {
            let per = (elements + threads - 1) / threads
            let partials = try scheduler.map(count: threads, chunkSize: 1) { t -> Double in
                let start = t * per, end = Swift.min(elements, start + per)
                // Eight accumulators in two SIMD4 vectors: the best plain loop on the generic target.
                var a = SIMD4<Double>(), b = SIMD4<Double>()
                let raw = UnsafeRawPointer(shared.pointer)
                var k = start
                while k + 8 <= end {
                    let x = raw.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
                    let y = raw.loadUnaligned(fromByteOffset: (k + 4) * 8, as: SIMD4<Double>.self)
                    a += x * x
                    b += y * y
                    k += 8
                }
                var tail = 0.0
                while k < end { tail += shared.pointer[k] * shared.pointer[k]; k += 1 }
                let c = a + b
                return ((c[0] + c[1]) + (c[2] + c[3])) + tail
            }
            reference = partials.reduce(0, +)
        }
        results.append(Result(name: "fused-loop", parameters: [("elements", Double(elements))], threads: threads, ranks: 1,
                              seconds: seconds, value: bytes / median(seconds) / 1e9, unit: "GB/s"))
        // Both must agree (same data), or the timing means nothing.
        for value in checks where Swift.abs(value - reference) > 1e-9 * Swift.abs(reference) {
            throw ParallelError.invalidArgument("sum-squares check failed: \(value) vs the reference loop's \(reference)")
        }
        return results
    }

    /// Per-task overhead: `tasks` trivial tasks through `Scheduler.run` (a list of closures),
    /// `Scheduler.map` (one item per claim) and a `TaskGraph` (independent tasks and one sink).
    /// Every timed region builds its own tasks (the closures, the graph), as Dask's timed region
    /// builds its `delayed` objects and graph: like is compared with like.
    /// - Parameters:
    ///   - tasks: the number of tasks.
    ///   - threads: scheduler threads.
    ///   - repeats: timed repeats.
    /// - Returns: `tasks-run`, `tasks-map`, `tasks-graph` in µs per task.
    /// - Throws: ``ParallelError``.
    public static func taskOverhead(tasks: Int, threads: Int, repeats: Int) throws -> [Result] {
        let scheduler = try Scheduler(threads: threads)
        var results: [Result] = []
        func record(_ name: String, _ seconds: [Double]) {
            results.append(Result(name: name, parameters: [("tasks", Double(tasks))], threads: threads, ranks: 1, seconds: seconds,
                                  value: median(seconds) / Double(tasks) * 1e6, unit: "µs/task"))
        }
        var sink = 0
        record("tasks-run", try time(repeats: repeats) {
            let closures: [@Sendable () throws -> Int] = (0..<tasks).map { i in { i &* 3 } }
            sink &+= try scheduler.run(closures).count
        })
        record("tasks-map", try time(repeats: repeats) { sink &+= try scheduler.map(count: tasks, chunkSize: 1) { $0 &* 3 }.count })
        record("tasks-graph", try time(repeats: repeats) {
            let graph = TaskGraph()
            let leaves = (0..<tasks).map { i in graph.add("task \(i)") { i &* 3 } }
            let total = graph.add("sum", after: leaves) { inputs in try leaves.reduce(0) { try $0 &+ inputs[$1] } }
            sink &+= try graph.compute(total, using: scheduler)
        })
        if sink == 42 { print("") }  // keep the work observable
        return results
    }

    /// Blocked matrix product of two n × n random Double matrices in chunks of `chunk`.
    /// - Parameters:
    ///   - size: n.
    ///   - chunk: tile side.
    ///   - threads: scheduler threads.
    ///   - repeats: timed repeats (no warm-up for n ≥ 1000: one product is long enough).
    /// - Returns: a `matmul` result in GFLOP/s (2n³ / time).
    /// - Throws: ``ParallelError``.
    public static func matmul(size: Int, chunk: Int, threads: Int, repeats: Int) throws -> Result {
        let scheduler = try Scheduler(threads: threads)
        let a = try ChunkedArray<Double>.random(shape: [size, size], chunks: .size(chunk), seed: 1).persist(using: scheduler)
        let b = try ChunkedArray<Double>.random(shape: [size, size], chunks: .size(chunk), seed: 2).persist(using: scheduler)
        let product = try a.matmul(b)
        let seconds = try time(repeats: repeats, warmUp: size < 1000) { _ = try product.persist(using: scheduler) }
        let flops = 2 * Double(size) * Double(size) * Double(size)
        return Result(name: "matmul", parameters: [("n", Double(size)), ("chunk", Double(chunk))], threads: threads, ranks: 1,
                      seconds: seconds, value: flops / median(seconds) / 1e9, unit: "GFLOP/s")
    }

    /// `allreduce` (sum) of `bytes` bytes of Doubles over `communicator`, in place in one reused
    /// buffer (as `comm.Allreduce(send, recv)` with preallocated arrays): time per call (median of
    /// `repeats` batches).
    /// - Parameters:
    ///   - bytes: message size (multiple of 8).
    ///   - communicator: the ranks.
    ///   - repeats: timed batches.
    /// - Returns: an `allreduce` result in µs per call, with the message bytes reduced per second
    ///   (``Result/gigabytesPerSecond``).
    /// - Throws: ``ParallelError``.
    public static func allreduce(bytes: Int, communicator: any Communicator, repeats: Int) throws -> Result {
        var values = [Double](repeating: 1, count: Swift.max(1, bytes / 8))
        let calls = bytes <= 1 << 12 ? 2000 : bytes <= 1 << 20 ? 200 : 20
        try communicator.barrier()
        let seconds = try time(repeats: repeats) {
            for _ in 0..<calls { try communicator.allreduce(&values, .sum) }
            try communicator.barrier()
        }.map { $0 / Double(calls) }
        let messageBytes = Double(values.count * 8)
        return Result(name: "allreduce", parameters: [("bytes", messageBytes), ("calls", Double(calls))], threads: 1,
                      ranks: communicator.size, seconds: seconds, value: median(seconds) * 1e6, unit: "µs/call",
                      gigabytesPerSecond: communicator.size > 1 ? messageBytes / median(seconds) / 1e9 : nil)
    }
}

/// A pointer that crosses into the scheduler's threads (benchmarks only; disjoint ranges).
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(_ pointer: UnsafeMutablePointer<Double>) { self.pointer = pointer }
}
