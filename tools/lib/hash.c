#include "hash.h"

#include <gcrypt.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"

int six_crypto_init(struct six_err *err)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return 0;
	if (!gcry_check_version(GCRYPT_VERSION))
		return six_fail(err, SIX_ERR_INTERNAL, "libgcrypt version mismatch");
	/* SIX uses libgcrypt only for hashing: no secure memory pool is needed */
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

int six_sha256_init(struct six_sha256 *h, struct six_err *err)
{
	gcry_md_hd_t hd;
	if (gcry_md_open(&hd, GCRY_MD_SHA256, 0) != 0)
		return six_fail(err, SIX_ERR_INTERNAL, "cannot start SHA-256");
	h->hd = hd;
	return 0;
}

void six_sha256_update(struct six_sha256 *h, const void *p, size_t n)
{
	gcry_md_write((gcry_md_hd_t)h->hd, p, n);
}

void six_sha256_final(struct six_sha256 *h, uint8_t out[SIX_SHA256_LEN])
{
	gcry_md_hd_t hd = h->hd;
	memcpy(out, gcry_md_read(hd, GCRY_MD_SHA256), SIX_SHA256_LEN);
	gcry_md_close(hd);
	h->hd = NULL;
}

void six_sha256_final_hex(struct six_sha256 *h, char out[SIX_SHA256_HEX + 1])
{
	uint8_t d[SIX_SHA256_LEN];
	six_sha256_final(h, d);
	six_hex(d, sizeof d, out);
}

void six_sha256_abort(struct six_sha256 *h)
{
	if (h->hd)
		gcry_md_close((gcry_md_hd_t)h->hd);
	h->hd = NULL;
}

void six_sha256_buf(const void *p, size_t n, uint8_t out[SIX_SHA256_LEN])
{
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, p, n);
}

int six_sha256_fd(int fd, char out[SIX_SHA256_HEX + 1], uint64_t *size, struct six_err *err)
{
	struct six_sha256 h = {0};
	int rc = six_sha256_init(&h, err);
	if (rc < 0)
		return rc;
	unsigned char buf[1 << 16];
	uint64_t total = 0;
	for (;;) {
		ssize_t n = six_read_full(fd, buf, sizeof buf);
		if (n < 0) {
			six_sha256_abort(&h);
			return six_fail_errno(err, SIX_ERR_IO, "read");
		}
		if (n == 0)
			break;
		six_sha256_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	six_sha256_final_hex(&h, out);
	if (size)
		*size = total;
	return 0;
}
