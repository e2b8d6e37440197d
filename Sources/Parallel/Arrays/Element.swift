import RealModule

/// The storage kind of an array element: float64, float32 or int64 (NumPy's names).
///
/// Only Verdant's own conformances (`Double`, `Float`, `Int`) can produce one, so
/// ``ChunkElement`` is closed to other types.
public struct ElementKind: Hashable, Sendable, CustomStringConvertible {
    enum Storage: Sendable { case double, float, int }
    let storage: Storage

    /// NumPy's name for the type: `float64`, `float32`, `int64`.
    public var description: String {
        switch storage {
        case .double: "float64"
        case .float: "float32"
        case .int: "int64"
        }
    }

    /// Bytes per element.
    public var byteCount: Int { storage == .float ? 4 : 8 }

    static let double = ElementKind(storage: .double)
    static let float = ElementKind(storage: .float)
    static let int = ElementKind(storage: .int)
}

/// An element type of ``ChunkedArray``: `Double`, `Float` or `Int` (closed: other types cannot
/// conform, because only these three can name their ``ElementKind``).
public protocol ChunkElement: Numeric, Comparable, Sendable, CustomStringConvertible {
    /// How the element is stored (and named in `.npy` files).
    static var elementKind: ElementKind { get }
    /// Converts to `Double` (exact for `Float`; for `Int`, exact up to 2⁵³).
    var doubleValue: Double { get }
    /// The element nearest to `value` (rounded toward zero for `Int`; NaN and infinities become 0
    /// and the extreme integers).
    init(convertingFrom value: Double)
}

/// A floating-point element type of ``ChunkedArray``: `Double` or `Float`.
public protocol ChunkFloatingElement: ChunkElement, BinaryFloatingPoint, Real {}

extension Double: ChunkFloatingElement {
    /// float64.
    public static var elementKind: ElementKind { .double }
    /// The value itself.
    public var doubleValue: Double { self }
    /// The value itself.
    /// - Parameter value: the value.
    public init(convertingFrom value: Double) { self = value }
}

extension Float: ChunkFloatingElement {
    /// float32.
    public static var elementKind: ElementKind { .float }
    /// The value as a `Double` (exact).
    public var doubleValue: Double { Double(self) }
    /// The nearest `Float`.
    /// - Parameter value: the value.
    public init(convertingFrom value: Double) { self = Float(value) }
}

extension Int: ChunkElement {
    /// int64.
    public static var elementKind: ElementKind { .int }
    /// The value as a `Double` (exact up to 2⁵³).
    public var doubleValue: Double { Double(self) }
    /// The value rounded toward zero, clamped to `Int.min...Int.max`; NaN becomes 0.
    /// - Parameter value: the value.
    public init(convertingFrom value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.223372036854775807e18 {
            self = .max
        } else if value <= -9.223372036854775808e18 {
            self = .min
        } else {
            self = Int(value)
        }
    }
}
