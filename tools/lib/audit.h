/* Appending to the tamper-evident audit log (formats/audit-log.md).
 * Each line is one JSON object whose "prev" field is the SHA-256 of the line before
 * it (64 zeros for the first), so any edit, deletion, insertion or reordering breaks
 * the chain. Appends take audit/audit.lock, write with O_APPEND and fsync. */
#ifndef SIX_AUDIT_H
#define SIX_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* One field of an event: a string value, JSON-escaped on output. */
struct six_kv {
	const char *key;
	const char *value;
};

/* Append event with fields kv[0..n) to HOME/audit/audit.log (home_fd is the home
 * directory). *index (may be NULL) receives the new record's index (from 1). */
int six_audit_append(int home_fd, const char *event, const struct six_kv *kv, size_t n,
		     uint64_t *index, struct six_err *err);

/* JSON string escaping of s into out (outlen bytes); -1 if it does not fit. */
int six_json_escape(const char *s, char *out, size_t outlen);

#endif
