#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "path.h"
#include "util.h"

#define NFIELDS 8 /* fpr party status enrolled expires revoked doc-types name */

void six_registry_init(struct six_registry *r)
{
	memset(r, 0, sizeof *r);
}

void six_registry_free(struct six_registry *r)
{
	free(r->entries);
	six_registry_init(r);
}

/* A name is shown on terminals and written to the audit log: UTF-8 without any
 * control character (C0, DEL, C1), so it cannot forge lines or escape sequences. */
static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > SIX_NAME_MAX || !six_utf8_valid(s, len))
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int six_registry_entry_check(const struct six_reg_entry *e, struct six_err *err)
{
	if (strnlen(e->fpr, sizeof e->fpr) != SIX_FPR_HEX || !six_is_hex(e->fpr, SIX_FPR_HEX, 'A'))
		return six_fail(err, SIX_ERR_INPUT, "fingerprint is not 40 upper-case hex digits");
	if (strnlen(e->party, sizeof e->party) > SIX_PARTY_MAX || !six_party_valid(e->party))
		return six_fail(err, SIX_ERR_INPUT, "bad party code");
	size_t nl = strnlen(e->name, sizeof e->name);
	if (nl > SIX_NAME_MAX || !name_ok(e->name, nl))
		return six_fail(err, SIX_ERR_INPUT, "bad name (empty, too long, control characters)");
	if (e->n_doc_types > SIX_DOCTYPES_MAX)
		return six_fail(err, SIX_ERR_INPUT, "too many doc types");
	for (size_t i = 0; i < e->n_doc_types; i++) {
		size_t tl = strnlen(e->doc_types[i], sizeof e->doc_types[i]);
		if (tl > SIX_TOKEN_MAX || !six_token_valid(e->doc_types[i], tl))
			return six_fail(err, SIX_ERR_INPUT, "bad doc type");
		for (size_t j = 0; j < i; j++)
			if (strcmp(e->doc_types[i], e->doc_types[j]) == 0)
				return six_fail(err, SIX_ERR_INPUT, "doc type '%s' listed twice",
						e->doc_types[i]);
	}
	/* time 0 is reserved for "never" / "not revoked" */
	if (e->enrolled <= 0 || e->expires < 0)
		return six_fail(err, SIX_ERR_INPUT, "bad enrolment or expiry time");
	if (e->status == SIX_REG_ACTIVE ? e->revoked != 0
					: e->status != SIX_REG_REVOKED || e->revoked <= 0)
		return six_fail(err, SIX_ERR_INPUT, "status and revocation time disagree");
	return 0;
}

/* ---- parsing ---- */

static int field_eq(const char *f, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(f, word, len) == 0;
}

static int copy_field(char *dst, size_t cap, const char *f, size_t len)
{
	/* an embedded NUL would cut the C string: "NLD\0X" must not read as "NLD" */
	if (len >= cap || memchr(f, '\0', len))
		return -1;
	memcpy(dst, f, len);
	dst[len] = '\0';
	return 0;
}

/* A time field: RFC 3339 UTC, or the word for "none" (stored as 0) if none != NULL. */
static int parse_time(const char *f, size_t len, const char *none, time_t *t)
{
	if (none && field_eq(f, len, none)) {
		*t = 0;
		return 0;
	}
	if (six_time_parse(f, len, t) < 0 || *t <= 0)
		return -1;
	/* one spelling per instant (no leap second ":60"): emit(parse(x)) == x */
	char again[SIX_TIME_LEN + 1];
	six_time_format(*t, again);
	return memcmp(again, f, SIX_TIME_LEN) == 0 ? 0 : -1;
}

static int parse_doc_types(const char *f, size_t len, struct six_reg_entry *e)
{
	e->n_doc_types = 0;
	if (field_eq(f, len, "*"))
		return 0;
	while (1) {
		const char *comma = memchr(f, ',', len);
		size_t tl = comma ? (size_t)(comma - f) : len;
		if (e->n_doc_types == SIX_DOCTYPES_MAX || !six_token_valid(f, tl))
			return -1;
		memcpy(e->doc_types[e->n_doc_types], f, tl);
		e->doc_types[e->n_doc_types++][tl] = '\0';
		if (!comma)
			return 0;
		len -= tl + 1;
		f = comma + 1;
	}
}

/* Split line at tabs into exactly NFIELDS fields. */
static int split(const char *line, size_t len, const char *f[NFIELDS], size_t fl[NFIELDS])
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (n == NFIELDS)
			return -1;
		f[n] = line + start;
		fl[n++] = i - start;
		start = i + 1;
	}
	return n == NFIELDS ? 0 : -1;
}

/* One record; on failure *what names the faulty field. */
static int parse_record(const char *line, size_t len, struct six_reg_entry *e, const char **what)
{
	const char *f[NFIELDS];
	size_t fl[NFIELDS];
	memset(e, 0, sizeof *e);
	*what = "record (want 8 tab-separated fields)";
	if (split(line, len, f, fl) < 0)
		return -1;
	*what = "fingerprint";
	if (fl[0] != SIX_FPR_HEX || !six_is_hex(f[0], fl[0], 'A') ||
	    copy_field(e->fpr, sizeof e->fpr, f[0], fl[0]) < 0)
		return -1;
	*what = "party";
	if (copy_field(e->party, sizeof e->party, f[1], fl[1]) < 0 || !six_party_valid(e->party))
		return -1;
	*what = "status";
	if (field_eq(f[2], fl[2], "active"))
		e->status = SIX_REG_ACTIVE;
	else if (field_eq(f[2], fl[2], "revoked"))
		e->status = SIX_REG_REVOKED;
	else
		return -1;
	*what = "enrolment time";
	if (parse_time(f[3], fl[3], NULL, &e->enrolled) < 0)
		return -1;
	*what = "expiry";
	if (parse_time(f[4], fl[4], "never", &e->expires) < 0)
		return -1;
	*what = "revocation time";
	if (parse_time(f[5], fl[5], "-", &e->revoked) < 0)
		return -1;
	*what = "doc types";
	if (parse_doc_types(f[6], fl[6], e) < 0)
		return -1;
	*what = "name";
	if (!name_ok(f[7], fl[7]) || copy_field(e->name, sizeof e->name, f[7], fl[7]) < 0)
		return -1;
	*what = "record";
	return six_registry_entry_check(e, NULL) < 0 ? -1 : 0;
}

int six_registry_parse(const char *text, size_t len, struct six_registry *r,
		       struct six_err *err)
{
	six_registry_init(r);
	if (len > SIX_REGISTRY_MAX)
		return six_fail(err, SIX_ERR_LIMIT, "registry larger than %u bytes", SIX_REGISTRY_MAX);
	struct six_buf b;
	six_buf_init(&b, text, len);
	const char *line;
	size_t ll;
	if (six_buf_get_line(&b, &line, &ll) < 0 || !field_eq(line, ll, SIX_REGISTRY_MAGIC))
		return six_fail(err, SIX_ERR_INPUT, "line 1: want header '%s'", SIX_REGISTRY_MAGIC);
	for (size_t lineno = 2; six_buf_left(&b) > 0; lineno++) {
		const char *what;
		struct six_reg_entry e;
		int rc = 0;
		if (six_buf_get_line(&b, &line, &ll) < 0)
			rc = six_fail(err, SIX_ERR_INPUT, "line %zu: no final newline", lineno);
		else if (parse_record(line, ll, &e, &what) < 0)
			rc = six_fail(err, SIX_ERR_INPUT, "line %zu: bad %s", lineno, what);
		else if ((rc = six_registry_add(r, &e, err)) < 0)
			rc = rc == SIX_ERR_EXISTS
				     ? six_fail(err, SIX_ERR_INPUT, "line %zu: duplicate fingerprint",
						lineno)
				     : rc; /* full, or out of memory: err says which */
		if (rc < 0) {
			six_registry_free(r);
			return rc;
		}
	}
	return 0;
}

/* ---- emitting ---- */

/* Longest record: every field at its maximum, tabs and newline. */
#define RECORD_MAX                                                                     \
	(SIX_FPR_HEX + SIX_PARTY_MAX + 8 + 3 * SIX_TIME_LEN +                          \
	 SIX_DOCTYPES_MAX * (SIX_TOKEN_MAX + 1) + SIX_NAME_MAX + NFIELDS)

static size_t emit_record(const struct six_reg_entry *e, char *p)
{
	char enr[SIX_TIME_LEN + 1], exp[SIX_TIME_LEN + 1] = "never", rev[SIX_TIME_LEN + 1] = "-";
	six_time_format(e->enrolled, enr);
	if (e->expires)
		six_time_format(e->expires, exp);
	if (e->revoked)
		six_time_format(e->revoked, rev);
	size_t n = (size_t)sprintf(p, "%s\t%s\t%s\t%s\t%s\t%s\t", e->fpr, e->party,
				   e->status == SIX_REG_REVOKED ? "revoked" : "active", enr, exp,
				   rev);
	if (e->n_doc_types == 0)
		p[n++] = '*';
	for (size_t i = 0; i < e->n_doc_types; i++)
		n += (size_t)sprintf(p + n, "%s%s", i ? "," : "", e->doc_types[i]);
	n += (size_t)sprintf(p + n, "\t%s\n", e->name);
	return n;
}

int six_registry_emit(const struct six_registry *r, char **out, size_t *len,
		      struct six_err *err)
{
	/* never write what the parser would refuse to read back */
	for (size_t i = 0; i < r->n; i++)
		if (six_registry_entry_check(&r->entries[i], err) < 0)
			return six_fail(err, SIX_ERR_INTERNAL, "registry entry %s: %s",
					r->entries[i].fpr, err->msg);
	size_t cap = sizeof SIX_REGISTRY_MAGIC + 1 + r->n * (RECORD_MAX + 1);
	char *buf = malloc(cap);
	if (!buf)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	size_t n = (size_t)sprintf(buf, "%s\n", SIX_REGISTRY_MAGIC);
	for (size_t i = 0; i < r->n; i++)
		n += emit_record(&r->entries[i], buf + n);
	*out = buf;
	*len = n;
	return 0;
}

/* ---- lookup and changes ---- */

const struct six_reg_entry *six_registry_find(const struct six_registry *r, const char *fpr)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->entries[i].fpr, fpr) == 0)
			return &r->entries[i];
	return NULL;
}

int six_registry_add(struct six_registry *r, const struct six_reg_entry *e,
		     struct six_err *err)
{
	int rc = six_registry_entry_check(e, err);
	if (rc < 0)
		return rc;
	if (six_registry_find(r, e->fpr))
		return six_fail(err, SIX_ERR_EXISTS, "%s is already in the registry", e->fpr);
	if (r->n == SIX_REGISTRY_ENTRIES_MAX)
		return six_fail(err, SIX_ERR_LIMIT, "registry full (%d entries)",
				SIX_REGISTRY_ENTRIES_MAX);
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct six_reg_entry *p = realloc(r->entries, cap * sizeof *p);
		if (!p)
			return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
		r->entries = p;
		r->cap = cap;
	}
	r->entries[r->n++] = *e;
	return 0;
}

int six_registry_revoke(struct six_registry *r, const char *fpr, time_t now,
			struct six_err *err)
{
	struct six_reg_entry *e = (struct six_reg_entry *)six_registry_find(r, fpr);
	if (!e)
		return six_fail(err, SIX_ERR_NOKEY, "%s is not in the registry", fpr);
	if (e->status == SIX_REG_REVOKED)
		return six_fail(err, SIX_ERR_EXISTS, "%s is already revoked", fpr);
	if (now <= 0)
		return six_fail(err, SIX_ERR_INTERNAL, "bad clock");
	e->status = SIX_REG_REVOKED;
	e->revoked = now;
	return 0;
}

/* ---- decisions ---- */

enum six_reg_status six_registry_state(const struct six_reg_entry *e, time_t now)
{
	if (e->status == SIX_REG_REVOKED)
		return SIX_REG_REVOKED;
	if (e->expires && e->expires <= now)
		return SIX_REG_EXPIRED;
	return SIX_REG_ACTIVE;
}

const char *six_registry_state_name(enum six_reg_status s)
{
	return s == SIX_REG_ACTIVE ? "active" : s == SIX_REG_REVOKED ? "revoked" : "expired";
}

int six_registry_check_sender(const struct six_reg_entry *e, time_t now, struct six_err *err)
{
	if (!e)
		return six_fail(err, SIX_ERR_SENDER, "sender is not registered");
	char when[SIX_TIME_LEN + 1];
	switch (six_registry_state(e, now)) {
	case SIX_REG_REVOKED:
		six_time_format(e->revoked, when);
		return six_fail(err, SIX_ERR_SENDER, "sender %s was revoked at %s", e->fpr, when);
	case SIX_REG_EXPIRED:
		six_time_format(e->expires, when);
		return six_fail(err, SIX_ERR_SENDER, "sender %s expired at %s", e->fpr, when);
	case SIX_REG_ACTIVE:
		break;
	}
	return 0;
}

int six_registry_check_doc_type(const struct six_reg_entry *e, const char *doc_type,
				const struct six_conf *conf, struct six_err *err)
{
	/* the configured list bounds every entry, also one enrolled before a change */
	int configured = 0;
	for (size_t i = 0; i < conf->n_doc_types; i++)
		configured |= strcmp(conf->doc_types[i], doc_type) == 0;
	if (!configured)
		return six_fail(err, SIX_ERR_BINDING, "doc type '%.64s' is not configured here",
				doc_type);
	if (e->n_doc_types == 0)
		return 0;
	for (size_t i = 0; i < e->n_doc_types; i++)
		if (strcmp(e->doc_types[i], doc_type) == 0)
			return 0;
	return six_fail(err, SIX_ERR_BINDING, "sender %s may not send doc type '%.64s'", e->fpr,
			doc_type);
}
