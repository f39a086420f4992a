/* SPDX-License-Identifier: MIT */
/*
 * test_live.c - preload/live.c, the recorder's table of live blocks, against
 * a plain array: random puts (new addresses and addresses seen live again),
 * takes (backward-shift deletion) and gets while the table grows several
 * times and churns at three-quarters load, and both the export and the
 * table as a snapshot reads it in place compared whole at every stage; then
 * blocks at random addresses, looked up after each doubling.
 */
#include <stdlib.h>
#include <string.h>

#include "addrbuckets.h"
#include "check.h"
#include "ht.h"
#include "snapindex.h"

void *ht_mem_alloc_huge(size_t size)
{
    return calloc(1, size ? size : 1);
}

void *ht_mem_alloc(size_t size)
{
    return calloc(1, size ? size : 1);
}

void ht_mem_free(void *p)
{
    free(p);
}

/* The per-bucket counts the table keeps (addrbuckets.h) against a count of
 * the n addresses at[]. */
static void check_buckets(const uint64_t *at, size_t n)
{
    const struct ht_addr_buckets *b = ht_live_buckets();
    CHECK(b != NULL);
    if (!b)
        return;
    uint32_t *want = calloc(HT_BUCKET_GIBS * HT_BUCKETS_PER_GIB, sizeof *want);
    for (size_t i = 0; i < n; i++) {
        size_t gi = 0;
        while (gi < b->ngib && b->gib[gi] != at[i] >> HT_GIB_SHIFT)
            gi++;
        CHECK(gi < b->ngib); /* every live block's GiB is known */
        if (gi < b->ngib)
            want[ht_buckets_index(gi, at[i])]++;
    }
    size_t wrong = 0;
    for (size_t u = 0; u < b->ngib * HT_BUCKETS_PER_GIB; u++)
        wrong += b->count[u] != want[u];
    CHECK_EQ(wrong, 0);
    free(want);
}

#define ADDRESSES 300000
static uint64_t ref_id[ADDRESSES]; /* 0: not live */
static size_t ref_live;
static uint64_t next_id;

static uint64_t addr_of(size_t k)
{
    return 0x555500000000ull + 16 * (uint64_t)k * 7; /* spread, 16-aligned */
}

static void put(size_t k)
{
    CHECK(ht_live_put(addr_of(k), ++next_id, k, k * 3));
    ref_live += ref_id[k] == 0;
    ref_id[k] = next_id;
}

static void take(size_t k)
{
    CHECK_EQ(ht_live_take(addr_of(k)), ref_id[k]);
    ref_live -= ref_id[k] != 0;
    ref_id[k] = 0;
}

static int by_addr(const void *a, const void *b)
{
    const struct ht_live_slot *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Every entry, both exports, and the count, against the reference. */
static void check_all(void)
{
    CHECK_EQ(ht_live_count(), ref_live);
    CHECK_EQ(ht_live_newest_id(), next_id); /* a snapshot's index counts ids back from it */
    struct ht_live_slot *b = calloc(ref_live + 1, sizeof *b);
    struct ht_live_block *l = calloc(ref_live + 1, sizeof *l);
    size_t cap, n = 0;
    const struct ht_live_slot *slot = ht_live_slots(&cap);
    for (size_t i = 0; i < cap; i++)
        if (slot[i].addr && n <= ref_live)
            b[n++] = slot[i];
    CHECK_EQ(n, ref_live);
    CHECK_EQ(ht_live_export(l, ref_live + 1), ref_live);
    qsort(b, ref_live, sizeof *b, by_addr);
    size_t j = 0;
    for (size_t k = 0; k < ADDRESSES; k++) {
        CHECK_EQ(ht_live_get(addr_of(k)), ref_id[k]);
        if (!ref_id[k])
            continue;
        CHECK(j < ref_live && b[j].addr == addr_of(k) && b[j].id == ref_id[k] && b[j].size == k);
        j++;
    }
    for (size_t i = 0; i < ref_live; i++) /* the full export carries the stack too */
        CHECK(l[i].stack == (l[i].addr - 0x555500000000ull) / 112 * 3);
    uint64_t *at = calloc(ref_live + 1, sizeof *at);
    for (size_t i = 0; i < ref_live; i++)
        at[i] = l[i].addr;
    check_buckets(at, ref_live);
    free(at);
    free(b);
    free(l);
}

/* Blocks in a few GiBs are counted in each; in more GiBs than the counts
 * hold, there are none until the table is cleared. */
static void test_many_gibs(void)
{
    ht_live_clear();
    uint64_t at[3 * 100];
    for (size_t i = 0; i < 300; i++) {
        at[i] = 0x7f0000000000ull + (i % 3) * (1ull << 30) + (i / 3) * 4096 * 17;
        CHECK(ht_live_put(at[i], i + 1, 64, 0));
    }
    check_buckets(at, 300);
    CHECK_EQ(ht_live_take(at[7]), 8);
    at[7] = at[299];
    check_buckets(at, 299);
    for (size_t g = 0; g <= HT_BUCKET_GIBS; g++)
        CHECK(ht_live_put(0x100000000000ull + g * (1ull << 30), 1000 + g, 16, 0));
    CHECK(ht_live_buckets() == NULL);
    ht_live_clear();
    CHECK(ht_live_put(at[0], 1, 64, 0));
    check_buckets(at, 1);
    ht_live_clear();
}

/* n blocks at random 16-aligned addresses (the strided ones above hash
 * evenly; these make long probe runs, some across the table's end, which
 * a growth must keep whole), each looked up after every doubling. */
static void test_random_addresses(size_t n)
{
    ht_live_clear();
    size_t cap0, cap;
    ht_live_slots(&cap0);
    uint64_t *at = calloc(n, sizeof *at);
    size_t wrong = 0;
    for (size_t k = 0; k < n; k++) {
        do /* distinct: ids checked one to one */
            at[k] = (0x100000000000ull + (check_rand() << 20 ^ check_rand()) % (1ull << 40)) & ~15ull;
        while (ht_live_get(at[k]));
        size_t was;
        ht_live_slots(&was);
        CHECK(ht_live_put(at[k], k + 1, k, 0));
        ht_live_slots(&cap);
        if (cap != was) /* it grew: every block so far is where a lookup goes */
            for (size_t i = 0; i <= k; i++)
                wrong += ht_live_get(at[i]) != i + 1;
    }
    for (size_t k = 0; k < n; k += 2)
        wrong += ht_live_take(at[k]) != k + 1;
    for (size_t k = 0; k < n; k++)
        wrong += ht_live_get(at[k]) != (k % 2 ? k + 1 : 0);
    CHECK_EQ(wrong, 0);
    CHECK(cap > cap0); /* it did grow */
    free(at);
}

int main(void)
{
    CHECK_EQ(ht_live_take(addr_of(1)), 0); /* an empty table */
    CHECK_EQ(ht_live_get(addr_of(1)), 0);
    /* grow to 250 000 live (2^16 slots at first: growths at 49 152, 98 304,
     * 196 608), with a take or a re-put now and then, checking in between */
    for (size_t step = 0; step < 400000; step++) {
        size_t k = (size_t)(check_rand() % ADDRESSES);
        if (step % 5 == 4)
            take(k);
        else
            put(k);
        if (step % 25000 == 0)
            check_all();
    }
    check_all();
    /* churn at that size, then empty it */
    for (size_t step = 0; step < 300000; step++) {
        size_t k = (size_t)(check_rand() % ADDRESSES);
        if (check_rand() & 1)
            take(k);
        else
            put(k);
    }
    check_all();
    for (size_t k = 0; k < ADDRESSES; k++)
        take(k);
    check_all();
    CHECK_EQ(ht_live_count(), 0);
    /* clear a full table, then use it again */
    for (size_t k = 0; k < 200000; k++)
        put(k);
    ht_live_clear();
    memset(ref_id, 0, sizeof ref_id);
    ref_live = 0;
    next_id = 0; /* a cleared table starts its ids over (a forked child's log) */
    check_all();
    for (size_t k = 0; k < 1000; k++)
        put(k);
    check_all();
    test_random_addresses(1500000); /* 2^19 slots to 2^21 */
    test_many_gibs();
    return check_exit();
}
