/* many_blocks: a single-threaded program makes 50,000 blocks of 8 to 200
 * bytes in a table, frees every third (leaving free chunks in malloc's bins
 * between live blocks), loses every fifth and keeps the rest. Pointers
 * malloc keeps to its own free chunks (in libc's main_arena) fall inside the
 * live block before each chunk: they are not the program's. Expect: as
 * valgrind. */
#include "leak.h"
#define N 50000
void **g_table;
static NOINLINE void build(void)
{
    g_table = xmalloc(N * sizeof *g_table);
    for (size_t i = 0; i < N; i++)
        g_table[i] = xmalloc(8 + (i * 7919) % 193);
    for (size_t i = 0; i < N; i += 3) {
        free(g_table[i]);
        g_table[i] = NULL;
    }
    for (size_t i = 1; i < N; i += 5)
        g_table[i] = NULL;
}
int main(void)
{
    build();
    scrub();
    say("many_blocks\n");
    return 0;
}
