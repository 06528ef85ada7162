/* tools/lib/spool.c: Maildir spools (tmp/ new/ cur/), each test in its own directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <regex.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "fsutil.h"
#include "path.h"
#include "six_limits.h"
#include "spool.h"
#include "unit_tmp.h"

struct fx {
	char dir[64];
	char spool[96];
	struct six_spool sp;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	assert_int_equal(unit_tmpdir(f->dir), 0);
	snprintf(f->spool, sizeof f->spool, "%s/a/spool", f->dir);
	struct six_err e;
	assert_int_equal(six_spool_open(f->spool, 1, &f->sp, &e), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	six_spool_close(&f->sp);
	unit_rmtree(f->dir);
	free(f);
	return 0;
}

/* Write text into a new tmp/ file and commit it as name; returns the commit's code. */
static int put(struct six_spool *sp, const char *name, const char *text)
{
	char tmp[SIX_SPOOL_NAME_MAX + 1];
	struct six_err e;
	int fd = six_spool_create(sp, tmp, &e);
	assert_true(fd >= 0);
	assert_int_equal(six_write_all(fd, text, strlen(text)), 0);
	return six_spool_commit(sp, fd, tmp, name, &e);
}

static void expect_content(int dirfd, const char *name, const char *want)
{
	char *text;
	size_t len;
	struct six_err e;
	assert_int_equal(six_read_file_at(dirfd, name, 1 << 20, &text, &len, &e), 0);
	assert_string_equal(text, want);
	free(text);
}

static void test_open(void **state)
{
	struct fx *f = *state;
	struct stat st;
	static const char *const sub[] = {"tmp", "new", "cur"};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fstatat(f->sp.dirfd, sub[i], &st, AT_SYMLINK_NOFOLLOW), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 0777, 0700);
	}
	/* opening again, with or without create, works on an existing spool */
	struct six_spool again;
	struct six_err e;
	assert_int_equal(six_spool_open(f->spool, 0, &again, &e), 0);
	six_spool_close(&again);
	assert_int_equal(again.dirfd, -1);
	assert_int_equal(again.newfd, -1);
	assert_int_equal(six_spool_open(f->spool, 1, &again, &e), 0);
	six_spool_close(&again);

	/* a directory without new/ is not a spool; a missing one is not created */
	char path[128];
	snprintf(path, sizeof path, "%s/half", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/half/tmp", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/half", f->dir);
	assert_int_equal(six_spool_open(path, 0, &again, &e), SIX_ERR_CONFIG);
	assert_non_null(strstr(e.msg, "not a spool"));
	assert_int_equal(again.dirfd, -1);
	assert_int_equal(again.tmpfd, -1);
	snprintf(path, sizeof path, "%s/missing", f->dir);
	assert_true(six_spool_open(path, 0, &again, &e) < 0);
	assert_int_equal(access(path, F_OK), -1);

	/* new/ as a symlink to elsewhere is refused */
	snprintf(path, sizeof path, "%s/evil", f->dir);
	struct six_spool ev;
	assert_int_equal(six_spool_open(path, 1, &ev, &e), 0);
	assert_int_equal(unlinkat(ev.dirfd, "new", AT_REMOVEDIR), 0);
	assert_int_equal(symlinkat("/tmp", ev.dirfd, "new"), 0);
	six_spool_close(&ev);
	assert_int_equal(six_spool_open(path, 0, &ev, &e), SIX_ERR_CONFIG);
	assert_int_equal(six_spool_open(path, 1, &ev, &e), SIX_ERR_CONFIG);
}

static void test_unique_name(void **state)
{
	(void)state;
	regex_t re;
	assert_int_equal(regcomp(&re, "^[0-9]+\\.[0-9]+\\.[0-9a-f]{16}\\.six$", REG_EXTENDED), 0);
	char a[SIX_SPOOL_NAME_MAX + 1], b[SIX_SPOOL_NAME_MAX + 1];
	assert_int_equal(six_spool_unique_name(a, sizeof a, ".six"), 0);
	assert_int_equal(six_spool_unique_name(b, sizeof b, ".six"), 0);
	assert_int_equal(regexec(&re, a, 0, NULL, 0), 0);
	assert_string_not_equal(a, b);
	regfree(&re);
	struct six_err e;
	assert_int_equal(six_name_check(a, &e), 0);
	assert_int_equal(six_spool_unique_name(a, sizeof a, ""), 0);
	/* a buffer too small is an error, never a cut name */
	char small[20];
	assert_int_equal(six_spool_unique_name(small, sizeof small, ""), -1);
}

static void test_create_commit(void **state)
{
	struct fx *f = *state;
	char tmp[SIX_SPOOL_NAME_MAX + 1];
	struct six_err e;
	int fd = six_spool_create(&f->sp, tmp, &e);
	assert_true(fd >= 0);
	assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "tmp"), 1);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "new"), 0);
	assert_int_equal(six_write_all(fd, "hello\n", 6), 0);
	assert_int_equal(six_spool_commit(&f->sp, fd, tmp, "b1.six", &e), 0);
	/* the fd is closed by commit */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "tmp"), 0);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "new"), 1);
	expect_content(f->sp.newfd, "b1.six", "hello\n");
}

static void test_commit_never_replaces(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	assert_int_equal(put(&f->sp, "same.six", "first"), 0);
	char tmp[SIX_SPOOL_NAME_MAX + 1];
	int fd = six_spool_create(&f->sp, tmp, &e);
	assert_int_equal(six_write_all(fd, "second", 6), 0);
	assert_int_equal(six_spool_commit(&f->sp, fd, tmp, "same.six", &e), SIX_ERR_EXISTS);
	assert_int_equal(e.code, SIX_ERR_EXISTS);
	assert_non_null(strstr(e.msg, "same.six"));
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	expect_content(f->sp.newfd, "same.six", "first");
	/* the failed write's tmp file is gone */
	assert_int_equal(unit_count_entries(f->sp.dirfd, "tmp"), 0);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "new"), 1);
	/* nor does a symlink or directory in new/ get replaced or followed */
	assert_int_equal(symlinkat("/etc/passwd", f->sp.newfd, "link.six"), 0);
	assert_int_equal(put(&f->sp, "link.six", "x"), SIX_ERR_EXISTS);
	assert_int_equal(mkdirat(f->sp.newfd, "dir.six", 0700), 0);
	assert_int_equal(put(&f->sp, "dir.six", "x"), SIX_ERR_EXISTS);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "tmp"), 0);
}

static void test_commit_bad_names(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {"", ".hidden", "..", "../../escape", "a/b",
					  "/etc/x", "line\nbreak", "caf\xe9"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char tmp[SIX_SPOOL_NAME_MAX + 1];
		struct six_err e;
		int fd = six_spool_create(&f->sp, tmp, &e);
		assert_true(fd >= 0);
		if (six_spool_commit(&f->sp, fd, tmp, bad[i], &e) != SIX_ERR_UNSAFE)
			fail_msg("commit accepted name %zu", i);
		assert_int_equal(fcntl(fd, F_GETFD), -1);
	}
	assert_int_equal(unit_count_entries(f->sp.dirfd, "tmp"), 0);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "new"), 0);
	char esc[128];
	snprintf(esc, sizeof esc, "%s/a/escape", f->dir);
	assert_int_equal(access(esc, F_OK), -1);
}

static void test_abort(void **state)
{
	struct fx *f = *state;
	char tmp[SIX_SPOOL_NAME_MAX + 1];
	struct six_err e;
	int fd = six_spool_create(&f->sp, tmp, &e);
	assert_int_equal(six_write_all(fd, "partial", 7), 0);
	six_spool_abort(&f->sp, fd, tmp);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "tmp"), 0);
	/* with fd -1: only the file goes */
	fd = six_spool_create(&f->sp, tmp, &e);
	close(fd);
	six_spool_abort(&f->sp, -1, tmp);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "tmp"), 0);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "new"), 0);
}

/* An entry of tmp/ whose modification time is age seconds before now. */
static void aged(int tmpfd, const char *name, int kind, time_t now, time_t age)
{
	if (kind == 'f')
		close(openat(tmpfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600));
	else if (kind == 'l')
		assert_int_equal(symlinkat("/etc/passwd", tmpfd, name), 0);
	else
		assert_int_equal(mkdirat(tmpfd, name, 0700), 0);
	struct timespec t[2] = {{now - age, 0}, {now - age, 0}};
	assert_int_equal(utimensat(tmpfd, name, t, AT_SYMLINK_NOFOLLOW), 0);
}

static int exists_at(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Maildir's 36 hours: old files and links go, a file just under the age, a fresh one
 * and a directory stay, and the target of a link is never touched. */
static void test_sweep_tmp(void **state)
{
	struct fx *f = *state;
	time_t now = time(NULL);
	aged(f->sp.tmpfd, "old", 'f', now, SIX_SPOOL_TMP_STALE + 60);
	aged(f->sp.tmpfd, "old-link", 'l', now, 3 * SIX_SPOOL_TMP_STALE);
	aged(f->sp.tmpfd, "just-under", 'f', now, SIX_SPOOL_TMP_STALE - 60);
	aged(f->sp.tmpfd, "fresh", 'f', now, 0);
	aged(f->sp.tmpfd, "old-dir", 'd', now, 3 * SIX_SPOOL_TMP_STALE);
	assert_int_equal(six_spool_sweep_tmp(&f->sp, NULL, now, SIX_SPOOL_TMP_STALE), 2);
	assert_false(exists_at(f->sp.tmpfd, "old"));
	assert_false(exists_at(f->sp.tmpfd, "old-link"));
	assert_true(exists_at(f->sp.tmpfd, "just-under"));
	assert_true(exists_at(f->sp.tmpfd, "fresh"));
	assert_true(exists_at(f->sp.tmpfd, "old-dir"));
	assert_true(access("/etc/passwd", F_OK) == 0);
	/* nothing left to sweep: a second pass removes nothing */
	assert_int_equal(six_spool_sweep_tmp(&f->sp, NULL, now, SIX_SPOOL_TMP_STALE), 0);
	/* new/ and cur/ are never swept */
	aged(f->sp.newfd, "old-bundle", 'f', now, 3 * SIX_SPOOL_TMP_STALE);
	assert_int_equal(six_spool_sweep_tmp(&f->sp, NULL, now, SIX_SPOOL_TMP_STALE), 0);
	assert_true(exists_at(f->sp.newfd, "old-bundle"));
	/* a writer's own leftovers, by suffix, whatever their age */
	aged(f->sp.tmpfd, "1.2.ab.xferd-part", 'f', now, 0);
	aged(f->sp.tmpfd, ".xferd-part", 'f', now, 0);
	assert_int_equal(six_spool_sweep_tmp(&f->sp, ".xferd-part", now, 0), 1);
	assert_false(exists_at(f->sp.tmpfd, "1.2.ab.xferd-part"));
	assert_true(exists_at(f->sp.tmpfd, ".xferd-part"));
	assert_true(exists_at(f->sp.tmpfd, "fresh"));
	assert_true(exists_at(f->sp.tmpfd, "just-under"));
}

/* The consumers' sweep runs at most once an hour, whatever the number of scans. */
static void test_sweep_stale_hourly(void **state)
{
	struct fx *f = *state;
	time_t now = time(NULL);
	aged(f->sp.tmpfd, "old1", 'f', now, SIX_SPOOL_TMP_STALE + 60);
	assert_int_equal(six_spool_sweep_stale(&f->sp, now), 1);
	aged(f->sp.tmpfd, "old2", 'f', now, SIX_SPOOL_TMP_STALE + 60);
	assert_int_equal(six_spool_sweep_stale(&f->sp, now + 3599), 0);
	assert_true(exists_at(f->sp.tmpfd, "old2"));
	assert_int_equal(six_spool_sweep_stale(&f->sp, now + 3600), 1);
	assert_false(exists_at(f->sp.tmpfd, "old2"));
}

static void test_list_and_done(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	char **names = NULL;
	size_t n = 99;
	assert_int_equal(six_spool_list_new(&f->sp, &names, &n, &e), 0);
	assert_int_equal(n, 0);
	free(names);
	static const char *const order[] = {"1700000000.1.a.six", "1700000001.1.b.six",
					    "1800000000.2.c.six", "b", "c"};
	assert_int_equal(put(&f->sp, "c", "5"), 0);
	assert_int_equal(put(&f->sp, "1800000000.2.c.six", "3"), 0);
	assert_int_equal(put(&f->sp, "1700000000.1.a.six", "1"), 0);
	assert_int_equal(put(&f->sp, "b", "4"), 0);
	assert_int_equal(put(&f->sp, "1700000001.1.b.six", "2"), 0);
	/* dot files (a writer's own temporaries) are not listed */
	int fd = openat(f->sp.newfd, ".partial", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	for (int round = 0; round < 2; round++) { /* twice: listing must rewind */
		assert_int_equal(six_spool_list_new(&f->sp, &names, &n, &e), 0);
		assert_int_equal(n, 5);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(names[i], order[i]);
			free(names[i]);
		}
		free(names);
	}
	assert_int_equal(six_spool_done(&f->sp, "b", &e), 0);
	expect_content(f->sp.curfd, "b", "4");
	assert_int_equal(faccessat(f->sp.newfd, "b", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	/* a second consumer finds it gone */
	assert_int_equal(six_spool_done(&f->sp, "b", &e), SIX_ERR_NOINPUT);
	assert_int_equal(six_spool_done(&f->sp, "never-there", &e), SIX_ERR_NOINPUT);
	assert_int_equal(six_spool_list_new(&f->sp, &names, &n, &e), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Several processes commit the same name at once: exactly one wins, the others get
 * SIX_ERR_EXISTS, and no tmp file is left behind. */
static void test_concurrent_commit(void **state)
{
	struct fx *f = *state;
	enum { N = 6 };
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid[N];
	for (int i = 0; i < N; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			char tmp[SIX_SPOOL_NAME_MAX + 1], text[32];
			struct six_err e;
			close(go[1]);
			int fd = six_spool_create(&f->sp, tmp, &e);
			snprintf(text, sizeof text, "writer %d", i);
			if (fd < 0 || six_write_all(fd, text, strlen(text)) < 0)
				_exit(3);
			char c;
			if (read(go[0], &c, 1) != 0) /* wait until all are ready */
				_exit(3);
			int rc = six_spool_commit(&f->sp, fd, tmp, "race.six", &e);
			_exit(rc == 0 ? 0 : rc == SIX_ERR_EXISTS ? 1 : 2);
		}
	}
	close(go[0]);
	close(go[1]);
	int won = 0, lost = 0;
	for (int i = 0; i < N; i++) {
		int st;
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		won += WEXITSTATUS(st) == 0;
		lost += WEXITSTATUS(st) == 1;
	}
	assert_int_equal(won, 1);
	assert_int_equal(lost, N - 1);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "tmp"), 0);
	assert_int_equal(unit_count_entries(f->sp.dirfd, "new"), 1);
	char *text;
	size_t len;
	struct six_err e;
	assert_int_equal(six_read_file_at(f->sp.newfd, "race.six", 64, &text, &len, &e), 0);
	assert_int_equal(strncmp(text, "writer ", 7), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test(test_unique_name),
		cmocka_unit_test_setup_teardown(test_create_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_never_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_tmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_stale_hourly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_commit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
