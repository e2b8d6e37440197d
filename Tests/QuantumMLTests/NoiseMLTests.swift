import ComplexModule
import Foundation
import Parallel
import Quantum
import Testing
import _TestSupport
@testable import QuantumML

private func deviceNoise() throws -> NoiseModel {
    try DeviceNoise.parse(depolarizing: "0.02,0.05", t1: "20us", t2: "30us", gateTime: "100ns,400ns", readoutError: "0.03").model()
}

private func samples(_ rows: Int, _ features: Int, seed: UInt64) throws -> Matrix {
    var rng = SeededGenerator(seed: seed)
    return try Matrix(rows: rows, columns: features, values: (0..<(rows * features)).map { _ in rng.nextUniform() * .pi })
}

@Suite("Quantum ML under noise")
struct NoiseMLTests {
    @Test("the noisy kernel is Tr(ρ(x)ρ(x′)) of the dense reference, the same for any threads and ranks")
    func exactKernel() throws {
        let map = try FeatureMap.zz(features: 3, reps: 2)
        let noise = try deviceNoise()
        let x = try samples(5, 3, seed: 1), y = try samples(3, 3, seed: 2)
        var kernel = QuantumKernel(featureMap: map, scheduler: try Scheduler(threads: 1))
        kernel.noise = NoiseSettings(model: noise)
        let train = try kernel.trainingMatrix(x)
        let test = try kernel.matrix(y, x)
        let rhos = try (0..<x.rows).map { try ReferenceDensityMatrix.run(map.circuit(for: x.rowArrays[$0]), noise: noise) }
        let sigmas = try (0..<y.rows).map { try ReferenceDensityMatrix.run(map.circuit(for: y.rowArrays[$0]), noise: noise) }
        for i in 0..<x.rows {
            for j in 0..<x.rows { #expect(abs(train[i, j] - ReferenceDensityMatrix.overlap(rhos[i], rhos[j])) < 1e-12, "K[\(i)][\(j)]") }
            #expect(train[i, i] < 0.999, "the diagonal is the purity, below 1 under noise")
        }
        for i in 0..<y.rows {
            for j in 0..<x.rows { #expect(abs(test[i, j] - ReferenceDensityMatrix.overlap(sigmas[i], rhos[j])) < 1e-12) }
        }
        // Three threads, and two in-process ranks, give the same matrix bit for bit.
        kernel.scheduler = try Scheduler(threads: 3)
        kernel.tileSize = 2
        #expect(try kernel.trainingMatrix(x).values == train.values)
        let ranks = try LocalCommunicator.run(ranks: 2) { world -> [Double] in
            var k = QuantumKernel(featureMap: map, scheduler: try Scheduler(threads: 1), communicator: world)
            k.noise = NoiseSettings(model: noise)
            k.tileSize = 2
            return try k.trainingMatrix(x).values
        }
        #expect(ranks.allSatisfy { $0 == train.values })
        // An ideal model gives the pure-state kernel back.
        kernel.noise = NoiseSettings(model: NoiseModel())
        let ideal = QuantumKernel(featureMap: map, scheduler: try Scheduler(threads: 1))
        let pure = try ideal.trainingMatrix(x)
        #expect(zip(try kernel.trainingMatrix(x).values, pure.values).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test("with shots each entry is a SWAP-test estimate: unbiased, within its binomial error, seeded, symmetric")
    func shotKernel() throws {
        let map = try FeatureMap.zz(features: 2, reps: 1)
        let x = try samples(6, 2, seed: 3)
        var kernel = QuantumKernel(featureMap: map, scheduler: try Scheduler(threads: 2))
        kernel.noise = NoiseSettings(model: try deviceNoise())
        let exact = try kernel.trainingMatrix(x)
        kernel.noise?.shots = 4000
        kernel.noise?.seed = 9
        let estimate = try kernel.trainingMatrix(x)
        #expect(try kernel.trainingMatrix(x).values == estimate.values, "the same seed gives the same estimate")
        // Each estimate is 2·B/n − 1 with B ~ Binomial(n, (1 + K)/2): standard deviation √(1 − K²)/√n.
        // 6σ per entry: each of the 21 distinct entries fails falsely with probability ≈ 2.0e-9 (normal
        // tail; n = 4000 keeps the binomial close to it), so the test's false-failure rate is ≈ 4e-8,
        // below the 1e-6 per run that the noise issue sets.
        for i in 0..<x.rows {
            for j in 0...i {
                let sd = (max(1e-12, 1 - exact[i, j] * exact[i, j]) / 4000).squareRoot()
                #expect(abs(estimate[i, j] - exact[i, j]) <= 6 * sd, "K[\(i)][\(j)]: \(estimate[i, j]) vs \(exact[i, j])")
                #expect(estimate[i, j] == estimate[j, i])
            }
        }
        kernel.noise?.seed = 10
        #expect(try kernel.trainingMatrix(x).values != estimate.values, "another seed, other shots")
    }

    @Test("amplitude encoding and adjoint gradients are refused under noise, saying why")
    func refusals() throws {
        var kernel = QuantumKernel(featureMap: try .amplitude(features: 4))
        kernel.noise = NoiseSettings(model: try deviceNoise())
        var message = ""
        do { _ = try kernel.trainingMatrix(try samples(2, 4, seed: 4)) } catch { message = "\(error)" }
        #expect(message.contains("amplitude encoding prepares each state directly"))
        let iris = DatasetLoader.iris()
        var configuration = VariationalConfiguration(epochs: 1, seed: 1)
        configuration.noise = NoiseSettings(model: try deviceNoise())
        message = ""
        do { _ = try VariationalModel.trainClassifier(iris, test: nil, configuration: configuration) } catch { message = "\(error)" }
        #expect(message.contains("adjoint differentiation runs the circuit backwards"))
    }

    @Test("variational training under an ideal model equals ideal parameter-shift training; under noise it differs and is seeded")
    func variational() throws {
        let all = DatasetLoader.iris()
        let (train, _) = try stratifiedSplit(all, testFraction: 0.9, seed: 3)   // 15 samples: a small, fast run
        var configuration = VariationalConfiguration(epochs: 2, batchSize: 5, seed: 5, gradientMethod: .parameterShift,
                                                     scheduler: try Scheduler(threads: 2))
        let ideal = try VariationalModel.trainClassifier(train, test: nil, configuration: configuration)
        // At equal weights, the loss gradient through the noisy path with an ideal model equals the
        // state-vector one (training itself would amplify rounding through Adam's normalisation).
        let map = try FeatureMap.angle(features: 4, rotation: .y)
        let ansatz = try Ansatz.realAmplitudes(qubits: 4)
        let head = ReadoutHead(classes: 3, readout: .zExpectations, hybrid: false, qubits: 4)
        let pure = try VariationalProblem(featureMap: map, ansatz: ansatz, head: head, method: .parameterShift)
        let mixed = try VariationalProblem(featureMap: map, ansatz: ansatz, head: head, method: .parameterShift,
                                           noise: NoiseSettings(model: NoiseModel()))
        let theta = ideal.parameters
        for row in 0..<3 {
            var a = [Double](repeating: 0, count: pure.parameterCount + 2), b = a
            try pure.addGradient(train.features, row: row, target: Double(train.labels[row]), theta: theta, into: &a)
            try mixed.addGradient(train.features, row: row, target: Double(train.labels[row]), theta: theta, into: &b)
            #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-10 }, "sample \(row)")
        }
        configuration.noise = NoiseSettings(model: try deviceNoise(), shots: 500, mitigatesReadout: true, seed: 2)
        let noisy = try VariationalModel.trainClassifier(train, test: nil, configuration: configuration)
        let again = try VariationalModel.trainClassifier(train, test: nil, configuration: configuration)
        #expect(noisy.parameters == again.parameters, "shots are seeded: the same run twice gives the same model")
        #expect(zip(noisy.parameters, ideal.parameters).contains { abs($0 - $1) > 1e-6 })
        // Predictions under noise run too (the same noise settings, shots included).
        let predicted = try noisy.predict(train.features, scheduler: try Scheduler(threads: 2), noise: configuration.noise)
        #expect(predicted.count == train.features.rows)
    }
}
