@_exported import _TestSupport
import Foundation
import Testing
@testable import Parallel

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// |a − b| ≤ tolerance · max(1, |b|), elementwise; NaN equals NaN.
func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-12) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in
        (x.isNaN && y.isNaN) || x == y || abs(x - y) <= tolerance * max(1, abs(y))
    }
}

/// The eager, unchunked oracle: plain loops over a row-major array.
enum Eager {
    static func rows(_ values: [Double], _ shape: [Int]) -> [[Double]] {
        let columns = shape.count == 1 ? shape[0] : shape[1]
        let rows = shape.count == 1 ? 1 : shape[0]
        return (0..<rows).map { r in Array(values[r * columns..<(r + 1) * columns]) }
    }
    static func sum(_ x: [Double]) -> Double { x.reduce(0, +) }
    static func mean(_ x: [Double]) -> Double { sum(x) / Double(x.count) }
    static func variance(_ x: [Double], ddof: Int = 0) -> Double {
        let m = mean(x)
        return x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - ddof)
    }
    static func argmax(_ x: [Double]) -> Int { x.indices.reduce(0) { x[$1] > x[$0] ? $1 : $0 } }
    static func argmin(_ x: [Double]) -> Int { x.indices.reduce(0) { x[$1] < x[$0] ? $1 : $0 } }
    static func transpose(_ values: [Double], rows: Int, columns: Int) -> [Double] {
        (0..<columns).flatMap { c in (0..<rows).map { r in values[r * columns + c] } }
    }
    static func matmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += a[i * k + p] * b[p * n + j] }
                c[i * n + j] = s
            }
        }
        return c
    }
    /// Along axis 0 (per column) or 1 (per row).
    static func along(_ values: [Double], rows: Int, columns: Int, axis: Int, _ f: ([Double]) -> Double) -> [Double] {
        if axis == 0 { return (0..<columns).map { c in f((0..<rows).map { values[$0 * columns + c] }) } }
        return (0..<rows).map { r in f(Array(values[r * columns..<(r + 1) * columns])) }
    }
}

/// Checks that every computed chunk has the declared shape, and the origin and index that go with it.
func expectBlocksMatchChunks<E: ChunkElement>(_ x: ChunkedArray<E>, on communicator: (any Communicator)? = nil,
                                              sourceLocation: SourceLocation = #_sourceLocation) throws
{
    let blocks = try x.computeBlocks(on: communicator)
    let chunks = x.chunks
    #expect(blocks.count == chunks.count, sourceLocation: sourceLocation)
    let offsets = chunks.offsets
    for block in blocks {
        let expectedShape = block.index.enumerated().map { axis, k in chunks.lengths[axis][k] }
        #expect(block.shape == expectedShape, "block \(block.index)", sourceLocation: sourceLocation)
        #expect(block.values.count == expectedShape.reduce(1, *), sourceLocation: sourceLocation)
        #expect(block.origin == block.index.enumerated().map { axis, k in offsets[axis][k] }, sourceLocation: sourceLocation)
    }
}

/// Chunkings at the boundaries for an axis of length n: 1, n − 1, n, n + 1, and an uneven split.
func boundaryChunkings(_ n: Int) -> [ChunkSpec] {
    var specs: [ChunkSpec] = [.size(1), .size(n), .size(n + 1), .size(-1)]
    if n > 1 { specs.append(.size(n - 1)) }
    if n >= 6 { specs.append(.lengths([[1, 2, n - 6, 3]].map { $0.filter { $0 > 0 } })) }
    return specs
}

/// Doubles written by the fixture script as repr strings (exact), or numbers.
func doubles(_ value: Any?) -> [Double]? {
    if let strings = value as? [String] { return strings.compactMap(parseDouble) }
    return value as? [Double]
}

/// One double written as a repr string ('nan', 'inf' too).
func double(_ value: Any?) -> Double? {
    if let s = value as? String { return parseDouble(s) }
    return value as? Double
}

private func parseDouble(_ s: String) -> Double? {
    switch s {
    case "nan": .nan
    case "inf": .infinity
    case "-inf": -.infinity
    default: Double(s)
    }
}
