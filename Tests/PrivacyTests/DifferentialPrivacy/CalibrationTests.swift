import Foundation
import Testing
@testable import Privacy

@Suite("Noise calibration and schedules")
struct CalibrationTests {
    @Test("RDP: the smallest σ for a target ε equals dp-accounting's calibrate_dp_mechanism (10 cases, q = 1 and q = 1e-5)")
    func rdpInverse() throws {
        var checked = 0
        for record in try dpCases("inverse.json") where record["accountant"] as? String == "rdp" {
            let target = try #require(fixtureDouble(record["epsilon"])), delta = try #require(fixtureDouble(record["delta"]))
            let q = try #require(fixtureDouble(record["q"])), steps = try #require(fixtureInt(record["steps"]))
            let expected = try #require(fixtureDouble(record["sigma"]))
            let calibration = try PrivacyAccounting.noiseMultiplier(forEpsilon: target, delta: delta,
                                                                     schedule: try TrainingSchedule(samplingRate: q, steps: steps))
            let sigma = calibration.noiseMultiplier
            // dp-accounting's σ is within 1e-9 of the root; ours is the upper end of a bracket of
            // relative width 1e-6 around it.
            #expect(sigma >= expected - 1e-8 && sigma <= expected * (1 + 1e-6) + 1e-8,
                    "ε=\(target) δ=\(delta) q=\(q) T=\(steps): σ \(sigma), dp-accounting \(expected)")
            #expect(calibration.guarantee.epsilon <= target)
            #expect(calibration.lowerBound < sigma && sigma - calibration.lowerBound <= 1e-6 * sigma)
            let below = try PrivacyAccounting.epsilon(samplingRate: q, noiseMultiplier: calibration.lowerBound, steps: steps, delta: delta)
            #expect(below.epsilon > target)
            checked += 1
        }
        #expect(checked == 10)
    }

    @Test("PLD: the smallest σ for a target ε equals dp-accounting's within the 1e-4 tolerance")
    func pldInverse() throws {
        var checked = 0
        for record in try dpCases("inverse.json") where record["accountant"] as? String == "pld" {
            let target = try #require(fixtureDouble(record["epsilon"])), delta = try #require(fixtureDouble(record["delta"]))
            let q = try #require(fixtureDouble(record["q"])), steps = try #require(fixtureInt(record["steps"]))
            // The T = 1000 case takes a minute in a debug build; release runs it (VERDANT_DP_ALL_FIXTURES=1).
            if steps > 100, ProcessInfo.processInfo.environment["VERDANT_DP_ALL_FIXTURES"] != "1" { continue }
            let expected = try #require(fixtureDouble(record["sigma"]))
            let calibration = try PrivacyAccounting.noiseMultiplier(forEpsilon: target, delta: delta,
                                                                     schedule: try TrainingSchedule(samplingRate: q, steps: steps),
                                                                     accountant: .pld)
            #expect(abs(calibration.noiseMultiplier - expected) <= 1e-4 * expected + 1e-6,
                    "ε=\(target) q=\(q) T=\(steps): σ \(calibration.noiseMultiplier), dp-accounting \(expected)")
            #expect(calibration.guarantee.epsilon <= target && calibration.guarantee.accountant == .pld)
            checked += 1
        }
        #expect(checked >= 3)
    }

    @Test("a target no σ in range reaches, and one every σ meets, are refused with what was found")
    func unreachable() throws {
        let manySteps = try TrainingSchedule(samplingRate: 1, steps: 1_000_000)
        #expect {
            try PrivacyAccounting.noiseMultiplier(forEpsilon: 0.01, delta: 1e-5, schedule: manySteps)
        } throws: { error in
            guard case .targetUnreachable(_, _, let best, let sigma, .tooMuchNoiseNeeded) = error as? DifferentialPrivacyError else { return false }
            return sigma == 1000 && best > 0.01 && "\(error)".contains("no noise multiplier up to 1000.0 reaches ε = 0.01")
        }
        #expect {
            try PrivacyAccounting.noiseMultiplier(forEpsilon: 1e5, delta: 1e-5, schedule: try TrainingSchedule(samplingRate: 0.01, steps: 1))
        } throws: { error in
            guard case .targetUnreachable(_, _, _, let sigma, .anyNoiseSuffices) = error as? DifferentialPrivacyError else { return false }
            return sigma == 0.1 && "\(error)".contains("is met even by the smallest noise multiplier searched")
        }
        let schedule = try TrainingSchedule(samplingRate: 0.1, steps: 10)
        for (target, tolerance, message) in [(0.0, 1e-6, "epsilon: received '0.0'"), (Double.infinity, 1e-6, "epsilon: received 'inf'"),
                                              (1.0, 0.5, "tolerance: received '0.5'"), (1.0, 0, "tolerance: received '0.0'")] {
            #expect {
                try PrivacyAccounting.noiseMultiplier(forEpsilon: target, delta: 1e-5, schedule: schedule, relativeTolerance: tolerance)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
        #expect(throws: DifferentialPrivacyError.self) {
            try PrivacyAccounting.noiseMultiplier(forEpsilon: 1, delta: 1e-5, schedule: schedule, range: 0...10)
        }
    }

    @Test("epochs, dataset size and batch size give q = B/N and T = ⌈E·N/B⌉")
    func schedules() throws {
        let iris = try TrainingSchedule(epochs: 10, datasetSize: 150, batchSize: 32)
        #expect(iris.samplingRate == 32.0 / 150.0 && iris.steps == 47)
        #expect(iris.derivation == TrainingSchedule.Derivation(epochs: 10, datasetSize: 150, batchSize: 32))
        // Whole numbers stay whole: 3·100/10 = 30, not 31 from rounding.
        #expect(try TrainingSchedule(epochs: 3, datasetSize: 100, batchSize: 10).steps == 30)
        #expect(try TrainingSchedule(epochs: 0.5, datasetSize: 60_000, batchSize: 256).steps == 118)
        // Decimal epochs as exact arithmetic on the decimal gives (an audit found 12 and 23, from
        // 1.1 · 100 / 10 = 11.000000000000002 rounded up); a true fraction still rounds up.
        #expect(try TrainingSchedule(epochs: 1.1, datasetSize: 100, batchSize: 10).steps == 11)
        #expect(try TrainingSchedule(epochs: 2.2, datasetSize: 100, batchSize: 10).steps == 22)
        #expect(try TrainingSchedule(epochs: 1.1, datasetSize: 50, batchSize: 5).steps == 11)
        #expect(try TrainingSchedule(epochs: 0.7, datasetSize: 30, batchSize: 7).steps == 3)
        #expect(try TrainingSchedule(epochs: 1.01, datasetSize: 100, batchSize: 10).steps == 11)
        #expect(try TrainingSchedule(epochs: 1, datasetSize: 7, batchSize: 7).samplingRate == 1)
        #expect(try TrainingSchedule(samplingRate: 0.5, steps: 3).derivation == nil)
        let bad: [(() throws -> TrainingSchedule, String)] = [
            ({ try TrainingSchedule(epochs: 0, datasetSize: 10, batchSize: 2) }, "epochs: received '0.0'"),
            ({ try TrainingSchedule(epochs: -1, datasetSize: 10, batchSize: 2) }, "epochs: received '-1.0'"),
            ({ try TrainingSchedule(epochs: 1, datasetSize: 0, batchSize: 2) }, "dataset size: received '0'"),
            ({ try TrainingSchedule(epochs: 1, datasetSize: 10, batchSize: 11) }, "batch size: received '11'; give an expected batch size B with 1 ≤ B ≤ N = 10"),
            ({ try TrainingSchedule(epochs: 1, datasetSize: 10, batchSize: 0) }, "batch size: received '0'"),
            ({ try TrainingSchedule(epochs: 1e15, datasetSize: 10_000, batchSize: 1) }, "below 10¹² steps"),
            ({ try TrainingSchedule(samplingRate: 0.5, steps: -3) }, "steps: received '-3'"),
        ]
        for (make, message) in bad {
            #expect { _ = try make() } throws: { "\($0)".contains(message) }
        }
    }

    @Test("answer(_:) goes both ways: σ → ε, and ε → the σ whose ε is the target's")
    func answers() throws {
        let schedule = try TrainingSchedule(samplingRate: 0.01, steps: 1000)
        let forward = try PrivacyAccounting.answer(PrivacyBudgetQuery(schedule: schedule, given: .noiseMultiplier(1.3), delta: 1e-5))
        #expect(forward.noiseMultiplier == 1.3 && forward.calibration == nil && forward.guarantee.order != nil)
        let backward = try PrivacyAccounting.answer(PrivacyBudgetQuery(schedule: schedule, given: .targetEpsilon(forward.guarantee.epsilon),
                                                                       delta: 1e-5))
        let calibration = try #require(backward.calibration)
        #expect(calibration.lowerBound < 1.3 && backward.noiseMultiplier >= 1.3 && backward.noiseMultiplier <= 1.3 * (1 + 1e-6))
        #expect(backward.guarantee.epsilon <= forward.guarantee.epsilon)
    }
}
