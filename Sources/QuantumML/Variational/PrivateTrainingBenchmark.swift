import Foundation
import Parallel
import Privacy
import Quantum
import VerdantCommon

extension QMLBenchmark {
    /// One epoch of plain training against one epoch of DP-SGD on the same model and data.
    public struct PrivateEpochCase: Sendable {
        /// Qubits (= features).
        public let qubits: Int
        /// Layers of StronglyEntanglingLayers.
        public let layers: Int
        /// Training samples N.
        public let samples: Int
        /// Batch size B (DP-SGD: the expected size, q = B/N).
        public let batchSize: Int
        /// Scheduler threads.
        public let threads: Int
        /// Every timed plain epoch (shuffled batches).
        public let plainSeconds: [Double]
        /// Every timed DP-SGD epoch (Poisson batches, clipping, noise), alternating with the plain ones.
        public let privateSeconds: [Double]
        /// Per-sample gradients in the DP-SGD epoch (Poisson batches hold N on average, not exactly).
        public let privateSampleCount: Int
        /// Median of the per-repeat ratios DP-SGD ÷ plain.
        public let ratio: Double
        /// The same per sample-gradient: ratio × N ÷ ``privateSampleCount``.
        public let ratioPerSample: Double
    }

    /// Times one epoch of a classifier on `samples` seeded random samples in [0, π]^qubits (two
    /// classes), angle encoding and StronglyEntanglingLayers: plain (shuffled batches of B) and DP-SGD
    /// (Poisson batches of expected size B, clipping to C = 1, σ = 1, seeded noise), alternating within
    /// each repeat after one untimed epoch of each. Both run the trainer's own loop from a fresh state,
    /// without the model's setup and scoring.
    ///
    /// - Parameters:
    ///   - qubits: Qubits.
    ///   - layers: Layers.
    ///   - samples: N (at least `batchSize`).
    ///   - batchSize: B.
    ///   - threads: Scheduler threads.
    ///   - repeats: Timed repeats.
    /// - Returns: The case.
    /// - Throws: Training errors, or a scheduler error for a bad thread count.
    public static func privateEpoch(qubits: Int, layers: Int, samples: Int, batchSize: Int, threads: Int, repeats: Int) throws
        -> PrivateEpochCase
    {
        var state: UInt64 = 17
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let rows = (0..<samples).map { _ in (0..<qubits).map { _ in Double.pi * uniform() } }
        let labels = rows.map { $0[0] + $0[1] < Double.pi ? 0 : 1 }
        let data = try Dataset(name: "random", features: Matrix(rows), labels: labels, classes: ["a", "b"],
                               featureNames: (0..<qubits).map { "x\($0)" }, labelName: "label")
        let configuration = VariationalConfiguration(featureMap: try .angle(features: qubits, rotation: .y),
                                                     ansatz: try .stronglyEntangling(qubits: qubits, layers: layers), epochs: 1,
                                                     batchSize: batchSize, seed: 3, scale: .none, scheduler: try Scheduler(threads: threads))
        let setup = try VariationalSetup.classifier(data, test: nil, configuration)
        let problem = try VariationalProblem(featureMap: setup.featureMap, ansatz: setup.ansatz, head: setup.head, method: .adjoint)
        let train = TrainingSamples(x: try setup.scaler.transform(data.features), targets: labels.map(Double.init))
        let theta = VariationalTrainer.initialParameters(problem, seed: 3)
        let plain = VariationalTrainer(problem: problem, optimizer: configuration.optimizer, epochs: 1, batchSize: batchSize, seed: 3,
                                       patience: nil, scheduler: configuration.scheduler, communicator: LocalCommunicator(), progress: nil)
        var dp = plain
        let plan = try PrivatePlan(DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1e-5, maxGradientNorm: 1, randomSeed: 11),
                                   datasetSize: samples, batchSize: batchSize, epochs: 1)
        dp.privacy = plan
        var privateSampleCount = 0
        let runPlain = { _ = try plain.run(train, validation: nil, from: plain.initialState(theta: theta, trainCount: samples, privacy: nil)) }
        let runPrivate = {
            let result = try dp.run(train, validation: nil, from: dp.initialState(theta: theta, trainCount: samples,
                                                                                  privacy: try plan.initialState(keys: [])))
            privateSampleCount = result.history.first?.samples ?? 0
        }
        try runPlain()
        try runPrivate()
        var plainTimes: [Double] = [], privateTimes: [Double] = []
        for _ in 0..<max(1, repeats) {
            plainTimes.append(try Timing.seconds(runPlain))
            privateTimes.append(try Timing.seconds(runPrivate))
        }
        let ratio = Timing.medianRatio(privateTimes, plainTimes)
        return PrivateEpochCase(qubits: qubits, layers: layers, samples: samples, batchSize: batchSize, threads: threads,
                                plainSeconds: plainTimes, privateSeconds: privateTimes, privateSampleCount: privateSampleCount, ratio: ratio,
                                ratioPerSample: ratio * Double(samples) / Double(max(privateSampleCount, 1)))
    }
}
