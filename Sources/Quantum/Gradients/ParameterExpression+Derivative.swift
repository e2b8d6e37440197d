import Foundation

extension ParameterExpression {
    /// The symbolic derivative ∂self/∂p, for the chain rule of gradients (a parameter may appear
    /// in many gates and inside expressions such as `2*θ`, `θ + φ` or `sin(θ)`).
    ///
    /// The usual rules, with constants folded so that the results stay small: d(a·b) = a′b + ab′,
    /// d(a/b) = (a′b − ab′)/b², d sin a = cos a · a′, d cos a = −sin a · a′, d tan a = a′/cos²a,
    /// d exp a = exp a · a′, d ln a = a′/a, d √a = a′/(2√a), d(a^b) = b·a^(b−1)·a′ for constant b and
    /// a^b·(b′·ln a + b·a′/a) otherwise.
    /// - Parameter p: the parameter to differentiate by.
    /// - Returns: the derivative; `.constant(0)` when `p` does not occur.
    public func derivative(withRespectTo p: Parameter) -> ParameterExpression {
        switch self {
        case .constant:
            return .constant(0)
        case .symbol(let q):
            return .constant(q == p ? 1 : 0)
        case .unary(let f, let x):
            let dx = x.derivative(withRespectTo: p)
            if dx.isZero { return .constant(0) }
            switch f {
            case .negate: return .negated(dx)
            case .sin: return .product(.unary(.cos, x), dx)
            case .cos: return .negated(.product(.unary(.sin, x), dx))
            case .tan: return .quotient(dx, .product(.unary(.cos, x), .unary(.cos, x)))
            case .exp: return .product(self, dx)
            case .ln: return .quotient(dx, x)
            case .sqrt: return .quotient(dx, .product(.constant(2), self))
            }
        case .binary(let op, let a, let b):
            let da = a.derivative(withRespectTo: p)
            let db = b.derivative(withRespectTo: p)
            switch op {
            case .add: return .sum(da, db)
            case .subtract: return .difference(da, db)
            case .multiply: return .sum(.product(da, b), .product(a, db))
            case .divide:
                if db.isZero { return .quotient(da, b) }
                return .quotient(.difference(.product(da, b), .product(a, db)), .product(b, b))
            case .power:
                if db.isZero {
                    // d(a^c) = c·a^(c−1)·a′
                    return .product(.product(b, .binary(.power, a, .difference(b, .constant(1)))), da)
                }
                // d(a^b) = a^b·(b′·ln a + b·a′/a)
                return .product(self, .sum(.product(db, .unary(.ln, a)), .quotient(.product(b, da), a)))
            }
        }
    }

    /// Whether this is the constant 0.
    var isZero: Bool {
        if case .constant(let c) = self { return c == 0 }
        return false
    }

    /// Whether this is the constant 1.
    private var isOne: Bool {
        if case .constant(let c) = self { return c == 1 }
        return false
    }

    // Constructors that fold constants, 0 and 1, so derivatives do not grow needlessly.

    private static func sum(_ a: ParameterExpression, _ b: ParameterExpression) -> ParameterExpression {
        if a.isZero { return b }
        if b.isZero { return a }
        if case .constant(let x) = a, case .constant(let y) = b { return .constant(x + y) }
        return .binary(.add, a, b)
    }

    private static func difference(_ a: ParameterExpression, _ b: ParameterExpression) -> ParameterExpression {
        if b.isZero { return a }
        if a.isZero { return negated(b) }
        if case .constant(let x) = a, case .constant(let y) = b { return .constant(x - y) }
        return .binary(.subtract, a, b)
    }

    private static func product(_ a: ParameterExpression, _ b: ParameterExpression) -> ParameterExpression {
        if a.isZero || b.isZero { return .constant(0) }
        if a.isOne { return b }
        if b.isOne { return a }
        if case .constant(let x) = a, case .constant(let y) = b { return .constant(x * y) }
        return .binary(.multiply, a, b)
    }

    private static func quotient(_ a: ParameterExpression, _ b: ParameterExpression) -> ParameterExpression {
        if a.isZero { return .constant(0) }
        if b.isOne { return a }
        if case .constant(let x) = a, case .constant(let y) = b { return .constant(x / y) }
        return .binary(.divide, a, b)
    }

    private static func negated(_ a: ParameterExpression) -> ParameterExpression {
        if case .constant(let x) = a { return .constant(-x) }
        if case .unary(.negate, let inner) = a { return inner }
        return .unary(.negate, a)
    }
}
