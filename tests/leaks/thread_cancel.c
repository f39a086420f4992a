/* thread_cancel: a thread blocked in pause() is cancelled and joined; a
 * cleanup handler frees one of its blocks, the other (66 bytes, held only
 * in its dead frame) is lost. Expect: definitely 66/1. */
#include "leak.h"
static volatile int g_ready;
static void release(void *p) { free(p); }
static NOINLINE void *run(void *arg)
{
    void *volatile held = xmalloc(66);
    void *owned = xmalloc(99);
    pthread_cleanup_push(release, owned);
    g_ready = 1;
    for (;;)
        pause();
    pthread_cleanup_pop(1);
    return held ? arg : NULL;
}
int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL))
        return 1;
    while (!g_ready)
        usleep(1000);
    pthread_cancel(t);
    if (pthread_join(t, NULL))
        return 1;
    scrub();
    say("thread_cancel\n");
    return 0;
}
