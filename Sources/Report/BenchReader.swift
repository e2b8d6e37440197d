import Foundation

/// Finds the ratios in benchmark results: `verdant bench --json` (each suite's rows) and the
/// side-by-side scripts' files under Benchmarks/results (rows as objects, or `columns` + `rows`).
///
/// A ratio is a numeric field whose name says it compares two timings: it contains `ratio`,
/// `_over_`, `speedup` or `_vs_`. Rows are labelled by their text and small whole-number fields
/// (case, section, tool, operation, qubits, threads, …).
enum BenchReader {
    /// What the ratio fields written by Verdant's benchmarks mean.
    static let meanings: [String: String] = [
        "anchor_over_verdant": "the anchor's time ÷ Verdant's: above 1, Verdant is faster",
        "ratio_process": "the anchor's time ÷ Verdant's (whole process): above 1, Verdant is faster",
        "ratio_in_process": "the anchor's time ÷ Verdant's (in process): above 1, Verdant is faster",
        "ratio_gradient": "PennyLane's gradient time ÷ Verdant's: above 1, Verdant is faster",
        "ratio_forward": "PennyLane's forward time ÷ Verdant's: above 1, Verdant is faster",
        "ratio_gradient_minus_overhead": "PennyLane's gradient time less its per-call overhead ÷ Verdant's: above 1, Verdant is faster",
        "ratio_forward_minus_overhead": "PennyLane's forward time less its per-call overhead ÷ Verdant's: above 1, Verdant is faster",
        "verdant_over_python_durable": "Verdant's time ÷ Python cryptography's (durable writes): below 1, Verdant is faster",
        "verdant_over_python_plain": "Verdant's time ÷ Python cryptography's (plain writes): below 1, Verdant is faster",
        "verdant_over_python_durable_cpu": "Verdant's CPU time ÷ Python cryptography's (durable): below 1, Verdant uses less",
        "verdant_over_python_plain_cpu": "Verdant's CPU time ÷ Python cryptography's (plain): below 1, Verdant uses less",
        "verdant_over_fused_loop": "Verdant's time ÷ a fused NumPy loop's: below 1, Verdant is faster",
        "time_vs_fused_loop": "Verdant's time ÷ a fused loop over plain arrays: 1 is the loop's speed",
        "time_vs_sweep": "time per memory sweep ÷ one streaming sweep of the same state: 1 is the memory limit",
        "speedupOverOneThread": "one thread's time ÷ this thread count's: above 1, the threads help",
    ]

    /// Fields that name a row.
    static let labelFields = ["case", "section", "tool", "operation", "data", "suite", "qubits", "samples", "threads", "precision",
                              "verdant_threads", "size", "job", "name"]

    /// The ratio series of a benchmark file, or nil when it holds none.
    static func entry(_ object: [String: Any], path: String) -> BenchEntry? {
        var series: [BenchEntry.Series] = []
        // Every array of row objects, at the top level or one level down (qml: "kernel", "accuracy").
        var tables: [(String, [[String: Any]])] = []
        for key in object.keys.sorted() {
            if let rows = object[key] as? [[String: Any]], !rows.isEmpty { tables.append((key, rows)) }
        }
        if let columns = object["columns"] as? [String], let rows = object["rows"] as? [[Any]] {
            tables.removeAll { $0.0 == "rows" }
            tables.append(("rows", rows.map { row in
                Dictionary(zip(columns, row).map { ($0, $1) }, uniquingKeysWith: { first, _ in first })
            }))
        }
        for (part, rows) in tables {
            let fields = ratioFields(rows)
            for field in fields {
                let bars = rows.compactMap { row -> (String, Double)? in
                    guard let value = JSONRead.number(row[field]), value > 0 else { return nil }
                    return (label(row), value)
                }
                guard !bars.isEmpty else { continue }
                let anchors = Set(rows.compactMap { $0["anchor"] as? String })
                series.append(BenchEntry.Series(field: field, meaning: meanings[field], anchor: anchors.count == 1 ? anchors.first : nil,
                                                bars: disambiguated(bars), part: part))
            }
        }
        // A benchmark without ratios (e.g. `bench --suite privacy`) is still recognised: the report
        // says it holds no ratio to draw.
        let isBench = (object["suite"] is String && object["results"] != nil) || (object["command"] is String && object["machine"] != nil)
        guard !series.isEmpty || isBench else { return nil }
        let title = object["command"] as? String ?? (object["suite"] as? String).map { "verdant bench --suite \($0)" } ?? (path as NSString).lastPathComponent
        return BenchEntry(source: path, title: title, series: series)
    }

    /// The ratio fields of some rows, in the order they first appear (sorted within a row).
    static func ratioFields(_ rows: [[String: Any]]) -> [String] {
        var fields: [String] = []
        for row in rows {
            for key in row.keys.sorted() where isRatio(key) && JSONRead.number(row[key]) != nil && !fields.contains(key) {
                fields.append(key)
            }
        }
        return fields
    }

    /// Whether a field's name says it is a ratio of two timings.
    static func isRatio(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.contains("ratio") || lower.contains("_over_") || lower.contains("speedup") || lower.contains("_vs_")
    }

    /// A row's label: its text fields and small whole numbers, in ``labelFields`` order.
    static func label(_ row: [String: Any]) -> String {
        var parts: [String] = []
        for field in labelFields {
            if let text = row[field] as? String, !text.isEmpty {
                parts.append(text.count > 48 ? String(text.prefix(46)) + "…" : text)
            } else if let number = JSONRead.integer(row[field]) {
                parts.append("\(field.replacingOccurrences(of: "verdant_", with: "")) \(number)")
            }
        }
        return parts.isEmpty ? "row" : parts.joined(separator: " · ")
    }

    /// Labels made unique by numbering repeats ("a", "a (2)").
    static func disambiguated(_ bars: [(String, Double)]) -> [(String, Double)] {
        var seen: [String: Int] = [:]
        return bars.map { label, value in
            seen[label, default: 0] += 1
            let count = seen[label] ?? 1
            return (count == 1 ? label : "\(label) (\(count))", value)
        }
    }
}
