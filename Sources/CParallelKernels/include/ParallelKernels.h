// Wide-vector micro-kernels for Parallel's blocked matrix product, chosen at run time.
// The portable kernels are in Swift (Sources/Parallel/Kernels/Matmul.swift); these use AVX2 and FMA
// when the CPU has them, without tying the binary to such a CPU (function-level target attributes).
#ifndef VERDANT_PARALLEL_KERNELS_H
#define VERDANT_PARALLEL_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs verdant_gemm_6x8_avx2 (x86-64 with AVX2 and FMA), else 0.
int verdant_gemm_avx2_available(void);

/// C[0..<rows][0..<columns] += Σ_p a[p][0..<6] ⊗ b[p][0..<8] for p in 0..<depth, where `a` holds
/// 6 rows per step (packed: a[p * 6 + r]) and `b` 8 columns per step (b[p * 8 + t]); C is
/// row-major with row stride `ldc`; rows ≤ 6 and columns ≤ 8 say which part of the tile is real.
void verdant_gemm_6x8_avx2(long depth, const double *a, const double *b, double *c, long ldc, long rows, long columns);

#ifdef __cplusplus
}
#endif

#endif
