/* SHA-256 through libgcrypt (GnuPG's own library, hardware-accelerated). */
#ifndef SIX_HASH_H
#define SIX_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SIX_SHA256_LEN 32
#define SIX_SHA256_HEX 64

struct six_sha256 {
	void *hd; /* gcry_md_hd_t */
};

/* Initialise libgcrypt once per process (mains call it first). */
int six_crypto_init(struct six_err *err);

int six_sha256_init(struct six_sha256 *h, struct six_err *err);
void six_sha256_update(struct six_sha256 *h, const void *p, size_t n);
/* Writes the digest as 64 lower-case hex digits + NUL, and frees the context. */
void six_sha256_final_hex(struct six_sha256 *h, char out[SIX_SHA256_HEX + 1]);
void six_sha256_final(struct six_sha256 *h, uint8_t out[SIX_SHA256_LEN]);
void six_sha256_abort(struct six_sha256 *h);
/* One-shot digest of a buffer. */
void six_sha256_buf(const void *p, size_t n, uint8_t out[SIX_SHA256_LEN]);
/* Digest of a whole open file from its current offset; SIX_ERR_IO on read error. */
int six_sha256_fd(int fd, char out[SIX_SHA256_HEX + 1], uint64_t *size, struct six_err *err);

#endif
