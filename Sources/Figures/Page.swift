import Foundation

/// A figure of a report: a title, the drawing, and a one-line caption saying what it shows and
/// where its numbers came from.
public struct Figure: Sendable {
    /// The anchor id (letters, digits and `-`).
    public var id: String
    /// The title, shown above the drawing.
    public var title: String
    /// The drawing (an `<svg>` element from one of the charts).
    public var svg: String
    /// What the figure shows and where its numbers came from, in one line.
    public var caption: String

    /// A figure.
    ///
    /// - Parameters:
    ///   - id: The anchor id (made safe if it is not).
    ///   - title: The title.
    ///   - svg: The drawing.
    ///   - caption: The caption.
    public init(id: String, title: String, svg: String, caption: String) {
        self.id = HTMLPage.anchor(id)
        self.title = title
        self.svg = svg
        self.caption = caption
    }
}

/// A table of a report.
public struct PageTable: Sendable {
    /// The caption, above the table.
    public var caption: String
    /// The column headings.
    public var header: [String]
    /// The rows; cells that read as numbers are right-aligned.
    public var rows: [[String]]

    /// A table.
    ///
    /// - Parameters:
    ///   - caption: The caption.
    ///   - header: The column headings.
    ///   - rows: The rows (the first cell of each is its heading).
    public init(caption: String, header: [String], rows: [[String]]) {
        self.caption = caption
        self.header = header
        self.rows = rows
    }
}

/// A section of a report: a heading, then paragraphs, figures, tables and notes in order.
public struct PageSection: Sendable {
    /// One part of a section.
    public enum Block: Sendable {
        /// A paragraph of plain text.
        case paragraph(String)
        /// Figures, laid out side by side where the page is wide enough.
        case figures([Figure])
        /// A table.
        case table(PageTable)
        /// A short note set apart (what could not be drawn, and why).
        case note(String)
    }

    /// The anchor id.
    public var id: String
    /// The heading.
    public var title: String
    /// The content.
    public var blocks: [Block]

    /// A section.
    ///
    /// - Parameters:
    ///   - id: The anchor id (made safe with ``HTMLPage/anchor(_:)``).
    ///   - title: The heading.
    ///   - blocks: The content, in order.
    public init(id: String, title: String, blocks: [Block] = []) {
        self.id = HTMLPage.anchor(id)
        self.title = title
        self.blocks = blocks
    }

    /// The figures of the section, in order.
    public var figures: [Figure] {
        blocks.flatMap { block -> [Figure] in
            if case .figures(let list) = block { return list }
            return []
        }
    }
}

/// A self-contained HTML page: inline CSS and SVG, no script, no fetch (a Content-Security-Policy
/// forbids any), readable from 360 px to wide screens, light and dark (`prefers-color-scheme`) and
/// printable (`@media print`: light colours, no navigation, figures kept whole).
public struct HTMLPage: Sendable {
    /// The page's title (the `<title>` and the first heading).
    public var title: String
    /// A line under the title.
    public var subtitle: String
    /// Facts shown under the subtitle: name and value (what was read, when, by what).
    public var facts: [(String, String)]
    /// The sections, in order.
    public var sections: [PageSection]

    /// A page.
    ///
    /// - Parameters:
    ///   - title: The title.
    ///   - subtitle: The line under it.
    ///   - facts: Name and value pairs shown in the header.
    ///   - sections: The sections, in order.
    public init(title: String, subtitle: String, facts: [(String, String)] = [], sections: [PageSection] = []) {
        self.title = title
        self.subtitle = subtitle
        self.facts = facts
        self.sections = sections
    }

    /// The figures of every section, in order.
    public var figures: [Figure] { sections.flatMap(\.figures) }

    /// The complete HTML document.
    public var html: String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
        out += "<meta name=\"color-scheme\" content=\"light dark\">\n"
        out += "<title>\(Self.escape(title))</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n"
        out += "<header>\n<h1>\(Self.escape(title))</h1>\n<p class=\"subtitle\">\(Self.escape(subtitle))</p>\n"
        if !facts.isEmpty {
            out += "<dl class=\"facts\">"
            for (name, value) in facts { out += "<div><dt>\(Self.escape(name))</dt><dd>\(Self.escape(value))</dd></div>" }
            out += "</dl>\n"
        }
        if sections.count > 1 {
            out += "<nav aria-label=\"Contents\"><ol>"
            for section in sections { out += "<li><a href=\"#\(section.id)\">\(Self.escape(section.title))</a></li>" }
            out += "</ol></nav>\n"
        }
        out += "</header>\n<main>\n"
        for section in sections {
            out += "<section id=\"\(section.id)\">\n<h2>\(Self.escape(section.title))</h2>\n"
            for block in section.blocks {
                switch block {
                case .paragraph(let text):
                    out += "<p>\(Self.escape(text))</p>\n"
                case .note(let text):
                    out += "<p class=\"note\">\(Self.escape(text))</p>\n"
                case .table(let table):
                    out += Self.tableHTML(table)
                case .figures(let figures):
                    out += "<div class=\"figures\">\n"
                    for figure in figures {
                        out += "<figure id=\"\(figure.id)\">\n<h3>\(Self.escape(figure.title))</h3>\n\(figure.svg)\n"
                        out += "<figcaption>\(Self.escape(figure.caption))</figcaption>\n</figure>\n"
                    }
                    out += "</div>\n"
                }
            }
            out += "</section>\n"
        }
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    /// Text escaped for HTML (the same rules as ``SVGWriter/escape(_:)``).
    public static func escape(_ text: String) -> String { SVGWriter.escape(text) }

    /// An anchor id made of lower-case letters, digits and `-` (other characters become `-`).
    ///
    /// - Parameter text: Any text.
    /// - Returns: The id (never empty).
    public static func anchor(_ text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "section" : (out.first?.isLetter == true ? out : "s-" + out)
    }

    private static func tableHTML(_ table: PageTable) -> String {
        var out = "<div class=\"table\"><table>\n<caption>\(escape(table.caption))</caption>\n<thead><tr>"
        for heading in table.header { out += "<th scope=\"col\">\(escape(heading))</th>" }
        out += "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            out += "<tr>"
            for (i, cell) in row.enumerated() {
                if i == 0 {
                    out += "<th scope=\"row\">\(escape(cell))</th>"
                } else {
                    out += (isNumeric(cell) ? "<td class=\"num\">" : "<td>") + escape(cell) + "</td>"
                }
            }
            out += "</tr>\n"
        }
        out += "</tbody></table></div>\n"
        return out
    }

    /// Whether a cell reads as a number (digits, separators, signs, units after a space).
    private static func isNumeric(_ cell: String) -> Bool {
        guard let first = cell.unicodeScalars.first else { return false }
        return ("0"..."9").contains(first) || (cell.hasPrefix(NumberFormat.minus) && cell.count > 1) || cell == "–"
    }

    /// The page's style sheet: light and dark themes, print, series colours as CSS variables.
    static let css: String = {
        func palette(_ colours: [String]) -> String {
            colours.enumerated().map { "--c\($0.offset):\($0.element);" }.joined()
        }
        let light = "--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--grid:#d1d9e0;--panel:#f6f8fa;--border:#d1d9e0;--accent:#0969da;--band-opacity:.22;--area-opacity:.55;"
            + palette(Palette.categorical)
        let dark = "--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--grid:#3d444d;--panel:#151b23;--border:#3d444d;--accent:#4493f8;--band-opacity:.3;--area-opacity:.6;"
            + palette(Palette.categoricalDark)
        let series = (0..<Palette.categorical.count).map { ".s\($0){--c:var(--c\($0))}" }.joined()
        return """
        :root{\(light)color-scheme:light dark}
        @media (prefers-color-scheme: dark){:root{\(dark)}}
        *{box-sizing:border-box}
        html{background:var(--bg);color:var(--fg)}
        body{margin:0 auto;max-width:1320px;padding:20px 24px 48px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--fg)}
        h1{font-size:26px;margin:6px 0 2px}
        h2{font-size:20px;margin:34px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--border)}
        h3{font-size:15px;margin:0 0 6px}
        a{color:var(--accent)}
        .subtitle{color:var(--muted);margin:0 0 10px}
        .facts{display:flex;flex-wrap:wrap;gap:4px 22px;margin:0 0 10px;font-size:13px}
        .facts div{display:flex;gap:6px}.facts dt{color:var(--muted)}.facts dd{margin:0}
        nav ol{display:flex;flex-wrap:wrap;gap:4px 18px;margin:6px 0 0;padding:0;list-style:none;font-size:14px}
        p{max-width:95ch}
        .note{color:var(--muted);font-size:14px;border-left:3px solid var(--border);padding-left:10px}
        .figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,560px),1fr));gap:18px;margin:12px 0}
        figure{margin:0;padding:12px 14px 10px;background:var(--panel);border:1px solid var(--border);border-radius:6px;break-inside:avoid;page-break-inside:avoid;min-width:0}
        figcaption{font-size:13px;color:var(--muted);margin-top:6px}
        svg.chart{display:block;width:100%;height:auto;overflow:visible;font-family:inherit}
        svg text{fill:var(--fg);font-size:12px}
        svg .tick-label{fill:var(--muted);font-size:11px}
        svg .mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono",monospace}
        svg .axis-title{font-size:12px;font-weight:600}
        svg .domain,svg .tick{stroke:var(--muted);stroke-width:1}
        svg .grid{stroke:var(--grid);stroke-width:1;stroke-dasharray:2 3}
        \(series)
        svg .bar{fill:var(--c)}
        svg .bar:hover,svg .cell:hover,svg .level:hover{opacity:.75}
        svg .levels,svg .cells{shape-rendering:crispEdges}
        svg .value-label,svg .point-label,svg .legend-label,svg .reference-label,svg .interval-label{font-size:11px}
        svg .line{fill:none;stroke:var(--c);stroke-width:2;stroke-linejoin:round}
        svg .dashed{stroke-dasharray:6 4}
        svg .point{fill:var(--c);stroke:var(--bg);stroke-width:1}
        svg .point.ring{fill:var(--bg);stroke:var(--c);stroke-width:1.6}
        svg .legend-line{stroke:var(--c);stroke-width:2.5}
        svg .legend-box{fill:var(--c)}
        svg .band{fill:var(--c);fill-opacity:var(--band-opacity);stroke:none}
        svg .band-edge{fill:none;stroke:var(--c);stroke-width:1;stroke-dasharray:3 3}
        svg .area{fill:var(--c);fill-opacity:var(--area-opacity);stroke:var(--c);stroke-width:1}
        svg .region{fill:var(--c);fill-opacity:.28}
        svg .error-bar,svg .error-cap{stroke:var(--c);stroke-width:1.6}
        svg .interval.even{fill:var(--fg);fill-opacity:.06}
        svg .interval.odd{fill:var(--fg);fill-opacity:.11}
        svg .interval-label{fill:var(--muted)}
        svg .reference-line{stroke:var(--fg);stroke-width:1.2;stroke-dasharray:5 3}
        svg .group-outline,svg .frame{fill:none;stroke:var(--fg);stroke-width:1.2}
        svg .cell-value{font-size:12px;font-weight:600}
        svg .cell-value.light{fill:#ffffff}
        svg .cell-value.dark{fill:#111111}
        .table{overflow-x:auto;margin:12px 0}
        table{border-collapse:collapse;font-size:14px;min-width:50%}
        caption{text-align:left;color:var(--muted);font-size:13px;padding-bottom:4px}
        th,td{padding:4px 10px;border-bottom:1px solid var(--border);text-align:left;vertical-align:top}
        thead th{border-bottom:2px solid var(--border)}
        td.num{text-align:right;font-variant-numeric:tabular-nums}
        tbody th{font-weight:500}
        @media print{
        :root{\(light)}
        html,body{background:#fff;color:#000}
        body{max-width:none;padding:0;font-size:11pt}
        nav{display:none}
        .figures{display:block}
        figure{border:none;background:none;padding:0;margin:0 0 14pt}
        h2{break-after:avoid;page-break-after:avoid}
        a{color:inherit;text-decoration:none}
        }

        """
    }()
}
