import Foundation

/// Timing and its statistics, one definition for every benchmark suite (`verdant bench`, the
/// library's benchmark functions) so that their figures agree.
///
/// The median is the usual one (NumPy's `median`, Python's `statistics.median`): the middle value
/// of an odd count, the mean of the two middle values of an even count. The side-by-side scripts in
/// `Benchmarks/` use Python's `statistics.median`, so Verdant's and the anchors' medians are the
/// same statistic.
public enum Timing {
    /// The median of `values`: the middle one when sorted (odd count), the mean of the two middle
    /// ones (even count).
    ///
    /// - Parameter values: The samples, in any order.
    /// - Returns: The median, or NaN for no samples.
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The median of the element-wise ratios `numerators[i] / denominators[i]` (of two series timed
    /// alternately, so that a change in the machine's speed moves both).
    ///
    /// - Parameters:
    ///   - numerators: The first series.
    ///   - denominators: The second series, as long as the first.
    /// - Returns: The median ratio, or NaN when the series are empty or differ in length.
    public static func medianRatio(_ numerators: [Double], _ denominators: [Double]) -> Double {
        guard numerators.count == denominators.count else { return .nan }
        return median(zip(numerators, denominators).map { $0 / $1 })
    }

    /// Seconds on a monotonic clock (not wall-clock time: it never jumps), from an arbitrary origin.
    ///
    /// - Returns: The current reading; differences of two readings are elapsed seconds.
    public static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
    }

    /// The seconds `body` takes once.
    ///
    /// - Parameter body: The work to time.
    /// - Returns: Elapsed seconds on the monotonic clock.
    /// - Throws: What `body` throws.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    /// Times `body` `repeats` times (at least once), after one untimed warm-up run when `warmUp`.
    ///
    /// - Parameters:
    ///   - repeats: Timed runs (values below 1 count as 1).
    ///   - warmUp: Whether to run `body` once, untimed, first.
    ///   - body: The work to time.
    /// - Returns: The seconds of each timed run, in order.
    /// - Throws: What `body` throws.
    public static func samples(repeats: Int, warmUp: Bool = true, _ body: () throws -> Void) rethrows -> [Double] {
        if warmUp { try body() }
        return try (0..<max(1, repeats)).map { _ in try seconds(body) }
    }
}
