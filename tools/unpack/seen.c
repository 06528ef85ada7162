/* The seen-set (formats/bundle.md, "The seen-set"): which (Sender, recipient set,
 * Sequence) triples and Bundle-Ids were accepted, so that no bundle is delivered twice
 * (DESIGN.md, "What must hold" 4), across restarts and concurrent runs. Sequence
 * numbers count per sender and recipient set (DESIGN.md, bundle format), so one
 * sender's number 1 to {E} and number 1 to {E, X} are two different bundles; a
 * Bundle-Id is unique on its own, whatever else.
 *
 * One small file per fact, so a lookup is one open() however many thousands of
 * bundles came before, and every change is one atomic file replacement:
 *   state/seen/<SENDER>/<SET>/<sequence>   "pending <bundle-id>\n" or "delivered <bundle-id>\n"
 *   state/seen/ids/<id[0..1]>/<bundle-id>  "<SENDER> <SET> <sequence>\n"
 * <SET> names the recipient set: the first 32 hex digits of the SHA-256 of
 * "<SENDER>\n<recipients sorted, space-separated>\n" (six-pack's counter identity).
 * Changes happen under the flock state/seen.lock.
 *
 * Crash safety: a bundle is recorded "pending" before extraction and "delivered" after
 * the rename into the inbox. A pending record lets the same Bundle-Id with the same
 * (Sender, set, Sequence) through again (the run that recorded it died), nothing
 * else. Two runs racing on one pending bundle both get through, and the inbox rename
 * (RENAME_NOREPLACE onto a name made from the manifest) lets exactly one deliver. */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "hash.h"
#include "util.h"

#define SEEN_LOCK "seen.lock"

/* Open (creating it if needed) directory name under parent. */
static int subdir(int parent, const char *name, struct six_err *err)
{
	if (mkdirat(parent, name, 0700) == 0) {
		if (six_fsync_dir(parent, err) < 0)
			return err->code;
	} else if (errno != EEXIST) {
		return six_fail_errno(err, SIX_ERR_IO, "cannot create state/seen/%s", name);
	}
	int fd = six_open_dir_at(parent, name, err);
	return fd;
}

static int cmp_fpr(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The recipient set's name: order on the Recipient lines does not matter. */
static void set_name(const struct six_manifest *m, char out[33])
{
	char sorted[SIX_RECIPIENTS_MAX][SIX_FPR_HEX + 1];
	char text[(SIX_RECIPIENTS_MAX + 1) * (SIX_FPR_HEX + 1) + 1];
	size_t n = m->n_recipients < SIX_RECIPIENTS_MAX ? m->n_recipients : SIX_RECIPIENTS_MAX;
	memcpy(sorted, m->recipients, n * sizeof sorted[0]);
	qsort(sorted, n, sizeof sorted[0], cmp_fpr);
	size_t len = (size_t)snprintf(text, sizeof text, "%.40s\n", m->sender);
	for (size_t i = 0; i < n; i++) /* 41 bytes each: always fits */
		len += (size_t)snprintf(text + len, sizeof text - len, "%.40s%s", sorted[i],
					i + 1 < n ? " " : "\n");
	uint8_t d[SIX_SHA256_LEN];
	six_sha256_buf(text, len, d);
	six_hex(d, 16, out);
}

/* The record directories for m: the (sender, recipient set)'s and the id's shard. */
static int open_dirs(int state_fd, const struct six_manifest *m, int *sdir, int *shard,
		     struct six_err *err)
{
	char sh[3] = {m->bundle_id[0], m->bundle_id[1], '\0'}, set[33];
	set_name(m, set);
	*sdir = *shard = -1;
	int seen = subdir(state_fd, "seen", err);
	if (seen < 0)
		return seen;
	int ids = subdir(seen, "ids", err);
	int sender = subdir(seen, m->sender, err);
	if (sender >= 0) {
		*sdir = subdir(sender, set, err);
		close(sender);
	}
	if (ids >= 0 && *sdir >= 0)
		*shard = subdir(ids, sh, err);
	if (ids >= 0)
		close(ids);
	close(seen);
	if (*shard < 0) {
		if (*sdir >= 0)
			close(*sdir);
		*sdir = -1;
		return err->code;
	}
	return 0;
}

/* Read dirfd/name (at most 127 bytes) into buf: 1 if present, 0 if absent. */
static int read_record(int dirfd, const char *name, char buf[128], struct six_err *err)
{
	char *text;
	size_t len;
	int rc = six_read_file_at(dirfd, name, 127, &text, &len, err);
	if (rc == SIX_ERR_NOINPUT)
		return 0;
	if (rc < 0) {
		char why[sizeof err->msg];
		memcpy(why, err->msg, sizeof why);
		return six_fail(err, SIX_ERR_IO, "seen-set: %.400s", why);
	}
	memcpy(buf, text, len + 1);
	free(text);
	return 1;
}

static int write_record(int dirfd, const char *name, const char *text, struct six_err *err)
{
	return six_replace_file_at(dirfd, name, text, strlen(text), 0600, err);
}

/* Decide under the lock. A sequence record is the authority for its (sender, set,
 * sequence); an id record that does not name exactly that means another bundle took
 * that id. */
static int decide(int sdir, int shard, const struct six_manifest *m, int *gap,
		  struct six_err *err)
{
	char seq[24], rec[128], pending[128], pair[128], set[33];
	set_name(m, set);
	snprintf(seq, sizeof seq, "%" PRIu64, m->sequence);
	snprintf(pending, sizeof pending, "pending %s\n", m->bundle_id);
	snprintf(pair, sizeof pair, "%s %s %" PRIu64 "\n", m->sender, set, m->sequence);
	int resume = 0, have = read_record(sdir, seq, rec, err);
	if (have < 0)
		return have;
	if (have && strcmp(rec, pending) == 0)
		resume = 1; /* our own unfinished record: a run died after claiming */
	else if (have && strncmp(rec, "delivered ", 10) == 0 && strcmp(rec + 10, pending + 8) == 0)
		return six_fail(err, SIX_ERR_REPLAY, "bundle %s was already delivered",
				m->bundle_id);
	else if (have)
		return six_fail(err, SIX_ERR_REPLAY,
				"sequence %" PRIu64 " of %s to this recipient set was already used",
				m->sequence, m->sender);
	int id_have = read_record(shard, m->bundle_id, rec, err);
	if (id_have < 0)
		return id_have;
	if (id_have && !(resume && strcmp(rec, pair) == 0))
		return six_fail(err, SIX_ERR_REPLAY, "bundle id %s was seen before", m->bundle_id);
	int rc = resume ? 0 : write_record(sdir, seq, pending, err);
	if (rc == 0 && !id_have)
		rc = write_record(shard, m->bundle_id, pair, err);
	if (rc < 0)
		return rc;
	/* out of order is fine; a missing predecessor (in this recipient set's numbering)
	 * is worth saying */
	struct stat st;
	snprintf(seq, sizeof seq, "%" PRIu64, m->sequence - 1);
	*gap = m->sequence > 1 && fstatat(sdir, seq, &st, AT_SYMLINK_NOFOLLOW) < 0;
	return 0;
}

int unpack_seen_claim(int state_fd, const struct six_manifest *m, int *gap,
		      struct six_err *err)
{
	*gap = 0;
	int lock = six_lock_at(state_fd, SEEN_LOCK, err);
	if (lock < 0)
		return lock;
	int sdir, shard;
	int rc = open_dirs(state_fd, m, &sdir, &shard, err);
	if (rc == 0) {
		rc = decide(sdir, shard, m, gap, err);
		close(sdir);
		close(shard);
	}
	close(lock);
	return rc;
}

int unpack_seen_done(int state_fd, const struct six_manifest *m, struct six_err *err)
{
	int lock = six_lock_at(state_fd, SEEN_LOCK, err);
	if (lock < 0)
		return lock;
	int sdir, shard;
	int rc = open_dirs(state_fd, m, &sdir, &shard, err);
	if (rc == 0) {
		char seq[24], rec[128];
		snprintf(seq, sizeof seq, "%" PRIu64, m->sequence);
		snprintf(rec, sizeof rec, "delivered %s\n", m->bundle_id);
		rc = write_record(sdir, seq, rec, err);
		close(sdir);
		close(shard);
	}
	close(lock);
	return rc;
}
