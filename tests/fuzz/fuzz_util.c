/* libFuzzer harness for the small parsers of tools/lib that hostile fields reach:
 * six_time_parse / six_date_parse (a manifest's Created, a registry's expiry),
 * six_parse_u64 (Sequence, sizes), six_json_escape (audit values from bundles) and the
 * bounded reader (buf.c). Invariants: an accepted time formats back to the same text;
 * six_parse_u64 agrees with a plain reference; escaped JSON is UTF-8 with no raw
 * control byte and no unescaped quote; the reader never hands out bytes past the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "path.h"
#include "util.h"

#define CHECK(cond)                                                                       \
	do {                                                                               \
		if (!(cond))                                                               \
			abort();                                                           \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_time(const char *s, size_t n)
{
	time_t t;
	if (six_time_parse(s, n, &t) == 0) {
		char back[SIX_TIME_LEN + 1];
		six_time_format(t, back);
		CHECK(n == SIX_TIME_LEN && memcmp(back, s, n) == 0);
	}
	if (six_date_parse(s, n, &t) == 0) {
		char back[SIX_TIME_LEN + 1];
		six_time_format(t, back);
		CHECK(n == 10 && memcmp(back, s, 10) == 0 && memcmp(back + 10, "T00:00:00Z", 10) == 0);
	}
}

/* Reference: all digits, no leading zero, value fits in 64 bits. */
static void check_u64(const char *s, size_t n)
{
	uint64_t v = 0, ref = 0;
	int ok = n > 0 && n <= 20 && !(n > 1 && s[0] == '0');
	for (size_t i = 0; ok && i < n; i++) {
		ok = s[i] >= '0' && s[i] <= '9';
		unsigned d = (unsigned)(s[i] - '0');
		if (ok && __builtin_mul_overflow(ref, 10, &ref))
			ok = 0;
		if (ok && __builtin_add_overflow(ref, d, &ref))
			ok = 0;
	}
	int rc = six_parse_u64(s, n, &v);
	CHECK((rc == 0) == ok);
	CHECK(rc != 0 || v == ref);
}

static void check_json(const char *s)
{
	char out[4096];
	if (six_json_escape(s, out, sizeof out) < 0)
		return;
	size_t n = strlen(out);
	CHECK(six_utf8_valid(out, n)); /* also: no C1 control left raw */
	for (size_t i = 0; i < n; i++) {
		CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
		if (out[i] == '\\') {
			i++; /* an escape: the next byte is its letter */
			CHECK(i < n && strchr("\"\\u", out[i]) != NULL);
		} else {
			CHECK(out[i] != '"');
		}
	}
}

static void check_buf(const uint8_t *data, size_t size)
{
	struct six_buf b;
	six_buf_init(&b, data, size);
	/* drive the getters by the input's own bytes */
	for (size_t steps = 0; steps < 64 && six_buf_left(&b) > 0; steps++) {
		size_t before = six_buf_left(&b);
		uint8_t op;
		CHECK(six_buf_get_u8(&b, &op) == 0);
		const uint8_t *p;
		const char *line;
		size_t len;
		uint32_t v32;
		uint64_t v64;
		switch (op % 4) {
		case 0:
			if (six_buf_get_bytes(&b, &p, op) == 0)
				CHECK(p >= data && p + op <= data + size);
			break;
		case 1:
			if (six_buf_get_line(&b, &line, &len) == 0)
				CHECK((const uint8_t *)line + len < data + size && line[len] == '\n');
			break;
		case 2:
			(void)six_buf_get_u32(&b, &v32);
			break;
		default:
			(void)six_buf_get_u64(&b, &v64);
		}
		CHECK(six_buf_left(&b) < before && b.off <= b.len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	check_time(s, size);
	check_u64(s, size);
	check_buf(data, size);
	char *z = malloc(size + 1);
	CHECK(z != NULL);
	memcpy(z, data, size);
	z[size] = '\0';
	check_json(z);
	free(z);
	return 0;
}
