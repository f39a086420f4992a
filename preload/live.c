/* SPDX-License-Identifier: MIT */
/*
 * live.c - the writer's table of live heap blocks (live.h): 16 bytes a
 * block, at 64% to 80% load, so 20 to 25 bytes a live block.
 *
 * Where the bytes go (docs/COSTS.md, "live blocks"): the log names a block
 * by its id (common/format.h), so a free needs the id back from the
 * address; a snapshot needs each block's size (which words point into it);
 * a fork child re-announces every block with its size and stack. One
 * compact entry holds all of it:
 *
 *     w0:  address >> 4 (44 bits) | size (16 bits) | id bits 32-35
 *     w1:  stack id (32 bits)     | id bits 0-31
 *
 * The id is kept modulo 2^36 and read back as the newest id minus the
 * block's age, which is right while the age is below 2^36: whenever the
 * newest id crosses a multiple of 2^35, the blocks older than 2^35 move to
 * the wide table (livewide.h), with the blocks of 64 KiB and more and the
 * unaligned ones (heaptrace_alloc's). A lookup tries here first, then
 * there when it holds anything.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones, so a table that churns for hours never degrades), split in 64
 * shards by the address's hash. Each shard grows by an eighth at 80% load:
 * the load stays between 71% and 80% (a doubling at 3/4 leaves it at 3/8:
 * 43 bytes a block for 16-byte entries), and a growth holds only one
 * shard twice, a 64th of the table (a single table held the old and the
 * new at once: 1.5 times its size at the peak). Growing by an eighth moves
 * each entry about 9 times over the table's life (2 when doubling), once a
 * shard is read in cache. Probes stay short enough: 3 slots for a hit, 13
 * for a new address at 80% load, four slots a cache line.
 *
 * The blocks are also kept counted per 256 KiB of address space
 * (addrbuckets.h): a snapshot's index places them by those counts.
 */
#define _GNU_SOURCE
#include <string.h>

#include "addrbuckets.h"
#include "ht.h"
#include "live.h"
#include "livewide.h"

#ifndef HT_LIVE_ID_BITS /* the tests make it small to see the ids wrap */
#define HT_LIVE_ID_BITS 36
#endif
#define ID_MASK ((1ull << HT_LIVE_ID_BITS) - 1)
#define ID_HALF (1ull << (HT_LIVE_ID_BITS - 1))
#define KEY_BITS 44
#define KEY_MASK ((1ull << KEY_BITS) - 1)
#define SIZE_WIDE 0xffffu /* sizes below this fit an entry */
#define SHARD_BITS 6
#define NSHARDS (1u << SHARD_BITS)
#define PAGE_SLOTS 256 /* entries a page; a shard is whole pages less ht_mem's header */

struct entry {
    uint64_t w0; /* 0: empty (an address of 0 is never live) */
    uint32_t stack, id_lo;
};
_Static_assert(sizeof(struct entry) == 16, "an entry is 16 bytes");
_Static_assert(HT_LIVE_ID_BITS <= 36, "the id has 36 bits of room");

struct shard {
    struct entry *e;
    uint32_t cap, used;
};

/* On a cache line of their own: the writer changes `used` on every event,
 * and the threads read what shared a line with it on every one of theirs
 * (the shim's code range, for each stack frame): with them on one line
 * recording churn took 20-30% longer. */
static struct {
    size_t used;
    uint64_t newest_id;
    struct shard shard[NSHARDS];
} __attribute__((aligned(64))) live;

/* ---- the per-bucket counts (addrbuckets.h) ------------------------------ */

/* `counted` false once they cannot be (too many GiBs, no memory) until the
 * table is cleared. */
static struct ht_addr_buckets buckets;
static bool counted = true;

static void count_block(uint64_t addr, uint32_t delta)
{
    if (!counted)
        return;
    if (!buckets.count) { /* mapped, touched a GiB at a time */
        buckets.count =
            ht_mem_alloc((size_t)HT_BUCKET_GIBS * HT_BUCKETS_PER_GIB * sizeof *buckets.count);
        if (!buckets.count) {
            counted = false;
            return;
        }
    }
    size_t gi = ht_buckets_gib(&buckets, addr);
    if (gi == SIZE_MAX)
        counted = false;
    else
        buckets.count[ht_buckets_index(gi, addr)] += delta; /* -1 wraps to a decrement */
}

const struct ht_addr_buckets *ht_live_buckets(void)
{
    return counted && buckets.count ? &buckets : NULL;
}

/* ---- entries ------------------------------------------------------------ */

static inline bool addr_fits(uint64_t addr)
{
    return (addr & 15) == 0 && (addr >> 4) <= KEY_MASK;
}

/* Blocks next to each other in memory get slots next to each other: a
 * KiB of address space (64 granules of 16 bytes) hashes to a random shard
 * and place, and each granule of it to the next slot from there. Programs
 * allocate runs of neighbours, which then share the table's cache lines and
 * pages: recording 2 M blocks of bigheap took a fifth less CPU than with
 * each address hashed on its own (the shards are on 4 KiB pages, so a
 * random slot costs a TLB miss as well as a cache miss), and 2 M dense
 * 32-byte blocks 30% less. Runs stay short: a window's granules have
 * slots of their own, so its blocks only meet other windows' blocks. */
#define WINDOW_BITS 6
/* The hash of key's window: it picks the shard and the window's first slot. */
static inline uint64_t hash_of(uint64_t key)
{
    return (key >> WINDOW_BITS) * 0x9e3779b97f4a7c15ull;
}

static inline struct shard *shard_of(uint64_t h)
{
    return &live.shard[h >> (64 - SHARD_BITS)];
}

static inline uint32_t home_of(uint64_t h, uint64_t key, uint32_t cap)
{
    uint32_t home = (uint32_t)((((h >> 26) & 0xffffffffu) * cap) >> 32) +
                    (uint32_t)(key & ((1u << WINDOW_BITS) - 1));
    return home < cap ? home : home - cap;
}

static inline struct entry encode(const struct ht_live_block *b)
{
    uint64_t id = b->id & ID_MASK;
    return (struct entry){(b->addr >> 4) | b->size << KEY_BITS | (id >> 32) << 60, b->stack,
                          (uint32_t)id};
}

static inline void decode(const struct entry *e, uint64_t newest, struct ht_live_block *b)
{
    uint64_t id = ((e->w0 >> 60) << 32 | e->id_lo) & ID_MASK;
    b->addr = (e->w0 & KEY_MASK) << 4;
    b->size = (e->w0 >> KEY_BITS) & 0xffff;
    b->id = newest - ((newest - id) & ID_MASK);
    b->stack = e->stack;
}

static inline uint64_t id_of(const struct entry *e)
{
    uint64_t id = ((e->w0 >> 60) << 32 | e->id_lo) & ID_MASK;
    return live.newest_id - ((live.newest_id - id) & ID_MASK);
}

/* key's slot in s, or the empty one where it would go (s->cap > 0). */
static inline uint32_t slot_of(const struct shard *s, uint64_t key, uint64_t h)
{
    uint32_t i = home_of(h, key, s->cap);
    for (;;) {
        uint64_t w = s->e[i].w0;
        if (!w || (w & KEY_MASK) == key)
            return i;
        if (++i == s->cap)
            i = 0;
    }
}

/* Removes entry i, pulling the later entries of its probe run into the hole. */
static void remove_at(struct shard *s, uint32_t i)
{
    uint32_t hole = i, cap = s->cap;
    for (uint32_t j = i + 1 == cap ? 0 : i + 1; s->e[j].w0; j = j + 1 == cap ? 0 : j + 1) {
        uint64_t key = s->e[j].w0 & KEY_MASK;
        uint32_t h = home_of(hash_of(key), key, cap);
        uint32_t from_home = j >= h ? j - h : j + cap - h;
        uint32_t from_hole = j >= hole ? j - hole : j + cap - hole;
        if (from_home >= from_hole) {
            s->e[hole] = s->e[j];
            hole = j;
        }
    }
    s->e[hole] = (struct entry){0, 0, 0};
    s->used--;
}

/* The entry for addr, or NULL. */
static inline struct entry *find(uint64_t addr)
{
    if (!addr_fits(addr) || !addr)
        return NULL;
    uint64_t key = addr >> 4, h = hash_of(key);
    struct shard *s = shard_of(h);
    if (!s->cap)
        return NULL;
    struct entry *e = &s->e[slot_of(s, key, h)];
    return e->w0 ? e : NULL;
}

static void remove_entry(struct entry *e)
{
    uint64_t h = hash_of(e->w0 & KEY_MASK);
    struct shard *s = shard_of(h);
    remove_at(s, (uint32_t)(e - s->e));
}

/* ---- growth, and moving old ids out ------------------------------------- */

/* A sweep: the blocks whose id is `now - ID_HALF` or older (decoded
 * against `newest`, the newest id before `now`) move to the wide table.
 * With fn, a renumbering: each block gets id next_id++ first, and fn sees it. */
struct sweep {
    uint64_t newest, now;
    ht_live_renumber_fn *fn;
    void *arg;
    uint64_t next_id;
};

/* s rehashed into ncap slots, less what the sweep takes out. */
static bool rebuild(struct shard *s, uint32_t ncap, struct sweep *sw)
{
    struct entry *old = s->e, *fresh = ht_mem_alloc_huge((size_t)ncap * sizeof *fresh);
    if (!fresh)
        return false;
    uint32_t ocap = s->cap;
    s->e = fresh;
    s->cap = ncap;
    s->used = 0;
    for (uint32_t i = 0; i < ocap; i++) {
        if (!old[i].w0)
            continue;
        struct entry e = old[i];
        if (sw) {
            struct ht_live_block b;
            decode(&e, sw->newest, &b);
            if (sw->fn) {
                b.id = sw->next_id++;
                sw->fn(sw->arg, &b);
            }
            bool replaced;
            if (sw->now - b.id >= ID_HALF) {
                if (!ht_wide_put(&b, &replaced)) { /* no memory: the block is forgotten */
                    live.used--;
                    count_block(b.addr, (uint32_t)-1);
                }
                continue;
            }
            e = encode(&b);
        }
        uint64_t key = e.w0 & KEY_MASK;
        fresh[slot_of(s, key, hash_of(key))] = e;
        s->used++;
    }
    ht_mem_free(old);
    return true;
}

static uint32_t grown_cap(uint32_t cap)
{
    uint32_t pages = (cap + 1) / PAGE_SLOTS;
    pages = cap ? pages + (pages + 7) / 8 : 1;
    return pages * PAGE_SLOTS - 1;
}

/* The newest id goes from `newest` to `now`: when that crosses a multiple
 * of ID_HALF, the blocks older than ID_HALF move out, so that every age
 * here stays below 2^HT_LIVE_ID_BITS until the next crossing. */
static void advance_newest(uint64_t now)
{
    struct sweep sw = {live.newest_id, now, NULL, NULL, 0};
    live.newest_id = now;
    if (sw.newest / ID_HALF == now / ID_HALF)
        return;
    for (unsigned i = 0; i < NSHARDS; i++)
        if (live.shard[i].used)
            rebuild(&live.shard[i], live.shard[i].cap, &sw); /* no memory: they stay, misread */
}

/* ---- the API ------------------------------------------------------------ */

static bool put_compact(const struct ht_live_block *b, bool *replaced)
{
    uint64_t key = b->addr >> 4, h = hash_of(key);
    struct shard *s = shard_of(h);
    if ((s->used + 1) * 5ull > s->cap * 4ull && !rebuild(s, grown_cap(s->cap), NULL))
        return false;
    struct entry *e = &s->e[slot_of(s, key, h)];
    *replaced = e->w0 != 0;
    s->used += !*replaced;
    *e = encode(b);
    return true;
}

bool ht_live_put(uint64_t addr, uint64_t id, uint64_t size, uint32_t stack)
{
    if (!addr)
        return true; /* not a block */
    if (id > live.newest_id)
        advance_newest(id);
    struct ht_live_block b = {addr, size, id, stack};
    bool replaced;
    if (addr_fits(addr) && size < SIZE_WIDE && live.newest_id - id < ID_HALF) {
        if (!put_compact(&b, &replaced))
            return false;
        if (!replaced && ht_wide_count())
            replaced = ht_wide_take(addr, NULL);
    } else {
        if (!ht_wide_put(&b, &replaced))
            return false;
        struct entry *e = replaced ? NULL : find(addr);
        if (e) {
            remove_entry(e);
            replaced = true;
        }
    }
    if (!replaced) {
        live.used++;
        count_block(addr, 1);
    }
    return true;
}

uint64_t ht_live_take(uint64_t addr)
{
    struct entry *e = find(addr);
    uint64_t id = 0;
    if (e) {
        id = id_of(e);
        remove_entry(e);
    } else {
        struct ht_live_block b;
        if (!ht_wide_take(addr, &b))
            return 0;
        id = b.id;
    }
    live.used--;
    count_block(addr, (uint32_t)-1);
    return id;
}

uint64_t ht_live_get(uint64_t addr)
{
    const struct entry *e = find(addr);
    if (e)
        return id_of(e);
    const struct ht_live_block *b = ht_wide_find(addr);
    return b ? b->id : 0;
}

void ht_live_clear(void)
{
    for (unsigned i = 0; i < NSHARDS; i++)
        ht_mem_free(live.shard[i].e);
    memset(&live, 0, sizeof live);
    ht_wide_clear();
    if (buckets.count)
        memset(buckets.count, 0, buckets.ngib * HT_BUCKETS_PER_GIB * sizeof *buckets.count);
    buckets.ngib = buckets.last = 0;
    counted = true;
}

size_t ht_live_read(struct ht_live_cursor *c, struct ht_live_block *out, size_t room)
{
    size_t n = 0;
    for (; c->part < NSHARDS && n < room; c->part++, c->slot = 0) {
        struct shard *s = &live.shard[c->part];
        for (; c->slot < s->cap && n < room; c->slot++)
            if (s->e[c->slot].w0)
                decode(&s->e[c->slot], live.newest_id, &out[n++]);
        if (c->slot < s->cap)
            return n; /* out is full */
        if (c->release) {
            ht_mem_free(s->e);
            *s = (struct shard){NULL, 0, 0};
        }
    }
    size_t cap;
    const struct ht_live_block *w = ht_wide_slots(&cap);
    for (; c->slot < cap && n < room; c->slot++)
        if (w[c->slot].addr)
            out[n++] = w[c->slot];
    if (c->release && c->slot == cap)
        ht_wide_clear();
    return n;
}

void ht_live_renumber(uint64_t first_id, ht_live_renumber_fn *fn, void *arg)
{
    struct sweep sw = {live.newest_id, first_id + live.used - 1, fn, arg, first_id};
    size_t cap;
    struct ht_live_block *w = ht_wide_slots(&cap);
    for (size_t j = 0; j < cap; j++) /* first: the shards may move blocks there */
        if (w[j].addr) {
            w[j].id = sw.next_id++;
            fn(arg, &w[j]);
        }
    for (unsigned i = 0; i < NSHARDS; i++) /* no memory: that shard keeps its ids, misread */
        if (live.shard[i].used)
            rebuild(&live.shard[i], live.shard[i].cap, &sw);
    live.newest_id = first_id + live.used - 1;
}

size_t ht_live_count(void)
{
    return live.used;
}

uint64_t ht_live_newest_id(void)
{
    return live.newest_id;
}

size_t ht_live_bytes(void)
{
    size_t bytes = ht_wide_bytes();
    for (unsigned i = 0; i < NSHARDS; i++)
        bytes += live.shard[i].cap * sizeof(struct entry);
    return bytes;
}
