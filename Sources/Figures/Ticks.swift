// Figures: Verdant's rendering layer — SVG, scales, ticks, number formats, charts, an HTML page and
// terminal charts. It depends on Foundation alone and knows nothing of circuits, models or energy:
// the Report module turns Verdant's results into the plain data these types draw.
import Foundation

/// "Nice" tick positions for an axis: multiples of 1, 2 or 5 times a power of ten.
///
/// The rule is the one d3-array's `ticks` publishes (and its tests check): the raw step
/// (stop − start) / count is rounded to 10^k × {1, 2, 5, 10}, choosing 2 when the raw step is at
/// least √2 × 10^k, 5 from √10 × 10^k and 10 from √50 × 10^k; ticks are the multiples of that step
/// inside [start, stop]. Steps below 1 are held as their inverse (ticks are i / inverse), so
/// 0.1 × 3 prints as 0.3, not 0.30000000000000004.
public enum Ticks {
    /// The tick positions in [start, stop] (in descending order when start > stop).
    ///
    /// - Parameters:
    ///   - start: One end of the domain.
    ///   - stop: The other end.
    ///   - count: About how many intervals to make; the result has roughly count + 1 ticks.
    /// - Returns: The ticks; empty when an argument is not finite or `count` is not positive;
    ///   `[start]` when start equals stop.
    public static func values(from start: Double, to stop: Double, count: Int) -> [Double] {
        guard start.isFinite, stop.isFinite, count > 0 else { return [] }
        if start == stop { return [start] }
        let reverse = stop < start
        let (low, high) = reverse ? (stop, start) : (start, stop)
        guard let (i1, i2, increment) = integerSpan(low, high, count), i2 >= i1 else { return [] }
        var result: [Double] = []
        result.reserveCapacity(i2 - i1 + 1)
        for i in i1...i2 {
            // Negative zero would print as "-0".
            let value = increment < 0 ? Double(i) / -increment : Double(i) * increment
            result.append(value == 0 ? 0 : value)
        }
        return reverse ? result.reversed() : result
    }

    /// The tick step for [start, stop] and `count`: positive for steps of at least 1, and for
    /// smaller steps the negative of the step's inverse (d3's `tickIncrement`: −10 means 0.1).
    ///
    /// - Parameters:
    ///   - start: The lower end.
    ///   - stop: The upper end.
    ///   - count: About how many intervals to make.
    /// - Returns: The increment, or NaN for a degenerate input.
    public static func increment(from start: Double, to stop: Double, count: Int) -> Double {
        guard start.isFinite, stop.isFinite, count > 0, stop > start else { return .nan }
        let raw = (stop - start) / Double(count)
        let power = floor(log10(raw))
        let error = raw / pow(10, power)
        let factor: Double = error >= 50.0.squareRoot() ? 10 : error >= 10.0.squareRoot() ? 5 : error >= 2.0.squareRoot() ? 2 : 1
        return power >= 0 ? factor * pow(10, power) : -pow(10, -power) / factor
    }

    /// The tick step as a number (0.1 rather than −10).
    ///
    /// - Parameters:
    ///   - start: One end of the domain.
    ///   - stop: The other end.
    ///   - count: About how many intervals to make.
    /// - Returns: The distance between neighbouring ticks, or NaN for a degenerate input.
    public static func step(from start: Double, to stop: Double, count: Int) -> Double {
        let increment = increment(from: min(start, stop), to: max(start, stop), count: count)
        return increment < 0 ? -1 / increment : increment
    }

    /// The first and last tick as integer multiples of the step, and the increment.
    private static func integerSpan(_ low: Double, _ high: Double, _ count: Int) -> (Int, Int, Double)? {
        let increment = increment(from: low, to: high, count: count)
        guard increment.isFinite, increment != 0 else { return nil }
        var i1: Double, i2: Double
        if increment < 0 {
            let inverse = -increment
            i1 = roundHalfUp(low * inverse)
            i2 = roundHalfUp(high * inverse)
            if i1 / inverse < low { i1 += 1 }
            if i2 / inverse > high { i2 -= 1 }
        } else {
            i1 = roundHalfUp(low / increment)
            i2 = roundHalfUp(high / increment)
            if i1 * increment < low { i1 += 1 }
            if i2 * increment > high { i2 -= 1 }
        }
        // One interval asked for and no multiple of its step inside the domain: ask for two.
        if i2 < i1, count == 1 { return integerSpan(low, high, 2) }
        guard abs(i1) < 1e15, abs(i2) < 1e15 else { return nil }
        return (Int(i1), Int(i2), increment)
    }

    /// Rounds halves up, towards +∞ (−0.5 → 0), as JavaScript's `Math.round` does in d3.
    private static func roundHalfUp(_ x: Double) -> Double { (x + 0.5).rounded(.down) }

    /// A domain widened to whole steps, so that its ends are ticks (d3's `nice`).
    ///
    /// - Parameters:
    ///   - start: The lower end.
    ///   - stop: The upper end.
    ///   - count: About how many intervals to make.
    /// - Returns: The widened domain; the input unchanged when it is degenerate.
    public static func nice(from start: Double, to stop: Double, count: Int) -> (Double, Double) {
        guard start.isFinite, stop.isFinite, stop > start, count > 0 else { return (start, stop) }
        var (low, high) = (start, stop)
        var previous = Double.nan
        // Widening can change the step once more; ten rounds always settle.
        for _ in 0..<10 {
            let increment = increment(from: low, to: high, count: count)
            if increment == previous || !increment.isFinite { break }
            if increment > 0 {
                low = floor(low / increment) * increment
                high = ceil(high / increment) * increment
            } else {
                low = floor(low * -increment) / -increment
                high = ceil(high * -increment) / -increment
            }
            previous = increment
        }
        return (low, high)
    }

    /// Ticks for a logarithmic axis over [low, high] (both positive): every power of ten, and also
    /// 2× and 5× when the domain spans fewer than three decades, and every integer multiple
    /// (1…9) when it spans less than one.
    ///
    /// - Parameters:
    ///   - low: The lower end (> 0).
    ///   - high: The upper end (> low).
    /// - Returns: The ticks in ascending order; empty for a domain that is not positive.
    public static func logValues(from low: Double, to high: Double) -> [Double] {
        guard low > 0, high > low, low.isFinite, high.isFinite else { return [] }
        let first = Int(floor(log10(low))), last = Int(ceil(log10(high)))
        let decades = log10(high) - log10(low)
        let multiples: [Double] = decades < 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : decades < 3 ? [1, 2, 5] : [1]
        var result: [Double] = []
        for power in first...last {
            for multiple in multiples {
                // 10^-k as 1 / 10^k keeps 0.1, 0.2 … exact in print.
                let value = power >= 0 ? multiple * pow(10, Double(power)) : multiple / pow(10, Double(-power))
                if value >= low * (1 - 1e-12), value <= high * (1 + 1e-12) { result.append(value) }
            }
        }
        // Every few decades only, when there are many.
        if multiples == [1], result.count > 8 {
            let stride = Int((Double(result.count) / 6).rounded(.up))
            result = result.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
        }
        return result
    }
}
