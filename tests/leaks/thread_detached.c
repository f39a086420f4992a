/* thread_detached: a detached thread loses a 64-byte block, keeps a 32-byte
 * one in a global and exits while main runs on; main waits until the kernel
 * no longer knows the thread (its stack is back in glibc's cache), then
 * returns. Expect: definitely 64/1, reachable 32/1. */
#include "leak.h"
void *g_keep;
static volatile pid_t g_tid;
static NOINLINE void lose(void) { (void)xmalloc(64); }
static NOINLINE void *run(void *arg)
{
    g_tid = my_tid();
    lose();
    g_keep = xmalloc(32);
    scrub();
    return arg;
}
int main(void)
{
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, run, NULL))
        return 1;
    pthread_attr_destroy(&a);
    while (!g_tid)
        usleep(1000);
    wait_gone(g_tid);
    scrub();
    say("thread_detached\n");
    return 0;
}
