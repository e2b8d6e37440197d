import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// One circuit of circuits.json (made by Fixtures/make_fixtures.py with Qiskit 2.6.2 and Aer 0.18.2).
struct QiskitCircuit: CustomTestStringConvertible, Sendable {
    let name: String
    let file: String
    let numQubits: Int
    let statevector: [Complex<Double>]?
    let distribution: [String: Double]?
    let counts: [String: Int]?
    let shots: Int?
    var testDescription: String { name }

    static func all() throws -> [QiskitCircuit] {
        let data = try FixtureLoader.json("circuits.json", in: fixtures)
        guard let entries = data["circuits"] as? [[String: Any]] else { return [] }
        return try entries.map { e in
            QiskitCircuit(
                name: e["name"] as? String ?? "?", file: e["file"] as? String ?? "",
                numQubits: e["num_qubits"] as? Int ?? 0,
                statevector: e["statevector"] is NSNull ? nil : try FixtureLoader.complexArray(e["statevector"]),
                distribution: e["distribution"] as? [String: Double],
                counts: e["counts"] as? [String: Int], shots: e["shots"] as? Int)
        }
    }

    func load() throws -> QuantumCircuit {
        try QuantumCircuit(qasmFile: fixtures.appendingPathComponent(file).path)
    }
}

/// Whether sampled counts agree with exact probabilities: every outcome within 5σ + 1/shots,
/// and no outcome the distribution forbids.
func countsAgree(_ counts: [String: Int], shots: Int, with distribution: [String: Double]) -> (Bool, String) {
    for (key, count) in counts where (distribution[key] ?? 0) < 1e-12 {
        return (false, "outcome \(key) observed \(count) times but has probability 0")
    }
    for (key, p) in distribution {
        let observed = Double(counts[key] ?? 0) / Double(shots)
        let sigma = (p * (1 - p) / Double(shots)).squareRoot()
        if abs(observed - p) > 5 * sigma + 1 / Double(shots) {
            return (false, "outcome \(key): observed \(observed), expected \(p) (σ = \(sigma))")
        }
    }
    return (true, "")
}

@Suite("Qiskit reference circuits (circuits.json)")
struct QiskitFixtureTests {
    static let circuits = (try? QiskitCircuit.all()) ?? []

    @Test("the fixture set is complete")
    func fixtureSet() {
        #expect(QiskitFixtureTests.circuits.count >= 30)
        #expect(QiskitFixtureTests.circuits.contains { $0.name == "bell" })
    }

    @Test("state vectors agree with Qiskit to 1e-10 (Double) and 1e-5 (Float)",
          arguments: circuits.filter { $0.statevector != nil })
    func statevectors(fixture: QiskitCircuit) throws {
        let circuit = try fixture.load()
        #expect(circuit.numQubits == fixture.numQubits)
        let expected = try #require(fixture.statevector)
        let double = try Simulator().statevector(circuit).amplitudes
        #expect(Distance.max(double, expected) < doubleTolerance)
        let single = try Simulator(precision: .single).statevector(circuit, as: Float.self).amplitudes
        #expect(Distance.max(single.map { Complex(Double($0.real), Double($0.imaginary)) }, expected) < floatTolerance)
        // Without fusion as well, so the unfused kernels are checked against Qiskit too.
        let unfused = try Simulator(fusion: false).statevector(circuit).amplitudes
        #expect(Distance.max(unfused, expected) < doubleTolerance)
    }

    @Test("counts agree with Qiskit's exact distributions", arguments: circuits.filter { $0.distribution != nil })
    func distributions(fixture: QiskitCircuit) throws {
        let circuit = try fixture.load()
        let distribution = try #require(fixture.distribution)
        let shots = 20_000
        for precision in Precision.allCases {
            let result = try circuit.run(shots: shots, seed: 2026, simulator: Simulator(precision: precision))
            #expect(result.counts.values.reduce(0, +) == shots)
            let (ok, message) = countsAgree(result.counts, shots: shots, with: distribution)
            #expect(ok, "\(precision): \(message)")
        }
    }

    @Test("counts agree with Aer's counts (two-sample check)", arguments: circuits.filter { $0.counts != nil })
    func aerCounts(fixture: QiskitCircuit) throws {
        let circuit = try fixture.load()
        let aer = try #require(fixture.counts)
        let aerShots = try #require(fixture.shots)
        let shots = 20_000
        let ours = try circuit.run(shots: shots, seed: 99).counts
        let keys = Set(aer.keys).union(ours.keys)
        for key in keys {
            let p1 = Double(ours[key] ?? 0) / Double(shots), p2 = Double(aer[key] ?? 0) / Double(aerShots)
            let pooled = (Double(ours[key] ?? 0) + Double(aer[key] ?? 0)) / Double(shots + aerShots)
            let sigma = (pooled * (1 - pooled) * (1 / Double(shots) + 1 / Double(aerShots))).squareRoot()
            #expect(abs(p1 - p2) <= 5 * sigma + 2 / Double(shots), "\(fixture.name) outcome \(key): \(p1) vs Aer \(p2)")
        }
    }
}
