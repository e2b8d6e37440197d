#include "ParallelKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int verdant_gemm_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma")))
void verdant_gemm_6x8_avx2(long depth, const double *a, const double *b, double *c, long ldc, long rows, long columns) {
    // Twelve accumulators: row r, columns 0..3 (lo) and 4..7 (hi).
    __m256d c0l = _mm256_setzero_pd(), c0h = _mm256_setzero_pd();
    __m256d c1l = _mm256_setzero_pd(), c1h = _mm256_setzero_pd();
    __m256d c2l = _mm256_setzero_pd(), c2h = _mm256_setzero_pd();
    __m256d c3l = _mm256_setzero_pd(), c3h = _mm256_setzero_pd();
    __m256d c4l = _mm256_setzero_pd(), c4h = _mm256_setzero_pd();
    __m256d c5l = _mm256_setzero_pd(), c5h = _mm256_setzero_pd();
    for (long p = 0; p < depth; p++) {
        const __m256d bl = _mm256_loadu_pd(b + p * 8);
        const __m256d bh = _mm256_loadu_pd(b + p * 8 + 4);
        const double *ap = a + p * 6;
        __m256d x;
        x = _mm256_broadcast_sd(ap + 0); c0l = _mm256_fmadd_pd(x, bl, c0l); c0h = _mm256_fmadd_pd(x, bh, c0h);
        x = _mm256_broadcast_sd(ap + 1); c1l = _mm256_fmadd_pd(x, bl, c1l); c1h = _mm256_fmadd_pd(x, bh, c1h);
        x = _mm256_broadcast_sd(ap + 2); c2l = _mm256_fmadd_pd(x, bl, c2l); c2h = _mm256_fmadd_pd(x, bh, c2h);
        x = _mm256_broadcast_sd(ap + 3); c3l = _mm256_fmadd_pd(x, bl, c3l); c3h = _mm256_fmadd_pd(x, bh, c3h);
        x = _mm256_broadcast_sd(ap + 4); c4l = _mm256_fmadd_pd(x, bl, c4l); c4h = _mm256_fmadd_pd(x, bh, c4h);
        x = _mm256_broadcast_sd(ap + 5); c5l = _mm256_fmadd_pd(x, bl, c5l); c5h = _mm256_fmadd_pd(x, bh, c5h);
    }
    __m256d lo[6] = {c0l, c1l, c2l, c3l, c4l, c5l};
    __m256d hi[6] = {c0h, c1h, c2h, c3h, c4h, c5h};
    if (columns == 8) {
        for (long r = 0; r < rows; r++) {
            double *out = c + r * ldc;
            _mm256_storeu_pd(out, _mm256_add_pd(_mm256_loadu_pd(out), lo[r]));
            _mm256_storeu_pd(out + 4, _mm256_add_pd(_mm256_loadu_pd(out + 4), hi[r]));
        }
    } else {
        double tile[8];
        for (long r = 0; r < rows; r++) {
            _mm256_storeu_pd(tile, lo[r]);
            _mm256_storeu_pd(tile + 4, hi[r]);
            double *out = c + r * ldc;
            for (long t = 0; t < columns; t++) out[t] += tile[t];
        }
    }
}

#else

int verdant_gemm_avx2_available(void) { return 0; }

void verdant_gemm_6x8_avx2(long depth, const double *a, const double *b, double *c, long ldc, long rows, long columns) {
    (void)depth; (void)a; (void)b; (void)c; (void)ldc; (void)rows; (void)columns;
}

#endif
