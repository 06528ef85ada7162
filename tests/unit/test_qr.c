/* QR drawing (tools/lib/qr.c): each output format is decoded back into modules and
 * compared with the symbol libqrencode made; the PNG's chunks and CRCs are checked
 * the way a PNG reader would. (tests/cli/media.sh proves a real reader, zbarimg,
 * scans the PNG.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fsutil.h"
#include "qr.h"

static const char payload[] =
	"SIX-MEDIA:1:3:8de622ec49f98501383a2fde0e8c449c0ca2c73d96d3270b2239d4585d78f373";

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void encode(struct six_qr *qr)
{
	struct six_err err = {0};
	assert_int_equal(six_qr_encode(payload, strlen(payload), SIX_QR_ECC_M, qr, &err), 0);
	assert_true(qr->width >= 21 && (qr->width - 17) % 4 == 0);
	/* the finder pattern's corner is dark, the separator beside it light */
	assert_int_equal(qr->dark[0], 1);
	assert_int_equal(qr->dark[7], 0);
}

/* Module (x, y) with a quiet border of q: what the outputs must show. */
static int want(const struct six_qr *qr, int q, int x, int y)
{
	x -= q, y -= q;
	return x >= 0 && y >= 0 && x < qr->width && y < qr->width ? qr->dark[y * qr->width + x]
								  : 0;
}

static void png(void **state)
{
	(void)state;
	struct six_qr qr;
	struct six_err err = {0};
	uint8_t *p;
	size_t len;
	const int scale = 3, q = 4;
	encode(&qr);
	assert_int_equal(six_qr_png(&qr, scale, q, &p, &len, &err), 0);
	assert_memory_equal(p, "\x89PNG\r\n\x1a\n", 8);
	uint32_t px = (uint32_t)(qr.width + 2 * q) * scale;
	const char *order[] = {"IHDR", "IDAT", "IEND"};
	size_t off = 8, rowlen = 1 + (px + 7) / 8;
	uLongf rawlen = px * rowlen;
	uint8_t *raw = malloc(rawlen);
	for (int c = 0; c < 3; c++) {
		assert_true(off + 12 <= len);
		uint32_t n = be32(p + off);
		assert_true(off + 12 + n <= len);
		assert_memory_equal(p + off + 4, order[c], 4);
		assert_int_equal(be32(p + off + 8 + n), crc32(0, p + off + 4, n + 4));
		if (c == 0) {
			assert_int_equal(n, 13);
			assert_int_equal(be32(p + off + 8), px);
			assert_int_equal(be32(p + off + 12), px);
			assert_memory_equal(p + off + 16, "\x01\x00\x00\x00\x00", 5);
		} else if (c == 1) {
			uLongf got = rawlen;
			assert_int_equal(uncompress(raw, &got, p + off + 8, n), Z_OK);
			assert_int_equal(got, rawlen);
		}
		off += 12 + n;
	}
	assert_int_equal(off, len);
	for (uint32_t y = 0; y < px; y++) {
		assert_int_equal(raw[y * rowlen], 0); /* filter: None */
		for (uint32_t x = 0; x < px; x++) {
			int white = raw[y * rowlen + 1 + x / 8] >> (7 - x % 8) & 1;
			if (white == want(&qr, q, (int)(x / scale), (int)(y / scale)))
				fail_msg("pixel %u,%u", x, y);
		}
	}
	free(raw);
	free(p);
	assert_int_equal(six_qr_png(&qr, 0, q, &p, &len, &err), SIX_ERR_USAGE);
	six_qr_free(&qr);
}

/* Rebuild the modules from the path's "M x yhNv1h-Nz" runs. */
static void svg(void **state)
{
	(void)state;
	struct six_qr qr;
	struct six_err err = {0};
	char *s;
	size_t len;
	const int q = 4;
	encode(&qr);
	assert_int_equal(six_qr_svg(&qr, q, &s, &len, &err), 0);
	assert_int_equal(strlen(s), len);
	char view[64];
	snprintf(view, sizeof view, "viewBox=\"0 0 %d %d\"", qr.width + 2 * q, qr.width + 2 * q);
	assert_non_null(strstr(s, view));
	assert_non_null(strstr(s, "</svg>\n"));
	int n = qr.width + 2 * q;
	uint8_t *seen = calloc((size_t)n * n, 1);
	const char *d = strstr(s, " d=\"");
	assert_non_null(d);
	d += 4;
	int x, y, run, run2, used;
	while (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &used) == 4) {
		assert_int_equal(run, run2);
		assert_true(x >= q && y >= q && x + run <= q + qr.width && y < q + qr.width);
		for (int i = 0; i < run; i++)
			seen[y * n + x + i] = 1;
		d += used;
	}
	assert_memory_equal(d, "\"/>", 3);
	for (y = 0; y < n; y++)
		for (x = 0; x < n; x++)
			if (seen[y * n + x] != want(&qr, q, x, y))
				fail_msg("module %d,%d", x, y);
	free(seen);
	free(s);
	six_qr_free(&qr);
}

/* Each line: SGR black-on-white, half blocks, reset; two module rows per line. */
static void term(void **state)
{
	(void)state;
	struct six_qr qr;
	struct six_err err = {0};
	char *s;
	size_t len;
	const int q = 2;
	encode(&qr);
	assert_int_equal(six_qr_term(&qr, q, &s, &len, &err), 0);
	int side = qr.width + 2 * q, lines = 0;
	const char *p = s;
	for (int y = 0; y < side; y += 2, lines++) {
		assert_memory_equal(p, "\033[30;107m", 9);
		p += 9;
		for (int x = 0; x < side; x++) {
			int top, bottom;
			if (*p == ' ') {
				top = bottom = 0, p++;
			} else {
				assert_memory_equal(p, "\xe2\x96", 2);
				top = p[2] == '\x80' || p[2] == '\x88';
				bottom = p[2] == '\x84' || p[2] == '\x88';
				assert_true(top || bottom);
				p += 3;
			}
			if (top != want(&qr, q, x, y) || bottom != want(&qr, q, x, y + 1))
				fail_msg("cell %d,%d", x, y);
		}
		assert_memory_equal(p, "\033[0m\n", 5);
		p += 5;
	}
	assert_int_equal((size_t)(p - s), len);
	assert_int_equal(lines, (side + 1) / 2);
	free(s);
	six_qr_free(&qr);
}

static void too_big(void **state)
{
	(void)state;
	struct six_qr qr;
	struct six_err err = {0};
	size_t n = 3000; /* more than version 40 holds at level H (1273 bytes) */
	char *big = calloc(n, 1);
	assert_int_equal(six_qr_encode(big, n, SIX_QR_ECC_H, &qr, &err), SIX_ERR_LIMIT);
	assert_int_equal(six_qr_encode(big, 0, SIX_QR_ECC_H, &qr, &err), SIX_ERR_LIMIT);
	free(big);
}

/* Written by rename: a symbolic link planted at the target is replaced, not followed. */
static void write_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/six-qr.XXXXXX", path[128], victim[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/cover.PNG", dir);
	snprintf(victim, sizeof victim, "%s/victim", dir);
	int fd = open(victim, O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_int_equal(symlink(victim, path), 0);
	struct six_qr qr;
	struct six_err err = {0};
	encode(&qr);
	assert_int_equal(six_qr_write_file(&qr, path, &err), 0);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode) && st.st_size > 100);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 0);
	snprintf(path, sizeof path, "%s/cover.svg", dir);
	assert_int_equal(six_qr_write_file(&qr, path, &err), 0);
	snprintf(path, sizeof path, "%s/cover.jpg", dir);
	assert_int_equal(six_qr_write_file(&qr, path, &err), SIX_ERR_USAGE);
	snprintf(path, sizeof path, "%s/nodir/cover.svg", dir);
	assert_int_equal(six_qr_write_file(&qr, path, &err), SIX_ERR_NOINPUT);
	six_qr_free(&qr);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(png),	   cmocka_unit_test(svg),	cmocka_unit_test(term),
		cmocka_unit_test(too_big), cmocka_unit_test(write_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
