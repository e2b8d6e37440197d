import Foundation
import Testing
import Verdant
import _TestSupport

/// The Aer density_matrix fixtures of Tests/QuantumTests/Fixtures/noise (made by
/// make_noise_fixtures.py with Qiskit Aer 0.18.2): one case's circuit, model and Aer's numbers.
private struct AerCase {
    let qasm: String
    let model: Any
    let probabilities: [String: Double]
    let densityMatrix: DenseMatrix
    /// Aer drops error terms of probability ≤ 1e-10, so its numbers may miss 1 − Tr ρ_Aer of weight.
    let tolerance: Double

    static func named(_ name: String) throws -> AerCase {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("QuantumTests/Fixtures/noise")
        let data = try FixtureLoader.json("density_matrix_cases.json", in: folder)
        let cases = try #require(data["cases"] as? [[String: Any]])
        let c = try #require(cases.first { $0["name"] as? String == name })
        let models = try #require(data["models"] as? [String: Any])
        let rho = try FixtureLoader.complexMatrix(c["density_matrix"])
        let trace = (0..<rho.count).reduce(0.0) { $0 + rho[$1][$1].real }
        let modelName = try #require(c["model"] as? String)
        return AerCase(qasm: try #require(c["qasm"] as? String), model: try #require(models[modelName]),
                       probabilities: try #require(c["probabilities"] as? [String: Double]), densityMatrix: rho,
                       tolerance: 1e-10 + max(0, 1 - trace))
    }

    /// Writes the circuit and the model (as Aer wrote it) into the folder.
    func write(to folder: TemporaryDirectory) throws -> (qasm: String, model: String) {
        let model = try JSONSerialization.data(withJSONObject: model)
        return (try folder.write("circuit.qasm", qasm), try folder.write("model.json", String(decoding: model, as: UTF8.self)))
    }
}

/// Tr(ρP) for a Pauli string (Qiskit's order: the last letter on qubit 0), from the matrix entries:
/// P|i⟩ = phase(i)·|i ⊕ x⟩, so Tr(ρP) = Σᵢ ρ[i][i ⊕ x]·phase(i).
private func pauliTrace(_ rho: DenseMatrix, _ label: String) -> Double {
    let letters = Array(label.reversed())
    let flips = letters.indices.reduce(0) { "XY".contains(letters[$1]) ? $0 | 1 << $1 : $0 }
    var total = 0.0
    for i in rho.indices {
        var (re, im) = (1.0, 0.0)  // phase(i)
        for (q, letter) in letters.enumerated() {
            let bit = (i >> q) & 1
            if letter == "Z", bit == 1 { (re, im) = (-re, -im) }
            if letter == "Y" { (re, im) = bit == 0 ? (-im, re) : (im, -re) }  // ×i or ×(−i)
        }
        let entry = rho[i][i ^ flips]
        total += entry.real * re - entry.imaginary * im
    }
    return total
}

@Suite("CLI: noisy simulation")
struct NoiseCLITests {
    @Test("run --expectation under noise: Tr(ρO) of Aer's density matrix exactly; trajectories within their standard error",
          arguments: ["thermal_t2_below_t1", "kraus_2q_random", "depolarizing_full"])
    func expectationUnderNoise(_ name: String) throws {
        let c = try AerCase.named(name)
        let folder = try TemporaryDirectory()
        let (qasm, model) = try c.write(to: folder)
        let n = c.densityMatrix.count.trailingZeroBitCount
        var rng = SeededGenerator(seed: 5)
        let sums: [[(String, Double)]] = (0..<3).map { _ in
            (0..<2).map { _ in (String((0..<n).map { _ in "IXYZ".randomElement(using: &rng) ?? "Z" }), Double.random(in: -2...2, using: &rng)) }
        }
        let texts = sums.map { $0.map { "\($0.1)*\($0.0)" }.joined(separator: " + ") }
        let expected = sums.map { $0.reduce(0) { $0 + $1.1 * pauliTrace(c.densityMatrix, $1.0) } }
        let options = texts.flatMap { ["--expectation", $0] } + ["--noise", model, "--json", "--no-energy-summary"]
        let exact = try verdant(["run", qasm, "--method", "density-matrix"] + options)
        #expect(exact.status == 0, "\(exact.stderr)")
        let values = try #require(try jsonObject(exact.stdout)["expectations"] as? [[String: Any]])
        #expect(values.count == 3)
        for (value, want) in zip(values, expected) {
            #expect(abs((value["value"] as? Double ?? .nan) - want) <= 1e-8, "\(value) against Tr(ρ_Aer O) = \(want)")
            #expect(value["standard_error"] as? Double == 0 && value["trajectories"] as? Int == 0)
        }
        let sampled = try verdant(["run", qasm, "--method", "trajectories", "--shots", "3000", "--seed", "9"] + options)
        #expect(sampled.status == 0, "\(sampled.stderr)")
        let estimates = try #require(try jsonObject(sampled.stdout)["expectations"] as? [[String: Any]])
        for (estimate, want) in zip(estimates, expected) {
            let value = estimate["value"] as? Double ?? .nan, error = estimate["standard_error"] as? Double ?? .nan
            #expect(estimate["trajectories"] as? Int == 3000 && estimate["method"] as? String == "trajectories")
            #expect(abs(value - want) <= 5 * error + 1e-9, "\(value) ± \(error) against \(want)")
        }
    }

    @Test("--expectation under noise on a device-sized register: the observable restricted with the circuit; alone, no counts")
    func expectationOnIdleQubits() throws {
        let folder = try TemporaryDirectory()
        let wide = try folder.write("device.qasm", """
            OPENQASM 2.0;
            include "qelib1.inc";
            qreg q[40];
            rx(0.7) q[17];
            cx q[17],q[33];
            ry(0.4) q[33];
            """)
        let small = try folder.write("small.qasm", """
            OPENQASM 2.0;
            include "qelib1.inc";
            qreg q[2];
            rx(0.7) q[0];
            cx q[0],q[1];
            ry(0.4) q[1];
            """)
        func label(_ letters: [Int: Character], width: Int) -> String {
            String((0..<width).reversed().map { letters[$0] ?? "I" })
        }
        // X on an idle qubit (in |0⟩) gives 0; Z there gives 1.
        let wideSum = "\(label([17: "Z", 33: "X"], width: 40)) - 0.5*\(label([33: "Y", 2: "X"], width: 40)) + 2*\(label([33: "Z", 39: "Z"], width: 40))"
        let noise = ["--depolarizing", "0.02,0.1", "--t1", "40us", "--gate-time", "50ns,400ns", "--json", "--no-energy-summary"]
        let result = try verdant(["run", wide, "--expectation", wideSum] + noise)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        #expect(object["qubits"] as? Int == 40 && object["simulated_qubits"] as? Int == 2)
        #expect(object["counts"] == nil && object["method"] as? String == "density-matrix")
        let reference = try verdant(["run", small, "--expectation", "XZ + 2*ZI"] + noise)
        #expect(reference.status == 0, "\(reference.stderr)")
        let value = try #require((object["expectations"] as? [[String: Any]])?.first?["value"] as? Double)
        let want = try #require((try jsonObject(reference.stdout)["expectations"] as? [[String: Any]])?.first?["value"] as? Double)
        #expect(abs(value - want) < 1e-12 && abs(want) > 0.1, "\(value) against \(want)")
    }

    @Test("--expectation under noise refuses a circuit with a mid-circuit measurement or a reset after a gate (exit 2)")
    func expectationRefusals() throws {
        let folder = try TemporaryDirectory()
        for (name, body) in [("mid", "h q[0];\nmeasure q[0] -> c[0];\nx q[0];"), ("reset", "h q[0];\nreset q[0];\nh q[0];")] {
            let qasm = try folder.write("\(name).qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\ncreg c[1];\n\(body)\n")
            let result = try verdant(["run", qasm, "--depolarizing", "0.01", "--expectation", "Z", "--no-energy-summary"])
            #expect(result.status == 2, "\(name): \(result.stderr)")
            #expect(result.stderr.contains("--expectation needs a circuit of unitary gates"), "\(name): \(result.stderr)")
            expectNoTrace(result)
        }
    }

    @Test("--histogram draws noisy counts too and is refused for a circuit that measures nothing; an if on unwritten bits runs")
    func histogramAndConditionsUnderNoise() throws {
        // Found by an audit: the noisy path ignored --histogram, and `if(c==0) x` with no
        // measurement was refused as "a reset after a gate".
        let folder = try TemporaryDirectory()
        let header = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\n"
        let bell = try folder.write("bell.qasm", header + "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n")
        let chart = try verdant(["run", bell, "--depolarizing", "0.01", "--seed", "1", "--histogram", "--no-energy-summary"])
        #expect(chart.status == 0 && chart.stdout.contains("│█") && !chart.stdout.contains("outcome"), "\(chart.stdout)")
        let ghz = try folder.write("ghz.qasm", header + "h q[0];\ncx q[0],q[1];\n")
        let refused = try verdant(["run", ghz, "--depolarizing", "0.01", "--histogram", "--no-energy-summary"])
        #expect(refused.status == 2 && refused.stderr.contains("--histogram draws counts, and \(ghz) measures nothing"))
        let conditioned = try folder.write("cond.qasm", header + "h q[1];\nif(c==0) x q[0];\nif(c==2) x q[1];\n")
        for extra in [[], ["--depolarizing", "0"]] {
            let run = try verdant(["run", conditioned, "--json", "--no-energy-summary"] + extra)
            #expect(run.status == 0, "\(extra): \(run.stderr)")
            let probabilities = try #require(try jsonObject(run.stdout)["probabilities"] as? [String: Any])
            #expect(Set(probabilities.keys) == ["01", "11"], "\(extra): \(probabilities)")
        }
    }

    @Test("run --noise (an Aer model file, a fake backend's included): probabilities and density matrix equal Aer's",
          arguments: ["thermal_t2_below_t1", "kraus_2q_random", "readout_all_qubits", "fake_FakeManilaV2"])
    func aerFixture(_ name: String) throws {
        let c = try AerCase.named(name)
        let folder = try TemporaryDirectory()
        let (qasm, model) = try c.write(to: folder)
        let result = try verdant(["run", qasm, "--noise", model, "--method", "density-matrix", "--density-matrix",
                                  "--shots", "500", "--seed", "3", "--json", "--no-energy-summary"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        #expect(object["method"] as? String == "density-matrix")
        #expect(object["method_reason"] as? String == "requested")
        let counts = try #require(object["counts"] as? [String: Int])
        #expect(counts.values.reduce(0, +) == 500)
        let probabilities = try #require(object["probabilities"] as? [String: Double])
        for (key, p) in c.probabilities { #expect(abs((probabilities[key] ?? 0) - p) <= c.tolerance, "P(\(key))") }
        for (key, p) in probabilities where c.probabilities[key] == nil { #expect(p <= c.tolerance, "P(\(key)) should be 0") }
        let rows = try FixtureLoader.complexMatrix(object["density_matrix"])
        #expect(rows.count == c.densityMatrix.count)
        var worst = 0.0
        for r in rows.indices { for col in rows[r].indices { worst = max(worst, (rows[r][col] - c.densityMatrix[r][col]).length) } }
        #expect(worst <= c.tolerance, "max |ρ − ρ_Aer| = \(worst)")
    }

    @Test("--verbose says which method auto picked and why; a memory limit moves it to trajectories")
    func automaticChoice() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("bell.qasm", bellQASM)
        let small = try verdant(["run", qasm, "--depolarizing", "0.01,0.05", "--verbose", "--seed", "1", "--no-energy-summary"])
        #expect(small.status == 0, "\(small.stderr)")
        #expect(small.stderr.contains("method: density-matrix (2 qubits, 1024 shots"), "\(small.stderr)")
        #expect(small.stderr.contains("noise model: "))
        // 4^2·16 = 256 bytes is more than half of 400: trajectories, and the reason names the numbers.
        // (10 shots keep at most 2 + ⌈log2 10⌉ = 6 states of 64 bytes alive: 384 bytes fit.)
        let limited = try verdant(["run", qasm, "--depolarizing", "0.01,0.05", "--verbose", "--max-memory", "400",
                                   "--shots", "10", "--seed", "1", "--json", "--no-energy-summary"])
        #expect(limited.status == 0, "\(limited.stderr)")
        #expect(limited.stderr.contains("method: trajectories (a 2-qubit density matrix needs 256 bytes"), "\(limited.stderr)")
        let object = try jsonObject(limited.stdout)
        #expect(object["method"] as? String == "trajectories")
        #expect((object["method_reason"] as? String ?? "").contains("more than half"))
        #expect(object["probabilities"] == nil, "trajectories have no exact probabilities")
        // When neither fits, the refusal says what the trajectories would need.
        let neither = try verdant(["run", qasm, "--depolarizing", "0.01,0.05", "--max-memory", "300", "--no-energy-summary"])
        #expect(neither.status == 1)
        #expect(neither.stderr.contains("cannot simulate 2 qubits in double precision: the 12 state vectors this needs (64 bytes each)"),
                "\(neither.stderr)")
        // Mid-circuit measurement: auto takes trajectories and says why.
        let dynamic = try folder.write("dynamic.qasm", """
            OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; creg c[2];
            h q[0]; measure q[0] -> c[0]; if(c==1) x q[1]; measure q[1] -> c[1];
            """)
        let conditioned = try verdant(["run", dynamic, "--depolarizing", "0.01", "--verbose", "--seed", "2", "--no-energy-summary"])
        #expect(conditioned.status == 0, "\(conditioned.stderr)")
        #expect(conditioned.stderr.contains("method: trajectories (the circuit has classical conditions"), "\(conditioned.stderr)")
        // Exact probabilities, asked for or all there is to show, take the density matrix where it fits.
        let unmeasured = try folder.write("unmeasured.qasm", "OPENQASM 2.0; include \"qelib1.inc\"; qreg q[3]; h q[0]; cx q[0],q[1]; cx q[1],q[2];")
        let probabilities = try verdant(["run", unmeasured, "--depolarizing", "0.1,0.2", "--verbose", "--shots", "20000", "--no-energy-summary"])
        #expect(probabilities.status == 0, "\(probabilities.stderr)")
        #expect(probabilities.stderr.contains("method: density-matrix (the circuit measures nothing: its probabilities need the density matrix)"),
                "\(probabilities.stderr)")
        #expect(probabilities.stdout.contains("probabilities before readout errors"))
        // (One shot of 6 qubits: auto alone takes trajectories, one branch against a 4^6 matrix.)
        let ghz = try folder.write("ghz6.qasm", "OPENQASM 2.0; include \"qelib1.inc\"; qreg q[6]; creg c[6]; h q[0]; "
            + (0..<5).map { "cx q[\($0)],q[\($0 + 1)];" }.joined(separator: " ") + " measure q -> c;")
        let alone = try verdant(["run", ghz, "--depolarizing", "0.001,0.002", "--shots", "1", "--verbose", "--no-energy-summary"])
        #expect(alone.stderr.contains("method: trajectories"), "\(alone.stderr)")
        let asked = try verdant(["run", ghz, "--depolarizing", "0.001,0.002", "--probabilities", "--shots", "1", "--verbose",
                                 "--no-energy-summary"])
        #expect(asked.stderr.contains("method: density-matrix (exact probabilities were asked for, and the density matrix fits)"),
                "\(asked.stderr)")
        #expect(asked.stdout.contains("probabilities before readout errors"))
        // Trajectories of a circuit that measures nothing would print nothing: refused, saying what works.
        let nothing = try verdant(["run", unmeasured, "--depolarizing", "0.1,0.2", "--method", "trajectories"])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("the circuit measures nothing, and the trajectories method (requested) gives counts of "
                                        + "measurements only: add measurements, or use the density-matrix method"), "\(nothing.stderr)")
    }

    @Test("a density matrix larger than the memory limit is refused before allocating (exit 1), naming the numbers")
    func memoryRefusal() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("bell.qasm", bellQASM)
        let result = try verdant(["run", qasm, "--depolarizing", "0.01", "--method", "density-matrix", "--max-memory", "200",
                                  "--no-energy-summary"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot simulate 2 qubits with the density-matrix method: the 4^2 entries need 256 bytes"),
                "\(result.stderr)")
        #expect(result.stderr.contains("use --method trajectories"))
        #expect(result.stdout.isEmpty)
        expectNoTrace(result)
    }

    @Test("--write-noise writes Aer's JSON; reading it back gives the same model, so the same counts for the same seed")
    func writeNoiseRoundTrip() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("bell.qasm", bellQASM)
        let written = folder.url.appendingPathComponent("model.json").path
        let options = ["--shots", "2000", "--seed", "5", "--json", "--no-energy-summary"]
        let first = try verdant(["run", qasm, "--depolarizing", "0.01,0.05", "--t1", "50us", "--t2", "70us", "--gate-time", "50ns,300ns",
                                 "--readout-error", "0.02,0.05", "--write-noise", written] + options)
        #expect(first.status == 0, "\(first.stderr)")
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: written))) as? [String: Any])
        let errors = try #require(file["errors"] as? [[String: Any]])
        #expect(Set(errors.compactMap { $0["type"] as? String }) == ["qerror", "roerror"])
        // The written model as the library reads it equals the one the options describe.
        let model = try NoiseModel(aerJSONFile: written)
        let options2 = try DeviceNoise.parse(depolarizing: "0.01,0.05", t1: "50us", t2: "70us", gateTime: "50ns,300ns",
                                             readoutError: "0.02,0.05").model()
        #expect(model == options2)
        let second = try verdant(["run", qasm, "--noise", written] + options)
        #expect(second.status == 0, "\(second.stderr)")
        let a = try jsonObject(first.stdout), b = try jsonObject(second.stdout)
        #expect(a["counts"] as? [String: Int] == b["counts"] as? [String: Int])
        #expect(a["probabilities"] as? [String: Double] == b["probabilities"] as? [String: Double])
        // The device options added on top of a file compose after it: a different model.
        let third = try verdant(["run", qasm, "--noise", written, "--depolarizing", "0.2"] + options)
        #expect(third.status == 0)
        #expect(try jsonObject(third.stdout)["probabilities"] as? [String: Double] != a["probabilities"] as? [String: Double])
        // Without a model there is nothing to write.
        let none = try verdant(["run", qasm, "--write-noise", folder.url.appendingPathComponent("x.json").path, "--no-energy-summary"])
        #expect(none.status == 2 && none.stderr.contains("--write-noise needs a noise model"))
    }

    @Test("a model with instructions Verdant lacks is refused (exit 2), naming every one")
    func unknownInstructions() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("bell.qasm", bellQASM)
        let model = try folder.write("model.json", """
            {"errors": [
             {"type": "qerror", "operations": ["delay", "x"], "instructions": [[{"name": "id", "qubits": [0]}]], "probabilities": [1]},
             {"type": "qerror", "operations": ["x"], "instructions": [[{"name": "x", "qubits": [0]}], [{"name": "initialize", "qubits": [0]}]],
              "probabilities": [0.5, 0.5]}
            ]}
            """)
        let result = try verdant(["run", qasm, "--noise", model, "--no-energy-summary"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("model.json: the noise model uses instructions Verdant does not have: delay, initialize"), "\(result.stderr)")
        expectNoTrace(result)
        let missing = try verdant(["run", qasm, "--noise", folder.url.appendingPathComponent("absent.json").path, "--no-energy-summary"])
        #expect(missing.status == 2 && missing.stderr.contains("absent.json"))
    }

    @Test("trajectories: the same seed gives the same counts and memory for 1 and 2 threads")
    func trajectoriesThreads() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("ghz.qasm", """
            OPENQASM 2.0; include "qelib1.inc"; qreg q[4]; creg c[4];
            h q[0]; cx q[0],q[1]; cx q[1],q[2]; cx q[2],q[3]; ry(0.3) q[2]; measure q -> c;
            """)
        var outputs: [[String: Any]] = []
        for threads in ["1", "2"] {
            let result = try verdant(["run", qasm, "--depolarizing", "0.02,0.05", "--readout-error", "0.03", "--method", "trajectories",
                                      "--shots", "300", "--seed", "21", "--memory", "--threads", threads, "--json", "--no-energy-summary"])
            #expect(result.status == 0, "\(result.stderr)")
            outputs.append(try jsonObject(result.stdout))
        }
        #expect(outputs[0]["counts"] as? [String: Int] == outputs[1]["counts"] as? [String: Int])
        #expect(outputs[0]["memory"] as? [String] == outputs[1]["memory"] as? [String])
        let noise = try #require(outputs[0]["noise"] as? [String: Any])
        #expect((noise["branches"] as? Int ?? 0) > 1)
    }

    @Test("requests that cannot be met are refused with what to do instead (exit 2)")
    func refusals() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("bell.qasm", bellQASM)
        func refused(_ arguments: [String], _ expected: String) throws {
            let result = try verdant(arguments + ["--no-energy-summary"])
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            expectNoTrace(result)
        }
        try refused(["run", qasm, "--depolarizing", "0.01", "--statevector"], "give a density matrix, not a state vector")
        try refused(["run", qasm, "--method", "trajectories", "--statevector"], "the noisy methods (chosen by a noise model, --method or --density-matrix)")
        // Refused before any simulation (it was refused after the trajectories had run).
        try refused(["run", qasm, "--depolarizing", "0.01", "--method", "trajectories", "--density-matrix"],
                    "--density-matrix prints the density-matrix method's final state, and --method trajectories samples pure states")
        try refused(["run", qasm, "--memory"], "--memory keeps each shot's outcome in the JSON output (key 'memory'): add --json")
        try refused(["run", qasm, "--noise-basis", "rz,sx,x,cx"], "--noise-basis 'rz,sx,x,cx' translates circuits for a noise model, and there is none")
        try refused(["run", qasm, "--noise-basis", "foo", "--depolarizing", "0.01"], "--noise-basis 'foo': expected auto, none or gate names")
        try refused(["run", qasm, "--max-memory", "0"], "--max-memory: '0' is no memory at all")
        try refused(["run", qasm, "--t1", "50us"], "--t1/--t2 'without --gate-time'")
        try refused(["run", qasm, "--depolarizing", "2"], "depolarizing parameter λ = 2.0")
        try refused(["run", qasm, "--method", "exact"], "exact")
        try refused(["kernel", "--data", "builtin:iris", "--shots", "100"], "--shots estimates under noise: give --noise")
        try refused(["kernel", "--data", "builtin:iris", "--depolarizing", "0.01", "--mitigate-readout"], "add --shots")
        try refused(["kernel", "--data", "builtin:iris", "--noise-seed", "3"], "--noise-seed 3 seeds shot estimates under noise, and there is no noise")
        // Found by an audit: a request that did nothing, and messages that sent the user in a circle.
        try refused(["kernel", "--data", "builtin:iris", "--depolarizing", "0.01", "--readout-error", "0.1", "--shots", "50",
                     "--mitigate-readout"], "readout mitigation (--mitigate-readout) must be off")
        try refused(["run", qasm, "--t2", "50us"], "--t2 'without --t1'")
        // Negative numbers name the range, not only the format.
        try refused(["run", qasm, "--depolarizing=-0.1"], "--depolarizing '-0.1': λ1,λ2 (one- and two-qubit gates, e.g. 1e-3,1e-2) or one λ; a probability is at least 0")
        try refused(["run", qasm, "--t1=-50us", "--gate-time", "50ns"], "--t1 '-50us': a duration is at least 0")
        let conditioned = try folder.write("conditioned.qasm", """
            OPENQASM 2.0;
            include "qelib1.inc";
            qreg q[2];
            creg c[2];
            h q[0];
            measure q[0] -> c[0];
            if (c==1) x q[1];
            """)
        try refused(["run", conditioned, "--depolarizing", "0.01", "--density-matrix"], "has classically conditioned gates")
    }

    @Test("run under noise reads Qiskit's `gate ecr` definition as ECR, so the model's ecr error applies; without noise it is expanded")
    func ecrDefinition() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("ecr.qasm", """
            OPENQASM 2.0;
            include "qelib1.inc";
            gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }
            qreg q[2];
            creg c[2];
            ecr q[0],q[1];
            measure q -> c;
            """)
        var model = NoiseModel()
        try model.add(try QuantumChannel.depolarizing(0.2, qubits: 2), on: ["ecr"])
        let path = folder.url.appendingPathComponent("ecr.json").path
        try model.writeAerJSON(toPath: path)
        let noisy = try verdant(["run", qasm, "--noise", path, "--json", "--no-energy-summary"])
        #expect(noisy.status == 0, "\(noisy.stderr)")
        let noise = try #require(try jsonObject(noisy.stdout)["noise"] as? [String: Any])
        #expect(noise["noisy_instructions"] as? [String: Int] == ["ecr": 1])
        let ideal = try verdant(["run", qasm, "--json", "--no-energy-summary"])
        #expect(try jsonObject(ideal.stdout)["gates"] as? Int == 4, "the exact reading keeps the body's four gates")
    }

    @Test("a device-sized register with two qubits used runs under noise on those two (the model renumbered)")
    func idleQubitsUnderNoise() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("device.qasm", """
            OPENQASM 2.0;
            include "qelib1.inc";
            qreg q[40];
            creg c[2];
            sx q[17];
            cx q[17],q[33];
            measure q[17] -> c[0];
            measure q[33] -> c[1];
            """)
        let result = try verdant(["run", qasm, "--depolarizing", "0.01,0.05", "--readout-error", "0.02", "--json", "--no-energy-summary"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try jsonObject(result.stdout)
        #expect(json["qubits"] as? Int == 40 && json["simulated_qubits"] as? Int == 2)
        #expect(json["method"] as? String == "density-matrix")
        #expect((json["counts"] as? [String: Int])?.values.reduce(0, +) == 1024)
        // --probabilities keeps the whole register, which does not fit.
        let whole = try verdant(["run", qasm, "--depolarizing", "0.01", "--probabilities", "--no-energy-summary"])
        #expect(whole.status == 1 && whole.stderr.contains("40 qubits"), "\(whole.stderr)")
    }

    @Test("--write-noise: an existing file needs --force, a failed run leaves none, and it may not be an input")
    func writeNoiseSafety() throws {
        let folder = try TemporaryDirectory()
        let qasm = try folder.write("bell.qasm", bellQASM)
        let written = folder.url.appendingPathComponent("model.json").path
        let base = ["run", qasm, "--depolarizing", "0.01", "--shots", "10", "--no-energy-summary"]
        #expect(try verdant(base + ["--write-noise", written]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: written))
        let again = try verdant(base + ["--depolarizing", "0.2", "--write-noise", written])
        #expect(again.status == 2 && again.stderr.contains("--write-noise '\(written)' exists; use --force to replace it"), "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: written)) == before)
        #expect(try verdant(base + ["--depolarizing", "0.2", "--write-noise", written, "--force"]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: written)) != before)
        // A run that fails after the model was read writes nothing.
        let failed = folder.url.appendingPathComponent("failed.json").path
        let refusal = try verdant(["run", qasm, "--depolarizing", "0.01", "--statevector", "--write-noise", failed, "--no-energy-summary"])
        #expect(refusal.status == 2)
        #expect(!FileManager.default.fileExists(atPath: failed))
        let input = try verdant(base + ["--write-noise", qasm, "--force"])
        #expect(input.status == 2 && input.stderr.contains("--write-noise '\(qasm)' is also an input (the circuit '\(qasm)')"), "\(input.stderr)")
        #expect(try String(contentsOfFile: qasm, encoding: .utf8) == bellQASM)
    }

    @Test("kernel --noise writes Tr(ρ(x)ρ(x′)) of the dense reference density matrices")
    func noisyKernel() throws {
        let folder = try TemporaryDirectory()
        let samples: [[Double]] = [[0.3, 1.2], [2.1, 0.4], [1.0, 2.9], [0.0, 0.7]]
        let csv = try folder.write("x.csv", "a,b,label\n" + samples.enumerated().map { "\($1[0]),\($1[1]),\($0 % 2)" }.joined(separator: "\n") + "\n")
        let result = try verdant(["kernel", "--data", csv, "--scale", "none", "--feature-map", "zz", "--reps", "2",
                                  "--depolarizing", "0.02,0.05", "--t1", "20us", "--gate-time", "100ns,400ns", "--readout-error", "0.03",
                                  "--noise-basis", "none", "--threads", "2", "--no-energy-summary"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").filter { !$0.isEmpty && $0.first != "#" }
            .map { $0.split(separator: ",").compactMap { Double($0) } }.filter { $0.count == samples.count }
        #expect(rows.count == samples.count, "\(result.stdout)")
        let map = try FeatureMap.zz(features: 2, reps: 2)
        let noise = try DeviceNoise.parse(depolarizing: "0.02,0.05", t1: "20us", gateTime: "100ns,400ns", readoutError: "0.03").model()
        let rhos = try samples.map { try ReferenceDensityMatrix.run(map.circuit(for: $0), noise: noise) }
        for i in samples.indices {
            for j in samples.indices where rows.count == samples.count {
                #expect(abs(rows[i][j] - ReferenceDensityMatrix.overlap(rhos[i], rhos[j])) < 1e-10, "K[\(i)][\(j)]")
            }
            if rows.count == samples.count { #expect(rows[i][i] < 0.999, "purity below 1 under noise") }
        }
    }
}
