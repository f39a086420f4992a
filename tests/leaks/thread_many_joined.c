/* thread_many_joined: twenty threads, one after the other, each lose a
 * 10-byte block; glibc reuses the cached stack of the last joined thread
 * for the next. Expect: definitely 200/20. */
#include "leak.h"
static NOINLINE void lose(void) { (void)xmalloc(10); }
static NOINLINE void *run(void *arg)
{
    lose();
    scrub();
    return arg;
}
int main(void)
{
    for (int i = 0; i < 20; i++)
        run_joined(run, NULL);
    scrub();
    say("thread_many_joined\n");
    return 0;
}
