/* SIX-MEDIA, the manifest on a removable medium (formats/media.md): pure parse and
 * emit, no I/O, no globals, so it can be fuzzed. The medium crossed the air gap in
 * someone's pocket: the parser treats every byte of it as hostile. */
#ifndef SIX_MEDIA_H
#define SIX_MEDIA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "hash.h"
#include "six_limits.h"
#include "util.h"

#define SIX_MEDIA_NAME "SIX-MEDIA"	/* the manifest's file name on the medium */
#define SIX_MEDIA_VERSION 1
#define SIX_MEDIA_ID_HEX 32		/* Export-Id: 128 random bits, lower-case hex */
/* "SIX-MEDIA:1:<count>:<64 hex>" with count <= SIX_MEDIA_FILES_MAX */
#define SIX_MEDIA_PAYLOAD_MAX 96

struct six_media_entry {
	char sha256[SIX_SHA256_HEX + 1]; /* lower-case hex */
	uint64_t size;
	char name[SIX_SPOOL_NAME_MAX + 1]; /* a spool file name (six_name_check) */
};

struct six_media_manifest {
	char export_id[SIX_MEDIA_ID_HEX + 1];
	char created_str[SIX_TIME_LEN + 1];
	time_t created;
	struct six_media_entry *entries; /* sorted by name, byte order, unique */
	size_t count;
};

/* Parse text[0..len). Errors: SIX_ERR_MANIFEST (malformed, unknown key, wrong
 * version, unsorted or duplicate names), SIX_ERR_UNSAFE (a name that is not a safe
 * spool file name), SIX_ERR_LIMIT (too large, too many files). On error m holds
 * nothing to free. */
int six_media_parse(const char *text, size_t len, struct six_media_manifest *m,
		    struct six_err *err);

/* Emit m as SIX-MEDIA text into a malloc'd buffer (*out, *len). Refuses (with the
 * parser's codes) anything the parser would refuse, so what export writes, import
 * reads. */
int six_media_emit(const struct six_media_manifest *m, char **out, size_t *len,
		   struct six_err *err);

void six_media_free(struct six_media_manifest *m);

/* Sort entries by name (the order the format requires) before emitting. */
void six_media_sort(struct six_media_manifest *m);

/* The cover sheet's QR payload "SIX-MEDIA:1:<count>:<sha256 hex of the manifest>"
 * into out (SIX_MEDIA_PAYLOAD_MAX + 1 bytes). */
void six_media_payload(size_t count, const char sha256[SIX_SHA256_HEX + 1], char *out);

/* What an operator types or scans back at import: a payload as above, or the bare
 * 64-hex digest (any case). Fills sha256 (lower case) and *count (SIZE_MAX when
 * only the digest was given). SIX_ERR_INPUT if it is neither. */
int six_media_payload_parse(const char *s, char sha256[SIX_SHA256_HEX + 1], size_t *count,
			    struct six_err *err);

#endif
