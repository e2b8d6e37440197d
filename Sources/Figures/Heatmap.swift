import Foundation

/// A matrix drawn as coloured cells with a colour bar: a kernel matrix (samples sorted by class,
/// class blocks outlined and named) or a confusion matrix (numbers in the cells).
///
/// Every cell is one `<rect class="cell" data-row="i" data-column="j">` whose tooltip gives its
/// value; the colour bar's ticks come from ``Ticks``.
public struct Heatmap: Sendable {
    /// A run of rows (and columns) that belong together, e.g. the samples of one class.
    public struct Group: Sendable, Equatable {
        /// The group's name (a class label).
        public var name: String
        /// How many consecutive rows it spans.
        public var count: Int

        /// A group.
        public init(_ name: String, count: Int) {
            self.name = name
            self.count = count
        }
    }

    /// The values, row by row (every row the same length).
    public var values: [[Double]]
    /// Row names (nil: rows are not named one by one).
    public var rowLabels: [String]?
    /// Column names.
    public var columnLabels: [String]?
    /// The rows' axis title.
    public var rowTitle: String
    /// The columns' axis title.
    public var columnTitle: String
    /// Groups along both axes (a square matrix sorted by class), outlined and named.
    public var groups: [Group]
    /// The values that map to the two ends of the colour map (nil: the data's minimum and maximum).
    public var colourDomain: (Double, Double)?
    /// The colour bar's title, with the unit.
    public var colourTitle: String
    /// Whether each cell shows its value (small matrices: confusion matrices).
    public var showValues: Bool
    /// How values in cells and tooltips are written.
    public var valueText: @Sendable (Double) -> String
    /// What a cell's tooltip says, given row, column and value (nil: "row, column: value").
    public var tooltip: (@Sendable (Int, Int, Double) -> String)?
    /// The drawing's width.
    public var width: Double = 640

    /// A heatmap.
    ///
    /// - Parameters:
    ///   - values: The matrix, row by row.
    ///   - rowTitle: The rows' axis title.
    ///   - columnTitle: The columns' axis title.
    ///   - colourTitle: The colour bar's title with its unit.
    ///   - rowLabels: Row names.
    ///   - columnLabels: Column names.
    ///   - groups: Class blocks along both axes.
    ///   - colourDomain: The values at the ends of the colour map.
    ///   - showValues: Whether cells show their values.
    ///   - valueText: How values are written.
    public init(values: [[Double]], rowTitle: String, columnTitle: String, colourTitle: String, rowLabels: [String]? = nil,
                columnLabels: [String]? = nil, groups: [Group] = [], colourDomain: (Double, Double)? = nil, showValues: Bool = false,
                valueText: @escaping @Sendable (Double) -> String = { NumberFormat.significant($0, digits: 3) }) {
        self.values = values
        self.rowTitle = rowTitle
        self.columnTitle = columnTitle
        self.colourTitle = colourTitle
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.groups = groups
        self.colourDomain = colourDomain
        self.showValues = showValues
        self.valueText = valueText
    }

    /// The chart as an `<svg>` element.
    ///
    /// - Parameter label: The accessible name (the figure's title).
    /// - Returns: The SVG text.
    public func svg(label: String) -> String {
        let rows = values.count, columns = values.map(\.count).max() ?? 0
        let longestRow = (rowLabels ?? groups.map(\.name)).map(\.count).max() ?? 0
        let left = 34 + min(Double(longestRow) * 6.5, 150)
        let top: Double = 14
        let bottomLabels = (columnLabels ?? groups.map(\.name)).map(\.count).max() ?? 0
        let bottom = 44 + (columnLabels != nil && columns > 6 ? min(Double(bottomLabels) * 5, 90) : 0)
        let barWidth: Double = 14, barGap: Double = 22, barLabels: Double = 64
        let side = min(width - left - barGap - barWidth - barLabels, 460)
        let height = top + side + bottom
        var svg = SVGWriter(width: width, height: height, label: label)
        let cellWidth = columns > 0 ? side / Double(columns) : 0, cellHeight = rows > 0 ? side / Double(rows) : 0
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        var (low, high) = colourDomain ?? (finite.min() ?? 0, finite.max() ?? 1)
        if high <= low { high = low + 1 }
        func t(_ v: Double) -> Double { (v - low) / (high - low) }

        if rows * columns <= Self.cellLimit {
            svg.openGroup(class: "cells")
            for (i, row) in values.enumerated() {
                for (j, value) in row.enumerated() {
                    let text = tooltip?(i, j, value) ?? "\(rowLabels?[safe: i] ?? String(i + 1)), \(columnLabels?[safe: j] ?? String(j + 1)): \(valueText(value))"
                    svg.rect(x: left + Double(j) * cellWidth, y: top + Double(i) * cellHeight, width: cellWidth + 0.25, height: cellHeight + 0.25,
                             class: "cell", fill: Palette.viridis(t(value)), title: text, data: [("row", String(i)), ("column", String(j))])
                }
            }
            svg.closeGroup()
        } else {
            drawLevels(&svg, left: left, top: top, cellWidth: cellWidth, cellHeight: cellHeight, low: low, high: high)
        }
        if showValues, cellWidth >= 26, cellHeight >= 16 {
            svg.openGroup(class: "cell-values")
            for (i, row) in values.enumerated() {
                for (j, value) in row.enumerated() {
                    svg.text(valueText(value), x: left + (Double(j) + 0.5) * cellWidth, y: top + (Double(i) + 0.5) * cellHeight, anchor: .middle,
                             class: Palette.viridisIsDark(t(value)) ? "cell-value light" : "cell-value dark", middleBaseline: true)
                }
            }
            svg.closeGroup()
        }
        // Class blocks: outlines and names.
        if !groups.isEmpty {
            svg.openGroup(class: "groups")
            var start = 0
            for group in groups {
                let a = Double(start), b = Double(start + group.count)
                svg.rect(x: left + a * cellWidth, y: top + a * cellHeight, width: (b - a) * cellWidth, height: (b - a) * cellHeight, class: "group-outline")
                if rowLabels == nil {
                    svg.text(group.name, x: left - 6, y: top + (a + b) / 2 * cellHeight, anchor: .end, class: "tick-label", middleBaseline: true)
                }
                if columnLabels == nil {
                    svg.text(group.name, x: left + (a + b) / 2 * cellWidth, y: top + side + 16, anchor: .middle, class: "tick-label")
                }
                start += group.count
            }
            svg.closeGroup()
        }
        if let rowLabels {
            svg.openGroup(class: "axis y")
            for (i, name) in rowLabels.enumerated() {
                svg.text(name, x: left - 6, y: top + (Double(i) + 0.5) * cellHeight, anchor: .end, class: "tick-label", middleBaseline: true)
            }
            svg.closeGroup()
        }
        if let columnLabels {
            svg.openGroup(class: "axis x")
            let rotate = columns > 6
            for (j, name) in columnLabels.enumerated() {
                let x = left + (Double(j) + 0.5) * cellWidth
                if rotate {
                    svg.text(name, x: x, y: top + side + 10, anchor: .end, class: "tick-label", rotation: -45)
                } else {
                    svg.text(name, x: x, y: top + side + 16, anchor: .middle, class: "tick-label")
                }
            }
            svg.closeGroup()
        }
        svg.text(rowTitle, x: 12, y: top + side / 2, anchor: .middle, class: "axis-title", rotation: -90, middleBaseline: true)
        svg.text(columnTitle, x: left + side / 2, y: height - 8, anchor: .middle, class: "axis-title")

        // The colour bar: 32 steps of the map, ticks from the same domain.
        let barLeft = left + side + barGap
        svg.openGroup(class: "colour-bar")
        let steps = 32
        for k in 0..<steps {
            let v0 = Double(k) / Double(steps)
            let y = top + side * (1 - Double(k + 1) / Double(steps))
            svg.rect(x: barLeft, y: y, width: barWidth, height: side / Double(steps) + 0.3, fill: Palette.viridis(v0 + 0.5 / Double(steps)))
        }
        svg.rect(x: barLeft, y: top, width: barWidth, height: side, class: "frame")
        let scale = LinearScale(domain: (low, high), range: (top + side, top))
        let ticks = scale.ticks(count: 5)
        for (value, text) in zip(ticks, NumberFormat.ticks(ticks)) {
            let y = scale(value)
            svg.line(x1: barLeft + barWidth, y1: y, x2: barLeft + barWidth + 4, y2: y, class: "tick")
            svg.text(text, x: barLeft + barWidth + 7, y: y, class: "tick-label", middleBaseline: true)
        }
        svg.text(colourTitle, x: width - 6, y: top + side / 2, anchor: .middle, class: "axis-title", rotation: -90, middleBaseline: true)
        svg.closeGroup()
        return svg.document
    }
}

extension Heatmap {
    /// Matrices of more cells than this are drawn as colour levels (below); smaller ones get one
    /// `<rect>` per cell with its own tooltip.
    public static let cellLimit = 1024
    /// The colour levels of a large matrix: the map is cut into this many even steps.
    public static let levels = 64

    /// The level (0 ..< ``levels``) of a value between `low` and `high`: ⌊t · levels⌋, clamped.
    public static func level(_ value: Double, low: Double, high: Double) -> Int {
        guard value.isFinite, high > low else { return 0 }
        return min(max(Int(((value - low) / (high - low) * Double(levels)).rounded(.down)), 0), levels - 1)
    }

    /// A large matrix as one `<path class="level">` per colour level, in a group scaled to cell
    /// units: each run of neighbouring cells of one level in a row is a subpath `Mj i h n v 1 h -n z`
    /// (column j, row i, n cells), so the file grows with the runs, not with 20-odd bytes of
    /// attributes per cell. Each path's `data-cells` is the number of cells it covers and its
    /// tooltip the level's value range; cells share the level's middle colour.
    func drawLevels(_ svg: inout SVGWriter, left: Double, top: Double, cellWidth: Double, cellHeight: Double, low: Double, high: Double) {
        var paths = Array(repeating: "", count: Self.levels)
        var cells = Array(repeating: 0, count: Self.levels)
        for (i, row) in values.enumerated() {
            var j = 0
            while j < row.count {
                let level = Self.level(row[j], low: low, high: high)
                var end = j
                while end + 1 < row.count, Self.level(row[end + 1], low: low, high: high) == level { end += 1 }
                paths[level] += "M\(j) \(i)h\(end - j + 1)v1h-\(end - j + 1)z"
                cells[level] += end - j + 1
                j = end + 1
            }
        }
        svg.openGroup(class: "cells levels", transform: "translate(\(SVGWriter.number(left)) \(SVGWriter.number(top))) "
                      + "scale(\(SVGWriter.number4(cellWidth)) \(SVGWriter.number4(cellHeight)))")
        for level in 0..<Self.levels where cells[level] > 0 {
            let a = low + (high - low) * Double(level) / Double(Self.levels), b = low + (high - low) * Double(level + 1) / Double(Self.levels)
            svg.path(paths[level], class: "level", fill: Palette.viridis((Double(level) + 0.5) / Double(Self.levels)),
                     title: "\(valueText(a)) to \(valueText(b)): \(cells[level]) cells", data: [("cells", String(cells[level]))])
        }
        svg.closeGroup()
    }
}

extension Array {
    /// The element at `index`, or nil outside the array.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
