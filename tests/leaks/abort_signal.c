/* abort_signal: the program dies of SIGABRT (no handler) with a block in a
 * global and one lost. Both tools check leaks before the process dies.
 * Expect: reachable 250/1, definitely 125/1; killed by SIGABRT. */
#include "leak.h"
#include <signal.h>
void *g_keep;
static NOINLINE void make(void)
{
    g_keep = xmalloc(250);
    (void)xmalloc(125);
}
int main(void)
{
    make();
    scrub();
    say("abort_signal\n");
    signal(SIGABRT, SIG_DFL);
    raise(SIGABRT);
    return 0;
}
