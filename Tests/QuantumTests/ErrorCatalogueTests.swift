import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// One trigger per case of `QuantumError` that other suites do not already pin down by message,
/// so that every message of the catalogue is produced at least once by a real call.
@Suite("Error catalogue")
struct ErrorCatalogueTests {
    @Test("file errors say what is wrong with the file")
    func files() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(errorMessage { _ = try QuantumCircuit(qasmFile: directory.path) } == "cannot read '\(directory.path)': it is a directory")
        let binary = directory.appendingPathComponent("binary.qasm")
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: binary)
        #expect(errorMessage { _ = try QuantumCircuit(qasmFile: binary.path) } == "cannot read '\(binary.path)': it is not UTF-8 text")
        #expect(errorMessage { _ = try QuantumCircuit(qasmFile: directory.appendingPathComponent("none.qasm").path) }
            == "cannot read '\(directory.appendingPathComponent("none.qasm").path)': no such file")
    }

    @Test("sizes and widths")
    func sizes() {
        var negative = QuantumCircuit(numQubits: -1)
        negative.h(0)
        #expect(errorMessage { try negative.validate() } == "a circuit needs 0 or more qubits and classical bits, received -1 and 0")
        let circuit = QuantumCircuit(QuantumRegister(-2, name: "bad"))
        #expect(errorMessage { try circuit.validate() } == "register bad has size -2; sizes must be 0 or more")
        #expect(errorMessage { _ = try StateVector<Double>(numQubits: 60) }
            == "cannot simulate 60 qubits: Verdant's state-vector simulator supports at most 50")
        #expect(errorMessage { _ = try StateVector<Double>(numQubits: 30, maxMemoryBytes: 1000) }
            == "cannot simulate 30 qubits in double precision: the state vector needs 16.0 GiB (17179869184 bytes) but 1000 bytes is available (the --max-memory limit)")
        #expect(errorMessage { _ = try StateVector<Float>(numQubits: 30, maxMemoryBytes: 1000) }
            .hasPrefix("cannot simulate 30 qubits in single precision: the state vector needs 8.0 GiB (8589934592 bytes)"))
    }

    @Test("shots that cannot fit are refused before anything is drawn; a few fit")
    func tooManyShots() throws {
        var circuit = QuantumCircuit(numQubits: 2, numClbits: 2)
        circuit.h(0)
        circuit.cx(0, 1)
        circuit.measure(0, 0)
        circuit.measure(1, 1)
        var limited = Simulator()
        limited.maxMemoryBytes = 1 << 30
        for shots in [10_000_000_000, Int.max, 1 << 60] {
            let message = errorMessage { _ = try limited.run(circuit, shots: shots, seed: 1) }
            #expect(message.hasPrefix("cannot draw \(shots) shots: their draws and outcomes need about"), "\(message)")
            #expect(message.contains("(the --max-memory limit); use at most 22369621 shots"), "\(message)")
        }
        #expect(try limited.run(circuit, shots: 1000, seed: 1).counts.values.reduce(0, +) == 1000)
    }

    @Test("every case has a message that names what was received")
    func allCasesDescribed() {
        // Construct each case directly: the catalogue's text must stay informative.
        let cases: [QuantumError] = [
            .qubitOutOfRange(received: "7", numQubits: 3), .clbitOutOfRange(received: "c[4]", numClbits: 2),
            .unknownRegister(name: "r", size: 2, known: []), .duplicateRegister(name: "q"),
            .duplicateQubits(gate: "cx", qubits: [1, 1]), .wrongQubitCount(gate: "h", received: 2, expected: 1),
            .wrongParameterCount(gate: "u", received: 1, expected: 3), .invalidGate("x"),
            .notUnitary(dimension: 2, deviation: 0.5), .unboundParameters(["a"]), .unknownParameter(name: "b", known: ["a"]),
            .wrongBindingCount(received: 3, expected: ["a"]),
            .insufficientMemory(qubits: 3, precision: "double", bytesNeeded: 128, bytesAvailable: 64, limitSource: "test"),
            .tooManyQubits(received: 99, maximum: 50), .invalidShots(0),
            .tooManyShots(received: 1_000_000, bytesNeeded: 48_000_000, bytesAvailable: 24_000_000, limitSource: "test"),
            .invalidThreads(-1),
            .notInvertible(operation: "reset"), .incompatibleCircuits("x"), .invalidCondition("x"),
            .invalidObservable(text: "Q", column: 1, message: "m"), .observableWidth(received: 1, numQubits: 2),
            .invalidState("x"), .qasm(file: "f", line: 1, column: 2, message: "m"), .unsupportedExport("x"),
            .fileUnreadable(path: "p", reason: "r"), .notDifferentiable(operation: "reset"),
            .parameterShiftUnsupported(gate: "crz", angle: "theta", parameter: "a"),
        ]
        let expected = [
            "qubit 7 is out of range: valid indices are 0...2 (3 qubits)",
            "classical bit c[4] is out of range: valid indices are 0...1 (2 bits)",
            "register r[2] is not part of this circuit (its registers: none)",
            "a register named 'q' is already in this circuit; register names must be unique",
            "gate 'cx' received the same qubit more than once ([1, 1]); its qubits must be distinct",
            "gate 'h' acts on 1 qubit, received 2",
            "gate 'u' takes 3 parameters, received 1",
            "x",
            "the 2×2 matrix is not unitary: max |U†U − I| = 0.5, the tolerance is 1e-10",
            "parameters without values: a; bind them first (circuit.bind([...]) or compiled.statevector(binding:))",
            "the circuit has no parameter 'b' (its parameters: a)",
            "received 3 values for 1 parameter (a)",
            "cannot simulate 3 qubits in double precision: the state vector needs 128 bytes but 64 bytes is available (test)",
            "cannot simulate 99 qubits: Verdant's state-vector simulator supports at most 50",
            "shots must be at least 1, received 0",
            "cannot draw 1000000 shots: their draws and outcomes need about 45.8 MiB (48000000 bytes) (48 bytes per shot) but "
                + "22.9 MiB (24000000 bytes) is available (test); use at most 500000 shots, or several runs with different seeds",
            "threads must be at least 1, received -1",
            "cannot invert a circuit that contains 'reset': only unitary gates and barriers have inverses",
            "x", "x",
            "observable 'Q', column 1: m",
            "the observable acts on 1 qubit but the state has 2",
            "x",
            "f:1:2: m",
            "cannot export to OpenQASM 2: x",
            "cannot read 'p': r",
            "cannot differentiate a circuit that contains reset: gradients need a circuit of unitary gates without "
                + "classical conditions (remove final measurements with removingFinalMeasurements())",
            "the parameter-shift rule cannot differentiate gate 'crz' (angle theta) with respect to 'a': the angle's "
                + "generator has more than two eigenvalues; use the adjoint method (method: .adjoint)",
        ]
        #expect(cases.map(\.description) == expected)
        #expect(cases.allSatisfy { $0.errorDescription == $0.description })
    }
}
