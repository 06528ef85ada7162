/* Helpers shared by the unit tests: each test runs in its own temporary directory
 * under /tmp, removed afterwards, and hostile corpora are found from SIX_TOP. */
#ifndef SIX_UNIT_TMP_H
#define SIX_UNIT_TMP_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static inline int unit_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

/* A fresh directory /tmp/six-ut.XXXXXX; its path is written to path (64 bytes). */
static inline int unit_tmpdir(char path[64])
{
	snprintf(path, 64, "/tmp/six-ut.XXXXXX");
	return mkdtemp(path) ? 0 : -1;
}

static inline void unit_rmtree(const char *path)
{
	nftw(path, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Path of a hostile corpus directory tests/hostile/NAME, from $SIX_TOP or the cwd. */
static inline void unit_hostile_dir(const char *name, char *out, size_t outlen)
{
	const char *top = getenv("SIX_TOP");
	snprintf(out, outlen, "%s/tests/hostile/%s", top && *top ? top : ".", name);
}

/* Replay a hostile corpus: call fn(name, text, len, ctx) for every file of
 * tests/hostile/SUB whose name does not start with '.', read whole (at most max bytes);
 * the name says what the file must give. Returns how many files, or -1 if the directory
 * or a file cannot be read: the caller asserts on it. */
typedef void unit_corpus_fn(const char *name, const char *text, size_t len, void *ctx);

static inline int unit_corpus_each(const char *sub, size_t max, unit_corpus_fn *fn, void *ctx)
{
	char dir[1024];
	unit_hostile_dir(sub, dir, sizeof dir);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *text;
		size_t len;
		struct six_err e;
		if (six_read_file_at(dirfd(d), de->d_name, max, &text, &len, &e) < 0) {
			n = -1;
			break;
		}
		fn(de->d_name, text, len, ctx);
		free(text);
		n++;
	}
	closedir(d);
	return n;
}

/* Count entries of dirfd/sub other than "." and ".." (-1 if it cannot be opened). */
static inline int unit_count_entries(int dirfd, const char *sub)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

#endif
