/* QR codes for things carried across the air gap on paper or a screen: the media
 * cover sheet, receipts. libqrencode makes the symbol; this module draws it as a
 * PNG (written here with zlib), an SVG, or Unicode half blocks for a terminal.
 * Emitters fill malloc'd buffers; only six_qr_write_file touches the filesystem. */
#ifndef SIX_QR_H
#define SIX_QR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SIX_QR_QUIET 4	/* modules of white border: what ISO/IEC 18004 asks for */
#define SIX_QR_SCALE 8	/* pixels per module in a PNG: sharp on paper at 300 dpi */
#define SIX_QR_SCALE_MAX 64

/* error correction: about 7, 15, 25, 30 % of the symbol may be damaged */
enum six_qr_level { SIX_QR_ECC_L, SIX_QR_ECC_M, SIX_QR_ECC_Q, SIX_QR_ECC_H };

struct six_qr {
	int width;		/* modules per side (21..177) */
	uint8_t *dark;		/* width * width, 1 = dark module, row-major */
};

/* Encode len bytes (8-bit mode) at the given error-correction level. SIX_ERR_LIMIT if
 * the data does not fit the largest symbol. */
int six_qr_encode(const void *data, size_t len, enum six_qr_level level, struct six_qr *qr,
		  struct six_err *err);
void six_qr_free(struct six_qr *qr);

/* A grayscale PNG, 1 bit per pixel, scale pixels per module, quiet modules of border. */
int six_qr_png(const struct six_qr *qr, int scale, int quiet, uint8_t **out, size_t *len,
	       struct six_err *err);
/* An SVG document, one unit per module, quiet modules of border. */
int six_qr_svg(const struct six_qr *qr, int quiet, char **out, size_t *len,
	       struct six_err *err);
/* Terminal text: two module rows per line drawn with U+2580/U+2584/U+2588, each line
 * set to black on white with ANSI SGR so it scans on dark and light terminals. */
int six_qr_term(const struct six_qr *qr, int quiet, char **out, size_t *len,
		struct six_err *err);

/* Write the symbol to path, the format chosen by its ending: ".png" or ".svg" (any
 * case). SIX_ERR_USAGE for another ending. Created 0644, never through a link,
 * replacing the file by rename so a reader never sees half of it. */
int six_qr_write_file(const struct six_qr *qr, const char *path, struct six_err *err);

#endif
