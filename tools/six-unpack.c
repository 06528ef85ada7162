/* six-unpack: verify, decrypt, check and deliver bundles (MANUAL.md chapter 5). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "gpg.h"
#include "hash.h"
#include "home.h"
#include "unpack/unpack.h"

static const char *const tool = "six-unpack";

static void usage(FILE *f)
{
	fputs("usage: six-unpack [--home DIR] BUNDLE...\n"
	      "       six-unpack [--home DIR] --spool SPOOL [--watch]\n"
	      "\n"
	      "Decrypt and verify each bundle, check it against the registry of authorised\n"
	      "senders, and deliver its files into HOME/inbox/PARTY/<bundle-dir>/ (printed,\n"
	      "one line each). A refused bundle goes to HOME/quarantine/ with its reason.\n"
	      "\n"
	      "  --home DIR     the SIX home (default: $SIX_HOME, else ~/.six)\n"
	      "  --spool SPOOL  process every bundle in SPOOL/new, moving each to SPOOL/cur\n"
	      "  --watch        with --spool: keep running, handle bundles as they arrive,\n"
	      "                 stop cleanly on SIGTERM or SIGINT\n"
	      "  --help, --version\n"
	      "\n"
	      "example: six-unpack --home /srv/six /media/usb/20261204.six\n"
	      "\n"
	      "exit: 0 all delivered; 20-29 the first refused bundle's class (20 decrypt,\n"
	      "21 signature, 22 sender, 23 manifest, 24 binding, 25 freshness, 26 replay,\n"
	      "27 content, 28 unsafe, 29 limit); 64 usage; 70-79 operational (MANUAL.md 6.1).\n",
	      f);
}

/* Messages quote hostile names: no control character reaches the terminal. */
static void say(const char *label, const struct six_err *e)
{
	char msg[sizeof e->msg], name[256];
	const char *srcs[] = {e->msg, label ? label : ""};
	char *dsts[] = {msg, name};
	size_t caps[] = {sizeof msg, sizeof name};
	for (size_t k = 0; k < 2; k++) {
		size_t o = 0;
		for (const char *p = srcs[k]; *p && o + 1 < caps[k]; p++)
			dsts[k][o++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
		dsts[k][o] = '\0';
	}
	if (label)
		six_warn(tool, "%s: %s (%s)", name, msg, six_err_class(e->code));
	else
		six_warn(tool, "%s", msg);
}

static void report(const char *name, const char *dir, const struct six_err *why, void *hook)
{
	(void)hook;
	if (dir) {
		printf("%s\n", dir);
		fflush(stdout);
	} else {
		say(name, why);
	}
}

/* Each BUNDLE in turn; the exit status is the first failure's. */
static int unpack_files(struct unpack *u, char **files, int n)
{
	int first = 0;
	for (int i = 0; i < n; i++) {
		struct six_err e = {0};
		char dir[UNPACK_DIR_MAX];
		int rc;
		int fd = open(files[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			rc = six_fail(&e, SIX_ERR_NOINPUT, "cannot read %s as a file", files[i]);
		else
			rc = unpack_bundle(u, fd, files[i], dir, &e);
		if (fd >= 0)
			close(fd);
		if (rc == 0) {
			printf("%s\n", dir);
			fflush(stdout);
		} else {
			say(files[i], &e);
			first = first ? first : rc;
		}
	}
	return first;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'h'}, {"spool", required_argument, NULL, 's'},
		{"watch", no_argument, NULL, 'w'},	{"help", no_argument, NULL, 'H'},
		{"version", no_argument, NULL, 'V'},	{NULL, 0, NULL, 0},
	};
	const char *home_opt = NULL, *spool = NULL;
	int watch = 0, c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'h': home_opt = optarg; break;
		case 's': spool = optarg; break;
		case 'w': watch = 1; break;
		case 'H': usage(stdout); return 0;
		case 'V': puts("six-unpack 1.0.0"); return 0;
		default: six_usage_die(tool, "unknown option or missing argument: %s",
				       argv[optind - 1]);
		}
	}
	if (spool ? optind != argc : optind == argc)
		six_usage_die(tool, spool ? "--spool takes no BUNDLE arguments"
					  : "no BUNDLE given");
	if (watch && !spool)
		six_usage_die(tool, "--watch needs --spool");
	umask(027); /* nothing SIX writes is for the world */
	struct six_err e = {0};
	char home[SIX_HOME_PATH_MAX];
	struct unpack u;
	if (six_crypto_init(&e) < 0 || six_gpg_init(&e) < 0 || six_home_resolve(home_opt, home, &e) < 0 ||
	    unpack_open(&u, home, &e) < 0)
		six_die(tool, &e);
	int rc = spool ? unpack_spool(&u, spool, watch, report, NULL, &e)
		       : unpack_files(&u, argv + optind, argc - optind);
	unpack_close(&u);
	if (spool && rc < 0 && !(rc <= SIX_ERR_DECRYPT && rc >= SIX_ERR_LIMIT))
		say(NULL, &e); /* an operational stop; refusals were reported one by one */
	return six_exit_code(rc);
}
