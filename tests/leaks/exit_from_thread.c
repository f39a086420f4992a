/* exit_from_thread: a second thread calls exit() while main waits in
 * pthread_join with a 160-byte block in a local; the thread holds a 320-byte
 * block in its own local. Both stacks are live. A 48-byte block is lost.
 * Expect: reachable 160 + 320 /2 (+ pthread_create's blocks), definitely 48/1. */
#include "leak.h"
#include <pthread.h>
static NOINLINE void *run(void *arg)
{
    (void)arg;
    void *volatile mine = xmalloc(320);
    say("exit_from_thread\n");
    exit(mine ? 0 : 1);
}
static NOINLINE void lose(void) { (void)xmalloc(48); }
static NOINLINE int wait_holding(void)
{
    void *volatile keep = xmalloc(160);
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL))
        return 1;
    pthread_join(t, NULL);
    return keep != NULL;
}
int main(void) { lose(); scrub(); return wait_holding(); }
