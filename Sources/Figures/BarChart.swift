import Foundation

/// Bars for categories: a histogram of outcomes, probabilities, ratios against a reference.
///
/// Each bar is one `<rect class="bar …">` with a tooltip; with ``showValues`` its value is written
/// on it. On a logarithmic value axis bars grow from the ``reference`` (e.g. a ratio of 1), up
/// for larger values and down for smaller ones.
public struct BarChart: Sendable {
    /// One bar.
    public struct Bar: Sendable {
        /// The category.
        public var label: String
        /// The value.
        public var value: Double
        /// The colour (series index into ``Palette``).
        public var colour: Int
        /// The tooltip (default: label and value).
        public var tooltip: String?

        /// A bar.
        ///
        /// - Parameters:
        ///   - label: The category.
        ///   - value: The value.
        ///   - colour: The series colour index.
        ///   - tooltip: The hover text (nil: "label: value").
        public init(_ label: String, _ value: Double, colour: Int = 0, tooltip: String? = nil) {
            self.label = label
            self.value = value
            self.colour = colour
            self.tooltip = tooltip
        }
    }

    /// Which way bars run.
    public enum Orientation: Sendable {
        /// Categories along x, bars upwards (short labels: outcomes).
        case vertical
        /// Categories down the side, bars to the right (long labels: benchmark cases).
        case horizontal
    }

    /// The bars, in drawing order.
    public var bars: [Bar]
    /// The value axis (title with unit, linear or log).
    public var valueAxis: Axis
    /// The category axis's title.
    public var categoryTitle: String
    /// Which way the bars run.
    public var orientation: Orientation
    /// A reference value drawn as a line (and, on a log axis, where bars start), with its label.
    public var reference: (value: Double, label: String)?
    /// Whether each bar's value is written on it.
    public var showValues: Bool
    /// How values on bars are written (default: three significant figures).
    public var valueText: @Sendable (Double) -> String
    /// Legend entries: colour index and name (empty: no legend).
    public var legend: [(colour: Int, name: String)]
    /// The drawing's width.
    public var width: Double = 640
    /// The drawing's height (horizontal charts grow with their bars when nil).
    public var height: Double?

    /// A bar chart.
    ///
    /// - Parameters:
    ///   - bars: The bars.
    ///   - valueAxis: The value axis.
    ///   - categoryTitle: The category axis's title.
    ///   - orientation: Vertical (default) or horizontal.
    ///   - reference: A reference line (value, label).
    ///   - showValues: Whether to write values on the bars.
    ///   - valueText: How to write them.
    ///   - legend: Legend entries (colour index, name).
    public init(bars: [Bar], valueAxis: Axis, categoryTitle: String, orientation: Orientation = .vertical,
                reference: (value: Double, label: String)? = nil, showValues: Bool = true,
                valueText: @escaping @Sendable (Double) -> String = { NumberFormat.significant($0, digits: 3) },
                legend: [(colour: Int, name: String)] = []) {
        self.bars = bars
        self.valueAxis = valueAxis
        self.categoryTitle = categoryTitle
        self.orientation = orientation
        self.reference = reference
        self.showValues = showValues
        self.valueText = valueText
        self.legend = legend
    }

    /// The chart as an `<svg>` element.
    ///
    /// - Parameter label: The accessible name (the figure's title).
    /// - Returns: The SVG text.
    public func svg(label: String) -> String {
        orientation == .vertical ? vertical(label) : horizontal(label)
    }

    private var values: [Double] {
        var all = bars.map(\.value)
        if let reference { all.append(reference.value) }
        return all
    }

    /// Where bars start on the value axis: the reference on a log axis, else 0.
    private func baseline(_ axis: FittedAxis) -> Double {
        if valueAxis.kind == .log {
            let start = reference?.value ?? axis.domain.0
            return axis(start)
        }
        return axis(min(max(0, axis.domain.0), axis.domain.1))
    }

    private func vertical(_ label: String) -> String {
        let longest = bars.map(\.label.count).max() ?? 0
        let rotate = bars.count > 8 && longest > 3
        let bottom: Double = rotate ? min(40 + Double(longest) * 6, 140) : 52
        let frame = PlotFrame(width: width, height: height ?? 380, left: 70, right: 16, top: legend.isEmpty ? 18 : 36, bottom: bottom)
        var svg = SVGWriter(width: frame.width, height: frame.height, label: label)
        let axis = FittedAxis(valueAxis, values: values, range: (frame.plotBottom, frame.plotTop))
        let band = BandScale(count: bars.count, range: (frame.plotLeft, frame.plotRight), paddingInner: 0.2, paddingOuter: 0.1)
        frame.drawLeftAxis(&svg, ticks: zip(axis.ticks, axis.labels).map { (axis($0), $1) }, title: valueAxis.title, grid: true)
        // Category labels.
        svg.openGroup(class: "axis x")
        svg.line(x1: frame.plotLeft, y1: frame.plotBottom, x2: frame.plotRight, y2: frame.plotBottom, class: "domain")
        for (i, bar) in bars.enumerated() {
            let x = band.center(i)
            if rotate {
                svg.text(bar.label, x: x, y: frame.plotBottom + 10, anchor: .end, class: "tick-label mono", rotation: -45)
            } else {
                svg.text(bar.label, x: x, y: frame.plotBottom + 18, anchor: .middle, class: "tick-label mono")
            }
        }
        svg.text(categoryTitle, x: (frame.plotLeft + frame.plotRight) / 2, y: frame.height - 8, anchor: .middle, class: "axis-title")
        svg.closeGroup()

        let zero = baseline(axis)
        svg.openGroup(class: "bars")
        for (i, bar) in bars.enumerated() {
            let y = axis(bar.value)
            let top = min(y, zero), height = abs(zero - y)
            svg.rect(x: band.start(i), y: top, width: band.bandwidth, height: max(height, bar.value == 0 ? 0 : 0.5),
                     class: "bar \(Palette.seriesClass(bar.colour))", title: bar.tooltip ?? "\(bar.label): \(valueText(bar.value))")
        }
        svg.closeGroup()
        if showValues, band.bandwidth >= 14 {
            svg.openGroup(class: "values")
            for (i, bar) in bars.enumerated() {
                let y = axis(bar.value)
                let above = bar.value >= (valueAxis.kind == .log ? (reference?.value ?? 0) : 0)
                svg.text(valueText(bar.value), x: band.center(i), y: above ? y - 4 : y + 12, anchor: .middle, class: "value-label")
            }
            svg.closeGroup()
        }
        drawReference(&svg, frame: frame, at: reference.map { axis($0.value) }, vertical: true)
        frame.drawLegend(&svg, legend.map { LegendEntry(name: $0.name, colourClass: Palette.seriesClass($0.colour), swatch: .box) })
        return svg.document
    }

    private func horizontal(_ label: String) -> String {
        let longest = bars.map(\.label.count).max() ?? 0
        let left = min(max(80, Double(longest) * 6.2 + 16), width * 0.55)
        let rowHeight: Double = 22
        let top: Double = legend.isEmpty ? 16 : 36
        let frame = PlotFrame(width: width, height: height ?? (top + 52 + rowHeight * Double(max(bars.count, 1))), left: left, right: 56,
                              top: top, bottom: 52)
        var svg = SVGWriter(width: frame.width, height: frame.height, label: label)
        let axis = FittedAxis(valueAxis, values: values, range: (frame.plotLeft, frame.plotRight))
        let band = BandScale(count: bars.count, range: (frame.plotTop, frame.plotBottom), paddingInner: 0.25, paddingOuter: 0.1)
        frame.drawBottomAxis(&svg, ticks: zip(axis.ticks, axis.labels).map { (axis($0), $1) }, title: valueAxis.title, grid: true)
        svg.openGroup(class: "axis y")
        for (i, bar) in bars.enumerated() {
            let shown = bar.label.count > 60 ? String(bar.label.prefix(58)) + "…" : bar.label
            svg.text(shown, x: frame.plotLeft - 6, y: band.center(i), anchor: .end, class: "tick-label", middleBaseline: true)
        }
        svg.text(categoryTitle, x: 4, y: frame.plotTop - 6, class: "axis-title")
        svg.closeGroup()
        let zero = baseline(axis)
        svg.openGroup(class: "bars")
        for (i, bar) in bars.enumerated() {
            let x = axis(bar.value)
            svg.rect(x: min(x, zero), y: band.start(i), width: max(abs(x - zero), 0.5), height: band.bandwidth,
                     class: "bar \(Palette.seriesClass(bar.colour))", title: bar.tooltip ?? "\(bar.label): \(valueText(bar.value))")
        }
        svg.closeGroup()
        if showValues {
            svg.openGroup(class: "values")
            for (i, bar) in bars.enumerated() {
                let x = axis(bar.value)
                let right = x >= zero
                svg.text(valueText(bar.value), x: right ? x + 4 : x - 4, y: band.center(i), anchor: right ? .start : .end,
                         class: "value-label", middleBaseline: true)
            }
            svg.closeGroup()
        }
        drawReference(&svg, frame: frame, at: reference.map { axis($0.value) }, vertical: false)
        frame.drawLegend(&svg, legend.map { LegendEntry(name: $0.name, colourClass: Palette.seriesClass($0.colour), swatch: .box) })
        return svg.document
    }

    private func drawReference(_ svg: inout SVGWriter, frame: PlotFrame, at position: Double?, vertical: Bool) {
        guard let position, let reference else { return }
        svg.openGroup(class: "reference")
        if vertical {
            svg.line(x1: frame.plotLeft, y1: position, x2: frame.plotRight, y2: position, class: "reference-line")
            svg.text(reference.label, x: frame.plotRight - 4, y: position - 5, anchor: .end, class: "reference-label")
        } else {
            svg.line(x1: position, y1: frame.plotTop, x2: position, y2: frame.plotBottom, class: "reference-line")
            svg.text(reference.label, x: position + 4, y: frame.plotTop - 4, class: "reference-label")
        }
        svg.closeGroup()
    }
}
