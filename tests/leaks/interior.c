/* interior: a global holds a pointer into the middle of a 100-byte block,
 * and a second 200-byte block is reached through an interior pointer held
 * in a reachable block. Expect: possibly 300/2, reachable 16/1 (the holder). */
#include "leak.h"
char *g_mid;
void **g_holder;
static NOINLINE void make(void)
{
    char *p = xmalloc(100);
    g_mid = p + 40;
    char *q = xmalloc(200);
    g_holder = xmalloc(16);
    g_holder[0] = q + 8;
}
int main(void) { make(); scrub(); say("interior\n"); return 0; }
