/* thread_leaks_joined: three joined threads each lose a 123-byte block and
 * put a 40-byte one in a global array. The threads' DTVs (glibc's, in its
 * stack cache) must not add to the program's own leaks. Expect: definitely
 * 369/3, reachable 120/3. */
#include "leak.h"
void *g_kept[3];
static NOINLINE void lose(void) { (void)xmalloc(123); }
static NOINLINE void *run(void *arg)
{
    lose();
    g_kept[(intptr_t)arg] = xmalloc(40);
    scrub();
    return NULL;
}
int main(void)
{
    for (intptr_t i = 0; i < 3; i++)
        run_joined(run, (void *)i);
    scrub();
    say("thread_leaks_joined\n");
    return 0;
}
