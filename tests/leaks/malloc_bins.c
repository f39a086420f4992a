/* malloc_bins: a lost 24-byte block whose malloc chunk is followed by a
 * free one that malloc keeps in its bins (its tcache for that size full):
 * the bin's pointer to the free chunk's header, in libc's main_arena, lands
 * inside the lost block's last 8 bytes. It is malloc's, not the program's.
 * Expect: definitely 24/1, reachable 24/1 (the guard block). */
#include "leak.h"
void *g_guard;
static NOINLINE void make(void)
{
    void *fill[7];
    for (int i = 0; i < 7; i++)
        fill[i] = xmalloc(200);
    void *lost = xmalloc(24);
    void *freed = xmalloc(200);
    g_guard = xmalloc(24); /* keeps the freed chunk away from the top chunk */
    for (int i = 0; i < 7; i++)
        free(fill[i]); /* the tcache of this size is full now */
    free(freed);       /* into the unsorted bin */
    (void)lost;
}
int main(void)
{
    make();
    scrub();
    say("malloc_bins\n");
    return 0;
}
