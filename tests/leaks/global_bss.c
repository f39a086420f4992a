/* global_bss: the only pointer to a 4000-byte block is a zero-initialised
 * global (.bss), in the middle of a large .bss array. Expect: reachable
 * 4000/1, definitely 10/1 (a block whose pointer was overwritten). */
#include "leak.h"
void *g_bss[1000];
static NOINLINE void make(void)
{
    g_bss[517] = xmalloc(4000);
    g_bss[3] = xmalloc(10);
    g_bss[3] = NULL;
}
int main(void) { make(); scrub(); say("global_bss\n"); return 0; }
