import ComplexModule
import Foundation
import Quantum

/// The exact distribution of recorded counts of a noisy circuit, by brute force: a dense density
/// matrix evolved gate by gate (each gate and error a full 2^n × 2^n Kraus sum), and every
/// measurement enumerated — each outcome a branch with its probability, each recorded bit a
/// branch with its readout probability, conditions read the recorded bits. The oracle for the
/// trajectory method on circuits the density-matrix method cannot take (mid-circuit
/// measurement, conditions), and a second one for the rest. Small circuits only (n ≤ 5).
public enum ReferenceNoisySimulator {
    /// The probability of every counts key (Qiskit's format, as `RunResult.counts` keys them).
    public static func distribution(_ circuit: QuantumCircuit, noise: NoiseModel) throws -> [String: Double] {
        let n = circuit.numQubits
        var result: [String: Double] = [:]
        var branches: [(rho: DenseMatrix, bits: [Int], weight: Double)] = [(ReferenceDensityMatrix.zero(n), Array(repeating: 0, count: circuit.numClbits), 1)]
        func dense(_ flat: [Complex<Double>]) -> DenseMatrix {
            let d = Int(Double(flat.count).squareRoot().rounded())
            return (0..<d).map { r in Array(flat[(r * d)..<((r + 1) * d)]) }
        }
        func error(_ name: String, _ qubits: [Int]) -> [DenseMatrix]? {
            noise.error(for: name, on: qubits).map { $0.krausOperators.map(dense) }
        }
        func holds(_ condition: Condition?, _ bits: [Int]) -> Bool {
            guard let condition else { return true }
            return condition.clbits.enumerated().allSatisfy { m, c in bits[c] == (condition.value >> m) & 1 }
        }
        let zero: DenseMatrix = [[.one, .zero], [.zero, .zero]], one: DenseMatrix = [[.zero, .zero], [.zero, .one]]
        let lower: DenseMatrix = [[.zero, .one], [.zero, .zero]]
        for instruction in circuit.instructions {
            let q = instruction.qubits
            var next: [(DenseMatrix, [Int], Double)] = []
            for (rho, bits, weight) in branches {
                guard holds(instruction.condition, bits) else {
                    next.append((rho, bits, weight))
                    continue
                }
                switch instruction.operation {
                case .barrier:
                    next.append((rho, bits, weight))
                case .gate(let gate):
                    var out = try ReferenceDensityMatrix.apply(gate: gate, to: rho, on: q, width: n)
                    if let kraus = error(gate.name, q) { out = ReferenceDensityMatrix.apply(kraus, to: out, on: q, width: n) }
                    next.append((out, bits, weight))
                case .reset:
                    var out = ReferenceDensityMatrix.apply([zero, lower], to: rho, on: q, width: n)
                    if let kraus = error("reset", q) { out = ReferenceDensityMatrix.apply(kraus, to: out, on: q, width: n) }
                    next.append((out, bits, weight))
                case .measure:
                    var before = rho
                    if let kraus = error("measure", q) { before = ReferenceDensityMatrix.apply(kraus, to: before, on: q, width: n) }
                    let readout = noise.readoutError(forQubit: q[0])
                    for (outcome, projector) in [(0, zero), (1, one)] {
                        let projected = ReferenceDensityMatrix.apply([projector], to: before, on: q, width: n)
                        let p = (0..<(1 << n)).reduce(0.0) { $0 + projected[$1][$1].real }
                        guard p > 1e-300 else { continue }
                        let normalised = projected.map { row in row.map { $0 / Complex(p, 0) } }
                        for recorded in 0...1 {
                            let a = readout.map { $0.probabilities[outcome][recorded] } ?? (recorded == outcome ? 1 : 0)
                            guard a > 0 else { continue }
                            var b = bits
                            b[instruction.clbits[0]] = recorded
                            next.append((normalised, b, weight * p * a))
                        }
                    }
                }
            }
            branches = next
        }
        for (_, bits, weight) in branches {
            // Qiskit's key: registers last-added first, each with its highest bit first.
            var parts: [String] = []
            var offset = 0
            for register in circuit.classicalRegisters {
                parts.append(String((0..<register.size).reversed().map { bits[offset + $0] == 1 ? "1" : "0" }))
                offset += register.size
            }
            result[parts.reversed().joined(separator: " "), default: 0] += weight
        }
        return result
    }
}

/// Pearson's chi-square test of sampled counts against exact probabilities, with its exact
/// p-value (the regularised upper incomplete gamma function).
public enum ChiSquare {
    /// The statistic, its degrees of freedom and p-value. Outcomes with expected count below 5
    /// are pooled into one cell; an outcome of probability 0 that was observed gives p = 0.
    public static func test(counts: [String: Int], probabilities: [String: Double]) -> (statistic: Double, degrees: Int, pValue: Double) {
        let shots = Double(counts.values.reduce(0, +))
        for (key, count) in counts where count > 0 && (probabilities[key] ?? 0) <= 1e-15 {
            _ = key
            return (.infinity, 0, 0)
        }
        var cells: [(observed: Double, expected: Double)] = []
        var pooled = (observed: 0.0, expected: 0.0)
        for (key, p) in probabilities where p > 0 {
            let expected = p * shots
            let observed = Double(counts[key] ?? 0)
            if expected < 5 {
                pooled.observed += observed
                pooled.expected += expected
            } else {
                cells.append((observed, expected))
            }
        }
        if pooled.expected > 0 { cells.append(pooled) }
        guard cells.count >= 2 else { return (0, 0, 1) }
        let statistic = cells.reduce(0.0) { $0 + ($1.observed - $1.expected) * ($1.observed - $1.expected) / $1.expected }
        let degrees = cells.count - 1
        return (statistic, degrees, upperRegularizedGamma(Double(degrees) / 2, statistic / 2))
    }

    /// Q(a, x) = Γ(a, x)/Γ(a): the series for x < a + 1, Lentz's continued fraction otherwise.
    public static func upperRegularizedGamma(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 1 }
        let logPrefix = -x + a * Foundation.log(x) - Foundation.lgamma(a)
        if x < a + 1 {
            var sum = 1 / a, term = 1 / a, ap = a
            for _ in 0..<100_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return max(0, 1 - sum * Foundation.exp(logPrefix))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<100_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return Foundation.exp(logPrefix) * h
    }
}
