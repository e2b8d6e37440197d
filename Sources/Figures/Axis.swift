import Foundation

/// One axis of a chart: its title (with the unit, e.g. "power (W)"), linear or logarithmic, its
/// domain (from the data unless fixed) and how tick labels read.
public struct Axis: Sendable {
    /// Linear or logarithmic.
    public enum Kind: Sendable, Equatable {
        /// Evenly spaced values.
        case linear
        /// Powers of ten evenly spaced; data must be positive.
        case log
    }

    /// How tick labels are written.
    public enum Labels: Sendable, Equatable {
        /// ``NumberFormat/tick(_:step:)``.
        case number
        /// Shares as percentages (0.5 → "50 %").
        case percent
        /// Whole numbers only (epochs, counts): fractional ticks are dropped.
        case integer
    }

    /// The title, with its unit in parentheses.
    public var title: String
    /// Linear or logarithmic.
    public var kind: Kind
    /// A fixed domain (nil: from the data, widened to nice ticks).
    public var domain: (Double, Double)?
    /// Whether a data-derived linear domain must include 0.
    public var includesZero: Bool
    /// How tick labels read.
    public var labels: Labels

    /// An axis.
    ///
    /// - Parameters:
    ///   - title: The title with its unit, e.g. "energy (J)".
    ///   - kind: Linear (default) or logarithmic.
    ///   - domain: A fixed domain (nil: from the data).
    ///   - includesZero: Whether a linear domain from the data starts at 0 (bars, counts).
    ///   - labels: How tick labels read.
    public init(_ title: String, kind: Kind = .linear, domain: (Double, Double)? = nil, includesZero: Bool = false,
                labels: Labels = .number) {
        self.title = title
        self.kind = kind
        self.domain = domain
        self.includesZero = includesZero
        self.labels = labels
    }
}

/// An axis fitted to data and a pixel range: the map, the ticks and their labels.
struct FittedAxis {
    let kind: Axis.Kind
    let linear: LinearScale
    let log: LogScale
    let ticks: [Double]
    let labels: [String]

    /// Fits `axis` to the data values `values` over the pixel range `range`.
    init(_ axis: Axis, values: [Double], range: (Double, Double), tickCount: Int = 5) {
        kind = axis.kind
        let finite = values.filter(\.isFinite)
        switch axis.kind {
        case .log:
            let positive = finite.filter { $0 > 0 }
            var low = axis.domain?.0 ?? positive.min() ?? 1
            var high = axis.domain?.1 ?? positive.max() ?? 10
            if !(low > 0) { low = 1 }
            if !(high > low) { high = low * 10 }
            var scale = LogScale(domain: (low, high), range: range)
            if axis.domain == nil {
                // Pad by a small factor so that points do not sit on the frame.
                scale = LogScale(domain: (low / 1.25, high * 1.25), range: range)
                if Ticks.logValues(from: low / 1.25, to: high * 1.25).count < 2 { scale = scale.nice() }
            }
            log = scale
            linear = LinearScale(domain: (0, 1), range: range)
            ticks = scale.ticks()
            labels = ticks.map { NumberFormat.significant($0, digits: 2) }
        case .linear:
            var low = axis.domain?.0 ?? finite.min() ?? 0
            var high = axis.domain?.1 ?? finite.max() ?? 1
            if axis.domain == nil, axis.includesZero { low = min(low, 0); high = max(high, 0) }
            if high == low {
                let pad = low == 0 ? 1 : abs(low) * 0.1
                (low, high) = (low - pad, high + pad)
            }
            var scale = LinearScale(domain: (low, high), range: range)
            if axis.domain == nil { scale = scale.nice(count: tickCount) }
            linear = scale
            log = LogScale(domain: (1, 10), range: range)
            var values = scale.ticks(count: tickCount)
            if axis.labels == .integer {
                values = values.filter { $0 == $0.rounded() }
                if values.count < 2 { values = [scale.domain.0.rounded(.up), scale.domain.1.rounded(.down)].filter { $0 <= scale.domain.1 } }
            }
            ticks = values
            switch axis.labels {
            case .percent:
                let step = values.count >= 2 ? abs(values[1] - values[0]) * 100 : 10
                labels = values.map { NumberFormat.tick($0 * 100, step: step) + "\u{2009}%" }
            case .integer:
                labels = values.map { NumberFormat.integer(Int($0)) }
            case .number:
                labels = NumberFormat.ticks(values)
            }
        }
    }

    /// The pixel position of a data value.
    func callAsFunction(_ value: Double) -> Double {
        kind == .log ? log(value) : linear(value)
    }

    /// The data domain.
    var domain: (Double, Double) { kind == .log ? log.domain : linear.domain }
}

/// The plot area inside a chart's margins, and the shared way of drawing axes, grid lines and
/// legends.
struct PlotFrame {
    let width: Double
    let height: Double
    let left: Double
    let right: Double
    let top: Double
    let bottom: Double

    var plotLeft: Double { left }
    var plotRight: Double { width - right }
    var plotTop: Double { top }
    var plotBottom: Double { height - bottom }

    /// Draws a horizontal axis at the bottom of the plot: ticks, labels, the title below.
    func drawBottomAxis(_ svg: inout SVGWriter, ticks: [(Double, String)], title: String, grid: Bool) {
        svg.openGroup(class: "axis x")
        svg.line(x1: plotLeft, y1: plotBottom, x2: plotRight, y2: plotBottom, class: "domain")
        for (x, label) in ticks where x >= plotLeft - 0.5 && x <= plotRight + 0.5 {
            if grid { svg.line(x1: x, y1: plotTop, x2: x, y2: plotBottom, class: "grid") }
            svg.line(x1: x, y1: plotBottom, x2: x, y2: plotBottom + 5, class: "tick")
            svg.text(label, x: x, y: plotBottom + 18, anchor: .middle, class: "tick-label")
        }
        svg.text(title, x: (plotLeft + plotRight) / 2, y: height - 8, anchor: .middle, class: "axis-title")
        svg.closeGroup()
    }

    /// Draws a vertical axis on the left of the plot: ticks, labels, the title rotated.
    func drawLeftAxis(_ svg: inout SVGWriter, ticks: [(Double, String)], title: String, grid: Bool) {
        svg.openGroup(class: "axis y")
        svg.line(x1: plotLeft, y1: plotTop, x2: plotLeft, y2: plotBottom, class: "domain")
        for (y, label) in ticks where y >= plotTop - 0.5 && y <= plotBottom + 0.5 {
            if grid { svg.line(x1: plotLeft, y1: y, x2: plotRight, y2: y, class: "grid") }
            svg.line(x1: plotLeft - 5, y1: y, x2: plotLeft, y2: y, class: "tick")
            svg.text(label, x: plotLeft - 8, y: y, anchor: .end, class: "tick-label", middleBaseline: true)
        }
        svg.text(title, x: 14, y: (plotTop + plotBottom) / 2, anchor: .middle, class: "axis-title", rotation: -90, middleBaseline: true)
        svg.closeGroup()
    }

    /// Draws a legend in one row above the plot: a swatch and a name per entry.
    func drawLegend(_ svg: inout SVGWriter, _ entries: [LegendEntry], atTop: Bool = false) {
        guard !entries.isEmpty else { return }
        svg.openGroup(class: "legend")
        var x = plotLeft
        let y = atTop ? 12 : max(12, plotTop - 14)
        for entry in entries {
            switch entry.swatch {
            case .line(let dashed):
                svg.line(x1: x, y1: y, x2: x + 18, y2: y, class: "legend-line \(entry.colourClass)\(dashed ? " dashed" : "")")
            case .box:
                svg.rect(x: x, y: y - 5, width: 14, height: 10, class: "legend-box \(entry.colourClass)")
            case .band:
                svg.rect(x: x, y: y - 5, width: 14, height: 10, class: "band \(entry.colourClass)")
            case .marker(let shape):
                Marker.draw(&svg, shape: shape, x: x + 7, y: y, size: 4.5, class: "point \(entry.colourClass)", title: nil)
            }
            let offset: Double = { if case .line = entry.swatch { return 22 } else { return 18 } }()
            svg.text(entry.name, x: x + offset, y: y, class: "legend-label", middleBaseline: true)
            x += offset + Double(entry.name.count) * 6.4 + 16
        }
        svg.closeGroup()
    }
}

/// One entry of a chart's legend.
struct LegendEntry {
    enum Swatch {
        case line(dashed: Bool)
        case box
        case band
        case marker(MarkerShape)
    }

    let name: String
    let colourClass: String
    let swatch: Swatch
}

/// The shape of a scatter point.
public enum MarkerShape: String, Sendable, CaseIterable {
    /// A filled circle.
    case circle
    /// A filled square.
    case square
    /// A filled triangle, point up.
    case triangle
    /// A filled diamond.
    case diamond
    /// An open ring (drawn as a circle with no fill).
    case ring
}

/// Draws markers (shared by scatter points and legends).
enum Marker {
    static func draw(_ svg: inout SVGWriter, shape: MarkerShape, x: Double, y: Double, size: Double, class name: String, title: String?) {
        switch shape {
        case .circle:
            svg.circle(cx: x, cy: y, r: size, class: name, title: title)
        case .ring:
            svg.circle(cx: x, cy: y, r: size, class: name + " ring", title: title)
        case .square:
            let s = size * 0.9
            svg.path(SVGWriter.pathData([(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)], closed: true), class: name, title: title)
        case .triangle:
            let s = size * 1.15
            svg.path(SVGWriter.pathData([(x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8)], closed: true), class: name, title: title)
        case .diamond:
            let s = size * 1.2
            svg.path(SVGWriter.pathData([(x, y - s), (x + s, y), (x, y + s), (x - s, y)], closed: true), class: name, title: title)
        }
    }
}
