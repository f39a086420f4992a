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
 * heaptrace attach adds a second list: the heap and anonymous mappings the
 * program had before the attach (attach.c), where the blocks allocated then
 * live; munmaps trim it the same way.
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

struct mapreg {
    struct mapping *list; /* MAX_MAPPINGS, mapped on first use (writer only) */
    size_t n;
};
static struct mapreg M, P; /* the program's mappings; those from before an attach */

static uint64_t page_up(uint64_t addr)
{
    return (addr >> PAGE_SHIFT) + ((addr & ((1ull << PAGE_SHIFT) - 1)) != 0);
}

static void add(struct mapreg *r, uint64_t addr, uint64_t len)
{
    if (!r->list)
        r->list = ht_mem_alloc(MAX_MAPPINGS * sizeof *r->list);
    if (r->list && r->n < MAX_MAPPINGS)
        r->list[r->n++] = (struct mapping){addr >> PAGE_SHIFT, page_up(addr + len)};
}

void ht_mapreg_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags)
{
    if ((flags & MAP_ANONYMOUS) && (prot & PROT_READ) && (prot & PROT_WRITE))
        add(&M, addr, len);
}

void ht_mapreg_preattach(uint64_t addr, uint64_t len)
{
    add(&P, addr, len);
}

/* Pages [first, end) are unmapped: a whole mapping inside goes; one that
 * overlaps is trimmed. */
static void trim(struct mapreg *r, uint64_t first, uint64_t end)
{
    for (size_t i = 0; i < r->n;) {
        uint64_t f0 = r->list[i].first, e0 = r->list[i].end;
        if (e0 <= first || f0 >= end) {
            i++;
            continue;
        }
        if (f0 >= first && e0 <= end) {
            r->list[i] = r->list[--r->n];
            continue;
        }
        if (f0 < first) /* keep the part before the hole (a part after is lost: rare) */
            r->list[i].end = first;
        else
            r->list[i].first = end;
        i++;
    }
}

void ht_mapreg_munmap(uint64_t start, uint64_t len)
{
    uint64_t first = start >> PAGE_SHIFT, end = page_up(start + len);
    trim(&M, first, end);
    trim(&P, first, end);
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

bool ht_mapreg_preattach_empty(void)
{
    return P.n == 0;
}

static void each_in(const struct mapreg *r, uint64_t lo, uint64_t hi, ht_mapreg_fn *fn, void *arg)
{
    for (size_t i = 0; i < r->n; i++) {
        uint64_t a = r->list[i].first << PAGE_SHIFT, e = r->list[i].end << PAGE_SHIFT;
        if (a < lo)
            a = lo;
        if (e > hi)
            e = hi;
        if (a < e)
            fn(arg, a, e - a);
    }
}

void ht_mapreg_each_in(uint64_t lo, uint64_t hi, ht_mapreg_fn *fn, void *arg)
{
    each_in(&M, lo, hi, fn, arg);
}

void ht_mapreg_each_preattach_in(uint64_t lo, uint64_t hi, ht_mapreg_fn *fn, void *arg)
{
    each_in(&P, lo, hi, fn, arg);
}
