/* realloc_chain: a block grown by realloc 12 times (each old block freed),
 * the last kept in a global; a second chain shrunk 5 times and lost.
 * Expect: reachable 16*13 = 208/1, definitely 1000-5*100 = 500/1. */
#include "leak.h"
void *g_grown;
static NOINLINE void make(void)
{
    void *p = xmalloc(16);
    for (int i = 2; i <= 13; i++)
        p = realloc(p, 16 * (size_t)i);
    g_grown = p;
    void *q = xmalloc(1000);
    for (int i = 1; i <= 5; i++)
        q = realloc(q, 1000 - 100 * (size_t)i);
}
int main(void) { make(); scrub(); say("realloc_chain\n"); return 0; }
