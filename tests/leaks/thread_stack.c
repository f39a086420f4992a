/* thread_stack: a second thread holds a 1000-byte block only in a local and
 * is still running (blocked) when main returns. Expect: reachable 1000/1,
 * plus whatever glibc's pthread_create allocates that stays live (the same
 * blocks under both tools). */
#include "leak.h"
#include <pthread.h>
static volatile int ready;
static NOINLINE void *run(void *arg)
{
    (void)arg;
    void *volatile keep = xmalloc(1000);
    __atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
    return keep;
}
int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL))
        return 1;
    while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
        usleep(1000);
    scrub();
    say("thread_stack\n");
    return 0;
}
