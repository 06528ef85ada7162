#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "six_limits.h"

int six_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return 0;
		}
		if (n > len - i - 1)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		/* C1 controls (U+0080..U+009F) are as dangerous on a terminal as C0 */
		if (c >= 0x80 && c <= 0x9f)
			return 0;
		i += n + 1;
	}
	return 1;
}

static int has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 1;
	}
	return 0;
}

int six_path_check(const char *path, size_t len, struct six_err *err)
{
	if (len == 0)
		return six_fail(err, SIX_ERR_UNSAFE, "empty path");
	if (len > SIX_PATH_MAX)
		return six_fail(err, SIX_ERR_UNSAFE, "path longer than %d bytes", SIX_PATH_MAX);
	if (has_control(path, len) || !six_utf8_valid(path, len))
		return six_fail(err, SIX_ERR_UNSAFE,
				"path has control characters or is not UTF-8");
	if (path[0] == '/')
		return six_fail(err, SIX_ERR_UNSAFE, "absolute path '%.*s'", (int)len, path);
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		size_t clen = i - start;
		const char *c = path + start;
		if (clen == 0)
			return six_fail(err, SIX_ERR_UNSAFE, "empty component in '%.*s'",
					(int)len, path);
		if ((clen == 1 && c[0] == '.') || (clen == 2 && c[0] == '.' && c[1] == '.'))
			return six_fail(err, SIX_ERR_UNSAFE, "'.' or '..' in path '%.*s'",
					(int)len, path);
		if (clen > SIX_COMPONENT_MAX)
			return six_fail(err, SIX_ERR_UNSAFE, "path component longer than %d bytes",
					SIX_COMPONENT_MAX);
		start = i + 1;
	}
	return 0;
}

int six_name_check(const char *name, struct six_err *err)
{
	size_t len = strnlen(name, SIX_SPOOL_NAME_MAX + 1);
	if (len == 0 || len > SIX_SPOOL_NAME_MAX)
		return six_fail(err, SIX_ERR_UNSAFE, "file name empty or too long");
	if (name[0] == '.' || memchr(name, '/', len) || has_control(name, len) ||
	    !six_utf8_valid(name, len))
		return six_fail(err, SIX_ERR_UNSAFE, "unsafe file name");
	return 0;
}

int six_mkparents_at(int dirfd, const char *relpath, int *out, const char **last,
		     struct six_err *err)
{
	/* relpath is meant to come from six_path_check'd input, but a "..", "." or empty
	 * component here would climb out of dirfd or make a nameless file: check again */
	int rc = six_path_check(relpath, strlen(relpath), err);
	if (rc < 0)
		return rc;
	/* close-on-exec: the fd may be handed back to a caller that spawns gpg */
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return six_fail_errno(err, SIX_ERR_IO, "dup");
	const char *p = relpath;
	const char *slash;
	char comp[SIX_COMPONENT_MAX + 1];
	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);
		if (n == 0 || n > SIX_COMPONENT_MAX) {
			close(fd);
			return six_fail(err, SIX_ERR_UNSAFE, "bad path component");
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (mkdirat(fd, comp, 0700) < 0 && errno != EEXIST) {
			close(fd);
			return six_fail_errno(err, SIX_ERR_IO, "mkdir %s", comp);
		}
		/* O_NOFOLLOW|O_DIRECTORY: a planted symlink named like the dir is refused */
		int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return six_fail_errno(err, SIX_ERR_UNSAFE, "open directory %s", comp);
		fd = next;
		p = slash + 1;
	}
	*out = fd;
	*last = p;
	return 0;
}
