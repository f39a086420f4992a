/* underscore_exit: leaks, then _exit(3) from a function holding one block on
 * its stack. Expect: definitely 77/1, reachable 300/1; status 3. */
#include "leak.h"
void *g_keep;
static NOINLINE void lose(void) { (void)xmalloc(77); }
static NOINLINE void hold(void)
{
    void *volatile keep = xmalloc(300);
    say("underscore_exit\n");
    _exit(keep ? 3 : 4);
}
int main(void) { lose(); scrub(); hold(); return 0; }
