/* thread_unjoined_exit: a thread (neither joined nor detached) loses a
 * 48-byte block, keeps a 24-byte one in a global and exits while main runs
 * on; its stack stays mapped until a join that never comes. Expect:
 * definitely 48/1, reachable 24/1, plus the dead thread's DTV (possibly
 * lost in valgrind, which scans the still-mapped stack whole: see expect). */
#include "leak.h"
void *g_keep;
static volatile pid_t g_tid;
static NOINLINE void lose(void) { (void)xmalloc(48); }
static NOINLINE void *run(void *arg)
{
    g_tid = my_tid();
    lose();
    g_keep = xmalloc(24);
    scrub();
    return arg;
}
int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL))
        return 1;
    while (!g_tid)
        usleep(1000);
    wait_gone(g_tid);
    scrub();
    say("thread_unjoined_exit\n");
    return 0;
}
