// See include/AEAD.h for why this calls BoringSSL by its prefixed names.
#include "AEAD.h"

// BoringSSL's EVP_AEAD interface (include/openssl/aead.h), as swift-crypto's build names it.
// The types are opaque here: only pointers cross.
typedef struct CCryptoBoringSSL_evp_aead_st EVP_AEAD;
typedef struct CCryptoBoringSSL_evp_aead_ctx_st EVP_AEAD_CTX;

extern const EVP_AEAD *CCryptoBoringSSL_EVP_aead_aes_256_gcm(void);
extern EVP_AEAD_CTX *CCryptoBoringSSL_EVP_AEAD_CTX_new(const EVP_AEAD *aead, const uint8_t *key, size_t key_len,
                                                      size_t tag_len);
extern void CCryptoBoringSSL_EVP_AEAD_CTX_free(EVP_AEAD_CTX *ctx);
extern int CCryptoBoringSSL_EVP_AEAD_CTX_seal(const EVP_AEAD_CTX *ctx, uint8_t *out, size_t *out_len, size_t max_out_len,
                                              const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
                                              const uint8_t *ad, size_t ad_len);
extern int CCryptoBoringSSL_EVP_AEAD_CTX_open(const EVP_AEAD_CTX *ctx, uint8_t *out, size_t *out_len, size_t max_out_len,
                                              const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
                                              const uint8_t *ad, size_t ad_len);
extern void CCryptoBoringSSL_ERR_clear_error(void);

enum { kTagBytes = 16, kNonceBytes = 12, kKeyBytes = 32 };

verdant_aead_key *verdant_aead_new(const uint8_t *key, size_t key_len) {
    if (key_len != kKeyBytes) return NULL;
    EVP_AEAD_CTX *ctx = CCryptoBoringSSL_EVP_AEAD_CTX_new(CCryptoBoringSSL_EVP_aead_aes_256_gcm(), key, key_len, kTagBytes);
    if (ctx == NULL) CCryptoBoringSSL_ERR_clear_error();
    return (verdant_aead_key *)ctx;
}

void verdant_aead_free(verdant_aead_key *key) {
    if (key != NULL) CCryptoBoringSSL_EVP_AEAD_CTX_free((EVP_AEAD_CTX *)key);
}

int verdant_aead_seal(const verdant_aead_key *key, uint8_t *out, const uint8_t *nonce, const uint8_t *in, size_t in_len,
                      const uint8_t *ad, size_t ad_len) {
    size_t written = 0;
    int ok = CCryptoBoringSSL_EVP_AEAD_CTX_seal((const EVP_AEAD_CTX *)key, out, &written, in_len + kTagBytes, nonce,
                                                kNonceBytes, in, in_len, ad, ad_len);
    if (!ok) {
        CCryptoBoringSSL_ERR_clear_error();
        return 0;
    }
    return written == in_len + kTagBytes;
}

int verdant_aead_open(const verdant_aead_key *key, uint8_t *out, const uint8_t *nonce, const uint8_t *in, size_t sealed_len,
                      const uint8_t *ad, size_t ad_len) {
    if (sealed_len < kTagBytes) return 0;
    size_t written = 0;
    int ok = CCryptoBoringSSL_EVP_AEAD_CTX_open((const EVP_AEAD_CTX *)key, out, &written, sealed_len - kTagBytes, nonce,
                                                kNonceBytes, in, sealed_len, ad, ad_len);
    if (!ok) {
        // A tag that does not authenticate leaves an entry on BoringSSL's per-thread error queue.
        CCryptoBoringSSL_ERR_clear_error();
        return 0;
    }
    return written == sealed_len - kTagBytes;
}
