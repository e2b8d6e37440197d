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
    static func classifier(_ train: Dataset, test: Dataset?, _ configuration: VariationalConfiguration) throws -> VariationalSetup {
        let present = Set(train.labels)
        guard present.count >= 2 else {
            let only = present.first.map { "\"\(train.classes[$0])\"" } ?? "none"
            throw QuantumMLError.data(location: train.name, message: "the training data has one class (\(only)); a classifier needs at least two")
        }
        if let test, test.featureNames != train.featureNames {
            throw QuantumMLError.shapeMismatch("the test data \(test.name) has the features \(test.featureNames), which differ from the training data \(train.name)'s \(train.featureNames)")
        }
        return try resolve(features: train.features, classes: train.classes.count, configuration)
    }

    /// Checks a regressor's data and configuration.
    static func regressor(features: Matrix, targets: [Double], featureNames: [String],
                          test: (features: Matrix, targets: [Double])?,
                          _ configuration: VariationalConfiguration) throws -> VariationalSetup
    {
        guard targets.count == features.rows else {
            throw QuantumMLError.shapeMismatch("\(targets.count) targets for \(features.rows) samples; one target per sample is needed")
        }
        guard features.rows >= 1 else { throw QuantumMLError.invalidArgument("a regressor needs at least one training sample; received none") }
        // The dataset checks: names distinct and non-empty, features finite.
        try Dataset.validate(features: features, labels: [Int](repeating: 0, count: features.rows), classes: ["target"],
                             featureNames: featureNames)
        if let bad = targets.firstIndex(where: { !$0.isFinite }) {
            throw QuantumMLError.invalidArgument("target \(bad) is \(targets[bad]); targets must be finite")
        }
        if let test {
            guard test.features.columns == features.columns else {
                throw QuantumMLError.shapeMismatch("the test data has \(test.features.columns) features; the training data has \(features.columns)")
            }
            guard test.targets.count == test.features.rows else {
                throw QuantumMLError.shapeMismatch("\(test.targets.count) test targets for \(test.features.rows) test samples")
            }
            if let bad = test.targets.firstIndex(where: { !$0.isFinite }) {
                throw QuantumMLError.invalidArgument("test target \(bad) is \(test.targets[bad]); targets must be finite")
            }
        }
        return try resolve(features: features, classes: nil, configuration)
    }

    /// The checks both share: schedule, optimiser, circuit widths, readout.
    private static func resolve(features: Matrix, classes: Int?, _ configuration: VariationalConfiguration) throws -> VariationalSetup {
        guard configuration.epochs >= 1 else {
            throw QuantumMLError.invalidArgument("epochs must be ≥ 1; received \(configuration.epochs)")
        }
        guard configuration.batchSize >= 1 else {
            throw QuantumMLError.invalidArgument("the batch size must be ≥ 1; received \(configuration.batchSize)")
        }
        let fraction = configuration.validationFraction
        guard fraction.isFinite, fraction >= 0, fraction < 1 else {
            throw QuantumMLError.invalidArgument("the validation fraction must be in [0, 1); received \(fraction)")
        }
        if let patience = configuration.patience {
            guard patience >= 1 else { throw QuantumMLError.invalidArgument("the patience must be ≥ 1 epoch; received \(patience)") }
            guard fraction > 0 else {
                throw QuantumMLError.invalidArgument("early stopping (patience \(patience)) watches the validation loss and needs a validation fraction > 0")
            }
        }
        try configuration.optimizer.validate()

        let featureMap = try configuration.featureMap ?? .angle(features: features.columns, rotation: .y)
        guard featureMap.featureCount == features.columns else {
            throw QuantumMLError.shapeMismatch("the feature map takes \(featureMap.featureCount) features; the data has \(features.columns)")
        }
        let qubits = featureMap.numQubits
        let ansatz = try configuration.ansatz ?? .realAmplitudes(qubits: qubits)
        guard ansatz.qubits == qubits else {
            throw QuantumMLError.shapeMismatch("the ansatz acts on \(ansatz.qubits) qubits; the feature map on \(qubits)")
        }
        if let classes, !configuration.hybrid {
            switch configuration.readout {
            case .zExpectations:
                guard classes <= qubits else {
                    throw QuantumMLError.invalidArgument(
                        "the z_expectations readout scores class c by ⟨Z_c⟩ and needs one qubit per class: \(classes) classes on \(qubits) qubits; use a hybrid linear layer or more qubits")
                }
            case .parity:
                guard classes == 2 else {
                    throw QuantumMLError.invalidArgument("the parity readout is binary (even vs odd); the data has \(classes) classes; use the Z-expectation readout (CLI: --readout z) or a hybrid linear layer (--hybrid)")
                }
            }
        }
        let head = ReadoutHead(classes: classes, readout: configuration.readout, hybrid: configuration.hybrid, qubits: qubits)
        guard ansatz.parameterCount + head.linearParameterCount >= 1 else {
            throw QuantumMLError.invalidArgument("the model has no trainable parameters: the ansatz has none and there is no linear layer")
        }
        let scaler = try Scaler.fit(features, kind: configuration.scale)
        return VariationalSetup(featureMap: featureMap, ansatz: ansatz, scaler: scaler, head: head)
    }

    /// A seeded random split of `0..<count` for a regressor's validation: Fisher–Yates, then the
    /// first round(fraction·count) (clamped to 1…count − 1) are held out; both lists sorted.
    /// - Throws: ``QuantumMLError/invalidArgument(_:)`` for fewer than 2 samples.
    static func randomSplit(count: Int, fraction: Double, seed: UInt64) throws -> (fit: [Int], held: [Int]) {
        guard count >= 2 else {
            throw QuantumMLError.invalidArgument("a validation split needs at least 2 samples; received \(count)")
        }
        let (fit, held) = SeededDraws.split(count: count, heldFraction: fraction, seed: seed)
        return (fit, held)
    }
}
