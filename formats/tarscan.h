/* A streaming audit of the tar structure of a bundle's archive layer
 * (formats/bundle.md section 3), run on the inflated bytes before libarchive sees them.
 *
 * libarchive is lenient where bundle v1 is strict: it skips global pax headers and
 * ignores keywords it does not apply (e.g. `linkpath` on a regular file). The auditor
 * walks the same header chain libarchive will (honouring a pax `size`, so the two can
 * never disagree on where the next header is) and refuses, before the member is acted
 * on: a bad header checksum or size field; a global pax header (`g`), a GNU long name
 * (`L`, `K`), or any other typeflag libarchive would not type as a link, device,
 * directory or FIFO; a pax header that is malformed, larger than SIX_TARSCAN_PAX_MAX,
 * not followed by a file, or with a keyword outside the allowlist. Member data is
 * skipped by arithmetic. Auditing stops at the first zero block (libarchive's end of
 * archive), and at a header of typeflag `1` to `7`, which the caller MUST refuse when
 * libarchive hands it over (it then names the member and its kind): what follows
 * either is the caller's business. Pure: no I/O, no allocation, no globals. */
#ifndef SIX_TARSCAN_H
#define SIX_TARSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "six_limits.h"

#define SIX_TAR_BLOCK 512

struct six_tarscan {
	uint64_t skip;		/* member data and padding still to pass over */
	uint64_t pax_size;	/* the pax `size` for the next member, if has_size */
	uint32_t pax_len;	/* bytes of pax data expected, and held so far */
	uint32_t pax_have;
	uint32_t have;		/* bytes of the current header block held */
	int state;
	int after_pax;		/* the last header was a pax header: a file must follow */
	int has_size;
	struct six_err verdict; /* a refusal is final: repeated on every later feed */
	uint8_t hdr[SIX_TAR_BLOCK];
	uint8_t pax[SIX_TARSCAN_PAX_MAX];
};

void six_tarscan_init(struct six_tarscan *s);
/* Audit the next n bytes of the tar stream: 0, or SIX_ERR_UNSAFE (SIX_ERR_LIMIT for an
 * oversize pax header) with a message saying which rule the archive broke. */
int six_tarscan_feed(struct six_tarscan *s, const void *p, size_t n, struct six_err *err);
/* 1 once the end-of-archive marker (a zero block) has been audited. */
int six_tarscan_ended(const struct six_tarscan *s);
/* 1 once the audit stopped at a link, device, directory or FIFO member. */
int six_tarscan_typed(const struct six_tarscan *s);

#endif
