import Foundation

/// A lazy, chunked 1-D or 2-D array of `Double`, `Float` or `Int` — the analogue of a Dask array.
///
/// Operations build a task graph; nothing runs until ``compute(on:using:)``. Elementwise chains
/// fuse into one pass per chunk; reductions run as chunk → combine (a fixed tree) → aggregate, so
/// results do not depend on the number of threads or ranks.
///
/// ```swift
/// let x = ChunkedArray(Array(0..<10), chunks: 5)   // like da.from_array(range(10), chunks=5)
/// let y = x ** 2                                    // lazy: builds a task graph
/// print(try y.compute())                            // [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
/// ```
/// Operations that combine two arrays throw when their shapes or chunks differ; problems found
/// while building without `try` (invalid chunks in the seed's initialiser, negative integer powers)
/// are thrown by `compute`.
public struct ChunkedArray<Element: ChunkElement>: Sendable, CustomStringConvertible {
    let node: ArrayNode<Element>

    init(node: ArrayNode<Element>) { self.node = node }

    /// The shape: `[n]` or `[rows, columns]`.
    public var shape: [Int] { node.layout.shape }
    /// The canonical chunks.
    public var chunks: Chunks { node.layout.chunks }
    /// 1 or 2.
    public var dimensions: Int { node.layout.dimensions }
    /// The number of elements.
    public var count: Int { node.layout.count }

    /// `ChunkedArray<float64>(shape: [10], chunks: [[5, 5]])`.
    public var description: String { "ChunkedArray<\(Element.elementKind)>(shape: \(shape), chunks: \(chunks))" }

    // MARK: - Creation

    /// A 1-D array holding `values` (copied), cut into chunks.
    ///
    /// Does not throw, so that the seed's example reads as written; invalid chunks make
    /// ``compute(on:using:)`` throw ``ParallelError/invalidChunks(_:)``.
    /// - Parameters:
    ///   - values: the elements.
    ///   - chunks: the chunking (`5` means chunks of 5).
    public init(_ values: [Element], chunks: ChunkSpec = .auto) {
        let buffer = values.withUnsafeBufferPointer { ChunkBuffer(rows: 1, columns: values.count, copying: $0) }
        do {
            let layout = Layout(try Chunks(shape: [values.count], chunks, elementBytes: Element.elementKind.byteCount))
            node = StoredNode(buffer: buffer, layout: layout)
        } catch let error as ParallelError {
            node = InvalidNode(error: error, layout: Layout(Chunks(unchecked: [[values.count]])))
        } catch {
            node = InvalidNode(error: .invalidChunks("\(error)"), layout: Layout(Chunks(unchecked: [[values.count]])))
        }
    }

    /// An array of `shape` holding `values` in row-major order (copied).
    /// - Parameters:
    ///   - values: `shape.reduce(1, *)` elements, row-major.
    ///   - shape: `[n]` or `[rows, columns]`.
    ///   - chunks: the chunking.
    /// - Throws: ``ParallelError/invalidShape(_:)`` when the count does not match the shape;
    ///   ``ParallelError/invalidChunks(_:)``.
    public init(_ values: [Element], shape: [Int], chunks: ChunkSpec = .auto) throws {
        let layout = Layout(try Chunks(shape: shape, chunks, elementBytes: Element.elementKind.byteCount))
        guard layout.count == values.count else {
            throw ParallelError.invalidShape("\(values.count) values cannot fill shape \(shape) (\(layout.count) elements)")
        }
        let buffer = values.withUnsafeBufferPointer { ChunkBuffer(rows: layout.rows, columns: layout.columns, copying: $0) }
        node = StoredNode(buffer: buffer, layout: layout)
    }

    /// A 2-D array from its rows (copied).
    /// - Parameters:
    ///   - rows: equally long rows.
    ///   - chunks: the chunking.
    /// - Throws: ``ParallelError/invalidShape(_:)`` for ragged rows; ``ParallelError/invalidChunks(_:)``.
    public init(rows: [[Element]], chunks: ChunkSpec = .auto) throws {
        let width = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw ParallelError.invalidShape("row \(bad) has \(rows[bad].count) elements; row 0 has \(width) (rows must be equally long)")
        }
        try self.init(rows.flatMap { $0 }, shape: [rows.count, width], chunks: chunks)
    }

    init(generator kind: Generator<Element>.Kind, shape: [Int], chunks: ChunkSpec) throws {
        let layout = Layout(try Chunks(shape: shape, chunks, elementBytes: Element.elementKind.byteCount))
        node = GeneratedNode(generator: Generator(kind: kind, totalColumns: layout.columns), layout: layout)
    }

    /// An array of `shape` filled with `value` (generated per chunk, never stored).
    /// - Parameters:
    ///   - value: the element.
    ///   - shape: `[n]` or `[rows, columns]`.
    ///   - chunks: the chunking.
    /// - Returns: the array.
    /// - Throws: ``ParallelError/invalidShape(_:)``, ``ParallelError/invalidChunks(_:)``.
    public static func full(_ value: Element, shape: [Int], chunks: ChunkSpec = .auto) throws -> ChunkedArray {
        try ChunkedArray(generator: .full(value), shape: shape, chunks: chunks)
    }

    /// Zeros of `shape`.
    /// - Parameters:
    ///   - shape: `[n]` or `[rows, columns]`.
    ///   - chunks: the chunking.
    /// - Returns: the array.
    /// - Throws: as ``full(_:shape:chunks:)``.
    public static func zeros(shape: [Int], chunks: ChunkSpec = .auto) throws -> ChunkedArray {
        try full(.zero, shape: shape, chunks: chunks)
    }

    /// Ones of `shape`.
    /// - Parameters:
    ///   - shape: `[n]` or `[rows, columns]`.
    ///   - chunks: the chunking.
    /// - Returns: the array.
    /// - Throws: as ``full(_:shape:chunks:)``.
    public static func ones(shape: [Int], chunks: ChunkSpec = .auto) throws -> ChunkedArray {
        try full(1, shape: shape, chunks: chunks)
    }

    /// `start, start + step, …` below `stop` (above it for a negative step), as NumPy's `arange`:
    /// element k is `start + k · step`; the length is ⌈(stop − start) / step⌉ (at least 0).
    /// - Parameters:
    ///   - start: the first value.
    ///   - stop: the bound, not included.
    ///   - step: the difference between neighbours (not 0).
    ///   - chunks: the chunking.
    /// - Returns: a 1-D array.
    /// - Throws: ``ParallelError/invalidArgument(_:)`` for a zero or non-finite step, for integers
    ///   whose difference `stop − start` overflows `Int`, and for a length that does not fit in
    ///   `Int`; ``ParallelError/invalidChunks(_:)``.
    public static func arange(_ start: Element, _ stop: Element, step: Element = 1, chunks: ChunkSpec = .auto) throws -> ChunkedArray {
        let s = start.doubleValue, e = stop.doubleValue, d = step.doubleValue
        let call = "arange: start \(start), stop \(stop), step \(step)"
        guard d != 0, d.isFinite, s.isFinite, e.isFinite else {
            throw ParallelError.invalidArgument("\(call): the step must be finite and not 0")
        }
        let length: Int
        if Element.elementKind.storage == .int, let a = start as? Int, let b = stop as? Int, let c = step as? Int {
            let (span, overflow) = b.subtractingReportingOverflow(a)
            guard !overflow else {
                throw ParallelError.invalidArgument("\(call): stop − start overflows Int; give a start and stop whose difference "
                    + "fits in Int (\(Int.min)...\(Int.max))")
            }
            // ⌈span / c⌉ when span and c have the same sign, else 0. Only Int.min / −1 (a length of
            // 2⁶³) overflows.
            if span == 0 || (span > 0) != (c > 0) {
                length = 0
            } else {
                let quotient = span.dividedReportingOverflow(by: c)
                let remainder = span.remainderReportingOverflow(dividingBy: c)
                let rounded = quotient.partialValue.addingReportingOverflow(remainder.partialValue == 0 ? 0 : 1)
                guard !quotient.overflow, !rounded.overflow else {
                    throw ParallelError.invalidArgument("\(call): the array would have 2⁶³ or more elements; its length must fit in Int")
                }
                length = rounded.partialValue
            }
        } else {
            let count = ((e - s) / d).rounded(.up)
            // −∞ (an empty range wider than Double can hold) is simply empty.
            guard count <= 0 || count < 0x1p63 else {
                throw ParallelError.invalidArgument("\(call): the array would have \(count) elements; its length must fit in Int")
            }
            length = count <= 0 ? 0 : Int(count)
        }
        return try ChunkedArray(generator: .arange(start: start, step: step), shape: [length], chunks: chunks)
    }

    /// `0, 1, …, count − 1`.
    /// - Parameters:
    ///   - count: the length (≥ 0).
    ///   - chunks: the chunking.
    /// - Returns: a 1-D array.
    /// - Throws: ``ParallelError/invalidShape(_:)``, ``ParallelError/invalidChunks(_:)``.
    public static func arange(_ count: Int, chunks: ChunkSpec = .auto) throws -> ChunkedArray {
        try ChunkedArray(generator: .arange(start: .zero, step: 1), shape: [count], chunks: chunks)
    }

    /// Seeded random values: element k (row-major) is a pure function of (seed, k), so the same
    /// seed gives the same array whatever the chunks, threads or ranks (see docs/parallel.md for the
    /// generator: SplitMix64 by position; normals by Box–Muller).
    /// - Parameters:
    ///   - shape: `[n]` or `[rows, columns]`.
    ///   - chunks: the chunking.
    ///   - seed: the seed.
    ///   - distribution: uniform (default [0, 1)), normal, or integers. `Int` arrays take only
    ///     `.integers(low:high:)`; `Double` and `Float` arrays take all three.
    /// - Returns: the array (generated per chunk, never stored).
    /// - Throws: ``ParallelError/invalidArgument(_:)`` for an empty or non-finite range or a negative
    ///   deviation, and for a uniform or normal distribution asked of an `Int` array (its values
    ///   would be truncated: all zeros for ``Distribution/unit``); ``ParallelError/invalidShape(_:)``, ``ParallelError/invalidChunks(_:)``.
    public static func random(shape: [Int], chunks: ChunkSpec = .auto, seed: UInt64,
                              distribution: Distribution = .unit) throws -> ChunkedArray
    {
        if Element.elementKind.storage == .int, distribution.isReal {
            throw ParallelError.invalidArgument("random: \(distribution) gives real numbers, which an Int array cannot hold (they "
                + "would be truncated toward 0); use .integers(low:high:) for an Int array, or make a Double array")
        }
        switch distribution {
        case .uniform(let low, let high):
            guard low.isFinite, high.isFinite, low <= high else {
                throw ParallelError.invalidArgument("random: uniform(low: \(low), high: \(high)) needs finite low ≤ high")
            }
        case .normal(let mean, let deviation):
            guard mean.isFinite, deviation.isFinite, deviation >= 0 else {
                throw ParallelError.invalidArgument("random: normal(mean: \(mean), standardDeviation: \(deviation)) needs a finite mean and deviation ≥ 0")
            }
        case .integers(let low, let high):
            guard low < high, high.subtractingReportingOverflow(low).overflow == false else {
                throw ParallelError.invalidArgument("random: integers(low: \(low), high: \(high)) needs low < high (and high − low to fit in Int)")
            }
        }
        return try ChunkedArray(generator: .random(seed: seed, distribution), shape: shape, chunks: chunks)
    }

    // MARK: - Structure

    /// The same values cut into new chunks.
    /// - Parameter chunks: the new chunking.
    /// - Returns: the rechunked array (chunks that fall inside one old chunk are not copied).
    /// - Throws: ``ParallelError/invalidChunks(_:)``.
    public func rechunk(_ chunks: ChunkSpec) throws -> ChunkedArray {
        let layout = Layout(try Chunks(shape: shape, chunks, elementBytes: Element.elementKind.byteCount))
        if layout == node.layout { return self }
        return ChunkedArray(node: RechunkNode(input: node, layout: layout, label: "rechunk"))
    }

    /// The transpose (rows become columns); a 1-D array is its own transpose.
    public var transposed: ChunkedArray {
        dimensions == 1 ? self : ChunkedArray(node: TransposeNode(input: node))
    }

    /// Elements `range` of a 1-D array (lazy; chunks follow the old chunk boundaries).
    /// - Parameter range: e.g. `2..<7`, `3...`, `..<5`.
    /// - Returns: the slice.
    /// - Throws: ``ParallelError/sliceOutOfRange(axis:received:length:)``;
    ///   ``ParallelError/invalidAxis(received:dimensions:operation:)`` for a 2-D array.
    public subscript<R: RangeExpression>(range: R) -> ChunkedArray where R.Bound == Int {
        get throws {
            guard dimensions == 1 else {
                throw ParallelError.invalidArgument("slicing a 2-D array needs a range for rows and one for columns: x[rows, columns]")
            }
            let r = try ChunkedArray.bounds(range, axis: 0, length: node.layout.columns)
            return slice(rows: 0..<1, columns: r)
        }
    }

    /// Rows `rows` and columns `columns` of a 2-D array (lazy).
    /// - Parameters:
    ///   - rows: a range of rows.
    ///   - columns: a range of columns.
    /// - Returns: the slice.
    /// - Throws: ``ParallelError/sliceOutOfRange(axis:received:length:)``.
    public subscript<R: RangeExpression, C: RangeExpression>(rows: R, columns: C) -> ChunkedArray where R.Bound == Int, C.Bound == Int {
        get throws {
            guard dimensions == 2 else {
                throw ParallelError.invalidArgument("x[rows, columns] needs a 2-D array; this one is 1-D (use x[range])")
            }
            let r = try ChunkedArray.bounds(rows, axis: 0, length: node.layout.rows)
            let c = try ChunkedArray.bounds(columns, axis: 1, length: node.layout.columns)
            return slice(rows: r, columns: c)
        }
    }

    private static func bounds<R: RangeExpression>(_ range: R, axis: Int, length: Int) throws -> Range<Int> where R.Bound == Int {
        let r = range.relative(to: 0..<length)
        guard r.lowerBound >= 0, r.upperBound <= length else {
            throw ParallelError.sliceOutOfRange(axis: axis, received: "\(r.lowerBound)..<\(r.upperBound)", length: length)
        }
        return r
    }

    private func slice(rows: Range<Int>, columns: Range<Int>) -> ChunkedArray {
        let l = node.layout
        func cut(_ offsets: [Int], _ range: Range<Int>) -> [Int] {
            var result: [Int] = []
            for k in 0..<(offsets.count - 1) {
                let lo = Swift.max(range.lowerBound, offsets[k]), hi = Swift.min(range.upperBound, offsets[k + 1])
                if hi > lo { result.append(hi - lo) }
            }
            return result.isEmpty ? [0] : result
        }
        let layout = Layout(dimensions: l.dimensions, rowLengths: cut(l.rowOffsets, rows), columnLengths: cut(l.columnOffsets, columns))
        return ChunkedArray(node: RechunkNode(input: node, layout: layout, rowStart: rows.lowerBound, columnStart: columns.lowerBound,
                                              label: "slice"))
    }

    /// Arrays joined along `axis`; the other axis must have the same length and chunks.
    /// - Parameters:
    ///   - arrays: at least one array, all 1-D or all 2-D.
    ///   - axis: 0 (rows, or the only axis) or 1 (columns); −1 is the last axis.
    /// - Returns: the joined array; its chunks are the inputs' chunks in order.
    /// - Throws: ``ParallelError/invalidArgument(_:)`` for no arrays or mixed dimensions;
    ///   ``ParallelError/invalidAxis(received:dimensions:operation:)``;
    ///   ``ParallelError/shapeMismatch(operation:left:right:)``; ``ParallelError/chunkMismatch(operation:left:right:)``.
    public static func concatenate(_ arrays: [ChunkedArray], axis: Int = 0) throws -> ChunkedArray {
        guard let first = arrays.first else { throw ParallelError.invalidArgument("concatenate: give at least one array") }
        let d = first.dimensions
        guard arrays.allSatisfy({ $0.dimensions == d }) else {
            throw ParallelError.invalidArgument("concatenate: the arrays mix 1-D and 2-D; give arrays of one dimension")
        }
        let internalAxis = try first.internalAxis(axis, operation: "concatenate")
        for a in arrays.dropFirst() {
            let (other1, other2) = internalAxis == 0 ? (a.node.layout.columnLengths, first.node.layout.columnLengths)
                : (a.node.layout.rowLengths, first.node.layout.rowLengths)
            let lengths1 = other1.reduce(0, +), lengths2 = other2.reduce(0, +)
            guard lengths1 == lengths2 else {
                throw ParallelError.shapeMismatch(operation: "concatenate along axis \(axis)", left: first.shape, right: a.shape)
            }
            guard other1 == other2 else {
                throw ParallelError.chunkMismatch(operation: "concatenate along axis \(axis)", left: "\(first.chunks)", right: "\(a.chunks)")
            }
        }
        func joined(_ lists: [[Int]]) -> [Int] {
            let nonEmpty = lists.filter { $0 != [0] }
            return nonEmpty.isEmpty ? [0] : nonEmpty.flatMap { $0 }
        }
        let l = first.node.layout
        let layout = internalAxis == 0
            ? Layout(dimensions: d, rowLengths: joined(arrays.map(\.node.layout.rowLengths)), columnLengths: l.columnLengths)
            : Layout(dimensions: d, rowLengths: l.rowLengths, columnLengths: joined(arrays.map(\.node.layout.columnLengths)))
        return ChunkedArray(node: ConcatenateNode(inputs: arrays.map(\.node), axis: internalAxis, layout: layout))
    }

    /// The internal axis (0 rows, 1 columns) of public `axis`.
    func internalAxis(_ axis: Int, operation: String) throws -> Int {
        let a = axis < 0 ? axis + dimensions : axis
        guard (0..<dimensions).contains(a) else {
            throw ParallelError.invalidAxis(received: axis, dimensions: dimensions, operation: operation)
        }
        return dimensions == 1 ? 1 : a
    }

    // MARK: - Closures

    /// Applies `transform` to every element (fused with neighbouring elementwise operations).
    /// - Parameter transform: the function.
    /// - Returns: the mapped array, same shape and chunks.
    public func map(_ transform: @escaping @Sendable (Element) -> Element) -> ChunkedArray {
        ChunkedArray(node: ElementwiseNode.unary(node, { .closure($0, transform) }, text: { "map(\($0))" }))
    }

    /// Applies `transform` to every element, giving another element type.
    /// - Parameters:
    ///   - type: the new element type.
    ///   - transform: the function.
    /// - Returns: the mapped array, same shape and chunks.
    public func map<Other: ChunkElement>(to type: Other.Type, _ transform: @escaping @Sendable (Element) -> Other) -> ChunkedArray<Other> {
        ChunkedArray<Other>(node: ConvertNode(input: node, transform: transform))
    }

    /// Applies `transform` to each chunk; it must return as many values as the chunk has.
    /// - Parameter transform: receives the chunk's values (row-major), shape, index and origin.
    /// - Returns: the new array, same shape and chunks.
    ///   ``compute(on:using:)`` throws ``ParallelError/blockShapeMismatch(task:expected:received:)``
    ///   when a block comes back with the wrong count, and
    ///   ``ParallelError/taskFailed(task:rank:underlying:)`` when `transform` throws.
    public func mapBlocks(_ transform: @escaping @Sendable (Block<Element>) throws -> [Element]) -> ChunkedArray {
        ChunkedArray(node: MapBlocksNode(input: node, transform: transform))
    }

    // MARK: - Linear algebra

    /// The matrix product (blocked: tile (i, j) = Σ_p A(i, p) · B(p, j)).
    /// - Parameter other: a 2-D array whose rows equal this array's columns, chunked the same way.
    /// - Returns: the product, with this array's row chunks and `other`'s column chunks.
    /// - Throws: ``ParallelError/shapeMismatch(operation:left:right:)``,
    ///   ``ParallelError/chunkMismatch(operation:left:right:)``, or
    ///   ``ParallelError/invalidArgument(_:)`` for 1-D operands.
    public func matmul(_ other: ChunkedArray) throws -> ChunkedArray {
        guard dimensions == 2, other.dimensions == 2 else {
            throw ParallelError.invalidArgument("matmul needs two 2-D arrays, received shapes \(shape) and \(other.shape) (use dot for 1-D)")
        }
        guard shape[1] == other.shape[0] else { throw ParallelError.shapeMismatch(operation: "matmul", left: shape, right: other.shape) }
        guard node.layout.columnLengths == other.node.layout.rowLengths else {
            throw ParallelError.chunkMismatch(operation: "matmul (left column chunks vs right row chunks)",
                                              left: "\(node.layout.columnLengths)", right: "\(other.node.layout.rowLengths)")
        }
        return ChunkedArray(node: MatmulNode(a: node, b: other.node))
    }

    /// The dot product Σ aᵢ·bᵢ of two 1-D arrays with the same chunks (fused: one pass).
    /// - Parameter other: a 1-D array of the same length and chunks.
    /// - Returns: the lazy sum of products.
    /// - Throws: as elementwise `*`, or ``ParallelError/invalidArgument(_:)`` for 2-D operands.
    public func dot(_ other: ChunkedArray) throws -> LazyValue<Element> {
        guard dimensions == 1, other.dimensions == 1 else {
            throw ParallelError.invalidArgument("dot needs two 1-D arrays, received shapes \(shape) and \(other.shape) (use matmul for 2-D)")
        }
        return try (self * other).sum()
    }
}
