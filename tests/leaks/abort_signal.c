/* abort_signal [dfl]: the program dies of SIGABRT (abort(), no handler of
 * its own) with a block in a global and one lost. Both tools check leaks
 * before the process dies. With "dfl" it first sets SIGABRT to SIG_DFL
 * explicitly (still no handler: the default action must still get the
 * snapshot). Expect: reachable 250/1, definitely 125/1; killed by SIGABRT. */
#include "leak.h"
#include <signal.h>
void *g_keep;
static NOINLINE void make(void)
{
    g_keep = xmalloc(250);
    (void)xmalloc(125);
}
int main(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == 'd')
        signal(SIGABRT, SIG_DFL);
    make();
    scrub();
    say("abort_signal\n");
    abort();
}
