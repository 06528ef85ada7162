#include "stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "hash.h"
#include "hasher.h"
#include "six_limits.h"

#define GZ_OUT_BUF (1u << 18)	/* compressed bytes per write into the pipe */
#define READ_BUF (1u << 20)	/* file bytes per read: large, so hashing runs at speed */

/* igzip level 1: several times faster than zlib, standard gzip out; on data that does
 * not compress (PDF, DOCX, ZIP) it emits stored blocks at over 1 GB/s, so such
 * documents cost almost nothing here and gpg sets the pace. */
struct gz {
	struct isal_zstream z;
	uint8_t *level_buf;
	uint8_t *out;
	int fd;
	int errnum;
};

static int gz_init(struct gz *g, int fd)
{
	memset(g, 0, sizeof *g);
	g->fd = fd;
	g->level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
	g->out = malloc(GZ_OUT_BUF);
	if (!g->level_buf || !g->out)
		return -1;
	isal_deflate_init(&g->z);
	g->z.level = 1;
	g->z.level_buf = g->level_buf;
	g->z.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	g->z.gzip_flag = IGZIP_GZIP;
	g->z.flush = NO_FLUSH;
	return 0;
}

static void gz_free(struct gz *g)
{
	free(g->level_buf);
	free(g->out);
}

/* Compress p[0..n) (and with end, finish the member); -1 and g->errnum on failure. */
static int gz_push(struct gz *g, const void *p, size_t n, int end)
{
	g->z.next_in = (uint8_t *)(uintptr_t)p;
	g->z.avail_in = (uint32_t)n;
	g->z.end_of_stream = (uint16_t)end;
	for (;;) {
		g->z.next_out = g->out;
		g->z.avail_out = GZ_OUT_BUF;
		if (isal_deflate(&g->z) != COMP_OK) {
			g->errnum = EINVAL;
			return -1;
		}
		size_t got = GZ_OUT_BUF - g->z.avail_out;
		if (got && six_write_all(g->fd, g->out, got) < 0) {
			g->errnum = errno;
			return -1;
		}
		if (end ? g->z.internal_state.state == ZSTATE_END
			: g->z.avail_in == 0 && g->z.avail_out != 0)
			return 0;
	}
}

static la_ssize_t ar_write(struct archive *a, void *hook, const void *buf, size_t n)
{
	struct gz *g = hook;
	/* isal takes 32-bit lengths: feed large writes in pieces */
	for (size_t off = 0; off < n;) {
		size_t piece = n - off > (1u << 30) ? 1u << 30 : n - off;
		if (gz_push(g, (const char *)buf + off, piece, 0) < 0) {
			archive_set_error(a, g->errnum, "%s", strerror(g->errnum));
			return -1;
		}
		off += piece;
	}
	return (la_ssize_t)n;
}

static int ar_fail(struct archive *a, const struct gz *g, const char *what, struct six_err *err)
{
	if (g->errnum == EPIPE)
		return six_fail(err, SIX_ERR_IO, "gpg stopped reading");
	if (g->errnum)
		return six_fail(err, SIX_ERR_IO, "%s: %s", what, strerror(g->errnum));
	return six_fail(err, SIX_ERR_INTERNAL, "%s: %s", what, archive_error_string(a));
}

/* One regular-file member: fixed mode, no owner names; receivers ignore them anyway. */
static int put_header(struct archive *a, const struct gz *g, const char *name, uint64_t size,
		      time_t mtime, struct six_err *err)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	archive_entry_set_pathname_utf8(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	/* ARCHIVE_WARN (a name it could not convert...) is a failure, not a detail */
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : ar_fail(a, g, name, err);
}

static int put_data(struct archive *a, const struct gz *g, const void *p, size_t n,
		    struct six_err *err)
{
	la_ssize_t w = archive_write_data(a, p, n);
	return w == (la_ssize_t)n ? 0 : ar_fail(a, g, "archive", err);
}

/* Archive one payload file, hashing what is read: the bytes sealed are the bytes
 * hashed, and they must be the bytes hashed in pass 1. Reads alternate between two
 * buffers: the helper hashes one while it is compressed here. */
static int put_file(struct archive *a, const struct gz *g, const struct pack_stream *s,
		    struct pack_file *f, uint8_t *bufs[2], struct six_hasher *hs,
		    struct six_err *err)
{
	char name[SIX_PATH_MAX + 16];
	snprintf(name, sizeof name, "payload/%s", f->path);
	int rc = pack_file_open(f, s->in->follow, err);
	if (rc == 0)
		rc = put_header(a, g, name, f->size, s->mtime, err);
	struct six_sha256 h;
	if (rc < 0 || (rc = six_sha256_init(&h, err)) < 0)
		return rc;
	uint64_t got = 0;
	for (unsigned i = 0; got < f->size; i ^= 1) {
		size_t want = f->size - got < READ_BUF ? (size_t)(f->size - got) : READ_BUF;
		ssize_t n = six_read_full(f->fd, bufs[i], want);
		if (n <= 0) {
			if (n < 0)
				rc = six_fail_errno(err, SIX_ERR_IO, "cannot read %s", f->src);
			break;
		}
		six_hasher_post(hs, &h, bufs[i], (size_t)n);
		if ((rc = put_data(a, g, bufs[i], (size_t)n, err)) < 0)
			break;
		got += (uint64_t)n;
		six_progress_add(s->prog, (uint64_t)n);
	}
	six_hasher_wait(hs);
	char hex[SIX_SHA256_HEX + 1];
	six_sha256_final_hex(&h, hex);
	if (rc == 0)
		rc = pack_file_unchanged(f, got, hex, err);
	pack_file_close(f);
	return rc;
}

static int stream_write(const struct pack_stream *s, struct six_err *err);

static int put_all(struct archive *a, const struct gz *g, const struct pack_stream *s,
		   struct six_err *err)
{
	uint8_t *bufs[2] = {malloc(READ_BUF), malloc(READ_BUF)};
	struct six_hasher hs;
	int rc = !bufs[0] || !bufs[1] ? six_fail(err, SIX_ERR_INTERNAL, "out of memory")
				      : six_hasher_start(&hs, err);
	if (rc < 0) {
		free(bufs[0]);
		free(bufs[1]);
		return rc;
	}
	rc = put_header(a, g, "SIX-MANIFEST", s->manifest_len, s->mtime, err);
	if (rc == 0)
		rc = put_data(a, g, s->manifest, s->manifest_len, err);
	for (size_t i = 0; rc == 0 && i < s->in->n; i++)
		rc = put_file(a, g, s, &s->in->v[i], bufs, &hs, err);
	six_hasher_stop(&hs);
	free(bufs[0]);
	free(bufs[1]);
	return rc;
}

int pack_stream_write(const struct pack_stream *s, struct six_err *err)
{
	/* Payload names are UTF-8 whatever the sender's locale: libarchive converts names
	 * through the thread's locale, and in "C" it cannot (it even crashes), so this
	 * thread works in C.UTF-8. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8 == (locale_t)0)
		return six_fail_errno(err, SIX_ERR_INTERNAL, "no C.UTF-8 locale");
	locale_t old = uselocale(utf8);
	int rc = stream_write(s, err);
	uselocale(old);
	freelocale(utf8);
	return rc;
}

static int stream_write(const struct pack_stream *s, struct six_err *err)
{
	struct gz g;
	struct archive *a = gz_init(&g, s->fd) == 0 ? archive_write_new() : NULL;
	if (!a) {
		gz_free(&g); /* gz_init zeroed it first: freeing is safe either way */
		return six_fail(err, SIX_ERR_INTERNAL, "out of memory");
	}
	/* pax restricted: plain ustar headers, plus a pax 'path' record only where a
	 * name needs it (long, or not ASCII); bytes_per_block 0: no re-blocking copy */
	int rc = 0;
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open2(a, &g, NULL, ar_write, NULL, NULL) != ARCHIVE_OK)
		rc = ar_fail(a, &g, "archive", err);
	if (rc == 0)
		rc = put_all(a, &g, s, err);
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = ar_fail(a, &g, "archive", err);
	if (rc == 0 && gz_push(&g, NULL, 0, 1) < 0)
		rc = ar_fail(a, &g, "gzip", err);
	archive_write_free(a);
	gz_free(&g);
	return rc;
}
