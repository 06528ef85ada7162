#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	int code;
	int status;
	const char *word;
} table[] = {
	{SIX_OK, 0, "ok"},
	{SIX_ERR_USAGE, 64, "usage"},
	{SIX_ERR_INPUT, 65, "bad-input"},
	{SIX_ERR_NOINPUT, 66, "no-input"},
	{SIX_ERR_NOKEY, 67, "unknown-key"},
	{SIX_ERR_EXISTS, 68, "exists"},
	{SIX_ERR_KEY, 69, "key-unusable"},
	{SIX_ERR_INTERNAL, 70, "internal"},
	{SIX_ERR_CREATE, 73, "cannot-create"},
	{SIX_ERR_IO, 74, "io"},
	{SIX_ERR_TEMP, 75, "temporary"},
	{SIX_ERR_CONFIG, 78, "config"},
	{SIX_ERR_LOST, 79, "lost"},
	{SIX_ERR_DECRYPT, 20, "decrypt"},
	{SIX_ERR_SIGNATURE, 21, "signature"},
	{SIX_ERR_SENDER, 22, "sender"},
	{SIX_ERR_MANIFEST, 23, "manifest"},
	{SIX_ERR_BINDING, 24, "binding"},
	{SIX_ERR_FRESHNESS, 25, "freshness"},
	{SIX_ERR_REPLAY, 26, "replay"},
	{SIX_ERR_CONTENT, 27, "content"},
	{SIX_ERR_UNSAFE, 28, "unsafe"},
	{SIX_ERR_LIMIT, 29, "limit"},
};

static size_t lookup(int code)
{
	size_t internal = 0;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (table[i].code == code)
			return i;
		if (table[i].code == SIX_ERR_INTERNAL)
			internal = i;
	}
	return internal; /* unknown codes are internal errors, never success */
}

int six_exit_code(int code) { return table[lookup(code)].status; }

const char *six_err_class(int code) { return table[lookup(code)].word; }

__attribute__((format(printf, 4, 0)))
static int vfail(struct six_err *e, int code, const char *suffix, const char *fmt,
		 va_list ap)
{
	if (!e)
		return code;
	e->code = code;
	int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	if (suffix && n >= 0 && (size_t)n < sizeof e->msg)
		snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", suffix);
	return code;
}

int six_fail(struct six_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(e, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int six_fail_errno(struct six_err *e, int code, const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;
	va_start(ap, fmt);
	vfail(e, code, why, fmt, ap);
	va_end(ap);
	return code;
}

void six_die(const char *tool, const struct six_err *e)
{
	fprintf(stderr, "%s: %s\n", tool, e->msg);
	exit(six_exit_code(e->code));
}

void six_warn(const char *tool, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void six_usage_die(const char *tool, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", tool);
	exit(64);
}
