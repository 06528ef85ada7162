/* libFuzzer harness for formats/datagram.c: the parser must never crash, and whatever it
 * accepts must pack back to the same bytes (one encoding per record: nothing in an
 * accepted datagram goes unchecked). Seed corpus: tests/hostile/datagrams. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datagram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct six_dgram d;
	static uint8_t out[SIX_DGRAM_MAX];
	if (six_dgram_parse(data, size, &d) != 0)
		return 0;
	size_t n = six_dgram_pack(&d, out, sizeof out);
	if (n != size || memcmp(out, data, size) != 0)
		abort();
	return 0;
}
