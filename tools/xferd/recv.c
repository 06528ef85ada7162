/* six-xferd recv: the writer process (recv.h). It binds the socket, forks the
 * sandboxed reader, and turns validated records into files in the inbox spool; it
 * follows the sender's heartbeats to say "link up", "link down" and which announced
 * files were lost. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "recv.h"

#define SEC 1000000000ull
/* A second of a 1 Gb/s diode: the writer may stall that long (writeback of a large
 * file, an fsync, a busy host), and what the socket cannot hold then is lost for this
 * pass. The kernel takes the memory only while datagrams wait. */
#define RCVBUF_WANT (128 << 20)
#define LOST_GRACE SEC	       /* a pass's last symbols may trail its END a little */
#define PIPE_READ (4u << 20)

struct recv_opts {
	const char *inbox;
	struct sockaddr_storage listen;
	socklen_t listenlen;
	int once, use_syslog;
	uint64_t link_timeout, quiet, partial_timeout, mem;
};

/* What the writer knows of the sender, from its heartbeats and ENDs. */
struct peer {
	int seen;
	uint64_t session;
	uint32_t announced, done, lost_upto;
	uint16_t pass, passes; /* where the sender said it was */
	uint64_t last_ctrl;    /* its last heartbeat or END */
	uint64_t done_at; /* when done last grew: lost files are judged LOST_GRACE later */
};

struct link {
	int up;
	uint64_t last_any, last_file;
	uint64_t min_session; /* the lowest file number seen before the first heartbeat */
	uint32_t min_file;
};

struct receiver {
	struct recv_opts o;
	struct xferd_log log;
	struct xferd_signals sig;
	struct rx rx;
	struct peer peer;
	struct link link;
	struct xferd_reader_stats st;
	pid_t reader;
	struct xferd_ring *ring;
	int pipe;
	uint8_t *buf;
	size_t used;
};

static const char recv_usage[] =
	"usage: six-xferd recv --listen HOST:PORT --inbox SPOOL [--once] [--link-timeout S]\n"
	"                      [--quiet S] [--partial-timeout S] [--max-memory BYTES]\n"
	"                      [--syslog] [--home DIR]\n"
	"\n"
	"Receives files from a one-way UDP link into SPOOL/new, each under its name on the\n"
	"sending side, exactly once, after checking its SHA-256.\n"
	"  --once              exit when the sender's passes are over and the link is quiet\n"
	"  --link-timeout S    'link down' after S seconds without a datagram (default 5);\n"
	"                      with --once, give up after S (last pass) or 10 x S seconds\n"
	"  --quiet S           with --once: seconds of quiet after the last pass (default 2)\n"
	"  --partial-timeout S discard a partial file idle for S seconds (default 600)\n"
	"  --max-memory BYTES  symbol buffers of groups in progress (default 64M)\n"
	"  --syslog            log to syslog instead of stderr\n"
	"SIGUSR1 logs the counters; SIGTERM stops cleanly.\n"
	"\n"
	"example: six-xferd recv --listen 0.0.0.0:7000 --inbox /srv/six/in\n"
	"exit status: 0 ok, 64 usage, 73 cannot bind or create the spool, 75 inbox busy,\n"
	"79 (with --once) a file announced by the sender did not arrive (MANUAL.md 6.1)\n";

static uint64_t secs_opt(const char *name, const char *v)
{
	uint64_t s;
	if (xferd_parse_num(v, 1, 86400, &s) < 0)
		six_usage_die(XFERD_TOOL, "%s wants seconds, 1 to 86400", name);
	return s * SEC;
}

static void recv_parse(int argc, char **argv, struct recv_opts *o)
{
	static const struct option lo[] = {
		{"listen", 1, 0, 'l'},	  {"inbox", 1, 0, 'i'},	 {"once", 0, 0, '1'},
		{"link-timeout", 1, 0, 'L'}, {"quiet", 1, 0, 'q'}, {"partial-timeout", 1, 0, 'P'},
		{"max-memory", 1, 0, 'm'}, {"syslog", 0, 0, 's'}, {"home", 1, 0, 'H'},
		{"help", 0, 0, 'h'},	  {"version", 0, 0, 'V'}, {0, 0, 0, 0}};
	const char *listen = NULL;
	memset(o, 0, sizeof *o);
	o->link_timeout = 5 * SEC;
	o->quiet = 2 * SEC;
	o->partial_timeout = 600 * SEC;
	o->mem = XFERD_RX_MEM_DEFAULT;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'i': o->inbox = optarg; break;
		case '1': o->once = 1; break;
		case 'L': o->link_timeout = secs_opt("--link-timeout", optarg); break;
		case 'q': o->quiet = secs_opt("--quiet", optarg); break;
		case 'P': o->partial_timeout = secs_opt("--partial-timeout", optarg); break;
		case 'm':
			if (xferd_parse_rate(optarg, &o->mem) < 0 || o->mem < (1u << 20) ||
			    o->mem > (1ull << 34))
				six_usage_die(XFERD_TOOL, "--max-memory wants 1M to 16G");
			break;
		case 's': o->use_syslog = 1; break;
		case 'H': break; /* the diode link needs no home: accepted for uniformity */
		case 'h': fputs(recv_usage, stdout); exit(0);
		case 'V': puts("six-xferd 1.0.0"); exit(0);
		default: six_usage_die(XFERD_TOOL, "recv: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		six_usage_die(XFERD_TOOL, "recv: unexpected argument '%s'", argv[optind]);
	if (!o->inbox || !listen)
		six_usage_die(XFERD_TOOL, "recv needs --listen HOST:PORT and --inbox SPOOL");
	struct six_err e;
	if (xferd_parse_addr(listen, &o->listen, &o->listenlen, &e) < 0)
		six_usage_die(XFERD_TOOL, "%s", e.msg);
}

/* Bind, and make the kernel queue deep enough for bursts: as root SO_RCVBUFFORCE passes
 * net.core.rmem_max; otherwise the kernel caps SO_RCVBUF, and we say so. */
static int open_socket(struct receiver *r, int *got, struct six_err *e)
{
	int s = socket(r->o.listen.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return six_fail_errno(e, SIX_ERR_CREATE, "cannot open a UDP socket");
	int want = RCVBUF_WANT;
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) < 0)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
	/* Coalesced datagrams (Linux 5.0): one system call takes a sender's whole run;
	 * the reader cuts it again. Without it each datagram comes on its own. */
	int on = 1;
	setsockopt(s, SOL_UDP, UDP_GRO, &on, sizeof on);
	/* The reader wakes at least this often to report its counters. */
	struct timeval tv = {0, 250000};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	socklen_t len = sizeof *got;
	if (getsockopt(s, SOL_SOCKET, SO_RCVBUF, got, &len) < 0)
		*got = 0;
	if (bind(s, (struct sockaddr *)&r->o.listen, r->o.listenlen) < 0) {
		char a[128];
		xferd_addr_str(&r->o.listen, a, sizeof a);
		six_fail_errno(e, SIX_ERR_CREATE, "cannot listen on %s", a);
		close(s);
		return SIX_ERR_CREATE;
	}
	return s;
}

static int start_reader(struct receiver *r, struct six_err *e)
{
	int got;
	int s = open_socket(r, &got, e);
	if (s < 0)
		return s;
	int p[2];
	r->ring = mmap(NULL, sizeof *r->ring, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (r->ring == MAP_FAILED || pipe2(p, O_CLOEXEC) < 0) {
		close(s);
		r->ring = NULL;
		return six_fail_errno(e, SIX_ERR_INTERNAL, "cannot set up the socket reader");
	}
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* room for bursts while the writer writes */
	r->reader = fork();
	if (r->reader < 0) {
		close(s);
		return six_fail_errno(e, SIX_ERR_INTERNAL, "fork");
	}
	if (r->reader == 0) {
		close(p[0]);
		xferd_reader_run(s, r->ring, p[1]);
	}
	close(s);
	close(p[1]);
	r->pipe = p[0];
	fcntl(r->pipe, F_SETFL, O_NONBLOCK); /* read first, poll only when it is empty */
	char a[128];
	xferd_addr_str(&r->o.listen, a, sizeof a);
	xferd_log(&r->log, "listening on %s, inbox %s", a, r->o.inbox);
	/* Linux reports twice the size asked (its bookkeeping): compare with that. */
	if (got < 2 * RCVBUF_WANT)
		xferd_warn(&r->log, "the kernel capped the socket receive buffer at %d bytes (asked "
				    "%d): set net.core.rmem_max = %d, or run as root", got / 2,
			   RCVBUF_WANT, RCVBUF_WANT);
	else
		xferd_log(&r->log, "socket receive buffer %d bytes", got / 2);
	return 0;
}

static void report(struct receiver *r)
{
	const struct rx_counters *c = &r->rx.c;
	char drops[256];
	size_t n = 0;
	for (int i = 1; i < SIX_DGR_NREASONS; i++)
		n += (size_t)snprintf(drops + n, sizeof drops - n, " %s=%llu",
				      six_dgram_reject_word(i), (unsigned long long)r->st.drops[i]);
	xferd_log(&r->log, "counters: datagrams received=%llu bytes=%llu; dropped:%s conflict=%llu "
			   "foreign=%llu stale=%llu redundant=%llu busy=%llu evicted=%llu nospace=%llu; "
			   "files completed=%llu lost=%llu duplicate=%llu refused=%llu "
			   "bad-sha256=%llu partial=%llu io=%llu; bytes delivered=%llu",
		  (unsigned long long)r->st.received, (unsigned long long)r->st.bytes, drops,
		  (unsigned long long)c->conflict, (unsigned long long)c->foreign,
		  (unsigned long long)c->stale,
		  (unsigned long long)c->redundant, (unsigned long long)c->busy,
		  (unsigned long long)c->evicted, (unsigned long long)c->nospace,
		  (unsigned long long)c->completed, (unsigned long long)c->lost,
		  (unsigned long long)c->duplicate, (unsigned long long)c->refused,
		  (unsigned long long)c->bad_sha, (unsigned long long)c->partial,
		  (unsigned long long)c->io, (unsigned long long)c->bytes);
}

static void link_seen(struct receiver *r, uint64_t now)
{
	if (!r->link.up) {
		r->link.up = 1;
		xferd_log(&r->log, "link up");
	}
	r->link.last_any = now;
}

/* HEARTBEAT and END: the sender's file numbers. A new session is a restarted sender:
 * the files it finished before this receiver heard of it are not ours to judge. */
static void on_control(struct receiver *r, const struct six_dgram *d, uint64_t now)
{
	struct peer *p = &r->peer;
	/* Another session while this one is alive (its heartbeats come every second) is
	 * not a restart: ignored, so forged heartbeats cannot flap the session. */
	if (p->seen && d->session != p->session && now - p->last_ctrl < 3 * SEC) {
		r->rx.c.foreign++;
		return;
	}
	if (!p->seen || d->session != p->session) {
		uint32_t before = d->done;
		if (r->link.min_session == d->session && r->link.min_file > 0 &&
		    r->link.min_file - 1 < before)
			before = r->link.min_file - 1;
		xferd_log(&r->log, "%s session %016llx (files announced %u, done %u)",
			  p->seen ? "sender restarted: new" : "sender", (unsigned long long)d->session,
			  d->type == SIX_DG_END ? d->last : d->announced, d->done);
		*p = (struct peer){.seen = 1, .session = d->session, .done = before,
				   .lost_upto = before};
	}
	uint32_t announced = d->type == SIX_DG_END ? d->last : d->announced;
	p->last_ctrl = now;
	p->pass = d->pass;
	p->passes = d->passes;
	if (announced > p->announced)
		p->announced = announced;
	if (d->done > p->done) {
		p->done = d->done;
		p->done_at = now;
	}
}

/* Files the sender finished (all passes) that did not complete here: lost. */
static void judge(struct receiver *r, uint32_t upto)
{
	struct peer *p = &r->peer;
	/* Completions are remembered for the last XFERD_RX_DONE_RING files only (a batch
	 * is at most 4096 files): older numbers are reported in one line, so that a
	 * forged heartbeat cannot make the log list millions of files. */
	if (upto - p->lost_upto > XFERD_RX_DONE_RING) {
		uint32_t skip = upto - XFERD_RX_DONE_RING;
		xferd_warn(&r->log, "lost: files %u to %u (%u files): the sender's passes ended",
			   p->lost_upto + 1, skip, skip - p->lost_upto);
		r->rx.c.lost += skip - p->lost_upto;
		p->lost_upto = skip;
	}
	for (uint32_t n = 0; p->lost_upto < upto && n < XFERD_RX_DONE_RING; n++) {
		uint32_t id = ++p->lost_upto;
		if (!xferd_rx_completed(&r->rx, p->session, id))
			xferd_rx_lost(&r->rx, p->session, id);
	}
}

static void on_dgram(struct receiver *r, const struct six_dgram *d, uint64_t now)
{
	link_seen(r, now);
	if (d->type == SIX_DG_HEARTBEAT || d->type == SIX_DG_END) {
		on_control(r, d, now);
		return;
	}
	r->link.last_file = now;
	if (!r->peer.seen && (r->link.min_session != d->session || d->file < r->link.min_file)) {
		r->link.min_session = d->session;
		r->link.min_file = d->file;
	}
	xferd_rx_dgram(&r->rx, d, now);
}

static void consumed(struct receiver *r, uint64_t upto)
{
	if (upto > __atomic_load_n(&r->ring->consumed, __ATOMIC_RELAXED))
		__atomic_store_n(&r->ring->consumed, upto, __ATOMIC_RELEASE);
}

/* One record from the reader. It validated it; a record that fails the same checks
 * here means the reader is not the program we started: stop (-1). */
static int on_record(struct receiver *r, uint32_t kind, const uint8_t *body, uint32_t len,
		     uint64_t now)
{
	if (kind == XFERD_MSG_STATS && len == sizeof r->st) {
		uint64_t before = r->st.received;
		memcpy(&r->st, body, sizeof r->st);
		if (r->st.received != before)
			link_seen(r, now);
		consumed(r, r->st.seq); /* records before it were all handled */
		return 0;
	}
	struct xferd_rec rec;
	uint8_t name[SIX_DGRAM_NAME_MAX];
	if (kind != XFERD_MSG_DGRAM || len != sizeof rec)
		return -1;
	memcpy(&rec, body, sizeof rec);
	struct six_dgram *d = &rec.d;
	if (rec.off > XFERD_SLOT || d->paylen > XFERD_SLOT - rec.off)
		return -1;
	d->payload = d->paylen ? r->ring->slot[rec.seq % XFERD_RING_SLOTS] + rec.off : NULL;
	/* The ring stays writable by the reader: what is checked must be a private copy
	 * (the name); a symbol's bytes are only data, guarded by the file's SHA-256. */
	if (d->type == SIX_DG_META && d->payload && d->paylen <= sizeof name) {
		memcpy(name, d->payload, d->paylen);
		d->payload = name;
	}
	if (six_dgram_check(d) != 0)
		return -1;
	on_dgram(r, d, now);
	consumed(r, rec.seq + 1);
	return 0;
}

static int process(struct receiver *r, uint64_t now);

/* Read what the reader sent: 1 if something came, 0 if nothing, -1 if the reader
 * died, -2 if it sent a malformed record. */
static int drain_pipe(struct receiver *r, uint64_t now)
{
	ssize_t n = read(r->pipe, r->buf + r->used, PIPE_READ - r->used);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	r->used += (size_t)n;
	return process(r, now) < 0 ? -2 : 1;
}

/* Every complete record in the buffer. */
static int process(struct receiver *r, uint64_t now)
{
	size_t off = 0;
	struct xferd_msg h;
	while (r->used - off >= sizeof h) {
		memcpy(&h, r->buf + off, sizeof h);
		if (h.len > XFERD_MSG_MAX)
			return -1;
		if (r->used - off - sizeof h < h.len)
			break;
		if (on_record(r, h.kind, r->buf + off + sizeof h, h.len, now) < 0)
			return -1;
		off += sizeof h + h.len;
	}
	memmove(r->buf, r->buf + off, r->used - off);
	r->used -= off;
	return 0;
}

/* Once a second or so: link state, lost files, partial files, --once's end. 1 to stop. */
static int tick(struct receiver *r, uint64_t now)
{
	struct peer *p = &r->peer;
	if (r->link.up && now - r->link.last_any >= r->o.link_timeout) {
		r->link.up = 0;
		xferd_warn(&r->log, "link down: no datagram for %llu s",
			   (unsigned long long)(r->o.link_timeout / SEC));
	}
	if (p->seen && p->lost_upto < p->done && now - p->done_at >= LOST_GRACE)
		judge(r, p->done);
	xferd_rx_tick(&r->rx, now);
	if (!r->o.once || !p->seen)
		return 0;
	/* The sender's passes are over and the files went quiet. */
	if (p->announced > 0 && p->done == p->announced && p->lost_upto == p->done &&
	    now - r->link.last_file >= r->o.quiet)
		return 1;
	/* The sender went silent before saying it was done (its last datagrams were
	 * lost, or it died). In its last pass that is the end; earlier, the link may
	 * come back (a blackout) for the passes to come: wait ten times longer. */
	uint64_t silent = now - r->link.last_any;
	int last_pass = p->pass == p->passes || p->done == p->announced;
	if (silent >= r->o.link_timeout * (last_pass ? 1 : 10)) {
		if (p->lost_upto < p->announced)
			xferd_warn(&r->log, "the sender went silent: files announced but not "
					    "complete are lost");
		judge(r, p->announced);
		return 1;
	}
	return 0;
}

static int recv_loop(struct receiver *r)
{
	for (;;) {
		if (*r->sig.stop) {
			xferd_log(&r->log, "stopping (signal): partial files discarded");
			return 0;
		}
		if (*r->sig.report) {
			*r->sig.report = 0;
			report(r);
		}
		uint64_t now = xferd_now_ns();
		int rc = drain_pipe(r, now);
		if (rc == 0) {
			/* empty: wait for the reader, or for the next tick */
			struct pollfd pf = {r->pipe, POLLIN, 0};
			poll(&pf, 1, 100);
			now = xferd_now_ns();
		} else if (rc < 0) {
			fprintf(stderr, XFERD_TOOL ": %s\n", rc == -2
				? "the socket reader sent a malformed record: stopping"
				: "the socket reader died");
			return 70;
		}
		if (!tick(r, now))
			continue;
		if (!r->rx.c.lost)
			return 0;
		fprintf(stderr, XFERD_TOOL ": %llu file(s) announced by the sender did not arrive "
				"(lost): resend them\n", (unsigned long long)r->rx.c.lost);
		return six_exit_code(SIX_ERR_LOST);
	}
}

int xferd_recv_main(int argc, char **argv)
{
	struct receiver *r = calloc(1, sizeof *r);
	struct six_err e;
	if (!r || !(r->buf = malloc(PIPE_READ))) {
		fputs(XFERD_TOOL ": out of memory\n", stderr);
		return 70;
	}
	recv_parse(argc, argv, &r->o);
	xferd_log_open(&r->log, "recv", r->o.use_syslog);
	if (six_crypto_init(&e) < 0 ||
	    xferd_rx_init(&r->rx, r->o.inbox, &r->log, r->o.mem, r->o.partial_timeout, &e) < 0)
		six_die(XFERD_TOOL, &e);
	xferd_signals_install(&r->sig);
	if (start_reader(r, &e) < 0)
		six_die(XFERD_TOOL, &e);
	int rc = recv_loop(r);
	kill(r->reader, SIGKILL); /* it holds nothing worth a clean exit */
	waitpid(r->reader, NULL, 0);
	xferd_rx_close(&r->rx);
	report(r);
	munmap(r->ring, sizeof *r->ring);
	close(r->pipe);
	free(r->buf);
	free(r);
	return rc;
}
