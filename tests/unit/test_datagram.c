/* formats/datagram.c: the diode datagram (formats/diode.md): round trips, geometry,
 * every corruption refused, and the hostile corpus tests/hostile/datagrams replayed
 * with the exact reason each file must be refused for. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datagram.h"

static const uint8_t sha[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static struct six_dgram symbol(uint8_t type, const uint8_t *payload)
{
	struct six_dgram d = {.type = type, .session = 0x1122334455667788ull, .file = 7,
			      .size = 1000000, .sym = 1428, .k = 64, .m = 16, .group = 10,
			      .index = 5, .payload = payload, .paylen = 1428};
	return d;
}

static void test_roundtrip_symbol(void **state)
{
	(void)state;
	uint8_t payload[1428], out[SIX_DGRAM_MAX];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 7);
	struct six_dgram d = symbol(SIX_DG_PARITY, payload), p;
	size_t n = six_dgram_pack(&d, out, sizeof out);
	assert_int_equal(n, 1472); /* 1428 + 44: a 1500-byte MTU exactly */
	assert_int_equal(six_dgram_parse(out, n, &p), 0);
	assert_int_equal(p.type, SIX_DG_PARITY);
	assert_true(p.session == d.session);
	assert_int_equal(p.file, 7);
	assert_true(p.size == 1000000);
	assert_int_equal(p.group, 10);
	assert_int_equal(p.index, 5);
	assert_int_equal(p.paylen, 1428);
	assert_memory_equal(p.payload, payload, 1428);
	/* the spec's example: magic, version, type at fixed offsets */
	assert_memory_equal(out, "SIXD\x01\x03\x00\x00", 8);
}

static void test_roundtrip_meta_control(void **state)
{
	(void)state;
	uint8_t out[SIX_DGRAM_MAX];
	struct six_dgram m = {.type = SIX_DG_META, .session = 9, .file = 3, .size = 0,
			      .sym = 1428, .k = 64, .m = 16, .payload = (const uint8_t *)"x.six",
			      .paylen = 5},
			 p;
	memcpy(m.sha256, sha, 32);
	size_t n = six_dgram_pack(&m, out, sizeof out);
	assert_int_equal(n, 16 + 52 + 5 + 4);
	assert_int_equal(six_dgram_parse(out, n, &p), 0);
	assert_memory_equal(p.sha256, sha, 32);
	assert_int_equal(p.paylen, 5);
	assert_memory_equal(p.payload, "x.six", 5);
	struct six_dgram h = {.type = SIX_DG_HEARTBEAT, .session = 9, .announced = 5,
			      .current = 4, .done = 3, .pass = 2, .passes = 3, .sent = 123456789};
	n = six_dgram_pack(&h, out, sizeof out);
	assert_int_equal(six_dgram_parse(out, n, &p), 0);
	assert_int_equal(p.announced, 5);
	assert_int_equal(p.current, 4);
	assert_int_equal(p.done, 3);
	assert_true(p.sent == 123456789);
	struct six_dgram e = {.type = SIX_DG_END, .session = 9, .pass = 3, .passes = 3,
			      .first = 4, .last = 5, .done = 5};
	n = six_dgram_pack(&e, out, sizeof out);
	assert_int_equal(six_dgram_parse(out, n, &p), 0);
	assert_int_equal(p.first, 4);
	assert_int_equal(p.last, 5);
	e.done = 4; /* the last pass ended: every file of it is done */
	assert_int_equal(six_dgram_pack(&e, out, sizeof out), 0);
}

static void test_geometry(void **state)
{
	(void)state;
	assert_true(six_dgram_nsym(0, 1428) == 0);
	assert_true(six_dgram_nsym(1, 1428) == 1);
	assert_true(six_dgram_nsym(1428, 1428) == 1);
	assert_true(six_dgram_nsym(1429, 1428) == 2);
	assert_true(six_dgram_ngroups(0, 1428, 64) == 0);
	assert_true(six_dgram_ngroups(1428 * 64, 1428, 64) == 1);
	assert_true(six_dgram_ngroups(1428 * 64 + 1, 1428, 64) == 2);
	assert_int_equal(six_dgram_group_k(1428 * 64 + 1, 1428, 64, 0), 64);
	assert_int_equal(six_dgram_group_k(1428 * 64 + 1, 1428, 64, 1), 1);
}

static void test_pack_refuses(void **state)
{
	(void)state;
	uint8_t payload[1428], out[SIX_DGRAM_MAX];
	memset(payload, 0, sizeof payload);
	struct six_dgram d = symbol(SIX_DG_DATA, payload);
	assert_int_equal(six_dgram_pack(&d, out, 100), 0); /* too small a buffer */
	d.k = 0;
	assert_int_equal(six_dgram_pack(&d, out, sizeof out), 0);
	d = symbol(SIX_DG_DATA, payload);
	d.group = 11; /* 1000000 bytes are 701 symbols: 11 groups, 0..10 */
	assert_int_equal(six_dgram_pack(&d, out, sizeof out), 0);
	d = symbol(SIX_DG_DATA, payload);
	d.group = 10, d.index = 61; /* group 10 holds 701 - 640 = 61 symbols */
	assert_int_equal(six_dgram_pack(&d, out, sizeof out), 0);
	d.index = 60;
	assert_int_not_equal(six_dgram_pack(&d, out, sizeof out), 0);
}

/* Any single flipped bit and any truncation is refused, never crashes. */
static void test_every_corruption(void **state)
{
	(void)state;
	uint8_t payload[200], out[SIX_DGRAM_MAX], bad[SIX_DGRAM_MAX];
	memset(payload, 0x5a, sizeof payload);
	struct six_dgram d = {.type = SIX_DG_DATA, .session = 1, .file = 1, .size = 200,
			      .sym = 200, .k = 1, .m = 1, .payload = payload, .paylen = 200},
			 p;
	size_t n = six_dgram_pack(&d, out, sizeof out);
	assert_int_not_equal(n, 0);
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(bad, out, n);
			bad[i] ^= (uint8_t)(1 << bit);
			assert_int_not_equal(six_dgram_parse(bad, n, &p), 0);
		}
	for (size_t len = 0; len < n; len++)
		assert_int_not_equal(six_dgram_parse(out, len, &p), 0);
}

static void test_hostile_corpus(void **state)
{
	(void)state;
	char dir[1024], path[2048];
	const char *top = getenv("SIX_TOP");
	snprintf(dir, sizeof dir, "%s/tests/hostile/datagrams", top ? top : ".");
	DIR *dd = opendir(dir);
	assert_non_null(dd);
	struct dirent *de;
	int rejects = 0, states = 0;
	static uint8_t buf[65536];
	while ((de = readdir(dd)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		struct six_dgram p;
		int why = six_dgram_parse(buf, n, &p);
		if (!strncmp(de->d_name, "reject-", 7)) {
			const char *word = six_dgram_reject_word(why);
			size_t wl = strlen(word);
			if (why == 0 || strncmp(de->d_name + 7, word, wl) != 0 ||
			    de->d_name[7 + wl] != '-')
				fail_msg("%s: refused as '%s'", de->d_name, why ? word : "(accepted)");
			rejects++;
		} else {
			if (why != 0)
				fail_msg("%s: refused as '%s'", de->d_name, six_dgram_reject_word(why));
			states++;
		}
	}
	closedir(dd);
	assert_true(rejects >= 25);
	assert_true(states >= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_symbol), cmocka_unit_test(test_roundtrip_meta_control),
		cmocka_unit_test(test_geometry),	 cmocka_unit_test(test_pack_refuses),
		cmocka_unit_test(test_every_corruption), cmocka_unit_test(test_hostile_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
