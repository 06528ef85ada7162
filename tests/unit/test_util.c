/* tools/lib/util.c, err.c, hash.c, progress.c: timestamps, hex, integers, party codes,
 * the error table, SHA-256, the progress meter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <stdlib.h>
#include <unistd.h>

#include "err.h"
#include "hash.h"
#include "progress.h"
#include "util.h"

#define T_BAD(lit)                                                                        \
	do {                                                                               \
		time_t t_ = 12345;                                                         \
		if (six_time_parse(lit, sizeof lit - 1, &t_) != -1)                        \
			fail_msg("time '%s' accepted", lit);                               \
		assert_true(t_ == 12345);                                                  \
	} while (0)

static time_t tparse(const char *s)
{
	time_t t = -1;
	assert_int_equal(six_time_parse(s, strlen(s), &t), 0);
	return t;
}

static void test_time_known(void **state)
{
	(void)state;
	assert_true(tparse("1970-01-01T00:00:00Z") == 0);
	assert_true(tparse("2000-02-29T12:00:00Z") == 951825600);
	assert_true(tparse("2026-12-04T15:18:22Z") == 1796397502);
	assert_true(tparse("2038-01-19T03:14:08Z") == 2147483648LL); /* past 32 bits */
	assert_true(tparse("2024-02-29T23:59:59Z") == 1709251199);
	char buf[SIX_TIME_LEN + 1];
	six_time_format(1796397502, buf);
	assert_string_equal(buf, "2026-12-04T15:18:22Z");
	six_time_format(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	/* out of range: a fixed string that parses as nothing */
	six_time_format((time_t)1 << 60, buf);
	assert_int_equal(strlen(buf), SIX_TIME_LEN);
	time_t t;
	assert_int_equal(six_time_parse(buf, SIX_TIME_LEN, &t), -1);
	six_time_format(-62167219201LL, buf); /* year -1 */
	assert_int_equal(six_time_parse(buf, SIX_TIME_LEN, &t), -1);
}

/* format(parse(s)) == s and parse(format(t)) == t over a spread of instants. */
static void test_time_roundtrip(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		time_t t = (time_t)(x % 253402300800ull); /* up to 9999-12-31T23:59:59Z */
		char buf[SIX_TIME_LEN + 1];
		six_time_format(t, buf);
		assert_int_equal(strlen(buf), SIX_TIME_LEN);
		time_t back = -1;
		assert_int_equal(six_time_parse(buf, SIX_TIME_LEN, &back), 0);
		assert_true(back == t);
		char again[SIX_TIME_LEN + 1];
		six_time_format(back, again);
		assert_string_equal(again, buf);
	}
}

static void test_time_rejects(void **state)
{
	(void)state;
	T_BAD("2026-02-30T00:00:00Z"); /* Feb 30 */
	T_BAD("2026-02-29T00:00:00Z"); /* not a leap year */
	T_BAD("1900-02-29T00:00:00Z"); /* century, not a leap year */
	T_BAD("2026-04-31T00:00:00Z");
	T_BAD("2026-00-10T00:00:00Z");
	T_BAD("2026-13-10T00:00:00Z");
	T_BAD("2026-12-00T00:00:00Z");
	T_BAD("2026-12-32T00:00:00Z");
	T_BAD("2026-12-04T24:00:00Z"); /* 24:00 */
	T_BAD("2026-12-04T23:60:00Z");
	T_BAD("2026-12-04T23:59:60Z"); /* SIX never writes a leap second: one spelling only */
	T_BAD("2026-12-04T23:59:99Z");
	T_BAD("1969-12-31T23:59:59Z"); /* before the epoch */
	T_BAD("0000-01-01T00:00:00Z");
	T_BAD("2026-12-04T15:18:22");  /* missing Z */
	T_BAD("2026-12-04T15:18:22z");
	T_BAD("2026-12-04t15:18:22Z");
	T_BAD("2026-12-04 15:18:22Z");
	T_BAD("2026-12-04T15:18:22+00:00");
	T_BAD("2026-12-04T15:18:22.5Z");
	T_BAD("2026-12-4T15:18:22Z");
	T_BAD("2026/12/04T15:18:22Z");
	T_BAD("2026-12-04T15-18-22Z");
	T_BAD("+026-12-04T15:18:22Z");
	T_BAD("2026-12-04T-5:18:22Z");
	T_BAD("2026-12-04T15:18: 2Z");
	T_BAD("2026-1a-04T15:18:22Z");
	T_BAD(" 2026-12-04T15:18:22Z");
	T_BAD("");
	/* exact length only: a valid prefix inside a longer buffer is not enough */
	time_t t;
	assert_int_equal(six_time_parse("2026-12-04T15:18:22Zjunk", 24, &t), -1);
	assert_int_equal(six_time_parse("2026-12-04T15:18:22Z", 19, &t), -1);
	assert_int_equal(six_time_parse("2026-12-04T15:18:22Z", 20, &t), 0);
}

static void test_date(void **state)
{
	(void)state;
	time_t t = -1;
	assert_int_equal(six_date_parse("2026-12-04", 10, &t), 0);
	assert_true(t == 1796342400);
	assert_int_equal(six_date_parse("2028-02-29", 10, &t), 0);
	static const char *const bad[] = {"2026-02-29", "2026-12-4", "2026-12-004", "26-12-04",
					  "1969-12-31", "2026-12-04T00:00:00Z", "2026_12_04",
					  "2026-12-32", "abcd-ef-gh"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = 7;
		if (six_date_parse(bad[i], strlen(bad[i]), &t) != -1)
			fail_msg("date '%s' accepted", bad[i]);
		assert_true(t == 7);
	}
}

static void test_hex(void **state)
{
	(void)state;
	static const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
	char out[2 * sizeof in + 1];
	six_hex(in, sizeof in, out);
	assert_string_equal(out, "00017f80abff");
	uint8_t back[sizeof in];
	assert_int_equal(six_unhex(out, sizeof in, back), 0);
	assert_memory_equal(back, in, sizeof in);
	assert_int_equal(six_unhex("00017F80ABFF", sizeof in, back), 0);
	assert_memory_equal(back, in, sizeof in);
	assert_int_equal(six_unhex("0g", 1, back), -1);
	assert_int_equal(six_unhex(" 1", 1, back), -1);
	assert_int_equal(six_unhex("1-", 1, back), -1);
	six_hex(in, 0, out);
	assert_string_equal(out, "");

	assert_int_equal(six_is_hex("0123456789abcdef", 16, 'a'), 1);
	assert_int_equal(six_is_hex("0123456789ABCDEF", 16, 'A'), 1);
	assert_int_equal(six_is_hex("ABCDEF", 6, 'a'), 0);
	assert_int_equal(six_is_hex("abcdef", 6, 'A'), 0);
	assert_int_equal(six_is_hex("abcdeg", 6, 'a'), 0);
	assert_int_equal(six_is_hex("0:", 2, 'a'), 0);
	assert_int_equal(six_is_hex("", 0, 'a'), 1);
	assert_int_equal(six_is_hex("ab\0d", 4, 'a'), 0);
}

#define U_OK(lit, want)                                                                   \
	do {                                                                               \
		uint64_t v_ = 0;                                                           \
		assert_int_equal(six_parse_u64(lit, sizeof lit - 1, &v_), 0);              \
		assert_true(v_ == (want));                                                 \
	} while (0)
#define U_BAD(lit)                                                                        \
	do {                                                                               \
		uint64_t v_ = 99;                                                          \
		if (six_parse_u64(lit, sizeof lit - 1, &v_) != -1)                         \
			fail_msg("u64 '%s' accepted", lit);                                \
		assert_true(v_ == 99);                                                     \
	} while (0)

static void test_parse_u64(void **state)
{
	(void)state;
	U_OK("0", 0);
	U_OK("1", 1);
	U_OK("42", 42);
	U_OK("4294967296", 4294967296ull);
	U_OK("18446744073709551615", UINT64_MAX);
	U_OK("18446744073709551610", UINT64_MAX - 5);
	U_OK("9999999999999999999", 9999999999999999999ull);
	U_BAD("18446744073709551616"); /* UINT64_MAX + 1 */
	U_BAD("18446744073709551620");
	U_BAD("99999999999999999999");
	U_BAD("100000000000000000000"); /* 21 digits */
	U_BAD("000000000000000000001");
	U_BAD("");
	U_BAD("00");
	U_BAD("01");
	U_BAD("007");
	U_BAD("-1");
	U_BAD("+1");
	U_BAD(" 1");
	U_BAD("1 ");
	U_BAD("1a");
	U_BAD("0x10");
	U_BAD("1e3");
	U_BAD("1\0");
	U_BAD("\xd9\xa1"); /* Arabic-Indic one */
	/* exactly len bytes are read */
	uint64_t v;
	assert_int_equal(six_parse_u64("123abc", 3, &v), 0);
	assert_true(v == 123);
}

static void test_party(void **state)
{
	(void)state;
	assert_int_equal(six_party_valid("NLD"), 1);
	assert_int_equal(six_party_valid("OPCW"), 1);
	static const char *const bad[] = {"", "N", "NL", "nld", "NLDX", "OPCWX", "opcw",
					  "N1D", "NL ", "NL\n", "\xc3\x89TA", "ABCD"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (six_party_valid(bad[i]))
			fail_msg("party '%s' accepted", bad[i]);
}

static void test_random(void **state)
{
	(void)state;
	uint8_t a[32], b[32], z[32] = {0};
	assert_int_equal(six_random(a, sizeof a), 0);
	assert_int_equal(six_random(b, sizeof b), 0);
	assert_memory_not_equal(a, b, sizeof a);
	assert_memory_not_equal(a, z, sizeof a);
	assert_int_equal(six_random(a, 0), 0);
	static uint8_t big[1 << 20]; /* more than one getrandom call may return */
	assert_int_equal(six_random(big, sizeof big), 0);
	size_t zeros = 0;
	for (size_t i = 0; i < sizeof big; i++)
		zeros += big[i] == 0;
	assert_true(zeros > 3000 && zeros < 5200); /* ~4096 expected */
}

static void test_err_table(void **state)
{
	(void)state;
	assert_int_equal(six_exit_code(SIX_OK), 0);
	assert_int_equal(six_exit_code(SIX_ERR_USAGE), 64);
	assert_int_equal(six_exit_code(SIX_ERR_INTERNAL), 70);
	assert_int_equal(six_exit_code(SIX_ERR_TEMP), 75);
	assert_int_equal(six_exit_code(SIX_ERR_SIGNATURE), 21);
	assert_int_equal(six_exit_code(SIX_ERR_LIMIT), 29);
	assert_string_equal(six_err_class(SIX_ERR_REPLAY), "replay");
	/* an unknown code is an internal error, never success or another class */
	assert_int_equal(six_exit_code(-99), 70);
	assert_string_equal(six_err_class(-99), "internal");
	assert_int_equal(six_exit_code(12345), 70);
	/* every code has a distinct status and word */
	static const int codes[] = {
		SIX_ERR_USAGE,	   SIX_ERR_INPUT,     SIX_ERR_NOINPUT,	 SIX_ERR_NOKEY,
		SIX_ERR_EXISTS,	   SIX_ERR_KEY,	      SIX_ERR_INTERNAL,	 SIX_ERR_CREATE,
		SIX_ERR_IO,	   SIX_ERR_TEMP,      SIX_ERR_CONFIG,	 SIX_ERR_LOST,
		SIX_ERR_DECRYPT,   SIX_ERR_SIGNATURE, SIX_ERR_SENDER,	 SIX_ERR_MANIFEST,
		SIX_ERR_BINDING,   SIX_ERR_FRESHNESS, SIX_ERR_REPLAY,	 SIX_ERR_CONTENT,
		SIX_ERR_UNSAFE,	   SIX_ERR_LIMIT,
	};
	size_t n = sizeof codes / sizeof codes[0];
	for (size_t i = 0; i < n; i++) {
		assert_true(six_exit_code(codes[i]) > 0);
		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(six_exit_code(codes[i]), six_exit_code(codes[j]));
			assert_string_not_equal(six_err_class(codes[i]), six_err_class(codes[j]));
		}
	}
}

static void test_err_messages(void **state)
{
	(void)state;
	struct six_err e = {0};
	assert_int_equal(six_fail(&e, SIX_ERR_INPUT, "bad %s %d", "thing", 7), SIX_ERR_INPUT);
	assert_int_equal(e.code, SIX_ERR_INPUT);
	assert_string_equal(e.msg, "bad thing 7");
	errno = ENOENT;
	assert_int_equal(six_fail_errno(&e, SIX_ERR_NOINPUT, "open %s", "x"), SIX_ERR_NOINPUT);
	assert_string_equal(e.msg, "open x: No such file or directory");
	/* NULL is allowed: the code still comes back */
	assert_int_equal(six_fail(NULL, SIX_ERR_IO, "x"), SIX_ERR_IO);
	/* an over-long message is cut, still terminated */
	char big[2000];
	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	errno = EIO;
	six_fail_errno(&e, SIX_ERR_IO, "%s", big);
	assert_int_equal(strlen(e.msg), sizeof e.msg - 1);
}

/* hash.c: known answers (FIPS 180-2 examples), streaming, files from an offset. */
static void test_sha256(void **state)
{
	(void)state;
	struct six_err e;
	assert_int_equal(six_crypto_init(&e), 0);
	assert_int_equal(six_crypto_init(&e), 0); /* twice is harmless */
	uint8_t d[SIX_SHA256_LEN];
	char hex[SIX_SHA256_HEX + 1];
	six_sha256_buf("abc", 3, d);
	six_hex(d, sizeof d, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	six_sha256_buf("", 0, d);
	six_hex(d, sizeof d, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* a million 'a' fed in uneven pieces */
	struct six_sha256 h;
	assert_int_equal(six_sha256_init(&h, &e), 0);
	static char a[1000000];
	memset(a, 'a', sizeof a);
	size_t off = 0, step = 1;
	while (off < sizeof a) {
		size_t n = step < sizeof a - off ? step : sizeof a - off;
		six_sha256_update(&h, a + off, n);
		off += n;
		step = step * 3 + 1;
	}
	six_sha256_final_hex(&h, hex);
	assert_null(h.hd);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	assert_int_equal(six_sha256_init(&h, &e), 0);
	six_sha256_abort(&h);
	six_sha256_abort(&h);
	/* a file from its current offset */
	char path[] = "/tmp/six-ut-hash.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, "xxabc", 5), 5);
	assert_int_equal(lseek(fd, 2, SEEK_SET), 2);
	uint64_t size = 0;
	assert_int_equal(six_sha256_fd(fd, hex, &size, &e), 0);
	assert_true(size == 3);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	close(fd);
	assert_int_equal(six_sha256_fd(fd, hex, NULL, &e), SIX_ERR_IO);
}

/* progress.c: silent unless stderr is a terminal, and the counters still count. */
static void test_progress(void **state)
{
	(void)state;
	struct six_progress p;
	six_progress_start(&p, "x", 100, 0);
	assert_int_equal(p.on, isatty(2));
	six_progress_add(&p, 60);
	six_progress_add(&p, 40);
	assert_true(p.done == 100);
	six_progress_end(&p);
	assert_int_equal(p.on, 0);
	six_progress_start(&p, "x", 10, 1000); /* too small to be worth a meter */
	assert_int_equal(p.on, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_known), cmocka_unit_test(test_time_roundtrip),
		cmocka_unit_test(test_time_rejects), cmocka_unit_test(test_date),
		cmocka_unit_test(test_hex),	   cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_party),	   cmocka_unit_test(test_random),
		cmocka_unit_test(test_err_table),  cmocka_unit_test(test_err_messages),
		cmocka_unit_test(test_sha256),	   cmocka_unit_test(test_progress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
