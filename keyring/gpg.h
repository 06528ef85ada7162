/* GPGME glue: contexts bound to one SIX home's isolated GNUPGHOME, fingerprints.
 *
 * Every context is set to the home's gnupg/ directory through
 * gpgme_ctx_set_engine_info: never the caller's GNUPGHOME or ~/.gnupg. Keys are only
 * ever looked up by full 40-hex fingerprint (pinning); gpg's web of trust is never
 * consulted: SIX's registry decides who may send. */
#ifndef SIX_GPG_H
#define SIX_GPG_H

#include <gpgme.h>
#include <sys/types.h>

#include "err.h"
#include "six_limits.h"

/* Check the GPGME version and set the locale once per process. */
int six_gpg_init(struct six_err *err);

/* A new OpenPGP context on gnupg_dir (HOME/gnupg): binary output, no armor. With a
 * passphrase_file, passphrases come from that file through loopback pinentry;
 * without, gpg-agent's pinentry asks (or a smartcard's PIN pad). */
int six_gpg_open(const char *gnupg_dir, const char *passphrase_file, gpgme_ctx_t *ctx,
		 struct six_err *err);
void six_gpg_close(gpgme_ctx_t ctx);

/* Accept 40 hex digits (either case, no spaces) and write the canonical upper-case
 * form to out. SIX_ERR_INPUT if malformed. */
int six_fpr_normalise(const char *in, char out[SIX_FPR_HEX + 1], struct six_err *err);

/* The key whose primary fingerprint is fpr (canonical form); with secret, only if its
 * secret key is here. SIX_ERR_NOKEY if absent. Caller gpgme_key_unref()s. */
int six_gpg_get_key(gpgme_ctx_t ctx, const char *fpr, int secret, gpgme_key_t *key,
		    struct six_err *err);

/* The primary key's fingerprint for fpr, which may be a subkey's (smartcards sign with
 * subkeys; the registry pins primaries). SIX_ERR_NOKEY if no local key has it. */
int six_gpg_primary_of(gpgme_ctx_t ctx, const char *fpr, char out[SIX_FPR_HEX + 1],
		       struct six_err *err);

/* 1 if key (not revoked, expired, disabled or invalid) has a usable subkey (or primary)
 * that can 's'ign or 'e'ncrypt now. */
int six_gpg_key_can(gpgme_key_t key, char what);

/* Run the gpg engine (path from GPGME's engine info) with argv for bulk data, which
 * GPGME 1.18's data layer slows down (it hex-formats every buffer for its trace):
 * stdin is in, stdout is out, machine-readable status lines go to status (fd 3 in gpg,
 * so argv says --status-fd 3), and stderr is discarded so that a tool's error stays
 * one line. The caller waits for *pid and reads the status lines. */
#define SIX_GPG_STATUS_FD 3
int six_gpg_spawn(const char *engine, char *const argv[], int in, int out, int status,
		  pid_t *pid, struct six_err *err);

/* Turn a GPGME error into a struct six_err with code, "what: gpg's reason". */
int six_gpg_fail(struct six_err *err, int code, gpgme_error_t gerr, const char *what);

#endif
