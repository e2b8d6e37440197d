import Foundation
import Parallel

// Evaluating a model held in memory on samples held in memory — what a report needs to draw a
// confusion matrix, a kernel matrix or decision regions from a model file it has loaded, without
// CSV text or a data file in between.

extension TrainedModel {
    /// The class labels, in class-index order (empty for a regressor).
    public var classNames: [String] {
        switch self {
        case .kernel(let model): model.classes
        case .variational(let model): model.classes ?? []
        }
    }

    /// The epoch whose weights a variational model holds when validation chose one (nil: the
    /// last epoch's, or a kernel SVM).
    public var bestEpoch: Int? {
        if case .variational(let model) = self { return model.training.bestEpoch }
        return nil
    }

    /// The predicted class index (into ``classNames``) of each raw (unscaled) sample, in the
    /// order of the model's ``featureNames``.
    ///
    /// - Parameters:
    ///   - features: One row per sample, one column per feature the model takes.
    ///   - scheduler: The threads to use.
    /// - Returns: One class index per row.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a regressor (it
    ///   predicts values: ``predictValues(_:scheduler:)``);
    ///   ``QuantumMLError/shapeMismatch(subject:received:expected:)`` for a wrong column count; the
    ///   kernel's and the circuits' errors.
    public func predictClassIndices(_ features: Matrix, scheduler: Scheduler = .shared) throws -> [Int] {
        try checkColumns(features)
        switch self {
        case .kernel(let model):
            return try model.predictClassIndices(features, configuration: TrainingConfiguration(kind: model.kind, scheduler: scheduler))
        case .variational(let model):
            guard model.kind == .vqc else {
                throw QuantumMLError.invalidArgument(argument: "the model", received: "a vqr regressor, which predicts values, not classes",
                                                     valid: "a classifier (qsvm, svm-rbf, svm-linear, vqc); call predictValues for a vqr")
            }
            return try model.predictClassIndices(features, scheduler: scheduler)
        }
    }

    /// The predicted value of each raw sample (a `vqr` regressor), in the targets' units.
    ///
    /// - Parameters:
    ///   - features: One row per sample, one column per feature the model takes.
    ///   - scheduler: The threads to use.
    /// - Returns: One value per row.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a classifier;
    ///   ``QuantumMLError/shapeMismatch(subject:received:expected:)`` for a wrong column count.
    public func predictValues(_ features: Matrix, scheduler: Scheduler = .shared) throws -> [Double] {
        try checkColumns(features)
        guard case .variational(let model) = self, model.kind == .vqr else {
            throw QuantumMLError.invalidArgument(argument: "the model", received: "a \(kind) classifier, which predicts classes",
                                                 valid: "a vqr regressor; call predictClassIndices for a classifier")
        }
        return try model.predictValues(features, scheduler: scheduler)
    }

    /// The kernel matrix K[i][j] = k(xᵢ, xⱼ) of raw samples under a kernel SVM's own kernel: its
    /// scaler, then the fidelity quantum kernel |⟨ψ(xᵢ)|ψ(xⱼ)⟩|² (qsvm), exp(−γ‖xᵢ − xⱼ‖²) (svm-rbf)
    /// or xᵢ·xⱼ (svm-linear) — the matrix the SVM saw for its training samples.
    ///
    /// - Parameters:
    ///   - features: One row per sample, one column per feature the model takes.
    ///   - scheduler: The threads to use.
    /// - Returns: The n × n symmetric matrix.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a variational
    ///   model (it has no kernel); ``QuantumMLError/shapeMismatch(subject:received:expected:)``; the
    ///   kernel's errors.
    public func kernelMatrix(_ features: Matrix, scheduler: Scheduler = .shared) throws -> Matrix {
        try checkColumns(features)
        guard case .kernel(let model) = self else {
            throw QuantumMLError.invalidArgument(argument: "the model", received: "a \(kind) model, which has no kernel matrix",
                                                 valid: "a kernel SVM (qsvm, svm-rbf, svm-linear)")
        }
        let x = try model.scaler.transform(features)
        switch model.kind {
        case .qsvm:
            guard let featureMap = model.featureMap else {
                throw QuantumMLError.model(path: "model", found: "a qsvm model without a feature map", valid: "a qsvm model needs a featureMap")
            }
            return try QuantumKernel(featureMap: featureMap, scheduler: scheduler).trainingMatrix(x)
        case .svmRBF:
            return try ClassicalKernel.rbf(x, x, gamma: model.gamma ?? 1)
        case .svmLinear:
            return try ClassicalKernel.linear(x, x)
        }
    }

    private func checkColumns(_ features: Matrix) throws {
        guard features.columns == featureNames.count else {
            throw QuantumMLError.shapeMismatch(subject: "the samples", received: "\(features.columns) features",
                                               expected: "\(featureNames.count), as the model takes (\(featureNames.joined(separator: ", ")))")
        }
    }
}
