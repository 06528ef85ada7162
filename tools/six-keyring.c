/* six-keyring: keys, and the registry of authorised senders (MANUAL.md chapter 2).
 * main parses options into one verb, rejects bad combinations, and dispatches. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "err.h"
#include "gpg.h"
#include "home.h"
#include "keys.h"
#include "registry.h"
#include "registry_store.h"
#include "util.h"

#define TOOL "six-keyring"

enum opt_bit {
	O_NAME = 1 << 0, O_EMAIL = 1 << 1, O_PASSFILE = 1 << 2, O_NOPASS = 1 << 3,
	O_ALGO = 1 << 4, O_PARTY = 1 << 5, O_DOCTYPES = 1 << 6, O_EXPIRES = 1 << 7,
	O_JSON = 1 << 8,
};

struct opts {
	const char *home, *name, *email, *passfile, *algo, *party, *doctypes, *expires;
	unsigned given;		/* enum opt_bit of every option on the command line */
	const char *arg;	/* the verb's one operand (FPR or FILE), if any */
};

static const char usage_text[] =
	"usage: six-keyring [--home DIR] init\n"
	"       six-keyring [--home DIR] generate --name N --email E [--algo ed25519|rsa4096]\n"
	"                   [--passphrase-file F | --no-passphrase]\n"
	"       six-keyring [--home DIR] export FPR\n"
	"       six-keyring [--home DIR] import FILE\n"
	"       six-keyring [--home DIR] enroll FILE --party CODE [--doc-types T,T]\n"
	"                   [--expires YYYY-MM-DD]\n"
	"       six-keyring [--home DIR] revoke FPR\n"
	"       six-keyring [--home DIR] list [--json]\n";

static void help(void)
{
	fputs(usage_text, stdout);
	fputs("\nKeys and the registry of authorised senders of a SIX home (MANUAL.md ch. 2).\n"
	      "  init      create the home: layout, hardened gnupg/gpg.conf, empty registry\n"
	      "  generate  new Ed25519 signing key + Curve25519 encryption subkey (or RSA);\n"
	      "            prints its fingerprint. Without a terminal and without\n"
	      "            --passphrase-file the key gets no passphrase (warned on stderr)\n"
	      "  export    armored public key on stdout\n"
	      "  import    import one public key (a recipient's); prints its fingerprint\n"
	      "  enroll    import a sender's public key and authorise it; prints its fingerprint\n"
	      "  revoke    withdraw a sender's authorisation (the record stays, marked revoked)\n"
	      "  list      the registry as a table, or a JSON array with --json\n"
	      "The home is --home DIR, else $SIX_HOME, else ~/.six.\n"
	      "\nexample:\n"
	      "  six-keyring --home /srv/six enroll nld-jan.asc --party NLD \\\n"
	      "      --doc-types declaration,amendment --expires 2027-12-31\n"
	      "\nexit: 0 ok, 64 usage, 65 bad input, 66 missing file, 67 unknown key,\n"
	      "      68 already there, 69 key unusable, 78 home not initialised\n",
	      stdout);
	exit(0);
}

/* ---- helpers for the verbs (main's thin wrappers: they may print and exit) ---- */

static void home_path(const struct opts *o, char path[SIX_HOME_PATH_MAX])
{
	struct six_err e;
	if (six_home_resolve(o->home, path, &e) < 0)
		six_die(TOOL, &e);
}

static void open_home(const struct opts *o, struct six_home *h)
{
	char path[SIX_HOME_PATH_MAX];
	struct six_err e;
	home_path(o, path);
	if (six_home_open(path, h, &e) < 0)
		six_die(TOOL, &e);
}

static void fpr_arg(const char *s, char fpr[SIX_FPR_HEX + 1])
{
	struct six_err e;
	if (six_fpr_normalise(s, fpr, &e) < 0)
		six_die(TOOL, &e);
}

static void check(int rc, const struct six_err *e)
{
	if (rc < 0)
		six_die(TOOL, e);
}

/* ---- verbs ---- */

static int cmd_init(const struct opts *o)
{
	char path[SIX_HOME_PATH_MAX];
	struct six_err e;
	int created;
	home_path(o, path);
	check(six_keys_init_home(path, &created, &e), &e);
	printf(created ? "initialised %s\n" : "%s is already initialised: nothing changed\n",
	       path);
	return 0;
}

static int cmd_generate(const struct opts *o)
{
	struct six_home h;
	struct six_err e;
	struct six_keygen g = {.name = o->name, .email = o->email,
			       .passphrase_file = o->passfile,
			       .no_passphrase = (o->given & O_NOPASS) != 0};
	if (o->algo && strcmp(o->algo, "rsa4096") == 0)
		g.algo = SIX_ALGO_RSA4096;
	else if (o->algo && strcmp(o->algo, "ed25519") != 0)
		six_usage_die(TOOL, "--algo must be ed25519 or rsa4096");
	/* scripts have nobody to ask: rather a key without passphrase (said loudly)
	 * than a pinentry that hangs or fails */
	int unasked = !o->passfile && !g.no_passphrase && !isatty(0);
	g.no_passphrase |= unasked;
	open_home(o, &h);
	char fpr[SIX_FPR_HEX + 1];
	check(six_keys_generate(&h, &g, fpr, &e), &e);
	if (unasked)
		six_warn(TOOL, "warning: key %s has NO passphrase (no terminal, no "
			 "--passphrase-file); add one: gpg --homedir %s --change-passphrase %s",
			 fpr, h.gnupg, fpr);
	printf("%s\n", fpr);
	six_home_close(&h);
	return 0;
}

static int cmd_export(const struct opts *o)
{
	struct six_home h;
	struct six_err e;
	char fpr[SIX_FPR_HEX + 1], *text;
	size_t len;
	fpr_arg(o->arg, fpr);
	open_home(o, &h);
	check(six_keys_export(&h, fpr, &text, &len, &e), &e);
	int bad = fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0;
	free(text);
	six_home_close(&h);
	if (bad)
		check(six_fail_errno(&e, SIX_ERR_IO, "cannot write to stdout"), &e);
	return 0;
}

static int cmd_import(const struct opts *o)
{
	struct six_home h;
	struct six_err e;
	struct six_keyfile kf;
	char *data;
	size_t len;
	open_home(o, &h);
	check(six_keys_read_file(o->arg, &data, &len, &e), &e);
	/* a recipient's key is there to be encrypted to */
	check(six_keys_inspect(data, len, 'e', &kf, &e), &e);
	check(six_keys_import(&h, data, len, &kf, &e), &e);
	free(data);
	printf("%s\n", kf.fpr);
	six_home_close(&h);
	return 0;
}

/* --doc-types T,T: each a configured token, none twice; none given: any configured. */
static int parse_doc_types(const char *s, const struct six_conf *c, struct six_reg_entry *r,
			   struct six_err *e)
{
	char buf[SIX_DOCTYPES_MAX * (SIX_TOKEN_MAX + 2)];
	if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf)
		return six_fail(e, SIX_ERR_INPUT, "--doc-types: list too long");
	char *save, *tok;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " ");
		for (size_t n = strlen(tok); n > 0 && tok[n - 1] == ' ';)
			tok[--n] = '\0';
		if (!six_conf_has((char(*)[SIX_TOKEN_MAX + 1])c->doc_types, c->n_doc_types, tok))
			return six_fail(e, SIX_ERR_INPUT,
					"doc type '%.64s' is not configured (six.conf doc-types)", tok);
		if (six_conf_has(r->doc_types, r->n_doc_types, tok))
			return six_fail(e, SIX_ERR_INPUT, "doc type '%.64s' is listed twice", tok);
		snprintf(r->doc_types[r->n_doc_types++], SIX_TOKEN_MAX + 1, "%s", tok);
	}
	if (r->n_doc_types == 0)
		return six_fail(e, SIX_ERR_INPUT, "--doc-types: empty list");
	return 0;
}

/* The new record from the options, checked before anything is touched. */
static int enroll_entry(const struct opts *o, const struct six_home *h, time_t now,
			struct six_reg_entry *r, struct six_err *e)
{
	memset(r, 0, sizeof *r);
	r->enrolled = now;
	if (strlen(o->party) > SIX_PARTY_MAX || !six_party_valid(o->party))
		return six_fail(e, SIX_ERR_INPUT,
				"bad party code '%.16s' (ISO 3166 alpha-3, e.g. NLD, or OPCW)",
				o->party);
	snprintf(r->party, sizeof r->party, "%s", o->party);
	if (o->expires) {
		if (six_date_parse(o->expires, strlen(o->expires), &r->expires) < 0)
			return six_fail(e, SIX_ERR_INPUT, "bad --expires '%.32s' (want YYYY-MM-DD)",
					o->expires);
		/* the authorisation ends at 00:00 UTC of that day: it must lie ahead */
		if (r->expires <= now)
			return six_fail(e, SIX_ERR_INPUT, "--expires %s is not in the future",
					o->expires);
	}
	if (o->doctypes)
		return parse_doc_types(o->doctypes, &h->conf, r, e);
	return 0;
}

static void audit_enrolment(const struct six_home *h, const char *event,
			    const struct six_reg_entry *r)
{
	char exp[SIX_TIME_LEN + 1] = "never", types[SIX_DOCTYPES_MAX * (SIX_TOKEN_MAX + 1)] = "*";
	struct six_err e;
	if (r->expires)
		six_time_format(r->expires, exp);
	for (size_t i = 0, n = 0; i < r->n_doc_types; i++)
		n += (size_t)snprintf(types + n, sizeof types - n, "%s%s", i ? "," : "",
				      r->doc_types[i]);
	struct six_kv kv[] = {{"fingerprint", r->fpr}, {"party", r->party}, {"name", r->name},
			      {"doc_types", types}, {"expires", exp}};
	check(six_audit_append(h->fd, event, kv, sizeof kv / sizeof kv[0], NULL, &e), &e);
}

static int cmd_enroll(const struct opts *o)
{
	struct six_home h;
	struct six_err e;
	struct six_reg_entry r;
	struct six_keyfile kf;
	struct six_registry_txn t;
	char *data;
	size_t len;
	open_home(o, &h);
	check(enroll_entry(o, &h, time(NULL), &r, &e), &e);
	check(six_keys_read_file(o->arg, &data, &len, &e), &e);
	/* inspect before import: a wrong file never reaches the keyring */
	check(six_keys_inspect(data, len, 's', &kf, &e), &e);
	memcpy(r.fpr, kf.fpr, sizeof r.fpr);
	memcpy(r.name, kf.name, sizeof r.name);
	check(six_registry_begin(h.fd, &t, &e), &e);
	if (six_registry_find(&t.reg, r.fpr))
		check(six_fail(&e, SIX_ERR_EXISTS, "%s is already enrolled (see: six-keyring list)",
			       r.fpr), &e);
	check(six_keys_import(&h, data, len, &kf, &e), &e);
	check(six_registry_add(&t.reg, &r, &e), &e);
	check(six_registry_commit(&t, &e), &e);
	six_registry_end(&t);
	free(data);
	audit_enrolment(&h, "key-enrolled", &r);
	printf("%s\n", r.fpr);
	six_home_close(&h);
	return 0;
}

static int cmd_revoke(const struct opts *o)
{
	struct six_home h;
	struct six_err e;
	struct six_registry_txn t;
	char fpr[SIX_FPR_HEX + 1];
	fpr_arg(o->arg, fpr);
	open_home(o, &h);
	check(six_registry_begin(h.fd, &t, &e), &e);
	check(six_registry_revoke(&t.reg, fpr, time(NULL), &e), &e);
	check(six_registry_commit(&t, &e), &e);
	struct six_reg_entry r = *six_registry_find(&t.reg, fpr);
	six_registry_end(&t);
	audit_enrolment(&h, "key-revoked", &r);
	printf("%s revoked\n", fpr);
	six_home_close(&h);
	return 0;
}

static void print_json_string(const char *key, const char *s, const char *end)
{
	char esc[SIX_NAME_MAX * 6 + 1];
	if (six_json_escape(s, esc, sizeof esc) < 0)
		esc[0] = '\0';
	printf("\"%s\": \"%s\"%s", key, esc, end);
}

static void list_json(const struct six_reg_entry *r, time_t now, int last)
{
	char enr[SIX_TIME_LEN + 1], exp[SIX_TIME_LEN + 1], rev[SIX_TIME_LEN + 1];
	six_time_format(r->enrolled, enr);
	six_time_format(r->expires, exp);
	six_time_format(r->revoked, rev);
	printf("  {");
	print_json_string("fingerprint", r->fpr, ", ");
	print_json_string("party", r->party, ", ");
	print_json_string("name", r->name, ", ");
	print_json_string("status", six_registry_state_name(six_registry_state(r, now)), ", ");
	printf("\"any_doc_type\": %s, \"doc_types\": [", r->n_doc_types ? "false" : "true");
	for (size_t i = 0; i < r->n_doc_types; i++)
		printf("%s\"%s\"", i ? ", " : "", r->doc_types[i]);
	printf("], ");
	print_json_string("enrolled", enr, ", ");
	if (r->expires)
		print_json_string("expires", exp, ", ");
	else
		printf("\"expires\": null, ");
	if (r->revoked)
		print_json_string("revoked", rev, "");
	else
		printf("\"revoked\": null");
	printf("}%s\n", last ? "" : ",");
}

static void list_row(const struct six_reg_entry *r, time_t now)
{
	char enr[SIX_TIME_LEN + 1], exp[SIX_TIME_LEN + 1] = "never";
	char types[SIX_DOCTYPES_MAX * (SIX_TOKEN_MAX + 1)] = "any";
	six_time_format(r->enrolled, enr);
	enr[10] = '\0';
	if (r->expires)
		six_time_format(r->expires, exp), exp[10] = '\0';
	for (size_t i = 0, n = 0; i < r->n_doc_types; i++)
		n += (size_t)snprintf(types + n, sizeof types - n, "%s%s", i ? "," : "",
				      r->doc_types[i]);
	printf("%-40s  %-5s  %-7s  %-10s  %-10s  %-24s  %s\n", r->fpr, r->party,
	       six_registry_state_name(six_registry_state(r, now)), enr, exp, types, r->name);
}

static int cmd_list(const struct opts *o)
{
	struct six_home h;
	struct six_err e;
	struct six_registry reg;
	open_home(o, &h);
	check(six_registry_load(h.fd, &reg, &e), &e);
	time_t now = time(NULL);
	if (o->given & O_JSON) {
		printf("[\n");
		for (size_t i = 0; i < reg.n; i++)
			list_json(&reg.entries[i], now, i + 1 == reg.n);
		printf("]\n");
	} else {
		printf("%-40s  %-5s  %-7s  %-10s  %-10s  %-24s  %s\n", "FINGERPRINT", "PARTY",
		       "STATUS", "ENROLLED", "EXPIRES", "DOC-TYPES", "NAME");
		for (size_t i = 0; i < reg.n; i++)
			list_row(&reg.entries[i], now);
	}
	six_registry_free(&reg);
	six_home_close(&h);
	if (fflush(stdout) != 0)
		check(six_fail_errno(&e, SIX_ERR_IO, "cannot write to stdout"), &e);
	return 0;
}

/* ---- main ---- */

static const struct verb {
	const char *name;
	int (*run)(const struct opts *);
	int operand;		/* 1: takes FPR or FILE */
	unsigned allowed;	/* options that make sense with it */
	unsigned required;
} verbs[] = {
	{"init", cmd_init, 0, 0, 0},
	{"generate", cmd_generate, 0, O_NAME | O_EMAIL | O_PASSFILE | O_NOPASS | O_ALGO,
	 O_NAME | O_EMAIL},
	{"export", cmd_export, 1, 0, 0},
	{"import", cmd_import, 1, 0, 0},
	{"enroll", cmd_enroll, 1, O_PARTY | O_DOCTYPES | O_EXPIRES, O_PARTY},
	{"revoke", cmd_revoke, 1, 0, 0},
	{"list", cmd_list, 0, O_JSON, 0},
};

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"home", required_argument, NULL, 'H'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {"name", required_argument, NULL, 'n'},
		{"email", required_argument, NULL, 'm'},
		{"passphrase-file", required_argument, NULL, 'P'},
		{"no-passphrase", no_argument, NULL, 'N'}, {"algo", required_argument, NULL, 'a'},
		{"party", required_argument, NULL, 'p'}, {"doc-types", required_argument, NULL, 't'},
		{"expires", required_argument, NULL, 'x'}, {"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0}};
	static const char keys[] = "nmPNaptxj";
	const char **slot[] = {&o->name, &o->email, &o->passfile, NULL, &o->algo,
			       &o->party, &o->doctypes, &o->expires, NULL};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		const char *k = c ? strchr(keys, c) : NULL;
		if (c == 'h')
			help();
		if (c == 'V')
			puts(TOOL " 1.0.0"), exit(0);
		if (c == 'H')
			o->home = optarg;
		else if (k && slot[k - keys])
			*slot[k - keys] = optarg, o->given |= 1u << (k - keys);
		else if (k)
			o->given |= 1u << (k - keys);
		else if (c == ':')
			six_usage_die(TOOL, "%s needs a value", argv[optind - 1]);
		else
			six_usage_die(TOOL, "unknown option %s (see --help)", argv[optind - 1]);
	}
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct six_err e;
	parse(argc, argv, &o);
	if (optind >= argc)
		six_usage_die(TOOL, "no command (init, generate, export, import, enroll, revoke, list)");
	const struct verb *v = NULL;
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(argv[optind], verbs[i].name) == 0)
			v = &verbs[i];
	if (!v)
		six_usage_die(TOOL, "unknown command '%.40s' (see --help)", argv[optind]);
	if (argc - optind - 1 != v->operand)
		six_usage_die(TOOL, "%s takes %s", v->name,
			      v->operand ? "one operand" : "no operand");
	if (o.given & ~v->allowed)
		six_usage_die(TOOL, "an option given does not apply to %s (see --help)", v->name);
	if ((o.given & v->required) != v->required)
		six_usage_die(TOOL, "%s needs %s", v->name,
			      v->required & O_PARTY ? "--party" : "--name and --email");
	if ((o.given & O_PASSFILE) && (o.given & O_NOPASS))
		six_usage_die(TOOL, "--passphrase-file and --no-passphrase exclude each other");
	o.arg = v->operand ? argv[optind + 1] : NULL;
	if (six_gpg_init(&e) < 0)
		six_die(TOOL, &e);
	return v->run(&o);
}
