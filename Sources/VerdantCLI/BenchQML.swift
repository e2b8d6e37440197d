import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// Options of `verdant bench --suite qml`.
struct QMLBenchOptions: ParsableArguments {
    @Option(help: "qml kernel: comma-separated sample counts N (the N × N training kernel is timed).")
    var samples: String = "200,400"

    @Option(name: .customLong("kernel-qubits"), help: "qml kernel: comma-separated qubit counts (= features) of the ZZ map.")
    var kernelQubits: String = "4,8"

    @Option(name: .customLong("gradient-qubits"), help: "qml gradient: comma-separated qubit counts of StronglyEntanglingLayers.")
    var gradientQubits: String = "12,16"

    @Option(help: "qml gradient: layers of StronglyEntanglingLayers.")
    var layers: Int = 4

    @Option(name: .customLong("batch-qubits"), help: "qml batch-gradient: qubits of the angle-encoded StronglyEntanglingLayers classifier.")
    var batchQubits: Int = 12

    @Option(name: .customLong("batch-size"), help: "qml batch-gradient: samples per batch.")
    var batchSize: Int = 64
}

extension Bench {
    static let qmlCases = ["kernel", "svm", "accuracy", "gradient", "batch-gradient"]

    /// `--suite qml`: the training kernel of N random samples (ZZ map, 2 reps, full entanglement) at
    /// each size and thread count; SMO training on the Iris quantum kernel; test accuracy of the
    /// quantum and RBF SVMs on Iris and on the ad hoc data set (20/10 per class, gap 0.3).
    func runQMLSuite() throws {
        guard repeats >= 1 else { throw CLIError.usage("--repeats must be at least 1, received \(repeats)") }
        let wanted = (cases ?? Bench.qmlCases.joined(separator: ",")).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for name in wanted where !Bench.qmlCases.contains(name) {
            throw CLIError.usage("--cases: unknown case '\(name)' (available for --suite qml: \(Bench.qmlCases.joined(separator: ", ")))")
        }
        let sampleCounts = try integers(qml.samples, "samples", minimum: 2, maximum: 100_000)
        let qubitCounts = try integers(qml.kernelQubits, "kernel-qubits", minimum: 1, maximum: 20)
        let all = ProcessInfo.processInfo.activeProcessorCount
        let threadCounts = try threads.map { try integers($0, "threads", minimum: 1, maximum: 4096) } ?? (all > 1 ? [1, all] : [1])
        var items: [JSON] = []
        var rows: [[String]] = []
        let median = Timing.median
        /// One timed run of `body`, in seconds (no warm-up).
        func timeOnce(_ body: () throws -> Void) rethrows -> [Double] {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return [Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9]
        }

        func time(_ body: () throws -> Void) rethrows -> [Double] {
            try body()  // warm-up
            return try (0..<repeats).map { _ in
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
        }

        do {
            if wanted.contains("kernel") {
                for q in qubitCounts {
                    for n in sampleCounts {
                        var state: UInt64 = UInt64(1000 * q + n)
                        let values = (0..<(n * q)).map { _ -> Double in
                            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                            return Double(state >> 11) / Double(1 << 53) * Double.pi
                        }
                        let x = try Matrix(rows: n, columns: q, values: values)
                        let map = try FeatureMap.zz(features: q, reps: 2)
                        for t in threadCounts {
                            let kernel = QuantumKernel(featureMap: map, scheduler: try Scheduler(threads: t))
                            let times = try time { _ = try kernel.trainingMatrix(x) }
                            let m = median(times)
                            items.append(.object([
                                ("case", .string("kernel")), ("featureMap", .string("zz reps 2 full")), ("qubits", .integer(q)),
                                ("samples", .integer(n)), ("threads", .integer(t)), ("seconds", .number(m)),
                                ("times", .array(times.map { .number($0) })), ("entriesPerSecond", .number(Double(n * (n - 1) / 2) / m)),
                            ]))
                            rows.append(["kernel zz×2, \(q) qubits, N=\(n)", "\(t)", Format.seconds(m), String(format: "%.3g pairs/s", Double(n * (n - 1) / 2) / m)])
                        }
                    }
                }
            }
            let iris = DatasetLoader.iris()
            let (train, test) = try stratifiedSplit(iris, testFraction: 0.25, seed: 7)
            if wanted.contains("svm") {
                let x = try Scaler.fit(train.features, kind: .minmax).transform(train.features)
                let k = try QuantumKernel(featureMap: .zz(features: 4, reps: 2)).trainingMatrix(x)
                let times = try time { _ = try SupportVectorClassifier.fit(kernel: k, labels: train.labels, classCount: 3) }
                items.append(.object([
                    ("case", .string("svm")), ("data", .string("iris quantum kernel")), ("samples", .integer(train.count)),
                    ("seconds", .number(median(times))), ("times", .array(times.map { .number($0) })),
                ]))
                rows.append(["SMO on the Iris quantum kernel (\(train.count) samples, 3 classes)", "1", Format.seconds(median(times)), ""])
            }
            if wanted.contains("accuracy") {
                let adhoc = try DatasetLoader.adHoc(trainingSize: 20, testSize: 10, features: 2, gap: 0.3, seed: 7)
                let cases: [(String, Dataset, Dataset, Scaler.Kind, FeatureMap?)] = [
                    ("iris, ZZ α 2", train, test, .minmax, try .zz(features: 4, reps: 2)),
                    ("iris, ZZ α 0.5", train, test, .minmax, try .zz(features: 4, reps: 2, alpha: 0.5)),
                    ("ad hoc, ZZ α 2", adhoc.train, adhoc.test, .none, try .zz(features: 2, reps: 2)),
                ]
                for (name, trainSet, testSet, scale, map) in cases {
                    for kind in [ModelKind.qsvm, .svmRBF] where kind == .qsvm || !name.contains("α 0.5") {
                        let label = kind == .qsvm ? name : String(name.prefix { $0 != "," })
                        let model = try Classifier.train(trainSet, test: testSet,
                                                         configuration: TrainingConfiguration(kind: kind, featureMap: map, scale: scale))
                        let accuracy = model.training.testAccuracy ?? 0
                        items.append(.object([
                            ("case", .string("accuracy")), ("data", .string(label)), ("model", .string(kind.rawValue)),
                            ("trainSamples", .integer(trainSet.count)), ("testSamples", .integer(testSet.count)),
                            ("testAccuracy", .number(accuracy)), ("seconds", .number(model.training.seconds)),
                        ]))
                        rows.append(["\(label) \(kind.rawValue) test accuracy", "", Format.seconds(model.training.seconds), String(format: "%.3f", accuracy)])
                    }
                }
                let qnn = try VariationalModel.trainClassifier(train, test: test, configuration: VariationalConfiguration(
                    ansatz: try .realAmplitudes(qubits: 4, reps: 2), seed: 7))
                items.append(.object([
                    ("case", .string("accuracy")), ("data", .string("iris")), ("model", .string("vqc")),
                    ("trainSamples", .integer(train.count)), ("testSamples", .integer(test.count)),
                    ("testAccuracy", .number(qnn.training.testAccuracy ?? 0)), ("seconds", .number(qnn.training.seconds)),
                ]))
                rows.append(["iris vqc (ry, RealAmplitudes ×2, 20 epochs) test accuracy", "", Format.seconds(qnn.training.seconds),
                             String(format: "%.3f", qnn.training.testAccuracy ?? 0)])
            }
        }
        do {
            if wanted.contains("gradient") {
                for q in try integers(qml.gradientQubits, "gradient-qubits", minimum: 2, maximum: 26) {
                    let (compiled, values, observable) = try Self.selCircuit(qubits: q, layers: qml.layers, encoded: false)
                    // Forward pass and gradient alternate, so that a change in the machine's speed
                    // during the run moves both; the ratio is the median of the per-repeat ratios.
                    let runForward = { _ = try compiled.expectations([observable], values: values) }
                    let runGradient = { _ = try compiled.gradient(of: [observable], values: values, method: .adjoint) }
                    try runForward()
                    try runGradient()
                    var forward: [Double] = [], gradient: [Double] = []
                    for _ in 0..<repeats {
                        forward += try timeOnce(runForward)
                        gradient += try timeOnce(runGradient)
                    }
                    let (f, g) = (median(forward), median(gradient))
                    let ratio = median(zip(gradient, forward).map { $0 / $1 })
                    items.append(.object([
                        ("case", .string("gradient")), ("circuit", .string("StronglyEntanglingLayers, \(qml.layers) layers, <Z0>")),
                        ("qubits", .integer(q)), ("parameters", .integer(values.count)), ("threads", .integer(1)),
                        ("forwardSeconds", .number(f)), ("gradientSeconds", .number(g)), ("gradientOverForward", .number(ratio)),
                        ("forwardTimes", .array(forward.map { .number($0) })), ("gradientTimes", .array(gradient.map { .number($0) })),
                    ]))
                    rows.append(["SEL×\(qml.layers), \(q) qubits: forward / adjoint gradient", "1",
                                 "\(Format.seconds(f)) / \(Format.seconds(g))", String(format: "gradient = %.2f × forward", ratio)])
                }
            }
            if wanted.contains("batch-gradient") {
                let q = qml.batchQubits, count = qml.batchSize
                let (compiled, weights, observable) = try Self.selCircuit(qubits: q, layers: qml.layers, encoded: true)
                var state: UInt64 = 99
                let inputs = (0..<count).map { _ in
                    (0..<q).map { _ -> Double in
                        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                        return Double(state >> 11) / Double(1 << 53) * Double.pi
                    }
                }
                // The thread counts alternate within each repeat, so that a change in the machine's
                // speed moves them all; speed-ups are medians of the per-repeat ratios.
                let schedulers = try threadCounts.map { try Scheduler(threads: $0) }
                let batch = { (scheduler: Scheduler) in
                    _ = try scheduler.map(count: count, chunkSize: 1) { i in
                        try compiled.gradient(of: [observable], values: inputs[i] + weights, method: .adjoint)
                    }
                }
                for scheduler in schedulers { try batch(scheduler) }
                var times = [[Double]](repeating: [], count: schedulers.count)
                for _ in 0..<repeats {
                    for (i, scheduler) in schedulers.enumerated() { times[i] += try timeOnce { try batch(scheduler) } }
                }
                let one = threadCounts.firstIndex(of: 1)
                for (i, t) in threadCounts.enumerated() {
                    let m = median(times[i])
                    let speedup = one.map { o in median(zip(times[o], times[i]).map { $0 / $1 }) }
                    items.append(.object([
                        ("case", .string("batch-gradient")), ("qubits", .integer(q)), ("samples", .integer(count)),
                        ("threads", .integer(t)), ("seconds", .number(m)), ("times", .array(times[i].map { .number($0) })),
                        ("speedupOverOneThread", speedup.map { .number($0) } ?? .null),
                    ]))
                    rows.append(["\(count) per-sample gradients, SEL×\(qml.layers), \(q) qubits", "\(t)", Format.seconds(m),
                                 speedup.map { String(format: "%.2f× one thread", $0) } ?? ""])
                }
            }
        }
        if json {
            print(JSON.object([("suite", .string("qml")), ("results", .array(items))]).text)
        } else {
            print(Format.table(["case", "threads", "time", "rate / result"], rows))
        }
    }

    /// StronglyEntanglingLayers on `qubits` wires (weights seeded in [−π, π]), compiled for one
    /// thread, with ⟨Z0⟩; with `encoded`, an `ry` angle encoding of `qubits` inputs comes first and
    /// the values returned are the weights only (inputs come first in the compiled order).
    static func selCircuit(qubits: Int, layers: Int, encoded: Bool) throws -> (CompiledCircuit, [Double], PauliSum) {
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
        let values = weights.map { _ -> Double in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) / Double(1 << 53) * 2 - 1) * Double.pi
        }
        let observable = try PauliSum([(String(repeating: "I", count: qubits - 1) + "Z", 1)])
        // The compiled circuit orders parameters itself; map ours onto it.
        let order = compiled.parameters
        if encoded {
            guard order.prefix(qubits).allSatisfy({ inputs.contains($0) }) else {
                throw CLIError.runtime("internal: the compiled circuit does not order the inputs first")
            }
        }
        let byParameter = Dictionary(uniqueKeysWithValues: zip(weights, values))
        let ordered = order.compactMap { byParameter[$0] }
        return (compiled, ordered, observable)
    }
}
