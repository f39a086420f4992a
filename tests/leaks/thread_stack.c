/* thread_stack: a second thread holds a 1000-byte block only in a local and
 * is still running (blocked) when main returns. Expect: reachable 1000/1,
 * plus the thread's DTV that pthread_create allocates (see README: its size
 * and class differ between the tools). */
#include "leak.h"
static NOINLINE void *run(void *arg)
{
    void *volatile keep = xmalloc(1000);
    park_forever();
    return keep ? arg : NULL;
}
int main(void) { start_parked(run); scrub(); say("thread_stack\n"); return 0; }
