import ComplexModule
import Foundation
import Testing
import _TestSupport
@testable import Quantum

let noiseFixtures = fixtures.appendingPathComponent("noise")

/// One case of noise/density_matrix_cases.json (made by make_noise_fixtures.py with Qiskit Aer
/// 0.18.2's density_matrix method).
struct NoisyCase: CustomTestStringConvertible, Sendable {
    let name: String
    let qasm: String
    let model: Data
    let numQubits: Int
    let densityMatrix: [[Complex<Double>]]
    let exactDensityMatrix: [[Complex<Double>]]
    let probabilities: [String: Double]
    let recorded: [String: Double]?
    var testDescription: String { name }

    /// Aer drops error terms of probability ≤ 1e-10 (its C++ QuantumError), so its matrix may miss
    /// up to 1 − Tr ρ_Aer of weight (about 1e-8 on fake-backend models): the bound on its own error.
    var aerTolerance: Double {
        let trace = (0..<densityMatrix.count).reduce(0.0) { $0 + densityMatrix[$1][$1].real }
        return 1e-10 + max(0, 1 - trace)
    }

    static let all: [NoisyCase] = {
        guard let data = try? FixtureLoader.json("density_matrix_cases.json", in: noiseFixtures),
              let models = data["models"] as? [String: Any], let cases = data["cases"] as? [[String: Any]]
        else { return [] }
        return cases.compactMap { e in
            guard let name = e["name"] as? String, let modelName = e["model"] as? String, let model = models[modelName],
                  let modelData = try? JSONSerialization.data(withJSONObject: model),
                  let rows = try? FixtureLoader.complexMatrix(e["density_matrix"]),
                  let exact = try? FixtureLoader.complexMatrix(e["density_matrix_exact"])
            else { return nil }
            return NoisyCase(name: name, qasm: e["qasm"] as? String ?? "", model: modelData, numQubits: e["num_qubits"] as? Int ?? 0,
                             densityMatrix: rows, exactDensityMatrix: exact, probabilities: e["probabilities"] as? [String: Double] ?? [:],
                             recorded: e["recorded"] as? [String: Double])
        }
    }()
}

@Suite("Noise: Aer density_matrix fixtures")
struct NoiseFixtureTests {
    @Test("the fixture file holds at least 30 cases covering every channel and readout error")
    func coverage() throws {
        #expect(NoisyCase.all.count >= 30)
        let names = Set(NoisyCase.all.map(\.name))
        for required in ["depolarizing_1q", "depolarizing_2q", "depolarizing_3q", "pauli_1q", "pauli_2q", "amplitude_damping",
                         "phase_damping", "thermal_t2_below_t1", "thermal_t2_above_t1", "reset_error", "coherent_over_rotation_1q",
                         "kraus_1q_random", "kraus_2q_random", "kraus_3q_random", "readout_all_qubits", "measure_errors",
                         "fake_FakeManilaV2", "fake_FakeTorino"] {
            #expect(names.contains(required), "missing fixture case \(required)")
        }
    }

    @Test("density matrix equals quantum_info's to 1e-10 and Aer's within 1e-10 plus Aer's dropped weight",
          arguments: NoisyCase.all)
    func densityMatrix(_ c: NoisyCase) throws {
        let circuit = try QuantumCircuit(qasm: c.qasm, file: "\(c.name).qasm")
        let model = try NoiseModel(aerJSON: c.model, source: "\(c.name).json")
        var rho = try DensityMatrix(numQubits: circuit.numQubits, threads: 2)
        try rho.apply(circuit, noise: model)
        var worstExact = 0.0, worstAer = 0.0
        for r in 0..<rho.dimension {
            for col in 0..<rho.dimension {
                worstExact = max(worstExact, (rho[r, col] - c.exactDensityMatrix[r][col]).length)
                worstAer = max(worstAer, (rho[r, col] - c.densityMatrix[r][col]).length)
            }
        }
        #expect(worstExact <= 1e-10, "max |ρ − ρ_exact| = \(worstExact)")
        #expect(worstAer <= c.aerTolerance, "max |ρ − ρ_Aer| = \(worstAer), tolerance \(c.aerTolerance)")
        let probabilities = rho.probabilitiesByBitstring()
        for (key, p) in c.probabilities { #expect(abs((probabilities[key] ?? 0) - p) <= c.aerTolerance, "P(\(key))") }
        for (key, p) in probabilities where c.probabilities[key] == nil { #expect(abs(p) <= c.aerTolerance, "P(\(key)) should be 0") }
    }

    @Test("recorded outcomes after readout errors equal the NumPy distribution to 1e-10",
          arguments: NoisyCase.all.filter { $0.recorded != nil })
    func recordedDistribution(_ c: NoisyCase) throws {
        let circuit = try QuantumCircuit(qasm: c.qasm, file: "\(c.name).qasm")
        let model = try NoiseModel(aerJSON: c.model, source: "\(c.name).json")
        let program = try NoisyProgram(circuit: circuit, noise: model)
        var rho = try DensityMatrix(numQubits: circuit.numQubits, threads: 1)
        try rho.apply(circuit, noise: model)
        let recorded = program.recordedDistribution(rho.probabilities())
        for (key, p) in c.recorded ?? [:] { #expect(abs((recorded[key] ?? 0) - p) <= c.aerTolerance, "P(\(key))") }
        for (key, p) in recorded where c.recorded?[key] == nil { #expect(abs(p) <= c.aerTolerance, "P(\(key)) should be 0") }
    }
}
