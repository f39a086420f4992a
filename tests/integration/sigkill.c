/* SPDX-License-Identifier: MIT */
/*
 * sigkill.c - allocates forever (keeping a bounded working set) until the
 * test SIGKILLs it. The log must still read back: truncated, but holding the
 * events of the complete zstd frames written so far.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    static void *ring[4096];
    printf("allocating until killed\n");
    fflush(stdout);
    for (unsigned long i = 0;; i++) {
        unsigned slot = (unsigned)(i % 4096);
        free(ring[slot]);
        ring[slot] = malloc(1200 + i % 400);
    }
}
