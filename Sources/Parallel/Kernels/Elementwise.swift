import Foundation
import RealModule

// Elementwise block kernels. Argument order everywhere: operator, inputs, output, count.
// Each entry point switches once on the element kind and calls a loop specialised for Double,
// Float or Int; the loops never throw, allocate or log. Integer arithmetic wraps (as NumPy's
// int64 does); an integer kernel that meets a zero divisor or a negative exponent stops and
// returns an `IntegerFailure` (nil means every element was written).

/// Why an integer kernel stopped early.
enum IntegerFailure: Sendable, Equatable {
    case divisionByZero
    case negativePower(exponent: Int)
}

/// `+ - * /` and `**`.
enum BinaryOperator: Sendable, Hashable {
    case add, subtract, multiply, divide, power

    var symbol: String {
        switch self {
        case .add: "+"
        case .subtract: "-"
        case .multiply: "*"
        case .divide: "/"
        case .power: "**"
        }
    }
}

/// Unary functions; all but `negate` and `abs` only for floating-point elements.
enum UnaryOperator: String, Sendable, Hashable {
    case negate, sqrt, exp, log, sin, cos, abs
}

@inline(__always) private func rebound<T>(_ p: UnsafePointer<some Any>, _: T.Type) -> UnsafePointer<T> {
    UnsafeRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always) private func rebound<T>(_ p: UnsafeMutablePointer<some Any>, _: T.Type) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
}

enum Elementwise {
    /// `out[i] = a[i] op b[i]`. Returns why an integer kernel stopped (a zero divisor, a negative
    /// exponent), or nil.
    static func binary<E: ChunkElement>(_ op: BinaryOperator, _ a: UnsafePointer<E>, _ b: UnsafePointer<E>,
                                        _ out: UnsafeMutablePointer<E>, _ n: Int) -> IntegerFailure?
    {
        switch E.elementKind.storage {
        case .double: floating(op, rebound(a, Double.self), rebound(b, Double.self), rebound(out, Double.self), n)
        case .float: floating(op, rebound(a, Float.self), rebound(b, Float.self), rebound(out, Float.self), n)
        case .int: return integer(op, rebound(a, Int.self), rebound(b, Int.self), rebound(out, Int.self), n)
        }
        return nil
    }

    /// `out[i] = a[i] op s` (`scalarOnLeft` false) or `s op a[i]` (true); failures as `binary`.
    static func scalar<E: ChunkElement>(_ op: BinaryOperator, _ a: UnsafePointer<E>, _ s: E, scalarOnLeft: Bool,
                                        _ out: UnsafeMutablePointer<E>, _ n: Int) -> IntegerFailure?
    {
        switch E.elementKind.storage {
        case .double:
            floatingScalar(op, rebound(a, Double.self), s.doubleValue, scalarOnLeft, rebound(out, Double.self), n)
        case .float:
            floatingScalar(op, rebound(a, Float.self), Float(convertingFrom: s.doubleValue), scalarOnLeft, rebound(out, Float.self), n)
        case .int:
            return integerScalar(op, rebound(a, Int.self), unsafeBitCast(s, to: Int.self), scalarOnLeft, rebound(out, Int.self), n)
        }
        return nil
    }

    /// `out[i] = f(a[i])`.
    static func unary<E: ChunkElement>(_ op: UnaryOperator, _ a: UnsafePointer<E>, _ out: UnsafeMutablePointer<E>, _ n: Int) {
        switch E.elementKind.storage {
        case .double: floatingUnary(op, rebound(a, Double.self), rebound(out, Double.self), n)
        case .float: floatingUnary(op, rebound(a, Float.self), rebound(out, Float.self), n)
        case .int:
            let a = rebound(a, Int.self), out = rebound(out, Int.self)
            switch op {
            case .negate: for i in 0..<n { out[i] = 0 &- a[i] }
            case .abs: for i in 0..<n { out[i] = a[i] < 0 ? 0 &- a[i] : a[i] }
            default: assertionFailure("\(op) on integers is not offered by the API")
            }
        }
    }

    /// `out[i] = a[i] ** exponent` (integers: `exponent ≥ 0`, wrapping).
    static func power<E: ChunkElement>(_ a: UnsafePointer<E>, _ exponent: Int, _ out: UnsafeMutablePointer<E>, _ n: Int) {
        switch E.elementKind.storage {
        case .double: floatingPower(rebound(a, Double.self), exponent, rebound(out, Double.self), n)
        case .float: floatingPower(rebound(a, Float.self), exponent, rebound(out, Float.self), n)
        case .int:
            let a = rebound(a, Int.self), out = rebound(out, Int.self)
            switch exponent {
            case 0: for i in 0..<n { out[i] = 1 }
            case 1: for i in 0..<n { out[i] = a[i] }
            case 2: for i in 0..<n { out[i] = a[i] &* a[i] }
            case 3: for i in 0..<n { out[i] = a[i] &* a[i] &* a[i] }
            default: for i in 0..<n { out[i] = integerPower(a[i], exponent) }
            }
        }
    }

    /// `out[i] = a[i] ** exponent` for a floating-point exponent (floating elements only).
    static func realPower<E: ChunkElement>(_ a: UnsafePointer<E>, _ exponent: E, _ out: UnsafeMutablePointer<E>, _ n: Int) {
        switch E.elementKind.storage {
        case .double:
            let a = rebound(a, Double.self), out = rebound(out, Double.self), e = exponent.doubleValue
            for i in 0..<n { out[i] = realPower(a[i], e) }
        case .float:
            let a = rebound(a, Float.self), out = rebound(out, Float.self), e = Float(convertingFrom: exponent.doubleValue)
            for i in 0..<n { out[i] = realPower(a[i], e) }
        case .int:
            assertionFailure("real powers of integers are not offered by the API")
        }
    }

    // MARK: - Scalar functions

    /// `base ** exponent` for `exponent ≥ 0` by repeated squaring, wrapping on overflow.
    @inline(__always)
    private static func integerPower(_ base: Int, _ exponent: Int) -> Int {
        var base = base, e = exponent, result = 1
        while e > 0 {
            if e & 1 == 1 { result = result &* base }
            base = base &* base
            e >>= 1
        }
        return result
    }

    /// C's `pow`, as NumPy's `**`: defined for a negative base with an integral exponent
    /// (`(-2.0) ** 2.0 == 4`) and `0 ** 0 == 1`, where RealModule's `pow` gives NaN.
    @inline(__always)
    private static func realPower<T: CPower>(_ x: T, _ y: T) -> T { T.cPower(x, y) }

    // MARK: - Typed loops

    @inline(__always)
    private static func floating<T: BinaryFloatingPoint & CPower>(_ op: BinaryOperator, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
                                                         _ out: UnsafeMutablePointer<T>, _ n: Int)
    {
        switch op {
        case .add: for i in 0..<n { out[i] = a[i] + b[i] }
        case .subtract: for i in 0..<n { out[i] = a[i] - b[i] }
        case .multiply: for i in 0..<n { out[i] = a[i] * b[i] }
        case .divide: for i in 0..<n { out[i] = a[i] / b[i] }
        case .power: for i in 0..<n { out[i] = realPower(a[i], b[i]) }
        }
    }

    @inline(__always)
    private static func floatingScalar<T: BinaryFloatingPoint & CPower>(_ op: BinaryOperator, _ a: UnsafePointer<T>, _ s: T, _ left: Bool,
                                                               _ out: UnsafeMutablePointer<T>, _ n: Int)
    {
        switch (op, left) {
        case (.add, _): for i in 0..<n { out[i] = a[i] + s }
        case (.multiply, _): for i in 0..<n { out[i] = a[i] * s }
        case (.subtract, false): for i in 0..<n { out[i] = a[i] - s }
        case (.subtract, true): for i in 0..<n { out[i] = s - a[i] }
        case (.divide, false): for i in 0..<n { out[i] = a[i] / s }
        case (.divide, true): for i in 0..<n { out[i] = s / a[i] }
        case (.power, false): for i in 0..<n { out[i] = realPower(a[i], s) }
        case (.power, true): for i in 0..<n { out[i] = realPower(s, a[i]) }
        }
    }

    @inline(__always)
    private static func integer(_ op: BinaryOperator, _ a: UnsafePointer<Int>, _ b: UnsafePointer<Int>,
                                _ out: UnsafeMutablePointer<Int>, _ n: Int) -> IntegerFailure?
    {
        switch op {
        case .add: for i in 0..<n { out[i] = a[i] &+ b[i] }
        case .subtract: for i in 0..<n { out[i] = a[i] &- b[i] }
        case .multiply: for i in 0..<n { out[i] = a[i] &* b[i] }
        case .divide:
            for i in 0..<n {
                guard b[i] != 0 else { return .divisionByZero }
                out[i] = a[i].dividedReportingOverflow(by: b[i]).partialValue
            }
        case .power:
            for i in 0..<n {
                guard b[i] >= 0 else { return .negativePower(exponent: b[i]) }
                out[i] = integerPower(a[i], b[i])
            }
        }
        return nil
    }

    @inline(__always)
    private static func integerScalar(_ op: BinaryOperator, _ a: UnsafePointer<Int>, _ s: Int, _ left: Bool,
                                      _ out: UnsafeMutablePointer<Int>, _ n: Int) -> IntegerFailure?
    {
        switch (op, left) {
        case (.add, _): for i in 0..<n { out[i] = a[i] &+ s }
        case (.multiply, _): for i in 0..<n { out[i] = a[i] &* s }
        case (.subtract, false): for i in 0..<n { out[i] = a[i] &- s }
        case (.subtract, true): for i in 0..<n { out[i] = s &- a[i] }
        case (.divide, false):
            guard s != 0 else { return n == 0 ? nil : .divisionByZero }
            for i in 0..<n { out[i] = a[i].dividedReportingOverflow(by: s).partialValue }
        case (.divide, true):
            for i in 0..<n {
                guard a[i] != 0 else { return .divisionByZero }
                out[i] = s.dividedReportingOverflow(by: a[i]).partialValue
            }
        case (.power, false):
            guard s >= 0 else { return n == 0 ? nil : .negativePower(exponent: s) }
            for i in 0..<n { out[i] = integerPower(a[i], s) }
        case (.power, true):
            for i in 0..<n {
                guard a[i] >= 0 else { return .negativePower(exponent: a[i]) }
                out[i] = integerPower(s, a[i])
            }
        }
        return nil
    }

    @inline(__always)
    private static func floatingUnary<T: BinaryFloatingPoint & Real>(_ op: UnaryOperator, _ a: UnsafePointer<T>,
                                                                     _ out: UnsafeMutablePointer<T>, _ n: Int)
    {
        switch op {
        case .negate: for i in 0..<n { out[i] = -a[i] }
        case .sqrt: for i in 0..<n { out[i] = a[i].squareRoot() }
        case .exp: for i in 0..<n { out[i] = T.exp(a[i]) }
        case .log: for i in 0..<n { out[i] = T.log(a[i]) }
        case .sin: for i in 0..<n { out[i] = T.sin(a[i]) }
        case .cos: for i in 0..<n { out[i] = T.cos(a[i]) }
        case .abs: for i in 0..<n { out[i] = Swift.abs(a[i]) }
        }
    }

    @inline(__always)
    private static func floatingPower<T: BinaryFloatingPoint & Real>(_ a: UnsafePointer<T>, _ exponent: Int,
                                                                     _ out: UnsafeMutablePointer<T>, _ n: Int)
    {
        switch exponent {
        case 0: for i in 0..<n { out[i] = 1 }
        case 1: for i in 0..<n { out[i] = a[i] }
        case 2: for i in 0..<n { out[i] = a[i] * a[i] }
        case 3: for i in 0..<n { out[i] = a[i] * a[i] * a[i] }
        case -1: for i in 0..<n { out[i] = 1 / a[i] }
        default: for i in 0..<n { out[i] = T.pow(a[i], exponent) }
        }
    }
}

/// The C library's `pow` for the floating element types.
protocol CPower {
    static func cPower(_ x: Self, _ y: Self) -> Self
}

extension Double: CPower {
    @inline(__always) static func cPower(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}

extension Float: CPower {
    @inline(__always) static func cPower(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
}
