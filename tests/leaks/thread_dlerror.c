/* thread_dlerror: two joined threads make dlopen fail and read dlerror()
 * (glibc keeps the message in a per-thread buffer, freed when the thread
 * exits), and lose a 21-byte block each. Expect: definitely 42/2. */
#include "leak.h"
static NOINLINE void lose(void) { (void)xmalloc(21); }
static NOINLINE void *run(void *arg)
{
    if (dlopen("./no-such-library-here.so", RTLD_NOW) || !dlerror())
        _exit(5);
    lose();
    scrub();
    return arg;
}
int main(void)
{
    run_joined(run, NULL);
    run_joined(run, NULL);
    scrub();
    say("thread_dlerror\n");
    return 0;
}
