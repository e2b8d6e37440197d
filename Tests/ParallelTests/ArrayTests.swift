import Foundation
import Testing
@testable import Parallel

@Suite("chunked arrays")
struct ArrayTests {
    @Test("the seed's example: x = from_array(range(10), chunks=5); y = x ** 2")
    func seedExample() throws {
        let x = ChunkedArray(Array(0..<10), chunks: 5)   // like da.from_array(range(10), chunks=5)
        let y = x ** 2                                    // lazy: builds a task graph
        #expect(try y.compute() == [0, 1, 4, 9, 16, 25, 36, 49, 64, 81])
        #expect(y.chunks.lengths == [[5, 5]])
        #expect(y.description == "ChunkedArray<int64>(shape: [10], chunks: [[5, 5]])")
        try expectBlocksMatchChunks(y)
        let summary = try y.describe()
        #expect(summary.tasks == 2)  // one fused task per chunk
        #expect(summary.chunks == 2 && summary.bytes == 80)
        #expect(summary.operations == ["array", "fused array ** 2"])
    }

    @Test("chunks: every accepted form normalises to one canonical form")
    func chunkNormalisation() throws {
        #expect(try Chunks(shape: [10], .size(4)).lengths == [[4, 4, 2]])
        #expect(try Chunks(shape: [10], .size(10)).lengths == [[10]])
        #expect(try Chunks(shape: [10], .size(11)).lengths == [[10]])
        #expect(try Chunks(shape: [10], .size(-1)).lengths == [[10]])
        #expect(try Chunks(shape: [0], .size(3)).lengths == [[0]])
        #expect(try Chunks(shape: [7, 5], .sizes([3, -1])).lengths == [[3, 3, 1], [5]])
        #expect(try Chunks(shape: [7, 5], .size(2)).lengths == [[2, 2, 2, 1], [2, 2, 1]])
        #expect(try Chunks(shape: [6], .lengths([[1, 5]])).lengths == [[1, 5]])
        #expect(try Chunks(shape: [100], .bytes(80)).lengths == [Array(repeating: 10, count: 10)])
        #expect(try Chunks(shape: [4, 1000], .bytes(800)).lengths[0] == [4])
        let c = try Chunks([[3, 3, 4], [2, 2]])
        #expect(c.shape == [10, 4] && c.counts == [3, 2] && c.count == 6 && c.offsets == [[0, 3, 6, 10], [0, 2, 4]])
        #expect(thrownMessage { _ = try Chunks(shape: [10], .size(0)) }
            == "invalid chunks: chunk size 0 on axis 0; sizes must be ≥ 1 (or −1 for the whole axis)")
        #expect(thrownMessage { _ = try Chunks(shape: [10], .lengths([[3, 3]])) }
            == "invalid chunks: [[3, 3]] sums to [6], but the array's shape is [10]")
        #expect(thrownMessage { _ = try Chunks([[3, 0, 2]]) }
            == "invalid chunks: axis 0 has a chunk of length 0 in [3, 0, 2]; lengths must be ≥ 1")
        #expect(thrownMessage { _ = try Chunks(shape: [3, 3], .sizes([1])) }
            == "invalid chunks: [1] gives 1 chunk sizes for a 2-D array of shape [3, 3]")
        #expect(thrownMessage { _ = try Chunks(shape: [2, 2, 2], .size(1)) } == "invalid shape: [2, 2, 2]: arrays have 1 or 2 axes of length ≥ 0")
        // The seed's initialiser does not throw: invalid chunks surface at compute.
        let bad = ChunkedArray([1.0, 2.0], chunks: 0)
        #expect(thrownMessage { _ = try bad.compute() } == "invalid chunks: chunk size 0 on axis 0; sizes must be ≥ 1 (or −1 for the whole axis)")
    }

    @Test("elementwise operations equal the eager oracle for every boundary chunking, 1-D, Double")
    func elementwise1D() throws {
        let n = 13
        let a = (0..<n).map { Double($0) * 0.75 - 4 }
        let b = (0..<n).map { Double($0 * $0) / 7 + 0.5 }
        for spec in boundaryChunkings(n) {
            let x = ChunkedArray(a, chunks: spec), y = ChunkedArray(b, chunks: spec)
            let cases: [(ChunkedArray<Double>, [Double])] = [
                (try x + y, zip(a, b).map(+)), (try x - y, zip(a, b).map(-)), (try x * y, zip(a, b).map(*)),
                (try x / y, zip(a, b).map(/)), (x + 2.5, a.map { $0 + 2.5 }), (2.5 - x, a.map { 2.5 - $0 }),
                (x * 3, a.map { $0 * 3 }), (1 / y, b.map { 1 / $0 }), (x / 4, a.map { $0 / 4 }), (-x, a.map { -$0 }),
                (x ** 2, a.map { $0 * $0 }), (x ** 3, a.map { $0 * $0 * $0 }), (y ** -1, b.map { 1 / $0 }),
                (y ** 5, b.map { Foundation.pow($0, 5) }), (y ** 0.5, b.map { Foundation.sqrt($0) }), (y.sqrt(), b.map { Foundation.sqrt($0) }),
                (x.exp(), a.map { Foundation.exp($0) }), (y.log(), b.map { Foundation.log($0) }), (x.sin(), a.map { Foundation.sin($0) }),
                (x.cos(), a.map { Foundation.cos($0) }), (x.abs(), a.map { Swift.abs($0) }),
                (x.map { $0 * $0 + 1 }, a.map { $0 * $0 + 1 }),
                // A longer chain, fused into one pass, reusing an input twice.
                (try (x ** 2 + 1) * (y - x) / (x * x + 1), zip(a, b).map { ($0 * $0 + 1) * ($1 - $0) / ($0 * $0 + 1) }),
            ]
            for (k, (lazy, oracle)) in cases.enumerated() {
                #expect(close(try lazy.compute(), oracle, 1e-14), "case \(k), chunks \(spec)")
                #expect(lazy.chunks == x.chunks)
            }
            try expectBlocksMatchChunks(try (x ** 2 + 1) * (y - x))
            // A fused chain runs one task per chunk.
            #expect(try ((x ** 2 + 1) * (y - x)).describe().tasks == x.chunks.count)
        }
    }

    @Test("Float and Int arrays: arithmetic in their own type; integers wrap and divide by truncation")
    func otherElementTypes() throws {
        let f: [Float] = [1.5, -2.25, 3, 0.125, 8]
        let xf = ChunkedArray(f, chunks: 2)
        #expect(try (xf * 2 + 1).compute() == f.map { $0 * 2 + 1 })
        #expect(try xf.abs().sqrt().compute() == f.map { Swift.abs($0).squareRoot() })
        let i = [7, -7, 12, 0, Int.max]
        let xi = ChunkedArray(i, chunks: 3)
        #expect(try (xi / 2).compute() == [3, -3, 6, 0, Int.max / 2])
        #expect(try (xi + 1).compute() == [8, -6, 13, 1, Int.min])  // wraps, as NumPy's int64
        #expect(try (xi ** 3).compute().prefix(4) == [343, -343, 1728, 0])
        #expect(try (10 - xi).compute().prefix(4) == [3, 17, -2, 10])
        #expect(try (-xi).compute().prefix(4) == [-7, 7, -12, 0])
        #expect(try ChunkedArray([Int.min, -3], chunks: 1).abs().compute() == [Int.min, 3])
        // Integer errors surface at compute, naming the task.
        let zero = ChunkedArray([1, 2, 3, 4], chunks: 2)
        let divisors = ChunkedArray([1, 1, 0, 1], chunks: 2)
        #expect(thrownMessage { _ = try (zero / divisors).compute() }
            == "integer division by zero in task 'fused (array / array) chunk (1)'")
        #expect(thrownMessage { _ = try (zero / 0).compute() }?.hasPrefix("integer division by zero") == true)
        #expect(thrownMessage { _ = try (zero ** -1).compute() }
            == "an integer array raised to the negative power -1: integer powers must be ≥ 0 (convert with map(to: Double.self) first)")
        // Conversion to another element type.
        #expect(try zero.map(to: Double.self) { Double($0) / 2 }.compute() == [0.5, 1, 1.5, 2])
    }

    @Test("2-D: elementwise, transpose, slices, rechunk and concatenate equal the oracle for uneven chunks")
    func structure2D() throws {
        let rows = 7, columns = 5
        let values = (0..<rows * columns).map { Double(($0 * 37) % 23) - 11.5 }
        for spec in [ChunkSpec.sizes([3, 2]), .size(1), .size(7), .sizes([-1, 4]), .lengths([[2, 4, 1], [1, 4]])] {
            let x = try ChunkedArray(values, shape: [rows, columns], chunks: spec)
            #expect(x.shape == [rows, columns])
            #expect(close(try (x * 2 - 1).compute(), values.map { $0 * 2 - 1 }))
            let t = x.transposed
            #expect(t.shape == [columns, rows])
            #expect(t.chunks.lengths == [x.chunks.lengths[1], x.chunks.lengths[0]])
            #expect(try t.compute() == Eager.transpose(values, rows: rows, columns: columns))
            try expectBlocksMatchChunks(t)
            let s = try x[2..<6, 1...]
            #expect(s.shape == [4, 4])
            let oracle = (2..<6).flatMap { r in (1..<5).map { c in values[r * columns + c] } }
            #expect(try s.compute() == oracle)
            try expectBlocksMatchChunks(s)
            #expect(try (s ** 2).compute() == oracle.map { $0 * $0 })
            let r = try x.rechunk(.sizes([4, 3]))
            #expect(r.chunks.lengths == [[4, 3], [3, 2]])
            #expect(try r.compute() == values)
            try expectBlocksMatchChunks(r)
            let joined = try ChunkedArray.concatenate([x, x * 10], axis: 0)
            #expect(joined.shape == [14, 5])
            #expect(try joined.compute() == values + values.map { $0 * 10 })
            let side = try ChunkedArray.concatenate([x, x], axis: -1)
            #expect(side.shape == [7, 10])
            var sideOracle: [Double] = []
            for r in 0..<rows {
                let row = Array(values[r * 5..<r * 5 + 5])
                sideOracle.append(contentsOf: row)
                sideOracle.append(contentsOf: row)
            }
            #expect(try side.compute() == sideOracle)
            try expectBlocksMatchChunks(side)
        }
        // 2-D from rows, and errors.
        let m = try ChunkedArray(rows: [[1, 2, 3], [4, 5, 6]], chunks: 2)
        #expect(try m.compute() == [1, 2, 3, 4, 5, 6])
        #expect(thrownMessage { _ = try ChunkedArray(rows: [[1.0, 2], [3.0]]) }
            == "invalid shape: row 1 has 1 elements; row 0 has 2 (rows must be equally long)")
        #expect(thrownMessage { _ = try ChunkedArray([1.0, 2, 3], shape: [2, 2]) }
            == "invalid shape: 3 values cannot fill shape [2, 2] (4 elements)")
        #expect(thrownMessage { _ = try m[0..<3, 0..<1] } == "slice 0..<3 on axis 0 is out of range: valid indices are 0..<2")
        #expect(thrownMessage { _ = try ChunkedArray.concatenate([m, m.transposed], axis: 0) }
            == "concatenate along axis 0: shapes [2, 3] and [3, 2] do not fit (they must be equal)")
        #expect(thrownMessage { _ = try ChunkedArray.concatenate([m, try m.rechunk(.sizes([2, 1]))], axis: 0) }
            == "concatenate along axis 0: the arrays' chunks differ (left [[2], [2, 1]], right [[2], [1, 1, 1]]); call rechunk(…) on one of them so both have the same chunks")
        #expect(thrownMessage { _ = try ChunkedArray.concatenate([m], axis: 2) }
            == "concatenate: axis 2 is out of range for a 2-D array; valid axes: 0 or 1 (or -1, -2)")
    }

    @Test("1-D slices, rechunks and concatenation at chunk boundaries")
    func structure1D() throws {
        let values = (0..<11).map { Double($0) }
        for spec in boundaryChunkings(11) {
            let x = ChunkedArray(values, chunks: spec)
            for range in [0..<11, 0..<0, 3..<4, 2..<9, 10..<11] {
                let s = try x[range]
                #expect(try s.compute() == Array(values[range]), "\(spec) \(range)")
                try expectBlocksMatchChunks(s)
                #expect(try (s * 2).sum().compute() == Array(values[range]).reduce(0, +) * 2)
            }
            for target in boundaryChunkings(11) {
                let r = try (x + 1).rechunk(target)
                #expect(try r.compute() == values.map { $0 + 1 })
                #expect(r.chunks == (try Chunks(shape: [11], target)))
                try expectBlocksMatchChunks(r)
            }
            let joined = try ChunkedArray.concatenate([x, try x[0..<0], x ** 2])
            #expect(try joined.compute() == values + values.map { $0 * $0 })
            try expectBlocksMatchChunks(joined)
        }
        #expect(thrownMessage { _ = try ChunkedArray([1.0, 2], chunks: 1)[1..<3] } == "slice 1..<3 on axis 0 is out of range: valid indices are 0..<2")
        #expect(thrownMessage { _ = try ChunkedArray([1.0], chunks: 1) + ChunkedArray([1.0, 2], chunks: 1) }
            == "elementwise '+': shapes [1] and [2] do not fit (they must be equal)")
        #expect(thrownMessage { _ = try ChunkedArray([1.0, 2, 3], chunks: 1) * ChunkedArray([1.0, 2, 3], chunks: 2) }
            == "elementwise '*': the arrays' chunks differ (left [[1, 1, 1]], right [[2, 1]]); call rechunk(…) on one of them so both have the same chunks")
    }

    @Test("reductions equal the oracle for every boundary chunking and element type")
    func reductions() throws {
        let n = 17
        let a = (0..<n).map { Double(($0 * 53) % 31) / 3 - 4 }
        for spec in boundaryChunkings(n) {
            let x = ChunkedArray(a, chunks: spec)
            #expect(close([try x.sum().compute()], [Eager.sum(a)]))
            #expect(close([try x.mean().compute()], [Eager.mean(a)]))
            #expect(close([try x.variance().compute()], [Eager.variance(a)]))
            #expect(close([try x.std(ddof: 1).compute()], [Eager.variance(a, ddof: 1).squareRoot()]))
            #expect(try x.min().compute() == a.min())
            #expect(try x.max().compute() == a.max())
            #expect(try x.argmax().compute() == Eager.argmax(a))
            #expect(try x.argmin().compute() == Eager.argmin(a))
            #expect(close([try (x / 8 + 1).prod().compute()], [a.map { $0 / 8 + 1 }.reduce(1, *)]))
            #expect(close([try x.dot(x ** 2).compute()], [a.map { $0 * $0 * $0 }.reduce(0, +)]))
            let ints = ChunkedArray(a.map { Int($0 * 3) }, chunks: spec)
            #expect(try ints.sum().compute() == a.map { Int($0 * 3) }.reduce(0, +))
            #expect(try ints.max().compute() == a.map { Int($0 * 3) }.max())
            #expect(close([try ints.mean().compute()], [Eager.mean(a.map { Double(Int($0 * 3)) })]))
            let floats = ChunkedArray(a.map { Float($0) }, chunks: spec)
            #expect(Swift.abs(Double(try floats.sum().compute()) - Eager.sum(a.map { Double(Float($0)) })) < 1e-4)
        }
        // Ties pick the first index; NaN propagates through min/max and wins argmax, as NumPy.
        let ties = ChunkedArray([1.0, 5, 2, 5, 0], chunks: 2)
        #expect(try ties.argmax().compute() == 1)
        let nan = ChunkedArray([1.0, .nan, 7, .nan], chunks: 1)
        #expect(try nan.max().compute().isNaN && nan.min().compute().isNaN)
        #expect(try nan.argmax().compute() == 1)
        // Empty arrays: sum 0, prod 1; the others have no value.
        let empty = ChunkedArray([Double](), chunks: 3)
        #expect(try empty.sum().compute() == 0 && empty.prod().compute() == 1)
        for (name, value) in [("min", empty.min()), ("max", empty.max())] {
            #expect(thrownMessage { _ = try value.compute() } == "\(name) of an empty array: the result is undefined (the array has no elements)")
        }
        #expect(thrownMessage { _ = try empty.mean().compute() } == "mean of an empty array: the result is undefined (the array has no elements)")
        #expect(thrownMessage { _ = try empty.argmax().compute() } == "argmax of an empty array: the result is undefined (the array has no elements)")
        let s = try ChunkedArray<Double>.random(shape: [1000], chunks: 100, seed: 1).sum().describe()
        #expect(s.tasks == 11 && s.operations.last == "sum")
    }

    @Test("reductions along an axis of a 2-D array")
    func axisReductions() throws {
        let rows = 6, columns = 5
        let values = (0..<rows * columns).map { Double(($0 * 29) % 17) - 8 }
        for spec in [ChunkSpec.size(1), .sizes([4, 2]), .size(-1), .lengths([[1, 5], [3, 2]])] {
            let x = try ChunkedArray(values, shape: [rows, columns], chunks: spec)
            for axis in [0, 1] {
                let kept = axis == 0 ? x.chunks.lengths[1] : x.chunks.lengths[0]
                let s = try x.sum(axis: axis)
                #expect(s.chunks.lengths == [kept])
                #expect(close(try s.compute(), Eager.along(values, rows: rows, columns: columns, axis: axis, Eager.sum)))
                #expect(close(try x.mean(axis: axis).compute(), Eager.along(values, rows: rows, columns: columns, axis: axis, Eager.mean)))
                #expect(close(try x.std(axis: axis).compute(),
                              Eager.along(values, rows: rows, columns: columns, axis: axis) { Eager.variance($0).squareRoot() }))
                #expect(try x.max(axis: axis).compute() == Eager.along(values, rows: rows, columns: columns, axis: axis) { $0.max() ?? .nan })
                #expect(try x.argmax(axis: axis).compute() == Eager.along(values, rows: rows, columns: columns, axis: axis) { Double(Eager.argmax($0)) }.map { Int($0) })
                #expect(try x.argmin(axis: -2 + axis).compute() == Eager.along(values, rows: rows, columns: columns, axis: axis) { Double(Eager.argmin($0)) }.map { Int($0) })
                try expectBlocksMatchChunks(s)
                // An axis reduction feeds further lazy work.
                #expect(close([try (s * 2).sum().compute()], [2 * Eager.sum(values)]))
            }
        }
        let x = try ChunkedArray<Double>.zeros(shape: [2, 2], chunks: 1)
        #expect(thrownMessage { _ = try x.sum(axis: 2) } == "sum(axis:): axis 2 is out of range for a 2-D array; valid axes: 0 or 1 (or -1, -2)")
        #expect(thrownMessage { _ = try ChunkedArray([1.0], chunks: 1).sum(axis: 0) }
            == "sum(axis:) needs a 2-D array; this one is 1-D (use sum() for the whole array)")
        #expect(thrownMessage { _ = try ChunkedArray<Double>.zeros(shape: [0, 3], chunks: 2).max(axis: 0) }
            == "max(axis: 0) of an empty array: the result is undefined (the array has no elements)")
    }

    @Test("blocked matmul equals the triple loop; chunks must line up")
    func matmul() throws {
        let m = 9, k = 7, n = 5
        let a = (0..<m * k).map { Double(($0 * 13) % 11) / 4 - 1 }
        let b = (0..<k * n).map { Double(($0 * 7) % 9) / 3 - 1.5 }
        let oracle = Eager.matmul(a, b, m: m, k: k, n: n)
        for (sa, sb) in [(ChunkSpec.size(4), ChunkSpec.size(4)), (.size(-1), .size(-1)), (.size(1), .size(1)),
                         (.lengths([[2, 7], [3, 4]]), .lengths([[3, 4], [5]]))]
        {
            let x = try ChunkedArray(a, shape: [m, k], chunks: sa), y = try ChunkedArray(b, shape: [k, n], chunks: sb)
            let c = try x.matmul(y)
            #expect(c.shape == [m, n])
            #expect(close(try c.compute(), oracle, 1e-13))
            try expectBlocksMatchChunks(c)
        }
        // Both floating-point kernels (AVX2 + FMA where the CPU has it, and the portable one) on
        // edge-sized tiles: every row and column remainder of the 6 × 8 and 4 × 4 register tiles.
        for (mm, kk, nn) in [(13, 9, 17), (6, 300, 8), (1, 1, 1), (7, 257, 3)] {
            let av = (0..<mm * kk).map { Double(($0 * 31) % 19) / 7 - 1 }
            let bv = (0..<kk * nn).map { Double(($0 * 17) % 23) / 5 - 2 }
            let want = Eager.matmul(av, bv, m: mm, k: kk, n: nn)
            for portable in [false, true] {
                var out = [Double](repeating: 0, count: mm * nn)
                av.withUnsafeBufferPointer { ap in
                    bv.withUnsafeBufferPointer { bp in
                        out.withUnsafeMutableBufferPointer { cp in
                            guard let a0 = ap.baseAddress, let b0 = bp.baseAddress, let c0 = cp.baseAddress else { return }
                            let owner = ChunkBuffer<Double>(rows: 0, columns: 0)
                            Matmul.multiplyAdd(ChunkView(base: a0, rows: mm, columns: kk, rowStride: kk, owner: owner),
                                               ChunkView(base: b0, rows: kk, columns: nn, rowStride: nn, owner: owner),
                                               into: c0, ldc: nn, portable: portable)
                        }
                    }
                }
                #expect(close(out, want, 1e-12), "\(mm)×\(kk)×\(nn) portable: \(portable)")
            }
        }
        // Fused inputs and generated inputs.
        let x = try ChunkedArray(a, shape: [m, k], chunks: 3)
        let ones = try ChunkedArray<Double>.ones(shape: [k, n], chunks: 3)
        #expect(close(try (x * 2).matmul(ones).compute(), Eager.matmul(a.map { $0 * 2 }, [Double](repeating: 1, count: k * n), m: m, k: k, n: n)))
        // Float and Int.
        let fi = try ChunkedArray<Int>(Array(0..<6), shape: [2, 3], chunks: 2)
        #expect(try fi.matmul(fi.transposed.rechunk(.size(2))).compute() == [5, 14, 14, 50])
        let ff = try ChunkedArray<Float>([1, 2, 3, 4], shape: [2, 2], chunks: 1)
        #expect(try ff.matmul(ff).compute() == [7, 10, 15, 22])
        #expect(thrownMessage { _ = try x.matmul(x) } == "matmul: shapes [9, 7] and [9, 7] do not fit (the left's columns must equal the right's rows)")
        #expect(thrownMessage { _ = try x.matmul(try ChunkedArray(b, shape: [k, n], chunks: 2)) }?
            .hasPrefix("matmul (left column chunks vs right row chunks): the arrays' chunks differ (left [3, 3, 1], right [2, 2, 2, 1])") == true)
    }

    @Test("creation: arange, full, random — random values do not depend on chunks, and equal SplitMix64")
    func creation() throws {
        #expect(try ChunkedArray<Int>.arange(5, chunks: 2).compute() == [0, 1, 2, 3, 4])
        #expect(try ChunkedArray<Int>.arange(10, 0, step: -3, chunks: 2).compute() == [10, 7, 4, 1])
        #expect(try ChunkedArray<Double>.arange(0, 1, step: 0.25, chunks: 3).compute() == [0, 0.25, 0.5, 0.75])
        #expect(try ChunkedArray<Double>.full(2.5, shape: [2, 3], chunks: 2).compute() == [2.5, 2.5, 2.5, 2.5, 2.5, 2.5])
        #expect(try ChunkedArray<Int>.zeros(shape: [3], chunks: 1).compute() == [0, 0, 0])
        let expected = try FixtureJSON.load()["random"] as? [String: Any] ?? [:]
        let uniform = try ChunkedArray<Double>.random(shape: [8], chunks: 3, seed: 42).compute()
        #expect(uniform == doubles(expected["uniform"]))
        let normal = try ChunkedArray<Double>.random(shape: [8], chunks: 5, seed: 42, distribution: .standardNormal).compute()
        #expect(close(normal, doubles(expected["normal"]) ?? [], 1e-14))
        let integers = try ChunkedArray<Int>.random(shape: [8], chunks: 2, seed: 42, distribution: .integers(low: 0, high: 10)).compute()
        #expect(integers == expected["integers_0_10"] as? [Int])
        let bits = (expected["bits"] as? [String] ?? []).compactMap { UInt64($0) }
        #expect(bits == (0..<8).map { CounterRandom.bits(seed: 42, index: UInt64($0)) })
        // The same seed gives the same array whatever the chunking (and, below, the threads).
        let reference = try ChunkedArray<Double>.random(shape: [7, 9], chunks: .size(-1), seed: 9).compute()
        for spec in [ChunkSpec.size(1), .sizes([3, 4]), .lengths([[6, 1], [2, 7]])] {
            #expect(try ChunkedArray<Double>.random(shape: [7, 9], chunks: spec, seed: 9).compute() == reference)
        }
        #expect(try ChunkedArray<Double>.random(shape: [7, 9], chunks: 2, seed: 9).compute(using: Scheduler(threads: 3)) == reference)
        #expect(try ChunkedArray<Double>.random(shape: [7, 9], chunks: 2, seed: 10).compute() != reference)
        let r = try ChunkedArray<Double>.random(shape: [20_000], chunks: 3000, seed: 5, distribution: .uniform(low: -1, high: 3)).compute()
        #expect(r.allSatisfy { $0 >= -1 && $0 < 3 })
        #expect(Swift.abs(Eager.mean(r) - 1) < 0.05)
        #expect(thrownMessage { _ = try ChunkedArray<Double>.arange(0, 1, step: 0) }
            == "arange: start 0.0, stop 1.0, step 0.0: the step must be finite and not 0")
        #expect(thrownMessage { _ = try ChunkedArray<Double>.random(shape: [2], seed: 1, distribution: .uniform(low: 2, high: 1)) }
            == "random: uniform(low: 2.0, high: 1.0) needs finite low ≤ high")
        #expect(thrownMessage { _ = try ChunkedArray<Int>.random(shape: [2], seed: 1, distribution: .integers(low: 3, high: 3)) }
            == "random: integers(low: 3, high: 3) needs low < high (and high − low to fit in Int)")
    }

    @Test("mapBlocks, persist and errors from user closures")
    func blocksAndPersist() throws {
        let x = ChunkedArray((0..<10).map(Double.init), chunks: 4)
        let shifted = x.mapBlocks { block in block.values.map { $0 + Double(block.origin[0]) * 100 } }
        #expect(try shifted.compute() == [0, 1, 2, 3, 404, 405, 406, 407, 808, 809])
        try expectBlocksMatchChunks(shifted)
        // One wrong block only: with several, which failing task is reported first depends on the
        // threads' timing.
        let wrong = x.mapBlocks { block in block.index == [0] ? Array(block.values.dropLast()) : block.values }
        #expect(thrownMessage { _ = try wrong.compute() } == "task 'mapBlocks chunk (0)': the block function returned 3 values; the block has 4")
        struct Refused: Error, CustomStringConvertible { var description: String { "refused block 2" } }
        let throwing = x.mapBlocks { block in
            if block.index == [2] { throw Refused() }
            return block.values
        }
        #expect(thrownMessage { _ = try throwing.compute() }
            == "task 'mapBlocks chunk (2)' failed: refused block 2 (the remaining tasks were cancelled)")
        let persisted = try (x ** 2).persist()
        #expect(try persisted.describe().tasks == 0)
        #expect(try (persisted + 1).compute() == (0..<10).map { Double($0 * $0 + 1) })
        try expectBlocksMatchChunks(persisted)
    }
}

/// Fixtures/expected.json.
enum FixtureJSON {
    static func load() throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("expected.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
