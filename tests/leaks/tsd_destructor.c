/* tsd_destructor: two joined threads store a block under a key whose
 * destructor frees it at thread exit, and one under a key beyond the
 * first 32 (glibc's second-level array, freed at thread exit too).
 * Expect: nothing. */
#include "leak.h"
static pthread_key_t key, far_key;
static NOINLINE void *run(void *arg)
{
    pthread_setspecific(key, xmalloc(31));
    pthread_setspecific(far_key, xmalloc(33));
    return arg;
}
int main(void)
{
    pthread_key_t filler;
    if (pthread_key_create(&key, free))
        return 1;
    for (int i = 0; i < 40; i++)
        if (pthread_key_create(&filler, NULL))
            return 1;
    if (pthread_key_create(&far_key, free))
        return 1;
    run_joined(run, NULL);
    run_joined(run, NULL);
    scrub();
    say("tsd_destructor\n");
    return 0;
}
