import RealModule

/// Exponentiation, binding tighter than multiplication and to the right: `x ** 2 * 3` is `(x ** 2) * 3`.
precedencegroup ExponentiationPrecedence {
    higherThan: MultiplicationPrecedence
    associativity: right
}

/// Elementwise power (`x ** 2`, `x ** 0.5`, `x ** y`, `2 ** x`), as NumPy's `**`.
infix operator ** : ExponentiationPrecedence

extension ChunkedArray {
    private static func combine(_ lhs: ChunkedArray, _ rhs: ChunkedArray, _ op: BinaryOperator) throws -> ChunkedArray {
        let name = "elementwise '\(op.symbol)'"
        guard lhs.shape == rhs.shape else { throw ParallelError.shapeMismatch(operation: name, left: lhs.shape, right: rhs.shape) }
        guard lhs.chunks == rhs.chunks else {
            throw ParallelError.chunkMismatch(operation: name, left: "\(lhs.chunks)", right: "\(rhs.chunks)")
        }
        return ChunkedArray(node: ElementwiseNode.binary(lhs.node, rhs.node, op))
    }

    private static func scalar(_ x: ChunkedArray, _ s: Element, _ op: BinaryOperator, left: Bool) -> ChunkedArray {
        ChunkedArray(node: ElementwiseNode.unary(x.node, { .scalar(op, $0, s, scalarOnLeft: left) },
                                                 text: { left ? "(\(s) \(op.symbol) \($0))" : "(\($0) \(op.symbol) \(s))" }))
    }

    /// Elementwise sum of two arrays with the same shape and chunks.
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: an array of the same shape and chunks.
    /// - Returns: the lazy sum.
    /// - Throws: ``ParallelError/shapeMismatch(operation:left:right:)``, ``ParallelError/chunkMismatch(operation:left:right:)``.
    public static func + (lhs: ChunkedArray, rhs: ChunkedArray) throws -> ChunkedArray { try combine(lhs, rhs, .add) }
    /// Elementwise difference (see `+`).
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: an array of the same shape and chunks.
    /// - Returns: the lazy difference.
    /// - Throws: as `+`.
    public static func - (lhs: ChunkedArray, rhs: ChunkedArray) throws -> ChunkedArray { try combine(lhs, rhs, .subtract) }
    /// Elementwise product (see `+`).
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: an array of the same shape and chunks.
    /// - Returns: the lazy product.
    /// - Throws: as `+`.
    public static func * (lhs: ChunkedArray, rhs: ChunkedArray) throws -> ChunkedArray { try combine(lhs, rhs, .multiply) }
    /// Elementwise quotient (see `+`); integer division truncates, and a zero divisor makes
    /// `compute` throw ``ParallelError/integerDivisionByZero(task:)``.
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: an array of the same shape and chunks.
    /// - Returns: the lazy quotient.
    /// - Throws: as `+`.
    public static func / (lhs: ChunkedArray, rhs: ChunkedArray) throws -> ChunkedArray { try combine(lhs, rhs, .divide) }
    /// Elementwise power `xᵢ ** yᵢ` of two arrays with the same shape and chunks, as NumPy's
    /// `x ** y`, fused with neighbouring elementwise operations. Floating-point powers follow C's
    /// `pow` (`(-2.0) ** 2.0 == 4`, `0 ** 0 == 1`, NaN for a negative base and a non-integral
    /// exponent); integer powers wrap on overflow, and a negative integer exponent makes `compute`
    /// throw ``ParallelError/negativeIntegerPower(exponent:)``.
    /// - Parameters:
    ///   - lhs: the bases.
    ///   - rhs: the exponents: an array of the same shape and chunks.
    /// - Returns: the lazy powers.
    /// - Throws: as `+`.
    public static func ** (lhs: ChunkedArray, rhs: ChunkedArray) throws -> ChunkedArray { try combine(lhs, rhs, .power) }

    /// `x + s` for every element.
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: a scalar.
    /// - Returns: the lazy result.
    public static func + (lhs: ChunkedArray, rhs: Element) -> ChunkedArray { scalar(lhs, rhs, .add, left: false) }
    /// `s + x` for every element.
    /// - Parameters:
    ///   - lhs: a scalar.
    ///   - rhs: an array.
    /// - Returns: the lazy result.
    public static func + (lhs: Element, rhs: ChunkedArray) -> ChunkedArray { scalar(rhs, lhs, .add, left: true) }
    /// `x − s` for every element.
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: a scalar.
    /// - Returns: the lazy result.
    public static func - (lhs: ChunkedArray, rhs: Element) -> ChunkedArray { scalar(lhs, rhs, .subtract, left: false) }
    /// `s − x` for every element.
    /// - Parameters:
    ///   - lhs: a scalar.
    ///   - rhs: an array.
    /// - Returns: the lazy result.
    public static func - (lhs: Element, rhs: ChunkedArray) -> ChunkedArray { scalar(rhs, lhs, .subtract, left: true) }
    /// `x · s` for every element.
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: a scalar.
    /// - Returns: the lazy result.
    public static func * (lhs: ChunkedArray, rhs: Element) -> ChunkedArray { scalar(lhs, rhs, .multiply, left: false) }
    /// `s · x` for every element.
    /// - Parameters:
    ///   - lhs: a scalar.
    ///   - rhs: an array.
    /// - Returns: the lazy result.
    public static func * (lhs: Element, rhs: ChunkedArray) -> ChunkedArray { scalar(rhs, lhs, .multiply, left: true) }
    /// `x / s` for every element (integer division by 0 makes `compute` throw).
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: a scalar.
    /// - Returns: the lazy result.
    public static func / (lhs: ChunkedArray, rhs: Element) -> ChunkedArray {
        if Element.elementKind.storage == .int && rhs == .zero {
            return ChunkedArray(node: InvalidNode(error: .integerDivisionByZero(task: "(\(lhs.node.label)) / 0"), layout: lhs.node.layout))
        }
        return scalar(lhs, rhs, .divide, left: false)
    }
    /// `s / x` for every element.
    /// - Parameters:
    ///   - lhs: a scalar.
    ///   - rhs: an array.
    /// - Returns: the lazy result.
    public static func / (lhs: Element, rhs: ChunkedArray) -> ChunkedArray { scalar(rhs, lhs, .divide, left: true) }
    /// `s ** x` for every element (the scalar is the base), as NumPy's `2 ** x`; the same rules as
    /// `x ** y` (integer exponents below 0 make `compute` throw ``ParallelError/negativeIntegerPower(exponent:)``).
    /// - Parameters:
    ///   - lhs: the base.
    ///   - rhs: the exponents.
    /// - Returns: the lazy result.
    public static func ** (lhs: Element, rhs: ChunkedArray) -> ChunkedArray { scalar(rhs, lhs, .power, left: true) }

    /// `−x` for every element.
    /// - Parameter x: an array.
    /// - Returns: the lazy result.
    public static prefix func - (x: ChunkedArray) -> ChunkedArray {
        ChunkedArray(node: ElementwiseNode.unary(x.node, { .unary(.negate, $0) }, text: { "-\($0)" }))
    }

    /// `xᵉ` for every element; for integer arrays `e` must be ≥ 0 (else `compute` throws
    /// ``ParallelError/negativeIntegerPower(exponent:)``) and the result wraps on overflow.
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: the exponent.
    /// - Returns: the lazy result.
    public static func ** (lhs: ChunkedArray, rhs: Int) -> ChunkedArray {
        if Element.elementKind.storage == .int && rhs < 0 {
            return ChunkedArray(node: InvalidNode(error: .negativeIntegerPower(exponent: rhs), layout: lhs.node.layout))
        }
        return ChunkedArray(node: ElementwiseNode.unary(lhs.node, { .power($0, exponent: rhs) }, text: { "\($0) ** \(rhs)" }))
    }
}

extension ChunkedArray where Element: ChunkFloatingElement {
    /// `xᵉ` for every element, with a floating-point exponent (`x ** 0.5`); C's `pow`, as NumPy
    /// (`(-2.0) ** 2.0 == 4`, `0 ** 0 == 1`).
    /// - Parameters:
    ///   - lhs: an array.
    ///   - rhs: the exponent.
    /// - Returns: the lazy result.
    public static func ** (lhs: ChunkedArray, rhs: Element) -> ChunkedArray {
        ChunkedArray(node: ElementwiseNode.unary(lhs.node, { .realPower($0, exponent: rhs) }, text: { "\($0) ** \(rhs)" }))
    }

    func unary(_ op: UnaryOperator) -> ChunkedArray {
        ChunkedArray(node: ElementwiseNode.unary(node, { .unary(op, $0) }, text: { "\(op.rawValue)(\($0))" }))
    }
}

// Element-wise functions are methods (`x.sqrt()`), not global overloads of `sqrt`, `exp`, …:
// global ones would travel with `import Verdant` into every user's scope beside Foundation's.
extension ChunkedArray where Element: ChunkFloatingElement {
    /// √x for every element.
    /// - Returns: the lazy result (NaN for negative elements).
    public func sqrt() -> ChunkedArray { unary(.sqrt) }
    /// eˣ for every element.
    /// - Returns: the lazy result.
    public func exp() -> ChunkedArray { unary(.exp) }
    /// The natural logarithm of every element.
    /// - Returns: the lazy result (NaN for negative elements, −∞ for 0).
    public func log() -> ChunkedArray { unary(.log) }
    /// The sine of every element (radians).
    /// - Returns: the lazy result.
    public func sin() -> ChunkedArray { unary(.sin) }
    /// The cosine of every element (radians).
    /// - Returns: the lazy result.
    public func cos() -> ChunkedArray { unary(.cos) }
}

extension ChunkedArray {
    /// |x| for every element (integers: `Int.min` stays `Int.min`, as in NumPy).
    /// - Returns: the lazy result.
    public func abs() -> ChunkedArray {
        ChunkedArray(node: ElementwiseNode.unary(node, { .unary(.abs, $0) }, text: { "abs(\($0))" }))
    }
}
