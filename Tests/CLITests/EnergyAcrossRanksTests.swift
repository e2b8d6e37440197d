import Foundation
import Testing
import Verdant

@Suite("Energy summed over ranks")
struct EnergyAcrossRanksTests {
    @Test("every rank of an in-process group gets the same total: the ranks' usages added")
    func summedOverRanks() throws {
        let configuration = {
            var c = EnergyConfiguration()
            c.useCounters = false
            c.sampleInterval = 0.05
            return c
        }()
        let reports = try LocalCommunicator.run(ranks: 3) { comm in
            let (_, report) = try EnergyMeter.measure(configuration: configuration, label: "rank \(comm.rank)") { _ in
                (0..<200_000).reduce(0.0) { $0 + Double($1).squareRoot() }
            }
            return (report.total, try report.summed(over: comm))
        }
        let own = reports.map(\.0)
        let expected = own.reduce(0.0) { $0 + $1.joules.value }
        for (_, combined) in reports {
            #expect(combined.ranks == own)
            #expect(abs(combined.total.joules.value - expected) <= 1e-9 * expected)
            #expect(combined.total.seconds == own.map(\.seconds).max())
        }
        let one = try LocalCommunicator.run(ranks: 1) { comm in
            let report = try EnergyMeter.measure(configuration: configuration) { _ in 0 }.report
            return try report.summed(over: comm).ranks.count
        }
        #expect(one == [0])
    }
}
