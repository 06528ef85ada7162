#include "bundle_open.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gpg.h"

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "unknown");
}

/* Classify a failed decryption. Every case is the one refusal class "decrypt": the
 * caller cannot tell a forged packet from a damaged one, and need not. */
static int decrypt_failed(gpgme_error_t gerr, struct six_err *err)
{
	switch (gpgme_err_code(gerr)) {
	case GPG_ERR_NO_DATA:
		/* a signed-only or clear message: confidentiality never existed */
		return six_fail(err, SIX_ERR_DECRYPT,
				"no encrypted OpenPGP message (signed only, or corrupt)");
	case GPG_ERR_NO_SECKEY:
		return six_fail(err, SIX_ERR_DECRYPT, "not encrypted to a key of this home");
	default:
		return six_gpg_fail(err, SIX_ERR_DECRYPT, gerr, "cannot decrypt");
	}
}

/* The decryption facts: refuse anything but public-key encryption with integrity
 * protection. A message without MDC can be modified undetectably (EFAIL), and a
 * symmetric-only one proves nothing about who it was meant for. */
static int check_decrypt(gpgme_ctx_t ctx, struct six_bundle_sig *sig, struct six_err *err)
{
	gpgme_decrypt_result_t d = gpgme_op_decrypt_result(ctx);
	if (!d)
		return six_fail(err, SIX_ERR_DECRYPT, "no decryption result");
	if (d->legacy_cipher_nomdc)
		return six_fail(err, SIX_ERR_DECRYPT, "no integrity protection (no MDC)");
	if (d->unsupported_algorithm)
		return six_fail(err, SIX_ERR_DECRYPT, "unsupported algorithm %.40s",
				d->unsupported_algorithm);
	if (d->wrong_key_usage)
		return six_fail(err, SIX_ERR_DECRYPT, "decrypted with a key not meant for it");
	int used = 0;
	for (gpgme_recipient_t r = d->recipients; r; r = r->next)
		if (r->status == 0 && r->keyid && !used) {
			copy_str(sig->decrypted_by, sizeof sig->decrypted_by, r->keyid);
			used = 1;
		}
	if (!used)
		return six_fail(err, SIX_ERR_DECRYPT, "not encrypted to a public key of this home");
	copy_str(sig->cipher, sizeof sig->cipher, d->symkey_algo);
	return 0;
}

/* A signature the signer's own key state makes worthless is a sender problem: the
 * key is unknown here (forged, or never enrolled), revoked, or expired. */
static int sender_problem(gpgme_signature_t s)
{
	gpgme_err_code_t c = gpgme_err_code(s->status);
	return c == GPG_ERR_NO_PUBKEY || c == GPG_ERR_CERT_REVOKED || c == GPG_ERR_KEY_EXPIRED ||
	       (s->summary & (GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
			      GPGME_SIGSUM_KEY_MISSING));
}

/* Exactly one signature, and a good one. Validity (web of trust) is deliberately not
 * consulted: trust is pinned by fingerprint in the registry, checked by the caller. */
static int check_signature(gpgme_ctx_t ctx, struct six_bundle_sig *sig, struct six_err *err)
{
	gpgme_verify_result_t v = gpgme_op_verify_result(ctx);
	size_t n = 0;
	for (gpgme_signature_t s = v ? v->signatures : NULL; s; s = s->next)
		n++;
	if (n == 0)
		return six_fail(err, SIX_ERR_SIGNATURE, "not signed");
	if (n > 1)
		/* which signer would the manifest's Sender have to match? refuse the question */
		return six_fail(err, SIX_ERR_SIGNATURE, "%zu signatures (exactly one allowed)", n);
	gpgme_signature_t s = v->signatures;
	const char *who = s->fpr ? s->fpr : "unknown";
	if (sender_problem(s))
		return six_fail(err, SIX_ERR_SENDER, "signer %.40s is unknown here, revoked or expired",
				who);
	if (s->status != 0 || (s->summary & GPGME_SIGSUM_RED) || s->wrong_key_usage)
		return six_gpg_fail(err, SIX_ERR_SIGNATURE, s->status ? s->status
									: gpg_error(GPG_ERR_BAD_SIGNATURE),
				    "bad signature");
	if (six_fpr_normalise(who, sig->signer, err) < 0)
		return six_fail(err, SIX_ERR_SIGNATURE, "signature without a full fingerprint");
	sig->sig_time = (time_t)s->timestamp;
	copy_str(sig->pubkey_algo, sizeof sig->pubkey_algo, gpgme_pubkey_algo_name(s->pubkey_algo));
	copy_str(sig->hash_algo, sizeof sig->hash_algo, gpgme_hash_algo_name(s->hash_algo));
	return 0;
}

/* The bundle is hashed as gpg reads it, so its SHA-256 (audit, receipts) costs no
 * second pass over a file that may be gigabytes. */
struct hashing_reader {
	int fd;
	struct six_sha256 h;
	uint64_t size;
	int failed;
};

static ssize_t hashing_read(void *hook, void *buf, size_t size)
{
	struct hashing_reader *r = hook;
	ssize_t n;
	do
		n = read(r->fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r->failed = 1;
	else {
		six_sha256_update(&r->h, buf, (size_t)n);
		r->size += (uint64_t)n;
	}
	return n;
}

static gpgme_error_t run_gpg(gpgme_ctx_t ctx, struct hashing_reader *r, int plain_fd)
{
	static struct gpgme_data_cbs cbs = {hashing_read, NULL, NULL, NULL};
	gpgme_data_t in = NULL, out = NULL;
	gpgme_error_t e = gpgme_data_new_from_cbs(&in, &cbs, r);
	if (!e)
		e = gpgme_data_new_from_fd(&out, plain_fd);
	/* gpgme pumps data through pipes in small chunks by default: large buffers make
	 * a gigabyte bundle several times faster */
	if (!e)
		e = gpgme_data_set_flag(in, "io-buffer-size", "32768");
	if (!e)
		e = gpgme_data_set_flag(out, "io-buffer-size", "32768");
	if (!e) {
		gpgme_data_set_encoding(in, GPGME_DATA_ENCODING_BINARY);
		/* gpg writes plaintext as it goes: it lands only in the private staging
		 * file, and nothing is decided until the operation has returned and its
		 * results are read */
		e = gpgme_op_decrypt_verify(ctx, in, out);
	}
	gpgme_data_release(in);
	gpgme_data_release(out);
	return e;
}

int six_bundle_open(gpgme_ctx_t ctx, int bundle_fd, int plain_fd, struct six_bundle_sig *sig,
		    struct six_err *err)
{
	memset(sig, 0, sizeof *sig);
	struct hashing_reader r = {.fd = bundle_fd};
	int rc = six_sha256_init(&r.h, err);
	if (rc < 0)
		return rc;
	gpgme_error_t e = run_gpg(ctx, &r, plain_fd);
	six_sha256_final_hex(&r.h, sig->sha256);
	sig->size = r.size;
	if (r.failed)
		return six_fail(err, SIX_ERR_IO, "cannot read the bundle");
	gpgme_decrypt_result_t d = gpgme_op_decrypt_result(ctx);
	if (e && d && d->legacy_cipher_nomdc)
		return six_fail(err, SIX_ERR_DECRYPT, "no integrity protection (no MDC)");
	rc = e ? decrypt_failed(e, err) : check_decrypt(ctx, sig, err);
	if (rc == 0)
		rc = check_signature(ctx, sig, err);
	if (rc < 0)
		return rc;
	/* a signing subkey (smartcards) counts as its primary key, which the registry pins */
	rc = six_gpg_primary_of(ctx, sig->signer, sig->primary, err);
	if (rc < 0)
		return six_fail(err, SIX_ERR_SENDER, "signer %s has no primary key here", sig->signer);
	return 0;
}
