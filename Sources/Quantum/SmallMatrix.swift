import ComplexModule
import RealModule
import Foundation

/// A small dense complex matrix (gate-sized: 2^k × 2^k with k ≤ ~6), row-major.
///
/// Index convention, as everywhere in Verdant: for a k-qubit gate, bit j of a row or column index
/// is the value of the gate's j-th qubit argument.
struct SmallMatrix: Hashable, Sendable {
    let dimension: Int
    var entries: [Complex<Double>]

    init(dimension: Int, entries: [Complex<Double>]) {
        assert(entries.count == dimension * dimension)
        self.dimension = dimension
        self.entries = entries
    }

    static func identity(_ dimension: Int) -> SmallMatrix {
        var m = SmallMatrix(dimension: dimension, entries: Array(repeating: .zero, count: dimension * dimension))
        for i in 0..<dimension { m[i, i] = .one }
        return m
    }

    static func diagonal(_ d: [Complex<Double>]) -> SmallMatrix {
        var m = SmallMatrix(dimension: d.count, entries: Array(repeating: .zero, count: d.count * d.count))
        for i in d.indices { m[i, i] = d[i] }
        return m
    }

    subscript(row: Int, column: Int) -> Complex<Double> {
        get { entries[row * dimension + column] }
        set { entries[row * dimension + column] = newValue }
    }

    /// self · other.
    static func * (a: SmallMatrix, b: SmallMatrix) -> SmallMatrix {
        let n = a.dimension
        var c = SmallMatrix(dimension: n, entries: Array(repeating: .zero, count: n * n))
        for i in 0..<n {
            for k in 0..<n {
                let aik = a[i, k]
                if aik == .zero { continue }
                for j in 0..<n { c[i, j] = c[i, j] + aik * b[k, j] }
            }
        }
        return c
    }

    func scaled(by s: Complex<Double>) -> SmallMatrix {
        SmallMatrix(dimension: dimension, entries: entries.map { $0 * s })
    }

    /// The conjugate transpose.
    func adjoint() -> SmallMatrix {
        var m = self
        for i in 0..<dimension {
            for j in 0..<dimension { m[i, j] = self[j, i].conjugate }
        }
        return m
    }

    /// max |(U†U − I)ᵢⱼ|.
    func unitarityDeviation() -> Double {
        let p = adjoint() * self
        var worst = 0.0
        for i in 0..<dimension {
            for j in 0..<dimension {
                let expected: Complex<Double> = i == j ? .one : .zero
                let d = p[i, j] - expected
                if !d.isFinite { return .infinity }
                worst = max(worst, d.length)
            }
        }
        return worst
    }

    /// Whether every off-diagonal entry is exactly zero.
    var isDiagonal: Bool {
        for i in 0..<dimension {
            for j in 0..<dimension where i != j && self[i, j] != .zero { return false }
        }
        return true
    }

    var diagonalEntries: [Complex<Double>] { (0..<dimension).map { self[$0, $0] } }

    /// Whether each column holds exactly one entry of modulus 1 (a permutation with phases).
    var isPermutationWithPhases: Bool {
        for j in 0..<dimension {
            var count = 0
            for i in 0..<dimension where self[i, j] != .zero {
                count += 1
                if abs(self[i, j].length - 1) > 1e-14 { return false }
            }
            if count != 1 { return false }
        }
        return true
    }

    /// The Kronecker product `high ⊗ low`: `low` acts on the low bits of the index.
    static func kron(_ high: SmallMatrix, _ low: SmallMatrix) -> SmallMatrix {
        let n = high.dimension * low.dimension
        var m = SmallMatrix(dimension: n, entries: Array(repeating: .zero, count: n * n))
        for hi in 0..<high.dimension {
            for hj in 0..<high.dimension {
                let h = high[hi, hj]
                if h == .zero { continue }
                for li in 0..<low.dimension {
                    for lj in 0..<low.dimension {
                        m[hi * low.dimension + li, hj * low.dimension + lj] = h * low[li, lj]
                    }
                }
            }
        }
        return m
    }

    /// Maximum entrywise distance after removing a global phase (the phase that aligns the
    /// largest entry of `other` with `self`).
    func distanceUpToGlobalPhase(_ other: SmallMatrix) -> Double {
        var index = 0
        var best = 0.0
        for (k, v) in other.entries.enumerated() where v.length > best {
            best = v.length
            index = k
        }
        guard best > 0, self.entries[index].length > 0 else { return .infinity }
        let phase = self.entries[index] / other.entries[index]
        let unit = phase / Complex(phase.length)
        var worst = 0.0
        for k in entries.indices { worst = max(worst, (entries[k] - other.entries[k] * unit).length) }
        return worst
    }
}
