import Dispatch
import Foundation

// The one place that decides how kernel work is split across threads.
//
// Every kernel runs over an index space 0..<count ("free indices": the amplitudes or amplitude
// groups it visits). `forEachRange` cuts that space into one contiguous range per worker, so each
// thread streams through its own contiguous part of memory.

/// A raw pointer that may cross into worker threads. Kernels guarantee that workers touch
/// disjoint index ranges.
struct SharedPointer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}

/// Fewer free indices than this per worker are not worth a thread.
let minimumIndicesPerThread = 1 << 13

/// Calls `body(start, end)` over contiguous ranges that cover `0..<count`, one per worker.
/// - Parameters:
///   - count: the size of the index space.
///   - threads: the most workers to use.
///   - alignment: range boundaries are multiples of this (a power of two), except the last end.
///   - grain: the fewest indices worth a worker of their own.
///   - body: the work for one range; must only touch memory that belongs to its range.
func forEachRange(count: Int, threads: Int, alignment: Int = 1, grain: Int = minimumIndicesPerThread,
                  _ body: @Sendable (Int, Int) -> Void)
{
    let workers = min(threads, count / max(grain, 1))
    if workers <= 1 {
        if count > 0 { body(0, count) }
        return
    }
    let perWorker = (count + workers - 1) / workers
    let chunk = (perWorker + alignment - 1) & ~(alignment - 1)
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let start = w * chunk
        let end = min(count, start + chunk)
        if start < end { body(start, end) }
    }
}

/// Fixed block size for reductions, so sums do not depend on the number of threads.
let reductionBlock = 1 << 12

/// Sums `term(start, end)` over fixed blocks of `0..<count`, combining block results in order:
/// the result is the same for every thread count.
func blockSum(count: Int, threads: Int, _ term: @Sendable (Int, Int) -> Double) -> Double {
    blockReduce(count: count, threads: threads, zero: 0.0, combine: +, term)
}

/// The same as ``blockSum(count:threads:_:)`` for complex sums, as (re, im).
func blockSumComplex(count: Int, threads: Int, _ term: @Sendable (Int, Int) -> (Double, Double)) -> (Double, Double) {
    blockReduce(count: count, threads: threads, zero: (0.0, 0.0), combine: { ($0.0 + $1.0, $0.1 + $1.1) }, term)
}

/// The same as ``blockSum(count:threads:_:)`` for `width` sums at once: `term(start, end, sums)`
/// adds its block's terms into `sums` (zeroed, `width` Doubles); blocks combine in order.
func blockSumVector(count: Int, width: Int, threads: Int,
                    _ term: @Sendable (Int, Int, UnsafeMutableBufferPointer<Double>) -> Void) -> [Double]
{
    blockReduce(count: count, threads: threads, zero: [Double](repeating: 0, count: width),
                combine: { a, b in zip(a, b).map { $0 + $1 } }) { start, end in
        var sums = [Double](repeating: 0, count: width)
        sums.withUnsafeMutableBufferPointer { term(start, end, $0) }
        return sums
    }
}

/// Reduces `term` over fixed blocks of `reductionBlock` indices, in parallel, then combines the
/// block results sequentially in block order.
private func blockReduce<T: Sendable>(count: Int, threads: Int, zero: T, combine: (T, T) -> T,
                                      _ term: @Sendable (Int, Int) -> T) -> T
{
    let blocks = (count + reductionBlock - 1) / reductionBlock
    if blocks <= 1 { return count > 0 ? term(0, count) : zero }
    var partials = [T](repeating: zero, count: blocks)
    partials.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        let out = SharedPointer(base: base)
        forEachRange(count: blocks, threads: threads, grain: 2) { first, last in
            for b in first..<last {
                out.base[b] = term(b * reductionBlock, min(count, (b + 1) * reductionBlock))
            }
        }
    }
    return partials.reduce(zero, combine)
}

/// The positions of the set bits of `mask`, ascending.
func setBitPositions(_ mask: Int) -> [Int] {
    var positions: [Int] = []
    var m = mask
    while m != 0 {
        positions.append(m.trailingZeroBitCount)
        m &= m - 1
    }
    return positions
}

/// Inserts a zero bit at each of `sortedPositions` (ascending) into `k`.
/// `k`: a free index; the result: the amplitude index whose fixed bits are all 0.
@inline(__always)
func insertZeroBits(_ k: Int, _ sortedPositions: UnsafeBufferPointer<Int>) -> Int {
    var i = k
    for p in sortedPositions {
        let low = i & ((1 << p) - 1)
        i = ((i >> p) << (p + 1)) | low
    }
    return i
}

/// Runs `body(task)` for every task in `0..<count` on up to `threads` workers, each taking the
/// next task from a shared counter (tasks of uneven cost balance themselves). Results must not
/// depend on which worker runs a task: trajectory subtrees carry their own seeds.
func forEachTask(count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    let workers = min(threads, count)
    if workers <= 1 {
        for task in 0..<count { body(task) }
        return
    }
    let next = TaskCounter()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while true {
            let task = next.take()
            if task >= count { return }
            body(task)
        }
    }
}

/// A counter shared by the workers of ``forEachTask(count:threads:_:)``.
final class TaskCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
