// Wide-vector state kernels for Quantum's one-target dense gates, chosen at run time.
// The portable kernels are in Swift (Sources/Quantum/Kernels/Dense.swift, the *Portable loops);
// these use AVX2 and FMA when the CPU has them, without tying the binary to such a CPU
// (function-level target attributes). Same arguments and meaning as the Swift loops:
// amplitudes as interleaved (re, im); a 2 × 2 matrix as 8 numbers, row-major (re, im);
// free indices start..<end; `positions` (ascending, `positionCount` of them) are the bit
// positions a free index skips; `controlMask` the bits set in every visited pair.
#ifndef VERDANT_QUANTUM_KERNELS_H
#define VERDANT_QUANTUM_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the *_avx2 kernels (x86-64 with AVX2 and FMA), else 0.
int verdant_state_avx2_available(void);

/// A 2 × 2 matrix on `target` ≥ 1: pairs (i0, i0 + 2^target), i0 from free index k by inserting
/// zeros at `positions` and setting `controlMask`; consecutive free indices give consecutive i0
/// for `runLength` steps.
void verdant_dense1_f64_avx2(double *p, long target, long controlMask, const long *positions, long positionCount,
                             long runLength, const double *matrix, long start, long end);
void verdant_dense1_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                             long runLength, const float *matrix, long start, long end);

/// A 2 × 2 matrix on qubit 0 with controls or held bits: pair (i0, i0 + 1), i0 from free index k
/// by inserting zeros at `positions` (0 among them) and setting `controlMask`.
void verdant_dense1_low_f64_avx2(double *p, long controlMask, const long *positions, long positionCount,
                                 const double *matrix, long start, long end);
void verdant_dense1_low_f32_avx2(float *p, long controlMask, const long *positions, long positionCount,
                                 const float *matrix, long start, long end);

/// A 2 × 2 matrix on qubit 0, uncontrolled: pair k is amplitudes 2k, 2k + 1.
void verdant_dense1_adjacent_f64_avx2(double *p, const double *matrix, long start, long end);
void verdant_dense1_adjacent_f32_avx2(float *p, const float *matrix, long start, long end);

/// A real 2 × 2 matrix (H, RY, …): as the complex loops, with `matrix` holding its 4 real entries
/// (m00, m01, m10, m11).
void verdant_dense1_real_f64_avx2(double *p, long target, long controlMask, const long *positions, long positionCount,
                                  long runLength, const double *matrix, long start, long end);
void verdant_dense1_real_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                                  long runLength, const float *matrix, long start, long end);
void verdant_dense1_real_adjacent_f64_avx2(double *p, const double *matrix, long start, long end);
void verdant_dense1_real_adjacent_f32_avx2(float *p, const float *matrix, long start, long end);

/// Two or three one-qubit gates with m00 = m11 and m01 = m10 on `targets` (ascending,
/// `targetCount` 2 or 3, the lowest at or above the vector width: qubit 1 for double, 2 for float),
/// uncontrolled: each group of 2^k amplitudes becomes Hu^⊗k · diag(factors) · Hu^⊗k of itself,
/// Hu = [[1, 1], [1, −1]], with 2^k complex `factors` (interleaved; bit t of the factor index is
/// the Hadamard-basis bit of targets[t]). Free indices skip the targets.
void verdant_symmetric_layer_f64_avx2(double *p, long targetCount, const long *targets, const double *factors, long start,
                                      long end);
void verdant_symmetric_layer_f32_avx2(float *p, long targetCount, const long *targets, const float *factors, long start,
                                      long end);

/// The adjoint sweep's read-only off-diagonal correlation of an uncontrolled one-target gate:
/// M01 = Σ conj(λ_i0)·ψ_i1 and M10 = Σ conj(λ_i1)·ψ_i0 over pairs k in start..<end (i0: k with a
/// zero inserted at `target`; target 0: i0 = 2k). Writes (M01 re, M01 im, M10 re, M10 im) to `out`.
void verdant_off_diagonal_f64_avx2(const double *psi, const double *lambda, long target, long start, long end, double *out);
void verdant_off_diagonal_f32_avx2(const float *psi, const float *lambda, long target, long start, long end, double *out);

/// A dense 2^k × 2^k matrix on k = `targetCount` targets (2…5): `offsets[r]` is the amplitude
/// offset of matrix index r, `matrix` 4^k complex entries row-major (re, im); groups from free
/// indices as above. Returns 0 (nothing done) for other widths. When qubit 0 is a target it must
/// be the first (offsets[1] == 1).
int verdant_dense_f64_avx2(double *p, long targetCount, const long *offsets, long controlMask, const long *positions,
                           long positionCount, long runLength, const double *matrix, long start, long end);
int verdant_dense_f32_avx2(float *p, long targetCount, const long *offsets, long controlMask, const long *positions,
                           long positionCount, long runLength, const float *matrix, long start, long end);

/// A diagonal on `targetCount` ≤ 5 targets (ascending, not among `positions`): amplitude i is
/// multiplied by factors[j] (interleaved), bit t of j being bit targets[t] of i.
void verdant_diagonal_f64_avx2(double *p, long targetCount, const long *targets, const double *factors, long controlMask,
                               const long *positions, long positionCount, long runLength, long start, long end);
void verdant_diagonal_f32_avx2(float *p, long targetCount, const long *targets, const float *factors, long controlMask,
                               const long *positions, long positionCount, long runLength, long start, long end);

/// A permutation with phases on ≤ 5 targets: in each group, amplitude r (offset offsets[r])
/// becomes phases[r] × old amplitude sources[r] for the `movingCount` rows in `moving`;
/// `phases` interleaved, or NULL when every factor is 1.
void verdant_permutation_f64_avx2(double *p, const long *offsets, const long *sources, const double *phases,
                                  const long *moving, long movingCount, long controlMask, const long *positions,
                                  long positionCount, long runLength, long start, long end);
void verdant_permutation_f32_avx2(float *p, const long *offsets, const long *sources, const float *phases,
                                  const long *moving, long movingCount, long controlMask, const long *positions,
                                  long positionCount, long runLength, long start, long end);

/// X on `target` in the controlled part: pairs (i, i + 2^target) exchange. The target must be at
/// or above the vector width (qubit 1 for double, 2 for float); controls may be anywhere.
void verdant_flip_f64_avx2(double *p, long target, long controlMask, const long *positions, long positionCount,
                           long start, long end);
void verdant_flip_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                           long start, long end);
/// Float X on target 0 or 1 (both amplitudes of a pair in one vector), arguments as above.
void verdant_flip_low_f32_avx2(float *p, long target, long controlMask, const long *positions, long positionCount,
                               long start, long end);

/// Copies `runs` runs of `runBytes` bytes (a multiple of 64) from byte offsets offsets[u] of
/// `state` to consecutive places in `block` (gather), or back (scatter).
void verdant_gather_avx2(char *block, const char *state, const long *offsets, long runs, long runBytes);
void verdant_scatter_avx2(const char *block, char *state, const long *offsets, long runs, long runBytes);

/// One segment of a folded diagonal run: G[m] = ch · Π_{k ∈ m} u_k (m < 2^split, built by
/// doubling into the scratch `g`), then amps[m] *= G[m] (· b[m] when `b` is given). Complex
/// numbers interleaved. `u` NULL means no linear terms (every u_k is 1; `b` given, 2^split at
/// least one vector): amps[m] *= ch · b[m] without building G.
void verdant_phase_segment_f64_avx2(double *amps, long split, const double *u, double chr, double chi, const double *b,
                                    double *g);
void verdant_phase_segment_f32_avx2(float *amps, long split, const float *u, float chr, float chi, const float *b,
                                    float *g);

/// X on `target` controlled by a parity: pairs (i, i + 2^target), i with the target bit 0 (free
/// index k: a zero inserted at `target`), exchange where popcount(i & parityMask) is odd (even
/// when `invert`). The target must be at or above the vector width (1 double, 2 float).
void verdant_parity_flip_f64_avx2(double *p, long target, long parityMask, long invert, long start, long end);
void verdant_parity_flip_f32_avx2(float *p, long target, long parityMask, long invert, long start, long end);

#ifdef __cplusplus
}
#endif

#endif
