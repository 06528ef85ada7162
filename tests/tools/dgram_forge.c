/* dgram_forge: hostile six-xferd datagrams for the tests.
 *
 *   dgram_forge write DIR            write the hostile corpus (tests/hostile/datagrams)
 *   dgram_forge send HOST:PORT FILE… send each file as one UDP datagram
 *
 * Corpus names say what must happen: reject-WORD-*.bin must be refused by the parser
 * with reason WORD (six_dgram_reject_word); state-*.bin parse, and the receiver must
 * refuse or accept them by what it already holds (see tests/cli/xferd_hostile.sh).
 * The bytes are packed here by hand, not with formats/datagram.c, so that every field
 * can be wrong. */
#include <isa-l/crc.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "hash.h"

#define SESSION 0x5158a11ce0ddba11ull

struct dg {
	uint8_t b[10000];
	size_t n;
};

static void u8(struct dg *d, uint8_t v) { d->b[d->n++] = v; }
static void u16(struct dg *d, uint16_t v) { six_put_u16(d->b + d->n, v), d->n += 2; }
static void u32(struct dg *d, uint32_t v) { six_put_u32(d->b + d->n, v), d->n += 4; }
static void u64(struct dg *d, uint64_t v) { six_put_u64(d->b + d->n, v), d->n += 8; }
static void raw(struct dg *d, const void *p, size_t n) { memcpy(d->b + d->n, p, n), d->n += n; }

static void hdr(struct dg *d, uint8_t type)
{
	d->n = 0;
	u32(d, 0x53495844u);
	u8(d, 1);
	u8(d, type);
	u16(d, 0);
	u64(d, SESSION);
}

static void crc(struct dg *d)
{
	u32(d, ~crc32_iscsi(d->b, (int)d->n, 0xFFFFFFFFu));
}

static void geom(struct dg *d, uint32_t file, uint64_t size, uint16_t sym, uint16_t k,
		 uint16_t m)
{
	u32(d, file);
	u64(d, size);
	u16(d, sym);
	u16(d, k);
	u16(d, m);
}

static void meta(struct dg *d, uint32_t file, uint64_t size, uint16_t k, uint16_t m,
		 const uint8_t sha[32], const char *name, size_t nl)
{
	hdr(d, 1);
	geom(d, file, size, 128, k, m);
	raw(d, sha, 32);
	u16(d, (uint16_t)nl);
	raw(d, name, nl);
	crc(d);
}

static void sym(struct dg *d, uint8_t type, uint32_t file, uint64_t size, uint16_t k,
		uint16_t m, uint32_t group, uint16_t index, uint8_t fill)
{
	hdr(d, type);
	geom(d, file, size, 128, k, m);
	u32(d, group);
	u16(d, index);
	memset(d->b + d->n, fill, 128);
	if (size < 128)
		memset(d->b + d->n + size, 0, 128 - size); /* zero padding */
	d->n += 128;
	crc(d);
}

static void hb(struct dg *d, uint32_t ann, uint32_t cur, uint32_t done, uint16_t pass,
	       uint16_t passes)
{
	hdr(d, 4);
	u32(d, ann);
	u32(d, cur);
	u32(d, done);
	u16(d, pass);
	u16(d, passes);
	u64(d, 1);
	crc(d);
}

static int out(const char *dir, const char *name, const struct dg *d)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.bin", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(d->b, 1, d->n, f) != d->n || fclose(f) != 0)
		return -1;
	return 0;
}

static int write_rejects(const char *dir)
{
	struct dg d;
	uint8_t sha[32] = {0};
	int rc = 0;
	memset(&d, 0, sizeof d);
	d.n = 10;
	rc |= out(dir, "reject-short-10-bytes", &d);
	meta(&d, 1, 100, 1, 0, sha, "a.six", 5);
	d.b[0] = 'X';
	rc |= out(dir, "reject-magic-wrong", &d);
	meta(&d, 1, 100, 1, 0, sha, "a.six", 5);
	d.b[4] = 2;
	rc |= out(dir, "reject-version-2", &d);
	meta(&d, 1, 100, 1, 0, sha, "a.six", 5);
	d.b[20] ^= 0x40;
	rc |= out(dir, "reject-crc-flipped-bit", &d);
	hdr(&d, 9), u64(&d, 0), crc(&d);
	rc |= out(dir, "reject-type-unknown", &d);
	hdr(&d, 4), d.b[7] = 1, u64(&d, 0), u64(&d, 0), u64(&d, 0), crc(&d);
	rc |= out(dir, "reject-type-flags-set", &d);
	hdr(&d, 1), u32(&d, 1), u32(&d, 0), crc(&d);
	rc |= out(dir, "reject-length-meta-truncated", &d);
	hb(&d, 1, 1, 0, 1, 3);
	d.n -= 4, u8(&d, 0), crc(&d);
	rc |= out(dir, "reject-length-trailing-byte", &d);
	hdr(&d, 1), geom(&d, 1, 100, 128, 1, 0), raw(&d, sha, 32), u16(&d, 300);
	raw(&d, "a.six", 5), crc(&d);
	rc |= out(dir, "reject-length-name-longer-than-datagram", &d);
	memset(&d, 0, sizeof d);
	d.n = 9300;
	rc |= out(dir, "reject-length-oversized", &d);
	meta(&d, 1, 100, 0, 0, sha, "a.six", 5);
	rc |= out(dir, "reject-range-k-zero", &d);
	meta(&d, 1, 100, 200, 0, sha, "a.six", 5);
	rc |= out(dir, "reject-range-k-200", &d);
	meta(&d, 1, 100, 1, 200, sha, "a.six", 5);
	rc |= out(dir, "reject-range-m-200", &d);
	meta(&d, 1, 1ull << 40, 64, 16, sha, "a.six", 5);
	rc |= out(dir, "reject-range-size-1tib", &d);
	hdr(&d, 1), geom(&d, 1, 15ull << 30, 64, 1, 0), raw(&d, sha, 32), u16(&d, 5);
	raw(&d, "a.six", 5), crc(&d);
	rc |= out(dir, "reject-range-too-many-groups", &d);
	meta(&d, 0, 100, 1, 0, sha, "a.six", 5);
	rc |= out(dir, "reject-range-file-zero", &d);
	sym(&d, 2, 1, 100, 1, 0, 1, 0, 'x');
	rc |= out(dir, "reject-range-group-past-end", &d);
	sym(&d, 2, 1, 700, 4, 2, 1, 3, 'x'); /* 6 symbols: group 1 holds 2 */
	rc |= out(dir, "reject-range-index-past-short-group", &d);
	sym(&d, 3, 1, 1000, 4, 2, 0, 2, 'x');
	rc |= out(dir, "reject-range-parity-index-m", &d);
	sym(&d, 2, 1, 100, 1, 0, 0, 0, 'x');
	d.n -= 4 + 28, crc(&d);
	rc |= out(dir, "reject-range-symbol-shorter-than-sym", &d);
	hb(&d, 1, 2, 0, 1, 3);
	rc |= out(dir, "reject-range-heartbeat-current-past-announced", &d);
	hb(&d, 1, 1, 0, 4, 3);
	rc |= out(dir, "reject-range-heartbeat-pass-past-passes", &d);
	hdr(&d, 4), memset(d.b + 8, 0, 8), u32(&d, 1), u32(&d, 1), u32(&d, 0), u16(&d, 1);
	u16(&d, 3), u64(&d, 1), crc(&d);
	rc |= out(dir, "reject-range-session-zero", &d);
	hdr(&d, 5), u16(&d, 3), u16(&d, 3), u32(&d, 1), u32(&d, 2), u32(&d, 1), crc(&d);
	rc |= out(dir, "reject-range-end-last-pass-not-done", &d);
	static const struct {
		const char *file, *name;
		size_t n;
	} names[] = {
		{"reject-name-slash", "../../etc/passwd", 16},
		{"reject-name-dot", ".hidden", 7},
		{"reject-name-dotdot", "..", 2},
		{"reject-name-control", "a\nb.six", 7},
		{"reject-name-nul", "a\0b.six", 7},
		{"reject-name-bad-utf8", "a\xc0\xaf.six", 7},
		{"reject-name-empty", "", 0},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		meta(&d, 1, 100, 1, 0, sha, names[i].name, names[i].n);
		rc |= out(dir, names[i].file, &d);
	}
	return rc;
}

/* Stateful cases, session SESSION: file 1 "forged-a.six" (100 bytes of 'a') arrives
 * complete in one symbol; conflicting records about it are refused; file 2 announces a
 * digest its data does not match. */
static int write_states(const char *dir)
{
	struct dg d;
	uint8_t content[100], sha[32], wrong[32] = {0};
	int rc = 0;
	memset(content, 'a', sizeof content);
	six_sha256_buf(content, sizeof content, sha);
	meta(&d, 1, 100, 1, 0, sha, "forged-a.six", 12);
	rc |= out(dir, "state-1-meta-a", &d);
	meta(&d, 1, 200, 1, 0, sha, "forged-a.six", 12);
	rc |= out(dir, "state-2-conflict-size", &d);
	meta(&d, 1, 100, 1, 0, sha, "forged-x.six", 12);
	rc |= out(dir, "state-3-conflict-name", &d);
	meta(&d, 1, 100, 1, 0, wrong, "forged-a.six", 12);
	rc |= out(dir, "state-4-conflict-sha", &d);
	sym(&d, 2, 1, 100, 2, 0, 0, 0, 'a');
	rc |= out(dir, "state-5-conflict-geometry", &d);
	sym(&d, 2, 1, 100, 1, 0, 0, 0, 'a');
	rc |= out(dir, "state-6-data-a", &d);
	meta(&d, 2, 100, 1, 0, wrong, "forged-b.six", 12);
	rc |= out(dir, "state-7-meta-b-wrong-sha", &d);
	sym(&d, 2, 2, 100, 1, 0, 0, 0, 'b');
	rc |= out(dir, "state-8-data-b", &d);
	/* a forged sender claiming four billion finished files */
	hb(&d, 0xfffffff0u, 0, 0xfffffff0u, 0, 3);
	rc |= out(dir, "state-9-heartbeat-four-billion-done", &d);
	return rc;
}

static int send_files(const char *to, char **files, int n)
{
	char host[256];
	const char *c = strrchr(to, ':');
	if (!c || (size_t)(c - to) >= sizeof host)
		return 64;
	memcpy(host, to, (size_t)(c - to));
	host[c - to] = 0;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res;
	if (getaddrinfo(host, c + 1, &hints, &res) != 0)
		return 64;
	int s = socket(res->ai_family, SOCK_DGRAM, 0);
	static uint8_t buf[65536];
	for (int i = 0; i < n; i++) {
		FILE *f = fopen(files[i], "rb");
		size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
		if (f)
			fclose(f);
		sendto(s, buf, len, 0, res->ai_addr, res->ai_addrlen);
		struct timespec ts = {0, 2000000}; /* in order, not in one burst */
		nanosleep(&ts, NULL);
	}
	freeaddrinfo(res);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "write"))
		return write_rejects(argv[2]) | write_states(argv[2]) ? 73 : 0;
	if (argc >= 3 && !strcmp(argv[1], "send"))
		return send_files(argv[2], argv + 3, argc - 3);
	fputs("usage: dgram_forge write DIR | dgram_forge send HOST:PORT FILE...\n", stderr);
	return 64;
}
