/* SPDX-License-Identifier: MIT */
/*
 * xalloc.h - allocation wrappers for the analyzer: out of memory is one clear
 * message and exit status 3 (the "internal error" code), never a NULL to
 * check. Only for the analyzer: the shim never links this.
 */
#ifndef HT_XALLOC_H
#define HT_XALLOC_H

#include <stddef.h>

#include "exitcode.h" /* HT_EXIT_INTERNAL: out of memory exits with it */

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
/* Grows or shrinks p; count * size is checked for overflow. */
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif /* HT_XALLOC_H */
