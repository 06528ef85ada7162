#include "bundle_seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "gpg.h"


/* The only secret key of the home: guessing among several would sign as the wrong
 * person, so several is an error that lists them. */
static int only_secret_key(struct six_seal *s, struct six_err *err)
{
	gpgme_error_t e = gpgme_op_keylist_start(s->ctx, NULL, 1);
	if (e)
		return six_gpg_fail(err, SIX_ERR_INTERNAL, e, "listing secret keys");
	gpgme_key_t k, found = NULL;
	char names[3 * (SIX_FPR_HEX + 2)] = "";
	size_t n = 0;
	while (!gpgme_op_keylist_next(s->ctx, &k)) {
		if (n < 3 && k->fpr) {
			strncat(names, n ? ", " : "", sizeof names - strlen(names) - 1);
			strncat(names, k->fpr, sizeof names - strlen(names) - 1);
		}
		n++;
		if (found)
			gpgme_key_unref(k);
		else
			found = k;
	}
	gpgme_op_keylist_end(s->ctx);
	if (n == 1 && found->fpr) {
		s->signer = found;
		return six_fpr_normalise(found->fpr, s->signer_fpr, err);
	}
	if (found)
		gpgme_key_unref(found);
	if (n == 0)
		return six_fail(err, SIX_ERR_KEY,
				"no secret key in this home (make one: six-keyring generate)");
	return six_fail(err, SIX_ERR_USAGE, "%zu secret keys here: choose one with -u (%s%s)",
			n, names, n > 3 ? ", ..." : "");
}

static int resolve_signer(struct six_seal *s, const char *signer, struct six_err *err)
{
	int rc;
	if (!signer)
		rc = only_secret_key(s, err);
	else if ((rc = six_fpr_normalise(signer, s->signer_fpr, err)) == 0)
		rc = six_gpg_get_key(s->ctx, s->signer_fpr, 1, &s->signer, err);
	if (rc < 0)
		return rc;
	if (!six_gpg_key_can(s->signer, 's'))
		return six_fail(err, SIX_ERR_KEY,
				"key %s cannot sign (expired, revoked or no signing subkey)",
				s->signer_fpr);
	gpgme_signers_clear(s->ctx);
	gpgme_error_t e = gpgme_signers_add(s->ctx, s->signer);
	return e ? six_gpg_fail(err, SIX_ERR_INTERNAL, e, "choosing the signer") : 0;
}

static int resolve_recipient(struct six_seal *s, const char *fpr, struct six_err *err)
{
	char *canon = s->rcpt_fprs[s->n_rcpts];
	int rc = six_fpr_normalise(fpr, canon, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < s->n_rcpts; i++)
		if (strcmp(s->rcpt_fprs[i], canon) == 0)
			return six_fail(err, SIX_ERR_INPUT, "recipient %s given twice", canon);
	gpgme_key_t k;
	if (six_gpg_get_key(s->ctx, canon, 0, &k, err) < 0)
		return six_fail(err, SIX_ERR_NOKEY,
				"unknown recipient %s (import its key: six-keyring import)", canon);
	s->rcpts[s->n_rcpts++] = k;
	if (!six_gpg_key_can(k, 'e'))
		return six_fail(err, SIX_ERR_KEY,
				"recipient %s cannot encrypt (expired, revoked or no encryption "
				"subkey)", canon);
	return 0;
}

int six_seal_open(struct six_seal *s, const char *gnupg_dir, const char *passphrase_file,
		  const char *signer, const char *const *rcpts, size_t n_rcpts,
		  struct six_err *err)
{
	memset(s, 0, sizeof *s);
	if (n_rcpts == 0 || n_rcpts > SIX_RECIPIENTS_MAX)
		return six_fail(err, SIX_ERR_USAGE, "between 1 and %d recipients (-r)",
				SIX_RECIPIENTS_MAX);
	int rc = six_gpg_open(gnupg_dir, passphrase_file, &s->ctx, err);
	if (rc < 0)
		return rc;
	gpgme_engine_info_t ei = gpgme_ctx_get_engine_info(s->ctx);
	while (ei && ei->protocol != GPGME_PROTOCOL_OpenPGP)
		ei = ei->next;
	if (!ei || !ei->file_name ||
	    snprintf(s->engine, sizeof s->engine, "%s", ei->file_name) >= (int)sizeof s->engine ||
	    snprintf(s->gnupg, sizeof s->gnupg, "%s", gnupg_dir) >= (int)sizeof s->gnupg ||
	    snprintf(s->passfile, sizeof s->passfile, "%s", passphrase_file ? passphrase_file : "")
		    >= (int)sizeof s->passfile) {
		six_seal_close(s);
		return six_fail(err, SIX_ERR_INTERNAL, "no gpg engine, or paths too long");
	}
	rc = resolve_signer(s, signer, err);
	for (size_t i = 0; rc == 0 && i < n_rcpts; i++)
		rc = resolve_recipient(s, rcpts[i], err);
	if (rc < 0)
		six_seal_close(s);
	return rc;
}

void six_seal_close(struct six_seal *s)
{
	for (size_t i = 0; i < s->n_rcpts; i++)
		gpgme_key_unref(s->rcpts[i]);
	s->n_rcpts = 0;
	if (s->signer)
		gpgme_key_unref(s->signer);
	s->signer = NULL;
	six_gpg_close(s->ctx);
	s->ctx = NULL;
}


#define SEAL_ARGS_MAX (32 + 2 * SIX_RECIPIENTS_MAX)

/* What gpg reported on its status fd (doc/DETAILS of GnuPG). */
struct report {
	int signatures;
	int signer_ok;	/* the signature's key is a subkey of our signer */
	int encrypted;	/* END_ENCRYPTION */
	int key_problem; /* INV_RECP, INV_SGNR, BAD/MISSING_PASSPHRASE, NO_SECKEY */
	unsigned failure; /* last FAILURE/ERROR code (a gpg-error value) */
	char why[160];
};

static void status_line(const struct six_seal *s, char *line, struct report *r)
{
	static const char *const key_words[] = {"INV_RECP ", "INV_SGNR ", "BAD_PASSPHRASE",
						"MISSING_PASSPHRASE", "NO_SECKEY ", NULL};
	if (strncmp(line, "[GNUPG:] ", 9) != 0)
		return;
	line += 9;
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "SIG_CREATED ", 12) == 0) {
		const char *fpr = strrchr(line, ' ') + 1;
		r->signatures++;
		for (gpgme_subkey_t k = s->signer->subkeys; k; k = k->next)
			if (k->fpr && strcasecmp(k->fpr, fpr) == 0)
				r->signer_ok = 1;
	} else if (strcmp(line, "END_ENCRYPTION") == 0) {
		r->encrypted = 1;
	} else if (strncmp(line, "FAILURE ", 8) == 0 || strncmp(line, "ERROR ", 6) == 0) {
		const char *code = strrchr(line, ' ') + 1;
		r->failure = (unsigned)strtoul(code, NULL, 10);
		snprintf(r->why, sizeof r->why, "%.150s", line);
	}
	for (size_t i = 0; key_words[i]; i++)
		if (strncmp(line, key_words[i], strlen(key_words[i])) == 0) {
			r->key_problem = 1;
			snprintf(r->why, sizeof r->why, "%.150s", line);
		}
}

/* The arguments GPGME's encrypt-and-sign gives gpg. Keys are named by full primary
 * fingerprint (pinned, never a name lookup); gpg picks that key's usable signing or
 * encryption subkey. */
static void build_argv(const struct six_seal *s, char *argv[SEAL_ARGS_MAX],
		       char fprs[][SIX_FPR_HEX + 2], const char *tty)
{
	size_t n = 0;
	const char *fixed[] = {"--homedir", s->gnupg, "--batch", "--no-tty", "--quiet",
			       "--status-fd", "3", "--trust-model", "always",
			       "--compress-algo", "none", "--no-auto-key-retrieve",
			       "--sign", "--encrypt", "--output", "-", NULL};
	argv[n++] = (char *)s->engine;
	for (size_t i = 0; fixed[i]; i++)
		argv[n++] = (char *)fixed[i];
	snprintf(fprs[0], SIX_FPR_HEX + 2, "%s", s->signer_fpr);
	argv[n++] = "--local-user";
	argv[n++] = fprs[0];
	for (size_t i = 0; i < s->n_rcpts; i++) {
		snprintf(fprs[i + 1], SIX_FPR_HEX + 2, "%s", s->rcpt_fprs[i]);
		argv[n++] = "--recipient";
		argv[n++] = fprs[i + 1];
	}
	if (s->passfile[0]) {
		argv[n++] = "--pinentry-mode";
		argv[n++] = "loopback";
		argv[n++] = "--passphrase-file";
		argv[n++] = (char *)s->passfile;
	} else if (tty) { /* where gpg-agent shows its pinentry (or a token's PIN prompt) */
		argv[n++] = "--ttyname";
		argv[n++] = (char *)tty;
	}
	argv[n] = NULL;
}

static int spawn(const struct six_seal *s, int in_fd, int out_fd, int status_fd, pid_t *pid,
		 struct six_err *err)
{
	char *argv[SEAL_ARGS_MAX];
	char fprs[SIX_RECIPIENTS_MAX + 1][SIX_FPR_HEX + 2];
	build_argv(s, argv, fprs, ttyname(STDIN_FILENO));
	return six_gpg_spawn(s->engine, argv, in_fd, out_fd, status_fd, pid, err);
}

/* gpg-error codes that mean a key or its passphrase, not the machine, failed. */
static int key_failure(unsigned code)
{
	switch (gpg_err_code(code)) {
	case GPG_ERR_BAD_PASSPHRASE:
	case GPG_ERR_NO_PASSPHRASE:
	case GPG_ERR_CANCELED:
	case GPG_ERR_NO_SECKEY:
	case GPG_ERR_NO_PUBKEY:
	case GPG_ERR_UNUSABLE_PUBKEY:
	case GPG_ERR_UNUSABLE_SECKEY:
	case GPG_ERR_KEY_EXPIRED:
	case GPG_ERR_CERT_REVOKED:
	case GPG_ERR_CARD_REMOVED:
	case GPG_ERR_PIN_BLOCKED:
	case GPG_ERR_BAD_PIN:
		return 1;
	default:
		return 0;
	}
}

static int verdict(const struct six_seal *s, const struct report *r, int wstatus, int out_fd,
		   struct six_err *err)
{
	struct statvfs vfs;
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0 && r->encrypted && !r->key_problem) {
		if (r->signatures == 1 && r->signer_ok)
			return 0;
		return six_fail(err, SIX_ERR_KEY, "gpg did not sign with %s alone", s->signer_fpr);
	}
	if (r->key_problem || key_failure(r->failure))
		return six_fail(err, SIX_ERR_KEY, "gpg could not use a key: %s%s",
				r->failure ? gpgme_strerror(r->failure) : "", r->failure ? "" : r->why);
	if (gpg_err_code(r->failure) == GPG_ERR_ENOSPC ||
	    (fstatvfs(out_fd, &vfs) == 0 && vfs.f_bavail == 0))
		return six_fail(err, SIX_ERR_IO, "cannot write the bundle: disk full");
	if (WIFSIGNALED(wstatus))
		return six_fail(err, SIX_ERR_INTERNAL, "gpg was killed by signal %d",
				WTERMSIG(wstatus));
	return six_fail(err, SIX_ERR_INTERNAL, "gpg failed (exit %d)%s%s",
			WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, r->why[0] ? ": " : "",
			r->why);
}

int six_seal_run(struct six_seal *s, int in_fd, int out_fd, struct six_err *err)
{
	int st[2];
	if (pipe2(st, O_CLOEXEC) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "pipe");
	pid_t pid;
	int rc = spawn(s, in_fd, out_fd, st[1], &pid, err);
	close(st[1]);
	if (rc < 0) {
		close(st[0]);
		return rc;
	}
	struct report r = {0};
	FILE *f = fdopen(st[0], "r");
	char line[1024];
	while (f && fgets(line, sizeof line, f))
		status_line(s, line, &r);
	if (f)
		fclose(f);
	else
		close(st[0]);
	int wstatus;
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return six_fail_errno(err, SIX_ERR_INTERNAL, "waiting for gpg");
	return verdict(s, &r, wstatus, out_fd, err);
}
