#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "hash.h"
#include "six_limits.h"
#include "util.h"

int six_json_escape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[8];
		const char *rep = tmp;
		if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c < 0x20 || c == 0x7f)
			snprintf(tmp, sizeof tmp, "\\u%04x", c);
		else
			tmp[0] = (char)c, tmp[1] = '\0';
		size_t rl = strlen(rep);
		if (o + rl >= outlen)
			return -1;
		memcpy(out + o, rep, rl);
		o += rl;
	}
	out[o] = '\0';
	return 0;
}

/* Find the last complete line of the log: its hash and index. A torn final line
 * (a crash mid-append, never fsynced, never acknowledged) is cut off. */
static int read_head(int fd, uint64_t *index, char prev[SIX_SHA256_HEX + 1],
		     struct six_err *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return six_fail_errno(err, SIX_ERR_IO, "audit log");
	memset(prev, '0', SIX_SHA256_HEX);
	prev[SIX_SHA256_HEX] = '\0';
	*index = 0;
	if (st.st_size == 0)
		return 0;
	char buf[SIX_AUDIT_LINE_MAX + 2];
	off_t start = st.st_size > (off_t)sizeof buf ? st.st_size - (off_t)sizeof buf : 0;
	ssize_t n = pread(fd, buf, (size_t)(st.st_size - start), start);
	if (n != st.st_size - start)
		return six_fail_errno(err, SIX_ERR_IO, "cannot read audit log");
	size_t end = (size_t)n;
	while (end > 0 && buf[end - 1] != '\n')
		end--;
	if (end != (size_t)n && ftruncate(fd, start + (off_t)end) < 0)
		return six_fail_errno(err, SIX_ERR_IO, "cannot cut torn audit line");
	if (end == 0)
		return start == 0 ? 0 : six_fail(err, SIX_ERR_IO, "audit log line too long");
	size_t b = end - 1;
	while (b > 0 && buf[b - 1] != '\n')
		b--;
	if (b == 0 && start != 0)
		return six_fail(err, SIX_ERR_IO, "audit log line too long");
	uint8_t d[SIX_SHA256_LEN];
	six_sha256_buf(buf + b, end - b, d); /* the hash covers the line with its '\n' */
	six_hex(d, sizeof d, prev);
	const char *ix = strstr(buf + b, "{\"index\":");
	unsigned long long v;
	if (ix != buf + b || sscanf(ix + 9, "%llu", &v) != 1)
		return six_fail(err, SIX_ERR_IO, "audit log's last line is malformed");
	*index = v;
	return 0;
}

static int format_line(char *line, size_t cap, uint64_t index, const char *event,
		       const struct six_kv *kv, size_t n, const char *prev)
{
	char ts[SIX_TIME_LEN + 1];
	six_time_format(time(NULL), ts);
	int len = snprintf(line, cap, "{\"index\":%llu,\"time\":\"%s\",\"event\":\"%s\"",
			   (unsigned long long)index, ts, event);
	for (size_t i = 0; i < n && len > 0 && (size_t)len < cap; i++) {
		char v[SIX_AUDIT_LINE_MAX / 2];
		if (six_json_escape(kv[i].value ? kv[i].value : "", v, sizeof v) < 0)
			return -1;
		len += snprintf(line + len, cap - (size_t)len, ",\"%s\":\"%s\"", kv[i].key, v);
	}
	if (len > 0 && (size_t)len < cap)
		len += snprintf(line + len, cap - (size_t)len, ",\"prev\":\"%s\"}\n", prev);
	return len < 0 || (size_t)len >= cap ? -1 : len;
}

int six_audit_append(int home_fd, const char *event, const struct six_kv *kv, size_t n,
		     uint64_t *index, struct six_err *err)
{
	int dfd = six_open_dir_at(home_fd, "audit", err);
	if (dfd < 0)
		return dfd;
	int lock = six_lock_at(dfd, "audit.lock", err);
	if (lock < 0) {
		close(dfd);
		return lock;
	}
	int rc = 0;
	int fd = openat(dfd, "audit.log", O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			0600);
	if (fd < 0) {
		rc = six_fail_errno(err, SIX_ERR_IO, "cannot open audit log");
		goto out;
	}
	uint64_t last;
	char prev[SIX_SHA256_HEX + 1];
	char line[SIX_AUDIT_LINE_MAX];
	if ((rc = read_head(fd, &last, prev, err)) < 0)
		goto out;
	int len = format_line(line, sizeof line, last + 1, event, kv, n, prev);
	if (len < 0) {
		rc = six_fail(err, SIX_ERR_INTERNAL, "audit record too long");
		goto out;
	}
	if (six_write_all(fd, line, (size_t)len) < 0 || fsync(fd) < 0) {
		rc = six_fail_errno(err, SIX_ERR_IO, "cannot append to audit log");
		goto out;
	}
	if (index)
		*index = last + 1;
out:
	if (fd >= 0)
		close(fd);
	close(lock);
	close(dfd);
	return rc;
}
