/// The settings of C-SVC training (LIBSVM's `-c`, `-e` and `-h`, scikit-learn's `C`, `tol`,
/// `shrinking` and `max_iter`).
///
/// The defaults are scikit-learn's `SVC` defaults, except `maxIterations`: scikit-learn runs
/// without a limit (`max_iter=-1`), upstream LIBSVM stops after max(10⁷, 100·n); here each pair of
/// classes may take at most `maxIterations` SMO updates (10⁷ by default) and training fails with
/// ``QuantumMLError/training(reason:remedy:)`` when a pair reaches it, instead of returning an unconverged model.
public struct SVCParameters: Codable, Sendable, Equatable {
    /// The penalty C > 0 on margin violations: the box 0 ≤ αₜ ≤ C of the dual.
    public var c: Double = 1.0
    /// The stopping tolerance ε > 0: SMO stops when the maximal KKT violation
    /// max_{I_up} −yG − min_{I_low} −yG falls below it.
    public var tolerance: Double = 1e-3
    /// The most SMO updates for one pair of classes (≥ 1).
    public var maxIterations: Int = 10_000_000
    /// Whether SMO uses LIBSVM's shrinking heuristic. It changes the path of the iterates, so
    /// results agree with scikit-learn to 1e-6 only with the same setting (scikit-learn's default
    /// is `true`).
    public var shrinking: Bool = true

    /// Settings for C-SVC training.
    ///
    /// - Parameters:
    ///   - c: the penalty C > 0.
    ///   - tolerance: the stopping tolerance ε > 0.
    ///   - maxIterations: the most SMO updates per pair of classes (≥ 1).
    ///   - shrinking: whether to use LIBSVM's shrinking heuristic.
    ///
    /// Values are checked when training starts, by ``SupportVectorClassifier/fit(kernel:labels:classCount:parameters:)``.
    public init(c: Double = 1.0, tolerance: Double = 1e-3, maxIterations: Int = 10_000_000, shrinking: Bool = true) {
        self.c = c
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.shrinking = shrinking
    }
}
