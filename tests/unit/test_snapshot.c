/* SPDX-License-Identifier: MIT */
/*
 * test_snapshot.c - the reader on heap snapshot records: every field of
 * SNAPSHOT_BEGIN, EDGES, ROOTS and END, and each kind of corrupt snapshot
 * with its message.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "logbuild.h"
#include "varint.h"
#include "reader.h"

static struct ht_reader *open_log(const struct logbuild *b, uint8_t **z)
{
    size_t n;
    *z = lb_compress(b, 1, &n);
    struct ht_reader *r;
    CHECK_EQ(ht_reader_open_mem(&r, *z, n, "test"), 0);
    return r;
}

/* The next record that is not a TICK. */
static int next_event(struct ht_reader *r, struct ht_event *ev)
{
    int rc;
    while ((rc = ht_reader_next(r, ev)) == 1 && ev->tag == HT_REC_TICK)
        ;
    return rc;
}

static void start(struct logbuild *b, int nblocks)
{
    lb_init(b, HT_FORMAT_VERSION);
    lb_header(b, 1, 0, "x", "/l", "");
    for (int i = 1; i <= nblocks; i++)
        lb_alloc(b, 1, HT_FN_MALLOC, (uint64_t)i << 12, 16, 0);
}

static void test_fields(void)
{
    struct logbuild b;
    uint8_t *z;
    start(&b, 3);
    lb_snapshot_begin(&b, 10, 7, HT_SNAP_SIGNAL);
    /* one EDGES record with two entries, written by hand */
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES, "uuuuuuuu", (uint64_t)2, (uint64_t)1, (uint64_t)2,
           LB_REF(2, 0), LB_REF(3, 1), (uint64_t)3, (uint64_t)1, LB_REF(1, 0));
    lb_rec(&b, HT_REC_SNAPSHOT_ROOTS, "uuuuuuuuu", (uint64_t)2, (uint64_t)HT_ROOT_GLOBAL,
           (uint64_t)4, (uint64_t)0x2010, LB_REF(1, 0), (uint64_t)HT_ROOT_STACK, (uint64_t)1,
           (uint64_t)0x40, LB_REF(3, 1));
    lb_rec(&b, HT_REC_SNAPSHOT_END, "uuuu", (uint64_t)5, (uint64_t)123456, (uint64_t)3,
           (uint64_t)2);
    lb_end(&b, 20, HT_END_EXIT);
    struct ht_reader *r = open_log(&b, &z);
    struct ht_event ev;
    for (int i = 0; i < 3; i++)
        CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_BEGIN);
    CHECK_EQ(ev.time_us, 10);
    CHECK_EQ(ev.value, 7);
    CHECK_EQ(ev.kind, HT_SNAP_SIGNAL);
    CHECK_EQ(ev.size, 3);

    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_EDGES);
    CHECK_EQ(ev.time_us, 10); /* no dt: the current time */
    CHECK_EQ(ev.nedges, 3);
    if (ev.nedges == 3) {
        CHECK(ev.edges[0].from == 1 && ev.edges[0].to == 2 && !ev.edges[0].interior);
        CHECK(ev.edges[1].from == 1 && ev.edges[1].to == 3 && ev.edges[1].interior);
        CHECK(ev.edges[2].from == 3 && ev.edges[2].to == 1 && !ev.edges[2].interior);
    }
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_ROOTS);
    CHECK_EQ(ev.time_us, 10);
    CHECK_EQ(ev.nroots, 2);
    if (ev.nroots == 2) {
        CHECK_EQ(ev.roots[0].kind, HT_ROOT_GLOBAL);
        CHECK_EQ(ev.roots[0].where, 4);
        CHECK_EQ(ev.roots[0].offset, 0x2010);
        CHECK_EQ(ev.roots[0].to, 1);
        CHECK(!ev.roots[0].interior);
        CHECK_EQ(ev.roots[1].kind, HT_ROOT_STACK);
        CHECK_EQ(ev.roots[1].where, 1);
        CHECK_EQ(ev.roots[1].offset, 0x40);
        CHECK_EQ(ev.roots[1].to, 3);
        CHECK(ev.roots[1].interior);
    }
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_END);
    CHECK_EQ(ev.time_us, 15);
    CHECK_EQ(ev.value, 123456);
    CHECK_EQ(ev.size, 3);
    CHECK_EQ(ev.old_size, 2);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_END);
    CHECK_EQ(next_event(r, &ev), 0);
    CHECK(!ht_reader_truncated(r));
    ht_reader_close(r);
    free(z);
    lb_release(&b);
}

static void expect_error(struct logbuild *b, const char *needle)
{
    uint8_t *z;
    struct ht_reader *r = open_log(b, &z);
    struct ht_event ev;
    int rc;
    while ((rc = ht_reader_next(r, &ev)) == 1)
        ;
    CHECK_EQ(rc, (uint64_t)-1);
    CHECK_HAS(ht_reader_error(r), needle);
    ht_reader_close(r);
    free(z);
    lb_release(b);
}

static void test_errors(void)
{
    struct logbuild b;
    uint64_t e[1];

    start(&b, 1);
    e[0] = LB_REF(1, 0);
    lb_snapshot_edges(&b, 1, 1, e);
    expect_error(&b, "SNAPSHOT_EDGES outside a snapshot (no SNAPSHOT_BEGIN)");

    start(&b, 1);
    lb_snapshot_root(&b, HT_ROOT_GLOBAL, 0, 0, LB_REF(1, 0));
    expect_error(&b, "SNAPSHOT_ROOTS outside a snapshot");

    start(&b, 1);
    lb_snapshot_end(&b, 2, 0);
    expect_error(&b, "SNAPSHOT_END outside a snapshot");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_snapshot_begin(&b, 2, 2, HT_SNAP_EXIT);
    expect_error(&b, "SNAPSHOT_BEGIN inside a snapshot (no SNAPSHOT_END before it)");

    start(&b, 1);
    lb_event(&b, HT_REC_SNAPSHOT_BEGIN, 2, "uuu", (uint64_t)1, (uint64_t)9, (uint64_t)1);
    expect_error(&b, "unknown snapshot reason 9");

    start(&b, 1);
    lb_event(&b, HT_REC_SNAPSHOT_BEGIN, 2, "uuu", (uint64_t)1, (uint64_t)0, (uint64_t)5);
    expect_error(&b, "snapshot of 5 blocks, but only 1 were created");

    start(&b, 2);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    e[0] = LB_REF(0, 0);
    lb_snapshot_edges(&b, 1, 1, e);
    expect_error(&b, "to 0 is not a block id");

    start(&b, 2);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    e[0] = LB_REF(1, 0);
    lb_snapshot_edges(&b, 0, 1, e);
    expect_error(&b, "from 0 is not a block id");

    /* ids are bounded by the blocks created at BEGIN, not later */
    start(&b, 2);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_INTERVAL);
    lb_alloc(&b, 3, HT_FN_MALLOC, 0x9000, 8, 0);
    e[0] = LB_REF(3, 1);
    lb_snapshot_edges(&b, 1, 1, e);
    expect_error(&b, "to names block 3, not created at SNAPSHOT_BEGIN (2 were)");

    start(&b, 2);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_snapshot_root(&b, HT_ROOT_KIND_COUNT_, 0, 0, LB_REF(1, 0)); /* one past the last kind (7) */
    expect_error(&b, "unknown root kind 7");

    start(&b, 2);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_snapshot_root(&b, HT_ROOT_USER, 0, 0x10, LB_REF(7, 0));
    expect_error(&b, "to names block 7, not created at SNAPSHOT_BEGIN (2 were)");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES, "uu", (uint64_t)1000, (uint64_t)1);
    expect_error(&b, "edge entry count 1000 exceeds the payload");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES, "uuuu", (uint64_t)1, (uint64_t)1, (uint64_t)50,
           LB_REF(1, 0));
    expect_error(&b, "target count 50 of block 1 exceeds the payload");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_ROOTS, "uuu", (uint64_t)9, (uint64_t)0, (uint64_t)0);
    expect_error(&b, "root count 9 exceeds the payload");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_ROOTS, "uuuuuu", (uint64_t)1, (uint64_t)0, (uint64_t)0,
           (uint64_t)0, LB_REF(1, 0), (uint64_t)0);
    expect_error(&b, "1 trailing bytes after the last field");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_ROOTS, "uuuu", (uint64_t)1, (uint64_t)0, (uint64_t)0,
           (uint64_t)0x4000); /* 3-byte offset, no target */
    expect_error(&b, "payload ends inside field 'to'");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_event(&b, HT_REC_SNAPSHOT_END, 3, "uuu", (uint64_t)0, (uint64_t)4, (uint64_t)0);
    expect_error(&b, "SNAPSHOT_END counts 4 edges and 0 roots, the snapshot had 0 and 0");
}

/* Version 2: EDGES_AT reads as EDGES with each pointer's offset, and END's
 * scan_ns lands in `flags`; the version 1 forms read with offset 0, scan 0. */
static void test_offsets(void)
{
    struct logbuild b;
    uint8_t *z;
    start(&b, 3);
    lb_snapshot_begin(&b, 10, 1, HT_SNAP_API);
    /* offsets 0, 8 (skip 0), 24 (skip 1), 4096 (skip 508: two bytes) */
    uint64_t refs[4] = {LB_REF(2, 0), LB_REF(3, 1), LB_REF(2, 1), LB_REF(1, 0)};
    uint64_t offs[4] = {0, 8, 24, 4096};
    lb_snapshot_edges_at(&b, 1, 4, refs, offs);
    uint64_t e1[1] = {LB_REF(1, 0)};
    lb_snapshot_edges(&b, 3, 1, e1); /* old form in the same snapshot */
    lb_snapshot_end_scan(&b, 12, 3000, 1234567);
    lb_snapshot_begin(&b, 13, 2, HT_SNAP_API);
    lb_snapshot_end(&b, 14, 10); /* no scan_ns */
    lb_end(&b, 20, HT_END_EXIT);
    struct ht_reader *r = open_log(&b, &z);
    struct ht_event ev;
    for (int i = 0; i < 4; i++) /* 3 ALLOC, BEGIN */
        CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_BEGIN);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_EDGES);
    CHECK_EQ(ev.nedges, 4);
    for (size_t i = 0; i < 4 && i < ev.nedges; i++) {
        CHECK_EQ(ev.edges[i].from, 1);
        CHECK_EQ(ev.edges[i].to, refs[i] >> 1);
        CHECK_EQ(ev.edges[i].interior, refs[i] & 1);
        CHECK_EQ(ev.edges[i].offset, offs[i]);
    }
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_EDGES);
    CHECK_EQ(ev.nedges, 1);
    if (ev.nedges == 1)
        CHECK(ev.edges[0].from == 3 && ev.edges[0].to == 1 && ev.edges[0].offset == 0);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_END);
    CHECK_EQ(ev.value, 3000);
    CHECK_EQ(ev.size, 5);
    CHECK_EQ(ev.flags, 1234567);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_END);
    CHECK_EQ(ht_snap_end_pause_ns(&ev), 10);
    CHECK_EQ(ht_snap_end_scan_ns(&ev), 0);
    CHECK_EQ(ht_snap_end_scan_cpu_ns(&ev), 0);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_END);
    CHECK_EQ(next_event(r, &ev), 0);
    ht_reader_close(r);
    free(z);
    lb_release(&b);

    /* a version 1 log reads as before */
    lb_init(&b, 1);
    lb_header(&b, 1, 0, "x", "/l", "");
    lb_alloc(&b, 1, HT_FN_MALLOC, 0x1000, 16, 0);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_snapshot_edges(&b, 1, 1, e1);
    lb_snapshot_end(&b, 3, 5);
    lb_end(&b, 4, HT_END_EXIT);
    r = open_log(&b, &z);
    int rc, n = 0;
    while ((rc = next_event(r, &ev)) == 1)
        n++;
    CHECK_EQ(rc, 0);
    CHECK_EQ(n, 5);
    CHECK_EQ(ht_reader_header(r)->version, 1);
    ht_reader_close(r);
    free(z);
    lb_release(&b);
}

/* Version 3: EDGES_DELTA's ids are differences (from the previous entry's
 * id, and each target from its block's) and read back as the plain ids. */
static void test_delta(void)
{
    struct logbuild b;
    uint8_t *z;
    start(&b, 9);
    lb_snapshot_begin(&b, 10, 1, HT_SNAP_EXIT);
    /* block 5 -> 9 (interior), 1; block 2 -> 2 (itself); block 9 -> 1, 8, 9 */
    const uint64_t froms[3] = {5, 2, 9};
    const size_t counts[3] = {2, 1, 3};
    const uint64_t refs[6] = {LB_REF(9, 1), LB_REF(1, 0), LB_REF(2, 0),
                              LB_REF(1, 0), LB_REF(8, 1), LB_REF(9, 0)};
    const uint64_t offs[6] = {0, 4096, 8, 0, 8, 800};
    lb_snapshot_edges_delta(&b, 3, froms, counts, refs, offs);
    lb_event(&b, HT_REC_SNAPSHOT_END, 12, "uuuuuu", (uint64_t)7, (uint64_t)6, (uint64_t)0,
             (uint64_t)900, (uint64_t)800, (uint64_t)300); /* version 3: scan_cpu_ns, index_cpu_ns */
    lb_end(&b, 20, HT_END_EXIT);
    struct ht_reader *r = open_log(&b, &z);
    struct ht_event ev;
    for (int i = 0; i < 10; i++) /* 9 ALLOC, BEGIN */
        CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_BEGIN);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_EDGES);
    CHECK_EQ(ev.nedges, 6);
    const uint64_t want_from[6] = {5, 5, 2, 9, 9, 9};
    for (size_t i = 0; i < 6 && i < ev.nedges; i++) {
        CHECK_EQ(ev.edges[i].from, want_from[i]);
        CHECK_EQ(ev.edges[i].to, refs[i] >> 1);
        CHECK_EQ(ev.edges[i].interior, refs[i] & 1);
        CHECK_EQ(ev.edges[i].offset, offs[i]);
    }
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SNAPSHOT_END);
    CHECK_EQ(ev.size, 6);
    CHECK_EQ(ht_snap_end_scan_ns(&ev), 900);
    CHECK_EQ(ht_snap_end_scan_cpu_ns(&ev), 800);
    CHECK_EQ(ht_snap_end_index_cpu_ns(&ev), 300);
    ht_reader_close(r);
    free(z);
    lb_release(&b);

    /* a difference that leads below 1 or past the blocks created */
    start(&b, 3);
    lb_snapshot_begin(&b, 4, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES_DELTA, "uuuuu", (uint64_t)1, ht_zigzag(4), (uint64_t)1,
           (uint64_t)0, (uint64_t)0);
    expect_error(&b, "from names block 4, not created at SNAPSHOT_BEGIN (3 were)");

    start(&b, 3);
    lb_snapshot_begin(&b, 4, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES_DELTA, "uuuuu", (uint64_t)1, ht_zigzag(2), (uint64_t)1,
           ht_zigzag(-2) << 1, (uint64_t)0);
    expect_error(&b, "to 0 is not a block id");

    start(&b, 3);
    lb_snapshot_begin(&b, 4, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES_DELTA, "uuuuu", (uint64_t)1, ht_zigzag(2), (uint64_t)1,
           ht_zigzag(-5) << 1, (uint64_t)0);
    expect_error(&b, "to names block 18446744073709551613, not created");

    start(&b, 3);
    lb_snapshot_begin(&b, 4, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES_DELTA, "uuuuuuu", (uint64_t)2, ht_zigzag(3), (uint64_t)0,
           ht_zigzag(-3), (uint64_t)1, (uint64_t)2, (uint64_t)0);
    expect_error(&b, "from 0 is not a block id");
}

static void test_offset_errors(void)
{
    struct logbuild b;

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES_AT, "uuuu", (uint64_t)1, (uint64_t)1, (uint64_t)2,
           LB_REF(1, 0)); /* 2 targets need 4 bytes, 1 is left */
    expect_error(&b, "target count 2 of block 1 exceeds the payload");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES_AT, "uuuuuuu", (uint64_t)1, (uint64_t)1, (uint64_t)2,
           LB_REF(1, 0), UINT64_MAX >> 5, LB_REF(1, 0), UINT64_MAX >> 5);
    expect_error(&b, "pointer offset of block 1 overflows");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_rec(&b, HT_REC_SNAPSHOT_EDGES_AT, "uuuuu", (uint64_t)1, (uint64_t)1, (uint64_t)1,
           LB_REF(1, 0), UINT64_MAX);
    expect_error(&b, "pointer offset of block 1 overflows");

    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_event(&b, HT_REC_SNAPSHOT_END, 3, "uuuuuuu", (uint64_t)0, (uint64_t)0, (uint64_t)0,
             (uint64_t)7, (uint64_t)5, (uint64_t)2, (uint64_t)1);
    expect_error(&b, "1 trailing bytes after the last field");
}

/* A snapshot cut short by the end of the log: the records before are read. */
static void test_truncated(void)
{
    struct logbuild b;
    uint8_t *z;
    uint64_t e[1] = {LB_REF(1, 0)};
    start(&b, 1);
    lb_snapshot_begin(&b, 2, 1, HT_SNAP_EXIT);
    lb_snapshot_edges(&b, 1, 1, e);
    struct ht_reader *r = open_log(&b, &z);
    struct ht_event ev;
    int rc, edges = 0;
    while ((rc = ht_reader_next(r, &ev)) == 1)
        edges += ev.tag == HT_REC_SNAPSHOT_EDGES;
    CHECK_EQ(rc, 0);
    CHECK_EQ(edges, 1);
    CHECK(ht_reader_truncated(r));
    ht_reader_close(r);
    free(z);
    lb_release(&b);
}

int main(void)
{
    test_fields();
    test_errors();
    test_offsets();
    test_delta();
    test_offset_errors();
    test_truncated();
    return check_exit();
}
