import Foundation
import Parallel
import Privacy
import Quantum
import Testing
@testable import QuantumML

// DP-SGD in the trainer, against slow references written here from the method's definition:
// Poisson sampling from the generator's words, textbook clipping, Box–Muller noise, the mean over
// the expected batch size; and the accountant's ε against PrivacyAccounting's for the same q, σ, T.

/// `count` samples of `features` features in [0, 1); class by the first feature's size. Seeded.
func dpData(count: Int = 30, features: Int = 2, seed: UInt64 = 3) throws -> Dataset {
    var generator = SeededGenerator(seed: seed)
    var rows: [[Double]] = [], labels: [Int] = []
    for i in 0..<count {
        let label = i % 2
        rows.append([label == 0 ? 0.45 * generator.nextUniform() : 0.55 + 0.45 * generator.nextUniform()]
            + (1..<features).map { _ in generator.nextUniform() })
        labels.append(label)
    }
    return try Dataset(name: "dp", features: Matrix(rows), labels: labels, classes: ["low", "high"],
                       featureNames: (0..<features).map { "f\($0)" }, labelName: "side")
}

/// A small private configuration: angle encoding, no fitted scaling, one thread.
func dpConfiguration(_ privacy: DifferentialPrivacyConfiguration, epochs: Int = 2, batchSize: Int = 6,
                             optimizer: Optimizer = .adam()) throws -> VariationalConfiguration {
    var configuration = try VariationalConfiguration(featureMap: .angle(features: 2, rotation: .y), ansatz: .realAmplitudes(qubits: 2, reps: 1),
                                                     optimizer: optimizer, epochs: epochs, batchSize: batchSize, seed: 5, scale: .none,
                                                     scheduler: Scheduler(threads: 1))
    configuration.privacy = privacy
    return configuration
}

/// The checked pieces the trainer works with: the scaled samples, the problem and the initial θ.
func pieces(_ data: Dataset, _ configuration: VariationalConfiguration) throws
    -> (x: Matrix, targets: [Double], problem: VariationalProblem, theta: [Double])
{
    let setup = try VariationalSetup.classifier(data, test: nil, configuration)
    let problem = try VariationalProblem(featureMap: setup.featureMap, ansatz: setup.ansatz, head: setup.head, method: .adjoint)
    return (try setup.scaler.transform(data.features), data.labels.map(Double.init), problem,
            VariationalTrainer.initialParameters(problem, seed: configuration.seed))
}

/// One standard normal pair by Box–Muller from two uniforms (k + ½)·2⁻⁵³, as docs/privacy.md
/// specifies the noise.
private func boxMuller(_ words: inout SecureRandomGenerator) -> (Double, Double) {
    let u1 = (Double(words.next() >> 11) + 0.5) / 9_007_199_254_740_992
    let u2 = (Double(words.next() >> 11) + 0.5) / 9_007_199_254_740_992
    let r = (-2 * Foundation.log(u1)).squareRoot()
    return (r * Foundation.cos(2 * Double.pi * u2), r * Foundation.sin(2 * Double.pi * u2))
}

/// The slow reference of `steps` DP-SGD steps: row i joins when its word is below ⌊q·2⁶⁴⌋; each
/// gradient g becomes g·min(1, C/‖g‖₂) (C = ∞: unchanged); the batch's sum in batch order gets
/// σC·(z₁ + z₂ + z₃ + z₄)/2 per coordinate; the optimiser steps with the sum ÷ B.
private func referenceDPSGD(_ p: (x: Matrix, targets: [Double], problem: VariationalProblem, theta: [Double]),
                            optimizer: Optimizer, batchSize: Int, sigma: Double, clip: Double, seed: UInt64, steps: Int) throws
    -> (theta: [Double], batchSizes: [Int], clipped: Int)
{
    let n = p.x.rows, count = p.problem.parameterCount
    let threshold = UInt64(Double(batchSize) / Double(n) * 0x1p64)
    var sampler = SecureRandomGenerator(seed: seed), noise = SecureRandomGenerator(seed: seed &+ 1)
    var state = OptimizerState(optimizer, parameterCount: count)
    var theta = p.theta, sizes: [Int] = [], clipped = 0
    for _ in 0..<steps {
        var batch: [Int] = []
        for row in 0..<n where sampler.next() < threshold { batch.append(row) }
        sizes.append(batch.count)
        var sum = [Double](repeating: 0, count: count)
        for row in batch {
            var buffer = [Double](repeating: 0, count: count + 2)
            try p.problem.addGradient(p.x, row: row, target: p.targets[row], theta: theta, into: &buffer)
            var g = Array(buffer[..<count])
            let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > clip {
                clipped += 1
                g = g.map { $0 * (clip / norm) }
            }
            for k in 0..<count { sum[k] += g[k] }
        }
        if sigma > 0 {
            for k in 0..<count {
                let (z1, z2) = boxMuller(&noise), (z3, z4) = boxMuller(&noise)
                sum[k] += sigma * clip * (z1 + z2 + z3 + z4) / 2
            }
        }
        state.step(&theta, gradient: sum.map { $0 * (1 / Double(batchSize)) })
    }
    return (theta, sizes, clipped)
}

@Suite("DP-SGD in the trainer: sampling, clipping, noise and accounting against references")
struct PrivateTrainingTests {
    @Test("σ = 0 and no clipping: DP-SGD equals plain SGD on the same Poisson batches, bit for bit")
    func noNoiseEqualsPlainSGD() throws {
        let data = try dpData()
        for optimizer in [Optimizer.adam(), .sgd()] {
            let configuration = try dpConfiguration(
                DifferentialPrivacyConfiguration(noiseMultiplier: 0, delta: 1e-5, maxGradientNorm: .infinity, randomSeed: 21),
                optimizer: optimizer)
            let model = try VariationalModel.trainClassifier(data, configuration: configuration)
            // 2 epochs of N = 30 in expected batches of 6: 10 steps.
            let reference = try referenceDPSGD(pieces(data, configuration), optimizer: optimizer, batchSize: 6, sigma: 0, clip: .infinity,
                                               seed: 21, steps: 10)
            #expect(model.parameters == reference.theta, "\(optimizer)")
            #expect(model.history.map { $0.samples ?? -1 } == [reference.batchSizes[..<5].reduce(0, +), reference.batchSizes[5...].reduce(0, +)])
            let record = try #require(model.training.privacy)
            #expect(record.epsilon == nil && record.maxGradientNorm == nil && record.steps == 10 && record.clippedFraction == 0)
        }
    }

    @Test("clipping, noise scale σC, sampling rate q = B/N and the mean over B, against a slow reference of the steps")
    func stepsAgainstReference() throws {
        let data = try dpData()
        for (sigma, clip) in [(1.3, 0.05), (0.7, 0.4)] {
            let configuration = try dpConfiguration(
                DifferentialPrivacyConfiguration(noiseMultiplier: sigma, delta: 1e-5, maxGradientNorm: clip, randomSeed: 8))
            let model = try VariationalModel.trainClassifier(data, configuration: configuration)
            let reference = try referenceDPSGD(pieces(data, configuration), optimizer: .adam(), batchSize: 6, sigma: sigma, clip: clip,
                                               seed: 8, steps: 10)
            // Clipping rounds differently (the library scales by the largest entry and lowers the
            // factor until the norm is at most C); the trajectories agree far below any effect of noise.
            #expect(maxDifference(model.parameters, reference.theta) < 1e-9, "σ \(sigma), C \(clip)")
            let record = try #require(model.training.privacy)
            let samples = reference.batchSizes.reduce(0, +)
            #expect(record.clippedFraction == Double(reference.clipped) / Double(samples))
            #expect(model.history.compactMap(\.samples).reduce(0, +) == samples)
            #expect(record.samplingRate == 6.0 / 30 && record.expectedBatchSize == 6 && record.protectedSamples == 30)
        }
        // The noise matters: another seed gives other parameters.
        let other = try VariationalModel.trainClassifier(data, configuration: dpConfiguration(
            DifferentialPrivacyConfiguration(noiseMultiplier: 1.3, delta: 1e-5, maxGradientNorm: 0.05, randomSeed: 9)))
        let seeded = try VariationalModel.trainClassifier(data, configuration: dpConfiguration(
            DifferentialPrivacyConfiguration(noiseMultiplier: 1.3, delta: 1e-5, maxGradientNorm: 0.05, randomSeed: 8)))
        #expect(other.parameters != seeded.parameters)
    }

    @Test("the model's ε equals PrivacyAccounting's (privacy-budget's) for the same q, σ and T; T = ⌈E·N/B⌉")
    func epsilonEqualsPrivacyBudget() throws {
        let data = try dpData(count: 31)
        for (accountant, epochs, batch) in [(PrivacyAccountantKind.rdp, 3, 7), (.pld, 2, 5)] {
            let configuration = try dpConfiguration(
                DifferentialPrivacyConfiguration(noiseMultiplier: 1.1, delta: 1e-5, accountant: accountant, randomSeed: 4), epochs: epochs,
                batchSize: batch)
            let record = try #require(try VariationalModel.trainClassifier(data, configuration: configuration).training.privacy)
            let steps = (epochs * 31 + batch - 1) / batch
            #expect(record.steps == steps && record.plannedSteps == steps && record.samplingRate == Double(batch) / 31)
            let expected = try PrivacyAccounting.epsilon(samplingRate: Double(batch) / 31, noiseMultiplier: 1.1, steps: steps, delta: 1e-5,
                                                         accountant: accountant)
            #expect(record.epsilon == expected.epsilon && record.order == expected.order && record.accountant == accountant)
            #expect(!record.calibrated && !record.stoppedAtBudget && record.seeded)
        }
    }

    @Test("a target ε alone: σ is calibrated for the planned steps exactly as PrivacyAccounting calibrates it, and ε ≤ target")
    func calibratedNoise() throws {
        let data = try dpData()
        let configuration = try dpConfiguration(DifferentialPrivacyConfiguration(targetEpsilon: 2, delta: 1e-5, randomSeed: 1))
        let record = try #require(try VariationalModel.trainClassifier(data, configuration: configuration).training.privacy)
        let calibration = try PrivacyAccounting.noiseMultiplier(forEpsilon: 2, delta: 1e-5,
                                                                schedule: TrainingSchedule(epochs: 2, datasetSize: 30, batchSize: 6))
        #expect(record.noiseMultiplier == calibration.noiseMultiplier && record.calibrated && record.targetEpsilon == 2)
        #expect(record.steps == 10 && (record.epsilon ?? .infinity) <= 2 && record.epsilon == calibration.guarantee.epsilon)
    }

    @Test("σ with a target ε too small for the plan: training stops at the last step within the budget, never past it")
    func stopsAtBudget() throws {
        let data = try dpData()
        let target = 3.0
        // The oracle: the largest T whose ε stays within the target, by a linear scan.
        var allowed = 0
        while allowed < 50, try PrivacyAccounting.epsilon(samplingRate: 0.2, noiseMultiplier: 1.5, steps: allowed + 1, delta: 1e-5).epsilon <= target {
            allowed += 1
        }
        #expect(allowed > 0 && allowed < 25)
        let configuration = try dpConfiguration(DifferentialPrivacyConfiguration(targetEpsilon: target, noiseMultiplier: 1.5, delta: 1e-5, randomSeed: 2),
                                                epochs: 5)
        let model = try VariationalModel.trainClassifier(data, configuration: configuration)
        let record = try #require(model.training.privacy)
        #expect(record.steps == allowed && record.plannedSteps == 25 && record.stoppedAtBudget)
        #expect(try #require(record.epsilon) <= target)
        // The epochs recorded: the full ones and the partial one that the budget ended.
        #expect(model.history.count == (allowed + 4) / 5 && model.training.epochs == model.history.count)
    }

    @Test("2 and 3 ranks, 1 or 2 threads: the same noise on every rank, the one-rank model bit for bit (seeded and OS-keyed)")
    func ranksAgree() throws {
        let data = try dpData()
        let privacy = DifferentialPrivacyConfiguration(noiseMultiplier: 0.9, delta: 1e-5, maxGradientNorm: 0.3, randomSeed: 6)
        let single = try VariationalModel.trainClassifier(data, configuration: dpConfiguration(privacy))
        var threaded = try dpConfiguration(privacy)
        threaded.scheduler = try Scheduler(threads: 2)
        #expect(try VariationalModel.trainClassifier(data, configuration: threaded).parameters == single.parameters)
        for ranks in [2, 3] {
            let models = try LocalCommunicator.run(ranks: ranks) { communicator in
                var configuration = try dpConfiguration(privacy)
                configuration.communicator = communicator
                return try VariationalModel.trainClassifier(data, configuration: configuration)
            }
            for model in models {
                #expect(model.parameters == single.parameters && model.history == single.history && model.training.privacy == single.training.privacy)
            }
        }
        // Operating-system keys: drawn on rank 0 and shared, so every rank still steps alike.
        let unseeded = DifferentialPrivacyConfiguration(noiseMultiplier: 0.9, delta: 1e-5, maxGradientNorm: 0.3)
        let models = try LocalCommunicator.run(ranks: 2) { communicator in
            var configuration = try dpConfiguration(unseeded)
            configuration.communicator = communicator
            return try VariationalModel.trainClassifier(data, configuration: configuration)
        }
        #expect(models[0].parameters == models[1].parameters && models[0].parameters != single.parameters)
        #expect(models[0].training.privacy?.seeded == false)
    }

    @Test("vqr and the hybrid layer train privately; the records hold the guarantee")
    func regressorAndHybrid() throws {
        let data = try dpData()
        var hybrid = try dpConfiguration(DifferentialPrivacyConfiguration(targetEpsilon: 4, delta: 1e-5, randomSeed: 3))
        hybrid.hybrid = true
        let classifier = try VariationalModel.trainClassifier(data, configuration: hybrid)
        #expect(classifier.isHybrid && (classifier.training.privacy?.epsilon ?? .infinity) <= 4)
        var regression = try dpConfiguration(DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1e-5, randomSeed: 3))
        regression.targetBounds = -1...1
        let targets = data.features.rowArrays.map { $0[0] - $0[1] }
        let regressor = try VariationalModel.trainRegressor(features: data.features, targets: targets, configuration: regression)
        #expect(regressor.targetScaling == TargetScaling(offset: 0, factor: 1))
        #expect(regressor.training.privacy?.steps == 10)
    }

    @Test("refusals: no noise setting, σ = 0 with a target, SPSA, fitted scaling, a vqr without target bounds, B > N, bad δ and C")
    func refusals() throws {
        let data = try dpData()
        func message(_ privacy: DifferentialPrivacyConfiguration, _ change: (inout VariationalConfiguration) -> Void = { _ in }) throws -> String {
            var configuration = try dpConfiguration(privacy)
            change(&configuration)
            return thrownMessage { _ = try VariationalModel.trainClassifier(data, configuration: configuration) } ?? "no error"
        }
        let good = DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1e-5)
        #expect(try message(DifferentialPrivacyConfiguration(delta: 1e-5)).contains("neither a target ε nor a noise multiplier"))
        #expect(try message(DifferentialPrivacyConfiguration(targetEpsilon: 1, noiseMultiplier: 0, delta: 1e-5)).contains("σ > 0"))
        #expect(try message(good) { $0.optimizer = .spsa() }.contains("SPSA estimates one gradient"))
        #expect(try message(good) { $0.scale = .minmax }.contains("public feature bounds"))
        #expect(try message(good) { $0.scale = .minmax; $0.featureBounds = [0...1] }.contains("no error"))
        #expect(try message(good) { $0.batchSize = 31 }.contains("31 for 30 training samples"))
        #expect(try message(DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1)).contains("δ must be in (0, 1)"))
        #expect(try message(DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1e-5, maxGradientNorm: .infinity)).contains("σ·C"))
        #expect(try message(DifferentialPrivacyConfiguration(noiseMultiplier: -1, delta: 1e-5)).contains("received -1.0"))
        #expect(try message(DifferentialPrivacyConfiguration(targetEpsilon: 1e-9, delta: 1e-5)).contains("no noise multiplier up to"))
        var regression = try dpConfiguration(good)
        regression.featureBounds = [0...1]
        let refused = thrownMessage {
            _ = try VariationalModel.trainRegressor(features: data.features, targets: data.labels.map(Double.init), configuration: regression)
        }
        #expect(refused?.contains("public target bounds") == true)
        // A kernel SVM refuses DP-SGD, saying why and pointing to vqc.
        var job = TrainingJob(model: .qsvm, data: .iris)
        job.privacy = good
        let svm = thrownMessage { _ = try TrainedModel.train(job) } ?? ""
        #expect(svm.contains("support vectors") && svm.contains("vqc"))
    }

    @Test("the record is saved in the model file, read back equal; a file without it (older) still loads")
    func recordInModelFile() throws {
        let data = try dpData()
        let model = try VariationalModel.trainClassifier(data, configuration: dpConfiguration(
            DifferentialPrivacyConfiguration(noiseMultiplier: 1, delta: 1e-5, accountant: .pld, randomSeed: 1)))
        let read = try VariationalModel.decode(model.encoded(), path: "m.json")
        #expect(read == model)
        let record = try #require(read.training.privacy)
        #expect(record.accountant == .pld && record.discretization == 1e-4 && record.order == nil && record.adjacency == "add-or-remove-one")
        var object = try #require(try JSONSerialization.jsonObject(with: model.encoded()) as? [String: Any])
        var training = try #require(object["training"] as? [String: Any])
        training["privacy"] = nil
        object["training"] = training
        let older = try VariationalModel.decode(JSONSerialization.data(withJSONObject: object), path: "old.json")
        #expect(older.training.privacy == nil && older.weights == model.weights)
    }
}
