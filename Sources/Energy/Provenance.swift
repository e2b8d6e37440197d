/// How a figure was obtained.
///
/// Ordered from strongest to weakest: a total built from several parts takes the weakest label
/// among the parts it counts (see ``Provenance/weakest(_:)``).
public enum Provenance: String, Sendable, Codable, CaseIterable, Comparable {
    /// Read from a hardware counter (RAPL, NVML) over the job's own time window.
    case measured
    /// Computed by the documented model from measured inputs (CPU time, resident memory) and a
    /// parameter that is known for this machine (a CPU in the table, or a figure the user gave).
    case modelled
    /// Computed by the model with a stated default parameter, because nothing specific was known
    /// (an unknown CPU model, no country given, no price given).
    case `default`

    private var rank: Int {
        switch self {
        case .measured: 0
        case .modelled: 1
        case .default: 2
        }
    }

    /// Whether `lhs` is stronger (better founded) than `rhs`.
    ///
    /// - Parameters:
    ///   - lhs: A label.
    ///   - rhs: Another label.
    /// - Returns: `true` when `lhs` ranks before `rhs` in measured < modelled < default.
    public static func < (lhs: Provenance, rhs: Provenance) -> Bool { lhs.rank < rhs.rank }

    /// The weakest label of several (`measured` when the list is empty).
    ///
    /// - Parameter labels: The labels of the parts of a figure.
    /// - Returns: The maximum in measured < modelled < default.
    public static func weakest<S: Sequence>(_ labels: S) -> Provenance where S.Element == Provenance {
        labels.max() ?? .measured
    }
}

/// A figure with its error band and provenance: `low ≤ value ≤ high`.
public struct Estimate: Sendable, Equatable {
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

    /// The half-width of the band relative to the value, e.g. 0.05 for ±5 % (0 when the value is 0).
    public var relativeBand: Double {
        guard value > 0 else { return 0 }
        return max(value - low, high - value) / value
    }
}
