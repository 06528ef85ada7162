/* six-xferd: one-way transfer of bundle files, through a UDP data diode (send, recv)
 * or on removable media (export, import). main only picks the subcommand: each one
 * parses its own options, prints its own errors and returns its exit status. */
#include <stdio.h>
#include <string.h>

#include "xferd/xferd.h"
#include "xferd/media.h"

static const char usage_text[] =
	"usage: six-xferd send --outbox SPOOL --to HOST:PORT [--rate R] [--redundancy PCT]\n"
	"                      [--passes N] [--once]\n"
	"       six-xferd recv --listen HOST:PORT --inbox SPOOL [--once]\n"
	"       six-xferd export --outbox SPOOL --media DIR\n"
	"       six-xferd import --media DIR --inbox SPOOL\n"
	"\n"
	"Moves bundle files one way: through a UDP data diode (send on the transit side,\n"
	"recv in the enclave), or on removable media (export, import).\n"
	"Run 'six-xferd SUBCOMMAND --help' for a subcommand's options.\n"
	"\n"
	"example: six-xferd send --outbox ~/.six/spool/out --to 10.0.0.2:7000 --rate 100M\n"
	"         six-xferd recv --listen 0.0.0.0:7000 --inbox ~/.six/spool/in\n"
	"\n"
	"exit status: 0 ok, 64 usage, 79 files announced on the link never completed,\n"
	"other codes as in the manual (MANUAL.md 6.1).\n";

int main(int argc, char **argv)
{
	/* "six-xferd --home DIR SUB ..." is "six-xferd SUB --home DIR ...": every SIX tool
	 * takes --home; each subcommand parses it (the diode link needs no home). */
	if (argc > 3 && !strcmp(argv[1], "--home")) {
		char *home = argv[2];
		argv[2] = argv[3];
		argv[3] = home;
		argv[1] = argv[2];
		argv[2] = (char *)"--home";
	}
	if (argc < 2)
		six_usage_die(XFERD_TOOL, "missing subcommand: send, recv, export or import");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		puts("six-xferd 1.0.0");
		return 0;
	}
	if (!strcmp(cmd, "send"))
		return xferd_send_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "recv"))
		return xferd_recv_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "export"))
		return xferd_export_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "import"))
		return xferd_import_main(argc - 1, argv + 1);
	six_usage_die(XFERD_TOOL, "unknown subcommand '%s'", cmd);
}
