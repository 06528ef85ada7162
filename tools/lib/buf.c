#include "buf.h"

#include <string.h>

void six_buf_init(struct six_buf *b, const void *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->off = 0;
}

size_t six_buf_left(const struct six_buf *b) { return b->len - b->off; }

int six_buf_get_bytes(struct six_buf *b, const uint8_t **p, size_t n)
{
	if (n > six_buf_left(b))
		return -1;
	*p = b->p + b->off;
	b->off += n;
	return 0;
}

static int get_be(struct six_buf *b, size_t n, uint64_t *v)
{
	const uint8_t *p;
	if (six_buf_get_bytes(b, &p, n) < 0)
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++)
		x = (x << 8) | p[i];
	*v = x;
	return 0;
}

int six_buf_get_u8(struct six_buf *b, uint8_t *v)
{
	uint64_t x;
	if (get_be(b, 1, &x) < 0)
		return -1;
	*v = (uint8_t)x;
	return 0;
}

int six_buf_get_u16(struct six_buf *b, uint16_t *v)
{
	uint64_t x;
	if (get_be(b, 2, &x) < 0)
		return -1;
	*v = (uint16_t)x;
	return 0;
}

int six_buf_get_u32(struct six_buf *b, uint32_t *v)
{
	uint64_t x;
	if (get_be(b, 4, &x) < 0)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int six_buf_get_u64(struct six_buf *b, uint64_t *v) { return get_be(b, 8, v); }

int six_buf_get_line(struct six_buf *b, const char **line, size_t *len)
{
	/* an empty buffer may have p == NULL: memchr(NULL, ...) is undefined even for 0 */
	if (six_buf_left(b) == 0)
		return -1;
	const uint8_t *start = b->p + b->off;
	const uint8_t *nl = memchr(start, '\n', six_buf_left(b));
	if (!nl)
		return -1;
	*line = (const char *)start;
	*len = (size_t)(nl - start);
	b->off += *len + 1;
	return 0;
}

void six_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void six_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void six_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}
