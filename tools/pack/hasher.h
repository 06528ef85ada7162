/* A helper thread that hashes one buffer while the caller compresses the same bytes:
 * pass 2 reads each file once and both consumers work on it at the same time (two
 * cores instead of one for SHA-256 + deflate). One job at a time: post() returns once
 * the previous job is done, so with two buffers used in turn, the caller never
 * overwrites bytes still being hashed. */
#ifndef SIX_PACK_HASHER_H
#define SIX_PACK_HASHER_H

#include <pthread.h>
#include <stddef.h>

#include "err.h"
#include "hash.h"

struct pack_hasher {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct six_sha256 *h; /* the job: add p[0..n) to h */
	const void *p;
	size_t n;
	int busy; /* a job is posted and not finished */
	int quit;
};

int pack_hasher_start(struct pack_hasher *hs, struct six_err *err);
/* Wait for the previous job, then hash p[0..n) into h in the background; p must not
 * change until the next post() or wait() returns. */
void pack_hasher_post(struct pack_hasher *hs, struct six_sha256 *h, const void *p, size_t n);
/* Wait until the last job is finished (before reading or freeing its hash). */
void pack_hasher_wait(struct pack_hasher *hs);
void pack_hasher_stop(struct pack_hasher *hs);

#endif
