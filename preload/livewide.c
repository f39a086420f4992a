/* SPDX-License-Identifier: MIT */
/*
 * livewide.c - livewide.h's table: open addressing on the full address,
 * linear probing, backward-shift deletion, doubled at three-quarters load.
 */
#include <string.h>

#include "ht.h"
#include "livewide.h"

static struct {
    struct ht_live_block *s;
    size_t cap, used;
} wide;

static inline size_t home(uint64_t addr)
{
    return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 32) & (wide.cap - 1);
}

/* addr's slot, or the empty one where it would go. */
static size_t slot_of(uint64_t addr)
{
    size_t i = home(addr);
    while (wide.s[i].addr && wide.s[i].addr != addr)
        i = (i + 1) & (wide.cap - 1);
    return i;
}

static bool grow(void)
{
    size_t ocap = wide.cap, ncap = ocap ? 2 * ocap : 64;
    struct ht_live_block *old = wide.s, *fresh = ht_mem_alloc(ncap * sizeof *fresh);
    if (!fresh)
        return false;
    wide.s = fresh;
    wide.cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].addr)
            wide.s[slot_of(old[i].addr)] = old[i];
    ht_mem_free(old);
    return true;
}

bool ht_wide_put(const struct ht_live_block *b, bool *replaced)
{
    if ((wide.used + 1) * 4 > wide.cap * 3 && !grow())
        return false;
    size_t i = slot_of(b->addr);
    *replaced = wide.s[i].addr != 0;
    wide.used += !*replaced;
    wide.s[i] = *b;
    return true;
}

struct ht_live_block *ht_wide_find(uint64_t addr)
{
    if (!wide.used || !addr)
        return NULL;
    size_t i = slot_of(addr);
    return wide.s[i].addr ? &wide.s[i] : NULL;
}

bool ht_wide_take(uint64_t addr, struct ht_live_block *out)
{
    struct ht_live_block *b = ht_wide_find(addr);
    if (!b)
        return false;
    if (out)
        *out = *b;
    size_t hole = (size_t)(b - wide.s); /* backward shift: no tombstones */
    for (size_t j = (hole + 1) & (wide.cap - 1); wide.s[j].addr; j = (j + 1) & (wide.cap - 1)) {
        size_t h = home(wide.s[j].addr);
        if (((j - h) & (wide.cap - 1)) >= ((j - hole) & (wide.cap - 1))) {
            wide.s[hole] = wide.s[j];
            hole = j;
        }
    }
    memset(&wide.s[hole], 0, sizeof wide.s[hole]);
    wide.used--;
    return true;
}

size_t ht_wide_count(void)
{
    return wide.used;
}

void ht_wide_clear(void)
{
    ht_mem_free(wide.s);
    memset(&wide, 0, sizeof wide);
}

struct ht_live_block *ht_wide_slots(size_t *cap)
{
    *cap = wide.cap;
    return wide.s;
}

size_t ht_wide_bytes(void)
{
    return wide.cap * sizeof *wide.s;
}
