/* Reed-Solomon erasure coding through ISA-L (see fec.h). */
#include "fec.h"

#include <isa-l/erasure_code.h>
#include <stdlib.h>
#include <string.h>

#include "datagram.h"

int xferd_fec_init(struct xferd_fec *f, int k, int m)
{
	memset(f, 0, sizeof *f);
	if (k < 1 || k > SIX_DGRAM_K_MAX || m < 0 || m > SIX_DGRAM_M_MAX)
		return -1;
	f->k = k;
	f->m = m;
	size_t kk = (size_t)k * (size_t)k;
	f->matrix = malloc((size_t)(k + m) * (size_t)k);
	f->tables = malloc(32 * (size_t)k * (size_t)(m ? m : 1));
	f->sub = malloc(kk);
	f->inv = malloc(kk);
	f->rows = malloc(kk);
	f->dtables = malloc(32 * kk);
	if (!f->matrix || !f->tables || !f->sub || !f->inv || !f->rows || !f->dtables) {
		xferd_fec_free(f);
		return -1;
	}
	/* Cauchy rather than Vandermonde: every k x k submatrix of a Cauchy-extended
	 * identity is invertible, so any k received symbols decode. */
	gf_gen_cauchy1_matrix(f->matrix, k + m, k);
	if (m > 0)
		ec_init_tables(k, m, f->matrix + kk, f->tables);
	return 0;
}

void xferd_fec_free(struct xferd_fec *f)
{
	free(f->matrix);
	free(f->tables);
	free(f->sub);
	free(f->inv);
	free(f->rows);
	free(f->dtables);
	memset(f, 0, sizeof *f);
}

void xferd_fec_encode(const struct xferd_fec *f, size_t len, uint8_t *const *data,
		      uint8_t *const *parity)
{
	if (f->m > 0)
		ec_encode_data((int)len, f->k, f->m, f->tables, (unsigned char **)data,
			       (unsigned char **)parity);
}

/* Rebuild the e missing data symbols from e parity symbols. With E the missing data
 * columns and P the parity rows used, the parity equations restricted to E form the
 * e x e matrix A[P][E] (a Cauchy submatrix: always invertible); inverting only it,
 * rather than a k x k matrix, keeps a decode cheap (16^3 instead of 64^3 steps):
 *   d_E = inv(A[P][E]) * (p_P + A[P][D] * d_D)     (+ is XOR in GF(2^8))
 * so each missing symbol is one row of coefficients over the k sources (d_D, p_P),
 * applied by ISA-L's SIMD encoder. */
int xferd_fec_decode(struct xferd_fec *f, size_t len, uint8_t *const *sym,
		     const uint8_t *have)
{
	int k = f->k, m = f->m;
	uint8_t *src[SIX_DGRAM_K_MAX], *out[SIX_DGRAM_K_MAX];
	int miss[SIX_DGRAM_K_MAX], data[SIX_DGRAM_K_MAX], par[SIX_DGRAM_K_MAX];
	int e = 0, nd = 0, np = 0;
	for (int i = 0; i < k; i++) {
		if (have[i])
			data[nd++] = i;
		else
			miss[e++] = i;
	}
	if (e == 0)
		return 0;
	for (int j = 0; j < m && np < e; j++)
		if (have[k + j])
			par[np++] = j;
	if (np < e)
		return -1;
	for (int a = 0; a < e; a++)
		for (int b = 0; b < e; b++)
			f->sub[a * e + b] = f->matrix[(size_t)(k + par[a]) * k + miss[b]];
	if (gf_invert_matrix(f->sub, f->inv, e) < 0)
		return -1;
	for (int s = 0; s < nd; s++)
		src[s] = sym[data[s]];
	for (int b = 0; b < e; b++)
		src[nd + b] = sym[k + par[b]];
	for (int a = 0; a < e; a++) {
		uint8_t *row = f->rows + (size_t)a * k;
		for (int s = 0; s < nd; s++) {
			uint8_t c = 0;
			for (int b = 0; b < e; b++)
				c ^= gf_mul(f->inv[a * e + b],
					    f->matrix[(size_t)(k + par[b]) * k + data[s]]);
			row[s] = c;
		}
		for (int b = 0; b < e; b++)
			row[nd + b] = f->inv[a * e + b];
		out[a] = sym[miss[a]];
	}
	ec_init_tables(k, e, f->rows, f->dtables);
	ec_encode_data((int)len, k, e, f->dtables, src, out);
	return 0;
}
