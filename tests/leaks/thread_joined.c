/* thread_joined: a thread allocates a 900-byte block, keeps it only in a
 * local, and returns; main joins it. glibc keeps the dead thread's stack
 * mapped in its cache with the stale pointer in it, but a joined thread's
 * stack is not a root. Expect: definitely 900/1. */
#include "leak.h"
#include <pthread.h>
static NOINLINE void *run(void *arg)
{
    (void)arg;
    void *volatile keep = xmalloc(900);
    (void)keep;
    return NULL;
}
int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL) || pthread_join(t, NULL))
        return 1;
    scrub();
    say("thread_joined\n");
    return 0;
}
