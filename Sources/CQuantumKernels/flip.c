#include "QuantumKernels.h"

// X on one target, controlled (CX, CCX, multi-controlled X): the pairs (i, i + 2^target) of the
// controlled part exchange places, no arithmetic. Arguments as dense1.c: free indices start..<end
// skip `positions` (the target and every control), `controlMask` holds the controls.
//
// The loop works on whole vectors (2 complex numbers for double, 4 for float): controls below the
// vector width (qubit 0, and qubit 1 for float) do not split the index space into short runs;
// they pick the lanes that move, and the exchange is a blend of the vector at i with the vector at
// i + 2^target. A vector covers 2^(lanes bits − low fixed bits) consecutive free indices, so the
// loop steps through free indices by that many. The target must be at or above the vector width
// (the Swift loops handle a target inside a vector).

static inline long insert_zero_bits_f(long k, const long *positions, long count) {
    for (long j = 0; j < count; j++) {
        long p = positions[j];
        long low = k & ((1L << p) - 1);
        k = ((k >> p) << (p + 1)) | low;
    }
    return k;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// The vectors of the range: vector free index v covers free indices v·perVector … (v+1)·perVector − 1;
// its first amplitude is insert_zero_bits(v·2^lanes, high positions) | high controls, and
// consecutive v give consecutive vectors until the lowest high position carries.
#define FLIP_VECTOR_LOOP(...)                                                                      \
    long highCount = 0;                                                                           \
    while (highCount < positionCount && positions[positionCount - 1 - highCount] >= LANE_BITS) highCount++; \
    const long *high = positions + (positionCount - highCount);                                  \
    const long vectorRun = highCount > 0 ? 1L << (high[0] - LANE_BITS) : (1L << 62);             \
    long v = (k + perVector - 1) / perVector;                                                    \
    const long vEnd = end / perVector;                                                           \
    while (v < vEnd) {                                                                           \
        long runEnd = (v | (vectorRun - 1)) + 1;                                                 \
        if (runEnd > vEnd) runEnd = vEnd;                                                        \
        long e = insert_zero_bits_f(v << LANE_BITS, high, highCount) | highControls;              \
        for (; v < runEnd; v++, e += 1L << LANE_BITS) { __VA_ARGS__ }                                  \
    }                                                                                             \
    k = vEnd * perVector > k ? vEnd * perVector : k;

__attribute__((target("avx2,fma")))
void verdant_flip_f64_avx2(double *p, long target, long controlMask, const long *positions, long positionCount,
                           long start, long end) {
    // One vector: amplitudes e, e + 1 (bit 0 varies). A control on qubit 0 moves only lane 1.
#define LANE_BITS 1
    const long stride = 1L << target;
    const int lowControl = (int)(controlMask & 1);
    const long perVector = lowControl ? 1 : 2;
    const long highControls = controlMask & ~1L;
    long k = start;
    // Free indices before the first whole vector, one amplitude at a time.
    for (; k < end && (k % perVector); k++) {
        const long i0 = insert_zero_bits_f(k, positions, positionCount) | controlMask;
        const __m128d a = _mm_loadu_pd(p + 2 * i0), b = _mm_loadu_pd(p + 2 * (i0 + stride));
        _mm_storeu_pd(p + 2 * i0, b);
        _mm_storeu_pd(p + 2 * (i0 + stride), a);
    }
    if (lowControl) {
        FLIP_VECTOR_LOOP({
            const __m256d x = _mm256_loadu_pd(p + 2 * e), w = _mm256_loadu_pd(p + 2 * (e + stride));
            _mm256_storeu_pd(p + 2 * e, _mm256_blend_pd(x, w, 0xC));
            _mm256_storeu_pd(p + 2 * (e + stride), _mm256_blend_pd(w, x, 0xC));
        })
    } else {
        FLIP_VECTOR_LOOP({
            const __m256d x = _mm256_loadu_pd(p + 2 * e), w = _mm256_loadu_pd(p + 2 * (e + stride));
            _mm256_storeu_pd(p + 2 * e, w);
            _mm256_storeu_pd(p + 2 * (e + stride), x);
        })
    }
    for (; k < end; k++) {
        const long i0 = insert_zero_bits_f(k, positions, positionCount) | controlMask;
        const __m128d a = _mm_loadu_pd(p + 2 * i0), b = _mm_loadu_pd(p + 2 * (i0 + stride));
        _mm_storeu_pd(p + 2 * i0, b);
        _mm_storeu_pd(p + 2 * (i0 + stride), a);
    }
#undef LANE_BITS
}

__attribute__((target("avx2,fma")))
void verdant_flip_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                           long start, long end) {
    // One vector: amplitudes e … e + 3 (bits 0 and 1 vary). Controls on qubits 0, 1 pick lanes.
#define LANE_BITS 2
    const long stride = 1L << target;
    const long low = controlMask & 3;
    const long perVector = 4L >> __builtin_popcountl(low);
    const long highControls = controlMask & ~3L;
    // The float lanes of complex numbers whose index has every low control bit set.
    const int mask = low == 0 ? 0xFF : low == 1 ? 0xCC : low == 2 ? 0xF0 : 0xC0;
    long k = start;
    for (; k < end && (k % perVector); k++) {
        const long i0 = insert_zero_bits_f(k, positions, positionCount) | controlMask;
        const double a = *(double *)(p + 2 * i0);
        *(double *)(p + 2 * i0) = *(double *)(p + 2 * (i0 + stride));
        *(double *)(p + 2 * (i0 + stride)) = a;
    }
    switch (mask) {
    case 0xFF: {
        FLIP_VECTOR_LOOP({
            const __m256 x = _mm256_loadu_ps(p + 2 * e), w = _mm256_loadu_ps(p + 2 * (e + stride));
            _mm256_storeu_ps(p + 2 * e, w);
            _mm256_storeu_ps(p + 2 * (e + stride), x);
        })
        break;
    }
    case 0xCC: {
        FLIP_VECTOR_LOOP({
            const __m256 x = _mm256_loadu_ps(p + 2 * e), w = _mm256_loadu_ps(p + 2 * (e + stride));
            _mm256_storeu_ps(p + 2 * e, _mm256_blend_ps(x, w, 0xCC));
            _mm256_storeu_ps(p + 2 * (e + stride), _mm256_blend_ps(w, x, 0xCC));
        })
        break;
    }
    case 0xF0: {
        FLIP_VECTOR_LOOP({
            const __m256 x = _mm256_loadu_ps(p + 2 * e), w = _mm256_loadu_ps(p + 2 * (e + stride));
            _mm256_storeu_ps(p + 2 * e, _mm256_blend_ps(x, w, 0xF0));
            _mm256_storeu_ps(p + 2 * (e + stride), _mm256_blend_ps(w, x, 0xF0));
        })
        break;
    }
    default: {
        FLIP_VECTOR_LOOP({
            const __m256 x = _mm256_loadu_ps(p + 2 * e), w = _mm256_loadu_ps(p + 2 * (e + stride));
            _mm256_storeu_ps(p + 2 * e, _mm256_blend_ps(x, w, 0xC0));
            _mm256_storeu_ps(p + 2 * (e + stride), _mm256_blend_ps(w, x, 0xC0));
        })
        break;
    }
    }
    for (; k < end; k++) {
        const long i0 = insert_zero_bits_f(k, positions, positionCount) | controlMask;
        const double a = *(double *)(p + 2 * i0);
        *(double *)(p + 2 * i0) = *(double *)(p + 2 * (i0 + stride));
        *(double *)(p + 2 * (i0 + stride)) = a;
    }
#undef LANE_BITS
}

// Float, target 0 or 1: both amplitudes of a pair lie in one vector (lanes l and l ^ 2^target).
// The other lane bit is free (two pairs per vector) or a control (one pair, a blend); as in the
// loop above, a fixed bit below the vector width is a control (held bits are at qubit 2 or above).
__attribute__((target("avx2,fma")))
void verdant_flip_low_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                               long start, long end) {
#define LANE_BITS 2
    const long stride = 1L << target;
    const long other = target ^ 1;
    const int otherControl = (int)((controlMask >> other) & 1);
    const long perVector = otherControl ? 1 : 2;
    const long highControls = controlMask & ~3L;
    long k = start;
    for (; k < end && (k % perVector); k++) {
        const long i0 = insert_zero_bits_f(k, positions, positionCount) | controlMask;
        const double a = *(double *)(p + 2 * i0);
        *(double *)(p + 2 * i0) = *(double *)(p + 2 * (i0 + stride));
        *(double *)(p + 2 * (i0 + stride)) = a;
    }
    if (target == 1) {
        if (otherControl) {
            FLIP_VECTOR_LOOP({ const __m256 x = _mm256_loadu_ps(p + 2 * e); _mm256_storeu_ps(p + 2 * e, _mm256_blend_ps(x, _mm256_permute2f128_ps(x, x, 0x01), 0xCC)); })
        } else {
            FLIP_VECTOR_LOOP({ const __m256 x = _mm256_loadu_ps(p + 2 * e); _mm256_storeu_ps(p + 2 * e, _mm256_permute2f128_ps(x, x, 0x01)); })
        }
    } else {
        if (otherControl) {
            FLIP_VECTOR_LOOP({ const __m256 x = _mm256_loadu_ps(p + 2 * e); _mm256_storeu_ps(p + 2 * e, _mm256_blend_ps(x, _mm256_permute_ps(x, 0x4E), 0xF0)); })
        } else {
            FLIP_VECTOR_LOOP({ const __m256 x = _mm256_loadu_ps(p + 2 * e); _mm256_storeu_ps(p + 2 * e, _mm256_permute_ps(x, 0x4E)); })
        }
    }
    for (; k < end; k++) {
        const long i0 = insert_zero_bits_f(k, positions, positionCount) | controlMask;
        const double a = *(double *)(p + 2 * i0);
        *(double *)(p + 2 * i0) = *(double *)(p + 2 * (i0 + stride));
        *(double *)(p + 2 * (i0 + stride)) = a;
    }
#undef LANE_BITS
}

#else

void verdant_flip_f64_avx2(double *p, long target, long controlMask, const long *positions, long positionCount,
                           long start, long end) {}
void verdant_flip_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                           long start, long end) {}
void verdant_flip_low_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                               long start, long end) {}

#endif

// ---- gathering and scattering a pass's cache block -----------------------------------------------
// `runs` runs of `runBytes` bytes (a multiple of 32) at byte offsets offsets[u] from `state`, to and
// from consecutive places in `block`: whole-vector copies without a library call per run (the runs
// of a pass are often 256–512 bytes).

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))

__attribute__((target("avx2")))
void verdant_gather_avx2(char *block, const char *state, const long *offsets, long runs, long runBytes) {
    for (long u = 0; u < runs; u++) {
        const char *from = state + offsets[u];
        char *to = block + u * runBytes;
        for (long b = 0; b < runBytes; b += 64) {
            const __m256i x = _mm256_loadu_si256((const __m256i *)(from + b));
            const __m256i y = _mm256_loadu_si256((const __m256i *)(from + b + 32));
            _mm256_storeu_si256((__m256i *)(to + b), x);
            _mm256_storeu_si256((__m256i *)(to + b + 32), y);
        }
    }
}

__attribute__((target("avx2")))
void verdant_scatter_avx2(const char *block, char *state, const long *offsets, long runs, long runBytes) {
    for (long u = 0; u < runs; u++) {
        const char *from = block + u * runBytes;
        char *to = state + offsets[u];
        for (long b = 0; b < runBytes; b += 64) {
            const __m256i x = _mm256_loadu_si256((const __m256i *)(from + b));
            const __m256i y = _mm256_loadu_si256((const __m256i *)(from + b + 32));
            _mm256_storeu_si256((__m256i *)(to + b), x);
            _mm256_storeu_si256((__m256i *)(to + b + 32), y);
        }
    }
}

#else

void verdant_gather_avx2(char *block, const char *state, const long *offsets, long runs, long runBytes) {}
void verdant_scatter_avx2(const char *block, char *state, const long *offsets, long runs, long runBytes) {}

#endif

// ---- X controlled by a parity (a run of CX gates on one target) ---------------------------------
// Pairs (i, i + 2^target), i with the target bit 0, exchange where parity(i & parityMask) is 1
// (0 when `invert`). Free indices skip the target only; the target must be at or above the vector
// width. In a vector, the parity of the bits above the lanes is one number and the lanes' own
// bits pick which lanes move (a blend, as for low controls above).

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))

__attribute__((target("avx2,fma")))
void verdant_parity_flip_f64_avx2(double *p, long target, long parityMask, long invert, long start, long end) {
    const long stride = 1L << target;
    const long lowMask = parityMask & 1, highMask = parityMask & ~1L;
    // Lanes (amplitudes e, e + 1) that move when the high parity is 0 / 1.
    const int moveEven = lowMask ? 0xC : 0x0, moveOdd = lowMask ? 0x3 : 0xF;
    long k = start;
    if (k < end && (k & 1)) {
        const long i0 = ((k >> target) << (target + 1)) | (k & (stride - 1));
        if (((__builtin_popcountl(i0 & parityMask) & 1) ^ invert) != 0) {
            const __m128d a = _mm_loadu_pd(p + 2 * i0), b = _mm_loadu_pd(p + 2 * (i0 + stride));
            _mm_storeu_pd(p + 2 * i0, b);
            _mm_storeu_pd(p + 2 * (i0 + stride), a);
        }
        k++;
    }
    for (; k + 1 < end; k += 2) {
        const long e = ((k >> target) << (target + 1)) | (k & (stride - 1));
        const int odd = (__builtin_popcountl(e & highMask) & 1) ^ (int)invert;
        const int lanes = odd ? moveOdd : moveEven;
        if (lanes == 0) continue;
        const __m256d v = _mm256_loadu_pd(p + 2 * e), w = _mm256_loadu_pd(p + 2 * (e + stride));
        if (lanes == 0xF) {
            _mm256_storeu_pd(p + 2 * e, w);
            _mm256_storeu_pd(p + 2 * (e + stride), v);
        } else if (lanes == 0xC) {
            _mm256_storeu_pd(p + 2 * e, _mm256_blend_pd(v, w, 0xC));
            _mm256_storeu_pd(p + 2 * (e + stride), _mm256_blend_pd(w, v, 0xC));
        } else {
            _mm256_storeu_pd(p + 2 * e, _mm256_blend_pd(v, w, 0x3));
            _mm256_storeu_pd(p + 2 * (e + stride), _mm256_blend_pd(w, v, 0x3));
        }
    }
    if (k < end) {
        const long i0 = ((k >> target) << (target + 1)) | (k & (stride - 1));
        if (((__builtin_popcountl(i0 & parityMask) & 1) ^ invert) != 0) {
            const __m128d a = _mm_loadu_pd(p + 2 * i0), b = _mm_loadu_pd(p + 2 * (i0 + stride));
            _mm_storeu_pd(p + 2 * i0, b);
            _mm_storeu_pd(p + 2 * (i0 + stride), a);
        }
    }
}

__attribute__((target("avx2,fma")))
void verdant_parity_flip_f32_avx2(float *p, long target, long parityMask, long invert, long start, long end) {
    const long stride = 1L << target;
    const long lowMask = parityMask & 3, highMask = parityMask & ~3L;
    // Float-lane blend masks of the complex lanes 0…3 whose own parity is 1 (moveOdd's complement).
    int laneOdd = 0;
    for (int lane = 0; lane < 4; lane++) {
        if (__builtin_popcount(lane & (int)lowMask) & 1) laneOdd |= 3 << (2 * lane);
    }
    const int moveEven = laneOdd, moveOdd = 0xFF & ~laneOdd;
    long k = start;
    for (; k < end && (k & 3); k++) {
        const long i0 = ((k >> target) << (target + 1)) | (k & (stride - 1));
        if (((__builtin_popcountl(i0 & parityMask) & 1) ^ invert) != 0) {
            const double a = *(double *)(p + 2 * i0);
            *(double *)(p + 2 * i0) = *(double *)(p + 2 * (i0 + stride));
            *(double *)(p + 2 * (i0 + stride)) = a;
        }
    }
    for (; k + 3 < end; k += 4) {
        const long e = ((k >> target) << (target + 1)) | (k & (stride - 1));
        const int odd = (__builtin_popcountl(e & highMask) & 1) ^ (int)invert;
        const int lanes = odd ? moveOdd : moveEven;
        if (lanes == 0) continue;
        const __m256 v = _mm256_loadu_ps(p + 2 * e), w = _mm256_loadu_ps(p + 2 * (e + stride));
        if (lanes == 0xFF) {
            _mm256_storeu_ps(p + 2 * e, w);
            _mm256_storeu_ps(p + 2 * (e + stride), v);
        } else {
            // Blend with a variable mask: select per float by the mask's bits.
            const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
            const __m256 select = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(lanes), bits), bits));
            _mm256_storeu_ps(p + 2 * e, _mm256_blendv_ps(v, w, select));
            _mm256_storeu_ps(p + 2 * (e + stride), _mm256_blendv_ps(w, v, select));
        }
    }
    for (; k < end; k++) {
        const long i0 = ((k >> target) << (target + 1)) | (k & (stride - 1));
        if (((__builtin_popcountl(i0 & parityMask) & 1) ^ invert) != 0) {
            const double a = *(double *)(p + 2 * i0);
            *(double *)(p + 2 * i0) = *(double *)(p + 2 * (i0 + stride));
            *(double *)(p + 2 * (i0 + stride)) = a;
        }
    }
}

#else

void verdant_parity_flip_f64_avx2(double *p, long target, long parityMask, long invert, long start, long end) {}
void verdant_parity_flip_f32_avx2(float *p, long target, long parityMask, long invert, long start, long end) {}

#endif
