/* SPDX-License-Identifier: MIT */
/*
 * live.c - the writer's table of live heap blocks: address -> block id.
 *
 * The log names blocks by id (common/format.h), so the writer maps each
 * address to the id it was given when the block was created, and drops the
 * entry when the block is freed. Open addressing with linear probing and
 * backward-shift deletion (no tombstones, so a table that churns for hours
 * never degrades). Memory from ht_mem_*, grown at three-quarters load:
 * probes stay short (2.5 slots for a hit, 8.5 for a new address, the next
 * lines the processor fetches anyway), and a heap of millions of live
 * blocks keeps half the table it would at half load, which is what the
 * recorder pays for it (the kernel zeroing each new table, random inserts
 * missing the cache and the TLB) and what a snapshot's fork copies and its
 * child reads in place. The blocks are also kept counted per 256 KiB of
 * address space (addrbuckets.h): a snapshot's index places them by those
 * counts instead of reading the table once more to count them.
 * Writer-only: callers hold the writer lock.
 */
#define _GNU_SOURCE
#include <string.h>

#include "addrbuckets.h"
#include "ht.h"
#include "snapindex.h"

/* On a cache line of their own: the writer changes `used` on every event,
 * and the threads read what shared a line with it on every one of theirs
 * (the shim's code range, for each stack frame): with them on one line
 * recording churn took 20-30% longer. */
static struct {
    struct ht_live_slot *slots;
    size_t cap, used;
    uint64_t newest_id;
} __attribute__((aligned(64))) live;

/* The live blocks counted per bucket of address space (addrbuckets.h), for
 * a snapshot's index; `counted` false once they cannot be (too many GiBs,
 * no memory) until the table is cleared. */
static struct ht_addr_buckets buckets;
static bool counted;

static void count_block(uint64_t addr, uint32_t delta)
{
    if (!counted)
        return;
    size_t gi = ht_buckets_gib(&buckets, addr);
    if (gi == SIZE_MAX)
        counted = false;
    else
        buckets.count[ht_buckets_index(gi, addr)] += delta; /* -1 wraps to a decrement */
}

const struct ht_addr_buckets *ht_live_buckets(void)
{
    return counted ? &buckets : NULL;
}

static inline size_t slot_of(uint64_t addr)
{
    return (size_t)(((addr >> 4) * 0x9e3779b97f4a7c15ull) >> 20) & (live.cap - 1);
}

static bool grow(void)
{
    size_t ncap = live.cap ? live.cap * 2 : 1 << 16;
    struct ht_live_slot *old = live.slots;
    size_t ocap = live.cap;
    struct ht_live_slot *fresh = ht_mem_alloc_huge(ncap * sizeof *fresh);
    if (!fresh)
        return false;
    if (!buckets.count) { /* mapped, touched a GiB at a time */
        buckets.count =
            ht_mem_alloc((size_t)HT_BUCKET_GIBS * HT_BUCKETS_PER_GIB * sizeof *buckets.count);
        counted = buckets.count != NULL;
    }
    live.slots = fresh;
    live.cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].addr)
            continue;
        size_t j = slot_of(old[i].addr);
        while (live.slots[j].addr)
            j = (j + 1) & (live.cap - 1);
        live.slots[j] = old[i];
    }
    ht_mem_free(old);
    return true;
}

bool ht_live_put(uint64_t addr, uint64_t id, uint64_t size, uint64_t stack)
{
    if ((live.used + 1) * 4 > live.cap * 3 && !grow())
        return false;
    size_t i = slot_of(addr);
    while (live.slots[i].addr && live.slots[i].addr != addr)
        i = (i + 1) & (live.cap - 1);
    if (!live.slots[i].addr) {
        live.used++;
        count_block(addr, 1);
    }
    if (id > live.newest_id)
        live.newest_id = id;
    live.slots[i].addr = addr; /* an address seen live again: the newer block wins */
    live.slots[i].id = id;
    live.slots[i].size = size;
    live.slots[i].stack = stack;
    return true;
}

uint64_t ht_live_take(uint64_t addr)
{
    if (!live.cap || !addr)
        return 0;
    size_t i = slot_of(addr);
    while (live.slots[i].addr != addr) {
        if (!live.slots[i].addr)
            return 0;
        i = (i + 1) & (live.cap - 1);
    }
    uint64_t id = live.slots[i].id;
    count_block(addr, (uint32_t)-1);
    /* Backward-shift: pull later entries of the probe run into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & (live.cap - 1); live.slots[j].addr; j = (j + 1) & (live.cap - 1)) {
        size_t home = slot_of(live.slots[j].addr);
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            live.slots[hole] = live.slots[j];
            hole = j;
        }
    }
    live.slots[hole].addr = 0;
    live.used--;
    return id;
}

uint64_t ht_live_get(uint64_t addr)
{
    if (!live.cap || !addr)
        return 0;
    for (size_t i = slot_of(addr); live.slots[i].addr; i = (i + 1) & (live.cap - 1))
        if (live.slots[i].addr == addr)
            return live.slots[i].id;
    return 0;
}

void ht_live_clear(void)
{
    if (live.slots)
        memset(live.slots, 0, live.cap * sizeof *live.slots);
    live.used = 0;
    live.newest_id = 0;
    if (buckets.count) {
        memset(buckets.count, 0, buckets.ngib * HT_BUCKETS_PER_GIB * sizeof *buckets.count);
        buckets.ngib = buckets.last = 0;
        counted = true;
    }
}

size_t ht_live_export(struct ht_live_block *out, size_t room)
{
    size_t n = 0;
    for (size_t i = 0; i < live.cap && n < room; i++)
        if (live.slots[i].addr) {
            out[n].addr = live.slots[i].addr;
            out[n].size = live.slots[i].size;
            out[n].id = live.slots[i].id;
            out[n].stack = live.slots[i].stack;
            n++;
        }
    return n;
}

const struct ht_live_slot *ht_live_slots(size_t *cap)
{
    *cap = live.cap;
    return live.slots;
}

size_t ht_live_count(void)
{
    return live.used;
}

uint64_t ht_live_newest_id(void)
{
    return live.newest_id;
}
