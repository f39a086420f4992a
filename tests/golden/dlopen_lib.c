/* SPDX-License-Identifier: MIT */
/*
 * dlopen_lib.c - the library dlopen_alloc.c loads, calls and unloads.
 * plugin_work(n) allocates n blocks of 48 B, frees all but the last, and
 * returns that one: the caller leaks it, after dlclose has unmapped the
 * code that allocated it.
 */
#include <stdlib.h>

void *plugin_work(int n);

__attribute__((noinline)) static char *plugin_buffer(void)
{
    return malloc(48);
}

void *plugin_work(int n)
{
    char *keep = NULL;
    for (int i = 0; i < n; i++) {
        free(keep);
        keep = plugin_buffer();
    }
    return keep;
}
