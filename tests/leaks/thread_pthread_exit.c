/* thread_pthread_exit: a thread leaves with pthread_exit() from a nested
 * call, its return value a 90-byte block that main receives from
 * pthread_join and keeps in a global; a 45-byte block it lost. Expect:
 * definitely 45/1, reachable 90/1. */
#include "leak.h"
void *g_keep;
static NOINLINE void lose(void) { (void)xmalloc(45); }
static NOINLINE void leave_now(void) { pthread_exit(xmalloc(90)); }
static NOINLINE void *run(void *arg)
{
    lose();
    scrub();
    leave_now();
    return arg;
}
int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL) || pthread_join(t, &g_keep))
        return 1;
    scrub();
    say("thread_pthread_exit\n");
    return 0;
}
