#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "path.h"
#include "six_limits.h"
#include "util.h"

int six_spool_open(const char *path, int create, struct six_spool *sp, struct six_err *err)
{
	static const char *const sub[] = {"tmp", "new", "cur"};
	sp->dirfd = sp->tmpfd = sp->newfd = sp->curfd = -1;
	sp->swept = 0;
	if (create) {
		int rc = six_mkdir_p(path, 0700, err);
		if (rc < 0)
			return rc;
	}
	sp->dirfd = six_open_dir(path, err);
	if (sp->dirfd < 0)
		return sp->dirfd;
	int *fds[] = {&sp->tmpfd, &sp->newfd, &sp->curfd};
	for (size_t i = 0; i < 3; i++) {
		if (create && mkdirat(sp->dirfd, sub[i], 0700) < 0 && errno != EEXIST) {
			six_spool_close(sp);
			return six_fail_errno(err, SIX_ERR_CREATE, "cannot create %s/%s", path,
					      sub[i]);
		}
		*fds[i] = openat(sp->dirfd, sub[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*fds[i] < 0) {
			six_spool_close(sp);
			return six_fail(err, SIX_ERR_CONFIG, "%s is not a spool (no %s/)", path,
					sub[i]);
		}
	}
	return 0;
}

void six_spool_close(struct six_spool *sp)
{
	int *fds[] = {&sp->dirfd, &sp->tmpfd, &sp->newfd, &sp->curfd};
	for (size_t i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

size_t six_spool_sweep_tmp(struct six_spool *sp, const char *suffix, time_t now,
			   time_t min_age)
{
	DIR *d = six_opendir_fd(sp->tmpfd);
	if (!d)
		return 0;
	size_t n = 0, sl = suffix ? strlen(suffix) : 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		size_t l = strlen(de->d_name);
		if (suffix && (l <= sl || strcmp(de->d_name + l - sl, suffix) != 0))
			continue;
		if (fstatat(sp->tmpfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISDIR(st.st_mode) || now - st.st_mtime < min_age)
			continue;
		if (unlinkat(sp->tmpfd, de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

size_t six_spool_sweep_stale(struct six_spool *sp, time_t now)
{
	if (sp->swept && now - sp->swept < 3600)
		return 0;
	sp->swept = now;
	return six_spool_sweep_tmp(sp, NULL, now, SIX_SPOOL_TMP_STALE);
}

int six_spool_unique_name(char *out, size_t outlen, const char *suffix)
{
	uint8_t rnd[8];
	char hex[17];
	if (six_random(rnd, sizeof rnd) < 0)
		return -1;
	six_hex(rnd, sizeof rnd, hex);
	int n = snprintf(out, outlen, "%lld.%ld.%s%s", (long long)time(NULL), (long)getpid(),
			 hex, suffix);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int six_spool_create(struct six_spool *sp, char *tmpname, struct six_err *err)
{
	if (six_spool_unique_name(tmpname, SIX_SPOOL_NAME_MAX + 1, "") < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot make a unique name");
	int fd = openat(sp->tmpfd, tmpname,
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return six_fail_errno(err, SIX_ERR_CREATE, "cannot create tmp/%s", tmpname);
	return fd;
}

void six_spool_abort(struct six_spool *sp, int fd, const char *tmpname)
{
	if (fd >= 0)
		close(fd);
	unlinkat(sp->tmpfd, tmpname, 0);
}

int six_spool_commit(struct six_spool *sp, int fd, const char *tmpname, const char *name,
		     struct six_err *err)
{
	int rc = six_name_check(name, err);
	if (rc < 0) {
		six_spool_abort(sp, fd, tmpname);
		return rc;
	}
	/* close even when fsync fails: the fd is ours to release on every path */
	int bad = fsync(fd) < 0;
	int saved = errno;
	if (close(fd) < 0 && !bad)
		bad = 1, saved = errno;
	if (bad) {
		errno = saved;
		six_fail_errno(err, SIX_ERR_IO, "cannot write tmp/%s", tmpname);
		six_spool_abort(sp, -1, tmpname);
		return SIX_ERR_IO;
	}
	/* link+unlink rather than rename: never replaces a file already in new/ */
	if (linkat(sp->tmpfd, tmpname, sp->newfd, name, 0) < 0) {
		int exists = errno == EEXIST;
		six_fail_errno(err, exists ? SIX_ERR_EXISTS : SIX_ERR_IO, "cannot deliver new/%s",
			       name);
		six_spool_abort(sp, -1, tmpname);
		return exists ? SIX_ERR_EXISTS : SIX_ERR_IO;
	}
	unlinkat(sp->tmpfd, tmpname, 0);
	return six_fsync_dir(sp->newfd, err);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int six_spool_list_new(struct six_spool *sp, char ***names, size_t *count, struct six_err *err)
{
	DIR *d = six_opendir_fd(sp->newfd);
	if (!d)
		return six_fail_errno(err, SIX_ERR_IO, "cannot list new/");
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof *v);
			if (!nv)
				goto oom;
			v = nv;
		}
		if (!(v[n] = strdup(de->d_name)))
			goto oom;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof *v, cmp_names);
	*names = v;
	*count = n;
	return 0;
oom:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
}

int six_spool_done(struct six_spool *sp, const char *name, struct six_err *err)
{
	if (renameat(sp->newfd, name, sp->curfd, name) < 0)
		return six_fail_errno(err, errno == ENOENT ? SIX_ERR_NOINPUT : SIX_ERR_IO,
				      "cannot move new/%s to cur/", name);
	int rc = six_fsync_dir(sp->curfd, err);
	return rc < 0 ? rc : six_fsync_dir(sp->newfd, err);
}
