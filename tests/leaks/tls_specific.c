/* tls_specific: pthread_setspecific holds the only pointers: key 0's slot of
 * main (a 555-byte block) and of a running second thread (a 666-byte block),
 * and a key past the first 32 (glibc keeps those in a second-level array it
 * allocates: a heap block itself). No destructors. Expect: reachable
 * 555 + 666 + 77 /3 plus glibc's second-level array (512 bytes), plus the
 * thread's DTV (see README). */
#include "leak.h"
static pthread_key_t key, far_key;
static NOINLINE void put(pthread_key_t k, size_t n) { pthread_setspecific(k, xmalloc(n)); }
static NOINLINE void *run(void *arg)
{
    put(key, 666);
    scrub();
    park_forever();
    return arg;
}
int main(void)
{
    pthread_key_t filler[40];
    if (pthread_key_create(&key, NULL))
        return 1;
    for (int i = 0; i < 40; i++)
        if (pthread_key_create(&filler[i], NULL))
            return 1;
    if (pthread_key_create(&far_key, NULL))
        return 1;
    put(key, 555);
    put(far_key, 77);
    start_parked(run);
    scrub();
    say("tls_specific\n");
    return 0;
}
