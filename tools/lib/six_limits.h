/* Every limit SIX enforces, in one place, each with the reason for its value.
 * Defaults marked "configurable" can be changed in six.conf (see MANUAL.md). */
#ifndef SIX_LIMITS_H
#define SIX_LIMITS_H

/* Bundle format v1 (formats/bundle.md) */
#define SIX_MANIFEST_MAX (1u << 20)	/* FIXED by the format: 1 MiB of manifest text */
#define SIX_PATH_MAX 4096		/* FIXED: whole payload path, bytes */
#define SIX_COMPONENT_MAX 255		/* FIXED: one path component, bytes (NAME_MAX) */
#define SIX_SUBJECT_MAX 1024		/* one line; keeps listings and audit lines sane */
#define SIX_RECIPIENTS_MAX 64		/* a bundle to more than this is a mistake */
/* six-pack writes at most `path` (<= SIX_PATH_MAX bytes) and `size` in a pax header;
 * 64 KiB is far beyond that and bounds what one header can make us hold */
#define SIX_TARSCAN_PAX_MAX (64u << 10)
/* configurable defaults for six-unpack */
#define SIX_DEF_MAX_FILES 10000		/* a declaration is a handful of files */
#define SIX_DEF_MAX_FILE_SIZE (4ull << 30)	/* 4 GiB per file */
#define SIX_DEF_MAX_TOTAL_SIZE (16ull << 30)	/* 16 GiB expanded per bundle */
#define SIX_DEF_MAX_AGE_DAYS 30		/* media may sit in a safe for weeks */
#define SIX_DEF_MAX_SKEW_SECONDS 300	/* clocks on both sides of a gap drift */

/* Registry and keys */
#define SIX_FPR_HEX 40			/* v4 OpenPGP fingerprint, upper-case hex */
#define SIX_PARTY_MAX 8			/* "OPCW" or ISO 3166 alpha-3 */
#define SIX_NAME_MAX 256		/* user id shown in listings */
#define SIX_REGISTRY_MAX (4u << 20)	/* ~100 users; 4 MiB is far beyond any real one */
#define SIX_KEYFILE_MAX (1u << 20)	/* a public key block; refuse anything larger */
#define SIX_DOCTYPES_MAX 32		/* configured Doc-Type tokens */
#define SIX_TOKEN_MAX 64		/* one Doc-Type or Classification word */

/* Config */
#define SIX_CONF_MAX (64u << 10)	/* six.conf is a handful of lines */
#define SIX_HOME_PATH_MAX 512		/* gpg-agent socket paths must stay short */

/* Audit */
#define SIX_AUDIT_LINE_MAX 8192		/* one event; fields are bounded above */

/* Spools */
#define SIX_SPOOL_NAME_MAX 255		/* one file name in tmp/, new/, cur/ */
/* Maildir's rule: a file in tmp/ untouched this long (seconds) was left by a writer
 * that died; writers rename theirs within minutes. */
#define SIX_SPOOL_TMP_STALE (36 * 3600)

/* Removable media (formats/media.md) */
#define SIX_MEDIA_FILES_MAX 10000	/* bundles on one medium: a stick holds a day's traffic */
#define SIX_MEDIA_MANIFEST_MAX (4u << 20) /* 10000 lines of at most ~340 bytes fit */

/* Registry */
/* ~100 real users; 4096 leaves 40x headroom and bounds a hostile file's memory. */
#define SIX_REGISTRY_ENTRIES_MAX 4096

/* Homes */
/* gpg-agent puts its sockets in HOME/gnupg; the longest, S.gpg-agent.browser, must
 * fit a Unix socket path (108 bytes with its NUL). */
#define SIX_HOME_SOCKET_PATH_MAX 80

/* Diode datagrams (formats/diode.md "Limits") */
/* 9216 bytes covers jumbo frames; a larger datagram is IP-fragmented, and one lost
 * fragment loses it all, so nothing is gained by allowing more. */
#define SIX_DGRAM_MAX 9216
/* GF(2^8) Cauchy codes allow at most 256 rows (k + m); 128 + 128 stays inside. */
#define SIX_DGRAM_K_MAX 128
#define SIX_DGRAM_M_MAX 128
/* A bundle is a compressed archive of declarations: 16 GiB is far beyond any real one,
 * and bounds what a hostile sender can make the receiver reserve. */
#define SIX_DGRAM_FILE_MAX (16ull << 30)
/* Per-file state at the receiver is a few bytes per group: 2^20 groups bound it to a
 * few MiB per file whatever the geometry a sender picks. */
#define SIX_DGRAM_GROUPS_MAX (1u << 20)
#define SIX_DGRAM_NAME_MAX 255

#endif
