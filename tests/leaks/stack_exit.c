/* stack_exit: a 512-byte block is held only by a local of a function that is
 * still active: it calls exit(). A second block is lost before. Expect:
 * reachable 512/1, definitely 33/1. */
#include "leak.h"
static NOINLINE void lose(void) { (void)xmalloc(33); }
static NOINLINE void hold_and_exit(void)
{
    void *volatile keep = xmalloc(512);
    say("stack_exit\n");
    exit(keep ? 0 : 1);
}
int main(void) { lose(); scrub(); hold_and_exit(); return 0; }
