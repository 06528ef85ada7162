#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle_seal.h"
#include "fsutil.h"
#include "gpg.h"
#include "hash.h"
#include "home.h"
#include "inputs.h"
#include "manifest.h"
#include "output.h"
#include "path.h"
#include "progress.h"
#include "seq.h"
#include "stream.h"
#include "util.h"

#define PACK_PIPE_SIZE (1 << 20)      /* lets gzip run ahead of gpg instead of in step */
#define PACK_PROGRESS_MIN (64u << 20) /* below this a progress bar only flickers */

struct pack {
	const struct pack_opts *o;
	struct six_home home;
	struct six_seal seal;
	struct pack_inputs in;
	struct pack_out out;
	struct six_progress prog;
	struct six_manifest m;
	char *text; /* the manifest */
	size_t text_len;
};

/* The labels are checked here, before any work, with errors a sender can act on;
 * the manifest emitter would refuse them too, but as a malformed manifest. */
static int check_labels(const struct pack_opts *o, struct six_conf *conf, struct six_err *err)
{
	const char *cls = o->classification ? o->classification : PACK_DEFAULT_CLASSIFICATION;
	if (!six_party_valid(o->party))
		return six_fail(err, SIX_ERR_INPUT,
				"invalid party code '%.20s' (ISO 3166 alpha-3, or OPCW)", o->party);
	if (!six_conf_has(conf->doc_types, conf->n_doc_types, o->doc_type))
		return six_fail(err, SIX_ERR_INPUT,
				"unknown document type '%.64s' (see doc-types in six.conf)",
				o->doc_type);
	if (!six_conf_has(conf->classifications, conf->n_classifications, cls))
		return six_fail(err, SIX_ERR_INPUT,
				"unknown classification '%.64s' (see classifications in six.conf)",
				cls);
	if (!o->subject)
		return 0;
	size_t len = strlen(o->subject);
	int ctl = 0;
	for (size_t i = 0; i < len; i++)
		ctl |= (unsigned char)o->subject[i] < 0x20 || o->subject[i] == 0x7f;
	if (len == 0 || len > SIX_SUBJECT_MAX || ctl || !six_utf8_valid(o->subject, len) ||
	    o->subject[0] == ' ' || o->subject[len - 1] == ' ')
		return six_fail(err, SIX_ERR_INPUT,
				"invalid subject: one line of UTF-8 text, 1 to %d bytes, no "
				"leading or trailing space", SIX_SUBJECT_MAX);
	return 0;
}

static int build_manifest(struct pack *p, struct six_err *err)
{
	const struct pack_opts *o = p->o;
	struct six_manifest *m = &p->m;
	uint8_t id[16];
	if (six_random(id, sizeof id) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "no randomness");
	six_hex(id, sizeof id, m->bundle_id);
	m->created = time(NULL);
	six_time_format(m->created, m->created_str);
	snprintf(m->sender, sizeof m->sender, "%s", p->seal.signer_fpr);
	memcpy(m->recipients, p->seal.rcpt_fprs, p->seal.n_rcpts * sizeof m->recipients[0]);
	m->n_recipients = p->seal.n_rcpts;
	snprintf(m->party, sizeof m->party, "%s", o->party);
	snprintf(m->doc_type, sizeof m->doc_type, "%s", o->doc_type);
	snprintf(m->classification, sizeof m->classification, "%s",
		 o->classification ? o->classification : PACK_DEFAULT_CLASSIFICATION);
	snprintf(m->subject, sizeof m->subject, "%s", o->subject ? o->subject : "");
	m->files = calloc(p->in.n, sizeof *m->files);
	if (!m->files)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	m->n_files = p->in.n;
	for (size_t i = 0; i < p->in.n; i++) {
		memcpy(m->files[i].sha256, p->in.v[i].sha256, sizeof m->files[i].sha256);
		m->files[i].size = p->in.v[i].size;
		m->files[i].path = p->in.v[i].path; /* borrowed */
	}
	/* the counter moves only now, when nothing but sealing and disk space can fail */
	int statefd = six_open_dir_at(p->home.fd, "state", err);
	if (statefd < 0)
		return statefd;
	int rc = pack_seq_next(statefd, m->sender, m->recipients, m->n_recipients, &m->sequence,
			       err);
	close(statefd);
	return rc < 0 ? rc : six_manifest_emit(m, &p->text, &p->text_len, err);
}

struct producer {
	struct pack_stream s;
	struct six_err err;
	int rc;
};

static void *produce(void *arg)
{
	struct producer *pr = arg;
	pr->rc = pack_stream_write(&pr->s, &pr->err);
	close(pr->s.fd); /* end of plaintext for gpg, also after a failure */
	return NULL;
}

/* The gzip'ed tar is made in a thread and written into a pipe that gpg (its own
 * process) reads directly: hashing and compressing here overlap with encrypting and
 * signing there, through the pipe's buffer. This thread waits for gpg's verdict. */
static int seal(struct pack *p, struct six_err *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "pipe");
	fcntl(fds[1], F_SETPIPE_SZ, PACK_PIPE_SIZE); /* best effort: a smaller one works */
	struct producer pr = {.s = {&p->in, p->text, p->text_len, p->m.created, fds[1], &p->prog}};
	pthread_t t;
	if (pthread_create(&t, NULL, produce, &pr) != 0) {
		close(fds[0]);
		close(fds[1]);
		return six_fail(err, SIX_ERR_INTERNAL, "cannot start a thread");
	}
	int rc = six_seal_run(&p->seal, fds[0], p->out.fd, err);
	close(fds[0]); /* a producer still writing gets EPIPE and stops */
	pthread_join(t, NULL);
	/* the producer's failure is the cause (a file changed, a read failed) unless it
	 * only saw gpg go away, which gpg's own error explains better */
	if (pr.rc < 0 && (rc == 0 || pr.rc == SIX_ERR_INPUT || pr.rc == SIX_ERR_NOINPUT)) {
		*err = pr.err;
		return pr.rc;
	}
	return rc;
}

static int prepare(struct pack *p, struct six_err *err)
{
	const struct pack_opts *o = p->o;
	char path[SIX_HOME_PATH_MAX];
	int rc = six_home_resolve(o->home, path, err);
	if (rc == 0)
		rc = six_home_open(path, &p->home, err);
	if (rc == 0)
		rc = check_labels(o, &p->home.conf, err);
	if (rc == 0)
		rc = six_crypto_init(err);
	if (rc == 0)
		rc = six_gpg_init(err);
	if (rc == 0)
		rc = six_seal_open(&p->seal, p->home.gnupg, o->passphrase_file, o->signer, o->rcpts,
				   o->n_rcpts, err);
	p->in.follow = o->follow;
	for (size_t i = 0; rc == 0 && i < o->n_inputs; i++)
		rc = pack_inputs_add(&p->in, o->inputs[i], err);
	if (rc == 0)
		rc = pack_inputs_check(&p->in, err);
	if (rc == 0)
		rc = o->out ? pack_out_open_file(&p->out, o->out, o->force, err)
			    : pack_out_open_spool(&p->out, o->outbox, err);
	return rc;
}

static int make(struct pack *p, struct six_err *err)
{
	six_progress_start(&p->prog, "six-pack: hashing", p->in.total, PACK_PROGRESS_MIN);
	int rc = pack_inputs_hash(&p->in, &p->prog, err);
	six_progress_end(&p->prog);
	if (rc == 0)
		rc = build_manifest(p, err);
	six_progress_start(&p->prog, "six-pack: sealing", p->in.total, PACK_PROGRESS_MIN);
	if (rc == 0)
		rc = seal(p, err);
	six_progress_end(&p->prog);
	char name[SIX_SPOOL_NAME_MAX + 1];
	/* spool name: party, sequence and the id's first 16 hex digits: unique, sortable
	 * by eye, and telling an operator whose bundle it is without opening it */
	snprintf(name, sizeof name, "%s-%" PRIu64 "-%.16s.six", p->m.party, p->m.sequence,
		 p->m.bundle_id);
	if (rc == 0)
		rc = pack_out_commit(&p->out, name, err);
	return rc;
}

int pack_run(const struct pack_opts *o, char *shown, size_t shown_len, struct six_err *err)
{
	struct pack p;
	memset(&p, 0, sizeof p);
	p.o = o;
	p.home.fd = -1;
	p.out.fd = p.out.dirfd = -1;
	p.out.sp.dirfd = p.out.sp.tmpfd = p.out.sp.newfd = p.out.sp.curfd = -1;
	int rc = prepare(&p, err);
	if (rc == 0)
		rc = make(&p, err);
	if (rc == 0)
		snprintf(shown, shown_len, "%s", p.out.shown);
	else
		pack_out_abort(&p.out);
	free(p.text);
	free(p.m.files); /* the paths belong to the inputs */
	pack_inputs_free(&p.in);
	if (p.seal.ctx)
		six_seal_close(&p.seal);
	six_home_close(&p.home);
	return rc;
}
