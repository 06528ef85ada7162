/* Sender sequence numbers (formats/bundle.md, "Sequence counters"): one counter per
 * (sender, recipient set) in HOME/state/, taken under a lock and made durable before
 * the bundle is written, so a crash may skip a number but never reuse one. */
#ifndef SIX_PACK_SEQ_H
#define SIX_PACK_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "six_limits.h"

/* Reserve the next number for sender and recipients[0..n) (any order) in the home's
 * state/ directory (fd statefd). */
int pack_seq_next(int statefd, const char *sender, char recipients[][SIX_FPR_HEX + 1],
		  size_t n, uint64_t *seq, struct six_err *err);

#endif
