/* The archive reader: the only code that parses the tar stream, run in a child
 * process that has nothing to lose (OpenSSH privilege separation). It holds four file
 * descriptors (the verified plaintext, the staging payload directory, two pipes), no
 * GPGME, no home, no registry; NO_NEW_PRIVS, no core dumps, no children, a bounded
 * address space, few descriptors, and no file larger than the largest declared size.
 *
 * Protocol (child -> parent): 'M' u32 length, the SIX-MANIFEST bytes; then, after the
 * parent's 'G', either 'D' (every member extracted and matched) or, at any point,
 * 'E' u32 code, u16 length, message. The parent reads with fixed bounds and accepts
 * only these records: a confused child can only make the bundle fail. */
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "hash.h"
#include "path.h"
#include "tarscan.h"

#define READ_BLOCK (1u << 20) /* large reads of the staged plaintext, large inflated blocks */
#define FLUSH_EVERY (8u << 20) /* start writing a file back to disk every 8 MiB */
/* The tar auditor's refusals travel through libarchive's error slot, marked by this
 * errno-like base (no real errno is near it) plus the SIX class, so that archive_fail
 * reports the auditor's class and words, whichever libarchive call saw the read fail. */
#define SCAN_ERRNO 0x5300

struct reader_fds {
	int plain, payload, in, out;
};

/* A hostile name made printable for messages: only ' '..'~' survive, the rest '?',
 * so a member name cannot smuggle escape sequences onto an operator's terminal. */
static void printable(char *out, size_t cap, const char *in)
{
	size_t o = 0;
	for (; in && *in && o + 1 < cap; in++, o++)
		out[o] = (*in >= 0x20 && *in <= 0x7e) ? *in : '?';
	out[o] = '\0';
}

static void send_error(int fd, const struct six_err *e)
{
	uint8_t hdr[7];
	size_t n = strnlen(e->msg, sizeof e->msg - 1);
	hdr[0] = 'E';
	six_put_u32(hdr + 1, (uint32_t)e->code);
	six_put_u16(hdr + 5, (uint16_t)n);
	if (six_write_all(fd, hdr, sizeof hdr) == 0)
		six_write_all(fd, e->msg, n);
}

/* ---- child ---- */

/* Close every descriptor but ours (they may be inherited from gpgme or the caller). */
static void close_others(const struct reader_fds *f)
{
	int keep[4] = {f->plain, f->payload, f->in, f->out};
	for (int i = 1; i < 4; i++) /* sort the four */
		for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	unsigned lo = 3; /* stdin, stdout and stderr stay */
	for (int i = 0; i < 4; i++) {
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
		if ((unsigned)keep[i] + 1 > lo)
			lo = (unsigned)keep[i] + 1;
	}
	close_range(lo, ~0u, 0);
}

static int limit(int what, rlim_t v)
{
	struct rlimit rl = {v, v};
	return setrlimit(what, &rl);
}

/* The first half of the sandbox: everything but the two steps that would stop the
 * inflater thread from being made (sandbox_lock). */
static int sandbox_begin(const struct reader_fds *f, struct six_err *err)
{
	/* member names are UTF-8: let libarchive hand them over unconverted */
	setlocale(LC_ALL, "C.UTF-8");
	close_others(f);
	signal(SIGXFSZ, SIG_IGN); /* RLIMIT_FSIZE then fails the write with EFBIG */
	int top = f->plain;
	const int fds[] = {f->payload, f->in, f->out};
	for (size_t i = 0; i < 3; i++)
		top = fds[i] > top ? fds[i] : top;
	/* no privileges to gain, nothing to dump, and no life after the parent's death */
	int rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) | prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) |
		 prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) | limit(RLIMIT_CORE, 0) |
		 /* a few for six_mkparents_at and the file being written */
		 limit(RLIMIT_NOFILE, (rlim_t)top + 8);
#if !defined(__SANITIZE_ADDRESS__)
	/* libarchive needs little: a gzip window, a block, one pax header (and the ring) */
	rc |= limit(RLIMIT_AS, (rlim_t)512 << 20);
#endif
	if (rc)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot sandbox the reader");
	return 0;
}

/* The second half, once the inflater thread exists and has made its start-up calls
 * and before a byte is parsed: no more processes or threads (RLIMIT_NPROC, and the
 * filter allows no clone), and the seccomp filter on both threads. */
static int sandbox_lock(struct six_err *err)
{
	if (limit(RLIMIT_NPROC, 0) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot sandbox the reader");
	return unpack_seccomp(err);
}

static int archive_fail(struct archive *a, int code, const char *what, struct six_err *err)
{
	char why[200];
	printable(why, sizeof why, archive_error_string(a));
	int e = archive_errno(a);
	if (e > SCAN_ERRNO && e <= SCAN_ERRNO - SIX_ERR_LIMIT)
		return six_fail(err, SCAN_ERRNO - e, "%s", why);
	return six_fail(err, code, "%s: %s", what, why[0] ? why : "unreadable archive");
}

/* The gzip layer, inflated with ISA-L's igzip (several times faster than zlib) and
 * handed to libarchive as a plain tar stream. ISA-L parses the gzip header and checks
 * each member's CRC-32 and length; members may follow one another (RFC 1952 2.2);
 * anything else after a member, or a stream that ends inside one, is an error.
 *
 * Inflating and auditing run in a second thread (the inflater), a few blocks ahead of
 * libarchive, hashing and writing in the first: the two halves of the work then use
 * two cores. They meet in a ring of GUNZIP_RING blocks, so memory stays bounded, and
 * a bomb is inflated at most GUNZIP_RING blocks past the byte at which the reader
 * refuses it. Every block passes the tar audit before the inflater publishes it, and
 * the blocks, the end and any refusal reach libarchive in stream order: it never sees
 * a byte the audit (or the CRC-32 check) refused, nor learns of a refusal early. */
#define GUNZIP_RING 4

struct gunzip_block {
	uint8_t *buf;
	size_t len;	/* inflated bytes; 0 marks the end of the stream, or a refusal */
	int errnum;	/* the refusal, for archive_set_error (0: none) */
	char msg[sizeof ((struct six_err *)0)->msg]; /* as long as any refusal can be */
};

struct gunzip {
	int fd;
	struct inflate_state st;
	uint8_t *in;
	int in_eof, member_done, done;
	/* bundle v1's tar rules that libarchive does not enforce (global pax headers,
	 * keywords it ignores...), checked on every inflated byte before libarchive
	 * sees it: a refused header never reaches the tar reader */
	struct six_tarscan scan;
	/* the ring: the reader holds block[next] (while held) and the inflater fills the
	 * `filled` blocks after it; the last one it fills is the end or a refusal */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t moved;
	struct gunzip_block block[GUNZIP_RING];
	unsigned next, filled;
	int held, started, go, stop;
};

static int gunzip_input(struct gunzip *g, struct gunzip_block *b)
{
	if (g->st.avail_in > 0 || g->in_eof)
		return 0;
	ssize_t n;
	do
		n = read(g->fd, g->in, READ_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		b->errnum = errno;
		snprintf(b->msg, sizeof b->msg, "cannot read the plaintext");
		return -1;
	}
	g->in_eof = n == 0;
	g->st.next_in = g->in;
	g->st.avail_in = (uint32_t)n;
	return 0;
}

static void gunzip_refuse(struct gunzip_block *b, int errnum, const char *msg)
{
	b->errnum = errnum;
	snprintf(b->msg, sizeof b->msg, "%s", msg);
}

/* The next inflated and audited block into b: bytes, the end (len 0), or a refusal. */
static void gunzip_step(struct gunzip *g, struct gunzip_block *b)
{
	b->len = 0;
	b->errnum = 0;
	while (!g->done) {
		if (gunzip_input(g, b) < 0)
			return;
		if (g->member_done) { /* another member, or the end */
			if (g->st.avail_in == 0) {
				g->done = 1;
				break;
			}
			isal_inflate_reset(&g->st);
			g->st.crc_flag = ISAL_GZIP;
			g->member_done = 0;
		}
		g->st.next_out = b->buf;
		g->st.avail_out = READ_BLOCK;
		int r = isal_inflate(&g->st);
		if (r < 0) {
			gunzip_refuse(b, EILSEQ,
				      r == ISAL_INCORRECT_CHECKSUM ? "gzip CRC-32 or length mismatch"
				      : r == ISAL_INVALID_WRAPPER  ? "not a gzip stream"
								   : "corrupt gzip stream");
			return;
		}
		g->member_done = g->st.block_state == ISAL_BLOCK_FINISH;
		size_t made = READ_BLOCK - g->st.avail_out;
		struct six_err e;
		if (made > 0 && six_tarscan_feed(&g->scan, b->buf, made, &e) < 0) {
			gunzip_refuse(b, SCAN_ERRNO - e.code, e.msg);
			return;
		}
		if (made > 0) {
			b->len = made;
			return;
		}
		if (!g->member_done && g->in_eof && g->st.avail_in == 0) {
			gunzip_refuse(b, EILSEQ, "truncated gzip stream");
			return;
		}
	}
}

/* The inflater: waits for the reader's first request (in the reader child, after the
 * seccomp filter is on), then fills the ring until the end, a refusal, or stop. */
static void *gunzip_thread(void *hook)
{
	struct gunzip *g = hook;
	pthread_mutex_lock(&g->mu);
	g->started = 1;
	pthread_cond_broadcast(&g->moved);
	for (;;) {
		while (!g->stop && (!g->go || g->held + g->filled >= GUNZIP_RING))
			pthread_cond_wait(&g->moved, &g->mu);
		if (g->stop)
			break;
		struct gunzip_block *b = &g->block[(g->next + g->held + g->filled) % GUNZIP_RING];
		pthread_mutex_unlock(&g->mu); /* the reader never touches a block not yet filled */
		gunzip_step(g, b);
		pthread_mutex_lock(&g->mu);
		g->filled++;
		pthread_cond_broadcast(&g->moved);
		if (b->len == 0) /* the end or a refusal: the last block */
			break;
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

static la_ssize_t gunzip_read(struct archive *a, void *hook, const void **buf)
{
	struct gunzip *g = hook;
	pthread_mutex_lock(&g->mu);
	if (g->held) { /* libarchive is done with the block it was given last */
		g->next = (g->next + 1) % GUNZIP_RING;
		g->held = 0;
	}
	g->go = 1;
	pthread_cond_broadcast(&g->moved);
	while (g->filled == 0)
		pthread_cond_wait(&g->moved, &g->mu);
	struct gunzip_block *b = &g->block[g->next];
	if (b->len > 0) {
		g->filled--;
		g->held = 1;
	} /* else the last block stays: every later call sees the same end or refusal */
	pthread_mutex_unlock(&g->mu);
	*buf = b->buf;
	if (b->errnum) {
		archive_set_error(a, b->errnum, "%s", b->msg);
		return -1;
	}
	return (la_ssize_t)b->len;
}

/* Stop the inflater (it finishes at most the block in hand) and free everything. */
static void gunzip_free(struct gunzip *g)
{
	if (g->started) {
		pthread_mutex_lock(&g->mu);
		g->stop = 1;
		pthread_cond_broadcast(&g->moved);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->thread, NULL);
	}
	pthread_cond_destroy(&g->moved);
	pthread_mutex_destroy(&g->mu);
	for (size_t i = 0; i < GUNZIP_RING; i++)
		free(g->block[i].buf);
	free(g->in);
	free(g);
}

/* After the archive's end: the rest of the gzip stream must be whole (each member's
 * CRC-32 and length checked, which libarchive, stopping at the end marker, would not
 * ask for), and hold no more than a tar writer's padding. libarchive calls this when
 * the archive is closed: child_body closes it explicitly after a good extraction and
 * checks the result; on other paths the result is moot, and the bound keeps the work
 * small (a bomb's rest is not inflated beyond the ring). */
static int gunzip_close(struct archive *a, void *hook)
{
	struct gunzip *g = hook;
	const void *p;
	uint64_t tail = 0;
	la_ssize_t n;
	while ((n = gunzip_read(a, g, &p)) > 0 && (tail += (uint64_t)n) <= READ_BLOCK)
		;
	if (n > 0)
		archive_set_error(a, EFBIG, "more than %u bytes after the archive", READ_BLOCK);
	gunzip_free(g);
	return n == 0 ? ARCHIVE_OK : ARCHIVE_FATAL;
}

/* The gzip reader on plain_fd, its inflater thread started and waiting for the first
 * read: made before sandbox_lock, which forbids threads, so the seccomp filter need
 * not allow clone. */
static int gunzip_new(int plain_fd, struct gunzip **out, struct six_err *err)
{
	struct gunzip *g = calloc(1, sizeof *g);
	if (!g)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	g->fd = plain_fd;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->moved, NULL);
	int ok = (g->in = malloc(READ_BLOCK)) != NULL;
	for (size_t i = 0; i < GUNZIP_RING; i++)
		ok &= (g->block[i].buf = malloc(READ_BLOCK)) != NULL;
	isal_inflate_init(&g->st);
	g->st.crc_flag = ISAL_GZIP;
	six_tarscan_init(&g->scan);
	int rc = ok ? pthread_create(&g->thread, NULL, gunzip_thread, g) : ENOMEM;
	if (rc != 0) {
		gunzip_free(g);
		errno = rc;
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot start the inflater");
	}
	/* its start-up system calls (robust list, rseq, signal mask) are made by now */
	pthread_mutex_lock(&g->mu);
	while (!g->started)
		pthread_cond_wait(&g->moved, &g->mu);
	pthread_mutex_unlock(&g->mu);
	*out = g;
	return 0;
}

/* libarchive on g (which it owns from here: gunzip_close frees it). */
static int open_gunzip(struct gunzip *g, struct archive **out, struct six_err *err)
{
	struct archive *a = archive_read_new();
	if (!a) {
		gunzip_free(g);
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	}
	/* only what bundle v1 is: tar (pax/ustar) inside the gzip layer above; no other
	 * filter or format, so no external decompressor and no exotic parser is reachable */
	int ok = archive_read_support_format_tar(a) == ARCHIVE_OK;
	if (!ok)
		gunzip_free(g); /* not yet libarchive's */
	if (!ok || archive_read_open(a, g, NULL, gunzip_read, gunzip_close) != ARCHIVE_OK) {
		int rc = archive_fail(a, SIX_ERR_MANIFEST, "not a gzip-compressed tar", err);
		archive_read_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

/* Exactly n bytes of the current member's data into buf. */
static int read_exact(struct archive *a, char *buf, size_t n, struct six_err *err)
{
	size_t got = 0;
	while (got < n) {
		la_ssize_t r = archive_read_data(a, buf + got, n - got);
		if (r <= 0)
			return archive_fail(a, SIX_ERR_MANIFEST, "SIX-MANIFEST", err);
		got += (size_t)r;
	}
	return 0;
}

static int read_manifest(struct archive *a, char **text, size_t *len, struct six_err *err)
{
	struct archive_entry *e;
	int r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_EOF)
		return six_fail(err, SIX_ERR_MANIFEST, "empty archive: no SIX-MANIFEST");
	if (r != ARCHIVE_OK) /* ARCHIVE_WARN included: a header libarchive had to guess at */
		return archive_fail(a, SIX_ERR_MANIFEST, "unreadable archive", err);
	const char *name = archive_entry_pathname(e);
	if (!name || strcmp(name, "SIX-MANIFEST") != 0)
		return six_fail(err, SIX_ERR_MANIFEST, "first member is not SIX-MANIFEST");
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
	    !archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return six_fail(err, SIX_ERR_MANIFEST, "SIX-MANIFEST is not a regular file");
	if ((uint64_t)archive_entry_size(e) > SIX_MANIFEST_MAX)
		return six_fail(err, SIX_ERR_LIMIT, "SIX-MANIFEST is larger than %u bytes",
				SIX_MANIFEST_MAX);
	*len = (size_t)archive_entry_size(e);
	*text = malloc(*len + 1);
	if (!*text)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	int rc = read_exact(a, *text, *len, err);
	if (rc < 0) {
		free(*text);
		*text = NULL; /* the caller frees what it holds */
		return rc;
	}
	(*text)[*len] = '\0';
	return 0;
}

static const char *kind_of(struct archive_entry *e)
{
	if (archive_entry_hardlink(e))
		return "a hard link";
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return NULL;
	case AE_IFLNK:
		return "a symbolic link";
	case AE_IFDIR:
		return "a directory";
	case AE_IFCHR:
	case AE_IFBLK:
		return "a device";
	case AE_IFIFO:
		return "a FIFO";
	default:
		return "not a regular file";
	}
}

/* The member's header against its File: line, before a byte of it is written. */
static int check_member(struct archive_entry *e, const struct six_manifest_file *f,
			struct six_err *err)
{
	const char *name = archive_entry_pathname(e);
	char shown[200];
	printable(shown, sizeof shown, name);
	if (!name)
		return six_fail(err, SIX_ERR_UNSAFE, "member without a name");
	size_t nl = strlen(name);
	/* the path could escape: refuse before anything else is said about it */
	if (strncmp(name, "payload/", 8) != 0)
		return six_path_check(name, nl, err) < 0
			       ? six_fail(err, SIX_ERR_UNSAFE, "unsafe member name '%s'", shown)
			       : six_fail(err, SIX_ERR_CONTENT, "member '%s' is not under payload/",
					  shown);
	if (six_path_check(name + 8, nl - 8, err) < 0)
		return six_fail(err, SIX_ERR_UNSAFE, "unsafe member name '%s'", shown);
	const char *kind = kind_of(e);
	if (kind)
		return six_fail(err, SIX_ERR_UNSAFE, "member '%s' is %s", shown, kind);
	if (archive_entry_sparse_count(e) > 0)
		return six_fail(err, SIX_ERR_UNSAFE, "member '%s' is a sparse file", shown);
	/* never applied, but their presence means the archive is not what six-pack makes */
	if (archive_entry_xattr_count(e) > 0 ||
	    archive_entry_acl_count(e, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E | ARCHIVE_ENTRY_ACL_TYPE_NFS4) > 0)
		return six_fail(err, SIX_ERR_UNSAFE, "member '%s' has extended attributes or ACLs",
				shown);
	if (strcmp(name + 8, f->path) != 0)
		return six_fail(err, SIX_ERR_CONTENT, "member '%s' where the manifest has '%.180s'",
				shown, f->path);
	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return six_fail(err, SIX_ERR_CONTENT, "member '%s' has no size", shown);
	uint64_t size = (uint64_t)archive_entry_size(e);
	if (size > f->size)
		/* a bomb announces itself here, before any byte is expanded */
		return six_fail(err, SIX_ERR_LIMIT, "member '%s' is larger than its declared %llu bytes",
				shown, (unsigned long long)f->size);
	if (size < f->size)
		return six_fail(err, SIX_ERR_CONTENT, "member '%s' has %llu bytes, the manifest says %llu",
				shown, (unsigned long long)size, (unsigned long long)f->size);
	return 0;
}

/* Copy the member's data into fd, counting as it goes: past the declared size it stops
 * at once (a decompression bomb never gets further than its claim). */
static int copy_member(struct archive *a, int fd, const struct six_manifest_file *f,
		       struct six_sha256 *h, struct six_err *err)
{
	uint64_t got = 0, flushed = 0;
	for (;;) {
		const void *p;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &p, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return archive_fail(a, SIX_ERR_CONTENT, f->path, err);
		if (off < 0 || (uint64_t)off != got) /* a hole: only sparse files have them */
			return six_fail(err, SIX_ERR_UNSAFE, "member '%.180s' has holes", f->path);
		if (n > f->size - got)
			return six_fail(err, SIX_ERR_LIMIT, "member '%.180s' passes its declared size",
					f->path);
		six_sha256_update(h, p, n);
		if (six_write_all(fd, p, n) < 0)
			return errno == EFBIG ? six_fail(err, SIX_ERR_LIMIT, "file size limit")
					      : six_fail_errno(err, SIX_ERR_IO, "write %.180s", f->path);
		got += n;
		/* start the write-back now, so the parent's syncfs before delivery finds
		 * little left to wait for (a hint: its failure changes nothing) */
		if (got - flushed >= FLUSH_EVERY) {
			sync_file_range(fd, (off_t)flushed, (off_t)(got - flushed), SYNC_FILE_RANGE_WRITE);
			flushed = got;
		}
	}
	if (got != f->size)
		return six_fail(err, SIX_ERR_CONTENT, "member '%.180s' is truncated", f->path);
	return 0;
}

static int extract_member(struct archive *a, int payload_fd, const struct six_manifest_file *f,
			  struct six_err *err)
{
	int dfd;
	const char *last;
	int rc = six_mkparents_at(payload_fd, f->path, &dfd, &last, err);
	if (rc < 0) /* e.g. "a" is a file and "a/b" follows: the tree cannot be built */
		return rc == SIX_ERR_IO ? rc : (err->code = SIX_ERR_UNSAFE);
	/* O_EXCL|O_NOFOLLOW relative to the staging directory: nothing pre-existing, no
	 * link, can be written through; the mode is ours, never the archive's */
	int fd = openat(dfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	close(dfd);
	if (fd < 0)
		return six_fail_errno(err, errno == EEXIST ? SIX_ERR_UNSAFE : SIX_ERR_IO,
				      "cannot create '%.180s'", f->path);
	struct six_sha256 h;
	rc = six_sha256_init(&h, err);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	rc = copy_member(a, fd, f, &h, err);
	close(fd);
	if (rc < 0) {
		six_sha256_abort(&h);
		return rc;
	}
	char hex[SIX_SHA256_HEX + 1];
	six_sha256_final_hex(&h, hex);
	if (strcmp(hex, f->sha256) != 0)
		return six_fail(err, SIX_ERR_CONTENT, "SHA-256 of '%.180s' differs from the manifest",
				f->path);
	return 0;
}

static int extract_all(struct archive *a, int payload_fd, const struct six_manifest *m,
		       struct six_err *err)
{
	struct archive_entry *e;
	for (size_t i = 0; i < m->n_files; i++) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return six_fail(err, SIX_ERR_CONTENT, "member '%.180s' is missing",
					m->files[i].path);
		if (r != ARCHIVE_OK)
			return archive_fail(a, SIX_ERR_CONTENT, "archive", err);
		int rc = check_member(e, &m->files[i], err);
		if (rc == 0)
			rc = extract_member(a, payload_fd, &m->files[i], err);
		if (rc < 0)
			return rc;
	}
	int r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_OK) {
		char shown[200];
		printable(shown, sizeof shown, archive_entry_pathname(e));
		return six_fail(err, SIX_ERR_CONTENT, "extra member '%s'", shown);
	}
	return r == ARCHIVE_EOF ? 0 : archive_fail(a, SIX_ERR_CONTENT, "archive", err);
}

/* After the manifest: its largest file is the largest any write may make. */
static int parse_and_limit(const char *text, size_t len, const struct six_manifest_limits *lim,
			   struct six_manifest *m, struct six_err *err)
{
	int rc = six_manifest_parse(text, len, lim, m, err);
	if (rc < 0)
		return rc;
	uint64_t max = 0;
	for (size_t i = 0; i < m->n_files; i++)
		max = m->files[i].size > max ? m->files[i].size : max;
	if (limit(RLIMIT_FSIZE, (rlim_t)max) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot limit file sizes");
	return 0;
}

static int child_body(const struct reader_fds *f, const struct six_manifest_limits *lim,
		      struct six_err *err)
{
	struct archive *a = NULL;
	char *text = NULL;
	size_t len = 0;
	struct six_manifest m;
	memset(&m, 0, sizeof m);
	posix_fadvise(f->plain, 0, 0, POSIX_FADV_SEQUENTIAL);
	struct gunzip *g = NULL;
	int rc = sandbox_begin(f, err);
	if (rc == 0)
		rc = gunzip_new(f->plain, &g, err);
	if (rc == 0) {
		rc = sandbox_lock(err);
		if (rc == 0)
			rc = open_gunzip(g, &a, err); /* g is libarchive's from here */
		else
			gunzip_free(g);
	}
	if (rc == 0)
		rc = read_manifest(a, &text, &len, err);
	if (rc == 0) {
		uint8_t hdr[5] = {'M'}, go = 0;
		six_put_u32(hdr + 1, (uint32_t)len);
		if (six_write_all(f->out, hdr, sizeof hdr) < 0 || six_write_all(f->out, text, len) < 0 ||
		    six_read_full(f->in, &go, 1) != 1 || go != 'G')
			rc = six_fail(err, SIX_ERR_INTERNAL, "parent went away");
	}
	if (rc == 0)
		rc = parse_and_limit(text, len, lim, &m, err);
	if (rc == 0)
		rc = extract_all(a, f->payload, &m, err);
	if (rc == 0 && archive_read_close(a) != ARCHIVE_OK)
		rc = archive_fail(a, SIX_ERR_CONTENT, "after the archive", err);
	six_manifest_free(&m);
	free(text);
	if (a)
		archive_read_free(a);
	return rc;
}

static void child_main(const struct reader_fds *f, const struct six_manifest_limits *lim)
{
	struct six_err err = {0};
	if (child_body(f, lim, &err) < 0)
		send_error(f->out, &err);
	else
		six_write_all(f->out, "D", 1);
	_exit(0);
}

/* ---- parent ---- */

int unpack_reader_start(struct unpack_reader *r, int plain_fd, int payload_fd,
			const struct six_manifest_limits *lim, struct six_err *err)
{
	int down[2], up[2];
	r->pid = -1;
	r->to_child = r->from_child = -1;
	if (pipe2(down, O_CLOEXEC) < 0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "pipe");
	if (pipe2(up, O_CLOEXEC) < 0) {
		close(down[0]);
		close(down[1]);
		return six_fail_errno(err, SIX_ERR_INTERNAL, "pipe");
	}
	r->pid = fork();
	if (r->pid == 0) {
		close(down[1]);
		close(up[0]);
		struct reader_fds f = {plain_fd, payload_fd, down[0], up[1]};
		child_main(&f, lim);
	}
	close(down[0]);
	close(up[1]);
	r->to_child = down[1];
	r->from_child = up[0];
	if (r->pid < 0) {
		unpack_reader_stop(r);
		return six_fail_errno(err, SIX_ERR_INTERNAL, "fork");
	}
	return 0;
}

/* The child stopped talking: say how it ended. */
static int reader_died(struct unpack_reader *r, struct six_err *err)
{
	int st = 0;
	pid_t pid = r->pid;
	r->pid = -1;
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st))
		return WTERMSIG(st) == SIGSYS
			       ? six_fail(err, SIX_ERR_UNSAFE, "archive reader made a forbidden system call")
			       : six_fail(err, SIX_ERR_LIMIT, "archive reader stopped by signal %d",
					  WTERMSIG(st));
	return six_fail(err, SIX_ERR_INTERNAL, "archive reader ended unexpectedly");
}

/* An 'E' record: only refusal and operational codes are believed. */
static int read_error(struct unpack_reader *r, struct six_err *err)
{
	uint8_t hdr[6];
	if (six_read_full(r->from_child, hdr, sizeof hdr) != sizeof hdr)
		return reader_died(r, err);
	struct six_buf b;
	uint32_t code;
	uint16_t n;
	six_buf_init(&b, hdr, sizeof hdr);
	six_buf_get_u32(&b, &code);
	six_buf_get_u16(&b, &n);
	char msg[sizeof err->msg];
	if (n >= sizeof msg || six_read_full(r->from_child, msg, n) != n)
		return reader_died(r, err);
	msg[n] = '\0';
	int c = (int)code;
	if (!((c <= SIX_ERR_DECRYPT && c >= SIX_ERR_LIMIT) || c == SIX_ERR_IO ||
	      c == SIX_ERR_INTERNAL))
		c = SIX_ERR_INTERNAL;
	return six_fail(err, c, "%s", msg);
}

int unpack_reader_manifest(struct unpack_reader *r, char **text, size_t *len,
			   struct six_err *err)
{
	uint8_t type;
	if (six_read_full(r->from_child, &type, 1) != 1)
		return reader_died(r, err);
	if (type == 'E')
		return read_error(r, err);
	uint8_t lb[4];
	if (type != 'M' || six_read_full(r->from_child, lb, 4) != 4)
		return reader_died(r, err);
	struct six_buf b;
	uint32_t n;
	six_buf_init(&b, lb, 4);
	six_buf_get_u32(&b, &n);
	if (n > SIX_MANIFEST_MAX)
		return six_fail(err, SIX_ERR_INTERNAL, "archive reader sent %u bytes", n);
	char *p = malloc((size_t)n + 1);
	if (!p)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	if (six_read_full(r->from_child, p, n) != (ssize_t)n) {
		free(p);
		return reader_died(r, err);
	}
	p[n] = '\0';
	*text = p;
	*len = n;
	return 0;
}

int unpack_reader_extract(struct unpack_reader *r, struct six_err *err)
{
	uint8_t type;
	if (six_write_all(r->to_child, "G", 1) < 0 || six_read_full(r->from_child, &type, 1) != 1)
		return reader_died(r, err);
	if (type == 'E')
		return read_error(r, err);
	return type == 'D' ? 0 : reader_died(r, err);
}

void unpack_reader_stop(struct unpack_reader *r)
{
	if (r->to_child >= 0)
		close(r->to_child);
	if (r->from_child >= 0)
		close(r->from_child);
	r->to_child = r->from_child = -1;
	if (r->pid > 0) {
		/* still ours (unreaped), so the pid cannot have been reused */
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	r->pid = -1;
}
