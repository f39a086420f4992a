/* SPDX-License-Identifier: MIT */
/*
 * test_live.c - preload/live.c, the recorder's table of live blocks, against
 * a plain array: random puts (new addresses and addresses seen live again),
 * takes (backward-shift deletion) and gets while the table grows many
 * times and churns at its full load, and the table as a snapshot and a
 * fork child read it compared whole at every stage; then blocks at random
 * addresses, looked up as the table grows; blocks the compact entries
 * cannot hold (64 KiB and more, unaligned, high addresses); renumbering
 * (a fork child); reading it away (a snapshot child). test_live_ids is the
 * same program with ids of 8 bits: it sees them wrap and old blocks move.
 */
#include <stdlib.h>
#include <string.h>

#include "addrbuckets.h"
#include "check.h"
#include "ht.h"
#include "live.h"

void *ht_mem_alloc_huge(size_t size)
{
    return calloc(1, size ? size : 1);
}

void *ht_mem_alloc(size_t size)
{
    return calloc(1, size ? size : 1);
}

void *ht_mem_realloc(void *p, size_t size)
{
    return realloc(p, size);
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
    CHECK(ht_live_put(addr_of(k), ++next_id, k, (uint32_t)k * 3));
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
    const struct ht_live_block *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Every block, read `room` at a time; returns how many (at most max). */
static size_t read_all(struct ht_live_block *out, size_t max, size_t room, bool release)
{
    struct ht_live_cursor c = {.release = release};
    size_t n = 0, got;
    while (n + room <= max + room && (got = ht_live_read(&c, out + n, room)) > 0)
        n += got;
    return n;
}

/* Every entry as a reader sees it, and the count, against the reference. */
static void check_all(void)
{
    CHECK_EQ(ht_live_count(), ref_live);
    CHECK_EQ(ht_live_newest_id(), next_id); /* a snapshot's index counts ids back from it */
    struct ht_live_block *b = calloc(ref_live + 64, sizeof *b);
    size_t n = read_all(b, ref_live, 13, false);
    CHECK_EQ(n, ref_live);
    uint64_t *at = calloc(ref_live + 1, sizeof *at);
    for (size_t i = 0; i < n && i < ref_live; i++)
        at[i] = b[i].addr;
    qsort(b, n < ref_live ? n : ref_live, sizeof *b, by_addr);
    size_t j = 0, wrong = 0;
    for (size_t k = 0; k < ADDRESSES; k++) {
        wrong += ht_live_get(addr_of(k)) != ref_id[k];
        if (!ref_id[k])
            continue;
        wrong += !(j < n && b[j].addr == addr_of(k) && b[j].id == ref_id[k] && b[j].size == k &&
                   b[j].stack == k * 3);
        j++;
    }
    CHECK_EQ(wrong, 0);
    check_buckets(at, ref_live);
    free(at);
    free(b);
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
 * evenly; these make long probe runs, some across a shard's end, which a
 * growth must keep whole), each looked up whenever the table has grown by
 * half since the last look. */
static void test_random_addresses(size_t n)
{
    ht_live_clear();
    size_t bytes0 = ht_live_bytes(), bytes = bytes0, checked = bytes0;
    uint64_t *at = calloc(n, sizeof *at);
    size_t wrong = 0;
    for (size_t k = 0; k < n; k++) {
        do /* distinct: ids checked one to one */
            at[k] = (0x100000000000ull + (check_rand() << 20 ^ check_rand()) % (1ull << 40)) & ~15ull;
        while (ht_live_get(at[k]));
        CHECK(ht_live_put(at[k], k + 1, k % 1000, 0));
        bytes = ht_live_bytes();
        if (bytes > checked * 3 / 2) { /* it grew: every block so far is where a lookup goes */
            checked = bytes;
            for (size_t i = 0; i <= k; i++)
                wrong += ht_live_get(at[i]) != i + 1;
        }
    }
#ifndef HT_LIVE_ID_BITS /* (with 8-bit ids nearly every block is too old for an entry) */
    /* the cost the table is for: at most 22.5 bytes a block (80% to 71% load) */
    CHECK(ht_live_bytes() * 2 <= n * 45);
#endif
    for (size_t k = 0; k < n; k += 2)
        wrong += ht_live_take(at[k]) != k + 1;
    for (size_t k = 0; k < n; k++)
        wrong += ht_live_get(at[k]) != (k % 2 ? k + 1 : 0);
    CHECK_EQ(wrong, 0);
    CHECK(bytes > bytes0); /* it did grow */
    free(at);
}

/* Blocks the compact entries cannot hold, among ones they can: each kind
 * found, replaced by the other kind at the same address, taken, read. */
static void test_wide_blocks(void)
{
    ht_live_clear();
    const uint64_t base = 0x7f0000001000ull;
    struct {
        uint64_t addr, size;
    } b[] = {
        {base, 100},                    /* compact */
        {base + 0x100, 65535},          /* 64 KiB less one: wide */
        {base + 0x20000, 1ull << 33},   /* 8 GiB */
        {base + 0x400008, 24},          /* 8-aligned (heaptrace_alloc) */
        {base + 0x400011, 3},           /* odd */
        {0x1000000000000ull + 32, 48},  /* above 2^48 */
        {base + 0x500000, 65534},       /* the largest compact size */
    };
    size_t nb = sizeof b / sizeof b[0];
    for (size_t i = 0; i < nb; i++)
        CHECK(ht_live_put(b[i].addr, i + 1, b[i].size, (uint32_t)i + 100));
    CHECK_EQ(ht_live_count(), nb);
    for (size_t i = 0; i < nb; i++)
        CHECK_EQ(ht_live_get(b[i].addr), i + 1);
    CHECK_EQ(ht_live_get(base + 0x400000), 0); /* the 8-aligned block's 16-byte neighbour */
    struct ht_live_block r[16];
    CHECK_EQ(read_all(r, 16, 3, false), nb);
    size_t found = 0;
    for (size_t k = 0; k < nb; k++)
        for (size_t i = 0; i < nb; i++)
            found += r[k].addr == b[i].addr && r[k].size == b[i].size && r[k].id == i + 1 &&
                     r[k].stack == i + 100;
    CHECK_EQ(found, nb);
    /* the same address with the other kind of block: one block, the new one */
    CHECK(ht_live_put(base, 20, 1u << 20, 1));
    CHECK(ht_live_put(base + 0x100, 21, 16, 2));
    CHECK_EQ(ht_live_count(), nb);
    CHECK_EQ(ht_live_take(base), 20);
    CHECK_EQ(ht_live_take(base + 0x100), 21);
    CHECK_EQ(ht_live_take(base), 0);
    CHECK_EQ(ht_live_take(base + 0x100), 0);
    for (size_t i = 2; i < nb; i++)
        CHECK_EQ(ht_live_take(b[i].addr), i + 1);
    CHECK_EQ(ht_live_count(), 0);
    CHECK(ht_live_put(0, 99, 1, 1)); /* address 0 is no block */
    CHECK_EQ(ht_live_count(), 0);
    ht_live_clear();
}

/* A fork child's renumbering: every block gets the next id, in the order
 * the callback sees them, and the stack it gives; it keeps its address and
 * size. */
struct renumber {
    uint64_t next;
    size_t wrong;
};

static void renumber_one(void *arg, struct ht_live_block *b)
{
    struct renumber *r = arg;
    size_t k = (size_t)((b->addr - 0x555500000000ull) / 112);
    r->wrong += b->id != ++r->next;
    r->wrong += k >= ADDRESSES || b->size != k || b->stack != k * 3;
    b->stack = (uint32_t)b->id + 7;
}

static void test_renumber_and_release(void)
{
    ht_live_clear();
    memset(ref_id, 0, sizeof ref_id);
    ref_live = 0;
    next_id = 0;
    for (size_t k = 0; k < 50000; k++)
        put(k);
    CHECK(ht_live_put(0x7f0000000008ull, ++next_id, 1u << 20, 5)); /* a wide one too */
    struct renumber r = {1000, 0};
    ht_live_renumber(1001, renumber_one, &r);
    CHECK_EQ(r.wrong, 1); /* the wide one is no addr_of(k) */
    CHECK_EQ(r.next, 51001);
    CHECK_EQ(ht_live_newest_id(), 51001);
    struct ht_live_block *b = calloc(50001 + 64, sizeof *b);
    CHECK_EQ(read_all(b, 50001, 100, false), 50001);
    size_t wrong = 0;
    for (size_t i = 0; i < 50001; i++)
        wrong += ht_live_get(b[i].addr) != b[i].id || b[i].stack != b[i].id + 7;
    CHECK_EQ(wrong, 0);
    /* a snapshot child reads the table away: the same blocks, no memory left */
    CHECK_EQ(read_all(b, 50001, 100, true), 50001);
    CHECK(ht_live_bytes() < 4096);
    free(b);
    ht_live_clear();
}

#ifdef HT_LIVE_ID_BITS
/* Ids of HT_LIVE_ID_BITS bits: blocks live across many wraps keep their
 * ids (they move to the wide table), young ones stay compact. */
static void test_old_ids(void)
{
    ht_live_clear();
    memset(ref_id, 0, sizeof ref_id);
    ref_live = 0;
    next_id = 0;
    size_t wrong = 0;
    for (size_t step = 0; step < 200000; step++) {
        size_t k = (size_t)(check_rand() % 2000);
        if (check_rand() % 3 == 0) {
            wrong += ht_live_take(addr_of(k)) != ref_id[k];
            ref_live -= ref_id[k] != 0;
            ref_id[k] = 0;
        } else {
            put(k);
        }
        if (step % 9973 == 0)
            for (size_t i = 0; i < 2000; i++)
                wrong += ht_live_get(addr_of(i)) != ref_id[i];
    }
    CHECK_EQ(wrong, 0);
    check_all();
    ht_live_clear();
}
#endif

int main(void)
{
    CHECK_EQ(ht_live_take(addr_of(1)), 0); /* an empty table */
    CHECK_EQ(ht_live_get(addr_of(1)), 0);
    /* grow to 250 000 live (64 shards of 255 slots at first, each growing
     * by an eighth at 80% load), with a take or a re-put now and then,
     * checking in between */
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
#ifdef HT_LIVE_ID_BITS
    test_old_ids();
#endif
    test_random_addresses(1500000);
    test_many_gibs();
    test_wide_blocks();
    test_renumber_and_release();
    return check_exit();
}
