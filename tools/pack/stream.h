/* The plaintext of a bundle (formats/bundle.md, "Archive layer"): a pax tar made by
 * libarchive, SIX-MANIFEST first and then payload/<path> for each file in manifest
 * order, compressed into one gzip member by ISA-L igzip level 1, written to an fd
 * (the pipe gpg reads). Each file is hashed again as it is archived. */
#ifndef SIX_PACK_STREAM_H
#define SIX_PACK_STREAM_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "inputs.h"
#include "progress.h"

struct pack_stream {
	struct pack_inputs *in;
	const char *manifest;
	size_t manifest_len;
	time_t mtime; /* every member's mtime: the bundle's Created (receivers ignore it) */
	int fd;
	struct six_progress *prog;
};

/* Write the whole compressed archive to s->fd. SIX_ERR_INPUT if a file changed since
 * pass 1, SIX_ERR_IO if the fd failed (gpg died), SIX_ERR_INTERNAL for libraries. */
int pack_stream_write(const struct pack_stream *s, struct six_err *err);

#endif
