/* One bundle, from file to inbox (formats/bundle.md, "Checks on receipt, in order").
 *
 *   1-2  decrypt and verify into private staging (keyring/bundle_open.c), then the
 *        registry: the signer's primary key must be enrolled, active, unexpired;
 *   3    only now does the sandboxed reader parse: SIX-MANIFEST first;
 *   4    the manifest must agree with the signer, this home, the registry, the clock;
 *   5    the seen-set claims (Sender, Sequence) and Bundle-Id;
 *   6    the reader extracts each member against its File: line;
 *   7    one rename makes the staged directory inbox/<PARTY>/<bundle-dir>.
 * A refusal leaves the inbox untouched and the bundle in quarantine with its reason. */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "bundle_open.h"
#include "fsutil.h"
#include "gpg.h"
#include "registry_store.h"
#include "util.h"

/* Everything learnt about one bundle so far: for the audit record either way. */
struct facts {
	struct six_bundle_sig sig;
	struct six_manifest m;
	int have_manifest;
	int gap;
	char party_dir[SIX_PARTY_MAX + 1];
	char name[96]; /* the bundle directory's name in inbox/<PARTY>/ */
};

static int open_or_make(int parent, const char *name, mode_t mode, struct six_err *err)
{
	if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
		return six_fail_errno(err, SIX_ERR_CREATE, "cannot create %s", name);
	return six_open_dir_at(parent, name, err);
}

int unpack_open(struct unpack *u, const char *home_path, struct six_err *err)
{
	u->gpg = NULL;
	u->state_fd = u->staging_fd = u->inbox_fd = u->quar_fd = -1;
	int rc = six_home_open(home_path, &u->home, err);
	if (rc < 0)
		return rc;
	rc = six_gpg_open(u->home.gnupg, NULL, &u->gpg, err);
	if (rc < 0) {
		unpack_close(u);
		return rc;
	}
	int *fds[] = {&u->state_fd, &u->inbox_fd, &u->quar_fd};
	const char *names[] = {"state", "inbox", "quarantine"};
	for (size_t i = 0; i < 3; i++)
		if ((*fds[i] = open_or_make(u->home.fd, names[i], 0750, err)) < 0) {
			unpack_close(u);
			return err->code;
		}
	u->staging_fd = open_or_make(u->state_fd, "staging", 0700, err);
	if (u->staging_fd < 0) {
		unpack_close(u);
		return err->code;
	}
	unpack_stage_sweep(u->staging_fd); /* what killed runs left behind */
	return 0;
}

void unpack_close(struct unpack *u)
{
	int *fds[] = {&u->state_fd, &u->staging_fd, &u->inbox_fd, &u->quar_fd};
	for (size_t i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	six_gpg_close(u->gpg);
	u->gpg = NULL;
	six_home_close(&u->home);
}

/* Check 2 (second half): trust is pinned in the registry, never gpg's web of trust. */
static int check_registry(struct unpack *u, struct facts *f, struct six_registry *reg,
			  const struct six_reg_entry **entry, struct six_err *err)
{
	int rc = six_registry_load(u->home.fd, reg, err);
	if (rc < 0)
		return rc;
	*entry = six_registry_find(reg, f->sig.primary);
	rc = six_registry_check_sender(*entry, time(NULL), err);
	if (rc < 0)
		return err->code = SIX_ERR_SENDER; /* the registry's message names the signer */
	return 0;
}

/* One Recipient must be a key whose secret is here: a bundle signed for A and
 * re-encrypted by A to us (surreptitious forwarding) names A, not us. */
static int check_recipient(struct unpack *u, const struct six_manifest *m, struct six_err *err)
{
	for (size_t i = 0; i < m->n_recipients; i++) {
		gpgme_key_t k;
		struct six_err ignored;
		if (six_gpg_get_key(u->gpg, m->recipients[i], 1, &k, &ignored) == 0) {
			gpgme_key_unref(k);
			return 0;
		}
	}
	return six_fail(err, SIX_ERR_BINDING, "no Recipient of the manifest is a key of this home");
}

/* Check 4: what the signed manifest claims against what we know. */
static int check_binding(struct unpack *u, const struct facts *f, const struct six_reg_entry *e,
			 struct six_err *err)
{
	const struct six_manifest *m = &f->m;
	const struct six_conf *c = &u->home.conf;
	if (strcmp(m->sender, f->sig.primary) != 0)
		return six_fail(err, SIX_ERR_BINDING, "Sender %s is not the signer %s", m->sender,
				f->sig.primary);
	if (strcmp(m->party, e->party) != 0)
		return six_fail(err, SIX_ERR_BINDING, "Party %s, but %s is enrolled for %s", m->party,
				m->sender, e->party);
	int rc = check_recipient(u, m, err);
	if (rc == 0)
		rc = six_registry_check_doc_type(e, m->doc_type, c, err);
	if (rc < 0)
		return err->code = SIX_ERR_BINDING;
	/* six.conf's lists bound what this enclave handles at all */
	char cls[sizeof m->classification];
	memcpy(cls, m->classification, sizeof cls);
	if (!six_conf_has((char(*)[SIX_TOKEN_MAX + 1])c->classifications, c->n_classifications, cls))
		return six_fail(err, SIX_ERR_BINDING, "Classification %s is not handled here", cls);
	time_t now = time(NULL);
	if (m->created < now && (uint64_t)(now - m->created) > c->max_age_seconds)
		return six_fail(err, SIX_ERR_FRESHNESS, "created %s: older than the allowed %" PRIu64
				" seconds", m->created_str, c->max_age_seconds);
	if (m->created > now && (uint64_t)(m->created - now) > c->max_skew_seconds)
		return six_fail(err, SIX_ERR_FRESHNESS, "created %s: in the future", m->created_str);
	return 0;
}

/* Checks 3 and 4 on the manifest the reader sent. */
static int check_manifest(struct unpack *u, struct unpack_reader *r, struct facts *f,
			  const struct six_reg_entry *e, int out_fd, struct six_err *err)
{
	char *text;
	size_t len;
	int rc = unpack_reader_manifest(r, &text, &len, err);
	if (rc < 0)
		return rc;
	const struct six_conf *c = &u->home.conf;
	struct six_manifest_limits lim = {c->max_files, c->max_file_size, c->max_total_size};
	rc = six_manifest_parse(text, len, &lim, &f->m, err);
	if (rc == 0) {
		f->have_manifest = 1;
		rc = check_binding(u, f, e, err);
	}
	if (rc == 0) /* delivered beside the files: what the sender signed, verbatim */
		rc = six_replace_file_at(out_fd, "SIX-MANIFEST", text, len, 0640, err);
	free(text);
	return rc;
}

/* Checks 3 to 6 with the sandboxed reader on the verified plaintext. */
static int read_archive(struct unpack *u, struct unpack_stage *st, struct facts *f,
			const struct six_reg_entry *e, struct six_err *err)
{
	int payload = open_or_make(st->out_fd, "payload", 0700, err);
	if (payload < 0)
		return payload;
	const struct six_conf *c = &u->home.conf;
	struct six_manifest_limits lim = {c->max_files, c->max_file_size, c->max_total_size};
	struct unpack_reader r;
	int rc = lseek(st->plain_fd, 0, SEEK_SET) < 0
			 ? six_fail_errno(err, SIX_ERR_IO, "staging")
			 : unpack_reader_start(&r, st->plain_fd, payload, &lim, err);
	if (rc < 0) {
		close(payload);
		return rc;
	}
	rc = check_manifest(u, &r, f, e, st->out_fd, err);
	if (rc == 0)
		rc = unpack_seen_claim(u->state_fd, &f->m, &f->gap, err);
	if (rc == 0)
		rc = unpack_reader_extract(&r, err);
	unpack_reader_stop(&r); /* reaped: nothing writes into staging any more */
	uint64_t files = 0;
	if (rc == 0 && fchmod(payload, 0750) < 0)
		rc = six_fail_errno(err, SIX_ERR_IO, "chmod staging");
	if (rc == 0)
		rc = unpack_stage_audit_tree(payload, &files, err);
	else
		close(payload);
	if (rc == 0 && files != f->m.n_files)
		rc = six_fail(err, SIX_ERR_UNSAFE, "staging holds %" PRIu64 " files, not %zu", files,
			      f->m.n_files);
	return rc;
}

/* The signature facts, delivered beside the manifest as SIX-VERIFIED. */
static int write_verified(int out_fd, const struct facts *f, struct six_err *err)
{
	char signed_at[SIX_TIME_LEN + 1], now[SIX_TIME_LEN + 1], text[1024];
	six_time_format(f->sig.sig_time, signed_at);
	six_time_format(time(NULL), now);
	int n = snprintf(text, sizeof text,
			 "Signer: %s\nSender: %s\nSigned: %s\nSignature: %s %s\nCipher: %s\n"
			 "Decrypted-By: %s\nBundle-SHA256: %s\nBundle-Size: %" PRIu64
			 "\nVerified: %s\n",
			 f->sig.signer, f->sig.primary, signed_at, f->sig.pubkey_algo,
			 f->sig.hash_algo, f->sig.cipher, f->sig.decrypted_by, f->sig.sha256,
			 f->sig.size, now);
	return six_replace_file_at(out_fd, "SIX-VERIFIED", text, (size_t)n, 0640, err);
}

/* Check 7: one rename, never over anything (RENAME_NOREPLACE: the name comes from the
 * manifest, so a second delivery of the same bundle finds it taken). */
static int commit(struct unpack *u, struct unpack_stage *st, struct facts *f,
		  struct six_err *err)
{
	const struct six_manifest *m = &f->m;
	char c[SIX_TIME_LEN + 1];
	size_t j = 0;
	for (const char *p = m->created_str; *p; p++) /* 2026-12-04T15:18:22Z -> 20261204T151822Z */
		if (*p != '-' && *p != ':')
			c[j++] = *p;
	c[j] = '\0';
	snprintf(f->name, sizeof f->name, "%s-%" PRIu64 "-%s", c, m->sequence, m->bundle_id);
	snprintf(f->party_dir, sizeof f->party_dir, "%s", m->party);
	/* the plaintext has served: emptied now, its pages are never written to disk by
	 * the syncfs below (it can be as large as the bundle) */
	if (ftruncate(st->plain_fd, 0) < 0)
		return six_fail_errno(err, SIX_ERR_IO, "cannot empty staging");
	int rc = write_verified(st->out_fd, f, err);
	if (rc == 0 && fchmod(st->out_fd, 0750) < 0)
		rc = six_fail_errno(err, SIX_ERR_IO, "chmod staging");
	/* every file, directory and record on the way reaches the disk before the rename */
	if (rc == 0 && syncfs(st->dir_fd) < 0)
		rc = six_fail_errno(err, SIX_ERR_IO, "cannot sync staging");
	int pfd = rc < 0 ? rc : open_or_make(u->inbox_fd, m->party, 0750, err);
	if (pfd < 0)
		return pfd;
	if (renameat2(st->dir_fd, "out", pfd, f->name, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST) {
			rc = six_fail(err, SIX_ERR_REPLAY, "bundle %s was already delivered", m->bundle_id);
			struct six_err ignored; /* the replay is the news; the record is best effort */
			unpack_seen_done(u->state_fd, m, &ignored);
		} else {
			rc = six_fail_errno(err, errno == EXDEV ? SIX_ERR_CONFIG : SIX_ERR_IO,
					    "cannot move the bundle into inbox/%s", m->party);
		}
	} else {
		rc = six_fsync_dir(pfd, err);
		if (rc == 0)
			rc = six_fsync_dir(u->inbox_fd, err);
		if (rc == 0)
			rc = unpack_seen_done(u->state_fd, m, err);
	}
	close(pfd);
	return rc;
}

/* Checks 1 to 7 in order; stops at the first refusal. */
static int run_checks(struct unpack *u, struct unpack_stage *st, int bundle_fd, struct facts *f,
		      struct six_err *err)
{
	int rc = six_bundle_open(u->gpg, bundle_fd, st->plain_fd, &f->sig, err);
	if (rc < 0)
		return rc;
	struct six_registry reg;
	six_registry_init(&reg);
	const struct six_reg_entry *e = NULL;
	rc = check_registry(u, f, &reg, &e, err);
	if (rc == 0)
		rc = read_archive(u, st, f, e, err);
	six_registry_free(&reg);
	if (rc == 0)
		rc = commit(u, st, f, err);
	return rc;
}

static int is_refusal(int code)
{
	return code <= SIX_ERR_DECRYPT && code >= SIX_ERR_LIMIT;
}

/* The audit record of the outcome: event, and every fact known by then. */
static int audit_outcome(struct unpack *u, const char *event, const char *label,
			 const struct facts *f, const struct six_err *why, const char *where,
			 struct six_err *err)
{
	char seq[24], dir[UNPACK_DIR_MAX];
	struct six_kv kv[14];
	size_t n = 0;
	kv[n++] = (struct six_kv){"bundle", label};
	if (f->sig.sha256[0])
		kv[n++] = (struct six_kv){"sha256", f->sig.sha256};
	if (f->sig.primary[0])
		kv[n++] = (struct six_kv){"signer", f->sig.primary};
	if (f->have_manifest) {
		snprintf(seq, sizeof seq, "%" PRIu64, f->m.sequence);
		kv[n++] = (struct six_kv){"bundle_id", f->m.bundle_id};
		kv[n++] = (struct six_kv){"sender", f->m.sender};
		kv[n++] = (struct six_kv){"party", f->m.party};
		kv[n++] = (struct six_kv){"sequence", seq};
		kv[n++] = (struct six_kv){"doc_type", f->m.doc_type};
		kv[n++] = (struct six_kv){"classification", f->m.classification};
	}
	if (why) {
		kv[n++] = (struct six_kv){"class", six_err_class(why->code)};
		kv[n++] = (struct six_kv){"reason", why->msg};
	}
	if (where) {
		snprintf(dir, sizeof dir, "%s", where);
		kv[n++] = (struct six_kv){"dir", dir};
	}
	if (f->gap)
		kv[n++] = (struct six_kv){"gap", "previous sequence not seen"};
	return six_audit_append(u->home.fd, event, kv, n, NULL, err);
}

/* A refusal: quarantine the bundle with the reason, then the audit record. The
 * bundle's refusal stays the error reported, unless recording it failed. */
static int refuse(struct unpack *u, int bundle_fd, const char *label, const struct facts *f,
		  struct six_err *err)
{
	struct six_err why = *err, oops;
	char qname[80], where[UNPACK_DIR_MAX];
	int rc = unpack_quarantine(u->quar_fd, bundle_fd, label, &why, qname, &oops);
	if (rc == 0) {
		snprintf(where, sizeof where, "%s/quarantine/%s", u->home.path, qname);
		rc = audit_outcome(u, "rejected", label, f, &why, where, &oops);
	}
	if (rc < 0) {
		*err = oops;
		return rc;
	}
	return why.code;
}

int unpack_bundle(struct unpack *u, int bundle_fd, const char *label, char dir[UNPACK_DIR_MAX],
		  struct six_err *err)
{
	struct facts *f = calloc(1, sizeof *f);
	if (!f)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	struct unpack_stage st;
	int rc = audit_outcome(u, "received", label, f, NULL, NULL, err);
	if (rc == 0)
		rc = unpack_stage_begin(u->staging_fd, &st, err);
	if (rc == 0) {
		rc = run_checks(u, &st, bundle_fd, f, err);
		unpack_stage_end(&st);
	}
	if (rc == 0) {
		snprintf(dir, UNPACK_DIR_MAX, "%s/inbox/%s/%s", u->home.path, f->party_dir, f->name);
		rc = audit_outcome(u, "delivered", label, f, NULL, dir, err);
	} else if (is_refusal(rc)) {
		rc = refuse(u, bundle_fd, label, f, err);
	} else {
		/* not the bundle's fault (disk, lock, gpg-agent): leave it to be retried */
		struct six_err oops;
		audit_outcome(u, "failed", label, f, err, NULL, &oops);
	}
	six_manifest_free(&f->m);
	free(f);
	return rc;
}
