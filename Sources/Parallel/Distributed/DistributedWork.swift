import Communication
import Foundation

// Work spread over ranks and cores at once: each rank takes a contiguous share of the items, runs
// it on its scheduler's threads, and the results are exchanged so that every rank holds all of
// them. When any rank fails, every rank throws (no rank is left waiting in a collective).

extension Communicator {
    /// Exchanges the outcome of a local step: every rank learns every rank's bytes, or, when any
    /// rank failed, every rank throws (the failing rank its own error; the others
    /// ``CommunicationError/rankFailed(rank:message:status:)``) — so no rank is left waiting.
    func exchange(_ local: Result<[UInt8], any Error>) throws -> [[UInt8]] {
        var message: [UInt8]
        var localError: (any Error)?
        switch local {
        case .success(let bytes):
            message = RankOutcome.success(bytes)
        case .failure(let error):
            var annotated = error
            if case ParallelError.taskFailed(let task, nil, let underlying) = error {
                annotated = ParallelError.taskFailed(task: task, rank: rank, underlying: underlying)
            }
            localError = annotated
            message = RankOutcome.failure(annotated, message: describe(annotated))
        }
        let all = try allgather(message)
        if let localError { throw localError }
        if let failure = RankOutcome.firstFailure(in: all) { throw failure }
        return all.map(RankOutcome.payload)
    }

    /// Calls `body(i)` for every `i` in `0..<count`, spread over the ranks (contiguous shares) and
    /// each rank's cores, and returns every result, in index order, on every rank.
    ///
    /// For the quantum kernel matrix, `i` numbers tiles and `body` returns a tile's entries.
    /// - Parameters:
    ///   - count: the number of items (≥ 0).
    ///   - chunkSize: items a thread claims at a time (default: automatic).
    ///   - scheduler: this rank's threads.
    ///   - body: the work for item `i` (the same function on every rank).
    /// - Returns: `result[i] = body(i)`, on every rank.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` (`index i`) on the rank whose item
    ///   threw, ``CommunicationError/rankFailed(rank:message:status:)`` on the others; communication errors.
    public func map<T: Communicable>(count: Int, chunkSize: Int? = nil, using scheduler: Scheduler = .shared,
                                     _ body: @escaping @Sendable (Int) throws -> [T]) throws -> [[T]]
    {
        guard count >= 0 else { throw ParallelError.invalidArgument("count must be ≥ 0, received \(count)") }
        let mine = share(of: count)
        let first = mine.lowerBound
        let local = Result {
            try scheduler.map(count: mine.count, chunkSize: chunkSize, name: { "index \(first + $0)" }) { k in try body(first + k) }
        }
        if size == 1 { return try local.get() }
        let encoded = local.map { results -> [UInt8] in
            var bytes: [UInt8] = []
            for values in results {
                withUnsafeBytes(of: Int64(values.count).littleEndian) { bytes.append(contentsOf: $0) }
                values.withUnsafeBytes { bytes.append(contentsOf: $0) }
            }
            return bytes
        }
        var all: [[T]] = []
        all.reserveCapacity(count)
        for (r, bytes) in try exchange(encoded).enumerated() {
            var offset = 0
            for _ in shareRange(of: count, rank: r, size: size) {
                guard offset + 8 <= bytes.count else { throw CommunicationError.communication("rank \(r) sent fewer results than its share") }
                let n = Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int64.self) }.littleEndian)
                offset += 8
                let length = n * MemoryLayout<T>.stride
                guard n >= 0, offset + length <= bytes.count else {
                    throw CommunicationError.communication("rank \(r) sent a truncated result")
                }
                let values = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
                    bytes.withUnsafeBytes { raw in
                        if let base = raw.baseAddress, let out = buffer.baseAddress, length > 0 {
                            UnsafeMutableRawPointer(out).copyMemory(from: base + offset, byteCount: length)
                        }
                    }
                    initialized = n
                }
                offset += length
                all.append(values)
            }
        }
        return all
    }

    /// The sum over `i` in `0..<count` of vectors of `length` that `term(i, &accumulator)` adds,
    /// spread over the ranks and each rank's cores — bit for bit the same result for every number
    /// of ranks and threads, on every rank.
    ///
    /// Items are grouped in fixed blocks of `blockSize` (independent of ranks and threads); each
    /// block's accumulator starts at zero and receives its items in order; block sums are exchanged
    /// and added in block order on every rank. For gradients: every rank then takes the same step.
    /// - Parameters:
    ///   - count: the number of items (≥ 0).
    ///   - length: the vector length (≥ 0).
    ///   - blockSize: items per block (≥ 1); part of the result's definition, so keep it fixed.
    ///   - scheduler: this rank's threads.
    ///   - term: adds item `i`'s contribution into the accumulator (it must only add).
    /// - Returns: the sum, identical on every rank.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)``, ``CommunicationError/rankFailed(rank:message:status:)``,
    ///   ``ParallelError/invalidArgument(_:)``.
    public func reproducibleSum(count: Int, length: Int, blockSize: Int = 16, using scheduler: Scheduler = .shared,
                                _ term: @escaping @Sendable (Int, inout [Double]) throws -> Void) throws -> [Double]
    {
        guard count >= 0, length >= 0, blockSize >= 1 else {
            throw ParallelError.invalidArgument("reproducibleSum: count \(count) and length \(length) must be ≥ 0, blockSize \(blockSize) ≥ 1")
        }
        let blocks = (count + blockSize - 1) / blockSize
        if size > 1, self is any AggregatesPrivately {
            return try privateSum(count: count, length: length, blockSize: blockSize, blocks: blocks, using: scheduler, term)
        }
        let blockSums = try map(count: blocks, chunkSize: 1, using: scheduler) { b -> [Double] in
            var accumulator = [Double](repeating: 0, count: length)
            for i in b * blockSize..<Swift.min(count, (b + 1) * blockSize) {
                try term(i, &accumulator)
                guard accumulator.count == length else {
                    throw ParallelError.invalidArgument("reproducibleSum: item \(i) changed the accumulator's length to \(accumulator.count); it must stay \(length)")
                }
            }
            return accumulator
        }
        var total = [Double](repeating: 0, count: length)
        for sum in blockSums {
            for k in 0..<length { total[k] += sum[k] }
        }
        return total
    }

    /// `reproducibleSum` on a communicator that aggregates privately: each rank adds the blocks of
    /// its own share (in block order, on its threads), and the ranks' partial sums meet in one
    /// masked `allreduce` — no block sum leaves a rank in the clear. The result is the same on every
    /// rank, and equals the plain sum within the masking layer's quantisation (not bit for bit the
    /// one-rank result: the partial sums depend on the number of ranks).
    private func privateSum(count: Int, length: Int, blockSize: Int, blocks: Int, using scheduler: Scheduler,
                            _ term: @escaping @Sendable (Int, inout [Double]) throws -> Void) throws -> [Double]
    {
        let mine = share(of: blocks)
        let first = mine.lowerBound
        let local = Result { () throws -> [Double] in
            let blockSums = try scheduler.map(count: mine.count, chunkSize: 1, name: { "index \((first + $0) * blockSize)" }) { k -> [Double] in
                let b = first + k
                var accumulator = [Double](repeating: 0, count: length)
                for i in b * blockSize..<Swift.min(count, (b + 1) * blockSize) {
                    try term(i, &accumulator)
                    guard accumulator.count == length else {
                        throw ParallelError.invalidArgument("reproducibleSum: item \(i) changed the accumulator's length to \(accumulator.count); it must stay \(length)")
                    }
                }
                return accumulator
            }
            var partial = [Double](repeating: 0, count: length)
            for sum in blockSums { for k in 0..<length { partial[k] += sum[k] } }
            return partial
        }
        // Every rank learns whether every rank's share worked before the masked sum starts.
        _ = try exchange(local.map { _ in [] })
        return try allreduce(try local.get(), .sum)
    }
}
