import Foundation
import Testing
import _TestSupport

@testable import Figures

struct ChartTests {
    @Test("a bar chart has one bar per value, heights in proportion to the values, axis titles and value labels")
    func barChart() throws {
        let values: [(String, Double)] = [("000", 512), ("011", 256), ("101", 128), ("111", 64)]
        let chart = BarChart(bars: values.map { BarChart.Bar($0.0, $0.1) }, valueAxis: Axis("count (shots)", includesZero: true),
                             categoryTitle: "outcome", valueText: { NumberFormat.integer(Int($0)) })
        let svg = XMLElements(chart.svg(label: "Counts"))
        #expect(svg.wellFormed)
        let bars = svg.withClass("bar")
        #expect(bars.count == 4)
        // Heights are proportional to the counts (the baseline is 0): h_i / h_0 = v_i / v_0.
        let heights = bars.map { $0.number("height") }
        for (i, (_, value)) in values.enumerated() {
            #expect(abs(heights[i] / heights[0] - value / 512) < 0.01, "bar \(i)")
        }
        #expect(bars.map(\.title) == ["000: 512", "011: 256", "101: 128", "111: 64"])
        #expect(svg.texts.contains("count (shots)"))
        #expect(svg.texts.contains("outcome"))
        #expect(svg.texts.contains("512"))
        // The value axis's ticks are nice numbers from 0 (0, 100, …, 500 or a coarser step).
        #expect(svg.withClass("tick-label").map(\.text).contains("0"))
    }

    @Test("ratio bars on a log axis start at the reference, up for ratios above it and down below")
    func ratioBars() throws {
        let chart = BarChart(bars: [BarChart.Bar("a", 10), BarChart.Bar("b", 0.1), BarChart.Bar("c", 1)],
                             valueAxis: Axis("ratio", kind: .log), categoryTitle: "case", orientation: .horizontal,
                             reference: (1, "1 = equal"))
        let svg = XMLElements(chart.svg(label: "Ratios"))
        #expect(svg.wellFormed)
        let bars = svg.withClass("bar")
        #expect(bars.count == 3)
        let reference = try #require(svg.withClass("reference-line").first)
        let one = reference.number("x1")
        // 10 starts at the reference and goes right; 0.1 ends at it and goes left; a decade each.
        #expect(abs(bars[0].number("x") - one) < 0.01)
        #expect(abs(bars[1].number("x") + bars[1].number("width") - one) < 0.01)
        #expect(abs(bars[0].number("width") - bars[1].number("width")) < 0.02)
        #expect(svg.withClass("value-label").map(\.text) == ["10", "0.1", "1"])
        #expect(svg.texts.contains("1 = equal"))
    }

    @Test("a small heatmap has one cell per entry with its value; a large one covers every cell in colour levels")
    func heatmaps() throws {
        let small = Heatmap(values: [[13, 0], [1, 12]], rowTitle: "true class", columnTitle: "predicted class", colourTitle: "samples",
                            rowLabels: ["a", "b"], columnLabels: ["a", "b"], showValues: true, valueText: { String(Int($0)) })
        let svg = XMLElements(small.svg(label: "Confusion"))
        #expect(svg.wellFormed)
        let cells = svg.withClass("cell")
        #expect(cells.count == 4)
        #expect(cells.map { "\($0.attributes["data-row"] ?? "")\($0.attributes["data-column"] ?? "")" } == ["00", "01", "10", "11"])
        #expect(svg.withClass("cell-value").map(\.text) == ["13", "0", "1", "12"])
        // The largest value gets the top of the colour map, the smallest its bottom.
        #expect(cells[0].attributes["fill"] == Palette.viridis(1))
        #expect(cells[1].attributes["fill"] == Palette.viridis(0))
        #expect(svg.texts.contains("true class") && svg.texts.contains("predicted class") && svg.texts.contains("samples"))

        // 40 × 40, ones on the diagonal, zeros elsewhere: the top level holds exactly the diagonal.
        let n = 40
        let identity = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        let large = Heatmap(values: identity, rowTitle: "sample", columnTitle: "sample", colourTitle: "k",
                            groups: [Heatmap.Group("x", count: 15), Heatmap.Group("y", count: 25)], colourDomain: (0, 1))
        let big = XMLElements(large.svg(label: "Kernel"))
        #expect(big.wellFormed)
        let levels = big.withClass("level")
        #expect(levels.map { Int($0.attributes["data-cells"] ?? "") ?? 0 }.reduce(0, +) == n * n)
        let top = try #require(levels.first { $0.attributes["fill"] == Palette.viridis(63.5 / 64) })
        #expect(top.attributes["d"] == (0..<n).map { "M\($0) \($0)h1v1h-1z" }.joined())
        #expect(top.attributes["data-cells"] == String(n))
        #expect(big.withClass("group-outline").count == 2)
        #expect(Heatmap.level(1, low: 0, high: 1) == 63 && Heatmap.level(0, low: 0, high: 1) == 0 && Heatmap.level(0.5, low: 0, high: 1) == 32)
    }

    @Test("an XY chart draws each layer: lines with markers, error bars, bands, stacked areas, intervals, cells")
    func xyChart() throws {
        var chart = XYChart(xAxis: Axis("time (s)"), yAxis: Axis("power (W)", includesZero: true))
        chart.lines = [XYChart.Line("training", points: [(1, 2), (2, 1.5), (3, 1.2)], colour: 0, markers: true),
                       XYChart.Line("validation", points: [(1, 2.1), (2, 1.7)], colour: 3, dashed: true)]
        chart.points = [XYChart.Point(x: 1, y: 0.5, xError: (0.5, 2), label: "qsvm"), XYChart.Point(x: 2, y: 0.9, label: "svm-rbf", colour: 1)]
        chart.bands = [XYChart.Band("band", x: [0, 1, 2], low: [1, 1, 1], high: [3, 3, 3], colour: 5)]
        chart.areas = [XYChart.Band("CPU", x: [0, 1], low: [], high: [2, 2], colour: 0), XYChart.Band("memory", x: [0, 1], low: [], high: [2.5, 2.5], colour: 2)]
        chart.intervals = [XYChart.Interval(start: 0, end: 1.5, label: "load data"), XYChart.Interval(start: 1.5, end: 3, label: "train")]
        chart.cells = XYChart.Cells(x: [0.5, 1.5, 2.5], y: [0.5, 1.5], classes: [[0, 0, 1], [1, 1, 1]])
        let svg = XMLElements(chart.svg(label: "Power"))
        #expect(svg.wellFormed)
        #expect(svg.withClass("line").count == 2)
        #expect(svg.withClass("dashed").count == 2)  // the line and its legend swatch
        // Three markers on the first line, two labelled points.
        #expect(svg.withClass("point").count == 5)
        #expect(svg.withClass("error-bar").count == 1)
        // The band itself and its legend swatch.
        #expect(svg.withClass("band").count == 2)
        #expect(svg.withClass("band-edge").count == 2)
        #expect(svg.withClass("area").count == 2)
        #expect(svg.withClass("interval").count == 2)
        // Cells: runs of one class per row; they cover the 3 × 2 grid.
        let cells = svg.withClass("cell")
        #expect(cells.map { Int($0.attributes["data-cells"] ?? "") ?? 0 }.reduce(0, +) == 6)
        #expect(cells.map { $0.attributes["data-class"] ?? "" } == ["0", "1", "1"])
        #expect(svg.texts.contains("time (s)") && svg.texts.contains("power (W)"))
        #expect(svg.texts.contains("qsvm") && svg.texts.contains("svm-rbf"))
        #expect(svg.texts.contains("training") && svg.texts.contains("validation") && svg.texts.contains("CPU"))
    }

    @Test("labels avoid each other and the marks: the second of two close points is labelled on its other side")
    func labelPlacement() {
        let placed = XYChart.labelPositions([(100, 100, 30), (102, 101, 30), (300, 100, 30)], rightOf: 250)
        #expect(placed[0].x == 109 && placed[0].y == 91 && placed[0].right)
        // Right of (102, 101) would overlap the first label; left of it is free (it ends at 93, the first marker starts at 95).
        #expect(placed[1].x == 93 && placed[1].y == 92 && !placed[1].right)
        // Past the split, labels go left.
        #expect(placed[2].x == 291 && !placed[2].right)
    }

    @Test("text is escaped, numbers are short, and the SVG reads as XML")
    func writer() {
        #expect(SVGWriter.escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
        #expect(SVGWriter.escape("bell\u{0}\u{1}") == "bell")
        #expect(SVGWriter.number(12.5) == "12.5" && SVGWriter.number(3) == "3" && SVGWriter.number(-0.001) == "0" && SVGWriter.number(.nan) == "0")
        #expect(SVGWriter.number(1.005) == "1" || SVGWriter.number(1.005) == "1.01")
        #expect(SVGWriter.number4(4.16666666) == "4.1667")
        var svg = SVGWriter(width: 100, height: 50, label: "A & B")
        svg.openGroup(class: "g")
        svg.text("x < y", x: 1, y: 2, anchor: .middle, rotation: -90)
        svg.rect(x: 0, y: 0, width: 10, height: 10, class: "bar s0", title: "<tip>", data: [("k", "v\"")])
        let parsed = XMLElements(svg.document)
        #expect(parsed.wellFormed)
        #expect(parsed.texts == ["x < y"])
        #expect(parsed.withClass("bar").first?.title == "<tip>")
        #expect(parsed.withClass("bar").first?.attributes["data-k"] == "v\"")
        #expect(parsed.elements.first?.attributes["aria-label"] == "A & B")
    }

    @Test("the page: one figure element per figure with title and caption, a CSP, dark and print styles, no fetch")
    func page() throws {
        let figure = Figure(id: "Counts: bell.qasm", title: "Counts", svg: BarChart(bars: [BarChart.Bar("00", 1)], valueAxis: Axis("count"),
                                                                                categoryTitle: "outcome").svg(label: "Counts"),
                            caption: "Counts of bell.qasm.")
        let page = HTMLPage(title: "T <1>", subtitle: "S", facts: [("inputs", "a.json")],
                            sections: [PageSection(id: "one", title: "One", blocks: [.paragraph("p"), .figures([figure]), .note("n"),
                                                                                       .table(PageTable(caption: "c", header: ["a", "b"], rows: [["x", "12"]]))]),
                                       PageSection(id: "two", title: "Two")])
        let html = page.html
        #expect(figure.id == "counts-bell-qasm")
        #expect(html.contains("<title>T &lt;1&gt;</title>"))
        #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
        #expect(html.contains("@media (prefers-color-scheme: dark)"))
        #expect(html.contains("@media print"))
        #expect(html.contains("<figure id=\"counts-bell-qasm\">\n<h3>Counts</h3>"))
        #expect(html.contains("<figcaption>Counts of bell.qasm.</figcaption>"))
        #expect(html.contains("<td class=\"num\">12</td>"))
        #expect(html.contains("<a href=\"#one\">One</a>"))
        #expect(!html.contains("<script"))
        #expect(HTMLPage.anchor("  ") == "section" && HTMLPage.anchor("9 lives") == "s-9-lives")
    }
}
