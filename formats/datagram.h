/* The six-xferd diode datagram (formats/diode.md): pure pack and parse, no I/O.
 *
 * Every datagram is a 16-byte common header, a type-specific body, and a CRC32C
 * trailer; integers are big-endian, packed field by field. The parser treats every
 * byte as hostile: it checks the length of each field (buf.h), the checksum, and every
 * range and cross-field rule of the spec, so a record it returns can be used to index
 * files and groups without further arithmetic checks. */
#ifndef SIX_DATAGRAM_H
#define SIX_DATAGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "six_limits.h"

#define SIX_DGRAM_MAGIC 0x53495844u /* "SIXD" */
#define SIX_DGRAM_VERSION 1

/* Sizes of the format; its limits are in six_limits.h (formats/diode.md "Limits"). */
#define SIX_DGRAM_HDR 16	/* magic, version, type, flags, session */
#define SIX_DGRAM_TRAILER 4	/* CRC32C */
#define SIX_DGRAM_SYM_BODY 24	/* file, size, symbol size, k, m, group, index */
#define SIX_DGRAM_SYM_OVERHEAD (SIX_DGRAM_HDR + SIX_DGRAM_SYM_BODY + SIX_DGRAM_TRAILER)
/* Symbols under 64 bytes would spend more on headers than on data. */
#define SIX_DGRAM_SYM_MIN 64
#define SIX_DGRAM_SYM_MAX (SIX_DGRAM_MAX - SIX_DGRAM_SYM_OVERHEAD)
#define SIX_DGRAM_MIN (SIX_DGRAM_SYM_MIN + SIX_DGRAM_SYM_OVERHEAD)

enum six_dgram_type {
	SIX_DG_META = 1,      /* a file's name, size, SHA-256, geometry */
	SIX_DG_DATA = 2,      /* one data symbol */
	SIX_DG_PARITY = 3,    /* one Reed-Solomon parity symbol */
	SIX_DG_HEARTBEAT = 4, /* the sender's counters, every second */
	SIX_DG_END = 5,	      /* a pass of the carousel ended */
};

/* Why a datagram was refused: the receiver counts drops by these reasons. */
enum six_dgram_reject {
	SIX_DGR_SHORT = 1,   /* shorter than a header and trailer */
	SIX_DGR_MAGIC = 2,   /* not "SIXD" */
	SIX_DGR_VERSION = 3, /* another version of the format */
	SIX_DGR_CRC = 4,     /* checksum mismatch: corrupted on the wire */
	SIX_DGR_TYPE = 5,    /* unknown type or non-zero flags */
	SIX_DGR_LENGTH = 6,  /* body too short or too long for its type */
	SIX_DGR_RANGE = 7,   /* a field out of range: size, k, m, group, index, counters */
	SIX_DGR_NAME = 8,    /* a file name that is not a safe spool name */
	SIX_DGR_NREASONS = 9
};

/* One parsed datagram. Fields unused by a type are zero. */
struct six_dgram {
	uint8_t type;
	uint64_t session;  /* random per sender run, never 0 */
	/* META, DATA, PARITY */
	uint32_t file;	   /* file number in the session, from 1 */
	uint64_t size;	   /* file size in bytes */
	uint16_t sym;	   /* symbol size in bytes */
	uint16_t k, m;	   /* data and parity symbols per full group */
	/* DATA, PARITY */
	uint32_t group;
	uint16_t index;	   /* DATA: 0 .. k_g-1; PARITY: 0 .. m-1 */
	/* META */
	uint8_t sha256[32];
	/* HEARTBEAT, END */
	uint32_t announced; /* files numbered so far in the session */
	uint32_t current;   /* file being sent now (0: idle) */
	uint32_t done;	    /* every file numbered <= done has finished its last pass */
	uint16_t pass, passes;
	uint32_t first, last; /* END: the files of the pass that ended */
	uint64_t sent;	      /* datagrams sent in the session */
	/* DATA, PARITY: the symbol (sym bytes); META: the name (not NUL-terminated) */
	const uint8_t *payload;
	uint32_t paylen;
};

/* Geometry of a file (formats/diode.md "FEC layout"). */
uint64_t six_dgram_nsym(uint64_t size, uint16_t sym);
uint64_t six_dgram_ngroups(uint64_t size, uint16_t sym, uint16_t k);
/* Data symbols in group g (the last group may be short). */
uint16_t six_dgram_group_k(uint64_t size, uint16_t sym, uint16_t k, uint32_t g);

/* Check every range and cross-field rule of a record (used by the parser, and again
 * by a process receiving records from the parser's sandbox). 0 or a reject reason. */
int six_dgram_check(const struct six_dgram *d);

/* Parse and validate one datagram. 0, or a positive enum six_dgram_reject. On success
 * d->payload points into p. */
int six_dgram_parse(const uint8_t *p, size_t len, struct six_dgram *d);

/* Bytes the datagram for d takes on the wire (0 if the type is unknown). */
size_t six_dgram_size(const struct six_dgram *d);
/* Pack d (its payload for DATA/PARITY, its name for META) with the checksum into out.
 * Returns the length, or 0 if cap is too small or d does not pass six_dgram_check. */
size_t six_dgram_pack(const struct six_dgram *d, uint8_t *out, size_t cap);

/* A short word for a reject reason ("crc", "magic"...), for logs and counters. */
const char *six_dgram_reject_word(int reason);

#endif
