import Foundation

/// A map from data values to positions: y = r0 + (x − d0) / (d1 − d0) · (r1 − r0).
///
/// A degenerate domain (d0 = d1) maps every value to the middle of the range.
public struct LinearScale: Sendable, Equatable {
    /// The data interval, (d0, d1).
    public var domain: (Double, Double)
    /// The positions of d0 and d1 (pixels; r1 < r0 for a y axis that grows upwards).
    public var range: (Double, Double)

    /// A scale.
    ///
    /// - Parameters:
    ///   - domain: The data interval.
    ///   - range: The positions of its ends.
    public init(domain: (Double, Double), range: (Double, Double)) {
        self.domain = domain
        self.range = range
    }

    /// The position of `value` (values outside the domain extrapolate).
    public func callAsFunction(_ value: Double) -> Double {
        let span = domain.1 - domain.0
        guard span != 0, span.isFinite else { return (range.0 + range.1) / 2 }
        return range.0 + (value - domain.0) / span * (range.1 - range.0)
    }

    /// The data value at `position` (the inverse map).
    ///
    /// - Parameter position: A position in the range's units.
    /// - Returns: The value.
    public func invert(_ position: Double) -> Double {
        let span = range.1 - range.0
        guard span != 0 else { return domain.0 }
        return domain.0 + (position - range.0) / span * (domain.1 - domain.0)
    }

    /// About `count` + 1 nice ticks inside the domain (``Ticks/values(from:to:count:)``).
    ///
    /// - Parameter count: About how many intervals.
    /// - Returns: The ticks.
    public func ticks(count: Int = 5) -> [Double] {
        Ticks.values(from: min(domain.0, domain.1), to: max(domain.0, domain.1), count: count)
    }

    /// The scale with its domain widened to whole tick steps (``Ticks/nice(from:to:count:)``).
    ///
    /// - Parameter count: About how many intervals.
    /// - Returns: The widened scale.
    public func nice(count: Int = 5) -> LinearScale {
        let (low, high) = Ticks.nice(from: min(domain.0, domain.1), to: max(domain.0, domain.1), count: count)
        return LinearScale(domain: domain.0 <= domain.1 ? (low, high) : (high, low), range: range)
    }

    /// Whether two scales have the same domain and range.
    public static func == (a: LinearScale, b: LinearScale) -> Bool {
        a.domain == b.domain && a.range == b.range
    }
}

/// A logarithmic map: y = r0 + (log x − log d0) / (log d1 − log d0) · (r1 − r0), for positive data.
public struct LogScale: Sendable, Equatable {
    /// The data interval (both ends > 0).
    public var domain: (Double, Double)
    /// The positions of its ends.
    public var range: (Double, Double)

    /// A scale.
    ///
    /// - Parameters:
    ///   - domain: The data interval, both ends positive.
    ///   - range: The positions of its ends.
    public init(domain: (Double, Double), range: (Double, Double)) {
        self.domain = domain
        self.range = range
    }

    /// The position of `value` (> 0); non-positive values clamp to the domain's lower end.
    public func callAsFunction(_ value: Double) -> Double {
        let low = log10(domain.0), high = log10(domain.1)
        guard high != low, low.isFinite, high.isFinite else { return (range.0 + range.1) / 2 }
        let x = value > 0 ? log10(value) : low
        return range.0 + (x - low) / (high - low) * (range.1 - range.0)
    }

    /// Ticks at 1, 2, 5 (or every power of ten) inside the domain (``Ticks/logValues(from:to:)``).
    public func ticks() -> [Double] {
        Ticks.logValues(from: min(domain.0, domain.1), to: max(domain.0, domain.1))
    }

    /// The scale with its domain widened to whole powers of ten.
    public func nice() -> LogScale {
        let low = min(domain.0, domain.1), high = max(domain.0, domain.1)
        guard low > 0, high > 0 else { return self }
        return LogScale(domain: (pow(10, floor(log10(low))), pow(10, ceil(log10(high)))), range: range)
    }

    /// Whether two scales have the same domain and range.
    public static func == (a: LogScale, b: LogScale) -> Bool {
        a.domain == b.domain && a.range == b.range
    }
}

/// Evenly spaced bands for categories (bars, heatmap cells): `count` bands over the range, with an
/// inner gap of `paddingInner` × step between bands and `paddingOuter` × step at each end.
///
/// step = (r1 − r0) / (count − paddingInner + 2 · paddingOuter); band i starts at
/// r0 + (paddingOuter + i) · step and is (1 − paddingInner) · step wide (d3's `scaleBand`).
public struct BandScale: Sendable, Equatable {
    /// The number of bands.
    public var count: Int
    /// The positions of the range's ends.
    public var range: (Double, Double)
    /// The gap between bands, as a share of the step (0…1).
    public var paddingInner: Double
    /// The gap at each end, as a share of the step.
    public var paddingOuter: Double

    /// A band scale.
    ///
    /// - Parameters:
    ///   - count: The number of bands (≥ 0).
    ///   - range: The positions of the range's ends.
    ///   - paddingInner: The gap between bands, as a share of the step (0…1).
    ///   - paddingOuter: The gap at each end, as a share of the step.
    public init(count: Int, range: (Double, Double), paddingInner: Double = 0.1, paddingOuter: Double = 0.05) {
        self.count = max(0, count)
        self.range = range
        self.paddingInner = min(max(paddingInner, 0), 1)
        self.paddingOuter = max(paddingOuter, 0)
    }

    /// The distance from one band's start to the next.
    public var step: Double {
        let denominator = Double(count) - paddingInner + 2 * paddingOuter
        return denominator > 0 ? (range.1 - range.0) / denominator : 0
    }

    /// The width of a band.
    public var bandwidth: Double { step * (1 - paddingInner) }

    /// Where band `index` starts.
    public func start(_ index: Int) -> Double { range.0 + (paddingOuter + Double(index)) * step }

    /// The middle of band `index`.
    public func center(_ index: Int) -> Double { start(index) + bandwidth / 2 }

    /// Whether two scales are the same.
    public static func == (a: BandScale, b: BandScale) -> Bool {
        a.count == b.count && a.range == b.range && a.paddingInner == b.paddingInner && a.paddingOuter == b.paddingOuter
    }
}
