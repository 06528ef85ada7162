/* libFuzzer harness for tools/lib/path.c: six_path_check, six_name_check and
 * six_utf8_valid. Beyond "no crash", it asserts what an accepted path promises the
 * extractor (no absolute path, no "." / ".." / empty component, no control byte, the
 * length limits), and compares six_utf8_valid with an independent decoder written
 * from Unicode's table of well-formed byte sequences (Table 3-7). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "six_limits.h"

#define CHECK(cond)                                                                       \
	do {                                                                               \
		if (!(cond))                                                               \
			abort();                                                           \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the well-formed sequence at s[0..n), 0 if ill-formed (Table 3-7). */
static size_t wellformed(const uint8_t *s, size_t n)
{
	uint8_t b = s[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
	if (b <= 0x7f)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b == 0xe0)
		len = 3, lo = 0xa0;
	else if (b == 0xed)
		len = 3, hi = 0x9f;
	else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef)
		len = 3;
	else if (b == 0xf0)
		len = 4, lo = 0x90;
	else if (b >= 0xf1 && b <= 0xf3)
		len = 4;
	else if (b == 0xf4)
		len = 4, hi = 0x8f;
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Reference: well-formed UTF-8 without C1 controls (U+0080..U+009F = C2 80..C2 9F). */
static int ref_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t l = wellformed(s + i, n - i);
		if (l == 0 || (l == 2 && s[i] == 0xc2 && s[i + 1] <= 0x9f))
			return 0;
		i += l;
	}
	return 1;
}

static void check_accepted_path(const uint8_t *p, size_t n)
{
	CHECK(n >= 1 && n <= SIX_PATH_MAX);
	CHECK(p[0] != '/' && p[n - 1] != '/');
	CHECK(ref_valid(p, n));
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n) {
			CHECK(p[i] >= 0x20 && p[i] != 0x7f);
			if (p[i] != '/')
				continue;
		}
		size_t cl = i - start;
		CHECK(cl >= 1 && cl <= SIX_COMPONENT_MAX);
		CHECK(!(cl == 1 && p[start] == '.'));
		CHECK(!(cl == 2 && p[start] == '.' && p[start + 1] == '.'));
		start = i + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int valid = six_utf8_valid((const char *)data, size);
	CHECK(valid == 0 || valid == 1);
	CHECK(valid == ref_valid(data, size));

	struct six_err e;
	memset(&e, 0, sizeof e);
	int rc = six_path_check((const char *)data, size, &e);
	if (rc == 0)
		check_accepted_path(data, size);
	else
		CHECK(rc == SIX_ERR_UNSAFE && e.code == rc && memchr(e.msg, '\0', sizeof e.msg));

	/* the same bytes as a spool file name (a C string: up to the first NUL) */
	char *name = malloc(size + 1);
	CHECK(name != NULL);
	memcpy(name, data, size);
	name[size] = '\0';
	size_t nl = strlen(name);
	if (six_name_check(name, &e) == 0) {
		CHECK(nl >= 1 && nl <= SIX_SPOOL_NAME_MAX && name[0] != '.');
		CHECK(memchr(name, '/', nl) == NULL);
		/* a valid name is a valid one-component path */
		CHECK(six_path_check(name, nl, &e) == 0);
	}
	free(name);
	return 0;
}
