/* aligned_many: aligned_alloc and posix_memalign at alignments 16 to 65536,
 * one of each kept in a global array and one lost, interleaved with plain
 * mallocs that are freed. Expect: definitely and reachable as valgrind. */
#include "leak.h"
#include <malloc.h>
void *g_keep[13];
static NOINLINE void lose(size_t align, size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, align, n))
        _exit(6);
    memset(p, 0, n);
}
int main(void)
{
    for (int i = 0; i < 13; i++) {
        size_t align = (size_t)16 << i;
        void *tmp = xmalloc(24 + (size_t)i);
        g_keep[i] = aligned_alloc(align, align * 2);
        lose(align, 40 + (size_t)i);
        free(tmp);
    }
    scrub();
    say("aligned_many\n");
    return 0;
}
