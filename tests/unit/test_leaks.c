/* SPDX-License-Identifier: MIT */
/*
 * test_leaks.c - memcheck's leak classes from heap snapshots (leaks.h) on
 * synthetic logs with known graphs, checked exactly: bytes, blocks and sites
 * of every class.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "leaks.h"
#include "logbuild.h"
#include "replay.h"

/* What the leak analysis made of the last log replayed (replay_log). */
static struct leaks *replayed_leaks;

static struct replay *replay_log(const struct logbuild *b)
{
    size_t n;
    uint8_t *z = lb_compress(b, 1, &n);
    struct ht_reader *r;
    CHECK_EQ(ht_reader_open_mem(&r, z, n, "test"), 0);
    struct replay_opts o = {.from_us = 0, .to_us = UINT64_MAX};
    struct replay *rp = replay_create(&o);
    struct replay_listener l = leaks_listener(&replayed_leaks);
    replay_listen(rp, &l);
    CHECK_EQ(replay_run(rp, r), 0);
    if (ht_reader_error(r)[0])
        fprintf(stderr, "reader: %s\n", ht_reader_error(r));
    ht_reader_close(r);
    free(z);
    return rp;
}

static void replayed_free(struct replay *rp)
{
    replay_free(rp);
    leaks_free(replayed_leaks);
    replayed_leaks = NULL;
}

static void check_site(const struct leak_class_total *t, size_t i, uint64_t stack, uint64_t bytes,
                       uint64_t blocks)
{
    CHECK(i < t->nsites);
    if (i >= t->nsites)
        return;
    CHECK_EQ(t->sites[i].stack_id, stack);
    CHECK_EQ(t->sites[i].bytes, bytes);
    CHECK_EQ(t->sites[i].blocks, blocks);
}

/* lb_leak_sample: one log, every class, the last snapshot wins. */
static void test_sample(void)
{
    struct logbuild b;
    lb_leak_sample(&b);
    struct replay *rp = replay_log(&b);
    const struct leaks *l = replayed_leaks;
    CHECK(l && l->valid);
    if (!l || !l->valid)
        goto out;
    CHECK_EQ(l->seq, 2);
    CHECK_EQ(l->reason, HT_SNAP_EXIT);
    CHECK_EQ(l->blocks, 10); /* the freed block is not in it */
    CHECK_EQ(l->edges, 8);
    CHECK_EQ(l->roots, 2);
    CHECK_EQ(l->unknown_refs, 0);

    const struct leak_class_total *d = &l->cls[LEAK_DEFINITELY];
    CHECK_EQ(d->bytes, 30 + 70 + 90); /* C1 (first of its cycle), L, X */
    CHECK_EQ(d->blocks, 3);
    CHECK_EQ(d->nsites, 2);
    check_site(d, 0, 4, 160, 2);
    check_site(d, 1, 2, 30, 1);

    const struct leak_class_total *in = &l->cls[LEAK_INDIRECTLY];
    CHECK_EQ(in->bytes, 40 + 100); /* C2, and Y although Y is older than X */
    CHECK_EQ(in->blocks, 2);
    CHECK_EQ(in->nsites, 2);
    check_site(in, 0, 6, 100, 1);
    check_site(in, 1, 2, 40, 1);

    const struct leak_class_total *p = &l->cls[LEAK_POSSIBLY];
    CHECK_EQ(p->bytes, 50 + 60 + 80); /* P (interior root), Q (via P), R3 (interior from R2) */
    CHECK_EQ(p->blocks, 3);
    check_site(p, 0, 3, 110, 2);
    check_site(p, 1, 5, 80, 1);

    const struct leak_class_total *s = &l->cls[LEAK_REACHABLE];
    CHECK_EQ(s->bytes, 10 + 20); /* L's pointers into R1 and R2 change nothing */
    CHECK_EQ(s->blocks, 2);
    CHECK_EQ(s->nsites, 1);
    check_site(s, 0, 1, 30, 2);
out:
    replayed_free(rp);
    lb_release(&b);
}

/* Small graphs, one class question each. */
static void start(struct logbuild *b, int nblocks)
{
    static const uint64_t ip = 0x401000;
    lb_init(b, HT_FORMAT_VERSION);
    lb_header(b, 1, 0, "x", "/l", "");
    lb_stack(b, 1, &ip);
    for (int i = 1; i <= nblocks; i++)
        lb_alloc(b, 1, HT_FN_MALLOC, (uint64_t)i << 12, (uint64_t)i, 1);
    lb_snapshot_begin(b, 2, 1, HT_SNAP_EXIT);
}

static const struct leaks *finish(struct logbuild *b, struct replay **rp)
{
    lb_snapshot_end(b, 3, 0);
    lb_end(b, 4, HT_END_EXIT);
    *rp = replay_log(b);
    lb_release(b);
    CHECK(replayed_leaks && replayed_leaks->valid);
    return replayed_leaks;
}

static void test_graphs(void)
{
    struct logbuild b;
    struct replay *rp;
    uint64_t e[2];

    /* a cycle of three lost blocks: the oldest is definitely lost */
    start(&b, 3);
    e[0] = LB_REF(2, 0);
    lb_snapshot_edges(&b, 1, 1, e);
    e[0] = LB_REF(3, 1); /* an interior pointer still makes a lost block indirectly lost */
    lb_snapshot_edges(&b, 2, 1, e);
    e[0] = LB_REF(1, 0);
    lb_snapshot_edges(&b, 3, 1, e);
    const struct leaks *l = finish(&b, &rp);
    CHECK_EQ(l->cls[LEAK_DEFINITELY].bytes, 1);
    CHECK_EQ(l->cls[LEAK_INDIRECTLY].bytes, 2 + 3);
    replayed_free(rp);

    /* a block held only through an interior pointer, from a root: possibly lost */
    start(&b, 2);
    lb_snapshot_root(&b, HT_ROOT_GLOBAL, 0, 8, LB_REF(1, 1));
    e[0] = LB_REF(2, 0); /* and what it points to */
    lb_snapshot_edges(&b, 1, 1, e);
    l = finish(&b, &rp);
    CHECK_EQ(l->cls[LEAK_POSSIBLY].bytes, 3);
    CHECK_EQ(l->cls[LEAK_POSSIBLY].blocks, 2);
    CHECK_EQ(l->cls[LEAK_DEFINITELY].blocks, 0);
    replayed_free(rp);

    /* a chain from a root: still reachable; a start pointer upgrades a possible block */
    start(&b, 3);
    lb_snapshot_root(&b, HT_ROOT_STACK, 0, 16, LB_REF(3, 1));
    lb_snapshot_root(&b, HT_ROOT_USER, 0, 0x1234, LB_REF(1, 0));
    e[0] = LB_REF(2, 0);
    lb_snapshot_edges(&b, 1, 1, e);
    e[0] = LB_REF(3, 0);
    lb_snapshot_edges(&b, 2, 1, e);
    l = finish(&b, &rp);
    CHECK_EQ(l->cls[LEAK_REACHABLE].bytes, 1 + 2 + 3);
    CHECK_EQ(l->cls[LEAK_POSSIBLY].blocks, 0);
    replayed_free(rp);

    /* a lost block pointing into a reachable one changes nothing; self-loops are lost */
    start(&b, 3);
    lb_snapshot_root(&b, HT_ROOT_GLOBAL, 0, 8, LB_REF(1, 0));
    e[0] = LB_REF(1, 0);
    e[1] = LB_REF(3, 0);
    lb_snapshot_edges(&b, 2, 2, e);
    e[0] = LB_REF(3, 0);
    lb_snapshot_edges(&b, 3, 1, e);
    l = finish(&b, &rp);
    CHECK_EQ(l->cls[LEAK_REACHABLE].bytes, 1);
    CHECK_EQ(l->cls[LEAK_DEFINITELY].bytes, 2);
    CHECK_EQ(l->cls[LEAK_INDIRECTLY].bytes, 3);
    replayed_free(rp);

    /* a running program's snapshot: a block freed after BEGIN is still in it */
    start(&b, 2);
    lb_free(&b, 2, 2 << 12);
    lb_snapshot_root(&b, HT_ROOT_GLOBAL, 0, 8, LB_REF(2, 0));
    l = finish(&b, &rp);
    CHECK_EQ(l->blocks, 2);
    CHECK_EQ(l->cls[LEAK_REACHABLE].bytes, 2);
    CHECK_EQ(l->cls[LEAK_DEFINITELY].bytes, 1);
    replayed_free(rp);

    /* a snapshot without END (truncated log) gives no result */
    start(&b, 1);
    rp = replay_log(&b);
    CHECK(!replayed_leaks || !replayed_leaks->valid);
    replayed_free(rp);
    lb_release(&b);
}

int main(void)
{
    test_sample();
    test_graphs();
    return check_exit();
}
