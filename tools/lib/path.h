/* Names and paths that came from somewhere we do not trust. */
#ifndef SIX_PATH_H
#define SIX_PATH_H

#include <stddef.h>

#include "err.h"

/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int six_utf8_valid(const char *s, size_t len);

/* A payload path as bundle v1 allows it: relative, UTF-8, '/'-separated, no empty,
 * "." or ".." component, no control characters (C0, DEL, C1), at most
 * SIX_COMPONENT_MAX bytes a component and SIX_PATH_MAX in all. SIX_ERR_UNSAFE if not. */
int six_path_check(const char *path, size_t len, struct six_err *err);

/* A single file name in a spool: non-empty, no '/', no leading '.', no control
 * characters, valid UTF-8, at most SIX_SPOOL_NAME_MAX bytes. SIX_ERR_UNSAFE if not. */
int six_name_check(const char *name, struct six_err *err);

/* Create the directories of relpath (all but its last component) under dirfd, never
 * following a link; on success *out is an fd for the parent of the last component
 * and *last points into relpath at that component. */
int six_mkparents_at(int dirfd, const char *relpath, int *out, const char **last,
		     struct six_err *err);

#endif
