/* libFuzzer harness for the tar structure auditor (formats/tarscan.c). Input: one byte
 * choosing the chunk size, then the tar stream (seeds: tests/hostile/tarscan/, with any
 * first byte). Invariant beyond "no crash": the verdict, its message and whether the
 * end was reached are the same fed whole and fed in chunks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tarscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(struct six_tarscan *s, const uint8_t *p, size_t n, size_t chunk,
	       struct six_err *err)
{
	int rc = 0;
	six_tarscan_init(s);
	for (size_t off = 0; off < n && rc == 0; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;
		rc = six_tarscan_feed(s, p + off, k, err);
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* 1..1021 bytes: every alignment against the 512-byte blocks comes up */
	size_t chunk = 1 + (size_t)data[0] * 4;
	struct six_tarscan *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	struct six_err ea = {0}, eb = {0};
	if (!a || !b)
		abort();
	int ra = run(a, data + 1, size - 1, size, &ea);
	int rb = run(b, data + 1, size - 1, chunk, &eb);
	if (ra != rb || six_tarscan_ended(a) != six_tarscan_ended(b) ||
	    (ra < 0 && strcmp(ea.msg, eb.msg) != 0))
		abort();
	free(a);
	free(b);
	return 0;
}
