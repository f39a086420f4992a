/* SPDX-License-Identifier: MIT */
/*
 * suppress.h - suppression files for growth findings and CI gates, in the
 * spirit of valgrind's and LeakSanitizer's: one pattern a line,
 *
 *     # a comment
 *     fun:g_type_*        any frame whose function matches (fnmatch glob)
 *     obj:*libfontconfig* any frame whose module path matches
 *     src:*third_party*   any frame whose source file matches
 *     leak:PATTERN        any of the three (LSan's form)
 *
 * A stack is suppressed when any of its frames matches any pattern.
 * Invariants: loading never half-succeeds; matching never allocates.
 */
#ifndef HT_SUPPRESS_H
#define HT_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct suppressions;

/*
 * Reads path. @return the set, or NULL after writing one message (file,
 * line and what is wrong) into err.
 */
struct suppressions *supp_load(const char *path, char *err, size_t errlen);

/* True when a frame of st matches a pattern. s may be NULL (false). */
bool supp_match_stack(const struct suppressions *s, const struct model_stack *st);

size_t supp_count(const struct suppressions *s);

void supp_free(struct suppressions *s);

#endif /* HT_SUPPRESS_H */
