/* six-xferd recv: the enclave side of the diode (formats/diode.md).
 *
 * Two processes. The reader (reader.c) owns the UDP socket and nothing else: no
 * filesystem, no privileges, a seccomp allowlist. It parses every datagram with
 * formats/datagram.c and passes validated records over a pipe. The writer (recv.c,
 * rfile.c) checks each record again, keeps the groups in progress in bounded memory,
 * rebuilds lost symbols, writes files into the inbox spool's tmp/, checks their
 * SHA-256 and links them into new/. */
#ifndef XFERD_RECV_H
#define XFERD_RECV_H

#include <stddef.h>
#include <stdint.h>

#include "datagram.h"
#include "fec.h"
#include "hash.h"
#include "hasher.h"
#include "six_limits.h"
#include "spool.h"
#include "xferd.h"

/* Files being received at once: the sender sends one file at a time, so a few cover
 * a restart or a second session; more would only serve a flood. */
#define XFERD_RX_FILES 8
/* Completed files remembered, so that later passes are recognised cheaply. */
#define XFERD_RX_DONE_RING 4096
/* Default bytes of groups in progress (symbol buffers). */
#define XFERD_RX_MEM_DEFAULT (64u << 20)
/* Suffix of the receiver's own files in tmp/ (swept at start). */
#define XFERD_TMP_SUFFIX ".xferd-part"

/* The reader copies each datagram it receives (alone, or cut from a coalesced run) into
 * a ring of slots in memory shared with the writer, and sends over a pipe, for each
 * valid one, a record: its parsed header and where its payload lies in the ring. The
 * writer copies the payload out before it uses it and never trusts anything else in
 * the ring (a compromised reader can change a payload after validation; the file's
 * SHA-256 catches that). The writer publishes how far it has consumed; the reader
 * never refills a slot beyond it. */
#define XFERD_RING_SLOTS 2048 /* with the socket buffer: bursts while the writer writes */
#define XFERD_SLOT (SIX_DGRAM_MAX + 64)
struct xferd_ring {
	uint64_t consumed; /* slots 0 .. consumed-1 are free again; written by the writer */
	uint8_t pad[56];
	uint8_t slot[XFERD_RING_SLOTS][XFERD_SLOT];
};

enum { XFERD_MSG_DGRAM = 1, XFERD_MSG_STATS = 2 };
struct xferd_msg {
	uint32_t kind;
	uint32_t len;
};
struct xferd_rec {
	struct six_dgram d; /* payload NULL: it is at slot[seq % SLOTS] + off */
	uint64_t seq;
	uint32_t off;
};
struct xferd_reader_stats {
	uint64_t seq; /* every slot before it is accounted for by the records sent */
	uint64_t received, bytes;
	uint64_t drops[SIX_DGR_NREASONS];
};
#define XFERD_MSG_MAX (sizeof(struct xferd_msg) + sizeof(struct xferd_rec))

/* Run the reader on sock, filling ring and writing records to out. Never returns. */
void xferd_reader_run(int sock, struct xferd_ring *ring, int out) __attribute__((noreturn));

struct rgroup {
	struct rgroup *prev, *next; /* least recently used last */
	struct rfile *file;
	uint32_t g;
	uint16_t kg, nhave;
	size_t bytes;
	uint8_t have[SIX_DGRAM_K_MAX + SIX_DGRAM_M_MAX];
	uint8_t buf[]; /* (kg + m) rows of sym bytes: data rows, then parity rows */
};

struct rfile {
	int used, have_meta;
	uint64_t session;
	uint32_t id;
	uint64_t size;
	uint16_t sym, k, m;
	uint32_t ngroups, ndone, hash_next;
	uint8_t sha[SIX_SHA256_LEN];
	char name[SIX_DGRAM_NAME_MAX + 1];
	int fd;
	char tmpname[SIX_SPOOL_NAME_MAX + 1];
	uint8_t *gdone;
	struct rgroup **gslot;
	struct six_sha256 h;
	struct xferd_fec fec, fec_last;
	uint64_t last_seen;
};

struct rx_counters {
	uint64_t redundant, foreign, completed, lost, duplicate, bad_sha, conflict, stale, busy, evicted,
		nospace, refused, partial, io;
	uint64_t bytes;
};

struct rdone {
	uint64_t session;
	uint32_t id;
};

struct rx {
	const struct xferd_log *log;
	struct six_spool sp;
	struct rfile files[XFERD_RX_FILES];
	struct rgroup lru;     /* sentinel of the list of groups in progress */
	struct rgroup written; /* complete groups waiting for the hash, oldest last */
	size_t mem, mem_max;
	struct rdone done[XFERD_RX_DONE_RING];
	size_t ndone, done_pos, done_hit;
	uint8_t *scratch; /* one group's data, to hash a written group read back */
	/* The SHA-256 runs in a helper thread while the next datagrams are handled; the
	 * group it is hashing is out of the LRU and freed once it is done. */
	struct six_hasher hasher;
	struct rgroup *hashing;
	uint64_t partial_timeout;
	struct rx_counters c;
};

int xferd_rx_init(struct rx *rx, const char *inbox, const struct xferd_log *log,
		  size_t mem_max, uint64_t partial_timeout, struct six_err *err);
/* Abort every file in progress (its tmp/ file removed) and close the spool. */
void xferd_rx_close(struct rx *rx);
/* One validated META, DATA or PARITY record. */
void xferd_rx_dgram(struct rx *rx, const struct six_dgram *d, uint64_t now);
/* Discard partial files that saw nothing for the partial timeout. */
void xferd_rx_tick(struct rx *rx, uint64_t now);
/* 1 if file id of session was delivered (or was already there) in this run. */
int xferd_rx_completed(struct rx *rx, uint64_t session, uint32_t id);
/* The file's sender gave up on it: report it lost and discard what arrived. */
void xferd_rx_lost(struct rx *rx, uint64_t session, uint32_t id);

#endif
