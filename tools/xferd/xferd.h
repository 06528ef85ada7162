/* six-xferd's diode link: what the send and recv sides share (option parsing,
 * logging, clocks, signals). formats/diode.md is the wire format. */
#ifndef XFERD_H
#define XFERD_H

#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

#define XFERD_TOOL "six-xferd"

/* Log sink: timestamped lines on stderr, or syslog (daemon facility) with --syslog. */
struct xferd_log {
	int syslog;
	const char *side; /* "send" or "recv" */
	int journal;	  /* stderr is systemd's journal: priority prefixes, no time */
};
void xferd_log_open(struct xferd_log *l, const char *side, int use_syslog);
void xferd_log(const struct xferd_log *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same line, at syslog's warning priority: something was lost, refused or
 * degraded and an operator may have to act. */
void xferd_warn(const struct xferd_log *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Flags set by the signal handlers (which do nothing else). */
struct xferd_signals {
	volatile sig_atomic_t *stop;   /* SIGTERM, SIGINT */
	volatile sig_atomic_t *report; /* SIGUSR1 */
};
void xferd_signals_install(struct xferd_signals *s);

/* "100M", "1.5k" is refused: an integer with an optional k, M or G (powers of 1000). */
int xferd_parse_rate(const char *s, uint64_t *out);
/* A decimal integer in [min, max]. */
int xferd_parse_num(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* HOST:PORT or [V6HOST]:PORT, numeric or resolved once (no DNS later). */
int xferd_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		     struct six_err *err);
/* printable "host:port" of an address */
void xferd_addr_str(const struct sockaddr_storage *ss, char *out, size_t n);

/* Monotonic clock in nanoseconds. */
uint64_t xferd_now_ns(void);

int xferd_send_main(int argc, char **argv);
int xferd_recv_main(int argc, char **argv);

#endif
