/* six-xferd recv: files in progress, groups in bounded memory, delivery (recv.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "path.h"
#include "recv.h"
#include "util.h"

/* Remove what a crashed receiver left in tmp/: only our own files (the suffix), since
 * other writers may share the spool. One receiver per inbox holds the lock. */
static void sweep_tmp(struct rx *rx)
{
	size_t n = six_spool_sweep_tmp(&rx->sp, XFERD_TMP_SUFFIX, time(NULL), 0);
	if (n)
		xferd_log(rx->log, "removed %zu partial file(s) left in tmp/ by an earlier run", n);
}

int xferd_rx_init(struct rx *rx, const char *inbox, const struct xferd_log *log,
		  size_t mem_max, uint64_t partial_timeout, struct six_err *err)
{
	memset(rx, 0, sizeof *rx);
	rx->log = log;
	rx->mem_max = mem_max;
	rx->partial_timeout = partial_timeout;
	rx->lru.next = rx->lru.prev = &rx->lru;
	rx->written.next = rx->written.prev = &rx->written;
	int rc = six_spool_open(inbox, 1, &rx->sp, err);
	if (rc < 0)
		return rc;
	/* Two receivers on one inbox would sweep each other's tmp/ files. */
	int lk = six_trylock_at(rx->sp.dirfd, ".xferd-recv.lock", err);
	if (lk < 0) {
		six_spool_close(&rx->sp);
		return lk == SIX_ERR_TEMP ? six_fail(err, SIX_ERR_TEMP, "another six-xferd recv "
					      "is using %s", inbox) : lk;
	}
	/* the lock fd stays open (CLOEXEC) for the life of the process */
	rx->scratch = malloc((size_t)SIX_DGRAM_K_MAX * SIX_DGRAM_SYM_MAX);
	if (!rx->scratch || six_hasher_start(&rx->hasher, err) < 0) {
		free(rx->scratch);
		rx->scratch = NULL;
		six_spool_close(&rx->sp);
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory, or no thread");
	}
	sweep_tmp(rx);
	return 0;
}

/* A group is on one of two lists: rx->lru (in progress) or rx->written (complete, on
 * disk, waiting for its turn at the hash). */
static void list_unlink(struct rgroup *g)
{
	g->prev->next = g->next;
	g->next->prev = g->prev;
}

static void list_front(struct rgroup *head, struct rgroup *g)
{
	g->next = head->next;
	g->prev = head;
	head->next->prev = g;
	head->next = g;
}

/* Take g out of its file and of its list; its memory stays counted until released. */
static void group_detach(struct rgroup *g)
{
	list_unlink(g);
	g->file->gslot[g->g] = NULL;
}

static void group_release(struct rx *rx, struct rgroup *g)
{
	rx->mem -= g->bytes;
	free(g);
}

static void group_free(struct rx *rx, struct rgroup *g)
{
	group_detach(g);
	group_release(rx, g);
}

/* Wait for the helper's last job; the group it hashed can go. */
static void hash_settle(struct rx *rx)
{
	six_hasher_wait(&rx->hasher);
	if (rx->hashing)
		group_release(rx, rx->hashing);
	rx->hashing = NULL;
}

/* Forget a file: its groups, its tmp/ file unless delivered (fd already closed). */
static void file_drop(struct rx *rx, struct rfile *f)
{
	for (uint32_t i = 0; f->gslot && i < f->ngroups; i++)
		if (f->gslot[i])
			group_free(rx, f->gslot[i]);
	if (f->fd >= 0)
		six_spool_abort(&rx->sp, f->fd, f->tmpname);
	hash_settle(rx); /* it may be hashing into f->h */
	six_sha256_abort(&f->h);
	xferd_fec_free(&f->fec);
	xferd_fec_free(&f->fec_last);
	free(f->gdone);
	free(f->gslot);
	memset(f, 0, sizeof *f);
	f->fd = -1;
}

void xferd_rx_close(struct rx *rx)
{
	for (size_t i = 0; i < XFERD_RX_FILES; i++)
		if (rx->files[i].used)
			file_drop(rx, &rx->files[i]);
	six_spool_close(&rx->sp);
	free(rx->scratch);
	rx->scratch = NULL;
	hash_settle(rx);
	six_hasher_stop(&rx->hasher);
}

static void remember_done(struct rx *rx, uint64_t session, uint32_t id)
{
	rx->done[rx->done_pos] = (struct rdone){session, id};
	rx->done_hit = rx->done_pos;
	rx->done_pos = (rx->done_pos + 1) % XFERD_RX_DONE_RING;
	if (rx->ndone < XFERD_RX_DONE_RING)
		rx->ndone++;
}

int xferd_rx_completed(struct rx *rx, uint64_t session, uint32_t id)
{
	/* Later passes of one file arrive in a row: try the last hit first. */
	const struct rdone *h = &rx->done[rx->done_hit];
	if (rx->ndone && h->session == session && h->id == id)
		return 1;
	for (size_t i = 0; i < rx->ndone; i++)
		if (rx->done[i].session == session && rx->done[i].id == id) {
			rx->done_hit = i;
			return 1;
		}
	return 0;
}

static struct rfile *file_find(struct rx *rx, uint64_t session, uint32_t id)
{
	for (size_t i = 0; i < XFERD_RX_FILES; i++)
		if (rx->files[i].used && rx->files[i].session == session && rx->files[i].id == id)
			return &rx->files[i];
	return NULL;
}

void xferd_rx_lost(struct rx *rx, uint64_t session, uint32_t id)
{
	struct rfile *f = file_find(rx, session, id);
	rx->c.lost++;
	if (f) {
		xferd_warn(rx->log, "lost: file %u (%s): %u of %u groups arrived; the sender's "
				    "passes ended", id, f->have_meta ? f->name : "name unknown",
			   f->ndone, f->ngroups);
		file_drop(rx, f);
	} else {
		xferd_warn(rx->log, "lost: file %u (nothing of it arrived); the sender's passes "
				    "ended", id);
	}
	remember_done(rx, session, id); /* reported once */
}

/* A slot for a new file: a free one, or the one idle longest if idle for 2 s. */
static struct rfile *file_slot(struct rx *rx, uint64_t now)
{
	struct rfile *old = NULL;
	for (size_t i = 0; i < XFERD_RX_FILES; i++) {
		if (!rx->files[i].used)
			return &rx->files[i];
		if (!old || rx->files[i].last_seen < old->last_seen)
			old = &rx->files[i];
	}
	if (now - old->last_seen < 2000000000u)
		return NULL;
	xferd_warn(rx->log, "discarding partial file %u (%s) to make room", old->id,
		   old->have_meta ? old->name : "name unknown");
	rx->c.partial++;
	file_drop(rx, old);
	return old;
}

static int file_open(struct rx *rx, struct rfile *f, const struct six_dgram *d, uint64_t now)
{
	struct statvfs vfs;
	/* A file announced larger than the free space would fail late: refuse it now. */
	if (fstatvfs(rx->sp.tmpfd, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < d->size) {
		rx->c.nospace++;
		return -1;
	}
	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->session = d->session;
	f->id = d->file;
	f->size = d->size;
	f->sym = d->sym;
	f->k = d->k;
	f->m = d->m;
	f->ngroups = (uint32_t)six_dgram_ngroups(d->size, d->sym, d->k);
	f->last_seen = now;
	f->gdone = calloc(f->ngroups ? f->ngroups : 1, 1);
	f->gslot = calloc(f->ngroups ? f->ngroups : 1, sizeof *f->gslot);
	struct six_err e;
	if (!f->gdone || !f->gslot || six_sha256_init(&f->h, &e) < 0) {
		free(f->gdone);
		free(f->gslot);
		return -1;
	}
	f->used = 1;
	if (six_spool_unique_name(f->tmpname, sizeof f->tmpname, XFERD_TMP_SUFFIX) == 0)
		f->fd = openat(rx->sp.tmpfd, f->tmpname,
			       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f->fd < 0 || ftruncate(f->fd, (off_t)f->size) < 0) {
		xferd_warn(rx->log, "cannot create a file in tmp/: %s", strerror(errno));
		rx->c.io++;
		file_drop(rx, f);
		return -1;
	}
	return 0;
}

static int name_taken(struct rx *rx, struct rfile *f);

/* Deliver a complete file: SHA-256 over the whole file, then fsync and link into new/
 * (never replacing: a name already there is kept). */
static void file_finish(struct rx *rx, struct rfile *f)
{
	uint8_t sha[SIX_SHA256_LEN];
	hash_settle(rx);
	six_sha256_final(&f->h, sha);
	f->h.hd = NULL;
	if (memcmp(sha, f->sha, sizeof sha) != 0) {
		/* Every datagram passed its CRC, so this is a forgery or a sender bug: start
		 * the file again from the next pass rather than deliver it. */
		xferd_warn(rx->log, "%s (file %u): SHA-256 mismatch, discarded; waiting for the "
				    "next pass", f->name, f->id);
		rx->c.bad_sha++;
		file_drop(rx, f);
		return;
	}
	struct six_err e;
	int fd = f->fd;
	f->fd = -1;
	int rc = six_spool_commit(&rx->sp, fd, f->tmpname, f->name, &e);
	if (rc == SIX_ERR_EXISTS) {
		name_taken(rx, f); /* arrived meanwhile, e.g. from an earlier session */
	} else if (rc < 0) {
		xferd_warn(rx->log, "cannot deliver %s: %s", f->name, e.msg);
		rx->c.io++;
		file_drop(rx, f);
		return; /* not remembered: a later pass may succeed */
	} else {
		char hex[SIX_SHA256_HEX + 1];
		six_hex(sha, sizeof sha, hex);
		xferd_log(rx->log, "received %s (%llu bytes, file %u, sha256 %s)", f->name,
			  (unsigned long long)f->size, f->id, hex);
		rx->c.completed++;
		rx->c.bytes += f->size;
	}
	remember_done(rx, f->session, f->id);
	file_drop(rx, f);
}

/* A name already in new/ or cur/: the same content was delivered before (a
 * restarted sender resends what it had not moved to cur/), or it is a clash. */
static int name_taken(struct rx *rx, struct rfile *f)
{
	int dirs[2] = {rx->sp.newfd, rx->sp.curfd};
	for (int i = 0; i < 2; i++) {
		int fd = openat(dirs[i], f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		char hex[SIX_SHA256_HEX + 1], want[SIX_SHA256_HEX + 1];
		uint64_t size;
		struct six_err e;
		int same = six_sha256_fd(fd, hex, &size, &e) == 0 && size == f->size;
		close(fd);
		six_hex(f->sha, sizeof f->sha, want);
		same = same && !strcmp(hex, want);
		if (same) {
			xferd_log(rx->log, "%s (file %u) was delivered before: ignored", f->name,
				  f->id);
			rx->c.duplicate++;
		} else {
			xferd_warn(rx->log, "%s (file %u): a different file of that name is in the "
					    "spool: refused", f->name, f->id);
			rx->c.refused++;
		}
		return 1;
	}
	return 0;
}

/* The record must describe the same file as what arrived before: a sender never
 * changes a file's size, geometry, name or digest within a session. */
static int same_file(const struct rfile *f, const struct six_dgram *d)
{
	if (f->size != d->size || f->sym != d->sym || f->k != d->k || f->m != d->m)
		return 0;
	if (d->type != SIX_DG_META || !f->have_meta)
		return 1;
	return memcmp(f->sha, d->sha256, sizeof f->sha) == 0 && strlen(f->name) == d->paylen &&
	       memcmp(f->name, d->payload, d->paylen) == 0;
}

/* The file a record belongs to, created on its first record; NULL to drop it. */
static struct rfile *file_get(struct rx *rx, const struct six_dgram *d, uint64_t now)
{
	struct rfile *f = file_find(rx, d->session, d->file);
	if (f) {
		if (!same_file(f, d)) {
			rx->c.conflict++;
			return NULL;
		}
		f->last_seen = now;
		return f;
	}
	if (xferd_rx_completed(rx, d->session, d->file)) {
		rx->c.stale++; /* a later pass of a file already delivered */
		return NULL;
	}
	f = file_slot(rx, now);
	if (!f) {
		rx->c.busy++;
		return NULL;
	}
	return file_open(rx, f, d, now) < 0 ? NULL : f;
}

static void on_meta(struct rx *rx, struct rfile *f, const struct six_dgram *d)
{
	if (f->have_meta)
		return;
	memcpy(f->sha, d->sha256, sizeof f->sha);
	memcpy(f->name, d->payload, d->paylen);
	f->name[d->paylen] = 0;
	struct six_err e;
	/* Checked by the reader already; checked again here, where files are made. */
	if (six_name_check(f->name, &e) < 0) {
		rx->c.conflict++;
		f->name[0] = 0;
		return;
	}
	f->have_meta = 1;
	if (name_taken(rx, f)) {
		remember_done(rx, f->session, f->id);
		file_drop(rx, f);
		return;
	}
	if (f->ndone == f->ngroups)
		file_finish(rx, f);
}

static struct xferd_fec *fec_for(struct rfile *f, uint16_t kg)
{
	struct xferd_fec *fec = kg == f->k ? &f->fec : &f->fec_last;
	if (fec->k != kg) {
		xferd_fec_free(fec);
		if (xferd_fec_init(fec, kg, f->m) < 0)
			return NULL;
	}
	return fec;
}

/* Feed the hash, in file order, with every complete group from hash_next on: from
 * memory if it is still there (the helper thread hashes it, then it is released), else
 * read back from tmp/ (it made room for others). Groups complete out of order, a
 * window of them at a time, so most wait in memory for their turn. */
static int hash_forward(struct rx *rx, struct rfile *f)
{
	size_t gbytes = (size_t)f->k * f->sym;
	while (f->hash_next < f->ngroups && f->gdone[f->hash_next]) {
		uint64_t off = (uint64_t)f->hash_next * gbytes;
		size_t len = f->size - off < gbytes ? (size_t)(f->size - off) : gbytes;
		struct rgroup *g = f->gslot[f->hash_next];
		hash_settle(rx); /* in order, and scratch is free again */
		if (g) {
			group_detach(g);
			rx->hashing = g;
			six_hasher_post(&rx->hasher, &f->h, g->buf, len);
		} else {
			ssize_t r = pread(f->fd, rx->scratch, len, (off_t)off);
			if (r != (ssize_t)len)
				return -1;
			six_sha256_update(&f->h, rx->scratch, len);
		}
		f->hash_next++;
	}
	return 0;
}

static void group_complete(struct rx *rx, struct rfile *f, struct rgroup *g)
{
	uint8_t *rows[SIX_DGRAM_K_MAX + SIX_DGRAM_M_MAX];
	for (unsigned i = 0; i < (unsigned)g->kg + f->m; i++)
		rows[i] = g->buf + (size_t)i * f->sym;
	struct xferd_fec *fec = fec_for(f, g->kg);
	if (!fec || xferd_fec_decode(fec, f->sym, rows, g->have) < 0) {
		rx->c.io++;
		group_free(rx, g);
		return;
	}
	size_t gbytes = (size_t)f->k * f->sym;
	uint64_t off = (uint64_t)g->g * gbytes;
	size_t len = (size_t)g->kg * f->sym;
	if (f->size - off < len)
		len = (size_t)(f->size - off); /* the zero padding of the last symbol */
	f->gdone[g->g] = 1;
	list_unlink(g);
	list_front(&rx->written, g);
	int rc = pwrite(f->fd, g->buf, len, (off_t)off) != (ssize_t)len ? -1 : hash_forward(rx, f);
	int errnum = errno;
	if (rc < 0) {
		xferd_warn(rx->log, "cannot write file %u in tmp/: %s", f->id, strerror(errnum));
		rx->c.io++;
		file_drop(rx, f);
		return;
	}
	if (++f->ndone == f->ngroups && f->have_meta)
		file_finish(rx, f);
}

static struct rgroup *group_new(struct rx *rx, struct rfile *f, uint32_t gi)
{
	uint16_t kg = six_dgram_group_k(f->size, f->sym, f->k, gi);
	size_t bytes = sizeof(struct rgroup) + ((size_t)kg + f->m) * f->sym;
	/* Memory stays bounded. Written groups make room first (they are read back for
	 * the hash), then the group touched least recently (its symbols come again in
	 * the next pass). */
	while (rx->mem + bytes > rx->mem_max && rx->written.prev != &rx->written)
		group_free(rx, rx->written.prev);
	while (rx->mem + bytes > rx->mem_max && rx->lru.prev != &rx->lru) {
		group_free(rx, rx->lru.prev);
		rx->c.evicted++;
	}
	if (rx->mem + bytes > rx->mem_max)
		return NULL;
	struct rgroup *g = malloc(bytes);
	if (!g)
		return NULL;
	memset(g, 0, sizeof *g);
	g->file = f;
	g->g = gi;
	g->kg = kg;
	g->bytes = bytes;
	rx->mem += bytes;
	f->gslot[gi] = g;
	list_front(&rx->lru, g);
	return g;
}

static void on_symbol(struct rx *rx, struct rfile *f, const struct six_dgram *d)
{
	if (f->gdone[d->group]) {
		rx->c.redundant++; /* the group was rebuilt without it */
		return;
	}
	struct rgroup *g = f->gslot[d->group];
	if (!g && !(g = group_new(rx, f, d->group))) {
		rx->c.evicted++;
		return;
	}
	unsigned row = d->type == SIX_DG_DATA ? d->index : (unsigned)g->kg + d->index;
	if (g->have[row]) {
		rx->c.redundant++;
		return;
	}
	memcpy(g->buf + (size_t)row * f->sym, d->payload, f->sym);
	g->have[row] = 1;
	list_unlink(g);
	list_front(&rx->lru, g);
	if (++g->nhave >= g->kg)
		group_complete(rx, f, g);
}

void xferd_rx_dgram(struct rx *rx, const struct six_dgram *d, uint64_t now)
{
	struct rfile *f = file_get(rx, d, now);
	if (!f)
		return;
	if (d->type == SIX_DG_META)
		on_meta(rx, f, d);
	else
		on_symbol(rx, f, d);
}

void xferd_rx_tick(struct rx *rx, uint64_t now)
{
	for (size_t i = 0; i < XFERD_RX_FILES; i++) {
		struct rfile *f = &rx->files[i];
		if (!f->used || now - f->last_seen < rx->partial_timeout)
			continue;
		xferd_warn(rx->log, "discarding partial file %u (%s): nothing arrived for %llu s",
			   f->id, f->have_meta ? f->name : "name unknown",
			   (unsigned long long)(rx->partial_timeout / 1000000000u));
		rx->c.partial++;
		file_drop(rx, f);
	}
}
