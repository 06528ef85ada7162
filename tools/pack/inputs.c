#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "manifest.h"
#include "path.h"

#define PACK_MAX_DEPTH 128	    /* deeper than any real document tree; bounds fds */
#define PACK_READ_BUF (1u << 20) /* large reads: fewer syscalls, hashing runs at speed */

static const char *kind(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link (give --follow-symlinks to pack what it points to)";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file or directory";
}

/* Open dirfd/name once, after checking its type without opening it: opening a device
 * can have effects (a tape rewinds) and opening a FIFO blocks. O_NOFOLLOW refuses a
 * link planted between the check and the open; the inode must be the one checked. */
static int open_checked(int dirfd, const char *name, const char *src, int follow,
			struct stat *st, struct six_err *err)
{
	struct stat pre;
	if (fstatat(dirfd, name, &pre, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
		return six_fail_errno(err, SIX_ERR_NOINPUT, "cannot read %s", src);
	if (!S_ISREG(pre.st_mode) && !S_ISDIR(pre.st_mode))
		return six_fail(err, SIX_ERR_INPUT, "%s is %s", src, kind(pre.st_mode));
	int fd = openat(dirfd, name,
			O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return six_fail_errno(err, SIX_ERR_NOINPUT, "cannot read %s", src);
	if (fstat(fd, st) < 0 || st->st_dev != pre.st_dev || st->st_ino != pre.st_ino) {
		close(fd);
		return six_fail(err, SIX_ERR_INPUT, "%s was replaced while being read", src);
	}
	return fd;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);
	if (s) {
		memcpy(s, a, la);
		s[la] = '/';
		memcpy(s + la + 1, b, lb + 1);
	}
	return s;
}

/* Takes ownership of fd, src and path (freed on error). */
static int add_file(struct pack_inputs *in, int fd, const struct stat *st, char *src,
		    char *path, struct six_err *err)
{
	int rc = 0;
	struct six_err perr;
	if (six_path_check(path, strlen(path), &perr) < 0)
		rc = six_fail(err, SIX_ERR_INPUT, "cannot pack %s: %s", src, perr.msg);
	else if (in->n == in->cap) {
		size_t ncap = in->cap ? in->cap * 2 : 64;
		struct pack_file *nv = realloc(in->v, ncap * sizeof *nv);
		if (!nv)
			rc = six_fail(err, SIX_ERR_INTERNAL, "out of memory");
		else
			in->v = nv, in->cap = ncap;
	}
	if (rc < 0) {
		close(fd);
		free(src);
		free(path);
		return rc;
	}
	struct pack_file *f = &in->v[in->n++];
	memset(f, 0, sizeof *f);
	f->src = src;
	f->path = path;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = (uint64_t)st->st_size;
	f->mtime = st->st_mtim;
	f->fd = fd;
	if (in->n > PACK_KEEP_FDS)
		pack_file_close(f);
	in->total += f->size;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory, sorted by bytes: the same tree packs the same way. */
static int list_dir(int dfd, const char *src, char ***names, size_t *n, struct six_err *err)
{
	DIR *d = six_opendir_fd(dfd);
	if (!d)
		return six_fail_errno(err, SIX_ERR_NOINPUT, "cannot list %s", src);
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 32;
			char **nv = realloc(v, cap * sizeof *nv);
			if (!nv) {
				rc = six_fail(err, SIX_ERR_INTERNAL, "out of memory");
				break;
			}
			v = nv;
		}
		if (!(v[cnt] = strdup(de->d_name)))
			rc = six_fail(err, SIX_ERR_INTERNAL, "out of memory");
		else
			cnt++;
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof *v, cmp_str);
	*names = v;
	*n = cnt;
	return rc;
}

static int walk(struct pack_inputs *in, int dfd, const char *src, const char *path, int depth,
		struct six_err *err);

/* One entry of a directory: src and path are taken over. */
static int walk_entry(struct pack_inputs *in, int dfd, const char *name, char *src, char *path,
		      int depth, struct six_err *err)
{
	struct stat st;
	int fd = open_checked(dfd, name, src, in->follow, &st, err);
	if (fd < 0) {
		free(src);
		free(path);
		return fd;
	}
	if (S_ISREG(st.st_mode))
		return add_file(in, fd, &st, src, path, err);
	int rc = walk(in, fd, src, path, depth + 1, err);
	close(fd);
	free(src);
	free(path);
	return rc;
}

static int walk(struct pack_inputs *in, int dfd, const char *src, const char *path, int depth,
		struct six_err *err)
{
	if (depth > PACK_MAX_DEPTH)
		return six_fail(err, SIX_ERR_INPUT, "%s: directories nested deeper than %d (a "
				"symbolic link loop?)", src, PACK_MAX_DEPTH);
	char **names = NULL;
	size_t n = 0;
	int rc = list_dir(dfd, src, &names, &n, err);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0) {
			char *csrc = join(src, names[i]), *cpath = join(path, names[i]);
			if (!csrc || !cpath) {
				free(csrc);
				free(cpath);
				rc = six_fail(err, SIX_ERR_INTERNAL, "out of memory");
			} else {
				rc = walk_entry(in, dfd, names[i], csrc, cpath, depth, err);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* The payload name of an argument: its last component; for "." or "..", the last
 * component of where it really is (so `six-pack ... .` packs "docs/..."). */
static char *top_name(const char *arg)
{
	char *copy = strdup(arg);
	if (!copy)
		return NULL;
	char *b = basename(copy);
	if (strcmp(b, ".") == 0 || strcmp(b, "..") == 0 || strcmp(b, "/") == 0) {
		char *real = realpath(arg, NULL);
		free(copy);
		if (!real)
			return NULL;
		b = basename(real);
		char *r = strcmp(b, "/") == 0 ? NULL : strdup(b);
		free(real);
		return r;
	}
	char *r = strdup(b);
	free(copy);
	return r;
}

int pack_inputs_add(struct pack_inputs *in, const char *arg, struct six_err *err)
{
	struct stat st;
	int fd = open_checked(AT_FDCWD, arg, arg, in->follow, &st, err);
	if (fd < 0)
		return fd;
	char *name = top_name(arg), *src = strdup(arg);
	if (!name || !src) {
		close(fd);
		free(name);
		free(src);
		return six_fail(err, SIX_ERR_INPUT, "cannot name %s in the bundle", arg);
	}
	if (S_ISREG(st.st_mode))
		return add_file(in, fd, &st, src, name, err);
	/* the top directory's own name must be a valid path component too */
	int rc = six_path_check(name, strlen(name), err);
	if (rc < 0)
		rc = six_fail(err, SIX_ERR_INPUT, "cannot pack %s: bad name", arg);
	else
		rc = walk(in, fd, src, name, 0, err);
	close(fd);
	free(name);
	free(src);
	return rc;
}

int pack_inputs_check(struct pack_inputs *in, struct six_err *err)
{
	if (in->n == 0)
		return six_fail(err, SIX_ERR_INPUT, "no files to pack (empty directories only?)");
	struct six_manifest_file *mf = calloc(in->n, sizeof *mf);
	if (!mf)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < in->n; i++)
		mf[i].path = in->v[i].path;
	int rc = six_manifest_paths_check(mf, in->n, err);
	free(mf);
	/* two arguments named alike ("a/x.pdf b/x.pdf") would collide in the bundle */
	if (rc < 0) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		return six_fail(err, SIX_ERR_INPUT, "two inputs collide in the bundle: %s", why);
	}
	return 0;
}

int pack_file_open(struct pack_file *f, int follow, struct six_err *err)
{
	if (f->fd >= 0) {
		if (lseek(f->fd, 0, SEEK_SET) < 0)
			return six_fail_errno(err, SIX_ERR_IO, "cannot read %s", f->src);
		return 0;
	}
	struct stat st;
	int fd = open(f->src, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return six_fail_errno(err, SIX_ERR_NOINPUT, "cannot read %s", f->src);
	/* the same inode as the first time: a file swapped for another (or for a link to
	 * one) between the passes would make the manifest lie */
	if (fstat(fd, &st) < 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
		close(fd);
		return six_fail(err, SIX_ERR_INPUT, "%s was replaced while being packed", f->src);
	}
	f->fd = fd;
	return 0;
}

void pack_file_close(struct pack_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int pack_file_unchanged(struct pack_file *f, uint64_t size, const char *sha256,
			struct six_err *err)
{
	struct stat st;
	if (fstat(f->fd, &st) < 0)
		return six_fail_errno(err, SIX_ERR_IO, "cannot stat %s", f->src);
	if (size != f->size || (uint64_t)st.st_size != f->size)
		return six_fail(err, SIX_ERR_INPUT, "%s changed size while being packed", f->src);
	if (strcmp(sha256, f->sha256) != 0)
		return six_fail(err, SIX_ERR_INPUT, "%s changed while being packed", f->src);
	if (st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec)
		return six_fail(err, SIX_ERR_INPUT, "%s was modified while being packed", f->src);
	return 0;
}

/* Pass 1 runs on two threads, one file at a time each: hashing is most of its work,
 * and gpg, which has the second core later, is not started yet. */
struct hash_pass {
	struct pack_inputs *in;
	struct six_progress *prog;
	pthread_mutex_t mu; /* next, failed, the first error and the progress line */
	size_t next;
	size_t failed; /* the lowest index that failed, in->n if none */
	int rc;
	struct six_err err;
};

static void progress_add(struct hash_pass *hp, uint64_t n)
{
	pthread_mutex_lock(&hp->mu);
	six_progress_add(hp->prog, n);
	pthread_mutex_unlock(&hp->mu);
}

static int hash_one(struct hash_pass *hp, struct pack_file *f, uint8_t *buf,
		    struct six_err *err)
{
	int rc = pack_file_open(f, hp->in->follow, err);
	if (rc < 0)
		return rc;
	struct six_sha256 h;
	if ((rc = six_sha256_init(&h, err)) < 0)
		return rc;
	uint64_t total = 0;
	ssize_t n;
	/* read one byte past the size seen: enough to notice growth, and a file that
	 * never ends cannot keep us here */
	while ((n = six_read_full(f->fd, buf, f->size + 1 - total < PACK_READ_BUF
							 ? (size_t)(f->size + 1 - total)
							 : PACK_READ_BUF)) > 0) {
		six_sha256_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
		progress_add(hp, (uint64_t)n);
	}
	if (n < 0) {
		six_sha256_abort(&h);
		return six_fail_errno(err, SIX_ERR_IO, "cannot read %s", f->src);
	}
	six_sha256_final_hex(&h, f->sha256);
	struct stat st;
	if (fstat(f->fd, &st) < 0 || total != f->size || (uint64_t)st.st_size != f->size ||
	    st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec)
		return six_fail(err, SIX_ERR_INPUT, "%s is changing: pack it when it is complete",
				f->src);
	return 0;
}

/* Take files in order until none is left or one failed; the error reported is the
 * first file's in input order, whichever thread met it. */
static void *hash_worker(void *arg)
{
	struct hash_pass *hp = arg;
	uint8_t *buf = malloc(PACK_READ_BUF);
	for (;;) {
		pthread_mutex_lock(&hp->mu);
		size_t i = hp->next++;
		int stop = i >= hp->in->n || hp->failed < hp->in->n;
		pthread_mutex_unlock(&hp->mu);
		if (stop)
			break;
		struct six_err e;
		int rc = buf ? hash_one(hp, &hp->in->v[i], buf, &e)
			     : six_fail(&e, SIX_ERR_INTERNAL, "out of memory");
		if (i >= PACK_KEEP_FDS)
			pack_file_close(&hp->in->v[i]);
		if (rc < 0) {
			pthread_mutex_lock(&hp->mu);
			if (i < hp->failed) {
				hp->failed = i;
				hp->rc = rc;
				hp->err = e;
			}
			pthread_mutex_unlock(&hp->mu);
		}
	}
	free(buf);
	return NULL;
}

int pack_inputs_hash(struct pack_inputs *in, struct six_progress *prog, struct six_err *err)
{
	struct hash_pass hp = {.in = in, .prog = prog, .failed = in->n};
	if (pthread_mutex_init(&hp.mu, NULL) != 0)
		return six_fail(err, SIX_ERR_INTERNAL, "cannot make a mutex");
	pthread_t helper;
	int two = in->n > 1 && pthread_create(&helper, NULL, hash_worker, &hp) == 0;
	hash_worker(&hp);
	if (two)
		pthread_join(helper, NULL);
	pthread_mutex_destroy(&hp.mu);
	if (hp.failed < in->n) {
		*err = hp.err;
		return hp.rc;
	}
	return 0;
}

void pack_inputs_free(struct pack_inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		pack_file_close(&in->v[i]);
		free(in->v[i].src);
		free(in->v[i].path);
	}
	free(in->v);
	in->v = NULL;
	in->n = in->cap = 0;
}
