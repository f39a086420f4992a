/* big_blocks: blocks above malloc's mmap threshold (each its own mapping):
 * one of 1 MiB kept in a global, one of 300 KiB lost, one of 200 KiB
 * reachable only through the kept one. Expect: definitely 307200/1,
 * reachable 1253376/2. */
#include "leak.h"
void **g_big;
static NOINLINE void lose(void) { (void)xmalloc(300 * 1024); }
int main(void)
{
    g_big = xmalloc(1 << 20);
    g_big[1000] = xmalloc(200 * 1024);
    lose();
    scrub();
    say("big_blocks\n");
    return 0;
}
