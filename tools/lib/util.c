#include "util.h"

#include "six_limits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void six_time_format(time_t t, char *buf)
{
	struct tm tm;
	/* a time_t outside years 0..9999 (from a hostile field) would leave buf undefined:
	 * write a fixed string that six_time_parse refuses instead */
	if (!gmtime_r(&t, &tm) || strftime(buf, SIX_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) !=
					      SIX_TIME_LEN)
		memcpy(buf, "0000-00-00T00:00:00Z", SIX_TIME_LEN + 1);
}

static int digits(const char *s, size_t n, int *v)
{
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d[m - 1] + (m == 2 && leap);
}

static int parse_fields(const char *s, int *y, int *mo, int *d)
{
	if (s[4] != '-' || s[7] != '-' || digits(s, 4, y) || digits(s + 5, 2, mo) ||
	    digits(s + 8, 2, d))
		return -1;
	if (*y < 1970 || *mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo))
		return -1;
	return 0;
}

int six_time_parse(const char *s, size_t len, time_t *t)
{
	int y, mo, d, h, mi, se;
	/* seconds stop at 59: SIX never writes a leap second, and one spelling per
	 * instant keeps format(parse(s)) == s for every accepted s */
	if (len != SIX_TIME_LEN || parse_fields(s, &y, &mo, &d) || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z' || digits(s + 11, 2, &h) ||
	    digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) || h > 23 || mi > 59 || se > 59)
		return -1;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = se};
	*t = timegm(&tm);
	return 0;
}

int six_date_parse(const char *s, size_t len, time_t *t)
{
	int y, mo, d;
	if (len != 10 || parse_fields(s, &y, &mo, &d))
		return -1;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d};
	*t = timegm(&tm);
	return 0;
}

void six_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digit[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digit[in[i] >> 4];
		out[2 * i + 1] = digit[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int six_is_hex(const char *s, size_t len, char letter_case)
{
	char lo = letter_case == 'A' ? 'A' : 'a';
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= lo && c <= lo + 5)))
			return 0;
	}
	return 1;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int six_unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int six_random(void *buf, size_t n)
{
	char *p = buf;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int six_parse_u64(const char *s, size_t len, uint64_t *v)
{
	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned dgt = (unsigned)(s[i] - '0');
		if (x > (UINT64_MAX - dgt) / 10)
			return -1;
		x = x * 10 + dgt;
	}
	*v = x;
	return 0;
}

int six_party_valid(const char *s)
{
	if (strcmp(s, "OPCW") == 0)
		return 1;
	for (int i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return s[3] == '\0';
}

int six_token_valid(const char *s, size_t len)
{
	if (len == 0 || len > SIX_TOKEN_MAX || s[0] == ' ' || s[len - 1] == ' ')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == ' '))
			return 0;
	}
	return 1;
}
