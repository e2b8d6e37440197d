import ComplexModule
import Foundation

// Expectation values estimated from shots of a density matrix, as hardware would measure them:
// Pauli terms are grouped by the basis they need (the same X/Y letters on the same qubits; Z
// letters anywhere else), each group is measured `shots` times after rotating X → Z (H) and
// Y → Z (H·S†), every measured bit goes through its readout error, and (optionally) the readout
// errors are undone by the tensored inverse assignment matrices. The estimate of a term is the
// mean of (−1)^(parity of its qubits' bits); with mitigation each shot's value is the mitigated
// weight of its outcome (mitigation is linear, so the estimate stays a mean of per-shot values
// and its standard error is s/√shots as without it).

extension DensityMatrix {
    /// Shot estimates of Pauli-sum expectation values.
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the matrix.
    ///   - shots: measurements per basis group.
    ///   - readout: each qubit's readout error (nil: ideal).
    ///   - mitigate: undo the readout errors by the tensored inverse.
    ///   - rng: the random source.
    /// - Returns: one estimate per observable with its standard error.
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)`` when mitigation meets a
    ///   singular assignment matrix.
    func estimate(_ observables: [PauliSum], shots: Int, readout: [ReadoutError?], mitigate: Bool,
                  rng: inout SeededGenerator) throws -> [ExpectationEstimate]
    {
        let n = numQubits
        // Groups keyed by (X mask, Y mask): terms in a group differ only in Z letters outside the X mask.
        struct Key: Hashable { let x: Int, y: Int }
        var order: [Key] = []
        var groups: [Key: [(observable: Int, term: PauliSum.Term)]] = [:]
        for (o, observable) in observables.enumerated() {
            for term in observable.terms {
                let key = Key(x: term.xMask, y: term.xMask & term.zMask)
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append((o, term))
            }
        }
        let mitigator = mitigate ? try ReadoutMitigator(errors: readout) : nil
        var values = [Double](repeating: 0, count: observables.count)
        var variances = [Double](repeating: 0, count: observables.count)
        let hadamard = try QuantumChannel.unitary(GateDefinitions.hadamard.entries)
        let yToZ = try QuantumChannel.unitary((GateDefinitions.hadamard * SmallMatrix.diagonal([.one, Complex(0, -1)])).entries)
        for key in order {
            guard let members = groups[key] else { continue }
            // Rotate a copy into the group's measurement basis.
            var rotated = self
            for q in 0..<n where key.x & (1 << q) != 0 {
                try rotated.apply(key.y & (1 << q) != 0 ? yToZ : hadamard, to: [q])
            }
            let probabilities = rotated.probabilities()
            // Each term's value on each outcome: the sign of its parity, scaled by i^y·(−i)^y = 1
            // after the rotation (Y = S·H·Z·H·S† up to the order written above).
            var weights: [[Double]] = members.map { member in
                let support = member.term.xMask | member.term.zMask
                return (0..<(1 << n)).map { (($0 & support).nonzeroBitCount & 1) == 0 ? 1.0 : -1.0 }
            }
            if let mitigator { weights = weights.map { mitigator.transposedMitigation($0) } }
            // Per-observable value of each outcome: Σ coefficient × weight over the group's terms.
            var perOutcome = [[Double]](repeating: [Double](repeating: 0, count: 1 << n), count: observables.count)
            var touched = Set<Int>()
            for (m, member) in members.enumerated() {
                touched.insert(member.observable)
                for i in 0..<(1 << n) { perOutcome[member.observable][i] += member.term.coefficient * weights[m][i] }
            }
            let indices = NoisyCompilation.drawIndices(probabilities, shots: shots, rng: &rng)
            var sums = [Double](repeating: 0, count: observables.count), squares = sums
            for index in indices {
                // Each measured bit goes through its readout error.
                var recorded = 0
                for q in 0..<n {
                    let bit = (index >> q) & 1
                    let value = readout[q].map { $0.record(bit, uniform: rng.nextUniform()) } ?? bit
                    recorded |= value << q
                }
                for o in touched {
                    let v = perOutcome[o][recorded]
                    sums[o] += v
                    squares[o] += v * v
                }
            }
            for o in touched {
                let mean = sums[o] / Double(shots)
                values[o] += mean
                if shots > 1 { variances[o] += max(0, (squares[o] - Double(shots) * mean * mean) / Double(shots - 1)) / Double(shots) }
            }
        }
        // Identity terms (no X, no Z) are counted by the group with x = y = 0 as constant weights.
        return zip(values, variances).map { ExpectationEstimate(value: $0, standardError: $1.squareRoot(), method: .densityMatrix, samples: shots) }
    }
}

extension ReadoutMitigator {
    /// Mᵀ·f for the tensored inverse M: the per-outcome weights whose mean over recorded shots is
    /// the mitigated estimate Σᵢ (M·frequencies)ᵢ·f(i).
    func transposedMitigation(_ f: [Double]) -> [Double] {
        var p = f
        for (j, m) in inverses.enumerated() {
            let bit = 1 << j
            for i in 0..<p.count where i & bit == 0 {
                let x0 = p[i], x1 = p[i | bit]
                p[i] = m[0] * x0 + m[2] * x1
                p[i | bit] = m[1] * x0 + m[3] * x1
            }
        }
        return p
    }
}

extension NoisyCompilation {
    /// Shot indices drawn from a distribution (see ``sampleIndices(_:shots:rng:)``).
    static func drawIndices(_ probabilities: [Double], shots: Int, rng: inout SeededGenerator) -> [Int] {
        let total = probabilities.reduce(0, +)
        // prefix[i] = p_0 + … + p_(i−1), summed in order; a draw u gives the first index whose
        // prefix[i + 1] exceeds it (at most the last nonzero one), found by bisection.
        var prefix = [Double](repeating: 0, count: probabilities.count + 1)
        for (i, p) in probabilities.enumerated() { prefix[i + 1] = prefix[i] + p }
        let last = probabilities.lastIndex { $0 > 0 } ?? 0
        var result = [Int](repeating: 0, count: shots)
        for shot in 0..<shots {
            let u = rng.nextUniform() * total
            var (low, high) = (0, last)
            while low < high {
                let middle = (low + high) / 2
                if prefix[middle + 1] <= u { low = middle + 1 } else { high = middle }
            }
            result[shot] = low
        }
        return result
    }
}
