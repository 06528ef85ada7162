/* tools/lib/path.c: payload paths and spool names from hostile sources, UTF-8, and
 * creating parent directories without following links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "fsutil.h"
#include "path.h"
#include "six_limits.h"
#include "unit_tmp.h"

/* Check s[0..len) (a literal may hold NULs) and return the result code. */
static int pcheck(const char *s, size_t len)
{
	struct six_err e = {0};
	int rc = six_path_check(s, len, &e);
	if (rc < 0) {
		assert_int_equal(rc, SIX_ERR_UNSAFE);
		assert_int_equal(e.code, SIX_ERR_UNSAFE);
		assert_true(e.msg[0] != '\0');
	}
	return rc;
}
#define P_OK(lit) assert_int_equal(pcheck(lit, sizeof lit - 1), 0)
#define P_BAD(lit) assert_int_equal(pcheck(lit, sizeof lit - 1), SIX_ERR_UNSAFE)
#define U_OK(lit) assert_int_equal(six_utf8_valid(lit, sizeof lit - 1), 1)
#define U_BAD(lit) assert_int_equal(six_utf8_valid(lit, sizeof lit - 1), 0)

static void test_utf8(void **state)
{
	(void)state;
	U_OK("");
	U_OK("plain ascii ~");
	U_OK("\xc2\xa0");		  /* U+00A0, first after C1 */
	U_OK("\xc3\xa9t\xc3\xa9");	  /* é */
	U_OK("\xe2\x82\xac");		  /* € */
	U_OK("\xed\x9f\xbf");		  /* U+D7FF, last before surrogates */
	U_OK("\xee\x80\x80");		  /* U+E000, first after */
	U_OK("\xef\xbf\xbf");		  /* U+FFFF */
	U_OK("\xf0\x90\x80\x80");	  /* U+10000 */
	U_OK("\xf0\x9f\x98\x80");	  /* emoji */
	U_OK("\xf4\x8f\xbf\xbf");	  /* U+10FFFF */
	U_BAD("\x80");			  /* lone continuation */
	U_BAD("a\xbf");
	U_BAD("\xc0\x80");		  /* overlong NUL */
	U_BAD("\xc0\xaf");		  /* overlong '/' */
	U_BAD("\xc1\xbf");		  /* overlong */
	U_BAD("\xe0\x80\xaf");		  /* overlong 3-byte '/' */
	U_BAD("\xe0\x9f\xbf");		  /* overlong 3-byte U+07FF */
	U_BAD("\xf0\x80\x80\xaf");	  /* overlong 4-byte */
	U_BAD("\xf0\x8f\xbf\xbf");	  /* overlong 4-byte U+FFFF */
	U_BAD("\xed\xa0\x80");		  /* U+D800 high surrogate */
	U_BAD("\xed\xbf\xbf");		  /* U+DFFF low surrogate */
	U_BAD("\xed\xa0\xbd\xed\xb8\x80"); /* CESU-8 pair */
	U_BAD("\xf4\x90\x80\x80");	  /* U+110000 */
	U_BAD("\xf5\x80\x80\x80");
	U_BAD("\xf8\x88\x80\x80\x80");	  /* 5-byte form */
	U_BAD("\xfc\x84\x80\x80\x80\x80"); /* 6-byte form */
	U_BAD("\xfe");
	U_BAD("\xff");
	U_BAD("\xc3");			  /* truncated at the end */
	U_BAD("\xe2\x82");
	U_BAD("\xf0\x9f\x98");
	U_BAD("\xe2\x28\xa1");		  /* bad continuation */
	U_BAD("\xc3\x28");
	U_BAD("\xc2\x80");		  /* C1 controls are refused too */
	U_BAD("\xc2\x9b");
	U_BAD("\xc2\x9f");
	/* the length is respected: bytes past it are not looked at */
	assert_int_equal(six_utf8_valid("ok\xff", 2), 1);
	assert_int_equal(six_utf8_valid("\xe2\x82\xac", 2), 0);
}

static void test_path_good(void **state)
{
	(void)state;
	P_OK("a");
	P_OK("report.pdf");
	P_OK("annex/2026/table 1.csv");
	P_OK(".hidden");
	P_OK("a/.b/..c/...");
	P_OK("a..");
	P_OK("x\\..\\y"); /* a backslash is an ordinary byte on POSIX */
	P_OK("d\xc3\xa9" "claration/\xe2\x82\xac.txt");
	P_OK("-rf");
}

static void test_path_rules(void **state)
{
	(void)state;
	P_BAD("");
	P_BAD("/");
	P_BAD("/etc/passwd");
	P_BAD("//x");
	P_BAD("..");
	P_BAD("../x");
	P_BAD("a/../b");
	P_BAD("a/..");
	P_BAD(".");
	P_BAD("./a");
	P_BAD("a/./b");
	P_BAD("a/.");
	P_BAD("a//b");
	P_BAD("a/");
	P_BAD("a/b/");
	P_BAD("a\0b");
	P_BAD("\0");
	P_BAD("a\x7f");
	P_BAD("a\xc2\x85"); /* NEL */
	P_BAD("a\xc2\x9b[2J"); /* CSI */
	P_BAD("caf\xe9");	 /* Latin-1 */
	P_BAD("\xc0\xae\xc0\xae/x"); /* overlong "..": must not decode to a dot-dot */
	P_BAD("..\xc0\xaf" "etc");
	P_BAD("a\xed\xa0\x80");
	P_BAD("a\xf4\x90\x80\x80");
	/* every C0 control, alone and inside a name */
	for (unsigned c = 1; c < 0x20; c++) {
		char s[4] = {'a', (char)c, 'b', '\0'};
		assert_int_equal(pcheck(s, 3), SIX_ERR_UNSAFE);
		assert_int_equal(pcheck(s + 1, 1), SIX_ERR_UNSAFE);
	}
	/* every C1 control */
	for (unsigned c = 0x80; c < 0xa0; c++) {
		char s[3] = {(char)0xc2, (char)c, '\0'};
		assert_int_equal(pcheck(s, 2), SIX_ERR_UNSAFE);
	}
	/* the length is what is checked, not a NUL: "a/.." cut to "a/." is still bad */
	assert_int_equal(pcheck("a/..", 3), SIX_ERR_UNSAFE);
	assert_int_equal(pcheck("ab/..", 2), 0);
}

static void test_path_lengths(void **state)
{
	(void)state;
	static char big[SIX_PATH_MAX + 2];
	memset(big, 'x', sizeof big);
	/* one component: 255 ok, 256 not */
	assert_int_equal(pcheck(big, SIX_COMPONENT_MAX), 0);
	assert_int_equal(pcheck(big, SIX_COMPONENT_MAX + 1), SIX_ERR_UNSAFE);
	/* a long component after short ones is still caught */
	memcpy(big, "a/b/", 4);
	assert_int_equal(pcheck(big, 4 + SIX_COMPONENT_MAX), 0);
	assert_int_equal(pcheck(big, 4 + SIX_COMPONENT_MAX + 1), SIX_ERR_UNSAFE);
	/* whole path: 4096 ok, 4097 not (components of 200 bytes) */
	memset(big, 'y', sizeof big);
	for (size_t i = 200; i < sizeof big; i += 201)
		big[i] = '/';
	assert_true(big[SIX_PATH_MAX - 1] != '/');
	assert_int_equal(pcheck(big, SIX_PATH_MAX), 0);
	assert_int_equal(pcheck(big, SIX_PATH_MAX + 1), SIX_ERR_UNSAFE);
	assert_int_equal(pcheck(big, SIZE_MAX / 2), SIX_ERR_UNSAFE); /* length first */
}

/* A 4-byte character may not straddle the component limit unnoticed. */
static void test_path_multibyte_limit(void **state)
{
	(void)state;
	char s[SIX_COMPONENT_MAX + 8];
	memset(s, 'a', sizeof s);
	memcpy(s + 252, "\xf0\x9f\x98\x80", 4); /* 256 bytes, 253 characters */
	assert_int_equal(pcheck(s, 256), SIX_ERR_UNSAFE);
	assert_int_equal(pcheck(s + 1, 255), 0);
}

/* Replays tests/hostile/paths: files named ok-* must be accepted, bad-* refused. */
static void path_case(const char *name, const char *text, size_t len, void *ctx)
{
	int *counts = ctx;
	int want_ok = strncmp(name, "ok-", 3) == 0;
	if (!want_ok && strncmp(name, "bad-", 4) != 0)
		fail_msg("%s: a corpus file is named ok-* or bad-*", name);
	int rc = pcheck(text, len);
	if ((rc == 0) != want_ok)
		fail_msg("%s: six_path_check returned %d", name, rc);
	counts[want_ok]++;
}

static void test_path_hostile_corpus(void **state)
{
	(void)state;
	int counts[2] = {0, 0};
	assert_true(unit_corpus_each("paths", 1 << 16, path_case, counts) >= 0);
	/* the corpus is there and has both kinds */
	assert_true(counts[1] >= 5);
	assert_true(counts[0] >= 20);
}

static void test_name_check(void **state)
{
	(void)state;
	struct six_err e;
	char big[SIX_SPOOL_NAME_MAX + 2];
	assert_int_equal(six_name_check("a", &e), 0);
	assert_int_equal(six_name_check("1733325502.1234.00ff00ff00ff00ff.six", &e), 0);
	assert_int_equal(six_name_check("r\xc3\xa9sum\xc3\xa9 2026.six", &e), 0);
	assert_int_equal(six_name_check("a..b", &e), 0);
	memset(big, 'n', sizeof big);
	big[SIX_SPOOL_NAME_MAX] = '\0';
	assert_int_equal(six_name_check(big, &e), 0);
	big[SIX_SPOOL_NAME_MAX] = 'n';
	big[SIX_SPOOL_NAME_MAX + 1] = '\0';
	assert_int_equal(six_name_check(big, &e), SIX_ERR_UNSAFE);
	static const char *const bad[] = {
		"", ".", "..", ".hidden", "a/b", "/abs", "../up", "a\nb", "a\rb", "\x1b[31m",
		"a\x7f", "a\xc2\x85", "caf\xe9", "\xc0\xae\xc0\xae", "a\xed\xa0\x80", "tab\there",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e.code = 0;
		if (six_name_check(bad[i], &e) != SIX_ERR_UNSAFE)
			fail_msg("name %zu accepted", i);
		assert_int_equal(e.code, SIX_ERR_UNSAFE);
	}
}

static void test_mkparents(void **state)
{
	(void)state;
	char dir[64];
	assert_int_equal(unit_tmpdir(dir), 0);
	int dfd = six_open_dir(dir, NULL);
	assert_true(dfd >= 0);
	struct six_err e;
	int fd = -1;
	const char *last = NULL;
	assert_int_equal(six_mkparents_at(dfd, "a/b/c/file.txt", &fd, &last, &e), 0);
	assert_string_equal(last, "file.txt");
	int ffd = openat(fd, last, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(ffd >= 0);
	close(ffd);
	close(fd);
	struct stat st;
	assert_int_equal(fstatat(dfd, "a/b/c/file.txt", &st, 0), 0);
	assert_true((fcntl(dfd, F_GETFD) & FD_CLOEXEC) != 0);

	/* again: existing directories are reused */
	assert_int_equal(six_mkparents_at(dfd, "a/b/other", &fd, &last, &e), 0);
	assert_string_equal(last, "other");
	close(fd);
	/* no directory part: a new fd for dirfd itself, closed on exec */
	assert_int_equal(six_mkparents_at(dfd, "top", &fd, &last, &e), 0);
	assert_string_equal(last, "top");
	assert_true(fd != dfd);
	assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	close(fd);

	/* a planted symlink to a directory outside is refused, nothing made through it */
	assert_int_equal(mkdirat(dfd, "outside", 0700), 0);
	assert_int_equal(symlinkat("outside", dfd, "link"), 0);
	assert_int_equal(six_mkparents_at(dfd, "link/x/y", &fd, &last, &e), SIX_ERR_UNSAFE);
	assert_int_equal(unit_count_entries(dfd, "outside"), 0);
	/* a file where a directory should be */
	ffd = openat(dfd, "plain", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	close(ffd);
	assert_true(six_mkparents_at(dfd, "plain/x", &fd, &last, &e) < 0);

	/* components that would escape or are empty are refused before any mkdir */
	static const char *const bad[] = {"../escape/x", "a/../../x", "./x/y", "a//b",
					  "/abs/x", "a/b/..", "a/b/"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fd = -1;
		if (six_mkparents_at(dfd, bad[i], &fd, &last, &e) != SIX_ERR_UNSAFE)
			fail_msg("mkparents accepted '%s'", bad[i]);
		assert_int_equal(fd, -1);
	}
	char parent[80];
	snprintf(parent, sizeof parent, "%s/../escape", dir);
	assert_int_equal(access(parent, F_OK), -1);
	close(dfd);
	unit_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_path_good),
		cmocka_unit_test(test_path_rules),
		cmocka_unit_test(test_path_lengths),
		cmocka_unit_test(test_path_multibyte_limit),
		cmocka_unit_test(test_path_hostile_corpus),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_mkparents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
