/* tree_subtree: a tree (root 64 bytes, 4 children of 32, 8 grandchildren of
 * 16) kept in a global, but one child's link from the root is cut while a
 * grandchild of that child is also linked from a reachable sibling. Expect:
 * reachable 64 + 3*32 + 6*16 + 16 = 272/11 (root, 3 kids, their 6 grandkids,
 * the shared grandkid), definitely 32/1 (the cut child), indirectly 16/1
 * (its other grandchild). */
#include "leak.h"
struct kid { void *g[3]; char pad[8]; };
struct root { struct kid *k[4]; char pad[32]; };
struct root *g_root;
static NOINLINE void make(void)
{
    struct root *r = xmalloc(sizeof *r);
    for (int i = 0; i < 4; i++) {
        r->k[i] = xmalloc(sizeof *r->k[i]);
        for (int j = 0; j < 2; j++)
            r->k[i]->g[j] = xmalloc(16);
    }
    r->k[0]->g[2] = r->k[3]->g[0]; /* shared with a reachable sibling */
    r->k[3] = NULL;                 /* cut */
    g_root = r;
}
int main(void) { make(); scrub(); say("tree_subtree\n"); return 0; }
