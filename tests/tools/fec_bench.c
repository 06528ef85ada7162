/* fec_bench: Reed-Solomon encode and decode speed of tools/xferd/fec.c at six-xferd's
 * default geometry (K data + M parity symbols of SYM bytes), for scripts/bench-xferd.
 *   fec_bench [K M SYM SECONDS]   prints "encode MB/s" and "decode MB/s" (of data) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../tools/xferd/fec.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int k = argc > 1 ? atoi(argv[1]) : 64, m = argc > 2 ? atoi(argv[2]) : 16;
	size_t sym = argc > 3 ? (size_t)atoi(argv[3]) : 1428;
	double secs = argc > 4 ? atof(argv[4]) : 1.0;
	struct xferd_fec f;
	if (xferd_fec_init(&f, k, m) < 0 || m < 1) {
		fputs("fec_bench: bad K or M\n", stderr);
		return 64;
	}
	uint8_t *rows[256], have[256];
	for (int i = 0; i < k + m; i++) {
		rows[i] = malloc(sym);
		for (size_t j = 0; j < sym; j++)
			rows[i][j] = (uint8_t)(i * 7 + j);
	}
	double t0 = now(), t;
	long n = 0;
	do {
		xferd_fec_encode(&f, sym, rows, rows + k);
		n++;
	} while ((t = now()) - t0 < secs);
	printf("encode %.0f MB/s\n", (double)n * (double)k * (double)sym / (t - t0) / 1e6);
	/* the receiver's worst common case: M data symbols lost, rebuilt from parity */
	memset(have, 1, sizeof have);
	for (int i = 0; i < m && i < k; i++)
		have[i * (k / m > 0 ? k / m : 1) % k] = 0;
	n = 0;
	t0 = now();
	do {
		if (xferd_fec_decode(&f, sym, rows, have) < 0)
			return 70;
		n++;
	} while ((t = now()) - t0 < secs);
	printf("decode %.0f MB/s\n", (double)n * (double)k * (double)sym / (t - t0) / 1e6);
	for (int i = 0; i < k + m; i++)
		free(rows[i]);
	xferd_fec_free(&f);
	return 0;
}
