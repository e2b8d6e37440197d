import ComplexModule
import Foundation
import Quantum
import RealModule

/// Slow, dense density-matrix code for noise tests: ρ as a 2^n × 2^n matrix, channels applied as
/// Σ K ρ K† with every Kraus operator embedded into the full space element by element, and the
/// eigenvalues of Hermitian matrices by cyclic Jacobi rotations. Written without `Quantum`'s
/// density matrix, superoperators or kernels, so each can check the other.
public enum ReferenceDensityMatrix {
    /// |0…0⟩⟨0…0| on n qubits.
    public static func zero(_ n: Int) -> DenseMatrix {
        var rho = DenseMatrix(repeating: [Complex<Double>](repeating: .zero, count: 1 << n), count: 1 << n)
        rho[0][0] = .one
        return rho
    }

    /// The conjugate transpose.
    public static func adjoint(_ m: DenseMatrix) -> DenseMatrix {
        (0..<m[0].count).map { r in (0..<m.count).map { c in m[c][r].conjugate } }
    }

    /// Σ K ρ K† with each K (on `qubits`, bit j on qubits[j]) embedded in n qubits.
    public static func apply(_ kraus: [DenseMatrix], to rho: DenseMatrix, on qubits: [Int], width n: Int) -> DenseMatrix {
        let d = 1 << n
        var out = DenseMatrix(repeating: [Complex<Double>](repeating: .zero, count: d), count: d)
        for k in kraus {
            let full = ReferenceSimulator.embed(k, on: qubits, width: n)
            let term = ReferenceGates.multiply(ReferenceGates.multiply(full, rho), adjoint(full))
            for r in 0..<d { for c in 0..<d { out[r][c] = out[r][c] + term[r][c] } }
        }
        return out
    }

    /// U ρ U† for a gate on qubits.
    public static func apply(gate: Gate, to rho: DenseMatrix, on qubits: [Int], width n: Int) throws -> DenseMatrix {
        apply([try ReferenceSimulator.gateMatrix(gate)], to: rho, on: qubits, width: n)
    }

    /// A random density matrix of rank `rank`: A·A†/Tr with A's entries uniform in the unit square.
    public static func random(qubits n: Int, rank: Int, _ rng: inout SeededGenerator) -> DenseMatrix {
        let d = 1 << n
        let a: DenseMatrix = (0..<d).map { _ in (0..<rank).map { _ in Complex(rng.nextUniform() - 0.5, rng.nextUniform() - 0.5) } }
        var rho = ReferenceGates.multiply(a, adjoint(a))
        let trace = (0..<d).reduce(0.0) { $0 + rho[$1][$1].real }
        for r in 0..<d { for c in 0..<d { rho[r][c] = rho[r][c] / Complex(trace, 0) } }
        return rho
    }

    /// The eigenvalues of a Hermitian matrix (its upper triangle is read), ascending, by cyclic
    /// complex Jacobi rotations.
    public static func eigenvalues(_ hermitian: DenseMatrix) -> [Double] {
        let n = hermitian.count
        var a = hermitian
        for r in 0..<n {
            a[r][r] = Complex(a[r][r].real, 0)
            for c in (r + 1)..<max(r + 1, n) { a[c][r] = a[r][c].conjugate }
        }
        for _ in 0..<100 {
            var off = 0.0
            for r in 0..<n { for c in 0..<n where r != c { off += a[r][c].lengthSquared } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where a[p][q].length > 1e-300 {
                    // Rotate so that a[p][q] vanishes: phase e^{iφ} = a_pq/|a_pq|, angle θ from the real 2×2 problem.
                    let apq = a[p][q]
                    let g = apq.length
                    let phase = apq / Complex(g, 0)
                    let app = a[p][p].real, aqq = a[q][q].real
                    let theta = 0.5 * Double.atan2(y: 2 * g, x: aqq - app)
                    let c = Double.cos(theta), s = Double.sin(theta)
                    // J = [[c, s·e^{iφ}], [−s·e^{−iφ}, c]] on (p, q): A ← J† A J.
                    for k in 0..<n {
                        let akp = a[k][p], akq = a[k][q]
                        a[k][p] = akp * Complex(c, 0) - akq * phase.conjugate * Complex(s, 0)
                        a[k][q] = akp * phase * Complex(s, 0) + akq * Complex(c, 0)
                    }
                    for k in 0..<n {
                        let apk = a[p][k], aqk = a[q][k]
                        a[p][k] = apk * Complex(c, 0) - aqk * phase * Complex(s, 0)
                        a[q][k] = apk * phase.conjugate * Complex(s, 0) + aqk * Complex(c, 0)
                    }
                }
            }
        }
        return (0..<n).map { a[$0][$0].real }.sorted()
    }
}

extension ReferenceDensityMatrix {
    /// The density matrix of a circuit of gates (barriers, measurements and resets skipped) with
    /// each gate's error from the model, every step a dense Kraus sum.
    public static func run(_ circuit: QuantumCircuit, noise: NoiseModel) throws -> DenseMatrix {
        let n = circuit.numQubits
        var rho = zero(n)
        for instruction in circuit.instructions {
            guard case .gate(let gate) = instruction.operation else { continue }
            rho = try apply(gate: gate, to: rho, on: instruction.qubits, width: n)
            if let channel = noise.error(for: gate.name, on: instruction.qubits) {
                let d = 1 << channel.numQubits
                let kraus = channel.krausOperators.map { flat in (0..<d).map { r in Array(flat[(r * d)..<((r + 1) * d)]) } }
                rho = apply(kraus, to: rho, on: instruction.qubits, width: n)
            }
        }
        return rho
    }

    /// Tr(ρ·O) with O built densely from its Pauli strings.
    public static func expectation(_ rho: DenseMatrix, _ observable: PauliSum) -> Double {
        let n = observable.numQubits
        var total = 0.0
        for term in observable.terms {
            var p: DenseMatrix = [[.one]]
            for ch in term.label {
                let sigma: DenseMatrix = switch ch {
                case "X": [[.zero, .one], [.one, .zero]]
                case "Y": [[.zero, Complex(0, -1)], [Complex(0, 1), .zero]]
                case "Z": [[.one, .zero], [.zero, -.one]]
                default: [[.one, .zero], [.zero, .one]]
                }
                p = ReferenceGates.kron(p, sigma)
            }
            let product = ReferenceGates.multiply(rho, p)
            total += term.coefficient * (0..<(1 << n)).reduce(0.0) { $0 + product[$1][$1].real }
        }
        return total
    }

    /// Tr(ρσ).
    public static func overlap(_ rho: DenseMatrix, _ sigma: DenseMatrix) -> Double {
        let product = ReferenceGates.multiply(rho, sigma)
        return (0..<rho.count).reduce(0.0) { $0 + product[$1][$1].real }
    }
}
