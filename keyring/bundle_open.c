#include "bundle_open.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpg.h"
#include "util.h"

#define OPEN_CHUNK (256u << 10)	 /* bundle bytes read, hashed and handed to gpg at once */
#define OPEN_LINE_MAX 4096	 /* a status line; gpg's longest (PLAINTEXT) is < 800 */
#define OPEN_BOMB_SLACK (1u << 20) /* --max-output: 2 x bundle + 1 MiB (see spawn_gpg) */

/* What gpg said on its status fd (GnuPG doc/DETAILS), counted line by line. Nothing is
 * believed until gpg has exited; then judge() applies every rule at once. */
struct report {
	unsigned enc_to, no_seckey, dec_key, begin, end, okay, failed, info, goodmdc;
	unsigned plaintext, newsig, goodsig, validsig, badsig, errsig, expsig, expkeysig;
	unsigned revkeysig, no_pubkey, nodata, unexpected, failure, badmdc, garbled;
	unsigned errsig_rc;		/* ERRSIG's reason: 9 is "no public key" */
	unsigned long mdc_method, sym_algo, aead_algo;
	unsigned long fail_code;	/* the last FAILURE/ERROR code (a gpg-error value) */
	int valid_ok;			/* VALIDSIG's fields all parsed */
	unsigned long pk_algo, hash_algo;
	uint64_t sig_time;
	char sig_keyid[SIX_FPR_HEX + 1];
	char signer[SIX_FPR_HEX + 1], primary[SIX_FPR_HEX + 1];
	char errsig_who[SIX_FPR_HEX + 1];
	char dec_keyid[17];
};

/* Split line into at most max space-separated fields (in place); their number. */
static size_t fields(char *line, char *f[], size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *p = strtok_r(line, " ", &save); p && n < max; p = strtok_r(NULL, " ", &save))
		f[n++] = p;
	return n;
}

static int parse_ul(const char *s, unsigned long *v)
{
	uint64_t x;
	if (six_parse_u64(s, strlen(s), &x) < 0 || x > 0xffffffffu)
		return -1;
	*v = (unsigned long)x;
	return 0;
}

static int is_fpr(const char *s)
{
	return strlen(s) == SIX_FPR_HEX && six_is_hex(s, SIX_FPR_HEX, 'A');
}

/* VALIDSIG <fpr> <date> <timestamp> <expire> <version> <reserved> <pk-algo> <hash-algo>
 * <class> <primary-fpr>: the signing key, the primary key it belongs to (the
 * subkey->primary mapping, from gpg's own keyring) and the signature's time. Only a
 * binary-document signature (class 00) is what gpg --sign makes of a bundle. */
static void validsig(struct report *r, char *args)
{
	char *f[11];
	r->validsig++;
	size_t n = fields(args, f, 11);
	uint64_t t;
	r->valid_ok = n == 10 && is_fpr(f[0]) && is_fpr(f[9]) && strcmp(f[8], "00") == 0 &&
		      six_parse_u64(f[2], strlen(f[2]), &t) == 0 && parse_ul(f[6], &r->pk_algo) == 0 &&
		      parse_ul(f[7], &r->hash_algo) == 0;
	if (r->valid_ok) {
		memcpy(r->signer, f[0], sizeof r->signer);
		memcpy(r->primary, f[9], sizeof r->primary);
		r->sig_time = t;
	}
}

/* ERRSIG <keyid> <pk-algo> <hash-algo> <class> <time> <rc> [<fpr>] */
static void errsig(struct report *r, char *args)
{
	char *f[8];
	r->errsig++;
	size_t n = fields(args, f, 8);
	unsigned long rc = 0;
	if (n >= 6 && parse_ul(f[5], &rc) == 0)
		r->errsig_rc = (unsigned)rc;
	const char *who = n >= 7 && is_fpr(f[6]) ? f[6] : n >= 1 ? f[0] : "unknown";
	snprintf(r->errsig_who, sizeof r->errsig_who, "%.40s", who);
}

/* The decryption half of the status lines. 1 if the keyword was one of them. */
static int decrypt_line(struct report *r, const char *kw, char *args)
{
	char *f[4];
	size_t n;
	if (strcmp(kw, "ENC_TO") == 0) {
		r->enc_to++; /* a public-key encrypted session key packet */
	} else if (strcmp(kw, "NO_SECKEY") == 0) {
		r->no_seckey++;
	} else if (strcmp(kw, "DECRYPTION_KEY") == 0) {
		/* DECRYPTION_KEY <fpr of the key used> <primary fpr> <trust> */
		r->dec_key++;
		n = fields(args, f, 3);
		if (n >= 1 && is_fpr(f[0]))
			snprintf(r->dec_keyid, sizeof r->dec_keyid, "%s", f[0] + 24);
	} else if (strcmp(kw, "DECRYPTION_INFO") == 0) {
		/* DECRYPTION_INFO <mdc_method> <sym_algo> [<aead_algo>] */
		r->info++;
		n = fields(args, f, 4);
		if (n < 2 || parse_ul(f[0], &r->mdc_method) < 0 || parse_ul(f[1], &r->sym_algo) < 0 ||
		    (n >= 3 && parse_ul(f[2], &r->aead_algo) < 0))
			r->garbled++;
	} else {
		static const char *const words[] = {"BEGIN_DECRYPTION", "END_DECRYPTION",
						    "DECRYPTION_OKAY", "DECRYPTION_FAILED", "GOODMDC",
						    "BADMDC", "PLAINTEXT", "NODATA", "UNEXPECTED", NULL};
		unsigned *counts[] = {&r->begin, &r->end, &r->okay, &r->failed, &r->goodmdc,
				      &r->badmdc, &r->plaintext, &r->nodata, &r->unexpected};
		for (size_t i = 0; words[i]; i++)
			if (strcmp(kw, words[i]) == 0) {
				(*counts[i])++;
				return 1;
			}
		return 0;
	}
	return 1;
}

/* The key id (or fingerprint) a GOODSIG, BADSIG, EXPSIG, EXPKEYSIG or REVKEYSIG line
 * starts with: which key a refusal names, and the key GOODSIG and VALIDSIG must share. */
static void sig_keyid(struct report *r, char *args)
{
	char *f[1];
	if (fields(args, f, 1) == 1)
		snprintf(r->sig_keyid, sizeof r->sig_keyid, "%.40s", f[0]);
}

/* One complete status line (without its newline). Lines not from gpg's status
 * protocol, or not understood, change nothing: only the listed keywords count. */
static void status_line(struct report *r, char *line)
{
	if (strncmp(line, "[GNUPG:] ", 9) != 0) {
		r->garbled++;
		return;
	}
	char *kw = line + 9, *args = strchr(kw, ' ');
	if (args)
		*args++ = '\0';
	else
		args = kw + strlen(kw);
	if (decrypt_line(r, kw, args))
		return;
	if (strcmp(kw, "NEWSIG") == 0) {
		r->newsig++;
	} else if (strcmp(kw, "GOODSIG") == 0) {
		r->goodsig++;
		sig_keyid(r, args);
	} else if (strcmp(kw, "VALIDSIG") == 0) {
		validsig(r, args);
	} else if (strcmp(kw, "ERRSIG") == 0) {
		errsig(r, args);
	} else if (strcmp(kw, "FAILURE") == 0 || strcmp(kw, "ERROR") == 0) {
		r->failure++;
		const char *code = strrchr(args, ' ');
		r->fail_code = strtoul(code ? code + 1 : args, NULL, 10);
	} else {
		static const char *const words[] = {"BADSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG",
						    "NO_PUBKEY", NULL};
		unsigned *counts[] = {&r->badsig, &r->expsig, &r->expkeysig, &r->revkeysig,
				      &r->no_pubkey};
		for (size_t i = 0; words[i]; i++)
			if (strcmp(kw, words[i]) == 0) {
				(*counts[i])++;
				if (i < 4) /* BADSIG, EXPSIG, EXPKEYSIG, REVKEYSIG <keyid> ... */
					sig_keyid(r, args);
			}
	}
}

/* Status bytes as they come: whole lines go to status_line; a line longer than any
 * gpg writes is dropped whole (its tail must never pass for a line of its own) and
 * counted as garbled. */
struct line_buf {
	char buf[OPEN_LINE_MAX];
	size_t len;
	int overlong;
};

static void status_bytes(struct report *r, struct line_buf *lb, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			lb->buf[lb->len] = '\0';
			if (lb->overlong)
				r->garbled++;
			else
				status_line(r, lb->buf);
			lb->len = 0;
			lb->overlong = 0;
		} else if (p[i] == '\0' || lb->len + 1 >= sizeof lb->buf) {
			lb->overlong = 1;
		} else if (!lb->overlong) {
			lb->buf[lb->len++] = p[i];
		}
	}
}

/* ---- running gpg ---- */

/* The gpg engine GPGME uses and the home it was given (HOME/gnupg). */
static int engine_of(gpgme_ctx_t ctx, const char **file, const char **home,
		     struct six_err *err)
{
	gpgme_engine_info_t ei = gpgme_ctx_get_engine_info(ctx);
	while (ei && ei->protocol != GPGME_PROTOCOL_OpenPGP)
		ei = ei->next;
	if (!ei || !ei->file_name || !ei->home_dir)
		return six_fail(err, SIX_ERR_INTERNAL, "no gpg engine or home for decryption");
	*file = ei->file_name;
	*home = ei->home_dir;
	return 0;
}

/* gpg decrypts and verifies: stdin the bundle (through in), stdout the staging file,
 * status lines on fd 3, its chatter to /dev/null (one line on stderr is ours; not
 * --quiet, which also silences the NO_SECKEY status line). The
 * web of trust and key servers are never consulted: the registry pins signers.
 * --max-output bounds what an OpenPGP compressed packet may expand to before the
 * signature can be checked (a bundle has none: its plaintext is smaller than it). */
static int spawn_gpg(gpgme_ctx_t ctx, int in, int plain_fd, int status, uint64_t bundle_size,
		     pid_t *pid, struct six_err *err)
{
	const char *engine = NULL, *home = NULL;
	int rc = engine_of(ctx, &engine, &home, err);
	if (rc < 0)
		return rc;
	char maxout[32];
	snprintf(maxout, sizeof maxout, "%llu",
		 (unsigned long long)(2 * bundle_size + OPEN_BOMB_SLACK));
	const char *tty = ttyname(STDIN_FILENO);
	char *argv[] = {(char *)engine, "--homedir", (char *)home, "--batch", "--no-tty",
			"--status-fd", "3", "--exit-on-status-write-error",
			"--trust-model", "always", "--no-auto-key-retrieve", "--max-output",
			maxout, "--decrypt", "--output", "-",
			/* where gpg-agent asks for the enclave key's PIN, if it must */
			tty ? "--ttyname" : NULL, (char *)tty, NULL};
	return six_gpg_spawn(engine, argv, in, plain_fd, status, pid, err);
}

/* The bundle side of the pump: read, hash, hand to gpg. */
struct feed {
	int bundle_fd, sock;	/* sock: our end of gpg's stdin, -1 once closed */
	struct six_sha256 h;
	uint64_t size;
	char *buf;
	size_t have, off;	/* buf[off..have) still to send */
	int eof, read_failed;
};

static int feed_fill(struct feed *f)
{
	ssize_t n;
	do
		n = read(f->bundle_fd, f->buf, OPEN_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		f->read_failed = 1;
		return -1;
	}
	if (n == 0) {
		f->eof = 1;
		return 0;
	}
	six_sha256_update(&f->h, f->buf, (size_t)n);
	f->size += (uint64_t)n;
	f->have = (size_t)n;
	f->off = 0;
	return 0;
}

static void feed_close(struct feed *f)
{
	if (f->sock >= 0)
		close(f->sock);
	f->sock = -1;
}

/* Send what is buffered without blocking (gpg may be writing status lines we must
 * read first); a gpg that stopped reading (it refused the message) ends the feed. */
static void feed_send(struct feed *f)
{
	while (f->sock >= 0) {
		if (f->off == f->have && (f->eof || f->read_failed || feed_fill(f) < 0 || f->eof)) {
			feed_close(f); /* end of the bundle: gpg sees end of input */
			return;
		}
		ssize_t n = send(f->sock, f->buf + f->off, f->have - f->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) { /* EPIPE, ECONNRESET: gpg is gone */
			feed_close(f);
			return;
		}
		f->off += (size_t)n;
	}
}

/* Pump the bundle into gpg and its status lines out, until gpg closes its status fd. */
static void pump(struct feed *f, int status, struct report *r)
{
	struct line_buf *lb = calloc(1, sizeof *lb);
	char sbuf[4096];
	int open_st = 1;
	if (!lb) {
		r->garbled++;
		feed_close(f);
	}
	while (lb && open_st) {
		struct pollfd p[2] = {{status, POLLIN, 0}, {f->sock, POLLOUT, 0}};
		if (poll(p, f->sock >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			r->garbled++;
			break;
		}
		if (p[0].revents) {
			ssize_t n = read(status, sbuf, sizeof sbuf);
			if (n > 0)
				status_bytes(r, lb, sbuf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				open_st = 0;
		}
		if (f->sock >= 0 && p[1].revents)
			feed_send(f);
	}
	feed_close(f);
	free(lb);
	/* gpg may stop early (not for us, corrupt): the rest is still hashed, so that the
	 * audit record's SHA-256 is always the whole file's */
	while (!f->eof && !f->read_failed)
		feed_fill(f);
}

/* Run gpg over the bundle; its exit status in *wstatus. */
static int run_gpg(gpgme_ctx_t ctx, struct feed *f, int plain_fd, struct report *r,
		   int *wstatus, struct six_err *err)
{
	struct stat st;
	int sv[2], sp[2];
	uint64_t size = fstat(f->bundle_fd, &st) == 0 && st.st_size > 0 ? (uint64_t)st.st_size : 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "socketpair");
	if (pipe2(sp, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		return six_fail_errno(err, SIX_ERR_INTERNAL, "pipe");
	}
	int one = 1 << 20; /* fewer, larger hand-overs to gpg */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof one);
	shutdown(sv[1], SHUT_WR);
	pid_t pid;
	int rc = spawn_gpg(ctx, sv[1], plain_fd, sp[1], size, &pid, err);
	close(sv[1]);
	close(sp[1]);
	f->sock = sv[0];
	if (rc < 0) {
		close(sp[0]);
		feed_close(f);
		return rc;
	}
	pump(f, sp[0], r);
	close(sp[0]);
	while (waitpid(pid, wstatus, 0) < 0)
		if (errno != EINTR)
			return six_fail_errno(err, SIX_ERR_INTERNAL, "waiting for gpg");
	return 0;
}

/* ---- the verdict ---- */

static const char *cipher_name(unsigned long algo)
{
	static const char *const names[] = {NULL, "IDEA", "3DES", "CAST5", "BLOWFISH", NULL,
					    NULL, "AES", "AES192", "AES256", "TWOFISH",
					    "CAMELLIA128", "CAMELLIA192", "CAMELLIA256"};
	return algo < sizeof names / sizeof names[0] && names[algo] ? names[algo] : "unknown";
}

/* Not the bundle's fault: the disk under staging is full, or the agent is away. The
 * bundle is kept to be retried, not quarantined. */
static int operational(const struct report *r, int plain_fd, struct six_err *err)
{
	struct statvfs vfs;
	gpg_err_code_t c = gpg_err_code((gpg_error_t)r->fail_code);
	if (c == GPG_ERR_ENOSPC || c == GPG_ERR_EDQUOT ||
	    (fstatvfs(plain_fd, &vfs) == 0 && vfs.f_bavail == 0))
		return six_fail(err, SIX_ERR_IO, "cannot write the plaintext into staging: disk full");
	if (c == GPG_ERR_NO_AGENT || c == GPG_ERR_AGENT)
		return six_fail(err, SIX_ERR_TEMP, "gpg-agent is not available: %s",
				gpgme_strerror((gpgme_error_t)r->fail_code));
	return 0;
}

/* Check 1: public-key encryption to a key of this home, decrypted whole, with
 * integrity protection. Every failure is the one refusal class "decrypt": the caller
 * cannot tell a forged packet from a damaged one, and need not. A message without
 * MDC can be modified undetectably (EFAIL); a passphrase-only one proves nothing
 * about who it was meant for. */
static int judge_decrypt(const struct report *r, int exited_ok, int plain_fd,
			 struct six_err *err)
{
	if (r->info && r->mdc_method == 0 && r->aead_algo == 0)
		return six_fail(err, SIX_ERR_DECRYPT, "no integrity protection (no MDC)");
	if (r->enc_to == 0)
		return r->begin ? six_fail(err, SIX_ERR_DECRYPT,
					   "not public-key encrypted (passphrase only)")
				: six_fail(err, SIX_ERR_DECRYPT,
					   "no encrypted OpenPGP message (signed only, or corrupt)");
	if (r->dec_key == 0 && r->no_seckey > 0)
		return six_fail(err, SIX_ERR_DECRYPT, "not encrypted to a key of this home");
	int rc = exited_ok ? 0 : operational(r, plain_fd, err);
	if (rc < 0)
		return rc;
	if (r->begin != 1 || r->end != 1 || r->okay != 1 || r->failed || r->badmdc ||
	    r->info != 1 || r->dec_key != 1 || r->plaintext != 1 || r->nodata || r->unexpected ||
	    r->dec_keyid[0] == '\0')
		return six_fail(err, SIX_ERR_DECRYPT,
				"cannot decrypt: corrupt, truncated or tampered ciphertext");
	/* an MDC must have been checked and found good; AEAD checks itself */
	if (r->aead_algo == 0 && r->goodmdc != 1)
		return six_fail(err, SIX_ERR_DECRYPT, "no integrity protection (MDC not verified)");
	return 0;
}

/* Check 2a: exactly one signature, and good. Validity (web of trust) is deliberately
 * not consulted: trust is pinned by fingerprint in the registry, checked by the
 * caller. A signature the signer's own key state makes worthless (key unknown here:
 * forged or never enrolled; revoked; expired) is a sender problem. */
static int judge_signature(const struct report *r, struct six_err *err)
{
	if (r->newsig == 0)
		return six_fail(err, SIX_ERR_SIGNATURE, "not signed");
	if (r->newsig > 1)
		/* which signer would the manifest's Sender have to match? refuse the question */
		return six_fail(err, SIX_ERR_SIGNATURE, "%u signatures (exactly one allowed)",
				r->newsig);
	if ((r->errsig && r->errsig_rc == 9) || r->no_pubkey)
		return six_fail(err, SIX_ERR_SENDER, "signer %s is unknown here, revoked or expired",
				r->errsig_who[0] ? r->errsig_who : "unknown");
	if (r->expkeysig || r->revkeysig)
		return six_fail(err, SIX_ERR_SENDER, "signer %s is unknown here, revoked or expired",
				r->sig_keyid[0] ? r->sig_keyid : "unknown");
	if (r->badsig || r->errsig || r->expsig)
		return six_fail(err, SIX_ERR_SIGNATURE, "bad signature: %s",
				r->badsig ? "Bad signature" : r->expsig ? "Signature expired"
								: "cannot be checked");
	size_t kl = strlen(r->sig_keyid);
	if (r->goodsig != 1 || r->validsig != 1 || !r->valid_ok || kl < 16 ||
	    strcmp(r->signer + SIX_FPR_HEX - 16, r->sig_keyid + kl - 16) != 0)
		return six_fail(err, SIX_ERR_SIGNATURE, "bad signature: gpg reported no valid one");
	return 0;
}

/* Every rule, in order: decryption, then the one signature, then gpg's own word. */
static int judge(const struct report *r, int wstatus, int plain_fd, struct six_err *err)
{
	if (WIFSIGNALED(wstatus))
		return six_fail(err, SIX_ERR_DECRYPT, "gpg was killed by signal %d while decrypting",
				WTERMSIG(wstatus));
	int exited_ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
	int rc = judge_decrypt(r, exited_ok, plain_fd, err);
	if (rc < 0)
		return rc;
	/* gpg gave up before any signature: not "unsigned" but unreadable (for example
	 * a compressed packet passing --max-output) */
	if (!exited_ok && r->newsig == 0)
		return six_fail(err, SIX_ERR_DECRYPT,
				"cannot decrypt: gpg stopped before the signature (plaintext too "
				"large, or damaged)");
	rc = judge_signature(r, err);
	if (rc < 0)
		return rc;
	/* every line was right, and yet gpg says it failed, or said something unreadable:
	 * believe the failure */
	if (!exited_ok || r->failure || r->garbled)
		return six_fail(err, SIX_ERR_DECRYPT, "gpg reported a failure (exit %d, %s)",
				WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1,
				r->failure ? gpgme_strerror((gpgme_error_t)r->fail_code)
					   : "unreadable status");
	return 0;
}

static void name_or_unknown(char *dst, size_t cap, const char *name)
{
	snprintf(dst, cap, "%s", name ? name : "unknown");
}

/* The facts of an accepted bundle, as gpg reported them. */
static void fill_sig(const struct report *r, struct six_bundle_sig *sig)
{
	memcpy(sig->signer, r->signer, sizeof sig->signer);
	/* a signing subkey (smartcards) counts as its primary key, which the registry
	 * pins: VALIDSIG names it, from this home's keyring */
	memcpy(sig->primary, r->primary, sizeof sig->primary);
	sig->sig_time = (time_t)r->sig_time;
	name_or_unknown(sig->pubkey_algo, sizeof sig->pubkey_algo,
			gpgme_pubkey_algo_name((gpgme_pubkey_algo_t)r->pk_algo));
	name_or_unknown(sig->hash_algo, sizeof sig->hash_algo,
			gpgme_hash_algo_name((gpgme_hash_algo_t)r->hash_algo));
	snprintf(sig->cipher, sizeof sig->cipher, "%s.%s", cipher_name(r->sym_algo),
		 r->aead_algo == 1 ? "EAX" : r->aead_algo == 2 ? "OCB" : "CFB");
	memcpy(sig->decrypted_by, r->dec_keyid, sizeof sig->decrypted_by);
}

int six_bundle_open(gpgme_ctx_t ctx, int bundle_fd, int plain_fd, struct six_bundle_sig *sig,
		    struct six_err *err)
{
	memset(sig, 0, sizeof *sig);
	struct feed f = {.bundle_fd = bundle_fd, .sock = -1};
	struct report *r = calloc(1, sizeof *r);
	f.buf = malloc(OPEN_CHUNK);
	int rc = r && f.buf ? six_sha256_init(&f.h, err)
			    : six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	int wstatus = 0;
	if (rc == 0) {
		rc = run_gpg(ctx, &f, plain_fd, r, &wstatus, err);
		six_sha256_final_hex(&f.h, sig->sha256);
		sig->size = f.size;
	}
	free(f.buf);
	if (rc == 0 && f.read_failed)
		rc = six_fail(err, SIX_ERR_IO, "cannot read the bundle");
	if (rc == 0)
		rc = judge(r, wstatus, plain_fd, err);
	if (rc == 0)
		fill_sig(r, sig);
	free(r);
	return rc;
}
