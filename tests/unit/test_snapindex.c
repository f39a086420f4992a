/* SPDX-License-Identifier: MIT */
/*
 * test_snapindex.c - preload/snapindex.c: its sort of the live table against
 * qsort (both of its ways: buckets, and the radix sort for a heap spread over
 * many GiBs), and its lookup against a plain search of the sorted blocks, on
 * memcheck's rules: a word equal to a block's start
 * is a start pointer, one strictly inside an interior pointer, one past the
 * end nothing, a 0-byte block only has its start. Blocks come in any order,
 * in dense runs, with wide gaps (new regions) and far-away mappings.
 */
#include <stdlib.h>
#include <string.h>

#include "addrbuckets.h"
#include "check.h"
#include "live.h"
#include "snapindex.h"

/* What snapindex.c needs from the shim: memory and the live table, here
 * the blocks of `live`, read a few at a time. */
struct block {
    uint64_t addr, size, id;
};
static struct block *live;
static size_t nlive;

void *ht_mem_alloc(size_t size);
void *ht_mem_alloc_huge(size_t size);
void *ht_mem_realloc(void *p, size_t size);
void ht_mem_free(void *p);
size_t ht_live_count(void);

void *ht_mem_alloc(size_t size)
{
    return calloc(1, size ? size : 1);
}

void *ht_mem_alloc_huge(size_t size)
{
    return ht_mem_alloc(size);
}

void *ht_mem_realloc(void *p, size_t size)
{
    return realloc(p, size);
}

void ht_mem_free(void *p)
{
    free(p);
}

size_t ht_live_count(void)
{
    return nlive;
}

uint64_t ht_live_newest_id(void)
{
    uint64_t newest = 0;
    for (size_t i = 0; i < nlive; i++)
        if (live[i].id > newest)
            newest = live[i].id;
    return newest;
}

/* In batches of at most 7, whatever room the index gives: it must gather
 * across calls. */
size_t ht_live_read(struct ht_live_cursor *c, struct ht_live_block *out, size_t room)
{
    size_t n = 0;
    for (; c->slot < nlive && n < room && n < 7; c->slot++)
        out[n++] = (struct ht_live_block){live[c->slot].addr, live[c->slot].size,
                                          live[c->slot].id, 0};
    return n;
}

/* The recorder's counts per bucket (addrbuckets.h): none, right ones, or
 * wrong ones (one block counted in the next bucket: the sum still right),
 * which the index must notice and not trust. */
enum counts { NO_COUNTS, RIGHT_COUNTS, WRONG_COUNTS };
static enum counts counts_kind;
static struct ht_addr_buckets counts;

const struct ht_addr_buckets *ht_live_buckets(void)
{
    if (counts_kind == NO_COUNTS)
        return NULL;
    free(counts.count);
    memset(&counts, 0, sizeof counts);
    counts.count = calloc(HT_BUCKET_GIBS * HT_BUCKETS_PER_GIB, sizeof *counts.count);
    for (size_t i = 0; i < nlive; i++) {
        size_t gi = ht_buckets_gib(&counts, live[i].addr);
        if (gi == SIZE_MAX)
            return NULL; /* as the recorder: too many GiBs, no counts */
        counts.count[ht_buckets_index(gi, live[i].addr)]++;
    }
    if (counts_kind == WRONG_COUNTS && nlive) {
        size_t u = ht_buckets_index(0, live[0].addr);
        counts.count[u]--;
        counts.count[(u + 1) % (counts.ngib * HT_BUCKETS_PER_GIB)]++;
    }
    return &counts;
}

static int by_addr(const void *a, const void *b)
{
    const struct block *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* x->b is `live` sorted by address, every field kept (sizes and ids past
 * 32 bits too); *nbig: how many of them did not fit an entry. */
static void check_sorted(const struct ht_snap_index *x, size_t *nbig)
{
    CHECK_EQ(x->n, nlive);
    struct block *ref = calloc(nlive + 1, sizeof *ref);
    memcpy(ref, live, nlive * sizeof *ref);
    qsort(ref, nlive, sizeof *ref, by_addr);
    *nbig = 0;
    for (size_t i = 0; i < nlive && i < x->n; i++) {
        CHECK(x->b[i].addr == ref[i].addr && ht_snap_block_size(x, &x->b[i]) == ref[i].size &&
              ht_snap_block_id(x, &x->b[i]) == ref[i].id);
        *nbig += x->b[i].size == HT_SNAP_BIG;
    }
    CHECK_EQ(*nbig, x->nbig);
    free(ref);
}

/* The reference: the last block starting at or before v, by a plain scan. */
static const struct ht_snap_block *slow_find(const struct ht_snap_index *x, uint64_t v,
                                             bool *interior)
{
    const struct ht_snap_block *best = NULL;
    for (size_t i = 0; i < x->n && x->b[i].addr <= v; i++)
        best = &x->b[i];
    if (!best)
        return NULL;
    *interior = v != best->addr;
    return v == best->addr || v - best->addr < ht_snap_block_size(x, best) ? best : NULL;
}

static void probe(const struct ht_snap_index *x, uint64_t v)
{
    bool fi = false, si = false;
    const struct ht_snap_block *f = ht_snap_index_find(x, v, &fi);
    const struct ht_snap_block *s = slow_find(x, v, &si);
    CHECK(f == s);
    if (f && s)
        CHECK_EQ(fi, si);
}

/* Blocks at random places: dense runs, wide gaps and far mappings (one
 * block in `far_in` starts a new one, each in a GiB of its own: many of
 * them take the index's other sort); with `unaligned`, some at odd
 * addresses (heaptrace_alloc's custom blocks); with `tiny`, blocks of 0 to
 * 8 bytes packed 16 apart (4096 in a 64 KiB bucket); with `big`, ids past
 * 2^33 with one block in 20 from the program's first allocations (more
 * than 4 G allocations older than the newest) and one in 500 of 4 GiB or
 * more: entries that do not fit 16 bytes. */
struct heap_shape {
    bool unaligned, tiny, big;
    unsigned far_in;
};

static void random_heap(size_t n, struct heap_shape shape)
{
    live = calloc(n, sizeof *live);
    uint64_t at = 0x555555550000ull, far = 0x7f0000000000ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = check_rand() % 100;
        if (r < 2) {
            at += 1ull << (20 + check_rand() % 4); /* a gap past REGION_GAP */
        } else if (check_rand() % shape.far_in == 0) { /* an mmap'd chunk, far away */
            at = far;
            far += 1ull << 30;
        }
        uint64_t size = shape.tiny ? check_rand() % 9
                        : r == 3   ? 0
                        : r == 4   ? 4096 * (1 + check_rand() % 64)
                                   : 1 + check_rand() % 300;
        if (shape.unaligned && r == 5)
            at += 1 + check_rand() % 15;
        uint64_t id = i + 1;
        if (shape.big) {
            id += (1ull << 33) + n; /* the newest is 2^33 + 2n: 4 G back is 2^32 + 2n + 1 */
            if (check_rand() % 20 == 0) /* old, some right at the edge */
                id = check_rand() % 2 ? i + 1 : (1ull << 32) + 2 * n + check_rand() % 3;
            if (check_rand() % 500 == 0)
                size = (1ull << 32) - 1 + check_rand() % 4096;
        }
        live[i] = (struct block){at, size, id};
        at += shape.tiny ? 16 : (size + 16 + 15) & ~15ull;
        if (far <= at) /* a 4 GiB block ran into the far mappings' place */
            far = (at + (1ull << 31)) & ~((1ull << 30) - 1);
    }
    nlive = n;
    for (size_t i = n - 1; i > 0; i--) { /* the live table's order is no order */
        size_t j = check_rand() % (i + 1);
        struct block t = live[i];
        live[i] = live[j];
        live[j] = t;
    }
}

static void test_random(struct heap_shape shape)
{
    random_heap(shape.tiny ? 20000 : 3000, shape);
    struct ht_snap_index x;
    CHECK(ht_snap_index_build(&x, counts_kind == RIGHT_COUNTS));
    size_t nbig;
    check_sorted(&x, &nbig);
    CHECK(shape.big ? nbig > 0 : nbig == 0);
    for (size_t i = 1; i < x.n; i++)
        CHECK(x.b[i - 1].addr < x.b[i].addr);
    CHECK(x.nreg > 1);
    for (size_t i = 0; i < x.n; i++) {
        uint64_t a = x.b[i].addr, e = a + ht_snap_block_size(&x, &x.b[i]);
        uint64_t at[] = {a - 8, a - 1, a, a + 1, a + 8, e - 1, e, e + 1, e + 8, e + 4096};
        for (size_t k = 0; k < sizeof at / sizeof at[0]; k++)
            probe(&x, at[k]);
    }
    for (int k = 0; k < 20000; k++) /* anywhere in the span, and outside it */
        probe(&x, x.lo + check_rand() % (x.span + 4096) - 2048);
    probe(&x, 0);
    probe(&x, UINT64_MAX);
    ht_snap_index_release(&x);
    free(live);
}

static void test_edges_of_the_rules(void)
{
    struct block b[] = {{0x1000, 32, 1}, {0x1020, 0, 2}, {0x1030, 16, 3}};
    live = b;
    nlive = 3;
    struct ht_snap_index x;
    CHECK(ht_snap_index_build(&x, counts_kind == RIGHT_COUNTS));
    bool in = true;
    CHECK(ht_snap_index_find(&x, 0x1000, &in) && !in &&
          ht_snap_block_id(&x, ht_snap_index_find(&x, 0x1000, &in)) == 1);
    CHECK(ht_snap_index_find(&x, 0x1018, &in) && in);
    CHECK(ht_snap_index_find(&x, 0x1020, &in) && !in &&
          ht_snap_block_id(&x, ht_snap_index_find(&x, 0x1020, &in)) == 2);
    CHECK(!ht_snap_index_find(&x, 0x1028, &in)); /* inside a 0-byte block: nothing */
    CHECK(!ht_snap_index_find(&x, 0x1040, &in)); /* one past the end */
    CHECK(!ht_snap_index_find(&x, 0xff8, &in));
    ht_snap_index_release(&x);

    nlive = 0; /* an empty heap: nothing points anywhere */
    CHECK(ht_snap_index_build(&x, counts_kind == RIGHT_COUNTS));
    CHECK(!ht_snap_index_find(&x, 0x1000, &in));
    ht_snap_index_release(&x);
}

int main(void)
{
    for (counts_kind = NO_COUNTS; counts_kind <= WRONG_COUNTS; counts_kind++) {
        test_edges_of_the_rules();
        test_random((struct heap_shape){.far_in = 100}); /* ~30 GiBs: gathered in buckets */
        test_random((struct heap_shape){.far_in = 100, .unaligned = true}); /* all low bits count */
        test_random((struct heap_shape){.far_in = 20}); /* ~150 GiBs: the radix sort */
        test_random((struct heap_shape){.far_in = 20, .unaligned = true});
        test_random((struct heap_shape){.far_in = 2000, .tiny = true}); /* full buckets */
        test_random((struct heap_shape){.far_in = 100, .big = true}); /* entries kept aside */
        test_random((struct heap_shape){.far_in = 20, .big = true});
    }
    free(counts.count);
    return check_exit();
}
