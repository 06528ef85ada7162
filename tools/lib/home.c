#include "home.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "util.h"

int six_home_resolve(const char *opt, char out[SIX_HOME_PATH_MAX], struct six_err *err)
{
	char buf[SIX_HOME_PATH_MAX];
	const char *src = opt;
	if (!src || !*src)
		src = getenv("SIX_HOME");
	if (!src || !*src) {
		const char *home = getenv("HOME");
		if (!home || !*home)
			return six_fail(err, SIX_ERR_CONFIG, "no --home, SIX_HOME or HOME");
		if (snprintf(buf, sizeof buf, "%s/.six", home) >= (int)sizeof buf)
			return six_fail(err, SIX_ERR_CONFIG, "home path too long");
		src = buf;
	}
	int n;
	if (src[0] == '/') {
		n = snprintf(out, SIX_HOME_PATH_MAX, "%s", src);
	} else {
		char cwd[SIX_HOME_PATH_MAX];
		if (!getcwd(cwd, sizeof cwd))
			return six_fail_errno(err, SIX_ERR_CONFIG, "cannot get current directory");
		n = snprintf(out, SIX_HOME_PATH_MAX, "%s/%s", cwd, src);
	}
	if (n < 0 || n >= SIX_HOME_PATH_MAX)
		return six_fail(err, SIX_ERR_CONFIG, "home path too long: %s", src);
	/* trailing slashes would double up in derived paths */
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

int six_home_open(const char *path, struct six_home *h, struct six_err *err)
{
	memset(h, 0, sizeof *h);
	h->fd = -1;
	snprintf(h->path, sizeof h->path, "%s", path);
	snprintf(h->gnupg, sizeof h->gnupg, "%s/gnupg", path);
	six_conf_defaults(&h->conf);
	struct stat st;
	h->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->fd < 0 || fstatat(h->fd, "gnupg/gpg.conf", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fstatat(h->fd, "state", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		six_home_close(h);
		return six_fail(err, SIX_ERR_CONFIG,
				"%s is not an initialised SIX home (run: six-keyring --home %s init)",
				path, path);
	}
	char *text;
	size_t len;
	int rc = six_read_file_at(h->fd, "six.conf", SIX_CONF_MAX, &text, &len, err);
	if (rc == SIX_ERR_NOINPUT && fstatat(h->fd, "six.conf", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (rc < 0) {
		/* err->msg cannot be both source and destination of the new message */
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		six_home_close(h);
		return six_fail(err, SIX_ERR_CONFIG, "%s/six.conf: %s", path, why);
	}
	rc = six_conf_parse(text, len, &h->conf, err);
	free(text);
	if (rc < 0) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		six_home_close(h);
		return six_fail(err, SIX_ERR_CONFIG, "%s/six.conf: %s", path, why);
	}
	return 0;
}

void six_home_close(struct six_home *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

static size_t set_list(char list[][SIX_TOKEN_MAX + 1], const char *const *items)
{
	size_t n = 0;
	for (; items[n]; n++)
		snprintf(list[n], SIX_TOKEN_MAX + 1, "%s", items[n]);
	return n;
}

void six_conf_defaults(struct six_conf *c)
{
	static const char *const doc[] = {"declaration", "amendment", "letter", "report",
					  "operational", NULL};
	static const char *const cls[] = {"RESTRICTED", "PROTECTED", "HIGHLY PROTECTED", NULL};
	memset(c, 0, sizeof *c);
	c->n_doc_types = set_list(c->doc_types, doc);
	c->n_classifications = set_list(c->classifications, cls);
	c->max_files = SIX_DEF_MAX_FILES;
	c->max_file_size = SIX_DEF_MAX_FILE_SIZE;
	c->max_total_size = SIX_DEF_MAX_TOTAL_SIZE;
	c->max_age_seconds = (uint64_t)SIX_DEF_MAX_AGE_DAYS * 86400;
	c->max_skew_seconds = SIX_DEF_MAX_SKEW_SECONDS;
}

int six_conf_has(char list[][SIX_TOKEN_MAX + 1], size_t n, const char *tok)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], tok) == 0)
			return 1;
	return 0;
}

static const char *trim(const char *s, size_t *len)
{
	while (*len && (*s == ' ' || *s == '\t'))
		s++, (*len)--;
	while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r'))
		(*len)--;
	return s;
}

/* A comma-separated list of tokens: letters, digits, '-', '_' and inner spaces. */
static int parse_list(const char *v, size_t len, char list[][SIX_TOKEN_MAX + 1], size_t *n)
{
	size_t count = 0;
	while (len > 0) {
		const char *comma = memchr(v, ',', len);
		size_t tl = comma ? (size_t)(comma - v) : len;
		size_t rest = comma ? len - tl - 1 : 0;
		const char *t = trim(v, &tl);
		if (count == SIX_DOCTYPES_MAX || !six_token_valid(t, tl))
			return -1;
		memcpy(list[count], t, tl);
		list[count++][tl] = '\0';
		/* "a," would end the loop with the empty last token unseen: refuse it too */
		if (comma && rest == 0)
			return -1;
		v = comma ? comma + 1 : v + tl;
		len = rest;
	}
	if (count == 0)
		return -1;
	*n = count;
	return 0;
}

static int set_key(struct six_conf *c, const char *k, size_t kl, const char *v, size_t vl)
{
	static const struct {
		const char *name;
		size_t off;
		uint64_t scale;
	} nums[] = {
		{"max-files", offsetof(struct six_conf, max_files), 1},
		{"max-file-size", offsetof(struct six_conf, max_file_size), 1},
		{"max-total-size", offsetof(struct six_conf, max_total_size), 1},
		{"max-age-days", offsetof(struct six_conf, max_age_seconds), 86400},
		{"max-skew-seconds", offsetof(struct six_conf, max_skew_seconds), 1},
	};
	if (kl == 9 && memcmp(k, "doc-types", 9) == 0)
		return parse_list(v, vl, c->doc_types, &c->n_doc_types);
	if (kl == 15 && memcmp(k, "classifications", 15) == 0)
		return parse_list(v, vl, c->classifications, &c->n_classifications);
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		if (strlen(nums[i].name) != kl || memcmp(nums[i].name, k, kl) != 0)
			continue;
		uint64_t x;
		if (six_parse_u64(v, vl, &x) < 0 || x == 0 || x > UINT64_MAX / nums[i].scale)
			return -1;
		*(uint64_t *)(void *)((char *)c + nums[i].off) = x * nums[i].scale;
		return 0;
	}
	return -2;
}

int six_conf_parse(const char *text, size_t len, struct six_conf *c, struct six_err *err)
{
	size_t lineno = 0;
	while (len > 0) {
		lineno++;
		const char *nl = memchr(text, '\n', len);
		size_t ll = nl ? (size_t)(nl - text) : len;
		const char *line = text;
		text += nl ? ll + 1 : ll;
		len -= nl ? ll + 1 : ll;
		line = trim(line, &ll);
		if (ll == 0 || line[0] == '#')
			continue;
		const char *eq = memchr(line, '=', ll);
		if (!eq)
			return six_fail(err, SIX_ERR_CONFIG, "line %zu: expected 'key = value'",
					lineno);
		size_t kl = (size_t)(eq - line), vl = ll - kl - 1;
		const char *k = trim(line, &kl), *v = trim(eq + 1, &vl);
		int rc = set_key(c, k, kl, v, vl);
		if (rc == -2)
			return six_fail(err, SIX_ERR_CONFIG, "line %zu: unknown setting '%.*s'",
					lineno, (int)(kl > 64 ? 64 : kl), k);
		if (rc < 0)
			return six_fail(err, SIX_ERR_CONFIG, "line %zu: bad value for '%.*s'",
					lineno, (int)kl, k);
	}
	return 0;
}
