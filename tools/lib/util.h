/* Small shared helpers: UTC timestamps, hex, randomness. */
#ifndef SIX_UTIL_H
#define SIX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SIX_TIME_LEN 20 /* "2026-12-04T15:18:22Z" */

/* Format t as RFC 3339 UTC with a 'Z' into buf (at least SIX_TIME_LEN + 1 bytes). */
void six_time_format(time_t t, char *buf);
/* Parse exactly "YYYY-MM-DDTHH:MM:SSZ" (the only form SIX writes); 0 or -1. */
int six_time_parse(const char *s, size_t len, time_t *t);
/* Parse exactly "YYYY-MM-DD" as 00:00:00 UTC of that day; 0 or -1. */
int six_date_parse(const char *s, size_t len, time_t *t);

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void six_hex(const uint8_t *in, size_t n, char *out);
/* 1 if s[0..len) is all hex digits of the given case ('a' lower, 'A' upper). */
int six_is_hex(const char *s, size_t len, char letter_case);
/* Decode 2n hex digits into out[n]; 0 or -1. */
int six_unhex(const char *s, size_t n, uint8_t *out);

/* n bytes from the kernel's CSPRNG (getrandom); 0 or -1 and errno. */
int six_random(void *buf, size_t n);

/* Parse a decimal unsigned integer that is all of s[0..len) (no sign, no spaces, no
 * leading zeros unless "0"); 0 or -1 on junk or overflow. */
int six_parse_u64(const char *s, size_t len, uint64_t *v);

/* 1 if s[0..len) is a Doc-Type or Classification token: 1 to SIX_TOKEN_MAX bytes of
 * [A-Za-z0-9_-] and inner spaces (six.conf, the registry and the manifest agree). */
int six_token_valid(const char *s, size_t len);

/* 1 if s is a party code: ISO 3166 alpha-3 (three upper-case letters) or "OPCW". */
int six_party_valid(const char *s);

#endif
