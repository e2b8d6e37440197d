import Foundation
import Quantum

// FidelityTiles: the internal compute loops of the fidelity quantum kernel (the kernel method's
// "kernel", not a compute kernel in the simulator's sense): simulating a block of samples' states, and the
// inner products of one tile. No validation here; QuantumKernel validates before calling.

/// The states of consecutive samples, real and imaginary parts in separate row-major arrays
/// (`count × dimension` each), so a tile's inner products stream through both with SIMD.
struct StateBlock: Sendable {
    let dimension: Int
    let count: Int
    var real: [Double]
    var imaginary: [Double]

    init(dimension: Int) {
        self.dimension = dimension
        self.count = 0
        self.real = []
        self.imaginary = []
    }

    /// Simulates the states of `samples` rows `rows` (directly for Z-only Pauli maps).
    init(featureMap: FeatureMap, samples: Matrix, rows: Range<Int>, compiled: CompiledFeatureCircuit?,
         diagonal: DiagonalFeaturePlan? = nil) throws {
        let dimension = 1 << featureMap.numQubits
        self.dimension = dimension
        self.count = rows.count
        real = [Double](repeating: 0, count: rows.count * dimension)
        imaginary = [Double](repeating: 0, count: rows.count * dimension)
        if let diagonal {
            var theta = [Double](repeating: 0, count: dimension)
            let width = samples.columns
            samples.values.withUnsafeBufferPointer { x in
                real.withUnsafeMutableBufferPointer { re in
                    imaginary.withUnsafeMutableBufferPointer { im in
                        theta.withUnsafeMutableBufferPointer { t in
                            guard let x = x.baseAddress, let re = re.baseAddress, let im = im.baseAddress, let t = t.baseAddress else { return }
                            for (k, i) in rows.enumerated() {
                                diagonal.state(x + i * width, real: re + k * dimension, imaginary: im + k * dimension, theta: t)
                            }
                        }
                    }
                }
            }
            return
        }
        for (k, i) in rows.enumerated() {
            let base = k * dimension
            if let compiled {
                var binding: [Parameter: Double] = [:]
                binding.reserveCapacity(compiled.parameters.count)
                for (j, p) in compiled.parameters.enumerated() { binding[p] = samples[i, j] }
                let state = try compiled.compiled.statevector(binding: binding)
                for (a, amplitude) in state.amplitudes.enumerated() {
                    real[base + a] = amplitude.real
                    imaginary[base + a] = amplitude.imaginary
                }
            } else {
                // Amplitude encoding: the normalised sample, zero-padded.
                for (j, a) in FeatureMap.normalisedAmplitudes(samples, row: i).enumerated() { real[base + j] = a }
            }
        }
    }

    /// The blocks' concatenation; each part is one block's `real + imaginary`.
    init(joining parts: ArraySlice<[Double]>, dimension: Int) {
        self.dimension = dimension
        let total = parts.reduce(0) { $0 + $1.count } / (2 * dimension)
        count = total
        real = []
        imaginary = []
        real.reserveCapacity(total * dimension)
        imaginary.reserveCapacity(total * dimension)
        for part in parts {
            let half = part.count / 2
            real.append(contentsOf: part[0..<half])
            imaginary.append(contentsOf: part[half...])
        }
    }
}

/// |⟨l_i|r_j⟩|² for i in `rows`, j in `columns`, row-major. With `lowerOnly` (a diagonal tile of
/// a symmetric matrix, rows == columns) only j ≤ i is computed; the rest is left 0.
func fidelityTile(_ left: StateBlock, rows: Range<Int>, _ right: StateBlock, columns: Range<Int>, lowerOnly: Bool) -> [Double] {
    let n = left.dimension
    var out = [Double](repeating: 0, count: rows.count * columns.count)
    left.real.withUnsafeBufferPointer { lr in
        left.imaginary.withUnsafeBufferPointer { li in
            right.real.withUnsafeBufferPointer { rr in
                right.imaginary.withUnsafeBufferPointer { ri in
                    guard let lr = lr.baseAddress, let li = li.baseAddress, let rr = rr.baseAddress, let ri = ri.baseAddress else { return }
                    for (a, i) in rows.enumerated() {
                        let ar = lr + i * n, ai = li + i * n
                        let last = lowerOnly ? a + 1 : columns.count
                        for b in 0..<last {
                            let j = columns.lowerBound + b
                            let (re, im) = innerProduct(ar, ai, rr + j * n, ri + j * n, n)
                            out[a * columns.count + b] = re * re + im * im
                        }
                    }
                }
            }
        }
    }
    return out
}

/// ⟨a|b⟩ = Σ conj(a_k)·b_k, with four independent SIMD accumulators.
@inline(__always)
func innerProduct(_ ar: UnsafePointer<Double>, _ ai: UnsafePointer<Double>, _ br: UnsafePointer<Double>,
                  _ bi: UnsafePointer<Double>, _ n: Int) -> (Double, Double)
{
    var re0 = SIMD4<Double>(), im0 = SIMD4<Double>(), re1 = SIMD4<Double>(), im1 = SIMD4<Double>()
    var k = 0
    while k + 8 <= n {
        let xr0 = UnsafeRawPointer(ar + k).loadUnaligned(as: SIMD4<Double>.self)
        let xi0 = UnsafeRawPointer(ai + k).loadUnaligned(as: SIMD4<Double>.self)
        let yr0 = UnsafeRawPointer(br + k).loadUnaligned(as: SIMD4<Double>.self)
        let yi0 = UnsafeRawPointer(bi + k).loadUnaligned(as: SIMD4<Double>.self)
        let xr1 = UnsafeRawPointer(ar + k + 4).loadUnaligned(as: SIMD4<Double>.self)
        let xi1 = UnsafeRawPointer(ai + k + 4).loadUnaligned(as: SIMD4<Double>.self)
        let yr1 = UnsafeRawPointer(br + k + 4).loadUnaligned(as: SIMD4<Double>.self)
        let yi1 = UnsafeRawPointer(bi + k + 4).loadUnaligned(as: SIMD4<Double>.self)
        re0 += xr0 * yr0 + xi0 * yi0
        im0 += xr0 * yi0 - xi0 * yr0
        re1 += xr1 * yr1 + xi1 * yi1
        im1 += xr1 * yi1 - xi1 * yr1
        k += 8
    }
    var re = (re0 + re1).sum(), im = (im0 + im1).sum()
    while k < n {
        re += ar[k] * br[k] + ai[k] * bi[k]
        im += ar[k] * bi[k] - ai[k] * br[k]
        k += 1
    }
    return (re, im)
}

/// The tiles of a kernel matrix: all (I, J) for a rectangular matrix, J ≤ I for a symmetric one,
/// numbered row by row.
struct TilePlan: Sendable {
    let rows: Int
    let columns: Int
    let symmetric: Bool
    let tile: Int
    let pairs: [(Int, Int)]

    init(rows: Int, columns: Int, symmetric: Bool, tile: Int) {
        self.rows = rows
        self.columns = columns
        self.symmetric = symmetric
        self.tile = max(1, tile)
        let r = (rows + self.tile - 1) / self.tile, c = (columns + self.tile - 1) / self.tile
        var pairs: [(Int, Int)] = []
        for i in 0..<r { for j in 0..<(symmetric ? min(i + 1, c) : c) { pairs.append((i, j)) } }
        self.pairs = pairs
    }

    var count: Int { pairs.count }

    func ranges(_ t: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        let (i, j) = pairs[t]
        return ((i * tile)..<min(rows, (i + 1) * tile), (j * tile)..<min(columns, (j + 1) * tile))
    }

    func isDiagonal(_ t: Int) -> Bool { symmetric && pairs[t].0 == pairs[t].1 }

    /// The matrix from the tiles' values; a symmetric matrix is mirrored and (with `unitDiagonal`,
    /// as pure states' fidelities have) gets ones on the diagonal.
    func assemble(_ tiles: [[Double]], unitDiagonal: Bool = true) -> Matrix {
        var out = Matrix(rows: rows, columns: columns)
        for (t, values) in tiles.enumerated() {
            let (r, c) = ranges(t)
            for (a, i) in r.enumerated() {
                for (b, j) in c.enumerated() where !(isDiagonal(t) && j > i) {
                    let v = values[a * c.count + b]
                    out[i, j] = v
                    if symmetric { out[j, i] = v }
                }
            }
        }
        if symmetric && unitDiagonal { for i in 0..<rows { out[i, i] = 1 } }
        return out
    }
}
