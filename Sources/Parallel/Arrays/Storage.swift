// Internal storage: every array is handled as rows × columns; a 1-D array of length n is one row
// of n columns whose row axis has the single chunk [1].

/// An array's shape and chunks in the internal 2-D form.
struct Layout: Hashable, Sendable {
    /// 1 or 2 (the public number of axes).
    let dimensions: Int
    let rowLengths: [Int]
    let columnLengths: [Int]
    let rowOffsets: [Int]
    let columnOffsets: [Int]

    init(_ chunks: Chunks) {
        dimensions = chunks.lengths.count
        if dimensions == 1 {
            rowLengths = [1]
            columnLengths = chunks.lengths[0]
        } else {
            rowLengths = chunks.lengths[0]
            columnLengths = chunks.lengths[1]
        }
        rowOffsets = Layout.offsets(rowLengths)
        columnOffsets = Layout.offsets(columnLengths)
    }

    init(dimensions: Int, rowLengths: [Int], columnLengths: [Int]) {
        self.dimensions = dimensions
        self.rowLengths = dimensions == 1 ? [1] : rowLengths
        self.columnLengths = columnLengths
        rowOffsets = Layout.offsets(self.rowLengths)
        columnOffsets = Layout.offsets(columnLengths)
    }

    private static func offsets(_ lengths: [Int]) -> [Int] {
        var result = [0]
        result.reserveCapacity(lengths.count + 1)
        for l in lengths { result.append((result.last ?? 0) + l) }
        return result
    }

    var rows: Int { rowOffsets.last ?? 0 }
    var columns: Int { columnOffsets.last ?? 0 }
    var count: Int { rows * columns }
    var rowChunks: Int { rowLengths.count }
    var columnChunks: Int { columnLengths.count }
    var chunkCount: Int { rowChunks * columnChunks }

    /// The public chunks.
    var chunks: Chunks { Chunks(unchecked: dimensions == 1 ? [columnLengths] : [rowLengths, columnLengths]) }
    /// The public shape.
    var shape: [Int] { dimensions == 1 ? [columns] : [rows, columns] }

    /// Chunk (i, j) by its flat number in row-major chunk order.
    func chunk(_ flat: Int) -> (Int, Int) { (flat / columnChunks, flat % columnChunks) }

    /// The public index of chunk (i, j): `[j]` in 1-D, `[i, j]` in 2-D.
    func publicIndex(_ i: Int, _ j: Int) -> [Int] { dimensions == 1 ? [j] : [i, j] }

    /// `(j)` or `(i, j)`, for task names.
    func name(_ i: Int, _ j: Int) -> String { dimensions == 1 ? "(\(j))" : "(\(i), \(j))" }
}

/// A rectangle inside a chunk, in the chunk's own coordinates.
struct Region: Hashable, Sendable {
    let row: Int
    let column: Int
    let rows: Int
    let columns: Int
}

/// A computed chunk: `rows × columns` elements, row-major and contiguous.
final class ChunkBuffer<Element>: @unchecked Sendable {
    let rows: Int
    let columns: Int
    let pointer: UnsafeMutablePointer<Element>

    var count: Int { rows * columns }

    /// An uninitialised buffer; the creator must initialise every element (numeric types only).
    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        pointer = .allocate(capacity: max(1, rows * columns))
    }

    init(rows: Int, columns: Int, copying values: UnsafeBufferPointer<Element>) {
        self.rows = rows
        self.columns = columns
        pointer = .allocate(capacity: max(1, rows * columns))
        if let base = values.baseAddress, rows * columns > 0 {
            pointer.initialize(from: base, count: rows * columns)
        }
    }

    deinit { pointer.deallocate() }

    var view: ChunkView<Element> {
        ChunkView(base: UnsafePointer(pointer), rows: rows, columns: columns, rowStride: columns, owner: self)
    }

    var values: [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// A read-only rectangle of elements: `rows` runs of `columns` contiguous elements, `rowStride`
/// apart; `owner` keeps the memory alive.
struct ChunkView<Element>: @unchecked Sendable {
    let base: UnsafePointer<Element>
    let rows: Int
    let columns: Int
    let rowStride: Int
    let owner: AnyObject

    func restricted(to region: Region) -> ChunkView {
        ChunkView(base: base + region.row * rowStride + region.column, rows: region.rows, columns: region.columns,
                  rowStride: rowStride, owner: owner)
    }

    /// Row `r` from column `c`.
    @inline(__always) func pointer(row r: Int, column c: Int) -> UnsafePointer<Element> { base + r * rowStride + c }

    /// The elements, row-major.
    var values: [Element] {
        var result: [Element] = []
        result.reserveCapacity(rows * columns)
        for r in 0..<rows { result.append(contentsOf: UnsafeBufferPointer(start: base + r * rowStride, count: columns)) }
        return result
    }
}
