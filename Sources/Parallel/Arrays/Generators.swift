import RealModule

/// Counter-based random numbers: element k of a stream is a pure function of (seed, k), so an
/// array's values do not depend on its chunks, threads or ranks.
///
/// Element k is the (k + 1)-th output of SplitMix64 seeded with `seed`:
/// `z = seed + (k + 1)·0x9E3779B97F4A7C15`, `z = (z ⊕ z≫30)·0xBF58476D1CE4E5B9`,
/// `z = (z ⊕ z≫27)·0x94D049BB133111EB`, `z ⊕ z≫31` (all mod 2⁶⁴).
enum CounterRandom {
    @inline(__always)
    static func bits(seed: UInt64, index: UInt64) -> UInt64 {
        var z = seed &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 53 bits.
    @inline(__always)
    static func uniform(seed: UInt64, index: UInt64) -> Double {
        Double(bits(seed: seed, index: index) >> 11) * 0x1p-53
    }

    /// Standard normal by Box–Muller from uniforms 2k and 2k + 1 of the stream:
    /// `sqrt(−2 ln(1 − u₁)) · cos(2π u₂)`.
    @inline(__always)
    static func normal(seed: UInt64, index: UInt64) -> Double {
        let u1 = uniform(seed: seed, index: 2 &* index)
        let u2 = uniform(seed: seed, index: 2 &* index &+ 1)
        return (-2 * Double.log(1 - u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// An integer in `low..<high` as `low + ⌊bits · (high − low) / 2⁶⁴⌋` (bias below (high − low)/2⁶⁴).
    @inline(__always)
    static func integer(seed: UInt64, index: UInt64, low: Int, span: UInt64) -> Int {
        let product = bits(seed: seed, index: index).multipliedFullWidth(by: span)
        return low &+ Int(bitPattern: UInt(product.high))
    }
}

/// The distribution of ``ChunkedArray`` random values.
public enum Distribution: Sendable, Hashable {
    /// Uniform in `low..<high`.
    case uniform(low: Double, high: Double)
    /// Normal with this mean and standard deviation.
    case normal(mean: Double, standardDeviation: Double)
    /// Integers uniform in `low..<high` (for `Int` arrays).
    case integers(low: Int, high: Int)

    /// Uniform in [0, 1).
    public static let unit = Distribution.uniform(low: 0, high: 1)
    /// Standard normal.
    public static let standardNormal = Distribution.normal(mean: 0, standardDeviation: 1)

    /// Whether the values are real numbers (uniform, normal), which `Int` arrays cannot hold.
    var isReal: Bool {
        if case .integers = self { return false }
        return true
    }
}

/// Values defined by their position: filled per block, never stored.
struct Generator<Element: ChunkElement>: Sendable {
    enum Kind: Sendable {
        case full(Element)
        case arange(start: Element, step: Element)
        case random(seed: UInt64, Distribution)
    }

    let kind: Kind
    /// Columns of the whole array (flat index = row · totalColumns + column).
    let totalColumns: Int

    var label: String {
        switch kind {
        case .full(let value): "full(\(value))"
        case .arange(let start, let step): "arange(start \(start), step \(step))"
        case .random(let seed, let distribution): "random(\(distribution), seed \(seed))"
        }
    }

    /// Writes the `count` values starting at global (row, column) into `out`.
    func fill(_ out: UnsafeMutablePointer<Element>, row: Int, column: Int, count: Int) {
        let first = row * totalColumns + column
        switch kind {
        case .full(let value):
            out.update(repeating: value, count: count)
        case .arange(let start, let step):
            switch Element.elementKind.storage {
            case .int:
                let out = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Int.self)
                let s = unsafeBitCast(start, to: Int.self), d = unsafeBitCast(step, to: Int.self)
                for i in 0..<count { out[i] = s &+ (first + i) &* d }
            case .double, .float:
                let s = start.doubleValue, d = step.doubleValue
                for i in 0..<count { out[i] = Element(convertingFrom: s + Double(first + i) * d) }
            }
        case .random(let seed, let distribution):
            switch distribution {
            case .uniform(let low, let high):
                let width = high - low
                for i in 0..<count {
                    out[i] = Element(convertingFrom: low + width * CounterRandom.uniform(seed: seed, index: UInt64(first + i)))
                }
            case .normal(let mean, let deviation):
                for i in 0..<count {
                    out[i] = Element(convertingFrom: mean + deviation * CounterRandom.normal(seed: seed, index: UInt64(first + i)))
                }
            case .integers(let low, let high):
                let span = UInt64(bitPattern: Int64(high &- low))
                if Element.elementKind.storage == .int {
                    let out = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Int.self)
                    for i in 0..<count { out[i] = CounterRandom.integer(seed: seed, index: UInt64(first + i), low: low, span: span) }
                } else {
                    for i in 0..<count {
                        out[i] = Element(convertingFrom: Double(CounterRandom.integer(seed: seed, index: UInt64(first + i), low: low, span: span)))
                    }
                }
            }
        }
    }
}
