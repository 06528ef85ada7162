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
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define DMAX 65536
#define HOLD 8 /* datagrams a reordered one waits behind */

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
	/* datagrams to forward, sent with one sendmmsg per received batch */
	uint8_t out_buf[2 * BATCH + HOLD][DMAX];
	struct mmsghdr out_mm[2 * BATCH + HOLD];
	struct iovec out_iov[2 * BATCH + HOLD];
	unsigned nout;
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

static void flush_out(struct relay *r)
{
	unsigned done = 0;
	while (done < r->nout) {
		int k = sendmmsg(r->out, r->out_mm + done, r->nout - done, 0);
		if (k <= 0)
			break;
		done += (unsigned)k;
	}
	r->n_out += done;
	r->nout = 0;
}

static void emit(struct relay *r, const uint8_t *p, size_t n)
{
	if (r->nout == sizeof r->out_mm / sizeof r->out_mm[0])
		flush_out(r);
	unsigned i = r->nout++;
	memcpy(r->out_buf[i], p, n);
	r->out_iov[i] = (struct iovec){r->out_buf[i], n};
	memset(&r->out_mm[i], 0, sizeof r->out_mm[i]);
	r->out_mm[i].msg_hdr.msg_name = &r->to;
	r->out_mm[i].msg_hdr.msg_namelen = r->tolen;
	r->out_mm[i].msg_hdr.msg_iov = &r->out_iov[i];
	r->out_mm[i].msg_hdr.msg_iovlen = 1;
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
	if (s < 0 || bind(s, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(s, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	char serv[NI_MAXSERV];
	getnameinfo((struct sockaddr *)&ss, len, NULL, 0, serv, sizeof serv, NI_NUMERICSERV);
	printf("%s\n", serv);
	fflush(stdout);
	return s;
}

static void loop(struct relay *r)
{
	static uint8_t bufs[BATCH][DMAX];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){bufs[i], DMAX};
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	double start = now_s(), first = -1, last = start;
	while (!stop) {
		double t = now_s();
		if (t - start > r->lifetime || (first >= 0 && t - last > r->idle_exit))
			break;
		struct pollfd p = {r->in, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		int n = recvmmsg(r->in, mm, BATCH, MSG_DONTWAIT, NULL);
		t = now_s();
		if (n > 0 && first < 0)
			first = t;
		for (int i = 0; i < n; i++)
			relay_one(r, bufs[i], mm[i].msg_len, t - first);
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
