// AES-256-GCM into caller-owned buffers, for the encrypted communicator's chunks.
//
// swift-crypto's `AES.GCM.seal`/`open` return every result in a freshly allocated buffer (and
// `SealedBox` copies the ciphertext once more), which halves the cipher's throughput on 256 KiB
// chunks. BoringSSL, which swift-crypto links into every program that imports Crypto, seals and
// opens into the caller's memory through its EVP_AEAD interface. swift-crypto builds BoringSSL with
// every symbol prefixed `CCryptoBoringSSL_` and does not export a module for it, so aead.c declares
// the five functions it calls by their prefixed names; the linker finds them in the BoringSSL that
// the Crypto product already brings in (swift-crypto is pinned in Package.resolved; a version that
// renamed them would fail to link, not misbehave). Contexts are created once per key and may be
// used from several threads at once (BoringSSL's seal and open do not modify them).
#ifndef VERDANT_AEAD_H
#define VERDANT_AEAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An AES-256-GCM key schedule with 16-byte tags (opaque).
typedef struct verdant_aead_key verdant_aead_key;

/// A context for the 32-byte `key`, or NULL if BoringSSL refused it (it does not for 32 bytes).
verdant_aead_key *verdant_aead_new(const uint8_t *key, size_t key_len);

/// Frees a context from verdant_aead_new (NULL is ignored).
void verdant_aead_free(verdant_aead_key *key);

/// Seals `in_len` bytes of `in` into `out` as ciphertext ‖ 16-byte tag (`in_len + 16` bytes;
/// `out` may equal `in`, and must not otherwise overlap it) under the 12-byte `nonce`,
/// authenticating `ad`. Returns 1 on success, 0 on failure.
int verdant_aead_seal(const verdant_aead_key *key, uint8_t *out, const uint8_t *nonce, const uint8_t *in, size_t in_len,
                      const uint8_t *ad, size_t ad_len);

/// Opens `sealed_len` (≥ 16) bytes of ciphertext ‖ tag from `in` into `out` (`sealed_len − 16`
/// bytes; `out` may equal `in`). Returns 1 when the tag authenticates, 0 otherwise; on 0 the
/// contents of `out` are unspecified and must not be used.
int verdant_aead_open(const verdant_aead_key *key, uint8_t *out, const uint8_t *nonce, const uint8_t *in, size_t sealed_len,
                      const uint8_t *ad, size_t ad_len);

#ifdef __cplusplus
}
#endif

#endif
