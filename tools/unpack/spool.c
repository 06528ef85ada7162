/* Spool mode: every bundle in SPOOL/new, exactly once, even with several instances on
 * one spool. A bundle is claimed with a non-blocking flock on its file, and checked
 * to still be in new/ once held: another instance either holds it (we skip it) or has
 * finished and moved it to cur/ (it is gone from new/). A crashed instance's flock
 * dies with it, so its bundle is simply picked up again (the seen-set lets the same
 * bundle resume). Delivered and quarantined bundles both move to cur/; bundles that
 * failed for operational reasons stay in new/ for the next run. */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "spool.h"

#define NOT_A_FILE (-2)

/* Open and claim new/<name>: the fd (locked); -1 when it is not ours to take (gone,
 * or another instance holds it); NOT_A_FILE for a link, FIFO, directory... which no
 * spool writer makes and which is never opened through. */
static int claim(struct six_spool *sp, const char *name)
{
	struct stat a, b;
	if (fstatat(sp->newfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISREG(b.st_mode))
		return NOT_A_FILE;
	int fd = openat(sp->newfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &a) < 0 ||
	    fstatat(sp->newfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 if SIGTERM or SIGINT is pending (read from the signalfd, if any). */
static int stop_requested(int sigfd)
{
	struct pollfd p = {sigfd, POLLIN, 0};
	return sigfd >= 0 && poll(&p, 1, 0) > 0;
}

struct run {
	struct unpack *u;
	struct six_spool sp;
	unpack_report_fn report;
	void *hook;
	int sigfd;
	int first; /* the first refusal's code, 0 while none */
};

/* Not a regular file: refused (audited, moved to cur/ so it is reported once), but
 * there is nothing to copy into quarantine. */
static int not_a_file(struct run *r, const char *name, struct six_err *err)
{
	six_fail(err, SIX_ERR_UNSAFE, "new/%.200s is not a regular file", name);
	const struct six_kv kv[] = {{"bundle", name}, {"class", "unsafe"}, {"reason", err->msg}};
	struct six_err e2;
	/* whoever moves it reports it: concurrent instances report it once */
	int rc = six_spool_done(&r->sp, name, &e2);
	if (rc == SIX_ERR_NOINPUT)
		return 0;
	if (rc == 0)
		rc = six_audit_append(r->u->home.fd, "rejected", kv, 3, NULL, &e2);
	if (rc < 0) {
		*err = e2;
		return rc;
	}
	r->report(name, NULL, err, r->hook);
	r->first = r->first ? r->first : SIX_ERR_UNSAFE;
	return 0;
}

static int one(struct run *r, const char *name, struct six_err *err)
{
	int fd = claim(&r->sp, name);
	if (fd == NOT_A_FILE)
		return not_a_file(r, name, err);
	if (fd < 0)
		return 0;
	char dir[UNPACK_DIR_MAX];
	int rc = unpack_bundle(r->u, fd, name, dir, err);
	if (rc == 0 || (rc <= SIX_ERR_DECRYPT && rc >= SIX_ERR_LIMIT)) {
		r->report(name, rc == 0 ? dir : NULL, rc == 0 ? NULL : err, r->hook);
		if (rc < 0 && r->first == 0)
			r->first = rc;
		struct six_err e2;
		rc = six_spool_done(&r->sp, name, &e2);
		if (rc < 0)
			*err = e2;
	}
	close(fd); /* releases the claim, after the move to cur/ */
	return rc;
}

static int all(struct run *r, struct six_err *err)
{
	char **names;
	size_t n;
	six_spool_sweep_stale(&r->sp, time(NULL)); /* as the inbox's consumer */
	int rc = six_spool_list_new(&r->sp, &names, &n, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && !stop_requested(r->sigfd))
			rc = one(r, names[i], err);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Watch new/ (inotify) and SIGTERM/SIGINT (signalfd: no handler, no global flag). The
 * watch is set before the first listing, so nothing arriving in between is missed. */
static int watch_setup(const char *spool, int *ino, int *sigfd, struct six_err *err)
{
	char path[PATH_MAX];
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	snprintf(path, sizeof path, "%s/new", spool);
	*ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (*ino < 0 || inotify_add_watch(*ino, path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot watch %s", path);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (*sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "signalfd");
	return 0;
}

/* Sleep until new/ changes (1) or a stop is asked for (0). */
static int wait_event(int ino, int sigfd)
{
	struct pollfd p[2] = {{ino, POLLIN, 0}, {sigfd, POLLIN, 0}};
	while (poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return 0;
	if (p[1].revents)
		return 0;
	char buf[4096];
	while (read(ino, buf, sizeof buf) > 0)
		; /* drain: the listing, not the events, says what is there */
	return 1;
}

int unpack_spool(struct unpack *u, const char *spool, int watch, unpack_report_fn report,
		 void *hook, struct six_err *err)
{
	struct run r = {.u = u, .report = report, .hook = hook, .sigfd = -1};
	int ino = -1;
	int rc = six_spool_open(spool, 0, &r.sp, err);
	if (rc < 0)
		return rc;
	if (watch)
		rc = watch_setup(spool, &ino, &r.sigfd, err);
	while (rc == 0) {
		rc = all(&r, err);
		if (rc < 0 || !watch || stop_requested(r.sigfd) || !wait_event(ino, r.sigfd))
			break;
	}
	if (ino >= 0)
		close(ino);
	if (r.sigfd >= 0)
		close(r.sigfd);
	six_spool_close(&r.sp);
	if (rc < 0)
		return rc;
	if (r.first < 0)
		six_fail(err, r.first, "%s", "some bundles were refused");
	return r.first;
}
