/* mmap_root: the only pointer to a 640-byte block is in an anonymous
 * read-write mmap the program made. The issue says such mappings are roots;
 * valgrind 3.19 scans every readable and writable client mapping outside its
 * heap. A second pointer, in a read-only mapping, keeps nothing (valgrind
 * skips non-writable segments). Expect: reachable 640/1, definitely 320/1. */
#include "leak.h"
#include <sys/mman.h>
static NOINLINE void make(void)
{
    void **rw = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void **ro = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rw == MAP_FAILED || ro == MAP_FAILED)
        _exit(99);
    rw[1000] = xmalloc(640);
    ro[7] = xmalloc(320);
    mprotect(ro, 1 << 16, PROT_READ);
}
int main(void) { make(); scrub(); say("mmap_root\n"); return 0; }
