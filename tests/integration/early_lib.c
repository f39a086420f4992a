/* SPDX-License-Identifier: MIT */
/*
 * early_lib.c - a library whose constructor allocates (early_alloc.c links
 * it): it runs before the shim's own constructor, so the shim serves these
 * calls from its bootstrap arena. They must behave as malloc's would: an
 * aligned allocation aligned as an address, a realloc that keeps the bytes.
 * (perf, through GLib's GSlice, aborted on a misaligned posix_memalign and
 * then failed on a NULL realloc.)
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int early_ok = -1; /* the checks that failed, as bits; -1: the constructor did not run */

__attribute__((constructor)) static void early_alloc(void)
{
    int bad = 0;
    for (size_t align = 16; align <= 4096; align *= 2) {
        void *p = NULL;
        if (posix_memalign(&p, align, 100) != 0 || (uintptr_t)p % align)
            bad |= 1;
        if ((uintptr_t)memalign(align, 10) % align)
            bad |= 2;
        if ((uintptr_t)aligned_alloc(align, align) % align)
            bad |= 4;
    }
    char *s = malloc(8);
    if (!s)
        bad |= 8;
    else {
        memcpy(s, "early", 6);
        s = realloc(s, 4000);
        if (!s || strcmp(s, "early") != 0)
            bad |= 16;
        free(s);
    }
    early_ok = bad;
}
