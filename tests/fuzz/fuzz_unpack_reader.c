/* libFuzzer harness for six-unpack's archive reader (tools/unpack/reader.c): the
 * code that parses the gzip'd pax stream and extracts members against the manifest.
 * Input: a bundle's plaintext (seeds: tests/hostile/bundles/seeds/, made by
 * tests/hostile/bundles/mkbundle.py). Run in-process, without the sandboxing child.
 * Invariant besides "no crash": when the reader accepts, the staged tree holds exactly
 * the manifest's files, regular, single-link, of their declared sizes, and nothing
 * else (what the parent's audit walk checks). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/unpack/reader.c"
#include "../../tools/unpack/seccomp.c"
#include "../../tools/unpack/stage.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every accepted file is there with its declared size. */
static void check_files(int payload, const struct six_manifest *m)
{
	for (size_t i = 0; i < m->n_files; i++) {
		struct stat st;
		if (fstatat(payload, m->files[i].path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || (uint64_t)st.st_size != m->files[i].size)
			abort();
	}
}

/* Both steps of the reader at once, without the child's sandbox between them. */
static int open_archive(int plain_fd, struct archive **out, struct six_err *err)
{
	struct gunzip *g;
	int rc = gunzip_new(plain_fd, &g, err);
	return rc < 0 ? rc : open_gunzip(g, out, err);
}

static void run(int plain, int payload)
{
	const struct six_manifest_limits lim = {100, 1u << 20, 4u << 20};
	struct archive *a = NULL;
	char *text = NULL;
	size_t len;
	struct six_manifest m;
	struct six_err e;
	memset(&m, 0, sizeof m);
	if (open_archive(plain, &a, &e) == 0 && read_manifest(a, &text, &len, &e) == 0 &&
	    six_manifest_parse(text, len, &lim, &m, &e) == 0 &&
	    extract_all(a, payload, &m, &e) == 0) {
		check_files(payload, &m);
		uint64_t files = 0;
		int walk = dup(payload);
		if (unpack_stage_audit_tree(walk, &files, &e) < 0 || files != m.n_files)
			abort();
	}
	six_manifest_free(&m);
	free(text);
	if (a)
		archive_read_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/six-fuzz-reader.XXXXXX";
	int plain = memfd_create("plain", MFD_CLOEXEC);
	if (plain < 0 || six_write_all(plain, data, size) < 0 || lseek(plain, 0, SEEK_SET) < 0 ||
	    !mkdtemp(dir))
		abort();
	int root = open(dir, O_RDONLY | O_DIRECTORY);
	if (root < 0 || mkdirat(root, "payload", 0700) < 0)
		abort();
	int payload = openat(root, "payload", O_RDONLY | O_DIRECTORY);
	run(plain, payload);
	close(payload);
	unpack_rmtree_at(root, "payload");
	close(root);
	rmdir(dir);
	close(plain);
	return 0;
}
