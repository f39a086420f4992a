/* graph_cycles_lost: 40 lost rings of 1 to 40 blocks of 48 bytes (each
 * block also points at the ring's next-but-one), and 10 lost rings hanging
 * off a reachable ring through a chord that is then cut. Expect: definitely
 * 50 leaders, the rest indirectly lost, reachable the kept ring. */
#include "leak.h"
struct ring {
    struct ring *next, *skip;
    char pad[32];
};
struct ring *g_kept;
static NOINLINE struct ring *make_ring(int n)
{
    struct ring *first = xmalloc(sizeof *first), *p = first;
    for (int i = 1; i < n; i++) {
        p->next = xmalloc(sizeof *p);
        p = p->next;
    }
    p->next = first;
    for (p = first;; p = p->next) {
        p->skip = p->next->next;
        if (p->next == first)
            break;
    }
    return first;
}
static NOINLINE void lose_rings(void)
{
    for (int n = 1; n <= 40; n++)
        (void)make_ring(n);
}
static NOINLINE void keep_and_cut(void)
{
    g_kept = make_ring(5);
    struct ring *hang[10];
    for (int i = 0; i < 10; i++)
        hang[i] = make_ring(3 + i);
    for (int i = 0; i < 10; i++) { /* hang ring i off the kept ring ... */
        struct ring *x = g_kept;
        for (int k = 0; k < i % 5; k++)
            x = x->next;
        x->pad[0] = 1;
        *(struct ring **)&x->pad[8] = hang[i];
    }
    for (int k = 0; k < 5; k++, g_kept = g_kept->next) /* ... then cut them all */
        *(struct ring **)&g_kept->pad[8] = NULL;
    for (int i = 0; i < 10; i++)
        hang[i] = NULL;
}
int main(void)
{
    lose_rings();
    scrub();
    keep_and_cut();
    scrub();
    say("graph_cycles_lost\n");
    return 0;
}
