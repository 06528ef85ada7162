/* SIX-MANIFEST of bundle format v1 (formats/bundle.md): pure parse and emit, no I/O,
 * no globals, so it can be fuzzed. The parser sees only authenticated bytes (the
 * signature is checked first), but is written as if it did not. */
#ifndef SIX_MANIFEST_H
#define SIX_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "hash.h"
#include "six_limits.h"
#include "util.h"

struct six_manifest_file {
	char sha256[SIX_SHA256_HEX + 1]; /* lower-case hex */
	uint64_t size;
	char *path; /* validated by six_path_check; NUL-terminated */
};

struct six_manifest {
	char bundle_id[33];		/* 32 lower-case hex */
	time_t created;
	char created_str[SIX_TIME_LEN + 1];
	char sender[SIX_FPR_HEX + 1];
	char recipients[SIX_RECIPIENTS_MAX][SIX_FPR_HEX + 1];
	size_t n_recipients;
	char party[SIX_PARTY_MAX + 1];
	uint64_t sequence;		/* from 1 */
	char doc_type[SIX_TOKEN_MAX + 1];
	char classification[SIX_TOKEN_MAX + 1];
	char subject[SIX_SUBJECT_MAX + 1]; /* "" when absent */
	struct six_manifest_file *files;
	size_t n_files;
};

/* Limits the parser enforces beyond the format's own (from six.conf). */
struct six_manifest_limits {
	uint64_t max_files;
	uint64_t max_file_size;
	uint64_t max_total_size;
};

/* Parse text[0..len). Errors: SIX_ERR_MANIFEST (malformed, unknown key, wrong
 * version, duplicate path...), SIX_ERR_UNSAFE (a path that could escape),
 * SIX_ERR_LIMIT (count or sizes past lim). On error m holds nothing to free. */
int six_manifest_parse(const char *text, size_t len, const struct six_manifest_limits *lim,
		       struct six_manifest *m, struct six_err *err);

/* Emit m as manifest text into a malloc'd buffer (*out, *len). */
int six_manifest_emit(const struct six_manifest *m, char **out, size_t *len,
		      struct six_err *err);

void six_manifest_free(struct six_manifest *m);


/* The rules on a set of payload paths (each already six_path_check'ed): no two equal,
 * and none both a file and a directory of another ("a" and "a/b"). SIX_ERR_MANIFEST
 * naming the first offender. Sorts nothing in place; O(n log n). */
int six_manifest_paths_check(const struct six_manifest_file *files, size_t n,
			     struct six_err *err);

#endif
