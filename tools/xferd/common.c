/* six-xferd: option parsing, logging, clocks and signals shared by send and recv. */
#include "xferd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "util.h"

/* systemd names the stream it passes as stderr in JOURNAL_STREAM ("DEV:INODE"). Only
 * when stderr is still that stream: a variable inherited by a process whose stderr
 * went elsewhere means nothing. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void xferd_log_open(struct xferd_log *l, const char *side, int use_syslog)
{
	l->syslog = use_syslog;
	l->side = side;
	l->journal = !use_syslog && stderr_is_journal();
	if (use_syslog)
		openlog(XFERD_TOOL, LOG_PID, LOG_DAEMON);
}

static void xferd_vlog(const struct xferd_log *l, int priority, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (l->syslog) {
		syslog(priority, "%s: %s", l->side, msg);
		return;
	}
	if (l->journal) { /* journald reads the <N> prefix and stamps the line itself */
		fprintf(stderr, "<%d>%s: %s\n", priority, l->side, msg);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char when[SIX_TIME_LEN + 1];
	six_time_format(ts.tv_sec, when);
	/* The tool's name first, as on every SIX error line; one write per line. */
	fprintf(stderr, "%s: %.19s.%03ldZ %s: %s\n", XFERD_TOOL, when, ts.tv_nsec / 1000000,
		l->side, msg);
}

void xferd_log(const struct xferd_log *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	xferd_vlog(l, LOG_INFO, fmt, ap);
	va_end(ap);
}

void xferd_warn(const struct xferd_log *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	xferd_vlog(l, LOG_WARNING, fmt, ap);
	va_end(ap);
}

static volatile sig_atomic_t stop_flag, report_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_report(int sig)
{
	(void)sig;
	report_flag = 1;
}

void xferd_signals_install(struct xferd_signals *s)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_report;
	sigaction(SIGUSR1, &sa, NULL);
	/* A vanished receiver or relay must not kill the sender. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	s->stop = &stop_flag;
	s->report = &report_flag;
}

int xferd_parse_num(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	if (six_parse_u64(s, strlen(s), &v) < 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int xferd_parse_rate(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t mult = 1, v;
	if (n > 1) {
		switch (s[n - 1]) {
		case 'k': mult = 1000; break;
		case 'M': mult = 1000000; break;
		case 'G': mult = 1000000000; break;
		default: break;
		}
	}
	if (mult > 1)
		n--;
	if (six_parse_u64(s, n, &v) < 0 || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

int xferd_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		     struct six_err *err)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	size_t hl = colon ? (size_t)(colon - s) : 0;
	if (!colon || hl == 0 || hl >= sizeof host || !colon[1])
		return six_fail(err, SIX_ERR_USAGE, "bad address '%s': want HOST:PORT", s);
	memcpy(host, s, hl);
	host[hl] = 0;
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	uint64_t port;
	if (xferd_parse_num(colon + 1, 0, 65535, &port) < 0)
		return six_fail(err, SIX_ERR_USAGE, "bad port in '%s'", s);
	struct addrinfo hints, *res;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0)
		return six_fail(err, SIX_ERR_USAGE, "cannot resolve '%s': %s", host,
				gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void xferd_addr_str(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						   : sizeof(struct sockaddr_in);
	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof host, serv,
			sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, n, "?");
	else /* as --listen and --to take it: an IPv6 address in brackets */
		snprintf(out, n, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

uint64_t xferd_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
