/* tsd_many_keys: main sets 100 pthread keys, each to a 20-byte block; keys
 * 32 and up live in glibc's second-level arrays (heap blocks hanging off
 * the thread's struct pthread), which must be scanned like the first 32.
 * Expect: reachable 2000/100 plus the three second-level arrays of 512
 * bytes glibc allocated (1536/3). */
#include "leak.h"
int main(void)
{
    for (int i = 0; i < 100; i++) {
        pthread_key_t k;
        if (pthread_key_create(&k, NULL))
            return 1;
        pthread_setspecific(k, xmalloc(20));
    }
    scrub();
    say("tsd_many_keys\n");
    return 0;
}
