/* lossy_relay: a UDP relay on 127.0.0.1 that damages the traffic between six-xferd
 * send and recv the way a bad link would, reproducibly (seeded RNG).
 *
 *   lossy_relay --to HOST:PORT [--listen HOST:PORT] [--seed N] [--drop PCT]
 *       [--burst N --burst-every M] [--dup PCT] [--reorder PCT] [--corrupt PCT]
 *       [--truncate PCT] [--blackout SECS --blackout-after SECS] [--drop-symbols]
 *       [--lifetime SECS] [--idle-exit SECS]
 *
 * Prints the port it listens on (one line on stdout), relays until no datagram came for
 * --idle-exit seconds (default 10, counted from the first datagram) or --lifetime
 * seconds passed (default 300), then prints its counters on stderr and exits. */
#include <errno.h>
#include <netdb.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../tools/xferd/udp_offload.h"

#define BATCH 64
#define DMAX 65536
#define HOLD 8 /* datagrams a reordered one waits behind */
#define OUT_MAX 4096
/* The relay must not be the slowest thing on the link: it takes coalesced datagrams
 * (UDP_GRO) and sends runs of equal ones in one message (UDP_SEGMENT), as six-xferd
 * send does; each datagram is still judged and delivered on its own. */

struct relay {
	double drop, dup, reorder, corrupt, truncate;
	unsigned burst, burst_every, burst_left;
	double blackout, blackout_after, lifetime, idle_exit;
	int drop_symbols;
	uint64_t rng;
	int in, out;
	struct sockaddr_storage to;
	socklen_t tolen;
	uint8_t held[HOLD][DMAX];
	size_t held_len[HOLD], nheld, held_wait;
	/* datagrams to forward (pointers into the received batch or held[]), sent with
	 * one sendmmsg per received batch */
	struct iovec out_iov[OUT_MAX];
	struct mmsghdr out_mm[OUT_MAX];
	union xferd_gso_ctl out_ctl[OUT_MAX];
	unsigned nout;
	int gso;
	uint64_t n_in, n_out, n_drop, n_dup, n_reorder, n_corrupt, n_trunc, n_black;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rnd(struct relay *r)
{
	/* xorshift64*: small, fast, reproducible from --seed */
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 2685821657736338717ull;
}

static int chance(struct relay *r, double pct)
{
	return pct > 0 && (double)(rnd(r) % 1000000) < pct * 10000;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *c = strrchr(s, ':');
	if (!c || (size_t)(c - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res;
	if (getaddrinfo(host, c + 1, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Messages for out_iov[from, nout): runs of equal datagrams (the last may be shorter). */
static unsigned out_msgs(struct relay *r, unsigned from, unsigned *first)
{
	unsigned nm = 0;
	for (unsigned i = from, j; i < r->nout; i = j, nm++) {
		size_t seg = r->out_iov[i].iov_len, bytes = seg;
		for (j = i + 1; r->gso && j < r->nout && j - i < XFERD_GSO_SEGS_MAX &&
				r->out_iov[j - 1].iov_len == seg && r->out_iov[j].iov_len <= seg &&
				bytes + r->out_iov[j].iov_len <= XFERD_UDP_PAYLOAD_MAX;
		     j++)
			bytes += r->out_iov[j].iov_len;
		struct msghdr *h = &r->out_mm[nm].msg_hdr;
		memset(h, 0, sizeof *h);
		h->msg_name = &r->to;
		h->msg_namelen = r->tolen;
		h->msg_iov = &r->out_iov[i];
		h->msg_iovlen = j - i;
		first[nm] = i;
		if (j - i > 1)
			xferd_gso_mark(h, &r->out_ctl[nm], (uint16_t)seg);
	}
	return nm;
}

static void flush_out(struct relay *r)
{
	static unsigned first[OUT_MAX];
	unsigned nm = out_msgs(r, 0, first), done = 0;
	while (done < nm) {
		int k = sendmmsg(r->out, r->out_mm + done, nm - done, 0);
		if (k < 0 && r->gso && (errno == EIO || errno == EINVAL)) {
			r->gso = 0; /* no offload here: a datagram per message */
			nm = out_msgs(r, first[done], first);
			done = 0;
			continue;
		}
		if (k <= 0)
			break;
		done += (unsigned)k;
	}
	r->n_out += done < nm ? first[done] : r->nout;
	r->nout = 0;
}

static void emit(struct relay *r, uint8_t *p, size_t n)
{
	if (r->nout == OUT_MAX)
		flush_out(r);
	r->out_iov[r->nout++] = (struct iovec){p, n};
}

/* Decide the fate of one datagram. */
static void relay_one(struct relay *r, uint8_t *p, size_t n, double t)
{
	r->n_in++;
	if (r->blackout > 0 && t >= r->blackout_after && t < r->blackout_after + r->blackout) {
		r->n_black++;
		return;
	}
	/* type byte of the six-xferd header: 2 DATA, 3 PARITY */
	if (r->drop_symbols && n > 5 && (p[5] == 2 || p[5] == 3)) {
		r->n_drop++;
		return;
	}
	if (r->burst_left == 0 && r->burst && r->burst_every && rnd(r) % r->burst_every == 0)
		r->burst_left = r->burst;
	if (r->burst_left) {
		r->burst_left--;
		r->n_drop++;
		return;
	}
	if (chance(r, r->drop)) {
		r->n_drop++;
		return;
	}
	if (n > 0 && chance(r, r->corrupt)) {
		p[rnd(r) % n] ^= (uint8_t)(1 + rnd(r) % 255);
		r->n_corrupt++;
	}
	if (n > 1 && chance(r, r->truncate)) {
		n = 1 + (size_t)(rnd(r) % (n - 1));
		r->n_trunc++;
	}
	if (r->nheld < HOLD && chance(r, r->reorder)) {
		memcpy(r->held[r->nheld], p, n);
		r->held_len[r->nheld++] = n;
		r->n_reorder++;
		return;
	}
	emit(r, p, n);
	if (chance(r, r->dup)) {
		emit(r, p, n);
		r->n_dup++;
	}
	if (r->nheld && ++r->held_wait >= HOLD) {
		for (size_t i = 0; i < r->nheld; i++)
			emit(r, r->held[i], r->held_len[i]);
		flush_out(r); /* held[] is refilled next */
		r->nheld = 0;
		r->held_wait = 0;
	}
}

static int parse(struct relay *r, int argc, char **argv, const char **listen)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(o, "--drop-symbols")) {
			r->drop_symbols = 1;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(o, "--to")) {
			if (addr(v, &r->to, &r->tolen) < 0)
				return -1;
		} else if (!strcmp(o, "--listen")) *listen = v;
		else if (!strcmp(o, "--seed")) r->rng = strtoull(v, NULL, 10) * 2 + 1;
		else if (!strcmp(o, "--drop")) r->drop = atof(v);
		else if (!strcmp(o, "--dup")) r->dup = atof(v);
		else if (!strcmp(o, "--reorder")) r->reorder = atof(v);
		else if (!strcmp(o, "--corrupt")) r->corrupt = atof(v);
		else if (!strcmp(o, "--truncate")) r->truncate = atof(v);
		else if (!strcmp(o, "--burst")) r->burst = (unsigned)atoi(v);
		else if (!strcmp(o, "--burst-every")) r->burst_every = (unsigned)atoi(v);
		else if (!strcmp(o, "--blackout")) r->blackout = atof(v);
		else if (!strcmp(o, "--blackout-after")) r->blackout_after = atof(v);
		else if (!strcmp(o, "--lifetime")) r->lifetime = atof(v);
		else if (!strcmp(o, "--idle-exit")) r->idle_exit = atof(v);
		else return -1;
	}
	return r->tolen ? 0 : -1;
}

static int open_in(const char *listen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (addr(listen, &ss, &len) < 0)
		return -1;
	int s = socket(ss.ss_family, SOCK_DGRAM, 0);
	int big = 32 << 20;
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	int on = 1;
	setsockopt(s, SOL_UDP, UDP_GRO, &on, sizeof on);
	if (s < 0 || bind(s, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(s, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	char serv[NI_MAXSERV];
	getnameinfo((struct sockaddr *)&ss, len, NULL, 0, serv, sizeof serv, NI_NUMERICSERV);
	printf("%s\n", serv);
	fflush(stdout);
	return s;
}

/* Feed one received message to relay_one, datagram by datagram: a coalesced one
 * (a UDP_GRO control message gives the size) is cut the way the sender sent it. */
static void relay_msg(struct relay *r, struct mmsghdr *m, uint8_t *p, double t)
{
	size_t len = m->msg_len, seg = xferd_gro_size(&m->msg_hdr);
	if (seg == 0 || seg > len)
		seg = len;
	size_t off = 0;
	do {
		size_t n = len - off < seg ? len - off : seg;
		relay_one(r, p + off, n, t);
		off += n;
	} while (off < len);
}

static void loop(struct relay *r)
{
	static uint8_t bufs[BATCH][DMAX];
	static union xferd_gro_ctl ctl[BATCH];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	double start = now_s(), first = -1, last = start;
	while (!stop) {
		double t = now_s();
		if (t - start > r->lifetime || (first >= 0 && t - last > r->idle_exit))
			break;
		struct pollfd p = {r->in, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		memset(mm, 0, sizeof mm);
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], DMAX};
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = ctl[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof ctl[i].buf;
		}
		int n = recvmmsg(r->in, mm, BATCH, MSG_DONTWAIT, NULL);
		t = now_s();
		if (n > 0 && first < 0)
			first = t;
		for (int i = 0; i < n; i++)
			relay_msg(r, &mm[i], bufs[i], t - first);
		flush_out(r);
		if (n > 0)
			last = t;
	}
}

int main(int argc, char **argv)
{
	struct relay *r = calloc(1, sizeof *r);
	const char *listen = "127.0.0.1:0";
	if (!r)
		return 70;
	r->rng = 88172645463325252ull;
	r->gso = 1;
	r->lifetime = 300;
	r->idle_exit = 10;
	if (parse(r, argc, argv, &listen) < 0) {
		fputs("lossy_relay: usage: lossy_relay --to HOST:PORT [--listen HOST:PORT] "
		      "[options] (see the source)\n", stderr);
		return 64;
	}
	r->in = open_in(listen);
	r->out = socket(r->to.ss_family, SOCK_DGRAM, 0);
	int big = 8 << 20;
	setsockopt(r->out, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
	if (r->in < 0 || r->out < 0) {
		fprintf(stderr, "lossy_relay: cannot open sockets: %s\n", strerror(errno));
		return 73;
	}
	signal(SIGTERM, on_term); /* print the counters, then exit */
	loop(r);
	fprintf(stderr, "lossy_relay: in=%llu out=%llu dropped=%llu blackout=%llu dup=%llu "
			"reordered=%llu corrupted=%llu truncated=%llu\n",
		(unsigned long long)r->n_in, (unsigned long long)r->n_out,
		(unsigned long long)r->n_drop, (unsigned long long)r->n_black,
		(unsigned long long)r->n_dup, (unsigned long long)r->n_reorder,
		(unsigned long long)r->n_corrupt, (unsigned long long)r->n_trunc);
	free(r);
	return 0;
}
