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
#include "path.h"
#include "six_limits.h"
#include "util.h"

/* Length of the UTF-8 sequence at s if it is one valid character, else 0. */
static size_t utf8_char(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] == '\0') /* never read past the string's end */
			return 0;
	return n && six_utf8_valid((const char *)s, n) ? n : 0;
}

int six_json_escape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	if (outlen == 0)
		return -1;
	while (*s) {
		const unsigned char *u = (const unsigned char *)s;
		char tmp[8];
		const char *rep = tmp;
		size_t adv = 1;
		if (*u == '"') {
			rep = "\\\"";
		} else if (*u == '\\') {
			rep = "\\\\";
		} else if (*u < 0x20 || *u == 0x7f) {
			snprintf(tmp, sizeof tmp, "\\u%04x", *u);
		} else if (*u < 0x80) {
			tmp[0] = (char)*u, tmp[1] = '\0';
		} else if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f) {
			/* C1 controls escaped like C0: a log read on a terminal stays inert */
			snprintf(tmp, sizeof tmp, "\\u%04x", u[1]);
			adv = 2;
		} else if ((adv = utf8_char(u)) > 0) {
			memcpy(tmp, s, adv);
			tmp[adv] = '\0';
		} else {
			/* JSON is UTF-8: a stray byte from hostile input becomes U+FFFD rather
			 * than a line that no JSON reader (or auditor) can parse */
			rep = "\\ufffd";
			adv = 1;
		}
		size_t rl = strlen(rep);
		if (o + rl >= outlen)
			return -1;
		memcpy(out + o, rep, rl);
		o += rl;
		s += adv;
	}
	out[o] = '\0';
	return 0;
}

/* The index of a line that starts {"index":N, (N decimal, no sign, no leading zero). */
static int line_index(const char *line, size_t len, uint64_t *v)
{
	static const char pre[] = "{\"index\":";
	size_t pl = sizeof pre - 1;
	if (len <= pl || memcmp(line, pre, pl) != 0)
		return -1;
	/* bounded: the line is not NUL-terminated, so no strstr/sscanf on it */
	const char *comma = memchr(line + pl, ',', len - pl);
	return comma ? six_parse_u64(line + pl, (size_t)(comma - line - pl), v) : -1;
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
	/* room for a torn line and the whole complete line before it (each is shorter
	 * than SIX_AUDIT_LINE_MAX): cutting the one must not leave the other unreadable */
	char buf[2 * SIX_AUDIT_LINE_MAX + 2];
	off_t start = st.st_size > (off_t)sizeof buf ? st.st_size - (off_t)sizeof buf : 0;
	ssize_t n = pread(fd, buf, (size_t)(st.st_size - start), start);
	if (n != st.st_size - start)
		return six_fail_errno(err, SIX_ERR_IO, "cannot read audit log");
	size_t end = (size_t)n;
	while (end > 0 && buf[end - 1] != '\n')
		end--;
	/* only what one interrupted append can leave is cut: a longer tail is damage or
	 * tampering, kept as evidence for the verifier rather than destroyed */
	if ((size_t)n - end >= SIX_AUDIT_LINE_MAX || (end == 0 && start != 0))
		return six_fail(err, SIX_ERR_IO, "audit log ends with %zu bytes that are not a line",
				(size_t)n - end);
	if (end != (size_t)n && ftruncate(fd, start + (off_t)end) < 0)
		return six_fail_errno(err, SIX_ERR_IO, "cannot cut torn audit line");
	if (end == 0)
		return 0;
	size_t b = end - 1;
	while (b > 0 && buf[b - 1] != '\n')
		b--;
	if (b == 0 && start != 0)
		return six_fail(err, SIX_ERR_IO, "audit log line too long");
	uint8_t d[SIX_SHA256_LEN];
	six_sha256_buf(buf + b, end - b, d); /* the hash covers the line with its '\n' */
	six_hex(d, sizeof d, prev);
	if (line_index(buf + b, end - b, index) < 0)
		return six_fail(err, SIX_ERR_IO, "audit log's last line is malformed");
	if (*index == UINT64_MAX)
		return six_fail(err, SIX_ERR_LIMIT, "audit log index exhausted");
	return 0;
}

/* Event names and field keys come from the tools' code, not from input; still, one
 * stray quote would corrupt the line, so only [A-Za-z0-9._-] is written unescaped. */
static int plain_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static int format_line(char *line, size_t cap, uint64_t index, const char *event,
		       const struct six_kv *kv, size_t n, const char *prev)
{
	char ts[SIX_TIME_LEN + 1];
	if (!plain_word(event))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!plain_word(kv[i].key))
			return -1;
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
		rc = six_fail(err, SIX_ERR_INTERNAL, "audit record too long or badly named");
		goto out;
	}
	off_t size0 = lseek(fd, 0, SEEK_END);
	if (six_write_all(fd, line, (size_t)len) < 0 || fsync(fd) < 0) {
		rc = six_fail_errno(err, SIX_ERR_IO, "cannot append to audit log");
		/* the caller is told this event was not recorded: take back what was written
		 * (disk full, I/O error) so the log does not say otherwise */
		if (size0 >= 0 && ftruncate(fd, size0) == 0)
			fsync(fd);
		goto out;
	}
	/* the first record may have created audit.log: make its name durable too */
	if (last == 0 && (rc = six_fsync_dir(dfd, err)) < 0)
		goto out;
	if (index)
		*index = last + 1;
out:
	if (fd >= 0)
		close(fd);
	close(lock);
	close(dfd);
	return rc;
}
