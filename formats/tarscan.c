/* The tar structure auditor: see tarscan.h and formats/bundle.md section 3. */
#include "tarscan.h"

#include <string.h>

#include "path.h"

enum { SCAN_HEADER, SCAN_PAX, SCAN_END, SCAN_TYPED, SCAN_REFUSED };

/* ustar header fields: offset and length */
#define SIZE_OFF 124
#define SIZE_LEN 12
#define SUM_OFF 148
#define SUM_LEN 8
#define TYPE_OFF 156
/* libarchive holds sizes as int64: anything larger, rounded up to a block, is refused
 * so the arithmetic below cannot wrap and the two readers cannot disagree */
#define SCAN_SIZE_MAX ((uint64_t)INT64_MAX - (SIX_TAR_BLOCK - 1))

static uint64_t round_up(uint64_t n)
{
	return (n + (SIX_TAR_BLOCK - 1)) & ~(uint64_t)(SIX_TAR_BLOCK - 1);
}

void six_tarscan_init(struct six_tarscan *s)
{
	memset(s, 0, offsetof(struct six_tarscan, hdr));
	s->state = SCAN_HEADER;
}

int six_tarscan_ended(const struct six_tarscan *s)
{
	return s->state == SCAN_END;
}

int six_tarscan_typed(const struct six_tarscan *s)
{
	return s->state == SCAN_TYPED;
}

/* An octal field as ustar writers make it: optional leading spaces, at least one digit,
 * then only NULs or spaces. Stricter than libarchive, never laxer: whatever passes
 * here, libarchive reads as the same number. */
static int octal(const uint8_t *f, size_t len, uint64_t *out)
{
	size_t i = 0, digits = 0;
	uint64_t v = 0;
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++)
		v = v << 3 | (uint64_t)(f[i] - '0'); /* at most 12 digits: 36 bits */
	for (; i < len; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return -1;
	*out = v;
	return digits > 0 ? 0 : -1;
}

/* The size field: octal, or base-256 (GNU, star) when the first byte's high bit is
 * set; a negative base-256 value (0x40 bit) or one past SCAN_SIZE_MAX is refused. */
static int field_size(const uint8_t *f, uint64_t *out)
{
	if (!(f[0] & 0x80))
		return octal(f, SIZE_LEN, out) < 0 || *out > SCAN_SIZE_MAX ? -1 : 0;
	if (f[0] & 0x40)
		return -1;
	uint64_t v = f[0] & 0x3f;
	for (size_t i = 1; i < SIZE_LEN; i++) {
		if (v > SCAN_SIZE_MAX >> 8)
			return -1;
		v = v << 8 | f[i];
	}
	*out = v;
	return v > SCAN_SIZE_MAX ? -1 : 0;
}

/* The header checksum: the unsigned byte sum with the checksum field read as spaces.
 * A damaged header is where two tar readers start to disagree: refuse it. */
static int checksum_ok(const uint8_t *h)
{
	uint64_t want, sum = 8 * ' ';
	if (octal(h + SUM_OFF, SUM_LEN, &want) < 0)
		return 0;
	for (size_t i = 0; i < SIX_TAR_BLOCK; i++)
		if (i < SUM_OFF || i >= SUM_OFF + SUM_LEN)
			sum += h[i];
	return sum == want;
}

static int is_zero(const uint8_t *h)
{
	for (size_t i = 0; i < SIX_TAR_BLOCK; i++)
		if (h[i])
			return 0;
	return 1;
}

/* A pax `size` value: decimal, no sign, no leading zero, no overflow. */
static int pax_decimal(const uint8_t *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	if (n == 0 || (v[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (SCAN_SIZE_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/* The keywords bundle v1 allows (formats/bundle.md 3); values of all but path and size
 * are ignored. Anything else (linkpath, hdrcharset, SCHILY.*, LIBARCHIVE.*, GNU.sparse.*,
 * xattrs, ACLs) would make libarchive build something other than a plain file, or is a
 * sign the archive was not made by a bundle writer. */
static const char *const pax_allowed[] = {"path", "size", "mtime", "atime", "ctime",
					  "uid", "gid", "uname", "gname"};
enum { PAX_PATH, PAX_SIZE };

/* What a refused keyword would have meant, for the operator reading the refusal. */
static const char *pax_meaning(const uint8_t *key, size_t klen)
{
	static const struct {
		const char *prefix, *meaning;
	} known[] = {{"linkpath", ": a link target"},
		     {"hdrcharset", ": names are UTF-8"},
		     {"SCHILY.xattr.", ": extended attributes"},
		     {"LIBARCHIVE.xattr.", ": extended attributes"},
		     {"SCHILY.acl.", ": ACLs"},
		     {"GNU.sparse.", ": a sparse file"}};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		size_t n = strlen(known[i].prefix);
		if (klen >= n && memcmp(key, known[i].prefix, n) == 0)
			return known[i].meaning;
	}
	return "";
}

static int pax_keyword(struct six_tarscan *s, const uint8_t *key, size_t klen,
		       const uint8_t *val, size_t vlen, unsigned *seen, struct six_err *err)
{
	size_t k = 0, n = sizeof pax_allowed / sizeof pax_allowed[0];
	while (k < n && !(strlen(pax_allowed[k]) == klen && memcmp(pax_allowed[k], key, klen) == 0))
		k++;
	if (k == n) {
		char shown[64]; /* hostile bytes: printable ASCII only on a terminal */
		size_t i = 0;
		for (; i < klen && i + 1 < sizeof shown; i++)
			shown[i] = key[i] >= 0x20 && key[i] <= 0x7e ? (char)key[i] : '?';
		shown[i] = '\0';
		return six_fail(err, SIX_ERR_UNSAFE, "pax keyword '%s' not allowed%s", shown,
				pax_meaning(key, klen));
	}
	/* one meaning per header: libarchive would silently take the last */
	if (*seen & (1u << k))
		return six_fail(err, SIX_ERR_UNSAFE, "pax keyword '%s' twice", pax_allowed[k]);
	*seen |= 1u << k;
	if (memchr(val, '\0', vlen))
		return six_fail(err, SIX_ERR_UNSAFE, "NUL in the value of pax keyword '%s'",
				pax_allowed[k]);
	if (k == PAX_PATH && !six_utf8_valid((const char *)val, vlen))
		return six_fail(err, SIX_ERR_UNSAFE, "pax path is not UTF-8");
	if (k == PAX_SIZE) {
		/* the next member's data length: follow it exactly as libarchive will */
		if (pax_decimal(val, vlen, &s->pax_size) < 0)
			return six_fail(err, SIX_ERR_UNSAFE, "bad pax size value");
		s->has_size = 1;
	}
	return 0;
}

/* Every record "LEN KEY=VALUE\n": LEN decimal without leading zero, counting the whole
 * record; the records fill the data exactly. */
static int pax_records(struct six_tarscan *s, struct six_err *err)
{
	const uint8_t *p = s->pax, *end = s->pax + s->pax_len;
	unsigned seen = 0;
	while (p < end) {
		size_t avail = (size_t)(end - p), len = 0, i = 0;
		for (; i < avail && p[i] >= '0' && p[i] <= '9' && len <= avail; i++)
			len = len * 10 + (size_t)(p[i] - '0');
		if (i == 0 || p[0] == '0' || i == avail || p[i] != ' ' || len > avail ||
		    len < i + 3 || p[len - 1] != '\n')
			return six_fail(err, SIX_ERR_UNSAFE, "malformed pax record");
		const uint8_t *key = p + i + 1, *rec_end = p + len - 1;
		const uint8_t *eq = memchr(key, '=', (size_t)(rec_end - key));
		if (!eq)
			return six_fail(err, SIX_ERR_UNSAFE, "malformed pax record (no '=')");
		int rc = pax_keyword(s, key, (size_t)(eq - key), eq + 1, (size_t)(rec_end - eq - 1),
				     &seen, err);
		if (rc < 0)
			return rc;
		p += len;
	}
	return 0;
}

/* The pax data is whole: check it, then pass over its padding. */
static int pax_end(struct six_tarscan *s, struct six_err *err)
{
	int rc = pax_records(s, err);
	s->state = SCAN_HEADER;
	s->skip = round_up(s->pax_len) - s->pax_len;
	return rc;
}

static int bad_type(uint8_t t, struct six_err *err)
{
	/* each would have libarchive act on something a bundle never holds: settings for
	 * every later member (g), a name or link target from a data record (L, K), a
	 * sparse file, a vendor extension, or (unknown types) a file it silently makes
	 * regular */
	if (t == 'g')
		return six_fail(err, SIX_ERR_UNSAFE, "global pax header (typeflag g) in the archive");
	if (t == 'L' || t == 'K')
		return six_fail(err, SIX_ERR_UNSAFE, "GNU long %s record (typeflag %c) in the archive",
				t == 'L' ? "name" : "link name", t);
	if (t > 0x20 && t < 0x7f)
		return six_fail(err, SIX_ERR_UNSAFE, "member of typeflag '%c': only regular files",
				t);
	return six_fail(err, SIX_ERR_UNSAFE, "member of typeflag 0x%02x: only regular files", t);
}

static int header(struct six_tarscan *s, struct six_err *err)
{
	const uint8_t *h = s->hdr;
	uint64_t size;
	if (is_zero(h)) {
		if (s->after_pax)
			return six_fail(err, SIX_ERR_UNSAFE, "pax header not followed by a file");
		s->state = SCAN_END;
		return 0;
	}
	if (!checksum_ok(h))
		return six_fail(err, SIX_ERR_UNSAFE, "tar header checksum mismatch");
	if (field_size(h + SIZE_OFF, &size) < 0)
		return six_fail(err, SIX_ERR_UNSAFE, "bad size field in a tar header");
	uint8_t t = h[TYPE_OFF];
	if (t >= '1' && t <= '7') {
		/* a link, device, directory or FIFO: libarchive types it and the caller
		 * refuses it at its header with its name (a link as SIX-MANIFEST is a
		 * manifest refusal: formats/bundle.md, checks on receipt, 3), so the audit ends here instead of
		 * guessing how much data each reader would skip after it */
		s->state = SCAN_TYPED;
		return 0;
	}
	if (t == '0' || t == '\0') {
		s->skip = round_up(s->has_size ? s->pax_size : size);
		s->has_size = s->after_pax = 0;
		return 0;
	}
	if (t != 'x')
		return bad_type(t, err);
	if (s->after_pax)
		return six_fail(err, SIX_ERR_UNSAFE, "two pax headers in a row");
	if (size > SIX_TARSCAN_PAX_MAX)
		return six_fail(err, SIX_ERR_LIMIT, "pax header larger than %u bytes",
				SIX_TARSCAN_PAX_MAX);
	s->after_pax = 1;
	s->pax_len = (uint32_t)size;
	s->pax_have = 0;
	s->state = SCAN_PAX;
	return size == 0 ? pax_end(s, err) : 0;
}

static size_t min_size(uint64_t a, size_t b)
{
	return a < b ? (size_t)a : b;
}

int six_tarscan_feed(struct six_tarscan *s, const void *buf, size_t n, struct six_err *err)
{
	const uint8_t *p = buf;
	if (s->state == SCAN_REFUSED) {
		*err = s->verdict;
		return err->code;
	}
	while (n > 0 && (s->state == SCAN_HEADER || s->state == SCAN_PAX)) {
		size_t k;
		int rc = 0;
		if (s->skip > 0) { /* member data: passed over by arithmetic, never read */
			k = min_size(s->skip, n);
			s->skip -= k;
		} else if (s->state == SCAN_PAX) {
			k = min_size(s->pax_len - s->pax_have, n);
			memcpy(s->pax + s->pax_have, p, k);
			s->pax_have += (uint32_t)k;
			if (s->pax_have == s->pax_len)
				rc = pax_end(s, err);
		} else {
			k = min_size(SIX_TAR_BLOCK - s->have, n);
			memcpy(s->hdr + s->have, p, k);
			s->have += (uint32_t)k;
			if (s->have == SIX_TAR_BLOCK) {
				s->have = 0;
				rc = header(s, err);
			}
		}
		if (rc < 0) {
			s->verdict = *err;
			s->state = SCAN_REFUSED;
			return rc;
		}
		p += k;
		n -= k;
	}
	return 0;
}
