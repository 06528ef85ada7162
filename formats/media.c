/* SIX-MEDIA parse and emit (formats/media.md). */
#include "media.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "path.h"

/* The header lines, in the only order the format allows. */
enum { H_VERSION, H_ID, H_CREATED, H_FILES, H_COUNT };
static const char *const header_key[H_COUNT] = {"SIX-Media", "Export-Id", "Created",
						"Files"};

/* Split "Key: value" at the first ": "; 0, or -1 when the line has no such separator. */
static int split_line(const char *line, size_t len, size_t *klen, const char **val,
		      size_t *vlen)
{
	const char *sep = memchr(line, ':', len);
	if (!sep || (size_t)(sep - line) + 1 >= len || sep[1] != ' ')
		return -1;
	*klen = (size_t)(sep - line);
	*val = sep + 2;
	*vlen = len - *klen - 2;
	return 0;
}

static int key_is(const char *line, size_t klen, const char *key)
{
	return strlen(key) == klen && memcmp(line, key, klen) == 0;
}

static int parse_header(struct six_buf *b, struct six_media_manifest *m, uint64_t *files,
			struct six_err *err)
{
	for (int h = 0; h < H_COUNT; h++) {
		const char *line, *val;
		size_t len, klen, vlen;
		if (six_buf_get_line(b, &line, &len) < 0)
			return six_fail(err, SIX_ERR_MANIFEST, "truncated before %s:",
					header_key[h]);
		if (split_line(line, len, &klen, &val, &vlen) < 0 ||
		    !key_is(line, klen, header_key[h]))
			return six_fail(err, SIX_ERR_MANIFEST, "line %d: expected %s:", h + 1,
					header_key[h]);
		int bad = 0;
		switch (h) {
		case H_VERSION:
			/* exactly "1": a later version is refused, never half-understood */
			bad = vlen != 1 || val[0] != '0' + SIX_MEDIA_VERSION;
			break;
		case H_ID:
			bad = vlen != SIX_MEDIA_ID_HEX || !six_is_hex(val, vlen, 'a');
			if (!bad)
				memcpy(m->export_id, val, vlen);
			break;
		case H_CREATED:
			bad = six_time_parse(val, vlen, &m->created) < 0;
			if (!bad)
				memcpy(m->created_str, val, vlen);
			break;
		default:
			bad = six_parse_u64(val, vlen, files) < 0;
			if (!bad && *files > SIX_MEDIA_FILES_MAX)
				return six_fail(err, SIX_ERR_LIMIT, "more than %u files",
						SIX_MEDIA_FILES_MAX);
		}
		if (bad)
			return six_fail(err, SIX_ERR_MANIFEST, "line %d: bad %s: value", h + 1,
					header_key[h]);
	}
	return 0;
}

/* "File: <sha256> <size> <name>": the name is the rest of the line (it may hold
 * spaces), so it comes last. */
static int parse_entry(const char *line, size_t len, size_t lineno, struct six_media_entry *e,
		       struct six_err *err)
{
	const char *val;
	size_t klen, vlen;
	if (split_line(line, len, &klen, &val, &vlen) < 0 || !key_is(line, klen, "File"))
		return six_fail(err, SIX_ERR_MANIFEST, "line %zu: expected File:", lineno);
	if (vlen < SIX_SHA256_HEX + 1 || !six_is_hex(val, SIX_SHA256_HEX, 'a') ||
	    val[SIX_SHA256_HEX] != ' ')
		return six_fail(err, SIX_ERR_MANIFEST, "line %zu: bad SHA-256", lineno);
	memcpy(e->sha256, val, SIX_SHA256_HEX);
	e->sha256[SIX_SHA256_HEX] = '\0';
	const char *p = val + SIX_SHA256_HEX + 1, *end = val + vlen;
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || six_parse_u64(p, (size_t)(sp - p), &e->size) < 0)
		return six_fail(err, SIX_ERR_MANIFEST, "line %zu: bad size", lineno);
	size_t nlen = (size_t)(end - sp - 1);
	if (nlen == 0 || nlen > SIX_SPOOL_NAME_MAX)
		return six_fail(err, SIX_ERR_UNSAFE, "line %zu: name empty or too long", lineno);
	memcpy(e->name, sp + 1, nlen);
	e->name[nlen] = '\0';
	if (six_name_check(e->name, err) < 0)
		return six_fail(err, SIX_ERR_UNSAFE, "line %zu: unsafe file name", lineno);
	/* the manifest's own name would be overwritten by, or mistaken for, a bundle */
	if (strcasecmp(e->name, SIX_MEDIA_NAME) == 0)
		return six_fail(err, SIX_ERR_UNSAFE, "line %zu: reserved name %s", lineno,
				SIX_MEDIA_NAME);
	return 0;
}

static int cmp_fold(const void *a, const void *b)
{
	return strcasecmp((*(const struct six_media_entry *const *)a)->name,
			  (*(const struct six_media_entry *const *)b)->name);
}

/* Removable media are usually FAT or exFAT, which fold ASCII case: "a.six" and
 * "A.SIX" are one file there, so two such lines could never both be verified. */
static int check_case_unique(const struct six_media_manifest *m, struct six_err *err)
{
	if (m->count < 2)
		return 0;
	const struct six_media_entry **v = malloc(m->count * sizeof *v);
	if (!v)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < m->count; i++)
		v[i] = &m->entries[i];
	qsort(v, m->count, sizeof *v, cmp_fold);
	int rc = 0;
	for (size_t i = 1; i < m->count && rc == 0; i++)
		if (strcasecmp(v[i - 1]->name, v[i]->name) == 0)
			rc = six_fail(err, SIX_ERR_MANIFEST, "names differ only in case: %s",
				      v[i]->name);
	free(v);
	return rc;
}

static int parse_entries(struct six_buf *b, struct six_media_manifest *m, uint64_t files,
			 struct six_err *err)
{
	if (files > 0 && !(m->entries = calloc((size_t)files, sizeof *m->entries)))
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < files; i++) {
		const char *line;
		size_t len, lineno = H_COUNT + i + 1;
		if (six_buf_get_line(b, &line, &len) < 0)
			return six_fail(err, SIX_ERR_MANIFEST, "%zu File: lines, Files: says %llu",
					i, (unsigned long long)files);
		int rc = parse_entry(line, len, lineno, &m->entries[i], err);
		if (rc < 0)
			return rc;
		m->count = i + 1;
		/* one canonical order: the same bundles always give the same manifest */
		if (i > 0 && strcmp(m->entries[i - 1].name, m->entries[i].name) >= 0)
			return six_fail(err, SIX_ERR_MANIFEST,
					"line %zu: names not in order, or repeated", lineno);
	}
	if (six_buf_left(b) > 0)
		return six_fail(err, SIX_ERR_MANIFEST, "more lines than Files: says");
	return check_case_unique(m, err);
}

int six_media_parse(const char *text, size_t len, struct six_media_manifest *m,
		    struct six_err *err)
{
	memset(m, 0, sizeof *m); /* keeps export_id and created_str terminated */
	if (len > SIX_MEDIA_MANIFEST_MAX)
		return six_fail(err, SIX_ERR_LIMIT, "manifest larger than %u bytes",
				SIX_MEDIA_MANIFEST_MAX);
	/* a NUL would cut a name short when it is used as a C string */
	if (memchr(text, '\0', len))
		return six_fail(err, SIX_ERR_MANIFEST, "NUL byte in manifest");
	struct six_buf b;
	six_buf_init(&b, text, len);
	uint64_t files = 0;
	int rc = parse_header(&b, m, &files, err);
	if (rc == 0)
		rc = parse_entries(&b, m, files, err);
	if (rc < 0)
		six_media_free(m);
	return rc;
}

void six_media_free(struct six_media_manifest *m)
{
	free(m->entries);
	m->entries = NULL;
	m->count = 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct six_media_entry *)a)->name,
		      ((const struct six_media_entry *)b)->name);
}

void six_media_sort(struct six_media_manifest *m)
{
	if (m->count > 1)
		qsort(m->entries, m->count, sizeof *m->entries, cmp_name);
}

int six_media_emit(const struct six_media_manifest *m, char **out, size_t *len,
		   struct six_err *err)
{
	size_t cap = 128 + m->count * (SIX_SHA256_HEX + SIX_SPOOL_NAME_MAX + 32);
	if (m->count > SIX_MEDIA_FILES_MAX)
		return six_fail(err, SIX_ERR_LIMIT, "more than %u files", SIX_MEDIA_FILES_MAX);
	char *buf = malloc(cap);
	if (!buf)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	size_t n = (size_t)snprintf(buf, cap, "SIX-Media: %d\nExport-Id: %.*s\nCreated: %.*s\n"
				    "Files: %zu\n", SIX_MEDIA_VERSION, SIX_MEDIA_ID_HEX,
				    m->export_id, SIX_TIME_LEN, m->created_str, m->count);
	for (size_t i = 0; i < m->count && n < cap; i++) {
		const struct six_media_entry *e = &m->entries[i];
		n += (size_t)snprintf(buf + n, cap - n, "File: %.*s %llu %.*s\n", SIX_SHA256_HEX,
				      e->sha256, (unsigned long long)e->size, SIX_SPOOL_NAME_MAX,
				      e->name);
	}
	/* Read back what was written: the emitter can never produce a manifest the
	 * parser (that is, import on the other side) would refuse. */
	struct six_media_manifest check;
	int rc = n < cap ? six_media_parse(buf, n, &check, err)
			 : six_fail(err, SIX_ERR_INTERNAL, "manifest buffer too small");
	if (rc < 0) {
		free(buf);
		return rc;
	}
	six_media_free(&check);
	*out = buf;
	*len = n;
	return 0;
}

void six_media_payload(size_t count, const char sha256[SIX_SHA256_HEX + 1], char *out)
{
	snprintf(out, SIX_MEDIA_PAYLOAD_MAX + 1, "SIX-MEDIA:%d:%zu:%.*s", SIX_MEDIA_VERSION,
		 count, SIX_SHA256_HEX, sha256);
}

static void lower_hex(const char *s, char out[SIX_SHA256_HEX + 1])
{
	for (size_t i = 0; i < SIX_SHA256_HEX; i++)
		out[i] = s[i] >= 'A' && s[i] <= 'F' ? (char)(s[i] - 'A' + 'a') : s[i];
	out[SIX_SHA256_HEX] = '\0';
}

int six_media_payload_parse(const char *s, char sha256[SIX_SHA256_HEX + 1], size_t *count,
			    struct six_err *err)
{
	static const char prefix[] = "SIX-MEDIA:1:";
	size_t len = strnlen(s, SIX_MEDIA_PAYLOAD_MAX + 1);
	const char *hex = s;
	*count = SIZE_MAX;
	if (len > SIX_SHA256_HEX && strncmp(s, prefix, sizeof prefix - 1) == 0) {
		const char *num = s + sizeof prefix - 1;
		const char *colon = memchr(num, ':', len - (sizeof prefix - 1));
		uint64_t c;
		if (!colon || six_parse_u64(num, (size_t)(colon - num), &c) < 0 ||
		    c > SIX_MEDIA_FILES_MAX)
			return six_fail(err, SIX_ERR_INPUT, "bad bundle count in %.100s", s);
		*count = (size_t)c;
		hex = colon + 1;
	}
	size_t hlen = len - (size_t)(hex - s);
	if (hlen == SIX_SHA256_HEX)
		lower_hex(hex, sha256);
	if (hlen != SIX_SHA256_HEX || !six_is_hex(sha256, hlen, 'a'))
		return six_fail(err, SIX_ERR_INPUT,
				"not a SHA-256 digest nor a SIX-MEDIA:1:COUNT:DIGEST payload");
	return 0;
}
