/* SPDX-License-Identifier: MIT */
/*
 * shared_arrays.c - a table caught while it grows: the old and the new array
 * of pointers (both from one call of make_array) point at the same 1000
 * elements of 4 KiB (make_element), and a global holds each array. Neither array dominates an
 * element, yet freeing the table's arrays would free all of them: the top
 * retainer must be make_array, retaining the elements, not the elements'
 * own site (shared_case.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELEMENTS 1000

void **g_arrays[2]; /* old and new; not static: the stores must stay */

static __attribute__((noinline)) void **make_array(size_t n)
{
    return calloc(n, sizeof(void *));
}

static __attribute__((noinline)) void *make_element(size_t i)
{
    char *e = malloc(4096);
    if (e)
        memset(e, (int)i, 4096);
    return e;
}

int main(int argc, char **argv)
{
    (void)argv;
    int arrays = argc < 2 ? argc + 1 : 2; /* 2, unknown to the compiler: no unrolled second call */
    for (int k = 0; k < arrays; k++) /* one call site: one allocation site */
        if (!(g_arrays[k] = make_array((size_t)(k + 1) * ELEMENTS)))
            return 1;
    for (size_t i = 0; i < ELEMENTS; i++)
        g_arrays[0][i] = g_arrays[1][i] = make_element(i);
    puts("shared_arrays");
    return 0;
}
