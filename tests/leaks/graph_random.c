/* graph_random [N SEED]: N blocks of 32 bytes (default 3000), each with two
 * pointers to random blocks (cycles of every length, self-loops, shared
 * targets), some interior; 5 blocks kept by globals, one block in 8 freed
 * again after its pointers were taken out. A fixed xorshift sequence makes
 * the same graph under both tools. Expect: as valgrind, in every class. */
#include "leak.h"
#define MAXN 20000
struct node {
    struct node *a, *b;
    uint64_t pad[2];
};
static struct node **g_all; /* cleared before the end */
struct node *g_root[5];
static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static NOINLINE void build(size_t n)
{
    g_all = xmalloc(n * sizeof *g_all);
    for (size_t i = 0; i < n; i++)
        g_all[i] = xmalloc(sizeof(struct node));
    for (size_t i = 0; i < n; i++) {
        struct node *x = g_all[i];
        x->a = g_all[next() % n];
        x->b = g_all[next() % n];
        if (next() % 16 == 0) /* an interior pointer */
            x->b = (struct node *)((char *)x->b + 8);
    }
    for (size_t i = 0; i < 5; i++)
        g_root[i] = g_all[next() % n];
    /* free one block in 8 after unlinking it from every node */
    for (size_t i = 0; i < n; i += 8) {
        struct node *dead = g_all[i];
        for (size_t j = 0; j < n; j++) {
            struct node *x = g_all[j];
            if (j % 8 == 0)
                continue;
            if (x->a == dead)
                x->a = NULL;
            if ((char *)x->b == (char *)dead || (char *)x->b == (char *)dead + 8)
                x->b = NULL;
        }
        for (size_t k = 0; k < 5; k++)
            if (g_root[k] == dead)
                g_root[k] = NULL;
    }
    for (size_t i = 0; i < n; i += 8)
        free(g_all[i]);
    free(g_all);
    g_all = NULL;
}
int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 3000;
    if (argc > 2)
        rng = (uint64_t)atol(argv[2]);
    if (n < 8 || n > MAXN)
        return 2;
    build(n);
    scrub();
    say("graph_random\n");
    return 0;
}
