/* one_past_end: a global holds a pointer one past the end of a 96-byte block:
 * it references nothing. Expect: definitely 96/1. */
#include "leak.h"
char *g_end;
static NOINLINE void make(void)
{
    char *p = xmalloc(96);
    g_end = p + 96;
}
int main(void) { make(); scrub(); say("one_past_end\n"); return 0; }
