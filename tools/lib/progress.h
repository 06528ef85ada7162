/* A one-line progress meter on stderr, shown only when stderr is a terminal and the
 * work is large enough to be worth watching. */
#ifndef SIX_PROGRESS_H
#define SIX_PROGRESS_H

#include <stdint.h>
#include <time.h>

struct six_progress {
	int on;
	const char *label;
	uint64_t total;
	uint64_t done;
	struct timespec start;
	struct timespec last;
};

/* Show progress for work of total bytes if stderr is a tty and total >= min_total. */
void six_progress_start(struct six_progress *p, const char *label, uint64_t total,
			uint64_t min_total);
void six_progress_add(struct six_progress *p, uint64_t n);
/* Clear the line. */
void six_progress_end(struct six_progress *p);

#endif
