/* tools/xferd/fec.c: Reed-Solomon erasure coding through ISA-L. Any k of k + m symbols
 * rebuild the data; k - 1 do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/xferd/fec.h"

#define LEN 1428

static uint64_t rng = 42;
static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(rng >> 33) % n;
}

/* Encode k data rows, erase `lose` random rows, decode, compare. */
static int trial(int k, int m, int lose)
{
	struct xferd_fec f;
	assert_int_equal(xferd_fec_init(&f, k, m), 0);
	int n = k + m;
	uint8_t *rows[256], *orig = malloc((size_t)k * LEN), have[256];
	for (int i = 0; i < n; i++)
		rows[i] = malloc(LEN);
	for (int i = 0; i < k; i++) {
		for (int j = 0; j < LEN; j++)
			rows[i][j] = (uint8_t)rnd(256);
		memcpy(orig + (size_t)i * LEN, rows[i], LEN);
	}
	xferd_fec_encode(&f, LEN, rows, rows + k);
	memset(have, 1, sizeof have);
	for (int e = 0; e < lose;) {
		int r = (int)rnd((unsigned)n);
		if (have[r]) {
			have[r] = 0;
			memset(rows[r], 0xee, LEN); /* garbage where the lost symbol would be */
			e++;
		}
	}
	int rc = xferd_fec_decode(&f, LEN, rows, have);
	if (rc == 0)
		for (int i = 0; i < k; i++)
			assert_memory_equal(rows[i], orig + (size_t)i * LEN, LEN);
	for (int i = 0; i < n; i++)
		free(rows[i]);
	free(orig);
	xferd_fec_free(&f);
	return rc;
}

static void test_any_k_of_n(void **state)
{
	(void)state;
	for (int t = 0; t < 50; t++)
		assert_int_equal(trial(64, 16, (int)rnd(17)), 0);
	for (int t = 0; t < 20; t++)
		assert_int_equal(trial(10, 3, 3), 0);
}

static void test_too_many_lost(void **state)
{
	(void)state;
	assert_int_equal(trial(64, 16, 17), -1);
	assert_int_equal(trial(5, 0, 1), -1);
}

static void test_edges(void **state)
{
	(void)state;
	assert_int_equal(trial(1, 0, 0), 0);
	assert_int_equal(trial(1, 4, 4), 0);	   /* one data symbol, four copies' worth */
	assert_int_equal(trial(128, 128, 128), 0); /* the widest group, half of it lost */
	struct xferd_fec f;
	assert_int_equal(xferd_fec_init(&f, 0, 1), -1);
	assert_int_equal(xferd_fec_init(&f, 129, 1), -1);
	assert_int_equal(xferd_fec_init(&f, 1, 129), -1);
}

/* Losing only data rows, with every parity row present, is the receiver's usual case. */
static void test_data_only_lost(void **state)
{
	(void)state;
	struct xferd_fec f;
	assert_int_equal(xferd_fec_init(&f, 8, 8), 0);
	uint8_t *rows[16], have[16];
	uint8_t want[8][64];
	for (int i = 0; i < 16; i++)
		rows[i] = calloc(1, 64);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 64; j++)
			rows[i][j] = want[i][j] = (uint8_t)(i * 31 + j);
	xferd_fec_encode(&f, 64, rows, rows + 8);
	memset(have, 1, sizeof have);
	for (int i = 0; i < 8; i++) {
		have[i] = 0;
		memset(rows[i], 0, 64);
	}
	assert_int_equal(xferd_fec_decode(&f, 64, rows, have), 0);
	for (int i = 0; i < 8; i++)
		assert_memory_equal(rows[i], want[i], 64);
	for (int i = 0; i < 16; i++)
		free(rows[i]);
	xferd_fec_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_any_k_of_n), cmocka_unit_test(test_too_many_lost),
		cmocka_unit_test(test_edges), cmocka_unit_test(test_data_only_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
