import Foundation

/// How a figure was obtained.
///
/// Ordered from strongest to weakest: a total built from several parts takes the weakest label
/// among the parts it counts (see ``Provenance/weakest(_:)``):
/// measured < attributed < modelled < upper-bound < default.
public enum Provenance: String, Sendable, Codable, CaseIterable, Comparable {
    /// Read from a hardware counter (RAPL, NVML) over the job's own time window, and the counter
    /// covers the job alone (or the whole machine, in machine scope).
    case measured
    /// A hardware counter of the whole machine times the job's share of it (process scope: RAPL ×
    /// the job's share of the busy CPU time) — a model on top of a measurement. Its band includes
    /// the attribution error (docs/energy-method.md).
    case attributed
    /// Computed by the documented model from measured inputs (CPU time, resident memory) and a
    /// parameter that is known for this machine (a CPU in the table, or a figure the user gave).
    case modelled
    /// A whole device's counter charged to the job although others may have used it too (a GPU whose
    /// use by the job cannot be told apart): the job used at most this much; the band's low end is 0.
    case upperBound = "upper-bound"
    /// Computed by the model with a stated default parameter, because nothing specific was known
    /// (an unknown CPU model, no country given, no price given).
    case `default`

    private var rank: Int {
        switch self {
        case .measured: 0
        case .attributed: 1
        case .modelled: 2
        case .upperBound: 3
        case .default: 4
        }
    }

    /// Whether the figure comes from a hardware counter (measured, attributed or an upper bound), as
    /// `measured_fraction` counts it.
    public var isFromCounter: Bool {
        switch self {
        case .measured, .attributed, .upperBound: true
        case .modelled, .default: false
        }
    }

    /// Whether `lhs` is stronger (better founded) than `rhs`.
    ///
    /// - Parameters:
    ///   - lhs: A label.
    ///   - rhs: Another label.
    /// - Returns: `true` when `lhs` ranks before `rhs` in measured < attributed < modelled < upper-bound < default.
    public static func < (lhs: Provenance, rhs: Provenance) -> Bool { lhs.rank < rhs.rank }

    /// The weakest label of several (`measured` when the list is empty).
    ///
    /// - Parameter labels: The labels of the parts of a figure.
    /// - Returns: The maximum in measured < attributed < modelled < upper-bound < default.
    public static func weakest<S: Sequence>(_ labels: S) -> Provenance where S.Element == Provenance {
        labels.max() ?? .measured
    }
}

/// A figure with its error band and provenance: `low ≤ value ≤ high`.
public struct Estimate: Sendable, Equatable, Codable {
    /// The best estimate.
    public var value: Double
    /// The lower end of the error band.
    public var low: Double
    /// The upper end of the error band.
    public var high: Double
    /// How the figure was obtained.
    public var provenance: Provenance

    /// A figure with an explicit band.
    ///
    /// - Parameters:
    ///   - value: The best estimate.
    ///   - low: The lower end of the band (clamped to at most `value`).
    ///   - high: The upper end of the band (clamped to at least `value`).
    ///   - provenance: How the figure was obtained.
    public init(value: Double, low: Double, high: Double, provenance: Provenance) {
        self.value = value
        self.low = min(low, value)
        self.high = max(high, value)
        self.provenance = provenance
    }

    /// A figure whose band is the value times fixed factors: `[value × lowFactor, value × highFactor]`.
    ///
    /// - Parameters:
    ///   - value: The best estimate.
    ///   - lowFactor: The factor that gives the lower end (e.g. 0.95 for −5 %).
    ///   - highFactor: The factor that gives the upper end (e.g. 1.05 for +5 %).
    ///   - provenance: How the figure was obtained.
    public init(value: Double, lowFactor: Double, highFactor: Double, provenance: Provenance) {
        self.init(value: value, low: value * lowFactor, high: value * highFactor, provenance: provenance)
    }

    /// Zero, exactly known.
    public static let zero = Estimate(value: 0, low: 0, high: 0, provenance: .measured)

    /// The sum of several figures: values, lows and highs add (a conservative band that assumes the
    /// errors go the same way); the provenance is the weakest of the parts.
    ///
    /// Formula: `Σ value`, `[Σ low, Σ high]`.
    /// - Parameter parts: The figures to add.
    /// - Returns: Their sum (``zero`` for no parts).
    public static func sum(_ parts: [Estimate]) -> Estimate {
        guard !parts.isEmpty else { return .zero }
        return Estimate(value: parts.reduce(0) { $0 + $1.value }, low: parts.reduce(0) { $0 + $1.low },
                        high: parts.reduce(0) { $0 + $1.high }, provenance: .weakest(parts.map(\.provenance)))
    }

    /// This figure times a known, non-negative factor (a unit conversion or a price).
    ///
    /// - Parameters:
    ///   - factor: The factor (≥ 0).
    ///   - provenance: The provenance of the factor; the result takes the weaker of the two.
    /// - Returns: `[low × factor, high × factor]` around `value × factor`.
    public func scaled(by factor: Double, provenance factorProvenance: Provenance = .measured) -> Estimate {
        Estimate(value: value * factor, low: low * factor, high: high * factor,
                 provenance: max(provenance, factorProvenance))
    }

    /// The band relative to the value, as printed next to it: `±5%`, or `−60%/+199%` when it is not
    /// symmetric (`±0%` for a zero value).
    public var bandText: String {
        guard value > 0 else { return "±0%" }
        let below = (value - low) / value * 100, above = (high - value) / value * 100
        if abs(below - above) < 0.5 { return String(format: "±%.0f%%", above) }
        return String(format: "−%.0f%%/+%.0f%%", below, above)
    }

    /// The half-width of the band relative to the value, e.g. 0.05 for ±5 % (0 when the value is 0).
    public var relativeBand: Double {
        guard value > 0 else { return 0 }
        return max(value - low, high - value) / value
    }
}
