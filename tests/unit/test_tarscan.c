/* The tar structure auditor (formats/tarscan.c): archives built here block by block,
 * every rule of formats/bundle.md 3 it enforces, the same verdict whatever the chunking,
 * and the corpus in tests/hostile/tarscan/ (python tarfile and GNU tar output; each
 * file's name starts with the verdict it must get: good- (passes to the end marker),
 * typed- (a link or directory: the audit stops there, the reader refuses it by name),
 * unsafe-, limit-). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "tarscan.h"
#include "unit_tmp.h"

struct tar {
	uint8_t *p;
	size_t n, cap;
};

static uint8_t *grow(struct tar *t, size_t k)
{
	if (t->n + k > t->cap) {
		t->cap = (t->n + k) * 2;
		t->p = realloc(t->p, t->cap);
		assert_non_null(t->p);
	}
	memset(t->p + t->n, 0, k);
	t->n += k;
	return t->p + t->n - k;
}

static void set_checksum(uint8_t *h)
{
	unsigned sum = 0;
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum); /* "%06o\0" then the space stays */
}

/* A ustar header with a raw 12-byte size field. */
static uint8_t *header_raw(struct tar *t, const char *name, char type, const uint8_t size[12])
{
	uint8_t *h = grow(t, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 124, size, 12);
	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	set_checksum(h);
	return h;
}

static uint8_t *header(struct tar *t, const char *name, char type, uint64_t size)
{
	char f[24];
	assert_true(size < 1ull << 33); /* 11 octal digits */
	snprintf(f, sizeof f, "%011llo", (unsigned long long)size);
	return header_raw(t, name, type, (const uint8_t *)f);
}

static void data(struct tar *t, const void *p, size_t n)
{
	memcpy(grow(t, (n + 511) & ~(size_t)511), p, n);
}

static void member(struct tar *t, const char *name, const char *text)
{
	header(t, name, '0', strlen(text));
	data(t, text, strlen(text));
}

/* A pax header holding the records as given (not checked: tests make bad ones). */
static void pax(struct tar *t, const char *records)
{
	header(t, "PaxHeader/x", 'x', strlen(records));
	data(t, records, strlen(records));
}

/* Append one well-formed record "LEN key=val\n" to out. */
static void record(char *out, size_t cap, const char *key, const char *val)
{
	size_t body = strlen(key) + strlen(val) + 3, len = body + 1; /* ' ', '=', '\n' */
	while ((size_t)snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	size_t at = strlen(out);
	assert_int_equal((size_t)snprintf(out + at, cap - at, "%zu %s=%s\n", len, key, val), len);
}

static void end(struct tar *t)
{
	grow(t, 1024);
}

/* Feed in chunks of the given sizes (cycled); the verdict, its message in *msg. */
static int feed(const struct tar *t, const size_t *chunks, size_t nchunks, char *msg,
		int *ended)
{
	struct six_tarscan *s = malloc(sizeof *s);
	struct six_err err = {0};
	int rc = 0;
	assert_non_null(s);
	six_tarscan_init(s);
	for (size_t off = 0, i = 0; off < t->n && rc == 0; i++) {
		size_t k = chunks[i % nchunks] < t->n - off ? chunks[i % nchunks] : t->n - off;
		rc = six_tarscan_feed(s, t->p + off, k, &err);
		off += k;
	}
	if (rc < 0) /* a refusal is final */
		assert_int_equal(six_tarscan_feed(s, "", 1, &err), rc);
	strcpy(msg, rc < 0 ? err.msg : "");
	/* where the audit stopped: 1 at the end marker, 2 at a typed member */
	*ended = six_tarscan_ended(s) ? 1 : six_tarscan_typed(s) ? 2 : 0;
	free(s);
	return rc;
}

/* The verdict whole, then 1 byte at a time, then in random chunks: all the same. */
static int verdict(const struct tar *t, char *msg, int *ended)
{
	size_t whole = t->n, one = 1;
	int rc = feed(t, &whole, 1, msg, ended);
	char m2[512];
	int e2;
	assert_int_equal(feed(t, &one, 1, m2, &e2), rc);
	assert_string_equal(m2, msg);
	assert_int_equal(e2, *ended);
	for (unsigned seed = 1; seed <= 20; seed++) {
		size_t ch[16];
		srand(seed);
		for (size_t i = 0; i < 16; i++)
			ch[i] = 1 + (size_t)rand() % (seed < 10 ? 700 : 5000);
		assert_int_equal(feed(t, ch, 16, m2, &e2), rc);
		assert_string_equal(m2, msg);
		assert_int_equal(e2, *ended);
	}
	return rc;
}

/* Refused with this class, and the message names the rule. */
static void expect(struct tar *t, int code, const char *words)
{
	char msg[512];
	int ended;
	int rc = verdict(t, msg, &ended);
	if (rc != code || (words && !strstr(msg, words)) || (rc == 0 && ended != 1))
		fail_msg("got %d '%s', want %d '%s'", rc, msg, code, words ? words : "");
	free(t->p);
	memset(t, 0, sizeof *t);
}

static void good_archive(void **state)
{
	(void)state;
	struct tar t = {0};
	member(&t, "SIX-MANIFEST", "Six-Bundle: 1\n");
	/* the pax size wins over the ustar field (0 here): the data hides a 'g' header,
	 * which a scanner reading the ustar size would take for the next header */
	char recs[300] = "";
	record(recs, sizeof recs, "path", "payload/d\xc3\xa9j\xc3\xa0");
	record(recs, sizeof recs, "size", "600");
	record(recs, sizeof recs, "mtime", "1700000000.5");
	pax(&t, recs);
	header(&t, "payload/short", '0', 0);
	struct tar hidden = {0};
	header(&hidden, "trap", 'g', 10);
	memcpy(grow(&t, 1024), hidden.p, 512); /* 600 bytes of data, padded to 1024 */
	free(hidden.p);
	/* octal with leading spaces and a space terminator; base-256; typeflag '\0' */
	header_raw(&t, "payload/b", '0', (const uint8_t *)"        12 ");
	data(&t, "twelve bytes", 12);
	uint8_t b256[12] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe8}; /* 1000 */
	header_raw(&t, "payload/c", '\0', b256);
	grow(&t, 1024);
	recs[0] = '\0';
	static const char *const ignored[][2] = {{"uid", "1000"}, {"gid", "x"}, {"uname", "alice"},
						 {"gname", ""}, {"atime", "1.5"}, {"ctime", "1"}};
	for (size_t i = 0; i < 6; i++)
		record(recs, sizeof recs, ignored[i][0], ignored[i][1]);
	pax(&t, recs);
	member(&t, "payload/e", "");
	end(&t);
	memcpy(grow(&t, 512), "anything after the end marker is not audited", 45);
	char msg[512];
	int ended;
	int rc = verdict(&t, msg, &ended);
	if (rc != 0)
		fail_msg("refused: %s", msg);
	assert_int_equal(ended, 1);
	free(t.p);
}

static void refused_keywords(void **state)
{
	(void)state;
	static const char *const keys[] = {"linkpath", "hdrcharset", "SCHILY.xattr.user.a",
					   "LIBARCHIVE.xattr.user.a", "GNU.sparse.size",
					   "SCHILY.acl.access", "SCHILY.dev", "LIBARCHIVE.creationtime",
					   "comment", "charset", "Path", "path ", ""};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct tar t = {0};
		char rec[100] = "", words[100];
		record(rec, sizeof rec, keys[i], "v");
		member(&t, "SIX-MANIFEST", "x");
		pax(&t, rec);
		member(&t, "payload/a", "a");
		end(&t);
		snprintf(words, sizeof words, "pax keyword '%s' not allowed", keys[i]);
		expect(&t, SIX_ERR_UNSAFE, words);
	}
	/* a hostile key is shown printable */
	struct tar t = {0};
	char rec[100] = "";
	record(rec, sizeof rec, "a\x1b[2Jb", "v");
	pax(&t, rec);
	member(&t, "payload/a", "a");
	expect(&t, SIX_ERR_UNSAFE, "pax keyword 'a?[2Jb' not allowed");
}

static void refused_types(void **state)
{
	(void)state;
	static const struct {
		char type;
		const char *words;
	} cases[] = {
		{'g', "global pax header (typeflag g) in the archive"},
		{'L', "GNU long name record (typeflag L)"},
		{'K', "GNU long link name record (typeflag K)"},
		{'8', "typeflag '8'"}, {'S', "typeflag 'S'"}, {'V', "typeflag 'V'"},
		{'D', "typeflag 'D'"}, {'M', "typeflag 'M'"}, {'X', "typeflag 'X'"},
		{'A', "typeflag 'A'"}, {'\x7f', "typeflag 0x7f"}, {' ', "typeflag 0x20"},
		{'\x80', "typeflag 0x80"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tar t = {0};
		member(&t, "SIX-MANIFEST", "x");
		header(&t, "payload/z", cases[i].type, 0);
		end(&t);
		expect(&t, SIX_ERR_UNSAFE, cases[i].words);
	}
	/* links, devices, directories, FIFOs: the audit stops there, for the caller
	 * refuses them by name (the 'g' after one is never looked at) */
	for (char type = '1'; type <= '7'; type++) {
		struct tar t = {0};
		member(&t, "SIX-MANIFEST", "x");
		pax(&t, "12 path=abc\n");
		header(&t, "payload/z", type, 0);
		header(&t, "payload/g", 'g', 0);
		char msg[512];
		int where;
		assert_int_equal(verdict(&t, msg, &where), 0);
		assert_int_equal(where, 2);
		free(t.p);
	}
}

static void bad_headers(void **state)
{
	(void)state;
	struct tar t = {0};
	member(&t, "SIX-MANIFEST", "x");
	uint8_t *h = header(&t, "payload/a", '0', 0);
	h[0] ^= 1; /* checksum no longer matches */
	expect(&t, SIX_ERR_UNSAFE, "checksum mismatch");
	h = header(&t, "payload/a", '0', 0);
	memcpy(h + 148, "       \0", 8); /* no digits */
	expect(&t, SIX_ERR_UNSAFE, "checksum");
	static const char *const sizes[] = {"0000000001x\0", "00000000019\0", "           \0",
					    "-0000000001\0", "1 1        \0"};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		header_raw(&t, "payload/a", '0', (const uint8_t *)sizes[i]);
		expect(&t, SIX_ERR_UNSAFE, "bad size field");
	}
	/* base-256: negative, past int64, and overflowing 64 bits */
	static const uint8_t b256[][12] = {
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x80, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0},
		{0x80, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x01},
	};
	for (size_t i = 0; i < sizeof b256 / sizeof b256[0]; i++) {
		header_raw(&t, "payload/a", '0', b256[i]);
		expect(&t, SIX_ERR_UNSAFE, "bad size field");
	}
	/* the largest base-256 size accepted is skipped by arithmetic */
	static const uint8_t big[12] = {0x80, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x00};
	header_raw(&t, "payload/a", '0', big);
	grow(&t, 4096);
	char msg[512];
	int ended;
	assert_int_equal(verdict(&t, msg, &ended), 0);
	assert_false(ended);
	free(t.p);
}

static void bad_pax(void **state)
{
	(void)state;
	static const char *const recs[] = {
		"12 path=abc\n\n",	/* trailing byte that is no record */
		"13 path=abc\n",	/* LEN too long */
		"11 path=abc\n",	/* LEN too short */
		"012 path=abc\n",	/* leading zero */
		"12path=abc\n ",	/* no space */
		"12 pathxabc\n",	/* no '=' */
		"12 path=abcd",		/* no newline */
		"x2 path=abc\n",	/* LEN not decimal */
		" 12 path=abc\n",	/* no LEN */
		"3 =\n",		/* too short for a record */
		"99999999999999999999999 path=a\n", /* LEN overflow */
		"12 path=ab",		/* truncated record */
	};
	for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
		struct tar t = {0};
		pax(&t, recs[i]);
		member(&t, "payload/a", "a");
		expect(&t, SIX_ERR_UNSAFE, "malformed pax record");
	}
#define R(s) s, sizeof(s) - 1 /* a record with its length: some hold a NUL */
	static const struct {
		const char *rec;
		size_t len;
		const char *words;
	} cases[] = {
		{R("12 path=abc\n12 path=abd\n"), "pax keyword 'path' twice"},
		{R("12 path=a\0c\n"), "NUL in the value of pax keyword 'path'"},
		{R("12 path=a\xff" "c\n"), "pax path is not UTF-8"},
		{R("8 size=\n"), "bad pax size value"},
		{R("12 size=012\n"), "bad pax size value"},
		{R("12 size=-12\n"), "bad pax size value"},
		{R("12 size=1 2\n"), "bad pax size value"},
		{R("29 size=99999999999999999999\n"), "bad pax size value"},
	};
#undef R
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tar t = {0};
		header(&t, "PaxHeader/x", 'x', cases[i].len);
		data(&t, cases[i].rec, cases[i].len);
		member(&t, "payload/a", "a");
		expect(&t, SIX_ERR_UNSAFE, cases[i].words);
	}
	struct tar t = {0};
	pax(&t, "12 path=abc\n");
	pax(&t, "12 path=abd\n");
	member(&t, "payload/a", "a");
	expect(&t, SIX_ERR_UNSAFE, "two pax headers in a row");
	pax(&t, "12 path=abc\n");
	end(&t);
	expect(&t, SIX_ERR_UNSAFE, "pax header not followed by a file");
	/* an empty pax header is harmless: nothing to refuse */
	header(&t, "PaxHeader/x", 'x', 0);
	member(&t, "payload/a", "a");
	end(&t);
	expect(&t, 0, NULL);
}

static void oversize_pax(void **state)
{
	(void)state;
	struct tar t = {0};
	header(&t, "PaxHeader/x", 'x', SIX_TARSCAN_PAX_MAX + 1);
	grow(&t, SIX_TARSCAN_PAX_MAX + 512);
	expect(&t, SIX_ERR_LIMIT, "pax header larger than 65536 bytes");
	/* exactly the bound: one long path record fills it */
	char *rec = malloc(SIX_TARSCAN_PAX_MAX + 1);
	assert_non_null(rec);
	size_t len = SIX_TARSCAN_PAX_MAX;
	int pre = snprintf(rec, 16, "%zu path=", len);
	memset(rec + pre, 'p', len - (size_t)pre - 1);
	rec[len - 1] = '\n';
	rec[len] = '\0';
	pax(&t, rec);
	free(rec);
	member(&t, "payload/a", "a");
	end(&t);
	expect(&t, 0, NULL);
}

/* Every corpus file gets the class its name starts with. */
static void tarscan_case(const char *name, const char *text, size_t len, void *ctx)
{
	(void)ctx;
	char msg[512];
	int ended;
	struct tar t = {(uint8_t *)(uintptr_t)text, len, len};
	int rc = verdict(&t, msg, &ended);
	int typed = strncmp(name, "typed-", 6) == 0;
	int want = strncmp(name, "good-", 5) == 0 || typed ? 0
		   : strncmp(name, "unsafe-", 7) == 0	  ? SIX_ERR_UNSAFE
		   : strncmp(name, "limit-", 6) == 0	  ? SIX_ERR_LIMIT
							  : 1;
	if (rc != want || (rc == 0 && ended != 1 + typed))
		fail_msg("%s: got %d (%s), want %d", name, rc, msg, want);
}

static void hostile_corpus(void **state)
{
	(void)state;
	assert_true(unit_corpus_each("tarscan", 1u << 20, tarscan_case, NULL) >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_archive),	  cmocka_unit_test(refused_keywords),
		cmocka_unit_test(refused_types),  cmocka_unit_test(bad_headers),
		cmocka_unit_test(bad_pax),	  cmocka_unit_test(oversize_pax),
		cmocka_unit_test(hostile_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
