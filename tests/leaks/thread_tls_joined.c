/* thread_tls_joined: a joined thread's static __thread variable held the
 * only pointer to a 77-byte block; the thread's TLS went with it (glibc's
 * cached stack is not a root). Expect: definitely 77/1. */
#include "leak.h"
static __thread void *t_ptr;
static NOINLINE void *run(void *arg)
{
    t_ptr = xmalloc(77);
    return arg;
}
int main(void)
{
    run_joined(run, NULL);
    scrub();
    say("thread_tls_joined\n");
    return 0;
}
