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
        self.init(identityOn: gateQubits.sorted())
        multiply(by: structure.fullMatrix(), on: gateQubits)
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
        let gr = gate.entries.map(\.real), gi = gate.entries.map(\.imaginary)
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

    /// The same operator on a superset of qubits (identity on the added ones).
    func widened(to wider: [Int]) -> FusionMatrix {
        if wider == qubits { return self }
        assert(Set(qubits).isSubset(of: wider) && wider == wider.sorted())
        let newDimension = 1 << wider.count
        let d = dimension
        // For an index of the wider block: its sub-index in self; and back.
        let inner = qubits.map { q in wider.firstIndex(of: q) ?? 0 }
        let innerMask = inner.reduce(0) { $0 | (1 << $1) }
        var sub = [Int](repeating: 0, count: newDimension)
        for i in 0..<newDimension {
            for (j, p) in inner.enumerated() where i & (1 << p) != 0 { sub[i] |= 1 << j }
        }
        var spread = [Int](repeating: 0, count: d)
        for s in 0..<d {
            for (j, p) in inner.enumerated() where s & (1 << j) != 0 { spread[s] |= 1 << p }
        }
        switch storage {
        case .sparse(let sources, let values):
            var newSources = [Int](repeating: 0, count: newDimension)
            var newValues = [Double](repeating: 0, count: 2 * newDimension)
            for r in 0..<newDimension {
                let s = sub[r]
                newSources[r] = (r & ~innerMask) | spread[sources[s]]
                newValues[2 * r] = values[2 * s]
                newValues[2 * r + 1] = values[2 * s + 1]
            }
            return FusionMatrix(qubits: wider, storage: .sparse(sources: newSources, values: newValues))
        case .dense(let entries):
            var out = [Double](repeating: 0, count: 2 * newDimension * newDimension)
            for r in 0..<newDimension {
                for c in 0..<newDimension where r & ~innerMask == c & ~innerMask {
                    let e = 2 * (sub[r] * d + sub[c])
                    out[2 * (r * newDimension + c)] = entries[e]
                    out[2 * (r * newDimension + c) + 1] = entries[e + 1]
                }
            }
            return FusionMatrix(qubits: wider, entries: out)
        }
    }

    /// later · earlier, on the union of their qubits.
    static func product(_ later: FusionMatrix, _ earlier: FusionMatrix) -> FusionMatrix {
        let union = Array(Set(later.qubits).union(earlier.qubits)).sorted()
        let a = later.widened(to: union), b = earlier.widened(to: union)
        let d = 1 << union.count
        if case .sparse(let sa, let va) = a.storage, case .sparse(let sb, let vb) = b.storage {
            // Row r of A·B: A's entry (r, sa[r]) times B's entry (sa[r], sb[sa[r]]).
            var sources = [Int](repeating: 0, count: d)
            var values = [Double](repeating: 0, count: 2 * d)
            for r in 0..<d {
                let k = sa[r]
                sources[r] = sb[k]
                let (xr, xi, yr, yi) = (va[2 * r], va[2 * r + 1], vb[2 * k], vb[2 * k + 1])
                values[2 * r] = xr * yr - xi * yi
                values[2 * r + 1] = xr * yi + xi * yr
            }
            return FusionMatrix(qubits: union, storage: .sparse(sources: sources, values: values))
        }
        let x = a.entries, y = b.entries
        var out = [Double](repeating: 0, count: 2 * d * d)
        x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                out.withUnsafeMutableBufferPointer { z in
                    for i in 0..<d {
                        for k in 0..<d {
                            let ar = x[2 * (i * d + k)], ai = x[2 * (i * d + k) + 1]
                            if ar == 0 && ai == 0 { continue }
                            for j in 0..<d {
                                let br = y[2 * (k * d + j)], bi = y[2 * (k * d + j) + 1]
                                z[2 * (i * d + j)] += ar * br - ai * bi
                                z[2 * (i * d + j) + 1] += ar * bi + ai * br
                            }
                        }
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

extension FusionMatrix {
    /// The tolerance below which an entry of a fused product counts as zero (and within which it
    /// counts as 1 or as the identity's): 1e-13, a few hundred units of rounding in a product of
    /// a few dozen unit-modulus matrices, and far below the size of any real rotation angle that
    /// a circuit holds (near misses stay dense). Dropping entries this small changes a block's
    /// action on a unit state by at most 2^k · 1e-13 in norm (3.2e-12 for k = 5).
    static let zeroTolerance = 1e-13

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
        func isOne(_ r: Int, _ c: Int) -> Bool {
            let (re, im) = value(r, c)
            return (re - 1) * (re - 1) + im * im <= t2
        }
        // Mixing qubits: an entry links two indices that differ in that qubit.
        var mixingLocal = 0
        if let sparse {
            for r in 0..<d where sparse.sources[r] != r && !isZero(r, sparse.sources[r]) { mixingLocal |= r ^ sparse.sources[r] }
        } else {
            for r in 0..<d {
                for c in 0..<d where r != c && !isZero(r, c) { mixingLocal |= r ^ c }
            }
        }
        let identity = mixingLocal == 0 && (0..<d).allSatisfy { isOne($0, $0) }
        // Controls: non-mixing qubits on whose 0-half the matrix is the identity.
        var controlsLocal = 0
        for p in 0..<k where mixingLocal & (1 << p) == 0 {
            if (0..<d).allSatisfy({ r in r & (1 << p) != 0 || isOne(r, r) }) { controlsLocal |= 1 << p }
        }
        if identity || controlsLocal == (1 << k) - 1 {
            // Every qubit acts as a control of a phase on |1…1⟩ (or nothing at all): keep the
            // lowest qubit as the target, so the kernel has one.
            controlsLocal &= ~1
        }
        let controls = (0..<k).filter { controlsLocal & (1 << $0) != 0 }
        let targets = (0..<k).filter { controlsLocal & (1 << $0) == 0 }
        // The target matrix: rows and columns with every control bit 1, indexed by target bits.
        let t = targets.count, td = 1 << t
        var index = [Int](repeating: 0, count: td)
        for s in 0..<td {
            index[s] = controlsLocal
            for (j, p) in targets.enumerated() where s & (1 << j) != 0 { index[s] |= 1 << p }
        }
        var target = [Complex<Double>](repeating: .zero, count: td * td)
        var diagonal = true, permutation = true, real = true
        for r in 0..<td {
            var inRow = 0
            for c in 0..<td {
                let (gr, gc) = (index[r], index[c])
                if sparse != nil && sparse?.sources[gr] != gc { continue }
                if isZero(gr, gc) { continue }
                let value = self[gr, gc]
                target[r * td + c] = value
                if r != c { diagonal = false }
                if value.imaginary != 0 { real = false }
                inRow += 1
                if abs(value.length - 1) > tolerance { permutation = false }
            }
            if inRow != 1 { permutation = false }
        }
        let form: FusedProduct.Form = identity ? .identity : diagonal ? .diagonal : permutation ? .permutation : .dense
        var mixing = 0
        for p in 0..<k where mixingLocal & (1 << p) != 0 { mixing |= 1 << qubits[p] }
        return FusedProduct(form: form,
                            structure: GateStructure(numControls: controls.count,
                                                     target: SmallMatrix(dimension: td, entries: target)),
                            qubits: controls.map { qubits[$0] } + targets.map { qubits[$0] },
                            mixingMask: mixing, isReal: real)
    }
}
