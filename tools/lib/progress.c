#include "progress.h"

#include <stdio.h>
#include <unistd.h>

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void six_progress_start(struct six_progress *p, const char *label, uint64_t total,
			uint64_t min_total)
{
	p->on = isatty(STDERR_FILENO) && total >= min_total;
	p->label = label;
	p->total = total;
	p->done = 0;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

void six_progress_add(struct six_progress *p, uint64_t n)
{
	p->done += n;
	if (!p->on)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* five redraws a second is smooth and costs nothing */
	if (secs(&p->last, &now) < 0.2 && p->done < p->total)
		return;
	p->last = now;
	double el = secs(&p->start, &now);
	double mb = (double)p->done / 1e6;
	unsigned pct = p->total ? (unsigned)(p->done * 100 / p->total) : 100;
	fprintf(stderr, "\r%s: %3u%%  %.0f/%.0f MB  %.0f MB/s ", p->label, pct > 100 ? 100 : pct,
		mb, (double)p->total / 1e6, el > 0 ? mb / el : 0.0);
}

void six_progress_end(struct six_progress *p)
{
	if (p->on)
		fprintf(stderr, "\r\033[K");
	p->on = 0;
}
