/* free_all: allocates and frees everything (a control: both tools must say
 * nothing is left). Expect: all classes 0/0. */
#include "leak.h"
static NOINLINE void work(void)
{
    void *p[50];
    for (int i = 0; i < 50; i++)
        p[i] = xmalloc(16 + (size_t)i);
    for (int i = 0; i < 50; i++)
        free(p[i]);
    void *q = calloc(10, 10);
    q = realloc(q, 1000);
    free(q);
}
int main(void) { work(); scrub(); say("free_all\n"); return 0; }
