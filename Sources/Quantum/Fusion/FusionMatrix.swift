import ComplexModule
import Foundation

// The fuser's arithmetic: a block's product as a dense 2^k × 2^k matrix (k ≤ 5 in practice), and
// the classification of that product into the cheapest kernel form. Planning code: it allocates,
// and runs once per compiled circuit (or once per bind for blocks with free parameters).

/// A 2^k × 2^k complex matrix on k qubits (k ≤ 5 in practice); bit j of a row or column index is
/// the value of `qubits[j]` (ascending global positions). Products of permutations with phases
/// (diagonals, CX, SWAP, …) stay sparse — one entry per row — so the fuser multiplies the long
/// runs of such gates in transpiled circuits in O(2^k) per gate; anything else is dense,
/// interleaved (re, im), row-major.
struct FusionMatrix: Sendable, Equatable {
    enum Storage: Sendable, Equatable {
        /// Row r has one nonzero entry, in column sources[r], with value (values[2r], values[2r + 1]).
        case sparse(sources: [Int], values: [Double])
        /// 2 · 4^k numbers: entry (r, c) at 2(r·2^k + c).
        case dense([Double])
    }

    /// The qubits, ascending.
    private(set) var qubits: [Int]
    private(set) var storage: Storage

    var dimension: Int { 1 << qubits.count }

    /// The identity on `qubits` (ascending).
    init(identityOn qubits: [Int]) {
        assert(qubits == qubits.sorted())
        self.qubits = qubits
        let d = 1 << qubits.count
        var values = [Double](repeating: 0, count: 2 * d)
        for r in 0..<d { values[2 * r] = 1 }
        storage = .sparse(sources: Array(0..<d), values: values)
    }

    /// A dense matrix from its entries (the caller guarantees the layout).
    init(qubits: [Int], entries: [Double]) {
        assert(entries.count == 2 << (2 * qubits.count))
        self.qubits = qubits
        storage = .dense(entries)
    }

    private init(qubits: [Int], storage: Storage) {
        self.qubits = qubits
        self.storage = storage
    }

    /// The product of a gate structure's full matrix on `gateQubits` (its argument order), as a
    /// matrix on those qubits sorted.
    init(structure: GateStructure, on gateQubits: [Int]) {
        let gate = structure.fullMatrix()
        let sorted = gateQubits.sorted()
        let g = gate.dimension
        // Gate index bit j is gateQubits[j]; the block's bit position of that qubit is its rank.
        let positions = gateQubits.map { q in sorted.firstIndex(of: q) ?? 0 }
        var spread = [Int](repeating: 0, count: g)
        for s in 0..<g {
            for (j, p) in positions.enumerated() where s & (1 << j) != 0 { spread[s] |= 1 << p }
        }
        var single = true
        for r in 0..<g {
            var count = 0
            for c in 0..<g where gate.entries[r * g + c] != .zero { count += 1 }
            if count != 1 {
                single = false
                break
            }
        }
        if single {
            var sources = [Int](repeating: 0, count: g), values = [Double](repeating: 0, count: 2 * g)
            for r in 0..<g {
                for c in 0..<g where gate.entries[r * g + c] != .zero {
                    sources[spread[r]] = spread[c]
                    values[2 * spread[r]] = gate.entries[r * g + c].real
                    values[2 * spread[r] + 1] = gate.entries[r * g + c].imaginary
                }
            }
            self.init(qubits: sorted, storage: .sparse(sources: sources, values: values))
        } else {
            var entries = [Double](repeating: 0, count: 2 * g * g)
            for r in 0..<g {
                for c in 0..<g {
                    entries[2 * (spread[r] * g + spread[c])] = gate.entries[r * g + c].real
                    entries[2 * (spread[r] * g + spread[c]) + 1] = gate.entries[r * g + c].imaginary
                }
            }
            self.init(qubits: sorted, entries: entries)
        }
    }

    var isSparse: Bool {
        if case .sparse = storage { return true }
        return false
    }

    /// The dense entries (made from the sparse form when needed).
    var entries: [Double] {
        switch storage {
        case .dense(let entries): return entries
        case .sparse(let sources, let values):
            let d = dimension
            var out = [Double](repeating: 0, count: 2 * d * d)
            for r in 0..<d {
                out[2 * (r * d + sources[r])] = values[2 * r]
                out[2 * (r * d + sources[r]) + 1] = values[2 * r + 1]
            }
            return out
        }
    }

    /// The position of each global qubit in `qubits` (nil when absent).
    private func position(of q: Int) -> Int? { qubits.firstIndex(of: q) }

    /// self ← G · self, for a gate G on `gateQubits` ⊆ `qubits` (bit j of G's index is
    /// gateQubits[j]): G acts on the row index. Stays sparse when both are.
    mutating func multiply(by gate: SmallMatrix, on gateQubits: [Int]) {
        let d = dimension
        let g = gate.dimension
        let local = gateQubits.map { q -> Int in
            guard let p = position(of: q) else {
                assertionFailure("gate qubit \(q) outside the block \(qubits)")
                return 0
            }
            return p
        }
        // offsets[s]: the row-index bits of gate index s; rows of one group differ only there.
        var offsets = [Int](repeating: 0, count: g)
        for s in 0..<g {
            for (j, p) in local.enumerated() where s & (1 << j) != 0 { offsets[s] |= 1 << p }
        }
        let fixed = local.reduce(0) { $0 | (1 << $1) }
        let nonzero: [[Int]] = (0..<g).map { r in (0..<g).filter { gate.entries[r * g + $0] != .zero } }
        if case .sparse(let sources, let values) = storage, nonzero.allSatisfy({ $0.count == 1 }) {
            var newSources = sources, newValues = values
            for base in 0..<d where base & fixed == 0 {
                for r in 0..<g {
                    let s = nonzero[r][0]
                    let m = gate.entries[r * g + s]
                    let from = base | offsets[s], to = base | offsets[r]
                    let (vr, vi) = (values[2 * from], values[2 * from + 1])
                    newSources[to] = sources[from]
                    newValues[2 * to] = m.real * vr - m.imaginary * vi
                    newValues[2 * to + 1] = m.real * vi + m.imaginary * vr
                }
            }
            storage = .sparse(sources: newSources, values: newValues)
            return
        }
        var m = entries
        let gr = gate.entries.map { $0.real }, gi = gate.entries.map { $0.imaginary }
        m.withUnsafeMutableBufferPointer { m in
            var xr = [Double](repeating: 0, count: g), xi = [Double](repeating: 0, count: g)
            for base in 0..<d where base & fixed == 0 {
                for column in 0..<d {
                    for s in 0..<g {
                        let e = 2 * ((base | offsets[s]) * d + column)
                        xr[s] = m[e]
                        xi[s] = m[e + 1]
                    }
                    for r in 0..<g {
                        var sr = 0.0, si = 0.0
                        for s in nonzero[r] {
                            let a = gr[r * g + s], b = gi[r * g + s]
                            sr += a * xr[s] - b * xi[s]
                            si += a * xi[s] + b * xr[s]
                        }
                        let e = 2 * ((base | offsets[r]) * d + column)
                        m[e] = sr
                        m[e + 1] = si
                    }
                }
            }
        }
        storage = .dense(m)
    }

    /// later · earlier, on the union of their qubits, without widening either to the union: row r
    /// of the product takes the later factor's row on its own qubits and, for each of its nonzero
    /// entries, the earlier factor's row on its qubits, so the work is 2^k · (entries per row of
    /// later) · (entries per row of earlier) instead of 8^k (2^k = the union's dimension). Two
    /// sparse factors give a sparse product.
    static func product(_ later: FusionMatrix, _ earlier: FusionMatrix) -> FusionMatrix {
        let laterMask = later.qubits.reduce(0) { $0 | (1 << $1) }
        let earlierMask = earlier.qubits.reduce(0) { $0 | (1 << $1) }
        let unionMask = laterMask | earlierMask
        let union = unionMask == laterMask ? later.qubits : unionMask == earlierMask ? earlier.qubits : setBitPositions(unionMask)
        let d = 1 << union.count
        let da = later.dimension, db = earlier.dimension
        // Each factor's qubits as bit positions of a union index (a mask over 0..<union.count).
        func positions(_ qubits: [Int]) -> Int {
            var mask = 0, j = 0
            for (p, q) in union.enumerated() where j < qubits.count && qubits[j] == q {
                mask |= 1 << p
                j += 1
            }
            return mask
        }
        let maskA = positions(later.qubits), maskB = positions(earlier.qubits)
        /// Packs x's bits at mask's positions into bits 0, 1, … (a union index to the factor's own
        /// index), or, with `pack` false, the reverse (the factor's index to union-index bits).
        @inline(__always)
        func moveBits(_ x: Int, _ mask: Int, pack: Bool) -> Int {
            var result = 0, m = mask, j = 0
            while m != 0 {
                let p = m.trailingZeroBitCount
                result |= pack ? ((x >> p) & 1) << j : ((x >> j) & 1) << p
                j += 1
                m &= m - 1
            }
            return result
        }
        func sub(_ u: Int, _ mask: Int) -> Int { moveBits(u, mask, pack: true) }
        func spread(_ s: Int, _ mask: Int) -> Int { moveBits(s, mask, pack: false) }
        if case .sparse(let sa, let va) = later.storage, case .sparse(let sb, let vb) = earlier.storage {
            // Row r: later's entry (r, m) with m = r's other bits | spread(sa[r's bits]), then
            // earlier's entry (m, c) likewise.
            var sources = [Int](repeating: 0, count: d)
            var values = [Double](repeating: 0, count: 2 * d)
            for r in 0..<d {
                let ra = sub(r, maskA)
                let m = (r & ~maskA) | spread(sa[ra], maskA)
                let mb = sub(m, maskB)
                sources[r] = (m & ~maskB) | spread(sb[mb], maskB)
                let (xr, xi, yr, yi) = (va[2 * ra], va[2 * ra + 1], vb[2 * mb], vb[2 * mb + 1])
                values[2 * r] = xr * yr - xi * yi
                values[2 * r + 1] = xr * yi + xi * yr
            }
            return FusionMatrix(qubits: union, storage: .sparse(sources: sources, values: values))
        }
        var out = [Double](repeating: 0, count: 2 * d * d)
        out.withUnsafeMutableBufferPointer { z in
            // Calls body(j, re, im) for the nonzero entries (i, j) of a factor's row i.
            @inline(__always)
            func row(_ f: FusionMatrix, _ dimension: Int, _ i: Int, _ body: (Int, Double, Double) -> Void) {
                switch f.storage {
                case .sparse(let sources, let values):
                    body(sources[i], values[2 * i], values[2 * i + 1])
                case .dense(let e):
                    for j in 0..<dimension {
                        let (re, im) = (e[2 * (i * dimension + j)], e[2 * (i * dimension + j) + 1])
                        if re != 0 || im != 0 { body(j, re, im) }
                    }
                }
            }
            for r in 0..<d {
                let rowBase = 2 * r * d
                row(later, da, sub(r, maskA)) { ja, ar, ai in
                    let m = (r & ~maskA) | spread(ja, maskA)
                    let high = m & ~maskB
                    row(earlier, db, sub(m, maskB)) { jb, br, bi in
                        let e = rowBase + 2 * (high | spread(jb, maskB))
                        z[e] += ar * br - ai * bi
                        z[e + 1] += ar * bi + ai * br
                    }
                }
            }
        }
        return FusionMatrix(qubits: union, entries: out)
    }

    /// Entry (r, c).
    subscript(row: Int, column: Int) -> Complex<Double> {
        switch storage {
        case .sparse(let sources, let values):
            return sources[row] == column ? Complex(values[2 * row], values[2 * row + 1]) : .zero
        case .dense(let entries):
            let e = 2 * (row * dimension + column)
            return Complex(entries[e], entries[e + 1])
        }
    }
}

/// What a fused product is, classified for the cheapest kernel: leading controls, then a target
/// matrix that is diagonal, a permutation with phases, or dense.
struct FusedProduct: Sendable {
    /// The form of the target matrix.
    enum Form: Sendable, Equatable, CustomStringConvertible {
        /// The product is the identity (within the tolerance): the block is dropped.
        case identity
        /// Diagonal: each amplitude is multiplied by a phase.
        case diagonal
        /// One entry of modulus 1 per row and column: amplitudes move (and take phases).
        case permutation
        /// Anything else.
        case dense

        var description: String {
            switch self {
            case .identity: "identity"
            case .diagonal: "diagonal"
            case .permutation: "permutation"
            case .dense: "dense"
            }
        }
    }

    let form: Form
    /// The kernel's view: `numControls` leading qubits of `qubits`, a target matrix on the rest.
    let structure: GateStructure
    /// Controls (ascending) then targets (ascending), global positions.
    let qubits: [Int]
    /// Qubits whose value the product changes (non-diagonal in them): a pass must hold them.
    let mixingMask: Int
    /// Whether the target matrix is real (a cheaper dense kernel for one target).
    let isReal: Bool

    var numControls: Int { structure.numControls }
    var numTargets: Int { qubits.count - structure.numControls }
}

/// A fused product's form and masks (global qubit positions), without its target matrix.
struct ProductShape: Sendable, Equatable {
    let form: FusedProduct.Form
    /// Qubits on whose 0-half the product is the identity.
    let controlMask: Int
    /// Qubits whose value the product changes.
    let mixingMask: Int
    /// Every qubit of the product.
    let qubitMask: Int
    /// Whether every entry is real.
    let isReal: Bool
    /// Whether the target matrix is X or SWAP (a permutation without phases moving half the rows).
    let isExchange: Bool
    /// Whether a permutation's or diagonal's entries are not all 1.
    let hasPhases: Bool

    var targetCount: Int { qubitMask.nonzeroBitCount - controlMask.nonzeroBitCount }
}

extension FusionMatrix {
    /// The tolerance below which an entry of a fused product counts as zero (and within which it
    /// counts as 1 or as the identity's): 1e-13, a few hundred units of rounding in a product of
    /// a few dozen unit-modulus matrices, and far below the size of any real rotation angle that
    /// a circuit holds (near misses stay dense). Dropping entries this small changes a block's
    /// action on a unit state by at most 2^k · 1e-13 in norm (3.2e-12 for k = 5).
    static let zeroTolerance = 1e-13

    /// The product's form and masks without building its target matrix (no allocation): what the
    /// fuser's cost model needs for each candidate block. ``classified(tolerance:)`` agrees with it.
    func shape(tolerance: Double = FusionMatrix.zeroTolerance) -> ProductShape {
        let d = dimension, k = qubits.count
        let t2 = tolerance * tolerance
        var mixing = 0, real = true
        // Bit r: row r is (1 at r, 0 elsewhere) within the tolerance (d ≤ 32 rows in a block).
        var rowIdentity = 0
        var permutationRows = true
        switch storage {
        case .sparse(let sources, let values):
            for r in 0..<d {
                let (re, im) = (values[2 * r], values[2 * r + 1])
                if im != 0 { real = false }
                if sources[r] != r { mixing |= r ^ sources[r] }
                if sources[r] == r && (re - 1) * (re - 1) + im * im <= t2 { rowIdentity |= 1 << r }
                if abs((re * re + im * im).squareRoot() - 1) > tolerance { permutationRows = false }
            }
        case .dense(let e):
            for r in 0..<d {
                var nonzero = 0, offDiagonal = false, modulusOne = true
                for c in 0..<d {
                    let (re, im) = (e[2 * (r * d + c)], e[2 * (r * d + c) + 1])
                    let m2 = re * re + im * im
                    if m2 <= t2 { continue }
                    nonzero += 1
                    if im != 0 { real = false }
                    if abs(m2.squareRoot() - 1) > tolerance { modulusOne = false }
                    if c != r {
                        mixing |= r ^ c
                        offDiagonal = true
                    }
                }
                let (dr, di) = (e[2 * (r * d + r)], e[2 * (r * d + r) + 1])
                if !offDiagonal && (dr - 1) * (dr - 1) + di * di <= t2 { rowIdentity |= 1 << r }
                if nonzero != 1 || !modulusOne { permutationRows = false }
            }
        }
        let identity = rowIdentity == (d == 64 ? -1 : (1 << d) - 1)
        var controls = 0
        for p in 0..<k where mixing & (1 << p) == 0 {
            var all = true
            for r in 0..<d where r & (1 << p) == 0 && rowIdentity & (1 << r) == 0 {
                all = false
                break
            }
            if all { controls |= 1 << p }
        }
        if identity || controls == (1 << k) - 1 { controls &= ~1 }
        let form: FusedProduct.Form = identity ? .identity : mixing == 0 ? .diagonal : permutationRows ? .permutation : .dense
        // Phases of a permutation, and X or SWAP among its targets (rows with every control bit set).
        var phases = false, moved = 0, targetRows = 0
        if form == .permutation || form == .diagonal {
            for r in 0..<d where r & controls == controls {
                targetRows += 1
                let c: Int
                let (re, im): (Double, Double)
                switch storage {
                case .sparse(let sources, let values):
                    c = sources[r]
                    (re, im) = (values[2 * r], values[2 * r + 1])
                case .dense(let e):
                    c = (0..<d).first { e[2 * (r * d + $0)] * e[2 * (r * d + $0)] + e[2 * (r * d + $0) + 1] * e[2 * (r * d + $0) + 1] > t2 } ?? r
                    (re, im) = (e[2 * (r * d + c)], e[2 * (r * d + c) + 1])
                }
                if c != r { moved += 1 }
                if (re - 1) * (re - 1) + im * im > t2 { phases = true }
            }
        }
        let targets = k - controls.nonzeroBitCount
        let exchange = form == .permutation && !phases && (targets == 1 || (targets == 2 && 2 * moved == targetRows))
        var globalMixing = 0, globalControls = 0
        for p in 0..<k {
            if mixing & (1 << p) != 0 { globalMixing |= 1 << qubits[p] }
            if controls & (1 << p) != 0 { globalControls |= 1 << qubits[p] }
        }
        return ProductShape(form: form, controlMask: globalControls, mixingMask: globalMixing,
                            qubitMask: qubits.reduce(0) { $0 | (1 << $1) }, isReal: real, isExchange: exchange,
                            hasPhases: phases)
    }

    /// The product classified: identity, or leading controls then a diagonal, permutation or
    /// dense target matrix. Entries within ``zeroTolerance`` of 0 are set to 0 in the result.
    func classified(tolerance: Double = FusionMatrix.zeroTolerance) -> FusedProduct {
        let d = dimension, k = qubits.count
        let t2 = tolerance * tolerance
        // Dense entries, or the sparse form's one entry per row.
        let dense: [Double]? = if case .dense(let e) = storage { e } else { nil }
        let sparse: (sources: [Int], values: [Double])? = if case .sparse(let s, let v) = storage { (s, v) } else { nil }
        func value(_ r: Int, _ c: Int) -> (Double, Double) {
            if let dense { return (dense[2 * (r * d + c)], dense[2 * (r * d + c) + 1]) }
            guard let sparse, sparse.sources[r] == c else { return (0, 0) }
            return (sparse.values[2 * r], sparse.values[2 * r + 1])
        }
        func isZero(_ r: Int, _ c: Int) -> Bool {
            let (re, im) = value(r, c)
            return re * re + im * im <= t2
        }
        let shape = self.shape(tolerance: tolerance)
        var controlsLocal = 0
        for p in 0..<k where shape.controlMask & (1 << qubits[p]) != 0 { controlsLocal |= 1 << p }
        let controls = (0..<k).filter { controlsLocal & (1 << $0) != 0 }
        let targets = (0..<k).filter { controlsLocal & (1 << $0) == 0 }
        // The target matrix: rows and columns with every control bit 1, indexed by target bits.
        let t = targets.count, td = 1 << t
        var index = [Int](repeating: 0, count: td)
        for s in 0..<td {
            index[s] = controlsLocal
            for (j, p) in targets.enumerated() where s & (1 << j) != 0 { index[s] |= 1 << p }
        }
        // Entries within the tolerance of 0 are left out (exactly 0 in the target matrix).
        var target = [Complex<Double>](repeating: .zero, count: td * td)
        var real = true
        for r in 0..<td {
            for c in 0..<td {
                let (gr, gc) = (index[r], index[c])
                if sparse != nil && sparse?.sources[gr] != gc { continue }
                if isZero(gr, gc) { continue }
                let value = self[gr, gc]
                target[r * td + c] = value
                if value.imaginary != 0 { real = false }
            }
        }
        return FusedProduct(form: shape.form,
                            structure: GateStructure(numControls: controls.count,
                                                     target: SmallMatrix(dimension: td, entries: target)),
                            qubits: controls.map { qubits[$0] } + targets.map { qubits[$0] },
                            mixingMask: shape.mixingMask, isReal: real)
    }
}
