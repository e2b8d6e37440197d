import CQuantumKernels
import ComplexModule
import Foundation

// X-symmetric one-qubit gates, two or three at a time.
//
// A 2 × 2 matrix with m00 = m11 and m01 = m10 — rx, sx, and the products rz·sx·rz·sx·rz that a
// transpiler makes of an rx, up to a global phase — is diagonal in the Hadamard basis:
// M = ½ · Hu · diag(m00 + m01, m00 − m01) · Hu with Hu = [[1, 1], [1, −1]]. k of them on distinct
// qubits are Hu^⊗k · D · Hu^⊗k, D the 2^k products of their eigenvalues over 2^k. Applied to one
// group of 2^k amplitudes at a time that is k butterfly stages (an add and a subtract per pair),
// one complex multiply per amplitude and k butterfly stages again: the k gates cost one visit of
// the amplitudes and a quarter of the multiplies of k dense one-qubit kernels. A QAOA mixer layer
// is made of nothing else, so a cache-blocked pass runs its one-qubit gates this way (see
// `SymmetricLayer.grouped`).
//
// Any other one-qubit unitary is one of them between two phases: U = diag(1, e^{ip}) · S ·
// diag(1, e^{iq}) with S X-symmetric (a Z–X–Z Euler form). Where a run of one-qubit gates lies
// next to a folded diagonal run (`PhaseRun`, whose cost does not grow with the gates it holds),
// the phases join that run and the S's go to the layer kernels (`SymmetricLayer.splittingPhases`):
// in a transpiled QAOA circuit the mixer's rz·sx·rz·sx·rz has become sx·rz·sx once its outer rz's
// were fused into the cost layer's phases.

enum SymmetricLayer {
    /// The most gates one layer kernel takes (2^3 vectors of the group in registers).
    static let maxGates = 3

    /// Whether `m` has m00 = m11 and m01 = m10 within `tolerance` per component: for Double the
    /// fuser's zero tolerance (1e-13), for Float four units of rounding, since each entry of a
    /// Float matrix was rounded on its own from a symmetric Double one.
    static func isSymmetric<Real: StateScalar>(_ m: Matrix2<Real>) -> Bool {
        let tolerance = max(Real(FusionMatrix.zeroTolerance), 4 * Real.ulpOfOne)
        return abs(m.m00r - m.m11r) <= tolerance && abs(m.m00i - m.m11i) <= tolerance
            && abs(m.m01r - m.m10r) <= tolerance && abs(m.m01i - m.m10i) <= tolerance
    }

    /// The 2^k diagonal factors (interleaved) of gates `matrices` on ascending targets: factor j is
    /// Π_g λ_g(bit g of j) / 2^k with λ(0) = p + q, λ(1) = p − q, p and q the means of the
    /// matrix's diagonal and off-diagonal entries. Computed in Double.
    static func factors<Real: StateScalar>(_ matrices: [Matrix2<Real>]) -> [Real] {
        let k = matrices.count
        let eigenvalues: [[(Double, Double)]] = matrices.map { m in
            let p = (Double(m.m00r + m.m11r) / 2, Double(m.m00i + m.m11i) / 2)
            let q = (Double(m.m01r + m.m10r) / 2, Double(m.m01i + m.m10i) / 2)
            return [(p.0 + q.0, p.1 + q.1), (p.0 - q.0, p.1 - q.1)]
        }
        let scale = 1 / Double(1 << k)
        var out = [Real](repeating: 0, count: 2 << k)
        for j in 0..<(1 << k) {
            var (re, im) = (scale, 0.0)
            for g in 0..<k {
                let (lr, li) = eigenvalues[g][(j >> g) & 1]
                (re, im) = (re * lr - im * li, re * li + im * lr)
            }
            out[2 * j] = Real(re)
            out[2 * j + 1] = Real(im)
        }
        return out
    }

    /// One step of a pass, bound to numbers, before it becomes a kernel.
    enum PassItem {
        /// A run of CX gates on one target (``FusedBlock/parity``).
        case parity(controls: Int, target: Int)
        /// A diagonal gate (folded with its diagonal neighbours).
        case diagonal(GateStructure, [Int])
        /// Any other gate.
        case other(GateStructure, [Int])
    }

    /// The lowest local target the layer kernel's vectors allow: 1 for Double, 2 for Float.
    static func lowestTarget<Real: StateScalar>(for _: Real.Type) -> Int { Real.self == Float.self ? 2 : 1 }

    /// A gate that is one X-symmetric core between phases: U = Σ_b |b⟩⟨b| ⊗ P_b · S · Q_b, where b
    /// runs over the values of the gate's other qubits (`held`; none for a one-qubit gate), S acts
    /// on the `active` qubit and P_b, Q_b are diagonal on it. `before` and `after` are the phases
    /// as diagonal gates on the gate's qubits (nil when they are 1); `afterHeld`/`beforeHeld`
    /// say whether they depend on the held qubits (else they act on the active qubit alone).
    struct Split {
        let active: Int
        let held: [Int]
        let core: SmallMatrix
        let before: PassItem?
        let beforeHeld: Bool
        let after: PassItem?
        let afterHeld: Bool
    }

    /// W = diag(e^{ia}, e^{i(a+p)}) · [[c, −is], [−is, c]] · diag(1, e^{iq}) with c, s ≥ 0 for a
    /// 2 × 2 unitary with nonzero off-diagonal entries: p + q = arg w11 − arg w00 (0 when w00 = 0),
    /// p − q = arg w10 − arg w01, and the core's phase and sign moved into a and p, q. Nil for a
    /// diagonal W, or when the factors do not give W back within 1e-12 (not unitary).
    static func zxz(_ w: [Complex<Double>]) -> (a: Double, p: Double, q: Double, c: Double, s: Double)? {
        let (w00, w01, w10, w11) = (w[0], w[1], w[2], w[3])
        let tolerance = FusionMatrix.zeroTolerance
        guard w01.length > tolerance, w10.length > tolerance else { return nil }
        func arg(_ z: Complex<Double>) -> Double { Double.atan2(y: z.imaginary, x: z.real) }
        func phase(_ angle: Double) -> Complex<Double> { Complex(Foundation.cos(angle), Foundation.sin(angle)) }
        let sum = w00.length > tolerance && w11.length > tolerance ? arg(w11) - arg(w00) : 0
        let difference = arg(w10) - arg(w01)
        var (p, q) = ((sum + difference) / 2, (sum - difference) / 2)
        // W = diag(1, e^{ip}) · [[w00, t], [t, w00]] · diag(1, e^{iq}) with t = w01·e^{−iq}; take
        // out the phase a that makes w00 real and non-negative (t then imaginary, as S is unitary).
        let t = w01 * phase(-q)
        let a = w00.length > tolerance ? arg(w00) : arg(t) + Double.pi / 2
        let c = (w00 * phase(-a)).real
        var s = -(t * phase(-a)).imaginary
        if s < 0 {
            // diag(1, −1) on both sides flips the sign of the off-diagonal entries.
            s = -s
            p += Double.pi
            q += Double.pi
        }
        let core = [Complex(c), Complex(0, -s), Complex(0, -s), Complex(c)]
        let rebuilt = [phase(a) * core[0], phase(a) * core[1] * phase(q), phase(a + p) * core[2], phase(a + p + q) * core[3]]
        guard zip(rebuilt, w).allSatisfy({ ($0 - $1).length <= 1e-12 }) else { return nil }
        return (a, p, q, c, s)
    }

    /// The split of an uncontrolled gate that mixes one of its qubits only and whose 2 × 2 parts
    /// share one X-symmetric core; nil for any other gate.
    static func split(_ structure: GateStructure, qubits: [Int]) -> Split? {
        guard structure.numControls == 0 else { return nil }
        let m = structure.target
        let d = m.dimension
        let tolerance = FusionMatrix.zeroTolerance
        // The qubits the matrix mixes: stop at the second (most dense blocks show it in row 0).
        var mixing = 0
        for r in 0..<d {
            for c in 0..<d where r != c {
                let entry = m.entries[r * d + c]
                guard abs(entry.real) > tolerance || abs(entry.imaginary) > tolerance else { continue }
                mixing |= r ^ c
                if mixing.nonzeroBitCount > 1 { return nil }
            }
        }
        guard mixing.nonzeroBitCount == 1 else { return nil }
        let bit = mixing
        let others = (0..<d).filter { $0 & bit == 0 }
        var parts: [(a: Double, p: Double, q: Double)] = []
        var core: (c: Double, s: Double)?
        for b in others {
            let b1 = b | bit
            guard let f = zxz([m[b, b], m[b, b1], m[b1, b], m[b1, b1]]) else { return nil }
            if let core, abs(core.c - f.c) > 1e-12 || abs(core.s - f.s) > 1e-12 { return nil }
            core = (f.c, f.s)
            parts.append((f.a, f.p, f.q))
        }
        guard let core else { return nil }
        func varies(_ values: [Double]) -> Bool {
            values.contains { abs(remainder($0 - values[0], 2 * Double.pi)) > tolerance }
        }
        // The phase a goes to the left-hand side when it depends on the held qubits and p does not,
        // so that the right-hand phases stay on the active qubit alone (a core then a diagonal: a
        // transpiled mixer after its cost layer's phases).
        let aInAfter = !(varies(parts.map(\.a)) && !varies(parts.map(\.p)))
        let active = bit.trailingZeroBitCount
        func diagonal(_ entry: (Int, Int) -> Double) -> (PassItem?, Bool) {
            // Entry for matrix index r: part of r's other bits, the active bit's value.
            let angles = (0..<d).map { r in entry(others.firstIndex(of: r & ~bit) ?? 0, r & bit == 0 ? 0 : 1) }
            guard angles.contains(where: { abs(remainder($0, 2 * Double.pi)) > tolerance }) else { return (nil, false) }
            let onHeld = (0..<others.count).contains { j in
                abs(remainder(entry(j, 0) - entry(0, 0), 2 * Double.pi)) > tolerance
                    || abs(remainder(entry(j, 1) - entry(0, 1), 2 * Double.pi)) > tolerance
            }
            if !onHeld {
                let factors = [entry(0, 0), entry(0, 1)].map { Complex(Foundation.cos($0), Foundation.sin($0)) }
                return (.diagonal(GateStructure(numControls: 0, target: .diagonal(factors)), [qubits[active]]), false)
            }
            let factors = angles.map { Complex(Foundation.cos($0), Foundation.sin($0)) }
            return (.diagonal(GateStructure(numControls: 0, target: .diagonal(factors)), qubits), true)
        }
        let (after, afterHeld) = diagonal { j, v in (aInAfter ? parts[j].a : 0) + (v == 1 ? parts[j].p : 0) }
        let (before, beforeHeld) = diagonal { j, v in (aInAfter ? 0 : parts[j].a) + (v == 1 ? parts[j].q : 0) }
        let core2 = SmallMatrix(dimension: 2, entries: [Complex(core.c), Complex(0, -core.s), Complex(0, -core.s), Complex(core.c)])
        return Split(active: qubits[active], held: qubits.enumerated().filter { $0.offset != active }.map(\.element),
                     core: core2, before: before, beforeHeld: beforeHeld, after: after, afterHeld: afterHeld)
    }

    /// A pass's steps with the phases of some runs of gates moved out (see the top of this file):
    /// a run of consecutive gates that each ``split(_:qubits:)`` into phases around an X-symmetric
    /// core on a local qubit at or above ``lowestTarget(for:)`` becomes its gates' right-hand
    /// phases, their cores and their left-hand phases, in that order, when that pays. The run ends
    /// before a gate whose active qubit repeats, or where a phase would have to move past a core
    /// on one of its qubits. A side with a diagonal step next to it takes its phases for free; a
    /// side without one costs a folded phase run of its own (about two dense one-qubit kernels,
    /// measured), so the run must hold 2 gates, plus 6 for each such side.
    static func splittingPhases<Real: StateScalar>(_ items: [PassItem], localQubits: [Int], as _: Real.Type) -> [PassItem] {
        var position: [Int: Int] = [:]
        for (local, q) in localQubits.enumerated() { position[q] = local }
        let lowest = lowestTarget(for: Real.self)
        // Gates on at most two qubits: their phases are terms on at most two qubits, which a
        // folded phase run always takes (`PhaseRun` refuses terms with two low bits and a high one).
        func candidate(_ item: PassItem) -> Split? {
            guard case .other(let structure, let qubits) = item, structure.numControls == 0, structure.numTargets <= 2,
                  let split = split(structure, qubits: qubits), let local = position[split.active], local >= lowest
            else { return nil }
            return split
        }
        func isDiagonal(_ item: PassItem?) -> Bool {
            if case .diagonal = item { true } else { false }
        }
        var out: [PassItem] = []
        out.reserveCapacity(items.count + 8)
        var i = 0
        while i < items.count {
            guard let first = candidate(items[i]) else {
                out.append(items[i])
                i += 1
                continue
            }
            var window = [first]
            var j = i + 1
            while j < items.count, let next = candidate(items[j]) {
                // The earlier gates' right-hand phases move past next's core, and next's left-hand
                // phases move past the earlier cores.
                let clash = window.contains { g in
                    g.active == next.active || (g.afterHeld && g.held.contains(next.active))
                        || (next.beforeHeld && next.held.contains(g.active))
                }
                if clash { break }
                window.append(next)
                j += 1
            }
            let needed = 2 + (isDiagonal(out.last) ? 0 : 6) + (j < items.count && isDiagonal(items[j]) ? 0 : 6)
            guard window.count >= needed else {
                out += items[i..<j]
                i = j
                continue
            }
            out += window.compactMap(\.before)
            out += window.map { .other(GateStructure(numControls: 0, target: $0.core), [$0.active]) }
            out += window.compactMap(\.after)
            i = j
        }
        return out
    }

    /// A pass's operations with each run of two or three consecutive uncontrolled one-target dense
    /// gates that are X-symmetric, on distinct local qubits at or above the vector width (qubit 1
    /// for Double, 2 for Float), replaced by one layer kernel. Everything else keeps its place; a
    /// run ends at any other operation, so nothing moves past anything.
    static func grouped<Real: StateScalar>(_ operations: [BlockOperation<Real>], blockQubits: Int) -> [BlockOperation<Real>] {
        let lowest = Real.self == Float.self ? 2 : 1
        var out: [BlockOperation<Real>] = []
        out.reserveCapacity(operations.count)
        var group: [(operation: BlockOperation<Real>, target: Int, matrix: Matrix2<Real>)] = []
        func flush() {
            defer { group = [] }
            guard group.count >= 2 else {
                out += group.map(\.operation)
                return
            }
            let sorted = group.sorted { $0.target < $1.target }
            let call = KernelCall<Real>(.symmetricLayer(factors(sorted.map(\.matrix))), targets: sorted.map(\.target),
                                        controlMask: 0, numQubits: blockQubits)
            out.append(.gate(BlockGate(outsideControlMask: 0, outsideTargetBits: [], calls: [call], scalars: [(1, 0)])))
        }
        for operation in operations {
            guard case .gate(let gate) = operation, gate.outsideControlMask == 0, gate.outsideTargetBits.isEmpty,
                  gate.calls.count == 1, let call = gate.calls[0], call.controlMask == 0, call.targets.count == 1,
                  call.positions == call.targets, call.targets[0] >= lowest
            else {
                flush()
                out.append(operation)
                continue
            }
            let matrix: Matrix2<Real>
            switch call.operation {
            case .dense1(let m), .dense1Real(let m): matrix = m
            default:
                flush()
                out.append(operation)
                continue
            }
            guard isSymmetric(matrix) else {
                flush()
                out.append(operation)
                continue
            }
            if group.contains(where: { $0.target == call.targets[0] }) { flush() }
            group.append((operation, call.targets[0], matrix))
            if group.count == maxGates { flush() }
        }
        flush()
        return out
    }
}

/// Hu^⊗k · diag(factors) · Hu^⊗k on each group of 2^k amplitudes (k = targets.count, 2 or 3,
/// targets ascending and the free-index positions), free indices start..<end.
func symmetricLayerRange<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, targets: UnsafeBufferPointer<Int>,
                                            factors: UnsafeBufferPointer<Real>, start: Int, end: Int)
{
    let width = Real.self == Float.self ? 4 : 2
    if WideKernels.available, let targetBase = targets.baseAddress, let factorBase = factors.baseAddress,
       targets[0] >= (width == 4 ? 2 : 1), start % width == 0, end % width == 0
    {
        if Real.self == Float.self {
            verdant_symmetric_layer_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), targets.count,
                                             targetBase, UnsafeRawPointer(factorBase).assumingMemoryBound(to: Float.self),
                                             start, end)
            return
        }
        if Real.self == Double.self {
            verdant_symmetric_layer_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), targets.count,
                                             targetBase, UnsafeRawPointer(factorBase).assumingMemoryBound(to: Double.self),
                                             start, end)
            return
        }
    }
    symmetricLayerRangePortable(p, targets: targets, factors: factors, start: start, end: end)
}

/// The portable form of `symmetricLayerRange`: one group of 2^k complex amplitudes at a time.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func symmetricLayerRangePortable<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, targets: UnsafeBufferPointer<Int>,
                                                    factors: UnsafeBufferPointer<Real>, start: Int, end: Int)
{
    let k = targets.count
    let size = 1 << k
    let offsets = (0..<size).map { r in
        (0..<k).reduce(0) { r & (1 << $1) != 0 ? $0 | (1 << targets[$1]) : $0 }
    }
    withUnsafeTemporaryAllocation(of: Real.self, capacity: 2 * size) { group in
        func butterflies() {
            for g in 0..<k {
                for r in 0..<size where r & (1 << g) == 0 {
                    let s = r | (1 << g)
                    let (ar, ai, br, bi) = (group[2 * r], group[2 * r + 1], group[2 * s], group[2 * s + 1])
                    (group[2 * r], group[2 * r + 1]) = (ar + br, ai + bi)
                    (group[2 * s], group[2 * s + 1]) = (ar - br, ai - bi)
                }
            }
        }
        for free in start..<end {
            let base = insertZeroBits(free, targets)
            for r in 0..<size {
                group[2 * r] = p[2 &* (base | offsets[r])]
                group[2 * r + 1] = p[2 &* (base | offsets[r]) &+ 1]
            }
            butterflies()
            for r in 0..<size {
                let (xr, xi, fr, fi) = (group[2 * r], group[2 * r + 1], factors[2 * r], factors[2 * r + 1])
                (group[2 * r], group[2 * r + 1]) = (xr * fr - xi * fi, xr * fi + xi * fr)
            }
            butterflies()
            for r in 0..<size {
                p[2 &* (base | offsets[r])] = group[2 * r]
                p[2 &* (base | offsets[r]) &+ 1] = group[2 * r + 1]
            }
        }
    }
}
