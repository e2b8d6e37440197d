// The lazy graph behind `ChunkedArray`: one node per operation, turned into chunk tasks by a
// `GraphBuilder` when the array is computed. A node answers two questions for chunk (i, j):
//  - `fused`: the chunk as a fused elementwise program over leaves (views of memory, generated
//    values, or results of other tasks) — elementwise nodes, slices, concatenation and sources
//    answer this without a task of their own, so chains fuse into their consumer;
//  - `materialize`: a task whose result is the chunk as a `ChunkBuffer` (memoised per chunk).
// Every node overrides at least one of the two.

/// Collects tasks while a graph is built; the same (node, chunk) is built once.
final class GraphBuilder {
    private(set) var tasks: [GraphTask] = []
    private var memo: [Key: Int] = [:]
    private(set) var labels: [String] = []
    private var seenLabels = Set<String>()

    struct Key: Hashable {
        let node: ObjectIdentifier
        let tag: Int
        let i: Int
        let j: Int
    }

    func memoized(_ node: AnyObject, tag: Int = 0, _ i: Int, _ j: Int, _ make: () throws -> GraphTask) rethrows -> Int {
        let key = Key(node: ObjectIdentifier(node), tag: tag, i: i, j: j)
        if let id = memo[key] { return id }
        let task = try make()
        let id = tasks.count
        tasks.append(task)
        memo[key] = id
        return id
    }

    func add(_ task: GraphTask) -> Int {
        tasks.append(task)
        return tasks.count - 1
    }

    func note(_ label: String) {
        if seenLabels.insert(label).inserted { labels.append(label) }
    }
}

/// A node of the lazy array graph.
class ArrayNode<Element: ChunkElement>: @unchecked Sendable {
    let layout: Layout
    let label: String

    init(layout: Layout, label: String) {
        self.layout = layout
        self.label = label
    }

    /// Nodes this one reads (for `describe()`).
    var inputNodes: [AnyObject] { [] }

    func rows(_ i: Int) -> Int { layout.rowLengths[i] }
    func columns(_ j: Int) -> Int { layout.columnLengths[j] }
    func taskName(_ i: Int, _ j: Int) -> String { "\(label) chunk \(layout.name(i, j))" }

    /// Chunk (i, j) as a fused program. Default: a single leaf, the result of `materialize`.
    func fused(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> FusedChunk<Element> {
        FusedChunk(leaf: .task(try materialize(i, j, b), row: 0, column: 0), rows: rows(i), columns: columns(j), name: label)
    }

    /// A task whose result is chunk (i, j). Default: evaluate `fused` into a buffer.
    func materialize(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> Int {
        let chunk = try fused(i, j, b)
        if chunk.isTrivial, let id = chunk.leaves[0].taskID, chunk.rows == rows(i), chunk.columns == columns(j) {
            if case .task(_, 0, 0) = chunk.leaves[0] { return id }
        }
        let name = taskName(i, j)
        b.note(label)
        return b.memoized(self, i, j) {
            GraphTask(name: name, dependencies: chunk.taskDependencies) { inputs in
                let buffer = ChunkBuffer<Element>(rows: chunk.rows, columns: chunk.columns)
                try BlockEvaluator.write(chunk, inputs: inputs, task: name, into: buffer.pointer, rowStride: chunk.columns)
                return buffer
            }
        }
    }

    /// Chunk (i, j) as one leaf: itself when the fused form is a single leaf, else a task.
    func leaf(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> Leaf<Element> {
        let chunk = try fused(i, j, b)
        return chunk.isTrivial ? chunk.leaves[0] : .task(try materialize(i, j, b), row: 0, column: 0)
    }

    /// Chunk (i, j) as a leaf that is memory (a view or a task result), never generated values.
    func memoryLeaf(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> Leaf<Element> {
        let l = try leaf(i, j, b)
        if case .generated = l {
            let chunk = try fused(i, j, b)
            let name = taskName(i, j)
            b.note(label)
            return .task(b.memoized(self, tag: 7, i, j) {
                GraphTask(name: name, dependencies: []) { inputs in
                    let buffer = ChunkBuffer<Element>(rows: chunk.rows, columns: chunk.columns)
                    try BlockEvaluator.write(chunk, inputs: inputs, task: name, into: buffer.pointer, rowStride: chunk.columns)
                    return buffer
                }
            }, row: 0, column: 0)
        }
        return l
    }
}

/// Resolves a memory leaf inside a task to a view.
func view<Element>(of leaf: Leaf<Element>, rows: Int, columns: Int, dependencies: [Int], inputs: [AnyObject]) -> ChunkView<Element> {
    switch leaf {
    case .view(let v):
        return v
    case .task(let id, let row, let column):
        guard let position = dependencies.firstIndex(of: id), let buffer = inputs[position] as? ChunkBuffer<Element> else {
            preconditionFailure("task input \(id) is missing")
        }
        return buffer.view.restricted(to: Region(row: row, column: column, rows: rows, columns: columns))
    case .generated:
        preconditionFailure("generated leaves are materialised before use as memory")
    }
}

// MARK: - Sources

/// A whole array in memory (row-major); chunks are views.
final class StoredNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let buffer: ChunkBuffer<Element>

    init(buffer: ChunkBuffer<Element>, layout: Layout, label: String = "array") {
        self.buffer = buffer
        super.init(layout: layout, label: label)
    }

    override func fused(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> FusedChunk<Element> {
        let region = Region(row: layout.rowOffsets[i], column: layout.columnOffsets[j], rows: rows(i), columns: columns(j))
        return FusedChunk(leaf: .view(buffer.view.restricted(to: region)), rows: region.rows, columns: region.columns, name: label)
    }
}

/// Computed chunks kept in memory by `persist()`.
final class PersistedNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let views: [ChunkView<Element>]

    init(views: [ChunkView<Element>], layout: Layout) {
        self.views = views
        super.init(layout: layout, label: "persisted")
    }

    override func fused(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> FusedChunk<Element> {
        FusedChunk(leaf: .view(views[i * layout.columnChunks + j]), rows: rows(i), columns: columns(j), name: label)
    }
}

/// Values defined by position (full, arange, random): generated inside the consuming task.
final class GeneratedNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let generator: Generator<Element>

    init(generator: Generator<Element>, layout: Layout) {
        self.generator = generator
        super.init(layout: layout, label: generator.label)
    }

    override func fused(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> FusedChunk<Element> {
        FusedChunk(leaf: .generated(generator, row: layout.rowOffsets[i], column: layout.columnOffsets[j]),
                   rows: rows(i), columns: columns(j), name: label)
    }
}

/// An operation that cannot be computed; building its graph throws.
final class InvalidNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let error: ParallelError

    init(error: ParallelError, layout: Layout) {
        self.error = error
        super.init(layout: layout, label: "invalid")
    }

    override func fused(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> FusedChunk<Element> { throw error }
    override func materialize(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> Int { throw error }
}

// MARK: - Elementwise (fused)

/// A fused elementwise program over input nodes that share the layout.
final class ElementwiseNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let inputs: [ArrayNode<Element>]
    let program: Program<Element>

    init(inputs: [ArrayNode<Element>], program: Program<Element>) {
        self.inputs = inputs
        self.program = program
        super.init(layout: inputs[0].layout, label: "fused \(program.text)")
    }

    override var inputNodes: [AnyObject] { inputs }

    override func fused(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> FusedChunk<Element> {
        FusedChunk(program: program, leaves: try inputs.map { try $0.leaf(i, j, b) }, rows: rows(i), columns: columns(j))
    }

    /// `x` as (program, inputs): its own program when it is elementwise, else the identity.
    static func parts(_ x: ArrayNode<Element>) -> (Program<Element>, [ArrayNode<Element>]) {
        if let e = x as? ElementwiseNode<Element> { return (e.program, e.inputs) }
        return (.identity(x.label), [x])
    }

    static func unary(_ x: ArrayNode<Element>, _ make: (Int) -> Instruction<Element>, text: (String) -> String) -> ElementwiseNode {
        let (program, inputs) = parts(x)
        return ElementwiseNode(inputs: inputs, program: program.appending(make, text: text))
    }

    static func binary(_ x: ArrayNode<Element>, _ y: ArrayNode<Element>, _ op: BinaryOperator) -> ElementwiseNode {
        let (px, ix) = parts(x)
        let (py, iy) = parts(y)
        var merged = ix
        var rightMap: [Int] = []
        for node in iy {
            if let k = merged.firstIndex(where: { $0 === node }) {
                rightMap.append(k)
            } else {
                merged.append(node)
                rightMap.append(merged.count - 1)
            }
        }
        return ElementwiseNode(inputs: merged, program: .joining(px, py, rightInputMap: rightMap, mergedInputCount: merged.count, op))
    }
}

// MARK: - Structure: slices, rechunking, concatenation, transposition

/// New chunk boundaries over the same values (slices are rechunks of a window).
/// Output chunk (I, J) is assembled from the pieces of input chunks it overlaps; when it lies
/// inside one input chunk, it stays a fused program (no copy, no task).
final class RechunkNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let input: ArrayNode<Element>
    /// The window of the input: rows and columns (global) that the output covers.
    let rowStart: Int
    let columnStart: Int

    init(input: ArrayNode<Element>, layout: Layout, rowStart: Int = 0, columnStart: Int = 0, label: String) {
        self.input = input
        self.rowStart = rowStart
        self.columnStart = columnStart
        super.init(layout: layout, label: label)
    }

    override var inputNodes: [AnyObject] { [input] }

    /// Input chunk index and local range for each piece of global [start, start + length).
    private static func pieces(_ offsets: [Int], start: Int, length: Int) -> [(chunk: Int, local: Int, length: Int, destination: Int)] {
        var result: [(Int, Int, Int, Int)] = []
        if length == 0 {
            // An empty window: one empty piece in the chunk that holds `start` (or the last).
            let k = max(0, min(offsets.count - 2, (offsets.lastIndex { $0 <= start } ?? 0)))
            return [(k, max(0, start - offsets[k]), 0, 0)]
        }
        let end = start + length
        var k = max(0, (offsets.lastIndex { $0 <= start } ?? 0))
        while k < offsets.count - 1 && offsets[k] < end {
            let lo = max(start, offsets[k]), hi = min(end, offsets[k + 1])
            if hi > lo { result.append((k, lo - offsets[k], hi - lo, lo - start)) }
            k += 1
        }
        return result
    }

    private func pieces(_ I: Int, _ J: Int) -> [(Int, Int, Region, Int, Int)] {
        let rowPieces = RechunkNode.pieces(input.layout.rowOffsets, start: rowStart + layout.rowOffsets[I], length: rows(I))
        let columnPieces = RechunkNode.pieces(input.layout.columnOffsets, start: columnStart + layout.columnOffsets[J], length: columns(J))
        var result: [(Int, Int, Region, Int, Int)] = []
        for r in rowPieces {
            for c in columnPieces {
                result.append((r.chunk, c.chunk, Region(row: r.local, column: c.local, rows: r.length, columns: c.length),
                               r.destination, c.destination))
            }
        }
        return result
    }

    override func fused(_ I: Int, _ J: Int, _ b: GraphBuilder) throws -> FusedChunk<Element> {
        let parts = pieces(I, J)
        if parts.count == 1 {
            let (i, j, region, _, _) = parts[0]
            return try input.fused(i, j, b).restricted(to: region)
        }
        return FusedChunk(leaf: .task(try materialize(I, J, b), row: 0, column: 0), rows: rows(I), columns: columns(J), name: label)
    }

    override func materialize(_ I: Int, _ J: Int, _ b: GraphBuilder) throws -> Int {
        let parts = pieces(I, J)
        if parts.count == 1 {
            let (i, j, region, _, _) = parts[0]
            let chunk = try input.fused(i, j, b).restricted(to: region)
            if chunk.isTrivial, case .task(let id, 0, 0) = chunk.leaves[0], region.rows == input.rows(i),
               region.columns == input.columns(j) { return id }
        }
        let chunks = try parts.map { (i, j, region, dr, dc) in (try input.fused(i, j, b).restricted(to: region), dr, dc) }
        var collected: [Int] = []
        for (chunk, _, _) in chunks {
            for d in chunk.taskDependencies where !collected.contains(d) { collected.append(d) }
        }
        let dependencies = collected
        let positions = chunks.map { chunk, _, _ in chunk.taskDependencies.map { d in dependencies.firstIndex(of: d) ?? 0 } }
        let name = taskName(I, J), outRows = rows(I), outColumns = columns(J)
        b.note(label)
        return b.memoized(self, I, J) {
            GraphTask(name: name, dependencies: dependencies) { inputs in
                let buffer = ChunkBuffer<Element>(rows: outRows, columns: outColumns)
                for (k, (chunk, dr, dc)) in chunks.enumerated() {
                    try BlockEvaluator.write(chunk, inputs: positions[k].map { inputs[$0] }, task: name,
                                             into: buffer.pointer + dr * outColumns + dc, rowStride: outColumns)
                }
                return buffer
            }
        }
    }
}

/// Arrays joined along an axis; chunk (i, j) is the matching chunk of one input.
final class ConcatenateNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let inputs: [ArrayNode<Element>]
    /// Internal axis: 0 rows, 1 columns.
    let axis: Int
    /// For each output chunk index along `axis`: (input, its chunk index).
    let map: [(Int, Int)]

    init(inputs: [ArrayNode<Element>], axis: Int, layout: Layout) {
        self.inputs = inputs
        self.axis = axis
        var map: [(Int, Int)] = []
        for (k, input) in inputs.enumerated() {
            let count = axis == 0 ? input.layout.rowChunks : input.layout.columnChunks
            let empty = (axis == 0 ? input.layout.rows : input.layout.columns) == 0
            if !empty { for c in 0..<count { map.append((k, c)) } }
        }
        self.map = map
        super.init(layout: layout, label: "concatenate")
    }

    override var inputNodes: [AnyObject] { inputs }

    override func fused(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> FusedChunk<Element> {
        let along = axis == 0 ? i : j
        guard along < map.count else {
            return FusedChunk(leaf: .generated(Generator(kind: .full(.zero), totalColumns: 0), row: 0, column: 0),
                              rows: rows(i), columns: columns(j), name: label)
        }
        let (k, c) = map[along]
        return axis == 0 ? try inputs[k].fused(c, j, b) : try inputs[k].fused(i, c, b)
    }
}

/// The transpose of a 2-D array: output chunk (i, j) is input chunk (j, i) transposed.
final class TransposeNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let input: ArrayNode<Element>

    init(input: ArrayNode<Element>) {
        self.input = input
        let l = input.layout
        super.init(layout: Layout(dimensions: 2, rowLengths: l.columnLengths, columnLengths: l.rowLengths), label: "transpose")
    }

    override var inputNodes: [AnyObject] { [input] }

    override func materialize(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> Int {
        let chunk = try input.fused(j, i, b)
        let name = taskName(i, j), outRows = rows(i), outColumns = columns(j)
        b.note(label)
        return b.memoized(self, i, j) {
            GraphTask(name: name, dependencies: chunk.taskDependencies) { inputs in
                let buffer = ChunkBuffer<Element>(rows: outRows, columns: outColumns)
                let out = buffer.pointer
                // Input (r, c + k) goes to output (c + k, r).
                try BlockEvaluator.run(chunk, inputs: inputs, task: name) { r, c, values, n in
                    for k in 0..<n { out[(c + k) * outColumns + r] = values[k] }
                }
                return buffer
            }
        }
    }
}

// MARK: - Closures over elements and blocks

/// `map(to:)`: a closure from one element type to another.
final class ConvertNode<Input: ChunkElement, Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let input: ArrayNode<Input>
    let transform: @Sendable (Input) -> Element

    init(input: ArrayNode<Input>, transform: @escaping @Sendable (Input) -> Element) {
        self.input = input
        self.transform = transform
        super.init(layout: input.layout, label: "map to \(Element.elementKind)")
    }

    override var inputNodes: [AnyObject] { [input] }

    override func materialize(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> Int {
        let chunk = try input.fused(i, j, b)
        let name = taskName(i, j), outColumns = columns(j), transform = transform
        b.note(label)
        return b.memoized(self, i, j) {
            GraphTask(name: name, dependencies: chunk.taskDependencies) { inputs in
                let buffer = ChunkBuffer<Element>(rows: chunk.rows, columns: chunk.columns)
                try BlockEvaluator.run(chunk, inputs: inputs, task: name) { r, c, values, n in
                    let out = buffer.pointer + r * outColumns + c
                    for k in 0..<n { out[k] = transform(values[k]) }
                }
                return buffer
            }
        }
    }
}

/// One chunk handed to a `mapBlocks` closure.
public struct Block<Element: ChunkElement>: Sendable {
    /// The chunk's values, row-major.
    public let values: [Element]
    /// The chunk's shape (`[n]` or `[rows, columns]`).
    public let shape: [Int]
    /// The chunk's position in the grid of chunks (`[j]` or `[i, j]`).
    public let index: [Int]
    /// The global index of the chunk's first element (`[column]` or `[row, column]`).
    public let origin: [Int]
}

/// `mapBlocks`: a closure from one chunk's values to new values of the same shape.
final class MapBlocksNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let input: ArrayNode<Element>
    let transform: @Sendable (Block<Element>) throws -> [Element]

    init(input: ArrayNode<Element>, transform: @escaping @Sendable (Block<Element>) throws -> [Element]) {
        self.input = input
        self.transform = transform
        super.init(layout: input.layout, label: "mapBlocks")
    }

    override var inputNodes: [AnyObject] { [input] }

    override func materialize(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> Int {
        let chunk = try input.fused(i, j, b)
        let name = taskName(i, j), transform = transform, l = layout
        b.note(label)
        return b.memoized(self, i, j) {
            GraphTask(name: name, dependencies: chunk.taskDependencies) { inputs in
                var values: [Element] = []
                values.reserveCapacity(chunk.rows * chunk.columns)
                try BlockEvaluator.run(chunk, inputs: inputs, task: name) { _, _, block, n in
                    values.append(contentsOf: UnsafeBufferPointer(start: block, count: n))
                }
                let shape = l.dimensions == 1 ? [chunk.columns] : [chunk.rows, chunk.columns]
                let origin = l.dimensions == 1 ? [l.columnOffsets[j]] : [l.rowOffsets[i], l.columnOffsets[j]]
                let result = try transform(Block(values: values, shape: shape, index: l.publicIndex(i, j), origin: origin))
                guard result.count == values.count else {
                    throw ParallelError.blockShapeMismatch(task: name, expected: values.count, received: result.count)
                }
                return result.withUnsafeBufferPointer { ChunkBuffer(rows: chunk.rows, columns: chunk.columns, copying: $0) }
            }
        }
    }
}

// MARK: - Linear algebra and reductions along an axis

/// Blocked matrix product: output tile (i, j) = Σ_p A(i, p) · B(p, j), p in increasing order.
final class MatmulNode<Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let a: ArrayNode<Element>
    let b: ArrayNode<Element>

    init(a: ArrayNode<Element>, b: ArrayNode<Element>) {
        self.a = a
        self.b = b
        super.init(layout: Layout(dimensions: 2, rowLengths: a.layout.rowLengths, columnLengths: b.layout.columnLengths),
                   label: "matmul")
    }

    override var inputNodes: [AnyObject] { [a, b] }

    override func materialize(_ i: Int, _ j: Int, _ builder: GraphBuilder) throws -> Int {
        let inner = a.layout.columnChunks
        let aLeaves = try (0..<inner).map { try a.memoryLeaf(i, $0, builder) }
        let bLeaves = try (0..<inner).map { try b.memoryLeaf($0, j, builder) }
        var collected: [Int] = []
        for d in (aLeaves + bLeaves).compactMap(\.taskID) where !collected.contains(d) { collected.append(d) }
        let dependencies = collected
        let name = taskName(i, j), m = rows(i), n = columns(j)
        let innerLengths = a.layout.columnLengths
        builder.note(label)
        return builder.memoized(self, i, j) {
            GraphTask(name: name, dependencies: dependencies) { inputs in
                let buffer = ChunkBuffer<Element>(rows: m, columns: n)
                buffer.pointer.initialize(repeating: .zero, count: m * n)
                for p in 0..<inner {
                    let k = innerLengths[p]
                    let av = view(of: aLeaves[p], rows: m, columns: k, dependencies: dependencies, inputs: inputs)
                    let bv = view(of: bLeaves[p], rows: k, columns: n, dependencies: dependencies, inputs: inputs)
                    Matmul.multiplyAdd(av, bv, into: buffer.pointer, ldc: n)
                }
                return buffer
            }
        }
    }
}

/// A reduction along one axis of a 2-D array: a 1-D array of results.
final class AxisReductionNode<Input: ChunkElement, Element: ChunkElement>: ArrayNode<Element>, @unchecked Sendable {
    let input: ArrayNode<Input>
    let kind: ReductionKind
    /// Internal axis reduced: 0 rows (one result per column), 1 columns (one per row).
    let axis: Int
    let finish: @Sendable (Partial) -> Element

    init(input: ArrayNode<Input>, kind: ReductionKind, axis: Int, label: String, finish: @escaping @Sendable (Partial) -> Element) {
        self.input = input
        self.kind = kind
        self.axis = axis
        self.finish = finish
        let kept = axis == 0 ? input.layout.columnLengths : input.layout.rowLengths
        super.init(layout: Layout(dimensions: 1, rowLengths: [1], columnLengths: kept), label: label)
    }

    override var inputNodes: [AnyObject] { [input] }

    /// The partial results of input chunk (i, j) for each kept position.
    func partialTask(_ i: Int, _ j: Int, _ b: GraphBuilder) throws -> Int {
        let chunk = try input.fused(i, j, b)
        let kind = kind, axis = axis
        let name = "\(label) partial \(input.layout.name(i, j))"
        let rowOffset = input.layout.rowOffsets[i], columnOffset = input.layout.columnOffsets[j]
        b.note(label)
        return b.memoized(self, tag: 1, i, j) {
            GraphTask(name: name, dependencies: chunk.taskDependencies) { inputs in
                let kept = axis == 0 ? chunk.columns : chunk.rows
                var partials = [Partial](repeating: .identity(kind), count: kept)
                try partials.withUnsafeMutableBufferPointer { p in
                    guard let base = p.baseAddress else { return }
                    try BlockEvaluator.run(chunk, inputs: inputs, task: name) { r, c, values, n in
                        if axis == 0 {
                            Reduce.absorbElementwise(base + c, kind, values, n, index: rowOffset + r)
                        } else {
                            Reduce.absorbBlock(&base[r], kind, values, n, firstIndex: columnOffset + c)
                        }
                    }
                }
                return Box(partials)
            }
        }
    }

    override func materialize(_ zero: Int, _ j: Int, _ b: GraphBuilder) throws -> Int {
        let count = axis == 0 ? input.layout.rowChunks : input.layout.columnChunks
        let partialTasks = try (0..<count).map { k in axis == 0 ? try partialTask(k, j, b) : try partialTask(j, k, b) }
        let kind = kind, finish = finish, n = columns(j)
        let integerInput = Input.elementKind.storage == .int
        return b.memoized(self, zero, j) {
            GraphTask(name: taskName(zero, j), dependencies: partialTasks) { inputs in
                let vectors = inputs.map { ($0 as? Box<[Partial]>)?.value ?? [] }
                let buffer = ChunkBuffer<Element>(rows: 1, columns: n)
                for position in 0..<n {
                    let combined = Reduce.tree(vectors.map { $0[position] }, kind, integerInput: integerInput)
                    buffer.pointer[position] = finish(combined)
                }
                return buffer
            }
        }
    }
}
