/* six-pack: make a bundle (formats/bundle.md) from files and directories: sign,
 * encrypt to the recipients, and put it in a file or an outbox spool. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pack/pack.h"

#define TOOL "six-pack"

static const char usage_text[] =
	"usage: six-pack [--home DIR] -r FPR [-r FPR...] [-u FPR] --party CODE -t DOCTYPE\n"
	"                [--subject S] [--classification C] [--force] [--follow-symlinks]\n"
	"                [--passphrase-file F] (-o OUT.six | --outbox SPOOL) FILE|DIR...\n";

static void help(void)
{
	fputs(usage_text, stdout);
	fputs("\nSign FILEs and DIRs (walked recursively) with your key, encrypt them to each\n"
	      "recipient, and write one bundle; print its path.\n\n"
	      "  -r, --recipient FPR     recipient's primary key fingerprint (40 hex; repeat)\n"
	      "  -u, --local-user FPR    signing key (default: the only secret key here)\n"
	      "      --party CODE        your organisation: ISO 3166 alpha-3 or OPCW\n"
	      "  -t, --doc-type T        document type from six.conf's doc-types\n"
	      "      --subject S         one line shown to the receiving staff\n"
	      "      --classification C  marking from six.conf (default RESTRICTED)\n"
	      "  -o, --output OUT.six    write the bundle here (refused if it exists)\n"
	      "      --outbox SPOOL      or deliver it into SPOOL/new/ (created if missing)\n"
	      "      --force             replace OUT.six if it exists\n"
	      "      --follow-symlinks   pack what symbolic links point to (else refused)\n"
	      "      --passphrase-file F read the key's passphrase from F (scripts)\n"
	      "      --home DIR          SIX home (default $SIX_HOME, else ~/.six)\n\n"
	      "A FILE is packed as its name, a DIR as DIR's name and the paths below it.\n\n"
	      "example:\n"
	      "  six-pack -r 8A1F...C3D2 --party NLD -t declaration --subject \"Art. VI 2026\" \\\n"
	      "           --outbox ~/.six/spool/outbox decl-2026.pdf annexes/\n\n"
	      "exit: 0 ok, 64 usage, 65 bad input (party, type, file kind), 66 unreadable file,\n"
	      "      67 unknown key, 68 output exists, 69 key cannot sign/encrypt, 73 cannot\n"
	      "      create output, 74 I/O error (disk full), 78 home not initialised\n"
	      "      (MANUAL.md 6.1)\n",
	      stdout);
}

enum { O_HOME = 256, O_PARTY, O_SUBJECT, O_CLASS, O_OUTBOX, O_FORCE, O_FOLLOW, O_PASS, O_VERSION };

static const struct option longopts[] = {
	{"home", required_argument, NULL, O_HOME},
	{"recipient", required_argument, NULL, 'r'},
	{"local-user", required_argument, NULL, 'u'},
	{"party", required_argument, NULL, O_PARTY},
	{"doc-type", required_argument, NULL, 't'},
	{"subject", required_argument, NULL, O_SUBJECT},
	{"classification", required_argument, NULL, O_CLASS},
	{"output", required_argument, NULL, 'o'},
	{"outbox", required_argument, NULL, O_OUTBOX},
	{"force", no_argument, NULL, O_FORCE},
	{"follow-symlinks", no_argument, NULL, O_FOLLOW},
	{"passphrase-file", required_argument, NULL, O_PASS},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, O_VERSION},
	{NULL, 0, NULL, 0},
};

static void option(struct pack_opts *o, int c)
{
	switch (c) {
	case O_HOME: o->home = optarg; break;
	case 'r':
		if (o->n_rcpts == SIX_RECIPIENTS_MAX)
			six_usage_die(TOOL, "at most %d recipients", SIX_RECIPIENTS_MAX);
		o->rcpts[o->n_rcpts++] = optarg;
		break;
	case 'u': o->signer = optarg; break;
	case O_PARTY: o->party = optarg; break;
	case 't': o->doc_type = optarg; break;
	case O_SUBJECT: o->subject = optarg; break;
	case O_CLASS: o->classification = optarg; break;
	case 'o': o->out = optarg; break;
	case O_OUTBOX: o->outbox = optarg; break;
	case O_FORCE: o->force = 1; break;
	case O_FOLLOW: o->follow = 1; break;
	case O_PASS: o->passphrase_file = optarg; break;
	case 'h': help(); exit(0);
	case O_VERSION: puts(TOOL " 1.0.0"); exit(0);
	default: six_usage_die(TOOL, "unknown option or missing value: %s",
			       o->bad);
	}
}

int main(int argc, char **argv)
{
	struct pack_opts o = {0};
	int c;
	opterr = 0; /* one line of our own, not getopt's as well */
	while ((c = getopt_long(argc, argv, "r:u:t:o:h", longopts, NULL)) != -1) {
		o.bad = argv[optind - 1];
		option(&o, c);
	}
	o.inputs = argv + optind;
	o.n_inputs = (size_t)(argc - optind);
	if (o.n_rcpts == 0 || !o.party || !o.doc_type)
		six_usage_die(TOOL, "-r, --party and -t are required");
	if (!o.out == !o.outbox)
		six_usage_die(TOOL, "give exactly one of -o OUT.six and --outbox SPOOL");
	if (o.n_inputs == 0)
		six_usage_die(TOOL, "no FILE or DIR to pack");
	/* a reader that goes away (gpg killed) must be an error we report, not a signal */
	signal(SIGPIPE, SIG_IGN);
	struct six_err err = {0};
	char shown[SIX_PATH_MAX + 1];
	if (pack_run(&o, shown, sizeof shown, &err) < 0)
		six_die(TOOL, &err);
	if (printf("%s\n", shown) < 0 || fflush(stdout) != 0) {
		six_fail_errno(&err, SIX_ERR_IO, "cannot print the bundle's path");
		six_die(TOOL, &err);
	}
	return 0;
}
