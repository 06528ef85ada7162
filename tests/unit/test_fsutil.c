/* tools/lib/fsutil.c: whole-file reads that refuse links, atomic replacement, locks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/wait.h>

#include "fsutil.h"
#include "unit_tmp.h"

struct fx {
	char dir[64];
	int dfd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	assert_int_equal(unit_tmpdir(f->dir), 0);
	f->dfd = six_open_dir(f->dir, NULL);
	assert_true(f->dfd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close(f->dfd);
	unit_rmtree(f->dir);
	free(f);
	return 0;
}

static void put(int dfd, const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(six_write_all(fd, text, strlen(text)), 0);
	close(fd);
}

static void test_write_read_full(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* dribble bytes: read_full must gather short reads */
		close(p[0]);
		for (int i = 0; i < 100; i++) {
			char c = (char)('a' + i % 26);
			if (write(p[1], &c, 1) != 1)
				_exit(1);
			if (i % 10 == 0)
				usleep(1000);
		}
		_exit(0);
	}
	close(p[1]);
	char buf[200];
	assert_int_equal(six_read_full(p[0], buf, 60), 60);
	assert_int_equal(buf[59], 'a' + 59 % 26);
	/* at end of file: fewer than asked, then 0 */
	assert_int_equal(six_read_full(p[0], buf, sizeof buf), 40);
	assert_int_equal(six_read_full(p[0], buf, sizeof buf), 0);
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	assert_int_equal(six_read_full(-1, buf, 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(six_write_all(-1, buf, 1), -1);
	assert_int_equal(six_write_all(-1, buf, 0), 0);
}

static void test_open_dir(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	assert_int_equal(mkdirat(f->dfd, "d", 0700), 0);
	int fd = six_open_dir_at(f->dfd, "d", &e);
	assert_true(fd >= 0);
	assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	close(fd);
	assert_int_equal(six_open_dir_at(f->dfd, "missing", &e), SIX_ERR_NOINPUT);
	/* a symlink to a directory is refused (a planted link would redirect writes) */
	assert_int_equal(symlinkat("d", f->dfd, "link"), 0);
	assert_int_equal(six_open_dir_at(f->dfd, "link", &e), SIX_ERR_IO);
	put(f->dfd, "file", "x");
	assert_int_equal(six_open_dir_at(f->dfd, "file", &e), SIX_ERR_IO);
}

/* Entries of a directory stream other than "." and "..". */
static int count_entries(DIR *d)
{
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	return n;
}

static void test_opendir_fd(void **state)
{
	struct fx *f = *state;
	put(f->dfd, "a", "1");
	put(f->dfd, "b", "2");
	/* every listing starts at the first entry, though duplicates share the offset */
	for (int i = 0; i < 2; i++) {
		DIR *d = six_opendir_fd(f->dfd);
		assert_non_null(d);
		assert_true((fcntl(dirfd(d), F_GETFD) & FD_CLOEXEC) != 0);
		assert_int_equal(count_entries(d), 2);
		closedir(d);
	}
	/* dirfd itself stays open and usable */
	assert_int_equal(faccessat(f->dfd, "a", F_OK, 0), 0);
	errno = 0;
	assert_null(six_opendir_fd(-1));
	assert_int_equal(errno, EBADF);
	int file = openat(f->dfd, "a", O_RDONLY | O_CLOEXEC);
	assert_true(file >= 0);
	errno = 0;
	assert_null(six_opendir_fd(file)); /* not a directory; the duplicate is closed */
	assert_int_equal(errno, ENOTDIR);
	close(file);
}

static void test_mkdir_p(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	char p[256];
	snprintf(p, sizeof p, "%s/x/y/z", f->dir);
	assert_int_equal(six_mkdir_p(p, 0700, &e), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(six_mkdir_p(p, 0700, &e), 0); /* exists: fine */
	snprintf(p, sizeof p, "%s/x/y/z/", f->dir);
	assert_int_equal(six_mkdir_p(p, 0700, &e), 0);
	put(f->dfd, "file", "x");
	snprintf(p, sizeof p, "%s/file/sub", f->dir);
	assert_int_equal(six_mkdir_p(p, 0700, &e), SIX_ERR_CREATE);
	snprintf(p, sizeof p, "%s/file", f->dir);
	assert_int_equal(six_mkdir_p(p, 0700, &e), SIX_ERR_CREATE);
	assert_int_equal(six_mkdir_p("", 0700, &e), SIX_ERR_INPUT);
	char big[2048];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(six_mkdir_p(big, 0700, &e), SIX_ERR_INPUT);
}

static void test_read_file(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	char *text = NULL;
	size_t len = 99;
	put(f->dfd, "ten", "0123456789");
	assert_int_equal(six_read_file_at(f->dfd, "ten", 10, &text, &len, &e), 0);
	assert_int_equal(len, 10);
	assert_string_equal(text, "0123456789"); /* NUL-terminated */
	free(text);
	/* one byte over the limit */
	text = NULL;
	assert_int_equal(six_read_file_at(f->dfd, "ten", 9, &text, &len, &e), SIX_ERR_LIMIT);
	assert_null(text);
	assert_non_null(strstr(e.msg, "larger than 9"));
	put(f->dfd, "empty", "");
	assert_int_equal(six_read_file_at(f->dfd, "empty", 0, &text, &len, &e), 0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(six_read_file_at(f->dfd, "missing", 10, &text, &len, &e), SIX_ERR_NOINPUT);
}

static void test_read_file_refuses(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	char *text = NULL;
	size_t len;
	put(f->dfd, "real", "secret");
	/* a symlink, even to a good file: refused, not followed */
	assert_int_equal(symlinkat("real", f->dfd, "link"), 0);
	assert_true(six_read_file_at(f->dfd, "link", 100, &text, &len, &e) < 0);
	assert_null(text);
	assert_int_equal(symlinkat("/etc/passwd", f->dfd, "abs-link"), 0);
	assert_true(six_read_file_at(f->dfd, "abs-link", 1 << 20, &text, &len, &e) < 0);
	/* a dangling one */
	assert_int_equal(symlinkat("nowhere", f->dfd, "dangling"), 0);
	assert_true(six_read_file_at(f->dfd, "dangling", 100, &text, &len, &e) < 0);
	/* a directory */
	assert_int_equal(mkdirat(f->dfd, "dir", 0700), 0);
	assert_int_equal(six_read_file_at(f->dfd, "dir", 100, &text, &len, &e), SIX_ERR_INPUT);
	/* a FIFO with no writer: refused at once, never blocks */
	assert_int_equal(mkfifoat(f->dfd, "fifo", 0600), 0);
	alarm(5);
	assert_int_equal(six_read_file_at(f->dfd, "fifo", 100, &text, &len, &e), SIX_ERR_INPUT);
	alarm(0);
	/* a device */
	int dev = six_open_dir("/dev", NULL);
	assert_int_equal(six_read_file_at(dev, "zero", 100, &text, &len, &e), SIX_ERR_INPUT);
	assert_int_equal(six_read_file_at(dev, "null", 100, &text, &len, &e), SIX_ERR_INPUT);
	close(dev);
	assert_null(text);
}

static int read_is(int dfd, const char *name, const char *want)
{
	char *text;
	size_t len;
	struct six_err e;
	if (six_read_file_at(dfd, name, 1 << 20, &text, &len, &e) < 0)
		return 0;
	int same = strcmp(text, want) == 0;
	free(text);
	return same;
}

static void test_replace(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	mode_t old = umask(022);
	assert_int_equal(six_replace_file_at(f->dfd, "state", "one", 3, 0640, &e), 0);
	assert_true(read_is(f->dfd, "state", "one"));
	struct stat st;
	assert_int_equal(fstatat(f->dfd, "state", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(six_replace_file_at(f->dfd, "state", "two, longer", 11, 0600, &e), 0);
	assert_true(read_is(f->dfd, "state", "two, longer"));
	assert_int_equal(six_replace_file_at(f->dfd, "state", "", 0, 0600, &e), 0);
	assert_true(read_is(f->dfd, "state", ""));
	umask(old);
	/* no temporary is left beside it */
	assert_int_equal(unit_count_entries(f->dfd, "."), 1);

	/* a symlink at the name is replaced itself, its target untouched */
	put(f->dfd, "target", "keep");
	assert_int_equal(symlinkat("target", f->dfd, "ln"), 0);
	assert_int_equal(six_replace_file_at(f->dfd, "ln", "new", 3, 0600, &e), 0);
	assert_int_equal(fstatat(f->dfd, "ln", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(read_is(f->dfd, "target", "keep"));

	/* failure (a directory is in the way): an error, and no temporary left */
	assert_int_equal(mkdirat(f->dfd, "busy", 0700), 0);
	assert_int_equal(six_replace_file_at(f->dfd, "busy", "x", 1, 0600, &e), SIX_ERR_IO);
	assert_non_null(strstr(e.msg, "busy"));
	assert_int_equal(unit_count_entries(f->dfd, "."), 4); /* state target ln busy */
	/* a name too long for the temporary */
	char big[300];
	memset(big, 'n', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_true(six_replace_file_at(f->dfd, big, "x", 1, 0600, &e) < 0);
	assert_int_equal(unit_count_entries(f->dfd, "."), 4);
}

/* A reader racing a writer only ever sees a whole old or a whole new file. */
static void test_replace_atomic(void **state)
{
	struct fx *f = *state;
	static char a[5000], b[70000];
	memset(a, 'A', sizeof a - 1);
	memset(b, 'B', sizeof b - 1);
	struct six_err e;
	assert_int_equal(six_replace_file_at(f->dfd, "data", a, sizeof a - 1, 0600, &e), 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		long reads = 0, torn = 0;
		char c;
		for (;;) {
			char *text;
			size_t len;
			struct six_err ce;
			int rc = six_read_file_at(f->dfd, "data", sizeof b, &text, &len, &ce);
			if (rc == 0) {
				reads++;
				int ok = (len == sizeof a - 1 && memcmp(text, a, len) == 0) ||
					 (len == sizeof b - 1 && memcmp(text, b, len) == 0);
				torn += !ok;
				free(text);
			} else {
				torn++; /* the name must always resolve to a file */
			}
			fd_set fds;
			FD_ZERO(&fds);
			FD_SET(p[0], &fds);
			struct timeval tv = {0, 0};
			if (select(p[0] + 1, &fds, NULL, NULL, &tv) > 0 && read(p[0], &c, 1) == 0)
				break;
		}
		_exit(torn ? 1 : reads > 0 ? 0 : 2);
	}
	close(p[0]);
	for (int i = 0; i < 150; i++) {
		const char *d = i % 2 ? a : b;
		size_t n = i % 2 ? sizeof a - 1 : sizeof b - 1;
		assert_int_equal(six_replace_file_at(f->dfd, "data", d, n, 0600, &e), 0);
	}
	close(p[1]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_locks(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	int l1 = six_lock_at(f->dfd, "x.lock", &e);
	assert_true(l1 >= 0);
	assert_true((fcntl(l1, F_GETFD) & FD_CLOEXEC) != 0);
	struct stat st;
	assert_int_equal(fstatat(f->dfd, "x.lock", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a second open of the same lock (even in this process) is refused at once */
	assert_int_equal(six_trylock_at(f->dfd, "x.lock", &e), SIX_ERR_TEMP);
	assert_int_equal(e.code, SIX_ERR_TEMP);
	/* another lock name is independent */
	int other = six_trylock_at(f->dfd, "y.lock", &e);
	assert_true(other >= 0);
	close(other);
	close(l1);
	int l2 = six_trylock_at(f->dfd, "x.lock", &e);
	assert_true(l2 >= 0);

	/* six_lock_at waits: a child blocks until we release */
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		close(l2); /* an inherited fd shares our lock: only the parent holds it */
		struct six_err ce;
		int fd = six_lock_at(f->dfd, "x.lock", &ce);
		char c = fd >= 0 ? 'L' : 'E';
		_exit(write(p[1], &c, 1) == 1 ? 0 : 1);
	}
	close(p[1]);
	struct timeval tv = {0, 300000};
	fd_set fds;
	FD_ZERO(&fds);
	FD_SET(p[0], &fds);
	assert_int_equal(select(p[0] + 1, &fds, NULL, NULL, &tv), 0); /* still waiting */
	close(l2);
	char c = 0;
	alarm(10);
	assert_int_equal(read(p[0], &c, 1), 1);
	alarm(0);
	assert_int_equal(c, 'L');
	close(p[0]);
	int st2;
	waitpid(pid, &st2, 0);

	/* a lock file planted as a symlink is refused, its target not created */
	assert_int_equal(symlinkat("elsewhere", f->dfd, "evil.lock"), 0);
	assert_int_equal(six_lock_at(f->dfd, "evil.lock", &e), SIX_ERR_IO);
	assert_int_equal(six_trylock_at(f->dfd, "evil.lock", &e), SIX_ERR_IO);
	assert_int_equal(faccessat(f->dfd, "elsewhere", F_OK, 0), -1);
}

static void test_fsync_dir(void **state)
{
	struct fx *f = *state;
	struct six_err e;
	assert_int_equal(six_fsync_dir(f->dfd, &e), 0);
	assert_int_equal(six_fsync_dir(-1, &e), SIX_ERR_IO);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_full),
		cmocka_unit_test_setup_teardown(test_open_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opendir_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
