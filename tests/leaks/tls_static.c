/* tls_static: the only pointers to two blocks are static __thread variables:
 * main's (a 111-byte block) and a still-running second thread's (a 222-byte
 * block). Expect: reachable 333/2 (+ pthread_create's blocks). */
#include "leak.h"
#include <pthread.h>
static __thread void *t_ptr;
static volatile int ready;
static NOINLINE void put(size_t n) { t_ptr = xmalloc(n); }
static NOINLINE void *run(void *arg)
{
    (void)arg;
    put(222);
    scrub();
    __atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
    return NULL;
}
int main(void)
{
    put(111);
    pthread_t t;
    if (pthread_create(&t, NULL, run, NULL))
        return 1;
    while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
        usleep(1000);
    scrub();
    say("tls_static\n");
    return 0;
}
