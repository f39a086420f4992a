/* tree_lost: a 64-byte root with 4 children of 32 bytes, each with 2
 * grandchildren of 16 bytes; the root pointer is lost. Expect: definitely
 * 64/1, indirectly 4*32 + 8*16 = 256/12. */
#include "leak.h"
struct kid { void *g[2]; char pad[16]; };
struct root { struct kid *k[4]; char pad[32]; };
static NOINLINE void make(void)
{
    struct root *r = xmalloc(sizeof *r);
    for (int i = 0; i < 4; i++) {
        r->k[i] = xmalloc(sizeof *r->k[i]);
        for (int j = 0; j < 2; j++)
            r->k[i]->g[j] = xmalloc(16);
    }
}
int main(void) { make(); scrub(); say("tree_lost\n"); return 0; }
