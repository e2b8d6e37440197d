import Foundation
import Quantum

/// How a variational model's parameters move each mini-batch.
///
/// With g the mini-batch mean gradient and t = 1, 2, … the step number:
/// - `adam` (Kingma and Ba, 2015; PyTorch's `Adam`): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
///   θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
/// - `sgd` with momentum (PyTorch's `SGD`, no dampening): b ← μb + g (b = g at the first step),
///   θ ← θ − lr · b; momentum 0 is plain gradient descent.
/// - `spsa` (Spall 1998, with his recommended gain exponents): at step k = t − 1 draw Δ ∈ {±1}ᴾ,
///   c_k = c / (k + 1)^0.101, a_k = lr / (k + 1)^0.602, ĝ_j = (L(θ + c_kΔ) − L(θ − c_kΔ)) / (2c_kΔ_j),
///   θ ← θ − a_k·ĝ. Two loss evaluations per mini-batch, no gradient.
public enum Optimizer: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Adam; defaults lr 0.05 (variational circuits like larger steps than PyTorch's 0.001),
    /// β₁ 0.9, β₂ 0.999, ε 1e-8.
    case adam(learningRate: Double = 0.05, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8)
    /// Gradient descent with heavy-ball momentum; defaults lr 0.1, momentum 0.9.
    case sgd(learningRate: Double = 0.1, momentum: Double = 0.9)
    /// Simultaneous perturbation stochastic approximation; defaults a = 0.1, c = 0.1.
    case spsa(learningRate: Double = 0.1, perturbation: Double = 0.1)

    /// Whether the optimiser needs gradients (Adam, SGD) or only losses (SPSA).
    public var usesGradients: Bool {
        if case .spsa = self { return false }
        return true
    }

    /// A short description such as `adam(lr 0.05, β1 0.9, β2 0.999, ε 1e-08)`.
    public var description: String {
        switch self {
        case .adam(let lr, let b1, let b2, let eps): "adam(lr \(lr), β1 \(b1), β2 \(b2), ε \(eps))"
        case .sgd(let lr, let mu): "sgd(lr \(lr), momentum \(mu))"
        case .spsa(let lr, let c): "spsa(a \(lr), c \(c))"
        }
    }

    /// Checks the hyperparameters.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for a learning rate or perturbation that is
    ///   not a positive finite number, β₁, β₂ or momentum outside [0, 1), or ε ≤ 0.
    public func validate() throws {
        func positive(_ value: Double, _ name: String) throws {
            guard value.isFinite, value > 0 else {
                throw QuantumMLError.invalidArgument(argument: "the \(name)", received: "\(value)", valid: "a positive number")
            }
        }
        func unit(_ value: Double, _ name: String) throws {
            guard value.isFinite, value >= 0, value < 1 else {
                throw QuantumMLError.invalidArgument(argument: "\(name)", received: "\(value)", valid: "in [0, 1)")
            }
        }
        switch self {
        case .adam(let lr, let b1, let b2, let eps):
            try positive(lr, "learning rate")
            try unit(b1, "Adam's beta1")
            try unit(b2, "Adam's beta2")
            try positive(eps, "Adam epsilon")
        case .sgd(let lr, let mu):
            try positive(lr, "learning rate")
            try unit(mu, "the momentum")
        case .spsa(let lr, let c):
            try positive(lr, "learning rate")
            try positive(c, "SPSA perturbation")
        }
    }
}

/// An optimiser's running state: the step count and its moment or velocity vectors. Every rank
/// holds the same state and applies the same step, so the parameters stay equal on every rank.
struct OptimizerState: Codable, Sendable, Equatable {
    let optimizer: Optimizer
    /// Steps taken so far (t − 1 during a step).
    private(set) var steps = 0
    /// Adam's m, or SGD's momentum buffer b.
    private(set) var first: [Double]
    /// Adam's v.
    private(set) var second: [Double]

    init(_ optimizer: Optimizer, parameterCount: Int) {
        self.optimizer = optimizer
        first = [Double](repeating: 0, count: parameterCount)
        second = [Double](repeating: 0, count: parameterCount)
    }

    /// One Adam or SGD step with the mini-batch mean gradient `g` (same length as `theta`).
    mutating func step(_ theta: inout [Double], gradient g: [Double]) {
        assert(theta.count == g.count && g.count == first.count)
        steps += 1
        switch optimizer {
        case .adam(let lr, let beta1, let beta2, let epsilon):
            let t = Double(steps)
            let correction1 = 1 - pow(beta1, t), correction2 = 1 - pow(beta2, t)
            for j in theta.indices {
                first[j] = beta1 * first[j] + (1 - beta1) * g[j]
                second[j] = beta2 * second[j] + (1 - beta2) * g[j] * g[j]
                let mHat = first[j] / correction1, vHat = second[j] / correction2
                theta[j] -= lr * mHat / (vHat.squareRoot() + epsilon)
            }
        case .sgd(let lr, let momentum):
            for j in theta.indices {
                // PyTorch: the buffer starts as the first gradient.
                first[j] = steps == 1 ? g[j] : momentum * first[j] + g[j]
                theta[j] -= lr * first[j]
            }
        case .spsa:
            assertionFailure("SPSA steps through spsaStep")
        }
    }

    /// SPSA's gains (a_k, c_k) for the next step k = ``steps``.
    var spsaGains: (a: Double, c: Double) {
        guard case .spsa(let a, let c) = optimizer else { return (0, 0) }
        let k = Double(steps)
        return (a / pow(k + 1, 0.602), c / pow(k + 1, 0.101))
    }

    /// A perturbation direction Δ ∈ {±1}ᴾ: bit 63 of one draw per coordinate (1 → −1).
    static func spsaDirection(count: Int, using generator: inout some RandomNumberGenerator) -> [Double] {
        (0..<count).map { _ in generator.next() >> 63 == 0 ? 1.0 : -1.0 }
    }

    /// One SPSA step from the losses at θ + c_kΔ and θ − c_kΔ (c_k from ``spsaGains``, taken before).
    mutating func spsaStep(_ theta: inout [Double], direction delta: [Double], lossPlus: Double, lossMinus: Double) {
        assert(theta.count == delta.count)
        let (a, c) = spsaGains
        steps += 1
        let difference = (lossPlus - lossMinus) / (2 * c)
        // 1/Δ_j = Δ_j for Δ_j = ±1.
        for j in theta.indices { theta[j] -= a * difference * delta[j] }
    }
}
