/* thread_tsd_joined: a joined thread stored a 55-byte block with
 * pthread_setspecific under a key without destructor: nothing frees it and
 * nothing points at it once the thread is gone. Expect: definitely 55/1. */
#include "leak.h"
static pthread_key_t key;
static NOINLINE void *run(void *arg)
{
    pthread_setspecific(key, xmalloc(55));
    return arg;
}
int main(void)
{
    if (pthread_key_create(&key, NULL))
        return 1;
    run_joined(run, NULL);
    scrub();
    say("thread_tsd_joined\n");
    return 0;
}
