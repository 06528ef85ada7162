/* libFuzzer harness for the registry parser (formats/registry.md): any bytes in, no
 * crash, no leak; whatever parses must emit back to exactly the same bytes (one
 * canonical form), and every parsed entry must pass the emitter's own check.
 * Seeds: tests/hostile/registry/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct six_registry r;
	struct six_err e;
	if (six_registry_parse((const char *)data, size, &r, &e) < 0) {
		if (r.n != 0 || r.entries)
			abort();
		return 0;
	}
	char *out;
	size_t len;
	if (six_registry_emit(&r, &out, &len, &e) < 0 || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	for (size_t i = 0; i < r.n; i++)
		if (six_registry_find(&r, r.entries[i].fpr) != &r.entries[i] ||
		    six_registry_state(&r.entries[i], 0) == SIX_REG_EXPIRED)
			abort();
	free(out);
	six_registry_free(&r);
	return 0;
}
