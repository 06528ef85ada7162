#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static void reset(struct pack_out *o)
{
	memset(o, 0, sizeof *o);
	o->fd = o->dirfd = -1;
	o->sp.dirfd = o->sp.tmpfd = o->sp.newfd = o->sp.curfd = -1;
}

/* An unnamed file in dir: if six-pack is killed, even by SIGKILL, the kernel frees
 * it and nothing is left behind. Falls back to a named temporary where O_TMPFILE or
 * /proc (needed to link it) is missing. */
static int create_tmp(struct pack_out *o, struct six_err *err)
{
	if (access("/proc/self/fd", X_OK) == 0) {
		o->fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
		if (o->fd >= 0) {
			o->unnamed = 1;
			return 0;
		}
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != ENOENT)
			return six_fail_errno(err, SIX_ERR_CREATE, "cannot create a file beside %s",
					      o->where);
	}
	if (six_spool_unique_name(o->tmpname + 1, sizeof o->tmpname - 1, ".six-pack.tmp") < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot make a unique name");
	o->tmpname[0] = '.';
	o->fd = openat(o->dirfd, o->tmpname,
		       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (o->fd < 0)
		return six_fail_errno(err, SIX_ERR_CREATE, "cannot create a file beside %s",
				      o->where);
	return 0;
}

int pack_out_open_file(struct pack_out *o, const char *path, int force, struct six_err *err)
{
	reset(o);
	o->force = force;
	o->where = path;
	char *d = strdup(path), *b = strdup(path);
	int rc = 0;
	if (!d || !b)
		rc = six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	else if (snprintf(o->base, sizeof o->base, "%s", basename(b)) >= (int)sizeof o->base ||
		 strcmp(o->base, "/") == 0 || strcmp(o->base, ".") == 0 ||
		 strcmp(o->base, "..") == 0)
		rc = six_fail(err, SIX_ERR_CREATE, "%s: not a file name", path);
	else if ((o->dirfd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = six_fail_errno(err, SIX_ERR_CREATE, "cannot write %s", path);
	free(d);
	free(b);
	struct stat st;
	/* early, so a mistake costs no hashing; commit checks again without a race */
	if (rc == 0 && !force && fstatat(o->dirfd, o->base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		rc = six_fail(err, SIX_ERR_EXISTS, "%s exists (give --force to replace it)", path);
	if (rc == 0 && force && fstatat(o->dirfd, o->base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		rc = six_fail(err, SIX_ERR_EXISTS, "%s is a directory", path);
	if (rc == 0)
		rc = create_tmp(o, err);
	snprintf(o->shown, sizeof o->shown, "%s", path);
	if (rc < 0)
		pack_out_abort(o);
	return rc;
}

int pack_out_open_spool(struct pack_out *o, const char *spool, struct six_err *err)
{
	reset(o);
	o->spool = 1;
	o->where = spool;
	int rc = six_spool_open(spool, 1, &o->sp, err);
	if (rc < 0)
		return rc;
	o->fd = six_spool_create(&o->sp, o->tmpname, err);
	if (o->fd < 0) {
		rc = o->fd;
		pack_out_abort(o);
	}
	return rc;
}

static int link_unnamed(const struct pack_out *o, const char *name)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
	return linkat(AT_FDCWD, proc, o->dirfd, name, AT_SYMLINK_FOLLOW);
}

/* Name the finished file without ever replacing one (unless --force): link(2) and
 * RENAME_NOREPLACE fail with EEXIST instead of overwriting a bundle that appeared
 * meanwhile. */
static int place(struct pack_out *o, struct six_err *err)
{
	int r = 0;
	if (o->unnamed && !o->force) {
		r = link_unnamed(o, o->base);
	} else {
		if (o->unnamed) { /* --force: a named temporary, then rename over OUT */
			if (six_spool_unique_name(o->tmpname + 1, sizeof o->tmpname - 1,
						  ".six-pack.tmp") < 0)
				return six_fail(err, SIX_ERR_INTERNAL, "cannot make a unique name");
			o->tmpname[0] = '.';
			r = link_unnamed(o, o->tmpname);
			if (r < 0)
				o->tmpname[0] = '\0';
		}
		if (r == 0 && o->force)
			r = renameat(o->dirfd, o->tmpname, o->dirfd, o->base);
		else if (r == 0) {
			r = renameat2(o->dirfd, o->tmpname, o->dirfd, o->base, RENAME_NOREPLACE);
			if (r < 0 && (errno == EINVAL || errno == ENOSYS) &&
			    (r = linkat(o->dirfd, o->tmpname, o->dirfd, o->base, 0)) == 0)
				unlinkat(o->dirfd, o->tmpname, 0);
		}
	}
	if (r < 0)
		return six_fail_errno(err, errno == EEXIST ? SIX_ERR_EXISTS : SIX_ERR_IO,
				      "cannot create %s", o->where);
	o->tmpname[0] = '\0';
	return six_fsync_dir(o->dirfd, err);
}

int pack_out_commit(struct pack_out *o, const char *name, struct six_err *err)
{
	int rc;
	if (o->spool) {
		int n = snprintf(o->shown, sizeof o->shown, "%s/new/%s", o->where, name);
		rc = six_spool_commit(&o->sp, o->fd, o->tmpname, name, err);
		o->fd = -1;
		o->tmpname[0] = '\0';
		if (rc == 0 && (n < 0 || (size_t)n >= sizeof o->shown))
			rc = six_fail(err, SIX_ERR_INTERNAL, "spool path too long");
		six_spool_close(&o->sp);
		return rc;
	}
	if (fsync(o->fd) < 0)
		rc = six_fail_errno(err, SIX_ERR_IO, "cannot write %s", o->where);
	else
		rc = place(o, err);
	if (rc < 0) {
		pack_out_abort(o);
		return rc;
	}
	close(o->fd);
	close(o->dirfd);
	o->fd = o->dirfd = -1;
	return 0;
}

void pack_out_abort(struct pack_out *o)
{
	if (o->spool) {
		if (o->fd >= 0 || o->tmpname[0])
			six_spool_abort(&o->sp, o->fd, o->tmpname);
		six_spool_close(&o->sp);
		o->fd = -1;
		o->tmpname[0] = '\0';
		return;
	}
	if (o->fd >= 0)
		close(o->fd);
	if (o->dirfd >= 0 && o->tmpname[0])
		unlinkat(o->dirfd, o->tmpname, 0);
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->fd = o->dirfd = -1;
	o->tmpname[0] = '\0';
}
