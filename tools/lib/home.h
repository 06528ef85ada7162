/* A SIX home: where it is, whether it is initialised, and its six.conf settings. */
#ifndef SIX_HOME_H
#define SIX_HOME_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "six_limits.h"

struct six_conf {
	char doc_types[SIX_DOCTYPES_MAX][SIX_TOKEN_MAX + 1];
	size_t n_doc_types;
	char classifications[SIX_DOCTYPES_MAX][SIX_TOKEN_MAX + 1];
	size_t n_classifications;
	uint64_t max_files;
	uint64_t max_file_size;
	uint64_t max_total_size;
	uint64_t max_age_seconds;
	uint64_t max_skew_seconds;
};

struct six_home {
	char path[SIX_HOME_PATH_MAX];
	char gnupg[SIX_HOME_PATH_MAX + 8]; /* path + "/gnupg" */
	int fd;				   /* the home directory */
	struct six_conf conf;
};

/* The home: opt (--home) if given, else $SIX_HOME, else ~/.six. Made absolute. */
int six_home_resolve(const char *opt, char out[SIX_HOME_PATH_MAX], struct six_err *err);

/* Open an initialised home and load six.conf (defaults when absent).
 * SIX_ERR_CONFIG, naming the fix, if the home is not initialised. */
int six_home_open(const char *path, struct six_home *h, struct six_err *err);
void six_home_close(struct six_home *h);

/* Defaults of every setting (formats/ and MANUAL.md list them). */
void six_conf_defaults(struct six_conf *c);
/* Parse six.conf text ("key = value" lines, '#' comments) over the defaults.
 * Unknown keys and bad values are SIX_ERR_CONFIG naming the line. Pure: no I/O. */
int six_conf_parse(const char *text, size_t len, struct six_conf *c, struct six_err *err);

/* 1 if tok is in list[0..n). */
int six_conf_has(char list[][SIX_TOKEN_MAX + 1], size_t n, const char *tok);

#endif
