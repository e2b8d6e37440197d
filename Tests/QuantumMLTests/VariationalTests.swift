import Foundation
import Parallel
import Privacy
import Quantum
import Testing
import _TestSupport
@testable import QuantumML

// MARK: - Helpers

/// A small labelled set: `count` samples of `features` features uniform in [0, 1); the class is
/// `rule(x)`. Seeded, so every run sees the same data.
private func tinyDataset(count: Int, features: Int, classes: Int, seed: UInt64, rule: ([Double]) -> Int) throws -> Dataset {
    var generator = SeededGenerator(seed: seed)
    var rows: [[Double]] = []
    var labels: [Int] = []
    while rows.count < count {
        let x = (0..<features).map { _ in generator.nextUniform() }
        let label = rule(x)
        // Balanced classes: take a sample only while its class is short.
        guard labels.filter({ $0 == label }).count < (count + classes - 1) / classes else { continue }
        rows.append(x)
        labels.append(label)
    }
    return try Dataset(name: "tiny", features: Matrix(rows), labels: labels, classes: (0..<classes).map { "c\($0)" },
                       featureNames: (0..<features).map { "f\($0)" }, labelName: "label")
}

/// Two features, class by x0 < 0.45 or > 0.55 (a margin around 0.5): separable by ⟨Z_0⟩ after ry(x0).
private func separable(count: Int = 24, seed: UInt64 = 11) throws -> Dataset {
    var generator = SeededGenerator(seed: seed)
    var rows: [[Double]] = [], labels: [Int] = []
    for i in 0..<count {
        let label = i % 2
        let x0 = label == 0 ? 0.45 * generator.nextUniform() : 0.55 + 0.45 * generator.nextUniform()
        rows.append([x0, generator.nextUniform()])
        labels.append(label)
    }
    return try Dataset(name: "separable", features: Matrix(rows), labels: labels, classes: ["low", "high"],
                       featureNames: ["a", "b"], labelName: "side")
}

/// A configuration for fast tests: angle encoding (ry), one thread.
private func fastConfiguration(features: Int = 2, ansatz: Ansatz? = nil, epochs: Int = 3) throws -> VariationalConfiguration {
    try VariationalConfiguration(featureMap: .angle(features: features, rotation: .y),
                                 ansatz: ansatz ?? .realAmplitudes(qubits: features, reps: 1),
                                 epochs: epochs, batchSize: 5, seed: 5, scheduler: Scheduler(threads: 1))
}

/// The mean loss and its gradient (adjoint, chain rule) over some samples, through the trainer's code.
private func lossAndGradient(_ problem: VariationalProblem, _ x: Matrix, _ targets: [Double], _ theta: [Double]) throws
    -> (loss: Double, gradient: [Double])
{
    var accumulator = [Double](repeating: 0, count: problem.parameterCount + 2)
    for row in 0..<x.rows {
        try problem.addGradient(x, row: row, target: targets[row], theta: theta, into: &accumulator)
    }
    let n = Double(x.rows)
    return (accumulator[problem.parameterCount] / n, accumulator[..<problem.parameterCount].map { $0 / n })
}

/// The mean loss alone, through the forward-only path.
private func meanLoss(_ problem: VariationalProblem, _ x: Matrix, _ targets: [Double], _ theta: [Double]) throws -> Double {
    var sum = 0.0
    for row in 0..<x.rows { sum += try problem.loss(x, row: row, target: targets[row], theta: theta).loss }
    return sum / Double(x.rows)
}

// MARK: - Ansätze against Qiskit and PennyLane

struct AnsatzFixture: Decodable {
    struct Case: Decodable {
        var kind: String
        var qubits: Int
        var reps: Int
        var entanglement: String?
        var ranges: [Int]?
        var parameters: [Double]
        var state: [Double]
    }
    struct Defaults: Decodable {
        var reps: Int
        var entanglement: String
    }
    var qiskit: String
    var pennylane: String
    var defaults: [String: Defaults]
    var cases: [Case]
}

@Suite("Variational ansätze")
struct AnsatzTests {
    static func ansatz(_ c: AnsatzFixture.Case) throws -> Ansatz {
        switch c.kind {
        case "real_amplitudes":
            return try .realAmplitudes(qubits: c.qubits, reps: c.reps, entanglement: #require(Entanglement(rawValue: c.entanglement ?? "")))
        case "efficient_su2":
            return try .efficientSU2(qubits: c.qubits, reps: c.reps, entanglement: #require(Entanglement(rawValue: c.entanglement ?? "")))
        default:
            return try .stronglyEntangling(qubits: c.qubits, layers: c.reps, ranges: c.ranges)
        }
    }

    static func state(_ circuit: QuantumCircuit, _ parameters: [Parameter], _ values: [Double]) throws -> [Double] {
        let bound = try circuit.bind(Dictionary(uniqueKeysWithValues: zip(parameters, values)))
        return try Simulator().statevector(bound).amplitudes.flatMap { [$0.real, $0.imaginary] }
    }

    @Test("real_amplitudes and efficient_su2 equal Qiskit's, StronglyEntanglingLayers equals PennyLane's (state vectors, random parameters)")
    func matchesReferences() throws {
        let fixture = try loadFixture("variational/ansatze.json", as: AnsatzFixture.self)
        #expect(fixture.cases.count == 48)
        var kinds = Set<String>()
        for c in fixture.cases {
            let ansatz = try Self.ansatz(c)
            #expect(ansatz.parameterCount == c.parameters.count, "\(ansatz)")
            let (circuit, parameters) = ansatz.parameterisedCircuit()
            let state = try Self.state(circuit, parameters, c.parameters)
            #expect(maxDifference(state, c.state) < 1e-12, "\(ansatz)")
            // circuit(parameters:) is the same circuit on the caller's parameters.
            let mine = (0..<ansatz.parameterCount).map { Parameter("w\($0)") }
            #expect(try Self.state(ansatz.circuit(parameters: mine), mine, c.parameters) == state)
            kinds.insert(c.kind)
        }
        #expect(kinds == ["real_amplitudes", "efficient_su2", "strongly_entangling"])
    }

    @Test("the builders' defaults are Qiskit's (reps 3, reverse_linear) and PennyLane's (ranges (l mod (n−1)) + 1)")
    func defaults() throws {
        let fixture = try loadFixture("variational/ansatze.json", as: AnsatzFixture.self)
        for (name, build) in [("real_amplitudes", { try Ansatz.realAmplitudes(qubits: 3) }), ("efficient_su2", { try Ansatz.efficientSU2(qubits: 3) })] {
            let ansatz = try build()
            let expected = try #require(fixture.defaults[name])
            #expect(ansatz.reps == expected.reps)
            #expect(ansatz.entanglement?.rawValue == expected.entanglement)
        }
        #expect(try Ansatz.stronglyEntangling(qubits: 4, layers: 5).ranges == [1, 2, 3, 1, 2])
        #expect(try Ansatz.stronglyEntangling(qubits: 1, layers: 2).ranges == [0, 0])
        #expect(try Ansatz.realAmplitudes(qubits: 4, reps: 2).parameterCount == 12)
        #expect(try Ansatz.efficientSU2(qubits: 4, reps: 2).parameterCount == 24)
        #expect(try Ansatz.stronglyEntangling(qubits: 4, layers: 2).parameterCount == 24)
    }

    @Test("an ansatz survives JSON: the Qiskit, PennyLane and custom forms")
    func coding() throws {
        let a = Parameter("a"), b = Parameter("b")
        var circuit = QuantumCircuit(numQubits: 3)
        circuit.ry(2 * a, 0)
        circuit.barrier(0, 1)
        circuit.rzz(.sin(b) + a, 0, 2)
        circuit.cx(0, 1)
        circuit.u(b, 0.3, -a, 1)
        circuit.h(2)
        circuit.crx(b / 2, 2, 0)
        let ansatzes = [
            try Ansatz.realAmplitudes(qubits: 3, reps: 2, entanglement: .circular),
            try Ansatz.efficientSU2(qubits: 2, reps: 1),
            try Ansatz.stronglyEntangling(qubits: 3, layers: 2, ranges: [2, 1]),
            try Ansatz.custom(circuit, parameters: [b, a]),
        ]
        for ansatz in ansatzes {
            let data = try JSONEncoder().encode(ansatz)
            let decoded = try JSONDecoder().decode(Ansatz.self, from: data)
            #expect(decoded == ansatz)
            let values = (0..<ansatz.parameterCount).map { 0.4 + 0.7 * Double($0) }
            let (c1, p1) = ansatz.parameterisedCircuit()
            let (c2, p2) = decoded.parameterisedCircuit()
            #expect(try Self.state(c1, p1, values) == Self.state(c2, p2, values))
        }
        // The custom ansatz is the user's circuit, weights in the order given.
        let custom = ansatzes[3]
        #expect(custom.parameterCount == 2)
        let (rebuilt, parameters) = custom.parameterisedCircuit()
        #expect(parameters.map(\.name) == ["b", "a"])
        // The rebuilt circuit may be fused differently (the ansatz keeps no barriers), so the
        // states agree to rounding, not bit for bit.
        let rebuiltState = try Self.state(rebuilt, parameters, [0.9, -0.4])
        let originalState = try Self.state(circuit, [b, a], [0.9, -0.4])
        #expect(rebuiltState.count == originalState.count)
        #expect(zip(rebuiltState, originalState).allSatisfy { abs($0 - $1) < 1e-13 })
        let json = String(decoding: try JSONEncoder().encode(ansatzes[2]), as: UTF8.self)
        #expect(json.contains("\"layers\":2") && json.contains("\"ranges\":[2,1]"))
    }

    @Test("bad ansätze fail with messages that say what is valid")
    func errors() throws {
        #expect(thrownMessage { _ = try Ansatz.realAmplitudes(qubits: 0) } == "invalid argument: the qubits of an ansatz must be 1…26; received 0")
        #expect(thrownMessage { _ = try Ansatz.efficientSU2(qubits: 2, reps: -1) } == "invalid argument: reps must be ≥ 0; received -1")
        #expect(thrownMessage { _ = try Ansatz.stronglyEntangling(qubits: 2, layers: 0) } == "invalid argument: layers must be ≥ 1; received 0")
        #expect(thrownMessage { _ = try Ansatz.stronglyEntangling(qubits: 3, layers: 2, ranges: [1]) }
            == "invalid argument: the ranges of strongly entangling layers must be one per layer (2); received 1")
        #expect(thrownMessage { _ = try Ansatz.stronglyEntangling(qubits: 3, layers: 1, ranges: [3]) }
            == "invalid argument: a strongly entangling range must be a positive number that is not a multiple of the qubit count (3); received 3")
        #expect(thrownMessage { _ = try Ansatz.realAmplitudes(qubits: 2).circuit(parameters: [Parameter("x")]) }
            == "invalid argument: the parameter count of real_amplitudes, 2 qubits, 3 reps, reverse_linear entanglement must be 8; received 1")
        let a = Parameter("a"), b = Parameter("b")
        var measured = QuantumCircuit(numQubits: 1, numClbits: 1)
        measured.ry(a, 0)
        measured.measure(0, 0)
        #expect(thrownMessage { _ = try Ansatz.custom(measured) } == "invalid argument: instruction 1 of the ansatz must be a unitary gate (an ansatz must be unitary); received a measure")
        var two = QuantumCircuit(numQubits: 1)
        two.ry(a + b, 0)
        #expect(thrownMessage { _ = try Ansatz.custom(two, parameters: [a]) }
            == "invalid argument: the ansatz parameter list must be a list of every parameter of the circuit; received a list without \"b\", which occurs in the circuit")
        #expect(thrownMessage { _ = try Ansatz.custom(two, parameters: [a, b, Parameter("c")]) }
            == "invalid argument: the ansatz parameter list must be a list of parameters of the circuit only; received \"c\", which occurs in no gate of the circuit")
        // A damaged file: the builders' rules apply on decoding.
        let bad = Data(#"{"kind":"strongly_entangling","qubits":2,"layers":1,"ranges":[2]}"#.utf8)
        #expect(thrownMessage { _ = try JSONDecoder().decode(Ansatz.self, from: bad) }?.contains("not a multiple of the qubit count (2); received 2") == true)
    }
}

// MARK: - Loss gradients

@Suite("Variational loss gradients")
struct VariationalGradientTests {
    /// A problem, scaled samples, targets and a random θ.
    static func setup(classes: Int?, readout: Readout, hybrid: Bool, ansatz: Ansatz, featureMap: FeatureMap,
                      samples: Int = 4, method: GradientMethod = .adjoint) throws
        -> (VariationalProblem, Matrix, [Double], [Double])
    {
        let head = ReadoutHead(classes: classes, readout: readout, hybrid: hybrid, qubits: ansatz.qubits)
        let problem = try VariationalProblem(featureMap: featureMap, ansatz: ansatz, head: head, method: method)
        var generator = SeededGenerator(seed: 99)
        let x = try Matrix(rows: samples, columns: featureMap.featureCount,
                           values: (0..<(samples * featureMap.featureCount)).map { _ in Double.pi * generator.nextUniform() })
        let targets = (0..<samples).map { i in classes.map { Double(i % $0) } ?? (2 * generator.nextUniform() - 1) }
        let theta = VariationalTrainer.initialParameters(problem, seed: 17)
        return (problem, x, targets, theta)
    }

    static func check(_ problem: VariationalProblem, _ x: Matrix, _ targets: [Double], _ theta: [Double],
                      tolerance: Double = 1e-7) throws
    {
        let (loss, gradient) = try lossAndGradient(problem, x, targets, theta)
        #expect(abs(loss - (try meanLoss(problem, x, targets, theta))) < 1e-12)
        let reference = try FiniteDifference.gradient({ try meanLoss(problem, x, targets, $0) }, at: theta)
        #expect(gradient.count == problem.parameterCount)
        #expect(FiniteDifference.maxDifference(gradient, reference) < tolerance, "\(gradient) vs \(reference)")
        // Not trivially zero.
        #expect(gradient.map(abs).max() ?? 0 > 1e-3)
    }

    @Test("classifier: softmax cross-entropy on s·⟨Z_c⟩ (3 classes, strongly entangling) equals central differences")
    func zExpectations() throws {
        let (p, x, t, theta) = try Self.setup(classes: 3, readout: .zExpectations, hybrid: false,
                                              ansatz: .stronglyEntangling(qubits: 3, layers: 2), featureMap: .angle(features: 3))
        try Self.check(p, x, t, theta)
    }

    @Test("classifier: parity with binary cross-entropy (ZZ map, real_amplitudes) equals central differences")
    func parity() throws {
        let (p, x, t, theta) = try Self.setup(classes: 2, readout: .parity, hybrid: false,
                                              ansatz: .realAmplitudes(qubits: 2, reps: 2), featureMap: .zz(features: 2))
        try Self.check(p, x, t, theta)
    }

    /// A user circuit with parameter expressions (2a, sin b + a, b/2) on 2 qubits.
    static func customAnsatz() throws -> Ansatz {
        let a = Parameter("a"), b = Parameter("b"), c = Parameter("c")
        var circuit = QuantumCircuit(numQubits: 2)
        circuit.ry(2 * a, 0)
        circuit.rzz(.sin(b) + a, 0, 1)
        circuit.cx(0, 1)
        circuit.u(b, 0.3, -c, 1)
        circuit.crx(b / 2, 1, 0)
        circuit.rx(c, 0)
        return try .custom(circuit, parameters: [c, a, b])
    }

    @Test("classifier with a user circuit (parameter expressions) as the ansatz equals central differences")
    func customCircuit() throws {
        let (p, x, t, theta) = try Self.setup(classes: 2, readout: .parity, hybrid: false,
                                              ansatz: Self.customAnsatz(), featureMap: .angle(features: 2))
        #expect(p.parameterCount == 3)
        try Self.check(p, x, t, theta)
        let (q, x2, t2, theta2) = try Self.setup(classes: 2, readout: .zExpectations, hybrid: true,
                                                 ansatz: Self.customAnsatz(), featureMap: .zz(features: 2))
        try Self.check(q, x2, t2, theta2)
    }

    @Test("classifier: hybrid linear layer on ⟨Z_i⟩ and on parity (3 classes) equals central differences, W and b included")
    func hybrid() throws {
        let (p, x, t, theta) = try Self.setup(classes: 3, readout: .zExpectations, hybrid: true,
                                              ansatz: .efficientSU2(qubits: 2, reps: 1), featureMap: .angle(features: 2, rotation: .x))
        #expect(p.parameterCount == 8 + 3 * 2 + 3)
        try Self.check(p, x, t, theta)
        let (q, x2, t2, theta2) = try Self.setup(classes: 3, readout: .parity, hybrid: true,
                                                 ansatz: .realAmplitudes(qubits: 2, reps: 1), featureMap: .angle(features: 2))
        #expect(q.parameterCount == 4 + 3 + 3)
        try Self.check(q, x2, t2, theta2)
    }

    @Test("regressor: squared error on ⟨Z_0⟩, on parity and through a hybrid layer equals central differences")
    func regressor() throws {
        for (readout, hybrid) in [(Readout.zExpectations, false), (.parity, false), (.zExpectations, true)] {
            let (p, x, t, theta) = try Self.setup(classes: nil, readout: readout, hybrid: hybrid,
                                                  ansatz: .realAmplitudes(qubits: 3, reps: 1), featureMap: .zz(features: 3, reps: 1))
            try Self.check(p, x, t, theta)
        }
    }

    @Test("amplitude encoding: each sample is the input state; loss gradients equal central differences (both methods)")
    func amplitudeEncoding() throws {
        for method in GradientMethod.allCases {
            let (p, x, t, theta) = try Self.setup(classes: 2, readout: .zExpectations, hybrid: false,
                                                  ansatz: .realAmplitudes(qubits: 2, reps: 2), featureMap: .amplitude(features: 3),
                                                  method: method)
            #expect(p.amplitudeEncoding && p.compiled.numQubits == 2)
            try Self.check(p, x, t, theta)
        }
        // A sample whose features are all 0 cannot be normalised: named before any simulation.
        let (p, _, _, _) = try Self.setup(classes: 2, readout: .zExpectations, hybrid: false,
                                          ansatz: .realAmplitudes(qubits: 2, reps: 1), featureMap: .amplitude(features: 4))
        let zero = try Matrix([[0.5, 0, 0, 0], [0, 0, 0, 0]])
        #expect(thrownMessage { try p.checkEncodable(zero, name: "training data") }
            == "training data, sample 1: every feature is 0 (after scaling), and amplitude encoding cannot normalise an all-zero sample; drop the sample, or, if minmax scaling made it zero (it sits at every feature's training minimum), use --scale standard")
    }

    @Test("parameter shift gives the adjoint gradient")
    func parameterShift() throws {
        let ansatz = try Ansatz.stronglyEntangling(qubits: 2, layers: 1)
        let (a, x, t, theta) = try Self.setup(classes: 2, readout: .zExpectations, hybrid: false, ansatz: ansatz, featureMap: .zz(features: 2))
        let (s, _, _, _) = try Self.setup(classes: 2, readout: .zExpectations, hybrid: false, ansatz: ansatz, featureMap: .zz(features: 2),
                                          method: .parameterShift)
        let adjoint = try lossAndGradient(a, x, t, theta).gradient
        let shifted = try lossAndGradient(s, x, t, theta).gradient
        #expect(FiniteDifference.maxDifference(adjoint, shifted) < 1e-12)
    }
}

// MARK: - Optimisers

@Suite("Optimisers")
struct OptimizerTests {
    @Test("Adam's first two steps equal the hand-computed values (bias-corrected moments)")
    func adam() {
        var state = OptimizerState(.adam(learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8), parameterCount: 2)
        var theta = [1.0, 1.0]
        state.step(&theta, gradient: [0.5, -2])
        // Step 1: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε).
        #expect(abs(theta[0] - (1 - 0.1 * 0.5 / (0.5 + 1e-8))) < 1e-15)
        #expect(abs(theta[1] - (1 + 0.1 * 2 / (2 + 1e-8))) < 1e-15)
        state.step(&theta, gradient: [0.5, 1])
        // Step 2 (by hand): m = (0.095, −0.08), v = (0.00049975, 0.004996), corrections 0.19 and 0.001999.
        #expect(abs(theta[0] - 0.8000000040000006) < 1e-14)
        #expect(abs(theta[1] - 1.1266337032975684) < 1e-14)
    }

    @Test("SGD with momentum: b = g, then b = μb + g; θ −= lr·b")
    func sgd() {
        var state = OptimizerState(.sgd(learningRate: 0.1, momentum: 0.9), parameterCount: 1)
        var theta = [1.0]
        state.step(&theta, gradient: [2])
        #expect(abs(theta[0] - 0.8) < 1e-15)
        state.step(&theta, gradient: [1])
        #expect(abs(theta[0] - 0.52) < 1e-15)
        var plain = OptimizerState(.sgd(learningRate: 0.5, momentum: 0), parameterCount: 1)
        var x = [0.0]
        plain.step(&x, gradient: [1])
        plain.step(&x, gradient: [1])
        #expect(x == [-1])
    }

    @Test("SPSA: gains a/(k+1)^0.602, c/(k+1)^0.101 and θ −= a_k·(L+ − L−)/(2c_k)·Δ")
    func spsa() {
        var state = OptimizerState(.spsa(learningRate: 0.2, perturbation: 0.1), parameterCount: 2)
        #expect(state.spsaGains == (0.2, 0.1))
        var theta = [1.0, 1.0]
        state.spsaStep(&theta, direction: [1, -1], lossPlus: 3, lossMinus: 1)
        // ĝ = (3 − 1)/(2·0.1)·Δ = 10Δ; θ −= 0.2·10Δ.
        #expect(abs(theta[0] - (-1)) < 1e-14 && abs(theta[1] - 3) < 1e-14)
        let gains = state.spsaGains
        #expect(abs(gains.a - 0.131767995173414) < 1e-15 && abs(gains.c - 0.09323864864368325) < 1e-15)
        state.spsaStep(&theta, direction: [-1, -1], lossPlus: 0.5, lossMinus: 1.5)
        // Step k = 1 with Δ = (−1, −1): θ_j −= a_1·(0.5 − 1.5)/(2c_1)·Δ_j.
        let update = 0.131767995173414 * (0.5 - 1.5) / (2 * 0.09323864864368325)
        #expect(abs(theta[0] - (-1 + update)) < 1e-13 && abs(theta[1] - (3 + update)) < 1e-13)
        var generator = SeededGenerator(seed: 1)
        let direction = OptimizerState.spsaDirection(count: 64, using: &generator)
        #expect(Set(direction) == [1, -1])
    }

    @Test("bad hyperparameters are refused with the value and the valid range")
    func errors() {
        #expect(thrownMessage { try Optimizer.adam(learningRate: -1).validate() } == "invalid argument: the learning rate must be a positive number; received -1.0")
        #expect(thrownMessage { try Optimizer.adam(beta1: 1).validate() } == "invalid argument: Adam's beta1 must be in [0, 1); received 1.0")
        #expect(thrownMessage { try Optimizer.sgd(momentum: -0.1).validate() } == "invalid argument: the momentum must be in [0, 1); received -0.1")
        #expect(thrownMessage { try Optimizer.spsa(perturbation: 0).validate() } == "invalid argument: the SPSA perturbation must be a positive number; received 0.0")
        #expect(thrownMessage { try Optimizer.adam().validate() } == nil)
    }
}

// MARK: - Training

@Suite("Variational training")
struct VariationalTrainingTests {
    @Test("a tiny separable set is learnt: high training and test accuracy, falling loss")
    func learnsSeparable() throws {
        let data = try separable(count: 32)
        let (train, test) = try stratifiedSplit(data, testFraction: 0.25, seed: 1)
        var configuration = try fastConfiguration(epochs: 12)
        configuration.batchSize = 4
        configuration.optimizer = .adam(learningRate: 0.1)
        let model = try VariationalModel.trainClassifier(train, test: test, configuration: configuration)
        #expect(model.history.count == 12)
        let first = try #require(model.history.first), last = try #require(model.history.last)
        #expect(last.loss < first.loss)
        #expect((model.training.trainAccuracy ?? 0) >= 0.9)
        #expect((model.training.testAccuracy ?? 0) >= 0.85)
        #expect(model.training.testSamples == test.count && model.training.samples == train.count)
        let probabilities = try model.scores(test.features)
        for row in probabilities.rowArrays { #expect(abs(row.reduce(0, +) - 1) < 1e-12) }
        #expect(try model.predict(test.features).count == test.count)
    }

    @Test("a regressor learns y = cos(πx) on [0, 1] with ry encoding; predictions come back in the targets' units")
    func learnsRegression() throws {
        let x = (0..<16).map { Double($0) / 15 }
        let y = x.map { 3 + 2 * cos(Double.pi * $0) }
        var configuration = try fastConfiguration(features: 1, ansatz: .realAmplitudes(qubits: 1, reps: 1), epochs: 15)
        configuration.batchSize = 4
        configuration.optimizer = .adam(learningRate: 0.1)
        let model = try VariationalModel.trainRegressor(features: Matrix(x.map { [$0] }), targets: y, configuration: configuration)
        #expect(model.kind == .vqr && model.classes == nil)
        #expect(model.targetScaling == TargetScaling(offset: 3, factor: 0.5))
        #expect((model.training.trainMSE ?? .infinity) < 0.05)
        let predicted = try model.predictValues(Matrix([[0], [1]]))
        #expect(abs(predicted[0] - 5) < 0.3 && abs(predicted[1] - 1) < 0.3)
    }

    @Test("Iris on 4 qubits (ry encoding, 2 strongly entangling layers, 20 epochs) reaches ≥ 90 % test accuracy; defaults are ry + real_amplitudes")
    func iris() throws {
        let (train, test) = try stratifiedSplit(DatasetLoader.iris(), testFraction: 0.2, seed: 7)
        let configuration = VariationalConfiguration(featureMap: try .angle(features: 4, rotation: .y),
                                                      ansatz: try .stronglyEntangling(qubits: 4, layers: 2))
        let model = try VariationalModel.trainClassifier(train, test: test, configuration: configuration, split: (7, 0.2))
        #expect((model.training.testAccuracy ?? 0) >= 0.9)
        #expect(model.history.count == 20 && model.training.epochs == 20 && !model.training.stoppedEarly)
        #expect(model.training.splitSeed == 7 && model.training.testSize == 0.2 && model.training.dataset == "iris")
        let defaults = try VariationalModel.trainClassifier(train.subset(Array(0..<train.count).filter { $0 % 8 == 0 }),
                                                            configuration: VariationalConfiguration(epochs: 1))
        #expect(defaults.featureMap == (try .angle(features: 4, rotation: .y)))
        #expect(defaults.ansatz == (try .realAmplitudes(qubits: 4, reps: 3, entanglement: .reverseLinear)))
        #expect(defaults.readout == .zExpectations && !defaults.isHybrid && defaults.scaler.kind == .minmax)
        #expect(defaults.training.optimizer == .adam(learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8))
    }

    /// A configuration with every moving part: hybrid layer, validation split, uneven batches.
    static func deterministicConfiguration(_ optimizer: Optimizer) throws -> VariationalConfiguration {
        var configuration = try fastConfiguration(features: 3, ansatz: .stronglyEntangling(qubits: 3, layers: 1), epochs: 2)
        configuration.hybrid = true
        configuration.optimizer = optimizer
        configuration.validationFraction = 0.25
        configuration.batchSize = 7
        return configuration
    }

    @Test("1, 2 and 3 ranks and 1 or 2 threads train bit-identical parameters and histories (Adam, SPSA, regressor)")
    func ranksAndThreadsAgree() throws {
        let data = try tinyDataset(count: 24, features: 3, classes: 3, seed: 4) { x in x[0] + x[1] < 0.8 ? 0 : x[2] < 0.5 ? 1 : 2 }
        for optimizer in [Optimizer.adam(), .spsa()] {
            let single = try VariationalModel.trainClassifier(data, configuration: Self.deterministicConfiguration(optimizer))
            var threaded = try Self.deterministicConfiguration(optimizer)
            threaded.scheduler = try Scheduler(threads: 2)
            let twoThreads = try VariationalModel.trainClassifier(data, configuration: threaded)
            #expect(twoThreads.parameters == single.parameters)
            #expect(twoThreads.history == single.history)
            for ranks in [2, 3] {
                let models = try LocalCommunicator.run(ranks: ranks) { communicator in
                    var configuration = try Self.deterministicConfiguration(optimizer)
                    configuration.communicator = communicator
                    return try VariationalModel.trainClassifier(data, configuration: configuration)
                }
                for model in models {
                    #expect(model.parameters == single.parameters, "\(optimizer), \(ranks) ranks")
                    #expect(model.history == single.history)
                    #expect(model.training.ranks == ranks)
                }
            }
        }
        let x = data.features, y = data.features.rowArrays.map { $0[0] - $0[1] * $0[2] }
        let single = try VariationalModel.trainRegressor(features: x, targets: y, configuration: Self.deterministicConfiguration(.sgd()))
        let models = try LocalCommunicator.run(ranks: 2) { communicator in
            var configuration = try Self.deterministicConfiguration(.sgd())
            configuration.communicator = communicator
            configuration.scheduler = try Scheduler(threads: 2)
            return try VariationalModel.trainRegressor(features: x, targets: y, configuration: configuration)
        }
        for model in models { #expect(model.parameters == single.parameters) }
    }

    @Test("early stopping: the tracker stops after `patience` epochs without a lower loss and names the best epoch")
    func earlyStoppingRule() {
        var stopping = EarlyStopping(patience: 2)
        let losses = [1.0, 0.8, 0.9, 0.8, 0.95]
        var stoppedAt: Int?
        for (i, loss) in losses.enumerated() {
            _ = stopping.record(epoch: i + 1, loss: loss)
            if stopping.shouldStop { stoppedAt = i + 1; break }
        }
        // 0.8 again at epoch 4 is no improvement (strictly lower is needed).
        #expect(stoppedAt == 4)
        #expect(stopping.bestEpoch == 2 && stopping.bestLoss == 0.8)
        var never = EarlyStopping(patience: nil)
        _ = never.record(epoch: 1, loss: 1)
        _ = never.record(epoch: 2, loss: 2)
        #expect(!never.shouldStop && never.bestEpoch == 1)
    }

    @Test("early stopping in training keeps the best epoch's weights: their validation loss is the history's minimum")
    func earlyStoppingKeepsBest() throws {
        let data = try separable(count: 24)
        var configuration = try fastConfiguration(epochs: 30)
        // A step far too large makes the validation loss jump about, so training stops early.
        configuration.optimizer = .sgd(learningRate: 2, momentum: 0.9)
        configuration.validationFraction = 0.25
        configuration.patience = 2
        let model = try VariationalModel.trainClassifier(data, configuration: configuration)
        let losses = model.history.compactMap(\.validationLoss)
        #expect(losses.count == model.history.count)
        let best = try #require(model.training.bestEpoch)
        #expect(model.training.stoppedEarly)
        #expect(model.history.count == best + 2 && model.history.count < 30)
        #expect(losses[best - 1] == losses.min())
        // The validation loss of the weights the model holds, recomputed from the same split.
        let (_, held) = try stratifiedSplit(data, testFraction: 0.25, seed: configuration.seed)
        let problem = try VariationalProblem(featureMap: model.featureMap, ansatz: model.ansatz, head: model.head, method: .adjoint)
        let x = try model.scaler.transform(held.features)
        #expect(try meanLoss(problem, x, held.labels.map(Double.init), model.parameters) == losses[best - 1])
        #expect(model.training.validationSamples == held.count)
    }

    @Test("bad configurations and data fail before training with clear messages")
    func errors() throws {
        let three = try tinyDataset(count: 12, features: 2, classes: 3, seed: 2) { x in x[0] < 0.33 ? 0 : x[0] < 0.66 ? 1 : 2 }
        let two = try separable(count: 8)
        func message(_ data: Dataset, _ change: (inout VariationalConfiguration) throws -> Void) throws -> String? {
            var configuration = try fastConfiguration()
            try change(&configuration)
            return thrownMessage { _ = try VariationalModel.trainClassifier(data, configuration: configuration) }
        }
        #expect(try message(three) { _ in } == "invalid argument: the classes of the z_expectations readout (it scores class c by ⟨Z_c⟩) must be one qubit per class; use a hybrid linear layer or more qubits; received 3 classes on 2 qubits")
        #expect(try message(three) { $0.hybrid = true } == nil)
        #expect(try message(three) { $0.readout = .parity } == "invalid argument: the classes of the parity readout (binary: even vs odd) must be 2; use the Z-expectation readout (CLI: --readout z) or a hybrid linear layer (--hybrid); received 3 classes")
        #expect(try message(two) { $0.batchSize = 0 } == "invalid argument: the batch size must be ≥ 1; received 0")
        #expect(try message(two) { $0.epochs = 0 } == "invalid argument: epochs must be ≥ 1; received 0")
        #expect(try message(two) { $0.validationFraction = 1 } == "invalid argument: the validation fraction must be in [0, 1); received 1.0")
        #expect(try message(two) { $0.patience = 3 } == "invalid argument: the validation fraction must be > 0: early stopping watches the validation loss; received 0 with early stopping (patience 3)")
        #expect(try message(two) { $0.patience = 0; $0.validationFraction = 0.5 } == "invalid argument: the patience must be ≥ 1 epoch; received 0")
        #expect(try message(two) { $0.optimizer = .sgd(learningRate: .nan) } == "invalid argument: the learning rate must be a positive number; received nan")
        #expect(try message(two) { $0.featureMap = try .angle(features: 3) } == "shape mismatch: the data: 2 features; expected 3, as the feature map takes")
        #expect(try message(two) { $0.ansatz = try .realAmplitudes(qubits: 3) } == "shape mismatch: the ansatz: 3 qubits; expected 2, as the feature map acts on")
        let oneClass = two.subset([0, 2, 4])
        #expect(try message(oneClass) { _ in } == "separable: the training data has one class (\"low\"); a classifier needs at least two")
        // Regressor data.
        let configuration = try fastConfiguration()
        #expect(thrownMessage { _ = try VariationalModel.trainRegressor(features: two.features, targets: [1, 2], configuration: configuration) }
            == "shape mismatch: the targets: 2 for 8 samples; expected one target per sample")
        var targets = [Double](repeating: 1, count: 8)
        targets[3] = .infinity
        #expect(thrownMessage { _ = try VariationalModel.trainRegressor(features: two.features, targets: targets, configuration: configuration) }
            == "invalid argument: target 3 must be finite; received inf")
        // Prediction on the wrong model kind or shape.
        let model = try VariationalModel.trainClassifier(two, configuration: fastConfiguration(epochs: 1))
        #expect(thrownMessage { _ = try model.predictValues(two.features) } == "invalid argument: the model of predictValues must be a regressor (vqr; call predict for a classifier); received a vqc model, which predicts classes, not values")
        #expect(thrownMessage { _ = try model.predict(Matrix([[1.0]])) } == "shape mismatch: the data: 1 features; expected 2, as the model takes (a, b)")
        #expect(thrownMessage { _ = try model.predict(Matrix([[1.0, .nan]])) } == "invalid argument: feature 1 of sample 0 must be finite; received nan")
    }
}

// MARK: - Model files

@Suite("Variational model files")
struct VariationalModelFileTests {
    static func models() throws -> [VariationalModel] {
        let data = try tinyDataset(count: 12, features: 2, classes: 3, seed: 8) { x in x[0] < 0.33 ? 0 : x[0] < 0.66 ? 1 : 2 }
        var hybrid = try fastConfiguration(ansatz: .stronglyEntangling(qubits: 2, layers: 2), epochs: 2)
        hybrid.hybrid = true
        hybrid.validationFraction = 0.25
        let vqc = try VariationalModel.trainClassifier(data, configuration: hybrid)
        let binary = try VariationalModel.trainClassifier(separable(count: 8),
                                                          configuration: { var c = try fastConfiguration(epochs: 1); c.readout = .parity; return c }())
        let vqr = try VariationalModel.trainRegressor(features: data.features, targets: data.features.rowArrays.map { $0[0] * 10 },
                                                      featureNames: ["u", "v"], targetName: "y", configuration: fastConfiguration(epochs: 1))
        // Amplitude encoding (2 features on 1 qubit; standard scaling keeps the samples non-zero).
        var amplitude = try fastConfiguration(ansatz: .realAmplitudes(qubits: 1, reps: 2), epochs: 1)
        amplitude.featureMap = try .amplitude(features: 2)
        amplitude.scale = .standard
        amplitude.hybrid = true
        let encoded = try VariationalModel.trainClassifier(data, configuration: amplitude)
        // A user circuit as the ansatz, trained, written and read back.
        var user = try fastConfiguration(ansatz: VariationalGradientTests.customAnsatz(), epochs: 2)
        user.readout = .parity
        let custom = try VariationalModel.trainClassifier(separable(count: 8), configuration: user)
        return [vqc, binary, vqr, encoded, custom]
    }

    @Test("a model written and read back (plain and sealed with a raw key) equals the one written and predicts the same")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        let x = try Matrix([[0.1, 0.9], [0.5, 0.5], [0.95, 0.2]])
        for (i, model) in try Self.models().enumerated() {
            let plain = folder.path("m\(i).json")
            try model.write(toPath: plain)
            let read = try VariationalModel.load(atPath: plain)
            #expect(read == model)
            let key = RawKey()
            let sealed = folder.path("m\(i).sealed")
            try model.write(toPath: sealed, recipients: [.key(key)])
            #expect(SealedFile.isSealed(atPath: sealed))
            let opened = try VariationalModel.load(atPath: sealed) { _ in [.key(key)] }
            #expect(opened == model)
            if model.kind == .vqc {
                #expect(try read.scores(x) == model.scores(x))
                #expect(try opened.predict(x) == model.predict(x))
            } else {
                #expect(try read.predictValues(x) == model.predictValues(x))
            }
            #expect(thrownMessage { try model.write(toPath: plain) } != nil)
        }
    }

    @Test("the file layout: format, version, kind and the variational fields")
    func layout() throws {
        let models = try Self.models()
        let vqc = try #require(try JSONSerialization.jsonObject(with: models[0].encoded()) as? [String: Any])
        #expect(vqc["format"] as? String == "verdant-model" && vqc["version"] as? Int == 1 && vqc["kind"] as? String == "vqc")
        #expect(Set(vqc.keys) == ["format", "version", "kind", "created", "featureNames", "labelName", "classes", "scaler",
                                  "featureMap", "ansatz", "readout", "weights", "linear", "history", "training"])
        let ansatz = try #require(vqc["ansatz"] as? [String: Any])
        #expect(ansatz["kind"] as? String == "strongly_entangling" && ansatz["layers"] as? Int == 2)
        #expect((vqc["history"] as? [[String: Any]])?.first?["validationLoss"] is Double)
        let vqr = try #require(try JSONSerialization.jsonObject(with: models[2].encoded()) as? [String: Any])
        #expect(vqr["kind"] as? String == "vqr" && vqr["classes"] == nil && vqr["targetScaling"] != nil)
        #expect(try ModelFile.kind(of: models[2].encoded(), path: "m.json") == "vqr")
    }

    @Test("kind mismatches, foreign, newer and damaged files fail with a message naming the problem")
    func badFiles() throws {
        let model = try Self.models()[0]
        let data = try model.encoded()
        #expect(thrownMessage { _ = try Classifier.decode(data, path: "m.json") }
            == "m.json: this is a \"vqc\" model (variational quantum classifier); a kernel SVM model (qsvm, svm-rbf, svm-linear) is needed here")
        let svm = try Classifier.train(DatasetLoader.iris(), configuration: TrainingConfiguration(kind: .svmLinear)).encoded()
        #expect(thrownMessage { _ = try VariationalModel.decode(svm, path: "s.json") }
            == "s.json: this is a \"svm-linear\" model (linear SVM); a variational model (vqc, vqr) is needed here")
        #expect(try ModelFile.kind(of: svm, path: "s.json") == "svm-linear")

        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        func decode(_ object: [String: Any]) -> String? {
            thrownMessage { _ = try VariationalModel.decode(JSONSerialization.data(withJSONObject: object), path: "m.json") }
        }
        #expect(decode(json) == nil)
        var unknown = json
        unknown["kind"] = "vqe"
        #expect(decode(unknown) == "m.json: unknown model kind \"vqe\"; this Verdant reads qsvm, svm-rbf, svm-linear, vqc, vqr")
        #expect(thrownMessage { _ = try Classifier.decode(JSONSerialization.data(withJSONObject: unknown), path: "m.json") }
            == "m.json: unknown model kind \"vqe\"; this Verdant reads qsvm, svm-rbf, svm-linear, vqc, vqr")
        var newer = json
        newer["version"] = 2
        #expect(decode(newer) == "m.json: model format version 2 is newer than this Verdant, which reads version 1; open it with the Verdant that wrote it")
        var foreign = json
        foreign["format"] = "keras"
        #expect(decode(foreign) == "m.json: not a Verdant model file: \"format\" is keras; expected \"verdant-model\"")
        var missing = json
        missing["weights"] = nil
        #expect(decode(missing) == "m.json: missing field \"weights\" in the top level; a model file as Verdant writes it (docs/model-format.md)")
        var short = json
        short["weights"] = [0.5]
        #expect(decode(short) == "m.json: inconsistent model: the ansatz takes 12 weights; the file has 1")
        var wide = json
        wide["featureNames"] = ["a", "b", "c"]
        #expect(decode(wide) == "m.json: inconsistent model: the scaler has 2 features; the model names 3")
        var noLayer = json
        noLayer["linear"] = nil
        #expect(decode(noLayer) == "m.json: inconsistent model: the z_expectations readout needs one qubit per class: 3 classes on 2 qubits; a model as Verdant writes it (docs/model-format.md)")
        var regressor = json
        regressor["kind"] = "vqr"
        #expect(decode(regressor) == "m.json: inconsistent model: a vqr model has no \"classes\"; a model as Verdant writes it (docs/model-format.md)")
    }
}
