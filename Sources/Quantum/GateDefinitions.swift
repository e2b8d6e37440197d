import ComplexModule
import RealModule
import Foundation

/// How the simulator sees a gate: `numControls` leading qubit arguments that must all be |1⟩,
/// and a matrix on the remaining (target) arguments, whose first is the least significant bit.
struct GateStructure: Sendable {
    let numControls: Int
    let target: SmallMatrix

    var numTargets: Int { target.dimension.trailingZeroBitCount }

    /// The whole gate's matrix (controls on the low bits, as the gate's argument order says).
    func fullMatrix() -> SmallMatrix {
        if numControls == 0 { return target }
        let width = numControls + numTargets
        let dimension = 1 << width
        let controlMask = (1 << numControls) - 1
        var m = SmallMatrix.identity(dimension)
        for row in 0..<dimension where row & controlMask == controlMask {
            for column in 0..<dimension where column & controlMask == controlMask {
                m[row, column] = target[row >> numControls, column >> numControls]
            }
        }
        return m
    }
}

extension SmallMatrix {
    /// The matrix of `m` (on `qubits`, its bit j on `qubits[j]`) in a space of `width` qubits.
    static func embedding(_ m: SmallMatrix, on qubits: [Int], width: Int) -> SmallMatrix {
        let dimension = 1 << width
        let mask = qubits.reduce(0) { $0 | (1 << $1) }
        func sub(_ index: Int) -> Int {
            var s = 0
            for (j, q) in qubits.enumerated() where index & (1 << q) != 0 { s |= 1 << j }
            return s
        }
        var result = SmallMatrix(dimension: dimension, entries: Array(repeating: .zero, count: dimension * dimension))
        for row in 0..<dimension {
            for column in 0..<dimension where row & ~mask == column & ~mask {
                result[row, column] = m[sub(row), sub(column)]
            }
        }
        return result
    }
}

/// The matrices of every gate kind, with Qiskit's conventions.
enum GateDefinitions {
    private static func c(_ re: Double, _ im: Double = 0) -> Complex<Double> { Complex(re, im) }
    private static func phase(_ angle: Double) -> Complex<Double> { Complex(cos(angle), sin(angle)) }
    private static func m2(_ a: Complex<Double>, _ b: Complex<Double>, _ cc: Complex<Double>, _ d: Complex<Double>) -> SmallMatrix {
        SmallMatrix(dimension: 2, entries: [a, b, cc, d])
    }

    static let pauliX = m2(c(0), c(1), c(1), c(0))
    static let pauliY = m2(c(0), c(0, -1), c(0, 1), c(0))
    static let pauliZ = m2(c(1), c(0), c(0), c(-1))
    static let hadamard: SmallMatrix = {
        let r = 1 / 2.0.squareRoot()
        return m2(c(r), c(r), c(r), c(-r))
    }()
    static let sqrtX = m2(c(0.5, 0.5), c(0.5, -0.5), c(0.5, -0.5), c(0.5, 0.5))
    static let swapMatrix = SmallMatrix(dimension: 4, entries: [
        c(1), c(0), c(0), c(0),
        c(0), c(0), c(1), c(0),
        c(0), c(1), c(0), c(0),
        c(0), c(0), c(0), c(1),
    ])

    /// U(θ, φ, λ) = [[cos(θ/2), −e^{iλ} sin(θ/2)], [e^{iφ} sin(θ/2), e^{i(φ+λ)} cos(θ/2)]].
    static func u(_ theta: Double, _ phi: Double, _ lambda: Double) -> SmallMatrix {
        let ct = cos(theta / 2), st = sin(theta / 2)
        return m2(c(ct), -phase(lambda) * c(st), phase(phi) * c(st), phase(phi + lambda) * c(ct))
    }

    static func rx(_ theta: Double) -> SmallMatrix {
        let ct = cos(theta / 2), st = sin(theta / 2)
        return m2(c(ct), c(0, -st), c(0, -st), c(ct))
    }

    static func ry(_ theta: Double) -> SmallMatrix {
        let ct = cos(theta / 2), st = sin(theta / 2)
        return m2(c(ct), c(-st), c(st), c(ct))
    }

    static func rz(_ theta: Double) -> SmallMatrix { .diagonal([phase(-theta / 2), phase(theta / 2)]) }
    static func p(_ lambda: Double) -> SmallMatrix { .diagonal([c(1), phase(lambda)]) }

    /// exp(−iθ/2 · P⊗P) for a two-qubit Pauli product `pp` (a 4 × 4 matrix with pp² = I).
    static func pauliRotation(_ theta: Double, _ pp: SmallMatrix) -> SmallMatrix {
        let ct = cos(theta / 2), st = sin(theta / 2)
        var m = SmallMatrix.identity(pp.dimension).scaled(by: c(ct))
        for k in m.entries.indices { m.entries[k] = m.entries[k] + pp.entries[k] * c(0, -st) }
        return m
    }

    /// The relative-phase Toffoli of `qelib1.inc`, from its definition there.
    static let rccxMatrix: SmallMatrix = {
        let steps: [(SmallMatrix, [Int])] = [
            (u(.pi / 2, 0, .pi), [2]), (p(.pi / 4), [2]), (cxMatrix, [1, 2]), (p(-.pi / 4), [2]),
            (cxMatrix, [0, 2]), (p(.pi / 4), [2]), (cxMatrix, [1, 2]), (p(-.pi / 4), [2]),
            (u(.pi / 2, 0, .pi), [2]),
        ]
        return product(steps, width: 3)
    }()

    /// The relative-phase 3-controlled X of `qelib1.inc`, from its definition there.
    static let rc3xMatrix: SmallMatrix = {
        let h = u(.pi / 2, 0, .pi)
        let steps: [(SmallMatrix, [Int])] = [
            (h, [3]), (p(.pi / 4), [3]), (cxMatrix, [2, 3]), (p(-.pi / 4), [3]), (h, [3]),
            (cxMatrix, [0, 3]), (p(.pi / 4), [3]), (cxMatrix, [1, 3]), (p(-.pi / 4), [3]),
            (cxMatrix, [0, 3]), (p(.pi / 4), [3]), (cxMatrix, [1, 3]), (p(-.pi / 4), [3]),
            (h, [3]), (p(.pi / 4), [3]), (cxMatrix, [2, 3]), (p(-.pi / 4), [3]), (h, [3]),
        ]
        return product(steps, width: 4)
    }()

    static let cxMatrix = GateStructure(numControls: 1, target: pauliX).fullMatrix()

    /// The matrix of a sequence of gates applied in order.
    static func product(_ steps: [(SmallMatrix, [Int])], width: Int) -> SmallMatrix {
        var total = SmallMatrix.identity(1 << width)
        for (m, qubits) in steps { total = SmallMatrix.embedding(m, on: qubits, width: width) * total }
        return total
    }

    /// The simulator's view of `gate` with numeric angles `v`.
    static func structure(of gate: Gate, values v: [Double]) -> GateStructure {
        func plain(_ m: SmallMatrix) -> GateStructure { GateStructure(numControls: 0, target: m) }
        func controlled(_ n: Int, _ m: SmallMatrix) -> GateStructure { GateStructure(numControls: n, target: m) }
        switch gate.kind {
        case .id: return plain(.identity(2))
        case .x: return plain(pauliX)
        case .y: return plain(pauliY)
        case .z: return plain(pauliZ)
        case .h: return plain(hadamard)
        case .s: return plain(p(.pi / 2))
        case .sdg: return plain(p(-.pi / 2))
        case .t: return plain(p(.pi / 4))
        case .tdg: return plain(p(-.pi / 4))
        case .sx: return plain(sqrtX)
        case .sxdg: return plain(sqrtX.adjoint())
        case .rx: return plain(rx(v[0]))
        case .ry: return plain(ry(v[0]))
        case .rz: return plain(rz(v[0]))
        case .p, .u1: return plain(p(v[0]))
        case .u2: return plain(u(.pi / 2, v[0], v[1]))
        case .u, .u3: return plain(u(v[0], v[1], v[2]))
        case .cx: return controlled(1, pauliX)
        case .cy: return controlled(1, pauliY)
        case .cz: return controlled(1, pauliZ)
        case .ch: return controlled(1, hadamard)
        case .cs: return controlled(1, p(.pi / 2))
        case .csdg: return controlled(1, p(-.pi / 2))
        case .csx: return controlled(1, sqrtX)
        case .swap: return plain(swapMatrix)
        case .iswap:
            return plain(SmallMatrix(dimension: 4, entries: [
                c(1), c(0), c(0), c(0),
                c(0), c(0), c(0, 1), c(0),
                c(0), c(0, 1), c(0), c(0),
                c(0), c(0), c(0), c(1),
            ]))
        case .dcx:
            // cx(0 → 1) then cx(1 → 0).
            return plain(product([(cxMatrix, [0, 1]), (cxMatrix, [1, 0])], width: 2))
        case .ecr:
            // (1/√2)(IX − XY): X on qubit 0 minus X on qubit 1 times Y on qubit 0.
            let r = 1 / 2.0.squareRoot()
            let ix = SmallMatrix.kron(.identity(2), pauliX)
            let xy = SmallMatrix.kron(pauliX, pauliY)
            var m = ix
            for k in m.entries.indices { m.entries[k] = (ix.entries[k] - xy.entries[k]) * c(r) }
            return plain(m)
        case .cp, .cu1: return controlled(1, p(v[0]))
        case .crx: return controlled(1, rx(v[0]))
        case .cry: return controlled(1, ry(v[0]))
        case .crz: return controlled(1, rz(v[0]))
        case .cu: return controlled(1, u(v[0], v[1], v[2]).scaled(by: phase(v[3])))
        case .cu3: return controlled(1, u(v[0], v[1], v[2]))
        case .rxx: return plain(pauliRotation(v[0], .kron(pauliX, pauliX)))
        case .ryy: return plain(pauliRotation(v[0], .kron(pauliY, pauliY)))
        case .rzz: return plain(pauliRotation(v[0], .kron(pauliZ, pauliZ)))
        case .rzx: return plain(pauliRotation(v[0], .kron(pauliX, pauliZ)))
        case .ccx: return controlled(2, pauliX)
        case .cswap: return controlled(1, swapMatrix)
        case .rccx: return plain(rccxMatrix)
        case .rc3x: return plain(rc3xMatrix)
        case .c3sqrtx: return controlled(3, sqrtX)
        case .mcx(let n): return controlled(n, pauliX)
        case .mcz(let n): return controlled(n, pauliZ)
        case .mcp(let n): return controlled(n, p(v[0]))
        case .unitary(let k):
            let entries = gate.unitaryMatrix ?? SmallMatrix.identity(1 << k).entries
            return plain(SmallMatrix(dimension: 1 << k, entries: entries))
        }
    }
}
