/// A C-support vector classifier trained on a precomputed kernel: LIBSVM's C-SVC, one-vs-one for
/// more than two classes, with scikit-learn's conventions for every reported field.
///
/// Training solves, for each pair of classes (i, j), i < j,
///
///     min_α ½ Σₛₜ αₛαₜ yₛyₜ K[s, t] − Σₜ αₜ   subject to  Σₜ yₜαₜ = 0,  0 ≤ αₜ ≤ C
///
/// (yₜ = +1 for class i, −1 for class j) by SMO with second-order working-set selection (Fan, Chen
/// and Lin, JMLR 2005), as LIBSVM does, including its shrinking and its Float kernel cache, so that
/// a kernel gives the support vectors, dual coefficients and intercepts scikit-learn's
/// `SVC(kernel="precomputed")` gives.
///
/// ```swift
/// let model = try SupportVectorClassifier.fit(kernel: trainKernel, labels: y, classCount: 3)
/// let predicted = try model.predict(trainingKernel: testKernel)   // nTest × nTrain kernel
/// ```
public struct SupportVectorClassifier: Codable, Sendable, Equatable {
    /// The number of classes k; labels are class indices 0..<k.
    public let classCount: Int
    /// The number of training samples n (the width of a kernel against the training set).
    public let trainingSampleCount: Int
    /// The training samples with α > 0 in at least one pair, grouped by class (class 0 first) and
    /// ascending within a class: scikit-learn's `support_`.
    public let supportIndices: [Int]
    /// How many of ``supportIndices`` belong to each class: scikit-learn's `n_support_`.
    public let supportCounts: [Int]
    /// (k − 1) × nSV coefficients αy, scikit-learn's `dual_coef_`: for the pair (i, j) the
    /// coefficients of class i's support vectors are in row j − 1, those of class j's in row i.
    /// For two classes, the single row is negated as scikit-learn does (positive values favour class 1).
    public let dualCoefficients: Matrix
    /// One intercept per pair (i, j), i < j, in the order (0,1), (0,2), …, (1,2), …:
    /// scikit-learn's `intercept_` (−ρ of LIBSVM; +ρ for two classes).
    public let intercepts: [Double]
    /// The SMO iterations each pair took, in the order of ``intercepts`` (scikit-learn's `n_iter_`).
    public let iterations: [Int]

    /// The class pairs (i, j), i < j, in the order of ``intercepts`` and of the decision-value columns.
    public var classPairs: [(first: Int, second: Int)] { OneVsOne.classPairs(classCount: classCount) }

    // MARK: - Training

    /// Trains on a precomputed n × n training kernel and class indices 0..<`classCount` (classes
    /// already sorted by the caller, like scikit-learn's `classes_`).
    ///
    /// Row s of `kernel` is used as K(xₛ, ·); the kernel is not required to be symmetric or
    /// positive semi-definite (non-positive curvature is handled as LIBSVM does, with τ = 1e-12).
    ///
    /// - Parameters:
    ///   - kernel: the n × n kernel between training samples, K[s, t] = k(xₛ, xₜ).
    ///   - labels: n class indices in 0..<`classCount`; every class must occur.
    ///   - classCount: the number of classes k ≥ 2.
    ///   - parameters: C, the tolerance, the iteration limit and shrinking.
    /// - Returns: the trained classifier.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when the kernel is not square or its size is not
    ///   the number of labels; ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a non-finite kernel entry, a
    ///   label outside 0..<`classCount`, a class without samples (when at least two are present),
    ///   `classCount` < 2, C or the tolerance not finite and > 0, or `maxIterations` < 1;
    ///   ``QuantumMLError/training(reason:remedy:)`` when fewer than two classes are present or a pair does not
    ///   converge within `maxIterations`.
    public static func fit(kernel: Matrix, labels: [Int], classCount: Int, parameters: SVCParameters = .init()) throws -> SupportVectorClassifier {
        try SVMValidation.checkTraining(kernel: kernel, labels: labels, classCount: classCount, parameters: parameters)
        switch OneVsOne.train(kernel: kernel, labels: labels, classCount: classCount, parameters: parameters) {
        case .trained(let model):
            return model
        case .notConverged(let first, let second, let iterations):
            throw SVMValidation.notConverged(first: first, second: second, iterations: iterations)
        }
    }

    // MARK: - Prediction

    /// Decision values from the kernel between test samples and the support vectors.
    ///
    /// decision[r, p] = Σₛ dual · K(x_r, sv_s) + intercept[p] for the pair p = (i, j), as scikit-learn's
    /// `decision_function` with `decision_function_shape="ovo"`: positive favours class i for more
    /// than two classes, class 1 for two. This is what a saved model uses.
    ///
    /// - Parameter supportKernel: nTest × nSV, columns in ``supportIndices`` order.
    /// - Returns: nTest × (k(k−1)/2) decision values (nTest × 1 for two classes).
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when the kernel does not have nSV columns;
    ///   ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a non-finite entry.
    public func decisionFunction(supportKernel: Matrix) throws -> Matrix {
        try SVMValidation.checkSupportKernel(supportKernel, supportCount: supportIndices.count)
        return OneVsOne.decisionValues(of: self, kernel: supportKernel, columns: nil)
    }

    /// The predicted class of each test sample, from the kernel against the support vectors.
    ///
    /// Each pair (i, j) votes for i when LIBSVM's decision value is > 0 and for j otherwise; the
    /// class with most votes wins and ties go to the lowest class index (LIBSVM and scikit-learn's
    /// `predict`). For two classes: class 1 when the decision value is ≥ 0.
    ///
    /// - Parameter supportKernel: nTest × nSV, columns in ``supportIndices`` order.
    /// - Returns: nTest class indices.
    /// - Throws: as ``decisionFunction(supportKernel:)``.
    public func predict(supportKernel: Matrix) throws -> [Int] {
        OneVsOne.vote(decisionValues: try decisionFunction(supportKernel: supportKernel), classCount: classCount)
    }

    /// Decision values from the kernel between test samples and the whole training set; only the
    /// columns of the support vectors are read.
    ///
    /// - Parameter trainingKernel: nTest × nTrain.
    /// - Returns: as ``decisionFunction(supportKernel:)``.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when the kernel does not have
    ///   ``trainingSampleCount`` columns; ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a non-finite entry.
    public func decisionFunction(trainingKernel: Matrix) throws -> Matrix {
        try SVMValidation.checkTrainingKernel(trainingKernel, trainingSampleCount: trainingSampleCount)
        return OneVsOne.decisionValues(of: self, kernel: trainingKernel, columns: supportIndices)
    }

    /// The predicted class of each test sample, from the kernel against the whole training set.
    ///
    /// - Parameter trainingKernel: nTest × nTrain.
    /// - Returns: nTest class indices (voting as in ``predict(supportKernel:)``).
    /// - Throws: as ``decisionFunction(trainingKernel:)``.
    public func predict(trainingKernel: Matrix) throws -> [Int] {
        OneVsOne.vote(decisionValues: try decisionFunction(trainingKernel: trainingKernel), classCount: classCount)
    }

    // MARK: - Construction and coding

    /// A model from its parts, as training assembles it (no checks: the parts are consistent).
    init(classCount: Int, trainingSampleCount: Int, supportIndices: [Int], supportCounts: [Int],
         dualCoefficients: Matrix, intercepts: [Double], iterations: [Int]) {
        self.classCount = classCount
        self.trainingSampleCount = trainingSampleCount
        self.supportIndices = supportIndices
        self.supportCounts = supportCounts
        self.dualCoefficients = dualCoefficients
        self.intercepts = intercepts
        self.iterations = iterations
        assert(SVMValidation.inconsistency(of: self) == nil)
    }

    enum CodingKeys: String, CodingKey {
        case classCount, trainingSampleCount, supportIndices, supportCounts, dualCoefficients, intercepts, iterations
    }

    /// Decodes a model and checks that its fields fit together (shapes, counts, index ranges), so a
    /// damaged model file fails here rather than during prediction.
    ///
    /// - Throws: `DecodingError.dataCorrupted` naming the field that does not fit, or any error of
    ///   the decoder.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        classCount = try container.decode(Int.self, forKey: .classCount)
        trainingSampleCount = try container.decode(Int.self, forKey: .trainingSampleCount)
        supportIndices = try container.decode([Int].self, forKey: .supportIndices)
        supportCounts = try container.decode([Int].self, forKey: .supportCounts)
        dualCoefficients = try container.decode(Matrix.self, forKey: .dualCoefficients)
        intercepts = try container.decode([Double].self, forKey: .intercepts)
        iterations = try container.decode([Int].self, forKey: .iterations)
        if let problem = SVMValidation.inconsistency(of: self) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "inconsistent support vector classifier: \(problem)"))
        }
    }
}
