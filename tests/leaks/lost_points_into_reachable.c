/* lost_points_into_reachable: a lost block holds a pointer to a reachable
 * block and an interior pointer to another lost block. Expect: reachable
 * 50/1, definitely 64/1, indirectly 80/1 (reached from the lost block,
 * interior pointers count there). */
#include "leak.h"
void *g_keep;
static NOINLINE void make(void)
{
    g_keep = xmalloc(50);
    void **lost = xmalloc(64);
    char *other = xmalloc(80);
    lost[0] = g_keep;
    lost[1] = other + 24;
}
int main(void) { make(); scrub(); say("lost_points_into_reachable\n"); return 0; }
