/* cycle10: a ring of ten 32-byte blocks, lost. Expect: definitely 32/1,
 * indirectly 288/9 (all blocks the same size, so whichever block each tool
 * picks as the leader the bytes agree). */
#include "leak.h"
struct node { struct node *next; char pad[24]; };
static NOINLINE void make(void)
{
    struct node *first = xmalloc(sizeof *first), *p = first;
    for (int i = 1; i < 10; i++) {
        p->next = xmalloc(sizeof *p);
        p = p->next;
    }
    p->next = first;
}
int main(void) { make(); scrub(); say("cycle10\n"); return 0; }
