/* Opening a bundle (formats/bundle.md, checks 1 and 2 of six-unpack): decrypt and
 * verify one OpenPGP message into a private staging file, and decide only after gpg
 * has exited and its whole report has been read.
 *
 * GPGME knows the engine and the home (ctx); the bytes go through that gpg binary
 * directly, with its status lines read here, as six-pack does (bundle_seal.h): GPGME
 * 1.18 formats every byte it copies for its debug trace even when tracing is off,
 * which caps it near 60 MB/s. The rules applied to the status lines are listed in
 * formats/bundle.md, "Reading gpg's verdict".
 *
 * Nothing here parses the plaintext: the archive parser must never see bytes that
 * have not been decrypted with integrity protection and verified (DESIGN.md,
 * "What must hold" 6). The registry is the caller's business (pinning). */
#ifndef SIX_BUNDLE_OPEN_H
#define SIX_BUNDLE_OPEN_H

#include <stdint.h>
#include <time.h>

#include <gpgme.h>

#include "err.h"
#include "hash.h"
#include "six_limits.h"

/* The facts about a bundle's one good signature and its encryption. */
struct six_bundle_sig {
	char signer[SIX_FPR_HEX + 1];	/* as gpg reported it: may be a signing subkey */
	char primary[SIX_FPR_HEX + 1];	/* the signer's primary key (what the registry pins) */
	time_t sig_time;		/* the signature's creation time (signer's clock) */
	char pubkey_algo[32];		/* e.g. "EdDSA", "RSA" */
	char hash_algo[16];		/* e.g. "SHA512" */
	char cipher[32];		/* session cipher and mode, e.g. "AES256.CFB" */
	char decrypted_by[17];		/* key id of the recipient key that decrypted it */
	char sha256[SIX_SHA256_HEX + 1];	/* of the bundle file, hashed as gpg read it */
	uint64_t size;			/* bytes of the bundle file */
};

/* Decrypt and verify the message read from bundle_fd, writing the plaintext to
 * plain_fd (a private 0600 staging file: never a place anyone else reads). Then:
 * SIX_ERR_DECRYPT if it was not public-key encrypted, not for a key here, corrupt,
 * truncated, or without integrity protection (no MDC);
 * SIX_ERR_SIGNATURE if it carries no signature, more than one, or a bad one;
 * SIX_ERR_SENDER if the signer's key is unknown here, revoked or expired;
 * SIX_ERR_IO if the bundle cannot be read or the plaintext cannot be written (disk
 * full), SIX_ERR_TEMP if gpg-agent is away, SIX_ERR_INTERNAL if gpg cannot be run.
 * On success sig holds the facts; plain_fd holds the verified plaintext. The bundle's
 * SHA-256 is taken as it is handed to gpg (one pass), and is in sig even on failure
 * (the rest of the file is read when gpg stops early). Every descriptor of the
 * process other than bundle_fd and plain_fd must be close-on-exec. */
int six_bundle_open(gpgme_ctx_t ctx, int bundle_fd, int plain_fd, struct six_bundle_sig *sig,
		    struct six_err *err);

#endif
