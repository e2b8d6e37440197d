/// How close predicted values ŷ are to true targets y over n samples, as scikit-learn's
/// `mean_squared_error`, `mean_absolute_error` and `r2_score` compute them:
///
/// - MSE = Σ (y_i − ŷ_i)² / n
/// - MAE = Σ |y_i − ŷ_i| / n
/// - R² = 1 − SS_res / SS_tot with SS_res = Σ (y_i − ŷ_i)² and SS_tot = Σ (y_i − ȳ)², the
///   coefficient of determination: 1 for a perfect fit, 0 for always predicting the mean ȳ,
///   negative for worse. When every target is equal (SS_tot = 0, also for n = 1) R² is 1 for a
///   perfect fit and 0 otherwise (scikit-learn's `force_finite=True`), so it is always finite.
///
/// ```swift
/// let m = try RegressionMetrics(predicted: [2.5, 0, 2, 8], targets: [3, -0.5, 2, 7])
/// // m.meanSquaredError == 0.375, m.meanAbsoluteError == 0.5, m.rSquared ≈ 0.9486
/// ```
public struct RegressionMetrics: Sendable, Equatable {
    /// MSE, in the targets' units squared.
    public let meanSquaredError: Double
    /// MAE, in the targets' units.
    public let meanAbsoluteError: Double
    /// R², the coefficient of determination (unitless, at most 1).
    public let rSquared: Double

    /// The metrics of `predicted` against `targets`, checked.
    /// - Parameters:
    ///   - predicted: One finite predicted value per sample.
    ///   - targets: The true values, as many, finite.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when the counts differ;
    ///   ``QuantumMLError/invalidArgument(argument:received:valid:)`` for no samples or a value that is not finite.
    public init(predicted: [Double], targets: [Double]) throws {
        guard predicted.count == targets.count else {
            throw QuantumMLError.shapeMismatch(subject: "the predictions", received: "\(predicted.count) for \(targets.count) targets", expected: "one prediction per target")
        }
        guard !targets.isEmpty else {
            throw QuantumMLError.invalidArgument(argument: "the samples of regression metrics", received: "none", valid: "at least one")
        }
        if let bad = predicted.firstIndex(where: { !$0.isFinite }) {
            throw QuantumMLError.invalidArgument(argument: "prediction \(bad)", received: "\(predicted[bad])", valid: "finite")
        }
        if let bad = targets.firstIndex(where: { !$0.isFinite }) {
            throw QuantumMLError.invalidArgument(argument: "target \(bad)", received: "\(targets[bad])", valid: "finite")
        }
        self = Self.measure(predicted, targets)
    }

    /// The metrics of values already checked: equal counts, at least one, all finite.
    static func measure(_ predicted: [Double], _ targets: [Double]) -> RegressionMetrics {
        assert(predicted.count == targets.count && !targets.isEmpty)
        let n = Double(targets.count)
        var squared = 0.0, absolute = 0.0
        for (y, yHat) in zip(targets, predicted) {
            let residual = y - yHat
            squared += residual * residual
            absolute += Swift.abs(residual)
        }
        let mean = targets.reduce(0, +) / n
        // Constant targets are tested by equality, not by SS_tot == 0: the rounded mean of equal
        // values can differ from them in the last bit and leave a tiny SS_tot.
        let constant = targets.allSatisfy { $0 == targets[0] }
        let total = targets.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let rSquared = constant ? (squared == 0 ? 1 : 0) : 1 - squared / total
        return RegressionMetrics(meanSquaredError: squared / n, meanAbsoluteError: absolute / n, rSquared: rSquared)
    }

    init(meanSquaredError: Double, meanAbsoluteError: Double, rSquared: Double) {
        self.meanSquaredError = meanSquaredError
        self.meanAbsoluteError = meanAbsoluteError
        self.rSquared = rSquared
    }
}
