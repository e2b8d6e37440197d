import Foundation
import Testing
import _TestSupport
@testable import Quantum

@Suite("SWAP loop: every pair of qubits, with and without controls, equals exchanging amplitudes one by one")
struct SwapKernelTests {
    static func compare<Real: StateScalar>(_: Real.Type) {
        let n = 7
        var rng = SeededGenerator(seed: 1777)
        let state = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        for a in 0..<n {
            for b in 0..<n where a != b {
                let others = (0..<n).filter { $0 != a && $0 != b }
                // No control, the lowest other qubit, qubits 0 and 1 when free, and the highest.
                var masks = [0, 1 << others[0], 1 << others[others.count - 1]]
                if a > 1 && b > 1 { masks.append(0b11) }
                for controlMask in masks {
                    let positions = setBitPositions(controlMask | (1 << a) | (1 << b))
                    let freeCount = (1 << n) >> positions.count
                    let runLength = 1 << positions[0]
                    for (start, end) in [(0, freeCount), (1, freeCount - 1), (3, min(freeCount, 7))] where start < end {
                        var ours = state, oracle = state
                        positions.withUnsafeBufferPointer { pos in
                            ours.withUnsafeMutableBufferPointer {
                                swapRange($0.baseAddress!, qubitA: a, qubitB: b, controlMask: controlMask, positions: pos,
                                          runLength: runLength, start: start, end: end)
                            }
                            // The oracle: free index by free index, the two amplitudes exchanged.
                            oracle.withUnsafeMutableBufferPointer { p in
                                for k in start..<end {
                                    let i = insertZeroBits(k, pos) | controlMask
                                    exchange(p.baseAddress!, i | (1 << a), i | (1 << b))
                                }
                            }
                        }
                        #expect(ours == oracle, "SWAP \(a), \(b), controls \(controlMask), range \(start)..<\(end)")
                        #expect(ours != state, "nothing moved: SWAP \(a), \(b), controls \(controlMask)")
                    }
                }
            }
        }
    }

    @Test("double and single precision")
    func loops() {
        Self.compare(Double.self)
        Self.compare(Float.self)
    }
}
