/* term_thread: a second thread (still running, a 70-byte block on its
 * stack) sends the process SIGTERM; no handler. Expect: reachable 70/1 plus
 * the thread's DTV (see expect), definitely 35/1; killed by SIGTERM. */
#include "leak.h"
#include <signal.h>
static NOINLINE void lose(void) { (void)xmalloc(35); }
static NOINLINE void *run(void *arg)
{
    void *volatile keep = xmalloc(70);
    park_forever();
    return keep ? arg : NULL;
}
int main(void)
{
    start_parked(run);
    lose();
    scrub();
    say("term_thread\n");
    kill(getpid(), SIGTERM);
    for (;;)
        pause();
}
