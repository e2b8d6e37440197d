import Parallel

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
    ///   value that is not finite; ``QuantumMLError/data(location:found:valid:)`` when a feature's range (minmax) or
    ///   sum (standard) overflows a double.
    public static func fit(_ x: Matrix, kind: Kind) throws -> Scaler {
        guard x.rows >= 1, x.columns >= 1 else {
            throw QuantumMLError.invalidArgument(argument: "the data a scaler is fitted on", received: "\(x.rows) × \(x.columns)", valid: "at least one sample of at least one feature")
        }
        if let bad = x.values.firstIndex(where: { !$0.isFinite }) {
            throw QuantumMLError.invalidArgument(argument: "feature \(bad % x.columns) of sample \(bad / x.columns) (fitting a scaler)", received: "\(x.values[bad])", valid: "finite")
        }
        let (offsets, factors) = parameters(x, kind: kind)
        // Finite values whose range or sum overflows (a column holding −1e308 and 1e308) would
        // scale to NaN: named here, rather than as NaN features later.
        if let j = offsets.indices.first(where: { !offsets[$0].isFinite || !factors[$0].isFinite || factors[$0] == 0 }) {
            let column = (0..<x.rows).map { x[$0, j] }
            throw QuantumMLError.data(
                location: "feature \(j) (counting from 0) of the training data, fitting the \(kind.rawValue) scaler",
                found: "values from \(column.min() ?? 0) to \(column.max() ?? 0), whose \(kind == .minmax ? "range" : "mean or spread") overflows a double",
                valid: "a column whose range is below 1.8e308: rescale it (divide it by a power of ten)")
        }
        return Scaler(kind: kind, offsets: offsets, factors: factors)
    }

    /// Scales features as the training features were.
    ///
    /// - Parameter x: Features, samples × ``featureCount``.
    /// - Returns: The scaled features, same shape.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when `x` has another number of features;
    ///   ``QuantumMLError/data(location:found:valid:)`` for a value that is not finite or whose scaled form overflows.
    public func transform(_ x: Matrix) throws -> Matrix {
        guard x.columns == featureCount else {
            throw QuantumMLError.shapeMismatch(subject: "the data to scale", received: "\(x.columns) features", expected: "\(featureCount), as the scaler was fitted on")
        }
        var out = x
        for i in 0..<x.rows {
            for j in 0..<x.columns {
                out[i, j] = (x[i, j] - offsets[j]) * factors[j]
                guard out[i, j].isFinite else {
                    throw QuantumMLError.data(
                        location: "sample \(i), feature \(j) (counting from 0)",
                        found: x[i, j].isFinite ? "\(x[i, j]), which scales to \(out[i, j]) (scaling subtracts \(offsets[j]) and "
                            + "multiplies by \(factors[j]), as fitted on the training data)" : "\(x[i, j]) is not a finite number",
                        valid: "values whose scaled form is finite: rescale the column, or drop the sample")
                }
            }
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
                // NaN marks a sum or spread that overflowed (``fit(_:kind:)`` names the column).
                factors[j] = !variance.isFinite || !mean.isFinite ? .nan : variance <= bound ? 1 : 1 / variance.squareRoot()
            }
        }
        return (offsets, factors)
    }
}

extension Scaler {
    /// The scaler that ``fit(_:kind:)`` would fit on the rows of every rank together, computed from
    /// per-rank statistics (federated shards, where each rank holds only its own rows `x`):
    ///
    /// - `minmax`: the per-feature minima and maxima, reduced with `allreduce(.min)` and `.max` —
    ///   exactly the fitted scaler of the concatenated rows, and what it reveals to every rank is
    ///   what the model file stores anyway (each feature's extremes over all sites);
    /// - `standard`: the count and per-feature sums, then the sums of deviations and squared
    ///   deviations from the agreed mean, each reduced with `allreduce(.sum)` (masked under secure
    ///   aggregation) — the fitted scaler within floating-point rounding (the sums are added in
    ///   another order);
    /// - `none`: the identity.
    ///
    /// - Parameters:
    ///   - x: this rank's rows (at least one, finite; the same columns on every rank).
    ///   - kind: the scaling.
    ///   - communicator: the ranks.
    /// - Returns: the same scaler on every rank.
    /// - Throws: the communicator's errors; as ``fit(_:kind:)``.
    static func agreed(_ x: Matrix, kind: Kind, over communicator: any Communicator) throws -> Scaler {
        let columns = x.columns
        switch kind {
        case .none:
            return try fit(x, kind: .none)
        case .minmax:
            var lows = [Double](repeating: .infinity, count: columns), highs = [Double](repeating: -.infinity, count: columns)
            for i in 0..<x.rows {
                for j in 0..<columns { lows[j] = min(lows[j], x[i, j]); highs[j] = max(highs[j], x[i, j]) }
            }
            lows = try communicator.allreduce(lows, .min)
            highs = try communicator.allreduce(highs, .max)
            // Fitting on the two rows (minima, maxima) gives the concatenated rows' offsets and factors.
            return try fit(Matrix(rows: 2, columns: columns, knownValues: lows + highs), kind: .minmax)
        case .standard:
            var sums = [Double](repeating: 0, count: columns + 1)
            sums[columns] = Double(x.rows)
            for i in 0..<x.rows { for j in 0..<columns { sums[j] += x[i, j] } }
            sums = try communicator.allreduce(sums, .sum)
            let n = sums[columns].rounded()
            let means = (0..<columns).map { sums[$0] / n }
            // Σ (x − mean) and Σ (x − mean)² per feature, as fit's two-pass formula needs.
            var deviations = [Double](repeating: 0, count: 2 * columns)
            for i in 0..<x.rows {
                for j in 0..<columns {
                    let difference = x[i, j] - means[j]
                    deviations[j] += difference
                    deviations[columns + j] += difference * difference
                }
            }
            deviations = try communicator.allreduce(deviations, .sum)
            var factors = [Double](repeating: 1, count: columns)
            for j in 0..<columns {
                let correction = deviations[j], squares = deviations[columns + j], mean = means[j]
                let variance = max(0, (squares - correction * correction / n) / n)
                let bound = n * Double.ulpOfOne * variance + (n * mean * Double.ulpOfOne) * (n * mean * Double.ulpOfOne)
                factors[j] = variance <= bound ? 1 : 1 / variance.squareRoot()
            }
            return Scaler(kind: .standard, offsets: means, factors: factors)
        }
    }
}
