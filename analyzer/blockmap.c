/* SPDX-License-Identifier: MIT */
/* blockmap.c - see blockmap.h. */
#include "blockmap.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define BLOCKMAP_MIN_CAP 1024u

void blockmap_init(struct blockmap *m)
{
    memset(m, 0, sizeof(*m));
    m->cap = BLOCKMAP_MIN_CAP;
    m->ring = xcalloc(m->cap, sizeof(*m->ring));
    m->lo = m->hi = 1; /* ids start at 1 */
    htab_init(&m->far, sizeof(struct bm_block));
}

void blockmap_release(struct blockmap *m)
{
    free(m->ring);
    htab_release(&m->far);
    memset(m, 0, sizeof(*m));
}

/* Doubles the ring: every id of the window keeps a distinct slot. */
static void blockmap_grow(struct blockmap *m)
{
    uint64_t cap = m->cap * 2;
    struct bm_slot *ring = xcalloc((size_t)cap, sizeof(*ring));
    for (uint64_t i = 0; i < m->cap; i++)
        if (m->ring[i].id)
            ring[m->ring[i].id & (cap - 1)] = m->ring[i];
    free(m->ring);
    m->ring = ring;
    m->cap = cap;
}

/* Moves the window's bottom up to new_lo; the survivors below go to far. */
static void blockmap_slide(struct blockmap *m, uint64_t new_lo)
{
    uint64_t end = m->hi < new_lo ? m->hi : new_lo;
    for (uint64_t id = m->lo; id < end; id++) {
        struct bm_slot *s = &m->ring[id & (m->cap - 1)];
        if (s->id != id)
            continue;
        *(struct bm_block *)htab_put(&m->far, id, NULL) = s->b;
        s->id = 0;
        m->live--;
    }
    m->lo = new_lo;
    if (m->hi < new_lo)
        m->hi = new_lo;
}

struct bm_block *blockmap_put(struct blockmap *m, uint64_t id, bool *existed)
{
    if (id < m->lo) {
        bool e;
        struct bm_block *b = htab_put(&m->far, id, &e);
        m->count += !e;
        *existed = e;
        return b;
    }
    while (id - m->lo >= m->cap) {
        if (m->live * 4 > m->cap) {
            blockmap_grow(m);
        } else {
            uint64_t new_lo = m->lo + m->cap / 2;
            if (id - new_lo >= m->cap) /* a jump: keep only the top of the window */
                new_lo = id - m->cap + 1;
            blockmap_slide(m, new_lo);
        }
    }
    struct bm_slot *s = &m->ring[id & (m->cap - 1)];
    if (id >= m->hi)
        m->hi = id + 1;
    if (s->id == id) {
        *existed = true;
        return &s->b;
    }
    s->id = id;
    s->b = (struct bm_block){0};
    m->live++;
    m->count++;
    *existed = false;
    return &s->b;
}
