/* atexit_leak: an atexit handler frees one global's block, loses another it
 * allocates itself and stores a third in a global. Exit-time code runs
 * before the leak check in both tools. Expect: definitely 13/1, reachable
 * 26/1. */
#include "leak.h"
void *g_a, *g_b;
static NOINLINE void lose(void) { (void)xmalloc(13); }
static void at_end(void)
{
    free(g_a);
    g_a = NULL;
    lose();
    g_b = xmalloc(26);
    scrub();
}
int main(void)
{
    g_a = xmalloc(500);
    atexit(at_end);
    say("atexit_leak\n");
    return 0;
}
