import Foundation
import Parallel
import Quantum
import VerdantCommon

/// The workloads of `verdant bench --suite qml`, timed in this process (reported, never asserted).
/// Times are in seconds; the statistic is ``Timing/median(_:)``, the same as every other suite's.
public enum QMLBenchmark {
    /// The ZZ-map training kernel of random samples at one size and thread count.
    public struct KernelCase: Sendable {
        /// Qubits (= features).
        public let qubits: Int
        /// Samples N (the N × N kernel; N(N − 1)/2 distinct pairs).
        public let samples: Int
        /// Scheduler threads.
        public let threads: Int
        /// Every timed repeat.
        public let seconds: [Double]
    }

    /// SMO training on the Iris quantum kernel.
    public struct SVMCase: Sendable {
        /// Training samples.
        public let samples: Int
        /// Every timed repeat.
        public let seconds: [Double]
    }

    /// Test accuracy of one model on one data set.
    public struct AccuracyCase: Sendable {
        /// The data and encoding, e.g. `iris, ZZ α 0.5`.
        public let data: String
        /// `qsvm`, `svm-rbf` or `vqc`.
        public let model: String
        /// Training samples.
        public let trainSamples: Int
        /// Test samples.
        public let testSamples: Int
        /// The test accuracy.
        public let testAccuracy: Double
        /// Training seconds.
        public let seconds: Double
    }

    /// One forward pass and one adjoint gradient of ⟨Z0⟩ for StronglyEntanglingLayers, one thread.
    public struct GradientCase: Sendable {
        /// Qubits (wires).
        public let qubits: Int
        /// Layers.
        public let layers: Int
        /// The weights, in PennyLane's `weights[l, i, k]` row-major order (seeded in [−π, π]).
        public let weights: [Double]
        /// ⟨Z0⟩ at those weights.
        public let expectation: Double
        /// ∂⟨Z0⟩/∂weights, in the same order as ``weights`` (for cross-checking another library).
        public let gradient: [Double]
        /// Every timed forward pass.
        public let forwardSeconds: [Double]
        /// Every timed gradient (alternating with the forward passes).
        public let gradientSeconds: [Double]
    }

    /// A batch of per-sample gradients of an angle-encoded StronglyEntanglingLayers classifier.
    public struct BatchCase: Sendable {
        /// Qubits.
        public let qubits: Int
        /// Samples in the batch.
        public let samples: Int
        /// Scheduler threads.
        public let threads: Int
        /// Every timed repeat.
        public let seconds: [Double]
        /// Median of the per-repeat ratios one-thread time ÷ this time (nil without a 1-thread run).
        public let speedupOverOneThread: Double?
    }

    /// Times the N × N training kernel (ZZ map, 2 reps, full entanglement) of `samples` seeded random
    /// samples in [0, π]^qubits, after one untimed warm-up.
    ///
    /// - Parameters:
    ///   - qubits: Features (= qubits).
    ///   - samples: N.
    ///   - threads: Scheduler threads.
    ///   - repeats: Timed repeats.
    /// - Returns: The case.
    /// - Throws: The kernel's errors (``QuantumMLError``), or a scheduler error for a bad thread count.
    public static func kernel(qubits: Int, samples: Int, threads: Int, repeats: Int) throws -> KernelCase {
        var state: UInt64 = UInt64(1000 * qubits + samples)
        let values = (0..<(samples * qubits)).map { _ -> Double in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) * Double.pi
        }
        let x = try Matrix(rows: samples, columns: qubits, values: values)
        let kernel = QuantumKernel(featureMap: try .zz(features: qubits, reps: 2), scheduler: try Scheduler(threads: threads))
        let seconds = try Timing.samples(repeats: repeats) { _ = try kernel.trainingMatrix(x) }
        return KernelCase(qubits: qubits, samples: samples, threads: threads, seconds: seconds)
    }

    /// Times SMO on the Iris quantum kernel (ZZ, 2 reps; stratified 75 % split, seed 7).
    ///
    /// - Parameter repeats: Timed repeats.
    /// - Returns: The case.
    /// - Throws: The SVM's errors.
    public static func svm(repeats: Int) throws -> SVMCase {
        let (train, _) = try stratifiedSplit(DatasetLoader.iris(), testFraction: 0.25, seed: 7)
        let x = try Scaler.fit(train.features, kind: .minmax).transform(train.features)
        let k = try QuantumKernel(featureMap: .zz(features: 4, reps: 2)).trainingMatrix(x)
        let seconds = try Timing.samples(repeats: repeats) { _ = try SupportVectorClassifier.fit(kernel: k, labels: train.labels, classCount: 3) }
        return SVMCase(samples: train.count, seconds: seconds)
    }

    /// Test accuracy of the quantum and RBF SVMs on Iris (ZZ α 2 and 0.5) and on the ad hoc set (20/10
    /// per class, gap 0.3, seed 7), and of a vqc (ry encoding, RealAmplitudes ×2, 20 epochs) on Iris.
    ///
    /// - Returns: One case per model and data set.
    /// - Throws: Training errors.
    public static func accuracy() throws -> [AccuracyCase] {
        let (train, test) = try stratifiedSplit(DatasetLoader.iris(), testFraction: 0.25, seed: 7)
        let adhoc = try DatasetLoader.adHoc(trainingSize: 20, testSize: 10, features: 2, gap: 0.3, seed: 7)
        let sets: [(String, Dataset, Dataset, Scaler.Kind, FeatureMap?)] = [
            ("iris, ZZ α 2", train, test, .minmax, try .zz(features: 4, reps: 2)),
            ("iris, ZZ α 0.5", train, test, .minmax, try .zz(features: 4, reps: 2, alpha: 0.5)),
            ("ad hoc, ZZ α 2", adhoc.train, adhoc.test, .none, try .zz(features: 2, reps: 2)),
        ]
        var cases: [AccuracyCase] = []
        for (name, trainSet, testSet, scale, map) in sets {
            for kind in [ModelKind.qsvm, .svmRBF] where kind == .qsvm || !name.contains("α 0.5") {
                let label = kind == .qsvm ? name : String(name.prefix { $0 != "," })
                let model = try Classifier.train(trainSet, test: testSet, configuration: TrainingConfiguration(kind: kind, featureMap: map, scale: scale))
                cases.append(AccuracyCase(data: label, model: kind.rawValue, trainSamples: trainSet.count, testSamples: testSet.count,
                                          testAccuracy: model.training.testAccuracy ?? 0, seconds: model.training.seconds))
            }
        }
        let qnn = try VariationalModel.trainClassifier(train, test: test, configuration: VariationalConfiguration(
            ansatz: try .realAmplitudes(qubits: 4, reps: 2), seed: 7))
        cases.append(AccuracyCase(data: "iris", model: "vqc", trainSamples: train.count, testSamples: test.count,
                                  testAccuracy: qnn.training.testAccuracy ?? 0, seconds: qnn.training.seconds))
        return cases
    }

    /// Times one forward pass and one adjoint gradient of ⟨Z0⟩ for PennyLane's StronglyEntanglingLayers
    /// on |0…0⟩ (one thread), alternating within each repeat so that a change in the machine's speed
    /// moves both; also returns the weights and the gradient, for a cross-check against PennyLane.
    ///
    /// - Parameters:
    ///   - qubits: Wires.
    ///   - layers: Layers.
    ///   - repeats: Timed repeats (after one untimed run of each).
    /// - Returns: The case.
    /// - Throws: The simulator's errors.
    public static func gradient(qubits: Int, layers: Int, repeats: Int) throws -> GradientCase {
        let circuit = try selCircuit(qubits: qubits, layers: layers, encoded: false)
        let runForward = { _ = try circuit.compiled.expectations([circuit.observable], values: circuit.values) }
        let runGradient = { _ = try circuit.compiled.gradient(of: [circuit.observable], values: circuit.values, method: .adjoint) }
        try runForward()
        try runGradient()
        var forward: [Double] = [], gradient: [Double] = []
        for _ in 0..<max(1, repeats) {
            forward.append(try Timing.seconds(runForward))
            gradient.append(try Timing.seconds(runGradient))
        }
        let (values, jacobian) = try circuit.compiled.gradient(of: [circuit.observable], values: circuit.values, method: .adjoint)
        // The Jacobian is in the compiled circuit's parameter order; give it in the weights' order.
        let position = Dictionary(uniqueKeysWithValues: circuit.compiled.parameters.enumerated().map { ($1, $0) })
        let inWeightOrder = circuit.weights.map { jacobian[0][position[$0] ?? 0] }
        return GradientCase(qubits: qubits, layers: layers, weights: circuit.weightValues, expectation: values[0], gradient: inWeightOrder,
                            forwardSeconds: forward, gradientSeconds: gradient)
    }

    /// Times `samples` per-sample adjoint gradients of an angle-encoded (`ry`) StronglyEntanglingLayers
    /// classifier at each thread count, the thread counts alternating within each repeat.
    ///
    /// - Parameters:
    ///   - qubits: Qubits (= inputs).
    ///   - layers: Layers.
    ///   - samples: Samples per batch.
    ///   - threadCounts: Thread counts to compare.
    ///   - repeats: Timed repeats (after one untimed batch per thread count).
    /// - Returns: One case per thread count.
    /// - Throws: The simulator's errors, or a scheduler error for a bad thread count.
    public static func batchGradient(qubits: Int, layers: Int, samples: Int, threadCounts: [Int], repeats: Int) throws -> [BatchCase] {
        let circuit = try selCircuit(qubits: qubits, layers: layers, encoded: true)
        var state: UInt64 = 99
        let inputs = (0..<samples).map { _ in
            (0..<qubits).map { _ -> Double in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Double(state >> 11) / Double(1 << 53) * Double.pi
            }
        }
        let schedulers = try threadCounts.map { try Scheduler(threads: $0) }
        let batch = { (scheduler: Scheduler) in
            _ = try scheduler.map(count: samples, chunkSize: 1) { i in
                try circuit.compiled.gradient(of: [circuit.observable], values: inputs[i] + circuit.values, method: .adjoint)
            }
        }
        for scheduler in schedulers { try batch(scheduler) }
        var times = [[Double]](repeating: [], count: schedulers.count)
        for _ in 0..<max(1, repeats) {
            for (i, scheduler) in schedulers.enumerated() { times[i].append(try Timing.seconds { try batch(scheduler) }) }
        }
        let one = threadCounts.firstIndex(of: 1)
        return threadCounts.enumerated().map { i, t in
            BatchCase(qubits: qubits, samples: samples, threads: t, seconds: times[i],
                      speedupOverOneThread: one.map { Timing.medianRatio(times[$0], times[i]) })
        }
    }

    /// StronglyEntanglingLayers on `qubits` wires (weights seeded in [−π, π]), compiled for one thread,
    /// with ⟨Z0⟩; with `encoded`, an `ry` angle encoding of `qubits` inputs comes first and `values`
    /// are the weights only (the inputs come first in the compiled order).
    static func selCircuit(qubits: Int, layers: Int, encoded: Bool) throws
        -> (compiled: CompiledCircuit, values: [Double], observable: PauliSum, weights: [Parameter], weightValues: [Double])
    {
        let ansatz = try Ansatz.stronglyEntangling(qubits: qubits, layers: layers)
        let (body, weights) = ansatz.parameterisedCircuit(prefix: "w")
        var circuit = QuantumCircuit(numQubits: qubits)
        var inputs: [Parameter] = []
        if encoded {
            inputs = (0..<qubits).map { Parameter("a[\($0)]") }
            for (i, p) in inputs.enumerated() { circuit.ry(p, i) }
        }
        circuit = try circuit.compose(body)
        let compiled = try Simulator(threads: 1).compile(circuit)
        var state: UInt64 = 7
        let weightValues = weights.map { _ -> Double in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) / Double(1 << 53) * 2 - 1) * Double.pi
        }
        let observable = try PauliSum([(String(repeating: "I", count: qubits - 1) + "Z", 1)])
        // The compiled circuit orders parameters itself; map the weights onto that order.
        let byParameter = Dictionary(uniqueKeysWithValues: zip(weights, weightValues))
        let ordered = compiled.parameters.compactMap { byParameter[$0] }
        guard !encoded || compiled.parameters.prefix(qubits).allSatisfy({ inputs.contains($0) }) else {
            throw QuantumMLError.invalidArgument(argument: "the compiled parameter order", received: "weights before inputs",
                                                 valid: "the inputs a[…] first (they sort before the weights w[…])")
        }
        return (compiled, ordered, observable, weights, weightValues)
    }
}
