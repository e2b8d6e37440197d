import ComplexModule
import RealModule
import Foundation
import Quantum

/// A slow, defensive dense-matrix simulator: every gate becomes a full 2^n × 2^n matrix built
/// element by element. The oracle for the fast simulator on small circuits (n ≤ 8).
public enum ReferenceSimulator {
    /// A circuit the reference cannot handle.
    public struct Failure: Error, CustomStringConvertible {
        /// What is wrong.
        public let description: String
    }

    /// The 2^n × 2^n matrix of `gate` acting on `qubits` (bit j of the gate index is `qubits[j]`).
    public static func embed(_ gate: DenseMatrix, on qubits: [Int], width: Int) -> DenseMatrix {
        let dimension = 1 << width
        var out = DenseMatrix(repeating: [Complex<Double>](repeating: .zero, count: dimension), count: dimension)
        for row in 0..<dimension {
            for column in 0..<dimension {
                // Bits outside `qubits` must agree between row and column.
                var agree = true
                for b in 0..<width where !qubits.contains(b) {
                    if (row >> b) & 1 != (column >> b) & 1 { agree = false; break }
                }
                guard agree else { continue }
                var r = 0, c = 0
                for (j, q) in qubits.enumerated() {
                    r |= ((row >> q) & 1) << j
                    c |= ((column >> q) & 1) << j
                }
                out[row][column] = gate[r][c]
            }
        }
        return out
    }

    /// The reference matrix of one gate with numeric angles.
    public static func gateMatrix(_ gate: Gate) throws -> DenseMatrix {
        if case .unitary(let k) = gate.kind {
            guard let entries = gate.unitaryMatrix else { throw Failure(description: "unitary without matrix") }
            let d = 1 << k
            return (0..<d).map { r in Array(entries[(r * d)..<((r + 1) * d)]) }
        }
        let values = try gate.parameters.map { p -> Double in
            guard let v = p.value else { throw Failure(description: "unbound parameter in \(gate)") }
            return v
        }
        return ReferenceGates.matrix(gate.kind, values)
    }

    /// The unitary of a circuit made of gates and barriers only.
    public static func unitary(of circuit: QuantumCircuit) throws -> DenseMatrix {
        let n = circuit.numQubits
        var total = ReferenceGates.identity(1 << n)
        for instruction in circuit.instructions {
            switch instruction.operation {
            case .barrier: continue
            case .gate(let g):
                guard instruction.condition == nil else { throw Failure(description: "conditioned gate") }
                total = ReferenceGates.multiply(embed(try gateMatrix(g), on: instruction.qubits, width: n), total)
            case .measure, .reset:
                throw Failure(description: "non-unitary instruction \(instruction)")
            }
        }
        return total
    }

    /// The final state of a gates-only circuit from |0…0⟩, straight from the definition of a
    /// gate acting on some qubits: new[i] = Σ_c M[sub(i)][c] · old[i with those bits set to c].
    public static func statevector(of circuit: QuantumCircuit) throws -> [Complex<Double>] {
        let n = circuit.numQubits
        var state = [Complex<Double>](repeating: .zero, count: 1 << n)
        state[0] = .one
        for instruction in circuit.instructions {
            switch instruction.operation {
            case .barrier: continue
            case .gate(let g):
                guard instruction.condition == nil else { throw Failure(description: "conditioned gate") }
                let m = try gateMatrix(g)
                let qubits = instruction.qubits
                var next = [Complex<Double>](repeating: .zero, count: state.count)
                for i in state.indices {
                    var row = 0
                    var cleared = i
                    for (j, q) in qubits.enumerated() {
                        if (i >> q) & 1 == 1 { row |= 1 << j }
                        cleared &= ~(1 << q)
                    }
                    var sum = Complex<Double>.zero
                    for column in 0..<m.count where m[row][column] != .zero {
                        var source = cleared
                        for (j, q) in qubits.enumerated() where (column >> j) & 1 == 1 { source |= 1 << q }
                        sum = sum + m[row][column] * state[source]
                    }
                    next[i] = sum
                }
                state = next
            case .measure, .reset:
                throw Failure(description: "non-unitary instruction \(instruction)")
            }
        }
        return state
    }
}

/// Distances between vectors and matrices, for tolerance checks.
public enum Distance {
    /// max_i |a_i − b_i|.
    public static func max<T: Real & BinaryFloatingPoint>(_ a: [Complex<T>], _ b: [Complex<T>]) -> Double {
        guard a.count == b.count else { return .infinity }
        var worst = 0.0
        for (x, y) in zip(a, b) {
            let d = x - y
            let re = Double(d.real), im = Double(d.imaginary)
            worst = Swift.max(worst, (re * re + im * im).squareRoot())
        }
        return worst
    }

    /// max over entries of two matrices.
    public static func max(_ a: DenseMatrix, _ b: DenseMatrix) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { max($0, $1) }.max() ?? 0
    }

    /// max over entries after aligning the global phase of `b` to `a` at `a`'s largest entry.
    public static func maxUpToPhase(_ a: DenseMatrix, _ b: DenseMatrix) -> Double {
        let flatA = a.flatMap { $0 }, flatB = b.flatMap { $0 }
        guard flatA.count == flatB.count, let k = flatA.indices.max(by: { flatA[$0].length < flatA[$1].length }),
              flatB[k].length > 1e-12
        else { return .infinity }
        let ratio = flatA[k] / flatB[k]
        let phase = ratio / Complex(ratio.length)
        return max(flatA, flatB.map { $0 * phase })
    }

    /// The same for vectors.
    public static func maxUpToPhase(_ a: [Complex<Double>], _ b: [Complex<Double>]) -> Double {
        maxUpToPhase([a], [b])
    }
}
