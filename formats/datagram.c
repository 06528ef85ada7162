/* The six-xferd diode datagram: pack and parse (formats/diode.md). Pure code. */
#include "datagram.h"

#include <isa-l/crc.h>
#include <string.h>

#include "buf.h"
#include "path.h"

/* Standard CRC-32C (Castagnoli, as iSCSI and ext4 use it): ISA-L computes it without
 * the final inversion. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	return ~crc32_iscsi((unsigned char *)p, (int)n, 0xFFFFFFFFu);
}

uint64_t six_dgram_nsym(uint64_t size, uint16_t sym)
{
	return sym ? (size + sym - 1) / sym : 0;
}

uint64_t six_dgram_ngroups(uint64_t size, uint16_t sym, uint16_t k)
{
	return k ? (six_dgram_nsym(size, sym) + k - 1) / k : 0;
}

uint16_t six_dgram_group_k(uint64_t size, uint16_t sym, uint16_t k, uint32_t g)
{
	uint64_t left = six_dgram_nsym(size, sym) - (uint64_t)g * k;
	return (uint16_t)(left < k ? left : k);
}

/* The file geometry shared by META, DATA and PARITY. */
static int check_geometry(const struct six_dgram *d)
{
	if (d->file == 0 || d->size > SIX_DGRAM_FILE_MAX || d->sym < SIX_DGRAM_SYM_MIN ||
	    d->sym > SIX_DGRAM_SYM_MAX || d->k < 1 || d->k > SIX_DGRAM_K_MAX ||
	    d->m > SIX_DGRAM_M_MAX)
		return SIX_DGR_RANGE;
	if (six_dgram_ngroups(d->size, d->sym, d->k) > SIX_DGRAM_GROUPS_MAX)
		return SIX_DGR_RANGE;
	return 0;
}

static int check_symbol(const struct six_dgram *d)
{
	int rc = check_geometry(d);
	if (rc)
		return rc;
	/* A symbol past the end of the file would make the receiver write outside it. */
	if (d->group >= six_dgram_ngroups(d->size, d->sym, d->k))
		return SIX_DGR_RANGE;
	uint16_t limit = d->type == SIX_DG_DATA
				 ? six_dgram_group_k(d->size, d->sym, d->k, d->group)
				 : d->m;
	if (d->index >= limit || !d->payload || d->paylen != d->sym)
		return SIX_DGR_RANGE;
	return 0;
}

static int check_name(const uint8_t *p, uint32_t n)
{
	char name[SIX_DGRAM_NAME_MAX + 1];
	if (!p || n == 0 || n > SIX_DGRAM_NAME_MAX || memchr(p, 0, n))
		return SIX_DGR_NAME;
	memcpy(name, p, n);
	name[n] = 0;
	/* The name becomes a file in the inbox spool: no '/', no leading '.', no
	 * control characters, valid UTF-8 (path.h). */
	return six_name_check(name, NULL) < 0 ? SIX_DGR_NAME : 0;
}

int six_dgram_check(const struct six_dgram *d)
{
	if (d->session == 0)
		return SIX_DGR_RANGE;
	switch (d->type) {
	case SIX_DG_META: {
		int rc = check_geometry(d);
		return rc ? rc : check_name(d->payload, d->paylen);
	}
	case SIX_DG_DATA:
	case SIX_DG_PARITY:
		return check_symbol(d);
	case SIX_DG_HEARTBEAT:
		if (d->current > d->announced || d->done > d->announced || d->pass > d->passes)
			return SIX_DGR_RANGE;
		return 0;
	case SIX_DG_END:
		/* After the last pass of a batch, every file of it is done. */
		if (d->pass == 0 || d->pass > d->passes || d->first == 0 ||
		    d->first > d->last || d->done > d->last ||
		    (d->pass == d->passes && d->done != d->last))
			return SIX_DGR_RANGE;
		return 0;
	default:
		return SIX_DGR_TYPE;
	}
}

size_t six_dgram_size(const struct six_dgram *d)
{
	size_t body;
	switch (d->type) {
	case SIX_DG_META: body = 52 + d->paylen; break;
	case SIX_DG_DATA:
	case SIX_DG_PARITY: body = SIX_DGRAM_SYM_BODY + d->paylen; break;
	case SIX_DG_HEARTBEAT: body = 24; break;
	case SIX_DG_END: body = 16; break;
	default: return 0;
	}
	return SIX_DGRAM_HDR + body + SIX_DGRAM_TRAILER;
}

static uint8_t *put_geometry(uint8_t *q, const struct six_dgram *d)
{
	six_put_u32(q, d->file);
	six_put_u64(q + 4, d->size);
	six_put_u16(q + 12, d->sym);
	six_put_u16(q + 14, d->k);
	six_put_u16(q + 16, d->m);
	return q + 18;
}

size_t six_dgram_pack(const struct six_dgram *d, uint8_t *out, size_t cap)
{
	size_t len = six_dgram_size(d);
	if (len == 0 || len > cap || len > SIX_DGRAM_MAX || six_dgram_check(d) != 0)
		return 0;
	uint8_t *q = out;
	six_put_u32(q, SIX_DGRAM_MAGIC);
	q[4] = SIX_DGRAM_VERSION;
	q[5] = d->type;
	six_put_u16(q + 6, 0);
	six_put_u64(q + 8, d->session);
	q += SIX_DGRAM_HDR;
	switch (d->type) {
	case SIX_DG_META:
		q = put_geometry(q, d);
		memcpy(q, d->sha256, 32);
		six_put_u16(q + 32, (uint16_t)d->paylen);
		memcpy(q + 34, d->payload, d->paylen);
		break;
	case SIX_DG_DATA:
	case SIX_DG_PARITY:
		q = put_geometry(q, d);
		six_put_u32(q, d->group);
		six_put_u16(q + 4, d->index);
		memcpy(q + 6, d->payload, d->paylen);
		break;
	case SIX_DG_HEARTBEAT:
		six_put_u32(q, d->announced);
		six_put_u32(q + 4, d->current);
		six_put_u32(q + 8, d->done);
		six_put_u16(q + 12, d->pass);
		six_put_u16(q + 14, d->passes);
		six_put_u64(q + 16, d->sent);
		break;
	default: /* SIX_DG_END */
		six_put_u16(q, d->pass);
		six_put_u16(q + 2, d->passes);
		six_put_u32(q + 4, d->first);
		six_put_u32(q + 8, d->last);
		six_put_u32(q + 12, d->done);
		break;
	}
	six_put_u32(out + len - SIX_DGRAM_TRAILER, crc32c(out, len - SIX_DGRAM_TRAILER));
	return len;
}

static int get_geometry(struct six_buf *b, struct six_dgram *d)
{
	if (six_buf_get_u32(b, &d->file) < 0 || six_buf_get_u64(b, &d->size) < 0 ||
	    six_buf_get_u16(b, &d->sym) < 0 || six_buf_get_u16(b, &d->k) < 0 ||
	    six_buf_get_u16(b, &d->m) < 0)
		return SIX_DGR_LENGTH;
	return 0;
}

static int get_meta(struct six_buf *b, struct six_dgram *d)
{
	const uint8_t *sha;
	uint16_t n;
	if (get_geometry(b, d) || six_buf_get_bytes(b, &sha, 32) < 0 ||
	    six_buf_get_u16(b, &n) < 0 || six_buf_get_bytes(b, &d->payload, n) < 0)
		return SIX_DGR_LENGTH;
	memcpy(d->sha256, sha, 32);
	d->paylen = n;
	return 0;
}

static int get_symbol(struct six_buf *b, struct six_dgram *d)
{
	if (get_geometry(b, d) || six_buf_get_u32(b, &d->group) < 0 ||
	    six_buf_get_u16(b, &d->index) < 0)
		return SIX_DGR_LENGTH;
	/* The symbol is the rest of the datagram; its size must equal the declared one. */
	d->paylen = (uint32_t)six_buf_left(b);
	if (six_buf_get_bytes(b, &d->payload, d->paylen) < 0)
		return SIX_DGR_LENGTH;
	return 0;
}

static int get_counters(struct six_buf *b, struct six_dgram *d)
{
	if (d->type == SIX_DG_HEARTBEAT)
		return six_buf_get_u32(b, &d->announced) < 0 ||
			       six_buf_get_u32(b, &d->current) < 0 ||
			       six_buf_get_u32(b, &d->done) < 0 ||
			       six_buf_get_u16(b, &d->pass) < 0 ||
			       six_buf_get_u16(b, &d->passes) < 0 ||
			       six_buf_get_u64(b, &d->sent) < 0
			   ? SIX_DGR_LENGTH
			   : 0;
	return six_buf_get_u16(b, &d->pass) < 0 || six_buf_get_u16(b, &d->passes) < 0 ||
		       six_buf_get_u32(b, &d->first) < 0 || six_buf_get_u32(b, &d->last) < 0 ||
		       six_buf_get_u32(b, &d->done) < 0
		   ? SIX_DGR_LENGTH
		   : 0;
}

int six_dgram_parse(const uint8_t *p, size_t len, struct six_dgram *d)
{
	memset(d, 0, sizeof *d);
	if (len < SIX_DGRAM_HDR + SIX_DGRAM_TRAILER)
		return SIX_DGR_SHORT;
	if (len > SIX_DGRAM_MAX)
		return SIX_DGR_LENGTH;
	struct six_buf b;
	six_buf_init(&b, p, len - SIX_DGRAM_TRAILER);
	uint32_t magic;
	uint8_t version;
	uint16_t flags;
	six_buf_get_u32(&b, &magic);
	if (magic != SIX_DGRAM_MAGIC)
		return SIX_DGR_MAGIC;
	six_buf_get_u8(&b, &version);
	if (version != SIX_DGRAM_VERSION)
		return SIX_DGR_VERSION;
	struct six_buf t;
	uint32_t crc;
	six_buf_init(&t, p + len - SIX_DGRAM_TRAILER, SIX_DGRAM_TRAILER);
	six_buf_get_u32(&t, &crc);
	if (crc != crc32c(p, len - SIX_DGRAM_TRAILER))
		return SIX_DGR_CRC;
	six_buf_get_u8(&b, &d->type);
	six_buf_get_u16(&b, &flags);
	six_buf_get_u64(&b, &d->session);
	if (flags != 0)
		return SIX_DGR_TYPE;
	int rc;
	switch (d->type) {
	case SIX_DG_META: rc = get_meta(&b, d); break;
	case SIX_DG_DATA:
	case SIX_DG_PARITY: rc = get_symbol(&b, d); break;
	case SIX_DG_HEARTBEAT:
	case SIX_DG_END: rc = get_counters(&b, d); break;
	default: return SIX_DGR_TYPE;
	}
	if (rc == 0 && six_buf_left(&b) != 0)
		rc = SIX_DGR_LENGTH;
	return rc ? rc : six_dgram_check(d);
}

const char *six_dgram_reject_word(int reason)
{
	static const char *const words[SIX_DGR_NREASONS] = {
		"none", "short", "magic", "version", "crc", "type", "length", "range", "name"};
	return reason > 0 && reason < SIX_DGR_NREASONS ? words[reason] : "unknown";
}
