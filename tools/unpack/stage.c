/* Private work areas and quarantine entries.
 *
 * Each run stages under HOME/state/staging/<unique>/: "plain" (the verified plaintext)
 * and "out" (the directory that one rename turns into the delivered bundle). HOME/state
 * and HOME/inbox are in one home, so on one filesystem: rename is atomic. An area is
 * guarded by an flock on <unique>.lock held for its whole life, so a later run can tell
 * the leftovers of a killed run (lock free) from a live neighbour's (lock held). */
#include "unpack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "spool.h"
#include "util.h"

int unpack_stage_begin(int root_fd, struct unpack_stage *s, struct six_err *err)
{
	memset(s, 0, sizeof *s);
	s->root_fd = root_fd;
	s->lock_fd = s->dir_fd = s->plain_fd = s->out_fd = -1;
	char lock[sizeof s->name + 8];
	if (six_spool_unique_name(s->name, sizeof s->name, "") < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot make a unique name");
	snprintf(lock, sizeof lock, "%s.lock", s->name);
	/* lock first, directory second: an area without a held lock is always stale */
	s->lock_fd = six_lock_at(root_fd, lock, err);
	if (s->lock_fd < 0)
		return s->lock_fd;
	if (mkdirat(root_fd, s->name, 0700) < 0) {
		six_fail_errno(err, SIX_ERR_CREATE, "cannot create staging area");
		unpack_stage_end(s);
		return SIX_ERR_CREATE;
	}
	s->dir_fd = openat(root_fd, s->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* O_EXCL|O_NOFOLLOW, 0600: the plaintext is nobody else's to read or pre-plant */
	if (s->dir_fd >= 0)
		s->plain_fd = openat(s->dir_fd, "plain",
				     O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->plain_fd >= 0 && mkdirat(s->dir_fd, "out", 0700) == 0)
		s->out_fd = openat(s->dir_fd, "out", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->out_fd < 0) {
		six_fail_errno(err, SIX_ERR_CREATE, "cannot create staging area");
		unpack_stage_end(s);
		return SIX_ERR_CREATE;
	}
	return 0;
}

void unpack_stage_end(struct unpack_stage *s)
{
	int *fds[] = {&s->plain_fd, &s->out_fd, &s->dir_fd};
	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	if (s->lock_fd < 0)
		return;
	char lock[sizeof s->name + 8];
	snprintf(lock, sizeof lock, "%s.lock", s->name);
	unpack_rmtree_at(s->root_fd, s->name);
	unlinkat(s->root_fd, lock, 0);
	close(s->lock_fd);
	s->lock_fd = -1;
}

void unpack_stage_sweep(int root_fd)
{
	DIR *d = six_opendir_fd(root_fd);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n <= 5 || n > 64 + 5 || strcmp(de->d_name + n - 5, ".lock") != 0)
			continue;
		int lk = six_trylock_at(root_fd, de->d_name, NULL);
		if (lk < 0)
			continue; /* a live run owns it */
		char area[64 + 1];
		snprintf(area, sizeof area, "%.*s", (int)(n - 5), de->d_name);
		unpack_rmtree_at(root_fd, area);
		unlinkat(root_fd, de->d_name, 0);
		close(lk);
	}
	closedir(d);
}

/* Empty the directory open at fd (closed here), never following a link. */
static int empty_dir(int fd)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if ((errno != EISDIR && errno != EPERM) || unpack_rmtree_at(dirfd(d), de->d_name) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int unpack_rmtree_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : unlinkat(dirfd, name, 0);
	if (empty_dir(fd) < 0)
		return -1;
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* One entry of the staged tree: what the reader may have made, nothing else. */
static int audit_entry(int dirfd, const char *name, uint64_t *files, struct six_err *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		/* ELOOP: a symlink; anything unopenable is equally unwelcome */
		return six_fail(err, SIX_ERR_UNSAFE, "staged entry %.200s is not a file", name);
	}
	int rc = 0;
	if (S_ISDIR(st.st_mode)) {
		if (fchmod(fd, 0750) < 0)
			rc = six_fail_errno(err, SIX_ERR_IO, "chmod %.200s", name);
		return rc < 0 ? (close(fd), rc) : unpack_stage_audit_tree(fd, files, err);
	}
	/* a second link would let a file in the inbox alias one elsewhere */
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		rc = six_fail(err, SIX_ERR_UNSAFE, "staged entry %.200s is not a plain file", name);
	else if (fchmod(fd, 0640) < 0) /* never setuid, setgid, sticky or world-writable */
		rc = six_fail_errno(err, SIX_ERR_IO, "chmod %.200s", name);
	else
		(*files)++;
	close(fd);
	return rc;
}

/* Walks (and closes) fd. The reader is a separate, sandboxed process: the parent
 * checks what it left rather than trusting it. */
int unpack_stage_audit_tree(int fd, uint64_t *files, struct six_err *err)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return six_fail_errno(err, SIX_ERR_IO, "cannot read staging");
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = audit_entry(dirfd(d), de->d_name, files, err);
	}
	closedir(d);
	return rc;
}

/* ---- quarantine ---- */

/* A copy of s safe to put on one line of a text file: control characters become '?'. */
static void one_line(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 1 < cap; s++, o++)
		out[o] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	out[o] = '\0';
}

static int copy_fd(int in, int out)
{
	if (lseek(in, 0, SEEK_SET) < 0)
		return -1;
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || six_write_all(out, buf, (size_t)n) < 0)
			return -1;
	}
	return fsync(out);
}

static int write_reason(int dirfd, const char *label, const struct six_err *why,
			struct six_err *err)
{
	char when[SIX_TIME_LEN + 1], msg[sizeof why->msg], name[512], text[1400];
	six_time_format(time(NULL), when);
	one_line(msg, sizeof msg, why->msg);
	one_line(name, sizeof name, label);
	int n = snprintf(text, sizeof text, "class: %s\nstatus: %d\nreason: %s\ntime: %s\nbundle: %s\n",
			 six_err_class(why->code), six_exit_code(why->code), msg, when, name);
	if (n < 0 || (size_t)n >= sizeof text)
		n = (int)strlen(text);
	return six_replace_file_at(dirfd, "reason", text, (size_t)n, 0640, err);
}

/* Built in .tmp-<name>, renamed into place whole: an entry is complete or absent. */
int unpack_quarantine(int quar_fd, int bundle_fd, const char *label, const struct six_err *why,
		      char qname[80], struct six_err *err)
{
	char tmp[96];
	if (six_spool_unique_name(qname, 80, "") < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot make a unique name");
	snprintf(tmp, sizeof tmp, ".tmp-%s", qname);
	if (mkdirat(quar_fd, tmp, 0750) < 0)
		return six_fail_errno(err, SIX_ERR_CREATE, "cannot create quarantine/%s", tmp);
	int dfd = openat(quar_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int ofd = dfd < 0 ? -1
			  : openat(dfd, "bundle.six",
				   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	int rc = 0;
	if (ofd < 0 || copy_fd(bundle_fd, ofd) < 0)
		rc = six_fail_errno(err, SIX_ERR_IO, "cannot copy the bundle into quarantine");
	if (ofd >= 0)
		close(ofd);
	if (rc == 0)
		rc = write_reason(dfd, label, why, err);
	if (rc == 0 && fsync(dfd) < 0)
		rc = six_fail_errno(err, SIX_ERR_IO, "fsync quarantine");
	if (rc == 0 && renameat(quar_fd, tmp, quar_fd, qname) < 0)
		rc = six_fail_errno(err, SIX_ERR_IO, "cannot commit quarantine/%s", qname);
	if (dfd >= 0)
		close(dfd);
	if (rc < 0) {
		unpack_rmtree_at(quar_fd, tmp);
		return rc;
	}
	return six_fsync_dir(quar_fd, err);
}
