/* memalign_page: memalign(4096, 100) and posix_memalign(4096, 300) blocks,
 * both lost, and a valloc(50) one kept in a global. malloc splits off the
 * unused space around an aligned block as free chunks whose headers (in its
 * bins) lie inside the block: not the program's pointers. Expect:
 * definitely 400/2, reachable 50/1. */
#include "leak.h"
#include <malloc.h>
void *g_keep;
static NOINLINE void lose(void)
{
    void *p = memalign(4096, 100);
    memset(p, 0, 100);
    void *q = NULL;
    if (posix_memalign(&q, 4096, 300))
        _exit(6);
    memset(q, 0, 300);
}
int main(void)
{
    lose();
    g_keep = valloc(50);
    scrub();
    say("memalign_page\n");
    return 0;
}
