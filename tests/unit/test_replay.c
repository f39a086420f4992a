/* SPDX-License-Identifier: MIT */
/*
 * test_replay.c - replay totals on synthetic logs whose counts are known by
 * construction: allocations, frees, realloc chains, temporary allocations,
 * owners, leaks, unknown frees, the peak breakdown, the timeline, windows.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "logbuild.h"
#include "replay.h"

static struct replay *replay_log(struct logbuild *b, uint64_t from, uint64_t to)
{
    size_t n;
    uint8_t *z = lb_compress(b, 2, &n);
    struct ht_reader *r;
    CHECK_EQ(ht_reader_open_mem(&r, z, n, "t"), 0);
    struct replay_opts o = {.from_us = from, .to_us = to};
    struct replay *rp = replay_create(&o);
    CHECK_EQ(replay_run(rp, r), 0);
    ht_reader_close(r);
    free(z);
    lb_release(b);
    return rp;
}

static void build_main(struct logbuild *b)
{
    static const uint64_t s1[] = {0x401000}, s2[] = {0x402000}, s3[] = {0x403000};
    lb_init(b, HT_FORMAT_VERSION);
    lb_header(b, 7, 1, "/bin/t", "/tmp/t.htrace", "");
    lb_stack(b, 1, s1);
    lb_stack(b, 1, s2);
    lb_stack(b, 1, s3);
    /* site 1: 10 x 100 bytes, 4 freed (the first one temporary) */
    lb_alloc(b, 10, HT_FN_MALLOC, 0x1000, 100, 1);
    lb_free(b, 11, 0x1000);                          /* temporary */
    for (uint64_t i = 1; i < 10; i++)
        lb_alloc(b, 20 + i, HT_FN_MALLOC, 0x1000 + i * 0x100, 100, 1);
    for (uint64_t i = 1; i < 4; i++)
        lb_free(b, 40 + i, 0x1000 + i * 0x100); /* not temporary: allocs in between */
    /* heap now 6 * 100 = 600 (peak so far 900 at t=29) */
    /* site 2: realloc chain 10 -> 20 -> 40 -> freed by realloc(p, 0) */
    lb_alloc(b, 50, HT_FN_CALLOC, 0x9000, 10, 2);
    lb_realloc(b, 51, 0x9000, 0xa000, 20, 2);    /* free 0x9000: temporary */
    lb_realloc(b, 52, 0xa000, 0xa000, 40, 2);    /* in place: temporary again */
    lb_realloc(b, 53, 0xa000, 0, 0, 2);          /* realloc(p, 0): temporary */
    /* thread 1: alloc, then thread 0 frees it: not temporary (other thread) */
    lb_switch(b, 1);
    lb_alloc(b, 60, HT_FN_MALLOC, 0x20000, 1000, 3); /* heap 1600: new peak */
    lb_switch(b, 0);
    lb_free(b, 61, 0x20000);
    /* unknown frees: from before the shim */
    lb_free(b, 62, 0x777000);
    lb_realloc(b, 63, 0x888000, 0x30000, 50, 3); /* unknown old, new block of 50 */
    /* owners: fopen opens on thread 0, allocates 2 blocks; one handle closed */
    lb_event(b, HT_REC_OWNER_BEGIN, 70, "uu", (uint64_t)HT_OWNER_FOPEN, (uint64_t)3);
    lb_alloc(b, 71, HT_FN_MALLOC, 0x40000, 500, 3);
    lb_event(b, HT_REC_OWNER_END, 72, "u", lb_handle(b, 0xf11e));
    lb_event(b, HT_REC_OWNER_BEGIN, 73, "uu", (uint64_t)HT_OWNER_FOPEN, (uint64_t)3);
    lb_alloc(b, 74, HT_FN_MALLOC, 0x41000, 300, 3);
    lb_event(b, HT_REC_OWNER_END, 75, "u", lb_handle(b, 0xf22e));
    lb_event(b, HT_REC_OWNER_BEGIN, 76, "uu", (uint64_t)HT_OWNER_FOPEN, (uint64_t)3);
    lb_event(b, HT_REC_OWNER_END, 77, "u", (uint64_t)0); /* failed fopen */
    lb_event(b, HT_REC_OWNER_CLOSE, 78, "uu", (uint64_t)HT_OWNER_FOPEN, lb_handle(b, 0xf11e));
    lb_free(b, 79, 0x40000);
    /* heap: 600 + 50 + 300 = 950 */
    lb_event(b, HT_REC_MMAP, 80, "uuuuu", (uint64_t)0x7000000, (uint64_t)8192, (uint64_t)3,
             (uint64_t)0x22, (uint64_t)0);
    lb_event(b, HT_REC_MUNMAP, 81, "uu", (uint64_t)0x7000000, (uint64_t)4096);
    lb_event(b, HT_REC_RSS, 82, "u", (uint64_t)5000000);
    lb_event(b, HT_REC_RSS, 83, "u", (uint64_t)4000000);
    lb_event(b, HT_REC_LOST, 84, "u", (uint64_t)2);
    lb_event(b, HT_REC_LOST, 85, "u", (uint64_t)5);
    lb_event(b, HT_REC_MARK, 86, "S", "m1");
    lb_end(b, 2000000, HT_END_EXIT);
}

static void test_totals(void)
{
    struct logbuild b;
    build_main(&b);
    struct replay *rp = replay_log(&b, 0, UINT64_MAX);
    const struct replay_totals *t = &rp->tot;
    /* 10 (site1) + 1 calloc + 3 reallocs (site2) + 1 (t1) + 1 realloc + 2 (owners) */
    CHECK_EQ(t->allocations, 18);
    /* 1 + 3 (site1) + 3 reallocs with known old + 1 cross-thread + 1 owner block */
    CHECK_EQ(t->frees, 9);
    CHECK_EQ(t->unknown_frees, 0); /* the recorder (and logbuild) never write them */
    CHECK_EQ(t->temporary, 4);
    CHECK_EQ(t->bytes_allocated, 1000 + 10 + 20 + 40 + 1000 + 50 + 500 + 300);
    CHECK_EQ(t->peak_bytes, 1600);
    CHECK_EQ(t->peak_time_us, 60);
    CHECK_EQ(t->leaked_bytes, 950);
    CHECK_EQ(t->leaked_blocks, 8);
    CHECK_EQ(t->peak_rss, 5000000);
    CHECK_EQ(t->lost_events, 7);
    CHECK_EQ(t->mmap_bytes, 4096);
    CHECK_EQ(t->peak_mmap_bytes, 8192);
    CHECK_EQ(t->duration_us, 2000000);
    CHECK(t->complete);

    /* per site */
    CHECK_EQ(rp->sites[1].allocations, 10);
    CHECK_EQ(rp->sites[1].temporary, 1);
    CHECK_EQ(rp->sites[1].peak_bytes, 900);
    CHECK_EQ(rp->sites[1].live_bytes, 600);
    CHECK_EQ(rp->sites[1].live_blocks, 6);
    CHECK_EQ(rp->sites[1].at_peak_bytes, 600);
    CHECK_EQ(rp->sites[2].allocations, 4);
    CHECK_EQ(rp->sites[2].temporary, 3);
    CHECK_EQ(rp->sites[2].peak_bytes, 40);
    CHECK_EQ(rp->sites[2].live_bytes, 0);
    CHECK_EQ(rp->sites[2].at_peak_bytes, 0);
    CHECK_EQ(rp->sites[3].at_peak_bytes, 1000);
    CHECK_EQ(rp->sites[3].live_bytes, 350);

    /* owners: one group (fopen, stack 3): 1 live handle of 2 opened, 300 bytes */
    CHECK_EQ(rp->ngroups, 1);
    CHECK_EQ(rp->groups[0].kind, HT_OWNER_FOPEN);
    CHECK_EQ(rp->groups[0].live_handles, 1);
    CHECK_EQ(rp->groups[0].opened, 2);
    CHECK_EQ(rp->groups[0].bytes, 300);
    CHECK_EQ(rp->groups[0].peak_bytes, 800);

    CHECK_EQ(rp->nmarks, 1);
    CHECK_EQ(rp->marks[0].heap_bytes, 950);
    CHECK(rp->ntimeline > 0 && rp->ntimeline <= REPLAY_TIMELINE_SAMPLES);
    uint64_t max_heap = 0;
    for (uint64_t i = 0; i < rp->ntimeline; i++)
        if (rp->timeline[i].heap_bytes > max_heap)
            max_heap = rp->timeline[i].heap_bytes;
    CHECK_EQ(max_heap, 1600);
    replay_free(rp);
}

static void test_window_and_truncation(void)
{
    struct logbuild b;
    build_main(&b);
    /* up to t=45: site 1 only, three frees done */
    struct replay *rp = replay_log(&b, 0, 45);
    CHECK_EQ(rp->tot.allocations, 10);
    CHECK_EQ(rp->tot.frees, 4);
    CHECK_EQ(rp->tot.leaked_bytes, 600);
    CHECK_EQ(rp->tot.peak_bytes, 900);
    replay_free(rp);

    build_main(&b);
    rp = replay_log(&b, 50, UINT64_MAX);
    CHECK_EQ(rp->tot.allocations, 8);
    CHECK_EQ(rp->tot.peak_bytes, 1600);
    CHECK_EQ(rp->tot.leaked_bytes, 950); /* blocks from before the window still count */
    replay_free(rp);

    /* no END record: leaked = live at log end, log incomplete */
    lb_init(&b, HT_FORMAT_VERSION);
    lb_header(&b, 7, 1, "/bin/t", "/tmp/t.htrace", "");
    lb_alloc(&b, 1, HT_FN_MALLOC, 0x1000, 64, 0);
    lb_alloc(&b, 2, HT_FN_MALLOC, 0x2000, 64, 0);
    lb_free(&b, 3, 0x1000);
    rp = replay_log(&b, 0, UINT64_MAX);
    CHECK(!rp->tot.complete);
    CHECK_EQ(rp->tot.leaked_bytes, 64);
    CHECK_EQ(rp->tot.leaked_blocks, 1);
    CHECK_EQ(rp->tot.temporary, 0);
    replay_free(rp);
}

/* Many live blocks and churn: the hash table under growth and deletion. */
static void test_many_blocks(void)
{
    struct logbuild b;
    lb_init(&b, HT_FORMAT_VERSION);
    lb_header(&b, 7, 1, "/bin/t", "/tmp/t.htrace", "");
    const uint64_t n = 200000;
    for (uint64_t i = 0; i < n; i++)
        lb_alloc(&b, i, HT_FN_MALLOC, 0x10000 + i * 16, 16, 0);
    for (uint64_t i = 0; i < n; i += 2)
        lb_free(&b, n + i, 0x10000 + i * 16);
    lb_end(&b, 3 * n, HT_END_EXIT);
    struct replay *rp = replay_log(&b, 0, UINT64_MAX);
    CHECK_EQ(rp->tot.allocations, n);
    CHECK_EQ(rp->tot.frees, n / 2);
    CHECK_EQ(rp->tot.leaked_blocks, n / 2);
    CHECK_EQ(rp->tot.peak_bytes, n * 16);
    CHECK_EQ(rp->blocks.count, n / 2);
    replay_free(rp);
}

int main(void)
{
    test_totals();
    test_window_and_truncation();
    test_many_blocks();
    return check_exit();
}
