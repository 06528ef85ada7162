/* six-unpack's parts: staging, the sandboxed archive reader, the seen-set, delivery
 * and quarantine, spool mode. Only six-unpack uses them; the main prints. */
#ifndef SIX_UNPACK_H
#define SIX_UNPACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <gpgme.h>

#include "err.h"
#include "home.h"
#include "manifest.h"

#define UNPACK_DIR_MAX 1024 /* "HOME/inbox/PARTY/<bundle-dir>" */

/* One receiving home, opened once per run. */
struct unpack {
	struct six_home home;
	gpgme_ctx_t gpg;
	int state_fd;	/* HOME/state: seen-set and its lock */
	int staging_fd; /* HOME/state/staging: private work areas, same filesystem as inbox */
	int inbox_fd;	/* HOME/inbox */
	int quar_fd;	/* HOME/quarantine */
};

int unpack_open(struct unpack *u, const char *home_path, struct six_err *err);
void unpack_close(struct unpack *u);

/* Verify and deliver one bundle read from bundle_fd (label names it in messages, the
 * audit log and quarantine). On success the delivered directory's path is written to
 * dir. On refusal the bundle is quarantined, the audit log says why, and the code
 * (SIX_ERR_DECRYPT..SIX_ERR_LIMIT, or an operational error) is returned with err. */
int unpack_bundle(struct unpack *u, int bundle_fd, const char *label, char dir[UNPACK_DIR_MAX],
		  struct six_err *err);

/* ---- stage.c: private work areas under HOME/state/staging ---- */
struct unpack_stage {
	int root_fd;	/* HOME/state/staging (not owned) */
	char name[64];	/* this area's unique name */
	int lock_fd;	/* held while the area is in use: a sweeper skips it */
	int dir_fd;	/* the area */
	int plain_fd;	/* "plain": the decrypted, verified plaintext (0600) */
	int out_fd;	/* "out": the directory that becomes inbox/PARTY/<bundle-dir> */
};
int unpack_stage_begin(int root_fd, struct unpack_stage *s, struct six_err *err);
/* Remove the area and everything in it (on every path, success or not). */
void unpack_stage_end(struct unpack_stage *s);
/* Remove areas left by runs that died (their lock is free). */
void unpack_stage_sweep(int root_fd);
/* rm -r of dirfd/name without following any link; 0 or -1. */
int unpack_rmtree_at(int dirfd, const char *name);
/* Check the tree the reader wrote under dirfd: only directories and regular files
 * with one link; set modes (0750 directories, 0640 files); count the files. */
int unpack_stage_audit_tree(int dirfd, uint64_t *files, struct six_err *err);

/* ---- reader.c: the archive reader, in a sandboxed child ---- */
struct unpack_reader {
	pid_t pid;
	int to_child;	/* parent -> child: 'G' to extract */
	int from_child; /* child -> parent: the manifest, then the verdict */
};
/* Fork the reader on plain_fd (read) and payload_fd (the only place it writes). */
int unpack_reader_start(struct unpack_reader *r, int plain_fd, int payload_fd,
			const struct six_manifest_limits *lim, struct six_err *err);
/* The first member's bytes (SIX-MANIFEST), malloc'd; or the reader's refusal. */
int unpack_reader_manifest(struct unpack_reader *r, char **text, size_t *len,
			   struct six_err *err);
/* Let the reader extract and check every member; its verdict. */
int unpack_reader_extract(struct unpack_reader *r, struct six_err *err);
/* Stop (if still running) and reap the reader. */
void unpack_reader_stop(struct unpack_reader *r);
/* seccomp.c: the reader's system call allowlist (a no-op under AddressSanitizer). */
int unpack_seccomp(struct six_err *err);

/* ---- seen.c: the seen-set, HOME/state/seen (formats/bundle.md) ---- */
/* Check that (Sender, Sequence) and Bundle-Id are new and record them as pending, or
 * find them pending for this very bundle (a run that died: resume). SIX_ERR_REPLAY
 * otherwise. *gap is set when the sender's previous sequence number is unseen. */
int unpack_seen_claim(int state_fd, const struct six_manifest *m, int *gap,
		      struct six_err *err);
/* Mark the bundle delivered. */
int unpack_seen_done(int state_fd, const struct six_manifest *m, struct six_err *err);

/* ---- quarantine (stage.c) ---- */
/* Copy the bundle and a reason file into quarantine/<unique>/; the entry's name to qname. */
int unpack_quarantine(int quar_fd, int bundle_fd, const char *label, const struct six_err *why,
		      char qname[80], struct six_err *err);

/* ---- spool.c ---- */
/* Called for every bundle handled (name: its name in new/): dir when delivered, else
 * why it was refused. */
typedef void (*unpack_report_fn)(const char *name, const char *dir, const struct six_err *why,
				 void *hook);
/* Process every bundle in SPOOL/new (and, with watch, those that arrive until SIGTERM
 * or SIGINT), each claimed so that concurrent runs handle it once, and moved to cur/
 * when delivered or quarantined. Returns 0 when every bundle was delivered, else the
 * first refusal's code (err says which); operational failures stop the run. */
int unpack_spool(struct unpack *u, const char *spool, int watch, unpack_report_fn report,
		 void *hook, struct six_err *err);

#endif
