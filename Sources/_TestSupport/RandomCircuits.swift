import ComplexModule
import RealModule
import Foundation
import Quantum

/// Seeded random circuits and unitaries for property tests.
public enum RandomCircuits {
    /// A random angle in (−π, π].
    public static func angle(_ rng: inout SeededGenerator) -> Double {
        (rng.nextUniform() * 2 - 1) * Double.pi
    }

    /// A Haar-ish random unitary of dimension `d` (Gram–Schmidt on a complex Gaussian matrix).
    public static func unitary(_ d: Int, _ rng: inout SeededGenerator) -> [Complex<Double>] {
        func gaussian() -> Double {
            let u1 = max(rng.nextUniform(), 1e-300), u2 = rng.nextUniform()
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        var columns: [[Complex<Double>]] = (0..<d).map { _ in (0..<d).map { _ in Complex(gaussian(), gaussian()) } }
        for j in 0..<d {
            for k in 0..<j {
                // columns[j] -= <columns[k], columns[j]> columns[k]
                var dot = Complex<Double>.zero
                for r in 0..<d { dot = dot + columns[k][r].conjugate * columns[j][r] }
                for r in 0..<d { columns[j][r] = columns[j][r] - dot * columns[k][r] }
            }
            let norm = columns[j].reduce(0.0) { $0 + $1.lengthSquared }.squareRoot()
            columns[j] = columns[j].map { $0 / Complex(norm) }
        }
        // Row-major entries: entry (r, c) = columns[c][r].
        var entries: [Complex<Double>] = []
        for r in 0..<d { for c in 0..<d { entries.append(columns[c][r]) } }
        return entries
    }

    /// Appends a layer that makes |0…0⟩ a generic entangled state (so tests do not only see |0⟩).
    public static func prepareGenericState(_ circuit: inout QuantumCircuit, _ rng: inout SeededGenerator) {
        let n = circuit.numQubits
        for q in 0..<n { circuit.u(angle(&rng), angle(&rng), angle(&rng), q) }
        for q in 0..<max(n - 1, 0) { circuit.cx(q, q + 1) }
        for q in 0..<n { circuit.u(angle(&rng), angle(&rng), angle(&rng), q) }
    }

    /// Every fixed-width kind plus multi-controlled and unitary gates that fit in `width` qubits.
    public static func kinds(fitting width: Int) -> [GateKind] {
        var kinds = GateKind.standard.filter { $0.numQubits <= width }
        for c in stride(from: 3, to: width, by: 1) { kinds.append(.mcx(controls: c)) }
        for c in stride(from: 2, to: width, by: 1) {
            kinds.append(.mcz(controls: c))
            kinds.append(.mcp(controls: c))
        }
        return kinds
    }

    /// A gate of `kind` with random angles (a random unitary for `.unitary`).
    public static func gate(_ kind: GateKind, _ rng: inout SeededGenerator) throws -> Gate {
        if case .unitary(let k) = kind { return try Gate.unitary(unitary(1 << k, &rng)) }
        return try Gate(kind, (0..<kind.numParameters).map { _ in angle(&rng) })
    }

    /// A random circuit of `count` gates drawn from every kind that fits, on random distinct qubits.
    public static func circuit(qubits n: Int, gates count: Int, _ rng: inout SeededGenerator,
                               includeUnitaries: Bool = true) throws -> QuantumCircuit
    {
        var circuit = QuantumCircuit(numQubits: n)
        var kinds = kinds(fitting: n)
        if includeUnitaries { kinds += (1...min(3, n)).map { GateKind.unitary(qubits: $0) } }
        for _ in 0..<count {
            let kind = kinds[Int(rng.next() % UInt64(kinds.count))]
            var qubits = Array(0..<n)
            qubits.shuffle(using: &rng)
            circuit.append(try gate(kind, &rng), Array(qubits.prefix(kind.numQubits)))
        }
        return circuit
    }
}
