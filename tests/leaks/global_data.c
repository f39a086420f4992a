/* global_data: the only pointer to a 128-byte block (and through it a 64-byte
 * one) is an initialised global (.data). Expect: reachable 192/2. */
#include "leak.h"
static int anchor;
void *g_data = &anchor; /* initialised: lives in .data */
static NOINLINE void make(void)
{
    void **p = xmalloc(128);
    p[3] = xmalloc(64);
    g_data = p;
}
int main(void) { make(); scrub(); say("global_data\n"); return 0; }
