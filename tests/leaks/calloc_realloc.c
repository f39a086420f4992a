/* calloc_realloc: a block grown by realloc ten times (kept), one shrunk
 * (lost), realloc(NULL, n) (kept) and realloc(p, 0) (freed). Expect:
 * definitely 10/1, reachable 1100/2. */
#include "leak.h"
void *g_grow, *g_fresh;
static NOINLINE void lose(void)
{
    void *volatile p = calloc(100, 1);
    p = realloc(p, 10);
    p = NULL;
}
int main(void)
{
    g_grow = calloc(10, 10);
    for (int i = 2; i <= 10; i++)
        g_grow = realloc(g_grow, 100 * (size_t)i);
    lose();
    g_fresh = realloc(NULL, 100);
    void *gone = xmalloc(77);
    gone = realloc(gone, 0);
    (void)gone;
    scrub();
    say("calloc_realloc\n");
    return 0;
}
