import _TestSupport
@testable import Communication
import Testing

/// The reduction kernel against the slow per-element oracle (`ReductionOperator.apply`, one generic
/// call per element, as the communicators reduced before), bit for bit.
@Suite("reduction kernel")
struct ReductionKernelTests {
    /// `combine` into a fresh buffer and into each operand (aliasing), compared with `apply`.
    func check<T: Communicable>(_ a: [T], _ b: [T], bits: (T) -> UInt64) {
        for op in ReductionOperator.allCases {
            let expected = zip(a, b).map { op.apply($0, $1) }.map(bits)
            var fresh = a
            var intoFirst = a, intoSecond = b
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    fresh.withUnsafeMutableBufferPointer { out in
                        guard let d = out.baseAddress, let x = pa.baseAddress, let y = pb.baseAddress else { return }
                        op.combine(into: d, x, y, count: a.count)
                    }
                    intoFirst.withUnsafeMutableBufferPointer { out in
                        guard let d = out.baseAddress, let y = pb.baseAddress else { return }
                        op.combine(into: d, UnsafePointer(d), y, count: a.count)
                    }
                }
                intoSecond.withUnsafeMutableBufferPointer { out in
                    guard let d = out.baseAddress, let x = pa.baseAddress else { return }
                    op.combine(into: d, x, UnsafePointer(d), count: a.count)
                }
            }
            #expect(fresh.map(bits) == expected, "\(T.self) \(op)")
            #expect(intoFirst.map(bits) == expected, "\(T.self) \(op), into the first operand")
            #expect(intoSecond.map(bits) == expected, "\(T.self) \(op), into the second operand")
        }
    }

    @Test("combine equals apply for every element type and operator, also in place and at the edges (±0, NaN, ∞, wrap-around)")
    func kernelEqualsApply() {
        let specials: [Double] = [0, -0.0, .nan, .infinity, -.infinity, 1e308, 1e308, -1, .leastNonzeroMagnitude, 3.5]
        let others: [Double] = [-0.0, 0, 1, .nan, .infinity, 1e308, -1e308, 1, 0.5, -3.5]
        let count = 37
        let a = (0..<count).map { specials[$0 % specials.count] * Double($0 % 3 + 1) }
        let b = (0..<count).map { others[$0 % others.count] + Double($0) * 0.25 }
        check(a, b) { $0.bitPattern }
        check(a.map(Float.init), b.map(Float.init)) { UInt64($0.bitPattern) }
        check((0..<count).map { $0 % 2 == 0 ? Int.max - $0 : -$0 * 1_000_003 }, (0..<count).map { $0 % 3 == 0 ? Int.max : $0 }) {
            UInt64(bitPattern: Int64($0))
        }
        check((0..<count).map { UInt8(truncatingIfNeeded: $0 * 37) }, (0..<count).map { UInt8(truncatingIfNeeded: 255 - $0 * 11) }) { UInt64($0) }
        check([Double](), []) { $0.bitPattern }
    }

    @Test("reduceInRankOrder adds in rank order ((x₀ + x₁) + x₂), and refuses different counts")
    func rankOrder() throws {
        // 1e16 + 1 rounds back to 1e16, so the order shows in the result.
        let all: [[Double]] = [[1e16, 1], [1, 1e16], [-1e16, -1e16]]
        let reduced = try reduceInRankOrder(all, .sum)
        #expect(reduced == [(1e16 + 1) + -1e16, (1 + 1e16) + -1e16])
        #expect(reduced == [0, 0])
        #expect(try reduceInRankOrder([[1e16, 1], [-1e16, -1e16], [1, 1e16]], .sum) == [1, 0])
        do {
            _ = try reduceInRankOrder([[1.0], [1.0, 2.0]], .sum)
            Issue.record("different counts were reduced")
        } catch {
            #expect("\(error)" == "communication error: allreduce: the ranks gave different counts [1, 2]; every rank must give the same count")
        }
    }

    @Test("the in-process group's allreduce combines in rank order on every rank, for 2 to 4 ranks", arguments: [2, 3, 4])
    func groupRankOrder(ranks: Int) throws {
        // Even ranks give large values, odd ranks small ones: the order of the additions shows.
        let contributions: [[Double]] = (0..<ranks).map { r -> [Double] in
            (0..<50).map { k -> Double in
                let large = 1e16 * Double(k % 3)
                let small = Double(k + r)
                return r % 2 == 0 ? large : small
            }
        }
        let results = try LocalCommunicator.run(ranks: ranks) { comm in try comm.allreduce(contributions[comm.rank], .sum) }
        // The oracle: the same sums written out here, rank by rank.
        var expected = contributions[0]
        for r in 1..<ranks { for k in expected.indices { expected[k] = expected[k] + contributions[r][k] } }
        for result in results { #expect(result.map(\.bitPattern) == expected.map(\.bitPattern)) }
    }
}
