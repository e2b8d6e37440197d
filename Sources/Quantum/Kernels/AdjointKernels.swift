// Adjoint-differentiation kernels: one pass over two states, ψ and λ, for each gate of the
// backward sweep. Internal: no checks (only asserts), no heap allocation, no logging.
//
// Argument order, as in Dense.swift:
//   (psi, lambda, geometry (target, controlMask, fixed positions, run length), matrix, flags, start, end)
// - psi, lambda: interleaved (re, im) amplitudes of ψ (the state after the gate) and λ (the
//   back-propagated observable state O·ψ_final after the gate).
// - geometry: the *pair* geometry of a one-target gate: free indices skip the target and the
//   controls, so free index k names the pair (i0, i1 = i0 + 2^target) of the controlled part.
//   Unlike KernelCall's diagonal geometry, diagonal gates use pairs too (both halves are read).
// - start..<end: a range of free indices.
//
// For a gate G = P_c ⊗ T + (1 − P_c) ⊗ 1 (controls c, target matrix T), one pass accumulates the
// 2 × 2 correlation of the states *before* the update,
//     M_ab = Σ over pairs of conj(λ_a) · ψ_b        (a, b: the target bit),
// then, as `update` says, replaces λ ← G†λ, and ψ ← G†ψ too. For every D = P_c ⊗ D_t,
// ⟨λ|D|ψ⟩ = Σ_ab (D_t)_ab · M_ab, so one pass gives the derivative of every angle of the gate
// (or of a fused run of one-qubit gates). M is returned as (M00, M01, M10, M11), each (re, im).
//
// Correlation sums use lane-wise products, combined at the end: with x = (re, im) pairs,
//   λ * ψ            = (λr ψr, λi ψi, …)  → Re conj(λ)ψ = lane0 + lane1
//   λ * swapPairs(ψ) = (λr ψi, λi ψr, …)  → Im conj(λ)ψ = lane0 − lane1

/// What a backward step writes after reading the correlation.
enum AdjointUpdate: Sendable {
    /// Nothing: the correlation only (the earliest operations of a sweep).
    case none
    /// λ ← G†λ (several observables: ψ is updated once, apart).
    case lambda
    /// λ ← G†λ and ψ ← G†ψ.
    case both
}

/// The pair geometry of a one-target gate (see the top of this file).
struct PairGeometry: Sendable {
    let target: Int
    let controlMask: Int
    /// Ascending: the target and the controls.
    let positions: [Int]
    /// Consecutive free indices map to consecutive pair bases for this many steps.
    let runLength: Int
    /// The number of pairs in the controlled part.
    let freeCount: Int

    init(target: Int, controlMask: Int, numQubits: Int) {
        self.target = target
        self.controlMask = controlMask
        positions = setBitPositions(controlMask | (1 << target))
        runLength = 1 << positions[0]
        freeCount = (1 << numQubits) >> positions.count
    }
}

/// Free indices per block of a correlation sum: blocks are summed in order, so results do not
/// depend on the number of threads.
let correlationBlock = 1 << 11

/// Re and Im of the four entries of M from lane sums laid out as two pairs per vector (target ≥ 1).
@inline(__always)
private func combineTwoGroups<Real: StateScalar>(_ p: SIMD4<Real>, _ q: SIMD4<Real>) -> (Double, Double) {
    (Double(p[0]) + Double(p[1]) + Double(p[2]) + Double(p[3]),
     Double(q[0]) - Double(q[1]) + Double(q[2]) - Double(q[3]))
}

/// conj(l) · x for one complex number each, added to (re, im).
@inline(__always)
private func accumulateConjugateProduct<Real: StateScalar>(_ sum: inout (Double, Double), _ lr: Real, _ li: Real,
                                                           _ xr: Real, _ xi: Real)
{
    sum.0 += Double(lr) * Double(xr) + Double(li) * Double(xi)
    sum.1 += Double(lr) * Double(xi) - Double(li) * Double(xr)
}

/// Dense one-target step: M of (ψ, λ), then λ ← U†λ (and ψ ← U†ψ); `m` holds U†.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func adjointDense1Range<Real: StateScalar>(_ psi: UnsafeMutablePointer<Real>, _ lambda: UnsafeMutablePointer<Real>,
                                           target: Int, controlMask: Int, positions: UnsafeBufferPointer<Int>,
                                           runLength: Int, matrix m: Matrix2<Real>, update: AdjointUpdate,
                                           start: Int, end: Int) -> SIMD8<Double>
{
    let writeLambda = update != .none, writePsi = update == .both
    if target == 0 {
        return adjointDense1AdjacentRange(psi, lambda, controlMask: controlMask, positions: positions, matrix: m,
                                          update: update, start: start, end: end)
    }
    let stride = 1 << target
    let s = splats(of: m)
    let (r00, i00, r01, i01) = (s.r00, s.i00, s.r01, s.i01)
    let (r10, i10, r11, i11) = (s.r10, s.i10, s.r11, s.i11)
    // Lane sums as in the target-0 loop: each pair is re-packed as (x_0, x_1) in one vector (with
    // SIMD4 on SSE2 the halves are registers, so re-packing costs nothing), which needs four
    // accumulators instead of eight and keeps them in registers.
    var direct = SIMD4<Real>(), directSwapped = SIMD4<Real>()
    var crossed = SIMD4<Real>(), crossedSwapped = SIMD4<Real>()
    // Pairs left over at the end of odd runs, summed in Double.
    var s00 = (0.0, 0.0), s01 = (0.0, 0.0), s10 = (0.0, 0.0), s11 = (0.0, 0.0)
    // Uncontrolled target 1: runs of two pairs, free index k (even) ↦ pair base 2k; one step per run.
    let targetOneRuns = target == 1 && controlMask == 0 && start & 1 == 0 && end & 1 == 0
    var k = start
    while k < end {
        let runEnd = targetOneRuns ? k &+ 2 : min(end, (k | (runLength &- 1)) &+ 1)
        // i0: the pair base (target bit 0, control bits 1) of free index k.
        var i0 = targetOneRuns ? 2 &* k : insertZeroBits(k, positions) | controlMask
        let last = i0 &+ (runEnd &- k)
        // Two pairs per step: a holds ψ_0 of both, b holds ψ_1 of both.
        while i0 &+ 1 < last {
            let a = load4(psi, i0), b = load4(psi, i0 &+ stride)
            let la = load4(lambda, i0), lb = load4(lambda, i0 &+ stride)
            let sa = swapPairs(a), sb = swapPairs(b)
            // Pair of the first group: v = (ψ_0, ψ_1), l = (λ_0, λ_1); then the second group.
            let v0 = SIMD4(lowHalf: a.lowHalf, highHalf: b.lowHalf), l0 = SIMD4(lowHalf: la.lowHalf, highHalf: lb.lowHalf)
            let v1 = SIMD4(lowHalf: a.highHalf, highHalf: b.highHalf), l1 = SIMD4(lowHalf: la.highHalf, highHalf: lb.highHalf)
            let sv0 = SIMD4(lowHalf: sa.lowHalf, highHalf: sb.lowHalf), sv1 = SIMD4(lowHalf: sa.highHalf, highHalf: sb.highHalf)
            direct += l0 * v0 + l1 * v1
            directSwapped += l0 * sv0 + l1 * sv1
            crossed += l0 * SIMD4(lowHalf: v0.highHalf, highHalf: v0.lowHalf) + l1 * SIMD4(lowHalf: v1.highHalf, highHalf: v1.lowHalf)
            crossedSwapped += l0 * SIMD4(lowHalf: sv0.highHalf, highHalf: sv0.lowHalf)
                + l1 * SIMD4(lowHalf: sv1.highHalf, highHalf: sv1.lowHalf)
            if writeLambda {
                let sla = swapPairs(la), slb = swapPairs(lb)
                store4(la * r00 + sla * i00 + lb * r01 + slb * i01, lambda, i0)
                store4(la * r10 + sla * i10 + lb * r11 + slb * i11, lambda, i0 &+ stride)
            }
            if writePsi {
                store4(a * r00 + sa * i00 + b * r01 + sb * i01, psi, i0)
                store4(a * r10 + sa * i10 + b * r11 + sb * i11, psi, i0 &+ stride)
            }
            i0 &+= 2
        }
        if i0 < last {
            let i1 = i0 &+ stride
            let (ar, ai, br, bi) = (psi[2 &* i0], psi[2 &* i0 &+ 1], psi[2 &* i1], psi[2 &* i1 &+ 1])
            let (lar, lai, lbr, lbi) = (lambda[2 &* i0], lambda[2 &* i0 &+ 1], lambda[2 &* i1], lambda[2 &* i1 &+ 1])
            accumulateConjugateProduct(&s00, lar, lai, ar, ai)
            accumulateConjugateProduct(&s01, lar, lai, br, bi)
            accumulateConjugateProduct(&s10, lbr, lbi, ar, ai)
            accumulateConjugateProduct(&s11, lbr, lbi, br, bi)
            if writeLambda { dense1Scalar(lambda, i0, i1, m) }
            if writePsi { dense1Scalar(psi, i0, i1, m) }
        }
        k = runEnd
    }
    return SIMD8(Double(direct[0]) + Double(direct[1]) + s00.0, Double(directSwapped[0]) - Double(directSwapped[1]) + s00.1,
                 Double(crossed[0]) + Double(crossed[1]) + s01.0, Double(crossedSwapped[0]) - Double(crossedSwapped[1]) + s01.1,
                 Double(crossed[2]) + Double(crossed[3]) + s10.0, Double(crossedSwapped[2]) - Double(crossedSwapped[3]) + s10.1,
                 Double(direct[2]) + Double(direct[3]) + s11.0, Double(directSwapped[2]) - Double(directSwapped[3]) + s11.1)
}

/// Dense step on target 0: each pair (i0, i0 + 1) is one vector (ψ_0, ψ_1).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func adjointDense1AdjacentRange<Real: StateScalar>(_ psi: UnsafeMutablePointer<Real>, _ lambda: UnsafeMutablePointer<Real>,
                                                   controlMask: Int, positions: UnsafeBufferPointer<Int>,
                                                   matrix m: Matrix2<Real>, update: AdjointUpdate,
                                                   start: Int, end: Int) -> SIMD8<Double>
{
    let writeLambda = update != .none, writePsi = update == .both
    let s = splats(of: m)
    let (diagR, diagI, offR, offI) = (s.diagR, s.diagI, s.offR, s.offI)
    // direct: λ * ψ and λ * swap(ψ) give M00 (lanes 0, 1) and M11 (lanes 2, 3);
    // crossed: λ * (ψ_1, ψ_0) and its swap give M01 (lanes 0, 1) and M10 (lanes 2, 3).
    var direct = SIMD4<Real>(), directSwapped = SIMD4<Real>()
    var crossed = SIMD4<Real>(), crossedSwapped = SIMD4<Real>()
    let uncontrolled = controlMask == 0
    for k in start..<end {
        // i0: the pair base (bit 0 clear, controls set); 2k when there are no controls.
        let i0 = uncontrolled ? 2 &* k : insertZeroBits(k, positions) | controlMask
        let v = load4(psi, i0), l = load4(lambda, i0)
        let sv = swapPairs(v)
        let h = SIMD4(v[2], v[3], v[0], v[1])
        let sh = swapPairs(h)
        direct += l * v
        directSwapped += l * sv
        crossed += l * h
        crossedSwapped += l * sh
        if writeLambda {
            let hl = SIMD4(l[2], l[3], l[0], l[1])
            store4(l * diagR + swapPairs(l) * diagI + hl * offR + swapPairs(hl) * offI, lambda, i0)
        }
        if writePsi { store4(v * diagR + sv * diagI + h * offR + sh * offI, psi, i0) }
    }
    return SIMD8(Double(direct[0]) + Double(direct[1]), Double(directSwapped[0]) - Double(directSwapped[1]),
                 Double(crossed[0]) + Double(crossed[1]), Double(crossedSwapped[0]) - Double(crossedSwapped[1]),
                 Double(crossed[2]) + Double(crossed[3]), Double(crossedSwapped[2]) - Double(crossedSwapped[3]),
                 Double(direct[2]) + Double(direct[3]), Double(directSwapped[2]) - Double(directSwapped[3]))
}

/// Diagonal one-target step: M00 and M11 of (ψ, λ) (M01 = M10 = 0 are not needed for diagonal
/// derivatives), then λ ← diag(d0, d1)λ (and ψ); `f` holds (d0r, d0i, d1r, d1i) of U†.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func adjointDiagonal1Range<Real: StateScalar>(_ psi: UnsafeMutablePointer<Real>, _ lambda: UnsafeMutablePointer<Real>,
                                              target: Int, controlMask: Int, positions: UnsafeBufferPointer<Int>,
                                              runLength: Int, factors f: UnsafePointer<Real>, update: AdjointUpdate,
                                              start: Int, end: Int) -> SIMD8<Double>
{
    let writeLambda = update != .none, writePsi = update == .both
    if target == 0 {
        let vr = SIMD4<Real>(f[0], f[0], f[2], f[2])
        let vi = SIMD4<Real>(-f[1], f[1], -f[3], f[3])
        var direct = SIMD4<Real>(), directSwapped = SIMD4<Real>()
        let uncontrolled = controlMask == 0
        for k in start..<end {
            let i0 = uncontrolled ? 2 &* k : insertZeroBits(k, positions) | controlMask
            let v = load4(psi, i0), l = load4(lambda, i0)
            let sv = swapPairs(v)
            direct += l * v
            directSwapped += l * sv
            if writeLambda { store4(l * vr + swapPairs(l) * vi, lambda, i0) }
            if writePsi { store4(v * vr + sv * vi, psi, i0) }
        }
        return SIMD8(Double(direct[0]) + Double(direct[1]), Double(directSwapped[0]) - Double(directSwapped[1]), 0, 0,
                     0, 0, Double(direct[2]) + Double(direct[3]), Double(directSwapped[2]) - Double(directSwapped[3]))
    }
    let stride = 1 << target
    let (r0, i0f) = splat(f[0], f[1])
    let (r1, i1f) = splat(f[2], f[3])
    var p00 = SIMD4<Real>(), q00 = SIMD4<Real>(), p11 = SIMD4<Real>(), q11 = SIMD4<Real>()
    var s00 = (0.0, 0.0), s11 = (0.0, 0.0)
    var k = start
    while k < end {
        let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
        var i0 = insertZeroBits(k, positions) | controlMask
        let last = i0 &+ (runEnd &- k)
        while i0 &+ 1 < last {
            let a = load4(psi, i0), b = load4(psi, i0 &+ stride)
            let la = load4(lambda, i0), lb = load4(lambda, i0 &+ stride)
            let sa = swapPairs(a), sb = swapPairs(b)
            p00 += la * a
            q00 += la * sa
            p11 += lb * b
            q11 += lb * sb
            if writeLambda {
                store4(la * r0 + swapPairs(la) * i0f, lambda, i0)
                store4(lb * r1 + swapPairs(lb) * i1f, lambda, i0 &+ stride)
            }
            if writePsi {
                store4(a * r0 + sa * i0f, psi, i0)
                store4(b * r1 + sb * i1f, psi, i0 &+ stride)
            }
            i0 &+= 2
        }
        if i0 < last {
            let i1 = i0 &+ stride
            accumulateConjugateProduct(&s00, lambda[2 &* i0], lambda[2 &* i0 &+ 1], psi[2 &* i0], psi[2 &* i0 &+ 1])
            accumulateConjugateProduct(&s11, lambda[2 &* i1], lambda[2 &* i1 &+ 1], psi[2 &* i1], psi[2 &* i1 &+ 1])
            if writeLambda {
                scaleRun(lambda, start: i0, count: 1, fr: f[0], fi: f[1])
                scaleRun(lambda, start: i1, count: 1, fr: f[2], fi: f[3])
            }
            if writePsi {
                scaleRun(psi, start: i0, count: 1, fr: f[0], fi: f[1])
                scaleRun(psi, start: i1, count: 1, fr: f[2], fi: f[3])
            }
        }
        k = runEnd
    }
    let m00 = combineTwoGroups(p00, q00), m11 = combineTwoGroups(p11, q11)
    return SIMD8(m00.0 + s00.0, m00.1 + s00.1, 0, 0, 0, 0, m11.0 + s11.0, m11.1 + s11.1)
}

/// The off-diagonal entries M01 and M10 of an uncontrolled one-target gate's correlation, read
/// only, for free indices start..<end (free index k names the pair (i0, i0 + 2^target), i0 = k
/// with a zero bit inserted at `target`). Returns (M01 re, M01 im, M10 re, M10 im).
///
/// Half the products of `adjointDense1Range`'s correlation: for commuting layers the diagonal
/// entries of every qubit come from one shared pass (`diagonalCorrelationRange`).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func offDiagonalCorrelationRange<Real: StateScalar>(_ psi: UnsafeMutablePointer<Real>, _ lambda: UnsafeMutablePointer<Real>,
                                                    target: Int, start: Int, end: Int) -> SIMD4<Double>
{
    if WideKernels.available, let m = WideKernels.offDiagonal(psi, lambda, target: target, start: start, end: end) { return m }
    return offDiagonalCorrelationRangePortable(psi, lambda, target: target, start: start, end: end)
}

/// The portable form of `offDiagonalCorrelationRange`.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func offDiagonalCorrelationRangePortable<Real: StateScalar>(_ psi: UnsafeMutablePointer<Real>,
                                                            _ lambda: UnsafeMutablePointer<Real>, target: Int, start: Int,
                                                            end: Int) -> SIMD4<Double>
{
    if target == 0 {
        // v = (ψ_0, ψ_1), l = (λ_0, λ_1): l * (ψ_1, ψ_0) holds conj(λ_0)ψ_1's real terms in lanes 0, 1
        // and conj(λ_1)ψ_0's in lanes 2, 3; with swapped pairs, the imaginary terms.
        var crossed = SIMD4<Real>(), crossedSwapped = SIMD4<Real>()
        for k in start..<end {
            let v = load4(psi, 2 &* k), l = load4(lambda, 2 &* k)
            let h = SIMD4(v[2], v[3], v[0], v[1])
            crossed += l * h
            crossedSwapped += l * swapPairs(h)
        }
        return SIMD4(Double(crossed[0]) + Double(crossed[1]), Double(crossedSwapped[0]) - Double(crossedSwapped[1]),
                     Double(crossed[2]) + Double(crossed[3]), Double(crossedSwapped[2]) - Double(crossedSwapped[3]))
    }
    let stride = 1 << target, runLength = stride
    // Two pairs per step: conj(λ_0)ψ_1 into p01/q01 and conj(λ_1)ψ_0 into p10/q10, lane-wise.
    var p01 = SIMD4<Real>(), q01 = SIMD4<Real>(), p10 = SIMD4<Real>(), q10 = SIMD4<Real>()
    var s01 = (0.0, 0.0), s10 = (0.0, 0.0)
    var k = start
    while k < end {
        let runEnd = min(end, (k | (runLength &- 1)) &+ 1)
        var i0 = ((k >> target) << (target &+ 1)) | (k & (stride &- 1))
        let last = i0 &+ (runEnd &- k)
        while i0 &+ 1 < last {
            let a = load4(psi, i0), b = load4(psi, i0 &+ stride)
            let la = load4(lambda, i0), lb = load4(lambda, i0 &+ stride)
            p01 += la * b
            q01 += la * swapPairs(b)
            p10 += lb * a
            q10 += lb * swapPairs(a)
            i0 &+= 2
        }
        if i0 < last {
            let i1 = i0 &+ stride
            accumulateConjugateProduct(&s01, lambda[2 &* i0], lambda[2 &* i0 &+ 1], psi[2 &* i1], psi[2 &* i1 &+ 1])
            accumulateConjugateProduct(&s10, lambda[2 &* i1], lambda[2 &* i1 &+ 1], psi[2 &* i0], psi[2 &* i0 &+ 1])
        }
        k = runEnd
    }
    let m01 = combineTwoGroups(p01, q01), m10 = combineTwoGroups(p10, q10)
    return SIMD4(m01.0 + s01.0, m01.1 + s01.1, m10.0 + s10.0, m10.1 + s10.1)
}

/// Amplitudes per group of the diagonal pass: the sums of p_i = conj(λ_i)ψ_i are kept per
/// position within a group (the low bits) and per group for the high bits.
private let diagonalGroupBits = 6

/// The imaginary parts of the diagonal correlations of every qubit at once, read only, over
/// amplitudes start..<end (multiples of 64 when numQubits ≥ 6): with p_i = conj(λ_i)ψ_i, adds
/// Im Σ p_i into sums[1] and, for each qubit q, Im of the sum over i with bit q set into
/// sums[3 + 2q] (the even slots, real parts, stay as they are). The correlation of a one-target
/// gate on q then has Im M11 = that sum and Im M00 = Im S − Im M11.
///
/// Real parts are not needed: every generator term K is anti-Hermitian, so D = A·K·A† has an
/// imaginary diagonal and 2·Re(D_aa·M_aa) = −2·Im(D_aa)·Im(M_aa).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func diagonalCorrelationRange<Real: StateScalar>(_ psi: UnsafeMutablePointer<Real>, _ lambda: UnsafeMutablePointer<Real>,
                                                 numQubits: Int, start: Int, end: Int, into sums: UnsafeMutablePointer<Double>)
{
    let g = diagonalGroupBits
    guard numQubits >= g else {
        for i in start..<end {
            let im = Double(lambda[2 &* i]) * Double(psi[2 &* i &+ 1]) - Double(lambda[2 &* i &+ 1]) * Double(psi[2 &* i])
            sums[1] += im
            for q in 0..<numQubits where i >> q & 1 == 1 { sums[3 &+ 2 &* q] += im }
        }
        return
    }
    assert(start % (1 << g) == 0 && end % (1 << g) == 0)
    // Per vector position j within a group (amplitudes 2j, 2j + 1), lane sums of λ * swap(ψ):
    // Im conj(λ)ψ = lane 0 − lane 1 (and lanes 2, 3 for the odd amplitude).
    let vectors = 1 << (g - 1)
    withUnsafeTemporaryAllocation(of: SIMD4<Real>.self, capacity: vectors) { buffer in
        let swapped = buffer.baseAddress!
        for j in 0..<vectors { swapped[j] = SIMD4() }
        var base = start
        while base < end {
            var group = SIMD4<Real>()
            for j in 0..<vectors {
                let s = load4(lambda, base &+ 2 &* j) * swapPairs(load4(psi, base &+ 2 &* j))
                swapped[j] += s
                group += s
            }
            // High qubits: the group's sum where the group index has the bit.
            let im = Double(group[0]) - Double(group[1]) + Double(group[2]) - Double(group[3])
            var high = base >> g
            while high != 0 {
                sums[3 &+ 2 &* (g &+ high.trailingZeroBitCount)] += im
                high &= high &- 1
            }
            base &+= 1 << g
        }
        // Low qubits and the total from the per-position sums.
        func add(at position: Int, _ im: Double) {
            sums[1] += im
            for q in 0..<g where position >> q & 1 == 1 { sums[3 &+ 2 &* q] += im }
        }
        for j in 0..<vectors {
            let s = swapped[j]
            add(at: 2 * j, Double(s[0]) - Double(s[1]))
            add(at: 2 * j + 1, Double(s[2]) - Double(s[3]))
        }
    }
}

/// The 2^k × 2^k correlation M_ab = Σ_groups conj(λ[base | offsets[a]]) · ψ[base | offsets[b]]
/// of a k-target gate, added into `m` (2·4^k Doubles, row-major (re, im)). Read only.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func correlationKRange<Real: StateScalar>(_ psi: UnsafeMutablePointer<Real>, _ lambda: UnsafeMutablePointer<Real>,
                                          offsets: UnsafeBufferPointer<Int>, controlMask: Int,
                                          positions: UnsafeBufferPointer<Int>, start: Int, end: Int,
                                          into m: UnsafeMutablePointer<Double>)
{
    let dimension = offsets.count
    for g in start..<end {
        // base: the group's index with every target bit 0 and the controls 1.
        let base = insertZeroBits(g, positions) | controlMask
        for a in 0..<dimension {
            let ia = base | offsets[a]
            let lr = Double(lambda[2 &* ia]), li = Double(lambda[2 &* ia &+ 1])
            for b in 0..<dimension {
                let ib = base | offsets[b]
                let xr = Double(psi[2 &* ib]), xi = Double(psi[2 &* ib &+ 1])
                let o = 2 &* (a &* dimension &+ b)
                m[o] += lr * xr + li * xi
                m[o &+ 1] += lr * xi - li * xr
            }
        }
    }
}

/// λ (=, or +=) f · P ψ for one Pauli string P = i^y · X^x · Z^z (the y count folded into f):
/// (Pψ)[j] = (−1)^popcount((j ⊕ x) & z) · ψ[j ⊕ x], for j in start..<end.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func pauliTermRange<Real: StateScalar>(_ psi: UnsafeMutablePointer<Real>, into lambda: UnsafeMutablePointer<Real>,
                                       xMask: Int, zMask: Int, factorRe fr: Real, factorIm fi: Real, overwrite: Bool,
                                       start: Int, end: Int)
{
    for j in start..<end {
        let source = j ^ xMask
        let sign: Real = (source & zMask).nonzeroBitCount & 1 == 0 ? 1 : -1
        let xr = sign * psi[2 &* source], xi = sign * psi[2 &* source &+ 1]
        let re = fr * xr - fi * xi, im = fr * xi + fi * xr
        if overwrite {
            lambda[2 &* j] = re
            lambda[2 &* j &+ 1] = im
        } else {
            lambda[2 &* j] += re
            lambda[2 &* j &+ 1] += im
        }
    }
}

/// Sums `term(start, end)` over fixed blocks of `block` indices covering 0..<count, adding the
/// block results in block order; threads only decide who computes a block, so the result is the
/// same for every thread count. One thread runs the blocks in order without allocating.
func blockwiseSum8(count: Int, block: Int, threads: Int, _ term: @Sendable (Int, Int) -> SIMD8<Double>) -> SIMD8<Double> {
    let blocks = (count + block - 1) / block
    var total = SIMD8<Double>()
    if threads <= 1 || blocks < 2 {
        for b in 0..<blocks { total += term(b * block, min(count, (b + 1) * block)) }
        return total
    }
    let partials = UnsafeMutablePointer<SIMD8<Double>>.allocate(capacity: blocks)
    defer { partials.deallocate() }
    let out = SharedPointer(base: partials)
    forEachRange(count: blocks, threads: threads, grain: 1) { first, last in
        for b in first..<last { out.base[b] = term(b * block, min(count, (b + 1) * block)) }
    }
    for b in 0..<blocks { total += partials[b] }
    return total
}

/// Sums `term(start, end, into:)` (which adds `width` Doubles into its buffer) over fixed blocks
/// of `block` indices covering 0..<count, block results added in block order, as
/// `blockwiseSum8` does: the result does not depend on the number of threads.
func blockwiseSums(count: Int, block: Int, width: Int, threads: Int,
                   _ term: @Sendable (Int, Int, UnsafeMutablePointer<Double>) -> Void) -> [Double]
{
    let blocks = (count + block - 1) / block
    var total = [Double](repeating: 0, count: width)
    let partials = UnsafeMutablePointer<Double>.allocate(capacity: max(1, blocks * width))
    defer { partials.deallocate() }
    partials.initialize(repeating: 0, count: blocks * width)
    let out = SharedPointer(base: partials)
    if threads <= 1 || blocks < 2 {
        for b in 0..<blocks { term(b * block, min(count, (b + 1) * block), partials + b * width) }
    } else {
        forEachRange(count: blocks, threads: threads, grain: 1) { first, last in
            for b in first..<last { term(b * block, min(count, (b + 1) * block), out.base + b * width) }
        }
    }
    for b in 0..<blocks {
        for w in 0..<width { total[w] += partials[b * width + w] }
    }
    return total
}

/// Writes the product state ⊗_q (c0_q|0⟩ + c1_q|1⟩) over all 2^n amplitudes (every one is
/// overwritten; the state's old contents do not matter); `columns` holds (c0 re, c0 im, c1 re,
/// c1 im) for each qubit. The lowest `productStateLowQubits` qubits are built by doubling in the
/// first run of amplitudes (in cache: after qubit q, amplitudes 0 ..< 2^(q+1) hold the product over
/// qubits 0 … q); every run r is then that run times one factor, the product of the higher
/// qubits' entries at r's bits (run 0 last, in place). So memory is written once and read never.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func writeProductState<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, numQubits: Int, columns: UnsafePointer<Real>,
                                          threads: Int)
{
    p[0] = 1
    p[1] = 0
    let low = min(numQubits, productStateLowQubits)
    for q in 0..<low {
        let half = 1 << q
        let (r0, i0) = (columns[4 &* q], columns[4 &* q &+ 1])
        let (r1, i1) = (columns[4 &* q &+ 2], columns[4 &* q &+ 3])
        for i in 0..<half {
            let re = p[2 &* i], im = p[2 &* i &+ 1]
            p[2 &* (i &+ half)] = re * r1 - im * i1
            p[2 &* (i &+ half) &+ 1] = re * i1 + im * r1
            p[2 &* i] = re * r0 - im * i0
            p[2 &* i &+ 1] = re * i0 + im * r0
        }
    }
    guard numQubits > low else { return }
    let runLength = 1 << low  // even: low ≥ 1 here
    let runs = 1 << (numQubits - low)
    // The factor of run r: the entry (bit q − low of r) of each higher qubit's column.
    @Sendable func factor(_ run: Int, _ c: UnsafePointer<Real>) -> (Real, Real) {
        var fr: Real = 1, fi: Real = 0
        for q in low..<numQubits {
            let o = 4 &* q &+ ((run >> (q &- low)) & 1 == 0 ? 0 : 2)
            (fr, fi) = (fr * c[o] - fi * c[o &+ 1], fr * c[o &+ 1] + fi * c[o])
        }
        return (fr, fi)
    }
    let state = SharedPointer(base: p)
    let shared = SharedPointer(base: UnsafeMutablePointer(mutating: columns))
    // Runs 1 ..< runs from the doubled run 0; each thread reads run 0 and writes its own runs.
    forEachRange(count: runs - 1, threads: threads, grain: max(1, minimumIndicesPerThread >> low)) { start, end in
        let p = state.base, c = UnsafePointer(shared.base)
        for run in (start + 1)...end {
            let (fr, fi) = factor(run, c)
            let (re, im) = splat(fr, fi)
            scaledCopy(from: p, to: p + 2 &* (run &* runLength), count: runLength, re: re, im: im)
        }
    }
    // Then run 0 itself takes its factor (the higher qubits' c0 entries), in place.
    let (fr, fi) = factor(0, columns)
    let (re, im) = splat(fr, fi)
    scaledCopy(from: p, to: p, count: runLength, re: re, im: im)
}

/// The amplitudes below this many qubits of a product state are built by doubling (2^11 complex
/// numbers: 32 KiB in Double, in L1 or L2).
let productStateLowQubits = 11

/// destination[i] = f · source[i] for `count` (even) complex numbers, two per SIMD vector; `re`
/// and `im` are f splatted (``splat(_:_:)``), built by the caller so that this loop's function
/// never sees the negation (see `splats(of:)` in Dense.swift).
@inline(never)
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func scaledCopy<Real: StateScalar>(from source: UnsafeMutablePointer<Real>, to destination: UnsafeMutablePointer<Real>,
                                   count: Int, re: SIMD4<Real>, im: SIMD4<Real>)
{
    var i = 0
    while i < count {
        let v = load4(source, i)
        store4(v * re + swapPairs(v) * im, destination, i)
        i &+= 2
    }
}
