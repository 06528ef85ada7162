/* formats/registry.c: the registry of authorised senders (formats/registry.md), its
 * decisions (may this sender send, this doc type), keyring/registry_store.c (load,
 * locked atomic change), and the hostile corpus in tests/hostile/registry/ (each
 * file named after the error class it must produce). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "home.h"
#include "registry.h"
#include "registry_store.h"
#include "unit_tmp.h"

#define FA "0123456789ABCDEF0123456789ABCDEF01234567"
#define FB "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define FC "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
#define HDR "six-registry 1\n"
#define REC_A FA "\tNLD\tactive\t2026-12-04T10:00:00Z\t2027-12-31T00:00:00Z\t-\t" \
		 "declaration,amendment\tJan de Vries <jan@example.nl>\n"
#define REC_B FB "\tOPCW\trevoked\t2026-01-02T03:04:05Z\tnever\t2026-06-01T12:00:00Z\t*\t" \
		 "Secretariat <ts@opcw.example>\n"
#define REC_C FC "\tDEU\tactive\t2026-02-02T00:00:00Z\tnever\t-\tletter\t" \
		 "J\xc3\xbcrgen M\xc3\xbcller <j@example.de>\n"

static int parse(const char *text, struct six_registry *r, struct six_err *e)
{
	return six_registry_parse(text, strlen(text), r, e);
}

static void test_good_and_round_trip(void **state)
{
	(void)state;
	static const char text[] = HDR REC_A REC_B REC_C;
	struct six_registry r;
	struct six_err e;
	assert_int_equal(parse(text, &r, &e), 0);
	assert_int_equal(r.n, 3);
	const struct six_reg_entry *a = six_registry_find(&r, FA);
	assert_non_null(a);
	assert_string_equal(a->party, "NLD");
	assert_string_equal(a->name, "Jan de Vries <jan@example.nl>");
	assert_int_equal(a->n_doc_types, 2);
	assert_string_equal(a->doc_types[1], "amendment");
	assert_int_equal(a->status, SIX_REG_ACTIVE);
	assert_int_equal(a->revoked, 0);
	assert_true(a->expires == 1830211200); /* 2027-12-31T00:00:00Z */
	const struct six_reg_entry *b = six_registry_find(&r, FB);
	assert_int_equal(b->status, SIX_REG_REVOKED);
	assert_int_equal(b->n_doc_types, 0);
	assert_int_equal(b->expires, 0);
	assert_null(six_registry_find(&r, "0000000000000000000000000000000000000000"));
	assert_null(six_registry_find(&r, "0123456789abcdef0123456789abcdef01234567"));
	char *out;
	size_t len;
	assert_int_equal(six_registry_emit(&r, &out, &len, &e), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(out, text, len);
	free(out);
	six_registry_free(&r);

	assert_int_equal(parse(HDR, &r, &e), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(six_registry_emit(&r, &out, &len, &e), 0);
	assert_int_equal(len, strlen(HDR));
	free(out);
	six_registry_free(&r);
}

/* Each line must fail with SIX_ERR_INPUT naming line 2 and the bad field. */
static void test_malformed_records(void **state)
{
	(void)state;
	static const struct {
		const char *rec, *what;
	} bad[] = {
		{"", "record"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*", "record"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX\textra", "record"},
		{"0123456789abcdef0123456789abcdef01234567\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "fingerprint"},
		{"0123456789ABCDEF0123456789ABCDEF0123456\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "fingerprint"},
		{"0123456789ABCDEF0123456789ABCDEF0123456G\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "fingerprint"},
		{FA "\tnld\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "party"},
		{FA "\tNLDX\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "party"},
		{FA "\t\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "party"},
		{FA "\tOPCWOPCWO\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "party"},
		{FA "\tNLD\tActive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "status"},
		{FA "\tNLD\texpired\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "status"},
		{FA "\tNLD\tactive\t2026-12-04 10:00:00Z\tnever\t-\t*\tX", "enrolment time"},
		{FA "\tNLD\tactive\t1970-01-01T00:00:00Z\tnever\t-\t*\tX", "enrolment time"},
		{FA "\tNLD\tactive\tnever\tnever\t-\t*\tX", "enrolment time"},
		{FA "\tNLD\tactive\t2026-12-04T23:59:60Z\tnever\t-\t*\tX", "enrolment time"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tNever\t-\t*\tX", "expiry"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\t2027-02-29T00:00:00Z\t-\t*\tX", "expiry"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\t\t-\t*\tX", "expiry"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t\t*\tX", "revocation time"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\tnever\t*\tX", "revocation time"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t\tX", "doc types"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\tletter,,report\tX", "doc types"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\tletter,\tX", "doc types"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t letter\tX", "doc types"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\tlet/ter\tX", "doc types"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*,letter\tX", "doc types"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\tletter,letter\tX", "record"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\t", "name"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX\x1b[31m", "name"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX\r", "name"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX\x7f", "name"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX\xc2\x9b", "name"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX\xff", "name"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX\xc3", "name"},
		/* status and revocation time must agree */
		{FA "\tNLD\trevoked\t2026-12-04T10:00:00Z\tnever\t-\t*\tX", "record"},
		{FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t2026-12-05T10:00:00Z\t*\tX", "record"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[1024];
		snprintf(text, sizeof text, HDR "%s\n", bad[i].rec);
		struct six_registry r;
		struct six_err e = {0};
		int rc = parse(text, &r, &e);
		char want[96];
		snprintf(want, sizeof want, "line 2: bad %s", bad[i].what);
		size_t wl = strlen(want);
		if (rc != SIX_ERR_INPUT || strncmp(e.msg, want, wl) != 0 ||
		    (e.msg[wl] != '\0' && e.msg[wl] != ' '))
			fail_msg("case %zu: rc %d msg '%s', want '%s'", i, rc, e.msg, want);
		assert_int_equal(r.n, 0);
		assert_null(r.entries);
	}
}

static void test_structure(void **state)
{
	(void)state;
	struct six_registry r;
	struct six_err e;
	assert_int_equal(parse("", &r, &e), SIX_ERR_INPUT);
	assert_string_equal(e.msg, "line 1: want header 'six-registry 1'");
	assert_int_equal(parse("six-registry 1", &r, &e), SIX_ERR_INPUT);
	assert_int_equal(parse("six-registry 2\n", &r, &e), SIX_ERR_INPUT);
	assert_int_equal(parse("six-registry 1 \n", &r, &e), SIX_ERR_INPUT);
	assert_int_equal(parse("six-registry 1\r\n", &r, &e), SIX_ERR_INPUT);
	assert_int_equal(parse("\xef\xbb\xbfsix-registry 1\n", &r, &e), SIX_ERR_INPUT);
	assert_int_equal(parse(HDR REC_A REC_B "\n", &r, &e), SIX_ERR_INPUT);
	assert_string_equal(e.msg, "line 4: bad record (want 8 tab-separated fields)");
	/* the last record without its newline: a torn write, refused */
	char text[1024];
	snprintf(text, sizeof text, "%s%s", HDR REC_A, REC_B);
	text[strlen(text) - 1] = '\0';
	assert_int_equal(parse(text, &r, &e), SIX_ERR_INPUT);
	assert_string_equal(e.msg, "line 3: no final newline");
	assert_int_equal(parse(HDR REC_A REC_B REC_A, &r, &e), SIX_ERR_INPUT);
	assert_string_equal(e.msg, "line 4: duplicate fingerprint");
	assert_int_equal(r.n, 0);
	/* a NUL inside a record is not text */
	static const char nul[] = HDR FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tA\0B\n";
	assert_int_equal(six_registry_parse(nul, sizeof nul - 1, &r, &e), SIX_ERR_INPUT);
	assert_string_equal(e.msg, "line 2: bad name");
}

static void test_limits(void **state)
{
	(void)state;
	struct six_registry r;
	struct six_err e;
	char *big = calloc(1, SIX_REGISTRY_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', SIX_REGISTRY_MAX + 1);
	assert_int_equal(six_registry_parse(big, SIX_REGISTRY_MAX + 1, &r, &e), SIX_ERR_LIMIT);
	free(big);

	/* one record more than the maximum */
	size_t n = SIX_REGISTRY_ENTRIES_MAX + 1, rec = 100;
	char *text = malloc(sizeof HDR + n * rec), *p = text;
	assert_non_null(text);
	p += sprintf(p, HDR);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%040zX\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\tX\n", i);
	assert_int_equal(six_registry_parse(text, (size_t)(p - text), &r, &e), SIX_ERR_LIMIT);
	assert_int_equal(r.n, 0);
	free(text);

	/* name and doc types at their maximum are fine; one more is not */
	char name[SIX_NAME_MAX + 2];
	memset(name, 'n', sizeof name);
	name[SIX_NAME_MAX] = '\0';
	char line[8192];
	snprintf(line, sizeof line, HDR FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\t%s\n",
		 name);
	assert_int_equal(parse(line, &r, &e), 0);
	six_registry_free(&r);
	name[SIX_NAME_MAX] = 'n';
	name[SIX_NAME_MAX + 1] = '\0';
	snprintf(line, sizeof line, HDR FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t*\t%s\n",
		 name);
	assert_int_equal(parse(line, &r, &e), SIX_ERR_INPUT);
	char types[4096] = "";
	for (int i = 0; i <= SIX_DOCTYPES_MAX; i++)
		snprintf(types + strlen(types), sizeof types - strlen(types), "%st%d", i ? "," : "", i);
	snprintf(line, sizeof line, HDR FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t%s\tX\n",
		 types);
	assert_int_equal(parse(line, &r, &e), SIX_ERR_INPUT);
	assert_string_equal(e.msg, "line 2: bad doc types");
	*strrchr(types, ',') = '\0';
	snprintf(line, sizeof line, HDR FA "\tNLD\tactive\t2026-12-04T10:00:00Z\tnever\t-\t%s\tX\n",
		 types);
	assert_int_equal(parse(line, &r, &e), 0);
	assert_int_equal(r.entries[0].n_doc_types, SIX_DOCTYPES_MAX);
	six_registry_free(&r);
}

static struct six_reg_entry entry(const char *fpr)
{
	struct six_reg_entry x;
	memset(&x, 0, sizeof x);
	snprintf(x.fpr, sizeof x.fpr, "%s", fpr);
	snprintf(x.party, sizeof x.party, "NLD");
	snprintf(x.name, sizeof x.name, "Someone <s@example.org>");
	x.enrolled = 1796400000;
	return x;
}

static void test_changes(void **state)
{
	(void)state;
	struct six_registry r;
	struct six_err e;
	six_registry_init(&r);
	struct six_reg_entry a = entry(FA);
	assert_int_equal(six_registry_add(&r, &a, &e), 0);
	assert_int_equal(six_registry_add(&r, &a, &e), SIX_ERR_EXISTS);
	struct six_reg_entry bad = entry("0123");
	assert_int_equal(six_registry_add(&r, &bad, &e), SIX_ERR_INPUT);
	bad = entry(FB);
	snprintf(bad.party, sizeof bad.party, "XX");
	assert_int_equal(six_registry_add(&r, &bad, &e), SIX_ERR_INPUT);
	bad = entry(FB);
	bad.name[3] = '\n';
	assert_int_equal(six_registry_add(&r, &bad, &e), SIX_ERR_INPUT);
	assert_int_equal(r.n, 1);
	assert_int_equal(six_registry_revoke(&r, FB, 1796500000, &e), SIX_ERR_NOKEY);
	assert_int_equal(six_registry_revoke(&r, FA, 1796500000, &e), 0);
	assert_int_equal(r.entries[0].status, SIX_REG_REVOKED);
	assert_int_equal(r.entries[0].revoked, 1796500000);
	assert_int_equal(six_registry_revoke(&r, FA, 1796600000, &e), SIX_ERR_EXISTS);
	assert_int_equal(r.entries[0].revoked, 1796500000);
	/* the emitter refuses what the parser would refuse */
	r.entries[0].party[0] = 'x';
	char *out = NULL;
	size_t len;
	assert_int_equal(six_registry_emit(&r, &out, &len, &e), SIX_ERR_INTERNAL);
	assert_null(out);
	six_registry_free(&r);
}

static void test_decisions(void **state)
{
	(void)state;
	struct six_err e;
	struct six_conf conf;
	six_conf_defaults(&conf);
	struct six_reg_entry a = entry(FA);
	time_t now = 1796400000;
	assert_int_equal(six_registry_check_sender(NULL, now, &e), SIX_ERR_SENDER);
	assert_string_equal(e.msg, "sender is not registered");
	assert_int_equal(six_registry_check_sender(&a, now, &e), 0);
	assert_string_equal(six_registry_state_name(six_registry_state(&a, now)), "active");
	a.expires = now + 1;
	assert_int_equal(six_registry_check_sender(&a, now, &e), 0);
	a.expires = now; /* the authorisation ends AT its expiry instant */
	assert_int_equal(six_registry_check_sender(&a, now, &e), SIX_ERR_SENDER);
	assert_non_null(strstr(e.msg, "expired"));
	assert_string_equal(six_registry_state_name(six_registry_state(&a, now)), "expired");
	a.expires = 0;
	a.status = SIX_REG_REVOKED;
	a.revoked = now - 10;
	assert_int_equal(six_registry_check_sender(&a, now, &e), SIX_ERR_SENDER);
	assert_non_null(strstr(e.msg, "revoked"));
	assert_int_equal(six_registry_state(&a, now), SIX_REG_REVOKED);

	struct six_reg_entry b = entry(FB); /* any configured doc type */
	assert_int_equal(six_registry_check_doc_type(&b, "declaration", &conf, &e), 0);
	assert_int_equal(six_registry_check_doc_type(&b, "poem", &conf, &e), SIX_ERR_BINDING);
	snprintf(b.doc_types[0], sizeof b.doc_types[0], "letter");
	snprintf(b.doc_types[1], sizeof b.doc_types[1], "poem");
	b.n_doc_types = 2;
	assert_int_equal(six_registry_check_doc_type(&b, "letter", &conf, &e), 0);
	assert_int_equal(six_registry_check_doc_type(&b, "report", &conf, &e), SIX_ERR_BINDING);
	assert_non_null(strstr(e.msg, "may not send"));
	/* listed for the sender but no longer configured: the home's list wins */
	assert_int_equal(six_registry_check_doc_type(&b, "poem", &conf, &e), SIX_ERR_BINDING);
	assert_non_null(strstr(e.msg, "not configured"));
}

static void test_store(void **state)
{
	(void)state;
	char dir[64];
	assert_int_equal(unit_tmpdir(dir), 0);
	int fd = six_open_dir(dir, NULL);
	assert_true(fd >= 0);
	assert_int_equal(mkdirat(fd, "state", 0700), 0);
	struct six_registry r;
	struct six_err e;
	/* no file yet: an empty registry, nobody may send */
	assert_int_equal(six_registry_load(fd, &r, &e), 0);
	assert_int_equal(r.n, 0);
	struct six_registry_txn t;
	assert_int_equal(six_registry_begin(fd, &t, &e), 0);
	/* the lock is held: a second writer cannot take it now */
	int state_fd = six_open_dir_at(fd, "state", &e);
	assert_int_equal(six_trylock_at(state_fd, SIX_REGISTRY_LOCK, &e), SIX_ERR_TEMP);
	struct six_reg_entry a = entry(FA);
	assert_int_equal(six_registry_add(&t.reg, &a, &e), 0);
	assert_int_equal(six_registry_commit(&t, &e), 0);
	six_registry_end(&t);
	int l = six_trylock_at(state_fd, SIX_REGISTRY_LOCK, &e);
	assert_true(l >= 0);
	close(l);
	close(state_fd);
	assert_int_equal(six_registry_load(fd, &r, &e), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.entries[0].fpr, FA);
	six_registry_free(&r);
	struct stat st;
	assert_int_equal(fstatat(fd, "registry", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* damaged: a configuration error naming the line, never an empty registry */
	assert_int_equal(six_replace_file_at(fd, "registry", "six-registry 1\nx\n", 17, 0600, &e), 0);
	assert_int_equal(six_registry_load(fd, &r, &e), SIX_ERR_CONFIG);
	assert_string_equal(e.msg, "registry: line 2: bad record (want 8 tab-separated fields)");
	assert_int_equal(six_registry_begin(fd, &t, &e), SIX_ERR_CONFIG);
	six_registry_end(&t);
	/* a link in its place is not followed */
	assert_int_equal(unlinkat(fd, "registry", 0), 0);
	assert_int_equal(symlinkat("/etc/passwd", fd, "registry"), 0);
	assert_int_equal(six_registry_load(fd, &r, &e), SIX_ERR_CONFIG);
	close(fd);
	unit_rmtree(dir);
}

/* Replay every file of tests/hostile/registry/: its name starts with the error class
 * ("bad-input", "limit"); "ok-" files must parse and emit back byte for byte. */
static void registry_case(const char *name, const char *text, size_t len, void *ctx)
{
	(void)ctx;
	struct six_err e;
	char *out = NULL;
	size_t olen;
	struct six_registry r;
	int rc = six_registry_parse(text, len, &r, &e);
	const char *want = rc == 0 ? "ok" : six_err_class(rc);
	if (strncmp(name, want, strlen(want)) != 0)
		fail_msg("%s: got %d (%s) %s", name, rc, want, rc ? e.msg : "");
	if (rc == 0) {
		assert_int_equal(six_registry_emit(&r, &out, &olen, &e), 0);
		assert_int_equal(olen, len);
		assert_memory_equal(out, text, len);
		free(out);
	}
	six_registry_free(&r);
}

static void test_hostile_corpus(void **state)
{
	(void)state;
	assert_true(unit_corpus_each("registry", SIX_REGISTRY_MAX + 16, registry_case, NULL) >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_and_round_trip),
		cmocka_unit_test(test_malformed_records),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_hostile_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
