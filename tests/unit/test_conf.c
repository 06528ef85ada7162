/* tools/lib/home.c: six.conf parsing, home resolution and opening. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "fsutil.h"
#include "home.h"
#include "six_limits.h"
#include "unit_tmp.h"

static int parse(const char *text, struct six_conf *c, struct six_err *e)
{
	six_conf_defaults(c);
	memset(e, 0, sizeof *e);
	return six_conf_parse(text, strlen(text), c, e);
}

static void test_defaults(void **state)
{
	(void)state;
	struct six_conf c;
	six_conf_defaults(&c);
	assert_int_equal(c.n_doc_types, 5);
	assert_string_equal(c.doc_types[0], "declaration");
	assert_string_equal(c.doc_types[4], "operational");
	assert_int_equal(c.n_classifications, 3);
	assert_string_equal(c.classifications[2], "HIGHLY PROTECTED");
	assert_true(six_conf_has(c.doc_types, c.n_doc_types, "letter"));
	assert_false(six_conf_has(c.doc_types, c.n_doc_types, "Letter"));
	assert_false(six_conf_has(c.doc_types, c.n_doc_types, ""));
	assert_true(c.max_files == SIX_DEF_MAX_FILES);
	assert_true(c.max_file_size == SIX_DEF_MAX_FILE_SIZE);
	assert_true(c.max_total_size == SIX_DEF_MAX_TOTAL_SIZE);
	assert_true(c.max_age_seconds == 30ull * 86400);
	assert_true(c.max_skew_seconds == SIX_DEF_MAX_SKEW_SECONDS);
}

static void test_every_key(void **state)
{
	(void)state;
	struct six_conf c;
	struct six_err e;
	assert_int_equal(parse("# SIX settings\n"
			       "doc-types = declaration, answer_to-letter , Report2\n"
			       "  classifications=RESTRICTED,HIGHLY PROTECTED\n"
			       "max-files = 7\n"
			       "\tmax-file-size\t=\t1048576\n"
			       "max-total-size = 18446744073709551615\n"
			       "max-age-days = 2\n"
			       "max-skew-seconds = 1\n"
			       "\n   \n# end\n",
			       &c, &e),
			 0);
	assert_int_equal(c.n_doc_types, 3);
	assert_string_equal(c.doc_types[0], "declaration");
	assert_string_equal(c.doc_types[1], "answer_to-letter");
	assert_string_equal(c.doc_types[2], "Report2");
	assert_false(six_conf_has(c.doc_types, c.n_doc_types, "letter"));
	assert_int_equal(c.n_classifications, 2);
	assert_string_equal(c.classifications[1], "HIGHLY PROTECTED");
	assert_true(c.max_files == 7);
	assert_true(c.max_file_size == 1048576);
	assert_true(c.max_total_size == UINT64_MAX);
	assert_true(c.max_age_seconds == 2 * 86400);
	assert_true(c.max_skew_seconds == 1);
}

static void test_layout_variants(void **state)
{
	(void)state;
	struct six_conf c;
	struct six_err e;
	/* CRLF line ends, no final newline, later lines win */
	assert_int_equal(parse("max-files = 3\r\nmax-files = 4\r\n", &c, &e), 0);
	assert_true(c.max_files == 4);
	assert_int_equal(parse("max-skew-seconds=9", &c, &e), 0);
	assert_true(c.max_skew_seconds == 9);
	/* untouched keys keep their defaults */
	assert_true(c.max_files == SIX_DEF_MAX_FILES);
	assert_int_equal(parse("", &c, &e), 0);
	assert_int_equal(parse("\n\n\n", &c, &e), 0);
	/* a '#' only starts a comment at the start of a line */
	assert_int_equal(parse("max-files = 3 # three\n", &c, &e), SIX_ERR_CONFIG);
}

static void expect_bad(const char *text, const char *msg_part)
{
	struct six_conf c;
	struct six_err e;
	int rc = parse(text, &c, &e);
	if (rc != SIX_ERR_CONFIG)
		fail_msg("accepted: %s", text);
	assert_int_equal(e.code, SIX_ERR_CONFIG);
	if (!strstr(e.msg, msg_part))
		fail_msg("message '%s' lacks '%s'", e.msg, msg_part);
}

static void test_errors_name_the_line(void **state)
{
	(void)state;
	expect_bad("max-files = 3\n\n# c\nfrobnicate = 1\n", "line 4: unknown setting 'frobnicate'");
	expect_bad("max-files 3\n", "line 1: expected 'key = value'");
	expect_bad("max-files = 2\nmax-files = 0\n", "line 2: bad value for 'max-files'");
	expect_bad("max-file-size = 4G\n", "bad value for 'max-file-size'");
	expect_bad("max-total-size = 18446744073709551616\n", "bad value");
	expect_bad("max-age-days = 213503982334602\n", "bad value for 'max-age-days'");
	expect_bad("max-skew-seconds = -5\n", "bad value");
	expect_bad("max-files = 012\n", "bad value");
	expect_bad("max-files =\n", "bad value");
	expect_bad("doc-types =\n", "bad value for 'doc-types'");
	expect_bad("doc-types = a,,b\n", "bad value");
	expect_bad("doc-types = a,\n", "bad value");
	expect_bad("doc-types = a, \n", "bad value");
	expect_bad("doc-types = ,a\n", "bad value");
	expect_bad("doc-types = a;b\n", "bad value");
	expect_bad("classifications = TOP/SECRET\n", "bad value");
	expect_bad("classifications = caf\xc3\xa9\n", "bad value");
	expect_bad("Max-Files = 3\n", "unknown setting");
	expect_bad("= 3\n", "unknown setting ''");
	/* an absurd key is cut in the message, which stays short */
	char big[3000];
	memset(big, 'k', sizeof big);
	memcpy(big + sizeof big - 6, " = 1\n", 6);
	struct six_conf c;
	struct six_err e;
	assert_int_equal(parse(big, &c, &e), SIX_ERR_CONFIG);
	assert_true(strlen(e.msg) < 120);
}

static void test_list_limits(void **state)
{
	(void)state;
	struct six_conf c;
	struct six_err e;
	char text[4096];
	int n = snprintf(text, sizeof text, "doc-types = ");
	for (int i = 0; i < SIX_DOCTYPES_MAX; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "%st%d", i ? "," : "", i);
	assert_int_equal(parse(text, &c, &e), 0);
	assert_int_equal(c.n_doc_types, SIX_DOCTYPES_MAX);
	assert_string_equal(c.doc_types[SIX_DOCTYPES_MAX - 1], "t31");
	snprintf(text + n, sizeof text - (size_t)n, ",one-too-many");
	expect_bad(text, "bad value");

	char tok[SIX_TOKEN_MAX + 2];
	memset(tok, 'x', sizeof tok);
	tok[SIX_TOKEN_MAX] = '\0';
	snprintf(text, sizeof text, "doc-types = %s\n", tok);
	assert_int_equal(parse(text, &c, &e), 0);
	assert_int_equal(strlen(c.doc_types[0]), SIX_TOKEN_MAX);
	tok[SIX_TOKEN_MAX] = 'x';
	tok[SIX_TOKEN_MAX + 1] = '\0';
	snprintf(text, sizeof text, "doc-types = %s\n", tok);
	expect_bad(text, "bad value");
}

/* A NUL byte is data: it may not end the parse early and hide what follows. */
static void test_embedded_nul(void **state)
{
	(void)state;
	struct six_conf c;
	struct six_err e;
	static const char t1[] = "max-files = 3\0\nbogus = 1\n";
	six_conf_defaults(&c);
	assert_int_equal(six_conf_parse(t1, sizeof t1 - 1, &c, &e), SIX_ERR_CONFIG);
	static const char t2[] = "max-files = 3\n\0bogus = 1\n";
	six_conf_defaults(&c);
	assert_int_equal(six_conf_parse(t2, sizeof t2 - 1, &c, &e), SIX_ERR_CONFIG);
	/* the length bounds the parse: text past it is not read */
	six_conf_defaults(&c);
	assert_int_equal(six_conf_parse("max-files = 3\nbogus", 14, &c, &e), 0);
	assert_true(c.max_files == 3);
}

/* Replays tests/hostile/conf: ok-* files parse, bad-* files are SIX_ERR_CONFIG. */
static void conf_case(const char *name, const char *text, size_t len, void *ctx)
{
	int *counts = ctx;
	int want_ok = strncmp(name, "ok-", 3) == 0;
	if (!want_ok && strncmp(name, "bad-", 4) != 0)
		fail_msg("%s: a corpus file is named ok-* or bad-*", name);
	struct six_err e;
	struct six_conf c;
	six_conf_defaults(&c);
	int rc = six_conf_parse(text, len, &c, &e);
	if (want_ok ? rc != 0 : rc != SIX_ERR_CONFIG)
		fail_msg("%s: six_conf_parse returned %d (%s)", name, rc, e.msg);
	if (want_ok) {
		/* nothing a parse accepts leaves a limit at zero or a list empty */
		assert_true(c.max_files > 0 && c.max_file_size > 0 && c.max_total_size > 0);
		assert_true(c.max_age_seconds > 0 && c.max_skew_seconds > 0);
		assert_true(c.n_doc_types > 0 && c.n_doc_types <= SIX_DOCTYPES_MAX);
		assert_true(c.n_classifications > 0);
	}
	counts[want_ok]++;
}

static void test_hostile_corpus(void **state)
{
	(void)state;
	int counts[2] = {0, 0};
	assert_true(unit_corpus_each("conf", SIX_CONF_MAX, conf_case, counts) >= 0);
	assert_true(counts[1] >= 5);
	assert_true(counts[0] >= 20);
}

static void test_resolve(void **state)
{
	(void)state;
	char out[SIX_HOME_PATH_MAX];
	struct six_err e;
	setenv("SIX_HOME", "/env/home", 1);
	setenv("HOME", "/users/me", 1);
	assert_int_equal(six_home_resolve("/opt/home//", out, &e), 0);
	assert_string_equal(out, "/opt/home");
	assert_int_equal(six_home_resolve(NULL, out, &e), 0);
	assert_string_equal(out, "/env/home");
	assert_int_equal(six_home_resolve("", out, &e), 0);
	assert_string_equal(out, "/env/home");
	unsetenv("SIX_HOME");
	assert_int_equal(six_home_resolve(NULL, out, &e), 0);
	assert_string_equal(out, "/users/me/.six");
	assert_int_equal(six_home_resolve("/", out, &e), 0);
	assert_string_equal(out, "/");
	/* relative: made absolute against the cwd */
	char cwd[SIX_HOME_PATH_MAX], want[SIX_HOME_PATH_MAX + 8];
	assert_non_null(getcwd(cwd, sizeof cwd));
	snprintf(want, sizeof want, "%s/rel", cwd);
	assert_int_equal(six_home_resolve("rel/", out, &e), 0);
	assert_string_equal(out, want);
	unsetenv("HOME");
	assert_int_equal(six_home_resolve(NULL, out, &e), SIX_ERR_CONFIG);
	/* too long for a gpg-agent socket path */
	char big[SIX_HOME_PATH_MAX + 10];
	memset(big, 'h', sizeof big);
	big[0] = '/';
	big[sizeof big - 1] = '\0';
	assert_int_equal(six_home_resolve(big, out, &e), SIX_ERR_CONFIG);
}

/* A minimal initialised home: what six_home_open looks for. */
static int make_home(const char *dir)
{
	int dfd = six_open_dir(dir, NULL);
	assert_true(dfd >= 0);
	assert_int_equal(mkdirat(dfd, "gnupg", 0700), 0);
	assert_int_equal(mkdirat(dfd, "state", 0700), 0);
	int fd = openat(dfd, "gnupg/gpg.conf", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	return dfd;
}

static void write_conf(int dfd, const char *text)
{
	assert_int_equal(six_replace_file_at(dfd, "six.conf", text, strlen(text), 0600, NULL), 0);
}

static void test_home_open(void **state)
{
	(void)state;
	char dir[64];
	assert_int_equal(unit_tmpdir(dir), 0);
	struct six_home h;
	struct six_err e;
	/* not initialised: the message names the fix */
	assert_int_equal(six_home_open(dir, &h, &e), SIX_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "six-keyring --home"));
	assert_int_equal(h.fd, -1);
	int dfd = make_home(dir);
	/* no six.conf: defaults */
	assert_int_equal(six_home_open(dir, &h, &e), 0);
	assert_true(h.fd >= 0);
	assert_true(h.conf.max_files == SIX_DEF_MAX_FILES);
	char want[128];
	snprintf(want, sizeof want, "%s/gnupg", dir);
	assert_string_equal(h.gnupg, want);
	six_home_close(&h);
	assert_int_equal(h.fd, -1);
	/* a good six.conf is applied */
	write_conf(dfd, "max-files = 11\n");
	assert_int_equal(six_home_open(dir, &h, &e), 0);
	assert_true(h.conf.max_files == 11);
	six_home_close(&h);
	/* a bad one is an error naming the file and the line */
	write_conf(dfd, "max-files = 11\nnope = 1\n");
	assert_int_equal(six_home_open(dir, &h, &e), SIX_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "six.conf: line 2: unknown setting 'nope'"));
	assert_int_equal(h.fd, -1);
	/* six.conf as a symlink (to a good file) is refused, not followed */
	write_conf(dfd, "max-files = 12\n");
	assert_int_equal(renameat(dfd, "six.conf", dfd, "real.conf"), 0);
	assert_int_equal(symlinkat("real.conf", dfd, "six.conf"), 0);
	assert_int_equal(six_home_open(dir, &h, &e), SIX_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "six.conf: "));
	/* six.conf as a directory */
	assert_int_equal(unlinkat(dfd, "six.conf", 0), 0);
	assert_int_equal(mkdirat(dfd, "six.conf", 0700), 0);
	assert_int_equal(six_home_open(dir, &h, &e), SIX_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "six.conf: "));
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(unlinkat(dfd, "six.conf", AT_REMOVEDIR), 0);
	/* larger than SIX_CONF_MAX */
	static char huge[SIX_CONF_MAX + 2];
	memset(huge, '\n', sizeof huge - 1);
	write_conf(dfd, huge);
	assert_int_equal(six_home_open(dir, &h, &e), SIX_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "larger than"));
	close(dfd);
	unit_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),	 cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_layout_variants),	 cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_list_limits),	 cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_hostile_corpus),	 cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_home_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
