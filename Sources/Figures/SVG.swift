import Foundation

/// A small SVG writer: elements appended as text, every string escaped, numbers written with at
/// most two decimals. The output is XML that Foundation's `XMLParser` reads (the tests check it).
///
/// Colours come from CSS classes (``Palette``) wherever the page's light and dark themes should
/// differ; literal fills are used only for colour maps, which read the same on both.
///
/// ```swift
/// var svg = SVGWriter(width: 200, height: 100, label: "One bar")
/// svg.rect(x: 10, y: 20, width: 30, height: 80, class: "bar s0", title: "00: 512")
/// let text = svg.document
/// ```
public struct SVGWriter: Sendable {
    /// The drawing's width in user units (CSS pixels at 100 %).
    public let width: Double
    /// The drawing's height.
    public let height: Double
    /// The accessible name (`aria-label`).
    public let label: String
    /// The elements written so far.
    public private(set) var body: String = ""
    private var openGroups = 0

    /// A drawing.
    ///
    /// - Parameters:
    ///   - width: Width in user units.
    ///   - height: Height in user units.
    ///   - label: What the drawing shows, for screen readers.
    public init(width: Double, height: Double, label: String) {
        self.width = width
        self.height = height
        self.label = label
        body.reserveCapacity(16 << 10)
    }

    /// The complete `<svg>` element (groups left open are closed).
    public var document: String {
        let closing = String(repeating: "</g>", count: openGroups)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" "
            + "role=\"img\" aria-label=\"\(Self.escape(label))\" class=\"chart\">" + body + closing + "</svg>"
    }

    /// A rectangle; `title` becomes a hover tooltip (an SVG `<title>` child) and each `data` pair a
    /// `data-NAME="value"` attribute (what a mark stands for, for readers and tests).
    public mutating func rect(x: Double, y: Double, width: Double, height: Double, class name: String? = nil,
                              fill: String? = nil, title: String? = nil, data: [(String, String)] = []) {
        body += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(max(0, width)))\" "
            + "height=\"\(Self.number(max(0, height)))\"" + attributes(name, fill: fill)
        for (key, value) in data { body += " data-\(Self.escape(key))=\"\(Self.escape(value))\"" }
        close("rect", title)
    }

    /// A straight line.
    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, class name: String? = nil) {
        body += "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\""
            + attributes(name) + "/>"
    }

    /// A path with the given `d` data (built with ``pathData(_:closed:)``), and `data-NAME`
    /// attributes for each `data` pair.
    public mutating func path(_ pathData: String, class name: String? = nil, fill: String? = nil, title: String? = nil,
                              data: [(String, String)] = []) {
        body += "<path d=\"\(pathData)\"" + attributes(name, fill: fill)
        for (key, value) in data { body += " data-\(Self.escape(key))=\"\(Self.escape(value))\"" }
        close("path", title)
    }

    /// A circle.
    public mutating func circle(cx: Double, cy: Double, r: Double, class name: String? = nil, fill: String? = nil,
                                title: String? = nil) {
        body += "<circle cx=\"\(Self.number(cx))\" cy=\"\(Self.number(cy))\" r=\"\(Self.number(r))\"" + attributes(name, fill: fill)
        close("circle", title)
    }

    /// Where a text's anchor point is: its start, middle or end.
    public enum Anchor: String, Sendable {
        /// The text starts at the point.
        case start
        /// The text is centred on the point.
        case middle
        /// The text ends at the point.
        case end
    }

    /// A line of text at (x, y) (y is the baseline unless `middleBaseline`), optionally rotated by
    /// `rotation` degrees about the point.
    public mutating func text(_ content: String, x: Double, y: Double, anchor: Anchor = .start, class name: String? = nil,
                              rotation: Double? = nil, middleBaseline: Bool = false) {
        body += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\""
        if anchor != .start { body += " text-anchor=\"\(anchor.rawValue)\"" }
        if middleBaseline { body += " dominant-baseline=\"central\"" }
        if let rotation { body += " transform=\"rotate(\(Self.number(rotation)) \(Self.number(x)) \(Self.number(y)))\"" }
        body += attributes(name) + ">" + Self.escape(content) + "</text>"
    }

    /// Opens a group (`<g>`), optionally with a `transform`; close it with ``closeGroup()``.
    public mutating func openGroup(class name: String? = nil, title: String? = nil, transform: String? = nil) {
        body += "<g" + attributes(name)
        if let transform { body += " transform=\"\(Self.escape(transform))\"" }
        body += ">"
        if let title { body += "<title>" + Self.escape(title) + "</title>" }
        openGroups += 1
    }

    /// Closes the innermost open group.
    public mutating func closeGroup() {
        guard openGroups > 0 else { return }
        body += "</g>"
        openGroups -= 1
    }

    // MARK: - Text helpers

    /// `d` data for a polyline through `points` (`M x y L x y …`, `Z` when closed).
    ///
    /// - Parameters:
    ///   - points: The vertices; points with a non-finite coordinate are skipped.
    ///   - closed: Whether to close the outline.
    /// - Returns: The data (empty for no points).
    public static func pathData(_ points: [(Double, Double)], closed: Bool = false) -> String {
        var out = ""
        var first = true
        for (x, y) in points where x.isFinite && y.isFinite {
            out += (first ? "M" : "L") + number(x) + " " + number(y)
            first = false
        }
        if closed, !out.isEmpty { out += "Z" }
        return out
    }

    /// Text safe inside XML elements and double-quoted attributes.
    ///
    /// - Parameter text: Any text.
    /// - Returns: The text with `&`, `<`, `>`, `"` and `'` escaped, and control characters other than
    ///   tab and line breaks removed (XML 1.0 cannot hold them).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// A coordinate with at most two decimals and no trailing zeros ("12.5", "3", "−" never: SVG
    /// needs ASCII "-"); non-finite values are written as 0.
    ///
    /// - Parameter value: The coordinate.
    /// - Returns: The text.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let hundredths = (value * 100).rounded()
        if hundredths == 0 { return "0" }
        let whole = hundredths / 100
        if hundredths.truncatingRemainder(dividingBy: 100) == 0, abs(whole) < 1e15 { return String(Int(whole)) }
        var text = String(format: "%.2f", whole)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// A number with at most four decimals (scale factors, where two would distort a large
    /// matrix by up to a cell).
    ///
    /// - Parameter value: The number.
    /// - Returns: The text.
    public static func number4(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    // MARK: - Parts

    private func attributes(_ name: String?, fill: String? = nil) -> String {
        var out = ""
        if let name { out += " class=\"\(Self.escape(name))\"" }
        if let fill { out += " fill=\"\(Self.escape(fill))\"" }
        return out
    }

    /// Ends the element being written: empty, or with a `<title>` child.
    private mutating func close(_ element: String, _ title: String?) {
        if let title {
            body += "><title>" + Self.escape(title) + "</title></" + element + ">"
        } else {
            body += "/>"
        }
    }
}

/// Colours: a colour-blind-safe categorical palette (Okabe and Ito's eight colours, the first
/// seven here; CSS classes `s0`…`s6` so the page can lighten them in dark mode) and the viridis
/// colour map for matrices (perceptually uniform, legible in grey and for colour-blind readers).
public enum Palette {
    /// The categorical colours (light theme), in series order: blue, orange, bluish green,
    /// vermillion, reddish purple, sky blue, yellow.
    public static let categorical = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]

    /// The same colours lightened for a dark background.
    public static let categoricalDark = ["#4BA3E3", "#F5B93A", "#2FC79B", "#F27B3A", "#E39BC5", "#8ACFF5", "#F5EC7A"]

    /// The CSS class of series `index` (`s0`…`s6`, cycling).
    public static func seriesClass(_ index: Int) -> String { "s\(((index % categorical.count) + categorical.count) % categorical.count)" }

    /// Viridis at eleven even stops, 0 → dark purple, 1 → yellow (matplotlib's `viridis`).
    static let viridisStops: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 36, 117), (65, 68, 135), (53, 95, 141), (42, 120, 142), (33, 145, 140),
        (34, 168, 132), (68, 191, 112), (122, 209, 81), (189, 223, 38), (253, 231, 37),
    ]

    /// The viridis colour of `t` in [0, 1] (clamped; NaN gives grey), as `#rrggbb`, interpolated
    /// linearly between eleven stops.
    ///
    /// - Parameter t: The position in the map.
    /// - Returns: The colour.
    public static func viridis(_ t: Double) -> String {
        guard t.isFinite else { return "#808080" }
        let x = min(max(t, 0), 1) * Double(viridisStops.count - 1)
        let i = min(Int(x), viridisStops.count - 2)
        let f = x - Double(i)
        let a = viridisStops[i], b = viridisStops[i + 1]
        func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * f).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// Whether text on the viridis colour of `t` should be light (on the dark half of the map).
    public static func viridisIsDark(_ t: Double) -> Bool { t < 0.55 }
}
