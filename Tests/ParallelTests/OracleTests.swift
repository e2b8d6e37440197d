import Foundation
import Testing
@testable import Parallel

// Operations that had no eager oracle before: each result is compared with plain Swift loops over
// an unchunked array, for several chunkings (boundary and uneven ones).

/// Float results as Doubles, for `close`.
private func widened(_ x: [Float]) -> [Double] { x.map(Double.init) }

@Suite("eager oracles for the remaining operations")
struct OracleTests {
    @Test("2-D prod, min and variance along each axis equal the oracle for uneven chunks")
    func axisReductions2D() throws {
        let rows = 7, columns = 6
        // Values near 1 so that products stay well scaled; distinct enough for min to matter.
        let values: [Double] = (0..<rows * columns).map { (k: Int) -> Double in 1 + Double((k * 31) % 13 - 6) / 16 }
        for spec in [ChunkSpec.size(1), .size(2), .sizes([5, 4]), .size(-1), .lengths([[3, 1, 3], [1, 4, 1]]), .sizes([6, 5])] {
            let x = try ChunkedArray(values, shape: [rows, columns], chunks: spec)
            for axis in [0, 1] {
                let kept = axis == 0 ? x.chunks.lengths[1] : x.chunks.lengths[0]
                let prod = try x.prod(axis: axis)
                #expect(prod.chunks.lengths == [kept], "\(spec)")
                #expect(close(try prod.compute(), Eager.along(values, rows: rows, columns: columns, axis: axis) { $0.reduce(1, *) }),
                        "prod axis \(axis) \(spec)")
                let min = try x.min(axis: axis - 2)
                #expect(try min.compute() == Eager.along(values, rows: rows, columns: columns, axis: axis) { $0.min() ?? .nan },
                        "min axis \(axis) \(spec)")
                for ddof in [0, 1] {
                    let v = try x.variance(axis: axis, ddof: ddof)
                    #expect(close(try v.compute(), Eager.along(values, rows: rows, columns: columns, axis: axis) { Eager.variance($0, ddof: ddof) }),
                            "variance axis \(axis) ddof \(ddof) \(spec)")
                }
                try expectBlocksMatchChunks(prod)
                try expectBlocksMatchChunks(try x.variance(axis: axis))
            }
        }
        // Int products along an axis wrap like the oracle's &*.
        let big = try ChunkedArray([Int.max, 3, 2, 5, -7, 11], shape: [2, 3], chunks: .sizes([1, 2]))
        #expect(try big.prod(axis: 1).compute() == [Int.max &* 3 &* 2, 5 &* -7 &* 11])
        #expect(try big.min(axis: 0).compute() == [5, -7, 2])
    }

    @Test("Float: exp, log, sin, cos and ** Float equal Float oracles for every boundary chunking")
    func floatElementwise() throws {
        let n = 11
        let a: [Float] = (0..<n).map { Float($0) * 0.375 - 1.75 }
        let positive: [Float] = (0..<n).map { Float($0 * $0) / 9 + 0.25 }
        for spec in boundaryChunkings(n) {
            let x = ChunkedArray(a, chunks: spec), p = ChunkedArray(positive, chunks: spec)
            let cases: [(String, ChunkedArray<Float>, [Float])] = [
                ("exp", x.exp(), a.map { Foundation.exp($0) }),
                ("log", p.log(), positive.map { Foundation.log($0) }),
                ("sin", x.sin(), a.map { Foundation.sin($0) }),
                ("cos", x.cos(), a.map { Foundation.cos($0) }),
                ("** 0.5", p ** Float(0.5), positive.map { Foundation.sqrt($0) }),
                ("** 1.5", p ** Float(1.5), positive.map { Foundation.pow($0, 1.5) }),
                ("** -2.25", p ** Float(-2.25), positive.map { Foundation.pow($0, -2.25) }),
                ("chain", try x.exp() * p.cos() + x.sin() ** 2, zip(a, positive).map { Foundation.exp($0) * Foundation.cos($1) + Foundation.sin($0) * Foundation.sin($0) }),
            ]
            for (name, lazy, oracle) in cases {
                #expect(close(widened(try lazy.compute()), widened(oracle), 2e-6), "\(name), chunks \(spec)")
                #expect(lazy.chunks == x.chunks)
            }
            try expectBlocksMatchChunks(x.exp())
        }
    }

    @Test("Float reductions (mean, min, max, prod, variance, std, argmax, dot) equal the oracle")
    func floatReductions() throws {
        let n = 19
        let a: [Float] = (0..<n).map { Float(($0 * 41) % 23) / 8 - 1.25 }
        let near1: [Float] = (0..<n).map { 1 + Float(($0 * 7) % 9 - 4) / 32 }
        let wide = a.map(Double.init), wideNear1 = near1.map(Double.init)
        for spec in boundaryChunkings(n) + [.lengths([[4, 1, 9, 5]])] {
            let x = ChunkedArray(a, chunks: spec), y = ChunkedArray(near1, chunks: spec)
            #expect(close([try x.mean().compute()], [Eager.mean(wide)], 1e-12), "\(spec)")
            #expect(try x.min().compute() == a.min(), "\(spec)")
            #expect(try x.max().compute() == a.max(), "\(spec)")
            #expect(try x.argmax().compute() == Eager.argmax(wide), "\(spec)")
            #expect(close([Double(try y.prod().compute())], [wideNear1.reduce(1, *)], 1e-6), "\(spec)")
            #expect(close([try x.variance().compute()], [Eager.variance(wide)], 1e-12), "\(spec)")
            #expect(close([try x.variance(ddof: 1).compute()], [Eager.variance(wide, ddof: 1)], 1e-12), "\(spec)")
            #expect(close([try x.std().compute()], [Eager.variance(wide).squareRoot()], 1e-12), "\(spec)")
            let dotOracle = zip(a, near1).map { Double($0 * $1) }.reduce(0, +)
            #expect(close([Double(try x.dot(y).compute())], [dotOracle], 1e-6), "\(spec)")
        }
    }

    @Test("Int prod, min, argmax and variance equal the oracle; products wrap like &*")
    func intReductions() throws {
        let n = 15
        let a = (0..<n).map { ($0 * 37) % 29 - 14 }
        let small = (0..<n).map { ($0 % 5) - 2 == 0 ? 1 : ($0 % 5) - 2 }   // nonzero, so the product is informative
        let huge = [Int.max, 3, Int.min + 5, 7, 1 << 40, -9, 1 << 30]
        for spec in boundaryChunkings(n) + [.lengths([[2, 6, 1, 6]])] {
            let x = ChunkedArray(a, chunks: spec), s = ChunkedArray(small, chunks: spec)
            #expect(try s.prod().compute() == small.reduce(1, *), "\(spec)")
            #expect(try x.min().compute() == a.min(), "\(spec)")
            #expect(try x.argmax().compute() == Eager.argmax(a.map(Double.init)), "\(spec)")
            #expect(try x.argmin().compute() == Eager.argmin(a.map(Double.init)), "\(spec)")
            #expect(close([try x.variance().compute()], [Eager.variance(a.map(Double.init))]), "\(spec)")
            #expect(close([try x.variance(ddof: 1).compute()], [Eager.variance(a.map(Double.init), ddof: 1)]), "\(spec)")
        }
        for spec in [ChunkSpec.size(1), .size(3), .size(-1), .lengths([[1, 5, 1]])] {
            #expect(try ChunkedArray(huge, chunks: spec).prod().compute() == huge.reduce(1, &*), "\(spec)")
        }
        // Ties: the first index, as NumPy.
        #expect(try ChunkedArray([3, 9, 1, 9, 9], chunks: 2).argmax().compute() == 1)
    }

    @Test("Int map and mapBlocks equal the oracle for every boundary chunking")
    func intClosures() throws {
        let n = 12
        let a = (0..<n).map { $0 * 5 - 23 }
        for spec in boundaryChunkings(n) {
            let x = ChunkedArray(a, chunks: spec)
            let mapped = x.map { $0 * $0 - 3 }
            #expect(try mapped.compute() == a.map { $0 * $0 - 3 }, "\(spec)")
            try expectBlocksMatchChunks(mapped)
            // Fused with its neighbours.
            #expect(try (x.map { $0 / 2 } + 1).compute() == a.map { $0 / 2 + 1 }, "\(spec)")
            // A block function that depends on the block's position: element i becomes
            // a[i] + (the start of its chunk) · 1000.
            let blocks = x.mapBlocks { block in block.values.map { $0 + block.origin[0] * 1000 } }
            let offsets = x.chunks.offsets[0]
            let oracle = a.indices.map { i in a[i] + (offsets.last { $0 <= i } ?? 0) * 1000 }
            #expect(try blocks.compute() == oracle, "\(spec)")
            try expectBlocksMatchChunks(blocks)
        }
        // 2-D mapBlocks sees each block's shape.
        let m = try ChunkedArray(Array(0..<12), shape: [3, 4], chunks: .lengths([[2, 1], [3, 1]]))
        let shapes = m.mapBlocks { block in [Int](repeating: block.shape[0] * 10 + block.shape[1], count: block.values.count) }
        #expect(try shapes.compute() == [23, 23, 23, 21, 23, 23, 23, 21, 13, 13, 13, 11])
    }

    @Test("x ** y between arrays and s ** x equal NumPy's ** (C's pow; wrapping integers), fused, and validated like +")
    func arrayPowers() throws {
        let n = 13
        // Negative bases with integral exponents, 0 ** 0, fractional exponents of positive bases.
        let bases: [Double] = (0..<n).map { (k: Int) -> Double in Double(k) / 2 - 3 }
        let exponents: [Double] = (0..<n).map { (k: Int) -> Double in k % 3 == 0 ? Double(k % 4) - 1 : Double(k) / 4 }
        for spec in boundaryChunkings(n) {
            let x = ChunkedArray(bases, chunks: spec), y = ChunkedArray(exponents, chunks: spec)
            let p = try x ** y
            #expect(close(try p.compute(), zip(bases, exponents).map { Foundation.pow($0, $1) }), "\(spec)")
            #expect(p.chunks == x.chunks)
            try expectBlocksMatchChunks(p)
            #expect(close(try (2.0 ** y).compute(), exponents.map { Foundation.pow(2, $0) }), "\(spec)")
            #expect(close(try (x ** 2.0).compute(), bases.map { $0 * $0 }), "\(spec)")
            // Fused with its neighbours: one task per chunk.
            let chain = try (x ** y + 1) * (1.5 ** x)
            #expect(close(try chain.compute(), zip(bases, exponents).map { (Foundation.pow($0, $1) + 1) * Foundation.pow(1.5, $0) }), "\(spec)")
            #expect(try chain.describe().tasks == x.chunks.count)
        }
        #expect(try (ChunkedArray([0.0, -8], chunks: 1) ** ChunkedArray([0.0, 1.0 / 3], chunks: 1)).compute().map { $0.isNaN ? -1 : $0 } == [1, -1])
        // Float.
        let fb: [Float] = [0.5, 2, -3, 4, 0], fe: [Float] = [3, -0.5, 2, 1.5, 0]
        #expect(try (ChunkedArray(fb, chunks: 2) ** ChunkedArray(fe, chunks: 2)).compute() == zip(fb, fe).map { Foundation.powf($0, $1) })
        // Int: exact, wrapping, and negative exponents refused at compute.
        let ib = [2, -3, 7, 0, 1 << 33, 5], ie = [10, 3, 0, 0, 2, 1]
        for spec in [ChunkSpec.size(1), .size(4), .size(-1)] {
            let x = ChunkedArray(ib, chunks: spec), y = ChunkedArray(ie, chunks: spec)
            #expect(try (x ** y).compute() == [1024, -27, 1, 1, (1 << 33) &* (1 << 33), 5], "\(spec)")
            #expect(try (3 ** y).compute() == [59049, 27, 1, 1, 9, 3], "\(spec)")
        }
        let negative = ChunkedArray([1, 2, -2], chunks: 2)
        #expect(thrownMessage { _ = try (ChunkedArray([1, 2, 3], chunks: 2) ** negative).compute() }
            == "task 'fused (array ** array) chunk (1)' failed: an integer array raised to the negative power -2: integer powers "
            + "must be ≥ 0 (convert with map(to: Double.self) first) (the remaining tasks were cancelled)")
        #expect(thrownMessage { _ = try (2 ** negative).compute() }?
            .hasPrefix("task 'fused (2 ** array) chunk (1)' failed: an integer array raised to the negative power -2") == true)
        // Shapes and chunks are checked like +.
        #expect(thrownMessage { _ = try ChunkedArray([1.0], chunks: 1) ** ChunkedArray([1.0, 2], chunks: 1) }
            == "elementwise '**': shapes [1] and [2] do not fit (they must be equal)")
        #expect(thrownMessage { _ = try ChunkedArray([1.0, 2, 3], chunks: 1) ** ChunkedArray([1.0, 2, 3], chunks: 2) }
            == "elementwise '**': the arrays' chunks differ (left [[1, 1, 1]], right [[2, 1]]); call rechunk(…) on one of them so both have the same chunks")
        let m = try ChunkedArray([1.0, 2, 3, 4, 5, 6], shape: [2, 3], chunks: .sizes([1, 2]))
        #expect(try (m ** m.transposed.transposed).compute() == [1, 4, 27, 256, 3125, 46656])
    }

    @Test(".bytes(n) chunks hold at most n bytes of the element type: Float 4, Double 8, Int 8")
    func byteChunks() throws {
        #expect(try Chunks(shape: [100], .bytes(80), elementBytes: 4).lengths == [[20, 20, 20, 20, 20]])
        #expect(try Chunks(shape: [100], .bytes(80), elementBytes: 8).lengths == [Array(repeating: 10, count: 10)])
        #expect(try ChunkedArray([Float](repeating: 1, count: 100), chunks: .bytes(80)).chunks.lengths == [[20, 20, 20, 20, 20]])
        #expect(try ChunkedArray([Double](repeating: 1, count: 100), chunks: .bytes(80)).chunks.lengths == [Array(repeating: 10, count: 10)])
        #expect(try ChunkedArray([Int](repeating: 1, count: 100), chunks: .bytes(80)).chunks.lengths == [Array(repeating: 10, count: 10)])
        // Fewer bytes than one element: one element per chunk.
        #expect(try ChunkedArray([Float](repeating: 1, count: 3), chunks: .bytes(3)).chunks.lengths == [[1, 1, 1]])
        // Every chunk fits the budget, and the chunks are not needlessly small: for each type and
        // budget, the largest chunk holds more than half of the elements the budget allows.
        func check<E: ChunkElement>(_: E.Type, shape: [Int], bytes: Int) throws {
            let size = E.elementKind.byteCount
            let x = try ChunkedArray<E>.zeros(shape: shape, chunks: .bytes(bytes))
            let lengths = x.chunks.lengths
            let largest = lengths.map { $0.max() ?? 0 }.reduce(1, *)
            #expect(largest * size <= Swift.max(bytes, size), "\(E.self) \(shape) \(bytes): \(lengths)")
            if bytes / size >= 4 && shape.reduce(1, *) * size > bytes {
                #expect(largest * size * 2 > bytes, "\(E.self) \(shape) \(bytes): \(lengths)")
            }
        }
        for bytes in [1, 7, 64, 1000, 4096, 8 << 20] {
            for shape in [[10_000], [300, 200], [1, 5000], [5000, 1]] {
                try check(Float.self, shape: shape, bytes: bytes)
                try check(Double.self, shape: shape, bytes: bytes)
                try check(Int.self, shape: shape, bytes: bytes)
            }
        }
        // .auto is 8 MiB: 2²¹ Floats, 2²⁰ Doubles per chunk.
        #expect(try ChunkedArray<Float>.zeros(shape: [3 << 20]).chunks.lengths == [[2 << 20, 1 << 20]])
        #expect(try ChunkedArray<Double>.zeros(shape: [3 << 20]).chunks.lengths == [[1 << 20, 1 << 20, 1 << 20]])
        #expect(thrownMessage { _ = try Chunks(shape: [4], .bytes(8), elementBytes: 0) }
            == "invalid chunks: element size must be ≥ 1 byte, received 0")
    }

    @Test("Int arrays: random refuses real distributions instead of truncating them; arange refuses overflowing bounds")
    func integerCreationErrors() throws {
        for distribution in [Distribution.unit, .uniform(low: -5, high: 5), .standardNormal, .normal(mean: 100, standardDeviation: 3)] {
            #expect(thrownMessage { _ = try ChunkedArray<Int>.random(shape: [4], seed: 1, distribution: distribution) }
                == "random: \(distribution) gives real numbers, which an Int array cannot hold (they would be truncated toward 0); "
                + "use .integers(low:high:) for an Int array, or make a Double array")
            // Floating-point arrays still take them.
            #expect(try ChunkedArray<Float>.random(shape: [4], seed: 1, distribution: distribution).count == 4)
        }
        #expect(thrownMessage { _ = try ChunkedArray<Int>.random(shape: [4], seed: 1) }?.hasPrefix("random: uniform(low: 0.0, high: 1.0) gives real") == true)
        #expect(try ChunkedArray<Int>.random(shape: [3], seed: 1, distribution: .integers(low: -2, high: 2)).compute().allSatisfy { (-2..<2).contains($0) })
        // Integer arange: lengths equal the oracle's count, including spans near the limits.
        func oracleCount(_ a: Int, _ b: Int, _ c: Int) -> Int { stride(from: a, to: b, by: c).underestimatedCount }
        for (a, b, c) in [(0, 10, 3), (10, 0, -3), (0, 10, -1), (5, 5, 1), (-7, 8, 5), (Int.max - 10, Int.max, 4),
                          (Int.min, Int.min + 9, 2), (Int.max, Int.max - 7, -3)]
        {
            let x = try ChunkedArray<Int>.arange(a, b, step: c, chunks: 2)
            #expect(x.count == oracleCount(a, b, c), "\(a) \(b) \(c)")
            #expect(try x.compute() == Array(stride(from: a, to: b, by: c)), "\(a) \(b) \(c)")
        }
        #expect(try ChunkedArray<Int>.arange(-3, Int.max - 3, step: Int.max / 2).compute() == [-3, Int.max / 2 - 3, Int.max - 4])
        #expect(thrownMessage { _ = try ChunkedArray<Int>.arange(Int.min, Int.max) }
            == "arange: start \(Int.min), stop \(Int.max), step 1: stop − start overflows Int; give a start and stop whose difference "
            + "fits in Int (\(Int.min)...\(Int.max))")
        #expect(thrownMessage { _ = try ChunkedArray<Int>.arange(1, Int.min, step: -1) }?.contains("stop − start overflows Int") == true)
        #expect(thrownMessage { _ = try ChunkedArray<Int>.arange(0, Int.min, step: -1) }
            == "arange: start 0, stop \(Int.min), step -1: the array would have 2⁶³ or more elements; its length must fit in Int")
        #expect(thrownMessage { _ = try ChunkedArray<Double>.arange(-1e308, 1e308, step: 1) }
            == "arange: start -1e+308, stop 1e+308, step 1.0: the array would have inf elements; its length must fit in Int")
        #expect(try ChunkedArray<Double>.arange(1e300, -1e300, step: 1e-10).count == 0)
    }

    @Test("the allreduce benchmark reports the bytes reduced per second beside the time per call")
    func allreduceBandwidth() throws {
        let results = try LocalCommunicator.run(ranks: 2) { comm in
            try ParallelBenchmark.allreduce(bytes: 1 << 16, communicator: comm, repeats: 1)
        }
        for r in results {
            let seconds = r.secondsMedian
            #expect(r.name == "allreduce" && r.ranks == 2 && r.unit == "µs/call")
            #expect(r.parameters.first { $0.0 == "bytes" }?.1 == 65536)
            #expect(r.gigabytesPerSecond == 65536 / seconds / 1e9)
            #expect(r.value == seconds * 1e6)
        }
        // One rank reduces nothing: no rate.
        #expect(try ParallelBenchmark.allreduce(bytes: 64, communicator: LocalCommunicator(), repeats: 1).gigabytesPerSecond == nil)
        #expect(try ParallelBenchmark.matmul(size: 4, chunk: 2, threads: 1, repeats: 1).gigabytesPerSecond == nil)
    }

    @Test("blocked matmul equals NumPy's A @ B (fixture) for even, uneven and single-element tiles")
    func matmulAgainstNumPy() throws {
        let fixture = try #require(try FixtureJSON.load()["matmul"] as? [String: Any])
        let a = try #require(doubles(fixture["a"])), b = try #require(doubles(fixture["b"]))
        let product = try #require(doubles(fixture["product"]))
        let aShape = try #require(fixture["a_shape"] as? [Int]), bShape = try #require(fixture["b_shape"] as? [Int])
        #expect(aShape == [9, 7] && bShape == [7, 5] && a.count == 63 && b.count == 35 && product.count == 45)
        for (sa, sb) in [(ChunkSpec.size(-1), ChunkSpec.size(-1)), (.size(1), .size(1)), (.size(3), .size(3)),
                         (.lengths([[4, 5], [2, 5]]), .lengths([[2, 5], [1, 3, 1]])), (.sizes([8, 6]), .sizes([6, 4]))]
        {
            let x = try ChunkedArray(a, shape: aShape, chunks: sa), y = try ChunkedArray(b, shape: bShape, chunks: sb)
            let c = try x.matmul(y)
            #expect(c.shape == [9, 5])
            #expect(close(try c.compute(), product, 1e-13), "\(sa) × \(sb)")
            try expectBlocksMatchChunks(c)
        }
    }
}
