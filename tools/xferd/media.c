/* six-xferd export / import: bundles across the air gap on a removable medium.
 *
 * export copies every bundle of an outbox spool's new/ to a mounted medium with a
 * SIX-MEDIA manifest (formats/media.md), reads it all back, and only then moves the
 * bundles to cur/: a failed export loses nothing. import treats the medium as
 * hostile: it checks every file against the manifest while copying it into the inbox
 * spool's tmp/, and delivers nothing unless the whole medium checks out. */
#include "media.h"		 /* tools/xferd/media.h: the entry points */
#include "../../formats/media.h" /* the manifest format (same base name, so by path) */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "hash.h"
#include "path.h"
#include "qr.h"
#include "spool.h"
#include "util.h"

#define TOOL "six-xferd"
#define VERSION "1.0.0"
/* Temporary names on the medium start with '.', which no bundle name may: a crash
 * mid-export can leave one behind, and import reports it as unexpected. */
#define TMP_PREFIX ".six-tmp."
#define SHOWN_MAX (4 * SIX_SPOOL_NAME_MAX + 9) /* every byte escaped, see shown() */

/* Directories that filesystems make on their own: not something an attacker added
 * that import should refuse the medium for, and not a reason to refuse export. */
static const char *const housekeeping[] = {"lost+found", "System Volume Information"};

/* A name from the medium, safe to print: control bytes and invalid UTF-8 as \xNN, so
 * a hostile file name cannot drive the operator's terminal. */
static const char *shown(const char *s, char out[SHOWN_MAX])
{
	int utf8 = six_utf8_valid(s, strlen(s));
	size_t n = 0;
	/* n + 9: room for the longest step (two escapes) and the NUL: never overruns out,
	 * and a name of SIX_SPOOL_NAME_MAX bytes always fits whole */
	for (const unsigned char *p = (const unsigned char *)s; *p && n + 9 < SHOWN_MAX; p++) {
		int c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
		if (*p < 0x20 || *p == 0x7f || *p == '\\' || (!utf8 && *p >= 0x80) || c1)
			n += (size_t)snprintf(out + n, SHOWN_MAX - n, "\\x%02x", *p);
		else
			out[n++] = (char)*p;
		if (c1)
			n += (size_t)snprintf(out + n, SHOWN_MAX - n, "\\x%02x", *++p);
	}
	out[n] = '\0';
	return out;
}

static int is_housekeeping(int dfd, const char *name)
{
	struct stat st;
	for (size_t i = 0; i < sizeof housekeeping / sizeof housekeeping[0]; i++)
		if (strcmp(name, housekeeping[i]) == 0)
			return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			       S_ISDIR(st.st_mode);
	return 0;
}

/* Read in up to limit + 1 bytes (so a file longer than expected shows), hash them,
 * and copy them to out unless out is -1. A failed read is SIX_ERR_IO, a failed
 * write SIX_ERR_CREATE: the caller must tell a bad source from a full target. */
static int copy_hash(int in, int out, uint64_t limit, char hex[SIX_SHA256_HEX + 1],
		     uint64_t *size, struct six_err *err)
{
	struct six_sha256 h;
	int rc = six_sha256_init(&h, err);
	if (rc < 0)
		return rc;
	uint8_t buf[1 << 16];
	uint64_t total = 0;
	while (total <= limit) {
		uint64_t room = limit - total;
		size_t want = room < sizeof buf ? (size_t)room + 1 : sizeof buf;
		ssize_t n = six_read_full(in, buf, want);
		if (n <= 0) {
			if (n == 0)
				break;
			six_sha256_abort(&h);
			return six_fail_errno(err, SIX_ERR_IO, "read");
		}
		six_sha256_update(&h, buf, (size_t)n);
		if (out >= 0 && six_write_all(out, buf, (size_t)n) < 0) {
			six_sha256_abort(&h);
			return six_fail_errno(err, SIX_ERR_CREATE, "write");
		}
		total += (uint64_t)n;
	}
	six_sha256_final_hex(&h, hex);
	*size = total;
	return 0;
}

/* Open name on the medium for reading: never through a symbolic link, never a
 * device or FIFO (opening one can block or have side effects), regular files only.
 * Returns the fd, or a negative code: SIX_ERR_NOINPUT (missing), SIX_ERR_UNSAFE,
 * SIX_ERR_IO; err says why. */
static int medium_open(int mfd, const char *name, struct six_err *err)
{
	struct stat before, st;
	if (fstatat(mfd, name, &before, AT_SYMLINK_NOFOLLOW) < 0)
		return six_fail_errno(err, errno == ENOENT ? SIX_ERR_NOINPUT : SIX_ERR_IO,
				      "cannot stat");
	if (S_ISLNK(before.st_mode))
		return six_fail(err, SIX_ERR_UNSAFE, "symbolic link, not followed");
	if (!S_ISREG(before.st_mode))
		return six_fail(err, SIX_ERR_UNSAFE, "not a regular file");
	int fd = openat(mfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return six_fail_errno(err, errno == ELOOP ? SIX_ERR_UNSAFE : SIX_ERR_IO,
				      "cannot open");
	/* the same file we looked at: swapped for something else in between is refused */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != before.st_ino ||
	    st.st_dev != before.st_dev) {
		close(fd);
		return six_fail(err, SIX_ERR_UNSAFE, "replaced while being opened");
	}
	/* Drop cached pages (clean after fsync) so the read-back comes from the device. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	return fd;
}

/* Hash one file on the medium and compare it with its manifest line. 0 if it
 * matches; else a negative code with err naming what is wrong (not the file). */
static int medium_verify(int mfd, const struct six_media_entry *e, int out,
			 struct six_err *err)
{
	int fd = medium_open(mfd, e->name, err);
	if (fd < 0)
		return fd;
	char hex[SIX_SHA256_HEX + 1];
	uint64_t size;
	int rc = copy_hash(fd, out, e->size, hex, &size, err);
	close(fd);
	if (rc < 0)
		return rc;
	if (size > e->size)
		return six_fail(err, SIX_ERR_CONTENT, "larger than the manifest's %llu bytes",
				(unsigned long long)e->size);
	if (size < e->size)
		return six_fail(err, SIX_ERR_CONTENT, "%llu bytes, manifest says %llu",
				(unsigned long long)size, (unsigned long long)e->size);
	if (strcmp(hex, e->sha256) != 0)
		return six_fail(err, SIX_ERR_CONTENT, "SHA-256 differs from the manifest");
	return 0;
}

static void manifest_digest(const char *text, size_t len, char hex[SIX_SHA256_HEX + 1])
{
	uint8_t d[SIX_SHA256_LEN];
	six_sha256_buf(text, len, d);
	six_hex(d, sizeof d, hex);
}

static void print_header(const struct six_media_manifest *m, const char *hex)
{
	printf("Export-Id: %s\nCreated: %s\nBundles: %zu\nManifest-SHA256: %s\n", m->export_id,
	       m->created_str, m->count, hex);
}

/* ---------------------------------------------------------------- export */

struct export_job {
	struct six_spool sp;
	int mfd;			/* the medium's directory */
	struct six_media_manifest m;
	size_t written;			/* entries[0..written) are on the medium */
	size_t waiting;			/* bundles left in new/ past the limit */
	char *text;			/* the manifest as written */
	size_t text_len;
	char digest[SIX_SHA256_HEX + 1];
};

/* One export per medium: a medium holding anything else is refused, so import can
 * call every file it does not expect an intruder. */
static int export_check_empty(int mfd, const char *dir, struct six_err *err)
{
	DIR *d = six_opendir_fd(mfd);
	if (!d)
		return six_fail_errno(err, SIX_ERR_IO, "cannot list %s", dir);
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char buf[SHOWN_MAX];
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    is_housekeeping(mfd, de->d_name))
			continue;
		rc = six_fail(err, SIX_ERR_EXISTS, "medium %s is not empty (holds %s): "
			      "use an empty medium", dir, shown(de->d_name, buf));
	}
	closedir(d);
	return rc;
}

/* Fill the manifest's entries with the names waiting in new/ (at most
 * SIX_MEDIA_FILES_MAX; the rest wait for the next medium). */
static int export_collect(struct export_job *j, struct six_err *err)
{
	char **names;
	size_t n;
	int rc = six_spool_list_new(&j->sp, &names, &n, err);
	if (rc < 0)
		return rc;
	size_t take = n > SIX_MEDIA_FILES_MAX ? SIX_MEDIA_FILES_MAX : n;
	j->waiting = n - take;
	if (take == 0)
		rc = six_fail(err, SIX_ERR_NOINPUT, "nothing to export: new/ is empty");
	else if (!(j->m.entries = calloc(take, sizeof *j->m.entries)))
		rc = six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; rc == 0 && i < take; i++) {
		char buf[SHOWN_MAX];
		if (six_name_check(names[i], err) < 0 ||
		    strcasecmp(names[i], SIX_MEDIA_NAME) == 0)
			rc = six_fail(err, SIX_ERR_UNSAFE, "new/%s cannot go on a medium: "
				      "unsafe or reserved name", shown(names[i], buf));
		else
			snprintf(j->m.entries[i].name, sizeof j->m.entries[i].name, "%s",
				 names[i]);
		j->m.count = i + 1;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	six_media_sort(&j->m);
	return rc;
}

/* Copy new/<name> to the medium: temporary name, fsync, rename. */
static int export_copy(struct export_job *j, struct six_media_entry *e, struct six_err *err)
{
	struct six_err why;
	int in = openat(j->sp.newfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (in >= 0)
			close(in);
		return six_fail(err, SIX_ERR_NOINPUT, "new/%s is gone or not a regular file",
				e->name);
	}
	int out = openat(j->mfd, TMP_PREFIX "export",
			 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return six_fail_errno(err, SIX_ERR_CREATE, "cannot create on the medium");
	}
	int rc = copy_hash(in, out, (uint64_t)st.st_size, e->sha256, &e->size, &why);
	if (rc == 0 && e->size != (uint64_t)st.st_size)
		rc = six_fail(&why, SIX_ERR_IO, "changed while copied");
	if (rc == 0 && (fsync(out) < 0 || close(out) < 0))
		rc = six_fail_errno(&why, SIX_ERR_IO, "fsync");
	else if (rc == 0)
		posix_fadvise(in, 0, 0, POSIX_FADV_DONTNEED); /* what we read; nothing else */
	else
		close(out);
	close(in);
	if (rc == 0 && renameat(j->mfd, TMP_PREFIX "export", j->mfd, e->name) < 0)
		rc = six_fail_errno(&why, SIX_ERR_CREATE, "rename");
	if (rc < 0) {
		unlinkat(j->mfd, TMP_PREFIX "export", 0);
		return six_fail(err, SIX_ERR_IO, "cannot write %s to the medium: %s", e->name,
				why.msg);
	}
	return 0;
}

/* Everything written, then read back through a fresh open with the page cache
 * dropped: a medium that does not keep what it was given is caught here, while the
 * bundles are still in new/. */
static int export_readback(struct export_job *j, struct six_err *err)
{
	char *text;
	size_t len;
	struct six_err why;
	int fd = medium_open(j->mfd, SIX_MEDIA_NAME, &why); /* drops its cached pages */
	int rc = fd < 0 ? fd : 0;
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = six_read_file_at(j->mfd, SIX_MEDIA_NAME, SIX_MEDIA_MANIFEST_MAX, &text, &len,
				      &why);
	if (rc == 0) {
		if (len != j->text_len || memcmp(text, j->text, len) != 0)
			rc = six_fail(&why, SIX_ERR_IO, "differs from what was written");
		free(text);
	}
	if (rc < 0)
		return six_fail(err, SIX_ERR_IO, "read-back of %s failed: %s", SIX_MEDIA_NAME,
				why.msg);
	for (size_t i = 0; i < j->m.count; i++)
		if (medium_verify(j->mfd, &j->m.entries[i], -1, &why) < 0)
			return six_fail(err, SIX_ERR_IO, "read-back of %s failed: %s",
					j->m.entries[i].name, why.msg);
	return 0;
}

/* After a failure, take back what this export put on the medium, so the operator
 * can retry on the same (empty again) medium. */
static void export_undo(struct export_job *j)
{
	unlinkat(j->mfd, SIX_MEDIA_NAME, 0);
	for (size_t i = 0; i < j->written; i++)
		unlinkat(j->mfd, j->m.entries[i].name, 0);
	fsync(j->mfd);
}

static int export_write(struct export_job *j, struct six_err *err)
{
	uint8_t id[SIX_MEDIA_ID_HEX / 2];
	if (six_random(id, sizeof id) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "no randomness");
	six_hex(id, sizeof id, j->m.export_id);
	j->m.created = time(NULL);
	six_time_format(j->m.created, j->m.created_str);
	for (; j->written < j->m.count; j->written++) {
		int rc = export_copy(j, &j->m.entries[j->written], err);
		if (rc < 0)
			return rc;
	}
	int rc = six_fsync_dir(j->mfd, err);
	if (rc == 0)
		rc = six_media_emit(&j->m, &j->text, &j->text_len, err);
	if (rc == 0)
		rc = six_replace_file_at(j->mfd, SIX_MEDIA_NAME, j->text, j->text_len, 0644, err);
	if (rc == 0)
		rc = export_readback(j, err);
	if (rc == 0)
		manifest_digest(j->text, j->text_len, j->digest);
	return rc;
}

/* Only now, with the medium verified, do the bundles leave new/. */
static int export_done(struct export_job *j, struct six_err *err)
{
	for (size_t i = 0; i < j->m.count; i++) {
		struct six_err why;
		int rc = six_spool_done(&j->sp, j->m.entries[i].name, &why);
		/* someone else (six-xferd send) took it meanwhile: it went both ways, and
		 * the receiving side's replay check makes that harmless */
		if (rc < 0 && rc != SIX_ERR_NOINPUT)
			return six_fail(err, rc, "the medium is complete, but %s", why.msg);
	}
	return 0;
}

static int print_qr(const char *payload, const char *dest, struct six_err *err)
{
	struct six_qr qr;
	int rc = six_qr_encode(payload, strlen(payload), SIX_QR_ECC_M, &qr, err);
	if (rc < 0)
		return rc;
	if (strcmp(dest, "-") == 0) {
		char *text;
		size_t len;
		rc = six_qr_term(&qr, SIX_QR_QUIET, &text, &len, err);
		if (rc == 0) {
			fwrite(text, 1, len, stdout);
			free(text);
		}
	} else {
		rc = six_qr_write_file(&qr, dest, err);
	}
	six_qr_free(&qr);
	return rc;
}

/* The cover sheet: what goes into the envelope with the medium, so the importer
 * can check that the manifest read at import is the one written here. */
static int export_cover(const struct export_job *j, const char *qr, struct six_err *err)
{
	char payload[SIX_MEDIA_PAYLOAD_MAX + 1];
	uint64_t bytes = 0;
	for (size_t i = 0; i < j->m.count; i++)
		bytes += j->m.entries[i].size;
	six_media_payload(j->m.count, j->digest, payload);
	print_header(&j->m, j->digest);
	printf("Bytes: %llu\nQR-Payload: %s\n", (unsigned long long)bytes, payload);
	if (j->waiting)
		printf("Waiting: %zu bundles stay in new/ for the next medium\n", j->waiting);
	if (!qr && isatty(STDOUT_FILENO))
		qr = "-";
	int rc = qr ? print_qr(payload, qr, err) : 0;
	if (fflush(stdout) == EOF && rc == 0)
		rc = six_fail_errno(err, SIX_ERR_IO, "cannot write the cover sheet");
	return rc;
}

static int export_run(const char *outbox, const char *media, const char *qr,
		      struct six_err *err)
{
	struct export_job j = {.mfd = -1};
	int rc = six_spool_open(outbox, 0, &j.sp, err);
	if (rc < 0)
		return rc;
	six_spool_sweep_stale(&j.sp, time(NULL)); /* as the outbox's consumer */
	j.mfd = six_open_dir(media, err);
	rc = j.mfd < 0 ? j.mfd : export_check_empty(j.mfd, media, err);
	if (rc == 0)
		rc = export_collect(&j, err);
	if (rc == 0) {
		rc = export_write(&j, err);
		if (rc < 0)
			export_undo(&j);
	}
	if (rc == 0)
		rc = export_done(&j, err);
	if (rc == 0)
		rc = export_cover(&j, qr, err);
	free(j.text);
	six_media_free(&j.m);
	if (j.mfd >= 0)
		close(j.mfd);
	six_spool_close(&j.sp);
	return rc;
}

static void export_help(void)
{
	printf("usage: six-xferd export --outbox SPOOL --media DIR [--qr FILE.png|FILE.svg|-]\n"
	       "\n"
	       "Copy every bundle in SPOOL/new to the empty, mounted medium DIR with a SIX-MEDIA\n"
	       "manifest, fsync, read everything back and verify it; only then move the bundles\n"
	       "to SPOOL/cur. Prints the cover sheet: the manifest's SHA-256 and the bundle\n"
	       "count, and a QR code carrying \"SIX-MEDIA:1:<count>:<sha256>\".\n"
	       "\n"
	       "  --outbox SPOOL   the spool to export\n"
	       "  --media DIR      the medium's mount point; must be empty\n"
	       "  --qr FILE        write the QR code to FILE.png or FILE.svg, or to the\n"
	       "                   terminal with '-' (default: terminal if stdout is one)\n"
	       "  --home DIR       accepted as by every SIX tool; media transfer needs none\n"
	       "\n"
	       "example: six-xferd export --outbox /var/spool/six/out --media /mnt/usb --qr cover.png\n"
	       "\n"
	       "exit: 0 exported; 64 usage; 66 nothing in new/; 68 medium not empty;\n"
	       "      73 cannot create on the medium; 74 write or read-back failed (medium\n"
	       "      full, bad); 78 not a spool. On any failure new/ is left as it was.\n");
}

static int finish(int rc, const struct six_err *err)
{
	if (rc < 0)
		six_warn(TOOL, "%s", err->msg);
	return six_exit_code(rc);
}

static int usage(const char *cmd, const char *what, const char *arg)
{
	char buf[SHOWN_MAX];
	six_warn(TOOL, "%s%s%s (see six-xferd %s --help)", what, arg ? " " : "",
		 arg ? shown(arg, buf) : "", cmd);
	return 64;
}

static int qr_dest_ok(const char *qr)
{
	size_t n = strlen(qr);
	return strcmp(qr, "-") == 0 ||
	       (n > 4 && (strcasecmp(qr + n - 4, ".png") == 0 || strcasecmp(qr + n - 4, ".svg") == 0));
}

int xferd_export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"outbox", required_argument, NULL, 'o'}, {"media", required_argument, NULL, 'm'},
		{"qr", required_argument, NULL, 'q'},	  {"home", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},	  {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *outbox = NULL, *media = NULL, *qr = NULL;
	int c;
	optind = 0; /* glibc: start afresh, whatever the main parsed before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'o': outbox = optarg; break;
		case 'm': media = optarg; break;
		case 'q': qr = optarg; break;
		case 'H': break; /* media transfer needs no home: accepted for uniformity */
		case 'h': export_help(); return 0;
		case 'V': puts(TOOL " " VERSION); return 0;
		case ':': return usage("export", "missing value for", argv[optind - 1]);
		default: return usage("export", "unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage("export", "unexpected argument", argv[optind]);
	if (!media)
		return usage("export", "--media DIR is required", NULL);
	if (qr && !qr_dest_ok(qr))
		return usage("export", "--qr wants FILE.png, FILE.svg or -, not", qr);
	if (!outbox)
		return usage("export", "--outbox SPOOL is required", NULL);
	struct six_err err = {0};
	int rc = six_crypto_init(&err);
	if (rc == 0)
		rc = export_run(outbox, media, qr, &err);
	return finish(rc, &err);
}

/* ---------------------------------------------------------------- import */

enum item_state { IT_BAD, IT_STAGED, IT_PRESENT };

struct import_item {
	const struct six_media_entry *e;
	enum item_state state;
	char tmp[SIX_SPOOL_NAME_MAX + 1]; /* its copy in tmp/ while staged */
};

struct import_job {
	struct six_spool sp;
	int mfd;
	int lock;
	struct six_media_manifest m;
	struct import_item *items;
	char digest[SIX_SHA256_HEX + 1];
	size_t unsafe, altered, conflict; /* problems found, by class */
	char named[320];		  /* "altered X, missing Y": for the error line */
};

/* One report line per problem on stdout, naming the file: the operator must know
 * exactly what on the medium was wrong, because a tampered medium is a security event.
 * The one error line on stderr names them too, as far as they fit. */
static void problem(struct import_job *j, int code, const char *word, const char *name,
		    const char *why)
{
	char buf[SHOWN_MAX];
	if (!word)
		word = code == SIX_ERR_NOINPUT	 ? "missing"
		       : code == SIX_ERR_UNSAFE	 ? "unsafe"
		       : code == SIX_ERR_EXISTS	 ? "conflict"
		       : code == SIX_ERR_CONTENT ? "altered"
						 : "unreadable";
	if (code == SIX_ERR_NOINPUT)
		why = NULL; /* "missing" says it all */
	shown(name, buf);
	printf("refused: %s: %s%s%s\n", word, buf, why ? ": " : "", why ? why : "");
	size_t used = strlen(j->named), room = sizeof j->named - used;
	int n = snprintf(j->named + used, room, "%s%s %s", used ? ", " : "", word, buf);
	if (n < 0 || (size_t)n >= room) /* the stdout lines have the rest */
		memcpy(j->named + sizeof j->named - 5, " ...", 5);
	if (code == SIX_ERR_UNSAFE)
		j->unsafe++;
	else if (code == SIX_ERR_EXISTS)
		j->conflict++;
	else
		j->altered++;
}

static int import_load(struct import_job *j, const char *media, struct six_err *err)
{
	char *text;
	size_t len;
	struct six_err why;
	int rc = six_read_file_at(j->mfd, SIX_MEDIA_NAME, SIX_MEDIA_MANIFEST_MAX, &text, &len,
				  &why);
	if (rc < 0)
		return six_fail(err, SIX_ERR_MANIFEST, "medium refused: no usable %s in %s: %s",
				SIX_MEDIA_NAME, media, why.msg);
	manifest_digest(text, len, j->digest);
	rc = six_media_parse(text, len, &j->m, &why);
	free(text);
	if (rc < 0)
		return six_fail(err, SIX_ERR_MANIFEST, "medium refused: %s is malformed: %s",
				SIX_MEDIA_NAME, why.msg);
	print_header(&j->m, j->digest);
	fflush(stdout);
	return 0;
}

/* The digest the operator carried over on the cover sheet, if given. */
static int import_expect(const struct import_job *j, const char *expect, struct six_err *err)
{
	char want[SIX_SHA256_HEX + 1];
	size_t count;
	int rc = six_media_payload_parse(expect, want, &count, err);
	if (rc < 0)
		return rc;
	if (strcmp(want, j->digest) != 0 || (count != SIZE_MAX && count != j->m.count))
		return six_fail(err, SIX_ERR_CONTENT, "medium refused: its manifest is not the "
			        "one on the cover sheet (SHA-256 or count differs)");
	return 0;
}

/* Is name already in the inbox spool (new/ or cur/)? 1 with the same content (an
 * earlier import of this medium), 0 if absent, SIX_ERR_EXISTS if different. */
static int import_present(const struct import_job *j, const struct six_media_entry *e,
			  struct six_err *err)
{
	const int dirs[2] = {j->sp.newfd, j->sp.curfd};
	for (int i = 0; i < 2; i++) {
		int fd = openat(dirs[i], e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		struct stat st;
		char hex[SIX_SHA256_HEX + 1];
		uint64_t size;
		int same = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
			   (uint64_t)st.st_size == e->size &&
			   copy_hash(fd, -1, e->size, hex, &size, NULL) == 0 && size == e->size &&
			   strcmp(hex, e->sha256) == 0;
		if (fd >= 0)
			close(fd);
		return same ? 1 : six_fail(err, SIX_ERR_EXISTS, "a different file of that "
					   "name is already in the inbox spool's %s/",
					   i ? "cur" : "new");
	}
	return 0;
}

/* Copy one bundle into tmp/, hashing as it goes: what is checked is exactly what is
 * delivered, even if the medium changes under us. */
static int import_stage(struct import_job *j, struct import_item *it, struct six_err *err)
{
	int out = six_spool_create(&j->sp, it->tmp, err);
	if (out < 0)
		return SIX_ERR_CREATE;
	int rc = medium_verify(j->mfd, it->e, out, err);
	if (rc == 0 && fsync(out) < 0)
		rc = six_fail_errno(err, SIX_ERR_CREATE, "fsync");
	close(out);
	if (rc < 0) {
		unlinkat(j->sp.tmpfd, it->tmp, 0);
		it->tmp[0] = '\0';
	}
	return rc;
}

static int import_check(struct import_job *j, struct six_err *err)
{
	for (size_t i = 0; i < j->m.count; i++) {
		struct import_item *it = &j->items[i];
		struct six_err why = {0};
		it->e = &j->m.entries[i];
		int rc = import_present(j, it->e, &why);
		if (rc == 1) {
			/* delivered before: still check the medium's copy, so tampering shows */
			rc = medium_verify(j->mfd, it->e, -1, &why);
			it->state = rc == 0 ? IT_PRESENT : IT_BAD;
		} else if (rc == 0) {
			rc = import_stage(j, it, &why);
			/* our own disk failed, not the medium: stop, blaming the right one */
			if (rc == SIX_ERR_CREATE)
				return six_fail(err, SIX_ERR_IO, "cannot copy %s into the inbox spool: %s",
						it->e->name, why.msg);
			it->state = rc == 0 ? IT_STAGED : IT_BAD;
		}
		if (rc < 0)
			problem(j, rc, NULL, it->e->name, why.msg);
	}
	return 0;
}

static int cmp_entry_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct six_media_entry *)elem)->name);
}

/* Everything on the medium that the manifest does not list is reported: it is not
 * imported either way, but someone put it there. */
static int import_unexpected(struct import_job *j, struct six_err *err)
{
	DIR *d = six_opendir_fd(j->mfd);
	if (!d)
		return six_fail_errno(err, SIX_ERR_IO, "cannot list the medium");
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		struct stat st;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, SIX_MEDIA_NAME) == 0 ||
		    is_housekeeping(j->mfd, n) ||
		    bsearch(n, j->m.entries, j->m.count, sizeof *j->m.entries, cmp_entry_name))
			continue;
		int link = fstatat(j->mfd, n, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
		problem(j, link ? SIX_ERR_UNSAFE : SIX_ERR_CONTENT, "unexpected", n,
			link ? "symbolic link, not followed" : NULL);
	}
	closedir(d);
	return 0;
}

static void import_abort(struct import_job *j)
{
	for (size_t i = 0; i < j->m.count; i++)
		if (j->items[i].state == IT_STAGED)
			six_spool_abort(&j->sp, -1, j->items[i].tmp);
}

/* All or nothing: a medium with one bad file may have been tampered with, so none
 * of it is trusted into the spool. */
static int import_deliver(struct import_job *j, struct six_err *err)
{
	size_t problems = j->unsafe + j->altered + j->conflict, done = 0, present = 0;
	if (problems) {
		import_abort(j);
		return six_fail(err, j->unsafe ? SIX_ERR_UNSAFE : j->altered ? SIX_ERR_CONTENT
									: SIX_ERR_EXISTS,
				"medium refused, nothing imported: %zu problem%s: %s", problems,
				problems == 1 ? "" : "s", j->named);
	}
	for (size_t i = 0; i < j->m.count; i++) {
		struct import_item *it = &j->items[i];
		if (it->state == IT_PRESENT) {
			printf("already imported: %s\n", it->e->name);
			present++;
			continue;
		}
		struct six_err why;
		int fd = openat(j->sp.tmpfd, it->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		int rc = fd < 0 ? six_fail_errno(&why, SIX_ERR_IO, "cannot reopen tmp/%s", it->tmp)
				: six_spool_commit(&j->sp, fd, it->tmp, it->e->name, &why);
		it->state = IT_BAD; /* committed, or removed by the failed commit */
		if (rc < 0) {
			import_abort(j);
			return six_fail(err, rc, "%s (%zu imported before it; run import again)",
					why.msg, done);
		}
		printf("imported: %s\n", it->e->name);
		done++;
	}
	printf("Imported: %zu\nAlready-Imported: %zu\n", done, present);
	return fflush(stdout) == EOF ? six_fail_errno(err, SIX_ERR_IO, "stdout") : 0;
}

static int import_run(const char *media, const char *inbox, const char *expect,
		      struct six_err *err)
{
	struct import_job j = {.mfd = -1, .lock = -1};
	j.sp.dirfd = j.sp.tmpfd = j.sp.newfd = j.sp.curfd = -1;
	j.mfd = six_open_dir(media, err);
	int rc = j.mfd < 0 ? j.mfd : import_load(&j, media, err);
	if (rc == 0 && expect)
		rc = import_expect(&j, expect, err);
	if (rc == 0)
		rc = six_spool_open(inbox, 1, &j.sp, err);
	/* two imports of one medium at once would both find the names absent */
	if (rc == 0)
		rc = j.lock = six_lock_at(j.sp.dirfd, ".import.lock", err);
	if (rc >= 0 && !(j.items = calloc(j.m.count ? j.m.count : 1, sizeof *j.items)))
		rc = six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	if (rc >= 0)
		rc = import_check(&j, err);
	if (rc == 0)
		rc = import_unexpected(&j, err);
	if (rc == 0)
		rc = import_deliver(&j, err);
	else if (j.items)
		import_abort(&j);
	free(j.items);
	six_media_free(&j.m);
	if (j.lock >= 0)
		close(j.lock);
	if (j.mfd >= 0)
		close(j.mfd);
	six_spool_close(&j.sp);
	return rc > 0 ? 0 : rc;
}

static void import_help(void)
{
	printf("usage: six-xferd import --media DIR --inbox SPOOL [--expect DIGEST]\n"
	       "\n"
	       "Read the SIX-MEDIA manifest on the mounted medium DIR, print its SHA-256 (compare\n"
	       "it with the cover sheet), check every file against it while copying into\n"
	       "SPOOL/tmp, and deliver them into SPOOL/new only if every file checks out: a\n"
	       "missing, altered or unexpected file, or a link, refuses the whole medium: each\n"
	       "problem is a 'refused:' line on stdout, and the one error line names them.\n"
	       "Links on the medium are never followed.\n"
	       "Importing the same medium again delivers nothing twice.\n"
	       "\n"
	       "  --media DIR      the medium's mount point (read only is fine)\n"
	       "  --inbox SPOOL    the spool to deliver into (made if missing)\n"
	       "  --expect DIGEST  the cover sheet's SHA-256, or its whole QR payload\n"
	       "                   SIX-MEDIA:1:COUNT:SHA256: refuse the medium if it differs\n"
	       "  --home DIR       accepted as by every SIX tool; media transfer needs none\n"
	       "\n"
	       "example: six-xferd import --media /mnt/usb --inbox /var/spool/six/in\n"
	       "\n"
	       "exit: 0 imported (or imported before); 23 SIX-MEDIA missing or malformed;\n"
	       "      27 a file missing, altered or unexpected, or not the cover sheet's\n"
	       "      manifest; 28 a link or special file on the medium; 68 a different file\n"
	       "      of the same name is already in the spool; 64 usage; 66 no DIR;\n"
	       "      74 cannot write the spool. Nothing is imported unless the exit is 0.\n");
}

int xferd_import_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"media", required_argument, NULL, 'm'}, {"inbox", required_argument, NULL, 'i'},
		{"expect", required_argument, NULL, 'e'}, {"home", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},	  {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *media = NULL, *inbox = NULL, *expect = NULL;
	int c;
	optind = 0; /* glibc: start afresh, whatever the main parsed before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'm': media = optarg; break;
		case 'i': inbox = optarg; break;
		case 'e': expect = optarg; break;
		case 'H': break; /* media transfer needs no home: accepted for uniformity */
		case 'h': import_help(); return 0;
		case 'V': puts(TOOL " " VERSION); return 0;
		case ':': return usage("import", "missing value for", argv[optind - 1]);
		default: return usage("import", "unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage("import", "unexpected argument", argv[optind]);
	if (!media)
		return usage("import", "--media DIR is required", NULL);
	if (!inbox)
		return usage("import", "--inbox SPOOL is required", NULL);
	struct six_err err = {0};
	char want[SIX_SHA256_HEX + 1];
	size_t count;
	if (expect && six_media_payload_parse(expect, want, &count, &err) < 0)
		return usage("import", "--expect wants a SHA-256 or SIX-MEDIA:1:COUNT:SHA256, not",
			     expect);
	int rc = six_crypto_init(&err);
	if (rc == 0)
		rc = import_run(media, inbox, expect, &err);
	return finish(rc, &err);
}
