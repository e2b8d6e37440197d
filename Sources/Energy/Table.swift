import Foundation
import VerdantCommon

/// A table of jobs or models with their energy, carbon and cost, for results printed side by side
/// (`verdant demo`: quantum SVM, classical baseline, quantum neural network).
///
/// ```swift
/// var table = EnergyTable()
/// let (qsvm, usage) = try meter.measure("qsvm") { try trainQSVM() }
/// table.append("qsvm", accuracy: qsvm.testAccuracy, usage: usage)
/// print(table.text)
/// ```
public struct EnergyTable: Sendable {
    /// One row: a name, an optional accuracy and the energy of the work.
    public struct Row: Sendable, Equatable {
        /// The job or model, e.g. `qsvm`, `svm-rbf`.
        public let name: String
        /// Its accuracy in [0, 1], if it has one.
        public let accuracy: Double?
        /// Its energy, carbon and cost.
        public let usage: EnergyUsage
    }

    /// The rows, in the order they were added.
    public private(set) var rows: [Row] = []

    /// An empty table.
    public init() {}

    /// Adds a row.
    ///
    /// - Parameters:
    ///   - name: The job or model.
    ///   - accuracy: Its accuracy in [0, 1], or `nil`.
    ///   - usage: Its energy, carbon and cost (from ``EnergyMeter/measure(_:_:)``).
    public mutating func append(_ name: String, accuracy: Double? = nil, usage: EnergyUsage) {
        rows.append(Row(name: name, accuracy: accuracy, usage: usage))
    }

    /// The columns of ``text``.
    public static let columns = ["model", "accuracy", "seconds", "joules", "gCO2e", "cost", "provenance"]

    /// An aligned text table: model, accuracy, seconds, joules (with band), gCO2e, cost (with its
    /// currency), provenance.
    public var text: String {
        let body: [[String]] = rows.map { r in
            let u = r.usage
            return [r.name, r.accuracy.map { String(format: "%.3f", $0) } ?? "—", String(format: "%.3f", u.seconds),
                    "\(EnergyReport.short(u.joules.value)) \(EnergyReport.bandPercent(u.joules))", EnergyReport.short(u.gCO2e.value),
                    "\(EnergyReport.short(u.cost.value)) \(u.currency)", u.provenance.rawValue]
        }
        let all = [Self.columns] + body
        let widths = Self.columns.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 || c == row.count - 1 ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    /// The rows as a JSON array of objects: `model`, `accuracy`, `seconds`, `joules`, `joules_band`,
    /// `gCO2e`, `cost`, `currency`, `provenance` (of the joules), `gCO2e_provenance`, `cost_provenance`.
    ///
    /// - Parameter indent: Spaces per level (0: one line).
    /// - Returns: The JSON text.
    public func json(indent: Int = 0) -> String {
        JSONValue.array(rows.map { r in
            let u = r.usage
            return .object([
                ("model", .string(r.name)), ("accuracy", r.accuracy.map { .number($0) } ?? .null), ("seconds", .number(u.seconds)),
                ("joules", .number(u.joules.value)), ("joules_band", .array([.number(u.joules.low), .number(u.joules.high)])),
                ("gCO2e", .number(u.gCO2e.value)), ("cost", .number(u.cost.value)), ("currency", .string(u.currency)),
                ("provenance", .string(u.provenance.rawValue)), ("gCO2e_provenance", .string(u.gCO2e.provenance.rawValue)),
                ("cost_provenance", .string(u.cost.provenance.rawValue)),
            ])
        }).text(indent: indent)
    }
}
