import ComplexModule
import Foundation
import RealModule

// Translation of a circuit into a device's basis gates, so that a noise model made for that
// device (rz, sx, x and cx or cz, as IBM's backends and `NoiseModel.from_backend` have them)
// puts its errors where the device would: gate by gate, with no optimisation and no qubit
// routing (two-qubit gates stay on their qubits; the model's local errors decide which pairs are
// noisy). Every translation is exact up to a global phase, which no measurement sees; symbolic
// angles stay symbolic (rz(θ + π)), so parameterised circuits translate once.

extension QuantumCircuit {
    /// The circuit with every gate rewritten in basis gates: one-qubit gates as
    /// rz(λ)·sx·rz(θ + π)·sx·rz(φ + π) for U(θ, φ, λ) (just rz for diagonal gates, x kept when the
    /// basis has it), two-qubit gates through cx (or cz: cx = H·cz·H on the target).
    /// - Parameter basis: gate names; it must hold rz and sx, and cx or cz when the circuit has
    ///   two-qubit gates (x is used when present). Names other than gates (measure, reset, id,
    ///   delay) are ignored.
    /// - Returns: an equivalent circuit in the basis (measurements, resets, barriers and
    ///   conditions kept).
    /// - Throws: ``NoiseError/cannotTranslate(gate:basis:)`` for a basis without rz and sx, or a
    ///   gate with no translation here (three-qubit and wider gates, iswap, ecr, …).
    public func translated(toBasis basis: Set<String>) throws -> QuantumCircuit {
        let names = basis.sorted()
        // IBM's older devices (FakeBoeblingen, …) use u1, u2, u3: one-qubit gates become u3 (u1 when diagonal).
        let usesU = basis.contains("u3") && !basis.contains("sx")
        guard usesU || (basis.contains("rz") && basis.contains("sx")) else {
            throw NoiseError.cannotTranslate(gate: "any one-qubit gate", basis: names + ["(needs rz and sx, or u3)"])
        }
        let twoQubit: String? = basis.contains("cx") ? "cx" : basis.contains("cz") ? "cz" : basis.contains("ecr") ? "ecr" : nil
        var translator = BasisTranslator(hasX: basis.contains("x"), twoQubit: twoQubit, basis: names, usesU: usesU)
        var copy = self
        var out: [Instruction] = []
        for instruction in instructions {
            guard case .gate(let gate) = instruction.operation, !basis.contains(gate.name) || gate.name == "unitary" else {
                out.append(instruction)
                continue
            }
            for (g, qubits) in try translator.translate(gate, on: instruction.qubits) {
                out.append(Instruction(operation: .gate(g), qubits: qubits, clbits: [], condition: instruction.condition))
            }
        }
        copy.replaceInstructions(out)
        return copy
    }
}

private struct BasisTranslator {
    let hasX: Bool
    let twoQubit: String?
    let basis: [String]
    /// One-qubit gates as u3 (u1 when diagonal) rather than rz and sx.
    var usesU = false

    typealias Piece = (Gate, [Int])

    /// A diagonal phase: rz (u1 in the u basis; the two differ by a global phase).
    func rz(_ angle: ParameterExpression, _ q: Int) -> Piece { (Gate(kind: usesU ? .u1 : .rz, parameters: [angle]), [q]) }
    func sx(_ q: Int) -> Piece { (Gate(kind: .sx), [q]) }

    /// U(θ, φ, λ) up to a global phase: rz(λ), sx, rz(θ + π), sx, rz(φ + π); u3(θ, φ, λ) in the u basis.
    func u(_ theta: ParameterExpression, _ phi: ParameterExpression, _ lambda: ParameterExpression, _ q: Int) -> [Piece] {
        if usesU {
            // u2 (one pulse) and u1 (none) where θ allows, as IBM's transpiler wrote them: their errors are smaller.
            if let value = theta.value, abs(value - .pi / 2) < 1e-14 { return [(Gate(kind: .u2, parameters: [phi, lambda]), [q])] }
            if let value = theta.value, abs(value) < 1e-14 { return [rz(phi + lambda, q)] }
            return [(Gate(kind: .u3, parameters: [theta, phi, lambda]), [q])]
        }
        return [rz(lambda, q), sx(q), rz(theta + .constant(.pi), q), sx(q), rz(phi + .constant(.pi), q)]
    }

    /// A numeric one-qubit unitary as U(θ, φ, λ) angles (global phase dropped), or as one rz
    /// when it is diagonal.
    func numeric(_ m: SmallMatrix, _ q: Int) -> [Piece] {
        let a = m[0, 0], b = m[0, 1], c = m[1, 0], d = m[1, 1]
        if b.length < 1e-14 && c.length < 1e-14 {
            let angle = phase(d) - phase(a)
            return abs(remainder(angle, 2 * .pi)) < 1e-14 ? [] : [rz(.constant(angle), q)]
        }
        if hasX && a.length < 1e-14 && d.length < 1e-14 && abs(phase(c) - phase(b)) < 1e-14 {
            return [(Gate(kind: .x), [q])]
        }
        let theta = 2 * Double.atan2(y: c.length, x: a.length)
        // φ + λ = arg d − arg a, φ − λ = arg c − arg(−b) (with the missing one free when θ = 0 or π).
        let sum = a.length > 1e-14 ? phase(d) - phase(a) : 0
        let difference = c.length > 1e-14 ? phase(c) - phase(-b) : 0
        let phi = (sum + difference) / 2, lambda = (sum - difference) / 2
        return u(.constant(theta), .constant(phi), .constant(lambda), q)
    }

    private func phase(_ z: Complex<Double>) -> Double { Double.atan2(y: z.imaginary, x: z.real) }

    /// cx(control, target) in the basis.
    func cx(_ c: Int, _ t: Int) throws -> [Piece] {
        switch twoQubit {
        case "cx": return [(Gate(kind: .cx), [c, t])]
        case "cz":
            let h = numeric(GateDefinitions.hadamard, t)
            return h + [(Gate(kind: .cz), [c, t])] + h
        case "ecr":
            // Qiskit's ecr body is e^{iπ/4}·ECR = X_c·CX·(S_c ⊗ SX_t), so CX ∝ X_c·ECR·(S†_c ⊗ SX†_t).
            let sdg = numeric(GateDefinitions.structure(of: Gate(kind: .sdg), values: []).target, c)
            let sxdg = numeric(GateDefinitions.structure(of: Gate(kind: .sxdg), values: []).target, t)
            let x = numeric(GateDefinitions.structure(of: Gate(kind: .x), values: []).target, c)
            return sdg + sxdg + [(Gate(kind: .ecr), [c, t])] + x
        default: throw NoiseError.cannotTranslate(gate: "cx", basis: basis + ["(needs cx, cz or ecr)"])
        }
    }

    mutating func translate(_ gate: Gate, on q: [Int]) throws -> [Piece] {
        let p = gate.parameters
        switch gate.kind {
        case .id: return []
        case .rz, .p, .u1: return [rz(p[0], q[0])]
        case .rx: return u(p[0], .constant(-.pi / 2), .constant(.pi / 2), q[0])
        case .ry: return u(p[0], .constant(0), .constant(0), q[0])
        case .u, .u3: return u(p[0], p[1], p[2], q[0])
        case .u2: return u(.constant(.pi / 2), p[0], p[1], q[0])
        case .x where hasX: return [(Gate(kind: .x), q)]
        case .sx where !usesU: return [sx(q[0])]
        case .x, .y, .z, .h, .s, .sdg, .t, .tdg, .sx, .sxdg:
            return numeric(GateDefinitions.structure(of: gate, values: []).target, q[0])
        case .cx: return try cx(q[0], q[1])
        case .cz:
            if twoQubit == "cz" { return [(Gate(kind: .cz), q)] }
            let h = numeric(GateDefinitions.hadamard, q[1])
            return try h + cx(q[0], q[1]) + h
        case .cy:
            return try numeric(GateDefinitions.structure(of: Gate(kind: .sdg), values: []).target, q[1]) + cx(q[0], q[1])
                + numeric(GateDefinitions.structure(of: Gate(kind: .s), values: []).target, q[1])
        case .cp, .cu1:
            // cp(λ) = p(λ/2)_c · cx · p(−λ/2)_t · cx · p(λ/2)_t
            let half = p[0] / .constant(2)
            return try [rz(half, q[0])] + cx(q[0], q[1]) + [rz(-half, q[1])] + cx(q[0], q[1]) + [rz(half, q[1])]
        case .crz:
            let half = p[0] / .constant(2)
            return try [rz(half, q[1])] + cx(q[0], q[1]) + [rz(-half, q[1])] + cx(q[0], q[1])
        case .cry:
            let half = p[0] / .constant(2)
            return try u(half, .constant(0), .constant(0), q[1]) + cx(q[0], q[1]) + u(-half, .constant(0), .constant(0), q[1]) + cx(q[0], q[1])
        case .rzz:
            return try cx(q[0], q[1]) + [rz(p[0], q[1])] + cx(q[0], q[1])
        case .rxx:
            let h0 = numeric(GateDefinitions.hadamard, q[0]), h1 = numeric(GateDefinitions.hadamard, q[1])
            return try h0 + h1 + cx(q[0], q[1]) + [rz(p[0], q[1])] + cx(q[0], q[1]) + h0 + h1
        case .swap:
            return try cx(q[0], q[1]) + cx(q[1], q[0]) + cx(q[0], q[1])
        default:
            guard let steps = Self.decomposition(of: gate.kind, p, q) else { throw NoiseError.cannotTranslate(gate: gate.name, basis: basis) }
            var out: [Piece] = []
            for (kind, angles, qubits) in steps { out += try translate(Gate(kind: kind, parameters: angles), on: qubits) }
            return out
        }
    }

    /// The remaining gates in terms of the ones above: qelib1.inc's definitions (ch, crx, cu3, cu,
    /// csx, ccx, cswap, rccx, rc3x) and those Qiskit's exporter writes (cs, csdg, iswap, dcx, ecr,
    /// ryy, rzx); the multi-controlled gates through the multi-controlled phase, as Verdant's QASM
    /// exporter writes them: mcx = H·mcphase(π)·H on the target, mcz = mcphase(π), c3sqrtx =
    /// H·mcphase(π/2)·H, and mcphase with n controls = cu1(λ/2)(c_{n−1}, t) · mcx_{n−1}(c_0…c_{n−2} →
    /// c_{n−1}) · cu1(−λ/2)(c_{n−1}, t) · mcx_{n−1} · mcphase_{n−1}(λ/2)(c_0…c_{n−2}, t) (Barenco et
    /// al. 1995, lemma 7.5; about 3^n gates). Each is exact up to a global phase
    /// (`BasisTranslationTests` checks every one against its matrix); nil for `unitary`.
    static func decomposition(of kind: GateKind, _ p: [ParameterExpression], _ q: [Int])
        -> [(GateKind, [ParameterExpression], [Int])]?
    {
        let pi = Double.pi
        func c(_ value: Double) -> ParameterExpression { .constant(value) }
        switch kind {
        case .ch:
            return [(.s, [], [q[1]]), (.h, [], [q[1]]), (.t, [], [q[1]]), (.cx, [], q), (.tdg, [], [q[1]]), (.h, [], [q[1]]), (.sdg, [], [q[1]])]
        case .crx:
            return [(.u1, [c(pi / 2)], [q[1]]), (.cx, [], q), (.u3, [-(p[0] / c(2)), c(0), c(0)], [q[1]]), (.cx, [], q),
                    (.u3, [p[0] / c(2), c(-pi / 2), c(0)], [q[1]])]
        case .cu3, .cu:
            // cu3(θ, φ, λ); cu adds p(γ) on the control.
            let (theta, phi, lambda) = (p[0], p[1], p[2])
            let gamma: [(GateKind, [ParameterExpression], [Int])] = kind == .cu ? [(.p, [p[3]], [q[0]])] : []
            return gamma + [(.u1, [(lambda + phi) / c(2)], [q[0]]), (.u1, [(lambda - phi) / c(2)], [q[1]]), (.cx, [], q),
                            (.u3, [-(theta / c(2)), c(0), -((phi + lambda) / c(2))], [q[1]]), (.cx, [], q),
                            (.u3, [theta / c(2), phi, c(0)], [q[1]])]
        case .csx:
            return [(.h, [], [q[1]]), (.cu1, [c(pi / 2)], q), (.h, [], [q[1]])]
        case .cs, .csdg:
            let (first, second): (GateKind, GateKind) = kind == .cs ? (.t, .tdg) : (.tdg, .t)
            return [(first, [], [q[0]]), (.cx, [], q), (second, [], [q[1]]), (.cx, [], q), (first, [], [q[1]])]
        case .iswap:
            return [(.s, [], [q[0]]), (.s, [], [q[1]]), (.h, [], [q[0]]), (.cx, [], q), (.cx, [], [q[1], q[0]]), (.h, [], [q[1]])]
        case .dcx:
            return [(.cx, [], q), (.cx, [], [q[1], q[0]])]
        case .ecr:
            return [(.s, [], [q[0]]), (.sx, [], [q[1]]), (.cx, [], q), (.x, [], [q[0]])]
        case .ryy:
            return [(.sxdg, [], [q[0]]), (.sxdg, [], [q[1]]), (.cx, [], q), (.rz, [p[0]], [q[1]]), (.cx, [], q),
                    (.sx, [], [q[0]]), (.sx, [], [q[1]])]
        case .rzx:
            return [(.h, [], [q[1]]), (.cx, [], q), (.rz, [p[0]], [q[1]]), (.cx, [], q), (.h, [], [q[1]])]
        case .ccx:
            let (a, b, t) = (q[0], q[1], q[2])
            return [(.h, [], [t]), (.cx, [], [b, t]), (.tdg, [], [t]), (.cx, [], [a, t]), (.t, [], [t]), (.cx, [], [b, t]),
                    (.tdg, [], [t]), (.cx, [], [a, t]), (.t, [], [b]), (.t, [], [t]), (.h, [], [t]), (.cx, [], [a, b]),
                    (.t, [], [a]), (.tdg, [], [b]), (.cx, [], [a, b])]
        case .cswap:
            return [(.cx, [], [q[2], q[1]]), (.ccx, [], q), (.cx, [], [q[2], q[1]])]
        case .rc3x:
            let (a, b, cc, d) = (q[0], q[1], q[2], q[3])
            let h: (GateKind, [ParameterExpression], [Int]) = (.u2, [c(0), c(pi)], [d])
            func u1(_ angle: Double) -> (GateKind, [ParameterExpression], [Int]) { (.u1, [c(angle)], [d]) }
            return [h, u1(pi / 4), (.cx, [], [cc, d]), u1(-pi / 4), h, (.cx, [], [a, d]), u1(pi / 4), (.cx, [], [b, d]), u1(-pi / 4),
                    (.cx, [], [a, d]), u1(pi / 4), (.cx, [], [b, d]), u1(-pi / 4), h, u1(pi / 4), (.cx, [], [cc, d]), u1(-pi / 4), h]
        case .c3sqrtx:
            return [(.h, [], [q[3]]), (.mcp(controls: 3), [c(pi / 2)], q), (.h, [], [q[3]])]
        case .mcx(let controls):
            return [(.h, [], [q[controls]]), (.mcp(controls: controls), [c(pi)], q), (.h, [], [q[controls]])]
        case .mcz(let controls):
            return [(.mcp(controls: controls), [c(pi)], q)]
        case .mcp(let n):
            // Lemma 7.5: the last control's phase split in halves around an (n−1)-controlled X onto it.
            let (t, last) = (q[n], q[n - 1])
            let rest = Array(q[..<(n - 1)])
            let half = p[0] / c(2)
            let smallerX: GateKind = n - 1 == 1 ? .cx : n - 1 == 2 ? .ccx : .mcx(controls: n - 1)
            let smallerP: GateKind = n - 1 == 1 ? .cu1 : .mcp(controls: n - 1)
            return [(.cu1, [half], [last, t]), (smallerX, [], rest + [last]), (.cu1, [-half], [last, t]), (smallerX, [], rest + [last]),
                    (smallerP, [half], rest + [t])]
        case .rccx:
            let t = q[2]
            return [(.u2, [c(0), c(pi)], [t]), (.u1, [c(pi / 4)], [t]), (.cx, [], [q[1], t]), (.u1, [c(-pi / 4)], [t]),
                    (.cx, [], [q[0], t]), (.u1, [c(pi / 4)], [t]), (.cx, [], [q[1], t]), (.u1, [c(-pi / 4)], [t]),
                    (.u2, [c(0), c(pi)], [t])]
        default:
            return nil
        }
    }
}

extension NoiseModel {
    /// The basis a model describes: rz (free on IBM devices, so without error) and the model's
    /// noisy gates among those ``QuantumCircuit/translated(toBasis:)`` targets (sx, x and cx, cz
    /// or ecr); or, for an older device with u2/u3 errors and no sx (FakeBoeblingen), u1, u2, u3
    /// and its two-qubit gate.
    /// - Returns: the gate names, or nil when the model has no sx or u3 error (it is not a device model).
    public var deviceBasis: Set<String>? {
        let noisy = Set(noisyInstructions)
        let twoQubit = noisy.intersection(["cx", "cz", "ecr"])
        if noisy.contains("sx") { return Set(["rz"]).union(noisy.intersection(["sx", "x"])).union(twoQubit) }
        if noisy.contains("u3") { return Set(["u1", "u2", "u3"]).union(twoQubit) }
        return nil
    }
}

extension NoiseModel {
    /// The basis to translate a circuit to before simulating it under this model: the
    /// ``deviceBasis`` when the circuit has gates the model has no error for (which would run
    /// ideally), else nil (the circuit is simulated as it is).
    /// - Parameter circuit: the circuit.
    /// - Returns: the basis, or nil.
    public func basisNeeded(for circuit: QuantumCircuit) -> Set<String>? {
        guard let basis = deviceBasis else { return nil }
        let uncovered = circuit.instructions.contains { instruction in
            guard case .gate(let gate) = instruction.operation, gate.kind != .id else { return false }
            // rz and u1 are virtual on IBM devices: without error in the model, and in the basis.
            return error(for: gate.name, on: instruction.qubits) == nil && !(["rz", "u1"].contains(gate.name) && basis.contains(gate.name))
        }
        return uncovered ? basis : nil
    }
}
