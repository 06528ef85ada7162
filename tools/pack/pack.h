/* six-pack's work, from parsed options to a sealed bundle in place. */
#ifndef SIX_PACK_H
#define SIX_PACK_H

#include <stddef.h>

#include "err.h"
#include "six_limits.h"

#define PACK_DEFAULT_CLASSIFICATION "RESTRICTED"

struct pack_opts {
	const char *home;
	const char *rcpts[SIX_RECIPIENTS_MAX];
	size_t n_rcpts;
	const char *signer;	/* -u, or NULL: the home's only secret key */
	const char *party;
	const char *doc_type;
	const char *subject;	/* NULL: none */
	const char *classification; /* NULL: PACK_DEFAULT_CLASSIFICATION */
	const char *out;	/* -o */
	const char *outbox;	/* --outbox */
	const char *passphrase_file;
	int force;
	int follow;
	char *const *inputs;
	size_t n_inputs;
	const char *bad; /* the argument an option error is about (for the message) */
};

/* Make the bundle; on success shown holds its path (for stdout). On failure nothing
 * is left behind but, possibly, a skipped sequence number. */
int pack_run(const struct pack_opts *o, char *shown, size_t shown_len, struct six_err *err);

#endif
