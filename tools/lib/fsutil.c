#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "six_limits.h"

int six_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t six_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int six_open_dir_at(int dirfd, const char *name, struct six_err *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return six_fail_errno(err, errno == ENOENT ? SIX_ERR_NOINPUT : SIX_ERR_IO,
				      "cannot open directory %s", name);
	return fd;
}

DIR *six_opendir_fd(int dirfd)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	rewinddir(d);
	return d;
}

int six_open_dir(const char *path, struct six_err *err)
{
	return six_open_dir_at(AT_FDCWD, path, err);
}

int six_mkdir_p(const char *path, mode_t mode, struct six_err *err)
{
	char buf[SIX_HOME_PATH_MAX * 2];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof buf)
		return six_fail(err, SIX_ERR_INPUT, "path too long: %s", path);
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return six_fail_errno(err, SIX_ERR_CREATE, "cannot create %s", buf);
		buf[i] = saved;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return six_fail(err, SIX_ERR_CREATE, "%s is not a directory", path);
	return 0;
}

int six_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len,
		     struct six_err *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return six_fail_errno(err, SIX_ERR_NOINPUT,
				      "cannot open %s", name);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return six_fail(err, SIX_ERR_INPUT, "%s is not a regular file", name);
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return six_fail(err, SIX_ERR_LIMIT, "%s is larger than %zu bytes", name, max);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	}
	/* read one byte more than expected: a file that grew is caught, not truncated */
	ssize_t n = six_read_full(fd, buf, (size_t)st.st_size + 1);
	int saved = errno;
	close(fd);
	if (n < 0 || (size_t)n != (size_t)st.st_size) {
		free(buf);
		errno = saved;
		return n < 0 ? six_fail_errno(err, SIX_ERR_IO, "cannot read %s", name)
			     : six_fail(err, SIX_ERR_IO, "%s changed while read", name);
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

int six_fsync_dir(int dirfd, struct six_err *err)
{
	if (fsync(dirfd) < 0)
		return six_fail_errno(err, SIX_ERR_IO, "fsync directory");
	return 0;
}

int six_replace_file_at(int dirfd, const char *name, const void *data, size_t len,
			mode_t mode, struct six_err *err)
{
	char tmp[SIX_SPOOL_NAME_MAX + 32];
	if (snprintf(tmp, sizeof tmp, ".%s.tmp.%ld", name, (long)getpid()) >= (int)sizeof tmp)
		return six_fail(err, SIX_ERR_INTERNAL, "name too long: %s", name);
	/* O_EXCL: a stale temporary of a dead process with our pid must not lend us its
	 * permissions; it is removed and created afresh */
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dirfd, tmp, flags, mode);
	if (fd < 0 && errno == EEXIST && unlinkat(dirfd, tmp, 0) == 0)
		fd = openat(dirfd, tmp, flags, mode);
	if (fd < 0)
		return six_fail_errno(err, SIX_ERR_CREATE, "cannot create %s", tmp);
	if (six_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		six_fail_errno(err, SIX_ERR_IO, "cannot write %s", name);
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return err ? err->code : SIX_ERR_IO;
	}
	if (close(fd) < 0 || renameat(dirfd, tmp, dirfd, name) < 0) {
		six_fail_errno(err, SIX_ERR_IO, "cannot replace %s", name);
		unlinkat(dirfd, tmp, 0);
		return SIX_ERR_IO;
	}
	return six_fsync_dir(dirfd, err);
}

static int lock_at(int dirfd, const char *name, int how, struct six_err *err)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return six_fail_errno(err, SIX_ERR_IO, "cannot open lock %s", name);
	while (flock(fd, how) < 0) {
		if (errno == EINTR)
			continue;
		int busy = errno == EWOULDBLOCK;
		six_fail_errno(err, busy ? SIX_ERR_TEMP : SIX_ERR_IO, "cannot lock %s", name);
		close(fd);
		return busy ? SIX_ERR_TEMP : SIX_ERR_IO;
	}
	return fd;
}

int six_lock_at(int dirfd, const char *name, struct six_err *err)
{
	return lock_at(dirfd, name, LOCK_EX, err);
}

int six_trylock_at(int dirfd, const char *name, struct six_err *err)
{
	return lock_at(dirfd, name, LOCK_EX | LOCK_NB, err);
}
