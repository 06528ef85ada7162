/* Sealing a bundle (formats/bundle.md, "OpenPGP layer"): one encrypt-and-sign of a
 * plaintext stream, signed by the sender's key and encrypted to recipients pinned by
 * full primary fingerprint. gpg's trust model is not consulted (always-trust): SIX
 * pins fingerprints instead. OpenPGP compression is off: the plaintext is gzip.
 *
 * GPGME finds and checks the keys. The bytes themselves do not go through GPGME's
 * data objects: GPGME 1.18 formats every byte it copies for its debug trace even
 * when tracing is off (debug.h: "#define _gpgme_debug_trace() 1"), which caps it
 * near 60 MB/s, five times below gpg. So six_seal_run starts the very engine GPGME
 * uses (gpgme_ctx_get_engine_info), with the arguments GPGME's encrypt-and-sign
 * passes, gives it the plaintext and output fds directly, and reads its status
 * lines, as GPGME does. */
#ifndef SIX_BUNDLE_SEAL_H
#define SIX_BUNDLE_SEAL_H

#include <gpgme.h>
#include <stddef.h>

#include "err.h"
#include "six_limits.h"

struct six_seal {
	gpgme_ctx_t ctx;
	gpgme_key_t signer;
	char signer_fpr[SIX_FPR_HEX + 1];		       /* primary, upper-case */
	gpgme_key_t rcpts[SIX_RECIPIENTS_MAX + 1];	       /* NULL-terminated */
	char rcpt_fprs[SIX_RECIPIENTS_MAX][SIX_FPR_HEX + 1]; /* as given, canonical */
	size_t n_rcpts;
	char engine[SIX_HOME_PATH_MAX];	/* the gpg binary GPGME runs */
	char gnupg[SIX_HOME_PATH_MAX + 8];
	char passfile[SIX_HOME_PATH_MAX]; /* "" for gpg-agent's pinentry */
};

/* Open a context on gnupg_dir and resolve the keys. signer NULL means the only secret
 * key in the home (SIX_ERR_KEY if none, SIX_ERR_USAGE naming them if several).
 * Errors: SIX_ERR_INPUT (malformed or repeated fingerprint), SIX_ERR_NOKEY (no such
 * key), SIX_ERR_KEY (cannot sign / encrypt: expired, revoked, no usable subkey). */
int six_seal_open(struct six_seal *s, const char *gnupg_dir, const char *passphrase_file,
		  const char *signer, const char *const *rcpts, size_t n_rcpts,
		  struct six_err *err);

/* Encrypt-and-sign everything read from in_fd (until end of file) into out_fd, and
 * check gpg's report: exactly one signature, by the signer, every recipient taken.
 * SIX_ERR_IO if writing out_fd failed (disk full...), SIX_ERR_KEY if gpg refused a
 * key or passphrase, SIX_ERR_INTERNAL if gpg failed otherwise (killed...). Every fd
 * other than in_fd and out_fd must be close-on-exec (gpg must see the end of in_fd). */
int six_seal_run(struct six_seal *s, int in_fd, int out_fd, struct six_err *err);

void six_seal_close(struct six_seal *s);

#endif
