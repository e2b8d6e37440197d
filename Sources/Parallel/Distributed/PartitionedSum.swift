import Communication
import Foundation

// A sum over items that live on different ranks (federated shards: each rank holds its own rows
// and no other rank can compute their terms). Each rank adds the items it holds, in index order,
// and the ranks' partial sums meet in one `allreduce` — so only one vector per rank leaves it, and
// under secure aggregation (`AggregatesPrivately`) that vector is masked.

extension Communicator {
    /// The sum over `i` in `0..<count` of the vectors `term(i, &accumulator)` adds, where item `i`
    /// can be computed only on the rank for which `holds(i)` is true (exactly one rank per item).
    ///
    /// Rank r adds the terms of its items in index order on its threads (each item into a zeroed
    /// vector, the vectors then added in index order, so the partial sum does not depend on the
    /// thread count), and the partial sums meet in one `allreduce(.sum)`: masked on a communicator
    /// that ``AggregatesPrivately``, sealed on an encrypted one. The result is the same on every
    /// rank; it equals the one-process sum in index order within floating-point rounding (the
    /// order of the additions differs), and within the masking layer's quantisation under secure
    /// aggregation.
    /// - Parameters:
    ///   - count: the number of items (≥ 0), the same on every rank.
    ///   - length: the vector length (≥ 0), the same on every rank.
    ///   - scheduler: this rank's threads.
    ///   - holds: whether this rank holds item `i`.
    ///   - adjustingPartial: called once with this rank's partial sum before the ranks' sums meet
    ///     (also on a rank that holds none of the items): for what each rank adds of its own, such
    ///     as its share of differential-privacy noise. By default nothing.
    ///   - term: adds item `i`'s contribution into the accumulator (it must only add); called only
    ///     for the items this rank holds.
    /// - Returns: the sum over every rank's items, identical on every rank.
    /// - Throws: ``ParallelError/invalidArgument(_:)`` for a negative count or length, or a term that
    ///   changes the accumulator's length; ``ParallelError/taskFailed(task:rank:underlying:)`` on the
    ///   rank whose term threw and ``CommunicationError/rankFailed(rank:message:status:)`` on the others (no
    ///   rank is left waiting); communication errors.
    public func partitionedSum(count: Int, length: Int, using scheduler: Scheduler = .shared, holds: (Int) -> Bool,
                               adjustingPartial: (inout [Double]) -> Void = { _ in },
                               _ term: @escaping @Sendable (Int, inout [Double]) throws -> Void) throws -> [Double]
    {
        guard count >= 0, length >= 0 else {
            throw ParallelError.invalidArgument("partitionedSum: count \(count) and length \(length) must be ≥ 0")
        }
        let mine = (0..<count).filter(holds)
        let local = Result { () throws -> [Double] in
            let terms = try scheduler.map(count: mine.count, chunkSize: 1, name: { "index \(mine[$0])" }) { k -> [Double] in
                var accumulator = [Double](repeating: 0, count: length)
                try term(mine[k], &accumulator)
                guard accumulator.count == length else {
                    throw ParallelError.invalidArgument("partitionedSum: item \(mine[k]) changed the accumulator's length to \(accumulator.count); it must stay \(length)")
                }
                return accumulator
            }
            var partial = [Double](repeating: 0, count: length)
            for values in terms { for k in 0..<length { partial[k] += values[k] } }
            return partial
        }.map { partial in
            var adjusted = partial
            adjustingPartial(&adjusted)
            return adjusted
        }
        if size == 1 { return try local.get() }
        // Every rank learns whether every rank's items worked before the sum starts.
        _ = try exchange(local.map { _ in [] })
        return try allreduce(try local.get(), .sum)
    }
}
