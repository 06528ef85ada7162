/* six-xferd recv: the socket reader, the only process that touches bytes from the
 * wire (OpenSSH privilege separation). It runs with nothing to lose: no filesystem
 * (an empty, deleted root when started as root), no privileges, no new files or
 * processes (rlimits), a seccomp allowlist of the few system calls its loop makes.
 * A datagram that fails formats/datagram.c is counted and dropped here; the writer
 * receives only validated records. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "recv.h"
#include "udp_offload.h"

#define READER_BATCH 64	   /* messages per recvmmsg */
#define READER_MSG_MAX 65536 /* a message: one datagram, or a coalesced run of them */
#define STATS_EVERY_NS 250000000u

/* Close every descriptor but stderr (for sanitizer reports), the socket and the pipe. */
static void close_others(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0u, 0);
}

/* As root: chroot into an empty directory that no longer exists, and become nobody.
 * A compromised reader then has no file to open and no privilege to use. */
static int drop_root(void)
{
	if (geteuid() != 0)
		return 0;
	char dir[] = "/tmp/six-xferd-empty.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0 || rmdir(dir) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return -1;
	gid_t nogroup = 65534;
	if (setgroups(1, &nogroup) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return -1;
	return 0;
}

#if defined(__x86_64__)
#define READER_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define READER_ARCH AUDIT_ARCH_AARCH64
#endif

#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
		  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* Only what the loop below needs; anything else kills the reader. */
static int seccomp_allowlist(void)
{
#ifdef READER_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, READER_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		ALLOW(__NR_recvmmsg),
		ALLOW(__NR_write),
		ALLOW(__NR_clock_nanosleep),
		ALLOW(__NR_nanosleep),
		ALLOW(__NR_clock_gettime),
		ALLOW(__NR_rt_sigreturn),
		ALLOW(__NR_restart_syscall),
		ALLOW(__NR_exit_group),
		ALLOW(__NR_exit),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
#else
	return 0; /* no filter for this architecture: the other walls stay */
#endif
}

static void sandbox(int sock, int out)
{
	close_others(sock, out);
	struct rlimit zero = {0, 0};
	/* poll() wants nfds <= RLIMIT_NOFILE: one, and fd 0 is taken, so no new fd */
	struct rlimit one = {1, 1};
	if (drop_root() < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    /* after the credential change, which clears it: die with the writer */
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    setrlimit(RLIMIT_NOFILE, &one) < 0 || setrlimit(RLIMIT_FSIZE, &zero) < 0 ||
	    setrlimit(RLIMIT_NPROC, &zero) < 0 || setrlimit(RLIMIT_CORE, &zero) < 0 ||
	    seccomp_allowlist() < 0)
		_exit(71);
}

struct reader {
	int sock, out;
	struct xferd_ring *ring;
	uint64_t seq;	/* next slot to fill */
	uint8_t *msg;	/* records for the writer */
	size_t used;
	struct mmsghdr mm[READER_BATCH];
	struct iovec iov[READER_BATCH];
	uint8_t *in; /* READER_BATCH messages of READER_MSG_MAX bytes */
	union xferd_gro_ctl ctl[READER_BATCH];
	struct xferd_reader_stats st;
	int dirty;
	uint64_t last_stats;
};

static void put(struct reader *r, uint32_t kind, const void *body, size_t len)
{
	struct xferd_msg h = {kind, (uint32_t)len};
	memcpy(r->msg + r->used, &h, sizeof h);
	memcpy(r->msg + r->used + sizeof h, body, len);
	r->used += sizeof h + len;
}

static void drain(struct reader *r)
{
	/* The writer went away: nothing left to do. */
	if (r->used && six_write_all(r->out, r->msg, r->used) < 0)
		_exit(0);
	r->used = 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void stats(struct reader *r, uint64_t now)
{
	r->st.seq = r->seq;
	put(r, XFERD_MSG_STATS, &r->st, sizeof r->st);
	r->dirty = 0;
	r->last_stats = now;
}

/* Wait until the writer has freed a slot: the records already sent must reach it
 * first, and a record of the position frees the slots of refused datagrams. */
static void wait_room(struct reader *r)
{
	for (;;) {
		uint64_t done = __atomic_load_n(&r->ring->consumed, __ATOMIC_ACQUIRE);
		if (r->seq - done < XFERD_RING_SLOTS)
			return;
		stats(r, now_ns());
		drain(r);
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
	}
}

/* One datagram into the next slot; a valid one becomes a record for the writer. */
static void take(struct reader *r, const uint8_t *p, size_t len)
{
	wait_room(r);
	uint8_t *slot = r->ring->slot[r->seq % XFERD_RING_SLOTS];
	/* a datagram longer than any valid one keeps one byte too many: refused below */
	size_t keep = len > SIX_DGRAM_MAX + 1 ? SIX_DGRAM_MAX + 1 : len;
	memcpy(slot, p, keep);
	struct xferd_rec rec;
	r->st.received++;
	r->st.bytes += len;
	r->dirty = 1;
	int why = six_dgram_parse(slot, keep, &rec.d);
	if (why) {
		r->st.drops[why]++;
	} else {
		rec.seq = r->seq;
		rec.off = rec.d.payload ? (uint32_t)(rec.d.payload - slot) : 0;
		rec.d.payload = NULL; /* a pointer means nothing to the other process */
		put(r, XFERD_MSG_DGRAM, &rec, sizeof rec);
	}
	r->seq++;
	if (r->used > (size_t)READER_BATCH * XFERD_MSG_MAX)
		drain(r);
}

static void batch(struct reader *r, int n)
{
	for (int i = 0; i < n; i++) {
		const uint8_t *p = r->iov[i].iov_base;
		size_t len = r->mm[i].msg_len, seg = xferd_gro_size(&r->mm[i].msg_hdr);
		if (seg == 0 || seg > len)
			seg = len;
		size_t off = 0;
		do {
			size_t one = len - off < seg ? len - off : seg;
			take(r, p + off, one);
			off += one;
		} while (off < len);
	}
}

void xferd_reader_run(int sock, struct xferd_ring *ring, int out)
{
	struct reader *r = calloc(1, sizeof *r);
	if (!r)
		_exit(70);
	r->sock = sock;
	r->out = out;
	r->ring = ring;
	r->msg = malloc((size_t)(READER_BATCH + 2) * XFERD_MSG_MAX);
	r->in = malloc((size_t)READER_BATCH * READER_MSG_MAX);
	if (!r->msg || !r->in)
		_exit(70);
	sandbox(sock, out);
	for (;;) {
		for (int i = 0; i < READER_BATCH; i++) {
			r->iov[i] = (struct iovec){r->in + (size_t)i * READER_MSG_MAX, READER_MSG_MAX};
			struct msghdr *h = &r->mm[i].msg_hdr;
			h->msg_iov = &r->iov[i];
			h->msg_iovlen = 1;
			h->msg_control = r->ctl[i].buf;
			h->msg_controllen = sizeof r->ctl[i].buf;
		}
		/* Blocks for the first message (at most SO_RCVTIMEO, set by the writer),
		 * then takes whatever else is queued: one system call per batch. */
		int n = recvmmsg(sock, r->mm, READER_BATCH, MSG_WAITFORONE, NULL);
		if (n > 0)
			batch(r, n);
		uint64_t now = now_ns();
		if (r->dirty && (n <= 0 || now - r->last_stats >= STATS_EVERY_NS))
			stats(r, now);
		drain(r);
	}
}
