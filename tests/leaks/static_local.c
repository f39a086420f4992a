/* static_local: a function-static pointer (a cache) keeps a 256-byte block.
 * Expect: reachable 256/1. */
#include "leak.h"
static NOINLINE void *cache(void)
{
    static void *c;
    if (!c)
        c = xmalloc(256);
    return c;
}
static NOINLINE void use(void) { (void)cache(); (void)cache(); }
int main(void) { use(); scrub(); say("static_local\n"); return 0; }
