import ComplexModule
import Foundation
import RealModule

/// Writes an arbitrary k-qubit unitary as gates OpenQASM 2 knows (x, rz, ry, p, cp, mcphase, cx,
/// ccx, mcx), exactly up to a global phase.
///
/// Method: Givens (two-level) elimination in Gray-code order, so each two-level rotation acts on
/// two basis states that differ in one bit — a single-qubit unitary W on that bit, controlled by
/// every other qubit at the value the pair shares. Each controlled W is built exactly as
/// [phase e^{iα} on the controls] · A·MCX·B·MCX·C with W = e^{iα}·A·X·B·X·C and ABC = I
/// (Barenco et al. 1995, lemma 5.1 and corollary 5.3). The remaining diagonal is a set of
/// multi-controlled phases.
enum UnitarySynthesis {
    /// One synthesised gate on local qubit indices 0..<k.
    typealias Step = (gate: Gate, qubits: [Int])

    /// Gates whose product equals `matrix` (2^k × 2^k, bit j ↔ qubit j) up to a global phase.
    static func synthesize(_ matrix: SmallMatrix) -> [Step] {
        let k = matrix.dimension.trailingZeroBitCount
        if k == 1 {
            let (theta, phi, lambda, _) = zyz(matrix)
            return [(Gate(kind: .u, parameters: [.constant(theta), .constant(phi), .constant(lambda)]), [0])]
        }
        let n = matrix.dimension
        let gray = (0..<n).map { $0 ^ ($0 >> 1) }
        var w = matrix
        // Rotations G applied on the left of U, in order: G_m … G_1 U = D.
        var rotations: [(SmallMatrix, Int, Int)] = []
        for c in 0..<(n - 1) {
            let column = gray[c]
            var r = n - 1
            while r > c {
                let upper = gray[r - 1], lower = gray[r]
                let a = w[upper, column], b = w[lower, column]
                if b.length > 1e-15 {
                    let norm = (a.lengthSquared + b.lengthSquared).squareRoot()
                    // V (a, b)ᵀ = (norm, 0)ᵀ, V unitary.
                    let v = SmallMatrix(dimension: 2, entries: [
                        a.conjugate / Complex(norm), b.conjugate / Complex(norm),
                        -b / Complex(norm), a / Complex(norm),
                    ])
                    for j in 0..<n {
                        let x = w[upper, j], y = w[lower, j]
                        w[upper, j] = v[0, 0] * x + v[0, 1] * y
                        w[lower, j] = v[1, 0] * x + v[1, 1] * y
                    }
                    rotations.append((v, upper, lower))
                }
                r -= 1
            }
        }
        var steps: [Step] = []
        // D first (relative to its first entry; the global phase is dropped).
        let reference = w[0, 0]
        for s in 1..<n {
            let ratio = w[s, s] / reference
            let angle = Double.atan2(y: ratio.imaginary, x: ratio.real)
            if abs(angle) > 1e-15 { steps += phaseOnBasisState(s, angle: angle, width: k) }
        }
        // Then G_m†, …, G_1†.
        for (v, upper, lower) in rotations.reversed() {
            steps += twoLevel(v.adjoint(), first: upper, second: lower, width: k)
        }
        return steps
    }

    /// e^{iφ} on basis state `s` only: X where s has a 0, a multi-controlled phase, X again.
    static func phaseOnBasisState(_ s: Int, angle: Double, width k: Int) -> [Step] {
        let zeros = (0..<k).filter { s & (1 << $0) == 0 }
        let flips = zeros.map { (Gate(kind: .x), [$0]) }
        let phase = multiControlledPhase(angle, controls: Array(0..<(k - 1)), target: k - 1)
        return flips + phase + flips
    }

    /// A two-level unitary `v` on basis states `first`, `second` (differing in one bit), in that order.
    static func twoLevel(_ v: SmallMatrix, first: Int, second: Int, width k: Int) -> [Step] {
        let target = (first ^ second).trailingZeroBitCount
        // In the qubit's own basis |0⟩, |1⟩: if `first` has the bit set, the order is swapped.
        var w = v
        if first & (1 << target) != 0 {
            w = SmallMatrix(dimension: 2, entries: [v[1, 1], v[1, 0], v[0, 1], v[0, 0]])
        }
        let controls = (0..<k).filter { $0 != target }
        let flips = controls.filter { first & (1 << $0) == 0 }.map { (Gate(kind: .x), [$0]) }
        return flips + controlledUnitary(w, controls: controls, target: target) + flips
    }

    /// W on `target` when all `controls` are 1, exactly (at least one control).
    static func controlledUnitary(_ w: SmallMatrix, controls: [Int], target: Int) -> [Step] {
        // W = e^{iα} W′ with det W′ = 1, W′ = Rz(β) Ry(γ) Rz(δ).
        let det = w[0, 0] * w[1, 1] - w[0, 1] * w[1, 0]
        let alpha = Double.atan2(y: det.imaginary, x: det.real) / 2
        let unphase = Complex<Double>(Double.cos(-alpha), Double.sin(-alpha))
        let a = w[0, 0] * unphase, b = w[1, 0] * unphase
        let gamma = 2 * Double.atan2(y: b.length, x: a.length)
        let argA = a.length > 1e-15 ? Double.atan2(y: a.imaginary, x: a.real) : 0
        let argB = b.length > 1e-15 ? Double.atan2(y: b.imaginary, x: b.real) : 0
        let beta = argB - argA
        let delta = -argA - argB
        func rz(_ angle: Double) -> Step { (Gate(kind: .rz, parameters: [.constant(angle)]), [target]) }
        func ry(_ angle: Double) -> Step { (Gate(kind: .ry, parameters: [.constant(angle)]), [target]) }
        let mcx = multiControlledX(controls: controls, target: target)
        var steps: [Step] = []
        steps.append(rz((delta - beta) / 2))                 // C
        steps += mcx
        steps += [rz(-(delta + beta) / 2), ry(-gamma / 2)]   // B
        steps += mcx
        steps += [ry(gamma / 2), rz(beta)]                   // A
        // e^{iα} on the subspace where every control is 1.
        if abs(alpha) > 1e-15 {
            steps += multiControlledPhase(alpha, controls: Array(controls.dropLast()), target: controls[controls.count - 1])
        }
        return steps
    }

    static func multiControlledX(controls: [Int], target: Int) -> [Step] {
        let kind: GateKind = switch controls.count {
        case 0: .x
        case 1: .cx
        case 2: .ccx
        default: .mcx(controls: controls.count)
        }
        return [(Gate(kind: kind), controls + [target])]
    }

    static func multiControlledPhase(_ angle: Double, controls: [Int], target: Int) -> [Step] {
        let kind: GateKind = switch controls.count {
        case 0: .p
        case 1: .cp
        default: .mcp(controls: controls.count)
        }
        return [(Gate(kind: kind, parameters: [.constant(angle)]), controls + [target])]
    }

    /// (θ, φ, λ, global phase) with `m` = e^{i·phase} U(θ, φ, λ).
    static func zyz(_ m: SmallMatrix) -> (Double, Double, Double, Double) {
        // U(θ, φ, λ) = [[cos(θ/2), −e^{iλ} sin(θ/2)], [e^{iφ} sin(θ/2), e^{i(φ+λ)} cos(θ/2)]].
        let a = m[0, 0], b = m[0, 1], c = m[1, 0], d = m[1, 1]
        let theta = 2 * Double.atan2(y: c.length, x: a.length)
        func arg(_ z: Complex<Double>) -> Double { Double.atan2(y: z.imaginary, x: z.real) }
        if a.length > 1e-12 && c.length > 1e-12 {
            let phase = arg(a)
            return (theta, arg(c) - phase, arg(-b) - phase, phase)
        }
        if a.length > 1e-12 {
            // θ = 0: diagonal, only φ + λ matters.
            let phase = arg(a)
            return (theta, 0, arg(d) - phase, phase)
        }
        // θ = π: anti-diagonal.
        let phase = arg(c)
        return (theta, 0, arg(-b) - phase, phase)
    }
}
