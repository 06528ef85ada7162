/* QR symbols with libqrencode, drawn as PNG (zlib), SVG and terminal text. */
#include "qr.h"

#include <errno.h>
#include <qrencode.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "fsutil.h"
#include "six_limits.h"

int six_qr_encode(const void *data, size_t len, enum six_qr_level level, struct six_qr *qr,
		  struct six_err *err)
{
	static const QRecLevel lv[] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
	qr->width = 0;
	qr->dark = NULL;
	if (len == 0 || len > 7089 || (unsigned)level > SIX_QR_ECC_H)
		return six_fail(err, SIX_ERR_LIMIT, "%zu bytes cannot make a QR code", len);
	/* version 0: the smallest symbol the data fits */
	QRcode *c = QRcode_encodeData((int)len, data, 0, lv[level]);
	if (!c)
		return errno == ERANGE ? six_fail(err, SIX_ERR_LIMIT,
						  "%zu bytes do not fit one QR code", len)
				       : six_fail_errno(err, SIX_ERR_INTERNAL, "QR encoding");
	size_t n = (size_t)c->width * (size_t)c->width;
	qr->dark = malloc(n);
	if (!qr->dark) {
		QRcode_free(c);
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	}
	/* bit 0 of each libqrencode byte is the module's colour; the rest is its own
	 * bookkeeping (function patterns...), not ours to keep */
	for (size_t i = 0; i < n; i++)
		qr->dark[i] = c->data[i] & 1;
	qr->width = c->width;
	QRcode_free(c);
	return 0;
}

void six_qr_free(struct six_qr *qr)
{
	free(qr->dark);
	qr->dark = NULL;
	qr->width = 0;
}

/* Module (x, y) in a frame of quiet modules around the symbol: 1 if dark. */
static int dark_at(const struct six_qr *qr, int quiet, int x, int y)
{
	x -= quiet;
	y -= quiet;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->dark[(size_t)y * (size_t)qr->width + (size_t)x];
}

static int check_frame(const struct six_qr *qr, int quiet, struct six_err *err)
{
	if (qr->width < 21 || qr->width > 177 || quiet < 0 || quiet > 64)
		return six_fail(err, SIX_ERR_INTERNAL, "bad QR symbol or border");
	return 0;
}

static void png_chunk(uint8_t *out, size_t *n, const char type[4], const uint8_t *data,
		      size_t len)
{
	six_put_u32(out + *n, (uint32_t)len);
	memcpy(out + *n + 4, type, 4);
	if (len)
		memcpy(out + *n + 8, data, len);
	/* the chunk CRC covers the type and the data, not the length */
	uLong crc = crc32(0L, out + *n + 4, (uInt)(len + 4));
	six_put_u32(out + *n + 8 + len, (uint32_t)crc);
	*n += len + 12;
}

/* The raw scanlines: a filter byte 0 (None) then 1-bit pixels, 1 = white. */
static uint8_t *png_raster(const struct six_qr *qr, int scale, int quiet, uint32_t px,
			   size_t *rawlen)
{
	size_t row = 1 + (px + 7) / 8;
	uint8_t *raw = calloc(px, row);
	if (!raw)
		return NULL;
	for (uint32_t y = 0; y < px; y++) {
		uint8_t *r = raw + (size_t)y * row;
		for (uint32_t x = 0; x < px; x++)
			if (!dark_at(qr, quiet, (int)(x / (uint32_t)scale),
				     (int)(y / (uint32_t)scale)))
				r[1 + x / 8] |= (uint8_t)(0x80u >> (x % 8));
	}
	*rawlen = (size_t)px * row;
	return raw;
}

int six_qr_png(const struct six_qr *qr, int scale, int quiet, uint8_t **out, size_t *len,
	       struct six_err *err)
{
	int rc = check_frame(qr, quiet, err);
	if (rc < 0)
		return rc;
	if (scale < 1 || scale > SIX_QR_SCALE_MAX)
		return six_fail(err, SIX_ERR_USAGE, "QR scale must be 1..%d", SIX_QR_SCALE_MAX);
	uint32_t px = (uint32_t)(qr->width + 2 * quiet) * (uint32_t)scale;
	size_t rawlen = 0;
	uint8_t *raw = png_raster(qr, scale, quiet, px, &rawlen);
	uLongf zlen = compressBound((uLong)rawlen);
	uint8_t *z = raw ? malloc(zlen) : NULL;
	uint8_t *png = z ? malloc(zlen + 8 + 25 + 12 + 12) : NULL;
	if (!png || compress2(z, &zlen, raw, (uLong)rawlen, Z_BEST_COMPRESSION) != Z_OK) {
		free(raw);
		free(z);
		free(png);
		return six_fail(err, SIX_ERR_INTERNAL, "cannot compress the QR image");
	}
	static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t ihdr[13];
	six_put_u32(ihdr, px);
	six_put_u32(ihdr + 4, px);
	ihdr[8] = 1;  /* bit depth */
	ihdr[9] = 0;  /* colour type: grayscale */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filtering (each row says None) */
	ihdr[12] = 0; /* not interlaced */
	size_t n = 8;
	memcpy(png, sig, 8);
	png_chunk(png, &n, "IHDR", ihdr, sizeof ihdr);
	png_chunk(png, &n, "IDAT", z, zlen);
	png_chunk(png, &n, "IEND", NULL, 0);
	free(raw);
	free(z);
	*out = png;
	*len = n;
	return 0;
}

/* A growing text buffer for the SVG and terminal emitters. */
struct text {
	char *p;
	size_t len, cap;
	int oom;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->cap ? t->cap * 2 : 4096) + n;
		char *np = realloc(t->p, cap);
		if (!np) {
			t->oom = 1;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void text_fmt(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_fmt(struct text *t, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof tmp)
		text_add(t, tmp, (size_t)n);
	else
		t->oom = 1;
}

static int text_done(struct text *t, char **out, size_t *len, struct six_err *err)
{
	if (t->oom || !t->p) {
		free(t->p);
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	}
	*out = t->p;
	*len = t->len;
	return 0;
}

int six_qr_svg(const struct six_qr *qr, int quiet, char **out, size_t *len,
	       struct six_err *err)
{
	int rc = check_frame(qr, quiet, err);
	if (rc < 0)
		return rc;
	int side = qr->width + 2 * quiet;
	struct text t = {0};
	text_fmt(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/"
		 "2000/svg\" version=\"1.1\" viewBox=\"0 0 %d %d\" width=\"%dmm\" height=\"%dmm\" "
		 "shape-rendering=\"crispEdges\">\n", side, side, side, side);
	text_fmt(&t, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n<path fill=\"#000000\" "
		 "d=\"", side, side);
	/* one rectangle per horizontal run of dark modules keeps the file small */
	for (int y = 0; y < qr->width; y++)
		for (int x = 0; x < qr->width;) {
			int run = 0;
			while (x + run < qr->width && dark_at(qr, 0, x + run, y))
				run++;
			if (run > 0)
				text_fmt(&t, "M%d %dh%dv1h-%dz", x + quiet, y + quiet, run, run);
			x += run > 0 ? run : 1;
		}
	text_add(&t, "\"/>\n</svg>\n", 11);
	return text_done(&t, out, len, err);
}

int six_qr_term(const struct six_qr *qr, int quiet, char **out, size_t *len,
		struct six_err *err)
{
	/* indexed by (top dark) | (bottom dark) << 1, drawn in black on white */
	static const char *const cell[4] = {" ", "\u2580", "\u2584", "\u2588"};
	int rc = check_frame(qr, quiet, err);
	if (rc < 0)
		return rc;
	int side = qr->width + 2 * quiet;
	struct text t = {0};
	for (int y = 0; y < side; y += 2) {
		text_add(&t, "\033[30;107m", 9);
		for (int x = 0; x < side; x++) {
			const char *c = cell[dark_at(qr, quiet, x, y) |
					     dark_at(qr, quiet, x, y + 1) << 1];
			text_add(&t, c, strlen(c));
		}
		text_add(&t, "\033[0m\n", 5);
	}
	return text_done(&t, out, len, err);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcasecmp(s + n - m, suffix) == 0;
}

int six_qr_write_file(const struct six_qr *qr, const char *path, struct six_err *err)
{
	char dir[SIX_PATH_MAX + 1] = ".";
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!*base || strlen(path) > SIX_PATH_MAX)
		return six_fail(err, SIX_ERR_USAGE, "bad QR file name: %s", path);
	if (slash == path)
		strcpy(dir, "/");
	else if (slash)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	void *data = NULL;
	size_t len = 0;
	int rc;
	if (ends_with(base, ".png"))
		rc = six_qr_png(qr, SIX_QR_SCALE, SIX_QR_QUIET, (uint8_t **)&data, &len, err);
	else if (ends_with(base, ".svg"))
		rc = six_qr_svg(qr, SIX_QR_QUIET, (char **)&data, &len, err);
	else
		return six_fail(err, SIX_ERR_USAGE, "QR file must end in .png or .svg: %s", path);
	if (rc < 0)
		return rc;
	int dfd = six_open_dir(dir, err);
	rc = dfd;
	if (dfd >= 0) {
		rc = six_replace_file_at(dfd, base, data, len, 0644, err);
		close(dfd);
	}
	free(data);
	return rc;
}
