import Figures
import Foundation
import QuantumML

/// Quick looks for a terminal: the top outcomes of a run as bars, and a model's loss as a
/// sparkline.
public enum TerminalLook {
    /// The `top` most frequent outcomes as horizontal bars, most frequent first (ties by outcome),
    /// the others summed in a last line `rest (k)`; each line ends with the count and its share.
    ///
    /// - Parameters:
    ///   - counts: Counts per outcome.
    ///   - top: Outcomes to show (≥ 1).
    ///   - width: Cells for the longest bar.
    /// - Returns: The chart, one line per outcome (empty for no counts).
    public static func histogram(_ counts: [String: Int], top: Int = 16, width: Int = 40) -> String {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return "" }
        let ranked = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var entries = ranked.prefix(max(top, 1)).map { (label: $0.key, value: Double($0.value), count: $0.value) }
        let others = ranked.dropFirst(max(top, 1))
        if !others.isEmpty {
            let rest = others.map(\.value).reduce(0, +)
            entries.append((label: "rest (\(others.count))", value: Double(rest), count: rest))
        }
        let countTexts = entries.map { NumberFormat.integer($0.count) }
        let shareTexts = entries.map { NumberFormat.percent(Double($0.count) / Double(total)) }
        let countWidth = countTexts.map(\.count).max() ?? 0, shareWidth = shareTexts.map(\.count).max() ?? 0
        func padded(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        return TerminalChart.bars(entries.indices.map { i in
            (entries[i].label, entries[i].value, padded(countTexts[i], countWidth) + "  " + padded(shareTexts[i], shareWidth))
        }, width: width)
    }

    /// `loss ▇▅▄▃▂▂▁▁ 1.0986 → 0.3512 (20 epochs, best 19)`: the training loss per epoch as a
    /// sparkline, its first and last values, and the epoch kept when validation chose one.
    ///
    /// - Parameters:
    ///   - history: The epochs, in order.
    ///   - bestEpoch: The epoch whose weights the model holds (nil: the last).
    /// - Returns: The line, or nil for an empty history.
    public static func lossLine(_ history: [EpochRecord], bestEpoch: Int? = nil) -> String? {
        guard let first = history.first, let last = history.last else { return nil }
        let spark = TerminalChart.sparkline(history.map(\.loss), width: 60)
        let best = bestEpoch.map { $0 != last.epoch ? ", best \($0)" : "" } ?? ""
        return "loss \(spark) \(NumberFormat.significant(first.loss, digits: 4)) → \(NumberFormat.significant(last.loss, digits: 4)) "
            + "(\(history.count) epoch\(history.count == 1 ? "" : "s")\(best))"
    }
}
