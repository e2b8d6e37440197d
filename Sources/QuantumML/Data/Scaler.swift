/// A per-feature affine scaling fitted on training data and saved with the model, so that new
/// data is scaled exactly as the training data was: y_j = (x_j − offsets[j]) · factors[j].
///
/// - `none`: offsets 0, factors 1 (the identity; still checks the feature count).
/// - `minmax`: maps each feature's training minimum…maximum to 0…π (``Scaler/minMaxRange``), the
///   range of a rotation angle: offset = minimum, factor = π / (maximum − minimum). A constant
///   feature (range below 10 ε) gets factor π, as scikit-learn's
///   `MinMaxScaler(feature_range=(0, π))` does, so its training value maps to 0.
/// - `standard`: mean 0 and population standard deviation 1: offset = mean, factor = 1 / σ. A
///   constant feature (σ² within rounding of 0, scikit-learn's test) gets factor 1, so its training
///   value maps to 0, as `StandardScaler` does.
///
/// Values outside the training range scale beyond 0…π (no clipping), as in scikit-learn.
public struct Scaler: Codable, Sendable, Equatable {
    /// The kinds of scaling.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// No scaling.
        case none
        /// Training minimum…maximum to 0…π.
        case minmax
        /// Mean 0, population standard deviation 1.
        case standard
    }

    /// The target range of `minmax`: 0…π.
    public static let minMaxRange: ClosedRange<Double> = 0...Double.pi

    /// The kind of scaling.
    public let kind: Kind
    /// What is subtracted from each feature (minimum, mean, or 0).
    public let offsets: [Double]
    /// What each difference is multiplied by.
    public let factors: [Double]

    /// The number of features the scaler was fitted on.
    public var featureCount: Int { offsets.count }

    /// Fits a scaler on training features.
    ///
    /// - Parameters:
    ///   - x: The training features, samples × features: at least one sample and one feature,
    ///     every value finite.
    ///   - kind: The kind of scaling.
    /// - Returns: The fitted scaler.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` when `x` has no samples or no features, or a
    ///   value that is not finite.
    public static func fit(_ x: Matrix, kind: Kind) throws -> Scaler {
        guard x.rows >= 1, x.columns >= 1 else {
            throw QuantumMLError.invalidArgument(argument: "the data a scaler is fitted on", received: "\(x.rows) × \(x.columns)", valid: "at least one sample of at least one feature")
        }
        if let bad = x.values.firstIndex(where: { !$0.isFinite }) {
            throw QuantumMLError.invalidArgument(argument: "feature \(bad % x.columns) of sample \(bad / x.columns) (fitting a scaler)", received: "\(x.values[bad])", valid: "finite")
        }
        let (offsets, factors) = parameters(x, kind: kind)
        return Scaler(kind: kind, offsets: offsets, factors: factors)
    }

    /// Scales features as the training features were.
    ///
    /// - Parameter x: Features, samples × ``featureCount``.
    /// - Returns: The scaled features, same shape.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when `x` has another number of features.
    public func transform(_ x: Matrix) throws -> Matrix {
        guard x.columns == featureCount else {
            throw QuantumMLError.shapeMismatch(subject: "the data to scale", received: "\(x.columns) features", expected: "\(featureCount), as the scaler was fitted on")
        }
        var out = x
        for i in 0..<x.rows {
            for j in 0..<x.columns { out[i, j] = (x[i, j] - offsets[j]) * factors[j] }
        }
        return out
    }

    private enum CodingKeys: String, CodingKey { case kind, offsets, factors }

    /// Decodes a scaler and checks it.
    /// - Throws: `DecodingError` for missing or mistyped fields, and `.dataCorrupted` when the
    ///   offsets and factors differ in number, are empty, or are not finite.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(Kind.self, forKey: .kind)
        let offsets = try container.decode([Double].self, forKey: .offsets)
        let factors = try container.decode([Double].self, forKey: .factors)
        guard offsets.count == factors.count, !offsets.isEmpty, (offsets + factors).allSatisfy(\.isFinite) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a scaler needs as many finite offsets as factors, at least one; received \(offsets.count) offsets and \(factors.count) factors"))
        }
        self.init(kind: kind, offsets: offsets, factors: factors)
    }

    private init(kind: Kind, offsets: [Double], factors: [Double]) {
        self.kind = kind
        self.offsets = offsets
        self.factors = factors
    }

    /// The offsets and factors of `kind` for checked training features.
    private static func parameters(_ x: Matrix, kind: Kind) -> (offsets: [Double], factors: [Double]) {
        let n = Double(x.rows)
        var offsets = [Double](repeating: 0, count: x.columns), factors = [Double](repeating: 1, count: x.columns)
        for j in 0..<x.columns {
            switch kind {
            case .none:
                break
            case .minmax:
                var low = x[0, j], high = x[0, j]
                for i in 0..<x.rows { low = min(low, x[i, j]); high = max(high, x[i, j]) }
                let range = high - low
                // scikit-learn's _handle_zeros_in_scale: a range below 10 ε counts as 1.
                offsets[j] = low
                factors[j] = (minMaxRange.upperBound - minMaxRange.lowerBound) / (range < 10 * Double.ulpOfOne ? 1 : range)
            case .standard:
                var sum = 0.0
                for i in 0..<x.rows { sum += x[i, j] }
                let mean = sum / n
                // Two passes with the rounding correction, as scikit-learn's _incremental_mean_and_var.
                var correction = 0.0, squares = 0.0
                for i in 0..<x.rows {
                    let difference = x[i, j] - mean
                    correction += difference
                    squares += difference * difference
                }
                let variance = max(0, (squares - correction * correction / n) / n)
                // scikit-learn's _is_constant_feature: a variance within rounding of 0.
                let bound = n * Double.ulpOfOne * variance + (n * mean * Double.ulpOfOne) * (n * mean * Double.ulpOfOne)
                offsets[j] = mean
                factors[j] = variance <= bound ? 1 : 1 / variance.squareRoot()
            }
        }
        return (offsets, factors)
    }
}
