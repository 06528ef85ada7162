/* A helper thread that hashes one buffer while the caller goes on with the same bytes
 * (six-pack compresses them, six-xferd recv writes them): SHA-256 on a second core.
 * One job at a time: post() returns once the previous job is done, so with two buffers
 * used in turn, the caller never overwrites bytes still being hashed. */
#ifndef SIX_HASHER_H
#define SIX_HASHER_H

#include <pthread.h>
#include <stddef.h>

#include "err.h"
#include "hash.h"

struct six_hasher {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct six_sha256 *h; /* the job: add p[0..n) to h */
	const void *p;
	size_t n;
	int busy; /* a job is posted and not finished */
	int quit;
};

int six_hasher_start(struct six_hasher *hs, struct six_err *err);
/* Wait for the previous job, then hash p[0..n) into h in the background; p must not
 * change until the next post() or wait() returns. */
void six_hasher_post(struct six_hasher *hs, struct six_sha256 *h, const void *p, size_t n);
/* Wait until the last job is finished (before reading or freeing its hash). */
void six_hasher_wait(struct six_hasher *hs);
void six_hasher_stop(struct six_hasher *hs);

#endif
