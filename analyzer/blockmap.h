/* SPDX-License-Identifier: MIT */
/*
 * blockmap.h - the replay's live-block map: block id -> block.
 *
 * Block ids are dense and handed out in order (format.h), and most blocks die
 * young, so the recent ids live in a ring indexed by id: a window [lo, lo +
 * cap) where finding a block is one array access, no hashing and no probing.
 * When a new id falls past the window, the window slides up by half its
 * width; the few blocks still alive below it move to a hash table (`far`).
 * When the window is dense (more than a quarter of its slots live) it doubles
 * instead.
 *
 * Memory is bounded by the LIVE blocks, never by the log's length: the ring
 * only grows while a quarter of it is live, so cap <= 8 x the peak live count
 * (and >= BLOCKMAP_MIN_CAP); `far` holds live blocks only (htab.h: load <=
 * 3/4). Sliding scans each id once, so every operation is amortized O(1).
 *
 * Keys are block ids, never 0. Value pointers are valid until the next put.
 */
#ifndef HT_BLOCKMAP_H
#define HT_BLOCKMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "htab.h"

/* A live heap block of the replay. */
struct bm_block {
    uint64_t size;
    uint32_t site;   /* stack id, truncated: see replay_site_of */
    uint32_t thread;
    uint32_t owner;  /* owners index + 1, 0 = none */
    uint32_t weight; /* allocations it stands for: 1, or more in a sampled log */
};

struct bm_slot {
    uint64_t id; /* 0 = empty */
    struct bm_block b;
};

struct blockmap {
    struct bm_slot *ring;
    uint64_t cap;      /* power of two */
    uint64_t lo, hi;   /* the window is [lo, lo + cap); ids >= hi are not in the ring */
    uint64_t live;     /* occupied ring slots */
    uint64_t count;    /* live blocks, ring and far */
    struct htab far;   /* live blocks with id < lo: key id, value struct bm_block */
};

void blockmap_init(struct blockmap *m);
void blockmap_release(struct blockmap *m);

/* The block for id, inserted zero-filled when absent (*existed says which). */
struct bm_block *blockmap_put(struct blockmap *m, uint64_t id, bool *existed);

/* The live block id, or NULL (the pointer is valid until the next change). */
static inline const struct bm_block *blockmap_get(const struct blockmap *m, uint64_t id)
{
    if (id == 0) /* an empty slot's id; a log may name it */
        return NULL;
    if (id >= m->lo && id < m->hi) {
        const struct bm_slot *s = &m->ring[id & (m->cap - 1)];
        return s->id == id ? &s->b : NULL;
    }
    return id < m->lo ? htab_get(&m->far, id) : NULL;
}

/* Removes id, copying its block to *out. @return whether it was there. */
static inline bool blockmap_remove(struct blockmap *m, uint64_t id, struct bm_block *out)
{
    if (id == 0)
        return false;
    if (id >= m->lo && id < m->hi) {
        struct bm_slot *s = &m->ring[id & (m->cap - 1)];
        if (s->id != id)
            return false;
        *out = s->b;
        s->id = 0;
        m->live--;
        m->count--;
        return true;
    }
    if (id < m->lo && htab_remove(&m->far, id, out)) {
        m->count--;
        return true;
    }
    return false;
}

#endif /* HT_BLOCKMAP_H */
