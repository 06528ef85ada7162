/* SIX-MANIFEST (formats/bundle.md, "The manifest"): a strict parser and an emitter.
 *
 * Strict on purpose: one canonical form (fixed key order, one space after the colon,
 * every line ending in '\n', no unknown keys), so two readers can never disagree about
 * what a signed manifest says, and a newer format can never be half-understood. */
#include "manifest.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "path.h"

/* The keys in canonical order; a manifest must list them in this order. */
enum field {
	F_VERSION,
	F_ID,
	F_CREATED,
	F_SENDER,
	F_RECIPIENT,
	F_PARTY,
	F_SEQUENCE,
	F_DOCTYPE,
	F_CLASS,
	F_SUBJECT,
	F_FILE,
	F_COUNT
};

static const struct {
	const char *key;
	int repeatable;
	int required;
} fields[F_COUNT] = {
	[F_VERSION] = {"Six-Bundle", 0, 1},   [F_ID] = {"Bundle-Id", 0, 1},
	[F_CREATED] = {"Created", 0, 1},      [F_SENDER] = {"Sender", 0, 1},
	[F_RECIPIENT] = {"Recipient", 1, 1},  [F_PARTY] = {"Party", 0, 1},
	[F_SEQUENCE] = {"Sequence", 0, 1},    [F_DOCTYPE] = {"Doc-Type", 0, 1},
	[F_CLASS] = {"Classification", 0, 1}, [F_SUBJECT] = {"Subject", 0, 0},
	[F_FILE] = {"File", 1, 1},
};

struct parse {
	const struct six_manifest_limits *lim;
	struct six_manifest *m;
	struct six_err *err;
	size_t lineno;
	size_t cap;	/* allocated entries of m->files */
	uint64_t total; /* sum of file sizes so far */
};

static int bad(struct parse *p, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct parse *p, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return six_fail(p->err, code, "manifest line %zu: %s", p->lineno, msg);
}

static int fpr_value(struct parse *p, const char *v, size_t len, char out[SIX_FPR_HEX + 1])
{
	if (len != SIX_FPR_HEX || !six_is_hex(v, len, 'A'))
		return bad(p, SIX_ERR_MANIFEST, "fingerprint must be 40 upper-case hex digits");
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

static int token_value(struct parse *p, const char *v, size_t len, char out[SIX_TOKEN_MAX + 1])
{
	if (!six_token_valid(v, len))
		return bad(p, SIX_ERR_MANIFEST, "malformed token '%.*s'",
			   (int)(len > 64 ? 64 : len), v);
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

static int subject_value(struct parse *p, const char *v, size_t len)
{
	if (len > SIX_SUBJECT_MAX)
		return bad(p, SIX_ERR_MANIFEST, "Subject longer than %d bytes", SIX_SUBJECT_MAX);
	/* one printable line: a subject is shown in listings and audit records, where a
	 * control character could forge or hide output */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return bad(p, SIX_ERR_MANIFEST, "Subject has control characters");
	if (!six_utf8_valid(v, len))
		return bad(p, SIX_ERR_MANIFEST, "Subject is not UTF-8");
	if (v[len - 1] == ' ')
		return bad(p, SIX_ERR_MANIFEST, "Subject ends with a space");
	memcpy(p->m->subject, v, len);
	p->m->subject[len] = '\0';
	return 0;
}

static int recipient_value(struct parse *p, const char *v, size_t len)
{
	struct six_manifest *m = p->m;
	if (m->n_recipients == SIX_RECIPIENTS_MAX)
		return bad(p, SIX_ERR_LIMIT, "more than %d recipients", SIX_RECIPIENTS_MAX);
	int rc = fpr_value(p, v, len, m->recipients[m->n_recipients]);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < m->n_recipients; i++)
		if (strcmp(m->recipients[i], m->recipients[m->n_recipients]) == 0)
			return bad(p, SIX_ERR_MANIFEST, "duplicate Recipient");
	m->n_recipients++;
	return 0;
}

/* "File: <64 lower hex> <decimal size> <path>"; the path is the rest of the line. */
static int file_value(struct parse *p, const char *v, size_t len)
{
	struct six_manifest *m = p->m;
	if (len < SIX_SHA256_HEX + 4 || v[SIX_SHA256_HEX] != ' ' ||
	    !six_is_hex(v, SIX_SHA256_HEX, 'a'))
		return bad(p, SIX_ERR_MANIFEST, "File: want '<sha256> <size> <path>'");
	const char *s = v + SIX_SHA256_HEX + 1;
	const char *sp = memchr(s, ' ', len - SIX_SHA256_HEX - 1);
	uint64_t size;
	if (!sp || six_parse_u64(s, (size_t)(sp - s), &size) < 0)
		return bad(p, SIX_ERR_MANIFEST, "File: malformed size");
	const char *path = sp + 1;
	size_t plen = len - (size_t)(path - v);
	struct six_err perr;
	if (six_path_check(path, plen, &perr) < 0)
		return bad(p, SIX_ERR_UNSAFE, "%s", perr.msg);
	/* limits before allocation: a hostile manifest cannot make us grow past them */
	if (m->n_files >= p->lim->max_files)
		return bad(p, SIX_ERR_LIMIT, "more than %" PRIu64 " files", p->lim->max_files);
	if (size > p->lim->max_file_size)
		return bad(p, SIX_ERR_LIMIT, "file of %" PRIu64 " bytes, limit %" PRIu64, size,
			   p->lim->max_file_size);
	if (size > UINT64_MAX - p->total || p->total + size > p->lim->max_total_size)
		return bad(p, SIX_ERR_LIMIT, "files total more than %" PRIu64 " bytes",
			   p->lim->max_total_size);
	if (m->n_files == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		struct six_manifest_file *nf = realloc(m->files, ncap * sizeof *nf);
		if (!nf)
			return bad(p, SIX_ERR_INTERNAL, "out of memory");
		m->files = nf;
		p->cap = ncap;
	}
	struct six_manifest_file *f = &m->files[m->n_files];
	if (!(f->path = malloc(plen + 1)))
		return bad(p, SIX_ERR_INTERNAL, "out of memory");
	memcpy(f->path, path, plen);
	f->path[plen] = '\0';
	memcpy(f->sha256, v, SIX_SHA256_HEX);
	f->sha256[SIX_SHA256_HEX] = '\0';
	f->size = size;
	p->total += size;
	m->n_files++;
	return 0;
}

static int field_value(struct parse *p, enum field f, const char *v, size_t len)
{
	struct six_manifest *m = p->m;
	switch (f) {
	case F_VERSION:
		if (len != 1 || v[0] != '1')
			return bad(p, SIX_ERR_MANIFEST, "unsupported bundle version '%.*s'",
				   (int)(len > 16 ? 16 : len), v);
		return 0;
	case F_ID:
		if (len != 32 || !six_is_hex(v, len, 'a'))
			return bad(p, SIX_ERR_MANIFEST, "Bundle-Id must be 32 lower-case hex digits");
		memcpy(m->bundle_id, v, len);
		return 0;
	case F_CREATED:
		if (len != SIX_TIME_LEN || six_time_parse(v, len, &m->created) < 0)
			return bad(p, SIX_ERR_MANIFEST, "Created must be YYYY-MM-DDTHH:MM:SSZ");
		memcpy(m->created_str, v, len);
		return 0;
	case F_SENDER:
		return fpr_value(p, v, len, m->sender);
	case F_RECIPIENT:
		return recipient_value(p, v, len);
	case F_PARTY:
		if (len > SIX_PARTY_MAX)
			return bad(p, SIX_ERR_MANIFEST, "malformed Party");
		memcpy(m->party, v, len);
		m->party[len] = '\0';
		/* strlen: a NUL inside the value must not shorten what we check */
		return strlen(m->party) == len && six_party_valid(m->party)
			       ? 0
			       : bad(p, SIX_ERR_MANIFEST, "malformed Party");
	case F_SEQUENCE:
		if (six_parse_u64(v, len, &m->sequence) < 0 || m->sequence == 0)
			return bad(p, SIX_ERR_MANIFEST, "Sequence must be a decimal number >= 1");
		return 0;
	case F_DOCTYPE:
		return token_value(p, v, len, m->doc_type);
	case F_CLASS:
		return token_value(p, v, len, m->classification);
	case F_SUBJECT:
		return subject_value(p, v, len);
	case F_FILE:
		return file_value(p, v, len);
	case F_COUNT:
		break;
	}
	return bad(p, SIX_ERR_INTERNAL, "unknown field");
}

/* Split "Key: value" and find the key; -1 (error set) if malformed or unknown. */
static int split_line(struct parse *p, const char *line, size_t len, enum field *f,
		      const char **v, size_t *vlen)
{
	const char *colon = memchr(line, ':', len);
	if (!colon || (size_t)(colon - line) + 2 > len || colon[1] != ' ')
		return bad(p, SIX_ERR_MANIFEST, "want 'Key: value'");
	size_t klen = (size_t)(colon - line);
	for (int i = 0; i < F_COUNT; i++) {
		if (strlen(fields[i].key) == klen && memcmp(fields[i].key, line, klen) == 0) {
			*f = (enum field)i;
			*v = colon + 2;
			*vlen = len - klen - 2;
			if (*vlen == 0 || (*v)[0] == ' ')
				return bad(p, SIX_ERR_MANIFEST, "%s: empty value or extra space",
					   fields[i].key);
			return 0;
		}
	}
	/* no silent downgrade: a key we do not know may carry a rule we would skip */
	return bad(p, SIX_ERR_MANIFEST, "unknown key '%.*s'", (int)(klen > 40 ? 40 : klen),
		   line);
}

static int parse_lines(struct parse *p, const char *text, size_t len)
{
	struct six_buf b;
	six_buf_init(&b, text, len);
	int seen[F_COUNT] = {0};
	int last = -1;
	while (six_buf_left(&b) > 0) {
		const char *line, *v = NULL;
		size_t ll, vl = 0;
		enum field f = F_COUNT;
		p->lineno++;
		if (six_buf_get_line(&b, &line, &ll) < 0)
			return bad(p, SIX_ERR_MANIFEST, "last line does not end with a newline");
		if (split_line(p, line, ll, &f, &v, &vl) < 0)
			return p->err->code;
		if (p->lineno == 1 && f != F_VERSION)
			return bad(p, SIX_ERR_MANIFEST, "first line must be 'Six-Bundle: 1'");
		if (seen[f] && !fields[f].repeatable)
			return bad(p, SIX_ERR_MANIFEST, "duplicate %s", fields[f].key);
		if ((int)f < last)
			return bad(p, SIX_ERR_MANIFEST, "%s out of order", fields[f].key);
		seen[f] = 1;
		last = (int)f;
		int rc = field_value(p, f, v, vl);
		if (rc < 0)
			return rc;
	}
	for (int i = 0; i < F_COUNT; i++)
		if (fields[i].required && !seen[i])
			return six_fail(p->err, SIX_ERR_MANIFEST, "manifest: missing %s",
					fields[i].key);
	return 0;
}

int six_manifest_parse(const char *text, size_t len, const struct six_manifest_limits *lim,
		       struct six_manifest *m, struct six_err *err)
{
	memset(m, 0, sizeof *m);
	if (len > SIX_MANIFEST_MAX)
		return six_fail(err, SIX_ERR_LIMIT, "manifest larger than %u bytes",
				SIX_MANIFEST_MAX);
	if (len == 0)
		return six_fail(err, SIX_ERR_MANIFEST, "manifest is empty");
	struct parse p = {.lim = lim, .m = m, .err = err};
	int rc = parse_lines(&p, text, len);
	if (rc == 0)
		rc = six_manifest_paths_check(m->files, m->n_files, err);
	if (rc < 0)
		six_manifest_free(m);
	return rc;
}

/* Path order in which "a/..." sorts right after "a": '/' weighs less than any byte a
 * path may hold (control characters are refused), so a file that is also a directory
 * prefix of another is always next to it. */
static int cmp_paths(const void *x, const void *y)
{
	const unsigned char *a = *(const unsigned char *const *)x;
	const unsigned char *b = *(const unsigned char *const *)y;
	for (;; a++, b++) {
		unsigned ca = *a == '/' ? 1u : *a, cb = *b == '/' ? 1u : *b;
		if (ca != cb || ca == 0)
			return (int)ca - (int)cb;
	}
}

int six_manifest_paths_check(const struct six_manifest_file *files, size_t n,
			     struct six_err *err)
{
	if (n < 2)
		return 0;
	const char **v = malloc(n * sizeof *v);
	if (!v)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = files[i].path;
	qsort(v, n, sizeof *v, cmp_paths);
	int rc = 0;
	for (size_t i = 1; i < n && rc == 0; i++) {
		size_t l = strlen(v[i - 1]);
		if (strcmp(v[i - 1], v[i]) == 0)
			rc = six_fail(err, SIX_ERR_MANIFEST, "duplicate path '%.200s'", v[i]);
		/* "a" and "a/b" cannot both be extracted: one would replace the other */
		else if (strncmp(v[i - 1], v[i], l) == 0 && v[i][l] == '/')
			rc = six_fail(err, SIX_ERR_MANIFEST,
				      "path '%.200s' is both a file and a directory", v[i - 1]);
	}
	free(v);
	return rc;
}

void six_manifest_free(struct six_manifest *m)
{
	for (size_t i = 0; i < m->n_files; i++)
		free(m->files[i].path);
	free(m->files);
	m->files = NULL;
	m->n_files = 0;
}

struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append to a buffer sized in advance (six_manifest_emit bounds it); never overflows. */
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n : o->cap - o->len - 1;
}

int six_manifest_emit(const struct six_manifest *m, char **out, size_t *len,
		      struct six_err *err)
{
	size_t cap = 4096 + m->n_recipients * 64 + SIX_SUBJECT_MAX;
	for (size_t i = 0; i < m->n_files; i++) {
		size_t pl = strnlen(m->files[i].path, SIX_PATH_MAX + 1);
		if (pl > SIX_PATH_MAX || cap > SIX_MANIFEST_MAX)
			return six_fail(err, SIX_ERR_LIMIT, "manifest would pass %u bytes",
					SIX_MANIFEST_MAX);
		cap += pl + 100;
	}
	struct out o = {.p = malloc(cap), .cap = cap};
	if (!o.p)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	put(&o, "Six-Bundle: 1\nBundle-Id: %s\nCreated: %s\nSender: %s\n", m->bundle_id,
	    m->created_str, m->sender);
	for (size_t i = 0; i < m->n_recipients; i++)
		put(&o, "Recipient: %s\n", m->recipients[i]);
	put(&o, "Party: %s\nSequence: %" PRIu64 "\nDoc-Type: %s\nClassification: %s\n",
	    m->party, m->sequence, m->doc_type, m->classification);
	if (m->subject[0])
		put(&o, "Subject: %s\n", m->subject);
	for (size_t i = 0; i < m->n_files; i++)
		put(&o, "File: %s %" PRIu64 " %s\n", m->files[i].sha256, m->files[i].size,
		    m->files[i].path);
	/* Read our own output back with the receiver's parser: a sender must never sign
	 * a manifest that a receiver would refuse (or read differently). */
	struct six_manifest check;
	const struct six_manifest_limits any = {UINT64_MAX, UINT64_MAX, UINT64_MAX};
	int rc = six_manifest_parse(o.p, o.len, &any, &check, err);
	if (rc < 0) {
		free(o.p);
		return rc;
	}
	six_manifest_free(&check);
	*out = o.p;
	*len = o.len;
	return 0;
}
