/* SPDX-License-Identifier: MIT */
/*
 * test_reader.c - the reader on every record kind, on multi-frame logs, on
 * truncation at every byte, and on each kind of corrupt input it names.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "framecheck.h"
#include "logbuild.h"
#include "reader.h"

/* Opens b (compressed into `frames` frames) from memory. */
static struct ht_reader *open_log(const struct logbuild *b, int frames, uint8_t **z, int *rc)
{
    size_t n;
    *z = lb_compress(b, frames, &n);
    struct ht_reader *r;
    *rc = ht_reader_open_mem(&r, *z, n, "test");
    return r;
}

/* Reads to the end; @return the last rc, the record count in *count. */
static int read_all(struct ht_reader *r, uint64_t *count)
{
    struct ht_event ev;
    int rc;
    *count = 0;
    while ((rc = ht_reader_next(r, &ev)) == 1)
        ++*count;
    return rc;
}

/* The next record that is not a TICK (TICKs only move the clock). */
static int next_event(struct ht_reader *r, struct ht_event *ev)
{
    int rc;
    while ((rc = ht_reader_next(r, ev)) == 1 && ev->tag == HT_REC_TICK)
        ;
    return rc;
}

static void test_every_kind(int frames)
{
    struct logbuild b;
    uint8_t *z;
    int rc;
    lb_sample(&b, 4, 1);
    struct ht_reader *r = open_log(&b, frames, &z, &rc);
    CHECK_EQ(rc, 0);
    const struct ht_header *h = ht_reader_header(r);
    CHECK_EQ(h->version, HT_FORMAT_VERSION);
    CHECK_EQ(h->pid, 100);
    CHECK_EQ(h->ppid, 1);
    CHECK_EQ(h->argc, 2);
    CHECK_HAS(h->exe, "/bin/prog");
    CHECK_HAS(h->argv[1], "--flag");
    CHECK_HAS(h->log_path, "/tmp/logs/heaptrace.100");
    CHECK_EQ(strlen(h->parent_log), 0);

    struct ht_event ev;
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_MODULES);
    CHECK_EQ(ev.record_no, 1);
    size_t nmod;
    const struct ht_module *m = ht_reader_modules(r, &nmod);
    CHECK_EQ(nmod, 1);
    CHECK_HAS(m[0].path, "/bin/prog");
    CHECK_EQ(m[0].base, 0x400000);
    CHECK_EQ(m[0].build_id_len, 4);
    CHECK_EQ(m[0].nseg, 1);
    CHECK_EQ(m[0].segs[0].memsz, 0x10000);

    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_STACK);
    CHECK_EQ(ev.stack, 1);
    CHECK_EQ(ev.depth, 3);
    CHECK_EQ(ev.ips[2], 0x403030);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.stack, 2);
    CHECK_EQ(ht_reader_stack_count(r), 2);

    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_THREAD_START);
    CHECK_EQ(ev.time_us, 1);
    CHECK_EQ(ev.value, 1);
    CHECK_EQ(ev.tid, 101);
    CHECK_EQ(ev.stack_hi, 0x8000);
    CHECK(ev.str_len == 6 && memcmp(ev.str, "worker", 6) == 0);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_THREAD_NAME);
    CHECK_EQ(ev.str_len, 8);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_OWNER_BEGIN);
    CHECK_EQ(ev.kind, HT_OWNER_ICONV);
    CHECK_EQ(ev.stack, 1);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_ALLOC_BASE);
    CHECK_EQ(ev.fn, HT_FN_MALLOC);
    CHECK_EQ(ev.addr, 1); /* block ids, in creation order */
    CHECK_EQ(ev.size, 100);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_OWNER_END);
    CHECK_EQ(ev.handle, 0x9000 | HT_HANDLE_ADDRESS); /* not a heap block: by address */
    CHECK_EQ(ev.time_us, 5);

    /* iteration 0 on thread 0; iteration 1 on thread 1 */
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SWITCH);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.addr, 2);
    CHECK_EQ(ev.time_us, 10);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_REALLOC);
    CHECK_EQ(ev.old_addr, 2); /* frees block 2, creates block 3 */
    CHECK_EQ(ev.addr, 3);
    CHECK_EQ(ev.size, 32);
    CHECK_EQ(ev.stack, 2);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_RSS);
    CHECK_EQ(ev.value, 1u << 20);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_MARK);
    CHECK(ev.str_len == 9 && memcmp(ev.str, "iteration", 9) == 0);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.tag, HT_REC_SWITCH);
    CHECK_EQ(ev.thread, 1);
    CHECK_EQ(next_event(r, &ev), 1);
    CHECK_EQ(ev.thread, 1);
    CHECK_EQ(ev.fn, HT_FN_CALLOC);
    CHECK_EQ(ev.addr, 4);

    int seen[256] = {0};
    while ((rc = ht_reader_next(r, &ev)) == 1) {
        seen[ev.tag]++;
        if (ev.tag == HT_REC_MREMAP) {
            CHECK_EQ(ev.old_addr, 0x7f0000000000);
            CHECK_EQ(ev.size, 2 << 20);
        }
        if (ev.tag == HT_REC_LOST)
            CHECK_EQ(ev.value, 3);
        if (ev.tag == HT_REC_FORK)
            CHECK_EQ(ev.value, 101);
        if (ev.tag == HT_REC_OWNER_CLOSE)
            CHECK_EQ(ev.handle, 0x9000 | HT_HANDLE_ADDRESS);
    }
    CHECK_EQ(rc, 0);
    CHECK(!ht_reader_truncated(r));
    static const uint8_t kinds[] = {HT_REC_FREE, HT_REC_MMAP, HT_REC_MUNMAP, HT_REC_MREMAP,
                                    HT_REC_OWNER_CLOSE, HT_REC_LOST, HT_REC_FORK, HT_REC_EXEC,
                                    HT_REC_THREAD_EXIT, HT_REC_END};
    for (size_t i = 0; i < sizeof(kinds); i++)
        CHECK(seen[kinds[i]] >= 1);
    CHECK_EQ(ht_reader_next(r, &ev), 0); /* stays at the end */
    ht_reader_close(r);
    free(z);
    lb_release(&b);
}

/* Every prefix of the compressed log: truncated (rc 0) or a zstd error, never a crash. */
static void test_truncation_every_byte(void)
{
    struct logbuild b;
    lb_sample(&b, 30, 1);
    size_t n;
    uint8_t *z = lb_compress(&b, 2, &n);
    uint64_t full_count = 0;
    for (size_t cut = 0; cut <= n; cut++) {
        struct ht_reader *r;
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, z, cut);
        if (ht_reader_open_mem(&r, copy, cut, "cut") == 0) {
            uint64_t count;
            int rc = read_all(r, &count);
            CHECK(rc == 0 || rc == -1);
            if (cut == n) {
                CHECK_EQ(rc, 0);
                CHECK(!ht_reader_truncated(r));
                full_count = count;
            } else if (rc == 0 && !ht_reader_truncated(r)) {
                /* cut in the last check frame: every record read, a warning */
                CHECK(cut >= n - HT_CHECK_FRAME_LEN);
                CHECK(strstr(ht_reader_warning(r), "before the check of its last") != NULL);
            } else if (rc == 0) {
                CHECK(ht_reader_truncation(r)[0] != 0);
            }
        } else {
            CHECK(ht_reader_error(r)[0] != 0);
        }
        ht_reader_close(r);
        free(copy);
    }
    CHECK(full_count > 100);

    /* every prefix of the decompressed stream, properly compressed: always rc 0 */
    size_t total = b.len;
    uint64_t prev = 0;
    for (size_t cut = 20; cut < total; cut += 7) {
        struct logbuild p = b;
        p.len = cut;
        size_t pn;
        uint8_t *pz = lb_compress(&p, 1, &pn);
        struct ht_reader *r;
        if (ht_reader_open_mem(&r, pz, pn, "prefix") == 0) {
            uint64_t count;
            CHECK_EQ(read_all(r, &count), 0);
            CHECK(ht_reader_truncated(r));
            CHECK(count >= prev);
            prev = count;
        }
        ht_reader_close(r);
        free(pz);
    }
    free(z);
    lb_release(&b);
}

/* Builds header + one extra record (raw), returns the reader error after reading all. */
static void expect_error(struct logbuild *b, const char *needle)
{
    size_t n;
    uint8_t *z = lb_compress(b, 1, &n);
    struct ht_reader *r;
    int rc = ht_reader_open_mem(&r, z, n, "bad");
    if (rc == 0) {
        uint64_t count;
        rc = read_all(r, &count);
    }
    CHECK_EQ(rc, (uint64_t)-1);
    CHECK_HAS(ht_reader_error(r), needle);
    ht_reader_close(r);
    free(z);
    lb_release(b);
}

static void start(struct logbuild *b)
{
    lb_init(b, HT_FORMAT_VERSION);
    lb_header(b, 1, 0, "x", "/l", "");
}

static void test_errors(void)
{
    struct logbuild b;
    lb_init(&b, 9);
    lb_header(&b, 1, 0, "x", "/l", "");
    char newer[80];
    snprintf(newer, sizeof newer, "log format version 9 is newer than this analyzer's %d",
             HT_FORMAT_VERSION);
    expect_error(&b, newer);

    start(&b);
    lb_rec(&b, 0x6e, "u", (uint64_t)1);
    expect_error(&b, "unknown record tag 0x6e at byte 43 (record 1)");

    start(&b);
    lb_rec(&b, HT_REC_RSS, "uuu", (uint64_t)1, (uint64_t)4096, (uint64_t)7);
    expect_error(&b, "corrupt record 1 (tag 0x51) at byte 43: 1 trailing bytes");

    start(&b); /* compact records have no length: the age itself is checked */
    lb_rec(&b, HT_REC_FREE, "u", (uint64_t)5);
    expect_error(&b, "age 5 names a block before the first (0 created)");

    start(&b);
    lb_alloc(&b, 1, HT_FN_MALLOC, 0x1000, 16, 0);
    lb_rec(&b, HT_REC_REALLOC, "uuuu", (uint64_t)1, (uint64_t)2, (uint64_t)8, (uint64_t)0);
    expect_error(&b, "realloc result 2 is not 0 or 1");

    start(&b);
    lb_rec(&b, HT_REC_ALLOC_BASE, "uu", (uint64_t)8, (uint64_t)3);
    expect_error(&b, "stack id 3 is not defined (0 stacks so far)");

    start(&b);
    lb_rec(&b, HT_REC_STACK, "u", (uint64_t)(HT_MAX_STACK_DEPTH + 1));
    expect_error(&b, "stack depth 257 exceeds the limit of 256");

    start(&b);
    lb_rec(&b, HT_REC_MARK, "uu", (uint64_t)1, (uint64_t)50);
    expect_error(&b, "string 'label' of 50 bytes runs past the payload");

    start(&b);
    lb_rec(&b, HT_REC_RSS, "u", (uint64_t)1);
    expect_error(&b, "payload ends inside field 'rss_bytes'");

    start(&b);
    lb_rec(&b, HT_REC_OWNER_BEGIN, "uuu", (uint64_t)1, (uint64_t)7, (uint64_t)0);
    expect_error(&b, "unknown owner kind 7");

    start(&b);
    lb_end(&b, 1, 0);
    lb_end(&b, 2, 0);
    expect_error(&b, "data after the END record");

    start(&b);
    static const uint8_t huge_len[] = {0x50, 0xff, 0xff, 0xff, 0xff, 0x0f};
    lb_raw(&b, huge_len, sizeof(huge_len));
    expect_error(&b, "exceeds the limit of 16777216");

    lb_init(&b, HT_FORMAT_VERSION);
    lb_rec(&b, HT_REC_RSS, "uu", (uint64_t)1, (uint64_t)1);
    expect_error(&b, "the first record is not a HEADER");

    start(&b);
    lb_header(&b, 1, 0, "x", "/l", "");
    expect_error(&b, "second HEADER record");

    /* not zstd at all, and empty */
    struct ht_reader *r;
    CHECK_EQ(ht_reader_open_mem(&r, "hello world, not a log", 22, "txt"), (uint64_t)-1);
    CHECK_HAS(ht_reader_error(r), "not a heaptrace log");
    ht_reader_close(r);
    CHECK_EQ(ht_reader_open_mem(&r, "", 0, "empty"), (uint64_t)-1);
    CHECK_HAS(ht_reader_error(r), "log is empty");
    ht_reader_close(r);
    CHECK_EQ(ht_reader_open(&r, "/nonexistent/x.htrace"), (uint64_t)-1);
    CHECK_HAS(ht_reader_error(r), "cannot open '/nonexistent/x.htrace': No such file or directory");
    ht_reader_close(r);
}

static void test_no_end_and_big_records(void)
{
    struct logbuild b;
    lb_sample(&b, 10, 0);
    uint8_t *z;
    int rc;
    struct ht_reader *r = open_log(&b, 1, &z, &rc);
    CHECK_EQ(rc, 0);
    uint64_t count;
    CHECK_EQ(read_all(r, &count), 0);
    CHECK(ht_reader_truncated(r));
    CHECK_HAS(ht_reader_truncation(r), "no END record");
    ht_reader_close(r);
    free(z);
    lb_release(&b);

    /* records larger than the window's initial size */
    start(&b);
    size_t big = 900000;
    char *label = malloc(big + 1);
    memset(label, 'a', big);
    label[big] = 0;
    for (int i = 0; i < 3; i++)
        lb_event(&b, HT_REC_MARK, (uint64_t)i, "S", label);
    lb_end(&b, 5, 0);
    r = open_log(&b, 2, &z, &rc);
    CHECK_EQ(rc, 0);
    struct ht_event ev;
    int marks = 0;
    while ((rc = ht_reader_next(r, &ev)) == 1)
        if (ev.tag == HT_REC_MARK && ev.str_len == big && ev.str[big - 1] == 'a')
            marks++;
    CHECK_EQ(rc, 0);
    CHECK_EQ(marks, 3);
    ht_reader_close(r);
    free(z);
    free(label);
    lb_release(&b);
}

int main(void)
{
    test_every_kind(1);
    test_every_kind(3);
    test_errors();
    test_no_end_and_big_records();
    test_truncation_every_byte();
    return check_exit();
}
