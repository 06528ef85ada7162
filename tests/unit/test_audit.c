/* tools/lib/audit.c: the hash-chained audit log (formats/audit-log.md). Every test
 * reads the log back and verifies the whole chain independently of the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "audit.h"
#include "fsutil.h"
#include "hash.h"
#include "path.h"
#include "six_limits.h"
#include "unit_tmp.h"
#include "util.h"

struct fx {
	char dir[64];
	int home;  /* the home directory */
	int audit; /* home/audit */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	assert_int_equal(unit_tmpdir(f->dir), 0);
	f->home = six_open_dir(f->dir, NULL);
	assert_true(f->home >= 0);
	assert_int_equal(mkdirat(f->home, "audit", 0700), 0);
	f->audit = six_open_dir_at(f->home, "audit", NULL);
	assert_true(f->audit >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close(f->audit);
	close(f->home);
	unit_rmtree(f->dir);
	free(f);
	return 0;
}

__attribute__((noinline)) static char *read_log(struct fx *f, size_t *len)
{
	char *text;
	struct six_err e;
	assert_int_equal(six_read_file_at(f->audit, "audit.log", 64u << 20, &text, len, &e), 0);
	return text;
}

/* Verify the whole log as an auditor would: every line is {"index":i,"time":"...",
 * "event":"...",...,"prev":"<hex>"}\n with i = 1, 2, ... and prev the SHA-256 of the
 * previous line including its '\n' (64 zeros for the first). Returns the line count. */
static size_t verify_chain(const char *text, size_t len)
{
	char prev[SIX_SHA256_HEX + 1];
	memset(prev, '0', SIX_SHA256_HEX);
	prev[SIX_SHA256_HEX] = '\0';
	size_t count = 0, off = 0;
	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		if (!nl)
			fail_msg("line %zu has no newline", count + 1);
		size_t ll = (size_t)(nl - line);
		count++;
		char head[64];
		int hl = snprintf(head, sizeof head, "{\"index\":%zu,\"time\":\"", count);
		if (ll < (size_t)hl || memcmp(line, head, (size_t)hl) != 0)
			fail_msg("line %zu: bad start: %.60s", count, line);
		time_t t;
		if (six_time_parse(line + hl, SIX_TIME_LEN, &t) < 0 || line[hl + SIX_TIME_LEN] != '"')
			fail_msg("line %zu: bad time", count);
		if (memcmp(line + hl + SIX_TIME_LEN, "\",\"event\":\"", 11) != 0)
			fail_msg("line %zu: no event after time", count);
		/* the line ends with ,"prev":"<64 hex>"} */
		static const char tail[] = ",\"prev\":\"";
		size_t tl = sizeof tail - 1;
		if (ll < tl + SIX_SHA256_HEX + 2)
			fail_msg("line %zu too short", count);
		const char *p = line + ll - 2 - SIX_SHA256_HEX;
		if (memcmp(p - tl, tail, tl) != 0 || memcmp(p + SIX_SHA256_HEX, "\"}", 2) != 0)
			fail_msg("line %zu: bad prev field", count);
		if (memcmp(p, prev, SIX_SHA256_HEX) != 0)
			fail_msg("line %zu: chain broken", count);
		/* JSON text is UTF-8 with no raw control characters */
		if (!six_utf8_valid(line, ll))
			fail_msg("line %zu is not UTF-8", count);
		for (size_t i = 0; i < ll; i++)
			if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
				fail_msg("line %zu has a raw control character", count);
		uint8_t d[SIX_SHA256_LEN];
		six_sha256_buf(line, ll + 1, d);
		six_hex(d, sizeof d, prev);
		off += ll + 1;
	}
	return count;
}

static int append(struct fx *f, const char *event, const struct six_kv *kv, size_t n,
		  uint64_t *index)
{
	struct six_err e;
	return six_audit_append(f->home, event, kv, n, index, &e);
}

static void test_first_lines(void **state)
{
	struct fx *f = *state;
	uint64_t ix = 0;
	const struct six_kv kv[] = {{"bundle", "3f0c9a1e5b7d4c2a8e6f1b3d5a7c9e0f"},
				    {"party", "NLD"},
				    {"sequence", "42"}};
	assert_int_equal(append(f, "delivered", kv, 3, &ix), 0);
	assert_true(ix == 1);
	assert_int_equal(append(f, "rejected", kv, 1, &ix), 0);
	assert_true(ix == 2);
	assert_int_equal(append(f, "key-revoked", NULL, 0, NULL), 0);
	size_t len;
	char *text = read_log(f, &len);
	assert_int_equal(verify_chain(text, len), 3);
	/* exact layout of the first line */
	char want[256];
	snprintf(want, sizeof want,
		 "\",\"event\":\"delivered\",\"bundle\":\"3f0c9a1e5b7d4c2a8e6f1b3d5a7c9e0f\","
		 "\"party\":\"NLD\",\"sequence\":\"42\",\"prev\":\"%064d\"}\n",
		 0);
	const char *nl = strchr(text, '\n');
	size_t first = (size_t)(nl - text) + 1;
	assert_int_equal(strncmp(text, "{\"index\":1,\"time\":\"", 19), 0);
	assert_memory_equal(text + 19 + SIX_TIME_LEN, want, strlen(want));
	assert_int_equal(19 + SIX_TIME_LEN + strlen(want), first);
	/* the time is now (UTC) */
	time_t t;
	assert_int_equal(six_time_parse(text + 19, SIX_TIME_LEN, &t), 0);
	assert_true(t <= time(NULL) && t >= time(NULL) - 60);
	/* the second line's prev is the SHA-256 of the first line with its '\n' */
	uint8_t d[SIX_SHA256_LEN];
	char hex[SIX_SHA256_HEX + 1];
	six_sha256_buf(text, first, d);
	six_hex(d, sizeof d, hex);
	assert_non_null(strstr(text + first, hex));
	assert_int_equal(strncmp(text + first, "{\"index\":2,", 11), 0);
	/* the log is private */
	struct stat st;
	assert_int_equal(fstatat(f->audit, "audit.log", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(text);
}

static void test_escaping(void **state)
{
	struct fx *f = *state;
	const struct six_kv kv[] = {
		{"reason", "quote \" back \\ nl \n cr \r tab \t esc \x1b del \x7f"},
		{"subject", "d\xc3\xa9" "claration \xe2\x82\xac \xf0\x9f\x98\x80"},
		{"name", "bad \xff utf8 \xc0\xaf c1 \xc2\x9b end \xe2\x82"},
		{"empty", ""},
		{"null", NULL},
	};
	assert_int_equal(append(f, "rejected", kv, 5, NULL), 0);
	size_t len;
	char *text = read_log(f, &len);
	assert_int_equal(verify_chain(text, len), 1);
	assert_non_null(strstr(text, "\"reason\":\"quote \\\" back \\\\ nl \\u000a cr \\u000d "
				     "tab \\u0009 esc \\u001b del \\u007f\""));
	/* valid UTF-8 is kept as it is */
	assert_non_null(strstr(text, "\"subject\":\"d\xc3\xa9" "claration \xe2\x82\xac "
				     "\xf0\x9f\x98\x80\""));
	/* invalid bytes become U+FFFD, C1 controls are escaped */
	assert_non_null(strstr(text, "\"name\":\"bad \\ufffd utf8 \\ufffd\\ufffd c1 \\u009b "
				     "end \\ufffd\\ufffd\""));
	assert_non_null(strstr(text, "\"empty\":\"\",\"null\":\"\""));
	free(text);
}

static void test_json_escape(void **state)
{
	(void)state;
	char out[16];
	assert_int_equal(six_json_escape("abc", out, sizeof out), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(six_json_escape("", out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(six_json_escape("a\"b", out, sizeof out), 0);
	assert_string_equal(out, "a\\\"b");
	/* exactly fits (15 chars + NUL), then one too many */
	assert_int_equal(six_json_escape("123456789012345", out, sizeof out), 0);
	assert_int_equal(six_json_escape("1234567890123456", out, sizeof out), -1);
	assert_int_equal(six_json_escape("\n\n\n", out, sizeof out), -1); /* 18 bytes */
	assert_int_equal(six_json_escape("x", out, 0), -1);
	assert_int_equal(six_json_escape("", out, 1), 0);
	/* a multi-byte character is never split */
	assert_int_equal(six_json_escape("\xe2\x82\xac", out, 4), 0);
	assert_int_equal(six_json_escape("a\xe2\x82\xac", out, 4), -1);
}

static void test_bad_names_refused(void **state)
{
	struct fx *f = *state;
	const struct six_kv quote[] = {{"a\"b", "v"}};
	const struct six_kv empty[] = {{"", "v"}};
	struct six_err e;
	assert_int_equal(six_audit_append(f->home, "bad\"event", NULL, 0, NULL, &e),
			 SIX_ERR_INTERNAL);
	assert_int_equal(six_audit_append(f->home, "", NULL, 0, NULL, &e), SIX_ERR_INTERNAL);
	assert_int_equal(six_audit_append(f->home, "ok", quote, 1, NULL, &e), SIX_ERR_INTERNAL);
	assert_int_equal(six_audit_append(f->home, "ok", empty, 1, NULL, &e), SIX_ERR_INTERNAL);
	/* a record too long for one line is refused whole, nothing written */
	static char big[SIX_AUDIT_LINE_MAX];
	memset(big, 'v', sizeof big - 1);
	const struct six_kv huge[] = {{"k", big}};
	assert_int_equal(six_audit_append(f->home, "ok", huge, 1, NULL, &e), SIX_ERR_INTERNAL);
	big[3000] = '\0';
	const struct six_kv three[] = {{"a", big}, {"b", big}, {"c", big}};
	assert_int_equal(six_audit_append(f->home, "ok", three, 3, NULL, &e), SIX_ERR_INTERNAL);
	struct stat st;
	int rc = fstatat(f->audit, "audit.log", &st, 0);
	assert_true(rc < 0 || st.st_size == 0);
	/* and the log goes on normally */
	uint64_t ix;
	assert_int_equal(append(f, "ok", three, 2, &ix), 0);
	assert_true(ix == 1);
}

static void test_torn_line_cut(void **state)
{
	struct fx *f = *state;
	const struct six_kv kv[] = {{"bundle", "b"}};
	assert_int_equal(append(f, "received", kv, 1, NULL), 0);
	assert_int_equal(append(f, "received", kv, 1, NULL), 0);
	size_t len1;
	char *before = read_log(f, &len1);
	/* a crash in the middle of the third append */
	int fd = openat(f->audit, "audit.log", O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_int_equal(six_write_all(fd, "{\"index\":3,\"time\":\"2026-", 25), 0);
	close(fd);
	uint64_t ix;
	assert_int_equal(append(f, "delivered", kv, 1, &ix), 0);
	assert_true(ix == 3);
	size_t len;
	char *text = read_log(f, &len);
	assert_int_equal(verify_chain(text, len), 3);
	assert_memory_equal(text, before, len1); /* complete lines are never touched */
	assert_non_null(strstr(text + len1, "\"event\":\"delivered\""));
	free(text);
	free(before);
}

/* A torn line after a long line: cutting it must still find the long line whole. */
static void test_torn_after_long_line(void **state)
{
	struct fx *f = *state;
	static char big[3500];
	memset(big, 'x', sizeof big - 1);
	const struct six_kv kv[] = {{"a", big}, {"b", big}};
	assert_int_equal(append(f, "received", kv, 2, NULL), 0); /* ~7100-byte line */
	int fd = openat(f->audit, "audit.log", O_WRONLY | O_APPEND | O_CLOEXEC);
	static char torn[6000];
	memset(torn, 'y', sizeof torn);
	memcpy(torn, "{\"index\":2,", 11);
	assert_int_equal(six_write_all(fd, torn, sizeof torn), 0);
	close(fd);
	uint64_t ix;
	struct six_err e;
	assert_int_equal(six_audit_append(f->home, "delivered", NULL, 0, &ix, &e), 0);
	assert_true(ix == 2);
	size_t len;
	char *text = read_log(f, &len);
	assert_int_equal(verify_chain(text, len), 2);
	free(text);
}

/* A write that fails half-way (here: file size limit, as a full disk would) is taken
 * back: the caller is told "not recorded" and the log agrees. */
static void test_failed_write_taken_back(void **state)
{
	struct fx *f = *state;
	assert_int_equal(append(f, "received", NULL, 0, NULL), 0);
	struct stat st;
	assert_int_equal(fstatat(f->audit, "audit.log", &st, 0), 0);
	off_t size0 = st.st_size;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = {(rlim_t)size0 + 10, (rlim_t)size0 + 10};
		struct six_err ce;
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(3);
		int rc = six_audit_append(f->home, "delivered", NULL, 0, NULL, &ce);
		_exit(rc == SIX_ERR_IO ? 0 : 1);
	}
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	assert_int_equal(fstatat(f->audit, "audit.log", &st, 0), 0);
	assert_int_equal(st.st_size, size0);
	uint64_t ix;
	assert_int_equal(append(f, "delivered", NULL, 0, &ix), 0);
	assert_true(ix == 2);
	size_t len;
	char *text = read_log(f, &len);
	assert_int_equal(verify_chain(text, len), 2);
	free(text);
}

/* More junk than one interrupted append can leave is not cut: it is kept as evidence. */
static void test_long_junk_tail_kept(void **state)
{
	struct fx *f = *state;
	assert_int_equal(append(f, "received", NULL, 0, NULL), 0);
	size_t len0;
	char *before = read_log(f, &len0);
	free(before);
	int fd = openat(f->audit, "audit.log", O_WRONLY | O_APPEND | O_CLOEXEC);
	static char junk[SIX_AUDIT_LINE_MAX];
	memset(junk, 'j', sizeof junk);
	assert_int_equal(six_write_all(fd, junk, sizeof junk), 0);
	close(fd);
	struct six_err e;
	assert_int_equal(six_audit_append(f->home, "x", NULL, 0, NULL, &e), SIX_ERR_IO);
	assert_non_null(strstr(e.msg, "not a line"));
	struct stat st;
	assert_int_equal(fstatat(f->audit, "audit.log", &st, 0), 0);
	assert_int_equal(st.st_size, len0 + sizeof junk);
	/* a large file with no line end at all */
	static char big[3 * SIX_AUDIT_LINE_MAX];
	memset(big, 'k', sizeof big);
	assert_int_equal(six_replace_file_at(f->audit, "audit.log", big, sizeof big, 0600, NULL), 0);
	assert_int_equal(six_audit_append(f->home, "x", NULL, 0, NULL, &e), SIX_ERR_IO);
	assert_int_equal(fstatat(f->audit, "audit.log", &st, 0), 0);
	assert_int_equal(st.st_size, sizeof big);
}

static void test_malformed_last_line(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	static const char *const bad[] = {
		"not json at all\n",
		"{\"index\":-1,\"time\":\"x\"}\n",
		"{\"index\":01,\"time\":\"x\"}\n",
		"{\"index\":99999999999999999999,\"x\":1}\n",
		"{\"index\":5}\n", /* no comma: the digits run to the end */
		"{\"index\":\n",
		" {\"index\":1,\"time\":\"x\"}\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(six_replace_file_at(f->audit, "audit.log", bad[i], strlen(bad[i]),
						     0600, NULL),
				 0);
		if (six_audit_append(f->home, "x", NULL, 0, NULL, &e) != SIX_ERR_IO)
			fail_msg("appended after malformed line %zu", i);
		assert_non_null(strstr(e.msg, "malformed"));
		/* nothing was written after it */
		size_t len;
		char *text = read_log(f, &len);
		assert_string_equal(text, bad[i]);
		free(text);
	}
	/* the index of a good-looking last line is taken as the count so far */
	static const char forged[] = "{\"index\":41,\"time\":\"2026-12-04T15:18:22Z\"}\n";
	assert_int_equal(six_replace_file_at(f->audit, "audit.log", forged, sizeof forged - 1,
					     0600, NULL),
			 0);
	uint64_t ix;
	assert_int_equal(six_audit_append(f->home, "x", NULL, 0, &ix, &e), 0);
	assert_true(ix == 42);
	/* the last possible index cannot be followed */
	static const char last[] = "{\"index\":18446744073709551615,\"time\":\"x\"}\n";
	assert_int_equal(six_replace_file_at(f->audit, "audit.log", last, sizeof last - 1, 0600,
					     NULL),
			 0);
	assert_true(six_audit_append(f->home, "x", NULL, 0, &ix, &e) < 0);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	/* audit.log as a symlink: never followed, nothing written to its target */
	int fd = openat(f->home, "target", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	assert_int_equal(symlinkat("../target", f->audit, "audit.log"), 0);
	assert_int_equal(six_audit_append(f->home, "x", NULL, 0, NULL, &e), SIX_ERR_IO);
	struct stat st;
	assert_int_equal(fstatat(f->home, "target", &st, 0), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(unlinkat(f->audit, "audit.log", 0), 0);
	assert_int_equal(unlinkat(f->audit, "audit.lock", 0), 0);
	/* audit/ itself as a symlink */
	assert_int_equal(mkdirat(f->home, "elsewhere", 0700), 0);
	assert_int_equal(unlinkat(f->home, "audit", AT_REMOVEDIR), 0);
	assert_int_equal(symlinkat("elsewhere", f->home, "audit"), 0);
	assert_true(six_audit_append(f->home, "x", NULL, 0, NULL, &e) < 0);
	assert_int_equal(unit_count_entries(f->home, "elsewhere"), 0);
	/* no audit/ at all */
	assert_int_equal(unlinkat(f->home, "audit", 0), 0);
	assert_int_equal(six_audit_append(f->home, "x", NULL, 0, NULL, &e), SIX_ERR_NOINPUT);
	assert_int_equal(mkdirat(f->home, "audit", 0700), 0); /* for teardown's fd */
}

/* An append waits for whoever holds audit/audit.lock (six-audit seal, a verifier). */
static void test_waits_for_lock(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	int lock = six_lock_at(f->audit, "audit.lock", &e);
	assert_true(lock >= 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(lock);
		_exit(six_audit_append(f->home, "child", NULL, 0, NULL, &e) == 0 ? 0 : 1);
	}
	usleep(200000);
	int st;
	assert_int_equal(waitpid(pid, &st, WNOHANG), 0); /* still blocked */
	struct stat sb;
	int rc = fstatat(f->audit, "audit.log", &sb, 0);
	assert_true(rc < 0 || sb.st_size == 0);
	close(lock);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	size_t len;
	char *text = read_log(f, &len);
	assert_int_equal(verify_chain(text, len), 1);
	free(text);
}

/* Several processes append at once: the chain stays whole and indexes are 1..N. */
static void test_concurrent_appends(void **state)
{
	struct fx *f = *state;
	enum { PROCS = 4, EACH = 25 };
	pid_t pid[PROCS];
	for (int p = 0; p < PROCS; p++) {
		pid[p] = fork();
		assert_true(pid[p] >= 0);
		if (pid[p] == 0) {
			char who[16], seq[16];
			snprintf(who, sizeof who, "p%d", p);
			for (int i = 0; i < EACH; i++) {
				snprintf(seq, sizeof seq, "%d", i);
				const struct six_kv kv[] = {{"writer", who}, {"n", seq}};
				struct six_err e;
				if (six_audit_append(f->home, "received", kv, 2, NULL, &e) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int st;
		assert_int_equal(waitpid(pid[p], &st, 0), pid[p]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	size_t len;
	char *text = read_log(f, &len);
	assert_int_equal(verify_chain(text, len), PROCS * EACH);
	/* every writer's records are all there, in its own order */
	for (int p = 0; p < PROCS; p++) {
		const char *at = text;
		for (int i = 0; i < EACH; i++) {
			char needle[48];
			snprintf(needle, sizeof needle, "\"writer\":\"p%d\",\"n\":\"%d\"", p, i);
			at = strstr(at, needle);
			if (!at)
				fail_msg("writer %d record %d missing or out of order", p, i);
		}
	}
	free(text);
}

/* The chain detects edits: changing any byte of a line breaks the next line's prev. */
static void test_tamper_detected(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(append(f, "received", NULL, 0, NULL), 0);
	size_t len;
	char *text = read_log(f, &len);
	assert_int_equal(verify_chain(text, len), 3);
	/* a hash computed independently over the edited text no longer matches */
	text[30] ^= 1;
	const char *second = strchr(text, '\n') + 1;
	uint8_t d[SIX_SHA256_LEN];
	char hex[SIX_SHA256_HEX + 1];
	six_sha256_buf(text, (size_t)(second - text), d);
	six_hex(d, sizeof d, hex);
	assert_null(strstr(second, hex));
	free(text);
}

int main(void)
{
	struct six_err e;
	if (six_crypto_init(&e) < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test_setup_teardown(test_bad_names_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_line_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_after_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_taken_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_junk_tail_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_last_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_detected, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
