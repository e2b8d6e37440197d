import CQuantumKernels
import Foundation
import VerdantCommon

// The bridge to CQuantumKernels' AVX2/FMA loops. Whether they run is decided once per process by
// VerdantCommon's KernelSelection (the CPU, and VERDANT_PORTABLE_KERNELS=1 forcing the portable
// Swift loops), the same decision the matrix product follows. Internal, like every kernel.

enum WideKernels {
    /// Whether the AVX2/FMA loops run (``KernelSelection/wideLoops``).
    static let available: Bool = KernelSelection.wideLoops

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
        guard let positionBase = positions.baseAddress else { return false }
        if target == 0 {
            // Qubit 0 with controls or held bits: pairs of neighbours.
            return withNumbers(m) { numbers in
                if Real.self == Double.self {
                    verdant_dense1_low_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), controlMask,
                                                positionBase, positions.count,
                                                UnsafeRawPointer(numbers).assumingMemoryBound(to: Double.self), start, end)
                    return true
                }
                if Real.self == Float.self {
                    verdant_dense1_low_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), controlMask,
                                                positionBase, positions.count,
                                                UnsafeRawPointer(numbers).assumingMemoryBound(to: Float.self), start, end)
                    return true
                }
                return false
            }
        }
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

    /// `denseKRange` in the wide loop (k = 2…5); false (nothing done) for other widths and precisions.
    @inline(__always)
    static func dense<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, offsets: UnsafeBufferPointer<Int>, controlMask: Int,
                                         positions: UnsafeBufferPointer<Int>, runLength: Int,
                                         matrix: UnsafeBufferPointer<Real>, start: Int, end: Int) -> Bool
    {
        guard let offsetBase = offsets.baseAddress, let matrixBase = matrix.baseAddress, offsets.count >= 4,
              offsets.count <= 32
        else { return false }
        let targetCount = offsets.count.trailingZeroBitCount
        // An empty positions buffer has no base address; the loop never reads it then.
        var none = 0
        return withUnsafePointer(to: &none) { nowhere in
            let positionBase = positions.baseAddress ?? nowhere
            if Real.self == Double.self {
                return verdant_dense_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), targetCount,
                                              offsetBase, controlMask, positionBase, positions.count, runLength,
                                              UnsafeRawPointer(matrixBase).assumingMemoryBound(to: Double.self), start, end) != 0
            }
            if Real.self == Float.self {
                return verdant_dense_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), targetCount,
                                              offsetBase, controlMask, positionBase, positions.count, runLength,
                                              UnsafeRawPointer(matrixBase).assumingMemoryBound(to: Float.self), start, end) != 0
            }
            return false
        }
    }

    /// `diagonalRange` in the wide loop (up to 5 ascending targets); false (nothing done) otherwise.
    @inline(__always)
    static func diagonal<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, targets: UnsafeBufferPointer<Int>, controlMask: Int,
                                            positions: UnsafeBufferPointer<Int>, runLength: Int,
                                            factors: UnsafeBufferPointer<Real>, start: Int, end: Int) -> Bool
    {
        guard let targetBase = targets.baseAddress, let factorBase = factors.baseAddress, targets.count >= 1,
              targets.count <= 5
        else { return false }
        for t in 1..<targets.count where targets[t] <= targets[t - 1] { return false }
        var none = 0
        return withUnsafePointer(to: &none) { nowhere in
            let positionBase = positions.baseAddress ?? nowhere
            if Real.self == Double.self {
                verdant_diagonal_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), targets.count,
                                          targetBase, UnsafeRawPointer(factorBase).assumingMemoryBound(to: Double.self),
                                          controlMask, positionBase, positions.count, runLength, start, end)
                return true
            }
            if Real.self == Float.self {
                verdant_diagonal_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), targets.count,
                                          targetBase, UnsafeRawPointer(factorBase).assumingMemoryBound(to: Float.self),
                                          controlMask, positionBase, positions.count, runLength, start, end)
                return true
            }
            return false
        }
    }

    /// `permutationRange` in the wide loop (up to 5 targets); false (nothing done) otherwise.
    @inline(__always)
    static func permutation<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, sources: UnsafeBufferPointer<Int>,
                                               phases: UnsafeBufferPointer<Real>?, offsets: UnsafeBufferPointer<Int>,
                                               moving: UnsafeBufferPointer<Int>, controlMask: Int,
                                               positions: UnsafeBufferPointer<Int>, runLength: Int, start: Int,
                                               end: Int) -> Bool
    {
        guard let offsetBase = offsets.baseAddress, let sourceBase = sources.baseAddress, offsets.count <= 32 else { return false }
        var none = 0
        return withUnsafePointer(to: &none) { nowhere in
            let positionBase = positions.baseAddress ?? nowhere
            let movingBase = moving.baseAddress ?? nowhere
            if Real.self == Double.self {
                verdant_permutation_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), offsetBase, sourceBase,
                                             phases?.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: Double.self) },
                                             movingBase, moving.count, controlMask, positionBase, positions.count, runLength,
                                             start, end)
                return true
            }
            if Real.self == Float.self {
                verdant_permutation_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), offsetBase, sourceBase,
                                             phases?.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) },
                                             movingBase, moving.count, controlMask, positionBase, positions.count, runLength,
                                             start, end)
                return true
            }
            return false
        }
    }

    /// X in the controlled part (`flipRange`, `flipLowRange`) in the wide loop: for Double a target
    /// at or above qubit 1, for Float any target (on qubit 0 or 1 a pair lies inside one vector);
    /// false (nothing done) otherwise.
    @inline(__always)
    static func flip<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, controlMask: Int,
                                        positions: UnsafeBufferPointer<Int>, start: Int, end: Int) -> Bool
    {
        guard let positionBase = positions.baseAddress else { return false }
        if Real.self == Double.self, target >= 1 {
            verdant_flip_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), target, controlMask,
                                  positionBase, positions.count, start, end)
            return true
        }
        if Real.self == Float.self, target >= 2 {
            verdant_flip_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), target, controlMask,
                                  positionBase, positions.count, start, end)
            return true
        }
        if Real.self == Float.self, target >= 0 {
            // Both amplitudes of a pair in one vector.
            verdant_flip_low_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), target, controlMask,
                                      positionBase, positions.count, start, end)
            return true
        }
        return false
    }

    /// One segment of a folded diagonal run (`PhaseRun`) in the wide loop; false for a precision without one.
    @inline(__always)
    static func phaseSegment<Real: StateScalar>(_ amps: UnsafeMutablePointer<Real>, split: Int, u: UnsafeMutablePointer<Real>?,
                                                ch: (Real, Real), b: UnsafeMutablePointer<Real>?,
                                                g: UnsafeMutablePointer<Real>) -> Bool
    {
        if Real.self == Double.self {
            verdant_phase_segment_f64_avx2(UnsafeMutableRawPointer(amps).assumingMemoryBound(to: Double.self), split,
                                           u.map { UnsafeRawPointer($0).assumingMemoryBound(to: Double.self) },
                                           Double(ch.0), Double(ch.1),
                                           b.map { UnsafeRawPointer($0).assumingMemoryBound(to: Double.self) },
                                           UnsafeMutableRawPointer(g).assumingMemoryBound(to: Double.self))
            return true
        }
        if Real.self == Float.self {
            verdant_phase_segment_f32_avx2(UnsafeMutableRawPointer(amps).assumingMemoryBound(to: Float.self), split,
                                           u.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) },
                                           Float(ch.0), Float(ch.1),
                                           b.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) },
                                           UnsafeMutableRawPointer(g).assumingMemoryBound(to: Float.self))
            return true
        }
        return false
    }

    /// `parityFlipRange` in the wide loop (target at or above the vector width); false otherwise.
    @inline(__always)
    static func parityFlip<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, target: Int, parityMask: Int, invert: Bool,
                                              start: Int, end: Int) -> Bool
    {
        if Real.self == Double.self, target >= 1 {
            verdant_parity_flip_f64_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), target, parityMask,
                                         invert ? 1 : 0, start, end)
            return true
        }
        if Real.self == Float.self, target >= 2 {
            verdant_parity_flip_f32_avx2(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), target, parityMask,
                                         invert ? 1 : 0, start, end)
            return true
        }
        return false
    }
}
