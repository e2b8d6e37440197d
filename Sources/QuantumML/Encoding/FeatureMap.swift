import Foundation
import Quantum

/// How the qubit blocks of a multi-qubit Pauli term are chosen, as in Qiskit's `get_entangler_map`.
public enum Entanglement: String, Codable, Sendable, CaseIterable {
    /// Every combination of k qubits, in lexicographic order.
    case full
    /// Neighbours (0…k−1), (1…k), …
    case linear
    /// ``linear`` in reverse order.
    case reverseLinear = "reverse_linear"
    /// ``linear`` preceded by the blocks that wrap around from the last qubit to the first.
    case circular

    /// The qubit blocks of size `k` on `n` qubits, in Qiskit's order.
    func blocks(size k: Int, qubits n: Int) -> [[Int]] {
        if k == 1 { return self == .reverseLinear ? (0..<n).reversed().map { [$0] } : (0..<n).map { [$0] } }
        let linear = (0...(n - k)).map { Array($0..<($0 + k)) }
        switch self {
        case .full:
            return combinations(n, k)
        case .linear:
            return linear
        case .reverseLinear:
            return linear.reversed()
        case .circular:
            if n == k { return linear }
            let wrap = (0..<(k - 1)).map { i in (0..<k).map { j in (n - k + 1 + i + j) % n } }
            return wrap + linear
        }
    }

    private func combinations(_ n: Int, _ k: Int) -> [[Int]] {
        var out: [[Int]] = []
        var current: [Int] = []
        func extend(from start: Int) {
            if current.count == k { out.append(current); return }
            guard start < n else { return }
            for i in start..<n {
                current.append(i)
                extend(from: i + 1)
                current.removeLast()
            }
        }
        extend(from: 0)
        return out
    }
}

/// The rotation axis of ``FeatureMap/angle(features:rotation:)``.
public enum RotationAxis: String, Codable, Sendable, CaseIterable {
    /// `rx(xᵢ)` on qubit i (PennyLane's `AngleEmbedding` default).
    case x
    /// `ry(xᵢ)` on qubit i.
    case y
    /// `rz(xᵢ)` on qubit i, after a Hadamard (otherwise the state would not depend on x).
    case z
}

/// A data-encoding circuit: how a feature vector becomes a quantum state.
///
/// The Pauli maps follow Qiskit's definitions exactly (`pauli_feature_map`, `zz_feature_map`,
/// `z_feature_map`, Qiskit 2.x): per repetition a Hadamard on every qubit, then for each Pauli
/// string P and each qubit block S of the entanglement pattern, `exp(−i·α·φ_S(x)·P/2)` up to global phase,
/// built from basis changes, a CX chain and `p(α·φ_S(x))`, with φ_S(x) = x_i for one qubit and
/// ∏_{j∈S}(π − x_j) otherwise. As in Qiskit, the last character of a Pauli label acts on the
/// block's first qubit.
public struct FeatureMap: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The encodings Verdant knows.
    public enum Kind: Sendable, Equatable, Codable {
        /// Qiskit's `PauliFeatureMap`: the Pauli labels (characters I, X, Y, Z), the entanglement, α.
        case pauli(paulis: [String], entanglement: Entanglement, alpha: Double)
        /// One rotation per feature: qubit i gets a rotation by xᵢ about the axis.
        case angle(rotation: RotationAxis)
        /// The feature vector, normalised and padded with zeros to 2^n, as the amplitudes (PennyLane's
        /// `AmplitudeEmbedding(normalize=True, pad_with=0)`); no gates.
        case amplitude
    }

    /// The encoding.
    public let kind: Kind
    /// The number of features a sample must have.
    public let featureCount: Int
    /// Repetitions of the Pauli layers (1 for angle and amplitude encoding).
    public let reps: Int

    /// The largest qubit count a feature map may use (the kernel holds one state per sample).
    public static let maximumQubits = 26

    /// Qiskit's `zz_feature_map`: Paulis Z and ZZ.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for fewer than 1 feature, too many qubits,
    ///   reps < 1 or a non-finite α.
    public static func zz(features: Int, reps: Int = 2, entanglement: Entanglement = .full, alpha: Double = 2) throws -> FeatureMap {
        try pauli(features: features, paulis: ["Z", "ZZ"], reps: reps, entanglement: entanglement, alpha: alpha)
    }

    /// Qiskit's `z_feature_map`: Pauli Z only (no entanglement).
    /// - Throws: as ``zz(features:reps:entanglement:alpha:)``.
    public static func z(features: Int, reps: Int = 2, alpha: Double = 2) throws -> FeatureMap {
        try pauli(features: features, paulis: ["Z"], reps: reps, entanglement: .full, alpha: alpha)
    }

    /// Qiskit's `pauli_feature_map` with any Pauli labels.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for an empty list, a label with characters
    ///   other than I, X, Y, Z, a label longer than the feature count, reps < 1 or a non-finite α.
    public static func pauli(features: Int, paulis: [String], reps: Int = 2, entanglement: Entanglement = .full,
                             alpha: Double = 2) throws -> FeatureMap
    {
        try checkShape(features: features, reps: reps)
        guard alpha.isFinite else { throw QuantumMLError.invalidArgument(argument: "alpha", received: "\(alpha)", valid: "finite") }
        guard !paulis.isEmpty else { throw QuantumMLError.invalidArgument(argument: "the Pauli labels", received: "none", valid: "at least one Pauli label, such as \"Z\" or \"ZZ\"") }
        for label in paulis {
            guard !label.isEmpty, label.allSatisfy({ "IXYZ".contains($0) }) else {
                throw QuantumMLError.invalidArgument(argument: "a Pauli label", received: "\"\(label)\"", valid: "made of the characters I, X, Y and Z")
            }
            guard label.count <= features else {
                throw QuantumMLError.invalidArgument(argument: "Pauli label \"\(label)\"", received: "\(label.count) qubits", valid: "at most \(features) qubits, as the map has")
            }
        }
        return FeatureMap(kind: .pauli(paulis: paulis, entanglement: entanglement, alpha: alpha), featureCount: features, reps: reps)
    }

    /// Angle encoding: one rotation per feature.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for fewer than 1 feature or too many qubits.
    public static func angle(features: Int, rotation: RotationAxis = .x) throws -> FeatureMap {
        try checkShape(features: features, reps: 1)
        return FeatureMap(kind: .angle(rotation: rotation), featureCount: features, reps: 1)
    }

    /// Amplitude encoding on ⌈log₂ features⌉ qubits (at least 1).
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for fewer than 1 feature or too many qubits.
    public static func amplitude(features: Int) throws -> FeatureMap {
        guard features >= 1, features <= 1 << maximumQubits else {
            throw QuantumMLError.invalidArgument(argument: "the feature count of amplitude encoding", received: "\(features)", valid: "1…\(1 << maximumQubits)")
        }
        return FeatureMap(kind: .amplitude, featureCount: features, reps: 1)
    }

    private static func checkShape(features: Int, reps: Int) throws {
        guard features >= 1, features <= maximumQubits else {
            throw QuantumMLError.invalidArgument(argument: "the feature count of a feature map", received: "\(features)", valid: "1…\(maximumQubits) (one qubit each)")
        }
        guard reps >= 1 else { throw QuantumMLError.invalidArgument(argument: "reps", received: "\(reps)", valid: "≥ 1") }
    }

    /// The number of qubits.
    public var numQubits: Int {
        switch kind {
        case .pauli, .angle: featureCount
        case .amplitude: max(1, ceilLog2(featureCount))
        }
    }

    /// A one-line description such as `pauli(Z, ZZ; full; alpha 2) × 2 reps on 4 qubits`.
    public var description: String {
        switch kind {
        case .pauli(let paulis, let entanglement, let alpha):
            let name = paulis == ["Z", "ZZ"] ? "zz" : paulis == ["Z"] ? "z" : "pauli(\(paulis.joined(separator: ", ")))"
            // Entanglement only matters for Paulis on two or more qubits.
            let entangling = paulis.contains { $0.count > 1 } ? "\(entanglement.rawValue) entanglement, " : ""
            return "\(name) feature map, \(plural(reps, "rep")), \(entangling)alpha \(alpha), \(plural(numQubits, "qubit"))"
        case .angle(let rotation):
            return "angle encoding (r\(rotation.rawValue)), \(plural(numQubits, "qubit"))"
        case .amplitude:
            return "amplitude encoding of \(plural(featureCount, "feature")), \(plural(numQubits, "qubit"))"
        }
    }

    /// The circuit with one ``Parameter`` per feature (named `x[0]`, `x[1]`, …), and those parameters.
    ///
    /// Amplitude encoding: sample `row`'s features divided by their Euclidean norm, the first
    /// amplitudes of the state (the rest, up to 2^n, are 0). The sample must not be all zero
    /// (callers check).
    static func normalisedAmplitudes(_ x: Matrix, row: Int) -> [Double] {
        var norm = 0.0
        for j in 0..<x.columns { norm += x[row, j] * x[row, j] }
        let scale = 1 / norm.squareRoot()
        return (0..<x.columns).map { x[row, $0] * scale }
    }

    /// Amplitude encoding has no gate circuit; it returns an empty circuit (use ``state(_:)``).
    public func parameterisedCircuit() -> (circuit: QuantumCircuit, parameters: [Parameter]) {
        let x = (0..<featureCount).map { Parameter("x[\($0)]") }
        var circuit = QuantumCircuit(numQubits: numQubits)
        switch kind {
        case .amplitude:
            break
        case .angle(let rotation):
            for i in 0..<featureCount {
                switch rotation {
                case .x: circuit.rx(x[i], i)
                case .y: circuit.ry(x[i], i)
                case .z:
                    circuit.h(i)
                    circuit.rz(x[i], i)
                }
            }
        case .pauli(let paulis, let entanglement, let alpha):
            for _ in 0..<reps {
                for q in 0..<numQubits { circuit.h(q) }
                for label in paulis {
                    for block in entanglement.blocks(size: label.count, qubits: numQubits) {
                        appendEvolution(label: label, block: block, alpha: alpha, x: x, to: &circuit)
                    }
                }
            }
        }
        return (circuit, x)
    }

    /// exp(−i·α·φ·P/2) on `block` (up to global phase), Qiskit's construction.
    private func appendEvolution(label: String, block: [Int], alpha: Double, x: [Parameter], to circuit: inout QuantumCircuit) {
        // Character k from the right acts on block[k].
        let characters = Array(label.reversed())
        let active = characters.indices.filter { characters[$0] != "I" }
        guard let last = active.last else { return }
        let angle: ParameterExpression
        if block.count == 1 {
            angle = .constant(alpha) * x[block[0]]
        } else {
            var product: ParameterExpression = .constant(alpha)
            for q in block { product = product * (.constant(Double.pi) - x[q]) }
            angle = product
        }
        func basisChange(inverse: Bool) {
            for k in active {
                switch characters[k] {
                case "X": circuit.h(block[k])
                case "Y": circuit.rx(inverse ? -Double.pi / 2 : Double.pi / 2, block[k])
                default: break
                }
            }
        }
        basisChange(inverse: false)
        for a in 0..<(active.count - 1) { circuit.cx(block[active[a]], block[active[a + 1]]) }
        circuit.p(angle, block[last])
        for a in (0..<(active.count - 1)).reversed() { circuit.cx(block[active[a]], block[active[a + 1]]) }
        basisChange(inverse: true)
    }

    /// The circuit with the sample's features bound.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when the sample has the wrong length.
    public func circuit(for sample: [Double]) throws -> QuantumCircuit {
        try checkSample(sample)
        let (circuit, parameters) = parameterisedCircuit()
        return try circuit.bind(Dictionary(uniqueKeysWithValues: zip(parameters, sample)))
    }

    /// Refuses finite features whose encoding overflows a double: a Pauli map's angle
    /// α·∏(π − x_q) over a block of k features is infinite once the features reach about
    /// 1e308^(1/k), and an amplitude encoding's norm once they reach about 1e154. (Such features
    /// come from `--scale none` or from test values far outside the training range.)
    /// - Parameters:
    ///   - x: scaled features, samples × ``featureCount``, every value finite.
    ///   - name: the data's name for the message ("training data", "data").
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` naming the first such sample.
    func checkEncodable(_ x: Matrix, name: String) throws {
        for i in 0..<x.rows {
            var largest = 0.0, squares = 0.0
            for j in 0..<x.columns {
                largest = max(largest, abs(x[i, j]), abs(Double.pi - x[i, j]))
                squares += x[i, j] * x[i, j]
            }
            let overflow: String?
            switch kind {
            case .angle: overflow = nil
            case .amplitude: overflow = squares.isFinite ? nil : "whose norm overflows a double"
            case .pauli(let paulis, _, let alpha):
                let k = min(paulis.map(\.count).max() ?? 1, numQubits)
                overflow = (abs(alpha) * pow(largest, Double(k))).isFinite ? nil
                    : "whose feature-map angle α·∏(π − x) over \(plural(k, "feature")) overflows a double"
            }
            if let overflow {
                throw QuantumMLError.data(location: "\(name), sample \(i) (counting from 0)",
                                          found: "features as large as \(largest) after scaling, \(overflow)",
                                          valid: "features of moderate size: scale them (--scale minmax maps the training range to 0…π), "
                                              + "or drop samples far outside the training range")
            }
        }
    }

    /// For amplitude encoding, throws for the first sample that scaling made zero in every feature
    /// (its norm is 0: it has no direction to encode), naming it by its features as the user wrote
    /// them — the sample's index after a shuffled split would not find it in the file. Nothing for
    /// other maps, or when no sample is all zeros.
    ///
    /// - Parameters:
    ///   - raw: the samples as read, samples × features.
    ///   - scaled: the same samples after `scale`.
    ///   - featureNames: the features' names.
    ///   - data: the data's name for the message ("iris", "the test data").
    ///   - scale: the scaling that made `scaled`.
    /// - Throws: ``QuantumMLError/data(location:found:valid:)``.
    func checkScaledSamples(raw: Matrix, scaled: Matrix, featureNames: [String], data: String, scale: Scaler.Kind) throws {
        guard case .amplitude = kind, raw.rows == scaled.rows, raw.columns == scaled.columns else { return }
        for i in 0..<scaled.rows where (0..<scaled.columns).allSatisfy({ scaled[i, $0] == 0 }) {
            let written = (0..<raw.columns).map { j in "\(j < featureNames.count ? featureNames[j] : "x\(j)") = \(raw[i, j])" }
            let cause = scale == .none ? "" : " after \(scale.rawValue) scaling"
                + (scale == .minmax ? " (minmax maps a sample at every feature's training minimum to 0)" : "")
            throw QuantumMLError.data(location: data, found: "the sample with \(written.joined(separator: ", ")) is 0 in every feature\(cause)",
                                      valid: "amplitude encoding normalises each sample, and an all-zero sample has no direction: "
                                          + (scale == .minmax ? "use --scale standard or none, or drop the sample" : "drop the sample"))
        }
    }

    func checkSample(_ sample: [Double]) throws {
        guard sample.count == featureCount else {
            throw QuantumMLError.shapeMismatch(subject: "the sample", received: "\(sample.count) features", expected: "\(featureCount), as the feature map takes")
        }
    }
}

/// ⌈log₂ n⌉ for n ≥ 1.
func ceilLog2(_ n: Int) -> Int {
    var q = 0
    while (1 << q) < n { q += 1 }
    return q
}

/// "1 qubit", "2 qubits".
func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
