#include "keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "path.h"
#include "registry.h"
#include "registry_store.h"

/* ---- init ---- */

/* Every setting defends against something; gpg 2.2 accepts all of them
 * (checked with gpg --gpgconf-test). */
static const char gpg_conf[] =
	"# SIX: written by six-keyring init. This GnuPG home belongs to SIX alone.\n"
	"#\n"
	"# Trust is SIX's registry, not gpg's web of trust: every key is addressed by its\n"
	"# full 40-hex fingerprint, and six-unpack accepts a signer only if the registry\n"
	"# pins that fingerprint. Validity computed by gpg adds nothing to that and would\n"
	"# only make encryption to a pinned recipient ask questions.\n"
	"trust-model always\n"
	"\n"
	"# Never reach out: the enclave has no network, and on the transit side a key server\n"
	"# or WKD lookup would leak who talks to whom and could plant keys.\n"
	"no-auto-key-retrieve\n"
	"no-auto-key-import\n"
	"auto-key-locate local\n"
	"keyserver-options no-auto-key-retrieve\n"
	"\n"
	"# SHA-256 signatures: as strong as needed and faster than the SHA-512 gpg picks\n"
	"# for Ed25519.\n"
	"personal-digest-preferences SHA256 SHA512\n"
	"digest-algo SHA256\n"
	"cert-digest-algo SHA256\n"
	"# AES-256 only for what we encrypt.\n"
	"personal-cipher-preferences AES256\n"
	"cipher-algo AES256\n"
	"# Bundles are already gzip-compressed: a second compression wastes time.\n"
	"personal-compress-preferences Uncompressed\n"
	"compress-algo none\n"
	"default-preference-list SHA256 SHA512 AES256 AES Uncompressed\n"
	"# Strong passphrase hashing for secret keys exported as backups.\n"
	"s2k-digest-algo SHA512\n"
	"s2k-cipher-algo AES256\n"
	"\n"
	"# A signing subkey must carry its back-signature, or anyone could attach\n"
	"# someone else's subkey to their key.\n"
	"require-cross-certification\n"
	"# Output tells nothing about the software; no passphrase cache for symmetric keys.\n"
	"no-emit-version\n"
	"no-comments\n"
	"no-symkey-cache\n"
	"no-greeting\n";

static const char agent_conf[] =
	"# SIX: written by six-keyring init.\n"
	"# Scripts and daemons give passphrases through a file (loopback pinentry);\n"
	"# people get gpg-agent's pinentry, and smartcards their PIN pad.\n"
	"allow-loopback-pinentry\n"
	"# Forget passphrases after 10 minutes idle, 1 hour at most.\n"
	"default-cache-ttl 600\n"
	"max-cache-ttl 3600\n";

static const char *const home_dirs[] = {
	"gnupg", "state", "inbox", "quarantine", "audit", "spool",
	"spool/outbox", "spool/outbox/tmp", "spool/outbox/new", "spool/outbox/cur",
	"spool/inbox", "spool/inbox/tmp", "spool/inbox/new", "spool/inbox/cur",
};

/* mkdir relative to the home, 0700; an existing entry must be a real directory. */
static int make_dir(int home_fd, const char *rel, struct six_err *err)
{
	struct stat st;
	if (mkdirat(home_fd, rel, 0700) < 0 && errno != EEXIST)
		return six_fail_errno(err, SIX_ERR_CREATE, "cannot create %s", rel);
	if (fstatat(home_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return six_fail(err, SIX_ERR_CREATE, "%s exists and is not a directory", rel);
	return 0;
}

/* Write dir/name only if missing: init never overwrites a file of a home. */
static int make_file(int home_fd, const char *dir, const char *name, const char *text,
		     struct six_err *err)
{
	int dfd = six_open_dir_at(home_fd, dir, err);
	if (dfd < 0)
		return dfd;
	int rc = 0;
	if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		rc = six_replace_file_at(dfd, name, text, strlen(text), 0600, err);
	close(dfd);
	return rc;
}

/* gpg creates its keybox and trust database on first use; create them now, so that
 * later read-only operations (inspecting a key file) leave the home as it was. */
static int touch_keyring(const char *gnupg, struct six_err *err)
{
	gpgme_ctx_t ctx;
	int rc = six_gpg_open(gnupg, NULL, &ctx, err);
	if (rc < 0)
		return rc;
	gpgme_error_t e = gpgme_op_keylist_start(ctx, NULL, 0);
	gpgme_key_t k;
	while (!e && !(e = gpgme_op_keylist_next(ctx, &k)))
		gpgme_key_unref(k);
	six_gpg_close(ctx);
	if (e && gpgme_err_code(e) != GPG_ERR_EOF)
		return six_gpg_fail(err, SIX_ERR_INTERNAL, e, "gpg keyring");
	return 0;
}

/* An existing directory becomes a home only if it is empty or a half-made home (an
 * interrupted init): "--home /tmp init" must not chmod /tmp or mix with its files. */
static int claimable(int fd, const char *path, struct six_err *err)
{
	if (faccessat(fd, "gnupg", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	DIR *d = six_opendir_fd(fd);
	if (!d)
		return six_fail_errno(err, SIX_ERR_IO, "cannot read %s", path);
	int others = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		others |= strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	if (others)
		return six_fail(err, SIX_ERR_EXISTS,
				"%s exists and is not empty: refusing to make it a SIX home", path);
	return 0;
}

int six_keys_init_home(const char *path, int *created, struct six_err *err)
{
	if (strlen(path) > SIX_HOME_SOCKET_PATH_MAX)
		return six_fail(err, SIX_ERR_CONFIG,
				"home path longer than %d bytes: gpg-agent's sockets would not fit "
				"(choose a shorter path)", SIX_HOME_SOCKET_PATH_MAX);
	/* idempotent: an initialised home (the test six_home_open makes) is left exactly
	 * as it is, even its modes: init never repairs or resets a working home */
	char probe[SIX_HOME_PATH_MAX + 32];
	struct stat st;
	snprintf(probe, sizeof probe, "%s/gnupg/gpg.conf", path);
	int done = lstat(probe, &st) == 0;
	snprintf(probe, sizeof probe, "%s/state", path);
	if (done && lstat(probe, &st) == 0) {
		*created = 0;
		return 0;
	}
	int rc = six_mkdir_p(path, 0700, err);
	if (rc < 0)
		return rc;
	int fd = six_open_dir(path, err);
	if (fd < 0)
		return fd;
	rc = claimable(fd, path, err);
	/* the home holds keys and classified documents: owner only */
	if (rc == 0 && fchmod(fd, 0700) < 0)
		rc = six_fail_errno(err, SIX_ERR_CREATE, "cannot chmod %s", path);
	for (size_t i = 0; rc == 0 && i < sizeof home_dirs / sizeof home_dirs[0]; i++)
		rc = make_dir(fd, home_dirs[i], err);
	char gnupg[SIX_HOME_PATH_MAX + 8];
	snprintf(gnupg, sizeof gnupg, "%s/gnupg", path);
	if (rc == 0)
		rc = make_file(fd, "gnupg", "gpg-agent.conf", agent_conf, err);
	if (rc == 0)
		rc = make_file(fd, ".", SIX_REGISTRY_FILE, SIX_REGISTRY_MAGIC "\n", err);
	/* the lock exists from the start, so a refused change leaves no trace */
	if (rc == 0)
		rc = make_file(fd, "state", SIX_REGISTRY_LOCK, "", err);
	/* gpg.conf last: its presence is what marks the home initialised */
	if (rc == 0)
		rc = make_file(fd, "gnupg", "gpg.conf", gpg_conf, err);
	if (rc == 0)
		rc = touch_keyring(gnupg, err);
	close(fd);
	*created = 1;
	return rc;
}

/* ---- generate ---- */

/* A user id part: UTF-8 without control characters or the '<' '>' that delimit the
 * e-mail address, so the id reads back as exactly "name <email>". */
static int uid_part_ok(const char *s, int email)
{
	size_t len = strlen(s);
	if (len == 0 || len > SIX_NAME_MAX / 2 || !six_utf8_valid(s, len))
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || (email && (c == ' ' || c >= 0x80)))
			return 0;
	}
	return !email || (strchr(s, '@') && strchr(s, '@') == strrchr(s, '@') && s[0] != '@' &&
			  s[len - 1] != '@');
}

/* Remove a half-made key (primary without its subkey): never leave a key that
 * cannot do the job in the keyring. */
static void delete_key(gpgme_ctx_t ctx, gpgme_key_t key)
{
	gpgme_op_delete_ext(ctx, key, GPGME_DELETE_ALLOW_SECRET | GPGME_DELETE_FORCE);
}

static int add_subkey(gpgme_ctx_t ctx, const char *fpr, const char *algo, unsigned flags,
		      struct six_err *err)
{
	gpgme_key_t key;
	int rc = six_gpg_get_key(ctx, fpr, 1, &key, err);
	if (rc < 0)
		return rc;
	gpgme_error_t e = gpgme_op_createsubkey(ctx, key, algo, 0, 0,
						flags | GPGME_CREATE_ENCR);
	if (e) {
		rc = six_gpg_fail(err, SIX_ERR_KEY, e, "cannot create the encryption subkey");
		delete_key(ctx, key);
	}
	gpgme_key_unref(key);
	return rc;
}

int six_keys_generate(const struct six_home *h, const struct six_keygen *g,
		      char fpr[SIX_FPR_HEX + 1], struct six_err *err)
{
	if (!uid_part_ok(g->name, 0))
		return six_fail(err, SIX_ERR_INPUT,
				"bad name (empty, too long, control characters or '<>')");
	if (!uid_part_ok(g->email, 1))
		return six_fail(err, SIX_ERR_INPUT, "bad e-mail address '%.100s'", g->email);
	char uid[SIX_NAME_MAX + 4];
	snprintf(uid, sizeof uid, "%s <%s>", g->name, g->email);
	int rsa = g->algo == SIX_ALGO_RSA4096;
	/* gpg-level expiry stays off: authorisation and its end date live in the
	 * registry, where the receiving side controls them */
	unsigned flags = GPGME_CREATE_NOEXPIRE | (g->no_passphrase ? GPGME_CREATE_NOPASSWD : 0);
	gpgme_ctx_t ctx;
	int rc = six_gpg_open(h->gnupg, g->passphrase_file, &ctx, err);
	if (rc < 0)
		return rc;
	gpgme_error_t e = gpgme_op_createkey(ctx, uid, rsa ? "rsa4096" : "ed25519", 0, 0, NULL,
					     flags | GPGME_CREATE_SIGN | GPGME_CREATE_CERT);
	gpgme_genkey_result_t res = e ? NULL : gpgme_op_genkey_result(ctx);
	if (e || !res || !res->fpr)
		rc = six_gpg_fail(err, SIX_ERR_KEY, e ? e : gpg_error(GPG_ERR_GENERAL),
				  "cannot create the key");
	else
		rc = six_fpr_normalise(res->fpr, fpr, err);
	if (rc == 0)
		rc = add_subkey(ctx, fpr, rsa ? "rsa4096" : "cv25519", flags, err);
	six_gpg_close(ctx);
	return rc;
}

/* ---- export ---- */

int six_keys_export(const struct six_home *h, const char *fpr, char **out, size_t *len,
		    struct six_err *err)
{
	gpgme_ctx_t ctx;
	int rc = six_gpg_open(h->gnupg, NULL, &ctx, err);
	if (rc < 0)
		return rc;
	gpgme_key_t key;
	/* resolve the exact primary first: an export pattern would also match a subkey */
	rc = six_gpg_get_key(ctx, fpr, 0, &key, err);
	gpgme_data_t d = NULL;
	gpgme_error_t e = 0;
	if (rc == 0) {
		gpgme_key_t keys[2] = {key, NULL};
		gpgme_set_armor(ctx, 1);
		e = gpgme_data_new(&d);
		if (!e)
			e = gpgme_op_export_keys(ctx, keys, 0, d);
		gpgme_key_unref(key);
		if (e)
			rc = six_gpg_fail(err, SIX_ERR_INTERNAL, e, "export");
	}
	if (rc == 0) {
		size_t n;
		char *p = gpgme_data_release_and_get_mem(d, &n);
		d = NULL;
		*out = p && n ? malloc(n) : NULL;
		if (*out)
			memcpy(*out, p, n);
		else
			rc = six_fail(err, SIX_ERR_INTERNAL, "export of %s is empty", fpr);
		*len = n;
		gpgme_free(p);
	}
	gpgme_data_release(d);
	six_gpg_close(ctx);
	return rc;
}

/* ---- key files ---- */

int six_keys_read_file(const char *path, char **data, size_t *len, struct six_err *err)
{
	int rc = six_read_file_at(AT_FDCWD, path, SIX_KEYFILE_MAX, data, len, err);
	if (rc == SIX_ERR_LIMIT)
		return six_fail(err, SIX_ERR_INPUT, "%s: larger than %u bytes: not one public key",
				path, SIX_KEYFILE_MAX);
	return rc < 0 ? rc : 0;
}

/* s made safe to print and store as a registry name: control characters and invalid
 * UTF-8 become '?', cut to SIX_NAME_MAX bytes at a character boundary. */
static void safe_name(const char *s, char out[SIX_NAME_MAX + 1])
{
	size_t n = strnlen(s, SIX_NAME_MAX);
	/* back off to a character boundary rather than cut a UTF-8 sequence */
	if (n == SIX_NAME_MAX && s[n] != '\0')
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	memcpy(out, s, n);
	out[n] = '\0';
	int utf8 = six_utf8_valid(out, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		/* a user id is chosen by the key's owner: it must not carry terminal
		 * escapes or line breaks into listings and the audit log */
		if (c < 0x20 || c == 0x7f || (!utf8 && c >= 0x80))
			out[i] = '?';
	}
	if (n == 0)
		snprintf(out, SIX_NAME_MAX + 1, "(no user id)");
}

static int keyfile_of(gpgme_key_t k, char need, struct six_keyfile *kf, struct six_err *err)
{
	if (!k->fpr || six_fpr_normalise(k->fpr, kf->fpr, err) < 0)
		return six_fail(err, SIX_ERR_INPUT, "key file: not a v4 OpenPGP key");
	safe_name(k->uids && k->uids->uid ? k->uids->uid : "", kf->name);
	if (k->secret)
		/* secret material belongs on its owner's token, never in our keyring */
		return six_fail(err, SIX_ERR_INPUT,
				"key file holds a SECRET key: export the public key only "
				"(six-keyring export, or gpg --export)");
	if (k->revoked || k->expired || k->disabled || k->invalid)
		return six_fail(err, SIX_ERR_KEY, "key %s is revoked, expired or invalid", kf->fpr);
	kf->can_sign = six_gpg_key_can(k, 's');
	kf->can_encrypt = six_gpg_key_can(k, 'e');
	if (need == 's' && !kf->can_sign)
		return six_fail(err, SIX_ERR_KEY, "key %s cannot sign", kf->fpr);
	if (need == 'e' && !kf->can_encrypt)
		return six_fail(err, SIX_ERR_KEY, "key %s cannot encrypt", kf->fpr);
	return 0;
}

/* Untrusted key files are looked at in a private scratch GnuPG home, never in the
 * real one: listing a key file there still takes keyring locks and touches the trust
 * database, and a refused key must leave the home exactly as it was. no-autostart:
 * no gpg-agent is needed to list keys, so none is left behind. */
static const char scratch_conf[] = "no-autostart\ntrust-model always\n"
				   "auto-key-locate local\nno-auto-key-retrieve\n";

static int scratch_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void scratch_remove(const char *dir)
{
	nftw(dir, scratch_rm, 8, FTW_DEPTH | FTW_PHYS);
}

static int scratch_make(char dir[32], struct six_err *err)
{
	/* under /tmp: short, so gpg's own socket paths would fit if it wanted any */
	snprintf(dir, 32, "/tmp/six-keycheck.XXXXXX");
	if (!mkdtemp(dir))
		return six_fail_errno(err, SIX_ERR_CREATE, "cannot create a scratch directory");
	int fd = six_open_dir(dir, err);
	int rc = fd < 0 ? fd
			: six_replace_file_at(fd, "gpg.conf", scratch_conf, strlen(scratch_conf),
					      0600, err);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		scratch_remove(dir);
	return rc;
}

/* List the keys in data; the first one fills kf (checked against need). */
static int list_keys(const char *dir, const char *data, size_t len, char need,
		     struct six_keyfile *kf, size_t *n, struct six_err *err)
{
	gpgme_ctx_t ctx;
	int rc = six_gpg_open(dir, NULL, &ctx, err);
	if (rc < 0)
		return rc;
	gpgme_data_t d = NULL;
	/* gpg --show-keys: lists what the data holds without importing anything */
	gpgme_error_t e = gpgme_data_new_from_mem(&d, data, len, 0);
	if (!e)
		e = gpgme_op_keylist_from_data_start(ctx, d, 0);
	gpgme_key_t k;
	*n = 0;
	while (!e && !(e = gpgme_op_keylist_next(ctx, &k))) {
		if ((*n)++ == 0)
			rc = keyfile_of(k, need, kf, err);
		gpgme_key_unref(k);
	}
	if (e && gpgme_err_code(e) != GPG_ERR_EOF)
		rc = six_gpg_fail(err, SIX_ERR_INPUT, e, "key file");
	gpgme_data_release(d);
	six_gpg_close(ctx);
	return rc;
}

int six_keys_inspect(const char *data, size_t len, char need, struct six_keyfile *kf,
		     struct six_err *err)
{
	memset(kf, 0, sizeof *kf);
	char dir[32];
	int rc = scratch_make(dir, err);
	if (rc < 0)
		return rc;
	size_t n = 0;
	rc = list_keys(dir, data, len, need, kf, &n, err);
	scratch_remove(dir);
	if (rc == 0 && n == 0)
		rc = six_fail(err, SIX_ERR_INPUT, "key file holds no OpenPGP key");
	/* one file, one key: the fingerprint the administrator checked is the one that
	 * gets imported, nothing rides along (checked before the first key's faults) */
	if (n > 1)
		rc = six_fail(err, SIX_ERR_INPUT, "key file holds %zu keys, want exactly one", n);
	return rc;
}

int six_keys_import(const struct six_home *h, const char *data, size_t len,
		    const struct six_keyfile *kf, struct six_err *err)
{
	gpgme_ctx_t ctx;
	int rc = six_gpg_open(h->gnupg, NULL, &ctx, err);
	if (rc < 0)
		return rc;
	gpgme_data_t d;
	gpgme_error_t e = gpgme_data_new_from_mem(&d, data, len, 0);
	if (!e)
		e = gpgme_op_import(ctx, d);
	gpgme_import_result_t r = e ? NULL : gpgme_op_import_result(ctx);
	if (e || !r)
		rc = six_gpg_fail(err, SIX_ERR_INPUT, e ? e : gpg_error(GPG_ERR_GENERAL),
				  "import");
	else if (r->considered != 1 || r->secret_read != 0 || !r->imports ||
		 r->imports->result || !r->imports->fpr ||
		 strcasecmp(r->imports->fpr, kf->fpr) != 0 || r->imports->next)
		rc = six_fail(err, SIX_ERR_INPUT, "import of %s did not import exactly that key",
			      kf->fpr);
	gpgme_data_release(d);
	six_gpg_close(ctx);
	return rc;
}
