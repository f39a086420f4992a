/* chain_reachable: a global points at A, A at B, B at C (blocks reachable
 * only through a reachable heap block). Expect: reachable 24+40+56 = 120/3. */
#include "leak.h"
void **g_head;
static NOINLINE void make(void)
{
    void **a = xmalloc(24), **b = xmalloc(40), **c = xmalloc(56);
    a[0] = b;
    b[1] = c;
    g_head = a;
}
int main(void) { make(); scrub(); say("chain_reachable\n"); return 0; }
