/* A bounded reader for hostile bytes (after OpenSSH's sshbuf): every get checks the
 * remaining length first, without integer overflow, and fails cleanly at the end.
 * Multi-byte integers are big-endian, unpacked field by field. */
#ifndef SIX_BUF_H
#define SIX_BUF_H

#include <stddef.h>
#include <stdint.h>

struct six_buf {
	const uint8_t *p;
	size_t len;
	size_t off;
};

void six_buf_init(struct six_buf *b, const void *p, size_t len);
size_t six_buf_left(const struct six_buf *b);
/* Each returns 0, or -1 (and consumes nothing) if too few bytes remain. */
int six_buf_get_u8(struct six_buf *b, uint8_t *v);
int six_buf_get_u16(struct six_buf *b, uint16_t *v);
int six_buf_get_u32(struct six_buf *b, uint32_t *v);
int six_buf_get_u64(struct six_buf *b, uint64_t *v);
/* Points *p at the next n bytes (no copy). */
int six_buf_get_bytes(struct six_buf *b, const uint8_t **p, size_t n);
/* Next line without its '\n'; a final line without '\n' is an error (-1). */
int six_buf_get_line(struct six_buf *b, const char **line, size_t *len);

/* Writers for fixed-size output buffers: store big-endian at p. */
void six_put_u16(uint8_t *p, uint16_t v);
void six_put_u32(uint8_t *p, uint32_t v);
void six_put_u64(uint8_t *p, uint64_t v);

#endif
