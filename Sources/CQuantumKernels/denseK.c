#include "QuantumKernels.h"

// Dense k-qubit gates (k = 2…5), the kernels of fused blocks. Arguments as the one-target loops
// (dense1.c): amplitudes interleaved (re, im); `offsets[r]` is the amplitude offset of matrix
// index r (bit j of r set adds 2^target_j); the matrix is 2^k × 2^k, row-major, interleaved
// (re, im); free indices start..<end, each a group of 2^k amplitudes whose base index comes from
// inserting zeros at `positions` and setting `controlMask`; consecutive free indices give
// consecutive bases for `runLength` steps.
//
// Two forms of the inner loop:
// - across groups (every target ≥ 1 for double, ≥ 2 for float): a vector holds the same matrix
//   index of 2 (double) or 4 (float) neighbouring groups, so y_r = Σ_c m_rc · x_c needs only
//   broadcast matrix entries: with x = (re, im, …) and xs its pair-swapped form,
//   y_r = addsub(Σ Re(m_rc)·x_c, Σ Im(m_rc)·xs_c);
// - within a group (a target on qubit 0): a vector holds the two amplitudes of a group that
//   differ in qubit 0, v_h = (x_h0, x_h1), and w_h = (x_h1, x_h0); y_h = Σ_h' D_hh' ⊙ v_h' +
//   O_hh' ⊙ w_h' with lane-wise complex coefficients D = (m_{h0,h'0}, m_{h1,h'1}) and
//   O = (m_{h0,h'1}, m_{h1,h'0}), prepared once per call;
// - across lanes (float only, a target on qubit 0 or 1, the other of the two free): a 256-bit
//   vector holds the 4 amplitudes whose indices differ in qubits 0 and 1, so one vector is part
//   of one group (targets 0 and 1), or of two neighbouring groups (one of them a target). With
//   h the matrix index bits of the targets ≥ 2 and s a subset of the low target bits, lane l of
//   output vector h is y_h[l] = Σ_h' Σ_s C_hh's[l] · x_h'[l ⊕ s], C_hh's[l] = m_{(h, l), (h', l ⊕ s)}
//   (l read at the low targets): lane-wise complex coefficients prepared once per call, and the
//   lane permutations l → l ⊕ s (swapping complex pairs, 128-bit halves, or both). Every lane does
//   useful work, as in the across-groups form; the within-a-group form would use 128-bit vectors.
// Groups that do not fill a vector (at a run's end) are done one at a time in scalar code.

static inline long insert_zero_bits_k(long k, const long *positions, long count) {
    for (long j = 0; j < count; j++) {
        long p = positions[j];
        long low = k & ((1L << p) - 1);
        k = ((k >> p) << (p + 1)) | low;
    }
    return k;
}

#define DENSE_SCALAR_GROUP(T, p, base, dim, offsets, m)                                     \
    do {                                                                                    \
        T xr[32], xi[32];                                                                   \
        for (long c = 0; c < (dim); c++) {                                                  \
            xr[c] = (p)[2 * ((base) | (offsets)[c])];                                       \
            xi[c] = (p)[2 * ((base) | (offsets)[c]) + 1];                                   \
        }                                                                                   \
        for (long r = 0; r < (dim); r++) {                                                  \
            T sr = 0, si = 0;                                                               \
            const T *row = (m) + 2 * r * (dim);                                             \
            for (long c = 0; c < (dim); c++) {                                              \
                sr += row[2 * c] * xr[c] - row[2 * c + 1] * xi[c];                          \
                si += row[2 * c] * xi[c] + row[2 * c + 1] * xr[c];                          \
            }                                                                               \
            (p)[2 * ((base) | (offsets)[r])] = sr;                                          \
            (p)[2 * ((base) | (offsets)[r]) + 1] = si;                                      \
        }                                                                                   \
    } while (0)

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// ---- double, across groups: two groups per vector -------------------------------------------

__attribute__((target("avx2,fma"), always_inline))
static inline void dense_f64_across(double *p, const int K, const long *offsets, long controlMask,
                                    const long *positions, long positionCount, long runLength,
                                    const double *m, long start, long end) {
    const long dim = 1L << K;
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i = insert_zero_bits_k(k, positions, positionCount) | controlMask;
        const long last = i + (runEnd - k);
        for (; i + 1 < last; i += 2) {
            __m256d x[32], xs[32];
            for (long c = 0; c < dim; c++) {
                x[c] = _mm256_loadu_pd(p + 2 * (i | offsets[c]));
                xs[c] = _mm256_permute_pd(x[c], 0x5);
            }
            // R rows at a time: each x_c loaded once feeds 2R FMAs (for k = 2 the 16 registers
            // cannot hold 4 rows' accumulators and the 8 inputs: one row at a time).
            const long R = K == 2 ? 1 : 4;
            for (long r = 0; r < dim; r += R) {
                __m256d a[4], b[4];
                for (int j = 0; j < R; j++) a[j] = b[j] = _mm256_setzero_pd();
                for (long c = 0; c < dim; c++) {
                    for (int j = 0; j < R; j++) {
                        const double *entry = m + 2 * ((r + j) * dim + c);
                        a[j] = _mm256_fmadd_pd(x[c], _mm256_broadcast_sd(entry), a[j]);
                        b[j] = _mm256_fmadd_pd(xs[c], _mm256_broadcast_sd(entry + 1), b[j]);
                    }
                }
                for (int j = 0; j < R; j++) _mm256_storeu_pd(p + 2 * (i | offsets[r + j]), _mm256_addsub_pd(a[j], b[j]));
            }
        }
        if (i < last) DENSE_SCALAR_GROUP(double, p, i, dim, offsets, m);
        k = runEnd;
    }
}

// ---- double, within a group: target 0 among the targets --------------------------------------

__attribute__((target("avx2,fma"), always_inline))
static inline void dense_f64_within(double *p, const int K, const long *offsets, long controlMask,
                                    const long *positions, long positionCount, const double *m,
                                    long start, long end) {
    const long half = 1L << (K - 1);
    const long dim = 1L << K;
    // Matrix index of (h, b): b is the bit of target 0 (the lowest offset bit is 1), h the rest.
    // offsets[1] == 1: target 0 is the first target. Row/column index r = b + 2h.
    // Lane coefficients per (h, h'): D = (m[2h][2h'], m[2h+1][2h'+1]), O = (m[2h][2h'+1], m[2h+1][2h']).
    __m256d dr[256], di[256], or_[256], oi[256];
    for (long h = 0; h < half; h++) {
        for (long g = 0; g < half; g++) {
            const long e = h * half + g;
            const double *m00 = m + 2 * ((2 * h) * dim + 2 * g), *m11 = m + 2 * ((2 * h + 1) * dim + 2 * g + 1);
            const double *m01 = m + 2 * ((2 * h) * dim + 2 * g + 1), *m10 = m + 2 * ((2 * h + 1) * dim + 2 * g);
            dr[e] = _mm256_setr_pd(m00[0], m00[0], m11[0], m11[0]);
            di[e] = _mm256_setr_pd(m00[1], m00[1], m11[1], m11[1]);
            or_[e] = _mm256_setr_pd(m01[0], m01[0], m10[0], m10[0]);
            oi[e] = _mm256_setr_pd(m01[1], m01[1], m10[1], m10[1]);
        }
    }
    for (long k = start; k < end; k++) {
        const long base = insert_zero_bits_k(k, positions, positionCount) | controlMask;
        __m256d v[16], vs[16], w[16], ws[16];
        for (long g = 0; g < half; g++) {
            v[g] = _mm256_loadu_pd(p + 2 * (base | offsets[2 * g]));
            w[g] = _mm256_permute4x64_pd(v[g], 0x4E);
            vs[g] = _mm256_permute_pd(v[g], 0x5);
            ws[g] = _mm256_permute_pd(w[g], 0x5);
        }
        // R output vectors at a time (k ≥ 4): each input loaded once feeds 4R FMAs.
        const long R = K >= 4 ? 4 : 1;
        for (long h = 0; h < half; h += R) {
            __m256d a[4], b[4];
            for (int j = 0; j < R; j++) a[j] = b[j] = _mm256_setzero_pd();
            for (long g = 0; g < half; g++) {
                for (int j = 0; j < R; j++) {
                    const long e = (h + j) * half + g;
                    a[j] = _mm256_fmadd_pd(v[g], dr[e], a[j]);
                    a[j] = _mm256_fmadd_pd(w[g], or_[e], a[j]);
                    b[j] = _mm256_fmadd_pd(vs[g], di[e], b[j]);
                    b[j] = _mm256_fmadd_pd(ws[g], oi[e], b[j]);
                }
            }
            for (int j = 0; j < R; j++) _mm256_storeu_pd(p + 2 * (base | offsets[2 * (h + j)]), _mm256_addsub_pd(a[j], b[j]));
        }
    }
}

// ---- float, across groups: four groups per 256-bit vector, two per 128-bit vector --------------

__attribute__((target("avx2,fma"), always_inline))
static inline void dense_f32_across(float *p, const int K, const long *offsets, long controlMask,
                                    const long *positions, long positionCount, long runLength,
                                    const float *m, long start, long end) {
    const long dim = 1L << K;
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i = insert_zero_bits_k(k, positions, positionCount) | controlMask;
        const long last = i + (runEnd - k);
        for (; i + 3 < last; i += 4) {
            __m256 x[32], xs[32];
            for (long c = 0; c < dim; c++) {
                x[c] = _mm256_loadu_ps(p + 2 * (i | offsets[c]));
                xs[c] = _mm256_permute_ps(x[c], 0xB1);
            }
            // R rows at a time: each x_c loaded once feeds 2R FMAs (for k = 2 the 16 registers
            // cannot hold 4 rows' accumulators and the 8 inputs: one row at a time).
            const long R = K == 2 ? 1 : 4;
            for (long r = 0; r < dim; r += R) {
                __m256 a[4], b[4];
                for (int j = 0; j < R; j++) a[j] = b[j] = _mm256_setzero_ps();
                for (long c = 0; c < dim; c++) {
                    for (int j = 0; j < R; j++) {
                        const float *entry = m + 2 * ((r + j) * dim + c);
                        a[j] = _mm256_fmadd_ps(x[c], _mm256_broadcast_ss(entry), a[j]);
                        b[j] = _mm256_fmadd_ps(xs[c], _mm256_broadcast_ss(entry + 1), b[j]);
                    }
                }
                for (int j = 0; j < R; j++) _mm256_storeu_ps(p + 2 * (i | offsets[r + j]), _mm256_addsub_ps(a[j], b[j]));
            }
        }
        for (; i + 1 < last; i += 2) {
            __m128 x[32], xs[32];
            for (long c = 0; c < dim; c++) {
                x[c] = _mm_loadu_ps(p + 2 * (i | offsets[c]));
                xs[c] = _mm_permute_ps(x[c], 0xB1);
            }
            for (long r = 0; r < dim; r++) {
                const float *row = m + 2 * r * dim;
                __m128 a = _mm_setzero_ps(), b = _mm_setzero_ps();
                for (long c = 0; c < dim; c++) {
                    a = _mm_fmadd_ps(x[c], _mm_broadcast_ss(row + 2 * c), a);
                    b = _mm_fmadd_ps(xs[c], _mm_broadcast_ss(row + 2 * c + 1), b);
                }
                _mm_storeu_ps(p + 2 * (i | offsets[r]), _mm_addsub_ps(a, b));
            }
        }
        if (i < last) DENSE_SCALAR_GROUP(float, p, i, dim, offsets, m);
        k = runEnd;
    }
}

// ---- float, within a group: target 0 among the targets (128-bit vectors, as the double loop) ---

__attribute__((target("avx2,fma"), always_inline))
static inline void dense_f32_within(float *p, const int K, const long *offsets, long controlMask,
                                    const long *positions, long positionCount, const float *m,
                                    long start, long end) {
    const long half = 1L << (K - 1);
    const long dim = 1L << K;
    __m128 dr[256], di[256], or_[256], oi[256];
    for (long h = 0; h < half; h++) {
        for (long g = 0; g < half; g++) {
            const long e = h * half + g;
            const float *m00 = m + 2 * ((2 * h) * dim + 2 * g), *m11 = m + 2 * ((2 * h + 1) * dim + 2 * g + 1);
            const float *m01 = m + 2 * ((2 * h) * dim + 2 * g + 1), *m10 = m + 2 * ((2 * h + 1) * dim + 2 * g);
            dr[e] = _mm_setr_ps(m00[0], m00[0], m11[0], m11[0]);
            di[e] = _mm_setr_ps(m00[1], m00[1], m11[1], m11[1]);
            or_[e] = _mm_setr_ps(m01[0], m01[0], m10[0], m10[0]);
            oi[e] = _mm_setr_ps(m01[1], m01[1], m10[1], m10[1]);
        }
    }
    for (long k = start; k < end; k++) {
        const long base = insert_zero_bits_k(k, positions, positionCount) | controlMask;
        __m128 v[16], vs[16], w[16], ws[16];
        for (long g = 0; g < half; g++) {
            v[g] = _mm_loadu_ps(p + 2 * (base | offsets[2 * g]));
            w[g] = _mm_permute_ps(v[g], 0x4E);
            vs[g] = _mm_permute_ps(v[g], 0xB1);
            ws[g] = _mm_permute_ps(w[g], 0xB1);
        }
        for (long h = 0; h < half; h++) {
            __m128 a = _mm_setzero_ps(), b = _mm_setzero_ps();
            for (long g = 0; g < half; g++) {
                const long e = h * half + g;
                a = _mm_fmadd_ps(v[g], dr[e], a);
                a = _mm_fmadd_ps(w[g], or_[e], a);
                b = _mm_fmadd_ps(vs[g], di[e], b);
                b = _mm_fmadd_ps(ws[g], oi[e], b);
            }
            _mm_storeu_ps(p + 2 * (base | offsets[2 * h]), _mm_addsub_ps(a, b));
        }
    }
}

// ---- float, across lanes: targets on qubit 0 and/or 1 (the other free), 256-bit vectors -------

// Lane permutation l → l ⊕ s of four complex floats.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 lanes_xor_f32(__m256 v, int s) {
    switch (s) {
    case 1: return _mm256_permute_ps(v, 0x4E);                   // swap complex neighbours
    case 2: return _mm256_permute2f128_ps(v, v, 0x01);           // swap 128-bit halves
    case 3: return _mm256_permute_ps(_mm256_permute2f128_ps(v, v, 0x01), 0x4E);
    default: return v;
    }
}

// `low` (1, 2 or 3): the target bits among qubits 0 and 1; the other of the two is free (neither a
// control nor held), so free indices come in aligned runs of `4 >> popcount(low)` groups that
// share one vector. Low targets are the first targets (offsets ascending), so matrix index
// r = (h << lowCount) | rl, rl the low targets' bits.
__attribute__((target("avx2,fma"), always_inline))
static inline void dense_f32_lanes(float *p, const int K, const int low, const long *offsets, long controlMask,
                                   const long *positions, long positionCount, const float *m, long start, long end) {
    const int lowCount = low == 3 ? 2 : 1;
    const int S = 1 << lowCount;                       // lane patterns s: the subsets of `low`
    const long H = 1L << (K - lowCount);               // output (and input) vectors per step
    const long dim = 1L << K;
    const long groupsPerVector = 4 >> lowCount;
    int pattern[4];                                    // pattern[j]: the j-th subset of `low`
    for (int j = 0, s = 0; s < 4; s++) if ((s & ~low) == 0) pattern[j++] = s;
    int laneIndex[4];                                  // lane l's bits at the low targets, as rl
    for (int l = 0; l < 4; l++) laneIndex[l] = low == 3 ? l : low == 1 ? (l & 1) : ((l >> 1) & 1);
    long high[32];                                     // high[h]: offset of the targets ≥ 2 of h
    for (long h = 0; h < H; h++) high[h] = offsets[h << lowCount];
    // cr/ci[(h·H + h')·S + j]: real and imaginary parts of C_hh's (s = pattern[j]), both lanes of
    // each complex lane.
    __m256 cr[512], ci[512];
    for (long h = 0; h < H; h++) {
        for (long g = 0; g < H; g++) {
            for (int j = 0; j < S; j++) {
                float re[8], im[8];
                for (int l = 0; l < 4; l++) {
                    const long row = (h << lowCount) | laneIndex[l];
                    const long col = (g << lowCount) | laneIndex[l ^ pattern[j]];
                    re[2 * l] = re[2 * l + 1] = m[2 * (row * dim + col)];
                    im[2 * l] = im[2 * l + 1] = m[2 * (row * dim + col) + 1];
                }
                cr[(h * H + g) * S + j] = _mm256_loadu_ps(re);
                ci[(h * H + g) * S + j] = _mm256_loadu_ps(im);
            }
        }
    }
    long k = start;
    for (; k < end && (k & (groupsPerVector - 1)) != 0; k++)
        DENSE_SCALAR_GROUP(float, p, insert_zero_bits_k(k, positions, positionCount) | controlMask, dim, offsets, m);
    for (; k + groupsPerVector <= end; k += groupsPerVector) {
        // a: the vector's first amplitude (qubits 0 and 1 clear: targets, and the aligned free bit).
        const long a = insert_zero_bits_k(k, positions, positionCount) | controlMask;
        __m256 x[16 * 4], xs[16 * 4];
        for (long g = 0; g < H; g++) {
            const __m256 v = _mm256_loadu_ps(p + 2 * (a | high[g]));
            const __m256 vs = _mm256_permute_ps(v, 0xB1);
            for (int j = 0; j < S; j++) {
                x[g * S + j] = lanes_xor_f32(v, pattern[j]);
                xs[g * S + j] = lanes_xor_f32(vs, pattern[j]);
            }
        }
        // R output vectors at a time: each input loaded once feeds 2R FMAs.
        enum { R = 4 };
        const long rows = H < R ? H : R;
        for (long h = 0; h < H; h += rows) {
            __m256 re[R], im[R];
            for (int j = 0; j < R; j++) re[j] = im[j] = _mm256_setzero_ps();
            for (long e = 0; e < H * S; e++) {
                for (int j = 0; j < R; j++) {
                    if (j >= rows) break;
                    re[j] = _mm256_fmadd_ps(x[e], cr[(h + j) * H * S + e], re[j]);
                    im[j] = _mm256_fmadd_ps(xs[e], ci[(h + j) * H * S + e], im[j]);
                }
            }
            for (int j = 0; j < rows; j++) _mm256_storeu_ps(p + 2 * (a | high[h + j]), _mm256_addsub_ps(re[j], im[j]));
        }
    }
    for (; k < end; k++)
        DENSE_SCALAR_GROUP(float, p, insert_zero_bits_k(k, positions, positionCount) | controlMask, dim, offsets, m);
}

// The low target bits when the across-lanes form applies (a target on qubit 0 or 1, and each of
// the two that is not a target is free), else 0.
static inline int lanes_low_bits(int K, const long *offsets, long controlMask, const long *positions, long positionCount) {
    long targetMask = 0;
    for (int j = 0; j < K; j++) targetMask |= offsets[1L << j];
    const int low = (int)(targetMask & 3);
    if (low == 0 || (controlMask & 3 & ~low) != 0) return 0;
    for (long j = 0; j < positionCount && positions[j] < 2; j++)
        if (((1L << positions[j]) & low) == 0) return 0;
    return low;
}

// ---- entry points: the width is a compile-time constant in each instance -----------------------

#define DENSE_ENTRY(K)                                                                                           \
    __attribute__((target("avx2,fma"))) static void dense_f64_k##K(double *p, const long *offsets, long controlMask, \
        const long *positions, long positionCount, long runLength, const double *m, long start, long end) {      \
        if (offsets[1] == 1) dense_f64_within(p, K, offsets, controlMask, positions, positionCount, m, start, end); \
        else dense_f64_across(p, K, offsets, controlMask, positions, positionCount, runLength, m, start, end);     \
    }                                                                                                            \
    __attribute__((target("avx2,fma"))) static void dense_f32_k##K(float *p, const long *offsets, long controlMask,  \
        const long *positions, long positionCount, long runLength, const float *m, long start, long end) {       \
        const int low = lanes_low_bits(K, offsets, controlMask, positions, positionCount);                      \
        if (low == 1) dense_f32_lanes(p, K, 1, offsets, controlMask, positions, positionCount, m, start, end);      \
        else if (low == 2) dense_f32_lanes(p, K, 2, offsets, controlMask, positions, positionCount, m, start, end); \
        else if (low == 3) dense_f32_lanes(p, K, 3, offsets, controlMask, positions, positionCount, m, start, end); \
        else if (offsets[1] == 1) dense_f32_within(p, K, offsets, controlMask, positions, positionCount, m, start, end); \
        else dense_f32_across(p, K, offsets, controlMask, positions, positionCount, runLength, m, start, end);     \
    }

DENSE_ENTRY(2)
DENSE_ENTRY(3)
DENSE_ENTRY(4)
DENSE_ENTRY(5)

int verdant_dense_f64_avx2(double *p, long targetCount, const long *offsets, long controlMask, const long *positions,
                           long positionCount, long runLength, const double *matrix, long start, long end) {
    switch (targetCount) {
    case 2: dense_f64_k2(p, offsets, controlMask, positions, positionCount, runLength, matrix, start, end); return 1;
    case 3: dense_f64_k3(p, offsets, controlMask, positions, positionCount, runLength, matrix, start, end); return 1;
    case 4: dense_f64_k4(p, offsets, controlMask, positions, positionCount, runLength, matrix, start, end); return 1;
    case 5: dense_f64_k5(p, offsets, controlMask, positions, positionCount, runLength, matrix, start, end); return 1;
    default: return 0;
    }
}

int verdant_dense_f32_avx2(float *p, long targetCount, const long *offsets, long controlMask, const long *positions,
                           long positionCount, long runLength, const float *matrix, long start, long end) {
    switch (targetCount) {
    case 2: dense_f32_k2(p, offsets, controlMask, positions, positionCount, runLength, matrix, start, end); return 1;
    case 3: dense_f32_k3(p, offsets, controlMask, positions, positionCount, runLength, matrix, start, end); return 1;
    case 4: dense_f32_k4(p, offsets, controlMask, positions, positionCount, runLength, matrix, start, end); return 1;
    case 5: dense_f32_k5(p, offsets, controlMask, positions, positionCount, runLength, matrix, start, end); return 1;
    default: return 0;
    }
}

#else

int verdant_dense_f64_avx2(double *p, long targetCount, const long *offsets, long controlMask, const long *positions,
                           long positionCount, long runLength, const double *matrix, long start, long end) { return 0; }
int verdant_dense_f32_avx2(float *p, long targetCount, const long *offsets, long controlMask, const long *positions,
                           long positionCount, long runLength, const float *matrix, long start, long end) { return 0; }

#endif
