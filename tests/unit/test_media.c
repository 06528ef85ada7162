/* SIX-MEDIA, the removable-media manifest (formats/media.md): parse, emit, the
 * cover-sheet payload, and the hostile corpus in tests/hostile/media/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "media.h"
#include "unit_tmp.h"

#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B64 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const char good[] = "SIX-Media: 1\n"
			   "Export-Id: 0123456789abcdef0123456789abcdef\n"
			   "Created: 2026-12-04T15:18:22Z\n"
			   "Files: 2\n"
			   "File: " A64 " 10 NLD-42-abc.six\n"
			   "File: " B64 " 18446744073709551615 OPCW 7 x.six\n";

static void parse_good(void **state)
{
	(void)state;
	struct six_media_manifest m;
	struct six_err err = {0};
	assert_int_equal(six_media_parse(good, strlen(good), &m, &err), 0);
	assert_string_equal(m.export_id, "0123456789abcdef0123456789abcdef");
	assert_string_equal(m.created_str, "2026-12-04T15:18:22Z");
	assert_int_equal(m.created, 1796397502);
	assert_int_equal(m.count, 2);
	assert_string_equal(m.entries[0].name, "NLD-42-abc.six");
	assert_int_equal(m.entries[0].size, 10);
	assert_string_equal(m.entries[0].sha256, A64);
	/* the name is the rest of the line: spaces are part of it */
	assert_string_equal(m.entries[1].name, "OPCW 7 x.six");
	assert_true(m.entries[1].size == UINT64_MAX);
	six_media_free(&m);
}

/* Emitting what was parsed gives back the same bytes: one canonical form. */
static void emit_round_trip(void **state)
{
	(void)state;
	struct six_media_manifest m;
	struct six_err err = {0};
	char *out;
	size_t len;
	assert_int_equal(six_media_parse(good, strlen(good), &m, &err), 0);
	assert_int_equal(six_media_emit(&m, &out, &len, &err), 0);
	assert_int_equal(len, strlen(good));
	assert_memory_equal(out, good, len);
	free(out);
	six_media_free(&m);
}

static void fill(struct six_media_manifest *m, struct six_media_entry *e, size_t n)
{
	memset(m, 0, sizeof *m);
	strcpy(m->export_id, "ffffffffffffffffffffffffffffffff");
	strcpy(m->created_str, "2026-12-04T00:00:00Z");
	memset(e, 0, n * sizeof *e);
	for (size_t i = 0; i < n; i++) {
		strcpy(e[i].sha256, A64);
		e[i].size = i;
	}
	m->entries = e;
	m->count = n;
}

static void emit_sorts_and_refuses(void **state)
{
	(void)state;
	struct six_media_manifest m;
	struct six_media_entry e[3];
	struct six_err err = {0};
	char *out;
	size_t len;
	fill(&m, e, 3);
	strcpy(e[0].name, "c.six");
	strcpy(e[1].name, "a.six");
	strcpy(e[2].name, "b.six");
	/* unsorted: the emitter's own read-back refuses it */
	assert_int_equal(six_media_emit(&m, &out, &len, &err), SIX_ERR_MANIFEST);
	six_media_sort(&m);
	assert_string_equal(e[0].name, "a.six");
	assert_int_equal(six_media_emit(&m, &out, &len, &err), 0);
	assert_non_null(strstr(out, "File: " A64 " 1 a.six\nFile: " A64 " 2 b.six\n"));
	free(out);
	strcpy(e[1].name, "A.SIX"); /* one file on FAT: refused */
	six_media_sort(&m);
	assert_int_equal(six_media_emit(&m, &out, &len, &err), SIX_ERR_MANIFEST);
	strcpy(e[1].name, "../x");
	six_media_sort(&m);
	assert_int_equal(six_media_emit(&m, &out, &len, &err), SIX_ERR_UNSAFE);
	strcpy(e[1].name, "b.six");
	strcpy(e[0].sha256, B64);
	e[0].sha256[3] = 'G';
	six_media_sort(&m);
	assert_int_equal(six_media_emit(&m, &out, &len, &err), SIX_ERR_MANIFEST);
}

/* Every corpus file is refused with the class its name starts with; good-* parse. */
static void media_case(const char *name, const char *text, size_t len, void *ctx)
{
	(void)ctx;
	struct six_err err = {0};
	struct six_media_manifest m;
	int rc = six_media_parse(text, len, &m, &err);
	int want = strncmp(name, "good-", 5) == 0	 ? 0
		   : strncmp(name, "unsafe-", 7) == 0	 ? SIX_ERR_UNSAFE
		   : strncmp(name, "limit-", 6) == 0	 ? SIX_ERR_LIMIT
		   : strncmp(name, "manifest-", 9) == 0 ? SIX_ERR_MANIFEST
							 : 1;
	if (rc != want)
		fail_msg("%s: got %d (%s), want %d", name, rc, err.msg, want);
	if (rc == 0)
		six_media_free(&m);
}

static void hostile_corpus(void **state)
{
	(void)state;
	assert_true(unit_corpus_each("media", 1u << 24, media_case, NULL) >= 30);
}

/* Flip every byte of a good manifest to a few values: the parser either refuses, or
 * accepts something that emits back to exactly the mutated bytes (no second form). */
static void mutation_sweep(void **state)
{
	(void)state;
	static const char vals[] = {'\0', '\n', ' ', '0', 'A', 'a', '/', '.', ':', '\x80'};
	char buf[sizeof good];
	size_t len = strlen(good), accepted = 0;
	for (size_t i = 0; i < len; i++)
		for (size_t v = 0; v < sizeof vals; v++) {
			memcpy(buf, good, len);
			buf[i] = vals[v];
			struct six_media_manifest m;
			struct six_err err = {0};
			if (six_media_parse(buf, len, &m, &err) < 0) {
				assert_true(err.code < 0 && err.msg[0]);
				continue;
			}
			char *out;
			size_t olen;
			assert_int_equal(six_media_emit(&m, &out, &olen, &err), 0);
			assert_int_equal(olen, len);
			assert_memory_equal(out, buf, len);
			free(out);
			six_media_free(&m);
			accepted++;
		}
	assert_true(accepted > 0); /* e.g. another hex digit or another name letter */
}

static void limits(void **state)
{
	(void)state;
	size_t n = SIX_MEDIA_FILES_MAX;
	struct six_media_entry *e = calloc(n + 1, sizeof *e);
	struct six_media_manifest m, back;
	struct six_err err = {0};
	char *out;
	size_t len;
	fill(&m, e, n);
	for (size_t i = 0; i < n; i++)
		snprintf(e[i].name, sizeof e[i].name, "NLD-%05zu-%0200d.six", i, 0);
	assert_int_equal(six_media_emit(&m, &out, &len, &err), 0);
	assert_true(len <= SIX_MEDIA_MANIFEST_MAX);
	assert_int_equal(six_media_parse(out, len, &back, &err), 0);
	assert_int_equal(back.count, n);
	six_media_free(&back);
	free(out);
	m.count = n + 1;
	snprintf(e[n].name, sizeof e[n].name, "OPCW.six");
	assert_int_equal(six_media_emit(&m, &out, &len, &err), SIX_ERR_LIMIT);
	char *big = malloc(SIX_MEDIA_MANIFEST_MAX + 1);
	memset(big, 'x', SIX_MEDIA_MANIFEST_MAX + 1);
	assert_int_equal(six_media_parse(big, SIX_MEDIA_MANIFEST_MAX + 1, &back, &err),
			 SIX_ERR_LIMIT);
	free(big);
	free(e);
}

static void payload(void **state)
{
	(void)state;
	char p[SIX_MEDIA_PAYLOAD_MAX + 1], sha[SIX_SHA256_HEX + 1];
	size_t count;
	struct six_err err = {0};
	six_media_payload(10000, A64, p);
	assert_string_equal(p, "SIX-MEDIA:1:10000:" A64);
	assert_int_equal(six_media_payload_parse(p, sha, &count, &err), 0);
	assert_string_equal(sha, A64);
	assert_int_equal(count, 10000);
	/* a bare digest, in any case, as typed from the printed sheet */
	char upper[SIX_SHA256_HEX + 1] = A64;
	memcpy(upper, "ABCDEF", 6);
	assert_int_equal(six_media_payload_parse(upper, sha, &count, &err), 0);
	assert_memory_equal(sha, "abcdef", 6);
	assert_true(count == SIZE_MAX);
	static const char *const bad[] = {
		"", A64 "a", "SIX-MEDIA:1:3:" A64 "0", "SIX-MEDIA:2:3:" A64,
		"SIX-MEDIA:1::" A64, "SIX-MEDIA:1:03:" A64, "SIX-MEDIA:1:10001:" A64,
		"SIX-MEDIA:1:3" A64,
		"gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (six_media_payload_parse(bad[i], sha, &count, &err) != SIX_ERR_INPUT)
			fail_msg("accepted %s", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_good),	   cmocka_unit_test(emit_round_trip),
		cmocka_unit_test(emit_sorts_and_refuses), cmocka_unit_test(hostile_corpus),
		cmocka_unit_test(mutation_sweep), cmocka_unit_test(limits),
		cmocka_unit_test(payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
