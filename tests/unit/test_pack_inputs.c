/* six-pack's inputs (tools/pack/inputs.c, compiled in here: it is not part of
 * libsix.a): the walk, the refusals, and the checks between pass 1 and pass 2 that a
 * CLI test cannot time: a file rewritten in place, touched, grown, replaced by
 * another inode, or swapped for a symbolic link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../tools/pack/inputs.c"

static char dir[64];
static struct six_progress quiet; /* off: not started on a terminal */

static void put(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *at(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static int setup(void **state)
{
	(void)state;
	struct six_err e;
	assert_int_equal(six_crypto_init(&e), 0);
	snprintf(dir, sizeof dir, "/tmp/six-pi.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(mkdir(at("t"), 0700), 0);
	assert_int_equal(mkdir(at("t/b"), 0700), 0);
	put("t/z.txt", "zzz\n");
	put("t/a.txt", "hello\n");
	put("t/b/c.txt", "c\n");
	put("one", "one\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void test_walk_sorted(void **state)
{
	(void)state;
	struct pack_inputs in = {0};
	struct six_err e;
	assert_int_equal(pack_inputs_add(&in, at("t"), &e), 0);
	assert_int_equal(pack_inputs_add(&in, at("one"), &e), 0);
	assert_int_equal(pack_inputs_check(&in, &e), 0);
	assert_int_equal(in.n, 4);
	assert_string_equal(in.v[0].path, "t/a.txt");
	assert_string_equal(in.v[1].path, "t/b/c.txt");
	assert_string_equal(in.v[2].path, "t/z.txt");
	assert_string_equal(in.v[3].path, "one");
	assert_int_equal(in.total, 6 + 2 + 4 + 4);
	assert_int_equal(pack_inputs_hash(&in, &quiet, &e), 0);
	assert_string_equal(in.v[0].sha256,
			    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	pack_inputs_free(&in);
}

/* Pass 1 hashes on two threads: every file gets its own hash, and when several fail,
 * the error is the first one's in input order, whichever thread met it. */
static void test_parallel_pass(void **state)
{
	(void)state;
	char name[32], text[64];
	assert_int_equal(mkdir(at("many"), 0700), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "many/f%02d", i);
		snprintf(text, sizeof text, "file number %d\n", i);
		put(name, text);
	}
	struct pack_inputs in = {0};
	struct six_err e;
	assert_int_equal(pack_inputs_add(&in, at("many"), &e), 0);
	assert_int_equal(in.n, 40);
	assert_int_equal(pack_inputs_hash(&in, &quiet, &e), 0);
	for (size_t i = 0; i < in.n; i++) {
		char hex[SIX_SHA256_HEX + 1];
		uint64_t size;
		int fd = open(in.v[i].src, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(six_sha256_fd(fd, hex, &size, &e), 0);
		close(fd);
		assert_string_equal(in.v[i].sha256, hex);
	}
	pack_inputs_free(&in);
	memset(&in, 0, sizeof in);
	assert_int_equal(pack_inputs_add(&in, at("many"), &e), 0);
	assert_int_equal(truncate(at("many/f03"), 1), 0);
	assert_int_equal(truncate(at("many/f30"), 1), 0);
	assert_int_equal(pack_inputs_hash(&in, &quiet, &e), SIX_ERR_INPUT);
	assert_non_null(strstr(e.msg, "many/f03 is changing"));
	pack_inputs_free(&in);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -r %s", at("many"));
	assert_int_equal(system(cmd), 0);
}

static void test_refusals(void **state)
{
	(void)state;
	struct pack_inputs in = {0};
	struct six_err e;
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	assert_int_equal(pack_inputs_add(&in, at("fifo"), &e), SIX_ERR_INPUT);
	assert_non_null(strstr(e.msg, "FIFO"));
	assert_int_equal(symlink(at("one"), at("link")), 0);
	assert_int_equal(pack_inputs_add(&in, at("link"), &e), SIX_ERR_INPUT);
	assert_non_null(strstr(e.msg, "symbolic link"));
	assert_int_equal(pack_inputs_add(&in, at("missing"), &e), SIX_ERR_NOINPUT);
	assert_int_equal(in.n, 0);
	/* followed on request, under the link's own name */
	in.follow = 1;
	assert_int_equal(pack_inputs_add(&in, at("link"), &e), 0);
	assert_string_equal(in.v[0].path, "link");
	/* two inputs that land on one payload path */
	assert_int_equal(pack_inputs_add(&in, at("t/b/c.txt"), &e), 0);
	put("c.txt", "other\n");
	assert_int_equal(pack_inputs_add(&in, at("c.txt"), &e), 0);
	assert_int_equal(pack_inputs_check(&in, &e), SIX_ERR_INPUT);
	assert_non_null(strstr(e.msg, "collide"));
	pack_inputs_free(&in);
	unlink(at("fifo"));
	unlink(at("link"));
	unlink(at("c.txt"));
}

/* Pass 1 over "one", then run pass 2's reading and check on the file as it is now. */
static int second_pass(struct pack_inputs *in, struct six_err *e)
{
	int rc = pack_file_open(&in->v[0], 0, e);
	if (rc < 0)
		return rc;
	char hex[SIX_SHA256_HEX + 1];
	uint64_t size;
	rc = six_sha256_fd(in->v[0].fd, hex, &size, e);
	return rc < 0 ? rc : pack_file_unchanged(&in->v[0], size, hex, e);
}

static void first_pass(struct pack_inputs *in)
{
	struct six_err e;
	memset(in, 0, sizeof *in);
	put("one", "one\n");
	assert_int_equal(pack_inputs_add(in, at("one"), &e), 0);
	assert_int_equal(pack_inputs_hash(in, &quiet, &e), 0);
}

static void test_unchanged(void **state)
{
	(void)state;
	struct pack_inputs in;
	struct six_err e;
	first_pass(&in);
	assert_int_equal(second_pass(&in, &e), 0);
	pack_inputs_free(&in);
}

static void test_rewritten_same_size_same_mtime(void **state)
{
	(void)state;
	struct pack_inputs in;
	struct six_err e;
	first_pass(&in);
	struct stat st;
	assert_int_equal(stat(at("one"), &st), 0);
	put("one", "ONE\n");
	/* put the old mtime back: only the hash can tell */
	struct timespec ts[2] = {st.st_atim, st.st_mtim};
	assert_int_equal(utimensat(AT_FDCWD, at("one"), ts, 0), 0);
	assert_int_equal(second_pass(&in, &e), SIX_ERR_INPUT);
	assert_non_null(strstr(e.msg, "changed while being packed"));
	pack_inputs_free(&in);
}

static void test_touched(void **state)
{
	(void)state;
	struct pack_inputs in;
	struct six_err e;
	first_pass(&in);
	struct timespec ts[2] = {{0, UTIME_OMIT}, {12345, 0}};
	assert_int_equal(utimensat(AT_FDCWD, at("one"), ts, 0), 0);
	assert_int_equal(second_pass(&in, &e), SIX_ERR_INPUT);
	assert_non_null(strstr(e.msg, "modified"));
	pack_inputs_free(&in);
}

static void test_grown(void **state)
{
	(void)state;
	struct pack_inputs in;
	struct six_err e;
	first_pass(&in);
	put("one", "one\nmore\n");
	assert_int_equal(second_pass(&in, &e), SIX_ERR_INPUT);
	assert_non_null(strstr(e.msg, "size"));
	pack_inputs_free(&in);
}

/* Past PACK_KEEP_FDS inputs are reopened by path: it must be the same inode. */
static void test_replaced_between_passes(void **state)
{
	(void)state;
	struct pack_inputs in;
	struct six_err e;
	first_pass(&in);
	pack_file_close(&in.v[0]);
	put("new", "one\n"); /* same content, another file */
	assert_int_equal(rename(at("new"), at("one")), 0);
	assert_int_equal(second_pass(&in, &e), SIX_ERR_INPUT);
	assert_non_null(strstr(e.msg, "replaced"));
	pack_inputs_free(&in);
}

static void test_swapped_for_link(void **state)
{
	(void)state;
	struct pack_inputs in;
	struct six_err e;
	first_pass(&in);
	pack_file_close(&in.v[0]);
	put("target", "one\n");
	assert_int_equal(unlink(at("one")), 0);
	assert_int_equal(symlink(at("target"), at("one")), 0);
	assert_int_equal(second_pass(&in, &e), SIX_ERR_NOINPUT);
	pack_inputs_free(&in);
	unlink(at("one"));
	unlink(at("target"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_sorted),
		cmocka_unit_test(test_parallel_pass),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_rewritten_same_size_same_mtime),
		cmocka_unit_test(test_touched),
		cmocka_unit_test(test_grown),
		cmocka_unit_test(test_replaced_between_passes),
		cmocka_unit_test(test_swapped_for_link),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
