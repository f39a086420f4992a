/* tsd_many_keys_thread: a thread still running at exit set 70 keys, each
 * to a 12-byte block; keys 32 and up are in second-level arrays of its
 * struct pthread (at the top of its stack mapping). Expect: reachable
 * 840/70 plus two 512-byte second-level arrays, plus the thread's DTV
 * (possibly lost: see expect). */
#include "leak.h"
static pthread_key_t keys[70];
static NOINLINE void *run(void *arg)
{
    for (int i = 0; i < 70; i++)
        pthread_setspecific(keys[i], xmalloc(12));
    scrub();
    park_forever();
    return arg;
}
int main(void)
{
    for (int i = 0; i < 70; i++)
        if (pthread_key_create(&keys[i], NULL))
            return 1;
    start_parked(run);
    scrub();
    say("tsd_many_keys_thread\n");
    return 0;
}
