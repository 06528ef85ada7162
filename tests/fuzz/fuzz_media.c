/* libFuzzer harness for the SIX-MEDIA parser (formats/media.c) and the cover-sheet
 * payload parser. Invariants beyond "no crash": whatever parses emits back to
 * exactly the input (one canonical form), and a parsed payload is well-formed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct six_media_manifest m;
	struct six_err err;
	if (six_media_parse((const char *)data, size, &m, &err) == 0) {
		char *out;
		size_t len;
		if (six_media_emit(&m, &out, &len, &err) != 0 || len != size ||
		    memcmp(out, data, size) != 0)
			abort();
		free(out);
		six_media_free(&m);
	}
	char s[SIX_MEDIA_PAYLOAD_MAX + 2], sha[SIX_SHA256_HEX + 1];
	size_t n = size < sizeof s - 1 ? size : sizeof s - 1, count;
	memcpy(s, data, n);
	s[n] = '\0';
	if (six_media_payload_parse(s, sha, &count, &err) == 0 &&
	    (strlen(sha) != SIX_SHA256_HEX || (count != SIZE_MAX && count > SIX_MEDIA_FILES_MAX)))
		abort();
	return 0;
}
