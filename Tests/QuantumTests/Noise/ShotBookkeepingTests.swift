import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// The per-shot bookkeeping of noisy runs: drawing shot indices from a distribution (against the
/// sorted walk it replaced, re-written here as the oracle) and the memory check of small density
/// matrices.
@Suite("Noisy runs: drawing shots and checking memory")
struct ShotBookkeepingTests {
    /// The earlier draw: every uniform first, in shot order, then one walk through the running
    /// sums in the order of the sorted draws.
    static func sortedWalk(_ probabilities: [Double], shots: Int, rng: inout SeededGenerator) -> [Int] {
        let total = probabilities.reduce(0, +)
        var draws: [(u: Double, shot: Int)] = (0..<shots).map { (rng.nextUniform() * total, $0) }
        draws.sort { $0.u < $1.u }
        var result = [Int](repeating: 0, count: shots)
        var cumulative = 0.0, index = 0
        let last = probabilities.lastIndex { $0 > 0 } ?? 0
        for draw in draws {
            while index < last && cumulative + probabilities[index] <= draw.u {
                cumulative += probabilities[index]
                index += 1
            }
            result[draw.shot] = index
        }
        return result
    }

    @Test("bisection draws the same indices as the sorted walk, zeros and unnormalised sums included")
    func drawsMatchTheWalk() {
        var source = SeededGenerator(seed: 77)
        for size in [1, 2, 5, 32, 256] {
            for trial in 0..<6 {
                // Some outcomes impossible (zeros, trailing zeros included), the sum not 1.
                var probabilities = (0..<size).map { _ in source.nextUniform() < 0.3 ? 0 : source.nextUniform() }
                if trial == 0 { probabilities[size - 1] = 0 }
                if probabilities.allSatisfy({ $0 == 0 }) { probabilities[0] = 0.5 }
                var a = SeededGenerator(seed: UInt64(100 * size + trial)), b = a
                let ours = NoisyCompilation.drawIndices(probabilities, shots: 500, rng: &a)
                let walk = Self.sortedWalk(probabilities, shots: 500, rng: &b)
                #expect(ours == walk, "size \(size), trial \(trial)")
                #expect(ours.allSatisfy { probabilities[$0] > 0 })
                // The same number of uniforms consumed: later draws stay where they were.
                #expect(a.nextUniform() == b.nextUniform())
            }
        }
    }

    @Test("small density matrices skip the system's figures but still obey a memory limit")
    func smallMatricesObeyTheLimit() throws {
        // 3 qubits need 16 · 4^3 = 1,024 bytes.
        #expect(throws: NoiseError.self) { try DensityMatrix(numQubits: 3, maxMemoryBytes: 1_000) }
        #expect(try DensityMatrix(numQubits: 3, maxMemoryBytes: 1_024).dimension == 8)
        #expect(try DensityMatrix(numQubits: 6).dimension == 64)
        // Above the threshold the system is asked: 14 qubits need 4 GiB.
        #expect(throws: NoiseError.self) { try DensityMatrix(numQubits: 14, maxMemoryBytes: 1 << 30) }
    }
}
