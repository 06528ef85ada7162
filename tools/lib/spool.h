/* Maildir-style spools (qmail): tmp/ new/ cur/ on one filesystem.
 * A writer creates tmp/<unique>, writes, fsyncs, and renames into new/<name>; a
 * consumer takes new/<name> and moves it to cur/ when done. A crash leaves a file in
 * tmp/ (ignored, swept later) or in new/ (complete), never a half file in new/. */
#ifndef SIX_SPOOL_H
#define SIX_SPOOL_H

#include <stddef.h>
#include <time.h>

#include "err.h"

struct six_spool {
	int dirfd;
	int tmpfd;
	int newfd;
	int curfd;
	time_t swept; /* when six_spool_sweep_stale last ran */
};

/* Open SPOOL; with create, make it and its tmp/ new/ cur/ (0700) if missing. */
int six_spool_open(const char *path, int create, struct six_spool *sp, struct six_err *err);
void six_spool_close(struct six_spool *sp);

/* Create a new empty file in tmp/ with a unique name (written to tmpname, which must
 * hold SIX_SPOOL_NAME_MAX + 1 bytes); returns its fd (O_WRONLY, 0600). */
int six_spool_create(struct six_spool *sp, char *tmpname, struct six_err *err);
/* fsync fd, close it, rename tmp/<tmpname> to new/<name> (never replacing an existing
 * file: SIX_ERR_EXISTS), fsync new/. On failure the tmp file is removed. */
int six_spool_commit(struct six_spool *sp, int fd, const char *tmpname, const char *name,
		     struct six_err *err);
/* Remove tmp/<tmpname> after a failed write (fd is closed if >= 0). */
void six_spool_abort(struct six_spool *sp, int fd, const char *tmpname);

/* Remove what writers that died left in tmp/: every entry but directories whose name
 * ends in suffix (NULL: any name) and whose modification time is min_age seconds or
 * more before now (a file still being written keeps a fresh one). Returns how many
 * were removed. The spool's consumers, which look at it for days, pass
 * SIX_SPOOL_TMP_STALE; a writer that knows its own leftovers, its suffix and 0. */
size_t six_spool_sweep_tmp(struct six_spool *sp, const char *suffix, time_t now,
			   time_t min_age);
/* The consumers' sweep: anything untouched for SIX_SPOOL_TMP_STALE (Maildir's 36
 * hours), at most once an hour, so a daemon may call it on every scan. */
size_t six_spool_sweep_stale(struct six_spool *sp, time_t now);

/* A unique file name: "<unix time>.<pid>.<16 random hex>" plus suffix (may be ""). */
int six_spool_unique_name(char *out, size_t outlen, const char *suffix);

/* Names in new/ in a stable order (oldest name first); caller frees each and *names. */
int six_spool_list_new(struct six_spool *sp, char ***names, size_t *count,
		       struct six_err *err);
/* rename new/<name> to cur/<name> and fsync both; SIX_ERR_NOINPUT if another consumer
 * took it first. */
int six_spool_done(struct six_spool *sp, const char *name, struct six_err *err);

#endif
