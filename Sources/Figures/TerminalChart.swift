import Foundation

/// Charts for a terminal: horizontal bars drawn with block characters (eighths of a cell) and a
/// one-line sparkline.
public enum TerminalChart {
    /// The eight sparkline levels, lowest first.
    public static let sparkLevels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    /// Partial blocks for bar ends: one to seven eighths of a cell.
    static let eighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// A one-line sparkline: each value becomes one of eight levels between the minimum and the
    /// maximum (level = ⌊(v − min) / (max − min) · 7 + ½⌋); more values than `width` are averaged in
    /// `width` even buckets first. Non-finite values print as a space.
    ///
    /// - Parameters:
    ///   - values: The series, in order.
    ///   - width: The most characters to use (≥ 1).
    /// - Returns: The sparkline (empty for no values; all lowest level for a constant series).
    public static func sparkline(_ values: [Double], width: Int = 60) -> String {
        guard !values.isEmpty else { return "" }
        let series = values.count > max(width, 1) ? buckets(values, count: max(width, 1)) : values
        let finite = series.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return String(repeating: " ", count: series.count) }
        return String(series.map { value -> Character in
            guard value.isFinite else { return " " }
            guard high > low else { return sparkLevels[0] }
            let level = Int(((value - low) / (high - low) * 7 + 0.5).rounded(.down))
            return sparkLevels[min(max(level, 0), 7)]
        })
    }

    /// Averages of `values` over `count` even buckets (bucket k holds indices
    /// ⌊k·n/count⌋ ..< ⌊(k+1)·n/count⌋).
    static func buckets(_ values: [Double], count: Int) -> [Double] {
        let n = values.count
        return (0..<count).map { k in
            let slice = values[(k * n / count)..<max((k + 1) * n / count, k * n / count + 1)].filter(\.isFinite)
            return slice.isEmpty ? .nan : slice.reduce(0, +) / Double(slice.count)
        }
    }

    /// Horizontal bars, one line per entry: the label padded to the longest, the bar scaled so that
    /// the largest value fills `width` cells (in eighths), then the value's text.
    ///
    /// - Parameters:
    ///   - entries: Label, value (≥ 0) and the text printed after the bar.
    ///   - width: Cells for the largest bar (≥ 1).
    /// - Returns: The lines, joined by line breaks.
    public static func bars(_ entries: [(label: String, value: Double, text: String)], width: Int = 40) -> String {
        let largest = entries.map(\.value).filter(\.isFinite).max() ?? 0
        let labelWidth = entries.map(\.label.count).max() ?? 0
        let cells = max(width, 1)
        return entries.map { entry in
            let label = entry.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
            let bar = barText(entry.value, of: largest, cells: cells)
            let pad = String(repeating: " ", count: max(0, cells - bar.count))
            return "\(label) │\(bar)\(pad) \(entry.text)"
        }.joined(separator: "\n")
    }

    /// A bar of `value / largest · cells` cells, in eighths: full blocks then one partial block.
    static func barText(_ value: Double, of largest: Double, cells: Int) -> String {
        guard value.isFinite, value > 0, largest > 0 else { return "" }
        let units = Int((value / largest * Double(cells) * 8).rounded())
        // A non-zero value always shows at least one eighth.
        let total = max(units, 1)
        let full = total / 8, part = total % 8
        return String(repeating: "█", count: full) + (part > 0 ? String(eighths[part - 1]) : "")
    }
}
