// What a cache-blocked pass pays to gather and scatter its blocks, by the length of the runs its
// local qubits give. A stand-alone experiment for issue 15 (2026-12-07): a 2^24-amplitude
// single-precision state, 16 local qubits (the set is the LOCALS macro), each block copied into a
// scratch buffer (Verdant's verdant_gather_avx2 / verdant_scatter_avx2 loops, Sources/CQuantumKernels/
// flip.c), K one-target dense kernels run on it, and copied back:
//
//   clang -O2 -DLOCALS=0,1,2,3,4,6,8,11,12,14,15,16,17,19,20,21 -o gather_runs gather_runs.c
//   ./gather_runs K MODE
//
// MODE 0: gather, K kernels, scatter; 1: gather with each run's lines prefetched 16 runs ahead;
// 2: scatter with non-temporal stores; 3: gather only; 4: scatter only; 5: no copies, the K
// kernels run in place on each of the block's runs (targets inside the runs only, so it measures
// the memory side, not a general in-place pass). Prints the best of 5 runs in ms.
//
// Result on the 2-core AMD EPYC (docs/benchmarks.md, "Lookahead pass scheduling"): with the local
// set above (random-24's first pass: runs of 2^5 amplitudes, 256 bytes) gather + scatter take
// 16–18 ms per sweep, against 10–11 ms with runs of 64 KiB (LOCALS=0,...,12,17,20,23) and 5.3 ms
// for a streaming in-place sweep (`verdant bench --cases sweep`); prefetching gains at most 8 %,
// non-temporal stores nothing (18–19 ms); with K = 12 kernels, no copies save ~7.5 ms per sweep with
// 64 KiB runs (37 against 44.5 ms) but double the time with 256-byte runs (102 against 52–53 ms:
// the kernels then work on 32-amplitude runs, and a block's 2^16 amplitudes fall on a quarter of
// L2's sets).
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 24
#define L 16
#ifndef LOCALS
#define LOCALS 0, 1, 2, 3, 4, 6, 8, 11, 12, 14, 15, 16, 17, 19, 20, 21
#endif
static const long locals[L] = {LOCALS};
static long runs, runBytes, runQubits;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

// One-target dense kernel on a 2^q-amplitude array (target ≥ 2), shaped like dense1.c's.
__attribute__((target("avx2,fma"))) static void dense1(float *p, long q, long t, const float *m) {
    const long stride = 1L << t, pairs = 1L << (q - 1);
    const __m256 r00 = _mm256_set1_ps(m[0]), i00 = _mm256_set1_ps(m[1]), r01 = _mm256_set1_ps(m[2]), i01 = _mm256_set1_ps(m[3]);
    const __m256 r10 = _mm256_set1_ps(m[4]), i10 = _mm256_set1_ps(m[5]), r11 = _mm256_set1_ps(m[6]), i11 = _mm256_set1_ps(m[7]);
    for (long k = 0; k < pairs; k += 4) {
        const long i = ((k >> t) << (t + 1)) | (k & (stride - 1));
        float *pa = p + 2 * i, *pb = p + 2 * (i + stride);
        const __m256 a = _mm256_loadu_ps(pa), b = _mm256_loadu_ps(pb);
        const __m256 as = _mm256_permute_ps(a, 0xB1), bs = _mm256_permute_ps(b, 0xB1);
        _mm256_storeu_ps(pa, _mm256_addsub_ps(_mm256_fmadd_ps(b, r01, _mm256_mul_ps(a, r00)), _mm256_fmadd_ps(bs, i01, _mm256_mul_ps(as, i00))));
        _mm256_storeu_ps(pb, _mm256_addsub_ps(_mm256_fmadd_ps(b, r11, _mm256_mul_ps(a, r10)), _mm256_fmadd_ps(bs, i11, _mm256_mul_ps(as, i10))));
    }
}

__attribute__((target("avx2"))) static void gather(char *block, const char *state, const long *offsets, int prefetch) {
    for (long u = 0; u < runs; u++) {
        if (prefetch && u + 16 < runs)
            for (long b = 0; b < runBytes; b += 64) _mm_prefetch(state + offsets[u + 16] + b, _MM_HINT_T0);
        const char *from = state + offsets[u];
        char *to = block + u * runBytes;
        for (long b = 0; b < runBytes; b += 64) {
            const __m256i x = _mm256_loadu_si256((const __m256i *)(from + b)), y = _mm256_loadu_si256((const __m256i *)(from + b + 32));
            _mm256_storeu_si256((__m256i *)(to + b), x);
            _mm256_storeu_si256((__m256i *)(to + b + 32), y);
        }
    }
}

__attribute__((target("avx2"))) static void scatter(const char *block, char *state, const long *offsets, int streaming) {
    for (long u = 0; u < runs; u++) {
        const char *from = block + u * runBytes;
        char *to = state + offsets[u];
        for (long b = 0; b < runBytes; b += 64) {
            const __m256i x = _mm256_load_si256((const __m256i *)(from + b)), y = _mm256_load_si256((const __m256i *)(from + b + 32));
            if (streaming) {
                _mm256_stream_si256((__m256i *)(to + b), x);
                _mm256_stream_si256((__m256i *)(to + b + 32), y);
            } else {
                _mm256_storeu_si256((__m256i *)(to + b), x);
                _mm256_storeu_si256((__m256i *)(to + b + 32), y);
            }
        }
    }
    if (streaming) _mm_sfence();
}

int main(int argc, char **argv) {
    const int K = argc > 1 ? atoi(argv[1]) : 12, mode = argc > 2 ? atoi(argv[2]) : 0;
    const long n = 1L << N;
    float *state = aligned_alloc(64, n * 8);
    memset(state, 0, n * 8);
    for (long i = 0; i < 2 * n; i += 7) state[i] = 1e-4f;
    while (runQubits < L && locals[runQubits] == runQubits) runQubits++;
    runBytes = (1L << runQubits) * 8;
    runs = (1L << L) >> runQubits;
    const long blocks = 1L << (N - L);
    long outside[N], outsideCount = 0;
    for (long q = 0; q < N; q++) {
        int local = 0;
        for (int j = 0; j < L; j++) local |= locals[j] == q;
        if (!local) outside[outsideCount++] = q;
    }
    long *offsets = malloc(sizeof(long) * runs * blocks);
    for (long b = 0; b < blocks; b++) {
        long base = 0;
        for (long j = 0; j < outsideCount; j++) if ((b >> j) & 1) base |= 1L << outside[j];
        for (long u = 0; u < runs; u++) {
            long index = base;
            for (long j = runQubits; j < L; j++) if ((u >> (j - runQubits)) & 1) index |= 1L << locals[j];
            offsets[b * runs + u] = index * 8;
        }
    }
    float *block = aligned_alloc(64, (1L << L) * 8);
    const float m[8] = {0.6f, 0.1f, 0.2f, -0.7f, 0.3f, 0.5f, 0.8f, -0.1f};
    const long lowest = runQubits > 2 ? 2 : runQubits;  // kernel targets: 2 … runQubits − 1 in place, 2 … L − 1 copied
    double best = 1e9;
    for (int repeat = 0; repeat < 5; repeat++) {
        const double t0 = now();
        for (long b = 0; b < blocks; b++) {
            const long *o = offsets + b * runs;
            if (mode == 5) {
                for (int k = 0; k < K && runQubits > 2; k++) {
                    const long t = lowest + (k * 5) % (runQubits - lowest);
                    for (long u = 0; u < runs; u++) dense1((float *)((char *)state + o[u]), runQubits, t, m);
                }
                continue;
            }
            if (mode != 4) gather((char *)block, (const char *)state, o, mode == 1);
            for (int k = 0; k < K; k++) dense1(block, L, 2 + (k * 5) % (L - 2), m);
            if (mode != 3) scatter((const char *)block, (char *)state, o, mode == 2);
        }
        const double t = now() - t0;
        if (t < best) best = t;
    }
    printf("K=%d mode=%d runs of %ld bytes: %.1f ms\n", K, mode, runBytes, best * 1e3);
    return 0;
}
