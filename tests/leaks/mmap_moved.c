/* mmap_moved: the program's anonymous mappings change after they are made,
 * and the roots follow (preload/mapreg.c). A mapping moved by mremap (to a
 * fixed place, so that it surely moves) keeps its block (640) reachable from
 * there; a mapping with its second page unmapped keeps the block its first
 * page points to (320), not the one the gone page pointed to (160); a mapping
 * unmapped whole keeps nothing (80). Expect: reachable 960/2, definitely
 * 240/2. */
#define _GNU_SOURCE
#include "leak.h"
#include <sys/mman.h>
static NOINLINE void make(void)
{
    const size_t page = 4096;
    void **moved = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void **holed = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void **gone = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *to = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (moved == MAP_FAILED || holed == MAP_FAILED || gone == MAP_FAILED || to == MAP_FAILED)
        _exit(99);
    moved[10] = xmalloc(640);
    holed[10] = xmalloc(320);
    holed[page / sizeof(void *) + 10] = xmalloc(160);
    gone[10] = xmalloc(80);
    munmap((char *)holed + page, page);
    munmap(gone, page);
    if (mremap(moved, 2 * page, 4 * page, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to)
        _exit(98);
}
int main(void) { make(); scrub(); say("mmap_moved\n"); return 0; }
