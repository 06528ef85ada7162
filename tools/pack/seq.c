#include "seq.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "hash.h"
#include "util.h"

#define SEQ_LOCK "pack-seq.lock"
#define SEQ_FILE_MAX 4096 /* "N\nSENDER\n" and up to 64 recipients */

static int cmp_fpr(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* "SENDER\nR1 R2 ...\n" with the recipients sorted: the counter's identity. */
static int identity(const char *sender, char rcpts[][SIX_FPR_HEX + 1], size_t n, char *out,
		    size_t outlen)
{
	char sorted[SIX_RECIPIENTS_MAX][SIX_FPR_HEX + 1];
	if (n == 0 || n > SIX_RECIPIENTS_MAX)
		return -1;
	memcpy(sorted, rcpts, n * sizeof sorted[0]);
	qsort(sorted, n, sizeof sorted[0], cmp_fpr);
	size_t len = (size_t)snprintf(out, outlen, "%s\n", sender);
	for (size_t i = 0; i < n && len < outlen; i++)
		len += (size_t)snprintf(out + len, outlen - len, "%s%s", sorted[i],
					i + 1 < n ? " " : "\n");
	return len < outlen ? 0 : -1;
}

/* The last number given out, 0 if the counter is new. */
static int read_last(int statefd, const char *name, const char *ident, uint64_t *last,
		     struct six_err *err)
{
	char *text;
	size_t len;
	int rc = six_read_file_at(statefd, name, SEQ_FILE_MAX, &text, &len, err);
	if (rc == SIX_ERR_NOINPUT && faccessat(statefd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		*last = 0;
		return 0;
	}
	if (rc < 0) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		return six_fail(err, SIX_ERR_CONFIG, "state/%s: %s", name, why);
	}
	const char *nl = memchr(text, '\n', len);
	/* a counter we cannot read must stop us: restarting at 1 would reuse numbers */
	if (!nl || six_parse_u64(text, (size_t)(nl - text), last) < 0 ||
	    strcmp(nl + 1, ident) != 0) {
		free(text);
		return six_fail(err, SIX_ERR_CONFIG, "state/%s is damaged: repair it by hand, "
				"never lower the number", name);
	}
	free(text);
	return 0;
}

int pack_seq_next(int statefd, const char *sender, char recipients[][SIX_FPR_HEX + 1],
		  size_t n, uint64_t *seq, struct six_err *err)
{
	char ident[SIX_RECIPIENTS_MAX * (SIX_FPR_HEX + 1) + SIX_FPR_HEX + 2];
	if (identity(sender, recipients, n, ident, sizeof ident) < 0)
		return six_fail(err, SIX_ERR_INTERNAL, "bad recipient set");
	uint8_t d[SIX_SHA256_LEN];
	char hex[SIX_SHA256_HEX + 1], name[16 + SIX_SHA256_HEX];
	six_sha256_buf(ident, strlen(ident), d);
	six_hex(d, 16, hex);
	snprintf(name, sizeof name, "pack-seq-%s", hex);
	/* one writer at a time: two concurrent six-packs must not take the same number */
	int lock = six_lock_at(statefd, SEQ_LOCK, err);
	if (lock < 0)
		return lock;
	uint64_t last;
	int rc = read_last(statefd, name, ident, &last, err);
	if (rc == 0 && last == UINT64_MAX)
		rc = six_fail(err, SIX_ERR_CONFIG, "state/%s: sequence exhausted", name);
	if (rc == 0) {
		char text[sizeof ident + 32];
		int len = snprintf(text, sizeof text, "%" PRIu64 "\n%s", last + 1, ident);
		/* durable (file fsync, rename, directory fsync) before any bundle uses it */
		rc = six_replace_file_at(statefd, name, text, (size_t)len, 0600, err);
	}
	close(lock);
	if (rc == 0)
		*seq = last + 1;
	return rc;
}
