/* SPDX-License-Identifier: MIT */
/*
 * logbuild.c - see logbuild.h. Payloads are encoded into a scratch buffer
 * first so the length prefix is known; records are then appended.
 */
#include "logbuild.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "framecheck.h"
#include "varint.h"

struct lb_scratch {
    uint8_t *p;
    size_t len, cap;
};

static void lb_grow(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    *p = realloc(*p, c);
    if (!*p)
        abort();
    *cap = c;
}

static void scratch_put(struct lb_scratch *s, const void *p, size_t n)
{
    lb_grow(&s->p, &s->cap, s->len + n);
    memcpy(s->p + s->len, p, n);
    s->len += n;
}

static void scratch_u(struct lb_scratch *s, uint64_t v)
{
    uint8_t tmp[HT_VARINT_MAX];
    scratch_put(s, tmp, (size_t)(ht_put_uvarint(tmp, v) - tmp));
}

void lb_raw(struct logbuild *b, const void *p, size_t n)
{
    lb_grow(&b->buf, &b->cap, b->len + n);
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

void lb_init(struct logbuild *b, uint64_t version)
{
    memset(b, 0, sizeof(*b));
    lb_raw(b, HT_MAGIC, HT_MAGIC_LEN);
    uint8_t tmp[HT_VARINT_MAX];
    lb_raw(b, tmp, (size_t)(ht_put_uvarint(tmp, version) - tmp));
    b->version = version;
}

void lb_release(struct logbuild *b)
{
    free(b->live);
    free(b->buf);
    memset(b, 0, sizeof(*b));
}

static void lb_encode(struct lb_scratch *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        switch (*fmt) {
        case 'u': scratch_u(s, va_arg(ap, uint64_t)); break;
        case 's': scratch_u(s, ht_zigzag(va_arg(ap, int64_t))); break;
        case 'S': {
            const char *str = va_arg(ap, const char *);
            scratch_u(s, strlen(str));
            scratch_put(s, str, strlen(str));
            break;
        }
        case 'B': {
            const void *p = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            scratch_u(s, n);
            scratch_put(s, p, n);
            break;
        }
        default: abort();
        }
    }
}

static void lb_append(struct logbuild *b, uint8_t tag, const struct lb_scratch *s)
{
    uint8_t hdr[1 + HT_VARINT_MAX];
    hdr[0] = tag;
    if (HT_TAG_IS_COMPACT(tag)) { /* no length field */
        lb_raw(b, hdr, 1);
        lb_raw(b, s->p, s->len);
        return;
    }
    lb_raw(b, hdr, (size_t)(ht_put_uvarint(hdr + 1, s->len) - hdr));
    lb_raw(b, s->p, s->len);
}

/* Appends a record; with `dt`, the payload starts with t - previous time. */
static void lb_vrec(struct logbuild *b, uint8_t tag, int dt, uint64_t t, const char *fmt,
                    va_list ap)
{
    struct lb_scratch s = {0};
    if (dt) {
        scratch_u(&s, t - b->time_us);
        b->time_us = t;
    }
    lb_encode(&s, fmt, ap);
    lb_append(b, tag, &s);
    free(s.p);
}

void lb_rec(struct logbuild *b, uint8_t tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lb_vrec(b, tag, 0, 0, fmt, ap);
    va_end(ap);
}

void lb_event(struct logbuild *b, uint8_t tag, uint64_t t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lb_vrec(b, tag, 1, t, fmt, ap);
    va_end(ap);
}

void lb_header(struct logbuild *b, uint64_t pid, uint64_t ppid, const char *exe,
               const char *log_path, const char *parent_log)
{
    lb_rec(b, HT_REC_HEADER, "uuuuuuuSuSSSS", pid, ppid, (uint64_t)1700000000000000000ull,
           (uint64_t)8, (uint64_t)4096, (uint64_t)64, (uint64_t)0, exe, (uint64_t)2, exe,
           "--flag", log_path, parent_log);
}

void lb_module(struct logbuild *b, const char *path, uint64_t base, uint64_t size)
{
    static const uint8_t build_id[4] = {0xde, 0xad, 0xbe, 0xef};
    lb_rec(b, HT_REC_MODULES, "uSuBuuuu", (uint64_t)1, path, base, (const void *)build_id,
           sizeof(build_id), (uint64_t)1, (uint64_t)0, size, (uint64_t)5);
}

void lb_stack(struct logbuild *b, uint32_t depth, const uint64_t *ips)
{
    struct lb_scratch s = {0};
    scratch_u(&s, depth);
    for (uint32_t i = 0; i < depth; i++)
        scratch_u(&s, ips[i]);
    lb_append(b, HT_REC_STACK, &s);
    free(s.p);
}

void lb_switch(struct logbuild *b, uint32_t thread)
{
    lb_rec(b, HT_REC_SWITCH, "u", (uint64_t)thread);
}

/*
 * The recorder's live table in miniature: address -> block id, a hash table
 * (linear probing, deletion by shifting back) so that logs of hundreds of
 * thousands of live blocks build in linear time, under ASan too. An address
 * allocated again while live (a test of exactly that) is found as its
 * newest block first, as the recorder's table would.
 */
static size_t live_slot(const struct logbuild *b, uint64_t addr)
{
    return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 32) & (b->live_cap - 1);
}

/* The slot holding addr's newest block, or the free slot where it would go. */
static size_t live_find(const struct logbuild *b, uint64_t addr)
{
    size_t i = live_slot(b, addr);
    while (b->live[i].id && b->live[i].addr != addr)
        i = (i + 1) & (b->live_cap - 1);
    return i;
}

static void live_put(struct logbuild *b, uint64_t addr, uint64_t id);

static void live_grow(struct logbuild *b)
{
    size_t old_cap = b->live_cap;
    __typeof__(b->live) old = b->live;
    b->live_cap = old_cap ? old_cap * 2 : 64;
    b->live = calloc(b->live_cap, sizeof *b->live);
    if (!b->live)
        abort();
    b->nlive = 0;
    /* oldest first per address: ids grow, so insert in id order per chain */
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id)
            live_put(b, old[i].addr, old[i].id);
    free(old);
}

static void live_put(struct logbuild *b, uint64_t addr, uint64_t id)
{
    if (2 * (b->nlive + 1) > b->live_cap)
        live_grow(b);
    size_t i = live_find(b, addr);
    while (b->live[i].id) { /* addr is live: the newer block takes its slot */
        uint64_t older = b->live[i].id;
        if (older > id) { /* rehashing an older one behind a newer: keep going */
            i = (i + 1) & (b->live_cap - 1);
            while (b->live[i].id && b->live[i].addr != addr)
                i = (i + 1) & (b->live_cap - 1);
            continue;
        }
        b->live[i].id = id;
        id = older;
        i = (i + 1) & (b->live_cap - 1);
        while (b->live[i].id && b->live[i].addr != addr)
            i = (i + 1) & (b->live_cap - 1);
    }
    b->live[i].addr = addr;
    b->live[i].id = id;
    b->nlive++;
}

static uint64_t live_take(struct logbuild *b, uint64_t addr)
{
    if (!b->live_cap)
        return 0;
    size_t i = live_find(b, addr);
    uint64_t id = b->live[i].id;
    if (!id)
        return 0;
    b->nlive--;
    /* shift back what follows in the run, so every probe still finds its key */
    size_t mask = b->live_cap - 1;
    for (size_t j = (i + 1) & mask; b->live[j].id; j = (j + 1) & mask) {
        size_t home = live_slot(b, b->live[j].addr);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            b->live[i] = b->live[j];
            i = j;
        }
    }
    b->live[i].id = 0;
    return id;
}

static uint64_t live_get(const struct logbuild *b, uint64_t addr)
{
    return b->live_cap ? b->live[live_find(b, addr)].id : 0;
}

/* Compact records carry no dt: a TICK moves the clock first when needed. */
static void lb_tick(struct logbuild *b, uint64_t t)
{
    if (t != b->time_us)
        lb_event(b, HT_REC_TICK, t, "");
}

uint64_t lb_handle(struct logbuild *b, uint64_t handle)
{
    if (!handle)
        return 0;
    uint64_t id = live_get(b, handle);
    return id ? (b->blocks - id) << 1 | 1 : handle << 1;
}

void lb_alloc(struct logbuild *b, uint64_t t, int fn, uint64_t addr, uint64_t size,
              uint64_t stack)
{
    lb_tick(b, t);
    lb_rec(b, (uint8_t)(HT_REC_ALLOC_BASE + fn), "uu", size, stack);
    live_put(b, addr, ++b->blocks);
}

void lb_free(struct logbuild *b, uint64_t t, uint64_t addr)
{
    uint64_t id = live_take(b, addr);
    if (!id) /* like the recorder: a free of an unknown address is not written */
        return;
    lb_tick(b, t);
    lb_rec(b, HT_REC_FREE, "u", b->blocks - id);
}

void lb_realloc(struct logbuild *b, uint64_t t, uint64_t old, uint64_t new_addr, uint64_t size,
                uint64_t stack)
{
    uint64_t id = old ? live_take(b, old) : 0;
    lb_tick(b, t);
    lb_rec(b, HT_REC_REALLOC, "uuuu", id ? b->blocks - id + 1 : (uint64_t)0,
           (uint64_t)(new_addr != 0), size, stack);
    if (new_addr)
        live_put(b, new_addr, ++b->blocks);
}

void lb_end(struct logbuild *b, uint64_t t, uint64_t reason)
{
    lb_event(b, HT_REC_END, t, "u", reason);
}

uint64_t lb_id(const struct logbuild *b, uint64_t addr)
{
    return live_get(b, addr);
}

void lb_snapshot_begin(struct logbuild *b, uint64_t t, uint64_t seq, uint64_t reason)
{
    lb_event(b, HT_REC_SNAPSHOT_BEGIN, t, "uuu", seq, reason, (uint64_t)b->nlive);
    b->snap_edges = b->snap_roots = 0;
}

void lb_snapshot_edges(struct logbuild *b, uint64_t from, size_t n, const uint64_t *refs)
{
    struct lb_scratch s = {0};
    scratch_u(&s, 1);
    scratch_u(&s, from);
    scratch_u(&s, n);
    for (size_t i = 0; i < n; i++)
        scratch_u(&s, refs[i]);
    lb_append(b, HT_REC_SNAPSHOT_EDGES, &s);
    free(s.p);
    b->snap_edges += n;
}

void lb_snapshot_edges_at(struct logbuild *b, uint64_t from, size_t n, const uint64_t *refs,
                          const uint64_t *offsets)
{
    struct lb_scratch s = {0};
    scratch_u(&s, 1);
    scratch_u(&s, from);
    scratch_u(&s, n);
    uint64_t next_word = 0;
    for (size_t i = 0; i < n; i++) {
        scratch_u(&s, refs[i]);
        scratch_u(&s, offsets[i] / 8 - next_word);
        next_word = offsets[i] / 8 + 1;
    }
    lb_append(b, HT_REC_SNAPSHOT_EDGES_AT, &s);
    free(s.p);
    b->snap_edges += n;
}

void lb_snapshot_edges_delta(struct logbuild *b, size_t nfrom, const uint64_t *froms,
                             const size_t *counts, const uint64_t *refs, const uint64_t *offsets)
{
    struct lb_scratch s = {0};
    scratch_u(&s, nfrom);
    uint64_t prev = 0;
    size_t t = 0;
    for (size_t i = 0; i < nfrom; i++) {
        scratch_u(&s, ht_zigzag((int64_t)(froms[i] - prev)));
        prev = froms[i];
        scratch_u(&s, counts[i]);
        uint64_t next_word = 0;
        for (size_t k = 0; k < counts[i]; k++, t++) {
            uint64_t d = ht_zigzag((int64_t)((refs[t] >> 1) - froms[i]));
            scratch_u(&s, d << 1 | (refs[t] & 1));
            scratch_u(&s, offsets[t] / 8 - next_word);
            next_word = offsets[t] / 8 + 1;
        }
    }
    lb_append(b, HT_REC_SNAPSHOT_EDGES_DELTA, &s);
    free(s.p);
    b->snap_edges += t;
}

void lb_snapshot_root(struct logbuild *b, uint64_t kind, uint64_t where, uint64_t offset,
                      uint64_t ref)
{
    lb_rec(b, HT_REC_SNAPSHOT_ROOTS, "uuuuu", (uint64_t)1, kind, where, offset, ref);
    b->snap_roots++;
}

void lb_snapshot_end(struct logbuild *b, uint64_t t, uint64_t pause_ns)
{
    lb_event(b, HT_REC_SNAPSHOT_END, t, "uuu", pause_ns, b->snap_edges, b->snap_roots);
}

void lb_snapshot_end_scan(struct logbuild *b, uint64_t t, uint64_t pause_ns, uint64_t scan_ns)
{
    lb_event(b, HT_REC_SNAPSHOT_END, t, "uuuu", pause_ns, b->snap_edges, b->snap_roots, scan_ns);
}

void lb_leak_sample(struct logbuild *b)
{
    static const uint64_t ips[6][1] = {{0x401000}, {0x402000}, {0x403000},
                                       {0x404000}, {0x405000}, {0x406000}};
    lb_init(b, HT_FORMAT_VERSION);
    lb_header(b, 300, 1, "/bin/leaky", "/tmp/heaptrace.300", "");
    lb_module(b, "/bin/leaky", 0x400000, 0x10000);
    for (int i = 0; i < 6; i++)
        lb_stack(b, 1, ips[i]);
    lb_alloc(b, 1, HT_FN_MALLOC, 0x1000, 10, 1);  /* R1 */
    lb_alloc(b, 1, HT_FN_MALLOC, 0x2000, 20, 1);  /* R2 */
    lb_alloc(b, 1, HT_FN_MALLOC, 0x3000, 30, 2);  /* C1 */
    lb_alloc(b, 1, HT_FN_MALLOC, 0x4000, 40, 2);  /* C2 */
    lb_alloc(b, 1, HT_FN_MALLOC, 0x5000, 50, 3);  /* P */
    lb_alloc(b, 1, HT_FN_MALLOC, 0x6000, 60, 3);  /* Q */
    lb_alloc(b, 1, HT_FN_MALLOC, 0x7000, 70, 4);  /* L */
    lb_alloc(b, 1, HT_FN_MALLOC, 0xa000, 100, 6); /* Y, older than X */
    lb_alloc(b, 1, HT_FN_MALLOC, 0x9000, 90, 4);  /* X */
    lb_alloc(b, 1, HT_FN_MALLOC, 0x8000, 80, 5);  /* R3 */
    lb_alloc(b, 2, HT_FN_MALLOC, 0xb000, 5, 1);   /* freed before the exit snapshot */
    lb_snapshot_begin(b, 3, 1, HT_SNAP_API);      /* nothing referenced: all lost */
    lb_snapshot_end(b, 3, 1000);
    lb_free(b, 4, 0xb000);

    lb_snapshot_begin(b, 5, 2, HT_SNAP_EXIT);
    uint64_t r1 = lb_id(b, 0x1000), r2 = lb_id(b, 0x2000), r3 = lb_id(b, 0x8000);
    uint64_t c1 = lb_id(b, 0x3000), c2 = lb_id(b, 0x4000), p = lb_id(b, 0x5000);
    uint64_t q = lb_id(b, 0x6000), l = lb_id(b, 0x7000), x = lb_id(b, 0x9000);
    uint64_t y = lb_id(b, 0xa000);
    uint64_t e[2];
    e[0] = LB_REF(r2, 0);
    lb_snapshot_edges(b, r1, 1, e);
    e[0] = LB_REF(r3, 1);
    lb_snapshot_edges(b, r2, 1, e);
    /* the cycle c1 <-> c2 in the version 3 form, two entries in one record */
    const uint64_t c_from[2] = {c2, c1}, c_refs[2] = {LB_REF(c1, 0), LB_REF(c2, 0)};
    static const size_t c_counts[2] = {1, 1};
    static const uint64_t c_offsets[2] = {0, 16};
    lb_snapshot_edges_delta(b, 2, c_from, c_counts, c_refs, c_offsets);
    e[0] = LB_REF(q, 0);
    lb_snapshot_edges(b, p, 1, e);
    e[0] = LB_REF(r1, 0);
    e[1] = LB_REF(r2, 1);
    static const uint64_t l_offsets[2] = {8, 48}; /* the version 2 form, with offsets */
    lb_snapshot_edges_at(b, l, 2, e, l_offsets);
    e[0] = LB_REF(y, 0);
    lb_snapshot_edges(b, x, 1, e);
    lb_snapshot_root(b, HT_ROOT_GLOBAL, 0, 0x2010, LB_REF(r1, 0));
    lb_snapshot_root(b, HT_ROOT_STACK, 0, 0x40, LB_REF(p, 1));
    lb_snapshot_end_scan(b, 6, 2000, 1500);
    lb_end(b, 7, HT_END_EXIT);
}

uint8_t *lb_compress(const struct logbuild *b, int frames, size_t *out_len)
{
    if (frames < 1)
        frames = 1;
    size_t cap = (ZSTD_compressBound(b->len) + HT_CHECK_FRAME_LEN) * (size_t)frames + 64;
    uint8_t *out = malloc(cap);
    if (!out)
        abort();
    size_t pos = 0, in = 0, step = b->len / (size_t)frames + 1;
    for (int i = 0; i < frames; i++) {
        size_t n = b->len - in < step ? b->len - in : step;
        size_t z = ZSTD_compress(out + pos, cap - pos, b->buf + in, n, 3);
        if (ZSTD_isError(z))
            abort();
        if (b->version >= HT_CHECK_VERSION) { /* the recorder's check frame */
            ht_check_frame(out + pos + z, ht_crc32(0, out + pos, z));
            z += HT_CHECK_FRAME_LEN;
        }
        pos += z;
        in += n;
    }
    *out_len = pos;
    return out;
}

uint8_t *lb_compress_streamed(const struct logbuild *b, int frames, size_t *out_len)
{
    if (frames < 1)
        frames = 1;
    size_t cap = (ZSTD_compressBound(b->len) + HT_CHECK_FRAME_LEN + 64) * (size_t)frames * 2;
    uint8_t *out = malloc(cap);
    ZSTD_CCtx *zc = ZSTD_createCCtx();
    if (!out || !zc)
        abort();
    ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, 3);
    size_t pos = 0, in = 0, step = b->len / (size_t)frames + 1;
    for (int i = 0; i < frames; i++) {
        size_t n = b->len - in < step ? b->len - in : step, start = pos;
        /* two calls, as the recorder makes them: the size is not known up
         * front, so the frame header has a window descriptor */
        for (int part = 0; part < 2; part++) {
            ZSTD_inBuffer zin = {b->buf + in + (part ? n / 2 : 0), part ? n - n / 2 : n / 2, 0};
            size_t rem;
            do {
                ZSTD_outBuffer zout = {out, cap, pos};
                rem = ZSTD_compressStream2(zc, &zout, &zin, part ? ZSTD_e_end : ZSTD_e_flush);
                if (ZSTD_isError(rem))
                    abort();
                pos = zout.pos;
            } while (rem != 0);
        }
        if (b->version >= HT_CHECK_VERSION) {
            ht_check_frame(out + pos, ht_crc32(0, out + start, pos - start));
            pos += HT_CHECK_FRAME_LEN;
        }
        in += n;
    }
    ZSTD_freeCCtx(zc);
    *out_len = pos;
    return out;
}

int lb_write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

int lb_write(const struct logbuild *b, const char *path, int frames)
{
    size_t n;
    uint8_t *z = lb_compress(b, frames, &n);
    int rc = lb_write_bytes(path, z, n);
    free(z);
    return rc;
}

void lb_sample(struct logbuild *b, unsigned iterations, int with_end)
{
    static const uint64_t s1[] = {0x401010, 0x402020, 0x403030};
    static const uint64_t s2[] = {0x401110, 0x402020};
    lb_init(b, HT_FORMAT_VERSION);
    lb_header(b, 100, 1, "/bin/prog", "/tmp/logs/heaptrace.100", "");
    lb_module(b, "/bin/prog", 0x400000, 0x10000);
    lb_stack(b, 3, s1);
    lb_stack(b, 2, s2);
    lb_event(b, HT_REC_THREAD_START, 1, "uuuuS", (uint64_t)1, (uint64_t)101, (uint64_t)0x7000,
             (uint64_t)0x8000, "worker");
    lb_event(b, HT_REC_THREAD_NAME, 2, "uS", (uint64_t)1, "worker-1");
    lb_event(b, HT_REC_OWNER_BEGIN, 3, "uu", (uint64_t)HT_OWNER_ICONV, (uint64_t)1);
    lb_alloc(b, 4, HT_FN_MALLOC, 0x10000, 100, 1);
    lb_event(b, HT_REC_OWNER_END, 5, "u", lb_handle(b, 0x9000));
    uint64_t t = 10;
    for (unsigned i = 0; i < iterations; i++) {
        uint64_t a = 0x100000 + (uint64_t)i * 64;
        lb_switch(b, i & 1);
        lb_alloc(b, t++, (int)(i % HT_FN_COUNT_), a, 16 + i % 100, 1 + i % 2);
        lb_realloc(b, t++, a, a + 0x1000000, 32 + i % 50, 2);
        if (i % 3)
            lb_free(b, t++, a + 0x1000000);
        if (i % 50 == 0) {
            lb_event(b, HT_REC_RSS, t++, "u", (uint64_t)(1u << 20) + i * 4096);
            lb_event(b, HT_REC_MARK, t++, "S", "iteration");
        }
    }
    lb_switch(b, 0);
    lb_event(b, HT_REC_MMAP, t++, "uuuuu", (uint64_t)0x7f0000000000, (uint64_t)1 << 20,
             (uint64_t)3, (uint64_t)0x22, (uint64_t)1);
    lb_event(b, HT_REC_MREMAP, t++, "uuuuu", (uint64_t)0x7f0000000000, (uint64_t)1 << 20,
             (uint64_t)0x7f0000200000, (uint64_t)2 << 20, (uint64_t)1);
    lb_event(b, HT_REC_MUNMAP, t++, "uu", (uint64_t)0x7f0000200000, (uint64_t)2 << 20);
    lb_event(b, HT_REC_OWNER_CLOSE, t++, "uu", (uint64_t)HT_OWNER_ICONV, lb_handle(b, 0x9000));
    lb_event(b, HT_REC_LOST, t++, "u", (uint64_t)3);
    lb_event(b, HT_REC_FORK, t++, "u", (uint64_t)101);
    lb_event(b, HT_REC_EXEC, t++, "S", "/bin/true");
    lb_event(b, HT_REC_THREAD_RELEASE, t++, "u", (uint64_t)1); /* joined */
    lb_event(b, HT_REC_THREAD_EXIT, t++, "u", (uint64_t)1);
    if (with_end)
        lb_end(b, t, HT_END_EXIT);
}

void lb_gc_sample(struct logbuild *b)
{
    static const uint64_t s1[] = {0x401000}, s2[] = {0x402000};
    lb_init(b, HT_FORMAT_VERSION);
    lb_header(b, 7, 1, "/bin/t", "/tmp/t.htrace", "");
    lb_stack(b, 1, s1);
    lb_stack(b, 1, s2);
    lb_event(b, HT_REC_GC_ALLOC, 1, "uuuu", (uint64_t)HT_GC_MANY, (uint64_t)64, (uint64_t)1024,
             (uint64_t)1);
    for (uint64_t i = 0; i < 3; i++) {
        lb_event(b, HT_REC_GC_ALLOC, 2 + i, "uuuu", (uint64_t)HT_GC_MALLOC, (uint64_t)1,
                 (uint64_t)16, (uint64_t)1);
        lb_event(b, HT_REC_GC_FINALIZER, 2 + i, "uu", (uint64_t)0, (uint64_t)1);
        lb_event(b, HT_REC_OWNER_BEGIN, 2 + i, "uu", (uint64_t)HT_OWNER_ICONV, (uint64_t)2);
        lb_alloc(b, 2 + i, HT_FN_MALLOC, 0x1000 * (i + 1), 1000, 2);
        lb_event(b, HT_REC_OWNER_END, 2 + i, "u", lb_handle(b, 0x1000 * (i + 1)));
    }
    for (uint64_t i = 0; i < 5; i++)
        lb_event(b, HT_REC_GC_LINK, 10, "uuu", (uint64_t)HT_GC_LINK_REGISTER, (uint64_t)1,
                 (uint64_t)1);
    lb_event(b, HT_REC_GC_LINK, 11, "uuu", (uint64_t)HT_GC_LINK_UNREGISTER, (uint64_t)1,
             (uint64_t)1);
    lb_event(b, HT_REC_GC_COLLECTION, 20, "uuuuuu", (uint64_t)1, (uint64_t)2000, (uint64_t)500,
             (uint64_t)0, (uint64_t)1000000, (uint64_t)9000000);
    lb_event(b, HT_REC_GC_LINK, 20, "uuu", (uint64_t)HT_GC_LINK_CLEARED, (uint64_t)3,
             (uint64_t)0);
    for (uint64_t i = 0; i < 2; i++) { /* two finalizers close two handles */
        lb_event(b, HT_REC_GC_FINALIZE_BEGIN, 30, "uu", (uint64_t)16, (uint64_t)1);
        lb_event(b, HT_REC_OWNER_CLOSE, 30, "uu", (uint64_t)HT_OWNER_ICONV,
                 lb_handle(b, 0x1000 * (i + 1)));
        lb_free(b, 30, 0x1000 * (i + 1));
        lb_event(b, HT_REC_GC_FINALIZE_END, 30, "");
    }
    lb_event(b, HT_REC_GC_FREE, 40, "u", (uint64_t)16);
    lb_end(b, 50, HT_END_EXIT);
}
