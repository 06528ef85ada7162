/* tools/lib/buf.c: the bounded reader every parser of hostile bytes goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static const uint8_t seq[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

static void test_big_endian(void **state)
{
	(void)state;
	struct six_buf b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	six_buf_init(&b, seq, sizeof seq);
	assert_int_equal(six_buf_left(&b), 9);
	assert_int_equal(six_buf_get_u8(&b, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(six_buf_get_u16(&b, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(six_buf_get_u32(&b, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(six_buf_left(&b), 2);
	six_buf_init(&b, seq, sizeof seq);
	assert_int_equal(six_buf_get_u64(&b, &u64), 0);
	assert_true(u64 == 0x0102030405060708ull);
	assert_int_equal(six_buf_left(&b), 1);
}

/* Every getter, given one byte too few, fails and consumes nothing. */
static void test_truncated_reads(void **state)
{
	(void)state;
	struct six_buf b;
	uint8_t u8 = 0xaa;
	uint16_t u16 = 0xaaaa;
	uint32_t u32 = 0xaaaaaaaa;
	uint64_t u64 = 0xaaaaaaaaaaaaaaaaull;
	const uint8_t *p = NULL;

	six_buf_init(&b, seq, 0);
	assert_int_equal(six_buf_get_u8(&b, &u8), -1);
	assert_int_equal(u8, 0xaa);
	for (size_t have = 0; have < 8; have++) {
		six_buf_init(&b, seq, have);
		if (have < 2) {
			assert_int_equal(six_buf_get_u16(&b, &u16), -1);
			assert_int_equal(b.off, 0);
		}
		if (have < 4) {
			assert_int_equal(six_buf_get_u32(&b, &u32), -1);
			assert_int_equal(b.off, 0);
		}
		assert_int_equal(six_buf_get_u64(&b, &u64), -1);
		assert_int_equal(b.off, 0);
		assert_int_equal(six_buf_get_bytes(&b, &p, have + 1), -1);
		assert_int_equal(b.off, 0);
		assert_null(p);
	}
	assert_int_equal(u16, 0xaaaa);
	assert_true(u32 == 0xaaaaaaaau);
	assert_true(u64 == 0xaaaaaaaaaaaaaaaaull);

	/* after a partial read the remainder is what is checked */
	six_buf_init(&b, seq, 5);
	assert_int_equal(six_buf_get_u32(&b, &u32), 0);
	assert_int_equal(six_buf_get_u16(&b, &u16), -1);
	assert_int_equal(six_buf_get_u8(&b, &u8), 0);
	assert_int_equal(u8, 0x05);
	assert_int_equal(six_buf_left(&b), 0);
	assert_int_equal(six_buf_get_u8(&b, &u8), -1);
}

/* Lengths near SIZE_MAX must not wrap the bounds check. */
static void test_bytes_overflow(void **state)
{
	(void)state;
	struct six_buf b;
	const uint8_t *p = NULL;
	six_buf_init(&b, seq, sizeof seq);
	assert_int_equal(six_buf_get_bytes(&b, &p, 3), 0);
	assert_ptr_equal(p, seq);
	assert_int_equal(six_buf_get_bytes(&b, &p, SIZE_MAX), -1);
	assert_int_equal(six_buf_get_bytes(&b, &p, SIZE_MAX - 2), -1);
	assert_int_equal(six_buf_get_bytes(&b, &p, (size_t)-1 / 2 + 1), -1);
	assert_int_equal(b.off, 3);
	assert_int_equal(six_buf_get_bytes(&b, &p, 6), 0);
	assert_ptr_equal(p, seq + 3);
	assert_int_equal(six_buf_get_bytes(&b, &p, 0), 0);
	assert_int_equal(six_buf_left(&b), 0);
}

static void test_lines(void **state)
{
	(void)state;
	static const char text[] = "one\n\nthree\r\nlast-without-newline";
	struct six_buf b;
	const char *l;
	size_t n;
	six_buf_init(&b, text, sizeof text - 1);
	assert_int_equal(six_buf_get_line(&b, &l, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(l, "one", 3);
	assert_int_equal(six_buf_get_line(&b, &l, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(six_buf_get_line(&b, &l, &n), 0);
	assert_int_equal(n, 6); /* '\r' is the caller's business */
	assert_memory_equal(l, "three\r", 6);
	size_t off = b.off;
	/* a final line without '\n' is an error and consumes nothing */
	assert_int_equal(six_buf_get_line(&b, &l, &n), -1);
	assert_int_equal(b.off, off);
	assert_int_equal(six_buf_left(&b), strlen("last-without-newline"));
}

static void test_lines_empty(void **state)
{
	(void)state;
	struct six_buf b;
	const char *l = NULL;
	size_t n = 7;
	six_buf_init(&b, NULL, 0);
	assert_int_equal(six_buf_get_line(&b, &l, &n), -1);
	assert_null(l);
	assert_int_equal(n, 7);
	six_buf_init(&b, "\n", 1);
	assert_int_equal(six_buf_get_line(&b, &l, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(six_buf_get_line(&b, &l, &n), -1);
	/* a NUL inside a line is data, not an end */
	six_buf_init(&b, "a\0b\n", 4);
	assert_int_equal(six_buf_get_line(&b, &l, &n), 0);
	assert_int_equal(n, 3);
}

static void test_put_roundtrip(void **state)
{
	(void)state;
	uint8_t out[14];
	memset(out, 0, sizeof out);
	six_put_u16(out, 0xbeef);
	six_put_u32(out + 2, 0xdeadbeefu);
	six_put_u64(out + 6, 0x0011223344556677ull);
	static const uint8_t want[] = {0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0x00,
				       0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
	assert_memory_equal(out, want, sizeof want);
	struct six_buf b;
	uint16_t a;
	uint32_t c;
	uint64_t d;
	six_buf_init(&b, out, sizeof out);
	assert_int_equal(six_buf_get_u16(&b, &a), 0);
	assert_int_equal(six_buf_get_u32(&b, &c), 0);
	assert_int_equal(six_buf_get_u64(&b, &d), 0);
	assert_int_equal(a, 0xbeef);
	assert_true(c == 0xdeadbeefu);
	assert_true(d == 0x0011223344556677ull);
	six_put_u64(out, UINT64_MAX);
	six_buf_init(&b, out, 8);
	assert_int_equal(six_buf_get_u64(&b, &d), 0);
	assert_true(d == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_endian),   cmocka_unit_test(test_truncated_reads),
		cmocka_unit_test(test_bytes_overflow), cmocka_unit_test(test_lines),
		cmocka_unit_test(test_lines_empty),  cmocka_unit_test(test_put_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
