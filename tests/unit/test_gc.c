/* SPDX-License-Identifier: MIT */
/*
 * test_gc.c - GC records (format.h 0x70-0x76) on synthetic logs: what replay
 * derives (collections, links, finalizer deaths, the dark matter finalizers
 * release and the owner groups they close), and what the reader refuses.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gc.h"
#include "logbuild.h"
#include "replay.h"

/* What the gc analysis made of the last log replayed (replay_log). */
static struct gc_stats *replayed_gc;

static struct replay *replay_log(struct logbuild *b, int *rc)
{
    size_t n;
    uint8_t *z = lb_compress(b, 2, &n);
    struct ht_reader *r;
    CHECK_EQ(ht_reader_open_mem(&r, z, n, "t"), 0);
    struct replay_opts o = {.from_us = 0, .to_us = UINT64_MAX};
    struct replay *rp = replay_create(&o);
    struct replay_listener l = gc_listener(&replayed_gc);
    replay_listen(rp, &l);
    *rc = replay_run(rp, r);
    ht_reader_close(r);
    free(z);
    lb_release(b);
    return rp;
}

static void replayed_free(struct replay *rp)
{
    replay_free(rp);
    gc_free(replayed_gc);
    replayed_gc = NULL;
}

static void start(struct logbuild *b)
{
    static const uint64_t s1[] = {0x401000}, s2[] = {0x402000};
    lb_init(b, HT_FORMAT_VERSION);
    lb_header(b, 7, 1, "/bin/t", "/tmp/t.htrace", "");
    lb_stack(b, 1, s1);
    lb_stack(b, 1, s2);
}

/* lb_gc_sample: three GC objects own an iconv_t each (1000 bytes); a
 * collection finds two dead and their finalizers close the handles. */
static void test_gc_replay(void)
{
    struct logbuild b;
    int rc;
    lb_gc_sample(&b);
    struct replay *rp = replay_log(&b, &rc);
    CHECK_EQ(rc, 0);
    const struct gc_stats *g = replayed_gc;
    const struct model m = {.rp = rp, .gc = g};
    CHECK(g != NULL);
    CHECK_EQ(g->objects, 64 + 3);
    CHECK_EQ(g->allocated_bytes, 1024 + 48);
    CHECK_EQ(g->collections, 1);
    CHECK_EQ(g->peak_gc_heap_bytes, 2000);
    CHECK_EQ(g->nsamples, 2); /* the collection, and the log's end */
    CHECK_EQ(g->samples[1].t_us, 50);
    CHECK_EQ(g->samples[1].gc_heap_bytes, 2000);
    CHECK_EQ(g->samples[1].dark_bytes, 1000);
    CHECK_EQ(g->samples[1].rss_bytes, 9000000);
    CHECK_EQ(g->samples[0].dark_bytes, 3000);
    CHECK_EQ(g->samples[0].rss_bytes, 9000000);
    CHECK_EQ(g->links[HT_GC_LINK_REGISTER], 5);
    CHECK_EQ(g->links[HT_GC_LINK_UNREGISTER], 1);
    CHECK_EQ(g->links[HT_GC_LINK_CLEARED], 3);
    CHECK_EQ(g->finalizers_registered, 3);
    CHECK_EQ(g->finalized, 2);
    CHECK_EQ(g->finalizer_freed_bytes, 2000);
    CHECK_EQ(g->finalizer_closes, 2);
    CHECK_EQ(g->frees, 1);
    CHECK_EQ(rp->ngroups, 1);
    CHECK_EQ(gc_group_closes(&m, &rp->groups[0]), 2);
    gc_symbolize(replayed_gc, rp, NULL); /* the finalizers' registration stack: stack 1 */
    const struct model_stack *st = gc_group_fin_stack(&m, &rp->groups[0]);
    CHECK(st != NULL && st->nframes == 1 && st->frames[0].address == 0x401000);
    /* dark matter (3000) outgrew the GC heap (2000), finalizers freed malloc */
    CHECK(gc_runs_too_rarely(&m));
    replayed_free(rp);
}

/* No GC record: no gc state, nothing reported. */
static void test_no_gc(void)
{
    struct logbuild b;
    int rc;
    start(&b);
    lb_alloc(&b, 1, HT_FN_MALLOC, 0x1000, 10, 1);
    lb_end(&b, 2, HT_END_EXIT);
    struct replay *rp = replay_log(&b, &rc);
    CHECK_EQ(rc, 0);
    CHECK(replayed_gc == NULL);
    replayed_free(rp);
}

/* Out-of-range fn / op values and trailing bytes are corrupt, not crashes. */
static void test_gc_corrupt(void)
{
    static const struct {
        uint8_t tag;
        const char *fmt;
        uint64_t a, b, c, d;
    } bad[] = {
        {HT_REC_GC_ALLOC, "uuuu", HT_GC_FN_COUNT_, 1, 1, 0},
        {HT_REC_GC_ALLOC, "uuuu", 0, 1, 1, 99}, /* stack not defined */
        {HT_REC_GC_LINK, "uuu", HT_GC_LINK_OP_COUNT_, 1, 0, 0},
        {HT_REC_GC_FINALIZER, "uu", 2, 0, 0, 0},
        {HT_REC_GC_FREE, "uu", 16, 1, 0, 0}, /* trailing field */
        {HT_REC_GC_FINALIZE_END, "u", 1, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct logbuild b;
        int rc;
        start(&b);
        lb_event(&b, bad[i].tag, 1, bad[i].fmt, bad[i].a, bad[i].b, bad[i].c, bad[i].d);
        lb_end(&b, 2, HT_END_EXIT);
        struct replay *rp = replay_log(&b, &rc);
        CHECK_EQ(rc, -1);
        replayed_free(rp);
    }
}

/* gc_weak on events made by hand: 30 collections, each after `put` new
 * links at stack 5; `clear` of them cleared, and `drop` dead slots dropped. */
static struct gc_weak *weak_run(uint64_t put, uint64_t clear, uint64_t drop)
{
    struct gc_weak *w = NULL;
    for (uint64_t c = 1; c <= 30; c++) {
        struct ht_event ev = {.tag = HT_REC_GC_LINK, .kind = HT_GC_LINK_REGISTER,
                              .value = put, .stack = 5, .time_us = c * 1000};
        gc_weak_observe(&w, &ev);
        ev = (struct ht_event){.tag = HT_REC_GC_COLLECTION, .time_us = c * 1000 + 500};
        gc_weak_observe(&w, &ev);
        ev = (struct ht_event){.tag = HT_REC_GC_LINK, .kind = HT_GC_LINK_CLEARED, .value = clear,
                               .stack = 5, .time_us = c * 1000 + 500};
        if (clear)
            gc_weak_observe(&w, &ev);
        ev.kind = HT_GC_LINK_DEAD_DROPPED;
        ev.value = drop;
        if (drop && c > 1) /* the slots cleared by the collection before */
            gc_weak_observe(&w, &ev);
    }
    gc_weak_finish(w);
    CHECK_EQ(w->ntables, 1);
    CHECK_EQ(w->tables[0].npoints, 30);
    return w;
}

static void test_gc_weak(void)
{
    /* values keeping their keys: nothing cleared, live links grow */
    struct gc_weak *w = weak_run(1000, 0, 0);
    const struct gc_weak_table *t = &w->tables[0];
    CHECK(t->growing_live && !t->growing_dead);
    CHECK_EQ(gc_weak_live(t), 30000);
    gc_weak_free(w);
    /* never vacuumed: everything cleared, the dead slots stay */
    w = weak_run(1000, 1000, 0);
    t = &w->tables[0];
    CHECK(!t->growing_live && t->growing_dead);
    CHECK_EQ(gc_weak_dead(t), 30000);
    CHECK_EQ(t->points[29].dead, 30000); /* CLEARED amends its collection's point */
    gc_weak_free(w);
    /* vacuumed: the dead slots of one collection are gone by the next */
    w = weak_run(1000, 1000, 1000);
    t = &w->tables[0];
    CHECK(!t->growing_live && !t->growing_dead);
    CHECK_EQ(gc_weak_dead(t), 1000);
    gc_weak_free(w);
}

int main(void)
{
    test_gc_replay();
    test_gc_weak();
    test_no_gc();
    test_gc_corrupt();
    return check_exit();
}
