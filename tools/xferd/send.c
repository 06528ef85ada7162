/* six-xferd send: the transit side of the diode. Every file in the outbox spool's
 * new/ is cut into symbols, protected by Reed-Solomon parity, and sent in repeated
 * passes (a carousel), because nothing can ever be asked again. A file moves to cur/
 * only after its last pass; a restarted sender starts again with what is in new/.
 * formats/diode.md describes the datagrams and the send order. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datagram.h"
#include "fec.h"
#include "fsutil.h"
#include "hash.h"
#include "home.h"
#include "path.h"
#include "spool.h"
#include "udp_offload.h"
#include "util.h"
#include "xferd.h"

#define SEND_BATCH 256	       /* most datagrams queued before a flush */
#define SEND_BURST_PER_S 2000  /* at a set rate, a burst carries 1/2000 s of it */
#define SEND_FILES_MAX 4096    /* files in one carousel batch: the rest wait their turn */
#define META_COPIES 3	       /* a file's META is sent this often at its start */
#define END_COPIES 3	       /* an END may be lost: it is repeated */

struct send_opts {
	const char *outbox;
	struct sockaddr_storage to;
	socklen_t tolen;
	uint64_t rate;
	unsigned pct, passes, k, depth;
	size_t dgram;
	int once, use_syslog;
};

struct sfile {
	char *name;
	int fd;
	uint32_t id;
	uint64_t size;
	int have_sha; /* known after the first pass read the whole file */
	uint8_t sha[SIX_SHA256_LEN];
};

struct sender {
	struct send_opts o;
	struct xferd_log log;
	struct xferd_signals sig;
	int sock;
	struct six_spool sp;
	uint64_t session;
	uint32_t announced, current, done, first, last;
	uint16_t pass;
	uint64_t sent, last_hb;
	double tokens;
	uint64_t tb_last;
	uint8_t *bufs;		       /* SEND_BATCH datagrams, dgram bytes apart */
	size_t len[SEND_BATCH];
	unsigned nb, batch; /* queued; queued before a flush (burst_datagrams) */
	unsigned gso_segs;	       /* datagrams per message; 1 without offload */
	struct mmsghdr msgs[SEND_BATCH];
	struct iovec iov[SEND_BATCH];
	unsigned msg_first[SEND_BATCH]; /* the first datagram of each message */
	union xferd_gso_ctl ctl[SEND_BATCH];
	uint16_t sym, m;
	uint8_t *win, *par;
	struct xferd_fec fec, fec_last;
};

static const char send_usage[] =
	"usage: six-xferd send --outbox SPOOL --to HOST:PORT [--rate R] [--redundancy PCT]\n"
	"                      [--passes N] [--once] [--datagram-size BYTES] [--group K]\n"
	"                      [--interleave D] [--syslog] [--home DIR]\n"
	"\n"
	"Sends every file in SPOOL/new through a one-way UDP link, in N passes, and moves\n"
	"each to SPOOL/cur after its last pass.\n"
	"  --rate R            bytes per second, suffix k, M or G (powers of 1000), in\n"
	"                      even bursts of half a millisecond; default 100M. Set it\n"
	"                      under the diode's capacity: nothing tells the sender it is\n"
	"                      too fast. 0 means unlimited (for measurements)\n"
	"  --redundancy PCT    parity symbols per group, percent of K (default 25)\n"
	"  --passes N          times each file is sent (default 3)\n"
	"  --once              send what is in new/ now, then exit\n"
	"  --datagram-size B   UDP payload bytes (default 1472: a 1500-byte MTU, IPv4)\n"
	"  --group K           data symbols per Reed-Solomon group (default 64, max 128)\n"
	"  --interleave D      groups interleaved on the wire (default 32)\n"
	"  --syslog            log to syslog instead of stderr\n"
	"\n"
	"example: six-xferd send --outbox /srv/six/out --to 10.0.0.2:7000 --passes 3\n"
	"exit status: 0 ok, 64 usage, 66 no outbox, 74 i/o error (MANUAL.md 6.1)\n";

static void send_parse(int argc, char **argv, struct send_opts *o)
{
	static const struct option lo[] = {
		{"outbox", 1, 0, 'o'}, {"to", 1, 0, 't'},	 {"rate", 1, 0, 'r'},
		{"redundancy", 1, 0, 'R'}, {"passes", 1, 0, 'p'}, {"once", 0, 0, '1'},
		{"datagram-size", 1, 0, 'd'}, {"group", 1, 0, 'k'}, {"interleave", 1, 0, 'i'},
		{"syslog", 0, 0, 's'},	 {"home", 1, 0, 'H'},	 {"help", 0, 0, 'h'},
		{"version", 0, 0, 'V'},	 {0, 0, 0, 0}};
	const char *to = NULL;
	uint64_t v;
	memset(o, 0, sizeof *o);
	o->rate = 100000000;
	o->pct = 25, o->passes = 3, o->k = 64, o->depth = 32, o->dgram = 1472;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'o': o->outbox = optarg; break;
		case 't': to = optarg; break;
		case 'r':
			if (xferd_parse_rate(optarg, &o->rate) < 0)
				six_usage_die(XFERD_TOOL, "bad --rate '%s'", optarg);
			break;
		case 'R':
			if (xferd_parse_num(optarg, 0, 100, &v) < 0)
				six_usage_die(XFERD_TOOL, "--redundancy wants 0 to 100");
			o->pct = (unsigned)v;
			break;
		case 'p':
			if (xferd_parse_num(optarg, 1, 1000, &v) < 0)
				six_usage_die(XFERD_TOOL, "--passes wants 1 to 1000");
			o->passes = (unsigned)v;
			break;
		case 'd':
			if (xferd_parse_num(optarg, SIX_DGRAM_MIN, SIX_DGRAM_MAX, &v) < 0)
				six_usage_die(XFERD_TOOL, "--datagram-size wants %d to %d",
					      SIX_DGRAM_MIN, SIX_DGRAM_MAX);
			o->dgram = (size_t)v;
			break;
		case 'k':
			if (xferd_parse_num(optarg, 1, SIX_DGRAM_K_MAX, &v) < 0)
				six_usage_die(XFERD_TOOL, "--group wants 1 to %d", SIX_DGRAM_K_MAX);
			o->k = (unsigned)v;
			break;
		case 'i':
			if (xferd_parse_num(optarg, 1, 1024, &v) < 0)
				six_usage_die(XFERD_TOOL, "--interleave wants 1 to 1024");
			o->depth = (unsigned)v;
			break;
		case '1': o->once = 1; break;
		case 's': o->use_syslog = 1; break;
		case 'H': break; /* the diode link needs no home: accepted for uniformity */
		case 'h': fputs(send_usage, stdout); exit(0);
		case 'V': puts("six-xferd 1.0.0"); exit(0);
		default: six_usage_die(XFERD_TOOL, "send: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		six_usage_die(XFERD_TOOL, "send: unexpected argument '%s'", argv[optind]);
	if (!o->outbox || !to)
		six_usage_die(XFERD_TOOL, "send needs --outbox SPOOL and --to HOST:PORT");
	struct six_err e;
	if (xferd_parse_addr(to, &o->to, &o->tolen, &e) < 0)
		six_usage_die(XFERD_TOOL, "%s", e.msg);
	if ((o->k * o->pct + 99) / 100 > SIX_DGRAM_M_MAX)
		six_usage_die(XFERD_TOOL, "--group and --redundancy give more than %d parity "
					  "symbols", SIX_DGRAM_M_MAX);
}

/* Datagrams per burst. Unlimited: a full batch. At a set rate: what half a
 * millisecond of it carries (at least one), so that no queue on the path (a switch
 * port, the diode, a receiving socket left at the kernel's default of about 200 KiB)
 * has to hold more at once: 34 datagrams at 100M, where whole batches of 256 once
 * overflowed such a socket at any rate. */
static unsigned burst_datagrams(uint64_t rate, size_t dgram)
{
	if (rate == 0)
		return SEND_BATCH;
	uint64_t n = rate / SEND_BURST_PER_S / dgram;
	return n < 1 ? 1 : n > SEND_BATCH ? SEND_BATCH : (unsigned)n;
}

/* Token bucket: wait until n bytes may go. It holds one burst, so an idle moment
 * never lets two bursts out back to back. */
static void rate_wait(struct sender *s, size_t n)
{
	if (s->o.rate == 0)
		return;
	double rate = (double)s->o.rate, cap = (double)s->batch * (double)s->o.dgram;
	uint64_t now = xferd_now_ns();
	s->tokens += rate * (double)(now - s->tb_last) / 1e9;
	if (s->tokens > cap)
		s->tokens = cap;
	s->tb_last = now;
	s->tokens -= (double)n;
	if (s->tokens < 0) {
		double wait = -s->tokens / rate;
		struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
		nanosleep(&ts, NULL);
	}
}

/* Messages for datagrams [from, nb): runs of full-size datagrams (the last of a run
 * may be shorter), each one message with a UDP_SEGMENT size when it has several. */
static unsigned build_msgs(struct sender *s, unsigned from)
{
	unsigned nm = 0;
	for (unsigned i = from, j; i < s->nb; i = j, nm++) {
		size_t bytes = s->len[i];
		for (j = i + 1; j < s->nb && j - i < s->gso_segs && s->len[j - 1] == s->o.dgram; j++)
			bytes += s->len[j];
		struct msghdr *h = &s->msgs[nm].msg_hdr;
		s->msg_first[nm] = i;
		s->iov[nm].iov_base = s->bufs + (size_t)i * s->o.dgram;
		s->iov[nm].iov_len = bytes;
		h->msg_control = NULL;
		h->msg_controllen = 0;
		if (j - i > 1)
			xferd_gso_mark(h, &s->ctl[nm], (uint16_t)s->o.dgram);
	}
	return nm;
}

/* The offload is refused (EIO: no checksum offload on the route's device; EMSGSIZE or,
 * before Linux 5.x, EINVAL: datagrams larger than its MTU, which only IP fragmentation
 * can carry): from now on, one datagram per message. */
static int gso_refused(struct sender *s, int err)
{
	if (s->gso_segs == 1 || (err != EIO && err != EINVAL && err != EMSGSIZE))
		return 0;
	s->gso_segs = 1;
	xferd_warn(&s->log, "UDP segmentation offload refused (%s): one datagram per message",
		   strerror(err));
	return 1;
}

static void flush(struct sender *s)
{
	size_t bytes = 0;
	for (unsigned i = 0; i < s->nb; i++)
		bytes += s->len[i];
	rate_wait(s, bytes);
	unsigned nm = build_msgs(s, 0), done = 0;
	while (done < nm) {
		int r = sendmmsg(s->sock, s->msgs + done, nm - done, 0);
		if (r >= 0) {
			done += (unsigned)r;
		} else if (gso_refused(s, errno)) {
			nm = build_msgs(s, s->msg_first[done]);
			done = 0;
		} else if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS) {
			/* No answer can come back through a diode: a local error (a full
			 * queue, an unreachable port on a test loopback) costs these
			 * datagrams, which the parity and later passes stand in for. */
			done++;
		}
	}
	s->sent += s->nb;
	s->nb = 0;
}

static void heartbeat(struct sender *s);

static void queue(struct sender *s, const struct six_dgram *d)
{
	if (d->type != SIX_DG_HEARTBEAT && xferd_now_ns() - s->last_hb >= 1000000000u)
		heartbeat(s);
	uint8_t *buf = s->bufs + (size_t)s->nb * s->o.dgram;
	size_t n = six_dgram_pack(d, buf, s->o.dgram);
	if (n == 0)
		return; /* cannot happen for the records built here: checked by the parser */
	s->len[s->nb] = n;
	if (++s->nb == s->batch)
		flush(s);
}

static void heartbeat(struct sender *s)
{
	struct six_dgram d = {.type = SIX_DG_HEARTBEAT, .session = s->session};
	d.announced = s->announced;
	d.current = s->current;
	d.done = s->done;
	d.pass = s->pass;
	d.passes = (uint16_t)s->o.passes;
	d.sent = s->sent;
	s->last_hb = xferd_now_ns();
	queue(s, &d);
}

static void geometry(const struct sender *s, const struct sfile *f, struct six_dgram *d)
{
	d->session = s->session;
	d->file = f->id;
	d->size = f->size;
	d->sym = s->sym;
	d->k = (uint16_t)s->o.k;
	d->m = s->m;
}

static void send_meta(struct sender *s, const struct sfile *f, int copies)
{
	struct six_dgram d = {.type = SIX_DG_META};
	geometry(s, f, &d);
	memcpy(d.sha256, f->sha, sizeof d.sha256);
	d.payload = (const uint8_t *)f->name;
	d.paylen = (uint32_t)strlen(f->name);
	for (int i = 0; i < copies; i++)
		queue(s, &d);
}

/* The FEC for a group of kg data symbols (the last group of a file may be short). */
static struct xferd_fec *fec_for(struct sender *s, int kg)
{
	if (kg == (int)s->o.k)
		return &s->fec;
	if (s->fec_last.k != kg) {
		xferd_fec_free(&s->fec_last);
		if (xferd_fec_init(&s->fec_last, kg, s->m) < 0)
			return NULL;
	}
	return &s->fec_last;
}

/* Read groups [g0, g0 + ng) and compute their parity. */
static int load_window(struct sender *s, const struct sfile *f, uint32_t g0, uint32_t ng,
		       struct six_sha256 *hash)
{
	size_t gbytes = (size_t)s->o.k * s->sym;
	uint64_t off = (uint64_t)g0 * gbytes;
	size_t want = (size_t)ng * gbytes;
	size_t len = f->size - off < want ? (size_t)(f->size - off) : want;
	ssize_t r = pread(f->fd, s->win, len, (off_t)off);
	for (size_t got = r > 0 ? (size_t)r : 0; r > 0 && got < len; got += (size_t)r)
		r = pread(f->fd, s->win + got, len - got, (off_t)(off + got));
	if (r < 0)
		return -1;
	if (hash)
		six_sha256_update(hash, s->win, len);
	memset(s->win + len, 0, want - len); /* the last symbol is zero-padded */
	for (uint32_t i = 0; i < ng; i++) {
		int kg = six_dgram_group_k(f->size, s->sym, (uint16_t)s->o.k, g0 + i);
		uint8_t *data[SIX_DGRAM_K_MAX], *par[SIX_DGRAM_M_MAX];
		for (int j = 0; j < kg; j++)
			data[j] = s->win + i * gbytes + (size_t)j * s->sym;
		for (int j = 0; j < s->m; j++)
			par[j] = s->par + ((size_t)i * s->m + (size_t)j) * s->sym;
		struct xferd_fec *fec = fec_for(s, kg);
		if (!fec)
			return -1;
		xferd_fec_encode(fec, s->sym, data, par);
	}
	return 0;
}

/* One pass of one file: windows of `depth` groups, sent row by row (symbol j of every
 * group in the window, then symbol j + 1...), so a burst of lost datagrams costs each
 * group of the window about burst/depth symbols. */
static int send_file(struct sender *s, struct sfile *f)
{
	/* The first pass reads the file in order anyway: it computes the SHA-256 on the
	 * way and announces the file at its end (its symbols carry the geometry, so the
	 * receiver stores them meanwhile). Later passes announce it first. */
	struct six_sha256 h, *hash = NULL;
	struct six_err e;
	if (!f->have_sha) {
		if (six_sha256_init(&h, &e) < 0)
			return -1;
		hash = &h;
	} else {
		send_meta(s, f, META_COPIES);
	}
	uint32_t ngroups = (uint32_t)six_dgram_ngroups(f->size, s->sym, (uint16_t)s->o.k);
	struct six_dgram d = {.type = SIX_DG_DATA};
	geometry(s, f, &d);
	d.paylen = s->sym;
	/* Windows of equal size (33 groups at depth 32 are 17 + 16, not 32 + 1): a
	 * lone last group would take a whole burst. */
	uint32_t nwin = (ngroups + s->o.depth - 1) / s->o.depth;
	uint32_t ng;
	for (uint32_t w = 0, g0 = 0; w < nwin && !*s->sig.stop; w++, g0 += ng) {
		ng = ngroups / nwin + (w < ngroups % nwin);
		if (load_window(s, f, g0, ng, hash) < 0) {
			xferd_warn(&s->log, "cannot read %s: %s; skipped in this pass", f->name,
				   strerror(errno));
			if (hash)
				six_sha256_abort(hash);
			return -1;
		}
		if (g0 > 0 && !hash)
			send_meta(s, f, 1);
		for (unsigned r = 0; r < s->o.k + s->m; r++) {
			for (uint32_t i = 0; i < ng; i++) {
				uint16_t kg = six_dgram_group_k(f->size, s->sym, d.k, g0 + i);
				d.group = g0 + i;
				if (r < kg) {
					d.type = SIX_DG_DATA;
					d.index = (uint16_t)r;
					d.payload = s->win + ((size_t)i * s->o.k + r) * s->sym;
				} else if (r >= s->o.k) {
					d.type = SIX_DG_PARITY;
					d.index = (uint16_t)(r - s->o.k);
					d.payload = s->par + ((size_t)i * s->m + d.index) * s->sym;
				} else {
					continue;
				}
				queue(s, &d);
			}
		}
	}
	if (hash) {
		if (*s->sig.stop) {
			six_sha256_abort(hash);
			return -1;
		}
		six_sha256_final(hash, f->sha);
		f->have_sha = 1;
		send_meta(s, f, META_COPIES);
	}
	return 0;
}

static void send_end(struct sender *s)
{
	struct six_dgram d = {.type = SIX_DG_END, .session = s->session};
	d.pass = s->pass;
	d.passes = (uint16_t)s->o.passes;
	d.first = s->first;
	d.last = s->last;
	d.done = s->done;
	for (int i = 0; i < END_COPIES; i++)
		queue(s, &d);
	flush(s);
}

/* Open the files of new/. A file another consumer took meanwhile, or one that is not
 * a regular file, is skipped. */
static size_t open_batch(struct sender *s, char **names, size_t n, struct sfile *files)
{
	size_t nf = 0;
	for (size_t i = 0; i < n && nf < SEND_FILES_MAX; i++) {
		struct six_err e;
		struct stat st;
		if (six_name_check(names[i], &e) < 0) {
			xferd_warn(&s->log, "skipping new/%s: %s", names[i], e.msg);
			continue;
		}
		int fd = openat(s->sp.newfd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size > SIX_DGRAM_FILE_MAX) {
			xferd_warn(&s->log, "skipping new/%s: not a readable regular file of at "
					    "most %llu bytes", names[i], SIX_DGRAM_FILE_MAX);
			if (fd >= 0)
				close(fd);
			continue;
		}
		files[nf].name = names[i];
		files[nf].fd = fd;
		files[nf].size = (uint64_t)st.st_size;
		files[nf].have_sha = 0;
		files[nf].id = ++s->announced;
		nf++;
	}
	return nf;
}

/* Every pass of a batch; after the last one the files move to cur/. */
static void carousel(struct sender *s, struct sfile *files, size_t nf)
{
	s->first = files[0].id;
	s->last = files[nf - 1].id;
	for (unsigned p = 1; p <= s->o.passes && !*s->sig.stop; p++) {
		s->pass = (uint16_t)p;
		for (size_t i = 0; i < nf && !*s->sig.stop; i++) {
			s->current = files[i].id;
			send_file(s, &files[i]);
		}
		if (*s->sig.stop)
			break;
		s->current = 0;
		if (p == s->o.passes)
			s->done = s->last;
		send_end(s);
		xferd_log(&s->log, "pass %u of %u done: files %u to %u", p, s->o.passes,
			  s->first, s->last);
	}
	for (size_t i = 0; i < nf; i++) {
		close(files[i].fd);
		if (*s->sig.stop)
			continue; /* unfinished: stays in new/, sent again after a restart */
		struct six_err e;
		if (six_spool_done(&s->sp, files[i].name, &e) < 0)
			xferd_warn(&s->log, "%s", e.msg);
		else
			xferd_log(&s->log, "sent %s (%llu bytes, file %u, %u passes)", files[i].name,
				  (unsigned long long)files[i].size, files[i].id, s->o.passes);
	}
	s->current = 0;
}

/* Nothing to send: a heartbeat a second, and a look at new/ every second. */
static void idle(struct sender *s)
{
	heartbeat(s);
	flush(s);
	for (int i = 0; i < 10 && !*s->sig.stop; i++) {
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
}

static void report(struct sender *s)
{
	xferd_log(&s->log, "counters: session %016llx, files announced %u, done %u, "
			   "datagrams sent %llu", (unsigned long long)s->session, s->announced,
		  s->done, (unsigned long long)s->sent);
}

/* The sender is the outbox's consumer, the one that looks at it for days: it sweeps
 * tmp/ of what writers that died left there. */
static void sweep_outbox(struct sender *s)
{
	size_t n = six_spool_sweep_stale(&s->sp, time(NULL));
	if (n)
		xferd_log(&s->log, "removed %zu file(s) untouched for 36 hours from the outbox "
				   "tmp/ (left by writers that died)", n);
}

static int send_loop(struct sender *s)
{
	struct six_err e;
	while (!*s->sig.stop) {
		if (*s->sig.report) {
			*s->sig.report = 0;
			report(s);
		}
		sweep_outbox(s);
		char **names;
		size_t n;
		if (six_spool_list_new(&s->sp, &names, &n, &e) < 0) {
			fprintf(stderr, XFERD_TOOL ": %s\n", e.msg);
			return six_exit_code(e.code);
		}
		struct sfile *files = n ? calloc(n, sizeof *files) : NULL;
		size_t nf = files ? open_batch(s, names, n, files) : 0;
		if (nf > 0)
			carousel(s, files, nf);
		free(files);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		if (s->o.once && (nf > 0 || n == 0))
			break;
		if (nf == 0)
			idle(s);
	}
	heartbeat(s);
	flush(s);
	report(s);
	return 0;
}

static int send_setup(struct sender *s, struct six_err *e)
{
	int rc = six_crypto_init(e);
	if (rc < 0)
		return rc;
	if ((rc = six_spool_open(s->o.outbox, 0, &s->sp, e)) < 0) {
		e->code = SIX_ERR_NOINPUT; /* no outbox: nothing to send */
		return SIX_ERR_NOINPUT;
	}
	s->sock = socket(s->o.to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->sock < 0)
		return six_fail_errno(e, SIX_ERR_IO, "cannot open a UDP socket");
	int sndbuf = 4 << 20;
	if (setsockopt(s->sock, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
		setsockopt(s->sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	if (six_random(&s->session, sizeof s->session) < 0)
		return six_fail_errno(e, SIX_ERR_INTERNAL, "no randomness");
	s->session |= 1; /* never 0 */
	s->sym = (uint16_t)(s->o.dgram - SIX_DGRAM_SYM_OVERHEAD);
	s->m = (uint16_t)((s->o.k * s->o.pct + 99) / 100);
	size_t gbytes = (size_t)s->o.k * s->sym;
	s->bufs = malloc(SEND_BATCH * s->o.dgram);
	s->win = malloc(s->o.depth * gbytes);
	s->par = malloc((size_t)s->o.depth * (s->m ? s->m : 1) * s->sym);
	if (!s->bufs || !s->win || !s->par || xferd_fec_init(&s->fec, (int)s->o.k, s->m) < 0)
		return six_fail(e, SIX_ERR_INTERNAL, "out of memory");
	/* Unconnected socket and an address on every message: a connected UDP socket
	 * would report ICMP errors, and nothing may come back over a diode. */
	for (unsigned i = 0; i < SEND_BATCH; i++) {
		memset(&s->msgs[i], 0, sizeof s->msgs[i]);
		s->msgs[i].msg_hdr.msg_name = &s->o.to;
		s->msgs[i].msg_hdr.msg_namelen = s->o.tolen;
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	s->gso_segs = (unsigned)(XFERD_UDP_PAYLOAD_MAX / s->o.dgram);
	if (s->gso_segs > XFERD_GSO_SEGS_MAX)
		s->gso_segs = XFERD_GSO_SEGS_MAX;
	if (s->gso_segs < 1)
		s->gso_segs = 1;
	s->batch = burst_datagrams(s->o.rate, s->o.dgram);
	s->tb_last = xferd_now_ns();
	return 0;
}

int xferd_send_main(int argc, char **argv)
{
	struct sender *s = calloc(1, sizeof *s);
	struct six_err e;
	if (!s) {
		fputs(XFERD_TOOL ": out of memory\n", stderr);
		return 70;
	}
	s->sock = -1;
	send_parse(argc, argv, &s->o);
	if (send_setup(s, &e) < 0)
		six_die(XFERD_TOOL, &e);
	xferd_log_open(&s->log, "send", s->o.use_syslog);
	xferd_signals_install(&s->sig);
	char to[128];
	xferd_addr_str(&s->o.to, to, sizeof to);
	xferd_log(&s->log, "session %016llx to %s: rate %llu B/s (burst %u), "
			   "%zu-byte datagrams, K=%u M=%u, interleave %u, %u passes",
		  (unsigned long long)s->session, to, (unsigned long long)s->o.rate, s->batch,
		  s->o.dgram, s->o.k, s->m, s->o.depth, s->o.passes);
	int rc = send_loop(s);
	xferd_fec_free(&s->fec);
	xferd_fec_free(&s->fec_last);
	six_spool_close(&s->sp);
	close(s->sock);
	free(s->bufs);
	free(s->win);
	free(s->par);
	free(s);
	return rc;
}
