#include "hasher.h"

#include <string.h>

static void *run(void *arg)
{
	struct six_hasher *hs = arg;
	pthread_mutex_lock(&hs->mu);
	for (;;) {
		while (!hs->busy && !hs->quit)
			pthread_cond_wait(&hs->cv, &hs->mu);
		if (!hs->busy)
			break;
		pthread_mutex_unlock(&hs->mu);
		six_sha256_update(hs->h, hs->p, hs->n);
		pthread_mutex_lock(&hs->mu);
		hs->busy = 0;
		pthread_cond_broadcast(&hs->cv);
	}
	pthread_mutex_unlock(&hs->mu);
	return NULL;
}

int six_hasher_start(struct six_hasher *hs, struct six_err *err)
{
	memset(hs, 0, sizeof *hs);
	if (pthread_mutex_init(&hs->mu, NULL) != 0)
		return six_fail(err, SIX_ERR_INTERNAL, "cannot make a mutex");
	if (pthread_cond_init(&hs->cv, NULL) != 0) {
		pthread_mutex_destroy(&hs->mu);
		return six_fail(err, SIX_ERR_INTERNAL, "cannot make a condition");
	}
	if (pthread_create(&hs->thread, NULL, run, hs) != 0) {
		pthread_cond_destroy(&hs->cv);
		pthread_mutex_destroy(&hs->mu);
		return six_fail(err, SIX_ERR_INTERNAL, "cannot start a thread");
	}
	return 0;
}

void six_hasher_wait(struct six_hasher *hs)
{
	pthread_mutex_lock(&hs->mu);
	while (hs->busy)
		pthread_cond_wait(&hs->cv, &hs->mu);
	pthread_mutex_unlock(&hs->mu);
}

void six_hasher_post(struct six_hasher *hs, struct six_sha256 *h, const void *p, size_t n)
{
	pthread_mutex_lock(&hs->mu);
	while (hs->busy)
		pthread_cond_wait(&hs->cv, &hs->mu);
	hs->h = h;
	hs->p = p;
	hs->n = n;
	hs->busy = 1;
	pthread_cond_broadcast(&hs->cv);
	pthread_mutex_unlock(&hs->mu);
}

void six_hasher_stop(struct six_hasher *hs)
{
	pthread_mutex_lock(&hs->mu);
	hs->quit = 1;
	pthread_cond_broadcast(&hs->cv);
	pthread_mutex_unlock(&hs->mu);
	pthread_join(hs->thread, NULL);
	pthread_cond_destroy(&hs->cv);
	pthread_mutex_destroy(&hs->mu);
}
