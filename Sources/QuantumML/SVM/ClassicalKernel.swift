// Classical kernels for the baseline classifier. Argument order everywhere: (x, y) with x an
// n × d and y an m × d feature matrix (one sample per row); the result is n × m with
// result[i, j] = k(xᵢ, yⱼ).

import RealModule

/// Which kernel a classifier was trained with: a classical one (the baseline) or a precomputed
/// matrix (such as a quantum kernel).
public enum KernelKind: Codable, Sendable, Equatable {
    /// k(x, y) = x · y.
    case linear
    /// k(x, y) = exp(−gamma ‖x − y‖²).
    case rbf(gamma: Double)
    /// The kernel matrix is given; there is no formula to evaluate.
    case precomputed
}

/// Classical kernel matrices between the rows of two feature matrices, matching
/// `sklearn.metrics.pairwise.linear_kernel` and `rbf_kernel`.
public enum ClassicalKernel {
    /// The linear kernel x · yᵀ.
    ///
    /// - Parameters:
    ///   - x: n × d features.
    ///   - y: m × d features.
    /// - Returns: the n × m matrix of dot products xᵢ · yⱼ.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when x and y differ in width;
    ///   ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a non-finite feature.
    public static func linear(_ x: Matrix, _ y: Matrix) throws -> Matrix {
        try SVMValidation.checkFeatures(x, y)
        return pairwise(x, y) { dot($0, $1) }
    }

    /// The RBF (Gaussian) kernel exp(−gamma ‖xᵢ − yⱼ‖²).
    ///
    /// - Parameters:
    ///   - x: n × d features.
    ///   - y: m × d features.
    ///   - gamma: the width parameter, finite and > 0 (see ``scaleGamma(_:)``).
    /// - Returns: the n × m kernel matrix; entries lie in (0, 1] and equal rows give exactly 1.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when x and y differ in width;
    ///   ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a non-finite feature or a gamma that is not
    ///   finite and > 0.
    public static func rbf(_ x: Matrix, _ y: Matrix, gamma: Double) throws -> Matrix {
        try SVMValidation.checkFeatures(x, y)
        try SVMValidation.checkGamma(gamma)
        return pairwise(x, y) { Double.exp(-gamma * squaredDistance($0, $1)) }
    }

    /// scikit-learn's `gamma="scale"`: 1 / (d · Var(X)), the variance taken over all elements of x
    /// (population variance); 1.0 when that variance is 0 or x has no elements.
    ///
    /// - Parameter x: n × d training features.
    /// - Returns: the RBF width scikit-learn's `SVC(gamma="scale")` would use.
    public static func scaleGamma(_ x: Matrix) -> Double {
        let count = x.values.count
        guard count > 0 else { return 1.0 }
        let mean = x.values.reduce(0, +) / Double(count)
        let variance = x.values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count)
        return variance != 0 ? 1.0 / (Double(x.columns) * variance) : 1.0
    }

    /// The kernel of the given kind between the rows of x and y.
    ///
    /// - Parameters:
    ///   - kind: ``KernelKind/linear`` or ``KernelKind/rbf(gamma:)``.
    ///   - x: n × d features.
    ///   - y: m × d features.
    /// - Returns: the n × m kernel matrix.
    /// - Throws: as ``linear(_:_:)`` and ``rbf(_:_:gamma:)``; ``QuantumMLError/invalidArgument(argument:received:valid:)``
    ///   for ``KernelKind/precomputed``, which has no formula.
    public static func matrix(_ kind: KernelKind, _ x: Matrix, _ y: Matrix) throws -> Matrix {
        switch kind {
        case .linear: return try linear(x, y)
        case .rbf(let gamma): return try rbf(x, y, gamma: gamma)
        case .precomputed: throw SVMValidation.precomputedHasNoFormula
        }
    }

    // MARK: - Kernels (unchecked)

    /// result[i, j] = entry(row i of x, row j of y).
    private static func pairwise(_ x: Matrix, _ y: Matrix, _ entry: (ArraySlice<Double>, ArraySlice<Double>) -> Double) -> Matrix {
        assert(x.columns == y.columns)
        let d = x.columns
        var out = Matrix(rows: x.rows, columns: y.rows)
        for i in 0..<x.rows {
            let xi = x.values[(i * d)..<((i + 1) * d)]
            for j in 0..<y.rows {
                out[i, j] = entry(xi, y.values[(j * d)..<((j + 1) * d)])
            }
        }
        return out
    }

    private static func dot(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>) -> Double {
        var sum = 0.0
        for (u, v) in zip(a, b) { sum += u * v }
        return sum
    }

    private static func squaredDistance(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>) -> Double {
        var sum = 0.0
        for (u, v) in zip(a, b) { sum += (u - v) * (u - v) }
        return sum
    }
}
