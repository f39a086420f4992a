/* SPDX-License-Identifier: MIT */
/*
 * dlopen_lib.c - the library dlopen_loop.c loads and unloads 1000 times.
 * Each call allocates two blocks of distinctive sizes: one it frees itself
 * and one it returns for the caller to free.
 */
#include <stdlib.h>
#include <string.h>

void *dlopen_lib_work(unsigned i);

void *dlopen_lib_work(unsigned i)
{
    char *scratch = malloc(5200 + i % 400);
    char *out = malloc(6200 + i % 400);
    if (!scratch || !out) {
        free(scratch);
        free(out);
        return NULL;
    }
    memset(scratch, 'a' + (int)(i % 26), 5200 + i % 400);
    memcpy(out, scratch, 16);
    free(scratch);
    return out;
}
