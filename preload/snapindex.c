/* SPDX-License-Identifier: MIT */
/*
 * snapindex.c - sorting the live blocks and building the cells of
 * snapindex.h. Allocation-free apart from ht_mem_* (the shim may be inside
 * malloc's lock when a snapshot runs at exit).
 */
#include <string.h>

#include "ht.h"
#include "addrbuckets.h"
#include "live.h"
#include "snapindex.h"

/* A gap wider than this between blocks starts a new region: cells cover
 * what lies between, so regions keep them to where the blocks are. */
#define REGION_GAP (256 * 1024)
#define MIN_SHIFT 4 /* 16-byte cells at the finest: malloc's alignment */

/* ---- gathering the live blocks in address order -------------------------
 *
 * The blocks are copied from the live table in its order (live.h's reader:
 * in a snapshot child the table's memory goes back as it is read, so the
 * copy takes the table's place) and sorted where they lie: the blocks of
 * every 256 KiB bucket of address space are counted (addrbuckets.h: the
 * recorder keeps the counts as blocks come and go, or one pass over the
 * copy counts them), a permutation in place moves each block into its
 * bucket's slice (American flag sort), and each slice (a few hundred
 * blocks, in cache) is sorted on its own. No second array as big as the
 * result: on a heap of 10 M blocks the kernel zeroing one took longer
 * than the sort. A heap spread over more GiBs than HT_BUCKET_GIBS takes the
 * fallback, a radix sort of a copy.
 */

#define BUCKET_DIGIT (HT_BUCKET_SHIFT / 2) /* sort_bucket's two passes */
#define DIGIT_VALUES (1u << BUCKET_DIGIT)
#define SMALL_BUCKET 24 /* an insertion sort is faster below this */
#define READ_BATCH 256  /* blocks read from the table at a time */

static void insertion_sort(struct ht_snap_block *b, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct ht_snap_block t = b[i];
        size_t j = i;
        for (; j > 0 && b[j - 1].addr > t.addr; j--)
            b[j] = b[j - 1];
        b[j] = t;
    }
}

/* One bucket: its blocks share every address bit above HT_BUCKET_SHIFT, so
 * two counting passes on the bits below sort it (to tmp and back). */
static void sort_bucket(struct ht_snap_block *b, size_t n, struct ht_snap_block *tmp)
{
    if (n < SMALL_BUCKET) {
        insertion_sort(b, n);
        return;
    }
    uint32_t count[2][DIGIT_VALUES];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) {
        count[0][b[i].addr & (DIGIT_VALUES - 1)]++;
        count[1][(b[i].addr >> BUCKET_DIGIT) & (DIGIT_VALUES - 1)]++;
    }
    for (unsigned d = 0; d < 2; d++) {
        uint32_t at = 0;
        for (unsigned k = 0; k < DIGIT_VALUES; k++) {
            uint32_t c = count[d][k];
            count[d][k] = at;
            at += c;
        }
    }
    for (size_t i = 0; i < n; i++)
        tmp[count[0][b[i].addr & (DIGIT_VALUES - 1)]++] = b[i];
    for (size_t i = 0; i < n; i++)
        b[count[1][(tmp[i].addr >> BUCKET_DIGIT) & (DIGIT_VALUES - 1)]++] = tmp[i];
}

/* The counts of every bucket into g->count (zeroed): the recorder's, or a
 * pass over the n blocks when it has none or they do not add up to n.
 * false past HT_BUCKET_GIBS GiBs. */
static bool count_buckets(struct ht_addr_buckets *g, const struct ht_snap_block *b, size_t n)
{
    const struct ht_addr_buckets *known = ht_live_buckets();
    if (known) {
        g->ngib = known->ngib;
        memcpy(g->gib, known->gib, sizeof g->gib);
        memcpy(g->count, known->count, g->ngib * HT_BUCKETS_PER_GIB * sizeof *g->count);
        size_t sum = 0;
        for (size_t i = 0; i < g->ngib * HT_BUCKETS_PER_GIB; i++)
            sum += g->count[i];
        if (sum == n)
            return true;
        memset(g->count, 0, g->ngib * HT_BUCKETS_PER_GIB * sizeof *g->count);
        g->ngib = g->last = 0;
    }
    for (size_t i = 0; i < n; i++) {
        size_t gi = ht_buckets_gib(g, b[i].addr);
        if (gi == SIZE_MAX)
            return false;
        g->count[ht_buckets_index(gi, b[i].addr)]++;
    }
    return true;
}

/* pos[] and lim[] of every bucket: where its slice starts and ends, GiBs
 * in address order (order[]: a handful, insertion-sorted); returns the
 * widest slice. */
static uint32_t bucket_starts(const struct ht_addr_buckets *g, size_t *order, uint32_t *pos,
                              uint32_t *lim)
{
    for (size_t i = 0; i < g->ngib; i++) {
        size_t j = i;
        for (; j > 0 && g->gib[order[j - 1]] > g->gib[i]; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    uint32_t at = 0, widest = 0;
    for (size_t k = 0; k < g->ngib; k++) {
        size_t first = order[k] * HT_BUCKETS_PER_GIB;
        for (size_t u = first; u < first + HT_BUCKETS_PER_GIB; u++) {
            pos[u] = at;
            at += g->count[u];
            lim[u] = at;
            if (g->count[u] > widest)
                widest = g->count[u];
        }
    }
    return widest;
}

/* The bucket of a block (its GiB counted, or SIZE_MAX: wrong counts). */
static inline size_t bucket_of(struct ht_addr_buckets *g, uint64_t addr)
{
    size_t gi = ht_buckets_gib(g, addr);
    return gi < g->ngib ? ht_buckets_index(gi, addr) : SIZE_MAX;
}

/* Moves every block into its bucket's slice, in place: each slice's next
 * place (pos[u]) takes the block that belongs there, swapping out the one
 * it held, until the slice is full. false when the counts were wrong (a
 * block of a bucket that is full or unknown): the index must not trust
 * them, and never writes out of b; b then holds every block still, in
 * some order. */
static bool permute_blocks(struct ht_snap_block *b, struct ht_addr_buckets *g,
                           const size_t *order, uint32_t *pos, const uint32_t *lim)
{
    size_t ngib = g->ngib; /* a GiB not counted: wrong counts */
    for (size_t k = 0; k < ngib; k++) {
        size_t first = order[k] * HT_BUCKETS_PER_GIB;
        for (size_t u = first; u < first + HT_BUCKETS_PER_GIB; u++) {
            while (pos[u] < lim[u]) {
                struct ht_snap_block e = b[pos[u]];
                size_t t = bucket_of(g, e.addr);
                while (t != u) {
                    /* an unknown bucket, or more blocks in t than counted:
                     * e back to the place it left, every block kept */
                    if (t == SIZE_MAX || g->ngib != ngib || pos[t] >= lim[t]) {
                        b[pos[u]] = e;
                        return false;
                    }
                    struct ht_snap_block o = b[pos[t]];
                    b[pos[t]++] = e;
                    e = o;
                    t = bucket_of(g, e.addr);
                }
                b[pos[u]++] = e;
            }
        }
    }
    return true;
}
/* e for a block whose size or id does not fit 32 bits: its place in x->big
 * (snapindex.h); false when there is no memory for it. */
static __attribute__((noinline)) bool make_big_block(struct ht_snap_index *x,
                                                     struct ht_snap_block *e,
                                                     const struct ht_live_block *s)
{
    if (x->nbig == x->big_cap) {
        size_t ncap = x->big_cap ? 2 * x->big_cap : 64;
        struct ht_snap_big *g = ht_mem_realloc(x->big, ncap * sizeof *g);
        if (!g)
            return false;
        x->big = g;
        x->big_cap = ncap;
    }
    x->big[x->nbig] = (struct ht_snap_big){s->size, s->id};
    *e = (struct ht_snap_block){s->addr, HT_SNAP_BIG, (uint32_t)x->nbig++}; /* < UINT32_MAX blocks */
    return true;
}

/* e for the live block s: its size and id in 32 bits (nearly every block),
 * or make_big_block's. */
static HT_ALWAYS_INLINE bool make_block(struct ht_snap_index *x, struct ht_snap_block *e,
                                        const struct ht_live_block *s)
{
    if (s->size < HT_SNAP_BIG && s->id >= x->id_base && s->id - x->id_base <= UINT32_MAX) {
        *e = (struct ht_snap_block){s->addr, (uint32_t)s->size, (uint32_t)(s->id - x->id_base)};
        return true;
    }
    return make_big_block(x, e, s);
}

/* Copies up to `room` live blocks to x->b, in the table's order; returns
 * how many, or SIZE_MAX when out of memory. */
static size_t copy_blocks(struct ht_snap_index *x, size_t room, bool consume)
{
    struct ht_live_cursor c = {.release = consume};
    struct ht_live_block batch[READ_BATCH];
    size_t n = 0, got;
    while (n < room && (got = ht_live_read(&c, batch, READ_BATCH < room - n ? READ_BATCH : room - n)))
        for (size_t i = 0; i < got; i++)
            if (!make_block(x, &x->b[n++], &batch[i]))
                return SIZE_MAX;
    return n;
}

/* Sorts the n blocks of x->b by address through the buckets; false when
 * the heap spans too many GiBs or there is no memory (x->b is then in
 * some order, every block still there). */
static bool sort_by_buckets(struct ht_snap_index *x, size_t n)
{
    struct ht_snap_block *b = x->b;
    struct ht_addr_buckets g = {.ngib = 0};
    /* mapped, not touched: only the GiBs in use cost pages */
    size_t all = (size_t)HT_BUCKET_GIBS * HT_BUCKETS_PER_GIB;
    g.count = ht_mem_alloc(all * sizeof *g.count);
    uint32_t *pos = ht_mem_alloc(all * sizeof *pos), *lim = ht_mem_alloc(all * sizeof *lim);
    size_t order[HT_BUCKET_GIBS];
    struct ht_snap_block *tmp = NULL;
    if (g.count && pos && lim && count_buckets(&g, b, n))
        tmp = ht_mem_alloc(((size_t)bucket_starts(&g, order, pos, lim) + 1) * sizeof *tmp);
    bool sorted = tmp && permute_blocks(b, &g, order, pos, lim);
    if (sorted) {
        uint32_t at = 0; /* pos[] now says where each slice ends */
        for (size_t k = 0; k < g.ngib; k++) {
            size_t first = order[k] * HT_BUCKETS_PER_GIB;
            for (size_t u = first; u < first + HT_BUCKETS_PER_GIB; u++) {
                sort_bucket(b + at, pos[u] - at, tmp);
                at = pos[u];
            }
        }
    }
    ht_mem_free(tmp);
    ht_mem_free(lim);
    ht_mem_free(pos);
    ht_mem_free(g.count);
    return sorted;
}

/* ---- the fallback: LSD radix on the address, 11 bits a pass --------------- */

#define DIGIT_BITS 11
#define DIGITS ((64 + DIGIT_BITS - 1) / DIGIT_BITS)
#define BUCKETS (1u << DIGIT_BITS)

static void sift_down(struct ht_snap_block *b, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && b[child + 1].addr > b[child].addr)
            child++;
        if (b[root].addr >= b[child].addr)
            return;
        struct ht_snap_block t = b[root];
        b[root] = b[child];
        b[child] = t;
        root = child;
    }
}

/* In place, for when there is no memory for the radix sort's copy. */
static void heapsort_blocks(struct ht_snap_block *b, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(b, i, n);
    for (size_t end = n; end-- > 1;) {
        struct ht_snap_block t = b[0];
        b[0] = b[end];
        b[end] = t;
        sift_down(b, 0, end);
    }
}

/* Sorts *pb by address; may swap *pb for the sorted copy (freeing the other).
 * One pass counts every digit; a digit all blocks share costs no pass. The
 * key is the address without the low bits every block has clear (4 for
 * malloc's 16-byte alignment): 47-bit addresses then take 4 passes, not 5. */
static void sort_blocks(struct ht_snap_block **pb, size_t n)
{
    struct ht_snap_block *src = *pb, *dst = n > 1 ? ht_mem_alloc_huge(n * sizeof *dst) : NULL;
    size_t(*count)[BUCKETS] = dst ? ht_mem_alloc(DIGITS * sizeof *count) : NULL;
    if (!count) {
        ht_mem_free(dst);
        heapsort_blocks(src, n);
        return;
    }
    unsigned low = 4;
    uint64_t seen_low = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = src[i].addr;
        seen_low |= a;
        a >>= low;
        for (unsigned d = 0; d < DIGITS; d++)
            count[d][(a >> (d * DIGIT_BITS)) & (BUCKETS - 1)]++;
    }
    if (seen_low & ((1u << low) - 1)) { /* heaptrace_alloc's unaligned blocks: all bits */
        low = 0;
        memset(count, 0, DIGITS * sizeof *count);
        for (size_t i = 0; i < n; i++)
            for (unsigned d = 0; d < DIGITS; d++)
                count[d][(src[i].addr >> (d * DIGIT_BITS)) & (BUCKETS - 1)]++;
    }
    for (unsigned d = 0; d < DIGITS; d++) {
        unsigned shift = low + d * DIGIT_BITS;
        if (shift >= 64 || count[d][(src[0].addr >> shift) & (BUCKETS - 1)] == n)
            continue; /* every block has this digit */
        size_t pos = 0;
        for (unsigned k = 0; k < BUCKETS; k++) {
            size_t c = count[d][k];
            count[d][k] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[d][(src[i].addr >> shift) & (BUCKETS - 1)]++] = src[i];
        struct ht_snap_block *t = src;
        src = dst;
        dst = t;
    }
    ht_mem_free(count);
    ht_mem_free(dst);
    *pb = src;
}

/* ---- regions and cells -------------------------------------------------- */

static uint64_t block_end(const struct ht_snap_index *x, const struct ht_snap_block *b)
{
    uint64_t size = ht_snap_block_size(x, b);
    return b->addr + (size ? size : 1);
}

/* Cells of 2^shift bytes, the finest that keeps them no more than the
 * region's blocks (plus a few): memory stays linear in the blocks. */
static unsigned region_shift(uint64_t span, size_t blocks)
{
    unsigned shift = MIN_SHIFT;
    while (shift < 63 && (span >> shift) > blocks + 16)
        shift++;
    return shift;
}

/* Splits the sorted blocks into regions (x->reg, x->nreg), in one pass over
 * them (a second one cost 25 ms on 10 M blocks); *ncells: all the regions'
 * cells. false when out of memory. */
static bool find_regions(struct ht_snap_index *x, size_t *ncells)
{
    size_t cap = 0;
    *ncells = 0;
    for (size_t i = 0; i < x->n;) {
        size_t j = i;
        uint64_t end = block_end(x, &x->b[i]);
        while (j + 1 < x->n && x->b[j + 1].addr <= end + REGION_GAP) {
            j++;
            uint64_t e = block_end(x, &x->b[j]);
            if (e > end)
                end = e;
        }
        uint64_t start = x->b[i].addr;
        unsigned shift = region_shift(end - start, j - i + 1);
        size_t nc = (size_t)(((end - start - 1) >> shift) + 1);
        if (x->nreg == cap) {
            cap = cap ? 2 * cap : 16;
            struct ht_snap_region *g = ht_mem_realloc(x->reg, cap * sizeof *g);
            if (!g)
                return false;
            x->reg = g;
        }
        x->reg[x->nreg++] = (struct ht_snap_region){start, end, i, j, NULL, nc, shift};
        *ncells += nc;
        i = j + 1;
    }
    return true;
}

/* cells[c]: the last block starting at or before the cell's start. */
static void fill_cells(const struct ht_snap_index *x, struct ht_snap_region *r)
{
    size_t j = r->first;
    for (size_t c = 0; c < r->ncells; c++) {
        uint64_t at = r->start + ((uint64_t)c << r->shift);
        while (j < r->last && x->b[j + 1].addr <= at)
            j++;
        r->cells[c] = (uint32_t)j;
    }
}

bool ht_snap_index_build(struct ht_snap_index *x, bool consume)
{
    memset(x, 0, sizeof *x);
    size_t live = ht_live_count();
    if (live >= UINT32_MAX)
        return false; /* cells hold 32-bit block indexes */
    x->b = ht_mem_alloc_huge((live + 1) * sizeof *x->b);
    if (!x->b)
        return false;
    uint64_t newest = ht_live_newest_id();
    x->id_base = newest > UINT32_MAX ? newest - UINT32_MAX : 0;
    x->n = copy_blocks(x, live, consume);
    if (x->n == SIZE_MAX) {
        x->n = 0;
        return false;
    }
    if (x->n && !sort_by_buckets(x, x->n)) /* spread too wide, or no memory */
        sort_blocks(&x->b, x->n);
    if (!x->n) {
        x->span = 0; /* nothing points anywhere */
        return true;
    }
    size_t ncells;
    if (!find_regions(x, &ncells)) {
        x->nreg = 0;
        return false;
    }
    x->reg_start = ht_mem_alloc(x->nreg * sizeof *x->reg_start);
    x->cells = ht_mem_alloc_huge((ncells + 1) * sizeof *x->cells);
    if (!x->reg_start || !x->cells) {
        x->nreg = 0;
        return false;
    }
    uint32_t *cells = x->cells;
    for (size_t i = 0; i < x->nreg; i++) {
        struct ht_snap_region *r = &x->reg[i];
        r->cells = cells;
        cells += r->ncells;
        fill_cells(x, r);
        x->reg_start[i] = r->start;
    }
    *cells = (uint32_t)(x->n - 1); /* ht_snap_index_floor_cell's end of the last cell */
    x->lo = x->reg[0].start;
    x->span = x->reg[x->nreg - 1].end - x->lo; /* regions are disjoint, in order */
    return true;
}

void ht_snap_index_release(struct ht_snap_index *x)
{
    ht_mem_free(x->b);
    ht_mem_free(x->reg);
    ht_mem_free(x->reg_start);
    ht_mem_free(x->cells);
    ht_mem_free(x->big);
    memset(x, 0, sizeof *x);
}
