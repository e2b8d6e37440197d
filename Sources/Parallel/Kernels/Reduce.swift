// Reduction kernels: chunk → partial, partial + partial → partial (combine), partial → value
// (aggregate). Partials hold Double for floating-point inputs (Float is accumulated in Double) and
// Int for integer sums, products, minima and maxima (wrapping, as NumPy's int64). Combining is
// done in a fixed order over chunks, so a result depends only on the chunking, never on the number
// of threads or ranks.

/// What a reduction computes.
enum ReductionKind: Sendable, Hashable {
    case sum, product, minimum, maximum, mean, variance, argmax, argmin

    var name: String {
        switch self {
        case .sum: "sum"
        case .product: "prod"
        case .minimum: "min"
        case .maximum: "max"
        case .mean: "mean"
        case .variance: "variance"
        case .argmax: "argmax"
        case .argmin: "argmin"
        }
    }

    /// Whether the reduction of nothing is undefined.
    var needsElements: Bool { !(self == .sum || self == .product) }
}

/// The partial result of a reduction over some elements.
struct Partial: Sendable, Equatable {
    /// Elements absorbed.
    var count = 0
    /// Sum, product, extreme value, mean (variance) — for floating-point inputs and means.
    var real = 0.0
    /// M2, the sum of squared deviations from the mean (variance only).
    var second = 0.0
    /// Sum, product or extreme value of integer inputs.
    var integer = 0
    /// The flat index of the extreme value (argmax, argmin).
    var index = 0

    static func identity(_ kind: ReductionKind) -> Partial {
        kind == .product ? Partial(real: 1, integer: 1) : Partial()
    }

    /// Five words (``wordCount``), for exchange between ranks: count, real, second, integer, index.
    var words: [UInt64] {
        [UInt64(bitPattern: Int64(count)), real.bitPattern, second.bitPattern, UInt64(bitPattern: Int64(integer)),
         UInt64(bitPattern: Int64(index))]
    }

    init(count: Int = 0, real: Double = 0, second: Double = 0, integer: Int = 0, index: Int = 0) {
        self.count = count
        self.real = real
        self.second = second
        self.integer = integer
        self.index = index
    }

    init(words: ArraySlice<UInt64>) {
        let w = Array(words)
        self.init(count: Int(Int64(bitPattern: w[0])), real: Double(bitPattern: w[1]), second: Double(bitPattern: w[2]),
                  integer: Int(Int64(bitPattern: w[3])), index: Int(Int64(bitPattern: w[4])))
    }

    static let wordCount = 5
}

enum Reduce {
    /// Absorbs `n` contiguous values whose first has flat index `firstIndex` (for arg-reductions;
    /// consecutive values have consecutive indices).
    static func absorbBlock<E: ChunkElement>(_ p: inout Partial, _ kind: ReductionKind, _ values: UnsafePointer<E>, _ n: Int,
                                             firstIndex: Int)
    {
        if n == 0 { return }
        switch E.elementKind.storage {
        case .double where kind == .sum || kind == .mean:
            p.real += sumDoubles(UnsafeRawPointer(values).assumingMemoryBound(to: Double.self), n)
            p.count += n
        case .double:
            absorbFloating(&p, kind, UnsafeRawPointer(values).assumingMemoryBound(to: Double.self), n, firstIndex)
        case .float:
            absorbFloating(&p, kind, UnsafeRawPointer(values).assumingMemoryBound(to: Float.self), n, firstIndex)
        case .int:
            absorbInteger(&p, kind, UnsafeRawPointer(values).assumingMemoryBound(to: Int.self), n, firstIndex)
        }
    }

    /// Absorbs value k into `partials[k]` for k in 0..<n (a reduction along rows); `index` is the
    /// values' row.
    static func absorbElementwise<E: ChunkElement>(_ partials: UnsafeMutablePointer<Partial>, _ kind: ReductionKind,
                                                   _ values: UnsafePointer<E>, _ n: Int, index: Int)
    {
        switch E.elementKind.storage {
        case .double:
            let v = UnsafeRawPointer(values).assumingMemoryBound(to: Double.self)
            if kind == .sum || kind == .mean {
                for k in 0..<n { partials[k].real += v[k]; partials[k].count += 1 }
            } else {
                for k in 0..<n { absorbFloating(&partials[k], kind, v + k, 1, index) }
            }
        case .float:
            let v = UnsafeRawPointer(values).assumingMemoryBound(to: Float.self)
            if kind == .sum || kind == .mean {
                for k in 0..<n { partials[k].real += Double(v[k]); partials[k].count += 1 }
            } else {
                for k in 0..<n { absorbFloating(&partials[k], kind, v + k, 1, index) }
            }
        case .int:
            let v = UnsafeRawPointer(values).assumingMemoryBound(to: Int.self)
            for k in 0..<n { absorbInteger(&partials[k], kind, v + k, 1, index) }
        }
    }

    @inline(__always)
    private static func absorbFloating<T: BinaryFloatingPoint>(_ p: inout Partial, _ kind: ReductionKind,
                                                                _ v: UnsafePointer<T>, _ n: Int, _ firstIndex: Int)
    {
        switch kind {
        case .sum, .mean:
            // Four accumulators in a fixed pattern: vectorisable and deterministic.
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var k = 0
            while k + 4 <= n {
                s0 += Double(v[k]); s1 += Double(v[k + 1]); s2 += Double(v[k + 2]); s3 += Double(v[k + 3])
                k += 4
            }
            while k < n { s0 += Double(v[k]); k += 1 }
            p.real += (s0 + s1) + (s2 + s3)
            p.count += n
        case .product:
            var product = p.real
            for k in 0..<n { product *= Double(v[k]) }
            p.real = product
            p.count += n
        case .minimum, .maximum:
            var best = p.count == 0 ? Double(v[0]) : p.real
            if !best.isNaN {
                for k in 0..<n {
                    let x = Double(v[k])
                    if x.isNaN { best = x; break }
                    if kind == .minimum ? x < best : x > best { best = x }
                }
            }
            p.real = best
            p.count += n
        case .variance:
            var sum = 0.0
            for k in 0..<n { sum += Double(v[k]) }
            let mean = sum / Double(n)
            var m2 = 0.0
            for k in 0..<n {
                let d = Double(v[k]) - mean
                m2 += d * d
            }
            p = mergeVariance(p, Partial(count: n, real: mean, second: m2))
        case .argmax, .argmin:
            var best = p.real, at = p.index, start = 0
            if p.count == 0 { best = Double(v[0]); at = firstIndex; start = 1 }
            if !best.isNaN {
                for k in start..<n {
                    let x = Double(v[k])
                    if x.isNaN { best = x; at = firstIndex + k; break }
                    if kind == .argmax ? x > best : x < best { best = x; at = firstIndex + k }
                }
            }
            p.real = best
            p.index = at
            p.count += n
        }
    }

    @inline(__always)
    private static func absorbInteger(_ p: inout Partial, _ kind: ReductionKind, _ v: UnsafePointer<Int>, _ n: Int,
                                      _ firstIndex: Int)
    {
        switch kind {
        case .sum:
            var s = p.integer
            for k in 0..<n { s = s &+ v[k] }
            p.integer = s
            p.count += n
        case .mean:
            var s = 0.0
            for k in 0..<n { s += Double(v[k]) }
            p.real += s
            p.count += n
        case .product:
            var s = p.integer
            for k in 0..<n { s = s &* v[k] }
            p.integer = s
            p.count += n
        case .minimum, .maximum:
            var best = p.count == 0 ? v[0] : p.integer
            for k in 0..<n where kind == .minimum ? v[k] < best : v[k] > best { best = v[k] }
            p.integer = best
            p.count += n
        case .variance:
            var sum = 0.0
            for k in 0..<n { sum += Double(v[k]) }
            let mean = sum / Double(n)
            var m2 = 0.0
            for k in 0..<n {
                let d = Double(v[k]) - mean
                m2 += d * d
            }
            p = mergeVariance(p, Partial(count: n, real: mean, second: m2))
        case .argmax, .argmin:
            var best = p.integer, at = p.index, start = 0
            if p.count == 0 { best = v[0]; at = firstIndex; start = 1 }
            for k in start..<n where kind == .argmax ? v[k] > best : v[k] < best {
                best = v[k]
                at = firstIndex + k
            }
            p.integer = best
            p.index = at
            p.count += n
        }
    }

    /// Σ v[0..<n] with eight accumulators in two SIMD4 vectors (lane-wise, then combined in a fixed
    /// order): vectorised, and the same result for the same block every time.
    @inline(__always)
    static func sumDoubles(_ v: UnsafePointer<Double>, _ n: Int) -> Double {
        var a = SIMD4<Double>(), b = SIMD4<Double>()
        let raw = UnsafeRawPointer(v)
        var k = 0
        while k + 8 <= n {
            a += raw.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            b += raw.loadUnaligned(fromByteOffset: (k + 4) * 8, as: SIMD4<Double>.self)
            k += 8
        }
        var tail = 0.0
        while k < n {
            tail += v[k]
            k += 1
        }
        let c = a + b
        return ((c[0] + c[1]) + (c[2] + c[3])) + tail
    }

    /// Chan et al.'s pairwise update: n = na + nb, δ = mean_b − mean_a,
    /// mean = mean_a + δ·nb/n, M2 = M2_a + M2_b + δ²·na·nb/n.
    static func mergeVariance(_ a: Partial, _ b: Partial) -> Partial {
        if a.count == 0 { return b }
        if b.count == 0 { return a }
        let n = a.count + b.count
        let delta = b.real - a.real
        let mean = a.real + delta * Double(b.count) / Double(n)
        let m2 = a.second + b.second + delta * delta * Double(a.count) * Double(b.count) / Double(n)
        return Partial(count: n, real: mean, second: m2)
    }

    /// Combines two partials; `a` covers elements that come first in the fixed combining order.
    static func combine(_ a: Partial, _ b: Partial, _ kind: ReductionKind, integerInput: Bool) -> Partial {
        switch kind {
        case .sum:
            return Partial(count: a.count + b.count, real: a.real + b.real, integer: a.integer &+ b.integer)
        case .product:
            return Partial(count: a.count + b.count, real: a.real * b.real, integer: a.integer &* b.integer)
        case .mean:
            return Partial(count: a.count + b.count, real: a.real + b.real)
        case .variance:
            return mergeVariance(a, b)
        case .minimum, .maximum:
            if a.count == 0 { return b }
            if b.count == 0 { return a }
            var result = a
            result.count += b.count
            if integerInput {
                result.integer = kind == .minimum ? min(a.integer, b.integer) : max(a.integer, b.integer)
            } else if a.real.isNaN || b.real.isNaN {
                result.real = .nan
            } else {
                result.real = kind == .minimum ? min(a.real, b.real) : max(a.real, b.real)
            }
            return result
        case .argmax, .argmin:
            if a.count == 0 { return b }
            if b.count == 0 { return a }
            let takeB: Bool
            if integerInput {
                let better = kind == .argmax ? b.integer > a.integer : b.integer < a.integer
                takeB = better || (b.integer == a.integer && b.index < a.index)
            } else if a.real.isNaN || b.real.isNaN {
                takeB = b.real.isNaN && (!a.real.isNaN || b.index < a.index)
            } else {
                let better = kind == .argmax ? b.real > a.real : b.real < a.real
                takeB = better || (b.real == a.real && b.index < a.index)
            }
            var result = takeB ? b : a
            result.count = a.count + b.count
            return result
        }
    }

    /// Combines partials pairwise, adjacent ones first, level by level (a fixed tree whose shape
    /// depends only on the number of partials).
    static func tree(_ partials: [Partial], _ kind: ReductionKind, integerInput: Bool) -> Partial {
        guard !partials.isEmpty else { return .identity(kind) }
        var level = partials
        while level.count > 1 {
            var next: [Partial] = []
            next.reserveCapacity((level.count + 1) / 2)
            var k = 0
            while k + 1 < level.count {
                next.append(combine(level[k], level[k + 1], kind, integerInput: integerInput))
                k += 2
            }
            if k < level.count { next.append(level[k]) }
            level = next
        }
        return level[0]
    }
}
