import ComplexModule
import Foundation

// The factor form of parameterised gates that the adjoint program differentiates (see
// AdjointProgram.swift): fixed matrices and exp(i·x·K) factors, and the angle slots that hold x.

/// One factor of a parameterised one-target matrix (see the top of this file).
enum GateFactor: Sendable {
    enum Axis: Sendable { case x, y, z }
    /// A matrix without free angles.
    case fixed(Matrix2<Double>)
    /// exp(−i·x·σ/2), angle slot `angle`.
    case rotation(Axis, angle: Int)
    /// diag(1, e^{ix}).
    case phase(angle: Int)
    /// e^{ix} · 1.
    case globalPhase(angle: Int)

    var angle: Int? {
        switch self {
        case .fixed: nil
        case .rotation(_, let a), .phase(let a), .globalPhase(let a): a
        }
    }

    var isDiagonal: Bool {
        switch self {
        case .fixed(let m): m.isDiagonal
        case .rotation(let axis, _): axis == .z
        case .phase, .globalPhase: true
        }
    }

    var isReal: Bool {
        switch self {
        case .fixed(let m): m.isReal
        case .rotation(let axis, _): axis == .y
        case .phase, .globalPhase: false
        }
    }

    /// The factor's matrix at angle x.
    func matrix(_ x: Double) -> Matrix2<Double> {
        switch self {
        case .fixed(let m):
            return m
        case .rotation(let axis, _):
            let c = cos(x / 2), s = sin(x / 2)
            switch axis {
            case .x: return Matrix2<Double>(Complex(c), Complex(0, -s), Complex(0, -s), Complex(c))
            case .y: return Matrix2<Double>(Complex(c), Complex(-s), Complex(s), Complex(c))
            case .z: return Matrix2<Double>(Complex(c, -s), .zero, .zero, Complex(c, s))
            }
        case .phase:
            return Matrix2<Double>(.one, .zero, .zero, Complex(cos(x), sin(x)))
        case .globalPhase:
            let e = Complex(cos(x), sin(x))
            return Matrix2<Double>(e, .zero, .zero, e)
        }
    }

    /// K with ∂F/∂x = K · F.
    var generatorTerm: Matrix2<Double> {
        switch self {
        case .fixed: return Matrix2<Double>(.zero, .zero, .zero, .zero)
        case .rotation(.x, _): return Matrix2<Double>(.zero, Complex(0, -0.5), Complex(0, -0.5), .zero)
        case .rotation(.y, _): return Matrix2<Double>(.zero, Complex(-0.5), Complex(0.5), .zero)
        case .rotation(.z, _): return Matrix2<Double>(Complex(0, -0.5), .zero, .zero, Complex(0, 0.5))
        case .phase: return Matrix2<Double>(.zero, .zero, .zero, Complex(0, 1))
        case .globalPhase: return Matrix2<Double>(Complex(0, 1), .zero, .zero, Complex(0, 1))
        }
    }
}

/// ∂angle/∂p for one parameter p.
struct AngleDerivative: Sendable {
    /// The index of p in the circuit's parameters.
    let parameter: Int
    let expression: ParameterExpression
    /// The value when the derivative is a number (θ, 2θ, θ + φ, …).
    let constant: Double?
}

/// One angle of one gate of the circuit.
struct AngleSlot: Sendable {
    let expression: ParameterExpression
    /// The parameter index when the angle is exactly one parameter.
    let parameter: Int?
    /// Nonzero derivatives by the circuit's parameters; empty for numeric angles.
    let derivatives: [AngleDerivative]
    /// The gate's name and the angle's name, for messages.
    let gate: String
    let angleName: String
    /// The gap between the two eigenvalues of the angle's generator, when it has exactly two
    /// (the parameter-shift rule applies); nil otherwise.
    let shiftGap: Double?
    /// The index of the operation that holds the angle.
    let operation: Int
}
