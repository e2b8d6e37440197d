import Energy
import Foundation
import Parallel
import Privacy

/// A trained model of either family — what `verdant train` writes and `verdant predict` reads: a
/// kernel SVM (``Classifier``: qsvm, svm-rbf, svm-linear) or a variational model
/// (``VariationalModel``: vqc, vqr). Both share the model file format (docs/model-format.md);
/// the file's `kind` tells them apart.
public enum TrainedModel: Sendable, Equatable {
    /// A kernel SVM.
    case kernel(Classifier)
    /// A variational classifier or regressor.
    case variational(VariationalModel)

    /// The model's kind as written in its file: `qsvm`, `svm-rbf`, `svm-linear`, `vqc` or `vqr`.
    public var kind: String {
        switch self {
        case .kernel(let model): model.kind.rawValue
        case .variational(let model): model.kind.rawValue
        }
    }

    /// The feature columns, in the order the model takes them.
    public var featureNames: [String] {
        switch self {
        case .kernel(let model): model.featureNames
        case .variational(let model): model.featureNames
        }
    }

    /// The label (or, for a regressor, target) column of the training data.
    public var labelName: String {
        switch self {
        case .kernel(let model): model.labelName
        case .variational(let model): model.labelName
        }
    }

    /// Whether the model predicts values (a `vqr`) rather than classes.
    public var isRegressor: Bool {
        if case .variational(let model) = self { return model.kind == .vqr }
        return false
    }

    /// The number of samples the model was trained on.
    public var trainingSamples: Int {
        switch self {
        case .kernel(let model): model.training.samples
        case .variational(let model): model.training.samples
        }
    }

    /// The number of test samples it was scored on (0 when none).
    public var testSamples: Int {
        switch self {
        case .kernel(let model): model.training.testSamples
        case .variational(let model): model.training.testSamples
        }
    }

    /// The energy of the training job saved with the model, when it was measured.
    public var energy: EnergyRecord? {
        switch self {
        case .kernel(let model): model.training.energy
        case .variational(let model): model.training.energy
        }
    }

    /// The model with `energy` as its training job's energy.
    ///
    /// - Parameter energy: The figures to save (from the job's `EnergyReport` or `EnergyUsage`).
    /// - Returns: A copy with the energy in its training record.
    public func withEnergy(_ energy: EnergyRecord) -> TrainedModel {
        switch self {
        case .kernel(var model):
            model.training.energy = energy
            return .kernel(model)
        case .variational(var model):
            model.training.energy = energy
            return .variational(model)
        }
    }

    /// Writes the model file atomically, sealed for `recipients` when there are any.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - recipients: Who can open the sealed file (none: plain JSON).
    ///   - overwrite: Whether an existing file may be replaced.
    ///   - mode: A plain file's permissions (nil: 0666 less the umask; 0o600 for outputs of sealed data).
    /// - Throws: Privacy's errors (`outputExists` without `overwrite`, I/O).
    public func write(toPath path: String, recipients: [Recipient] = [], overwrite: Bool = false, mode: mode_t? = nil) throws {
        switch self {
        case .kernel(let model): try model.write(toPath: path, recipients: recipients, overwrite: overwrite, mode: mode)
        case .variational(let model): try model.write(toPath: path, recipients: recipients, overwrite: overwrite, mode: mode)
        }
    }

    /// Decodes a model file's bytes (already opened if it was sealed) as the family its `kind` names.
    ///
    /// - Parameters:
    ///   - data: The JSON.
    ///   - path: The file's name, for messages.
    /// - Returns: The model.
    /// - Throws: ``QuantumMLError/model(path:found:valid:)`` for anything that is not a readable model.
    public static func decode(_ data: Data, path: String) throws -> TrainedModel {
        switch try ModelFile.kind(of: data, path: path) {
        case VariationalModel.Kind.vqc.rawValue, VariationalModel.Kind.vqr.rawValue:
            .variational(try VariationalModel.decode(data, path: path))
        default:
            .kernel(try Classifier.decode(data, path: path))
        }
    }

    /// Reads a model file of either family, plain or sealed (opened in memory).
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - keys: What opens a sealed file.
    /// - Returns: The model.
    /// - Throws: Privacy's errors for a sealed file that cannot be opened (or that is not a model:
    ///   its content type is checked first); ``QuantumMLError/model(path:found:valid:)``.
    public static func load(atPath path: String, keys: InputKeys = InputKeys()) throws -> TrainedModel {
        try decode(ModelFile.contents(atPath: path, options: keys.options, identities: keys.identities), path: path)
    }
}
