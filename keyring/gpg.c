#include "gpg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

int six_gpg_init(struct six_err *err)
{
	setlocale(LC_ALL, "");
	if (!gpgme_check_version("1.18.0"))
		return six_fail(err, SIX_ERR_INTERNAL, "GPGME 1.18 or later is required");
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
	gpgme_error_t e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (e)
		return six_gpg_fail(err, SIX_ERR_INTERNAL, e, "gpg engine");
	return 0;
}

int six_gpg_fail(struct six_err *err, int code, gpgme_error_t gerr, const char *what)
{
	return six_fail(err, code, "%s: %s", what, gpgme_strerror(gerr));
}

/* The passphrase comes from a file, read afresh for each request and wiped after. */
static gpgme_error_t passphrase_cb(void *hook, const char *uid_hint, const char *info,
				   int prev_was_bad, int fd)
{
	(void)uid_hint;
	(void)info;
	const char *path = hook;
	if (prev_was_bad)
		return gpg_error(GPG_ERR_BAD_PASSPHRASE);
	char *text;
	size_t len;
	struct six_err e;
	if (six_read_file_at(AT_FDCWD, path, 4096, &text, &len, &e) < 0)
		return gpg_error(GPG_ERR_NO_PASSPHRASE);
	size_t line = strcspn(text, "\n");
	int rc = six_write_all(fd, text, line) < 0 || six_write_all(fd, "\n", 1) < 0;
	explicit_bzero(text, len);
	free(text);
	return rc ? gpg_error_from_syserror() : 0;
}

int six_gpg_open(const char *gnupg_dir, const char *passphrase_file, gpgme_ctx_t *ctx,
		 struct six_err *err)
{
	gpgme_ctx_t c;
	gpgme_error_t e = gpgme_new(&c);
	if (e)
		return six_gpg_fail(err, SIX_ERR_INTERNAL, e, "gpgme_new");
	e = gpgme_ctx_set_engine_info(c, GPGME_PROTOCOL_OpenPGP, NULL, gnupg_dir);
	if (!e)
		e = gpgme_set_protocol(c, GPGME_PROTOCOL_OpenPGP);
	if (e) {
		gpgme_release(c);
		return six_gpg_fail(err, SIX_ERR_INTERNAL, e, "gpg engine");
	}
	gpgme_set_armor(c, 0);
	gpgme_set_offline(c, 1); /* never reach out for keys or CRLs */
	if (passphrase_file) {
		if (access(passphrase_file, R_OK) < 0) {
			gpgme_release(c);
			return six_fail_errno(err, SIX_ERR_NOINPUT, "cannot read passphrase file %s",
					      passphrase_file);
		}
		char *hook = strdup(passphrase_file);
		if (!hook) {
			gpgme_release(c);
			return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
		}
		gpgme_set_pinentry_mode(c, GPGME_PINENTRY_MODE_LOOPBACK);
		gpgme_set_passphrase_cb(c, passphrase_cb, hook);
	}
	*ctx = c;
	return 0;
}

void six_gpg_close(gpgme_ctx_t ctx)
{
	if (!ctx)
		return;
	gpgme_passphrase_cb_t cb;
	void *hook = NULL;
	gpgme_get_passphrase_cb(ctx, &cb, &hook);
	free(hook);
	gpgme_release(ctx);
}

int six_fpr_normalise(const char *in, char out[SIX_FPR_HEX + 1], struct six_err *err)
{
	size_t len = strnlen(in, SIX_FPR_HEX + 1);
	if (len != SIX_FPR_HEX)
		return six_fail(err, SIX_ERR_INPUT, "malformed fingerprint '%.60s' (want 40 hex digits)",
				in);
	for (size_t i = 0; i < SIX_FPR_HEX; i++) {
		if (!isxdigit((unsigned char)in[i]))
			return six_fail(err, SIX_ERR_INPUT,
					"malformed fingerprint '%.60s' (want 40 hex digits)", in);
		out[i] = (char)toupper((unsigned char)in[i]);
	}
	out[SIX_FPR_HEX] = '\0';
	return 0;
}

int six_gpg_get_key(gpgme_ctx_t ctx, const char *fpr, int secret, gpgme_key_t *key,
		    struct six_err *err)
{
	gpgme_key_t k = NULL;
	gpgme_error_t e = gpgme_get_key(ctx, fpr, &k, secret);
	/* gpgme_get_key also matches subkeys: pinning means the primary must be fpr */
	if (!e && k && (!k->fpr || strcmp(k->fpr, fpr) != 0)) {
		gpgme_key_unref(k);
		k = NULL;
		e = gpg_error(GPG_ERR_EOF);
	}
	if (e || !k) {
		if (gpgme_err_code(e) == GPG_ERR_EOF || gpgme_err_code(e) == GPG_ERR_NO_PUBKEY ||
		    gpgme_err_code(e) == GPG_ERR_NO_SECKEY)
			return six_fail(err, SIX_ERR_NOKEY, "no %s key %s in this home",
					secret ? "secret" : "public", fpr);
		return six_gpg_fail(err, SIX_ERR_INTERNAL, e, "key lookup");
	}
	*key = k;
	return 0;
}

int six_gpg_primary_of(gpgme_ctx_t ctx, const char *fpr, char out[SIX_FPR_HEX + 1],
		       struct six_err *err)
{
	gpgme_key_t k = NULL;
	gpgme_error_t e = gpgme_get_key(ctx, fpr, &k, 0);
	if (e || !k || !k->subkeys || !k->subkeys->fpr)
		return six_fail(err, SIX_ERR_NOKEY, "no key with fingerprint %.60s here", fpr);
	int found = 0;
	for (gpgme_subkey_t s = k->subkeys; s; s = s->next)
		if (s->fpr && strcasecmp(s->fpr, fpr) == 0)
			found = 1;
	int rc = found ? six_fpr_normalise(k->subkeys->fpr, out, err)
		       : six_fail(err, SIX_ERR_NOKEY, "no key with fingerprint %.60s here", fpr);
	gpgme_key_unref(k);
	return rc;
}

int six_gpg_key_can(gpgme_key_t key, char what)
{
	if (key->revoked || key->expired || key->disabled || key->invalid)
		return 0;
	if (what == 's' && !key->can_sign)
		return 0;
	if (what == 'e' && !key->can_encrypt)
		return 0;
	for (gpgme_subkey_t s = key->subkeys; s; s = s->next) {
		if (s->revoked || s->expired || s->disabled || s->invalid)
			continue;
		if ((what == 's' && s->can_sign) || (what == 'e' && s->can_encrypt))
			return 1;
	}
	return 0;
}

int six_gpg_spawn(const char *engine, char *const argv[], int in, int out, int status,
		  pid_t *pid, struct six_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, status, SIX_GPG_STATUS_FD);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	int e = posix_spawn(pid, engine, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		errno = e;
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot run %s", engine);
	}
	return 0;
}
