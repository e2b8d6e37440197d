import ComplexModule
import Foundation
import RealModule

/// One operation inside a channel's term, as Qiskit Aer's `QuantumError` holds it: a gate, a
/// Pauli string, a unitary matrix, a set of Kraus operators, or a reset. Qubits are the channel's
/// own (0 ..< channel width).
enum ChannelOperation: Hashable, Sendable {
    /// A named gate with numeric angles (`x`, `z`, `id`, `rx(0.1)`, …).
    case gate(Gate, qubits: [Int])
    /// Aer's `pauli` instruction: the label's last character acts on `qubits[0]`.
    case pauli(String, qubits: [Int])
    /// A unitary matrix (bit j of its index on `qubits[j]`).
    case unitary(SmallMatrix, qubits: [Int])
    /// Kraus operators (bit j of their index on `qubits[j]`), Σ K†K = I.
    case kraus([SmallMatrix], qubits: [Int])
    /// Reset to |0⟩: Kraus operators |0⟩⟨0| and |0⟩⟨1|.
    case reset(qubit: Int)

    var qubits: [Int] {
        switch self {
        case .gate(_, let q), .pauli(_, let q), .unitary(_, let q), .kraus(_, let q): q
        case .reset(let q): [q]
        }
    }

    /// The operation's Kraus operators on its own qubits (one for a unitary).
    var krausOperators: [SmallMatrix] {
        switch self {
        case .gate(let gate, _):
            let values = gate.parameters.map { $0.value ?? 0 }
            return [GateDefinitions.structure(of: gate, values: values).fullMatrix()]
        case .pauli(let label, _):
            return [QuantumChannel.pauliMatrix(label)]
        case .unitary(let m, _):
            return [m]
        case .kraus(let ops, _):
            return ops
        case .reset:
            let one = Complex<Double>.one, zero = Complex<Double>.zero
            return [SmallMatrix(dimension: 2, entries: [one, zero, zero, zero]),
                    SmallMatrix(dimension: 2, entries: [zero, one, zero, zero])]
        }
    }

    /// Whether the operation is one unitary (a gate, a Pauli string, a matrix).
    var isUnitary: Bool {
        switch self {
        case .gate, .pauli, .unitary: true
        case .kraus(let ops, _): ops.count == 1 && ops[0].unitarityDeviation() <= 1e-10
        case .reset: false
        }
    }
}

/// One term of a channel: with `probability`, the operations run in order. Its Kraus operators on
/// the channel's qubits are the products of its operations' Kraus operators.
struct ChannelTerm: Hashable, Sendable {
    let probability: Double
    let operations: [ChannelOperation]
    /// Products of the operations' Kraus operators, on the channel's qubits (not scaled by the probability).
    let kraus: [SmallMatrix]
    /// Whether the term is one unitary: its branch probability never depends on the state.
    let isUnitary: Bool

    init(probability: Double, operations: [ChannelOperation], width: Int) {
        self.probability = probability
        self.operations = operations
        var products = [SmallMatrix.identity(1 << width)]
        for operation in operations {
            let embedded = operation.krausOperators.map { SmallMatrix.embedding($0, on: operation.qubits, width: width) }
            products = products.flatMap { product in embedded.map { $0 * product } }
        }
        kraus = products
        isUnitary = operations.allSatisfy(\.isUnitary)
    }
}

/// A quantum channel (a completely positive, trace-preserving map) on 1 to 3 qubits, held as Qiskit
/// Aer holds a `QuantumError`: a mixture of terms, each a short sequence of operations (gates,
/// Pauli strings, unitaries, Kraus maps, resets) taken with a fixed probability.
///
/// E(ρ) = Σᵢ pᵢ Σⱼ Kᵢⱼ ρ Kᵢⱼ†, with Σⱼ Kᵢⱼ†Kᵢⱼ = I in every term and Σᵢ pᵢ = 1. The mixture
/// structure is kept because trajectories draw a unitary term without looking at the state.
///
/// Definitions and parameter ranges are Aer's (`qiskit_aer.noise.errors.standard_errors`), so a
/// channel built here equals the one Aer builds from the same numbers. Qubit order is Qiskit's:
/// bit j of a matrix index is the channel's qubit j.
///
/// ```swift
/// let noise = try QuantumChannel.depolarizing(0.01, qubits: 2)
///     .composed(with: try .thermalRelaxation(t1: 50e-6, t2: 70e-6, time: 300e-9)
///         .expanded(with: .thermalRelaxation(t1: 50e-6, t2: 70e-6, time: 300e-9)))
/// ```
public struct QuantumChannel: Hashable, Sendable, CustomStringConvertible {
    /// The number of qubits the channel acts on (1…3, or more for tensor products built here).
    public let numQubits: Int
    /// The mixture's terms.
    let terms: [ChannelTerm]

    /// The tolerance on Σ K†K = I and on probabilities summing to 1 (Aer's and Qiskit's default atol).
    public static let tolerance = 1e-8

    init(numQubits: Int, terms: [ChannelTerm]) {
        self.numQubits = numQubits
        self.terms = terms
    }

    init(numQubits: Int, mixture: [(Double, [ChannelOperation])]) {
        self.init(numQubits: numQubits, terms: mixture.map { ChannelTerm(probability: $0.0, operations: $0.1, width: numQubits) })
    }

    // MARK: - Standard channels

    /// The identity channel on `qubits` qubits.
    public static func identity(qubits: Int = 1) -> QuantumChannel {
        QuantumChannel(numQubits: qubits, mixture: [(1, [.pauli(String(repeating: "I", count: qubits), qubits: Array(0..<qubits))])])
    }

    /// The n-qubit depolarizing channel, Aer's `depolarizing_error(λ, n)`:
    /// E(ρ) = (1 − λ)·ρ + λ·Tr(ρ)·I/2ⁿ, as a mixture of the 4ⁿ Pauli strings (identity with
    /// probability 1 − λ(4ⁿ − 1)/4ⁿ, each other string λ/4ⁿ).
    /// - Parameters:
    ///   - lambda: the depolarizing parameter, 0 ≤ λ ≤ 4ⁿ/(4ⁿ − 1).
    ///   - qubits: n, 1…3.
    /// - Returns: the channel.
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)``.
    public static func depolarizing(_ lambda: Double, qubits: Int = 1) throws -> QuantumChannel {
        guard (1...3).contains(qubits) else {
            throw NoiseError.invalidParameter(name: "depolarizing qubits", received: "\(qubits)", valid: "1...3")
        }
        let terms = Double(1 << (2 * qubits))
        let maximum = terms / (terms - 1)
        guard lambda.isFinite, lambda >= 0, lambda <= maximum + 1e-15 else {
            throw NoiseError.invalidParameter(name: "depolarizing parameter λ", received: "\(lambda)",
                                              valid: "0...\(String(format: "%.6g", maximum)) (4^n/(4^n−1) for \(qubits) qubit\(qubits == 1 ? "" : "s"))")
        }
        let labels = pauliLabels(qubits)
        var mixture: [(Double, [ChannelOperation])] = []
        for label in labels {
            let p = label.allSatisfy({ $0 == "I" }) ? 1 - lambda * (terms - 1) / terms : lambda / terms
            if p > 0 || label.allSatisfy({ $0 == "I" }) { mixture.append((max(0, p), [.pauli(label, qubits: Array(0..<qubits))])) }
        }
        return QuantumChannel(numQubits: qubits, mixture: mixture)
    }

    /// A Pauli channel, Aer's `pauli_error`: E(ρ) = Σ pₖ Pₖ ρ Pₖ.
    /// - Parameter terms: (label, probability) pairs; labels over `IXYZ` of one length (1…3, the
    ///   last character on qubit 0); probabilities ≥ 0 summing to 1.
    /// - Returns: the channel.
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)`` for a bad label,
    ///   ``NoiseError/invalidProbabilities(subject:received:)``.
    public static func pauli(_ terms: [(String, Double)]) throws -> QuantumChannel {
        guard let width = terms.first?.0.count, (1...3).contains(width) else {
            throw NoiseError.invalidParameter(name: "Pauli channel", received: terms.isEmpty ? "no terms" : "'\(terms[0].0)'",
                                              valid: "labels of 1 to 3 characters over I, X, Y, Z")
        }
        for (label, _) in terms where label.count != width || !label.allSatisfy({ "IXYZ".contains($0) }) {
            throw NoiseError.invalidParameter(name: "Pauli label", received: "'\(label)'",
                                              valid: "\(width) characters over I, X, Y, Z (every label as long as the first)")
        }
        let probabilities = try checkedProbabilities(terms.map(\.1), subject: "Pauli channel")
        return QuantumChannel(numQubits: width, mixture: zip(terms, probabilities).map { ($1, [.pauli($0.0, qubits: Array(0..<width))]) })
    }

    /// Combined amplitude and phase damping, Aer's `phase_amplitude_damping_error`: Kraus
    /// operators √(1−p)·[[1, 0], [0, √(1−a−b)]], √(1−p)·√a·|0⟩⟨1|, √(1−p)·√b·|1⟩⟨1| and their
    /// mirror images toward |1⟩ with weight √p (p the excited-state population; zero operators dropped).
    /// - Parameters:
    ///   - amplitude: a, the amplitude-damping parameter, in [0, 1].
    ///   - phase: b, the phase-damping parameter, in [0, 1], with a + b ≤ 1.
    ///   - excitedStatePopulation: p, the population of |1⟩ at equilibrium, in [0, 1].
    /// - Returns: the channel.
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)``.
    public static func phaseAmplitudeDamping(amplitude: Double, phase: Double, excitedStatePopulation: Double = 0) throws -> QuantumChannel {
        try checkUnit(amplitude, "amplitude damping parameter")
        try checkUnit(phase, "phase damping parameter")
        try checkUnit(excitedStatePopulation, "excited-state population")
        guard amplitude + phase <= 1 + 1e-15 else {
            throw NoiseError.invalidParameter(name: "amplitude + phase damping", received: "\(amplitude + phase)", valid: "at most 1")
        }
        let c0 = (1 - excitedStatePopulation).squareRoot(), c1 = excitedStatePopulation.squareRoot()
        let keep = max(0, 1 - amplitude - phase).squareRoot()
        let a = amplitude.squareRoot(), b = phase.squareRoot()
        let candidates: [[Double]] = [
            [c0, 0, 0, c0 * keep], [0, c0 * a, 0, 0], [0, 0, 0, c0 * b],
            [c1 * keep, 0, 0, c1], [0, 0, c1 * a, 0], [c1 * b, 0, 0, 0],
        ]
        let ops = candidates.filter { $0.reduce(0) { $0 + $1 * $1 } > 1e-20 }.map {
            SmallMatrix(dimension: 2, entries: $0.map { Complex($0, 0) })
        }
        return QuantumChannel(numQubits: 1, mixture: [(1, [.kraus(ops, qubits: [0])])])
    }

    /// Amplitude damping toward |0⟩ (or the thermal state of population p), Aer's
    /// `amplitude_damping_error(γ, p)`.
    /// - Parameters:
    ///   - gamma: γ in [0, 1], the probability that |1⟩ decays.
    ///   - excitedStatePopulation: p in [0, 1].
    /// - Returns: the channel.
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)``.
    public static func amplitudeDamping(_ gamma: Double, excitedStatePopulation: Double = 0) throws -> QuantumChannel {
        try phaseAmplitudeDamping(amplitude: gamma, phase: 0, excitedStatePopulation: excitedStatePopulation)
    }

    /// Phase damping, Aer's `phase_damping_error(λ)`: the off-diagonal entries shrink by √(1 − λ).
    /// - Parameter lambda: λ in [0, 1].
    /// - Returns: the channel.
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)``.
    public static func phaseDamping(_ lambda: Double) throws -> QuantumChannel {
        try phaseAmplitudeDamping(amplitude: 0, phase: lambda, excitedStatePopulation: 0)
    }

    /// Thermal relaxation over a gate of duration t, Aer's `thermal_relaxation_error(T1, T2, t, p)`.
    ///
    /// With r = 1 − e^(−t/T1): |1⟩ decays to |0⟩ with probability (1 − p)·r, |0⟩ is excited with
    /// probability p·r, and off-diagonal entries shrink by e^(−t/T2). For T2 ≤ T1 this is Aer's
    /// mixture of identity, Z (probability (1 − r)(1 − e^(−t(1/T2 − 1/T1)))/2), reset to |0⟩ and
    /// reset to |1⟩; for T1 < T2 ≤ 2·T1 it is a Kraus map (the same channel as Aer's, which it
    /// builds from the Choi matrix).
    /// - Parameters:
    ///   - t1: T1 > 0 (`.infinity` for none), in any unit, the same as the others.
    ///   - t2: T2 > 0, at most 2·T1.
    ///   - time: the gate's duration t ≥ 0.
    ///   - excitedStatePopulation: p in [0, 1].
    /// - Returns: the channel (the identity when t = 0).
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)``.
    public static func thermalRelaxation(t1: Double, t2: Double, time: Double, excitedStatePopulation: Double = 0) throws -> QuantumChannel {
        guard t1 > 0, !t1.isNaN else { throw NoiseError.invalidParameter(name: "T1", received: "\(t1)", valid: "greater than 0") }
        guard t2 > 0, !t2.isNaN else { throw NoiseError.invalidParameter(name: "T2", received: "\(t2)", valid: "greater than 0") }
        guard t2 <= 2 * t1 else {
            throw NoiseError.invalidParameter(name: "T2", received: "\(t2)", valid: "at most 2·T1 = \(2 * t1) (physical relaxation needs T2 ≤ 2·T1)")
        }
        guard time >= 0, time.isFinite else {
            throw NoiseError.invalidParameter(name: "gate time", received: "\(time)", valid: "0 or more (finite)")
        }
        try checkUnit(excitedStatePopulation, "excited-state population")
        if time == 0 || (t1.isInfinite && t2.isInfinite) {
            return QuantumChannel(numQubits: 1, mixture: [(1, [.gate(Gate(kind: .id), qubits: [0])])])
        }
        let p = excitedStatePopulation
        let rate1 = t1.isInfinite ? 0 : 1 / t1
        let rate2 = t2.isInfinite ? 0 : 1 / t2
        let reset = 1 - Foundation.exp(-time * rate1)
        let coherence = Foundation.exp(-time * rate2)
        if t2 > t1 {
            // E(ρ)₀₀ = a·ρ₀₀ + (1−p)r·ρ₁₁, E(ρ)₁₁ = p·r·ρ₀₀ + d·ρ₁₁, E(ρ)₀₁ = c·ρ₀₁ with a = 1 − p·r,
            // d = 1 − (1−p)·r: two off-diagonal Kraus operators and two diagonal ones from the
            // eigen-decomposition of the Gram matrix [[a, c], [c, d]] of their diagonals.
            let a = 1 - p * reset, d = 1 - (1 - p) * reset
            var ops: [SmallMatrix] = []
            let half = (a + d) / 2, spread = (((a - d) / 2) * ((a - d) / 2) + coherence * coherence).squareRoot()
            if coherence == 0 {
                ops = [.diagonal([Complex(a.squareRoot(), 0), .zero]), .diagonal([.zero, Complex(d.squareRoot(), 0)])]
            }
            for lambda in [half + spread, half - spread] where lambda > 1e-16 && coherence != 0 {
                // (c, λ − a) and (λ − d, c) are both eigenvectors; the longer one is accurate.
                var v0 = coherence, v1 = lambda - a
                if (lambda - d) * (lambda - d) > v1 * v1 { (v0, v1) = (lambda - d, coherence) }
                let norm = (v0 * v0 + v1 * v1).squareRoot()
                guard norm > 0 else { continue }
                let s = lambda.squareRoot() / norm
                ops.append(.diagonal([Complex(s * v0, 0), Complex(s * v1, 0)]))
            }
            let down = ((1 - p) * reset).squareRoot(), up = (p * reset).squareRoot()
            if down > 0 { ops.append(SmallMatrix(dimension: 2, entries: [.zero, Complex(down, 0), .zero, .zero])) }
            if up > 0 { ops.append(SmallMatrix(dimension: 2, entries: [.zero, .zero, Complex(up, 0), .zero])) }
            return QuantumChannel(numQubits: 1, mixture: [(1, [.kraus(ops, qubits: [0])])])
        }
        let reset0 = (1 - p) * reset, reset1 = p * reset
        let z = (1 - reset) * (1 - Foundation.exp(-time * (rate2 - rate1))) / 2
        var mixture: [(Double, [ChannelOperation])] = [(1 - z - reset0 - reset1, [.gate(Gate(kind: .id), qubits: [0])])]
        if z > 0 { mixture.append((z, [.gate(Gate(kind: .z), qubits: [0])])) }
        if reset0 > 0 { mixture.append((reset0, [.reset(qubit: 0)])) }
        if reset1 > 0 { mixture.append((reset1, [.reset(qubit: 0), .gate(Gate(kind: .x), qubits: [0])])) }
        return QuantumChannel(numQubits: 1, mixture: mixture)
    }

    /// A reset error, Aer's `reset_error(p0, p1)`: the qubit is reset to |0⟩ with probability p0,
    /// to |1⟩ with probability p1, and left alone otherwise.
    /// - Parameters:
    ///   - toZero: p0 ≥ 0.
    ///   - toOne: p1 ≥ 0, with p0 + p1 ≤ 1.
    /// - Returns: the channel.
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)``.
    public static func reset(toZero: Double, toOne: Double = 0) throws -> QuantumChannel {
        try checkUnit(toZero, "reset probability p0")
        try checkUnit(toOne, "reset probability p1")
        guard toZero + toOne <= 1 + 1e-15 else {
            throw NoiseError.invalidParameter(name: "p0 + p1", received: "\(toZero + toOne)", valid: "at most 1")
        }
        var mixture: [(Double, [ChannelOperation])] = [(max(0, 1 - toZero - toOne), [.gate(Gate(kind: .id), qubits: [0])])]
        if toZero > 0 { mixture.append((toZero, [.reset(qubit: 0)])) }
        if toOne > 0 { mixture.append((toOne, [.reset(qubit: 0), .gate(Gate(kind: .x), qubits: [0])])) }
        return QuantumChannel(numQubits: 1, mixture: mixture)
    }

    /// A coherent error, Aer's `coherent_unitary_error(U)`: E(ρ) = U ρ U†.
    /// - Parameter matrix: a unitary on 1…3 qubits, row-major 2^k × 2^k (bit j of the index on qubit j).
    /// - Returns: the channel.
    /// - Throws: ``NoiseError/invalidKraus(_:)`` for a bad size, ``QuantumError/notUnitary(dimension:deviation:)``.
    public static func unitary(_ matrix: [Complex<Double>]) throws -> QuantumChannel {
        let m = try squareMatrix(matrix, what: "the unitary")
        let deviation = m.unitarityDeviation()
        guard deviation <= 1e-10 else { throw QuantumError.notUnitary(dimension: m.dimension, deviation: deviation) }
        let k = m.dimension.trailingZeroBitCount
        return QuantumChannel(numQubits: k, mixture: [(1, [.unitary(m, qubits: Array(0..<k))])])
    }

    /// A coherent over-rotation about a Pauli string: U = exp(−i·θ/2·P), the error of a gate that
    /// rotates θ too far (`"X"` for rx, `"ZZ"` for rzz).
    /// - Parameters:
    ///   - pauli: a label of 1…3 characters over `IXYZ` (the last on qubit 0).
    ///   - angle: θ in radians.
    /// - Returns: the channel.
    /// - Throws: ``NoiseError/invalidParameter(name:received:valid:)``.
    public static func overRotation(about pauli: String, angle: Double) throws -> QuantumChannel {
        guard (1...3).contains(pauli.count), pauli.allSatisfy({ "IXYZ".contains($0) }) else {
            throw NoiseError.invalidParameter(name: "over-rotation axis", received: "'\(pauli)'", valid: "1 to 3 characters over I, X, Y, Z")
        }
        guard angle.isFinite else { throw NoiseError.invalidParameter(name: "over-rotation angle", received: "\(angle)", valid: "a finite angle") }
        let p = pauliMatrix(pauli)
        let c = Complex<Double>(Foundation.cos(angle / 2), 0), s = Complex<Double>(0, -Foundation.sin(angle / 2))
        var u = SmallMatrix.identity(p.dimension).scaled(by: c)
        for i in u.entries.indices { u.entries[i] = u.entries[i] + s * p.entries[i] }
        return QuantumChannel(numQubits: pauli.count, mixture: [(1, [.unitary(u, qubits: Array(0..<pauli.count))])])
    }

    /// A general channel from its Kraus operators, Aer's `kraus_error`: E(ρ) = Σ K ρ K†.
    /// - Parameter operators: row-major 2^k × 2^k matrices (k = 1…3, bit j of the index on qubit
    ///   j) with Σ K†K = I within ``tolerance``.
    /// - Returns: the channel.
    /// - Throws: ``NoiseError/invalidKraus(_:)`` for a bad shape, ``NoiseError/incompleteKraus(deviation:tolerance:)``.
    public static func kraus(_ operators: [[Complex<Double>]]) throws -> QuantumChannel {
        guard !operators.isEmpty else { throw NoiseError.invalidKraus("a Kraus map needs at least one operator; received none") }
        let matrices = try operators.map { try squareMatrix($0, what: "a Kraus operator") }
        let d = matrices[0].dimension
        guard matrices.allSatisfy({ $0.dimension == d }) else {
            throw NoiseError.invalidKraus("Kraus operators must all have one size; received sizes \(matrices.map { "\($0.dimension)×\($0.dimension)" })")
        }
        try checkComplete(matrices)
        let k = d.trailingZeroBitCount
        return QuantumChannel(numQubits: k, mixture: [(1, [.kraus(matrices, qubits: Array(0..<k))])])
    }

    /// A mixture: with probability pᵢ the channel Eᵢ (all of one width).
    /// - Parameter terms: (probability, channel) pairs; probabilities ≥ 0 summing to 1.
    /// - Returns: the channel Σ pᵢ Eᵢ.
    /// - Throws: ``NoiseError/invalidProbabilities(subject:received:)``, ``NoiseError/widthMismatch(subject:received:expected:)``.
    public static func mixture(_ terms: [(probability: Double, channel: QuantumChannel)]) throws -> QuantumChannel {
        guard let width = terms.first?.channel.numQubits else {
            throw NoiseError.invalidProbabilities(subject: "mixture", received: [])
        }
        for t in terms where t.channel.numQubits != width {
            throw NoiseError.widthMismatch(subject: "mixture", received: t.channel.numQubits, expected: width)
        }
        let probabilities = try checkedProbabilities(terms.map(\.probability), subject: "mixture")
        var flat: [ChannelTerm] = []
        for (p, t) in zip(probabilities, terms) {
            for term in t.channel.terms {
                flat.append(ChannelTerm(probability: p * term.probability, operations: term.operations, width: width))
            }
        }
        return QuantumChannel(numQubits: width, terms: flat)
    }

    // MARK: - Combining

    /// This channel followed by `next` on the same qubits (Aer's `compose`): every pair of terms
    /// becomes one term with the product of their probabilities.
    /// - Parameter next: a channel of the same width.
    /// - Returns: next ∘ self.
    /// - Throws: ``NoiseError/widthMismatch(subject:received:expected:)``.
    public func composed(with next: QuantumChannel) throws -> QuantumChannel {
        guard next.numQubits == numQubits else {
            throw NoiseError.widthMismatch(subject: "composing channels", received: next.numQubits, expected: numQubits)
        }
        var result: [ChannelTerm] = []
        for a in terms {
            for b in next.terms {
                result.append(ChannelTerm(probability: a.probability * b.probability, operations: a.operations + b.operations,
                                          width: numQubits))
            }
        }
        return QuantumChannel(numQubits: numQubits, terms: result)
    }

    /// The tensor product with `other` on the qubits above this channel's (Aer's `expand`):
    /// this channel on qubits 0 ..< k, `other` on k ..< k + m.
    /// - Parameter other: the channel for the higher qubits.
    /// - Returns: self ⊗ other, on k + m qubits.
    public func expanded(with other: QuantumChannel) -> QuantumChannel {
        let width = numQubits + other.numQubits
        var result: [ChannelTerm] = []
        for a in terms {
            for b in other.terms {
                let shifted = b.operations.map { $0.shifted(by: numQubits) }
                result.append(ChannelTerm(probability: a.probability * b.probability, operations: a.operations + shifted, width: width))
            }
        }
        return QuantumChannel(numQubits: width, terms: result)
    }

    // MARK: - Representations

    /// The Kraus operators of the whole channel, √pᵢ·Kᵢⱼ for every term and operator, each
    /// row-major 2^k × 2^k.
    public var krausOperators: [[Complex<Double>]] {
        terms.flatMap { term in term.kraus.map { k in k.scaled(by: Complex(term.probability.squareRoot(), 0)).entries } }
    }

    /// The superoperator S = Σ pᵢ Σⱼ conj(Kᵢⱼ) ⊗ Kᵢⱼ acting on vec(ρ), where entry ρ[r][c] sits at
    /// index r + c·2^k (the row's bits low, the column's high): vec(E(ρ)) = S·vec(ρ).
    /// - Returns: the 4^k × 4^k matrix, row-major.
    public var superoperator: [Complex<Double>] { superoperatorMatrix().entries }

    func superoperatorMatrix() -> SmallMatrix {
        let d = 1 << (2 * numQubits)
        var total = SmallMatrix(dimension: d, entries: Array(repeating: .zero, count: d * d))
        for term in terms where term.probability > 0 {
            for k in term.kraus {
                let s = SmallMatrix.kron(k.conjugated(), k)
                for i in total.entries.indices where s.entries[i] != .zero {
                    total.entries[i] = total.entries[i] + s.entries[i] * Complex(term.probability, 0)
                }
            }
        }
        return total
    }

    /// Whether every term is one unitary (a mixture of unitaries: Pauli, depolarizing and
    /// coherent errors), so trajectories draw every branch without reading the state.
    public var isUnitaryMixture: Bool { terms.allSatisfy(\.isUnitary) }

    /// `2-qubit channel: 16 terms (16 unitary), largest probability 0.990625`.
    public var description: String {
        let unitary = terms.filter(\.isUnitary).count
        let largest = terms.map(\.probability).max() ?? 0
        return "\(numQubits)-qubit channel: \(terms.count) term\(terms.count == 1 ? "" : "s") (\(unitary) unitary), "
            + "largest probability \(String(format: "%.6g", largest))"
    }

    // MARK: - Helpers

    /// The 16 (or 4, 64) Pauli labels of n qubits in Aer's order: I, X, Y, Z with the first character slowest.
    static func pauliLabels(_ n: Int) -> [String] {
        var labels = [""]
        for _ in 0..<n { labels = labels.flatMap { prefix in ["I", "X", "Y", "Z"].map { prefix + $0 } } }
        return labels
    }

    /// The matrix of a Pauli label (last character on bit 0); a leading phase (`-`, `i`, `-i`) is ignored.
    static func pauliMatrix(_ label: String) -> SmallMatrix {
        var result = SmallMatrix.identity(1)
        for ch in label where "IXYZ".contains(ch) {
            let sigma: SmallMatrix = switch ch {
            case "X": GateDefinitions.pauliX
            case "Y": GateDefinitions.pauliY
            case "Z": GateDefinitions.pauliZ
            default: .identity(2)
            }
            result = SmallMatrix.kron(result, sigma)
        }
        return result
    }

    static func checkUnit(_ value: Double, _ name: String) throws {
        guard value >= 0, value <= 1 else { throw NoiseError.invalidParameter(name: name, received: "\(value)", valid: "0...1") }
    }

    /// Probabilities in [0, 1] (entries down to −tolerance clamped to 0) summing to 1 within the tolerance.
    static func checkedProbabilities(_ values: [Double], subject: String) throws -> [Double] {
        let sum = values.reduce(0, +)
        guard !values.isEmpty, values.allSatisfy({ $0.isFinite && $0 >= -tolerance && $0 <= 1 + tolerance }),
              abs(sum - 1) <= tolerance
        else { throw NoiseError.invalidProbabilities(subject: subject, received: values) }
        return values.map { min(1, max(0, $0)) }
    }

    /// A row-major matrix of 4^k entries (k = 1…3) with finite entries.
    static func squareMatrix(_ entries: [Complex<Double>], what: String) throws -> SmallMatrix {
        let d = Int(Double(entries.count).squareRoot().rounded())
        guard d >= 2, d <= 8, d * d == entries.count, d & (d - 1) == 0 else {
            throw NoiseError.invalidKraus("\(what) must be 2^k × 2^k with k = 1...3 (4, 16 or 64 entries); received \(entries.count) entries")
        }
        guard entries.allSatisfy({ $0.real.isFinite && $0.imaginary.isFinite }) else {
            throw NoiseError.invalidKraus("\(what) has an entry that is not a finite number")
        }
        return SmallMatrix(dimension: d, entries: entries)
    }

    /// Throws unless Σ K†K = I within ``tolerance`` (largest entry of the difference).
    static func checkComplete(_ operators: [SmallMatrix]) throws {
        guard let d = operators.first?.dimension else { return }
        var sum = SmallMatrix(dimension: d, entries: Array(repeating: .zero, count: d * d))
        for k in operators {
            let p = k.adjoint() * k
            for i in sum.entries.indices { sum.entries[i] = sum.entries[i] + p.entries[i] }
        }
        var worst = 0.0
        for r in 0..<d {
            for c in 0..<d { worst = max(worst, (sum[r, c] - (r == c ? .one : .zero)).length) }
        }
        guard worst <= tolerance else { throw NoiseError.incompleteKraus(deviation: worst, tolerance: tolerance) }
    }
}

extension ChannelOperation {
    /// The same operation with every qubit moved up by `offset`.
    func shifted(by offset: Int) -> ChannelOperation {
        switch self {
        case .gate(let g, let q): .gate(g, qubits: q.map { $0 + offset })
        case .pauli(let l, let q): .pauli(l, qubits: q.map { $0 + offset })
        case .unitary(let m, let q): .unitary(m, qubits: q.map { $0 + offset })
        case .kraus(let ops, let q): .kraus(ops, qubits: q.map { $0 + offset })
        case .reset(let q): .reset(qubit: q + offset)
        }
    }
}

extension SmallMatrix {
    /// The entrywise complex conjugate.
    func conjugated() -> SmallMatrix {
        SmallMatrix(dimension: dimension, entries: entries.map { $0.conjugate })
    }
}
