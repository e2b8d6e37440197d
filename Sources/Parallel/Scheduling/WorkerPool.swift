import Communication
import Synchronization

// The one place that runs work on threads: a fixed pool of worker threads per `Scheduler`.
//
// A job is anything with `participate()`: the submitting thread and every woken worker call it,
// and each claims pieces of the job until none are left. The submitter then waits until the job
// reports completion. A pool runs one job at a time; a job submitted while the pool is busy (from
// one of its own tasks, or from another thread) runs on the submitting thread alone, so nested
// parallel calls never deadlock.

/// Work that several threads can share.
protocol PoolJob: AnyObject, Sendable {
    /// Claims and runs pieces of the job until none are left.
    func participate()
    /// Blocks until every piece has finished.
    func waitUntilComplete()
}

/// A fixed set of worker threads, started on first use and stopped by ``shutdown()``.
final class WorkerPool: @unchecked Sendable {
    /// Worker threads besides the submitting one.
    let workerCount: Int
    private let state = ConditionLock()
    private var job: (any PoolJob)?
    private var generation: UInt64 = 0
    private var started = false
    private var stopping = false
    private let busy = Atomic<Bool>(false)
    /// The generation, readable without the lock (for the short spin before sleeping).
    private let publishedGeneration = Atomic<UInt64>(0)

    init(workers: Int) {
        workerCount = max(0, workers)
    }

    /// Runs `job` on the pool and the calling thread, returning when it is complete.
    func perform(_ job: any PoolJob) {
        guard workerCount > 0,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else {
            job.participate()
            job.waitUntilComplete()
            return
        }
        state.lock()
        if !started { startWorkers() }
        self.job = job
        generation &+= 1
        publishedGeneration.store(generation, ordering: .releasing)
        state.broadcast()
        state.unlock()

        job.participate()
        job.waitUntilComplete()

        state.lock()
        self.job = nil
        state.unlock()
        busy.store(false, ordering: .releasing)
    }

    /// Stops the workers once they finish what they are doing.
    func shutdown() {
        state.lock()
        stopping = true
        state.broadcast()
        state.unlock()
    }

    private func startWorkers() {
        started = true
        for _ in 0..<workerCount {
            startThread { [self] in workerLoop() }
        }
    }

    private func workerLoop() {
        var seen: UInt64 = 0
        while true {
            // A short spin catches back-to-back jobs without a sleep and wake-up (~10 µs each).
            var spins = 0
            while publishedGeneration.load(ordering: .acquiring) == seen, spins < 2000 { spins += 1 }
            state.lock()
            while generation == seen, !stopping { state.wait() }
            if stopping {
                state.unlock()
                return
            }
            seen = generation
            let current = job
            state.unlock()
            current?.participate()
        }
    }
}

/// Signals the end of a job to the thread waiting for it.
final class CompletionSignal: @unchecked Sendable {
    private let state = ConditionLock()
    private var done = false
    private let flag = Atomic<Bool>(false)

    func complete() {
        state.lock()
        done = true
        flag.store(true, ordering: .releasing)
        state.broadcast()
        state.unlock()
    }

    func wait() {
        var spins = 0
        while !flag.load(ordering: .acquiring), spins < 4000 { spins += 1 }
        if flag.load(ordering: .acquiring) { return }
        state.lock()
        while !done { state.wait() }
        state.unlock()
    }
}

/// A job over the index space `0..<count`, claimed `chunk` indices at a time.
final class IndexJob: PoolJob, @unchecked Sendable {
    let count: Int
    let chunk: Int
    private let body: @Sendable (Range<Int>) throws -> Void
    private let next = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let failed = Atomic<Bool>(false)
    private let completion = CompletionSignal()
    private let errorLock = ConditionLock()
    /// The first failure: the error and the first index of the range that threw.
    private(set) var failure: (error: any Error, index: Int)?

    init(count: Int, chunk: Int, body: @escaping @Sendable (Range<Int>) throws -> Void) {
        self.count = count
        self.chunk = max(1, chunk)
        self.body = body
    }

    func participate() {
        while true {
            let start = next.wrappingAdd(chunk, ordering: .relaxed).oldValue
            if start >= count { return }
            let end = min(count, start + chunk)
            if !failed.load(ordering: .relaxed) {
                do {
                    try body(start..<end)
                } catch {
                    errorLock.withLock {
                        if failure == nil { failure = (error, start) }
                    }
                    failed.store(true, ordering: .relaxed)
                }
            }
            if finished.wrappingAdd(end - start, ordering: .acquiringAndReleasing).newValue == count {
                completion.complete()
            }
        }
    }

    func waitUntilComplete() {
        if count == 0 { return }
        completion.wait()
    }
}
