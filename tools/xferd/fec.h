/* Reed-Solomon erasure coding for the diode link, through ISA-L (formats/diode.md
 * "FEC layout"): a group of k data symbols gets m parity symbols from a Cauchy matrix
 * over GF(2^8), and any k of the k + m symbols rebuild the group. No hand-written
 * field arithmetic: ISA-L's tables and SIMD kernels do it all. */
#ifndef XFERD_FEC_H
#define XFERD_FEC_H

#include <stddef.h>
#include <stdint.h>

struct xferd_fec {
	int k, m;
	uint8_t *matrix;  /* (k + m) x k: identity on top, Cauchy rows below */
	uint8_t *tables;  /* encode tables, 32 * k * m */
	/* decode scratch, allocated once: a decode never allocates */
	uint8_t *sub, *inv, *rows, *dtables;
};

/* 0, or -1 if k or m is out of range (k 1..128, m 0..128) or memory runs out. */
int xferd_fec_init(struct xferd_fec *f, int k, int m);
void xferd_fec_free(struct xferd_fec *f);

/* Compute the m parity symbols (len bytes each) of the k data symbols. */
void xferd_fec_encode(const struct xferd_fec *f, size_t len, uint8_t *const *data,
		      uint8_t *const *parity);

/* sym[0..k) are the data rows, sym[k..k+m) the parity rows, each len bytes; have[i]
 * says whether row i arrived. Rebuilds every missing data row in place. 0, or -1 if
 * fewer than k rows arrived. */
int xferd_fec_decode(struct xferd_fec *f, size_t len, uint8_t *const *sym,
		     const uint8_t *have);

#endif
