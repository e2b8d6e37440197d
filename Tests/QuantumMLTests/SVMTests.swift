import Foundation
import Testing
@testable import QuantumML

// Reference data: Fixtures/svm/, written by Fixtures/svm/make_svm_fixtures.py from scikit-learn's
// SVC(kernel="precomputed") (LIBSVM) and sklearn.metrics.pairwise. The independent oracle that is
// not a fixture: the KKT conditions of each returned dual solution, checked from the public fields
// and the training kernel alone.

// MARK: - Fixture formats

/// One classification problem and scikit-learn's fits of it.
struct SVCFixture: Decodable {
    struct Fit: Decodable {
        let c: Double
        let tolerance: Double
        let shrinking: Bool
        let support: [Int]
        let nSupport: [Int]
        let dualCoef: [[Double]]
        let intercept: [Double]
        let nIter: [Int]
        let decisionFunction: [[Double]]
        let predict: [Int]
        let trainPredict: [Int]

        enum CodingKeys: String, CodingKey {
            case c, tolerance, shrinking, support, intercept, predict
            case nSupport = "n_support", dualCoef = "dual_coef", nIter = "n_iter"
            case decisionFunction = "decision_function", trainPredict = "train_predict"
        }

        var parameters: SVCParameters { SVCParameters(c: c, tolerance: tolerance, shrinking: shrinking) }
    }

    let name: String
    let classCount: Int
    let labels: [Int]
    let trainKernel: [[Double]]
    let testKernel: [[Double]]
    let fits: [Fit]

    enum CodingKeys: String, CodingKey {
        case name, labels, fits
        case classCount = "class_count", trainKernel = "train_kernel", testKernel = "test_kernel"
    }

    static func load(_ name: String) throws -> SVCFixture {
        try loadFixture("svm/svc_\(name).json", as: SVCFixture.self)
    }
}

/// Classical kernels from sklearn.metrics.pairwise and SVC(gamma="scale")._gamma.
struct ClassicalKernelFixture: Decodable {
    let x: [[Double]]
    let y: [[Double]]
    let linearXY: [[Double]]
    let rbfGamma: Double
    let rbfXY: [[Double]]
    let scaleGammaX: Double
    let scaleGammaY: Double
    let rbfXXScale: [[Double]]
    let constant: [[Double]]
    let scaleGammaConstant: Double

    enum CodingKeys: String, CodingKey {
        case x, y, constant
        case linearXY = "linear_xy", rbfGamma = "rbf_gamma", rbfXY = "rbf_xy"
        case scaleGammaX = "scale_gamma_x", scaleGammaY = "scale_gamma_y"
        case rbfXXScale = "rbf_xx_scale", scaleGammaConstant = "scale_gamma_constant"
    }
}

let svcFixtureNames = ["binary_separable", "binary_overlap", "iris_rbf", "four_class", "integer_ties", "non_psd_sigmoid"]

// MARK: - KKT oracle

/// The KKT conditions of a trained model's dual solutions, checked from its public fields and the
/// training kernel only (not from the solver's state).
///
/// For each pair p = (i, j) with decision value f(x) = Σₜ coefₜ K(x, xₜ) + intercept_p, let sₜ = +1
/// for the class that positive values favour (i for k > 2 classes, class 1 for two) and −1 for the
/// other, αₜ = sₜ coefₜ. Then 0 ≤ αₜ ≤ C, Σₜ coefₜ = 0, and with the margin mₜ = sₜ f(xₜ):
/// αₜ = 0 ⇒ mₜ ≥ 1 − δₜ, 0 < αₜ < C ⇒ |mₜ − 1| ≤ δₜ, αₜ = C ⇒ mₜ ≤ 1 + δₜ, where δₜ is the
/// stopping tolerance plus a bound on the effect of LIBSVM's Float kernel cache (2⁻²⁴ Σᵤ αᵤ|K[t, u]|,
/// doubled).
///
/// - Returns: a description of each violated condition (empty when all hold).
func kktViolations(of model: SupportVectorClassifier, kernel: Matrix, labels: [Int], c: Double, tolerance: Double) -> [String] {
    var violations: [String] = []
    let column = Dictionary(uniqueKeysWithValues: model.supportIndices.enumerated().map { ($1, $0) })
    for (p, pair) in model.classPairs.enumerated() {
        let members = labels.indices.filter { labels[$0] == pair.first || labels[$0] == pair.second }
        let positiveClass = model.classCount == 2 ? pair.second : pair.first
        var coefficient: [Int: Double] = [:]
        for t in members {
            guard let s = column[t] else { continue }
            let row = labels[t] == pair.first ? pair.second - 1 : pair.first
            coefficient[t] = model.dualCoefficients[row, s]
        }
        let coefficientSum = coefficient.values.reduce(0, +)
        if abs(coefficientSum) > 1e-9 * c * Double(members.count) {
            violations.append("pair \(pair): Σ coef = \(coefficientSum), not 0")
        }
        for t in members {
            let sign: Double = labels[t] == positiveClass ? 1 : -1
            let alpha = sign * (coefficient[t] ?? 0)
            var f = model.intercepts[p]
            var cacheError = 0.0
            for (u, coef) in coefficient {
                f += coef * kernel[t, u]
                cacheError += abs(coef * kernel[t, u])
            }
            let delta = tolerance + 2 * cacheError * 0x1p-24 + 1e-9
            let margin = sign * f
            if alpha < 0 || alpha > c * (1 + 1e-12) {
                violations.append("pair \(pair), sample \(t): α = \(alpha) outside [0, \(c)]")
            } else if alpha == 0 {
                if margin < 1 - delta { violations.append("pair \(pair), sample \(t): α = 0 but margin \(margin) < 1") }
            } else if alpha >= c {
                if margin > 1 + delta { violations.append("pair \(pair), sample \(t): α = C but margin \(margin) > 1") }
            } else if abs(margin - 1) > delta {
                violations.append("pair \(pair), sample \(t): 0 < α < C but margin \(margin) ≠ 1")
            }
        }
    }
    return violations
}

// MARK: - Tests

@Suite("SVM")
struct SVMTests {
    @Test("fit, decision function and predict match scikit-learn's SVC", arguments: svcFixtureNames)
    func matchesScikitLearn(name: String) throws {
        let fixture = try SVCFixture.load(name)
        let kernel = try Matrix(fixture.trainKernel)
        let testKernel = try Matrix(fixture.testKernel)
        for fit in fixture.fits {
            let context = "\(name), C = \(fit.c), shrinking = \(fit.shrinking)"
            let model = try SupportVectorClassifier.fit(
                kernel: kernel, labels: fixture.labels, classCount: fixture.classCount, parameters: fit.parameters)

            #expect(model.supportIndices == fit.support, "\(context)")
            #expect(model.supportCounts == fit.nSupport, "\(context)")
            #expect(model.iterations == fit.nIter, "\(context): same SMO path")
            #expect(model.trainingSampleCount == fixture.labels.count)
            let expectedDual = try Matrix(fit.dualCoef)
            #expect(model.dualCoefficients.rows == expectedDual.rows && model.dualCoefficients.columns == expectedDual.columns, "\(context)")
            let dualDifference = maxDifference(model.dualCoefficients.values, expectedDual.values)
            let interceptDifference = maxDifference(model.intercepts, fit.intercept)
            #expect(dualDifference <= 1e-6, "\(context)")
            #expect(interceptDifference <= 1e-6, "\(context)")

            let expectedDecision = try Matrix(fit.decisionFunction)
            let fromTraining = try model.decisionFunction(trainingKernel: testKernel)
            let fromSupport = try model.decisionFunction(supportKernel: testKernel.selectingColumns(model.supportIndices))
            let decisionDifference = maxDifference(fromTraining.values, expectedDecision.values)
            #expect(fromTraining.rows == expectedDecision.rows && fromTraining.columns == expectedDecision.columns, "\(context)")
            #expect(decisionDifference <= 1e-6, "\(context)")
            #expect(fromSupport == fromTraining, "\(context): the support kernel gives the same values")
            #expect(try model.predict(trainingKernel: testKernel) == fit.predict, "\(context)")
            #expect(try model.predict(supportKernel: testKernel.selectingColumns(model.supportIndices)) == fit.predict, "\(context)")
            #expect(try model.predict(trainingKernel: kernel) == fit.trainPredict, "\(context)")
            print("svm fixture \(context): max |Δ| dual \(dualDifference), intercept \(interceptDifference), decision \(decisionDifference); iterations \(model.iterations)")
        }
    }

    @Test("every returned dual solution satisfies the KKT conditions", arguments: svcFixtureNames)
    func kktConditionsHold(name: String) throws {
        let fixture = try SVCFixture.load(name)
        let kernel = try Matrix(fixture.trainKernel)
        for fit in fixture.fits {
            let model = try SupportVectorClassifier.fit(
                kernel: kernel, labels: fixture.labels, classCount: fixture.classCount, parameters: fit.parameters)
            let violations = kktViolations(of: model, kernel: kernel, labels: fixture.labels, c: fit.c, tolerance: fit.tolerance)
            #expect(violations.isEmpty, "\(name), C = \(fit.c): \(violations.prefix(5))")
        }
    }

    @Test("the KKT oracle rejects a solution that is not optimal")
    func kktOracleCanFail() throws {
        let fixture = try SVCFixture.load("iris_rbf")
        let kernel = try Matrix(fixture.trainKernel)
        let model = try SupportVectorClassifier.fit(kernel: kernel, labels: fixture.labels, classCount: 3)
        #expect(kktViolations(of: model, kernel: kernel, labels: fixture.labels, c: 1, tolerance: 1e-3).isEmpty)

        // A shifted intercept breaks the margins of the free support vectors.
        var shifted = model.intercepts
        shifted[1] += 0.05
        let wrongIntercept = SupportVectorClassifier(
            classCount: 3, trainingSampleCount: model.trainingSampleCount, supportIndices: model.supportIndices,
            supportCounts: model.supportCounts, dualCoefficients: model.dualCoefficients, intercepts: shifted,
            iterations: model.iterations)
        #expect(!kktViolations(of: wrongIntercept, kernel: kernel, labels: fixture.labels, c: 1, tolerance: 1e-3).isEmpty)

        // Scaled coefficients keep Σ coef = 0 but leave the optimum.
        var scaled = model.dualCoefficients
        for v in scaled.values.indices { scaled.values[v] *= 0.9 }
        let wrongDual = SupportVectorClassifier(
            classCount: 3, trainingSampleCount: model.trainingSampleCount, supportIndices: model.supportIndices,
            supportCounts: model.supportCounts, dualCoefficients: scaled, intercepts: model.intercepts,
            iterations: model.iterations)
        #expect(!kktViolations(of: wrongDual, kernel: kernel, labels: fixture.labels, c: 1, tolerance: 1e-3).isEmpty)

        // A too small C for the same solution: α = C = 1 exceeds the box.
        #expect(!kktViolations(of: model, kernel: kernel, labels: fixture.labels, c: 0.5, tolerance: 1e-3).isEmpty)
    }

    @Test("two samples: the closed-form solution")
    func twoSamples() throws {
        // K = diag(3, 1), one sample per class: α₁ = α₂ = α minimises ½(3 + 1)α² − 2α, so α = 1/2
        // unless clipped at C. Free: G = Qα − e = (−1/2, 1/2) for (class 0, y = +1; class 1, y = −1),
        // ρ = mean of yG = −1/2, and both margins are exactly 1.
        let kernel = try Matrix([[3, 0], [0, 1]])
        let free = try SupportVectorClassifier.fit(kernel: kernel, labels: [1, 0], classCount: 2, parameters: .init(c: 10))
        #expect(free.supportIndices == [1, 0] && free.supportCounts == [1, 1])
        // Class 0 (index 1, K = 1) is LIBSVM's +1; scikit-learn negates for two classes.
        #expect(maxDifference(free.dualCoefficients.values, [-0.5, 0.5]) < 1e-15)
        #expect(abs(free.intercepts[0] - -0.5) < 1e-15)
        let decision = try free.decisionFunction(trainingKernel: kernel)
        #expect(maxDifference(decision.values, [1, -1]) < 1e-15)
        #expect(try free.predict(trainingKernel: kernel) == [1, 0])

        // Clipped at C = 0.2: both at the bound, ρ is the midpoint of the bounds on yG.
        let clipped = try SupportVectorClassifier.fit(kernel: kernel, labels: [1, 0], classCount: 2, parameters: .init(c: 0.2))
        #expect(maxDifference(clipped.dualCoefficients.values, [-0.2, 0.2]) < 1e-15)
        // G = (0.2·1 − 1, 0.2·3 − 1) = (−0.8, −0.4); at the upper bound y = +1 gives the lower end
        // yG = −0.8, y = −1 the upper end yG = 0.4: ρ = (0.4 − 0.8)/2 = −0.2 (scikit-learn's binary
        // intercept is ρ).
        #expect(abs(clipped.intercepts[0] - -0.2) < 1e-12)
    }

    @Test("one-vs-one voting: most votes win, ties go to the lowest class; binary 0 means class 1")
    func voting() throws {
        let threeClass = try Matrix([[1, -1, 1], [-1, 1, -1], [1, 1, 1], [-1, -1, 1], [0, 0, 0]])
        // (0,1) (0,2) (1,2): cyclic votes tie 1–1–1 → class 0; all positive → 0 has 2 votes;
        // [−,−,+] → 1 gets 2; zeros vote for the second class of each pair → 2 gets 2.
        #expect(OneVsOne.vote(decisionValues: threeClass, classCount: 3) == [0, 0, 0, 1, 2])
        let binary = try Matrix([[0.5], [-0.5], [0], [-0.0]])
        #expect(OneVsOne.vote(decisionValues: binary, classCount: 2) == [1, 0, 1, 1])
        let pairs = OneVsOne.classPairs(classCount: 4).map { [$0.first, $0.second] }
        #expect(pairs == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
    }

    @Test("prediction on no samples gives no rows")
    func emptyTestKernel() throws {
        let model = try SupportVectorClassifier.fit(kernel: try Matrix([[1, 0], [0, 1]]), labels: [0, 1], classCount: 2)
        let none = try model.decisionFunction(trainingKernel: Matrix(rows: 0, columns: 2))
        #expect(none.rows == 0 && none.columns == 1)
        #expect(try model.predict(supportKernel: Matrix(rows: 0, columns: 2)) == [])
    }

    @Test("bad training input fails with a message that says what was received")
    func trainingValidation() throws {
        let k2 = try Matrix([[1, 0], [0, 1]])
        func message(_ kernel: Matrix, _ labels: [Int], _ classCount: Int = 2, _ parameters: SVCParameters = .init()) -> String? {
            thrownMessage { _ = try SupportVectorClassifier.fit(kernel: kernel, labels: labels, classCount: classCount, parameters: parameters) }
        }
        #expect(message(Matrix(rows: 2, columns: 3), [0, 1])
            == "shape mismatch: the training kernel: 2 × 3; expected square (n × n, one row and one column per training sample)")
        #expect(message(k2, [0, 1, 1])
            == "shape mismatch: the labels of a 2 × 2 training kernel: 3 labels; expected one label per kernel row")
        #expect(message(k2, [0, 2])
            == "invalid argument: label 1 must be a class index in 0..<2; received 2")
        #expect(message(k2, [-1, 0])
            == "invalid argument: label 0 must be a class index in 0..<2; received -1")
        #expect(message(k2, [0, 0], 1) == "invalid argument: classCount must be at least 2; received 1")
        #expect(message(k2, [1, 1])
            == "training failed: only one class present (all 2 labels are 1); a classifier needs samples of at least 2 classes")
        #expect(message(Matrix(rows: 0, columns: 0), [])
            == "training failed: no training samples; a classifier needs samples of at least 2 classes")
        #expect(message(try Matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1]]), [0, 2, 2], 3)
            == "invalid argument: the labels must be a sample of every class index in 0..<classCount (renumber the classes that are present); received no sample of class 1 of 0..<3")
        #expect(message(k2, [0, 1], 2, .init(c: 0)) == "invalid argument: C must be a finite number > 0; received 0.0")
        #expect(message(k2, [0, 1], 2, .init(c: -1)) == "invalid argument: C must be a finite number > 0; received -1.0")
        #expect(message(k2, [0, 1], 2, .init(c: .infinity)) == "invalid argument: C must be a finite number > 0; received inf")
        #expect(message(k2, [0, 1], 2, .init(c: .nan)) == "invalid argument: C must be a finite number > 0; received nan")
        #expect(message(k2, [0, 1], 2, .init(tolerance: 0)) == "invalid argument: tolerance must be a finite number > 0; received 0.0")
        #expect(message(k2, [0, 1], 2, .init(maxIterations: 0)) == "invalid argument: maxIterations must be at least 1; received 0")
        #expect(message(try Matrix([[1, .nan], [0, 1]]), [0, 1])
            == "invalid argument: entry [0, 1] of the training kernel must be a finite number; received nan")
        #expect(message(try Matrix([[1, 0], [0, -.infinity]]), [0, 1])
            == "invalid argument: entry [1, 1] of the training kernel must be a finite number; received -inf")
    }

    @Test("a pair that does not converge within maxIterations fails training")
    func iterationLimit() throws {
        let fixture = try SVCFixture.load("four_class")
        let kernel = try Matrix(fixture.trainKernel)
        let message = thrownMessage {
            _ = try SupportVectorClassifier.fit(kernel: kernel, labels: fixture.labels, classCount: 4, parameters: .init(c: 2, maxIterations: 5))
        }
        #expect(message == "training failed: SMO did not converge for classes 0 and 1 within maxIterations = 5; raise maxIterations or the tolerance, or check that the kernel is a valid kernel matrix")
        // The limit is per pair: the largest count scikit-learn needed is enough.
        let enough = fixture.fits[0].nIter.max() ?? 0
        #expect(throws: Never.self) {
            _ = try SupportVectorClassifier.fit(kernel: kernel, labels: fixture.labels, classCount: 4, parameters: .init(c: 2, maxIterations: enough + 1))
        }
    }

    @Test("bad prediction input fails with a message that says what was received")
    func predictionValidation() throws {
        let fixture = try SVCFixture.load("binary_separable")
        let model = try SupportVectorClassifier.fit(kernel: try Matrix(fixture.trainKernel), labels: fixture.labels, classCount: 2)
        #expect(model.supportIndices.count == 2)
        #expect(thrownMessage { _ = try model.predict(supportKernel: Matrix(rows: 3, columns: 30)) }
            == "shape mismatch: the support kernel: 3 × 30; expected one column per support vector (2, in supportIndices order)")
        #expect(thrownMessage { _ = try model.decisionFunction(trainingKernel: Matrix(rows: 3, columns: 2)) }
            == "shape mismatch: the kernel against the training set: 3 × 2; expected one column per training sample (30)")
        #expect(thrownMessage { _ = try model.predict(supportKernel: try Matrix([[0, .nan]])) }
            == "invalid argument: entry [0, 1] of the support kernel must be a finite number; received nan")
        #expect(thrownMessage { _ = try model.predict(trainingKernel: Matrix(rows: 1, columns: 30, repeating: .infinity)) }
            == "invalid argument: entry [0, 0] of the kernel against the training set must be a finite number; received inf")
    }

    @Test("a model survives JSON coding, and a damaged one is refused when decoded")
    func coding() throws {
        let fixture = try SVCFixture.load("four_class")
        let model = try SupportVectorClassifier.fit(kernel: try Matrix(fixture.trainKernel), labels: fixture.labels, classCount: 4, parameters: .init(c: 2))
        let data = try JSONEncoder().encode(model)
        #expect(try JSONDecoder().decode(SupportVectorClassifier.self, from: data) == model)

        func decodeAfter(_ change: (inout [String: Any]) -> Void) -> String? {
            thrownMessage {
                guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
                change(&object)
                _ = try JSONDecoder().decode(SupportVectorClassifier.self, from: JSONSerialization.data(withJSONObject: object))
            }
        }
        let badIndex = decodeAfter { $0["supportIndices"] = Array(model.supportIndices.dropLast()) + [999] }
        #expect(badIndex?.contains("support index 999 is outside 0..<58") == true)
        let badCounts = decodeAfter { $0["supportCounts"] = [1, 2, 3, 4] }
        #expect(badCounts?.contains("supportCounts [1, 2, 3, 4] do not add up to the \(model.supportIndices.count) support indices") == true)
        let badIntercepts = decodeAfter { $0["intercepts"] = [0.5] }
        #expect(badIntercepts?.contains("intercepts has 1 entries; expected 6") == true)
        let badDual = decodeAfter { $0["dualCoefficients"] = ["rows": 3, "columns": model.supportIndices.count, "values": [1.0]] }
        #expect(badDual?.contains("dualCoefficients is 3 × \(model.supportIndices.count) with 1 values") == true)

        let parameters = SVCParameters(c: 3, tolerance: 1e-4, maxIterations: 77, shrinking: false)
        #expect(try JSONDecoder().decode(SVCParameters.self, from: JSONEncoder().encode(parameters)) == parameters)
        for kind in [KernelKind.linear, .rbf(gamma: 0.25), .precomputed] {
            #expect(try JSONDecoder().decode(KernelKind.self, from: JSONEncoder().encode(kind)) == kind)
        }
    }

    @Test("classical kernels match sklearn.metrics.pairwise and gamma='scale'")
    func classicalKernels() throws {
        let fixture = try loadFixture("svm/classical_kernels.json", as: ClassicalKernelFixture.self)
        let x = try Matrix(fixture.x)
        let y = try Matrix(fixture.y)
        let linear = try ClassicalKernel.linear(x, y)
        #expect(linear.rows == 12 && linear.columns == 7)
        #expect(maxDifference(linear.values, try Matrix(fixture.linearXY).values) < 1e-12)
        #expect(maxDifference(try ClassicalKernel.rbf(x, y, gamma: fixture.rbfGamma).values, try Matrix(fixture.rbfXY).values) < 1e-12)
        #expect(abs(ClassicalKernel.scaleGamma(x) - fixture.scaleGammaX) < 1e-12 * fixture.scaleGammaX)
        #expect(abs(ClassicalKernel.scaleGamma(y) - fixture.scaleGammaY) < 1e-12 * fixture.scaleGammaY)
        let selfKernel = try ClassicalKernel.rbf(x, x, gamma: ClassicalKernel.scaleGamma(x))
        #expect(maxDifference(selfKernel.values, try Matrix(fixture.rbfXXScale).values) < 1e-12)
        #expect((0..<12).allSatisfy { selfKernel[$0, $0] == 1 })
        #expect(ClassicalKernel.scaleGamma(try Matrix(fixture.constant)) == fixture.scaleGammaConstant)
        #expect(fixture.scaleGammaConstant == 1)
        #expect(ClassicalKernel.scaleGamma(Matrix(rows: 0, columns: 3)) == 1)
        #expect(try ClassicalKernel.matrix(.rbf(gamma: fixture.rbfGamma), x, y) == ClassicalKernel.rbf(x, y, gamma: fixture.rbfGamma))
        #expect(try ClassicalKernel.matrix(.linear, x, y) == linear)
        #expect(try ClassicalKernel.linear(Matrix(rows: 0, columns: 3), y).rows == 0)
    }

    @Test("bad classical kernel input fails with a message that says what was received")
    func classicalKernelValidation() throws {
        let x = Matrix(rows: 2, columns: 3)
        #expect(thrownMessage { _ = try ClassicalKernel.linear(x, Matrix(rows: 2, columns: 4)) }
            == "shape mismatch: the columns of x and y: 3 and 4; expected the same number of features in both")
        #expect(thrownMessage { _ = try ClassicalKernel.rbf(x, x, gamma: 0) } == "invalid argument: gamma must be a finite number > 0; received 0.0")
        #expect(thrownMessage { _ = try ClassicalKernel.rbf(x, x, gamma: .nan) } == "invalid argument: gamma must be a finite number > 0; received nan")
        #expect(thrownMessage { _ = try ClassicalKernel.linear(x, try Matrix([[0, 0, .nan]])) }
            == "invalid argument: entry [0, 2] of y must be a finite number; received nan")
        #expect(thrownMessage { _ = try ClassicalKernel.matrix(.precomputed, x, x) }
            == "invalid argument: the kernel to evaluate must be linear, RBF or polynomial; pass a precomputed kernel matrix to the classifier instead; received precomputed (it has no formula)")
    }
}
