/* libFuzzer harness for the SIX-MANIFEST parser: any bytes in, no crash, no leak, and
 * whatever parses must emit back to exactly the same text (one canonical form). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct six_manifest_limits lim = {1000, 1u << 30, 1ull << 40};
	struct six_manifest m;
	struct six_err e;
	if (six_manifest_parse((const char *)data, size, &lim, &m, &e) < 0)
		return 0;
	char *out;
	size_t len;
	if (six_manifest_emit(&m, &out, &len, &e) < 0 || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	free(out);
	six_manifest_free(&m);
	return 0;
}
