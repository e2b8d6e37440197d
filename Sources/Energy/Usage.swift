import Foundation

// What a window of time cost: EnergyUsage (a job, a span, an interval) and SpanUsage.

/// The energy, carbon and cost of a window of time: a whole job, a span, or a timeline interval.
public struct EnergyUsage: Sendable, Equatable, Codable {
    /// Wall-clock seconds of the window (measured).
    public let seconds: Double
    /// Joules of the counted sources, with band and provenance.
    public let joules: Estimate
    /// Grams of CO2e: kWh × grid intensity.
    public let gCO2e: Estimate
    /// Cost: kWh × price per kWh + hours × price per hour.
    public let cost: Estimate
    /// The currency of ``cost``.
    public let currency: String
    /// CPU seconds of the job in the window (user + system).
    public let cpuSeconds: Double
    /// Every source's figure, counted or not.
    public let sources: [SourceFigure]

    /// Kilowatt-hours: joules / 3.6e6.
    public var kWh: Double { joules.value / 3.6e6 }
    /// The provenance of the energy figure (the weakest of its counted parts).
    public var provenance: Provenance { joules.provenance }
    /// Average power: joules / seconds (0 for an empty window).
    public var watts: Double { seconds > 0 ? joules.value / seconds : 0 }
    /// Several windows that ran side by side (e.g. the ranks of an MPI job, each measured by its own
    /// meter) as one: joules, carbon, cost and CPU seconds add (bands add, provenance is the
    /// weakest); seconds are the longest; sources with the same name add.
    ///
    /// - Parameter parts: The usages to combine (at least one, all in the same currency).
    /// - Returns: Their combination; for no parts, an empty usage.
    public static func combined(_ parts: [EnergyUsage]) -> EnergyUsage {
        var names: [String] = []
        var byName: [String: [SourceFigure]] = [:]
        for figure in parts.flatMap(\.sources) {
            if byName[figure.name] == nil { names.append(figure.name) }
            byName[figure.name, default: []].append(figure)
        }
        let sources = names.compactMap { name -> SourceFigure? in
            guard let figures = byName[name], let first = figures.first else { return nil }
            return SourceFigure(name: name, method: first.method, joules: Estimate.sum(figures.map(\.joules)),
                                counted: figures.contains { $0.counted }, inputs: [], parameters: first.parameters,
                                note: figures.count > 1 ? "\(first.note) (sum of \(figures.count) processes)" : first.note)
        }
        return EnergyUsage(seconds: parts.map(\.seconds).max() ?? 0, joules: Estimate.sum(parts.map(\.joules)),
                           gCO2e: Estimate.sum(parts.map(\.gCO2e)), cost: Estimate.sum(parts.map(\.cost)),
                           currency: parts.first?.currency ?? ElectricityPrice.default.currency,
                           cpuSeconds: parts.reduce(0) { $0 + $1.cpuSeconds }, sources: sources)
    }

    /// The share of the energy that comes from hardware counters (0…1).
    public var measuredFraction: Double {
        let counted = sources.filter(\.counted)
        let total = counted.reduce(0) { $0 + $1.joules.value }
        guard total > 0 else { return counted.allSatisfy { $0.joules.provenance.isFromCounter } && !counted.isEmpty ? 1 : 0 }
        return counted.filter { $0.joules.provenance.isFromCounter }.reduce(0) { $0 + $1.joules.value } / total
    }
}

/// A phase of a job measured with ``EnergyMeter/span(_:_:)``.
public struct SpanUsage: Sendable, Equatable {
    /// The span's name.
    public let name: String
    /// Nesting depth (0 for a top-level span).
    public let depth: Int
    /// Seconds from the meter's start to the span's start.
    public let startSeconds: Double
    /// Whether the span's body threw.
    public let failed: Bool
    /// Its energy, carbon and cost.
    public let usage: EnergyUsage
}
