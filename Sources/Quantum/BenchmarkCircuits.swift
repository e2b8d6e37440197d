import Foundation

// The benchmark's circuits as users bring them: transpiled to a hardware basis. Each builder
// writes the gates Qiskit 2's transpiler writes for the same circuit (same gate counts, same
// operator up to a global phase, which OpenQASM 2 does not carry); Tests/QuantumTests checks them
// against Qiskit's own output (Fixtures/transpiled.json, made by make_transpiled_fixtures.py).

extension QuantumBenchmark {
    /// A basis gate set a transpiler writes circuits in.
    public enum Basis: String, Sendable, CaseIterable {
        /// `u` and `cx` (Qiskit's `basis_gates=['u', 'cx']`).
        case uCX = "u+cx"
        /// `rz`, `sx` and `cx` (IBM's basis without `x`).
        case rzSXCX = "rz+sx+cx"
    }

    /// The QFT of ``QuantumCircuit/qft(numQubits:swaps:)`` written in a basis as Qiskit's
    /// transpiler writes it: in `u+cx` (optimization level 0) `h` is `u(π/2, 0, π)`, `cp(λ) c,t` is
    /// `u(0,0,λ/2) c; cx c,t; u(0,0,−λ/2) t; cx c,t; u(0,0,λ/2) t` and `swap a,b` is three cx; in
    /// `rz+sx+cx` (level 1) `h` is `rz(π/2) sx rz(π/2)`, each phase an `rz`, and consecutive `rz`
    /// on a qubit are merged. 24 qubits: 852 u + 588 cx, or 830 rz + 24 sx + 588 cx.
    /// - Parameters:
    ///   - n: the width.
    ///   - basis: the gate set.
    /// - Returns: the circuit (no measurements).
    public static func transpiledQFT(numQubits n: Int, basis: Basis) -> QuantumCircuit {
        var circuit = QuantumCircuit(numQubits: n)
        circuit.name = basis == .uCX ? "qft-ucx-\(n)" : "qft-rzsx-\(n)"
        // The rz waiting on each qubit, merged with the next rz there (rz+sx+cx only).
        var pending = [Double?](repeating: nil, count: n)
        func flush(_ q: Int) {
            if let angle = pending[q] { circuit.rz(angle, q) }
            pending[q] = nil
        }
        func phase(_ angle: Double, _ q: Int) {
            if basis == .uCX {
                circuit.u(0, 0, angle, q)
            } else {
                pending[q] = (pending[q] ?? 0) + angle
            }
        }
        func cx(_ c: Int, _ t: Int) {
            flush(c)
            flush(t)
            circuit.cx(c, t)
        }
        for j in stride(from: n - 1, through: 0, by: -1) {
            if basis == .uCX {
                circuit.u(Double.pi / 2, 0, Double.pi, j)
            } else {
                phase(Double.pi / 2, j)
                flush(j)
                circuit.sx(j)
                phase(Double.pi / 2, j)
            }
            for k in stride(from: j - 1, through: 0, by: -1) {
                let lambda = Double.pi / Double(1 << min(j - k, 62))
                phase(lambda / 2, j)
                cx(j, k)
                phase(-lambda / 2, k)
                cx(j, k)
                phase(lambda / 2, k)
            }
        }
        for i in 0..<(n / 2) {
            cx(i, n - 1 - i)
            cx(n - 1 - i, i)
            cx(i, n - 1 - i)
        }
        for q in 0..<n { flush(q) }
        return circuit
    }

    /// A QAOA ansatz for MaxCut on a ring (Qiskit's `QAOAAnsatz` of Σ Z_i Z_{i+1 mod n}, `layers`
    /// repetitions) with the given angles, written in `rz+sx+x+cx` as Qiskit's transpiler writes
    /// it at optimization level 1: the initial `h` as `rz(π/2) sx rz(π/2)`; each `rzz(2γ)` on an edge
    /// (a, b), a < b, as `cx a,b; rz(2γ) b; cx a,b`; each mixer `rx(2β)` as
    /// `rz(π/2) sx rz(2β + π) sx rz(5π/2)`.
    /// - Parameters:
    ///   - n: the width (at least 2).
    ///   - gammas: the cost angles, one per layer.
    ///   - betas: the mixer angles, one per layer.
    /// - Returns: the circuit.
    public static func qaoaRing(numQubits n: Int, gammas: [Double], betas: [Double]) -> QuantumCircuit {
        var circuit = QuantumCircuit(numQubits: n)
        circuit.name = "qaoa-\(n)"
        for q in 0..<n {
            circuit.rz(Double.pi / 2, q)
            circuit.sx(q)
            circuit.rz(Double.pi / 2, q)
        }
        for (gamma, beta) in zip(gammas, betas) {
            for i in 0..<n {
                let (a, b) = (min(i, (i + 1) % n), max(i, (i + 1) % n))
                circuit.cx(a, b)
                circuit.rz(2 * gamma, b)
                circuit.cx(a, b)
            }
            for q in 0..<n {
                circuit.rz(Double.pi / 2, q)
                circuit.sx(q)
                circuit.rz(2 * beta + Double.pi, q)
                circuit.sx(q)
                circuit.rz(5 * Double.pi / 2, q)
            }
        }
        return circuit
    }

    /// Qiskit's `efficient_su2(n, entanglement="full", reps)` with the given angles, written in
    /// `u+cx` as Qiskit's transpiler writes it at optimization level 1: each rotation layer's
    /// `ry(θ)·rz(φ)` on a qubit as one `u(θ, φ, 0)`, and the entangling layers as `cx i,j` for every
    /// i < j in the order the transpiler writes them: by target j, then control i. `angles` holds 2n(reps + 1) values in Qiskit's parameter order: per layer,
    /// the n ry angles, then the n rz angles.
    /// - Parameters:
    ///   - n: the width.
    ///   - reps: the entangling repetitions.
    ///   - angles: the angles (missing ones are 0).
    /// - Returns: the circuit.
    public static func efficientSU2Full(numQubits n: Int, reps: Int, angles: [Double]) -> QuantumCircuit {
        var circuit = QuantumCircuit(numQubits: n)
        circuit.name = "su2-\(n)"
        func angle(_ i: Int) -> Double { i < angles.count ? angles[i] : 0 }
        for layer in 0...max(reps, 0) {
            let base = 2 * n * layer
            for q in 0..<n { circuit.u(angle(base + q), angle(base + n + q), 0, q) }
            guard layer < reps else { break }
            for j in 0..<n {
                for i in 0..<j { circuit.cx(i, j) }
            }
        }
        return circuit
    }

    /// The seeded angles of the benchmark's QAOA and EfficientSU2 circuits: uniform in (−π, π].
    static func angles(_ count: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in (rng.nextUniform() * 2 - 1) * Double.pi }
    }
}
