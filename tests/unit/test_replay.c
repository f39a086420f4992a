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

/* Replays b with the listeners l[0..nl) subscribed. */
static struct replay *replay_log_to(struct logbuild *b, uint64_t from, uint64_t to,
                                    const struct replay_listener *l, size_t nl)
{
    size_t n;
    uint8_t *z = lb_compress(b, 2, &n);
    struct ht_reader *r;
    CHECK_EQ(ht_reader_open_mem(&r, z, n, "t"), 0);
    struct replay_opts o = {.from_us = from, .to_us = to};
    struct replay *rp = replay_create(&o);
    for (size_t i = 0; i < nl; i++)
        replay_listen(rp, &l[i]);
    CHECK_EQ(replay_run(rp, r), 0);
    ht_reader_close(r);
    free(z);
    lb_release(b);
    return rp;
}

static struct replay *replay_log(struct logbuild *b, uint64_t from, uint64_t to)
{
    return replay_log_to(b, from, to, NULL, 0);
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

/* What a listener saw (test_listeners). */
struct seen {
    int calls, frees, finishes, known_block; /* known_block: FREEs whose block was in the map */
    uint64_t max_t, heap_at_first_free;
    int *order, *norder; /* shared: which listener was called, in order, for the FREE at t=11 */
};

static void seen_event(struct replay_listener *self, struct replay *rp, const struct ht_event *ev)
{
    struct seen *s = self->ctx;
    s->calls++;
    if (ev->time_us > s->max_t)
        s->max_t = ev->time_us;
    if (ev->tag != HT_REC_FREE)
        return;
    if (s->frees++ == 0)
        s->heap_at_first_free = rp->tot.heap_bytes;
    s->known_block += blockmap_get(&rp->blocks, ev->addr) != NULL;
    if (ev->time_us == 11 && *s->norder < 4)
        s->order[(*s->norder)++] = self->before ? 1 : 2;
}

static void seen_finish(struct replay_listener *self, struct replay *rp)
{
    (void)rp;
    ((struct seen *)self->ctx)->finishes++;
}

/* Once, at the first event at or after wake_us, then never again. */
static void wake_once(struct replay_listener *self, struct replay *rp, const struct ht_event *ev)
{
    seen_event(self, rp, ev);
    self->wake_us = UINT64_MAX;
}

/* Listeners see the events they asked for, in the window, before or after
 * replay applied them; wake_us calls once whatever the tag; finish once. */
static void test_listeners(void)
{
    struct logbuild b;
    struct seen before = {0}, after = {0}, timer = {0};
    int order[4], norder = 0;
    before.norder = after.norder = timer.norder = &norder;
    before.order = after.order = timer.order = order;
    struct replay_listener l[3] = {
        {.ctx = &after, .on_event = seen_event, .finish = seen_finish, .wake_us = UINT64_MAX},
        {.ctx = &before, .on_event = seen_event, .before = true, .wake_us = UINT64_MAX},
        {.ctx = &timer, .on_event = wake_once, .wake_us = 60},
    };
    replay_listener_want(&l[0], HT_REC_FREE, true);
    replay_listener_want(&l[1], HT_REC_FREE, true);
    replay_listener_want(&l[1], HT_REC_MARK, true);
    replay_listener_want(&l[1], HT_REC_MARK, false);
    build_main(&b);
    struct replay *rp = replay_log_to(&b, 0, UINT64_MAX, l, 3);
    /* 6 FREE records (logbuild, like the recorder, drops the unknown one) */
    CHECK_EQ(before.calls, 6);
    CHECK_EQ(before.frees, 6);
    CHECK_EQ(after.frees, 6);
    CHECK_EQ(before.known_block, 6); /* before: the block is still in the map */
    CHECK_EQ(after.known_block, 0);  /* after: it is gone */
    CHECK_EQ(before.heap_at_first_free, 100);
    CHECK_EQ(after.heap_at_first_free, 0);
    CHECK_EQ(norder, 2); /* the `before` one first, although subscribed second */
    CHECK(norder == 2 && order[0] == 1 && order[1] == 2);
    CHECK_EQ(after.finishes, 1);
    CHECK_EQ(timer.calls, 1);
    CHECK_EQ(timer.max_t, 60);
    replay_free(rp);

    /* --to 45: nothing past it arrives, and finish still does */
    memset(&after, 0, sizeof(after));
    after.norder = &norder;
    after.order = order;
    build_main(&b);
    rp = replay_log_to(&b, 0, 45, l, 1);
    CHECK_EQ(after.frees, 4);
    CHECK(after.max_t <= 45);
    CHECK_EQ(after.finishes, 1);
    replay_free(rp);
}

int main(void)
{
    test_listeners();
    test_totals();
    test_window_and_truncation();
    test_many_blocks();
    return check_exit();
}
