import Foundation
import Testing
@testable import Energy

// The report of an MPI job: every rank's usage combined into the total (EnergyReport.combiningRanks).

@Suite("Energy of several ranks")
struct RankCombinationTests {
    /// A usage with round numbers, as another rank would send it.
    static func otherRank(currency: String) -> EnergyUsage {
        EnergyUsage(seconds: 1e6, joules: Estimate(value: 10, low: 5, high: 20, provenance: .modelled),
                    gCO2e: Estimate(value: 2, low: 1, high: 4, provenance: .modelled),
                    cost: Estimate(value: 0.5, low: 0.25, high: 1, provenance: .modelled), currency: currency, cpuSeconds: 7,
                    sources: [SourceFigure(name: "cpu", method: "cpu-time model", joules: Estimate(value: 10, low: 5, high: 20, provenance: .modelled),
                                           counted: true, inputs: [], parameters: [], note: "a note")])
    }

    @Test("the total adds the ranks' joules, carbon, cost and CPU seconds, takes the longest seconds, and keeps each rank's")
    func combination() throws {
        var configuration = testConfiguration()
        configuration.useCounters = false
        let (_, report) = try EnergyMeter.measure(configuration: configuration, label: "job") { _ in burn(0.05) }
        let other = Self.otherRank(currency: report.total.currency)
        let combined = report.combiningRanks([report.total, other])
        #expect(abs(combined.total.joules.value - (report.total.joules.value + 10)) < 1e-9)
        #expect(abs(combined.total.joules.low - (report.total.joules.low + 5)) < 1e-9)
        #expect(abs(combined.total.gCO2e.value - (report.total.gCO2e.value + 2)) < 1e-12)
        #expect(abs(combined.total.cost.value - (report.total.cost.value + 0.5)) < 1e-12)
        #expect(abs(combined.total.cpuSeconds - (report.total.cpuSeconds + 7)) < 1e-12)
        #expect(combined.total.seconds == 1e6)
        #expect(combined.ranks == [report.total, other])
        #expect(combined.oneLine.hasSuffix(" · 2 ranks"))
        #expect(combined.notes.last?.contains("adds the 2 ranks of an MPI job") == true)
        let json = try #require(JSONSerialization.jsonObject(with: Data(combined.json().utf8)) as? [String: Any])
        let ranks = try #require(json["ranks"] as? [[String: Any]])
        #expect(ranks.map { $0["rank"] as? Int } == [0, 1])
        #expect(ranks[1]["joules"] as? Double == 10)
        // JSON numbers are printed with 16 significant digits.
        #expect(abs((json["joules"] as? Double ?? 0) - combined.total.joules.value) < 1e-12 * combined.total.joules.value)
        // One rank: the report as it was, with no `ranks` entry.
        let alone = report.combiningRanks([report.total])
        #expect(alone.ranks.isEmpty && alone.total == report.total)
        let plain = try #require(JSONSerialization.jsonObject(with: Data(alone.json().utf8)) as? [String: Any])
        #expect(plain["ranks"] == nil)
    }

    @Test("a usage survives the JSON it travels in between ranks")
    func codable() throws {
        let usage = Self.otherRank(currency: "EUR")
        let decoded = try JSONDecoder().decode(EnergyUsage.self, from: JSONEncoder().encode(usage))
        #expect(decoded == usage)
    }
}
