import Foundation

/// A readout (assignment-matrix) error, Aer's `ReadoutError`: a measured qubit whose true value
/// is `t` is recorded as `m` with probability `probabilities[t][m]`. The error is classical: it
/// changes the recorded bits, not the state.
///
/// For k qubits the matrix is 2^k × 2^k with bit j of an index on the error's qubit j (Aer
/// applies a k-qubit readout error only to a k-qubit measure instruction; Verdant's measurements
/// are one qubit each, so only 1-qubit readout errors take effect, as in Aer).
public struct ReadoutError: Hashable, Sendable, CustomStringConvertible {
    /// The number of qubits.
    public let numQubits: Int
    /// P(recorded m | true t) at `[t][m]`; every row sums to 1.
    public let probabilities: [[Double]]

    /// Creates a readout error from its assignment matrix.
    /// - Parameter probabilities: 2^k rows of 2^k probabilities (k ≥ 1), each row summing to 1
    ///   within ``QuantumChannel/tolerance``.
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)`` for a bad shape,
    ///   ``NoiseError/invalidProbabilities(subject:received:)`` for a bad row.
    public init(_ probabilities: [[Double]]) throws {
        let d = probabilities.count
        guard d >= 2, d & (d - 1) == 0, probabilities.allSatisfy({ $0.count == d }) else {
            throw NoiseError.invalidParameter(name: "readout assignment matrix", received: "\(d) rows of lengths \(probabilities.map(\.count))",
                                              valid: "2^k rows of 2^k probabilities (k ≥ 1)")
        }
        var rows: [[Double]] = []
        for (t, row) in probabilities.enumerated() {
            rows.append(try QuantumChannel.checkedProbabilities(row, subject: "readout assignment row \(t) (true outcome \(t))"))
        }
        self.numQubits = d.trailingZeroBitCount
        self.probabilities = rows
    }

    /// A one-qubit readout error: |0⟩ reads 1 with probability `oneGivenZero`, |1⟩ reads 0 with
    /// probability `zeroGivenOne`.
    /// - Parameters:
    ///   - oneGivenZero: P(1 | 0) in [0, 1].
    ///   - zeroGivenOne: P(0 | 1) in [0, 1].
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)``.
    public init(oneGivenZero: Double, zeroGivenOne: Double) throws {
        try QuantumChannel.checkUnit(oneGivenZero, "readout error P(1|0)")
        try QuantumChannel.checkUnit(zeroGivenOne, "readout error P(0|1)")
        try self.init([[1 - oneGivenZero, oneGivenZero], [zeroGivenOne, 1 - zeroGivenOne]])
    }

    /// `readout error on 1 qubit: P(1|0) = 0.02, P(0|1) = 0.02`.
    public var description: String {
        if numQubits == 1 {
            return "readout error on 1 qubit: P(1|0) = \(String(format: "%.6g", probabilities[0][1])), "
                + "P(0|1) = \(String(format: "%.6g", probabilities[1][0]))"
        }
        return "readout error on \(numQubits) qubits (\(probabilities.count)×\(probabilities.count) assignment matrix)"
    }

    /// Draws the recorded value of a true value `t` from one uniform `u` in [0, 1).
    func record(_ t: Int, uniform u: Double) -> Int {
        let row = probabilities[t]
        var cumulative = 0.0
        for (m, p) in row.enumerated() {
            cumulative += p
            if u < cumulative { return m }
        }
        return row.lastIndex { $0 > 0 } ?? t
    }
}

/// Readout-error mitigation by inverting the tensored assignment matrix: with one 2 × 2
/// assignment matrix Aⱼ per measured bit, the recorded distribution is q = (A_{m−1} ⊗ … ⊗ A₀)ᵀ·p,
/// so p = (A_{m−1}⁻ᵀ ⊗ … ⊗ A₀⁻ᵀ)·q, applied one bit at a time (m·2^m operations, no 2^m × 2^m
/// matrix). The result is a quasi-distribution: entries may be slightly negative.
public struct ReadoutMitigator: Sendable {
    /// The inverse of each bit's transposed assignment matrix, [[a, b], [c, d]] row-major.
    let inverses: [[Double]]

    /// The number of bits.
    public var numBits: Int { inverses.count }

    /// A mitigator for bits whose readout errors are `errors` (bit j of an outcome index is `errors[j]`'s).
    /// - Parameter errors: one 1-qubit readout error per bit (nil: no error on that bit).
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)`` for a multi-qubit error or a
    ///   singular matrix (P(1|0) + P(0|1) = 1: the bit carries no information).
    public init(errors: [ReadoutError?]) throws {
        inverses = try errors.enumerated().map { j, error in
            guard let error else { return [1, 0, 0, 1] }
            guard error.numQubits == 1 else {
                throw NoiseError.invalidParameter(name: "readout mitigation of bit \(j)", received: "a \(error.numQubits)-qubit readout error",
                                                  valid: "one-qubit readout errors (the tensored method)")
            }
            // Aᵀ = [[P(0|0), P(0|1)], [P(1|0), P(1|1)]]; its inverse.
            let a = error.probabilities[0][0], b = error.probabilities[1][0]
            let c = error.probabilities[0][1], d = error.probabilities[1][1]
            let det = a * d - b * c
            guard abs(det) > 1e-12 else {
                throw NoiseError.invalidParameter(name: "readout mitigation of bit \(j)", received: "P(1|0) + P(0|1) = \(c + b)",
                                                  valid: "a sum other than 1 (the assignment matrix must be invertible)")
            }
            return [d / det, -b / det, -c / det, a / det]
        }
    }

    /// The mitigated quasi-distribution of a recorded one.
    /// - Parameter distribution: 2^numBits recorded probabilities (or frequencies), bit j of the index on bit j.
    /// - Returns: the estimate of the true distribution (sums to the input's sum; entries may be negative).
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)`` for a wrong length.
    public func mitigate(_ distribution: [Double]) throws -> [Double] {
        guard distribution.count == 1 << numBits else {
            throw NoiseError.invalidParameter(name: "distribution length", received: "\(distribution.count)", valid: "2^\(numBits) = \(1 << numBits)")
        }
        var p = distribution
        for (j, m) in inverses.enumerated() {
            let bit = 1 << j
            for i in 0..<p.count where i & bit == 0 {
                let x0 = p[i], x1 = p[i | bit]
                p[i] = m[0] * x0 + m[1] * x1
                p[i | bit] = m[2] * x0 + m[3] * x1
            }
        }
        return p
    }
}

extension ReadoutError {
    /// This error, then `other` on the recorded bits: the assignment matrices multiplied,
    /// P(j | i) = Σ_k self(k | i) · other(j | k).
    /// - Parameter other: an error of the same width.
    /// - Returns: the combined error.
    /// - Throws: ``NoiseError/widthMismatch(subject:received:expected:)`` for another width.
    public func followed(by other: ReadoutError) throws -> ReadoutError {
        guard other.numQubits == numQubits else {
            throw NoiseError.widthMismatch(subject: "a readout error composed after another", received: other.numQubits, expected: numQubits)
        }
        let d = probabilities.count
        let rows = (0..<d).map { i in (0..<d).map { j in (0..<d).reduce(0.0) { $0 + probabilities[i][$1] * other.probabilities[$1][j] } } }
        return try ReadoutError(rows)
    }
}
