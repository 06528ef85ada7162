/* Errors and exit codes shared by every SIX tool.
 *
 * Library functions never print or exit: they fill a struct six_err and return its
 * (negative) code. Only a tool's main turns that into one line on stderr and an exit
 * status, through six_exit_code(), so the table in MANUAL.md is this one table. */
#ifndef SIX_ERR_H
#define SIX_ERR_H

#include <stdarg.h>

enum six_code {
	SIX_OK = 0,
	/* operational failures */
	SIX_ERR_USAGE = -1,	/* bad command line */
	SIX_ERR_INPUT = -2,	/* malformed input: fingerprint, party, date, key file... */
	SIX_ERR_NOINPUT = -3,	/* input missing or unreadable */
	SIX_ERR_NOKEY = -4,	/* key or registry entry not found */
	SIX_ERR_EXISTS = -5,	/* already there: enrolled twice, output exists */
	SIX_ERR_KEY = -6,	/* key unusable: cannot sign/encrypt, expired, no secret */
	SIX_ERR_INTERNAL = -7,	/* a bug or an unexpected library failure */
	SIX_ERR_CREATE = -8,	/* cannot create output */
	SIX_ERR_IO = -9,	/* read/write/fsync failed (disk full...) */
	SIX_ERR_TEMP = -10,	/* temporary: try again (lock busy, agent busy) */
	SIX_ERR_CONFIG = -11,	/* home not initialised, bad six.conf */
	SIX_ERR_LOST = -12,	/* six-xferd: files that did not complete */
	/* refusals of a bundle (six-unpack), one class each */
	SIX_ERR_DECRYPT = -20,	/* not for us, corrupt or unprotected ciphertext */
	SIX_ERR_SIGNATURE = -21, /* no, bad, or more than one signature */
	SIX_ERR_SENDER = -22,	/* signer not registered, revoked or expired */
	SIX_ERR_MANIFEST = -23,	/* manifest missing or malformed */
	SIX_ERR_BINDING = -24,	/* manifest disagrees with signer, recipient, registry */
	SIX_ERR_FRESHNESS = -25, /* too old, or dated in the future */
	SIX_ERR_REPLAY = -26,	/* sequence or bundle id already delivered */
	SIX_ERR_CONTENT = -27,	/* member does not match its File: line, extra, missing */
	SIX_ERR_UNSAFE = -28,	/* path escape, link, device, control characters */
	SIX_ERR_LIMIT = -29,	/* a resource limit passed (count, size, bomb) */
};

struct six_err {
	int code;
	char msg[512];
};

/* Record an error and return its code, so callers can write `return six_fail(...)`. */
int six_fail(struct six_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As six_fail, with ": strerror(errno)" appended (errno is read before formatting). */
int six_fail_errno(struct six_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The process exit status for a code (0 for SIX_OK). */
int six_exit_code(int code);
/* A short stable word for a code ("signature", "replay"...): quarantine reasons, audit. */
const char *six_err_class(int code);

/* For mains only: print "tool: msg" and exit with the code's status. */
void six_die(const char *tool, const struct six_err *e) __attribute__((noreturn));
/* For mains only: "tool: <formatted>" on stderr. */
void six_warn(const char *tool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For mains only: usage error, exit 64. */
void six_usage_die(const char *tool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
