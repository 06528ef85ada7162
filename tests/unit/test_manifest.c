/* SIX-MANIFEST parser and emitter: every rule of formats/bundle.md, one case each,
 * and the hostile corpus in tests/hostile/manifest/ (each file named after the error
 * class it must raise: "manifest-...", "unsafe-...", "limit-..."). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "manifest.h"
#include "unit_tmp.h"

#define HEAD                                                                               \
	"Six-Bundle: 1\n"                                                                  \
	"Bundle-Id: 3f0c9a1e5b7d4c2a8e6f1b3d5a7c9e0f\n"                                    \
	"Created: 2026-12-04T15:18:22Z\n"                                                  \
	"Sender: 0123456789ABCDEF0123456789ABCDEF01234567\n"
#define RCPT "Recipient: 89ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
#define MID                                                                                \
	"Party: NLD\n"                                                                     \
	"Sequence: 42\n"                                                                   \
	"Doc-Type: declaration\n"                                                          \
	"Classification: HIGHLY PROTECTED\n"
#define SUBJ "Subject: Annual declaration 2026\n"
#define H64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define FILE1 "File: " H64 " 0 a.pdf\n"
#define GOOD HEAD RCPT MID SUBJ FILE1

static const struct six_manifest_limits lim = {100, 1000000, 2000000};

static int parse(const char *text, struct six_err *e)
{
	struct six_manifest m;
	int rc = six_manifest_parse(text, strlen(text), &lim, &m, e);
	if (rc == 0)
		six_manifest_free(&m);
	return rc;
}

/* The text must be refused with code, and the message must mention want. */
static void refuse(const char *text, int code, const char *want)
{
	struct six_err e = {0};
	int rc = parse(text, &e);
	if (rc != code || !strstr(e.msg, want))
		fail_msg("want %d /%s/, got %d: %s\n--- text:\n%s", code, want, rc, e.msg, text);
}

static void test_good(void **state)
{
	(void)state;
	struct six_manifest m;
	struct six_err e = {0};
	const char *t = GOOD "File: " H64 " 12345 dir/é b.txt\n";
	assert_int_equal(six_manifest_parse(t, strlen(t), &lim, &m, &e), 0);
	assert_string_equal(m.bundle_id, "3f0c9a1e5b7d4c2a8e6f1b3d5a7c9e0f");
	assert_string_equal(m.created_str, "2026-12-04T15:18:22Z");
	assert_int_equal(m.created, 1796397502);
	assert_string_equal(m.sender, "0123456789ABCDEF0123456789ABCDEF01234567");
	assert_int_equal(m.n_recipients, 1);
	assert_string_equal(m.party, "NLD");
	assert_int_equal(m.sequence, 42);
	assert_string_equal(m.doc_type, "declaration");
	assert_string_equal(m.classification, "HIGHLY PROTECTED");
	assert_string_equal(m.subject, "Annual declaration 2026");
	assert_int_equal(m.n_files, 2);
	assert_string_equal(m.files[1].path, "dir/é b.txt");
	assert_int_equal(m.files[1].size, 12345);
	assert_string_equal(m.files[0].sha256, H64);
	/* the emitter writes back exactly the canonical text */
	char *out;
	size_t len;
	assert_int_equal(six_manifest_emit(&m, &out, &len, &e), 0);
	assert_int_equal(len, strlen(t));
	assert_memory_equal(out, t, len);
	free(out);
	six_manifest_free(&m);
}

static void test_optional_subject_and_many_recipients(void **state)
{
	(void)state;
	struct six_err e;
	assert_int_equal(parse(HEAD RCPT "Recipient: 0123456789ABCDEF0123456789ABCDEF01234567\n" MID
			       FILE1, &e), 0);
	char *t = malloc(70000);
	strcpy(t, HEAD);
	for (int i = 0; i <= SIX_RECIPIENTS_MAX; i++)
		sprintf(t + strlen(t), "Recipient: %040X\n", i);
	strcat(t, MID FILE1);
	refuse(t, SIX_ERR_LIMIT, "recipients");
	free(t);
}

static void test_structure(void **state)
{
	(void)state;
	refuse("", SIX_ERR_MANIFEST, "empty");
	refuse(HEAD RCPT MID "File: " H64 " 0 a.pdf", SIX_ERR_MANIFEST, "newline");
	refuse("Bundle-Id: 3f0c9a1e5b7d4c2a8e6f1b3d5a7c9e0f\n", SIX_ERR_MANIFEST, "first line");
	refuse("Six-Bundle: 2\n", SIX_ERR_MANIFEST, "version");
	refuse("Six-Bundle: 1 \n", SIX_ERR_MANIFEST, "version");
	refuse("Six-Bundle: 1\r\n", SIX_ERR_MANIFEST, "version");
	refuse("Six-Bundle:1\n", SIX_ERR_MANIFEST, "Key: value");
	refuse("Six-Bundle:  1\n", SIX_ERR_MANIFEST, "extra space");
	refuse("Six-Bundle: \n", SIX_ERR_MANIFEST, "empty value");
	refuse(GOOD "X-Extra: 1\n", SIX_ERR_MANIFEST, "unknown key");
	refuse(GOOD "\n", SIX_ERR_MANIFEST, "Key: value");
	refuse(GOOD "file: " H64 " 0 b\n", SIX_ERR_MANIFEST, "unknown key");
	refuse(HEAD RCPT MID SUBJ SUBJ FILE1, SIX_ERR_MANIFEST, "duplicate Subject");
	refuse(HEAD "Sender: 0123456789ABCDEF0123456789ABCDEF01234567\n" RCPT MID FILE1,
	       SIX_ERR_MANIFEST, "duplicate Sender");
	refuse(HEAD RCPT MID FILE1 SUBJ, SIX_ERR_MANIFEST, "out of order");
	refuse(HEAD MID RCPT FILE1, SIX_ERR_MANIFEST, "out of order");
	refuse(HEAD RCPT MID SUBJ, SIX_ERR_MANIFEST, "missing File");
	refuse(HEAD MID FILE1, SIX_ERR_MANIFEST, "missing Recipient");
	refuse("Six-Bundle: 1\n" RCPT MID FILE1, SIX_ERR_MANIFEST, "missing Bundle-Id");
	refuse(HEAD RCPT "Party: NLD\nDoc-Type: x\nClassification: y\n" FILE1, SIX_ERR_MANIFEST,
	       "missing Sequence");
	char *big = malloc(SIX_MANIFEST_MAX + 2);
	memset(big, 'a', SIX_MANIFEST_MAX + 1);
	big[SIX_MANIFEST_MAX + 1] = '\0';
	refuse(big, SIX_ERR_LIMIT, "larger");
	free(big);
	/* a NUL inside the text is not the end of it */
	struct six_err e;
	struct six_manifest m;
	const char nul[] = "Six-Bundle: 1\n\0Bundle-Id: x\n";
	assert_int_equal(six_manifest_parse(nul, sizeof nul - 1, &lim, &m, &e), SIX_ERR_MANIFEST);
	/* nor inside a value: "NLD\0X" is not "NLD" (found by the fuzzer) */
	const char party[] = HEAD RCPT "Party: NLD\0X\nSequence: 1\n";
	assert_int_equal(six_manifest_parse(party, sizeof party - 1, &lim, &m, &e), SIX_ERR_MANIFEST);
	assert_non_null(strstr(e.msg, "Party"));
}

static void test_values(void **state)
{
	(void)state;
	refuse("Six-Bundle: 1\nBundle-Id: 3F0C9A1E5B7D4C2A8E6F1B3D5A7C9E0F\n", SIX_ERR_MANIFEST,
	       "Bundle-Id");
	refuse("Six-Bundle: 1\nBundle-Id: 3f0c9a1e5b7d4c2a8e6f1b3d5a7c9e0\n", SIX_ERR_MANIFEST,
	       "Bundle-Id");
	const char *times[] = {"2026-12-04T15:18:22", "2026-12-04 15:18:22Z",
			       "2026-12-04T15:18:22+00:00", "2026-02-30T15:18:22Z",
			       "2026-12-04T15:18:22.5Z", "2026-12-04t15:18:22z"};
	char t[512];
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		snprintf(t, sizeof t,
			 "Six-Bundle: 1\nBundle-Id: 3f0c9a1e5b7d4c2a8e6f1b3d5a7c9e0f\nCreated: %s\n",
			 times[i]);
		refuse(t, SIX_ERR_MANIFEST, "Created");
	}
	const char *fprs[] = {"0123456789abcdef0123456789abcdef01234567",
			      "0123456789ABCDEF0123456789ABCDEF0123456",
			      "0123456789ABCDEF0123456789ABCDEF012345678",
			      "0123456789ABCDEF0123456789ABCDEF0123456G"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(t, sizeof t, HEAD "Recipient: %s\n", fprs[i]);
		refuse(t, SIX_ERR_MANIFEST, "fingerprint");
	}
	refuse(HEAD RCPT RCPT, SIX_ERR_MANIFEST, "duplicate Recipient");
	const char *parties[] = {"nld", "NL", "NLDX", "OpCW", "N1D", "OPCWX"};
	for (size_t i = 0; i < 6; i++) {
		snprintf(t, sizeof t, HEAD RCPT "Party: %s\n", parties[i]);
		refuse(t, SIX_ERR_MANIFEST, "Party");
	}
	const char *seqs[] = {"0", "01", "-1", "+1", "18446744073709551616", "1x", "1 "};
	for (size_t i = 0; i < 7; i++) {
		snprintf(t, sizeof t, HEAD RCPT "Party: OPCW\nSequence: %s\n", seqs[i]);
		refuse(t, SIX_ERR_MANIFEST, "Sequence");
	}
	struct six_err e;
	assert_int_equal(parse(HEAD RCPT "Party: OPCW\nSequence: 18446744073709551615\n"
				    "Doc-Type: a\nClassification: B\n" FILE1, &e), 0);
	refuse(HEAD RCPT "Party: NLD\nSequence: 1\nDoc-Type: decl/x\n", SIX_ERR_MANIFEST,
	       "token");
	refuse(HEAD RCPT "Party: NLD\nSequence: 1\nDoc-Type: a\nClassification: B \n",
	       SIX_ERR_MANIFEST, "token");
	refuse(HEAD RCPT "Party: NLD\nSequence: 1\nDoc-Type: a\nClassification: "
			 "B\tC\n", SIX_ERR_MANIFEST, "token");
}

static void test_tokens(void **state)
{
	(void)state;
	assert_true(six_token_valid("HIGHLY PROTECTED", 16));
	assert_true(six_token_valid("a-b_C9", 6));
	assert_false(six_token_valid("", 0));
	assert_false(six_token_valid(" a", 2));
	assert_false(six_token_valid("a.b", 3));
	assert_false(six_token_valid("é", 2));
	char long_tok[SIX_TOKEN_MAX + 1];
	memset(long_tok, 'x', sizeof long_tok);
	assert_true(six_token_valid(long_tok, SIX_TOKEN_MAX));
	assert_false(six_token_valid(long_tok, SIX_TOKEN_MAX + 1));
}

static void test_subject(void **state)
{
	(void)state;
	refuse(HEAD RCPT MID "Subject: a\tb\n", SIX_ERR_MANIFEST, "control");
	refuse(HEAD RCPT MID "Subject: a\033[2Jb\n", SIX_ERR_MANIFEST, "control");
	refuse(HEAD RCPT MID "Subject: a\xc3\n", SIX_ERR_MANIFEST, "UTF-8");
	refuse(HEAD RCPT MID "Subject: a\xc2\x9b" "b\n", SIX_ERR_MANIFEST, "UTF-8");
	refuse(HEAD RCPT MID "Subject: ab \n", SIX_ERR_MANIFEST, "space");
	char *t = malloc(4096);
	strcpy(t, HEAD RCPT MID "Subject: ");
	size_t l = strlen(t);
	memset(t + l, 'x', SIX_SUBJECT_MAX + 1);
	strcpy(t + l + SIX_SUBJECT_MAX + 1, "\n" FILE1);
	refuse(t, SIX_ERR_MANIFEST, "longer");
	t[l + SIX_SUBJECT_MAX] = '\n';
	strcpy(t + l + SIX_SUBJECT_MAX + 1, FILE1);
	struct six_err e;
	assert_int_equal(parse(t, &e), 0);
	free(t);
}

static void test_files(void **state)
{
	(void)state;
	const char *base = HEAD RCPT MID;
	char t[8192];
	const struct {
		const char *line;
		int code;
		const char *want;
	} cases[] = {
		{"File: " H64 "\n", SIX_ERR_MANIFEST, "want"},
		{"File: E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 0 a\n",
		 SIX_ERR_MANIFEST, "want"},
		{"File: " H64 " 01 a\n", SIX_ERR_MANIFEST, "size"},
		{"File: " H64 " -1 a\n", SIX_ERR_MANIFEST, "size"},
		{"File: " H64 "  1 a\n", SIX_ERR_MANIFEST, "size"},
		{"File: " H64 " 1\n", SIX_ERR_MANIFEST, ""},
		{"File: " H64 " 1 \n", SIX_ERR_MANIFEST, "want"},
		{"File: " H64 " 12 \n", SIX_ERR_UNSAFE, "empty"},
		{"File: " H64 " 1 ../etc/passwd\n", SIX_ERR_UNSAFE, "'..'"},
		{"File: " H64 " 1 a/./b\n", SIX_ERR_UNSAFE, "'.'"},
		{"File: " H64 " 1 /etc/passwd\n", SIX_ERR_UNSAFE, "absolute"},
		{"File: " H64 " 1 a//b\n", SIX_ERR_UNSAFE, "empty component"},
		{"File: " H64 " 1 a/\n", SIX_ERR_UNSAFE, "empty component"},
		{"File: " H64 " 1 a\rb\n", SIX_ERR_UNSAFE, "control"},
		{"File: " H64 " 1 a\xff" "b\n", SIX_ERR_UNSAFE, "UTF-8"},
		{"File: " H64 " 1000001 a\n", SIX_ERR_LIMIT, "limit"},
		{"File: " H64 " 1000000 a\nFile: " H64 " 1000000 b\nFile: " H64 " 1 c\n",
		 SIX_ERR_LIMIT, "total"},
		{"File: " H64 " 1 a\nFile: " H64 " 2 a\n", SIX_ERR_MANIFEST, "duplicate path 'a'"},
		{"File: " H64 " 1 a\nFile: " H64 " 2 a/b\n", SIX_ERR_MANIFEST, "'a' is both"},
		{"File: " H64 " 1 a/b/c\nFile: " H64 " 1 a-x\nFile: " H64 " 2 a\n",
		 SIX_ERR_MANIFEST, "'a' is both"},
		{"File: " H64 " 1 x/a\nFile: " H64 " 1 x/a.b\nFile: " H64 " 2 x/a/c\n",
		 SIX_ERR_MANIFEST, "'x/a' is both"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(t, sizeof t, "%s%s", base, cases[i].line);
		refuse(t, cases[i].code, cases[i].want);
	}
	/* siblings that merely share a prefix are fine */
	snprintf(t, sizeof t, "%sFile: " H64 " 1 a\nFile: " H64 " 1 ab\nFile: " H64
		 " 1 a.b/c\nFile: " H64 " 1 b/a\n", base);
	struct six_err e;
	assert_int_equal(parse(t, &e), 0);
}

static void test_limits(void **state)
{
	(void)state;
	char *t = malloc(200000);
	strcpy(t, HEAD RCPT MID);
	for (int i = 0; i < 100; i++)
		sprintf(t + strlen(t), "File: " H64 " 1 f%d\n", i);
	struct six_err e;
	assert_int_equal(parse(t, &e), 0);
	strcat(t, "File: " H64 " 1 g\n");
	refuse(t, SIX_ERR_LIMIT, "more than 100 files");
	/* the running total must not wrap around */
	const struct six_manifest_limits big = {10, UINT64_MAX, UINT64_MAX};
	strcpy(t, HEAD RCPT MID "File: " H64 " 18446744073709551615 a\nFile: " H64 " 1 b\n");
	struct six_manifest m;
	assert_int_equal(six_manifest_parse(t, strlen(t), &big, &m, &e), SIX_ERR_LIMIT);
	free(t);
}

static void test_emit_refuses_invalid(void **state)
{
	(void)state;
	struct six_manifest m;
	struct six_err e;
	const char *t = GOOD;
	assert_int_equal(six_manifest_parse(t, strlen(t), &lim, &m, &e), 0);
	char *out = NULL;
	size_t len;
	snprintf(m.party, sizeof m.party, "nl");
	assert_int_equal(six_manifest_emit(&m, &out, &len, &e), SIX_ERR_MANIFEST);
	snprintf(m.party, sizeof m.party, "NLD");
	free(m.files[0].path);
	m.files[0].path = strdup("../x");
	assert_int_equal(six_manifest_emit(&m, &out, &len, &e), SIX_ERR_UNSAFE);
	assert_null(out);
	six_manifest_free(&m);
}

static void test_paths_check(void **state)
{
	(void)state;
	struct six_manifest_file f[3] = {{.path = "d/x"}, {.path = "d"}, {.path = "e"}};
	struct six_err e;
	assert_int_equal(six_manifest_paths_check(f, 3, &e), SIX_ERR_MANIFEST);
	assert_non_null(strstr(e.msg, "'d' is both"));
	f[1].path = "d2";
	assert_int_equal(six_manifest_paths_check(f, 3, &e), 0);
}

/* Replay every file of tests/hostile/manifest/: its name starts with the error class. */
static void manifest_case(const char *name, const char *text, size_t len, void *ctx)
{
	(void)ctx;
	struct six_err e;
	struct six_manifest m;
	int rc = six_manifest_parse(text, len, &lim, &m, &e);
	const char *want = six_err_class(rc);
	if (rc == 0 || strncmp(name, want, strlen(want)) != 0)
		fail_msg("%s: got %d (%s) %s", name, rc, want, e.msg);
}

static void test_hostile_corpus(void **state)
{
	(void)state;
	assert_true(unit_corpus_each("manifest", SIX_MANIFEST_MAX + 16, manifest_case, NULL) >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_optional_subject_and_many_recipients),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_emit_refuses_invalid),
		cmocka_unit_test(test_paths_check),
		cmocka_unit_test(test_hostile_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
