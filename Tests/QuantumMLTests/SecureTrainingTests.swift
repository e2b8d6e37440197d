import Foundation
import Parallel
import Privacy
import SecureCommunication
import Testing
@testable import QuantumML

/// The largest |a − b| over two parameter vectors.
private func largestDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

@Suite("training with secure aggregation and encrypted traffic")
struct SecureTrainingTests {
    /// The oracle is the plain one-rank run; the masked sums differ from its sums by at most
    /// n·2⁻³³ per entry (quantisation), which a two-epoch run carries into the weights far below 1e-6.
    @Test("vqc: the same model as plain aggregation within the quantisation, on 2 and 3 ranks, with and without DP-SGD", arguments: [2, 3])
    func sameModel(ranks: Int) throws {
        let data = try dpData()
        let key = try RawKey(bytes: [UInt8](repeating: 9, count: 32))
        let private_ = DifferentialPrivacyConfiguration(noiseMultiplier: 0.9, delta: 1e-5, maxGradientNorm: 0.3, randomSeed: 6)
        for privacy in [nil, private_] {
            var configured = try dpConfiguration(private_)
            configured.privacy = privacy
            let plain = configured
            let single = try VariationalModel.trainClassifier(data, configuration: plain)
            let models = try LocalCommunicator.run(ranks: ranks) { communicator in
                var configuration = plain
                let encrypted = try EncryptedCommunicator(wrapping: communicator, clusterKey: key)
                configuration.communicator = try SecureAggregationCommunicator(wrapping: encrypted, clusterKey: key)
                return try VariationalModel.trainClassifier(data, configuration: configuration)
            }
            for model in models {
                #expect(model.parameters == models[0].parameters, "every rank takes the same steps")
                #expect(largestDifference(model.parameters, single.parameters) < 1e-6)
                #expect(model.training.privacy?.epsilon == single.training.privacy?.epsilon)
                #expect(model.training.privacy?.steps == single.training.privacy?.steps)
            }
            // Not trivially equal: the masked sums went through fixed point.
            #expect(models[0].parameters != single.parameters || ranks == 1)
        }
    }
}
