/* tls_static: the only pointers to two blocks are static __thread variables:
 * main's (a 111-byte block) and a still-running second thread's (a 222-byte
 * block). Expect: reachable 333/2 (plus the thread's DTV, see README). */
#include "leak.h"
static __thread void *t_ptr;
static NOINLINE void put(size_t n) { t_ptr = xmalloc(n); }
static NOINLINE void *run(void *arg)
{
    put(222);
    scrub();
    park_forever();
    return arg;
}
int main(void) { put(111); start_parked(run); scrub(); say("tls_static\n"); return 0; }
