import ComplexModule
import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// max |A − e^{iα}B| with the phase that aligns the largest entry.
private func distanceUpToPhase(_ a: DenseMatrix, _ b: DenseMatrix) -> Double {
    var best = (0, 0), size = 0.0
    for r in b.indices { for c in b[r].indices where b[r][c].length > size { size = b[r][c].length; best = (r, c) } }
    let phase = a[best.0][best.1] / b[best.0][best.1]
    let unit = phase / Complex(phase.length, 0)
    var worst = 0.0
    for r in a.indices { for c in a[r].indices { worst = max(worst, (a[r][c] - unit * b[r][c]).length) } }
    return worst
}

@Suite("Noise: translation to a device basis")
struct BasisTranslationTests {
    static let translatable: [GateKind] = [.id, .x, .y, .z, .h, .s, .sdg, .t, .tdg, .sx, .sxdg, .rx, .ry, .rz, .p, .u1, .u2, .u, .u3,
                                           .cx, .cz, .cy, .cp, .cu1, .crz, .cry, .rzz, .rxx, .swap,
                                           .ch, .crx, .cu3, .cu, .csx, .cs, .csdg, .iswap, .dcx, .ecr, .ryy, .rzx, .ccx, .cswap, .rccx,
                                           .rc3x, .c3sqrtx, .mcx(controls: 3), .mcx(controls: 4), .mcz(controls: 2), .mcz(controls: 3),
                                           .mcp(controls: 2), .mcp(controls: 3), .mcp(controls: 4)]

    @Test("every translatable gate equals its translation up to a global phase",
          arguments: [["rz", "sx", "x", "cx"], ["rz", "sx", "cz"], ["rz", "sx", "x", "ecr"], ["u1", "u2", "u3", "cx"]])
    func gates(_ basis: [String]) throws {
        var rng = SeededGenerator(seed: 21)
        for kind in Self.translatable {
            for _ in 0..<3 {
                var circuit = QuantumCircuit(numQubits: max(3, kind.numQubits))
                let angles = (0..<kind.numParameters).map { _ in RandomCircuits.angle(&rng) }
                var qubits = Array(0..<circuit.numQubits)
                qubits.shuffle(using: &rng)
                circuit.append(try Gate(kind, angles), indices: Array(qubits.prefix(kind.numQubits)))
                let translated = try circuit.translated(toBasis: Set(basis))
                for instruction in translated.instructions {
                    #expect(basis.contains(instruction.operation.name), "\(kind.name) → \(instruction.operation.name)")
                }
                let d = distanceUpToPhase(try ReferenceSimulator.unitary(of: translated), try ReferenceSimulator.unitary(of: circuit))
                #expect(d < 1e-12, "\(kind.name)\(angles) in \(basis): off by \(d)")
            }
        }
    }

    @Test("symbolic angles stay symbolic: translate once, bind many times")
    func parameters() throws {
        let a = Parameter("a"), b = Parameter("b")
        var circuit = QuantumCircuit(numQubits: 2)
        circuit.ry(a, 0); circuit.rx(2 * b, 1); circuit.cp(a - b, 0, 1); circuit.rzz(b, 1, 0); circuit.u(a, b, 0.3, 1)
        let translated = try circuit.translated(toBasis: ["rz", "sx", "x", "cx"])
        #expect(Set(translated.parameters) == [a, b])
        for (va, vb) in [(0.3, -1.2), (2.5, 0.7)] {
            let d = distanceUpToPhase(try ReferenceSimulator.unitary(of: translated.bind([a: va, b: vb])),
                                      try ReferenceSimulator.unitary(of: circuit.bind([a: va, b: vb])))
            #expect(d < 1e-12)
        }
    }

    @Test("gates without a translation and incomplete bases are refused, naming them")
    func refusals() throws {
        var circuit = QuantumCircuit(numQubits: 2)
        circuit.unitary([.one, .zero, .zero, .zero, .zero, .zero, .one, .zero, .zero, .one, .zero, .zero, .zero, .zero, .zero, .one], [0, 1])
        #expect(throws: NoiseError.cannotTranslate(gate: "unitary", basis: ["cx", "rz", "sx", "x"])) {
            try circuit.translated(toBasis: ["rz", "sx", "x", "cx"])
        }
        var h = QuantumCircuit(numQubits: 1)
        h.h(0)
        #expect(throws: NoiseError.self) { try h.translated(toBasis: ["rz", "cx"]) }
    }

    @Test("a fake backend's model names its basis, and only circuits with uncovered gates are translated")
    func deviceBasis() throws {
        let manila = try NoiseModel(aerJSONFile: noiseFixtures.appendingPathComponent("manila.json").path)
        #expect(manila.deviceBasis == ["rz", "sx", "x", "cx"])
        var covered = QuantumCircuit(numQubits: 2)
        covered.sx(0); covered.rz(0.3, 0); covered.cx(0, 1)
        #expect(manila.basisNeeded(for: covered) == nil)
        var uncovered = covered
        uncovered.h(1)
        #expect(manila.basisNeeded(for: uncovered) == ["rz", "sx", "x", "cx"])
        // The device numbers cover every gate: nothing to translate.
        let device = try DeviceNoise.parse(depolarizing: "1e-3,1e-2").model()
        #expect(device.basisNeeded(for: uncovered) == nil)
    }

    @Test("an ECR device (Sherbrooke) and a u1/u2/u3 device name their bases, and circuits translate into them")
    func otherDeviceBases() throws {
        let sherbrooke = try NoiseModel(aerJSONFile: noiseFixtures.appendingPathComponent("sherbrooke_q0-4.json").path)
        #expect(sherbrooke.deviceBasis == ["rz", "sx", "x", "ecr"])
        var old = NoiseModel()
        try old.add(try QuantumChannel.depolarizing(0.001), on: ["u2", "u3"])
        try old.add(try QuantumChannel.depolarizing(0.01, qubits: 2), on: ["cx"])
        #expect(old.deviceBasis == ["u1", "u2", "u3", "cx"])
        var circuit = QuantumCircuit(numQubits: 2)
        circuit.h(0); circuit.cx(0, 1); circuit.ry(0.4, 1); circuit.rz(0.3, 0)
        let translated = try circuit.translated(toBasis: ["u1", "u2", "u3", "cx"])
        // h is u2(0, π): one pulse, as IBM's transpiler wrote it; rz is u1.
        #expect(translated.instructions.map(\.operation.name) == ["u2", "cx", "u3", "u1"])
        let ecr = try circuit.translated(toBasis: ["rz", "sx", "x", "ecr"])
        #expect(ecr.instructions.filter { $0.operation.name == "ecr" }.count == 1)
    }
}
