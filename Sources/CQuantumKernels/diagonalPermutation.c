#include "QuantumKernels.h"

// Diagonal and permutation kernels of fused blocks. Arguments as dense1.c: amplitudes interleaved
// (re, im); free indices start..<end; `positions` the bit positions a free index skips,
// `controlMask` the bits set in every visited amplitude (or group), `runLength` how many
// consecutive free indices give consecutive amplitudes.
//
// Diagonal: each visited amplitude i is multiplied by factors[j(i)], where bit t of j is bit
// targets[t] of i (targets ascending, not among `positions`). The factor is constant over aligned
// blocks of 2^targets[0] amplitudes; with targets[0] ≥ 1 (double) or ≥ 2 (float) whole vectors
// share it, with targets[0] = 0 a vector holds a pair (×f_j, ×f_{j+1}). j of the bits below 2^8
// comes from a table made once per call, the bits above from the current 2^8-aligned stretch.
//
// Permutation: in every group (base index from a free index, matrix index r at offset
// offsets[r]) amplitude r becomes phases[r] × old amplitude sources[r], for the rows in
// `moving`. Neighbouring groups share a vector as in the dense loops (denseK.c); a group alone
// is moved one amplitude at a time.

static inline long insert_zero_bits_dp(long k, const long *positions, long count) {
    for (long j = 0; j < count; j++) {
        long p = positions[j];
        long low = k & ((1L << p) - 1);
        k = ((k >> p) << (p + 1)) | low;
    }
    return k;
}

static inline long factor_index(long i, const long *targets, long count) {
    long j = 0;
    for (long t = 0; t < count; t++) j |= ((i >> targets[t]) & 1) << t;
    return j;
}

#define LOW_BITS 8

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// ---- diagonal, double ---------------------------------------------------------------------------

__attribute__((target("avx2,fma")))
void verdant_diagonal_f64_avx2(double *p, long targetCount, const long *targets, const double *f, long controlMask,
                               const long *positions, long positionCount, long runLength, long start, long end) {
    const long dim = 1L << targetCount;
    // low[l]: j of the target bits of l below 2^LOW_BITS; lowMask: those targets' bits.
    long low[1 << LOW_BITS];
    long lowCount = 0;
    while (lowCount < targetCount && targets[lowCount] < LOW_BITS) lowCount++;
    for (long l = 0; l < (1L << LOW_BITS); l++) low[l] = factor_index(l, targets, lowCount);
    const long *highTargets = targets + lowCount;
    const long highCount = targetCount - lowCount;
    const long t0 = targets[0];
    long k = start;
    if (t0 >= 1) {
        __m256d fr[32], fi[32];
        for (long j = 0; j < dim; j++) {
            fr[j] = _mm256_set1_pd(f[2 * j]);
            fi[j] = _mm256_setr_pd(-f[2 * j + 1], f[2 * j + 1], -f[2 * j + 1], f[2 * j + 1]);
        }
        const long block = 1L << t0;
        while (k < end) {
            long runEnd = (k | (runLength - 1)) + 1;
            if (runEnd > end) runEnd = end;
            long i = insert_zero_bits_dp(k, positions, positionCount) | controlMask;
            const long last = i + (runEnd - k);
            while (i < last) {
                long blockEnd = (i | (block - 1)) + 1;
                if (blockEnd > last) blockEnd = last;
                const long j = low[i & ((1L << LOW_BITS) - 1)] | (factor_index(i, highTargets, highCount) << lowCount);
                if (i & 1) {
                    const double re = p[2 * i], im = p[2 * i + 1];
                    p[2 * i] = re * f[2 * j] - im * f[2 * j + 1];
                    p[2 * i + 1] = re * f[2 * j + 1] + im * f[2 * j];
                    i++;
                }
                for (; i + 1 < blockEnd; i += 2) {
                    const __m256d v = _mm256_loadu_pd(p + 2 * i);
                    _mm256_storeu_pd(p + 2 * i, _mm256_fmadd_pd(_mm256_permute_pd(v, 0x5), fi[j], _mm256_mul_pd(v, fr[j])));
                }
                if (i < blockEnd) {
                    const double re = p[2 * i], im = p[2 * i + 1];
                    p[2 * i] = re * f[2 * j] - im * f[2 * j + 1];
                    p[2 * i + 1] = re * f[2 * j + 1] + im * f[2 * j];
                    i++;
                }
            }
            k = runEnd;
        }
        return;
    }
    // targets[0] = 0: pairs (×f_j, ×f_{j|1}), j even.
    __m256d pr[16], pim[16];
    for (long h = 0; h < dim / 2; h++) {
        const double *a = f + 4 * h, *b = f + 4 * h + 2;
        pr[h] = _mm256_setr_pd(a[0], a[0], b[0], b[0]);
        pim[h] = _mm256_setr_pd(-a[1], a[1], -b[1], b[1]);
    }
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i = insert_zero_bits_dp(k, positions, positionCount) | controlMask;
        const long last = i + (runEnd - k);
        long highPart = -1, highStretch = -1;
        while (i < last) {
            if ((i >> LOW_BITS) != highStretch) {
                highStretch = i >> LOW_BITS;
                highPart = factor_index(i, highTargets, highCount) << lowCount;
            }
            const long j = low[i & ((1L << LOW_BITS) - 1)] | highPart;
            if ((i & 1) || i + 1 >= last) {
                const double re = p[2 * i], im = p[2 * i + 1];
                p[2 * i] = re * f[2 * j] - im * f[2 * j + 1];
                p[2 * i + 1] = re * f[2 * j + 1] + im * f[2 * j];
                i++;
                continue;
            }
            const __m256d v = _mm256_loadu_pd(p + 2 * i);
            _mm256_storeu_pd(p + 2 * i, _mm256_fmadd_pd(_mm256_permute_pd(v, 0x5), pim[j >> 1], _mm256_mul_pd(v, pr[j >> 1])));
            i += 2;
        }
        k = runEnd;
    }
}

// ---- diagonal, float: whole 256-bit vectors when targets[0] ≥ 2, else the double loop's shape in
// 128-bit vectors ----------------------------------------------------------------------------------

__attribute__((target("avx2,fma")))
void verdant_diagonal_f32_avx2(float *p, long targetCount, const long *targets, const float *f, long controlMask,
                               const long *positions, long positionCount, long runLength, long start, long end) {
    const long dim = 1L << targetCount;
    long low[1 << LOW_BITS];
    long lowCount = 0;
    while (lowCount < targetCount && targets[lowCount] < LOW_BITS) lowCount++;
    for (long l = 0; l < (1L << LOW_BITS); l++) low[l] = factor_index(l, targets, lowCount);
    const long *highTargets = targets + lowCount;
    const long highCount = targetCount - lowCount;
    const long t0 = targets[0];
    long k = start;
    if (t0 >= 1) {
        __m256 fr[32], fi[32];
        __m128 gr[32], gi[32];
        for (long j = 0; j < dim; j++) {
            const float re = f[2 * j], im = f[2 * j + 1];
            fr[j] = _mm256_set1_ps(re);
            fi[j] = _mm256_setr_ps(-im, im, -im, im, -im, im, -im, im);
            gr[j] = _mm_set1_ps(re);
            gi[j] = _mm_setr_ps(-im, im, -im, im);
        }
        const long block = 1L << t0;
        while (k < end) {
            long runEnd = (k | (runLength - 1)) + 1;
            if (runEnd > end) runEnd = end;
            long i = insert_zero_bits_dp(k, positions, positionCount) | controlMask;
            const long last = i + (runEnd - k);
            while (i < last) {
                long blockEnd = (i | (block - 1)) + 1;
                if (blockEnd > last) blockEnd = last;
                const long j = low[i & ((1L << LOW_BITS) - 1)] | (factor_index(i, highTargets, highCount) << lowCount);
                for (; i < blockEnd && (i & 3); i++) {
                    const float re = p[2 * i], im = p[2 * i + 1];
                    p[2 * i] = re * f[2 * j] - im * f[2 * j + 1];
                    p[2 * i + 1] = re * f[2 * j + 1] + im * f[2 * j];
                }
                for (; i + 3 < blockEnd; i += 4) {
                    const __m256 v = _mm256_loadu_ps(p + 2 * i);
                    _mm256_storeu_ps(p + 2 * i, _mm256_fmadd_ps(_mm256_permute_ps(v, 0xB1), fi[j], _mm256_mul_ps(v, fr[j])));
                }
                for (; i + 1 < blockEnd; i += 2) {
                    const __m128 v = _mm_loadu_ps(p + 2 * i);
                    _mm_storeu_ps(p + 2 * i, _mm_fmadd_ps(_mm_permute_ps(v, 0xB1), gi[j], _mm_mul_ps(v, gr[j])));
                }
                for (; i < blockEnd; i++) {
                    const float re = p[2 * i], im = p[2 * i + 1];
                    p[2 * i] = re * f[2 * j] - im * f[2 * j + 1];
                    p[2 * i + 1] = re * f[2 * j + 1] + im * f[2 * j];
                }
            }
            k = runEnd;
        }
        return;
    }
    __m128 pr[16], pim[16];
    for (long h = 0; h < dim / 2; h++) {
        const float *a = f + 4 * h, *b = f + 4 * h + 2;
        pr[h] = _mm_setr_ps(a[0], a[0], b[0], b[0]);
        pim[h] = _mm_setr_ps(-a[1], a[1], -b[1], b[1]);
    }
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i = insert_zero_bits_dp(k, positions, positionCount) | controlMask;
        const long last = i + (runEnd - k);
        long highPart = -1, highStretch = -1;
        while (i < last) {
            if ((i >> LOW_BITS) != highStretch) {
                highStretch = i >> LOW_BITS;
                highPart = factor_index(i, highTargets, highCount) << lowCount;
            }
            const long j = low[i & ((1L << LOW_BITS) - 1)] | highPart;
            if ((i & 1) || i + 1 >= last) {
                const float re = p[2 * i], im = p[2 * i + 1];
                p[2 * i] = re * f[2 * j] - im * f[2 * j + 1];
                p[2 * i + 1] = re * f[2 * j + 1] + im * f[2 * j];
                i++;
                continue;
            }
            const __m128 v = _mm_loadu_ps(p + 2 * i);
            _mm_storeu_ps(p + 2 * i, _mm_fmadd_ps(_mm_permute_ps(v, 0xB1), pim[j >> 1], _mm_mul_ps(v, pr[j >> 1])));
            i += 2;
        }
        k = runEnd;
    }
}

// ---- permutation --------------------------------------------------------------------------------

#define PERMUTE_GROUP_SCALAR(T, p, base, offsets, sources, phases, moving, movingCount)      \
    do {                                                                                    \
        T hr[32], hi[32];                                                                   \
        for (long m = 0; m < (movingCount); m++) {                                          \
            const long s = (sources)[(moving)[m]];                                          \
            hr[m] = (p)[2 * ((base) | (offsets)[s])];                                       \
            hi[m] = (p)[2 * ((base) | (offsets)[s]) + 1];                                   \
        }                                                                                   \
        for (long m = 0; m < (movingCount); m++) {                                          \
            const long r = (moving)[m];                                                     \
            const long o = 2 * ((base) | (offsets)[r]);                                     \
            if (phases) {                                                                   \
                const T cr = (phases)[2 * r], ci = (phases)[2 * r + 1];                     \
                (p)[o] = hr[m] * cr - hi[m] * ci;                                           \
                (p)[o + 1] = hr[m] * ci + hi[m] * cr;                                       \
            } else {                                                                        \
                (p)[o] = hr[m];                                                             \
                (p)[o + 1] = hi[m];                                                         \
            }                                                                               \
        }                                                                                   \
    } while (0)

__attribute__((target("avx2,fma")))
void verdant_permutation_f64_avx2(double *p, const long *offsets, const long *sources, const double *phases,
                                  const long *moving, long movingCount, long controlMask, const long *positions,
                                  long positionCount, long runLength, long start, long end) {
    __m256d cr[32], ci[32];
    if (phases) {
        for (long m = 0; m < movingCount; m++) {
            const long r = moving[m];
            cr[m] = _mm256_set1_pd(phases[2 * r]);
            ci[m] = _mm256_setr_pd(-phases[2 * r + 1], phases[2 * r + 1], -phases[2 * r + 1], phases[2 * r + 1]);
        }
    }
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i = insert_zero_bits_dp(k, positions, positionCount) | controlMask;
        const long last = i + (runEnd - k);
        for (; i + 1 < last; i += 2) {
            __m256d held[32];
            for (long m = 0; m < movingCount; m++) held[m] = _mm256_loadu_pd(p + 2 * (i | offsets[sources[moving[m]]]));
            if (phases) {
                for (long m = 0; m < movingCount; m++) {
                    const __m256d v = held[m];
                    _mm256_storeu_pd(p + 2 * (i | offsets[moving[m]]),
                                     _mm256_fmadd_pd(_mm256_permute_pd(v, 0x5), ci[m], _mm256_mul_pd(v, cr[m])));
                }
            } else {
                for (long m = 0; m < movingCount; m++) _mm256_storeu_pd(p + 2 * (i | offsets[moving[m]]), held[m]);
            }
        }
        if (i < last) PERMUTE_GROUP_SCALAR(double, p, i, offsets, sources, phases, moving, movingCount);
        k = runEnd;
    }
}

__attribute__((target("avx2,fma")))
void verdant_permutation_f32_avx2(float *p, const long *offsets, const long *sources, const float *phases,
                                  const long *moving, long movingCount, long controlMask, const long *positions,
                                  long positionCount, long runLength, long start, long end) {
    __m256 cr[32], ci[32];
    __m128 dr[32], di[32];
    if (phases) {
        for (long m = 0; m < movingCount; m++) {
            const long r = moving[m];
            const float re = phases[2 * r], im = phases[2 * r + 1];
            cr[m] = _mm256_set1_ps(re);
            ci[m] = _mm256_setr_ps(-im, im, -im, im, -im, im, -im, im);
            dr[m] = _mm_set1_ps(re);
            di[m] = _mm_setr_ps(-im, im, -im, im);
        }
    }
    long k = start;
    while (k < end) {
        long runEnd = (k | (runLength - 1)) + 1;
        if (runEnd > end) runEnd = end;
        long i = insert_zero_bits_dp(k, positions, positionCount) | controlMask;
        const long last = i + (runEnd - k);
        for (; i + 3 < last; i += 4) {
            __m256 held[32];
            for (long m = 0; m < movingCount; m++) held[m] = _mm256_loadu_ps(p + 2 * (i | offsets[sources[moving[m]]]));
            for (long m = 0; m < movingCount; m++) {
                const __m256 v = held[m];
                _mm256_storeu_ps(p + 2 * (i | offsets[moving[m]]),
                                 phases ? _mm256_fmadd_ps(_mm256_permute_ps(v, 0xB1), ci[m], _mm256_mul_ps(v, cr[m])) : v);
            }
        }
        for (; i + 1 < last; i += 2) {
            __m128 held[32];
            for (long m = 0; m < movingCount; m++) held[m] = _mm_loadu_ps(p + 2 * (i | offsets[sources[moving[m]]]));
            for (long m = 0; m < movingCount; m++) {
                const __m128 v = held[m];
                _mm_storeu_ps(p + 2 * (i | offsets[moving[m]]),
                              phases ? _mm_fmadd_ps(_mm_permute_ps(v, 0xB1), di[m], _mm_mul_ps(v, dr[m])) : v);
            }
        }
        if (i < last) PERMUTE_GROUP_SCALAR(float, p, i, offsets, sources, phases, moving, movingCount);
        k = runEnd;
    }
}

#else

void verdant_diagonal_f64_avx2(double *p, long targetCount, const long *targets, const double *f, long controlMask,
                               const long *positions, long positionCount, long runLength, long start, long end) {}
void verdant_diagonal_f32_avx2(float *p, long targetCount, const long *targets, const float *f, long controlMask,
                               const long *positions, long positionCount, long runLength, long start, long end) {}
void verdant_permutation_f64_avx2(double *p, const long *offsets, const long *sources, const double *phases,
                                  const long *moving, long movingCount, long controlMask, const long *positions,
                                  long positionCount, long runLength, long start, long end) {}
void verdant_permutation_f32_avx2(float *p, const long *offsets, const long *sources, const float *phases,
                                  const long *moving, long movingCount, long controlMask, const long *positions,
                                  long positionCount, long runLength, long start, long end) {}

#endif

// ---- one segment of a folded diagonal run (Quantum's PhaseRun) ------------------------------------
// G[m] = ch · Π_{k ∈ m} u_k for m < 2^split, built by doubling (G[m | 2^k] = G[m]·u_k), then
// amps[m] *= G[m] (· B[m] when B is given). Complex products of interleaved vectors x·y:
// fmaddsub(x, Re y, swap(x)·Im y) = (x.re·y.re − x.im·y.im, x.im·y.re + x.re·y.im).

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))

__attribute__((target("avx2,fma")))
static inline __m256d cmul_pd(__m256d x, __m256d yre, __m256d yim) {
    return _mm256_fmaddsub_pd(x, yre, _mm256_mul_pd(_mm256_permute_pd(x, 0x5), yim));
}

__attribute__((target("avx2,fma")))
static inline __m256 cmul_ps(__m256 x, __m256 yre, __m256 yim) {
    return _mm256_fmaddsub_ps(x, yre, _mm256_mul_ps(_mm256_permute_ps(x, 0xB1), yim));
}

// A segment without linear terms (u NULL): amps[m] *= ch · b[m] (one complex product when ch is 1),
// for both precisions: V the vector type, S the intrinsics' suffix, W complex numbers per vector,
// RE(w)/IM(w) the vector of w's real/imaginary parts repeated in each pair.
#define PHASE_SEGMENT_CONSTANT_G(V, S, W, RE, IM)                                                     \
    if (u == NULL && b != NULL && size >= W) {                                                      \
        const int one = chr == 1 && chi == 0;                                                       \
        const V cr = _mm256_set1_##S(chr), ci = _mm256_set1_##S(chi);                               \
        for (long m = 0; m < size; m += W) {                                                        \
            V w = _mm256_loadu_##S(b + 2 * m);                                                      \
            if (!one) w = cmul_##S(w, cr, ci);                                                      \
            const V a = _mm256_loadu_##S(amps + 2 * m);                                             \
            _mm256_storeu_##S(amps + 2 * m, cmul_##S(a, RE(w), IM(w)));                             \
        }                                                                                           \
        return;                                                                                     \
    }
#define PHASE_RE_PD(w) _mm256_movedup_pd(w)
#define PHASE_IM_PD(w) _mm256_permute_pd(w, 0xF)
#define PHASE_RE_PS(w) _mm256_moveldup_ps(w)
#define PHASE_IM_PS(w) _mm256_movehdup_ps(w)

__attribute__((target("avx2,fma")))
void verdant_phase_segment_f64_avx2(double *amps, long split, const double *u, double chr, double chi, const double *b,
                                    double *g) {
    const long size = 1L << split;
    PHASE_SEGMENT_CONSTANT_G(__m256d, pd, 2, PHASE_RE_PD, PHASE_IM_PD)
    g[0] = chr;
    g[1] = chi;
    for (long k = 0; k < split; k++) {
        const long n = 1L << k;
        const double ur = u[2 * k], ui = u[2 * k + 1];
        if (n >= 2) {
            const __m256d yre = _mm256_set1_pd(ur), yim = _mm256_set1_pd(ui);
            for (long m = 0; m < n; m += 2) _mm256_storeu_pd(g + 2 * (n + m), cmul_pd(_mm256_loadu_pd(g + 2 * m), yre, yim));
        } else {
            g[2] = g[0] * ur - g[1] * ui;
            g[3] = g[0] * ui + g[1] * ur;
        }
    }
    if (size < 2) {
        const double ar = amps[0], ai = amps[1];
        double fr = g[0], fi = g[1];
        if (b) {
            const double tr = fr * b[0] - fi * b[1];
            fi = fr * b[1] + fi * b[0];
            fr = tr;
        }
        amps[0] = ar * fr - ai * fi;
        amps[1] = ar * fi + ai * fr;
        return;
    }
    for (long m = 0; m < size; m += 2) {
        __m256d w = _mm256_loadu_pd(g + 2 * m);
        if (b) {
            const __m256d v = _mm256_loadu_pd(b + 2 * m);
            w = cmul_pd(w, _mm256_movedup_pd(v), _mm256_permute_pd(v, 0xF));
        }
        const __m256d a = _mm256_loadu_pd(amps + 2 * m);
        _mm256_storeu_pd(amps + 2 * m, cmul_pd(a, _mm256_movedup_pd(w), _mm256_permute_pd(w, 0xF)));
    }
}

__attribute__((target("avx2,fma")))
void verdant_phase_segment_f32_avx2(float *amps, long split, const float *u, float chr, float chi, const float *b,
                                    float *g) {
    const long size = 1L << split;
    PHASE_SEGMENT_CONSTANT_G(__m256, ps, 4, PHASE_RE_PS, PHASE_IM_PS)
    g[0] = chr;
    g[1] = chi;
    for (long k = 0; k < split; k++) {
        const long n = 1L << k;
        const float ur = u[2 * k], ui = u[2 * k + 1];
        if (n >= 4) {
            const __m256 yre = _mm256_set1_ps(ur), yim = _mm256_set1_ps(ui);
            for (long m = 0; m < n; m += 4) _mm256_storeu_ps(g + 2 * (n + m), cmul_ps(_mm256_loadu_ps(g + 2 * m), yre, yim));
        } else {
            for (long m = 0; m < n; m++) {
                g[2 * (n + m)] = g[2 * m] * ur - g[2 * m + 1] * ui;
                g[2 * (n + m) + 1] = g[2 * m] * ui + g[2 * m + 1] * ur;
            }
        }
    }
    long m = 0;
    for (; m + 3 < size; m += 4) {
        __m256 w = _mm256_loadu_ps(g + 2 * m);
        if (b) {
            const __m256 v = _mm256_loadu_ps(b + 2 * m);
            w = cmul_ps(w, _mm256_moveldup_ps(v), _mm256_movehdup_ps(v));
        }
        const __m256 a = _mm256_loadu_ps(amps + 2 * m);
        _mm256_storeu_ps(amps + 2 * m, cmul_ps(a, _mm256_moveldup_ps(w), _mm256_movehdup_ps(w)));
    }
    for (; m < size; m++) {
        float fr = g[2 * m], fi = g[2 * m + 1];
        if (b) {
            const float tr = fr * b[2 * m] - fi * b[2 * m + 1];
            fi = fr * b[2 * m + 1] + fi * b[2 * m];
            fr = tr;
        }
        const float ar = amps[2 * m], ai = amps[2 * m + 1];
        amps[2 * m] = ar * fr - ai * fi;
        amps[2 * m + 1] = ar * fi + ai * fr;
    }
}

#else

void verdant_phase_segment_f64_avx2(double *amps, long split, const double *u, double chr, double chi, const double *b,
                                    double *g) {}
void verdant_phase_segment_f32_avx2(float *amps, long split, const float *u, float chr, float chi, const float *b,
                                    float *g) {}

#endif
