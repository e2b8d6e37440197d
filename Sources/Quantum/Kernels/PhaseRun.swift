import Foundation

// Folded diagonal gates: a run of consecutive diagonal gates inside a pass becomes one phase
// function applied in one go over each block.
//
// Every diagonal gate is a product of "terms": a phase e^{iθ} applied where all bits of a mask are
// 1 (a multi-controlled phase). The Möbius transform of the gate's phase function gives them
// exactly: for targets T, controls C and phases φ(j) = arg d_j, the term for S ⊆ T has mask C ∪ S
// and angle Σ_{S′⊆S} (−1)^{|S|−|S′|} φ(S′). In a block, a term whose bits outside the pass's
// local qubits are not all set does not apply; the rest split the local index l = h·2^s + m
// (s = `split` low bits m, high bits h) into: constants, terms on low bits only (table B[m]),
// terms on high bits only (a factor c_h), and terms with high bits and one low bit k (a factor
// u_k(h) on that bit). For each h the factors of the 2^s low values are built by doubling
// (G[m | 2^k] = G[m]·u_k(h)) and applied as amp *= G[m]·B[m]: about three complex products per
// amplitude, whatever the number of gates folded. Terms with high bits and two or more low bits do
// not fit this form; such runs are not folded.

/// A folded run of diagonal gates, in a pass's local bit positions.
struct PhaseRun<Real: StateScalar>: Sendable {
    struct Term: Sendable {
        /// Global bits outside the pass that must be 1.
        let outsideMask: Int
        /// Local low bits (below `split`) that must be 1.
        let low: Int
        /// Local high bits (shifted down by `split`) that must be 1.
        let high: Int
        let factor: (Real, Real)
    }

    let split: Int
    let highCount: Int
    let constantTerms: [Term]
    let lowTerms: [Term]
    let highTerms: [Term]
    /// Terms with high bits and exactly one low bit, with that bit's index.
    let linearTerms: [(bit: Int, term: Term)]

    /// Folds terms given by global masks and angles into a run over `localQubits`, or nil when a
    /// term has high bits and two or more low bits.
    init?(terms: [(mask: Int, angle: Double)], localQubits: [Int]) {
        var position: [Int: Int] = [:]
        for (local, q) in localQubits.enumerated() { position[q] = local }
        let localMaskGlobal = localQubits.reduce(0) { $0 | (1 << $1) }
        let L = localQubits.count
        split = min(8, L)
        highCount = 1 << (L - split)
        // Merge equal masks first (angles add).
        var angles: [Int: Double] = [:]
        for (mask, angle) in terms { angles[mask, default: 0] += angle }
        var constants: [Term] = [], lows: [Term] = [], highs: [Term] = [], linears: [(Int, Term)] = []
        for (mask, angle) in angles.sorted(by: { $0.key < $1.key }) {
            var local = 0
            for bit in setBitPositions(mask & localMaskGlobal) { local |= 1 << (position[bit] ?? 0) }
            let low = local & ((1 << split) - 1), high = local >> split
            let term = Term(outsideMask: mask & ~localMaskGlobal, low: low, high: high,
                            factor: (Real(Foundation.cos(angle)), Real(Foundation.sin(angle))))
            switch (low.nonzeroBitCount, high) {
            case (0, 0): constants.append(term)
            case (_, 0): lows.append(term)
            case (0, _): highs.append(term)
            case (1, _): linears.append((low.trailingZeroBitCount, term))
            default: return nil
            }
        }
        constantTerms = constants
        lowTerms = lows
        highTerms = highs
        linearTerms = linears
    }

    /// The terms of a diagonal gate: `controls` (global bits that must be 1), `targets` (global
    /// positions, bit m of a factor index is targets[m]) and the diagonal `factors`.
    static func terms(controls: Int, targets: [Int], factors: [Complex<Double>]) -> [(mask: Int, angle: Double)] {
        let k = targets.count
        let phases = factors.map { Double.atan2(y: $0.imaginary, x: $0.real) }
        var result: [(Int, Double)] = []
        for subset in 0..<(1 << k) {
            // Möbius transform: alternating sum over the subsets of `subset`.
            var angle = 0.0
            var sub = subset
            while true {
                let sign = (subset.nonzeroBitCount - sub.nonzeroBitCount) & 1 == 0 ? 1.0 : -1.0
                angle += sign * phases[sub]
                if sub == 0 { break }
                sub = (sub - 1) & subset
            }
            // Rounding in a fused product leaves tiny terms on masks a product of two-qubit phases
            // does not have; they would stop the run from folding (and change nothing measurable).
            if abs(angle) <= FusionMatrix.zeroTolerance { continue }
            var mask = controls
            for m in 0..<k where subset & (1 << m) != 0 { mask |= 1 << targets[m] }
            result.append((mask, angle))
        }
        return result
    }

    /// Applies the run to one block whose global base index is `base`. The per-segment work
    /// (building G and multiplying) runs in the AVX2/FMA loop of CQuantumKernels where the CPU
    /// has it, else in the portable Swift below (`applyPortable` forces it, for tests).
    func apply(to block: UnsafeMutablePointer<Real>, base: Int, scratch: UnsafeMutablePointer<Real>) {
        apply(to: block, base: base, scratch: scratch, wide: WideKernels.available)
    }

    /// The run with the portable loops only.
    func applyPortable(to block: UnsafeMutablePointer<Real>, base: Int, scratch: UnsafeMutablePointer<Real>) {
        apply(to: block, base: base, scratch: scratch, wide: false)
    }

    // Specialised: the pass that calls it is generic, and the generic form pays witness-table calls
    // for every complex product of its tables (a fifth of qaoa-24's time, measured with perf).
    @_specialize(where Real == Double)
    @_specialize(where Real == Float)
    private func apply(to block: UnsafeMutablePointer<Real>, base: Int, scratch: UnsafeMutablePointer<Real>, wide: Bool) {
        @inline(__always) func active(_ t: Term) -> Bool { base & t.outsideMask == t.outsideMask }
        @inline(__always) func times(_ a: (Real, Real), _ b: (Real, Real)) -> (Real, Real) {
            (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
        }
        let lowSize = 1 << split
        // scratch: B (lowSize complex), then G (lowSize complex), then u (split complex).
        let b = scratch, g = scratch + 2 * lowSize, u = scratch + 4 * lowSize
        var constant: (Real, Real) = (1, 0)
        for t in constantTerms where active(t) { constant = times(constant, t.factor) }
        var hasLow = false
        for m in 0..<lowSize {
            var f: (Real, Real) = (1, 0)
            for t in lowTerms where m & t.low == t.low && active(t) {
                f = times(f, t.factor)
                hasLow = true
            }
            b[2 * m] = f.0
            b[2 * m + 1] = f.1
        }
        for h in 0..<highCount {
            var ch = constant
            for t in highTerms where h & t.high == t.high && active(t) { ch = times(ch, t.factor) }
            var linear = false
            for k in 0..<split {
                u[2 * k] = 1
                u[2 * k + 1] = 0
            }
            for (k, t) in linearTerms where h & t.high == t.high && active(t) {
                let v = times((u[2 * k], u[2 * k + 1]), t.factor)
                u[2 * k] = v.0
                u[2 * k + 1] = v.1
                linear = true
            }
            if !linear && !hasLow {
                if ch != (1, 0) { scaleRun(block, start: h * lowSize, count: lowSize, fr: ch.0, fi: ch.1) }
                continue
            }
            // G[m] = ch · Π_{k ∈ m} u_k, by doubling; then F = G · B, applied elementwise.
            let segment = block + 2 * (h * lowSize)
            // Without linear terms every factor is ch · B[m]: the wide loop skips building G.
            let constantG = !linear && hasLow && split >= 2
            if wide, WideKernels.phaseSegment(segment, split: split, u: constantG ? nil : u, ch: ch, b: hasLow ? b : nil, g: g) {
                continue
            }
            g[0] = ch.0
            g[1] = ch.1
            for k in 0..<split {
                let uk = (u[2 * k], u[2 * k + 1])
                for m in 0..<(1 << k) {
                    let v = times((g[2 * m], g[2 * m + 1]), uk)
                    g[2 * (m | (1 << k))] = v.0
                    g[2 * (m | (1 << k)) + 1] = v.1
                }
            }
            multiplyElementwise(segment, by: g, and: hasLow ? b : nil, count: lowSize)
        }
    }
}

/// p[i] *= f[i] (· b[i] when given), i < count: elementwise complex products, two per SIMD4.
@inline(__always)
func multiplyElementwise<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, by f: UnsafeMutablePointer<Real>,
                                            and b: UnsafeMutablePointer<Real>?, count: Int)
{
    var i = 0
    while i < count {
        var w = load4(f, i)
        if let b {
            let v = load4(b, i)
            w = w * SIMD4(v[0], v[0], v[2], v[2]) + swapPairs(w) * SIMD4(-v[1], v[1], -v[3], v[3])
        }
        let a = load4(p, i)
        store4(a * SIMD4(w[0], w[0], w[2], w[2]) + swapPairs(a) * SIMD4(-w[1], w[1], -w[3], w[3]), p, i)
        i &+= 2
    }
}
