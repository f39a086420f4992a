/* SPDX-License-Identifier: MIT */
/*
 * mapreg.c - the mmap registry: the program's own anonymous read-write
 * mappings, which a snapshot scans as roots (valgrind scans any mapping).
 *
 * Only mappings made through our mmap wrapper are the program's own:
 * malloc's big blocks and glibc's thread stacks are mapped inside libc,
 * past us. The writer keeps the registry as it encodes MMAP, MREMAP and
 * MUNMAP records, so it always matches the log up to the record being
 * written; a snapshot (its child, or this thread) reads it.
 *
 * Kept as page numbers, never as addresses: a conservative collector in the
 * program (libgc) may scan our memory as a root, and an address here would
 * keep the first object of each of its heap sections alive.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "ht.h"

#define MAX_MAPPINGS 4096
#define PAGE_SHIFT 12

struct mapping {
    uint64_t first, end; /* pages [first, end) */
};

static struct mapreg {
    struct mapping *list; /* MAX_MAPPINGS, mapped on first use (writer only) */
    size_t n;
} M;

static uint64_t page_up(uint64_t addr)
{
    return (addr >> PAGE_SHIFT) + ((addr & ((1ull << PAGE_SHIFT) - 1)) != 0);
}

void ht_mapreg_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags)
{
    if (!(flags & MAP_ANONYMOUS) || !(prot & PROT_READ) || !(prot & PROT_WRITE))
        return;
    if (!M.list)
        M.list = ht_mem_alloc(MAX_MAPPINGS * sizeof *M.list);
    if (M.list && M.n < MAX_MAPPINGS)
        M.list[M.n++] = (struct mapping){addr >> PAGE_SHIFT, page_up(addr + len)};
}

/* [start, +len) is unmapped: a whole mapping inside it goes; one that
 * overlaps is trimmed. */
void ht_mapreg_munmap(uint64_t start, uint64_t len)
{
    uint64_t first = start >> PAGE_SHIFT, end = page_up(start + len);
    for (size_t i = 0; i < M.n;) {
        uint64_t f0 = M.list[i].first, e0 = M.list[i].end;
        if (e0 <= first || f0 >= end) {
            i++;
            continue;
        }
        if (f0 >= first && e0 <= end) {
            M.list[i] = M.list[--M.n];
            continue;
        }
        if (f0 < first) /* keep the part before the hole (a part after is lost: rare) */
            M.list[i].end = first;
        else
            M.list[i].first = end;
        i++;
    }
}

void ht_mapreg_mremap(uint64_t old, uint64_t old_len, uint64_t addr, uint64_t len)
{
    for (size_t i = 0; i < M.n; i++)
        if (M.list[i].first == old >> PAGE_SHIFT && M.list[i].end == page_up(old + old_len)) {
            M.list[i].first = addr >> PAGE_SHIFT;
            M.list[i].end = page_up(addr + len);
            return;
        }
}

bool ht_mapreg_empty(void)
{
    return M.n == 0;
}

void ht_mapreg_each_in(uint64_t lo, uint64_t hi, ht_mapreg_fn *fn, void *arg)
{
    for (size_t i = 0; i < M.n; i++) {
        uint64_t a = M.list[i].first << PAGE_SHIFT, e = M.list[i].end << PAGE_SHIFT;
        if (a < lo)
            a = lo;
        if (e > hi)
            e = hi;
        if (a < e)
            fn(arg, a, e - a);
    }
}
