/* six-xferd recv's files in progress (tools/xferd/rfile.c), driven with records as the
 * reader would pass them: groups that complete out of order wait in memory for the
 * hash, and when memory is short they are read back from tmp/ instead. Either way the
 * file delivered into new/ is the file sent, and memory never exceeds its bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/xferd/recv.h"
#include "unit_tmp.h"

#define SYM 64
#define K 4
#define M 2
#define SIZE 2500 /* 40 symbols, 10 groups; the last symbol is short */
#define NGROUPS 10

static uint8_t file[NGROUPS * K * SYM];

static struct six_dgram record(uint8_t type, uint32_t group, uint16_t index)
{
	struct six_dgram d = {.type = type, .session = 0x5158, .file = 1, .size = SIZE,
			      .sym = SYM, .k = K, .m = M, .group = group, .index = index};
	return d;
}

static void feed_meta(struct rx *rx)
{
	struct six_dgram d = record(SIX_DG_META, 0, 0);
	struct six_sha256 h;
	struct six_err e;
	assert_int_equal(six_sha256_init(&h, &e), 0);
	six_sha256_update(&h, file, SIZE);
	six_sha256_final(&h, d.sha256);
	d.payload = (const uint8_t *)"f.six";
	d.paylen = 5;
	xferd_rx_dgram(rx, &d, 1);
}

/* Every data symbol of group g; memory stays within its bound after each one. */
static void feed_group(struct rx *rx, uint32_t g)
{
	for (uint16_t i = 0; i < K; i++) {
		struct six_dgram d = record(SIX_DG_DATA, g, i);
		d.payload = file + ((size_t)g * K + i) * SYM;
		d.paylen = SYM;
		xferd_rx_dgram(rx, &d, 1);
		assert_true(rx->mem <= rx->mem_max);
	}
}

/* Groups in the order given, then check what new/ holds. */
static void deliver(const uint32_t *order, size_t mem_max, uint64_t want_completed)
{
	char dir[64], inbox[128], path[192];
	assert_int_equal(unit_tmpdir(dir), 0);
	snprintf(inbox, sizeof inbox, "%s/in", dir);
	for (size_t i = 0; i < sizeof file; i++)
		file[i] = (uint8_t)(i * 131 + (i >> 7));
	struct xferd_log log = {.side = "recv"};
	struct rx *rx = calloc(1, sizeof *rx);
	struct six_err e;
	assert_non_null(rx);
	assert_int_equal(xferd_rx_init(rx, inbox, &log, mem_max, 600000000000ull, &e), 0);
	feed_meta(rx);
	for (size_t i = 0; i < NGROUPS; i++)
		feed_group(rx, order[i]);
	assert_int_equal(rx->c.completed, want_completed);
	assert_int_equal(rx->c.bad_sha, 0);
	assert_int_equal(rx->c.evicted, 0);
	xferd_rx_close(rx);
	snprintf(path, sizeof path, "%s/new/f.six", inbox);
	if (want_completed) {
		size_t len;
		char *got = NULL;
		FILE *fp = fopen(path, "rb");
		assert_non_null(fp);
		got = malloc(SIZE + 1);
		len = fread(got, 1, SIZE + 1, fp);
		fclose(fp);
		assert_int_equal(len, SIZE);
		assert_memory_equal(got, file, SIZE);
		free(got);
	}
	free(rx);
	unit_rmtree(dir);
}

static size_t group_bytes(void)
{
	return sizeof(struct rgroup) + (size_t)(K + M) * SYM;
}

static void in_order(void **state)
{
	(void)state;
	static const uint32_t order[NGROUPS] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	deliver(order, 64 * group_bytes(), 1);
}

/* Groups 9 down to 1 complete first and wait for group 0: all of them fit. */
static void reversed_in_memory(void **state)
{
	(void)state;
	static const uint32_t order[NGROUPS] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
	deliver(order, 64 * group_bytes(), 1);
}

/* Memory for two groups: the written ones make room and are read back for the hash,
 * without evicting a group in progress. */
static void reversed_read_back(void **state)
{
	(void)state;
	static const uint32_t order[NGROUPS] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
	deliver(order, 2 * group_bytes(), 1);
}

/* Some in memory, some read back, interleaved. */
static void shuffled_read_back(void **state)
{
	(void)state;
	static const uint32_t order[NGROUPS] = {3, 1, 7, 2, 9, 5, 0, 8, 4, 6};
	deliver(order, 3 * group_bytes(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order),
		cmocka_unit_test(reversed_in_memory),
		cmocka_unit_test(reversed_read_back),
		cmocka_unit_test(shuffled_read_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
