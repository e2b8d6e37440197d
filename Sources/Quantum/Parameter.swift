import Foundation
import Synchronization

/// A named symbolic angle that a circuit can hold before its value is known.
///
/// Two parameters are the same parameter only if one was copied from the other: two
/// `Parameter("θ")` created separately are different symbols that share a name (as in Qiskit).
/// Bind values with ``QuantumCircuit/bind(_:)`` or, to reuse the compiled circuit for many
/// values, with ``CompiledCircuit``.
public struct Parameter: Hashable, Sendable, CustomStringConvertible {
    /// The name shown in output and used by name-based binding.
    public let name: String
    /// A process-unique identity, so equal names do not make equal parameters.
    let identity: Int

    private static let counter = Atomic<Int>(0)

    /// Creates a new symbol.
    /// - Parameter name: the name used in printing and in name-based binding.
    public init(_ name: String) {
        self.name = name
        self.identity = Parameter.counter.add(1, ordering: .relaxed).newValue
    }

    /// The parameter's name.
    public var description: String { name }
}

/// An arithmetic expression of ``Parameter``s and numbers: what a gate angle can be.
///
/// Build them with `+ - * /` and unary minus from parameters and `Double`s, or with
/// ``sin(_:)``-style functions (``ParameterExpression/sin(_:)`` etc.). A number converts
/// implicitly through `ExpressibleByFloatLiteral`/`ExpressibleByIntegerLiteral`.
public indirect enum ParameterExpression: Sendable, Hashable, CustomStringConvertible,
    ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral
{
    /// A number.
    case constant(Double)
    /// A free symbol.
    case symbol(Parameter)
    /// A unary function applied to an expression.
    case unary(UnaryFunction, ParameterExpression)
    /// A binary operator applied to two expressions.
    case binary(BinaryOperator, ParameterExpression, ParameterExpression)

    /// Functions of one argument.
    public enum UnaryFunction: String, Sendable, Hashable, CaseIterable {
        case negate = "-", sin, cos, tan, exp, ln, sqrt
    }

    /// Operators of two arguments.
    public enum BinaryOperator: String, Sendable, Hashable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^"
    }

    /// Creates a constant expression.
    public init(floatLiteral value: Double) { self = .constant(value) }
    /// Creates a constant expression.
    public init(integerLiteral value: Int) { self = .constant(Double(value)) }
    /// Creates a constant expression.
    public init(_ value: Double) { self = .constant(value) }
    /// Creates an expression that is one parameter.
    public init(_ parameter: Parameter) { self = .symbol(parameter) }

    /// The free parameters of the expression, in first-appearance order.
    public var parameters: [Parameter] {
        var seen = Set<Parameter>()
        var result: [Parameter] = []
        collectParameters(into: &result, seen: &seen)
        return result
    }

    func collectParameters(into result: inout [Parameter], seen: inout Set<Parameter>) {
        switch self {
        case .constant: return
        case .symbol(let p):
            if seen.insert(p).inserted { result.append(p) }
        case .unary(_, let x):
            x.collectParameters(into: &result, seen: &seen)
        case .binary(_, let a, let b):
            a.collectParameters(into: &result, seen: &seen)
            b.collectParameters(into: &result, seen: &seen)
        }
    }

    /// Whether the expression has no free parameters.
    public var isNumeric: Bool {
        switch self {
        case .constant: return true
        case .symbol: return false
        case .unary(_, let x): return x.isNumeric
        case .binary(_, let a, let b): return a.isNumeric && b.isNumeric
        }
    }

    /// The value when the expression has no free parameters, else `nil`.
    public var value: Double? {
        isNumeric ? evaluate { _ in nil } : nil
    }

    /// Evaluates the expression, looking parameters up with `lookup`.
    /// - Returns: the value, or `nil` if `lookup` returns `nil` for a parameter that occurs.
    public func evaluate(_ lookup: (Parameter) -> Double?) -> Double? {
        switch self {
        case .constant(let c): return c
        case .symbol(let p): return lookup(p)
        case .unary(let f, let x):
            guard let v = x.evaluate(lookup) else { return nil }
            switch f {
            case .negate: return -v
            case .sin: return Foundation.sin(v)
            case .cos: return Foundation.cos(v)
            case .tan: return Foundation.tan(v)
            case .exp: return Foundation.exp(v)
            case .ln: return Foundation.log(v)
            case .sqrt: return Foundation.sqrt(v)
            }
        case .binary(let op, let a, let b):
            guard let x = a.evaluate(lookup), let y = b.evaluate(lookup) else { return nil }
            switch op {
            case .add: return x + y
            case .subtract: return x - y
            case .multiply: return x * y
            case .divide: return x / y
            case .power: return Foundation.pow(x, y)
            }
        }
    }

    /// Replaces the parameters that `values` names by numbers (a partial bind) and folds
    /// constant subexpressions.
    /// - Parameter values: the numbers to substitute.
    /// - Returns: the simplified expression.
    public func substituting(_ values: [Parameter: Double]) -> ParameterExpression {
        switch self {
        case .constant: return self
        case .symbol(let p):
            if let v = values[p] { return .constant(v) }
            return self
        case .unary(let f, let x):
            let inner = x.substituting(values)
            let e = ParameterExpression.unary(f, inner)
            if inner.isNumeric, let v = e.value { return .constant(v) }
            return e
        case .binary(let op, let a, let b):
            let l = a.substituting(values)
            let r = b.substituting(values)
            let e = ParameterExpression.binary(op, l, r)
            if l.isNumeric, r.isNumeric, let v = e.value { return .constant(v) }
            return e
        }
    }

    /// The expression in a form OpenQASM 2 and Python both read.
    public var description: String {
        switch self {
        case .constant(let c): return formatAngle(c)
        case .symbol(let p): return p.name
        case .unary(.negate, let x): return "-(\(x))"
        case .unary(let f, let x): return "\(f.rawValue)(\(x))"
        case .binary(let op, let a, let b): return "(\(a) \(op.rawValue) \(b))"
        }
    }

    // MARK: functions

    /// sin of an expression.
    public static func sin(_ x: some AngleConvertible) -> ParameterExpression { .unary(.sin, x.angleExpression) }
    /// cos of an expression.
    public static func cos(_ x: some AngleConvertible) -> ParameterExpression { .unary(.cos, x.angleExpression) }
    /// tan of an expression.
    public static func tan(_ x: some AngleConvertible) -> ParameterExpression { .unary(.tan, x.angleExpression) }
    /// e raised to an expression.
    public static func exp(_ x: some AngleConvertible) -> ParameterExpression { .unary(.exp, x.angleExpression) }
    /// The natural logarithm of an expression.
    public static func ln(_ x: some AngleConvertible) -> ParameterExpression { .unary(.ln, x.angleExpression) }
    /// The square root of an expression.
    public static func sqrt(_ x: some AngleConvertible) -> ParameterExpression { .unary(.sqrt, x.angleExpression) }
}

/// Formats a number so that it reads back to the same `Double` (shortest round-trip form),
/// never in a form OpenQASM rejects (`inf`, `nan` are not produced by valid circuits).
func formatAngle(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return "\(value)"
}

// MARK: - Operators

/// Sum of two expressions.
public func + (a: ParameterExpression, b: ParameterExpression) -> ParameterExpression { .binary(.add, a, b) }
/// Difference of two expressions.
public func - (a: ParameterExpression, b: ParameterExpression) -> ParameterExpression { .binary(.subtract, a, b) }
/// Product of two expressions.
public func * (a: ParameterExpression, b: ParameterExpression) -> ParameterExpression { .binary(.multiply, a, b) }
/// Quotient of two expressions.
public func / (a: ParameterExpression, b: ParameterExpression) -> ParameterExpression { .binary(.divide, a, b) }
/// Negation of an expression.
public prefix func - (a: ParameterExpression) -> ParameterExpression { .unary(.negate, a) }

/// Sum of a parameter and an expression.
public func + (a: Parameter, b: ParameterExpression) -> ParameterExpression { .symbol(a) + b }
/// Sum of an expression and a parameter.
public func + (a: ParameterExpression, b: Parameter) -> ParameterExpression { a + .symbol(b) }
/// Sum of two parameters.
public func + (a: Parameter, b: Parameter) -> ParameterExpression { .symbol(a) + .symbol(b) }
/// Difference of a parameter and an expression.
public func - (a: Parameter, b: ParameterExpression) -> ParameterExpression { .symbol(a) - b }
/// Difference of an expression and a parameter.
public func - (a: ParameterExpression, b: Parameter) -> ParameterExpression { a - .symbol(b) }
/// Difference of two parameters.
public func - (a: Parameter, b: Parameter) -> ParameterExpression { .symbol(a) - .symbol(b) }
/// Product of a parameter and an expression.
public func * (a: Parameter, b: ParameterExpression) -> ParameterExpression { .symbol(a) * b }
/// Product of an expression and a parameter.
public func * (a: ParameterExpression, b: Parameter) -> ParameterExpression { a * .symbol(b) }
/// Product of two parameters.
public func * (a: Parameter, b: Parameter) -> ParameterExpression { .symbol(a) * .symbol(b) }
/// Quotient of a parameter and an expression.
public func / (a: Parameter, b: ParameterExpression) -> ParameterExpression { .symbol(a) / b }
/// Quotient of an expression and a parameter.
public func / (a: ParameterExpression, b: Parameter) -> ParameterExpression { a / .symbol(b) }
/// Negation of a parameter.
public prefix func - (a: Parameter) -> ParameterExpression { -.symbol(a) }

// MARK: - Angles

/// A value that can stand as a gate angle: a number, a ``Parameter`` or a
/// ``ParameterExpression``.
public protocol AngleConvertible: Sendable {
    /// The angle as an expression.
    var angleExpression: ParameterExpression { get }
}

extension Double: AngleConvertible {
    /// The number as a constant expression.
    public var angleExpression: ParameterExpression { .constant(self) }
}

extension Float: AngleConvertible {
    /// The number as a constant expression.
    public var angleExpression: ParameterExpression { .constant(Double(self)) }
}

extension Int: AngleConvertible {
    /// The number as a constant expression.
    public var angleExpression: ParameterExpression { .constant(Double(self)) }
}

extension Parameter: AngleConvertible {
    /// The parameter as an expression.
    public var angleExpression: ParameterExpression { .symbol(self) }
}

extension ParameterExpression: AngleConvertible {
    /// The expression itself.
    public var angleExpression: ParameterExpression { self }
}
