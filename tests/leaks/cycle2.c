/* cycle2: two 48-byte blocks pointing at each other, nothing else points at
 * them. Expect: definitely 48/1 (the cycle's leader), indirectly 48/1. */
#include "leak.h"
struct node { struct node *next; char pad[40]; };
static NOINLINE void make(void)
{
    struct node *a = xmalloc(sizeof *a), *b = xmalloc(sizeof *b);
    a->next = b;
    b->next = a;
}
int main(void) { make(); scrub(); say("cycle2\n"); return 0; }
