/* SPDX-License-Identifier: MIT */
/*
 * addrbuckets.h - live blocks counted per 256 KiB of address space: what a
 * snapshot's index needs to put every block in its place in address order
 * (snapindex.c). The recorder's live table keeps the counts up to date as
 * blocks come and go (live.c), so that a snapshot does not have to read the
 * whole table once more to count them.
 *
 * Buckets are grouped by the GiB of address space they lie in, each GiB
 * found in a short table (a heap touches a few: the main heap, the arenas,
 * runs of mmap'd chunks); a heap spread over more than HT_BUCKET_GIBS GiBs
 * has no counts (the index then counts for itself, or sorts another way).
 * The recorder never forgets a GiB it has seen: a program whose mappings
 * wander over more than that in its life loses the counts until its table
 * is cleared (a fork), and its snapshots take the counting pass again.
 */
#ifndef HT_ADDRBUCKETS_H
#define HT_ADDRBUCKETS_H

#include <stddef.h>
#include <stdint.h>

#define HT_GIB_SHIFT 30
#define HT_BUCKET_SHIFT 18
#define HT_BUCKETS_PER_GIB (1u << (HT_GIB_SHIFT - HT_BUCKET_SHIFT))
#define HT_BUCKET_GIBS 64

struct ht_addr_buckets {
    uint64_t gib[HT_BUCKET_GIBS]; /* addr >> HT_GIB_SHIFT, in the order first seen */
    size_t ngib, last;
    uint32_t *count; /* HT_BUCKET_GIBS * HT_BUCKETS_PER_GIB, GiBs in gib[] order */
};

/* The index of addr's GiB in b->gib, added when new; SIZE_MAX when full. */
static inline size_t ht_buckets_gib(struct ht_addr_buckets *b, uint64_t addr)
{
    uint64_t key = addr >> HT_GIB_SHIFT;
    if (b->ngib && b->gib[b->last] == key)
        return b->last;
    for (size_t i = 0; i < b->ngib; i++)
        if (b->gib[i] == key)
            return b->last = i;
    if (b->ngib == HT_BUCKET_GIBS)
        return SIZE_MAX;
    b->gib[b->ngib] = key;
    return b->last = b->ngib++;
}

/* addr's bucket among all, in GiB `gib` (from ht_buckets_gib). */
static inline size_t ht_buckets_index(size_t gib, uint64_t addr)
{
    return gib * HT_BUCKETS_PER_GIB + ((addr >> HT_BUCKET_SHIFT) & (HT_BUCKETS_PER_GIB - 1));
}

/* live.c: the counts of the live table's blocks, or NULL when it has none
 * (too many GiBs, no memory). Writer only, like the table. */
const struct ht_addr_buckets *ht_live_buckets(void);

#endif /* HT_ADDRBUCKETS_H */
