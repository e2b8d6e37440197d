import ComplexModule
import Foundation
import Testing
import _TestSupport
@testable import Quantum

private func errorText(_ body: () throws -> Void) -> String {
    do { try body(); return "" } catch { return "\(error)" }
}

private func json(_ text: String) -> Data { Data(text.utf8) }

@Suite("Noise: models and Aer JSON")
struct NoiseModelTests {
    @Test("fake-backend models read as is, with Aer's number of errors per instruction",
          arguments: [("manila.json", "FakeManilaV2"), ("lima.json", "FakeLimaV2")])
    func fakeBackends(_ file: String, _ backend: String) throws {
        let model = try NoiseModel(aerJSONFile: noiseFixtures.appendingPathComponent(file).path)
        let summary = try FixtureLoader.json("fake_models.json", in: noiseFixtures)
        let expected = (summary[backend] as? [String: Any])?["by_operation"] as? [String: Int] ?? [:]
        var counts: [String: Int] = [:]
        for item in model.quantumErrorList { counts["qerror:" + item.instruction, default: 0] += 1 }
        for _ in model.readoutErrorList { counts["roerror:measure", default: 0] += 1 }
        #expect(counts == expected)
        #expect(model.noisyInstructions == ["cx", "id", "reset", "sx", "x"])
        // Local errors are found by instruction and ordered qubits; cx on an uncoupled pair has none.
        #expect(model.error(for: "cx", on: [0, 1])?.numQubits == 2)
        #expect(model.error(for: "cx", on: [0, 4]) == nil)
        #expect(model.error(for: "rz", on: [0]) == nil)
        #expect(model.readoutError(forQubit: 2)?.numQubits == 1)
    }

    @Test("an ECR backend's model (Sherbrooke, qubits 0-4) reads, with its Kraus relaxation terms")
    func ecrBackend() throws {
        let model = try NoiseModel(aerJSONFile: noiseFixtures.appendingPathComponent("sherbrooke_q0-4.json").path)
        #expect(model.noisyInstructions.contains("ecr"))
        let ecr = try #require(model.quantumErrorList.first { $0.instruction == "ecr" })
        #expect(ecr.channel.numQubits == 2)
        #expect(!ecr.channel.isUnitaryMixture)
    }

    @Test("written JSON reads back to an equal model, and keeps Aer's layout")
    func roundTrip() throws {
        for file in ["manila.json", "sherbrooke_q0-4.json"] {
            let model = try NoiseModel(aerJSONFile: noiseFixtures.appendingPathComponent(file).path)
            let written = model.aerJSON()
            let again = try NoiseModel(aerJSON: written, source: "written")
            #expect(again == model, "\(file) changed in a round trip")
            let object = try #require(try JSONSerialization.jsonObject(with: written) as? [String: Any])
            let errors = try #require(object["errors"] as? [[String: Any]])
            #expect(errors.count == model.quantumErrorList.count + model.readoutErrorList.count)
            #expect(Set(errors.compactMap { $0["type"] as? String }) == ["qerror", "roerror"])
        }
        // Channels built in Swift round-trip too (Pauli, Kraus, reset, unitary and gate terms).
        var model = NoiseModel()
        try model.add(try QuantumChannel.depolarizing(0.01, qubits: 2).composed(with:
            try QuantumChannel.thermalRelaxation(t1: 50e-6, t2: 70e-6, time: 3e-7).expanded(with: .reset(toZero: 0.01))), on: ["cx"])
        try model.add(try QuantumChannel.overRotation(about: "X", angle: 0.02), on: ["x", "sx"], qubits: [3])
        try model.add(try ReadoutError(oneGivenZero: 0.02, zeroGivenOne: 0.05))
        try model.add(try ReadoutError([[0.9, 0.1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0.3, 0.7]]), qubits: [0, 1])
        let back = try NoiseModel(aerJSON: model.aerJSON())
        #expect(back == model)
        #expect(back.unusedReadoutErrors == [[0, 1]])
    }

    @Test("local errors win over all-qubit ones; a second error on the same place composes")
    func lookup() throws {
        var model = NoiseModel()
        let a = try QuantumChannel.depolarizing(0.1), b = try QuantumChannel.amplitudeDamping(0.2)
        try model.add(a, on: ["x"])
        try model.add(b, on: ["x"], qubits: [2])
        #expect(model.error(for: "x", on: [0]) == a)
        #expect(model.error(for: "x", on: [2]) == b)
        try model.add(b, on: ["x"])
        #expect(model.error(for: "x", on: [0]) == (try a.composed(with: b)))
        #expect(errorText { try model.add(a, on: ["cx"]) }.contains("a 1-qubit error cannot be attached to 2 qubits"))
        #expect(errorText { try model.add(a, on: ["x"], qubits: [1, 2]) }.contains("qubits [1, 2]"))
        #expect(errorText { try model.add(a, on: ["delay", "x"]) }.contains("does not have: delay"))
        #expect(errorText { try model.add(try ReadoutError([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])) }
            .contains("all-qubit readout error"))
    }

    @Test("device options on top of a file: composed after the file's per-qubit errors too, not overridden by them")
    func deviceOptionsOnAFile() throws {
        let folder = try TemporaryFolder()
        var file = NoiseModel()
        let local = try QuantumChannel.amplitudeDamping(0.2)
        try file.add(local, on: ["x"], qubits: [0])
        try file.add(try QuantumChannel.depolarizing(0.05, qubits: 2), on: ["cx"], qubits: [1, 0])
        try file.add(try ReadoutError(oneGivenZero: 0.1, zeroGivenOne: 0.2), qubits: [0])
        let path = folder.path("device.json")
        try file.writeAerJSON(toPath: path)
        let options = try DeviceNoise.parse(depolarizing: "0.01,0.03", readoutError: "0.05")
        let combined = try #require(try NoiseModel.combined(file: path, device: options))
        let one = try QuantumChannel.depolarizing(0.01), two = try QuantumChannel.depolarizing(0.03, qubits: 2)
        #expect(combined.error(for: "x", on: [0]) == (try local.composed(with: one)))
        #expect(combined.error(for: "x", on: [1]) == one, "a qubit the file has no error for gets the options' alone")
        #expect(combined.error(for: "cx", on: [1, 0]) == (try QuantumChannel.depolarizing(0.05, qubits: 2).composed(with: two)))
        #expect(combined.error(for: "cx", on: [0, 1]) == two)
        // Readout: true 0 reads 1 with 0.1·0.95 + 0.9·0.05; true 1 reads 0 with 0.2·0.95 + 0.8·0.05.
        let readout = try #require(combined.readoutError(forQubit: 0))
        #expect(abs(readout.probabilities[0][1] - (0.1 * 0.95 + 0.9 * 0.05)) < 1e-15)
        #expect(abs(readout.probabilities[1][0] - (0.2 * 0.95 + 0.8 * 0.05)) < 1e-15)
        #expect(combined.readoutError(forQubit: 1) == (try ReadoutError(oneGivenZero: 0.05, zeroGivenOne: 0.05)))
    }

    @Test("instructions Verdant lacks are named, all at once")
    func unsupported() throws {
        let text = """
            {"errors": [
             {"type": "qerror", "operations": ["delay"], "instructions": [[{"name": "id", "qubits": [0]}]], "probabilities": [1]},
             {"type": "qerror", "operations": ["x"], "instructions": [[{"name": "measure", "qubits": [0]}], [{"name": "initialize", "qubits": [0]}]],
              "probabilities": [0.5, 0.5]},
             {"type": "qerror", "operations": ["my_gate"], "instructions": [[{"name": "x", "qubits": [0]}]], "probabilities": [1]}
            ]}
            """
        let message = errorText { _ = try NoiseModel(aerJSON: json(text), source: "model.json") }
        #expect(message.hasPrefix("model.json: the noise model uses instructions Verdant does not have: delay, initialize, measure (inside an error), my_gate"))
        #expect(message.hasSuffix("; an error's own instructions may be gates, reset, pauli, kraus, unitary or diagonal, not a measurement"))
    }

    @Test("malformed files say where, by JSON path", arguments: [
        ("[1, 2]", "m.json: top level: expected an object"),
        ("{\"errors\": 3}", "m.json: errors: expected a list, found a number"),
        ("{}", "m.json: errors: missing"),
        ("{\"errors\": [", "m.json: JSON: not valid JSON"),
        ("{\"errors\": [{\"type\": \"qerror\", \"operations\": [\"x\"], \"instructions\": [[{\"name\": \"x\", \"qubits\": [0]}]], \"probabilities\": [0.9]}]}",
         "m.json: errors[0].probabilities: error terms: probabilities must be in [0, 1] and sum to 1"),
        ("{\"errors\": [{\"type\": \"qerror\", \"operations\": [\"x\"], \"instructions\": [[{\"name\": \"kraus\", \"qubits\": [0], \"params\": [[[[0.5, 0], [0, 0]], [[0, 0], [0.5, 0]]]]}]], \"probabilities\": [1]}]}",
         "m.json: errors[0].instructions[0][0].params: the Kraus operators are not complete"),
        ("{\"errors\": [{\"type\": \"qerror\", \"operations\": [\"cx\"], \"instructions\": [[{\"name\": \"x\", \"qubits\": [0]}]], \"probabilities\": [1]}]}",
         "m.json: errors[0]: error for 'cx': a 1-qubit error cannot be attached to 2 qubits"),
        ("{\"errors\": [{\"type\": \"qerror\", \"operations\": [\"x\"], \"instructions\": [[{\"name\": \"pauli\", \"qubits\": [0], \"params\": [\"XX\"]}]], \"probabilities\": [1]}]}",
         "m.json: errors[0].instructions[0][0].qubits: 'pauli' here acts on 2 qubits, found 1"),
        ("{\"errors\": [{\"type\": \"roerror\", \"operations\": [\"measure\"], \"probabilities\": [[0.9, 0.2], [0.1, 0.9]]}]}",
         "m.json: errors[0].probabilities: readout assignment row 0 (true outcome 0)"),
        ("{\"errors\": [{\"type\": \"xerror\", \"operations\": [\"x\"]}]}", "m.json: errors[0].type: expected \"qerror\" or \"roerror\""),
        ("{\"errors\": [{\"type\": \"qerror\", \"operations\": [\"x\"], \"instructions\": [[{\"name\": \"x\", \"qubits\": [-1]}]], \"probabilities\": [1]}]}",
         "m.json: errors[0].instructions[0][0].qubits: expected distinct qubit indices ≥ 0"),
        ("{\"errors\": [{\"type\": \"qerror\", \"operations\": [\"x\"], \"instructions\": [[{\"name\": \"unitary\", \"qubits\": [0], \"params\": [[[[1, 0], [1, 0]], [[0, 0], [1, 0]]]]}]], \"probabilities\": [1]}]}",
         "m.json: errors[0].instructions[0][0].params[0]: the 2×2 matrix is not unitary"),
    ])
    func malformed(_ text: String, _ expected: String) throws {
        let message = errorText { _ = try NoiseModel(aerJSON: json(text), source: "m.json") }
        #expect(message.hasPrefix(expected), "got: \(message)")
    }

    @Test("a missing file names the path")
    func missingFile() throws {
        #expect(errorText { _ = try NoiseModel(aerJSONFile: "/nonexistent/model.json") } == "cannot read '/nonexistent/model.json': no such file")
    }
}

@Suite("Noise: device numbers")
struct DeviceNoiseTests {
    @Test("durations parse with their units and are refused without one")
    func durations() throws {
        #expect(try DeviceNoise.duration("50us", option: "--t1") == 50e-6)
        #expect(try DeviceNoise.duration("50µs", option: "--t1") == 50e-6)
        #expect(try DeviceNoise.duration("0.3 ms", option: "--t1") == 0.3e-3)
        #expect(try DeviceNoise.duration("300ns", option: "--t1") == 300e-9)
        #expect(try DeviceNoise.duration("2s", option: "--t1") == 2)
        #expect(errorText { _ = try DeviceNoise.duration("50", option: "--t1") } == "--t1 '50': expected a duration with its unit (s, ms, us, ns, ps), e.g. 50us or 300ns")
        #expect(throws: NoiseError.self) { try DeviceNoise.duration("-5us", option: "--t1") }
        #expect(throws: NoiseError.self) { try DeviceNoise.duration("fast", option: "--t1") }
    }

    @Test("the options build Aer's basic device model: depolarizing, then relaxation on each qubit")
    func model() throws {
        let numbers = try DeviceNoise.parse(depolarizing: "1e-3,1e-2", t1: "50us", t2: "70us", gateTime: "50ns,300ns", readoutError: "0.02")
        let model = try numbers.model()
        let relax1 = try QuantumChannel.thermalRelaxation(t1: 50e-6, t2: 70e-6, time: 50e-9)
        let relax2 = try QuantumChannel.thermalRelaxation(t1: 50e-6, t2: 70e-6, time: 300e-9)
        #expect(model.error(for: "sx", on: [4]) == (try QuantumChannel.depolarizing(1e-3).composed(with: relax1)))
        #expect(model.error(for: "cx", on: [1, 0]) == (try QuantumChannel.depolarizing(1e-2, qubits: 2).composed(with: relax2.expanded(with: relax2))))
        #expect(model.error(for: "ccx", on: [0, 1, 2])?.numQubits == 3)
        #expect(model.error(for: "mcx", on: [0, 1, 2, 3]) == nil)
        #expect(model.readoutError(forQubit: 7) == (try ReadoutError(oneGivenZero: 0.02, zeroGivenOne: 0.02)))
        // One number for both; readout P(1|0),P(0|1).
        let single = try DeviceNoise.parse(depolarizing: "0.01", readoutError: "0.01,0.03")
        #expect(single.depolarizingTwoQubit == 0.01)
        #expect(try single.model().readoutError(forQubit: 0)?.probabilities[1][0] == 0.03)
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var depolarizing: String?, t1: String?, t2: String?, gateTime: String?, readout: String?
        let expected: String
        var testDescription: String { expected }
    }

    @Test("incomplete or invalid numbers are refused, naming the option", arguments: [
        Refusal(t1: "50us", expected: "--t1/--t2 'without --gate-time'"),
        Refusal(gateTime: "50ns", expected: "--gate-time 'without --t1'"),
        Refusal(t2: "50us", expected: "--t2 'without --t1': T2 refines thermal relaxation, which needs T1: add --t1"),
        Refusal(t2: "50us", gateTime: "50ns", expected: "--t2 'without --t1'"),
        Refusal(depolarizing: "1e-3,abc", expected: "--depolarizing '1e-3,abc'"),
        Refusal(depolarizing: "1,2,3", expected: "--depolarizing '1,2,3'"),
        Refusal(t1: "50us", t2: "150us", gateTime: "50ns", expected: "T2 = 0.00015"),
        Refusal(readout: "1.5", expected: "readout error P(1|0) = 1.5"),
        Refusal(depolarizing: "2", expected: "depolarizing parameter λ = 2.0"),
    ])
    func refused(_ c: Refusal) throws {
        let message = errorText {
            _ = try DeviceNoise.parse(depolarizing: c.depolarizing, t1: c.t1, t2: c.t2, gateTime: c.gateTime, readoutError: c.readout).model()
        }
        #expect(message.hasPrefix(c.expected), "got: \(message)")
    }
}
