/* The seen-set (tools/unpack/seen.c): new bundles are claimed, a pending claim lets
 * only the same bundle resume, delivered ones and reused numbers or ids are replays,
 * sequence numbers count per (sender, recipient set), gaps are noticed. The module is
 * tool-only, so it is compiled into this test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/unpack/seen.c"

#define SENDER "0123456789ABCDEF0123456789ABCDEF01234567"
#define ENCLAVE "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define OFFICE "FEDCBA9876543210FEDCBA9876543210FEDCBA98"

/* Each test gets a fresh state directory. */
struct fixture {
	int fd;
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct six_err e;
	if (!f || six_crypto_init(&e) < 0)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/six-seen.XXXXXX");
	f->fd = mkdtemp(f->dir) ? open(f->dir, O_RDONLY | O_DIRECTORY) : -1;
	*state = f;
	return f->fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	close(f->fd);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

static struct six_manifest man(const char *id, uint64_t seq)
{
	struct six_manifest m;
	memset(&m, 0, sizeof m);
	snprintf(m.bundle_id, sizeof m.bundle_id, "%s", id);
	snprintf(m.sender, sizeof m.sender, "%s", SENDER);
	snprintf(m.recipients[0], sizeof m.recipients[0], "%s", ENCLAVE);
	m.n_recipients = 1;
	m.sequence = seq;
	return m;
}

/* The same bundle numbering, to the enclave and a second office. */
static struct six_manifest man2(const char *id, uint64_t seq, const char *first,
				const char *second)
{
	struct six_manifest m = man(id, seq);
	snprintf(m.recipients[0], sizeof m.recipients[0], "%s", first);
	snprintf(m.recipients[1], sizeof m.recipients[1], "%s", second);
	m.n_recipients = 2;
	return m;
}

static void claim_pending_done_replay(void **state)
{
	int fd = ((struct fixture *)*state)->fd, gap = -1;
	struct six_err e;
	struct six_manifest m = man("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1);
	assert_int_equal(unpack_seen_claim(fd, &m, &gap, &e), 0);
	assert_int_equal(gap, 0);
	/* a run that died after claiming: the same bundle resumes */
	assert_int_equal(unpack_seen_claim(fd, &m, &gap, &e), 0);
	assert_int_equal(unpack_seen_done(fd, &m, &e), 0);
	assert_int_equal(unpack_seen_claim(fd, &m, &gap, &e), SIX_ERR_REPLAY);
	assert_non_null(strstr(e.msg, "already delivered"));
}

static void reused_sequence_and_id(void **state)
{
	int fd = ((struct fixture *)*state)->fd, gap;
	struct six_err e;
	struct six_manifest a = man("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 7);
	struct six_manifest same_seq = man("cccccccccccccccccccccccccccccccc", 7);
	struct six_manifest same_id = man("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 8);
	assert_int_equal(unpack_seen_claim(fd, &a, &gap, &e), 0);
	assert_int_equal(gap, 1); /* 6 never came */
	/* pending, but another bundle: never lets it through */
	assert_int_equal(unpack_seen_claim(fd, &same_seq, &gap, &e), SIX_ERR_REPLAY);
	assert_non_null(strstr(e.msg, "sequence 7"));
	assert_int_equal(unpack_seen_claim(fd, &same_id, &gap, &e), SIX_ERR_REPLAY);
	assert_non_null(strstr(e.msg, "bundle id"));
	/* out of order is fine */
	struct six_manifest early = man("dddddddddddddddddddddddddddddddd", 6);
	assert_int_equal(unpack_seen_claim(fd, &early, &gap, &e), 0);
}

/* Sequence numbers count per (sender, recipient set): number 1 to {E} and number 1 to
 * {E, X} are two bundles; the order of Recipient lines does not make a new set; a
 * Bundle-Id stays unique across sets. */
static void per_recipient_set(void **state)
{
	int fd = ((struct fixture *)*state)->fd, gap;
	struct six_err e;
	struct six_manifest alone = man("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 1);
	struct six_manifest both = man2("ffffffffffffffffffffffffffffffff", 1, ENCLAVE, OFFICE);
	assert_int_equal(unpack_seen_claim(fd, &alone, &gap, &e), 0);
	assert_int_equal(unpack_seen_done(fd, &alone, &e), 0);
	assert_int_equal(unpack_seen_claim(fd, &both, &gap, &e), 0);
	assert_int_equal(gap, 0);
	assert_int_equal(unpack_seen_done(fd, &both, &e), 0);
	struct six_manifest swapped = man2("abababababababababababababababab", 1, OFFICE, ENCLAVE);
	assert_int_equal(unpack_seen_claim(fd, &swapped, &gap, &e), SIX_ERR_REPLAY);
	assert_non_null(strstr(e.msg, "sequence 1"));
	struct six_manifest same_id = man2("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 2, ENCLAVE, OFFICE);
	assert_int_equal(unpack_seen_claim(fd, &same_id, &gap, &e), SIX_ERR_REPLAY);
	assert_non_null(strstr(e.msg, "bundle id"));
	/* gaps are per set: {E, X} has 1, so 2 follows it; {E} has only 1, so 3 leaves one */
	struct six_manifest next = man2("12121212121212121212121212121212", 2, ENCLAVE, OFFICE);
	assert_int_equal(unpack_seen_claim(fd, &next, &gap, &e), 0);
	assert_int_equal(gap, 0);
	struct six_manifest skip = man("34343434343434343434343434343434", 3);
	assert_int_equal(unpack_seen_claim(fd, &skip, &gap, &e), 0);
	assert_int_equal(gap, 1);
}

/* many records: lookups stay one open each, and old ones are still found */
static void many(void **state)
{
	int fd = ((struct fixture *)*state)->fd, gap;
	struct six_err e;
	char id[33];
	for (uint64_t s = 100; s < 300; s++) {
		snprintf(id, sizeof id, "%032llx", (unsigned long long)s);
		struct six_manifest m = man(id, s);
		assert_int_equal(unpack_seen_claim(fd, &m, &gap, &e), 0);
		assert_int_equal(unpack_seen_done(fd, &m, &e), 0);
	}
	snprintf(id, sizeof id, "%032llx", 250ull);
	struct six_manifest again = man(id, 250);
	assert_int_equal(unpack_seen_claim(fd, &again, &gap, &e), SIX_ERR_REPLAY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(claim_pending_done_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_sequence_and_id, setup, teardown),
		cmocka_unit_test_setup_teardown(per_recipient_set, setup, teardown),
		cmocka_unit_test_setup_teardown(many, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
