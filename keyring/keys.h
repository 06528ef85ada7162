/* Key operations of six-keyring: make a home, generate, export, inspect and import
 * keys. Every GPGME context is bound to the home's own gnupg/ (keyring/gpg.h). */
#ifndef SIX_KEYS_H
#define SIX_KEYS_H

#include <stddef.h>

#include "err.h"
#include "gpg.h"
#include "home.h"
#include "six_limits.h"


/* Create the home at path with its layout (MANUAL.md 2.2), a
 * hardened gnupg/gpg.conf and gpg-agent.conf, and an empty registry. On an already
 * initialised home it changes nothing and sets *created to 0 (else 1). A path longer
 * than SIX_HOME_SOCKET_PATH_MAX is SIX_ERR_CONFIG; an existing directory that is
 * neither empty nor a half-made home is SIX_ERR_EXISTS. */
int six_keys_init_home(const char *path, int *created, struct six_err *err);

enum six_key_algo {
	SIX_ALGO_ED25519,	/* Ed25519 primary (sign, certify) + Curve25519 subkey */
	SIX_ALGO_RSA4096,	/* RSA-4096 primary (sign, certify) + RSA-4096 subkey */
};

struct six_keygen {
	const char *name;
	const char *email;
	enum six_key_algo algo;
	/* Protect the key with the first line of this file (loopback pinentry). Else,
	 * with no_passphrase, none; else gpg-agent's pinentry asks. */
	const char *passphrase_file;
	int no_passphrase;
};

/* A new signing key with an encryption subkey; fpr gets the primary fingerprint. */
int six_keys_generate(const struct six_home *h, const struct six_keygen *g,
		      char fpr[SIX_FPR_HEX + 1], struct six_err *err);

/* The armored public key fpr (only it, no secret parts): malloc'd *out, *len. */
int six_keys_export(const struct six_home *h, const char *fpr, char **out, size_t *len,
		    struct six_err *err);

/* What a key file holds, found without importing it. */
struct six_keyfile {
	char fpr[SIX_FPR_HEX + 1];	/* primary fingerprint */
	char name[SIX_NAME_MAX + 1];	/* first user id, made safe to print */
	int can_sign;
	int can_encrypt;
};

/* Read a key file (at most SIX_KEYFILE_MAX bytes) into a malloc'd buffer, once: the
 * bytes inspected are the bytes imported. SIX_ERR_NOINPUT if missing. */
int six_keys_read_file(const char *path, char **data, size_t *len, struct six_err *err);

/* Inspect key file data without importing: exactly one public key, no secret key
 * material, not revoked or expired. It is listed in a private scratch GnuPG home
 * under /tmp (removed after), so a refused file leaves the home untouched. need is 's' (must be able to sign), 'e'
 * (encrypt) or 0. SIX_ERR_INPUT (not a key, several, secret), SIX_ERR_KEY (unusable). */
int six_keys_inspect(const char *data, size_t len, char need, struct six_keyfile *kf,
		     struct six_err *err);

/* Import data (already inspected) into the home's keyring and check that exactly the
 * key kf->fpr was imported or was already there. */
int six_keys_import(const struct six_home *h, const char *data, size_t len,
		    const struct six_keyfile *kf, struct six_err *err);

#endif
