/* SPDX-License-Identifier: MIT */
/*
 * snapindex.h - the live blocks of a snapshot, sorted by address, and an
 * O(1) lookup from any word to the block it points into (snapindex.c).
 *
 * Blocks are split into regions where the gap between them is large (the
 * main heap, each arena, runs of mmap'd chunks); each region has a table of
 * cells, 2^shift bytes each, holding the last block that starts at or before
 * the cell's start. A lookup is a range check, a region (the last one used,
 * or a binary search over the few there are), a cell, and a step or two
 * forward: the rules are find_block's of old (valgrind memcheck's).
 */
#ifndef HT_SNAPINDEX_H
#define HT_SNAPINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * 16 bytes a block, not 24: the index of a heap of 10 M blocks is fresh
 * memory the scanning child touches first (a third less to fault in; a VM
 * that hands freed memory back to its host takes about 2.5 ms a MB to give
 * it back), and four entries share a cache line. Nearly every block's size
 * and id fit 32 bits, the id counted from x->id_base (the 4 G newest
 * allocations); one that does not (4 GiB or more, or older) has size
 * HT_SNAP_BIG and as id the place of its real values in x->big. Read them
 * with ht_snap_block_size and ht_snap_block_id.
 */
struct ht_snap_block {
    uint64_t addr;
    uint32_t size, id;
};

#define HT_SNAP_BIG UINT32_MAX

struct ht_snap_big {
    uint64_t size, id;
};

struct ht_snap_region {
    uint64_t start, end; /* first block's start, highest block end */
    size_t first, last;  /* block indexes, inclusive */
    uint32_t *cells;
    size_t ncells;
    unsigned shift;
};

struct ht_snap_index {
    struct ht_snap_block *b; /* sorted by address */
    size_t n;
    uint64_t lo, span;       /* every block lies in [lo, lo + span) */
    struct ht_snap_region *reg;
    uint64_t *reg_start;     /* reg[i].start, for the binary search */
    size_t nreg;
    uint32_t *cells;         /* all regions' cells, then the last block's index */
    uint64_t id_base;        /* a block's id is id_base + its id field, unless big */
    struct ht_snap_big *big; /* the blocks whose size or id does not fit */
    size_t nbig, big_cap;
};

static inline uint64_t ht_snap_block_size(const struct ht_snap_index *x,
                                          const struct ht_snap_block *b)
{
    return b->size != HT_SNAP_BIG ? b->size : x->big[b->id].size;
}

static inline uint64_t ht_snap_block_id(const struct ht_snap_index *x,
                                        const struct ht_snap_block *b)
{
    return b->size != HT_SNAP_BIG ? x->id_base + b->id : x->big[b->id].id;
}

/* Gathers the live table's blocks (live.h) in address order and builds the
 * cells; false when out of memory (the index is then empty but
 * releasable). With `consume` (a snapshot child, whose copy of the table
 * nothing reads afterwards) the table's memory is given back as its blocks
 * are copied: the index takes its place instead of adding to it. */
bool ht_snap_index_build(struct ht_snap_index *x, bool consume);
void ht_snap_index_release(struct ht_snap_index *x);

/* v's cell in x->cells (v in region r, below its end). */
static inline uint32_t ht_snap_index_cell(const struct ht_snap_index *x,
                                          const struct ht_snap_region *r, uint64_t v)
{
    return (uint32_t)((size_t)(r->cells - x->cells) + (size_t)((v - r->start) >> r->shift));
}

/* The last block starting at or before v, from v's cell: between the cell's
 * block and the next cell's, which past a region's last cell is the next
 * region's first block (above v: regions are apart) or the sentinel. */
static inline size_t ht_snap_index_floor_cell(const struct ht_snap_index *x, uint32_t cell,
                                              uint64_t v)
{
    size_t i = x->cells[cell], last = x->cells[cell + 1];
    while (last - i > 8) { /* a crowded cell: halve it */
        size_t mid = i + (last - i + 1) / 2;
        if (x->b[mid].addr <= v)
            i = mid;
        else
            last = mid - 1;
    }
    while (i < last && x->b[i + 1].addr <= v)
        i++;
    return i;
}

/* The same for v in region r (below its end). */
static inline size_t ht_snap_index_floor(const struct ht_snap_index *x,
                                         const struct ht_snap_region *r, uint64_t v)
{
    return ht_snap_index_floor_cell(x, ht_snap_index_cell(x, r, v), v);
}

/* The region v may be in (v must be in [lo, lo + span)): the last one that
 * starts at or before v; v may still lie past its end. */
static inline const struct ht_snap_region *ht_snap_index_region(const struct ht_snap_index *x,
                                                                 uint64_t v)
{
    size_t lo = 0, hi = x->nreg;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->reg_start[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return &x->reg[lo];
}

/* The block v points into, or NULL; *interior: strictly inside, not at its
 * start. One past the end is nothing; a 0-byte block only has its start. */
static inline const struct ht_snap_block *ht_snap_index_find(const struct ht_snap_index *x,
                                                             uint64_t v, bool *interior)
{
    if (v - x->lo >= x->span)
        return NULL;
    const struct ht_snap_region *r = ht_snap_index_region(x, v);
    if (v >= r->end)
        return NULL;
    const struct ht_snap_block *b = &x->b[ht_snap_index_floor(x, r, v)];
    if (v == b->addr) {
        *interior = false;
        return b;
    }
    if (v - b->addr < ht_snap_block_size(x, b)) {
        *interior = true;
        return b;
    }
    return NULL;
}

#endif /* HT_SNAPINDEX_H */
