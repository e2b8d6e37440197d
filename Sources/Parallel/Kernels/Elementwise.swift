import RealModule

// Elementwise block kernels. Argument order everywhere: operator, inputs, output, count.
// Each entry point switches once on the element kind and calls a loop specialised for Double,
// Float or Int; the loops never throw, allocate or log. Integer arithmetic wraps (as NumPy's
// int64 does); integer division reports a zero divisor by returning false.

/// `+ - * /`.
enum BinaryOperator: Sendable, Hashable {
    case add, subtract, multiply, divide

    var symbol: String {
        switch self {
        case .add: "+"
        case .subtract: "-"
        case .multiply: "*"
        case .divide: "/"
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
    /// `out[i] = a[i] op b[i]`. Returns false when an integer division met a zero divisor.
    static func binary<E: ChunkElement>(_ op: BinaryOperator, _ a: UnsafePointer<E>, _ b: UnsafePointer<E>,
                                        _ out: UnsafeMutablePointer<E>, _ n: Int) -> Bool
    {
        switch E.elementKind.storage {
        case .double: floating(op, rebound(a, Double.self), rebound(b, Double.self), rebound(out, Double.self), n)
        case .float: floating(op, rebound(a, Float.self), rebound(b, Float.self), rebound(out, Float.self), n)
        case .int: return integer(op, rebound(a, Int.self), rebound(b, Int.self), rebound(out, Int.self), n)
        }
        return true
    }

    /// `out[i] = a[i] op s` (`scalarOnLeft` false) or `s op a[i]` (true).
    static func scalar<E: ChunkElement>(_ op: BinaryOperator, _ a: UnsafePointer<E>, _ s: E, scalarOnLeft: Bool,
                                        _ out: UnsafeMutablePointer<E>, _ n: Int) -> Bool
    {
        switch E.elementKind.storage {
        case .double:
            floatingScalar(op, rebound(a, Double.self), s.doubleValue, scalarOnLeft, rebound(out, Double.self), n)
        case .float:
            floatingScalar(op, rebound(a, Float.self), Float(convertingFrom: s.doubleValue), scalarOnLeft, rebound(out, Float.self), n)
        case .int:
            return integerScalar(op, rebound(a, Int.self), unsafeBitCast(s, to: Int.self), scalarOnLeft, rebound(out, Int.self), n)
        }
        return true
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
            default:
                for i in 0..<n {
                    var base = a[i], e = exponent, result = 1
                    while e > 0 {
                        if e & 1 == 1 { result = result &* base }
                        base = base &* base
                        e >>= 1
                    }
                    out[i] = result
                }
            }
        }
    }

    /// `out[i] = a[i] ** exponent` for a floating-point exponent (floating elements only).
    static func realPower<E: ChunkElement>(_ a: UnsafePointer<E>, _ exponent: E, _ out: UnsafeMutablePointer<E>, _ n: Int) {
        switch E.elementKind.storage {
        case .double:
            let a = rebound(a, Double.self), out = rebound(out, Double.self), e = exponent.doubleValue
            for i in 0..<n { out[i] = Double.pow(a[i], e) }
        case .float:
            let a = rebound(a, Float.self), out = rebound(out, Float.self), e = Float(convertingFrom: exponent.doubleValue)
            for i in 0..<n { out[i] = Float.pow(a[i], e) }
        case .int:
            assertionFailure("real powers of integers are not offered by the API")
        }
    }

    // MARK: - Typed loops

    @inline(__always)
    private static func floating<T: BinaryFloatingPoint>(_ op: BinaryOperator, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
                                                         _ out: UnsafeMutablePointer<T>, _ n: Int)
    {
        switch op {
        case .add: for i in 0..<n { out[i] = a[i] + b[i] }
        case .subtract: for i in 0..<n { out[i] = a[i] - b[i] }
        case .multiply: for i in 0..<n { out[i] = a[i] * b[i] }
        case .divide: for i in 0..<n { out[i] = a[i] / b[i] }
        }
    }

    @inline(__always)
    private static func floatingScalar<T: BinaryFloatingPoint>(_ op: BinaryOperator, _ a: UnsafePointer<T>, _ s: T, _ left: Bool,
                                                               _ out: UnsafeMutablePointer<T>, _ n: Int)
    {
        switch (op, left) {
        case (.add, _): for i in 0..<n { out[i] = a[i] + s }
        case (.multiply, _): for i in 0..<n { out[i] = a[i] * s }
        case (.subtract, false): for i in 0..<n { out[i] = a[i] - s }
        case (.subtract, true): for i in 0..<n { out[i] = s - a[i] }
        case (.divide, false): for i in 0..<n { out[i] = a[i] / s }
        case (.divide, true): for i in 0..<n { out[i] = s / a[i] }
        }
    }

    @inline(__always)
    private static func integer(_ op: BinaryOperator, _ a: UnsafePointer<Int>, _ b: UnsafePointer<Int>,
                                _ out: UnsafeMutablePointer<Int>, _ n: Int) -> Bool
    {
        switch op {
        case .add: for i in 0..<n { out[i] = a[i] &+ b[i] }
        case .subtract: for i in 0..<n { out[i] = a[i] &- b[i] }
        case .multiply: for i in 0..<n { out[i] = a[i] &* b[i] }
        case .divide:
            for i in 0..<n {
                guard b[i] != 0 else { return false }
                out[i] = a[i].dividedReportingOverflow(by: b[i]).partialValue
            }
        }
        return true
    }

    @inline(__always)
    private static func integerScalar(_ op: BinaryOperator, _ a: UnsafePointer<Int>, _ s: Int, _ left: Bool,
                                      _ out: UnsafeMutablePointer<Int>, _ n: Int) -> Bool
    {
        switch (op, left) {
        case (.add, _): for i in 0..<n { out[i] = a[i] &+ s }
        case (.multiply, _): for i in 0..<n { out[i] = a[i] &* s }
        case (.subtract, false): for i in 0..<n { out[i] = a[i] &- s }
        case (.subtract, true): for i in 0..<n { out[i] = s &- a[i] }
        case (.divide, false):
            guard s != 0 else { return n == 0 }
            for i in 0..<n { out[i] = a[i].dividedReportingOverflow(by: s).partialValue }
        case (.divide, true):
            for i in 0..<n {
                guard a[i] != 0 else { return false }
                out[i] = s.dividedReportingOverflow(by: a[i]).partialValue
            }
        }
        return true
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
