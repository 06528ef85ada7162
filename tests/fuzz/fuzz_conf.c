/* libFuzzer harness for six_conf_parse (tools/lib/home.c): six.conf text over the
 * defaults. Beyond "no crash", it asserts that an accepted file leaves every limit
 * non-zero and every list a non-empty set of well-formed tokens, that a refusal is
 * SIX_ERR_CONFIG with a terminated message naming a line, and that parsing is
 * deterministic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "home.h"
#include "six_limits.h"

#define CHECK(cond)                                                                       \
	do {                                                                               \
		if (!(cond))                                                               \
			abort();                                                           \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(char list[][SIX_TOKEN_MAX + 1], size_t n)
{
	CHECK(n >= 1 && n <= SIX_DOCTYPES_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t l = strnlen(list[i], SIX_TOKEN_MAX + 1);
		CHECK(l >= 1 && l <= SIX_TOKEN_MAX);
		CHECK(list[i][0] != ' ' && list[i][l - 1] != ' ');
		for (size_t k = 0; k < l; k++) {
			char c = list[i][k];
			CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ' ');
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SIX_CONF_MAX)
		return 0; /* six_home_open never passes more */
	/* an exact-size copy, so reading past size is caught by ASan */
	char *text = malloc(size ? size : 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	struct six_conf c, again;
	struct six_err e;
	memset(&e, 0, sizeof e);
	six_conf_defaults(&c);
	int rc = six_conf_parse(text, size, &c, &e);
	if (rc == 0) {
		check_list(c.doc_types, c.n_doc_types);
		check_list(c.classifications, c.n_classifications);
		CHECK(c.max_files > 0 && c.max_file_size > 0 && c.max_total_size > 0);
		CHECK(c.max_skew_seconds > 0);
		CHECK(c.max_age_seconds > 0 && c.max_age_seconds % 86400 == 0);
	} else {
		CHECK(rc == SIX_ERR_CONFIG && e.code == rc);
		CHECK(memchr(e.msg, '\0', sizeof e.msg) != NULL);
		CHECK(strncmp(e.msg, "line ", 5) == 0);
	}
	six_conf_defaults(&again);
	CHECK(six_conf_parse(text, size, &again, &e) == rc);
	if (rc == 0)
		CHECK(memcmp(&c, &again, sizeof c) == 0);
	free(text);
	return 0;
}
