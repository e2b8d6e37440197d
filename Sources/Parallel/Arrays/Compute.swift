import Communication
import Foundation
import RealModule

/// What computing an array or value would do: tasks, chunks, bytes and operations.
public struct GraphSummary: Sendable, CustomStringConvertible {
    /// Tasks the scheduler would run (sources and fused elementwise steps need none of their own).
    public let tasks: Int
    /// Chunks of the result (1 for a reduction to one value).
    public let chunks: Int
    /// Bytes of the result.
    public let bytes: Int
    /// Bytes of the largest result chunk.
    public let largestChunkBytes: Int
    /// The operations, inputs first (`array`, `fused (array ** 2)`, `sum`, …).
    public let operations: [String]

    /// A few lines for people.
    public var description: String {
        """
        \(tasks) task\(tasks == 1 ? "" : "s"), \(chunks) chunk\(chunks == 1 ? "" : "s"), \(bytes) bytes \
        (largest chunk \(largestChunkBytes) bytes)
        operations: \(operations.joined(separator: " → "))
        """
    }
}

/// A lazy single value (a reduction): computed by ``compute(on:using:)``.
public struct LazyValue<Value: Sendable>: Sendable {
    let evaluate: @Sendable ((any Communicator)?, Scheduler) throws -> Value
    let summary: @Sendable () throws -> GraphSummary

    /// Computes the value on this process's cores, or spread over `communicator`'s ranks (every
    /// rank gets the same value, equal to the one-rank result bit for bit).
    /// - Parameters:
    ///   - communicator: the ranks to spread the chunks over (nil: this process alone).
    ///   - scheduler: the threads of this process.
    /// - Returns: the value.
    /// - Throws: ``ParallelError/emptyReduction(operation:)``, ``ParallelError/taskFailed(task:rank:underlying:)``,
    ///   communication errors, and errors recorded while the graph was built.
    public func compute(on communicator: (any Communicator)? = nil, using scheduler: Scheduler = .shared) throws -> Value {
        try evaluate(communicator, scheduler)
    }

    /// What computing the value would do.
    /// - Returns: the summary.
    /// - Throws: errors recorded while the graph was built.
    public func describe() throws -> GraphSummary { try summary() }
}

/// Anything in the node graph, for `describe()`.
protocol NodeDescribing: AnyObject {
    var label: String { get }
    var inputNodes: [AnyObject] { get }
}

extension ArrayNode: NodeDescribing {}

/// The labels of `node` and its inputs, inputs first, each once.
func operationLabels(_ node: AnyObject) -> [String] {
    var seen = Set<ObjectIdentifier>()
    var labels: [String] = []
    func visit(_ n: AnyObject) {
        guard seen.insert(ObjectIdentifier(n)).inserted, let d = n as? NodeDescribing else { return }
        for input in d.inputNodes { visit(input) }
        labels.append(d.label)
    }
    visit(node)
    return labels
}

extension ChunkedArray {
    // MARK: - Computing

    /// Computes every chunk, on this process's cores or spread over `communicator`'s ranks, and
    /// returns the elements in row-major order (on every rank).
    /// - Parameters:
    ///   - communicator: the ranks to spread the chunks over (nil: this process alone). Chunks are
    ///     assigned to ranks in contiguous blocks; every rank receives every chunk.
    ///   - scheduler: the threads of this process.
    /// - Returns: the elements, row-major.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` naming the task that threw;
    ///   ``CommunicationError/rankFailed(rank:message:status:)`` when another rank failed; errors recorded while
    ///   the graph was built (invalid chunks, negative integer powers).
    public func compute(on communicator: (any Communicator)? = nil, using scheduler: Scheduler = .shared) throws -> [Element] {
        let views = try computedChunks(on: communicator, using: scheduler)
        let l = node.layout
        let total = l.count
        return [Element](unsafeUninitializedCapacity: total) { buffer, initialized in
            guard let out = buffer.baseAddress else {
                initialized = 0
                return
            }
            for (c, view) in views.enumerated() {
                let (i, j) = l.chunk(c)
                let row0 = l.rowOffsets[i], column0 = l.columnOffsets[j]
                for r in 0..<view.rows {
                    (out + (row0 + r) * l.columns + column0).initialize(from: view.pointer(row: r, column: 0), count: view.columns)
                }
            }
            initialized = total
        }
    }

    /// Computes every chunk and returns them as blocks (values, shape, index, origin), in
    /// row-major chunk order — the computed shapes, to check against ``chunks``.
    /// - Parameters:
    ///   - communicator: as for ``compute(on:using:)``.
    ///   - scheduler: the threads of this process.
    /// - Returns: one block per chunk.
    /// - Throws: as ``compute(on:using:)``.
    public func computeBlocks(on communicator: (any Communicator)? = nil, using scheduler: Scheduler = .shared) throws -> [Block<Element>] {
        let views = try computedChunks(on: communicator, using: scheduler)
        let l = node.layout
        return views.enumerated().map { c, view in
            let (i, j) = l.chunk(c)
            return Block(values: view.values, shape: l.dimensions == 1 ? [view.columns] : [view.rows, view.columns],
                         index: l.publicIndex(i, j),
                         origin: l.dimensions == 1 ? [l.columnOffsets[j]] : [l.rowOffsets[i], l.columnOffsets[j]])
        }
    }

    /// Computes the chunks and keeps them in memory: later operations on the result start from
    /// the stored chunks instead of recomputing the graph.
    /// - Parameters:
    ///   - communicator: as for ``compute(on:using:)`` (every rank keeps every chunk).
    ///   - scheduler: the threads of this process.
    /// - Returns: an array with the same shape and chunks, backed by memory.
    /// - Throws: as ``compute(on:using:)``.
    public func persist(on communicator: (any Communicator)? = nil, using scheduler: Scheduler = .shared) throws -> ChunkedArray {
        let views = try computedChunks(on: communicator, using: scheduler)
        return ChunkedArray(node: PersistedNode(views: views, layout: node.layout))
    }

    /// What computing the array would do.
    /// - Returns: tasks, chunks, bytes and operations.
    /// - Throws: errors recorded while the graph was built.
    public func describe() throws -> GraphSummary {
        let b = GraphBuilder()
        let l = node.layout
        for c in 0..<l.chunkCount {
            let (i, j) = l.chunk(c)
            _ = try node.memoryLeaf(i, j, b)
        }
        let size = Element.elementKind.byteCount
        let largest = (l.rowLengths.max() ?? 0) * (l.columnLengths.max() ?? 0) * size
        return GraphSummary(tasks: b.tasks.count, chunks: l.chunkCount, bytes: l.count * size, largestChunkBytes: largest,
                            operations: operationLabels(node))
    }

    /// The views of all chunks, in row-major chunk order, on every rank.
    func computedChunks(on communicator: (any Communicator)?, using scheduler: Scheduler) throws -> [ChunkView<Element>] {
        let l = node.layout
        let n = l.chunkCount
        let distributed = communicator.flatMap { $0.size > 1 ? $0 : nil }
        let owned = distributed?.share(of: n) ?? 0..<n
        let node = node
        let local = Result { () throws -> [ChunkView<Element>] in
            let b = GraphBuilder()
            let leaves = try owned.map { c -> Leaf<Element> in
                let (i, j) = l.chunk(c)
                return try node.memoryLeaf(i, j, b)
            }
            var outputs: [Int] = []
            for id in leaves.compactMap(\.taskID) where !outputs.contains(id) { outputs.append(id) }
            let results = try executeGraph(b.tasks, outputs: outputs, scheduler: scheduler)
            return zip(owned, leaves).map { c, leaf in
                let (i, j) = l.chunk(c)
                return view(of: leaf, rows: l.rowLengths[i], columns: l.columnLengths[j], dependencies: outputs, inputs: results)
            }
        }
        guard let distributed else { return try local.get() }
        let encoded = local.map { views -> [UInt8] in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(views.reduce(0) { $0 + $1.rows * $1.columns } * Element.elementKind.byteCount)
            for v in views {
                for r in 0..<v.rows {
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: v.pointer(row: r, column: 0),
                                                                    count: v.columns * MemoryLayout<Element>.stride))
                }
            }
            return bytes
        }
        let all = try distributed.exchange(encoded)
        var views: [ChunkView<Element>] = []
        views.reserveCapacity(n)
        for (r, bytes) in all.enumerated() {
            var offset = 0
            for c in shareRange(of: n, rank: r, size: distributed.size) {
                let (i, j) = l.chunk(c)
                let rows = l.rowLengths[i], columns = l.columnLengths[j]
                let length = rows * columns * MemoryLayout<Element>.stride
                guard offset + length <= bytes.count else {
                    throw CommunicationError.communication("rank \(r) sent \(bytes.count) bytes; its chunks need more")
                }
                let buffer = ChunkBuffer<Element>(rows: rows, columns: columns)
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress, length > 0 {
                        UnsafeMutableRawPointer(buffer.pointer).copyMemory(from: base + offset, byteCount: length)
                    }
                }
                offset += length
                views.append(buffer.view)
            }
        }
        return views
    }

    // MARK: - Reductions to one value

    /// Partials of every chunk (on every rank) combined by the fixed tree, then finished.
    func reduction<Value: Sendable>(_ kind: ReductionKind, label: String,
                                    finish: @escaping @Sendable (Partial) throws -> Value) -> LazyValue<Value>
    {
        let node = node
        let integerInput = Element.elementKind.storage == .int
        @Sendable func partialTasks(_ b: GraphBuilder, _ chunks: Range<Int>) throws -> [Int] {
            let l = node.layout
            return try chunks.map { c in
                let (i, j) = l.chunk(c)
                let chunk = try node.fused(i, j, b)
                let name = "\(label) partial \(l.name(i, j))"
                let row0 = l.rowOffsets[i], column0 = l.columnOffsets[j], width = l.columns
                return b.add(GraphTask(name: name, dependencies: chunk.taskDependencies) { inputs in
                    var p = Partial.identity(kind)
                    try BlockEvaluator.run(chunk, inputs: inputs, task: name) { r, c, values, n in
                        Reduce.absorbBlock(&p, kind, values, n, firstIndex: (row0 + r) * width + column0 + c)
                    }
                    return Box(p)
                })
            }
        }
        let evaluate: @Sendable ((any Communicator)?, Scheduler) throws -> Value = { communicator, scheduler in
            let n = node.layout.chunkCount
            let distributed = communicator.flatMap { $0.size > 1 ? $0 : nil }
            let owned = distributed?.share(of: n) ?? 0..<n
            let local = Result { () throws -> [Partial] in
                let b = GraphBuilder()
                let tasks = try partialTasks(b, owned)
                return try executeGraph(b.tasks, outputs: tasks, scheduler: scheduler).map { ($0 as? Box<Partial>)?.value ?? Partial() }
            }
            var partials: [Partial]
            if let distributed {
                let encoded = local.map { ps in
                    ps.flatMap(\.words).withUnsafeBytes { Array($0) }
                }
                partials = []
                for bytes in try distributed.exchange(encoded) {
                    let words = bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
                    var k = 0
                    while k + Partial.wordCount <= words.count {
                        partials.append(Partial(words: words[k..<k + Partial.wordCount]))
                        k += Partial.wordCount
                    }
                }
            } else {
                partials = try local.get()
            }
            let combined = Reduce.tree(partials, kind, integerInput: integerInput)
            if kind.needsElements && combined.count == 0 { throw ParallelError.emptyReduction(operation: label) }
            return try finish(combined)
        }
        let summary: @Sendable () throws -> GraphSummary = {
            let b = GraphBuilder()
            _ = try partialTasks(b, 0..<node.layout.chunkCount)
            return GraphSummary(tasks: b.tasks.count + 1, chunks: 1, bytes: MemoryLayout<Value>.size, largestChunkBytes: MemoryLayout<Value>.size,
                                operations: operationLabels(node) + [label])
        }
        return LazyValue(evaluate: evaluate, summary: summary)
    }

    static func finishValue(_ p: Partial) -> Element {
        Element.elementKind.storage == .int ? unsafeBitCast(p.integer, to: Element.self) : Element(convertingFrom: p.real)
    }

    /// The sum of all elements (0 for an empty array). Floating-point sums accumulate in `Double`;
    /// integer sums wrap on overflow, as NumPy's int64.
    /// - Returns: the lazy sum.
    public func sum() -> LazyValue<Element> { reduction(.sum, label: "sum") { ChunkedArray.finishValue($0) } }

    /// The product of all elements (1 for an empty array).
    /// - Returns: the lazy product.
    public func prod() -> LazyValue<Element> { reduction(.product, label: "prod") { ChunkedArray.finishValue($0) } }

    /// The smallest element (NaN if any element is NaN, as NumPy).
    /// - Returns: the lazy minimum; `compute` throws ``ParallelError/emptyReduction(operation:)`` for an empty array.
    public func min() -> LazyValue<Element> { reduction(.minimum, label: "min") { ChunkedArray.finishValue($0) } }

    /// The largest element (NaN if any element is NaN, as NumPy).
    /// - Returns: the lazy maximum; `compute` throws ``ParallelError/emptyReduction(operation:)`` for an empty array.
    public func max() -> LazyValue<Element> { reduction(.maximum, label: "max") { ChunkedArray.finishValue($0) } }

    /// The mean, Σx / n, in `Double`.
    /// - Returns: the lazy mean; `compute` throws ``ParallelError/emptyReduction(operation:)`` for an empty array.
    public func mean() -> LazyValue<Double> { reduction(.mean, label: "mean") { $0.real / Double($0.count) } }

    /// The variance Σ(x − mean)² / (n − ddof), in `Double` (per chunk by two passes, chunks
    /// combined by Chan et al.'s formula). NaN when n ≤ ddof.
    /// - Parameter ddof: delta degrees of freedom (0: population, 1: sample).
    /// - Returns: the lazy variance; `compute` throws ``ParallelError/emptyReduction(operation:)`` for an empty array.
    public func variance(ddof: Int = 0) -> LazyValue<Double> {
        reduction(.variance, label: "variance") { $0.count > ddof ? $0.second / Double($0.count - ddof) : .nan }
    }

    /// The standard deviation, √variance(ddof).
    /// - Parameter ddof: delta degrees of freedom.
    /// - Returns: the lazy standard deviation; `compute` throws ``ParallelError/emptyReduction(operation:)`` for an empty array.
    public func std(ddof: Int = 0) -> LazyValue<Double> {
        reduction(.variance, label: "std") { $0.count > ddof ? ($0.second / Double($0.count - ddof)).squareRoot() : .nan }
    }

    /// The flat (row-major) index of the largest element; the first on ties; the first NaN if any.
    /// - Returns: the lazy index; `compute` throws ``ParallelError/emptyReduction(operation:)`` for an empty array.
    public func argmax() -> LazyValue<Int> { reduction(.argmax, label: "argmax") { $0.index } }

    /// The flat (row-major) index of the smallest element; the first on ties; the first NaN if any.
    /// - Returns: the lazy index; `compute` throws ``ParallelError/emptyReduction(operation:)`` for an empty array.
    public func argmin() -> LazyValue<Int> { reduction(.argmin, label: "argmin") { $0.index } }

    // MARK: - Reductions along an axis (2-D)

    func axisReduction<Out: ChunkElement>(_ kind: ReductionKind, axis: Int, label: String,
                                          finish: @escaping @Sendable (Partial) -> Out) throws -> ChunkedArray<Out>
    {
        guard dimensions == 2 else {
            throw ParallelError.invalidArgument("\(label)(axis:) needs a 2-D array; this one is 1-D (use \(label)() for the whole array)")
        }
        let a = try internalAxis(axis, operation: "\(label)(axis:)")
        let reducedLength = a == 0 ? node.layout.rows : node.layout.columns
        if kind.needsElements && reducedLength == 0 { throw ParallelError.emptyReduction(operation: "\(label)(axis: \(axis))") }
        return ChunkedArray<Out>(node: AxisReductionNode(input: node, kind: kind, axis: a, label: "\(label)(axis: \(axis))", finish: finish))
    }

    /// Sums along `axis` of a 2-D array (axis 0: one sum per column; 1: one per row).
    /// - Parameter axis: 0, 1, or −1/−2.
    /// - Returns: a lazy 1-D array, chunked like the kept axis.
    /// - Throws: ``ParallelError/invalidAxis(received:dimensions:operation:)``; ``ParallelError/invalidArgument(_:)`` for 1-D arrays.
    public func sum(axis: Int) throws -> ChunkedArray {
        try axisReduction(.sum, axis: axis, label: "sum") { ChunkedArray.finishValue($0) }
    }

    /// Products along `axis` (see ``sum(axis:)``).
    /// - Parameter axis: 0, 1, or −1/−2.
    /// - Returns: a lazy 1-D array.
    /// - Throws: as ``sum(axis:)``.
    public func prod(axis: Int) throws -> ChunkedArray {
        try axisReduction(.product, axis: axis, label: "prod") { ChunkedArray.finishValue($0) }
    }

    /// Minima along `axis` (see ``sum(axis:)``).
    /// - Parameter axis: 0, 1, or −1/−2.
    /// - Returns: a lazy 1-D array.
    /// - Throws: as ``sum(axis:)``; ``ParallelError/emptyReduction(operation:)`` when the axis is empty.
    public func min(axis: Int) throws -> ChunkedArray {
        try axisReduction(.minimum, axis: axis, label: "min") { ChunkedArray.finishValue($0) }
    }

    /// Maxima along `axis` (see ``sum(axis:)``).
    /// - Parameter axis: 0, 1, or −1/−2.
    /// - Returns: a lazy 1-D array.
    /// - Throws: as ``min(axis:)``.
    public func max(axis: Int) throws -> ChunkedArray {
        try axisReduction(.maximum, axis: axis, label: "max") { ChunkedArray.finishValue($0) }
    }

    /// Means along `axis`, in `Double`.
    /// - Parameter axis: 0, 1, or −1/−2.
    /// - Returns: a lazy 1-D array.
    /// - Throws: as ``min(axis:)``.
    public func mean(axis: Int) throws -> ChunkedArray<Double> {
        try axisReduction(.mean, axis: axis, label: "mean") { $0.real / Double($0.count) }
    }

    /// Variances along `axis`, in `Double`.
    /// - Parameters:
    ///   - axis: 0, 1, or −1/−2.
    ///   - ddof: delta degrees of freedom.
    /// - Returns: a lazy 1-D array.
    /// - Throws: as ``min(axis:)``.
    public func variance(axis: Int, ddof: Int = 0) throws -> ChunkedArray<Double> {
        try axisReduction(.variance, axis: axis, label: "variance") { $0.count > ddof ? $0.second / Double($0.count - ddof) : .nan }
    }

    /// Standard deviations along `axis`, in `Double`.
    /// - Parameters:
    ///   - axis: 0, 1, or −1/−2.
    ///   - ddof: delta degrees of freedom.
    /// - Returns: a lazy 1-D array.
    /// - Throws: as ``min(axis:)``.
    public func std(axis: Int, ddof: Int = 0) throws -> ChunkedArray<Double> {
        try axisReduction(.variance, axis: axis, label: "std") {
            $0.count > ddof ? ($0.second / Double($0.count - ddof)).squareRoot() : .nan
        }
    }

    /// Indices of the maxima along `axis` (positions along that axis).
    /// - Parameter axis: 0, 1, or −1/−2.
    /// - Returns: a lazy 1-D array of indices.
    /// - Throws: as ``min(axis:)``.
    public func argmax(axis: Int) throws -> ChunkedArray<Int> {
        try axisReduction(.argmax, axis: axis, label: "argmax") { $0.index }
    }

    /// Indices of the minima along `axis` (positions along that axis).
    /// - Parameter axis: 0, 1, or −1/−2.
    /// - Returns: a lazy 1-D array of indices.
    /// - Throws: as ``min(axis:)``.
    public func argmin(axis: Int) throws -> ChunkedArray<Int> {
        try axisReduction(.argmin, axis: axis, label: "argmin") { $0.index }
    }
}
