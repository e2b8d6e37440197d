import CParallelKernels
import VerdantCommon

// Blocked matrix multiply-add for one output tile: C (m × n) += A (m × k) · B (k × n).
// Argument order: A, B, C, then sizes. Floating point: B is packed into strips of NR columns and A
// into strips of MR rows (kc = 256 deep), and a register-tile micro-kernel accumulates MR × NR
// values: for Double on CPUs with AVX2 and FMA, the C kernel verdant_gemm_6x8_avx2 (6 × 8); else
// the portable Swift kernel (4 × 4 in SIMD4 vectors). Integers use a plain i-k-j loop (wrapping).
// The sum over k runs in increasing order, so a tile's value does not depend on threads or ranks
// (on one kind of CPU: the AVX2 kernel fuses multiply and add, so it rounds differently from the
// portable one).

enum Matmul {
    /// Whether the floating-point micro-kernel is the AVX2 + FMA one: as the process-wide
    /// selection point decides (the CPU, and `VERDANT_PORTABLE_KERNELS=1` forcing portable loops).
    static var wideKernelAvailable: Bool { KernelSelection.wideLoops }

    static let depthBlock = 256
    static let rowBlock = 64
    static let columnBlock = 512

    /// `c[i·ldc + j] += Σ_p a[i, p] · b[p, j]` for the views' sizes (`a.columns == b.rows`).
    static func multiplyAdd<E: ChunkElement>(_ a: ChunkView<E>, _ b: ChunkView<E>, into c: UnsafeMutablePointer<E>, ldc: Int,
                                             portable: Bool = false)
    {
        let m = a.rows, k = a.columns, n = b.columns
        if m == 0 || n == 0 || k == 0 { return }
        switch E.elementKind.storage {
        case .double where wideKernelAvailable && !portable:
            blockedWide(m, n, k, UnsafeRawPointer(a.base).assumingMemoryBound(to: Double.self), a.rowStride,
                        UnsafeRawPointer(b.base).assumingMemoryBound(to: Double.self), b.rowStride,
                        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), ldc)
        case .double:
            blocked(m, n, k, UnsafeRawPointer(a.base).assumingMemoryBound(to: Double.self), a.rowStride,
                    UnsafeRawPointer(b.base).assumingMemoryBound(to: Double.self), b.rowStride,
                    UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), ldc)
        case .float:
            blocked(m, n, k, UnsafeRawPointer(a.base).assumingMemoryBound(to: Float.self), a.rowStride,
                    UnsafeRawPointer(b.base).assumingMemoryBound(to: Float.self), b.rowStride,
                    UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc)
        case .int:
            let a0 = UnsafeRawPointer(a.base).assumingMemoryBound(to: Int.self)
            let b0 = UnsafeRawPointer(b.base).assumingMemoryBound(to: Int.self)
            let c0 = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Int.self)
            for i in 0..<m {
                for p in 0..<k {
                    let x = a0[i * a.rowStride + p]
                    let row = b0 + p * b.rowStride
                    let out = c0 + i * ldc
                    for j in 0..<n { out[j] = out[j] &+ x &* row[j] }
                }
            }
        }
    }

    private static func blocked<T: BinaryFloatingPoint & SIMDScalar>(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
        _ c: UnsafeMutablePointer<T>, _ ldc: Int
    ) {
        let kc = depthBlock, mc = rowBlock, nc = columnBlock
        let packedB = UnsafeMutablePointer<T>.allocate(capacity: kc * (nc + 4))
        let packedA = UnsafeMutablePointer<T>.allocate(capacity: kc * (mc + 4))
        defer {
            packedB.deallocate()
            packedA.deallocate()
        }
        var jc = 0
        while jc < n {
            let nb = min(nc, n - jc)
            let bStrips = (nb + 3) / 4
            var pc = 0
            while pc < k {
                let kb = min(kc, k - pc)
                // packedB[s][p][0..<4] = B[pc + p, jc + 4s + 0..<4], zero beyond n.
                for s in 0..<bStrips {
                    let strip = packedB + s * kb * 4
                    let column = jc + 4 * s
                    let width = min(4, n - column)
                    for p in 0..<kb {
                        let source = b + (pc + p) * ldb + column
                        let out = strip + p * 4
                        for t in 0..<4 { out[t] = t < width ? source[t] : 0 }
                    }
                }
                var ic = 0
                while ic < m {
                    let mb = min(mc, m - ic)
                    let aStrips = (mb + 3) / 4
                    // packedA[s][p][0..<4] = A[ic + 4s + 0..<4, pc + p], zero beyond m.
                    for s in 0..<aStrips {
                        let strip = packedA + s * kb * 4
                        let row = ic + 4 * s
                        let height = min(4, m - row)
                        for t in 0..<4 {
                            if t < height {
                                let source = a + (row + t) * lda + pc
                                for p in 0..<kb { strip[p * 4 + t] = source[p] }
                            } else {
                                for p in 0..<kb { strip[p * 4 + t] = 0 }
                            }
                        }
                    }
                    for sb in 0..<bStrips {
                        for sa in 0..<aStrips {
                            let row = ic + 4 * sa, column = jc + 4 * sb
                            micro(kb, packedA + sa * kb * 4, packedB + sb * kb * 4, c + row * ldc + column, ldc,
                                  rows: min(4, m - row), columns: min(4, n - column))
                        }
                    }
                    ic += mb
                }
                pc += kb
            }
            jc += nb
        }
    }

    /// The AVX2 path: strips of 6 rows of A and 8 columns of B, packed as the C kernel reads them.
    private static func blockedWide(_ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                                    _ b: UnsafePointer<Double>, _ ldb: Int, _ c: UnsafeMutablePointer<Double>, _ ldc: Int)
    {
        let mr = 6, nr = 8
        let kc = depthBlock, mc = 72, nc = columnBlock
        let packedB = UnsafeMutablePointer<Double>.allocate(capacity: kc * (nc + nr))
        let packedA = UnsafeMutablePointer<Double>.allocate(capacity: kc * (mc + mr))
        defer {
            packedB.deallocate()
            packedA.deallocate()
        }
        var jc = 0
        while jc < n {
            let nb = min(nc, n - jc)
            let bStrips = (nb + nr - 1) / nr
            var pc = 0
            while pc < k {
                let kb = min(kc, k - pc)
                // packedB[s][p][0..<8] = B[pc + p, jc + 8s + 0..<8], zero beyond n.
                for s in 0..<bStrips {
                    let strip = packedB + s * kb * nr
                    let column = jc + nr * s
                    let width = min(nr, n - column)
                    for p in 0..<kb {
                        let source = b + (pc + p) * ldb + column
                        let out = strip + p * nr
                        for t in 0..<nr { out[t] = t < width ? source[t] : 0 }
                    }
                }
                var ic = 0
                while ic < m {
                    let mb = min(mc, m - ic)
                    let aStrips = (mb + mr - 1) / mr
                    // packedA[s][p][0..<6] = A[ic + 6s + 0..<6, pc + p], zero beyond m.
                    for s in 0..<aStrips {
                        let strip = packedA + s * kb * mr
                        let row = ic + mr * s
                        let height = min(mr, m - row)
                        for t in 0..<mr {
                            if t < height {
                                let source = a + (row + t) * lda + pc
                                for p in 0..<kb { strip[p * mr + t] = source[p] }
                            } else {
                                for p in 0..<kb { strip[p * mr + t] = 0 }
                            }
                        }
                    }
                    for sb in 0..<bStrips {
                        for sa in 0..<aStrips {
                            let row = ic + mr * sa, column = jc + nr * sb
                            verdant_gemm_6x8_avx2(kb, packedA + sa * kb * mr, packedB + sb * kb * nr, c + row * ldc + column, ldc,
                                                  min(mr, m - row), min(nr, n - column))
                        }
                    }
                    ic += mb
                }
                pc += kb
            }
            jc += nb
        }
    }

    /// The 4 × 4 tile: acc[r] += a[p][r] · b[p][0..<4] over p; then C += acc on the valid part.
    @inline(__always)
    private static func micro<T: BinaryFloatingPoint & SIMDScalar>(
        _ kb: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, _ ldc: Int,
        rows: Int, columns: Int
    ) {
        var acc0 = SIMD4<T>(), acc1 = SIMD4<T>(), acc2 = SIMD4<T>(), acc3 = SIMD4<T>()
        for p in 0..<kb {
            let bp = b + p * 4
            let bv = SIMD4<T>(bp[0], bp[1], bp[2], bp[3])
            let ap = a + p * 4
            acc0 += bv * ap[0]
            acc1 += bv * ap[1]
            acc2 += bv * ap[2]
            acc3 += bv * ap[3]
        }
        store(acc0, c, rows > 0, columns)
        store(acc1, c + ldc, rows > 1, columns)
        store(acc2, c + 2 * ldc, rows > 2, columns)
        store(acc3, c + 3 * ldc, rows > 3, columns)
    }

    @inline(__always)
    private static func store<T: BinaryFloatingPoint & SIMDScalar>(_ acc: SIMD4<T>, _ out: UnsafeMutablePointer<T>, _ valid: Bool,
                                                                   _ columns: Int)
    {
        guard valid else { return }
        if columns == 4 {
            out[0] += acc[0]; out[1] += acc[1]; out[2] += acc[2]; out[3] += acc[3]
        } else {
            for t in 0..<columns { out[t] += acc[t] }
        }
    }
}
