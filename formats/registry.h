/* The registry of authorised senders (formats/registry.md): pure parse and emit, no
 * I/O, no globals, so it can be fuzzed. Loading and saving a home's registry under a
 * lock is keyring/registry_store.h.
 *
 * The registry pins each sender by the full 40-hex fingerprint of its PRIMARY key:
 * six-unpack maps a signing subkey to its primary first, then looks it up here. */
#ifndef SIX_REGISTRY_H
#define SIX_REGISTRY_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "home.h"
#include "six_limits.h"

#define SIX_REGISTRY_MAGIC "six-registry 1" /* the header line, version 1 */

enum six_reg_status {
	SIX_REG_ACTIVE = 0,	/* stored: may send while not expired */
	SIX_REG_REVOKED = 1,	/* stored: authorisation withdrawn (record kept) */
	SIX_REG_EXPIRED = 2,	/* derived by six_registry_state(), never stored */
};

struct six_reg_entry {
	char fpr[SIX_FPR_HEX + 1];	/* primary key, 40 upper-case hex */
	char party[SIX_PARTY_MAX + 1];	/* ISO 3166 alpha-3 or "OPCW" */
	char name[SIX_NAME_MAX + 1];	/* the key's user id: UTF-8, no control chars */
	/* Allowed Doc-Types; n_doc_types == 0 means "any configured doc type". */
	char doc_types[SIX_DOCTYPES_MAX][SIX_TOKEN_MAX + 1];
	size_t n_doc_types;
	time_t expires;			/* authorisation ends at this instant; 0: never */
	time_t enrolled;		/* when six-keyring enrolled it */
	enum six_reg_status status;	/* SIX_REG_ACTIVE or SIX_REG_REVOKED */
	time_t revoked;			/* when revoked; 0 while active */
};

struct six_registry {
	struct six_reg_entry *entries;	/* in enrolment order */
	size_t n;
	size_t cap;
};

void six_registry_init(struct six_registry *r);
void six_registry_free(struct six_registry *r);

/* Parse registry text[0..len) (strict: header, one record per line, every field
 * checked, no duplicate fingerprints). SIX_ERR_INPUT naming the line on any fault,
 * SIX_ERR_LIMIT if too large. On error r is left empty. */
int six_registry_parse(const char *text, size_t len, struct six_registry *r,
		       struct six_err *err);
/* Emit r as registry text into a malloc'd buffer (*out, *len). */
int six_registry_emit(const struct six_registry *r, char **out, size_t *len,
		      struct six_err *err);

/* The entry for a primary fingerprint (40 hex, upper-case), or NULL. */
const struct six_reg_entry *six_registry_find(const struct six_registry *r, const char *fpr);
/* Add a validated entry. SIX_ERR_EXISTS if its fingerprint is already there (active
 * or revoked: a revoked key is never silently re-authorised). */
int six_registry_add(struct six_registry *r, const struct six_reg_entry *e,
		     struct six_err *err);
/* Mark fpr revoked at time now. SIX_ERR_NOKEY if absent, SIX_ERR_EXISTS if already. */
int six_registry_revoke(struct six_registry *r, const char *fpr, time_t now,
			struct six_err *err);
/* SIX_ERR_INPUT unless every field of e is well-formed (what the parser enforces). */
int six_registry_entry_check(const struct six_reg_entry *e, struct six_err *err);

/* ACTIVE, REVOKED, or EXPIRED (active but expires <= now); and its word. */
enum six_reg_status six_registry_state(const struct six_reg_entry *e, time_t now);
const char *six_registry_state_name(enum six_reg_status s); /* "active"... */

/* May e send at time now? 0 if active and unexpired; SIX_ERR_SENDER (message says
 * revoked or expired) otherwise. e may be NULL: SIX_ERR_SENDER "not registered". */
int six_registry_check_sender(const struct six_reg_entry *e, time_t now,
			      struct six_err *err);
/* May e send doc_type? It must be in the home's configured list (conf) and in e's
 * list unless e allows any configured type. 0, or SIX_ERR_BINDING. */
int six_registry_check_doc_type(const struct six_reg_entry *e, const char *doc_type,
				const struct six_conf *conf, struct six_err *err);

#endif
