import CQuantumKernels
import Foundation

// The bridge to CQuantumKernels' AVX2/FMA loops: chosen once per process from the CPU, with an
// environment switch to force the portable Swift loops (VERDANT_PORTABLE_KERNELS=1; for
// comparisons and for machines where the wide loops misbehave). Internal, like every kernel.

enum WideKernels {
    /// Whether the AVX2/FMA loops run: the CPU has AVX2 and FMA, and the portable loops are not forced.
    static let available: Bool = {
        if let forced = getenv("VERDANT_PORTABLE_KERNELS"), String(cString: forced) == "1" { return false }
        return verdant_state_avx2_available() != 0
    }()

    /// The matrix as 8 contiguous numbers (m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i).
    @inline(__always)
    private static func withNumbers<Real: StateScalar, R>(_ m: Matrix2<Real>, _ body: (UnsafePointer<Real>) -> R) -> R {
        var numbers = (m.m00r, m.m00i, m.m01r, m.m01i, m.m10r, m.m10i, m.m11r, m.m11i)
        return withUnsafePointer(to: &numbers) { tuple in
            tuple.withMemoryRebound(to: Real.self, capacity: 8) { body($0) }
        }
    }

    /// `dense1Range` in the wide loop; false (nothing done) for a precision without one.
    @inline(__always)
    static func dense1<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, controlMask: Int,
                                          positions: UnsafeBufferPointer<Int>, runLength: Int, matrix m: Matrix2<Real>,
                                          start: Int, end: Int) -> Bool
    {
        guard target >= 1, let positionBase = positions.baseAddress else { return false }
        return withNumbers(m) { numbers in
            if Real.self == Double.self {
                verdant_dense1_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), target, controlMask,
                                        positionBase, positions.count, runLength,
                                        UnsafeRawPointer(numbers).assumingMemoryBound(to: Double.self), start, end)
                return true
            }
            if Real.self == Float.self {
                verdant_dense1_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), target, controlMask,
                                        positionBase, positions.count, runLength,
                                        UnsafeRawPointer(numbers).assumingMemoryBound(to: Float.self), start, end)
                return true
            }
            return false
        }
    }

    /// `dense1AdjacentRange` in the wide loop; false for a precision without one.
    @inline(__always)
    static func dense1Adjacent<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, matrix m: Matrix2<Real>, start: Int,
                                                  end: Int) -> Bool
    {
        withNumbers(m) { numbers in
            if Real.self == Double.self {
                verdant_dense1_adjacent_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self),
                                                 UnsafeRawPointer(numbers).assumingMemoryBound(to: Double.self), start, end)
                return true
            }
            if Real.self == Float.self {
                verdant_dense1_adjacent_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self),
                                                 UnsafeRawPointer(numbers).assumingMemoryBound(to: Float.self), start, end)
                return true
            }
            return false
        }
    }

    /// `offDiagonalCorrelationRange` in the wide loop; nil for a precision without one.
    @inline(__always)
    static func offDiagonal<Real: StateScalar>(_ psi: UnsafeMutablePointer<Real>, _ lambda: UnsafeMutablePointer<Real>,
                                               target: Int, start: Int, end: Int) -> SIMD4<Double>?
    {
        var out = SIMD4<Double>()
        let done = withUnsafeMutablePointer(to: &out) { vector in
            vector.withMemoryRebound(to: Double.self, capacity: 4) { o -> Bool in
                if Real.self == Double.self {
                    verdant_off_diagonal_f64_avx2(UnsafeRawPointer(psi).assumingMemoryBound(to: Double.self),
                                                  UnsafeRawPointer(lambda).assumingMemoryBound(to: Double.self), target, start, end, o)
                    return true
                }
                if Real.self == Float.self {
                    verdant_off_diagonal_f32_avx2(UnsafeRawPointer(psi).assumingMemoryBound(to: Float.self),
                                                  UnsafeRawPointer(lambda).assumingMemoryBound(to: Float.self), target, start, end, o)
                    return true
                }
                return false
            }
        }
        return done ? out : nil
    }

    /// The real entries (m00, m01, m10, m11) of a real matrix, contiguous.
    @inline(__always)
    private static func withRealNumbers<Real: StateScalar, R>(_ m: Matrix2<Real>, _ body: (UnsafePointer<Real>) -> R) -> R {
        var numbers = (m.m00r, m.m01r, m.m10r, m.m11r)
        return withUnsafePointer(to: &numbers) { tuple in
            tuple.withMemoryRebound(to: Real.self, capacity: 4) { body($0) }
        }
    }

    /// `dense1RealRange` in the wide loop; false for a precision without one.
    @inline(__always)
    static func dense1Real<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, controlMask: Int,
                                              positions: UnsafeBufferPointer<Int>, runLength: Int, matrix m: Matrix2<Real>,
                                              start: Int, end: Int) -> Bool
    {
        guard let positionBase = positions.baseAddress else { return false }
        return withRealNumbers(m) { numbers in
            if Real.self == Double.self {
                verdant_dense1_real_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), target, controlMask,
                                             positionBase, positions.count, runLength,
                                             UnsafeRawPointer(numbers).assumingMemoryBound(to: Double.self), start, end)
                return true
            }
            if Real.self == Float.self {
                verdant_dense1_real_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), target, controlMask,
                                             positionBase, positions.count, runLength,
                                             UnsafeRawPointer(numbers).assumingMemoryBound(to: Float.self), start, end)
                return true
            }
            return false
        }
    }

    /// `dense1RealAdjacentRange` in the wide loop; false for a precision without one.
    @inline(__always)
    static func dense1RealAdjacent<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, matrix m: Matrix2<Real>, start: Int,
                                                      end: Int) -> Bool
    {
        withRealNumbers(m) { numbers in
            if Real.self == Double.self {
                verdant_dense1_real_adjacent_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self),
                                                      UnsafeRawPointer(numbers).assumingMemoryBound(to: Double.self), start, end)
                return true
            }
            if Real.self == Float.self {
                verdant_dense1_real_adjacent_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self),
                                                      UnsafeRawPointer(numbers).assumingMemoryBound(to: Float.self), start, end)
                return true
            }
            return false
        }
    }
}
