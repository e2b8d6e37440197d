/// How to cut an array into chunks; every form is normalised to one canonical ``Chunks``.
public enum ChunkSpec: Sendable, Hashable, ExpressibleByIntegerLiteral {
    /// Chunks of this length along every axis (the last may be shorter); −1 means the whole axis.
    case size(Int)
    /// One chunk length per axis (−1: the whole axis), e.g. `.sizes([1000, 500])`.
    case sizes([Int])
    /// Explicit chunk lengths per axis, e.g. `.lengths([[3, 3, 4]])`.
    case lengths([[Int]])
    /// Chunks of at most this many bytes of elements (square-ish blocks in 2-D), counted with the
    /// element's size: 4 bytes for `Float`, 8 for `Double` and `Int` (at least one element per chunk).
    case bytes(Int)

    /// About 8 MiB per chunk (10⁶ `Double`s or `Int`s, 2·10⁶ `Float`s): large enough that per-chunk
    /// costs vanish, small enough for many chunks per core.
    public static let auto = ChunkSpec.bytes(8 << 20)

    /// `chunks: 5` means `.size(5)`.
    /// - Parameter value: the chunk length along every axis.
    public init(integerLiteral value: Int) { self = .size(value) }
}

/// The canonical chunking of an array: for each axis, the lengths of its chunks in order.
///
/// Every length is ≥ 1, except that an axis of length 0 has the single chunk `[0]` (as in Dask).
/// Chunk `(i, j)` of a 2-D array covers rows `offsets[0][i]..<offsets[0][i + 1]` and columns
/// `offsets[1][j]..<offsets[1][j + 1]`.
public struct Chunks: Hashable, Sendable, CustomStringConvertible {
    /// Chunk lengths per axis.
    public let lengths: [[Int]]

    /// Validates explicit lengths.
    /// - Parameter lengths: one list per axis (1 or 2 axes).
    /// - Throws: ``ParallelError/invalidChunks(_:)`` for zero or negative lengths, an empty list, or
    ///   more than two axes.
    public init(_ lengths: [[Int]]) throws {
        guard (1...2).contains(lengths.count) else {
            throw ParallelError.invalidChunks("\(lengths) has \(lengths.count) axes; arrays have 1 or 2")
        }
        for (axis, list) in lengths.enumerated() {
            guard !list.isEmpty else {
                throw ParallelError.invalidChunks("axis \(axis) has no chunks; an empty axis is written [0]")
            }
            if list == [0] { continue }
            if let bad = list.first(where: { $0 <= 0 }) {
                throw ParallelError.invalidChunks("axis \(axis) has a chunk of length \(bad) in \(list); lengths must be ≥ 1")
            }
        }
        self.lengths = lengths
    }

    init(unchecked lengths: [[Int]]) { self.lengths = lengths }

    /// Normalises `spec` for an array of `shape`.
    /// - Parameters:
    ///   - shape: the array's shape (1 or 2 axes, lengths ≥ 0).
    ///   - spec: the requested chunking.
    ///   - elementBytes: the size of one element, which ``ChunkSpec/bytes(_:)`` divides by:
    ///     `ElementKind.byteCount` (4 for `Float`, 8 for `Double` and `Int`, the default).
    /// - Throws: ``ParallelError/invalidChunks(_:)`` when `spec` does not fit `shape` or
    ///   `elementBytes` is below 1; ``ParallelError/invalidShape(_:)`` for a shape of 0 or 3+ axes
    ///   or a negative length.
    public init(shape: [Int], _ spec: ChunkSpec, elementBytes: Int = 8) throws {
        guard (1...2).contains(shape.count), shape.allSatisfy({ $0 >= 0 }) else {
            throw ParallelError.invalidShape("\(shape): arrays have 1 or 2 axes of length ≥ 0")
        }
        switch spec {
        case .size(let size):
            lengths = try shape.enumerated().map { try Chunks.split($1, size: size, axis: $0) }
        case .sizes(let sizes):
            guard sizes.count == shape.count else {
                throw ParallelError.invalidChunks("\(sizes) gives \(sizes.count) chunk sizes for a \(shape.count)-D array of shape \(shape)")
            }
            lengths = try zip(shape, sizes).enumerated().map { try Chunks.split($1.0, size: $1.1, axis: $0) }
        case .lengths(let explicit):
            let checked = try Chunks(explicit)
            guard checked.shape == shape else {
                throw ParallelError.invalidChunks("\(explicit) sums to \(checked.shape), but the array's shape is \(shape)")
            }
            lengths = explicit
        case .bytes(let bytes):
            guard bytes >= 1 else { throw ParallelError.invalidChunks("chunk bytes must be ≥ 1, received \(bytes)") }
            guard elementBytes >= 1 else {
                throw ParallelError.invalidChunks("element size must be ≥ 1 byte, received \(elementBytes)")
            }
            // Elements per chunk: as many whole elements as fit in `bytes`, and at least one.
            let elements = max(1, bytes / elementBytes)
            if shape.count == 1 {
                lengths = [Chunks.split(shape[0], validSize: elements)]
            } else {
                // Square-ish blocks of about √elements a side; an axis shorter than that leaves
                // its share of the budget to the other axis (a [n, 1] column still gets chunks of
                // `elements` rows). rows · columns ≤ elements, since each divides the budget by
                // the other.
                let side = max(1, Int(Double(elements).squareRoot()))
                let firstColumns = min(max(shape[1], 1), side)
                let rows = min(max(shape[0], 1), max(1, elements / firstColumns))
                let columns = min(max(shape[1], 1), max(1, elements / rows))
                lengths = [Chunks.split(shape[0], validSize: rows), Chunks.split(shape[1], validSize: columns)]
            }
        }
    }

    private static func split(_ length: Int, size: Int, axis: Int) throws -> [Int] {
        if size == -1 { return [length] }
        guard size >= 1 else {
            throw ParallelError.invalidChunks("chunk size \(size) on axis \(axis); sizes must be ≥ 1 (or −1 for the whole axis)")
        }
        return split(length, validSize: size)
    }

    static func split(_ length: Int, validSize size: Int) -> [Int] {
        if length == 0 { return [0] }
        var result = [Int](repeating: size, count: length / size)
        if length % size != 0 { result.append(length % size) }
        return result
    }

    /// The array's shape: the sum of the lengths on each axis.
    public var shape: [Int] { lengths.map { $0.reduce(0, +) } }
    /// Chunks per axis.
    public var counts: [Int] { lengths.map(\.count) }
    /// The number of chunks.
    public var count: Int { counts.reduce(1, *) }
    /// For each axis, where each chunk starts, plus the axis length at the end.
    public var offsets: [[Int]] {
        lengths.map { list in
            var result = [0]
            for l in list { result.append((result.last ?? 0) + l) }
            return result
        }
    }

    /// `[[5, 5]]`.
    public var description: String { "\(lengths)" }
}
