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
 * child reads. Writer-only:
 * callers hold the writer lock.
 */
#define _GNU_SOURCE
#include <string.h>

#include "ht.h"
#include "snapindex.h"

struct live_slot {
    uint64_t addr; /* 0 = empty */
    uint64_t id;
    uint64_t size; /* for snapshots: which words point into this block */
    uint64_t stack; /* stack hash: a fork child re-announces the block with it */
};

static struct live_slot *slots;
static size_t cap, used;

static inline size_t slot_of(uint64_t addr)
{
    return (size_t)(((addr >> 4) * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static bool grow(void)
{
    size_t ncap = cap ? cap * 2 : 1 << 16;
    struct live_slot *old = slots;
    size_t ocap = cap;
    struct live_slot *fresh = ht_mem_alloc_huge(ncap * sizeof *fresh);
    if (!fresh)
        return false;
    slots = fresh;
    cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].addr)
            continue;
        size_t j = slot_of(old[i].addr);
        while (slots[j].addr)
            j = (j + 1) & (cap - 1);
        slots[j] = old[i];
    }
    ht_mem_free(old);
    return true;
}

bool ht_live_put(uint64_t addr, uint64_t id, uint64_t size, uint64_t stack)
{
    if ((used + 1) * 4 > cap * 3 && !grow())
        return false;
    size_t i = slot_of(addr);
    while (slots[i].addr && slots[i].addr != addr)
        i = (i + 1) & (cap - 1);
    if (!slots[i].addr)
        used++;
    slots[i].addr = addr; /* an address seen live again: the newer block wins */
    slots[i].id = id;
    slots[i].size = size;
    slots[i].stack = stack;
    return true;
}

uint64_t ht_live_take(uint64_t addr)
{
    if (!cap || !addr)
        return 0;
    size_t i = slot_of(addr);
    while (slots[i].addr != addr) {
        if (!slots[i].addr)
            return 0;
        i = (i + 1) & (cap - 1);
    }
    uint64_t id = slots[i].id;
    /* Backward-shift: pull later entries of the probe run into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & (cap - 1); slots[j].addr; j = (j + 1) & (cap - 1)) {
        size_t home = slot_of(slots[j].addr);
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            slots[hole] = slots[j];
            hole = j;
        }
    }
    slots[hole].addr = 0;
    used--;
    return id;
}

uint64_t ht_live_get(uint64_t addr)
{
    if (!cap || !addr)
        return 0;
    for (size_t i = slot_of(addr); slots[i].addr; i = (i + 1) & (cap - 1))
        if (slots[i].addr == addr)
            return slots[i].id;
    return 0;
}

void ht_live_clear(void)
{
    if (slots)
        memset(slots, 0, cap * sizeof *slots);
    used = 0;
}

size_t ht_live_export(struct ht_live_block *out, size_t room)
{
    size_t n = 0;
    for (size_t i = 0; i < cap && n < room; i++)
        if (slots[i].addr) {
            out[n].addr = slots[i].addr;
            out[n].size = slots[i].size;
            out[n].id = slots[i].id;
            out[n].stack = slots[i].stack;
            n++;
        }
    return n;
}

size_t ht_live_export_blocks(struct ht_snap_block *out, size_t room)
{
    size_t n = 0;
    for (size_t i = 0; i < cap && n < room; i++)
        if (slots[i].addr)
            out[n++] = (struct ht_snap_block){slots[i].addr, slots[i].size, slots[i].id};
    return n;
}

size_t ht_live_count(void)
{
    return used;
}
