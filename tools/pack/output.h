/* Where a bundle goes: -o OUT (an unnamed O_TMPFILE in OUT's directory, linked into
 * place only when complete) or --outbox SPOOL (spool.h: tmp/ then new/). Until
 * commit nothing is visible under the final name; on failure nothing is left. */
#ifndef SIX_PACK_OUTPUT_H
#define SIX_PACK_OUTPUT_H

#include <stddef.h>

#include "err.h"
#include "six_limits.h"
#include "spool.h"

struct pack_out {
	int fd;
	int dirfd;		/* -o: OUT's directory */
	int unnamed;		/* -o: O_TMPFILE, linked at commit */
	int force;
	int spool;		/* 1 for --outbox */
	struct six_spool sp;
	char tmpname[SIX_SPOOL_NAME_MAX + 1];
	char base[SIX_SPOOL_NAME_MAX + 1]; /* -o: OUT's file name */
	char shown[SIX_PATH_MAX + 1];	   /* the path printed on success */
	const char *where;		   /* -o: OUT as given; --outbox: SPOOL */
};

/* -o OUT: SIX_ERR_EXISTS if OUT exists (unless force), SIX_ERR_CREATE if its
 * directory cannot take a new file. */
int pack_out_open_file(struct pack_out *o, const char *path, int force, struct six_err *err);
/* --outbox SPOOL (created if missing). */
int pack_out_open_spool(struct pack_out *o, const char *spool, struct six_err *err);
/* fsync, and give the file its final name (name: the spool name; ignored for -o). */
int pack_out_commit(struct pack_out *o, const char *name, struct six_err *err);
/* Remove what was written; safe after a failed commit. */
void pack_out_abort(struct pack_out *o);

#endif
