#include "registry_store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "six_limits.h"

/* A damaged or unreadable registry is the administrator's problem (exit 78), never
 * read as "nobody": say so with the file's name. */
static int config_fail(struct six_err *err)
{
	char why[sizeof err->msg];
	snprintf(why, sizeof why, "%s", err->msg);
	return six_fail(err, SIX_ERR_CONFIG, "registry: %.400s", why);
}

int six_registry_load(int home_fd, struct six_registry *r, struct six_err *err)
{
	six_registry_init(r);
	char *text;
	size_t len;
	int rc = six_read_file_at(home_fd, SIX_REGISTRY_FILE, SIX_REGISTRY_MAX, &text, &len, err);
	/* no registry yet: nobody is authorised, which is the safe reading */
	if (rc == SIX_ERR_NOINPUT && faccessat(home_fd, SIX_REGISTRY_FILE, F_OK,
					       AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (rc < 0)
		return config_fail(err);
	rc = six_registry_parse(text, len, r, err);
	free(text);
	return rc < 0 ? config_fail(err) : 0;
}

int six_registry_begin(int home_fd, struct six_registry_txn *t, struct six_err *err)
{
	t->home_fd = home_fd;
	t->lock_fd = -1;
	six_registry_init(&t->reg);
	int state = six_open_dir_at(home_fd, "state", err);
	if (state < 0)
		return state;
	t->lock_fd = six_lock_at(state, SIX_REGISTRY_LOCK, err);
	close(state);
	if (t->lock_fd < 0)
		return t->lock_fd;
	/* load only under the lock: read-modify-write must not race another writer */
	int rc = six_registry_load(home_fd, &t->reg, err);
	if (rc < 0)
		six_registry_end(t);
	return rc;
}

int six_registry_commit(struct six_registry_txn *t, struct six_err *err)
{
	char *text;
	size_t len;
	int rc = six_registry_emit(&t->reg, &text, &len, err);
	if (rc < 0)
		return rc;
	rc = six_replace_file_at(t->home_fd, SIX_REGISTRY_FILE, text, len, 0600, err);
	free(text);
	return rc;
}

void six_registry_end(struct six_registry_txn *t)
{
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	t->lock_fd = -1;
	six_registry_free(&t->reg);
}
