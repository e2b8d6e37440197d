import Communication
import Foundation

/// A closure with a name, so that an error it throws says which task failed.
public struct NamedTask<Result: Sendable>: Sendable {
    /// The name used in error messages (`task 'tile (0, 3)' failed: …`).
    public let name: String
    /// The work.
    public let body: @Sendable () throws -> Result

    /// A task called `name` that runs `body`.
    /// - Parameters:
    ///   - name: the name shown when the task throws.
    ///   - body: the work; it runs on one of the scheduler's threads.
    public init(_ name: String, _ body: @escaping @Sendable () throws -> Result) {
        self.name = name
        self.body = body
    }
}

/// Runs work on a fixed pool of threads: lists of closures, maps over items or index ranges in
/// chunks (results always in order), task graphs and chunked arrays.
///
/// A task that throws cancels the tasks not yet started, and the call throws
/// ``ParallelError/taskFailed(task:rank:underlying:)`` naming the task. Calls made from inside a
/// task, or while the pool is busy with another caller's work, run on the calling thread alone.
/// Per-task overhead is about 0.1 µs for `map` and `run` (one atomic add per chunk claimed;
/// 60–140 ns per trivial task measured on 2 threads by `verdant bench --suite parallel --cases tasks`
/// in a release build), and 1–1.6 µs for a ``TaskGraph`` task.
public final class Scheduler: Sendable {
    /// Threads that share the work, including the calling thread.
    public let threads: Int
    let pool: WorkerPool

    /// The scheduler on all cores (divided among the ranks that an MPI launcher started on this
    /// node), created on first use.
    public static let shared = Scheduler(validatedThreads: defaultThreads)

    /// All cores of this machine, divided by the number of ranks an MPI launcher started on this
    /// node (`OMPI_COMM_WORLD_LOCAL_SIZE`, `MPI_LOCALNRANKS`, `SLURM_NTASKS_PER_NODE`), at least 1.
    public static var defaultThreads: Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return max(1, cores / max(1, Launcher.localRanks))
    }

    /// A scheduler with its own pool of `threads − 1` workers (the calling thread is the last).
    /// - Parameter threads: 1…4096.
    /// - Throws: ``ParallelError/invalidArgument(_:)`` for a count outside 1…4096.
    public init(threads: Int) throws {
        guard (1...4096).contains(threads) else {
            throw ParallelError.invalidArgument("threads must be in 1...4096, received \(threads)")
        }
        self.threads = threads
        pool = WorkerPool(workers: threads - 1)
    }

    init(validatedThreads threads: Int) {
        self.threads = threads
        pool = WorkerPool(workers: threads - 1)
    }

    deinit { pool.shutdown() }

    // MARK: - Lists of closures

    /// Runs every closure, in parallel, and returns their results in order.
    /// - Parameter tasks: the closures; task *i* is named `task i` in errors.
    /// - Returns: `[tasks[0](), tasks[1](), …]`.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` for the first task that threw.
    public func run<Result: Sendable>(_ tasks: [@Sendable () throws -> Result]) throws -> [Result] {
        try map(count: tasks.count, chunkSize: 1, name: { "task \($0)" }) { i in try tasks[i]() }
    }

    /// Runs every named task, in parallel, and returns their results in order.
    /// - Parameter tasks: the tasks.
    /// - Returns: the results, in the order of `tasks`.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` naming the first task that threw.
    public func run<Result: Sendable>(_ tasks: [NamedTask<Result>]) throws -> [Result] {
        try map(count: tasks.count, chunkSize: 1, name: { tasks[$0].name }) { i in try tasks[i].body() }
    }

    // MARK: - Maps

    /// Applies `transform` to every item, in parallel chunks, and returns the results in order.
    /// - Parameters:
    ///   - items: the inputs.
    ///   - chunkSize: items claimed by a thread at a time (default: about 16 chunks per thread);
    ///     at least 1.
    ///   - transform: the work for one item.
    /// - Returns: `items.map(transform)`.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` (`map item i`), or
    ///   ``ParallelError/invalidArgument(_:)`` for a chunk size below 1.
    public func map<Item: Sendable, Result: Sendable>(
        _ items: [Item], chunkSize: Int? = nil, _ transform: @escaping @Sendable (Item) throws -> Result
    ) throws -> [Result] {
        try map(count: items.count, chunkSize: chunkSize, name: { "map item \($0)" }) { i in try transform(items[i]) }
    }

    /// Calls `transform(i)` for every `i` in `0..<count`, in parallel chunks, results in order.
    /// - Parameters:
    ///   - count: the number of indices (≥ 0).
    ///   - chunkSize: indices claimed by a thread at a time (default: about 16 chunks per thread).
    ///   - transform: the work for one index.
    /// - Returns: `(0..<count).map(transform)`.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` (`index i`), or
    ///   ``ParallelError/invalidArgument(_:)`` for a negative count or a chunk size below 1.
    public func map<Result: Sendable>(
        count: Int, chunkSize: Int? = nil, _ transform: @escaping @Sendable (Int) throws -> Result
    ) throws -> [Result] {
        try map(count: count, chunkSize: chunkSize, name: { "index \($0)" }, transform)
    }

    /// Calls `body(range)` for consecutive ranges of `chunkSize` indices covering `0..<count`, in
    /// parallel, and returns one result per range, in order.
    /// - Parameters:
    ///   - count: the number of indices (≥ 0).
    ///   - chunkSize: the length of each range but the last (≥ 1).
    ///   - body: the work for one range.
    /// - Returns: `[body(0..<c), body(c..<2c), …]`.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` (`chunk k (indices a..<b)`), or
    ///   ``ParallelError/invalidArgument(_:)``.
    public func mapChunks<Result: Sendable>(
        count: Int, chunkSize: Int, _ body: @escaping @Sendable (Range<Int>) throws -> Result
    ) throws -> [Result] {
        try checkCount(count, chunkSize: chunkSize)
        let chunks = (count + chunkSize - 1) / chunkSize
        return try map(count: chunks, chunkSize: 1, name: { k in
            "chunk \(k) (indices \(k * chunkSize)..<\(min(count, (k + 1) * chunkSize)))"
        }) { k in try body(k * chunkSize..<min(count, (k + 1) * chunkSize)) }
    }

    /// Calls `body(range)` for ranges that cover `0..<count`, in parallel.
    /// - Parameters:
    ///   - count: the number of indices (≥ 0).
    ///   - chunkSize: indices per range (default: about 16 ranges per thread).
    ///   - body: the work for one range; ranges are disjoint.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` (`indices a..<b`), or
    ///   ``ParallelError/invalidArgument(_:)``.
    public func forEachChunk(count: Int, chunkSize: Int? = nil, _ body: @escaping @Sendable (Range<Int>) throws -> Void) throws {
        try checkCount(count, chunkSize: chunkSize)
        let chunk = chunkSize ?? automaticChunk(count)
        try execute(count: count, chunk: chunk, body: body) { index in
            "indices \(index)..<\(min(count, index + chunk))"
        }
    }

    // MARK: - Implementation

    private func checkCount(_ count: Int, chunkSize: Int?) throws {
        guard count >= 0 else { throw ParallelError.invalidArgument("count must be ≥ 0, received \(count)") }
        if let chunkSize, chunkSize < 1 {
            throw ParallelError.invalidArgument("chunkSize must be at least 1, received \(chunkSize)")
        }
    }

    /// About 16 chunks per thread: small enough to balance uneven work, large enough that claiming
    /// costs nothing.
    func automaticChunk(_ count: Int) -> Int { max(1, count / (threads * 16)) }

    /// The shared path of every map: results written by index into one buffer.
    func map<Result: Sendable>(
        count: Int, chunkSize: Int?, name: @escaping @Sendable (Int) -> String,
        _ transform: @escaping @Sendable (Int) throws -> Result
    ) throws -> [Result] {
        try checkCount(count, chunkSize: chunkSize)
        let results = ResultBuffer<Result>(count: count)
        try execute(count: count, chunk: chunkSize ?? automaticChunk(count), body: { range in
            for i in range {
                do {
                    results.store(try transform(i), at: i)
                } catch {
                    throw IndexedFailure(index: i, error: error)
                }
            }
        }, name: name)
        return results.values()
    }

    /// Runs `body` over `0..<count` on the pool; a throw becomes `taskFailed` with the name of the
    /// index that threw.
    func execute(count: Int, chunk: Int, body: @escaping @Sendable (Range<Int>) throws -> Void,
                 name: @escaping @Sendable (Int) -> String) throws
    {
        if count == 0 { return }
        let job = IndexJob(count: count, chunk: chunk, body: body)
        if threads == 1 || count <= chunk {
            job.participate()
        } else {
            pool.perform(job)
        }
        if let failure = job.currentFailure {
            if let indexed = failure.error as? IndexedFailure {
                throw ParallelError.taskFailed(task: name(indexed.index), rank: nil, underlying: indexed.error)
            }
            throw ParallelError.taskFailed(task: name(failure.index), rank: nil, underlying: failure.error)
        }
    }
}

/// An error thrown by the work for one index, with that index.
struct IndexedFailure: Error {
    let index: Int
    let error: any Error
}

extension IndexJob {
    /// The first failure, read safely after completion.
    var currentFailure: (error: any Error, index: Int)? { failure }
}

/// One slot per index, written by the threads of a map (each index by exactly one thread).
final class ResultBuffer<Element>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Element?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    @inline(__always) func store(_ value: Element, at index: Int) { slots[index] = value }

    /// All values; every slot must have been stored.
    func values() -> [Element] {
        (0..<count).map { i in
            guard let value = slots[i] else { preconditionFailure("result \(i) of \(count) was never stored") }
            return value
        }
    }
}
