import Quantum

// The one place that checks a variational training request: data, configuration and how they fit
// together. After these checks the problem, trainer and head run unchecked.

/// A checked training request: the resolved feature map and ansatz, the fitted scaler, the head.
struct VariationalSetup {
    let featureMap: FeatureMap
    let ansatz: Ansatz
    let scaler: Scaler
    let head: ReadoutHead

    /// Checks a classifier's data and configuration.
    /// - Parameters:
    ///   - agreedScaler: federated shards: the scaler agreed over the ranks (``Scaler/agreed(_:kind:over:)``)
    ///     instead of one fitted on this rank's rows; nil fits (or uses the feature bounds).
    ///   - federated: `train` is this rank's shard, whose class list is the ranks' union (each
    ///     class present on some rank), so the two-class check counts the list, not this shard's labels.
    static func classifier(_ train: Dataset, test: Dataset?, _ configuration: VariationalConfiguration, agreedScaler: Scaler? = nil,
                           federated: Bool = false) throws -> VariationalSetup {
        let present = federated ? Set(train.classes.indices) : Set(train.labels)
        guard present.count >= 2 else {
            let only = present.first.map { "\"\(train.classes[$0])\"" } ?? "none"
            throw QuantumMLError.data(location: train.name, found: "the training data has one class (\(only))", valid: "a classifier needs at least two")
        }
        if let test, test.featureNames != train.featureNames {
            throw QuantumMLError.shapeMismatch(subject: "the features of the test data \(test.name)", received: "\(test.featureNames)", expected: "the training data \(train.name)'s \(train.featureNames)")
        }
        return try resolve(features: train.features, classes: train.classes.count, configuration, agreedScaler: agreedScaler)
    }

    /// Checks a regressor's data and configuration.
    /// - Parameter agreedScaler: federated shards: the scaler agreed over the ranks (nil: fit).
    static func regressor(features: Matrix, targets: [Double], featureNames: [String],
                          test: (features: Matrix, targets: [Double])?,
                          _ configuration: VariationalConfiguration, agreedScaler: Scaler? = nil) throws -> VariationalSetup
    {
        guard targets.count == features.rows else {
            throw QuantumMLError.shapeMismatch(subject: "the targets", received: "\(targets.count) for \(features.rows) samples", expected: "one target per sample")
        }
        guard features.rows >= 1 else { throw QuantumMLError.invalidArgument(argument: "the training samples of a regressor", received: "none", valid: "at least one") }
        // The dataset checks: names distinct and non-empty, features finite.
        try Dataset.validate(features: features, labels: [Int](repeating: 0, count: features.rows), classes: ["target"],
                             featureNames: featureNames)
        if let bad = targets.firstIndex(where: { !$0.isFinite }) {
            throw QuantumMLError.invalidArgument(argument: "target \(bad)", received: "\(targets[bad])", valid: "finite")
        }
        if let test {
            guard test.features.columns == features.columns else {
                throw QuantumMLError.shapeMismatch(subject: "the test data", received: "\(test.features.columns) features", expected: "\(features.columns), as the training data has")
            }
            guard test.targets.count == test.features.rows else {
                throw QuantumMLError.shapeMismatch(subject: "the test targets", received: "\(test.targets.count) for \(test.features.rows) test samples", expected: "one target per sample")
            }
            if let bad = test.targets.firstIndex(where: { !$0.isFinite }) {
                throw QuantumMLError.invalidArgument(argument: "test target \(bad)", received: "\(test.targets[bad])", valid: "finite")
            }
        }
        return try resolve(features: features, classes: nil, configuration, agreedScaler: agreedScaler)
    }

    /// The checks both share: schedule, optimiser, circuit widths, readout.
    private static func resolve(features: Matrix, classes: Int?, _ configuration: VariationalConfiguration,
                                agreedScaler: Scaler? = nil) throws -> VariationalSetup {
        guard configuration.epochs >= 1 else {
            throw QuantumMLError.invalidArgument(argument: "epochs", received: "\(configuration.epochs)", valid: "≥ 1")
        }
        guard configuration.batchSize >= 1 else {
            throw QuantumMLError.invalidArgument(argument: "the batch size", received: "\(configuration.batchSize)", valid: "≥ 1")
        }
        let fraction = configuration.validationFraction
        guard fraction.isFinite, fraction >= 0, fraction < 1 else {
            throw QuantumMLError.invalidArgument(argument: "the validation fraction", received: "\(fraction)", valid: "in [0, 1)")
        }
        if let patience = configuration.patience {
            guard patience >= 1 else { throw QuantumMLError.invalidArgument(argument: "the patience", received: "\(patience)", valid: "≥ 1 epoch") }
            guard fraction > 0 else {
                throw QuantumMLError.invalidArgument(argument: "the validation fraction", received: "0 with early stopping (patience \(patience))", valid: "> 0: early stopping watches the validation loss")
            }
        }
        try configuration.optimizer.validate()
        if let noise = configuration.noise {
            try noise.validate()
            guard configuration.gradientMethod == .parameterShift || !configuration.optimizer.usesGradients else {
                throw QuantumMLError.invalidArgument(
                    argument: "the gradient method under noise", received: "adjoint",
                    valid: "parameter-shift: adjoint differentiation runs the circuit backwards through unitary gates, and noise channels "
                        + "are not unitary (CLI: --gradient parameter-shift, the default with --noise)")
            }
        }

        let featureMap = try configuration.featureMap ?? .angle(features: features.columns, rotation: .y)
        guard featureMap.featureCount == features.columns else {
            throw QuantumMLError.shapeMismatch(subject: "the data", received: "\(features.columns) features", expected: "\(featureMap.featureCount), as the feature map takes")
        }
        let qubits = featureMap.numQubits
        let ansatz = try configuration.ansatz ?? .realAmplitudes(qubits: qubits)
        guard ansatz.qubits == qubits else {
            throw QuantumMLError.shapeMismatch(subject: "the ansatz", received: "\(ansatz.qubits) qubits", expected: "\(qubits), as the feature map acts on")
        }
        if let classes, !configuration.hybrid {
            switch configuration.readout {
            case .zExpectations:
                guard classes <= qubits else {
                    throw QuantumMLError.invalidArgument(
                        argument: "the classes of the z_expectations readout (it scores class c by ⟨Z_c⟩)", received: "\(classes) classes on \(qubits) qubits",
                        valid: "one qubit per class; use a hybrid linear layer or more qubits")
                }
            case .parity:
                guard classes == 2 else {
                    throw QuantumMLError.invalidArgument(argument: "the classes of the parity readout (binary: even vs odd)", received: "\(classes) classes",
                                                         valid: "2; use the Z-expectation readout (CLI: --readout z) or a hybrid linear layer (--hybrid)")
                }
            }
        }
        let head = ReadoutHead(classes: classes, readout: configuration.readout, hybrid: configuration.hybrid, qubits: qubits)
        guard ansatz.parameterCount + head.linearParameterCount >= 1 else {
            throw QuantumMLError.invalidArgument(argument: "the trainable parameters", received: "none (the ansatz has none and there is no linear layer)", valid: "at least one")
        }
        try checkPrivacy(configuration, regressor: classes == nil)
        let scaler: Scaler
        if let bounds = configuration.featureBounds {
            scaler = try boundedScaler(bounds, features: features.columns, kind: configuration.scale)
        } else if let agreedScaler {
            scaler = agreedScaler
        } else {
            scaler = try Scaler.fit(features, kind: configuration.scale)
        }
        if let bounds = configuration.targetBounds {
            guard classes == nil else {
                throw QuantumMLError.invalidArgument(argument: "target bounds", received: "\(bounds) for a classifier", valid: "none: only a regressor scales its targets")
            }
            guard bounds.lowerBound.isFinite, bounds.upperBound.isFinite, bounds.lowerBound < bounds.upperBound else {
                throw QuantumMLError.invalidArgument(argument: "the target bounds", received: "\(bounds)", valid: "finite numbers low < high")
            }
        }
        return VariationalSetup(featureMap: featureMap, ansatz: ansatz, scaler: scaler, head: head)
    }

    /// Min-max scaling from public bounds: [low, high] of each feature to [0, π] (the scaler fitted
    /// on the two rows of bounds). One range applies to every feature.
    private static func boundedScaler(_ bounds: [ClosedRange<Double>], features: Int, kind: Scaler.Kind) throws -> Scaler {
        guard kind == .minmax else {
            throw QuantumMLError.invalidArgument(argument: "the scaling with feature bounds", received: kind.rawValue,
                                                 valid: "minmax: the bounds map each feature to [0, π]")
        }
        guard bounds.count == 1 || bounds.count == features else {
            throw QuantumMLError.shapeMismatch(subject: "the feature bounds", received: "\(bounds.count) ranges", expected: "1 for every feature, or one per feature (\(features))")
        }
        for (j, range) in bounds.enumerated() {
            guard range.lowerBound.isFinite, range.upperBound.isFinite, range.lowerBound < range.upperBound else {
                throw QuantumMLError.invalidArgument(argument: "the bounds of feature \(j)", received: "\(range)", valid: "finite numbers low < high")
            }
        }
        let ranges = bounds.count == 1 ? [ClosedRange<Double>](repeating: bounds[0], count: features) : bounds
        return try Scaler.fit(Matrix(rows: 2, columns: features, values: ranges.map(\.lowerBound) + ranges.map(\.upperBound)), kind: .minmax)
    }

    /// DP-SGD's own checks: its settings, an optimiser with per-sample gradients, and scaling that
    /// publishes nothing of the training rows.
    private static func checkPrivacy(_ configuration: VariationalConfiguration, regressor: Bool) throws {
        guard let privacy = configuration.privacy else { return }
        try privacy.validate()
        if case .spsa = configuration.optimizer {
            throw QuantumMLError.invalidArgument(argument: "the optimiser of differentially private training", received: "spsa",
                                                 valid: "adam or sgd: DP-SGD clips each sample's gradient, and SPSA estimates one gradient from two batch losses")
        }
        if configuration.featureBounds == nil, configuration.scale != .none {
            throw QuantumMLError.invalidArgument(
                argument: "the feature scaling of differentially private training",
                received: "\(configuration.scale.rawValue) fitted on the training rows (the model file would publish their minima and maxima, or means and deviations, outside the privacy guarantee)",
                valid: "public feature bounds (CLI: --feature-bounds LOW:HIGH, one range or one per feature) or no scaling (--scale none)")
        }
        if regressor, configuration.targetBounds == nil {
            throw QuantumMLError.invalidArgument(
                argument: "the target scaling of differentially private regression",
                received: "the training targets' own range (the model file would publish their minimum and maximum)",
                valid: "public target bounds (CLI: --target-bounds LOW:HIGH)")
        }
    }

    /// A seeded random split of `0..<count` for a regressor's validation: Fisher–Yates, then the
    /// first round(fraction·count) (clamped to 1…count − 1) are held out; both lists sorted.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for fewer than 2 samples.
    static func randomSplit(count: Int, fraction: Double, seed: UInt64) throws -> (fit: [Int], held: [Int]) {
        guard count >= 2 else {
            throw QuantumMLError.invalidArgument(argument: "the samples of a validation split", received: "\(count)", valid: "at least 2")
        }
        let (fit, held) = SeededDraws.split(count: count, heldFraction: fraction, seed: seed)
        return (fit, held)
    }
}
