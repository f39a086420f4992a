/* freed_other_thread: main allocates 100 blocks of 40 bytes, a second thread
 * frees them all and allocates 5 blocks of 24 that main frees; one 60-byte
 * block made on the thread is lost. Expect: definitely 60/1. */
#include "leak.h"
#include <pthread.h>
static void *g_blocks[100];
static void *g_back[5];
static NOINLINE void *run(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        free(g_blocks[i]);
        g_blocks[i] = NULL;
    }
    for (int i = 0; i < 5; i++)
        g_back[i] = xmalloc(24);
    (void)xmalloc(60);
    return NULL;
}
int main(void)
{
    for (int i = 0; i < 100; i++)
        g_blocks[i] = xmalloc(40);
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL) || pthread_join(t, NULL))
        return 1;
    for (int i = 0; i < 5; i++) {
        free(g_back[i]);
        g_back[i] = NULL;
    }
    scrub();
    say("freed_other_thread\n");
    return 0;
}
