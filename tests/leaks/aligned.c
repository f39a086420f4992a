/* aligned: aligned_alloc, posix_memalign and memalign blocks: two kept in
 * globals, one lost, one reached only through an interior pointer. Sizes are
 * the requested ones. Expect: reachable 256 + 1024 = 1280/2, definitely
 * 192/1, possibly 512/1. */
#include "leak.h"
#include <malloc.h>
void *g_a, *g_b;
char *g_mid;
static NOINLINE void make(void)
{
    g_a = aligned_alloc(64, 256);
    if (posix_memalign(&g_b, 4096, 1024))
        _exit(99);
    (void)memalign(128, 192);
    char *m = aligned_alloc(256, 512);
    g_mid = m + 256;
}
int main(void) { make(); scrub(); say("aligned\n"); return 0; }
