// Checks of user input for the SVM code, and the messages they produce: the one place where the
// classifier and the classical kernels throw for bad arguments. Everything behind these checks
// (SMOSolver, OneVsOne, the kernels' loops) only asserts.

/// The checks of the SVM public API; each throws a ``QuantumMLError`` that says what was received
/// and what is valid.
enum SVMValidation {
    // MARK: - Training

    /// Checks a training call: parameters, shapes, finiteness, and that every class occurs.
    static func checkTraining(kernel: Matrix, labels: [Int], classCount: Int, parameters: SVCParameters) throws {
        try checkParameters(parameters)
        guard classCount >= 2 else {
            throw QuantumMLError.invalidArgument(argument: "classCount", received: "\(classCount)", valid: "at least 2")
        }
        guard kernel.rows == kernel.columns else {
            throw QuantumMLError.shapeMismatch(subject: "the training kernel", received: "\(kernel.rows) × \(kernel.columns)",
                                               expected: "square (n × n, one row and one column per training sample)")
        }
        guard labels.count == kernel.rows else {
            throw QuantumMLError.shapeMismatch(subject: "the labels of a \(kernel.rows) × \(kernel.columns) training kernel", received: "\(labels.count) labels",
                                               expected: "one label per kernel row")
        }
        try checkFinite(kernel, name: "the training kernel")
        var counts = Array(repeating: 0, count: classCount)
        for (index, label) in labels.enumerated() {
            guard (0..<classCount).contains(label) else {
                throw QuantumMLError.invalidArgument(argument: "label \(index)", received: "\(label)", valid: "a class index in 0..<\(classCount)")
            }
            counts[label] += 1
        }
        let present = counts.indices.filter { counts[$0] > 0 }
        if present.isEmpty {
            throw QuantumMLError.training(reason: "no training samples", remedy: "a classifier needs samples of at least 2 classes")
        }
        if present.count == 1 {
            throw QuantumMLError.training(reason: "only one class present (all \(labels.count) labels are \(present[0]))", remedy: "a classifier needs samples of at least 2 classes")
        }
        if let missing = counts.firstIndex(of: 0) {
            throw QuantumMLError.invalidArgument(argument: "the labels", received: "no sample of class \(missing) of 0..<\(classCount)",
                                                 valid: "a sample of every class index in 0..<classCount (renumber the classes that are present)")
        }
    }

    /// Checks C, the tolerance and the iteration limit.
    static func checkParameters(_ parameters: SVCParameters) throws {
        guard parameters.c.isFinite, parameters.c > 0 else {
            throw QuantumMLError.invalidArgument(argument: "C", received: "\(parameters.c)", valid: "a finite number > 0")
        }
        guard parameters.tolerance.isFinite, parameters.tolerance > 0 else {
            throw QuantumMLError.invalidArgument(argument: "tolerance", received: "\(parameters.tolerance)", valid: "a finite number > 0")
        }
        guard parameters.maxIterations >= 1 else {
            throw QuantumMLError.invalidArgument(argument: "maxIterations", received: "\(parameters.maxIterations)", valid: "at least 1")
        }
    }

    /// The error for a pair of classes whose SMO run reached the iteration limit.
    static func notConverged(first: Int, second: Int, iterations: Int) -> QuantumMLError {
        QuantumMLError.training(reason: "SMO did not converge for classes \(first) and \(second) within maxIterations = \(iterations)", remedy: "raise maxIterations or the tolerance, or check that the kernel is a valid kernel matrix")
    }

    // MARK: - Prediction

    /// Checks a kernel against the support vectors (nTest × nSV).
    static func checkSupportKernel(_ kernel: Matrix, supportCount: Int) throws {
        guard kernel.columns == supportCount else {
            throw QuantumMLError.shapeMismatch(subject: "the support kernel", received: "\(kernel.rows) × \(kernel.columns)",
                                               expected: "one column per support vector (\(supportCount), in supportIndices order)")
        }
        try checkFinite(kernel, name: "the support kernel")
    }

    /// Checks a kernel against the whole training set (nTest × nTrain).
    static func checkTrainingKernel(_ kernel: Matrix, trainingSampleCount: Int) throws {
        guard kernel.columns == trainingSampleCount else {
            throw QuantumMLError.shapeMismatch(subject: "the kernel against the training set", received: "\(kernel.rows) × \(kernel.columns)",
                                               expected: "one column per training sample (\(trainingSampleCount))")
        }
        try checkFinite(kernel, name: "the kernel against the training set")
    }

    // MARK: - Classical kernels

    /// Checks two feature matrices for a kernel between their rows.
    static func checkFeatures(_ x: Matrix, _ y: Matrix) throws {
        guard x.columns == y.columns else {
            throw QuantumMLError.shapeMismatch(subject: "the columns of x and y", received: "\(x.columns) and \(y.columns)",
                                               expected: "the same number of features in both")
        }
        try checkFinite(x, name: "x")
        try checkFinite(y, name: "y")
    }

    /// Checks the RBF width.
    static func checkGamma(_ gamma: Double) throws {
        guard gamma.isFinite, gamma > 0 else {
            throw QuantumMLError.invalidArgument(argument: "gamma", received: "\(gamma)", valid: "a finite number > 0")
        }
    }

    /// The error for evaluating a kernel of kind ``KernelKind/precomputed``.
    static let precomputedHasNoFormula = QuantumMLError.invalidArgument(
        argument: "the kernel to evaluate", received: "precomputed (it has no formula)",
        valid: "linear, RBF or polynomial; pass a precomputed kernel matrix to the classifier instead")

    // MARK: - Model consistency

    /// Why the fields of a decoded classifier do not fit together, or nil when they do.
    static func inconsistency(of model: SupportVectorClassifier) -> String? {
        let k = model.classCount
        let nSV = model.supportIndices.count
        let pairs = k * (k - 1) / 2
        if k < 2 { return "classCount is \(k); a classifier has at least 2 classes" }
        if model.trainingSampleCount < 0 { return "trainingSampleCount is \(model.trainingSampleCount)" }
        if model.supportCounts.count != k { return "supportCounts has \(model.supportCounts.count) entries for \(k) classes" }
        if model.supportCounts.contains(where: { $0 < 0 }) || model.supportCounts.reduce(0, +) != nSV {
            return "supportCounts \(model.supportCounts) do not add up to the \(nSV) support indices"
        }
        if let bad = model.supportIndices.first(where: { !(0..<model.trainingSampleCount).contains($0) }) {
            return "support index \(bad) is outside 0..<\(model.trainingSampleCount)"
        }
        let d = model.dualCoefficients
        if d.rows != k - 1 || d.columns != nSV || d.values.count != d.rows * d.columns {
            return "dualCoefficients is \(d.rows) × \(d.columns) with \(d.values.count) values; expected \(k - 1) × \(nSV)"
        }
        if model.intercepts.count != pairs { return "intercepts has \(model.intercepts.count) entries; expected \(pairs)" }
        if model.iterations.count != pairs { return "iterations has \(model.iterations.count) entries; expected \(pairs)" }
        if !d.values.allSatisfy(\.isFinite) || !model.intercepts.allSatisfy(\.isFinite) {
            return "dualCoefficients and intercepts must be finite"
        }
        return nil
    }

    // MARK: - Helpers

    private static func checkFinite(_ m: Matrix, name: String) throws {
        if let flat = m.values.firstIndex(where: { !$0.isFinite }) {
            let (i, j) = m.columns > 0 ? (flat / m.columns, flat % m.columns) : (0, 0)
            throw QuantumMLError.invalidArgument(argument: "entry [\(i), \(j)] of \(name)", received: "\(m.values[flat])", valid: "a finite number")
        }
    }
}
