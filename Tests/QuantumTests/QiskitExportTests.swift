import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// Verdant's OpenQASM export, read by Qiskit: Fixtures/exports/*.qasm are Verdant's output for the
/// circuits below, and Fixtures/exports.json holds what Qiskit 2.6.2's plain `qasm2.load` made of
/// each (Fixtures/check_exports.py). Regenerate the files with
/// `VERDANT_WRITE_EXPORTS=1 swift test --filter QiskitExport` and then the script.
@Suite("OpenQASM export read by Qiskit (exports.json)")
struct QiskitExportTests {
    static let directory = fixtures.appendingPathComponent("exports")

    /// One circuit per gate kind (random angles, reversed qubit order), plus unitaries and a
    /// circuit with measurement, reset and conditions.
    static func circuits() throws -> [(String, QuantumCircuit)] {
        var rng = SeededGenerator(seed: 404)
        var result: [(String, QuantumCircuit)] = []
        var kinds = RandomCircuits.kinds(fitting: 6)
        kinds += [.mcx(controls: 6), .unitary(qubits: 1), .unitary(qubits: 2), .unitary(qubits: 3)]
        for kind in kinds {
            let width = kind.numQubits + 1
            var circuit = QuantumCircuit(numQubits: width)
            RandomCircuits.prepareGenericState(&circuit, &rng)
            circuit.append(try RandomCircuits.gate(kind, &rng), Array((0..<kind.numQubits).reversed()))
            let name = kind.numQubits > 1 || kind == .unitary(qubits: 1) ? "\(kind.name)-\(kind.numQubits)" : kind.name
            result.append((name, circuit))
        }
        let q = QuantumRegister(3, name: "q"), c = ClassicalRegister(2, name: "c"), d = ClassicalRegister(1, name: "d")
        var dynamic = QuantumCircuit(q, c, d)
        dynamic.h(q[0]); dynamic.cx(q[0], q[1]); dynamic.measure(q[0], c[0]); dynamic.reset(q[0])
        dynamic.conditioned(on: c, equals: 1) { $0.x(q[2]); $0.sx(q[1]) }
        dynamic.measure(q[2], d[0])
        result.append(("dynamic", dynamic))
        return result
    }

    @Test("the committed exports are what Verdant writes today")
    func exportsAreCurrent() throws {
        let write = ProcessInfo.processInfo.environment["VERDANT_WRITE_EXPORTS"] == "1"
        if write { try FileManager.default.createDirectory(at: QiskitExportTests.directory, withIntermediateDirectories: true) }
        for (name, circuit) in try QiskitExportTests.circuits() {
            let text = try circuit.qasm()
            let url = QiskitExportTests.directory.appendingPathComponent("\(name).qasm")
            if write { try text.write(to: url, atomically: true, encoding: .utf8) }
            #expect(try String(contentsOf: url, encoding: .utf8) == text, "\(name): export changed; regenerate the fixture")
        }
    }

    @Test("Qiskit's qasm2.load reads every export to the same state (exact phase) and the same operations")
    func qiskitAgrees() throws {
        let data = try FixtureLoader.json("exports.json", in: fixtures)
        let entries = try #require(data["exports"] as? [[String: Any]])
        let circuits = Dictionary(uniqueKeysWithValues: try QiskitExportTests.circuits())
        #expect(entries.count == circuits.count)
        for entry in entries {
            let name = try #require(entry["name"] as? String)
            #expect(entry["loaded"] as? Bool == true, "Qiskit could not load \(name): \(entry["error"] ?? "")")
            let circuit = try #require(circuits[name])
            if let vector = entry["statevector"], !(vector is NSNull) {
                let expected = try FixtureLoader.complexArray(vector)
                let ours = try circuit.statevector().amplitudes
                // Arbitrary unitaries are exported up to a global phase; everything else exactly.
                let distance = name.hasPrefix("unitary") ? Distance.maxUpToPhase(ours, expected) : Distance.max(ours, expected)
                #expect(distance < 1e-10, "\(name)")
            } else {
                #expect(entry["num_qubits"] as? Int == circuit.numQubits && entry["num_clbits"] as? Int == circuit.numClbits)
            }
        }
    }
}
