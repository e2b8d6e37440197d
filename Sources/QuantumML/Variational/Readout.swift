import Foundation
import Quantum

/// How a variational model turns the measured state into class scores or a value.
///
/// Without the hybrid linear layer:
/// - `zExpectations`: class c gets the score s·⟨Z_c⟩ (qubit c, so C classes need C ≤ qubits),
///   probabilities softmax(s·⟨Z⟩), loss softmax cross-entropy. The fixed scale s =
///   ``Readout/scoreScale`` = 4 lets a class reach probability ≈ 0.9997 against one other class
///   (⟨Z⟩ = ±1) instead of the 0.88 that s = 1 allows, so the loss is not stuck near uniform. A
///   regressor predicts ⟨Z_0⟩.
/// - `parity`: binary classification by the parity of the measured bits: p(class 1) = P(odd) =
///   (1 − ⟨Z⊗…⊗Z⟩)/2, loss binary cross-entropy (p clamped to [10⁻¹², 1 − 10⁻¹²] inside the
///   logarithms). A regressor predicts ⟨Z⊗…⊗Z⟩.
///
/// With the hybrid linear layer the readout's expectations e (all n ⟨Z_i⟩ for `zExpectations`,
/// the one ⟨Z⊗…⊗Z⟩ for `parity`) go through scores = W·e + b (any number of classes), then softmax
/// cross-entropy; a regressor predicts w·e + b.
public enum Readout: String, Codable, Sendable, Equatable, CaseIterable {
    /// ⟨Z_i⟩ of single qubits.
    case zExpectations = "z_expectations"
    /// ⟨Z⊗…⊗Z⟩ of all qubits.
    case parity

    /// s in the scores s·⟨Z_c⟩ of ``zExpectations`` without a linear layer.
    public static let scoreScale = 4.0
    /// The clamp of the parity probability inside the cross-entropy's logarithms.
    static let probabilityFloor = 1e-12
}

/// The classical part of a variational model: which expectations are measured and how they
/// become probabilities, a value and a loss. Its parameters (the hybrid layer's W, row-major
/// outputs × inputs, then b) follow the circuit weights in the flat parameter vector.
struct ReadoutHead: Sendable, Equatable {
    /// Classification into `classes` classes, or regression (one output).
    let classes: Int?
    let readout: Readout
    let hybrid: Bool
    let qubits: Int

    /// The number of measured expectations m.
    var inputCount: Int {
        switch readout {
        case .parity: 1
        case .zExpectations: hybrid ? qubits : (classes ?? 1)
        }
    }

    /// Outputs of the linear layer: classes, or 1 for regression.
    var outputCount: Int { classes ?? 1 }

    /// Parameters of the linear layer (0 without one).
    var linearParameterCount: Int { hybrid ? outputCount * (inputCount + 1) : 0 }

    /// The measured observables: Z_i for i < m, or Z⊗…⊗Z.
    func observables() throws -> [PauliSum] {
        switch readout {
        case .parity:
            return [try PauliSum([(String(repeating: "Z", count: qubits), 1)])]
        case .zExpectations:
            // The rightmost label character acts on qubit 0.
            return try (0..<inputCount).map { i in
                var letters = [Character](repeating: "I", count: qubits)
                letters[qubits - 1 - i] = "Z"
                return try PauliSum([(String(letters), 1)])
            }
        }
    }

    // MARK: - Kernels (no checks: shapes are fixed by the head)

    /// Class scores (logits) z from expectations e; for `parity` without a layer, the two log-odds
    /// are not needed and this returns [⟨Z…Z⟩].
    private func logits(_ e: [Double], _ linear: ArraySlice<Double>) -> [Double] {
        if hybrid {
            let m = inputCount, base = linear.startIndex
            return (0..<outputCount).map { c in
                var z = linear[base + outputCount * m + c]
                for k in 0..<m { z += linear[base + c * m + k] * e[k] }
                return z
            }
        }
        return e.map { Readout.scoreScale * $0 }
    }

    /// Softmax with the maximum subtracted; also returns log Σ exp.
    private static func softmax(_ z: [Double]) -> (p: [Double], logSum: Double) {
        let top = z.max() ?? 0
        let exps = z.map { Foundation.exp($0 - top) }
        let sum = exps.reduce(0, +)
        return (exps.map { $0 / sum }, top + Foundation.log(sum))
    }

    /// Class probabilities (classification) or the scaled value (regression, one entry).
    func outputs(_ e: [Double], _ linear: ArraySlice<Double>) -> [Double] {
        if classes == nil { return hybrid ? logits(e, linear) : [e[0]] }
        if readout == .parity, !hybrid {
            let odd = (1 - e[0]) / 2
            return [1 - odd, odd]
        }
        return Self.softmax(logits(e, linear)).p
    }

    /// The loss of one sample and its derivatives.
    /// - Parameters:
    ///   - e: the expectations (``inputCount``).
    ///   - linear: the layer's parameters (``linearParameterCount``).
    ///   - target: the class index, or the scaled target value.
    ///   - gradientE: receives ∂ℓ/∂e (``inputCount``, overwritten).
    ///   - gradientLinear: ∂ℓ/∂(W, b) is added here (``linearParameterCount``), when given.
    /// - Returns: the loss and whether the prediction is right (classification).
    func loss(_ e: [Double], _ linear: ArraySlice<Double>, target: Double, gradientE: inout [Double],
              gradientLinear: UnsafeMutableBufferPointer<Double>?) -> (loss: Double, correct: Bool)
    {
        let m = inputCount
        // dz: ∂ℓ/∂(logit or output).
        var dz: [Double]
        var loss: Double
        var correct = false
        if let classes {
            let label = Int(target)
            if readout == .parity, !hybrid {
                // Binary cross-entropy on p = P(odd) = (1 − e)/2.
                let p = (1 - e[0]) / 2
                let floor = Readout.probabilityFloor
                let clamped = min(max(p, floor), 1 - floor)
                let y = Double(label)
                loss = -(y * Foundation.log(clamped) + (1 - y) * Foundation.log(1 - clamped))
                let dp = clamped == p ? -y / clamped + (1 - y) / (1 - clamped) : 0
                gradientE[0] = -0.5 * dp
                correct = (p > 0.5 ? 1 : 0) == label
                return (loss, correct)
            }
            let z = logits(e, linear)
            let (p, logSum) = Self.softmax(z)
            loss = logSum - z[label]
            dz = p
            dz[label] -= 1
            correct = Self.argmax(p) == label
            assert(p.count == classes)
        } else {
            let y = hybrid ? logits(e, linear)[0] : e[0]
            let r = y - target
            loss = r * r
            dz = [2 * r]
        }
        if hybrid {
            let outputs = outputCount
            for k in 0..<m {
                var s = 0.0
                for c in 0..<outputs { s += linear[linear.startIndex + c * m + k] * dz[c] }
                gradientE[k] = s
            }
            if let g = gradientLinear {
                for c in 0..<outputs {
                    for k in 0..<m { g[c * m + k] += dz[c] * e[k] }
                    g[outputs * m + c] += dz[c]
                }
            }
        } else if classes == nil {
            gradientE[0] = dz[0]
        } else {
            for k in 0..<m { gradientE[k] = Readout.scoreScale * dz[k] }
        }
        return (loss, correct)
    }

    /// The index of the largest value; ties go to the lowest index.
    static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }
}
