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

    @Option(name: .customLong("batch-size"), help: "qml batch-gradient: samples per batch; dp-epoch: the (expected) batch size.")
    var batchSize: Int = 64

    @Option(name: .customLong("epoch-samples"), help: "qml dp-epoch: training samples N of the plain and DP-SGD epochs.")
    var epochSamples: Int = 512
}

extension Bench {
    static let qmlCases = ["kernel", "svm", "accuracy", "gradient", "batch-gradient", "dp-epoch"]

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
        // Two qubits at least: the ZZ map's pairs.
        let qubitCounts = try integers(qml.kernelQubits, "kernel-qubits", minimum: 2, maximum: 20)
        guard (1...1000).contains(qml.layers) else { throw CLIError.usage("--layers must be in 1...1000, received \(qml.layers)") }
        let gradientQubits = try integers(qml.gradientQubits, "gradient-qubits", minimum: 2, maximum: 26)
        let all = ProcessInfo.processInfo.activeProcessorCount
        let threadCounts = try threads.map { try integers($0, "threads", minimum: 1, maximum: 4096) } ?? (all > 1 ? [1, all] : [1])
        var items: [JSON] = []
        var rows: [[String]] = []
        let median = Timing.median
        func times(_ seconds: [Double]) -> JSON { .array(seconds.map { .number($0) }) }

        if wanted.contains("kernel") {
            for q in qubitCounts {
                for n in sampleCounts {
                    for t in threadCounts {
                        let c = try QMLBenchmark.kernel(qubits: q, samples: n, threads: t, repeats: repeats)
                        let m = median(c.seconds), pairs = Double(n * (n - 1) / 2)
                        items.append(.object([
                            ("case", .string("kernel")), ("featureMap", .string("zz reps 2 full")), ("qubits", .integer(q)),
                            ("samples", .integer(n)), ("threads", .integer(t)), ("seconds", .number(m)),
                            ("times", times(c.seconds)), ("entriesPerSecond", .number(pairs / m)),
                        ]))
                        rows.append(["kernel zz×2, \(q) qubits, N=\(n)", "\(t)", Format.seconds(m), String(format: "%.3g pairs/s", pairs / m)])
                    }
                }
            }
        }
        if wanted.contains("svm") {
            let c = try QMLBenchmark.svm(repeats: repeats)
            items.append(.object([
                ("case", .string("svm")), ("data", .string("iris quantum kernel")), ("samples", .integer(c.samples)),
                ("seconds", .number(median(c.seconds))), ("times", times(c.seconds)),
            ]))
            rows.append(["SMO on the Iris quantum kernel (\(c.samples) samples, 3 classes)", "1", Format.seconds(median(c.seconds)), ""])
        }
        if wanted.contains("accuracy") {
            for c in try QMLBenchmark.accuracy() {
                items.append(.object([
                    ("case", .string("accuracy")), ("data", .string(c.data)), ("model", .string(c.model)),
                    ("trainSamples", .integer(c.trainSamples)), ("testSamples", .integer(c.testSamples)),
                    ("testAccuracy", .number(c.testAccuracy)), ("seconds", .number(c.seconds)),
                ]))
                let name = c.model == "vqc" ? "\(c.data) vqc (ry, RealAmplitudes ×2, 20 epochs) test accuracy" : "\(c.data) \(c.model) test accuracy"
                rows.append([name, "", Format.seconds(c.seconds), String(format: "%.3f", c.testAccuracy)])
            }
        }
        if wanted.contains("gradient") {
            for q in gradientQubits {
                let c = try QMLBenchmark.gradient(qubits: q, layers: qml.layers, repeats: repeats)
                let (f, g) = (median(c.forwardSeconds), median(c.gradientSeconds))
                let ratio = Timing.medianRatio(c.gradientSeconds, c.forwardSeconds)
                items.append(.object([
                    ("case", .string("gradient")), ("circuit", .string("StronglyEntanglingLayers, \(qml.layers) layers, <Z0>")),
                    ("qubits", .integer(q)), ("parameters", .integer(c.weights.count)), ("threads", .integer(1)),
                    ("forwardSeconds", .number(f)), ("gradientSeconds", .number(g)), ("gradientOverForward", .number(ratio)),
                    ("forwardTimes", times(c.forwardSeconds)), ("gradientTimes", times(c.gradientSeconds)),
                    ("weights", .array(c.weights.map { .number($0) })), ("expectation", .number(c.expectation)),
                    ("gradient", .array(c.gradient.map { .number($0) })),
                ]))
                rows.append(["SEL×\(qml.layers), \(q) qubits: forward / adjoint gradient", "1",
                             "\(Format.seconds(f)) / \(Format.seconds(g))", String(format: "gradient = %.2f × forward", ratio)])
            }
        }
        if wanted.contains("batch-gradient") {
            guard qml.batchSize >= 1 else { throw CLIError.usage("--batch-size must be at least 1, received \(qml.batchSize)") }
            for c in try QMLBenchmark.batchGradient(qubits: qml.batchQubits, layers: qml.layers, samples: qml.batchSize,
                                                    threadCounts: threadCounts, repeats: repeats) {
                let m = median(c.seconds)
                items.append(.object([
                    ("case", .string("batch-gradient")), ("qubits", .integer(c.qubits)), ("samples", .integer(c.samples)),
                    ("threads", .integer(c.threads)), ("seconds", .number(m)), ("times", times(c.seconds)),
                    ("speedupOverOneThread", c.speedupOverOneThread.map { .number($0) } ?? .null),
                ]))
                rows.append(["\(c.samples) per-sample gradients, SEL×\(qml.layers), \(c.qubits) qubits", "\(c.threads)", Format.seconds(m),
                             c.speedupOverOneThread.map { String(format: "%.2f× one thread", $0) } ?? ""])
            }
        }
        if wanted.contains("dp-epoch") {
            guard qml.epochSamples >= qml.batchSize, qml.batchSize >= 1 else {
                throw CLIError.usage("--epoch-samples (\(qml.epochSamples)) must be at least --batch-size (\(qml.batchSize)) ≥ 1")
            }
            // The epoch's random samples need both classes (an audit found 1…6 failing inside).
            guard qml.epochSamples >= 8 else { throw CLIError.usage("--epoch-samples must be at least 8, received \(qml.epochSamples)") }
            for t in threadCounts {
                let c = try QMLBenchmark.privateEpoch(qubits: qml.batchQubits, layers: qml.layers, samples: qml.epochSamples,
                                                      batchSize: qml.batchSize, threads: t, repeats: repeats)
                let (plain, dp) = (median(c.plainSeconds), median(c.privateSeconds))
                items.append(.object([
                    ("case", .string("dp-epoch")), ("circuit", .string("ry encoding + StronglyEntanglingLayers, \(c.layers) layers")),
                    ("qubits", .integer(c.qubits)), ("samples", .integer(c.samples)), ("batchSize", .integer(c.batchSize)),
                    ("threads", .integer(t)), ("plainSeconds", .number(plain)), ("privateSeconds", .number(dp)),
                    ("privateSampleCount", .integer(c.privateSampleCount)), ("privateOverPlain", .number(c.ratio)),
                    ("privateOverPlainPerSample", .number(c.ratioPerSample)),
                    ("plainTimes", times(c.plainSeconds)), ("privateTimes", times(c.privateSeconds)),
                ]))
                rows.append(["epoch of N=\(c.samples), B=\(c.batchSize), SEL×\(c.layers), \(c.qubits) qubits: plain / DP-SGD", "\(t)",
                             "\(Format.seconds(plain)) / \(Format.seconds(dp))",
                             String(format: "DP = %.2f × plain (%.2f × per sample, %d samples)", c.ratio, c.ratioPerSample, c.privateSampleCount)])
            }
        }
        if json {
            let machine: [(String, JSON)] = [
                ("cores", .integer(all)), ("cpu", .string(SystemInfo.cpuModelName())), ("verdant", .string(VerdantCommand.version)),
                ("repeats", .integer(repeats)), ("statistic", .string("median")),
            ]
            print(JSON.object([("suite", .string("qml")), ("machine", .object(machine)), ("results", .array(items))]).text)
        } else {
            print(Format.table(["case", "threads", "time", "rate / result"], rows))
        }
    }
}
