import Foundation
import Quantum

extension DatasetLoader {
    /// The feature counts ``adHoc(trainingSize:testSize:features:gap:seed:)`` supports (Qiskit's grid sampling).
    public static let adHocFeatureCounts: ClosedRange<Int> = 2...3

    /// Generates Qiskit's "ad hoc" dataset (Havlíček et al., Nature 567, 209 (2019)), as
    /// `qiskit_machine_learning.datasets.ad_hoc_data(training_size, test_size, n, gap)` defines it with
    /// its defaults (grid sampling, expectation labelling, full entanglement, labels 0 and 1).
    ///
    /// With n = `features` qubits and x ∈ [0, 2π)ⁿ:
    /// - |Φ(x)⟩ = U(x) H⊗ⁿ U(x) H⊗ⁿ |0⟩ⁿ with U(x) = exp(i Σᵢ xᵢ Zᵢ + i Σ_{i<j} (π − xᵢ)(π − xⱼ) Zᵢ Zⱼ)
    ///   (qubit i is bit n − 1 − i of the basis index, as in Qiskit's Kronecker products);
    /// - O = V† Z⊗ⁿ V, where V holds the eigenvectors of A†A (largest eigenvalue first, each scaled
    ///   as LAPACK `zgeev` does) for a random A whose real and imaginary parts are uniform in [0, 1);
    /// - a point is in class `"0"` when ⟨Φ(x)|O|Φ(x)⟩ > `gap`, in class `"1"` when it is < −`gap`,
    ///   and in neither otherwise;
    /// - the points are those of the grid xᵢ = 2πk/c, k = 0…c−1, with c = 100 for 2 features and 20
    ///   for 3; each class draws `trainingSize + testSize` of its grid points uniformly with
    ///   replacement (what Qiskit's draw-and-reject loop amounts to); the first `trainingSize` go to
    ///   the training set.
    ///
    /// The random numbers come from Verdant's seeded generator, not NumPy's, so a seed gives the
    /// same data on every machine but not the same data as Qiskit with that seed; the definition
    /// (the labelling for a given V) is the same. The draws are, in order: A's real parts row by row,
    /// its imaginary parts, then the grid indices of class 0's points, then class 1's.
    ///
    /// - Parameters:
    ///   - trainingSize: Training samples per class, at least 1.
    ///   - testSize: Test samples per class, 0 or more.
    ///   - features: The number of features (qubits): 2 or 3.
    ///   - gap: The separation Δ ≥ 0 of the classes' expectation values.
    ///   - seed: The seed; equal seeds give equal datasets.
    /// - Returns: The training set (class 0's samples, then class 1's) and the test set, both named
    ///   `"ad_hoc"`, with features `x0`, `x1`[, `x2`], label `label` and classes `"0"`, `"1"`.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a size out of range, a feature count
    ///   other than 2 or 3, a gap that is negative or not finite, and a gap so wide that a class
    ///   has no grid point (the message gives the largest |⟨O⟩| on the grid).
    public static func adHoc(trainingSize: Int, testSize: Int, features: Int, gap: Double, seed: UInt64) throws
        -> (train: Dataset, test: Dataset) {
        guard adHocFeatureCounts.contains(features) else {
            throw QuantumMLError.invalidArgument(argument: "the ad hoc feature count", received: "\(features)", valid: "2 or 3")
        }
        guard trainingSize >= 1, testSize >= 0, trainingSize + testSize <= 1_000_000 else {
            throw QuantumMLError.invalidArgument(argument: "ad hoc sizes", received: "\(trainingSize) and \(testSize)", valid: "trainingSize ≥ 1 and testSize ≥ 0 samples per class, at most 1000000 together")
        }
        guard gap.isFinite, gap >= 0 else {
            throw QuantumMLError.invalidArgument(argument: "the ad hoc gap", received: "\(gap)", valid: "a finite number ≥ 0")
        }

        var generator = SeededGenerator(seed: seed)
        let dimension = 1 << features
        let unitary = AdHocLabelling.randomUnitary(dimension: dimension, using: &generator)
        let labelling = AdHocLabelling(qubits: features, unitaryReal: unitary.real, unitaryImag: unitary.imag)
        let grid = labelling.grid()

        // Grid points (flat indices in itertools.product order) of each class.
        var positive: [Int] = [], negative: [Int] = []
        for (index, value) in grid.expectations.enumerated() {
            if value > gap { positive.append(index) } else if value < -gap { negative.append(index) }
        }
        guard !positive.isEmpty, !negative.isEmpty else {
            let largest = grid.expectations.map(abs).max() ?? 0
            throw QuantumMLError.invalidArgument(argument: "the ad hoc gap", received: "\(gap), which leaves class \"\(positive.isEmpty ? 0 : 1)\" without grid points",
                                                 valid: "smaller than \(largest), the largest |⟨O⟩| on the grid for this seed")
        }

        let perClass = trainingSize + testSize
        func draw(from points: [Int]) -> [[Double]] {
            (0..<perClass).map { _ in grid.point(points[SeededDraws.index(below: points.count, using: &generator)]) }
        }
        let classA = draw(from: positive)
        let classB = draw(from: negative)

        func dataset(_ range: Range<Int>) -> Dataset {
            let rows = Array(classA[range]) + Array(classB[range])
            return Dataset(unchecked: "ad_hoc",
                           features: Matrix(rows: rows.count, columns: features, knownValues: rows.flatMap { $0 }),
                           labels: Array(repeating: 0, count: range.count) + Array(repeating: 1, count: range.count),
                           classes: ["0", "1"], featureNames: (0..<features).map { "x\($0)" }, labelName: "label")
        }
        return (dataset(0..<trainingSize), dataset(trainingSize..<perClass))
    }
}

/// The labelling function of Qiskit's ad hoc dataset for a given V: ⟨Φ(x)| V† Z⊗ⁿ V |Φ(x)⟩.
struct AdHocLabelling {
    /// n, the number of features and qubits.
    let qubits: Int
    /// 2ⁿ.
    let dimension: Int
    /// O = V† Z⊗ⁿ V, row-major 2ⁿ × 2ⁿ, real and imaginary parts.
    let observableReal: [Double]
    let observableImag: [Double]
    /// zᵢ(k) = 1 − 2·bit_{n−1−i}(k), the eigenvalue of Zᵢ on basis state k, at [k·n + i]
    /// (qubit i is bit n − 1 − i, as in Qiskit's Kronecker products I_{2^i} ⊗ Z ⊗ I_{2^{n−i−1}}).
    let signs: [Double]

    /// The labelling for the unitary V (row-major 2ⁿ × 2ⁿ).
    init(qubits: Int, unitaryReal vr: [Double], unitaryImag vi: [Double]) {
        let d = 1 << qubits
        assert(vr.count == d * d && vi.count == d * d)
        self.qubits = qubits
        dimension = d
        // O_kl = Σ_m conj(V_mk) z_m V_ml, z_m = (−1)^popcount(m) the diagonal of Z⊗ⁿ.
        var or = [Double](repeating: 0, count: d * d), oi = or
        for k in 0..<d {
            for l in 0..<d {
                var sr = 0.0, si = 0.0
                for m in 0..<d {
                    let z = m.nonzeroBitCount % 2 == 0 ? 1.0 : -1.0
                    let (ar, ai) = (vr[m * d + k], -vi[m * d + k])
                    let (br, bi) = (vr[m * d + l], vi[m * d + l])
                    sr += z * (ar * br - ai * bi)
                    si += z * (ar * bi + ai * br)
                }
                or[k * d + l] = sr
                oi[k * d + l] = si
            }
        }
        observableReal = or
        observableImag = oi
        signs = (0..<(d * qubits)).map { index in
            let (k, i) = index.quotientAndRemainder(dividingBy: qubits)
            return (k >> (qubits - 1 - i)) & 1 == 0 ? 1.0 : -1.0
        }
    }

    /// V from a draw A (row-major d × d): the eigenvectors of the Hermitian A†A, largest eigenvalue
    /// first, normalised as LAPACK `zgeev` does (Qiskit's `_random_unitary`).
    static func unitary(drawReal ar: [Double], drawImag ai: [Double], dimension d: Int) -> (real: [Double], imag: [Double]) {
        // H_kl = Σ_m conj(A_mk) A_ml.
        var hr = [Double](repeating: 0, count: d * d), hi = hr
        for k in 0..<d {
            for l in 0..<d {
                var sr = 0.0, si = 0.0
                for m in 0..<d {
                    let (xr, xi) = (ar[m * d + k], -ai[m * d + k])
                    let (yr, yi) = (ar[m * d + l], ai[m * d + l])
                    sr += xr * yr - xi * yi
                    si += xr * yi + xi * yr
                }
                hr[k * d + l] = sr
                hi[k * d + l] = si
            }
        }
        let eigen = HermitianEigensystem(real: hr, imag: hi, dimension: d)
        return (eigen.vectorsReal, eigen.vectorsImag)
    }

    /// V for a fresh draw A: d² uniform reals (row by row), then d² uniform imaginary parts.
    static func randomUnitary(dimension d: Int, using generator: inout SeededGenerator) -> (real: [Double], imag: [Double]) {
        let real = (0..<(d * d)).map { _ in generator.nextUniform() }
        let imag = (0..<(d * d)).map { _ in generator.nextUniform() }
        return unitary(drawReal: real, drawImag: imag, dimension: d)
    }

    /// ⟨Φ(x)|O|Φ(x)⟩ with |Φ(x)⟩ = U(x) H⊗ⁿ U(x) H⊗ⁿ |0⟩ⁿ; U(x) is diagonal with phases
    /// φ_k = Σᵢ xᵢ zᵢ(k) + Σ_{i<j} (π − xᵢ)(π − xⱼ) zᵢ(k) zⱼ(k) (``signs``).
    func expectation(_ x: [Double]) -> Double {
        let n = qubits, d = dimension
        assert(x.count == n)
        let amplitude = 1 / Double(d).squareRoot()
        var phases = [Double](repeating: 0, count: d)
        for k in 0..<d {
            let z = k * n  // zᵢ(k) = signs[z + i]
            var phase = 0.0
            for i in 0..<n { phase += x[i] * signs[z + i] }
            for i in 0..<n {
                for j in (i + 1)..<n { phase += (Double.pi - x[i]) * (Double.pi - x[j]) * signs[z + i] * signs[z + j] }
            }
            phases[k] = phase
        }
        // U H⊗ⁿ|0⟩ = e^{iφ_k}/√d.
        var re = phases.map { cos($0) * amplitude }, im = phases.map { sin($0) * amplitude }
        // H⊗ⁿ: the Walsh–Hadamard butterflies, then 1/√d.
        var half = 1
        while half < d {
            for block in stride(from: 0, to: d, by: 2 * half) {
                for k in block..<(block + half) {
                    (re[k], re[k + half]) = (re[k] + re[k + half], re[k] - re[k + half])
                    (im[k], im[k + half]) = (im[k] + im[k + half], im[k] - im[k + half])
                }
            }
            half *= 2
        }
        // U again: multiply by e^{iφ_k} (and the 1/√d of the transform).
        for k in 0..<d {
            let (c, s) = (cos(phases[k]) * amplitude, sin(phases[k]) * amplitude)
            (re[k], im[k]) = (re[k] * c - im[k] * s, re[k] * s + im[k] * c)
        }
        // Re Σ_kl conj(ψ_k) O_kl ψ_l.
        var total = 0.0
        for k in 0..<d {
            var sr = 0.0, si = 0.0
            for l in 0..<d {
                let (or, oi) = (observableReal[k * d + l], observableImag[k * d + l])
                sr += or * re[l] - oi * im[l]
                si += or * im[l] + oi * re[l]
            }
            total += re[k] * sr + im[k] * si
        }
        return total
    }

    /// Qiskit's grid size per feature: 100 for 2 features, 20 for 3 (5000 for 1).
    static func gridCount(qubits: Int) -> Int {
        switch qubits {
        case 1: 5000
        case 2: 100
        default: 20
        }
    }

    /// The grid and the expectation value at each of its points.
    struct Grid {
        /// Points per feature.
        let count: Int
        /// The coordinates: 2πk/c for k = 0…c−1 (NumPy's `linspace(0, 2π, c, endpoint=False)`).
        let values: [Double]
        /// The number of features.
        let qubits: Int
        /// ⟨O⟩ at every point, in itertools.product order (the last feature varies fastest).
        let expectations: [Double]

        /// The coordinates of the point with flat index `index`.
        func point(_ index: Int) -> [Double] {
            Self.digits(of: index, count: count, qubits: qubits).map { values[$0] }
        }

        /// The grid indices (d₀, …, d_{n−1}) of flat index `index`; d_{n−1} varies fastest.
        static func digits(of index: Int, count: Int, qubits: Int) -> [Int] {
            var digits = [Int](repeating: 0, count: qubits), rest = index
            for i in stride(from: qubits - 1, through: 0, by: -1) {
                digits[i] = rest % count
                rest /= count
            }
            return digits
        }
    }

    /// ⟨O⟩ on the whole grid.
    func grid() -> Grid {
        let count = Self.gridCount(qubits: qubits)
        let step = 2 * Double.pi / Double(count)
        let values = (0..<count).map { Double($0) * step }
        var total = 1
        for _ in 0..<qubits { total *= count }
        let expectations = (0..<total).map { index in
            expectation(Grid.digits(of: index, count: count, qubits: qubits).map { values[$0] })
        }
        return Grid(count: count, values: values, qubits: qubits, expectations: expectations)
    }
}
