import Foundation
import Verdant
import VerdantCommon

/// The CLI's name for Verdant's one JSON writer (VerdantCommon's ``JSONValue``).
typealias JSON = JSONValue

extension JSONValue {
    /// Writes the value and a line break to standard output, flushing every megabyte so that
    /// state-sized arrays never exist as one string.
    func print() {
        var out = ""
        out.reserveCapacity(1 << 20)
        write(into: &out) { buffer in
            FileHandle.standardOutput.write(Data(buffer.utf8))
            buffer.removeAll(keepingCapacity: true)
        }
        out += "\n"
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}

/// Human-readable sizes and durations.
enum Format {
    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    static func seconds(_ s: Double) -> String {
        if s < 1e-3 { return String(format: "%.1f µs", s * 1e6) }
        if s < 1 { return String(format: "%.2f ms", s * 1e3) }
        return String(format: "%.3f s", s)
    }

    /// Left-aligned first column, right-aligned others.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// A progress bar on standard error, drawn only on a terminal and at most ten times a second.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(_ label: String) {
        self.label = label
        enabled = isatty(STDERR_FILENO) != 0
    }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
        lastDraw = now
        drawn = true
        let width = 30
        let filled = min(width, width * done / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(done)/\(total)".utf8))
    }

    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        drawn = false
    }
}

/// Parses sizes like `512M`, `8G`, `1.5GiB`, `1000000` into bytes.
func parseBytes(_ text: String) throws -> UInt64 {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let units: [(String, Double)] = [
        ("TIB", 0x1p40), ("GIB", 0x1p30), ("MIB", 0x1p20), ("KIB", 0x1p10),
        ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3),
        ("T", 0x1p40), ("G", 0x1p30), ("M", 0x1p20), ("K", 0x1p10), ("B", 1),
    ]
    let upper = trimmed.uppercased()
    for (suffix, factor) in units where upper.hasSuffix(suffix) {
        if let value = Double(upper.dropLast(suffix.count)), value >= 0, value * factor < 1.8e19 {
            return try positive(UInt64(value * factor))
        }
        break
    }
    if let value = UInt64(trimmed) { return try positive(value) }
    throw CLIError.usage("--max-memory: '\(text)' is not a size; use bytes or a number with K, M, G or T (e.g. 8G, 512M)")

    func positive(_ bytes: UInt64) throws -> UInt64 {
        guard bytes > 0 else { throw CLIError.usage("--max-memory: '\(text)' is no memory at all; give a positive size (e.g. 8G, 512M)") }
        return bytes
    }
}
