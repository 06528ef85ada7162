/* six-pack's inputs: FILE and DIR arguments walked into a sorted list of regular
 * files, each opened once (O_NOFOLLOW), identified by device and inode, and hashed
 * in a first pass so the manifest can lead the archive. */
#ifndef SIX_PACK_INPUTS_H
#define SIX_PACK_INPUTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"
#include "hash.h"
#include "progress.h"

/* Up to this many inputs keep their fd from the first pass to the second; beyond,
 * they are reopened and must still be the same inode (fd limits are ~1024). */
#define PACK_KEEP_FDS 256

struct pack_file {
	char *src;  /* the path on this machine, for messages and reopening */
	char *path; /* the payload path in the bundle */
	int fd;	    /* -1 while closed */
	dev_t dev;
	ino_t ino;
	uint64_t size;
	struct timespec mtime;
	char sha256[SIX_SHA256_HEX + 1];
};

struct pack_inputs {
	struct pack_file *v;
	size_t n, cap;
	int follow; /* --follow-symlinks */
	uint64_t total;
};

/* Add one command-line argument (a regular file, or a directory walked recursively
 * in byte order of names). Errors: SIX_ERR_NOINPUT (missing, unreadable),
 * SIX_ERR_INPUT (link without follow, device, FIFO, socket, bad name). */
int pack_inputs_add(struct pack_inputs *in, const char *arg, struct six_err *err);
/* After all arguments: SIX_ERR_INPUT if none, or two map to one payload path. */
int pack_inputs_check(struct pack_inputs *in, struct six_err *err);
/* Pass 1: size and SHA-256 of every file. */
int pack_inputs_hash(struct pack_inputs *in, struct six_progress *prog, struct six_err *err);
/* Pass 2: an fd on f positioned at 0, the same inode as in pass 1. */
int pack_file_open(struct pack_file *f, int follow, struct six_err *err);
/* After pass 2 read the file: SIX_ERR_INPUT if size, hash or mtime changed. */
int pack_file_unchanged(struct pack_file *f, uint64_t size, const char *sha256,
			struct six_err *err);
void pack_file_close(struct pack_file *f);
void pack_inputs_free(struct pack_inputs *in);

#endif
