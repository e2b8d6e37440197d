import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// The AVX2/FMA loops (CQuantumKernels) against the portable Swift loops they replace, on random
/// states and matrices, every target, with and without controls, ranges that start and end inside
/// runs, both precisions. On a CPU without AVX2 both sides are the portable loop (the test then
/// checks nothing new, and says so in its name).
@Suite("Wide kernels")
struct WideKernelTests {
    static func randomMatrix<Real: StateScalar>(_ rng: inout SeededGenerator, as _: Real.Type) -> Matrix2<Real> {
        var m = Matrix2<Real>(SmallMatrix.identity(2))
        (m.m00r, m.m00i, m.m01r, m.m01i) = (Real(rng.nextUniform() - 0.5), Real(rng.nextUniform() - 0.5),
                                            Real(rng.nextUniform() - 0.5), Real(rng.nextUniform() - 0.5))
        (m.m10r, m.m10i, m.m11r, m.m11i) = (Real(rng.nextUniform() - 0.5), Real(rng.nextUniform() - 0.5),
                                            Real(rng.nextUniform() - 0.5), Real(rng.nextUniform() - 0.5))
        return m
    }

    /// The matrix with its imaginary parts set to 0.
    static func realPart<Real: StateScalar>(_ m: Matrix2<Real>) -> Matrix2<Real> {
        var r = m
        (r.m00i, r.m01i, r.m10i, r.m11i) = (0, 0, 0, 0)
        return r
    }

    static func compare<Real: StateScalar>(_: Real.Type, tolerance: Double) {
        let n = 7
        var rng = SeededGenerator(seed: 77)
        let state = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        for target in 0..<n {
            for controlMask in [0, 1 << ((target + 1) % n), (1 << ((target + 2) % n)) | (1 << ((target + 5) % n))] {
                let positions = setBitPositions(controlMask | (1 << target))
                let freeCount = (1 << n) >> positions.count
                let runLength = 1 << positions[0]
                let complex = randomMatrix(&rng, as: Real.self)
                // Whole range, and a range cut inside runs (odd start, odd length); complex and real loops.
                for (start, end) in [(0, freeCount), (1, max(1, freeCount - 2))] {
                    for real in [false, true] {
                        // The real loops take real matrices (H, RY, …).
                        let m = real ? Self.realPart(complex) : complex
                        var wide = state, portable = state
                        positions.withUnsafeBufferPointer { positions in
                            wide.withUnsafeMutableBufferPointer { p in
                                if real {
                                    dense1RealRange(p.baseAddress!, target: target, controlMask: controlMask, positions: positions,
                                                    runLength: runLength, matrix: m, start: start, end: end)
                                } else {
                                    dense1Range(p.baseAddress!, target: target, controlMask: controlMask, positions: positions,
                                                runLength: runLength, matrix: m, start: start, end: end)
                                }
                            }
                            portable.withUnsafeMutableBufferPointer { p in
                                if real {
                                    dense1RealRangePortable(p.baseAddress!, target: target, controlMask: controlMask,
                                                            positions: positions, runLength: runLength, matrix: m, start: start, end: end)
                                } else {
                                    dense1RangePortable(p.baseAddress!, target: target, controlMask: controlMask, positions: positions,
                                                        runLength: runLength, matrix: m, start: start, end: end)
                                }
                            }
                        }
                        let difference = zip(wide, portable).map { Double(abs($0 - $1)) }.max() ?? 0
                        #expect(difference < tolerance, "target \(target) controls \(controlMask) range \(start)..<\(end) real \(real)")
                        #expect(wide != state, "the kernel changed nothing")
                    }
                }
            }
        }
        // Qubit 0, uncontrolled: pair k is amplitudes 2k, 2k + 1.
        let m = randomMatrix(&rng, as: Real.self), realM = realPart(m)
        for (start, end) in [(0, 1 << (n - 1)), (3, 60)] {
            var wide = state, portable = state, wideReal = state, portableReal = state
            wide.withUnsafeMutableBufferPointer { dense1AdjacentRange($0.baseAddress!, matrix: m, start: start, end: end) }
            portable.withUnsafeMutableBufferPointer {
                dense1AdjacentRangePortable($0.baseAddress!, matrix: m, start: start, end: end)
            }
            wideReal.withUnsafeMutableBufferPointer {
                dense1RealAdjacentRange($0.baseAddress!, matrix: realM, start: start, end: end)
            }
            portableReal.withUnsafeMutableBufferPointer {
                dense1RealAdjacentRangePortable($0.baseAddress!, matrix: realM, start: start, end: end)
            }
            let difference = zip(wide, portable).map { Double(abs($0 - $1)) }.max() ?? 0
            #expect(difference < tolerance, "qubit 0 range \(start)..<\(end)")
            let realDifference = zip(wideReal, portableReal).map { Double(abs($0 - $1)) }.max() ?? 0
            #expect(realDifference < tolerance, "qubit 0 range \(start)..<\(end), real")
            #expect(wideReal != state && wideReal != wide)
        }
    }

    @Test("one-target dense loops equal the portable loops (when the CPU lacks AVX2 both sides are portable)")
    func dense1() {
        Self.compare(Double.self, tolerance: 1e-15)
        Self.compare(Float.self, tolerance: 1e-6)
    }

    static func compareCorrelations<Real: StateScalar>(_: Real.Type, tolerance: Double) {
        let n = 7
        var rng = SeededGenerator(seed: 78)
        var psi = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        var lambda = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        for target in 0..<n {
            let pairs = (1 << n) >> 1
            for (start, end) in [(0, pairs), (1, pairs - 3), (5, 6)] {
                let (wide, portable) = psi.withUnsafeMutableBufferPointer { p in
                    lambda.withUnsafeMutableBufferPointer { l in
                        (offDiagonalCorrelationRange(p.baseAddress!, l.baseAddress!, target: target, start: start, end: end),
                         offDiagonalCorrelationRangePortable(p.baseAddress!, l.baseAddress!, target: target, start: start, end: end))
                    }
                }
                let difference = (0..<4).map { abs(wide[$0] - portable[$0]) }.max() ?? 0
                let size = max(1, (0..<4).map { abs(portable[$0]) }.max() ?? 0)
                #expect(difference < tolerance * size, "target \(target) range \(start)..<\(end): \(wide) vs \(portable)")
                #expect(portable != SIMD4<Double>())
            }
        }
    }

    @Test("adjoint off-diagonal correlations equal the portable loop (when the CPU lacks AVX2 both sides are portable)")
    func offDiagonal() {
        Self.compareCorrelations(Double.self, tolerance: 1e-13)
        Self.compareCorrelations(Float.self, tolerance: 1e-5)
    }
}
