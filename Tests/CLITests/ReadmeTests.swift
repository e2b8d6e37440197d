import Foundation
import Testing
import Verdant

/// The README's Swift examples, as written there, through the umbrella module.
@Suite("README examples")
struct ReadmeTests {
    @Test("the energy example measures a span and reports with provenance")
    func energyExample() throws {
        var config = EnergyConfiguration()
        config.grid = try CarbonIntensity.lookup("FR")
        let meter = try EnergyMeter(configuration: config)
        let state = try meter.span("simulate") { try QuantumCircuit.qft(numQubits: 10).statevector() }
        let report = meter.stop(label: "my job")
        #expect(state.numQubits == 10)
        #expect(report.summary.contains("J"))
        #expect(report.summary.lowercased().contains("default") || report.summary.lowercased().contains("measured")
            || report.summary.lowercased().contains("modelled"))
    }
}
