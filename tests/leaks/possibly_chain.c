/* possibly_chain: global -> A (start) -> interior of B -> start of C: B and C
 * are only reachable through a chain with an interior pointer. Expect:
 * reachable 32/1, possibly 48 + 24 = 72/2. */
#include "leak.h"
void **g_a;
static NOINLINE void make(void)
{
    void **a = xmalloc(32), **b = xmalloc(48), **c = xmalloc(24);
    b[2] = c;
    a[0] = (char *)b + 8;
    g_a = a;
}
int main(void) { make(); scrub(); say("possibly_chain\n"); return 0; }
