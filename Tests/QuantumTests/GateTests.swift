import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// Tolerances: Double results agree to 1e-10, Float results to 1e-5.
let doubleTolerance = 1e-10
let floatTolerance = 1e-5

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite("Gate matrices")
struct GateMatrixTests {
    /// Angles that are not special (no accidental symmetry).
    static let sampleAngles = [0.3719, -2.118, 1.0472, 2.7183]

    @Test("every kind's matrix equals the independent reference", arguments: RandomCircuits.kinds(fitting: 5))
    func matrixMatchesReference(kind: GateKind) throws {
        let values = Array(GateMatrixTests.sampleAngles.prefix(kind.numParameters))
        let gate = try Gate(kind, values)
        let ours = try gate.matrix()
        let dimension = 1 << kind.numQubits
        let rows = (0..<dimension).map { r in Array(ours[(r * dimension)..<((r + 1) * dimension)]) }
        let reference = ReferenceGates.matrix(kind, values)
        #expect(Distance.max(rows, reference) < 1e-14, "\(kind.name)")
    }

    @Test("every gate equals Qiskit's Operator(gate) (gates.json)")
    func matricesMatchQiskit() throws {
        let data = try FixtureLoader.json("gates.json", in: fixtures)
        let entries = try #require(data["gates"] as? [[String: Any]])
        #expect(entries.count >= 70)
        var seen = Set<String>()
        for entry in entries {
            let name = try #require(entry["name"] as? String)
            let params = (entry["params"] as? [Double]) ?? []
            let numQubits = try #require(entry["num_qubits"] as? Int)
            let controls = (entry["num_controls"] as? Int) ?? 0
            let kind: GateKind
            switch name {
            case "mcx": kind = .mcx(controls: controls)
            case "mcz": kind = controls == 1 ? .cz : .mcz(controls: controls)
            case "mcp": kind = .mcp(controls: controls)
            case "c3x": kind = .mcx(controls: 3)
            case "c4x": kind = .mcx(controls: 4)
            default: kind = try #require(GateKind.standard.first { $0.name == name || QASMWriter.exportName($0) == name },
                                         "unknown gate \(name)")
            }
            #expect(kind.numQubits == numQubits, "\(name)")
            let gate = try Gate(kind, params)
            let expected = try FixtureLoader.complexMatrix(entry["matrix"])
            let ours = try gate.matrix()
            let d = 1 << numQubits
            let rows = (0..<d).map { r in Array(ours[(r * d)..<((r + 1) * d)]) }
            #expect(Distance.max(rows, expected) < 1e-12, "\(name) \(params)")
            seen.insert(kind.name)
        }
        // Every fixed kind is covered by the fixture.
        for kind in GateKind.standard { #expect(seen.contains(kind.name), "no Qiskit fixture for \(kind.name)") }
    }

    @Test("unitary gates accept unitary matrices and reject others")
    func unitaryValidation() throws {
        var rng = SeededGenerator(seed: 5)
        let u = RandomCircuits.unitary(4, &rng)
        let gate = try Gate.unitary(u, label: "u4")
        #expect(gate.numQubits == 2)
        var bad = u
        bad[0] = bad[0] + Complex(1e-6)
        #expect {
            try Gate.unitary(bad)
        } throws: { error in
            guard case QuantumError.notUnitary(let dimension, let deviation) = error else { return false }
            return dimension == 4 && deviation > 1e-7 && "\(error)".contains("is not unitary")
        }
        #expect(throws: QuantumError.invalidGate("a unitary needs 4^k entries (2^k × 2^k, k ≥ 1); received 3")) {
            try Gate.unitary([.one, .zero, .zero])
        }
    }

    @Test("inverse gates multiply to the identity", arguments: RandomCircuits.kinds(fitting: 4))
    func inverses(kind: GateKind) throws {
        var rng = SeededGenerator(seed: 17)
        let gate = try RandomCircuits.gate(kind, &rng)
        let m = SmallMatrix(dimension: 1 << kind.numQubits, entries: try gate.matrix())
        let inverse = SmallMatrix(dimension: m.dimension, entries: try gate.inverse().matrix())
        let product = inverse * m
        #expect(product.unitarityDeviation() < 1e-12)
        let identity = SmallMatrix.identity(m.dimension)
        #expect(zip(product.entries, identity.entries).allSatisfy { ($0 - $1).length < 1e-12 }, "\(kind.name)")
    }
}

@Suite("Gates on every qubit position, against the dense reference")
struct GatePositionTests {
    /// Applies `kind` on every ordered choice of qubits of a 4-qubit generic state (5 qubits for
    /// 4- and 5-qubit gates: a sample of placements) and compares with the dense simulator.
    func check<Real: StateScalar>(_ kind: GateKind, as _: Real.Type, tolerance: Double, width: Int) throws {
        var rng = SeededGenerator(seed: 101)
        let gate = try RandomCircuits.gate(kind, &rng)
        var placements = permutations(of: Array(0..<width), choose: kind.numQubits)
        if placements.count > 40 {
            placements.shuffle(using: &rng)
            placements = Array(placements.prefix(40))
        }
        for qubits in placements {
            var circuit = QuantumCircuit(numQubits: width)
            RandomCircuits.prepareGenericState(&circuit, &rng)
            circuit.append(gate, qubits)
            let expected = try ReferenceSimulator.statevector(of: circuit)
            for threads in [1, 2] {
                let ours = try Simulator(threads: threads, fusion: false).statevector(circuit, as: Real.self).amplitudes
                let converted = ours.map { Complex(Double($0.real), Double($0.imaginary)) }
                #expect(Distance.max(converted, expected) < tolerance, "\(kind.name) on \(qubits)")
            }
        }
    }

    @Test("Double", arguments: RandomCircuits.kinds(fitting: 5) + [.unitary(qubits: 1), .unitary(qubits: 2), .unitary(qubits: 3)])
    func double(kind: GateKind) throws {
        try check(kind, as: Double.self, tolerance: doubleTolerance, width: kind.numQubits <= 3 ? 4 : 5)
    }

    @Test("Float", arguments: RandomCircuits.kinds(fitting: 5) + [.unitary(qubits: 1), .unitary(qubits: 2), .unitary(qubits: 3)])
    func float(kind: GateKind) throws {
        try check(kind, as: Float.self, tolerance: floatTolerance, width: kind.numQubits <= 3 ? 4 : 5)
    }

    @Test("controlled kernels use every control position on a wider state")
    func wideControls() throws {
        // 7 qubits: controls and target spread over low and high bits, including bit 0.
        var rng = SeededGenerator(seed: 7)
        for qubits in [[0, 6, 3], [6, 0, 1], [2, 5, 0], [1, 2, 3, 4, 0], [6, 5, 4, 3, 2]] {
            var circuit = QuantumCircuit(numQubits: 7)
            RandomCircuits.prepareGenericState(&circuit, &rng)
            circuit.mcx(Array(qubits.dropLast()), qubits[qubits.count - 1])
            circuit.mcp(0.77, Array(qubits.dropLast()), qubits[qubits.count - 1])
            circuit.append(try Gate.unitary(RandomCircuits.unitary(8, &rng)), Array(qubits.prefix(3)))
            let expected = try ReferenceSimulator.statevector(of: circuit)
            let ours = try Simulator(fusion: false).statevector(circuit).amplitudes
            #expect(Distance.max(ours, expected) < doubleTolerance, "\(qubits)")
        }
    }
}

/// All ordered selections of `k` elements.
func permutations(of items: [Int], choose k: Int) -> [[Int]] {
    if k == 0 { return [[]] }
    var result: [[Int]] = []
    for (i, item) in items.enumerated() {
        var rest = items
        rest.remove(at: i)
        for tail in permutations(of: rest, choose: k - 1) { result.append([item] + tail) }
    }
    return result
}
