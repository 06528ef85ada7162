/* A home's registry file (HOME/registry) on disk.
 *
 * Readers need no lock: writers only ever replace the whole file atomically (tmp,
 * fsync, rename), so a reader sees the old registry or the new one, never half.
 * Writers serialise on HOME/state/registry.lock, so two concurrent six-keyring runs
 * cannot lose each other's change (read-modify-write under one lock). */
#ifndef SIX_REGISTRY_STORE_H
#define SIX_REGISTRY_STORE_H

#include "err.h"
#include "registry.h"

#define SIX_REGISTRY_FILE "registry"
#define SIX_REGISTRY_LOCK "registry.lock" /* in HOME/state/ */

/* Load a snapshot of the registry of the home open at home_fd. A missing file is an
 * empty registry (nobody may send); a malformed one is SIX_ERR_CONFIG. Caller
 * six_registry_free()s r. */
int six_registry_load(int home_fd, struct six_registry *r, struct six_err *err);

/* A change: take the lock, load, modify t->reg, commit, end. */
struct six_registry_txn {
	int home_fd;
	int lock_fd;
	struct six_registry reg;
};
int six_registry_begin(int home_fd, struct six_registry_txn *t, struct six_err *err);
/* Write t->reg atomically (mode 0600). The lock is still held: call _end after. */
int six_registry_commit(struct six_registry_txn *t, struct six_err *err);
/* Release the lock and free t->reg (safe after a failed begin). */
void six_registry_end(struct six_registry_txn *t);

#endif
