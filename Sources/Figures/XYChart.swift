import Foundation

/// A chart on two numeric axes, built from layers drawn in order: shaded intervals (spans of a
/// job), coloured cells (decision regions), bands (an error band, low…high), stacked areas,
/// lines (curves) and points (with error bars and labels), and horizontal reference lines.
///
/// Marks carry CSS classes that the tests count: `interval`, `cell`, `band`, `area`, `line`,
/// `point`, `error-bar`.
public struct XYChart: Sendable {
    /// A curve: points joined in order, optionally with a marker at each.
    public struct Line: Sendable {
        /// The legend name.
        public var name: String
        /// The points (x, y).
        public var points: [(x: Double, y: Double)]
        /// The colour (series index).
        public var colour: Int
        /// Whether the line is dashed (validation curves, upper bounds).
        public var dashed: Bool
        /// Whether each point gets a marker.
        public var markers: Bool

        /// A line.
        ///
        /// - Parameters:
        ///   - name: The legend name (empty: not in the legend).
        ///   - points: The points, joined in order.
        ///   - colour: The series colour index.
        ///   - dashed: Whether the line is dashed.
        ///   - markers: Whether each point gets a marker (with a tooltip).
        public init(_ name: String, points: [(x: Double, y: Double)], colour: Int, dashed: Bool = false, markers: Bool = false) {
            self.name = name
            self.points = points
            self.colour = colour
            self.dashed = dashed
            self.markers = markers
        }
    }

    /// A filled band between `low` and `high` at each x: an error band in ``XYChart/bands``, or a
    /// stacked area in ``XYChart/areas`` (whose `high` is the running total).
    public struct Band: Sendable {
        /// The legend name.
        public var name: String
        /// The x values.
        public var x: [Double]
        /// The lower edge at each x.
        public var low: [Double]
        /// The upper edge at each x.
        public var high: [Double]
        /// The colour (series index).
        public var colour: Int
        /// Whether the edges are drawn as dashed lines too (an error band: the edges are data).
        public var outlined: Bool

        /// A band.
        ///
        /// - Parameters:
        ///   - name: The legend name (empty: not in the legend).
        ///   - x: The x values.
        ///   - low: The lower edge at each x (unused for stacked areas).
        ///   - high: The upper edge (a stacked area's running total).
        ///   - colour: The series colour index.
        ///   - outlined: Whether the edges are drawn dashed.
        public init(_ name: String, x: [Double], low: [Double], high: [Double], colour: Int, outlined: Bool = true) {
            self.name = name
            self.x = x
            self.low = low
            self.high = high
            self.colour = colour
            self.outlined = outlined
        }
    }

    /// A point, with optional error bars in x and y and a text label beside it.
    public struct Point: Sendable {
        /// Position.
        public var x: Double
        /// Position.
        public var y: Double
        /// The error bar in x (low, high), if any.
        public var xError: (Double, Double)?
        /// The error bar in y (low, high), if any.
        public var yError: (Double, Double)?
        /// A label written beside the point.
        public var label: String?
        /// The colour (series index).
        public var colour: Int
        /// The marker's shape.
        public var shape: MarkerShape
        /// The tooltip.
        public var tooltip: String?

        /// A point.
        ///
        /// - Parameters:
        ///   - x: Position.
        ///   - y: Position.
        ///   - xError: The error bar in x (low, high).
        ///   - yError: The error bar in y (low, high).
        ///   - label: Text beside the point (placed clear of other labels and marks).
        ///   - colour: The series colour index.
        ///   - shape: The marker.
        ///   - tooltip: The hover text.
        public init(x: Double, y: Double, xError: (Double, Double)? = nil, yError: (Double, Double)? = nil, label: String? = nil,
                    colour: Int = 0, shape: MarkerShape = .circle, tooltip: String? = nil) {
            self.x = x
            self.y = y
            self.xError = xError
            self.yError = yError
            self.label = label
            self.colour = colour
            self.shape = shape
            self.tooltip = tooltip
        }
    }

    /// A shaded interval of x (a span of a job), labelled at the top.
    public struct Interval: Sendable {
        /// Where it starts.
        public var start: Double
        /// Where it ends.
        public var end: Double
        /// The label.
        public var label: String
        /// The tooltip.
        public var tooltip: String?

        /// An interval.
        ///
        /// - Parameters:
        ///   - start: Where it starts (x).
        ///   - end: Where it ends.
        ///   - label: The label shown above it when it fits.
        ///   - tooltip: The hover text (nil: the label).
        public init(start: Double, end: Double, label: String, tooltip: String? = nil) {
            self.start = start
            self.end = end
            self.label = label
            self.tooltip = tooltip
        }
    }

    /// A grid of cells, each coloured by a class (decision regions): `classes[row][column]` is the
    /// class at x = `x[column]`, y = `y[row]` (cell centres, evenly spaced).
    public struct Cells: Sendable {
        /// Cell centres along x, ascending and evenly spaced.
        public var x: [Double]
        /// Cell centres along y, ascending and evenly spaced.
        public var y: [Double]
        /// The class of each cell, row by row (`classes.count == y.count`, each row `x.count` long).
        public var classes: [[Int]]

        /// A grid.
        ///
        /// - Parameters:
        ///   - x: Cell centres along x, ascending, evenly spaced.
        ///   - y: Cell centres along y, ascending, evenly spaced.
        ///   - classes: The class of each cell, one row per y.
        public init(x: [Double], y: [Double], classes: [[Int]]) {
            self.x = x
            self.y = y
            self.classes = classes
        }
    }

    /// The x axis.
    public var xAxis: Axis
    /// The y axis.
    public var yAxis: Axis
    /// Shaded intervals, drawn first.
    public var intervals: [Interval] = []
    /// Coloured cells.
    public var cells: Cells?
    /// Translucent bands between `low` and `high` (error bands), with dashed edges when outlined.
    public var bands: [Band] = []
    /// Stacked filled areas: each area's `high` is the running total so far (the caller stacks);
    /// it is filled down to the previous area's `high` (the first one down to 0); `low` is unused.
    public var areas: [Band] = []
    /// Lines.
    public var lines: [Line] = []
    /// Points.
    public var points: [Point] = []
    /// Horizontal reference lines (y, label).
    public var references: [(y: Double, label: String)] = []
    /// Extra legend entries for point classes (colour, shape, name).
    public var pointLegend: [(colour: Int, shape: MarkerShape, name: String)] = []
    /// The drawing's width.
    public var width: Double = 640
    /// The drawing's height.
    public var height: Double = 380

    /// A chart with two axes; add layers by setting the properties.
    ///
    /// - Parameters:
    ///   - xAxis: The x axis.
    ///   - yAxis: The y axis.
    public init(xAxis: Axis, yAxis: Axis) {
        self.xAxis = xAxis
        self.yAxis = yAxis
    }

    /// The chart as an `<svg>` element.
    ///
    /// - Parameter label: The accessible name (the figure's title).
    /// - Returns: The SVG text.
    public func svg(label: String) -> String {
        var legend: [LegendEntry] = []
        for area in areas { legend.append(LegendEntry(name: area.name, colourClass: Palette.seriesClass(area.colour), swatch: .box)) }
        for band in bands where !band.name.isEmpty {
            legend.append(LegendEntry(name: band.name, colourClass: Palette.seriesClass(band.colour), swatch: .band))
        }
        for line in lines where !line.name.isEmpty {
            legend.append(LegendEntry(name: line.name, colourClass: Palette.seriesClass(line.colour), swatch: .line(dashed: line.dashed)))
        }
        for entry in pointLegend {
            legend.append(LegendEntry(name: entry.name, colourClass: Palette.seriesClass(entry.colour), swatch: .marker(entry.shape)))
        }
        let legendRows = legendRowCount(legend)
        let frame = PlotFrame(width: width, height: height, left: 70, right: 20, top: 18 + Double(legendRows) * 18 + (intervals.isEmpty ? 0 : 14),
                              bottom: 52)
        var svg = SVGWriter(width: frame.width, height: frame.height, label: label)

        // Data extents.
        var xs: [Double] = intervals.flatMap { [$0.start, $0.end] } + lines.flatMap { $0.points.map(\.x) } + points.map(\.x)
            + bands.flatMap(\.x) + areas.flatMap(\.x)
        xs += points.compactMap(\.xError).flatMap { [$0.0, $0.1] }
        var ys: [Double] = lines.flatMap { $0.points.map(\.y) } + points.map(\.y) + bands.flatMap { $0.low + $0.high } + areas.flatMap(\.high)
        ys += points.compactMap(\.yError).flatMap { [$0.0, $0.1] } + references.map(\.y)
        if let cells, let first = cells.x.first, let last = cells.x.last, let bottom = cells.y.first, let top = cells.y.last {
            let dx = cells.x.count > 1 ? (last - first) / Double(cells.x.count - 1) / 2 : 0.5
            let dy = cells.y.count > 1 ? (top - bottom) / Double(cells.y.count - 1) / 2 : 0.5
            xs += [first - dx, last + dx]
            ys += [bottom - dy, top + dy]
        }
        // Labelled points need room around them: widen a data-derived linear domain by 6 % a side.
        if points.contains(where: { $0.label != nil }) {
            xs = Self.padded(xs, axis: xAxis)
            ys = Self.padded(ys, axis: yAxis)
        }
        let x = FittedAxis(xAxis, values: xs, range: (frame.plotLeft, frame.plotRight), tickCount: 6)
        let y = FittedAxis(yAxis, values: ys, range: (frame.plotBottom, frame.plotTop))

        frame.drawLeftAxis(&svg, ticks: zip(y.ticks, y.labels).map { (y($0), $1) }, title: yAxis.title, grid: cells == nil)
        frame.drawBottomAxis(&svg, ticks: zip(x.ticks, x.labels).map { (x($0), $1) }, title: xAxis.title, grid: false)

        if !intervals.isEmpty {
            svg.openGroup(class: "intervals")
            for (i, interval) in intervals.enumerated() {
                let x0 = max(frame.plotLeft, x(interval.start)), x1 = min(frame.plotRight, x(interval.end))
                svg.rect(x: x0, y: frame.plotTop, width: x1 - x0, height: frame.plotBottom - frame.plotTop,
                         class: "interval \(i % 2 == 0 ? "even" : "odd")", title: interval.tooltip ?? interval.label)
                // A label that does not fit its interval is left to the tooltip.
                if Double(interval.label.count) * 6.2 + 4 <= x1 - x0 {
                    svg.text(interval.label, x: (x0 + x1) / 2, y: frame.plotTop - 4, anchor: .middle, class: "interval-label")
                }
            }
            svg.closeGroup()
        }
        if let cells { drawCells(&svg, cells, x, y) }
        if !bands.isEmpty {
            svg.openGroup(class: "bands")
            for band in bands {
                let count = min(band.x.count, band.low.count, band.high.count)
                let upper = (0..<count).map { (x(band.x[$0]), y(band.high[$0])) }
                let lower = (0..<count).reversed().map { (x(band.x[$0]), y(band.low[$0])) }
                svg.path(SVGWriter.pathData(upper + lower, closed: true), class: "band \(Palette.seriesClass(band.colour))",
                         title: band.name.isEmpty ? nil : band.name)
                if band.outlined {
                    svg.path(SVGWriter.pathData(upper), class: "band-edge \(Palette.seriesClass(band.colour))")
                    svg.path(SVGWriter.pathData(lower), class: "band-edge \(Palette.seriesClass(band.colour))")
                }
            }
            svg.closeGroup()
        }
        if !areas.isEmpty {
            svg.openGroup(class: "areas")
            var floor = areas.first.map { Array(repeating: 0.0, count: $0.x.count) } ?? []
            for area in areas {
                let count = min(area.x.count, area.high.count, floor.count)
                let upper = (0..<count).map { (x(area.x[$0]), y(area.high[$0])) }
                let lower = (0..<count).reversed().map { (x(area.x[$0]), y(floor[$0])) }
                svg.path(SVGWriter.pathData(upper + lower, closed: true), class: "area \(Palette.seriesClass(area.colour))", title: area.name)
                floor = Array(area.high.prefix(count))
            }
            svg.closeGroup()
        }
        for reference in references {
            let position = y(reference.y)
            svg.line(x1: frame.plotLeft, y1: position, x2: frame.plotRight, y2: position, class: "reference-line")
            svg.text(reference.label, x: frame.plotRight - 4, y: position - 5, anchor: .end, class: "reference-label")
        }
        if !lines.isEmpty {
            svg.openGroup(class: "lines")
            for line in lines {
                let pixels = line.points.map { (x($0.x), y($0.y)) }
                svg.path(SVGWriter.pathData(pixels), class: "line \(Palette.seriesClass(line.colour))\(line.dashed ? " dashed" : "")",
                         title: line.name.isEmpty ? nil : line.name)
                if line.markers {
                    for (point, pixel) in zip(line.points, pixels) {
                        Marker.draw(&svg, shape: line.dashed ? .ring : .circle, x: pixel.0, y: pixel.1, size: 2.6,
                                    class: "point \(Palette.seriesClass(line.colour))",
                                    title: "\(line.name): \(NumberFormat.significant(point.x, digits: 4)), \(NumberFormat.significant(point.y, digits: 4))")
                    }
                }
            }
            svg.closeGroup()
        }
        if !points.isEmpty { drawPoints(&svg, frame, x, y) }
        // Interval labels sit just above the plot; the legend then goes to the very top.
        frame.drawLegend(&svg, legend, atTop: !intervals.isEmpty)
        return svg.document
    }

    private func legendRowCount(_ legend: [LegendEntry]) -> Int {
        legend.isEmpty ? 0 : 1
    }

    private func drawCells(_ svg: inout SVGWriter, _ cells: Cells, _ x: FittedAxis, _ y: FittedAxis) {
        guard let x0 = cells.x.first, let y0 = cells.y.first else { return }
        let dx = cells.x.count > 1 ? (cells.x[cells.x.count - 1] - x0) / Double(cells.x.count - 1) : 1
        let dy = cells.y.count > 1 ? (cells.y[cells.y.count - 1] - y0) / Double(cells.y.count - 1) : 1
        svg.openGroup(class: "cells")
        for (row, classes) in cells.classes.enumerated() where row < cells.y.count {
            // A run of cells of one class in a row is one rectangle (a fraction of the elements,
            // the same picture); `data-cells` says how many grid cells it covers, `data-class` which class.
            var column = 0
            while column < min(classes.count, cells.x.count) {
                var end = column
                while end + 1 < min(classes.count, cells.x.count), classes[end + 1] == classes[column] { end += 1 }
                let left = x(cells.x[column] - dx / 2), right = x(cells.x[end] + dx / 2)
                let top = y(cells.y[row] + dy / 2), bottom = y(cells.y[row] - dy / 2)
                svg.rect(x: left, y: top, width: right - left, height: bottom - top,
                         class: "cell region \(Palette.seriesClass(classes[column]))",
                         data: [("class", String(classes[column])), ("cells", String(end - column + 1))])
                column = end + 1
            }
        }
        svg.closeGroup()
    }

    /// Values widened by 6 % of their span on each side (a linear axis whose domain comes from
    /// the data); other axes unchanged.
    static func padded(_ values: [Double], axis: Axis) -> [Double] {
        guard axis.kind == .linear, axis.domain == nil else { return values }
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return values }
        let pad = (high - low) * 0.06
        return values + [low - pad, high + pad]
    }

    /// Label positions (left or right of the point, and the baseline): the first of these places
    /// whose box overlaps neither a label placed before nor any point's marker — above on the
    /// preferred side (right of points left of `split`), above on the other side, below on either,
    /// then higher and higher above on the preferred side.
    static func labelPositions(_ points: [(x: Double, y: Double, width: Double)], rightOf split: Double) -> [(x: Double, y: Double, right: Bool)] {
        var placed: [(x0: Double, x1: Double, y0: Double, y1: Double)] = []
        let markers = points.map { (x0: $0.x - 5, x1: $0.x + 5, y0: $0.y - 5, y1: $0.y + 5) }
        func box(_ x: Double, _ y: Double, _ right: Bool, _ width: Double) -> (x0: Double, x1: Double, y0: Double, y1: Double) {
            (right ? x : x - width, right ? x + width : x, y - 10, y + 3)
        }
        func free(_ b: (x0: Double, x1: Double, y0: Double, y1: Double)) -> Bool {
            !(placed + markers).contains { $0.x0 < b.x1 && b.x0 < $0.x1 && $0.y0 < b.y1 && b.y0 < $0.y1 }
        }
        return points.map { point in
            let preferred = point.x < split
            var candidates: [(Double, Bool)] = [(point.y - 9, preferred), (point.y - 9, !preferred), (point.y + 16, preferred), (point.y + 16, !preferred)]
            candidates += (1...6).map { (point.y - 9 - 13 * Double($0), preferred) }
            let chosen = candidates.first { y, right in free(box(right ? point.x + 9 : point.x - 9, y, right, point.width)) } ?? candidates[0]
            let x = chosen.1 ? point.x + 9 : point.x - 9
            placed.append(box(x, chosen.0, chosen.1, point.width))
            return (x, chosen.0, chosen.1)
        }
    }

    private func drawPoints(_ svg: inout SVGWriter, _ frame: PlotFrame, _ x: FittedAxis, _ y: FittedAxis) {
        let labelled = points.filter { $0.label != nil }
        let positions = Self.labelPositions(labelled.map { (x($0.x), y($0.y), Double($0.label?.count ?? 0) * 6.2) },
                                            rightOf: (frame.plotLeft + frame.plotRight) * 0.62)
        var nextLabel = 0
        svg.openGroup(class: "points")
        for point in points {
            let px = x(point.x), py = y(point.y)
            if let (low, high) = point.xError {
                svg.line(x1: x(low), y1: py, x2: x(high), y2: py, class: "error-bar \(Palette.seriesClass(point.colour))")
                svg.line(x1: x(low), y1: py - 4, x2: x(low), y2: py + 4, class: "error-cap \(Palette.seriesClass(point.colour))")
                svg.line(x1: x(high), y1: py - 4, x2: x(high), y2: py + 4, class: "error-cap \(Palette.seriesClass(point.colour))")
            }
            if let (low, high) = point.yError {
                svg.line(x1: px, y1: y(low), x2: px, y2: y(high), class: "error-bar \(Palette.seriesClass(point.colour))")
            }
            Marker.draw(&svg, shape: point.shape, x: px, y: py, size: point.label == nil ? 3.6 : 5.5,
                        class: "point \(Palette.seriesClass(point.colour))", title: point.tooltip)
            if let label = point.label, nextLabel < positions.count {
                let position = positions[nextLabel]
                nextLabel += 1
                svg.text(label, x: position.x, y: position.y, anchor: position.right ? .start : .end, class: "point-label")
            }
        }
        svg.closeGroup()
    }
}
