#include "QuantumKernels.h"

// y0 = m00·a + m01·b and y1 = m10·a + m11·b for pairs (a, b) of complex amplitudes. With a
// vector of complex numbers x = (re, im, …) and its pair-swapped form xs = (im, re, …):
//   Σ m·x = addsub(Σ Re(m)·x, Σ Im(m)·xs)      (addsub: even lanes subtract, odd lanes add)
// so each product costs one multiply-add on the real and one on the imaginary part.

static inline long insert_zero_bits(long k, const long *positions, long count) {
    for (long j = 0; j < count; j++) {
        long p = positions[j];
        long low = k & ((1L << p) - 1);
        k = ((k >> p) << (p + 1)) | low;
    }
    return k;
}

#define DENSE1_SCALAR(T, p, i0, i1, m)                                           \
    do {                                                                         \
        T ar = p[2 * (i0)], ai = p[2 * (i0) + 1], br = p[2 * (i1)], bi = p[2 * (i1) + 1]; \
        p[2 * (i0)] = m[0] * ar - m[1] * ai + m[2] * br - m[3] * bi;             \
        p[2 * (i0) + 1] = m[0] * ai + m[1] * ar + m[2] * bi + m[3] * br;         \
        p[2 * (i1)] = m[4] * ar - m[5] * ai + m[6] * br - m[7] * bi;             \
        p[2 * (i1) + 1] = m[4] * ai + m[5] * ar + m[6] * bi + m[7] * br;         \
    } while (0)

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int verdant_state_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma")))
void verdant_dense1_f64_avx2(double *p, long target, long controlMask, const long *positions, long positionCount,
                             long runLength, const double *m, long start, long end) {
    const long stride = 1L << target;
    const __m256d r00 = _mm256_set1_pd(m[0]), i00 = _mm256_set1_pd(m[1]), r01 = _mm256_set1_pd(m[2]), i01 = _mm256_set1_pd(m[3]);
    const __m256d r10 = _mm256_set1_pd(m[4]), i10 = _mm256_set1_pd(m[5]), r11 = _mm256_set1_pd(m[6]), i11 = _mm256_set1_pd(m[7]);
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i0 = insert_zero_bits(k, positions, positionCount) | controlMask;
        const long last = i0 + (runEnd - k);
        // Two pairs per step: a = (a of pair 1, a of pair 2), b likewise.
        for (; i0 + 1 < last; i0 += 2) {
            double *pa = p + 2 * i0, *pb = p + 2 * (i0 + stride);
            const __m256d a = _mm256_loadu_pd(pa), b = _mm256_loadu_pd(pb);
            const __m256d as = _mm256_permute_pd(a, 0x5), bs = _mm256_permute_pd(b, 0x5);
            const __m256d y0 = _mm256_addsub_pd(_mm256_fmadd_pd(b, r01, _mm256_mul_pd(a, r00)),
                                                _mm256_fmadd_pd(bs, i01, _mm256_mul_pd(as, i00)));
            const __m256d y1 = _mm256_addsub_pd(_mm256_fmadd_pd(b, r11, _mm256_mul_pd(a, r10)),
                                                _mm256_fmadd_pd(bs, i11, _mm256_mul_pd(as, i10)));
            _mm256_storeu_pd(pa, y0);
            _mm256_storeu_pd(pb, y1);
        }
        if (i0 < last) DENSE1_SCALAR(double, p, i0, i0 + stride, m);
        k = runEnd;
    }
}

__attribute__((target("avx2,fma")))
void verdant_dense1_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                             long runLength, const float *m, long start, long end) {
    const long stride = 1L << target;
    const __m256 r00 = _mm256_set1_ps(m[0]), i00 = _mm256_set1_ps(m[1]), r01 = _mm256_set1_ps(m[2]), i01 = _mm256_set1_ps(m[3]);
    const __m256 r10 = _mm256_set1_ps(m[4]), i10 = _mm256_set1_ps(m[5]), r11 = _mm256_set1_ps(m[6]), i11 = _mm256_set1_ps(m[7]);
    const __m128 s00 = _mm_set1_ps(m[0]), t00 = _mm_set1_ps(m[1]), s01 = _mm_set1_ps(m[2]), t01 = _mm_set1_ps(m[3]);
    const __m128 s10 = _mm_set1_ps(m[4]), t10 = _mm_set1_ps(m[5]), s11 = _mm_set1_ps(m[6]), t11 = _mm_set1_ps(m[7]);
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i0 = insert_zero_bits(k, positions, positionCount) | controlMask;
        const long last = i0 + (runEnd - k);
        // Four pairs per step while four remain in the run, then two, then one.
        for (; i0 + 3 < last; i0 += 4) {
            float *pa = p + 2 * i0, *pb = p + 2 * (i0 + stride);
            const __m256 a = _mm256_loadu_ps(pa), b = _mm256_loadu_ps(pb);
            const __m256 as = _mm256_permute_ps(a, 0xB1), bs = _mm256_permute_ps(b, 0xB1);
            const __m256 y0 = _mm256_addsub_ps(_mm256_fmadd_ps(b, r01, _mm256_mul_ps(a, r00)),
                                               _mm256_fmadd_ps(bs, i01, _mm256_mul_ps(as, i00)));
            const __m256 y1 = _mm256_addsub_ps(_mm256_fmadd_ps(b, r11, _mm256_mul_ps(a, r10)),
                                               _mm256_fmadd_ps(bs, i11, _mm256_mul_ps(as, i10)));
            _mm256_storeu_ps(pa, y0);
            _mm256_storeu_ps(pb, y1);
        }
        for (; i0 + 1 < last; i0 += 2) {
            float *pa = p + 2 * i0, *pb = p + 2 * (i0 + stride);
            const __m128 a = _mm_loadu_ps(pa), b = _mm_loadu_ps(pb);
            const __m128 as = _mm_permute_ps(a, 0xB1), bs = _mm_permute_ps(b, 0xB1);
            const __m128 y0 = _mm_addsub_ps(_mm_fmadd_ps(b, s01, _mm_mul_ps(a, s00)), _mm_fmadd_ps(bs, t01, _mm_mul_ps(as, t00)));
            const __m128 y1 = _mm_addsub_ps(_mm_fmadd_ps(b, s11, _mm_mul_ps(a, s10)), _mm_fmadd_ps(bs, t11, _mm_mul_ps(as, t10)));
            _mm_storeu_ps(pa, y0);
            _mm_storeu_ps(pb, y1);
        }
        if (i0 < last) DENSE1_SCALAR(float, p, i0, i0 + stride, m);
        k = runEnd;
    }
}

// Qubit 0: v = (a, b) of one pair; y = (m00·a + m01·b, m10·a + m11·b) from v and its halves
// exchanged, h = (b, a): Re parts (m00r, m00r, m11r, m11r)·v + (m01r, m01r, m10r, m10r)·h, and the
// Im parts likewise with the swapped forms.
__attribute__((target("avx2,fma")))
void verdant_dense1_adjacent_f64_avx2(double *p, const double *m, long start, long end) {
    const __m256d dr = _mm256_setr_pd(m[0], m[0], m[6], m[6]), di = _mm256_setr_pd(m[1], m[1], m[7], m[7]);
    const __m256d orr = _mm256_setr_pd(m[2], m[2], m[4], m[4]), oi = _mm256_setr_pd(m[3], m[3], m[5], m[5]);
    for (long k = start; k < end; k++) {
        double *pv = p + 4 * k;
        const __m256d v = _mm256_loadu_pd(pv);
        const __m256d h = _mm256_permute4x64_pd(v, 0x4E);
        const __m256d vs = _mm256_permute_pd(v, 0x5), hs = _mm256_permute_pd(h, 0x5);
        _mm256_storeu_pd(pv, _mm256_addsub_pd(_mm256_fmadd_pd(h, orr, _mm256_mul_pd(v, dr)),
                                              _mm256_fmadd_pd(hs, oi, _mm256_mul_pd(vs, di))));
    }
}

__attribute__((target("avx2,fma")))
void verdant_dense1_adjacent_f32_avx2(float *p, const float *m, long start, long end) {
    // Two pairs per vector: (a0, b0, a1, b1).
    const __m256 dr = _mm256_setr_ps(m[0], m[0], m[6], m[6], m[0], m[0], m[6], m[6]);
    const __m256 di = _mm256_setr_ps(m[1], m[1], m[7], m[7], m[1], m[1], m[7], m[7]);
    const __m256 orr = _mm256_setr_ps(m[2], m[2], m[4], m[4], m[2], m[2], m[4], m[4]);
    const __m256 oi = _mm256_setr_ps(m[3], m[3], m[5], m[5], m[3], m[3], m[5], m[5]);
    long k = start;
    for (; k + 1 < end; k += 2) {
        float *pv = p + 4 * k;
        const __m256 v = _mm256_loadu_ps(pv);
        const __m256 h = _mm256_permute_ps(v, 0x4E);
        const __m256 vs = _mm256_permute_ps(v, 0xB1), hs = _mm256_permute_ps(h, 0xB1);
        _mm256_storeu_ps(pv, _mm256_addsub_ps(_mm256_fmadd_ps(h, orr, _mm256_mul_ps(v, dr)),
                                              _mm256_fmadd_ps(hs, oi, _mm256_mul_ps(vs, di))));
    }
    if (k < end) DENSE1_SCALAR(float, p, 2 * k, 2 * k + 1, m);
}

// Off-diagonal correlations, as lane products of conj(l)·x: l·x holds the real part's two terms
// (Re = lane 2j + lane 2j + 1), l·xs with xs = x pair-swapped the imaginary part's
// (Im = Re(l)·Im(x) − Im(l)·Re(x) = lane 2j − lane 2j + 1).
__attribute__((target("avx2,fma")))
void verdant_off_diagonal_f64_avx2(const double *psi, const double *lambda, long target, long start, long end, double *out) {
    __m256d p01 = _mm256_setzero_pd(), q01 = _mm256_setzero_pd(), p10 = _mm256_setzero_pd(), q10 = _mm256_setzero_pd();
    double s01r = 0, s01i = 0, s10r = 0, s10i = 0;
    if (target == 0) {
        // One pair per vector: v = (ψ0, ψ1), l = (λ0, λ1); h = (ψ1, ψ0): l·h holds conj(λ0)ψ1's
        // terms in lanes 0, 1 and conj(λ1)ψ0's in lanes 2, 3.
        for (long k = start; k < end; k++) {
            const __m256d v = _mm256_loadu_pd(psi + 4 * k), l = _mm256_loadu_pd(lambda + 4 * k);
            const __m256d h = _mm256_permute4x64_pd(v, 0x4E);
            p01 = _mm256_fmadd_pd(l, h, p01);
            q01 = _mm256_fmadd_pd(l, _mm256_permute_pd(h, 0x5), q01);
        }
        double a[4], b[4];
        _mm256_storeu_pd(a, p01);
        _mm256_storeu_pd(b, q01);
        out[0] = a[0] + a[1];
        out[1] = b[0] - b[1];
        out[2] = a[2] + a[3];
        out[3] = b[2] - b[3];
        return;
    }
    const long stride = 1L << target, runLength = stride;
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i0 = ((k >> target) << (target + 1)) | (k & (stride - 1));
        const long last = i0 + (runEnd - k);
        for (; i0 + 1 < last; i0 += 2) {
            const __m256d a = _mm256_loadu_pd(psi + 2 * i0), b = _mm256_loadu_pd(psi + 2 * (i0 + stride));
            const __m256d la = _mm256_loadu_pd(lambda + 2 * i0), lb = _mm256_loadu_pd(lambda + 2 * (i0 + stride));
            p01 = _mm256_fmadd_pd(la, b, p01);
            q01 = _mm256_fmadd_pd(la, _mm256_permute_pd(b, 0x5), q01);
            p10 = _mm256_fmadd_pd(lb, a, p10);
            q10 = _mm256_fmadd_pd(lb, _mm256_permute_pd(a, 0x5), q10);
        }
        if (i0 < last) {
            const long i1 = i0 + stride;
            s01r += lambda[2 * i0] * psi[2 * i1] + lambda[2 * i0 + 1] * psi[2 * i1 + 1];
            s01i += lambda[2 * i0] * psi[2 * i1 + 1] - lambda[2 * i0 + 1] * psi[2 * i1];
            s10r += lambda[2 * i1] * psi[2 * i0] + lambda[2 * i1 + 1] * psi[2 * i0 + 1];
            s10i += lambda[2 * i1] * psi[2 * i0 + 1] - lambda[2 * i1 + 1] * psi[2 * i0];
        }
        k = runEnd;
    }
    double a[4], b[4], c[4], d[4];
    _mm256_storeu_pd(a, p01);
    _mm256_storeu_pd(b, q01);
    _mm256_storeu_pd(c, p10);
    _mm256_storeu_pd(d, q10);
    out[0] = a[0] + a[1] + a[2] + a[3] + s01r;
    out[1] = b[0] - b[1] + b[2] - b[3] + s01i;
    out[2] = c[0] + c[1] + c[2] + c[3] + s10r;
    out[3] = d[0] - d[1] + d[2] - d[3] + s10i;
}

__attribute__((target("avx2,fma")))
void verdant_off_diagonal_f32_avx2(const float *psi, const float *lambda, long target, long start, long end, double *out) {
    // Float lanes, as the portable loop accumulates: four pairs per step (target ≥ 2), else two.
    __m256 p01 = _mm256_setzero_ps(), q01 = _mm256_setzero_ps(), p10 = _mm256_setzero_ps(), q10 = _mm256_setzero_ps();
    double s01r = 0, s01i = 0, s10r = 0, s10i = 0;
    if (target == 0) {
        // Two pairs per vector: (ψ0, ψ1 | ψ0', ψ1').
        long k = start;
        for (; k + 1 < end; k += 2) {
            const __m256 v = _mm256_loadu_ps(psi + 4 * k), l = _mm256_loadu_ps(lambda + 4 * k);
            const __m256 h = _mm256_permute_ps(v, 0x4E);
            p01 = _mm256_fmadd_ps(l, h, p01);
            q01 = _mm256_fmadd_ps(l, _mm256_permute_ps(h, 0xB1), q01);
        }
        float a[8], b[8];
        _mm256_storeu_ps(a, p01);
        _mm256_storeu_ps(b, q01);
        double m01r = (double)a[0] + a[1] + a[4] + a[5], m01i = (double)b[0] - b[1] + b[4] - b[5];
        double m10r = (double)a[2] + a[3] + a[6] + a[7], m10i = (double)b[2] - b[3] + b[6] - b[7];
        if (k < end) {
            const long i0 = 2 * k, i1 = i0 + 1;
            m01r += (double)lambda[2 * i0] * psi[2 * i1] + (double)lambda[2 * i0 + 1] * psi[2 * i1 + 1];
            m01i += (double)lambda[2 * i0] * psi[2 * i1 + 1] - (double)lambda[2 * i0 + 1] * psi[2 * i1];
            m10r += (double)lambda[2 * i1] * psi[2 * i0] + (double)lambda[2 * i1 + 1] * psi[2 * i0 + 1];
            m10i += (double)lambda[2 * i1] * psi[2 * i0 + 1] - (double)lambda[2 * i1 + 1] * psi[2 * i0];
        }
        out[0] = m01r;
        out[1] = m01i;
        out[2] = m10r;
        out[3] = m10i;
        return;
    }
    const long stride = 1L << target, runLength = stride;
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i0 = ((k >> target) << (target + 1)) | (k & (stride - 1));
        const long last = i0 + (runEnd - k);
        for (; i0 + 3 < last; i0 += 4) {
            const __m256 a = _mm256_loadu_ps(psi + 2 * i0), b = _mm256_loadu_ps(psi + 2 * (i0 + stride));
            const __m256 la = _mm256_loadu_ps(lambda + 2 * i0), lb = _mm256_loadu_ps(lambda + 2 * (i0 + stride));
            p01 = _mm256_fmadd_ps(la, b, p01);
            q01 = _mm256_fmadd_ps(la, _mm256_permute_ps(b, 0xB1), q01);
            p10 = _mm256_fmadd_ps(lb, a, p10);
            q10 = _mm256_fmadd_ps(lb, _mm256_permute_ps(a, 0xB1), q10);
        }
        for (; i0 < last; i0++) {
            const long i1 = i0 + stride;
            s01r += (double)lambda[2 * i0] * psi[2 * i1] + (double)lambda[2 * i0 + 1] * psi[2 * i1 + 1];
            s01i += (double)lambda[2 * i0] * psi[2 * i1 + 1] - (double)lambda[2 * i0 + 1] * psi[2 * i1];
            s10r += (double)lambda[2 * i1] * psi[2 * i0] + (double)lambda[2 * i1 + 1] * psi[2 * i0 + 1];
            s10i += (double)lambda[2 * i1] * psi[2 * i0 + 1] - (double)lambda[2 * i1 + 1] * psi[2 * i0];
        }
        k = runEnd;
    }
    float a[8], b[8], c[8], d[8];
    _mm256_storeu_ps(a, p01);
    _mm256_storeu_ps(b, q01);
    _mm256_storeu_ps(c, p10);
    _mm256_storeu_ps(d, q10);
    double m01r = s01r, m01i = s01i, m10r = s10r, m10i = s10i;
    for (int j = 0; j < 8; j += 2) {
        m01r += (double)a[j] + a[j + 1];
        m01i += (double)b[j] - b[j + 1];
        m10r += (double)c[j] + c[j + 1];
        m10i += (double)d[j] - d[j + 1];
    }
    out[0] = m01r;
    out[1] = m01i;
    out[2] = m10r;
    out[3] = m10i;
}

// Real 2 × 2 matrices: y0 = m00·a + m01·b, y1 = m10·a + m11·b with real m, no swaps needed.
#define REAL_SCALAR(T, p, i0, i1, m)                                              \
    do {                                                                          \
        T ar = p[2 * (i0)], ai = p[2 * (i0) + 1], br = p[2 * (i1)], bi = p[2 * (i1) + 1]; \
        p[2 * (i0)] = m[0] * ar + m[1] * br;                                      \
        p[2 * (i0) + 1] = m[0] * ai + m[1] * bi;                                  \
        p[2 * (i1)] = m[2] * ar + m[3] * br;                                      \
        p[2 * (i1) + 1] = m[2] * ai + m[3] * bi;                                  \
    } while (0)

__attribute__((target("avx2,fma")))
void verdant_dense1_real_f64_avx2(double *p, long target, long controlMask, const long *positions, long positionCount,
                                  long runLength, const double *m, long start, long end) {
    const long stride = 1L << target;
    const __m256d m00 = _mm256_set1_pd(m[0]), m01 = _mm256_set1_pd(m[1]), m10 = _mm256_set1_pd(m[2]), m11 = _mm256_set1_pd(m[3]);
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i0 = insert_zero_bits(k, positions, positionCount) | controlMask;
        const long last = i0 + (runEnd - k);
        for (; i0 + 1 < last; i0 += 2) {
            double *pa = p + 2 * i0, *pb = p + 2 * (i0 + stride);
            const __m256d a = _mm256_loadu_pd(pa), b = _mm256_loadu_pd(pb);
            _mm256_storeu_pd(pa, _mm256_fmadd_pd(b, m01, _mm256_mul_pd(a, m00)));
            _mm256_storeu_pd(pb, _mm256_fmadd_pd(b, m11, _mm256_mul_pd(a, m10)));
        }
        if (i0 < last) REAL_SCALAR(double, p, i0, i0 + stride, m);
        k = runEnd;
    }
}

__attribute__((target("avx2,fma")))
void verdant_dense1_real_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                                  long runLength, const float *m, long start, long end) {
    const long stride = 1L << target;
    const __m256 m00 = _mm256_set1_ps(m[0]), m01 = _mm256_set1_ps(m[1]), m10 = _mm256_set1_ps(m[2]), m11 = _mm256_set1_ps(m[3]);
    const __m128 n00 = _mm_set1_ps(m[0]), n01 = _mm_set1_ps(m[1]), n10 = _mm_set1_ps(m[2]), n11 = _mm_set1_ps(m[3]);
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i0 = insert_zero_bits(k, positions, positionCount) | controlMask;
        const long last = i0 + (runEnd - k);
        for (; i0 + 3 < last; i0 += 4) {
            float *pa = p + 2 * i0, *pb = p + 2 * (i0 + stride);
            const __m256 a = _mm256_loadu_ps(pa), b = _mm256_loadu_ps(pb);
            _mm256_storeu_ps(pa, _mm256_fmadd_ps(b, m01, _mm256_mul_ps(a, m00)));
            _mm256_storeu_ps(pb, _mm256_fmadd_ps(b, m11, _mm256_mul_ps(a, m10)));
        }
        for (; i0 + 1 < last; i0 += 2) {
            float *pa = p + 2 * i0, *pb = p + 2 * (i0 + stride);
            const __m128 a = _mm_loadu_ps(pa), b = _mm_loadu_ps(pb);
            _mm_storeu_ps(pa, _mm_fmadd_ps(b, n01, _mm_mul_ps(a, n00)));
            _mm_storeu_ps(pb, _mm_fmadd_ps(b, n11, _mm_mul_ps(a, n10)));
        }
        if (i0 < last) REAL_SCALAR(float, p, i0, i0 + stride, m);
        k = runEnd;
    }
}

// Qubit 0: two pairs per step, regrouped so that A holds the first amplitudes of both pairs and
// B the second ones (a lane exchange of two vectors instead of a lane-crossing shuffle per pair).
__attribute__((target("avx2,fma")))
void verdant_dense1_real_adjacent_f64_avx2(double *p, const double *m, long start, long end) {
    const __m256d m00 = _mm256_set1_pd(m[0]), m01 = _mm256_set1_pd(m[1]), m10 = _mm256_set1_pd(m[2]), m11 = _mm256_set1_pd(m[3]);
    long k = start;
    for (; k + 1 < end; k += 2) {
        double *pv = p + 4 * k;
        const __m256d v0 = _mm256_loadu_pd(pv), v1 = _mm256_loadu_pd(pv + 4);
        const __m256d a = _mm256_permute2f128_pd(v0, v1, 0x20), b = _mm256_permute2f128_pd(v0, v1, 0x31);
        const __m256d y0 = _mm256_fmadd_pd(b, m01, _mm256_mul_pd(a, m00));
        const __m256d y1 = _mm256_fmadd_pd(b, m11, _mm256_mul_pd(a, m10));
        _mm256_storeu_pd(pv, _mm256_permute2f128_pd(y0, y1, 0x20));
        _mm256_storeu_pd(pv + 4, _mm256_permute2f128_pd(y0, y1, 0x31));
    }
    if (k < end) REAL_SCALAR(double, p, 2 * k, 2 * k + 1, m);
}

__attribute__((target("avx2,fma")))
void verdant_dense1_real_adjacent_f32_avx2(float *p, const float *m, long start, long end) {
    // Two pairs per vector (a0, b0, a1, b1): y = v·(m00, m00, m11, m11 | …) + h·(m01, m01, m10, m10 | …)
    // with h the pairs' halves exchanged (within 128-bit lanes).
    const __m256 d = _mm256_setr_ps(m[0], m[0], m[3], m[3], m[0], m[0], m[3], m[3]);
    const __m256 o = _mm256_setr_ps(m[1], m[1], m[2], m[2], m[1], m[1], m[2], m[2]);
    long k = start;
    for (; k + 1 < end; k += 2) {
        float *pv = p + 4 * k;
        const __m256 v = _mm256_loadu_ps(pv);
        _mm256_storeu_ps(pv, _mm256_fmadd_ps(_mm256_permute_ps(v, 0x4E), o, _mm256_mul_ps(v, d)));
    }
    if (k < end) REAL_SCALAR(float, p, 2 * k, 2 * k + 1, m);
}

// Target 0 with controls or held bits (the pair loop of a controlled or multiplexed gate on
// qubit 0): free index k gives the pair (i0, i0 + 1), i0 = k with zeros inserted at `positions`
// (0 among them) and `controlMask` set; as in the adjacent loops, a vector holds whole pairs
// (one for double, two for float when consecutive free indices give consecutive pairs).
__attribute__((target("avx2,fma")))
void verdant_dense1_low_f64_avx2(double *p, long controlMask, const long *positions, long positionCount,
                                 const double *m, long start, long end) {
    const __m256d dr = _mm256_setr_pd(m[0], m[0], m[6], m[6]), di = _mm256_setr_pd(m[1], m[1], m[7], m[7]);
    const __m256d orr = _mm256_setr_pd(m[2], m[2], m[4], m[4]), oi = _mm256_setr_pd(m[3], m[3], m[5], m[5]);
    for (long k = start; k < end; k++) {
        const long i0 = insert_zero_bits(k, positions, positionCount) | controlMask;
        double *pv = p + 2 * i0;
        const __m256d v = _mm256_loadu_pd(pv);
        const __m256d h = _mm256_permute4x64_pd(v, 0x4E);
        const __m256d vs = _mm256_permute_pd(v, 0x5), hs = _mm256_permute_pd(h, 0x5);
        _mm256_storeu_pd(pv, _mm256_addsub_pd(_mm256_fmadd_pd(h, orr, _mm256_mul_pd(v, dr)),
                                              _mm256_fmadd_pd(hs, oi, _mm256_mul_pd(vs, di))));
    }
}

__attribute__((target("avx2,fma")))
void verdant_dense1_low_f32_avx2(float *p, long controlMask, const long *positions, long positionCount,
                                 const float *m, long start, long end) {
    const __m256 dr = _mm256_setr_ps(m[0], m[0], m[6], m[6], m[0], m[0], m[6], m[6]);
    const __m256 di = _mm256_setr_ps(m[1], m[1], m[7], m[7], m[1], m[1], m[7], m[7]);
    const __m256 orr = _mm256_setr_ps(m[2], m[2], m[4], m[4], m[2], m[2], m[4], m[4]);
    const __m256 oi = _mm256_setr_ps(m[3], m[3], m[5], m[5], m[3], m[3], m[5], m[5]);
    // Consecutive free indices give consecutive pairs (i0 grows by 2) until the next fixed
    // position above 0 carries: runs of 2^(positions[1] − 1) free indices (one when qubit 1 is fixed).
    const long run = positionCount > 1 ? 1L << (positions[1] - 1) : (1L << 62);
    long k = start;
    while (k < end) {
        long runEnd = run >= (1L << 62) ? end : (k | (run - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i0 = insert_zero_bits(k, positions, positionCount) | controlMask;
        for (; k + 1 < runEnd; k += 2, i0 += 4) {
            float *pv = p + 2 * i0;
            const __m256 v = _mm256_loadu_ps(pv);
            const __m256 h = _mm256_permute_ps(v, 0x4E);
            const __m256 vs = _mm256_permute_ps(v, 0xB1), hs = _mm256_permute_ps(h, 0xB1);
            _mm256_storeu_ps(pv, _mm256_addsub_ps(_mm256_fmadd_ps(h, orr, _mm256_mul_ps(v, dr)),
                                                  _mm256_fmadd_ps(hs, oi, _mm256_mul_ps(vs, di))));
        }
        if (k < runEnd) {
            DENSE1_SCALAR(float, p, i0, i0 + 1, m);
            k++;
        }
    }
}


// ---- two or three X-symmetric one-qubit gates in one visit ----------------------------------------
// A 2 × 2 matrix with m00 = m11 and m01 = m10 (rx, sx, and products of rz·sx·rz that are rx up to a
// phase) is diagonal in the Hadamard basis: M = ½·Hu·diag(m00 + m01, m00 − m01)·Hu, Hu = [[1, 1],
// [1, −1]]. k such gates on distinct qubits are Hu^⊗k·D·Hu^⊗k with D the 2^k products of their
// eigenvalues over 2^k: butterflies (an add and a subtract per pair, no multiply) on the k qubits,
// one complex multiply per amplitude, butterflies again, with the group's 2^k vectors held in
// registers, so the k gates cost one load and one store per amplitude and a quarter of the
// multiplies of k dense one-qubit kernels.

#define SYM_BF(S, A, B) { const __typeof__(A) s_ = _mm256_add_##S(A, B); B = _mm256_sub_##S(A, B); A = s_; }
#define SYM_CM(S, SWAP, x, j) \
    x = _mm256_fmaddsub_##S(x, _mm256_set1_##S(d[2 * (j)]), _mm256_mul_##S(_mm256_permute_##S(x, SWAP), _mm256_set1_##S(d[2 * (j) + 1])))

// One loop for both precisions: T the real type, V its 256-bit vector, W complex numbers per vector,
// S the intrinsics' suffix (ps, pd) and SWAP the immediate that exchanges (re, im) within a pair.
#define SYM_LAYER_LOOP(T, V, W, S, SWAP)                                                                                   \
    const long s0 = 1L << targets[0], s1 = 1L << targets[1], s2 = targetCount > 2 ? 1L << targets[2] : 0;         \
    long k = start;                                                                                             \
    while (k < end) {                                                                                           \
        long runEnd = (k | (s0 - 1)) + 1;                                                                       \
        if (runEnd > end) runEnd = end;                                                                         \
        long i = insert_zero_bits(k, targets, targetCount);                                                     \
        const long last = i + (runEnd - k);                                                                     \
        if (targetCount == 2) {                                                                                 \
            for (; i < last; i += W) {                                                                          \
                T *b = p + 2 * i;                                                                               \
                V v0 = _mm256_loadu_##S(b), v1 = _mm256_loadu_##S(b + 2 * s0), v2 = _mm256_loadu_##S(b + 2 * s1), v3 = _mm256_loadu_##S(b + 2 * (s0 + s1)); \
                SYM_BF(S, v0, v1) SYM_BF(S, v2, v3) SYM_BF(S, v0, v2) SYM_BF(S, v1, v3)                                     \
                SYM_CM(S, SWAP, v0, 0); SYM_CM(S, SWAP, v1, 1); SYM_CM(S, SWAP, v2, 2); SYM_CM(S, SWAP, v3, 3);                                     \
                SYM_BF(S, v0, v1) SYM_BF(S, v2, v3) SYM_BF(S, v0, v2) SYM_BF(S, v1, v3)                                     \
                _mm256_storeu_##S(b, v0); _mm256_storeu_##S(b + 2 * s0, v1); _mm256_storeu_##S(b + 2 * s1, v2); _mm256_storeu_##S(b + 2 * (s0 + s1), v3); \
            }                                                                                                   \
        } else {                                                                                                \
            for (; i < last; i += W) {                                                                          \
                T *b = p + 2 * i;                                                                               \
                V v0 = _mm256_loadu_##S(b), v1 = _mm256_loadu_##S(b + 2 * s0), v2 = _mm256_loadu_##S(b + 2 * s1), v3 = _mm256_loadu_##S(b + 2 * (s0 + s1)); \
                V v4 = _mm256_loadu_##S(b + 2 * s2), v5 = _mm256_loadu_##S(b + 2 * (s2 + s0)), v6 = _mm256_loadu_##S(b + 2 * (s2 + s1));          \
                V v7 = _mm256_loadu_##S(b + 2 * (s2 + s1 + s0));                                                        \
                SYM_BF(S, v0, v1) SYM_BF(S, v2, v3) SYM_BF(S, v4, v5) SYM_BF(S, v6, v7)                                     \
                SYM_BF(S, v0, v2) SYM_BF(S, v1, v3) SYM_BF(S, v4, v6) SYM_BF(S, v5, v7)                                     \
                SYM_BF(S, v0, v4) SYM_BF(S, v1, v5) SYM_BF(S, v2, v6) SYM_BF(S, v3, v7)                                     \
                SYM_CM(S, SWAP, v0, 0); SYM_CM(S, SWAP, v1, 1); SYM_CM(S, SWAP, v2, 2); SYM_CM(S, SWAP, v3, 3);                                     \
                SYM_CM(S, SWAP, v4, 4); SYM_CM(S, SWAP, v5, 5); SYM_CM(S, SWAP, v6, 6); SYM_CM(S, SWAP, v7, 7);                                     \
                SYM_BF(S, v0, v1) SYM_BF(S, v2, v3) SYM_BF(S, v4, v5) SYM_BF(S, v6, v7)                                     \
                SYM_BF(S, v0, v2) SYM_BF(S, v1, v3) SYM_BF(S, v4, v6) SYM_BF(S, v5, v7)                                     \
                SYM_BF(S, v0, v4) SYM_BF(S, v1, v5) SYM_BF(S, v2, v6) SYM_BF(S, v3, v7)                                     \
                _mm256_storeu_##S(b, v0); _mm256_storeu_##S(b + 2 * s0, v1); _mm256_storeu_##S(b + 2 * s1, v2); _mm256_storeu_##S(b + 2 * (s0 + s1), v3); \
                _mm256_storeu_##S(b + 2 * s2, v4); _mm256_storeu_##S(b + 2 * (s2 + s0), v5); _mm256_storeu_##S(b + 2 * (s2 + s1), v6);          \
                _mm256_storeu_##S(b + 2 * (s2 + s1 + s0), v7);                                                          \
            }                                                                                                   \
        }                                                                                                       \
        k = runEnd;                                                                                             \
    }

__attribute__((target("avx2,fma")))
void verdant_symmetric_layer_f32_avx2(float *p, long targetCount, const long *targets, const float *d, long start,
                                      long end) {
    SYM_LAYER_LOOP(float, __m256, 4, ps, 0xB1)
}

__attribute__((target("avx2,fma")))
void verdant_symmetric_layer_f64_avx2(double *p, long targetCount, const long *targets, const double *d, long start,
                                      long end) {
    SYM_LAYER_LOOP(double, __m256d, 2, pd, 0x5)
}

#else

int verdant_state_avx2_available(void) { return 0; }
void verdant_dense1_f64_avx2(double *p, long target, long controlMask, const long *positions, long positionCount,
                             long runLength, const double *matrix, long start, long end) {}
void verdant_dense1_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                             long runLength, const float *matrix, long start, long end) {}
void verdant_dense1_adjacent_f64_avx2(double *p, const double *matrix, long start, long end) {}
void verdant_dense1_adjacent_f32_avx2(float *p, const float *matrix, long start, long end) {}
void verdant_off_diagonal_f64_avx2(const double *psi, const double *lambda, long target, long start, long end, double *out) {}
void verdant_dense1_real_f64_avx2(double *p, long target, long controlMask, const long *positions, long positionCount,
                                  long runLength, const double *matrix, long start, long end) {}
void verdant_dense1_real_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                                  long runLength, const float *matrix, long start, long end) {}
void verdant_dense1_real_adjacent_f64_avx2(double *p, const double *matrix, long start, long end) {}
void verdant_dense1_real_adjacent_f32_avx2(float *p, const float *matrix, long start, long end) {}
void verdant_off_diagonal_f32_avx2(const float *psi, const float *lambda, long target, long start, long end, double *out) {}
void verdant_dense1_low_f64_avx2(double *p, long controlMask, const long *positions, long positionCount,
                                 const double *m, long start, long end) {}
void verdant_dense1_low_f32_avx2(float *p, long controlMask, const long *positions, long positionCount,
                                 const float *m, long start, long end) {}
void verdant_symmetric_layer_f32_avx2(float *p, long targetCount, const long *targets, const float *factors, long start,
                                      long end) {}
void verdant_symmetric_layer_f64_avx2(double *p, long targetCount, const long *targets, const double *factors, long start,
                                      long end) {}

#endif
