/* File handling that survives crashes and refuses links. Every file is opened with
 * O_NOFOLLOW|O_CLOEXEC relative to a directory fd; every handoff is tmp, fsync, rename,
 * fsync of the directory. */
#ifndef SIX_FSUTIL_H
#define SIX_FSUTIL_H

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Write or read exactly len bytes, retrying on EINTR and short counts; -1 and errno. */
int six_write_all(int fd, const void *buf, size_t len);
/* Returns bytes read (< len only at end of file), or -1 and errno. */
ssize_t six_read_full(int fd, void *buf, size_t len);

/* Open a directory (no symlink as last component). */
int six_open_dir(const char *path, struct six_err *err);
int six_open_dir_at(int dirfd, const char *name, struct six_err *err);
/* A directory stream over dirfd, which stays open and usable: the stream reads a
 * close-on-exec duplicate from the first entry, whatever an earlier listing of dirfd
 * read (duplicates share the offset). NULL and errno on failure. */
DIR *six_opendir_fd(int dirfd);
/* mkdir -p with mode for missing directories (an existing one is left as it is). */
int six_mkdir_p(const char *path, mode_t mode, struct six_err *err);

/* Read a whole regular file (not a link) of at most max bytes into a malloc'd,
 * NUL-terminated buffer. SIX_ERR_NOINPUT if missing, SIX_ERR_LIMIT if larger. */
int six_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len,
		     struct six_err *err);

/* Atomically replace dirfd/name with data: write a temporary beside it, fsync,
 * rename over, fsync the directory. Readers see the old or the new file, never half. */
int six_replace_file_at(int dirfd, const char *name, const void *data, size_t len,
			mode_t mode, struct six_err *err);

int six_fsync_dir(int dirfd, struct six_err *err);

/* Take an exclusive flock on dirfd/name (created 0600 if missing), waiting for it.
 * Returns the lock fd (>= 0); closing it releases the lock. */
int six_lock_at(int dirfd, const char *name, struct six_err *err);
/* As six_lock_at but never waits: SIX_ERR_TEMP if someone else holds it. */
int six_trylock_at(int dirfd, const char *name, struct six_err *err);

#endif
