import ComplexModule
import Foundation
import Quantum
import RealModule

/// A dense complex matrix as rows, for the slow reference code.
public typealias DenseMatrix = [[Complex<Double>]]

/// Independent gate matrices for tests, written from first principles (Pauli exponentials,
/// projector sums, and the matrices printed in Qiskit's documentation) — deliberately not from
/// `Quantum`'s own tables, so each can check the other.
///
/// Convention (Qiskit's): the gate's first qubit argument is the least significant bit.
public enum ReferenceGates {
    static let zero = Complex<Double>(0)
    static let one = Complex<Double>(1)
    static let i = Complex<Double>(0, 1)

    /// The n × n identity.
    public static func identity(_ n: Int) -> DenseMatrix {
        (0..<n).map { r in (0..<n).map { c in r == c ? one : zero } }
    }

    /// a · b.
    public static func multiply(_ a: DenseMatrix, _ b: DenseMatrix) -> DenseMatrix {
        let n = a.count, m = b[0].count, inner = b.count
        var out = DenseMatrix(repeating: [Complex<Double>](repeating: zero, count: m), count: n)
        for r in 0..<n {
            for k in 0..<inner where a[r][k] != zero {
                for c in 0..<m { out[r][c] = out[r][c] + a[r][k] * b[k][c] }
            }
        }
        return out
    }

    /// `high ⊗ low` (low acts on the low bits).
    public static func kron(_ high: DenseMatrix, _ low: DenseMatrix) -> DenseMatrix {
        let h = high.count, l = low.count
        var out = DenseMatrix(repeating: [Complex<Double>](repeating: zero, count: h * l), count: h * l)
        for a in 0..<h {
            for b in 0..<h {
                for c in 0..<l {
                    for d in 0..<l { out[a * l + c][b * l + d] = high[a][b] * low[c][d] }
                }
            }
        }
        return out
    }

    /// a + b.
    public static func add(_ a: DenseMatrix, _ b: DenseMatrix) -> DenseMatrix {
        zip(a, b).map { zip($0, $1).map { $0 + $1 } }
    }

    /// s · a.
    public static func scale(_ a: DenseMatrix, _ s: Complex<Double>) -> DenseMatrix { a.map { $0.map { $0 * s } } }

    static let X: DenseMatrix = [[zero, one], [one, zero]]
    static let Y: DenseMatrix = [[zero, -i], [i, zero]]
    static let Z: DenseMatrix = [[one, zero], [zero, -one]]
    static let I2 = identity(2)
    static let P0: DenseMatrix = [[one, zero], [zero, zero]]
    static let P1: DenseMatrix = [[zero, zero], [zero, one]]

    /// exp(−iθ/2 · P) for an involution P (P² = I): cos(θ/2) I − i sin(θ/2) P.
    static func rotation(_ theta: Double, _ p: DenseMatrix) -> DenseMatrix {
        add(scale(identity(p.count), Complex(cos(theta / 2))), scale(p, Complex(0, -sin(theta / 2))))
    }

    static func phaseMatrix(_ lambda: Double) -> DenseMatrix { [[one, zero], [zero, Complex(cos(lambda), sin(lambda))]] }

    /// U(θ, φ, λ) = e^{i(φ+λ)/2} Rz(φ) Ry(θ) Rz(λ).
    static func u(_ theta: Double, _ phi: Double, _ lambda: Double) -> DenseMatrix {
        let zyz = multiply(rotation(phi, Z), multiply(rotation(theta, Y), rotation(lambda, Z)))
        return scale(zyz, Complex(cos((phi + lambda) / 2), sin((phi + lambda) / 2)))
    }

    /// |0⟩⟨0| ⊗ I + |1⟩⟨1| ⊗ U with the control as the least significant bit, repeated for
    /// several controls (all on the low bits, all required to be 1).
    static func controlled(_ u: DenseMatrix, controls: Int) -> DenseMatrix {
        var m = u
        for _ in 0..<controls {
            // Each new control takes bit 0 and shifts the gate up one bit; all controls are
            // symmetric (all must be 1), so their order does not matter.
            m = add(kron(identity(m.count), P0), kron(m, P1))
        }
        return m
    }

    /// The full matrix of a gate kind with numeric angles.
    public static func matrix(_ kind: GateKind, _ v: [Double]) -> DenseMatrix {
        let sqrtX: DenseMatrix = [[Complex(0.5, 0.5), Complex(0.5, -0.5)], [Complex(0.5, -0.5), Complex(0.5, 0.5)]]
        let h = scale([[one, one], [one, -one]], Complex(1 / 2.0.squareRoot()))
        let swap: DenseMatrix = [[one, zero, zero, zero], [zero, zero, one, zero], [zero, one, zero, zero], [zero, zero, zero, one]]
        switch kind {
        case .id: return I2
        case .x: return X
        case .y: return Y
        case .z: return Z
        case .h: return h
        case .s: return [[one, zero], [zero, i]]
        case .sdg: return [[one, zero], [zero, -i]]
        case .t: return phaseMatrix(.pi / 4)
        case .tdg: return phaseMatrix(-.pi / 4)
        case .sx: return sqrtX
        case .sxdg: return sqrtX.indices.map { r in sqrtX.indices.map { c in sqrtX[c][r].conjugate } }
        case .rx: return rotation(v[0], X)
        case .ry: return rotation(v[0], Y)
        case .rz: return rotation(v[0], Z)
        case .p, .u1: return phaseMatrix(v[0])
        case .u2: return u(.pi / 2, v[0], v[1])
        case .u, .u3: return u(v[0], v[1], v[2])
        case .cx: return controlled(X, controls: 1)
        case .cy: return controlled(Y, controls: 1)
        case .cz: return controlled(Z, controls: 1)
        case .ch: return controlled(h, controls: 1)
        case .cs: return controlled([[one, zero], [zero, i]], controls: 1)
        case .csdg: return controlled([[one, zero], [zero, -i]], controls: 1)
        case .csx: return controlled(sqrtX, controls: 1)
        case .swap: return swap
        case .iswap: return [[one, zero, zero, zero], [zero, zero, i, zero], [zero, i, zero, zero], [zero, zero, zero, one]]
        case .dcx: return [[one, zero, zero, zero], [zero, zero, zero, one], [zero, one, zero, zero], [zero, zero, one, zero]]
        case .ecr:
            // Qiskit's documented matrix: (1/√2)[[0, 1, 0, i], [1, 0, −i, 0], [0, i, 0, 1], [−i, 0, 1, 0]].
            return scale([[zero, one, zero, i], [one, zero, -i, zero], [zero, i, zero, one], [-i, zero, one, zero]],
                         Complex(1 / 2.0.squareRoot()))
        case .cp, .cu1: return controlled(phaseMatrix(v[0]), controls: 1)
        case .crx: return controlled(rotation(v[0], X), controls: 1)
        case .cry: return controlled(rotation(v[0], Y), controls: 1)
        case .crz: return controlled(rotation(v[0], Z), controls: 1)
        case .cu: return controlled(scale(u(v[0], v[1], v[2]), Complex(cos(v[3]), sin(v[3]))), controls: 1)
        case .cu3: return controlled(u(v[0], v[1], v[2]), controls: 1)
        case .rxx: return rotation(v[0], kron(X, X))
        case .ryy: return rotation(v[0], kron(Y, Y))
        case .rzz: return rotation(v[0], kron(Z, Z))
        case .rzx: return rotation(v[0], kron(X, Z))  // Z on the first argument (low bit), X on the second
        case .ccx: return controlled(X, controls: 2)
        case .cswap: return controlled(swap, controls: 1)
        case .rccx:
            // Qiskit's documented matrix of RCCXGate.
            var m = identity(8)
            m[3][3] = zero; m[7][7] = zero
            m[3][7] = -i; m[7][3] = i
            m[5][5] = -one
            return m
        case .rc3x:
            // Qiskit's documented matrix of RC3XGate (relative-phase 3-controlled X).
            var m = identity(16)
            m[7][7] = zero; m[15][15] = zero
            m[7][15] = one; m[15][7] = -one
            m[3][3] = i; m[11][11] = -i
            return m
        case .c3sqrtx: return controlled(sqrtX, controls: 3)
        case .mcx(let n): return controlled(X, controls: n)
        case .mcz(let n): return controlled(Z, controls: n)
        case .mcp(let n): return controlled(phaseMatrix(v[0]), controls: n)
        case .unitary: return []
        }
    }
}
