/* SPDX-License-Identifier: MIT */
/*
 * reader.c - streaming, bounds-checked reader of .htrace logs (reader.h).
 *
 * Two layers. The byte layer (reader_fill) decompresses the concatenated zstd
 * frames into a window `buf[pos, len)` that only grows to hold the record
 * being parsed, so memory is bounded by HT_MAX_RECORD_LEN plus zstd's own
 * window, whatever the log's length. The record layer (reader_next) cuts the
 * window into tag/length/payload and decodes each payload through a cursor
 * that refuses to read past the payload's end.
 *
 * Invariants:
 *   - buf_off is the stream offset of buf[0]; a record's offset is
 *     buf_off + pos at its tag byte.
 *   - Implicit state (time, addr, thread, stack count) changes only after a
 *     record decoded completely, so an error leaves it as it was.
 *   - After an error every call returns -1 with the same message; after the
 *     end every call returns 0.
 */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "framecheck.h"
#include "names.h"
#include "varint.h"
#include "xalloc.h"

#define READER_IN_CHUNK (128u << 10)
#define READER_MIN_ROOM (128u << 10) /* free window space before decompressing */
#define READER_MAX_WINDOW (HT_MAX_RECORD_LEN + 64u + READER_MIN_ROOM)
/*
 * What a log can honestly hold: every record carries the time of its event,
 * and one writer thread encodes every event, some 10 to 50 a microsecond at
 * most (a producer that outruns it waits, or its events are LOST), plus what
 * the threads' rings hold when tracing starts. So the blocks created by time
 * t (microseconds) are at most READER_HONEST_FREE + READER_HONEST_PER_US * t,
 * with 20 times the writer's rate and room for 80 full rings of the default
 * size; stack frames (ips) likewise. A forged log of 100 M ALLOC records at
 * time 0 (27 KB compressed) is refused at its 16.8 M-th block (0.5 GiB of
 * replayed blocks) instead of driving the analysis out of memory.
 */
#define READER_HONEST_FREE (1ull << 24)
#define READER_HONEST_PER_US 1000u

static inline uint64_t honest_bound(uint64_t time_us)
{
    if (time_us > (UINT64_MAX - READER_HONEST_FREE) / READER_HONEST_PER_US)
        return UINT64_MAX;
    return READER_HONEST_FREE + READER_HONEST_PER_US * time_us;
}

struct ht_reader {
    /* input: a file descriptor, or a memory block */
    int fd;
    const uint8_t *mem;
    size_t mem_len, mem_pos;
    bool in_eof;

    ZSTD_DStream *zds;
    uint8_t *in;
    ZSTD_inBuffer zin;
    uint64_t in_off;      /* compressed offset of in[0] */
    size_t last_zret;     /* 0 when the last frame is complete */
    bool stream_eof;      /* no more decompressed bytes will come */
    /* frame checks (framecheck.h, version 5 on): the CRC-32 of the zstd
     * frame being decompressed, and whether one ended without its check yet */
    bool in_frame, check_due;
    uint32_t frame_crc;
    uint64_t frame_off; /* compressed offset of that frame */
    uint64_t nips; /* stack frames defined so far (honest_bound) */
    char warn[256];     /* ht_reader_warning */

    uint8_t *buf;
    size_t buf_cap, pos, len;
    uint64_t buf_off;

    /* implicit state of format.h */
    uint64_t time_us, blocks, nstacks, record_no; /* blocks: heap blocks created so far */
    uint32_t thread;

    /* the record being decoded (for messages) */
    uint8_t cur_tag;
    uint64_t cur_off;

    bool have_header, ended, done, failed, truncated;
    bool exec_last; /* the last record was EXEC: the image was replaced, the log is complete */
    struct ht_header hdr;
    struct ht_module *mods;
    size_t nmods;
    uint64_t ips[HT_MAX_STACK_DEPTH];
    /* heap snapshot: the entries of the current EDGES / ROOTS record, and
     * whether a SNAPSHOT_BEGIN is open with how many entries it had so far */
    struct ht_snap_edge *snap_edges;
    struct ht_snap_root *snap_roots;
    size_t snap_edges_cap, snap_roots_cap;
    struct ht_snap_frame *snap_frames;
    size_t snap_frames_cap;
    bool snap_open;
    uint64_t snap_nedges, snap_nroots;
    uint64_t snap_blocks; /* blocks created at the open snapshot's BEGIN */
    char err[512];
    char trunc[256];
};

/* ---------------------------------------------------------------- messages */

__attribute__((format(printf, 2, 3))) static int reader_fail(struct ht_reader *r,
                                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
    r->failed = true;
    return -1;
}

/* A payload that breaks a rule: names the record, its tag and its offset. */
__attribute__((format(printf, 2, 3))) static int reader_corrupt(struct ht_reader *r,
                                                                const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return reader_fail(r, "corrupt record %llu (tag 0x%02x) at byte %llu: %s",
                       (unsigned long long)r->record_no, r->cur_tag,
                       (unsigned long long)r->cur_off, what);
}

static int reader_truncate(struct ht_reader *r, const char *why)
{
    r->truncated = true;
    r->done = true;
    if (!r->trunc[0])
        snprintf(r->trunc, sizeof(r->trunc), "%s", why);
    return 0;
}

/* -------------------------------------------------------------- byte layer */

static int reader_read_input(struct ht_reader *r)
{
    r->in_off += r->zin.size;
    r->zin.pos = 0;
    r->zin.size = 0;
    if (r->mem) {
        size_t n = r->mem_len - r->mem_pos;
        if (n > READER_IN_CHUNK)
            n = READER_IN_CHUNK;
        r->zin.src = r->mem + r->mem_pos;
        r->mem_pos += n;
        r->zin.size = n;
        r->in_eof = n == 0;
        return 0;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->in, READER_IN_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return reader_fail(r, "read error at compressed byte %llu: %s",
                               (unsigned long long)r->in_off, strerror(errno));
        r->zin.src = r->in;
        r->zin.size = (size_t)n;
        r->in_eof = n == 0;
        return 0;
    }
}

/*
 * Makes `n` (<= READER_IN_CHUNK) compressed bytes contiguous at zin.pos, or
 * as many as the input still has. @return that count, or -1 after a read error.
 */
static long reader_peek(struct ht_reader *r, size_t n)
{
    for (;;) {
        size_t have = r->zin.size - r->zin.pos;
        if (have >= n)
            return (long)n;
        if (r->mem) { /* zin.src is mem + in_off: extend it in place */
            size_t more = r->mem_len - r->mem_pos;
            if (more == 0) {
                r->in_eof = true;
                return (long)have;
            }
            if (more > READER_IN_CHUNK)
                more = READER_IN_CHUNK;
            r->zin.src = r->mem + r->in_off;
            r->zin.size += more;
            r->mem_pos += more;
            continue;
        }
        if (r->in_eof)
            return (long)have;
        memmove(r->in, (const uint8_t *)r->zin.src + r->zin.pos, have);
        r->in_off += r->zin.pos;
        r->zin.src = r->in;
        r->zin.pos = 0;
        r->zin.size = have;
        ssize_t k;
        do
            k = read(r->fd, r->in + have, READER_IN_CHUNK - have);
        while (k < 0 && errno == EINTR);
        if (k < 0)
            return reader_fail(r, "read error at compressed byte %llu: %s",
                               (unsigned long long)(r->in_off + have), strerror(errno));
        r->in_eof = k == 0;
        r->zin.size += (size_t)k;
    }
}

/* The stream's format version: the HEADER's, or read from the first bytes
 * when the first frame ends before reader_start has parsed it; 0 unknown. */
static uint64_t stream_version(const struct ht_reader *r)
{
    uint64_t v;
    if (r->hdr.version)
        return r->hdr.version;
    if (r->buf_off != 0 || r->len < HT_MAGIC_LEN + 1 || memcmp(r->buf, HT_MAGIC, HT_MAGIC_LEN))
        return 0;
    const uint8_t *p = r->buf + HT_MAGIC_LEN;
    return ht_get_uvarint(&p, r->buf + r->len, &v) == 0 ? v : 0;
}

/*
 * Between two zstd frames (version 5 on): the frame that just ended must be
 * followed by its check frame, whose CRC-32 must be the frame's; no other
 * skippable frame may appear. A log that ends right after a frame, or
 * inside its check, was cut there (the process was killed): a warning.
 * @return 0, or -1 for a damaged log.
 */
static int reader_frame_boundary(struct ht_reader *r)
{
    uint64_t v = stream_version(r);
    bool required = v >= HT_CHECK_VERSION; /* older logs have none, or the stream is not a log */
    if (!required && !r->check_due)
        return 0;
    long n = reader_peek(r, r->check_due ? HT_CHECK_FRAME_LEN : 4);
    if (n < 0)
        return -1;
    const uint8_t *p = (const uint8_t *)r->zin.src + r->zin.pos;
    uint64_t at = r->in_off + r->zin.pos;
    bool skippable = n >= 4 && (ht_get_u32le(p) & 0xfffffff0u) == 0x184d2a50u;
    if (!r->check_due) {
        if (skippable)
            return reader_fail(r, "damaged log: a skippable zstd frame at compressed byte %llu "
                                  "follows no frame it could check",
                               (unsigned long long)at);
        return 0;
    }
    bool is_check = (size_t)n == HT_CHECK_FRAME_LEN && ht_get_u32le(p) == HT_CHECK_MAGIC &&
                    ht_get_u32le(p + 4) == 4;
    if (!required && !is_check) { /* an older log: a check, when there is one, is verified */
        r->check_due = false;
        return 0;
    }
    if ((size_t)n < HT_CHECK_FRAME_LEN && r->in_eof) {
        snprintf(r->warn, sizeof(r->warn),
                 "the log ends at compressed byte %llu, before the check of its last zstd frame "
                 "(at compressed byte %llu): that frame's records are read unverified",
                 (unsigned long long)(at + (uint64_t)n), (unsigned long long)r->frame_off);
        r->zin.pos = r->zin.size;
        r->check_due = false;
        return 0;
    }
    if (!is_check)
        return reader_fail(r, "damaged log: the zstd frame at compressed byte %llu is not followed "
                              "by its check frame (compressed byte %llu)",
                           (unsigned long long)r->frame_off, (unsigned long long)at);
    uint32_t want = ht_get_u32le(p + 8);
    if (want != r->frame_crc)
        return reader_fail(r, "damaged log: the zstd frame at compressed bytes %llu to %llu does "
                              "not match its check (CRC-32 %08x, the check at compressed byte "
                              "%llu says %08x)",
                           (unsigned long long)r->frame_off, (unsigned long long)(at - 1),
                           r->frame_crc, (unsigned long long)at, want);
    r->zin.pos += HT_CHECK_FRAME_LEN;
    r->check_due = false;
    return 0;
}

/* Makes room for `need` bytes from pos plus READER_MIN_ROOM to decompress into. */
static void reader_make_room(struct ht_reader *r, size_t need)
{
    if (r->pos > 0 && r->buf_cap - r->len < READER_MIN_ROOM) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->buf_off += r->pos;
        r->pos = 0;
    }
    size_t want = need + READER_MIN_ROOM;
    if (r->buf_cap < want || r->buf_cap - r->len < READER_MIN_ROOM / 2) {
        size_t cap = r->buf_cap * 2 > want ? r->buf_cap * 2 : want;
        if (cap > READER_MAX_WINDOW)
            cap = READER_MAX_WINDOW;
        if (cap > r->buf_cap) {
            r->buf = xreallocarray(r->buf, cap, 1);
            r->buf_cap = cap;
        }
    }
}

/*
 * Ensures `need` (<= HT_MAX_RECORD_LEN + 16) bytes are available at pos, or
 * as many as the stream still has. @return the available count, or -1 after
 * a zstd or read error.
 */
static long reader_fill(struct ht_reader *r, size_t need)
{
    while (r->len - r->pos < need && !r->stream_eof) {
        reader_make_room(r, need);
        if (!r->in_frame && reader_frame_boundary(r) < 0)
            return -1;
        if (r->zin.pos == r->zin.size && !r->in_eof && reader_read_input(r) < 0)
            return -1;
        /* Called even on empty input: zstd may still hold decoded bytes. */
        ZSTD_outBuffer out = {r->buf, r->buf_cap, r->len};
        size_t in_before = r->zin.pos;
        size_t ret = ZSTD_decompressStream(r->zds, &out, &r->zin);
        if (ZSTD_isError(ret))
            return reader_fail(r, "zstd: %s at compressed byte %llu", ZSTD_getErrorName(ret),
                               (unsigned long long)(r->in_off + r->zin.pos));
        if (r->zin.pos != in_before) { /* zstd stops at a frame's end: these are one frame's */
            if (!r->in_frame) {
                r->in_frame = true;
                r->frame_off = r->in_off + in_before;
                r->frame_crc = 0;
            }
            r->frame_crc = ht_crc32(r->frame_crc, (const uint8_t *)r->zin.src + in_before,
                                    r->zin.pos - in_before);
        }
        /* A call without progress after a complete frame reports the next
         * frame's header as missing: only a call with progress tells. */
        bool progress = out.pos != r->len || r->zin.pos != in_before;
        r->len = out.pos;
        if (progress) {
            r->last_zret = ret;
            if (ret == 0 && r->in_frame) {
                r->in_frame = false;
                r->check_due = true;
            }
        }
        if (r->in_eof && r->zin.pos == r->zin.size && !progress) {
            r->stream_eof = true;
            if (r->last_zret != 0)
                snprintf(r->trunc, sizeof(r->trunc),
                         "log ends inside a zstd frame at compressed byte %llu",
                         (unsigned long long)r->in_off);
        }
    }
    size_t avail = r->len - r->pos;
    return (long)(avail < need ? avail : need);
}

/* ------------------------------------------------------------ payload cursor */

struct cursor {
    const uint8_t *p, *end;
};

static int cur_u(struct ht_reader *r, struct cursor *c, const char *field, uint64_t *out)
{
    *out = 0; /* on error too: gcc -O3 cannot see that reader_corrupt returns -1 */
    int rc = ht_get_uvarint(&c->p, c->end, out);
    if (rc == -1)
        return reader_corrupt(r, "payload ends inside field '%s'", field);
    if (rc < 0)
        return reader_corrupt(r, "malformed varint in field '%s'", field);
    return 0;
}

static int cur_str(struct ht_reader *r, struct cursor *c, const char *field, const char **s,
                   size_t *n)
{
    uint64_t len;
    if (cur_u(r, c, field, &len) < 0)
        return -1;
    if (len > HT_MAX_STRING_LEN)
        return reader_corrupt(r, "string '%s' of %llu bytes exceeds the limit of %u", field,
                              (unsigned long long)len, HT_MAX_STRING_LEN);
    if (len > (uint64_t)(c->end - c->p))
        return reader_corrupt(r, "string '%s' of %llu bytes runs past the payload", field,
                              (unsigned long long)len);
    *s = (const char *)c->p;
    *n = (size_t)len;
    c->p += len;
    return 0;
}

static int cur_dup(struct ht_reader *r, struct cursor *c, const char *field, char **out)
{
    const char *s = NULL;
    size_t n = 0;
    if (cur_str(r, c, field, &s, &n) < 0)
        return -1;
    *out = xstrndup(s, n);
    return 0;
}

static int cur_done(struct ht_reader *r, struct cursor *c)
{
    if (c->p != c->end)
        return reader_corrupt(r, "%zu trailing bytes after the last field",
                              (size_t)(c->end - c->p));
    return 0;
}

static int cur_stack(struct ht_reader *r, struct cursor *c, uint64_t *id)
{
    if (cur_u(r, c, "stack", id) < 0)
        return -1;
    if (*id > r->nstacks)
        return reader_corrupt(r, "stack id %llu is not defined (%llu stacks so far)",
                              (unsigned long long)*id, (unsigned long long)r->nstacks);
    return 0;
}

/* A block named by its age (format.h): created_so_far - age, never 0. */
static int cur_block(struct ht_reader *r, struct cursor *c, const char *field, uint64_t *out)
{
    uint64_t age;
    if (cur_u(r, c, field, &age) < 0)
        return -1;
    if (age >= r->blocks)
        return reader_corrupt(r, "%s %llu names a block before the first (%llu created)", field,
                              (unsigned long long)age, (unsigned long long)r->blocks);
    *out = r->blocks - age;
    return 0;
}

/* A handle reference (format.h): a block's id, or an address with the top
 * bit set so the two kinds never collide; 0 = none. */
static int cur_handle(struct ht_reader *r, struct cursor *c, uint64_t *out)
{
    uint64_t ref;
    if (cur_u(r, c, "handle", &ref) < 0)
        return -1;
    if (ref == 0)
        *out = 0;
    else if (ref & 1) {
        if ((ref >> 1) >= r->blocks)
            return reader_corrupt(r, "handle names a block before the first (%llu created)",
                                  (unsigned long long)r->blocks);
        *out = r->blocks - (ref >> 1);
    } else {
        *out = (ref >> 1) | HT_HANDLE_ADDRESS;
    }
    return 0;
}

/* ---------------------------------------------------------- record decoders */

static void reader_free_header(struct ht_header *h)
{
    free(h->exe);
    for (uint32_t i = 0; i < h->argc; i++)
        free(h->argv[i]);
    free(h->argv);
    free(h->log_path);
    free(h->parent_log);
    memset(h, 0, sizeof(*h));
}

static int decode_header(struct ht_reader *r, struct cursor *c)
{
    struct ht_header h = {.version = r->hdr.version};
    uint64_t argc;
    if (r->have_header)
        return reader_corrupt(r, "second HEADER record");
    if (cur_u(r, c, "pid", &h.pid) || cur_u(r, c, "ppid", &h.ppid) ||
        cur_u(r, c, "start_unix_ns", &h.start_unix_ns) ||
        cur_u(r, c, "pointer_size", &h.pointer_size) || cur_u(r, c, "page_size", &h.page_size) ||
        cur_u(r, c, "depth", &h.depth) || cur_u(r, c, "flags", &h.flags) ||
        cur_dup(r, c, "exe", &h.exe) || cur_u(r, c, "argc", &argc))
        goto fail;
    if (argc > (uint64_t)(c->end - c->p)) {
        reader_corrupt(r, "argc %llu exceeds the payload", (unsigned long long)argc);
        goto fail;
    }
    h.argv = xcalloc((size_t)argc + 1, sizeof(char *));
    for (; h.argc < argc; h.argc++)
        if (cur_dup(r, c, "argv", &h.argv[h.argc]))
            goto fail;
    if (cur_dup(r, c, "log_path", &h.log_path) || cur_dup(r, c, "parent_log", &h.parent_log) ||
        cur_done(r, c))
        goto fail;
    r->hdr = h;
    r->have_header = true;
    return 0;
fail:
    reader_free_header(&h);
    return -1;
}

static void reader_free_modules(struct ht_module *mods, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(mods[i].path);
        free(mods[i].build_id);
        free(mods[i].segs);
    }
    free(mods);
}

static int decode_module(struct ht_reader *r, struct cursor *c, struct ht_module *m)
{
    const char *bid;
    size_t bid_len;
    uint64_t nseg;
    if (cur_dup(r, c, "path", &m->path) || cur_u(r, c, "base", &m->base) ||
        cur_str(r, c, "build_id", &bid, &bid_len))
        return -1;
    m->build_id = xmalloc(bid_len);
    memcpy(m->build_id, bid, bid_len);
    m->build_id_len = bid_len;
    if (cur_u(r, c, "nseg", &nseg))
        return -1;
    if (nseg > (uint64_t)(c->end - c->p) / 3)
        return reader_corrupt(r, "segment count %llu exceeds the payload",
                              (unsigned long long)nseg);
    m->segs = xcalloc((size_t)nseg, sizeof(*m->segs));
    for (; m->nseg < nseg; m->nseg++) {
        struct ht_module_seg *s = &m->segs[m->nseg];
        if (cur_u(r, c, "vaddr", &s->vaddr) || cur_u(r, c, "memsz", &s->memsz) ||
            cur_u(r, c, "flags", &s->flags))
            return -1;
    }
    return 0;
}

static int decode_modules(struct ht_reader *r, struct cursor *c)
{
    uint64_t count;
    if (cur_u(r, c, "count", &count))
        return -1;
    if (count > (uint64_t)(c->end - c->p) / 4)
        return reader_corrupt(r, "module count %llu exceeds the payload",
                              (unsigned long long)count);
    struct ht_module *mods = xcalloc((size_t)count, sizeof(*mods));
    size_t i = 0;
    for (; i < count; i++)
        if (decode_module(r, c, &mods[i]))
            break;
    if (i < count || cur_done(r, c)) {
        reader_free_modules(mods, (size_t)count);
        return -1;
    }
    reader_free_modules(r->mods, r->nmods);
    r->mods = mods;
    r->nmods = (size_t)count;
    return 0;
}

/* One more block: within what the log can honestly hold by now? */
static int honest_block(struct ht_reader *r, uint64_t time_us)
{
    if (r->blocks + 1 <= honest_bound(time_us))
        return 0;
    return reader_corrupt(r, "%llu blocks created by %llu us: more than a recorder can write "
                             "(%llu, and %u more a microsecond), a forged or damaged log",
                          (unsigned long long)(r->blocks + 1), (unsigned long long)time_us,
                          (unsigned long long)READER_HONEST_FREE, READER_HONEST_PER_US);
}

static int decode_stack(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    uint64_t depth;
    if (cur_u(r, c, "depth", &depth))
        return -1;
    if (depth > HT_MAX_STACK_DEPTH)
        return reader_corrupt(r, "stack depth %llu exceeds the limit of %d",
                              (unsigned long long)depth, HT_MAX_STACK_DEPTH);
    for (uint64_t i = 0; i < depth; i++)
        if (cur_u(r, c, "ip", &r->ips[i]))
            return -1;
    if (cur_done(r, c))
        return -1;
    if (r->nips + depth > honest_bound(r->time_us))
        return reader_corrupt(r, "%llu stack frames defined by %llu us: more than a recorder "
                                 "can write, a forged or damaged log",
                              (unsigned long long)(r->nips + depth),
                              (unsigned long long)r->time_us);
    ev->ips = r->ips;
    ev->depth = (uint32_t)depth;
    ev->stack = r->nstacks + 1;
    return 0;
}

static int decode_thread_index(struct ht_reader *r, struct cursor *c, uint64_t *out)
{
    if (cur_u(r, c, "thread", out))
        return -1;
    if (*out > UINT32_MAX)
        return reader_corrupt(r, "thread index %llu is out of range", (unsigned long long)*out);
    return 0;
}

static int decode_realloc(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    uint64_t old, result;
    if (cur_u(r, c, "old", &old) || cur_u(r, c, "result", &result) ||
        cur_u(r, c, "size", &ev->size) || cur_stack(r, c, &ev->stack))
        return -1;
    if (old > r->blocks)
        return reader_corrupt(r, "old %llu names a block before the first (%llu created)",
                              (unsigned long long)old, (unsigned long long)r->blocks);
    if (result > 1)
        return reader_corrupt(r, "realloc result %llu is not 0 or 1", (unsigned long long)result);
    ev->old_addr = old ? r->blocks - (old - 1) : 0;
    ev->addr = result ? r->blocks + 1 : 0;
    return result ? honest_block(r, ev->time_us) : 0;
}

/* ------------------------------------------------------- heap snapshots */

/* A snapshot names blocks by id (not age): 1 .. blocks created at its BEGIN
 * (format.h: it describes the heap at BEGIN, whatever happened since). */
static int snap_check_id(struct ht_reader *r, const char *field, uint64_t id)
{
    if (id == 0)
        return reader_corrupt(r, "%s 0 is not a block id", field);
    if (id > r->snap_blocks)
        return reader_corrupt(r, "%s names block %llu, not created at SNAPSHOT_BEGIN (%llu were)",
                              field, (unsigned long long)id, (unsigned long long)r->snap_blocks);
    return 0;
}

/* A target `(id << 1) | interior`. */
static int cur_snap_ref(struct ht_reader *r, struct cursor *c, const char *field, uint64_t *id,
                        bool *interior)
{
    uint64_t ref;
    if (cur_u(r, c, field, &ref))
        return -1;
    *id = ref >> 1;
    *interior = ref & 1;
    return snap_check_id(r, field, *id);
}

static int snap_need_open(struct ht_reader *r, const char *what)
{
    if (!r->snap_open)
        return reader_corrupt(r, "%s outside a snapshot (no SNAPSHOT_BEGIN)", what);
    return 0;
}

/* Grows *arr (of elem bytes each) to hold `need` entries. */
static void *snap_grow(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return arr;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    *cap = n;
    return xreallocarray(arr, n, elem);
}

static int decode_snap_begin(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    if (cur_u(r, c, "seq", &ev->value) || cur_u(r, c, "reason", &ev->kind) ||
        cur_u(r, c, "blocks", &ev->size))
        return -1;
    if (r->snap_open)
        return reader_corrupt(r, "SNAPSHOT_BEGIN inside a snapshot (no SNAPSHOT_END before it)");
    if (ev->kind > HT_SNAP_MARKS)
        return reader_corrupt(r, "unknown snapshot reason %llu", (unsigned long long)ev->kind);
    if (ev->size > r->blocks)
        return reader_corrupt(r, "snapshot of %llu blocks, but only %llu were created",
                              (unsigned long long)ev->size, (unsigned long long)r->blocks);
    return 0;
}

/* Word indexes stay below this, so offset = 8 * word never overflows. */
#define SNAP_MAX_WORD (UINT64_MAX >> 4)

/*
 * SNAPSHOT_EDGES: n:u then n entries from:u count:u to:u*count.
 * SNAPSHOT_EDGES_AT: the same with to:u skip:u per target, the pointer's
 * word in `from` being the previous one's + 1 + skip (format.h).
 * SNAPSHOT_EDGES_DELTA: EDGES_AT with from:s the difference from the
 * previous entry's id and to:u (zigzag(target - from) << 1) | interior.
 */
static int decode_snap_edges(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    bool at = ev->tag != HT_REC_SNAPSHOT_EDGES, delta = ev->tag == HT_REC_SNAPSHOT_EDGES_DELTA;
    uint64_t n, count, from = 0;
    size_t nedges = 0;
    if (snap_need_open(r, "SNAPSHOT_EDGES") || cur_u(r, c, "n", &n))
        return -1;
    if (n > (uint64_t)(c->end - c->p) / 2)
        return reader_corrupt(r, "edge entry count %llu exceeds the payload",
                              (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v;
        if (cur_u(r, c, "from", &v))
            return -1;
        from = delta ? from + (uint64_t)ht_unzigzag(v) : v; /* wraps: then not an id */
        if (snap_check_id(r, "from", from) || cur_u(r, c, "count", &count))
            return -1;
        if (count > (uint64_t)(c->end - c->p) / (at ? 2 : 1))
            return reader_corrupt(r, "target count %llu of block %llu exceeds the payload",
                                  (unsigned long long)count, (unsigned long long)from);
        r->snap_edges = snap_grow(r->snap_edges, &r->snap_edges_cap, nedges + (size_t)count,
                                  sizeof(*r->snap_edges));
        uint64_t next_word = 0; /* the word after the previous pointer */
        for (uint64_t k = 0; k < count; k++) {
            struct ht_snap_edge *e = &r->snap_edges[nedges++];
            e->from = from;
            e->offset = 0;
            if (delta) {
                uint64_t ref;
                if (cur_u(r, c, "to", &ref))
                    return -1;
                e->to = from + (uint64_t)ht_unzigzag(ref >> 1);
                e->interior = ref & 1;
                if (snap_check_id(r, "to", e->to))
                    return -1;
            } else if (cur_snap_ref(r, c, "to", &e->to, &e->interior)) {
                return -1;
            }
            if (!at)
                continue;
            uint64_t skip;
            if (cur_u(r, c, "skip", &skip))
                return -1;
            if (skip >= SNAP_MAX_WORD - next_word)
                return reader_corrupt(r, "pointer offset of block %llu overflows (skip %llu)",
                                      (unsigned long long)from, (unsigned long long)skip);
            e->offset = (next_word + skip) * 8;
            next_word += skip + 1;
        }
    }
    ev->tag = HT_REC_SNAPSHOT_EDGES; /* EDGES_AT and EDGES_DELTA read as EDGES with offsets */
    ev->edges = r->snap_edges;
    ev->nedges = nedges;
    return 0;
}

/* SNAPSHOT_ROOTS: n:u then n entries kind:u where:u offset:u to:u. */
static int decode_snap_roots(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    uint64_t n;
    if (snap_need_open(r, "SNAPSHOT_ROOTS") || cur_u(r, c, "n", &n))
        return -1;
    if (n > (uint64_t)(c->end - c->p) / 4)
        return reader_corrupt(r, "root count %llu exceeds the payload", (unsigned long long)n);
    r->snap_roots = snap_grow(r->snap_roots, &r->snap_roots_cap, (size_t)n, sizeof(*r->snap_roots));
    for (uint64_t i = 0; i < n; i++) {
        struct ht_snap_root *o = &r->snap_roots[i];
        if (cur_u(r, c, "kind", &o->kind))
            return -1;
        if (o->kind >= HT_ROOT_KIND_COUNT_)
            return reader_corrupt(r, "unknown root kind %llu", (unsigned long long)o->kind);
        if (cur_u(r, c, "where", &o->where) || cur_u(r, c, "offset", &o->offset) ||
            cur_snap_ref(r, c, "to", &o->to, &o->interior))
            return -1;
    }
    ev->roots = r->snap_roots;
    ev->nroots = (size_t)n;
    return 0;
}

static int decode_snap_frames(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    uint64_t n;
    if (snap_need_open(r, "SNAPSHOT_FRAMES") || decode_thread_index(r, c, &ev->value) ||
        cur_u(r, c, "n", &n))
        return -1;
    if (n > (uint64_t)(c->end - c->p) / 2)
        return reader_corrupt(r, "frame count %llu exceeds the payload", (unsigned long long)n);
    r->snap_frames =
        snap_grow(r->snap_frames, &r->snap_frames_cap, (size_t)n, sizeof(*r->snap_frames));
    for (uint64_t i = 0; i < n; i++)
        if (cur_u(r, c, "below", &r->snap_frames[i].below) ||
            cur_u(r, c, "ip", &r->snap_frames[i].ip))
            return -1;
    ev->frames = r->snap_frames;
    ev->nframes = (size_t)n;
    return 0;
}

/* SNAPSHOT_END: pause_ns:u edges:u roots:u, then scan_ns:u when present
 * (version 2 writers add it; version 1 logs end after roots), then
 * scan_cpu_ns:u and index_cpu_ns:u (version 3, each optional). */
static int decode_snap_end(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    if (snap_need_open(r, "SNAPSHOT_END") || cur_u(r, c, "pause_ns", &ev->value) ||
        cur_u(r, c, "edges", &ev->size) || cur_u(r, c, "roots", &ev->old_size))
        return -1;
    ev->flags = ev->prot = ev->old_addr = 0;
    if (c->p < c->end && cur_u(r, c, "scan_ns", &ev->flags))
        return -1;
    if (c->p < c->end && cur_u(r, c, "scan_cpu_ns", &ev->prot))
        return -1;
    if (c->p < c->end && cur_u(r, c, "index_cpu_ns", &ev->old_addr))
        return -1;
    if (ev->size != r->snap_nedges || ev->old_size != r->snap_nroots)
        return reader_corrupt(r, "SNAPSHOT_END counts %llu edges and %llu roots, the snapshot "
                                 "had %llu and %llu",
                              (unsigned long long)ev->size, (unsigned long long)ev->old_size,
                              (unsigned long long)r->snap_nedges,
                              (unsigned long long)r->snap_nroots);
    return 0;
}

/* Snapshot state, once a snapshot record decoded completely. */
static void snap_commit(struct ht_reader *r, const struct ht_event *ev)
{
    switch (ev->tag) {
    case HT_REC_SNAPSHOT_BEGIN:
        r->snap_open = true;
        r->snap_nedges = r->snap_nroots = 0;
        r->snap_blocks = r->blocks;
        break;
    case HT_REC_SNAPSHOT_EDGES: r->snap_nedges += ev->nedges; break;
    case HT_REC_SNAPSHOT_ROOTS: r->snap_nroots += ev->nroots; break;
    case HT_REC_SNAPSHOT_END: r->snap_open = false; break;
    default: break;
    }
}

static int decode_kind(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    if (cur_u(r, c, "kind", &ev->kind))
        return -1;
    if (ev->kind >= HT_OWNER_THREAD) /* the kinds an OWNER record may carry */
        return reader_corrupt(r, "unknown owner kind %llu", (unsigned long long)ev->kind);
    return 0;
}

/* GC records (format.h 0x70-0x76); fields as reader.h lists them. */
static int decode_gc(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    switch (ev->tag) {
    case HT_REC_GC_ALLOC:
        if (cur_u(r, c, "fn", &ev->kind) || cur_u(r, c, "count", &ev->value) ||
            cur_u(r, c, "bytes", &ev->size) || cur_stack(r, c, &ev->stack))
            return -1;
        if (ev->kind >= HT_GC_FN_COUNT_)
            return reader_corrupt(r, "unknown GC allocation fn %llu", (unsigned long long)ev->kind);
        return 0;
    case HT_REC_GC_FREE:
        return cur_u(r, c, "bytes", &ev->size);
    case HT_REC_GC_COLLECTION:
        return cur_u(r, c, "gc_no", &ev->value) || cur_u(r, c, "heap_bytes", &ev->size) ||
               cur_u(r, c, "free_bytes", &ev->old_size) ||
               cur_u(r, c, "unmapped_bytes", &ev->addr) ||
               cur_u(r, c, "duration_ns", &ev->old_addr) || cur_u(r, c, "rss_bytes", &ev->handle);
    case HT_REC_GC_LINK:
        if (cur_u(r, c, "op", &ev->kind) || cur_u(r, c, "count", &ev->value) ||
            cur_stack(r, c, &ev->stack))
            return -1;
        if (ev->kind >= HT_GC_LINK_OP_COUNT_)
            return reader_corrupt(r, "unknown GC link op %llu", (unsigned long long)ev->kind);
        return 0;
    case HT_REC_GC_FINALIZER:
        if (cur_u(r, c, "op", &ev->kind) || cur_stack(r, c, &ev->stack))
            return -1;
        if (ev->kind > 1)
            return reader_corrupt(r, "unknown GC finalizer op %llu", (unsigned long long)ev->kind);
        return 0;
    case HT_REC_GC_FINALIZE_BEGIN:
        return cur_u(r, c, "bytes", &ev->size) || cur_stack(r, c, &ev->stack);
    default: /* GC_FINALIZE_END: no fields */
        return 0;
    }
}

/* Event records: everything after dt. */
static int decode_event(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    uint8_t tag = ev->tag;
    if (tag >= HT_REC_ALLOC_BASE && tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_) {
        ev->fn = (uint8_t)(tag - HT_REC_ALLOC_BASE);
        ev->addr = r->blocks + 1;
        if (honest_block(r, ev->time_us))
            return -1;
        return cur_u(r, c, "size", &ev->size) || cur_stack(r, c, &ev->stack);
    }
    switch (tag) {
    case HT_REC_THREAD_START:
        return decode_thread_index(r, c, &ev->value) || cur_u(r, c, "tid", &ev->tid) ||
               cur_u(r, c, "stack_lo", &ev->stack_lo) || cur_u(r, c, "stack_hi", &ev->stack_hi) ||
               cur_str(r, c, "name", &ev->str, &ev->str_len);
    case HT_REC_THREAD_NAME:
        return decode_thread_index(r, c, &ev->value) ||
               cur_str(r, c, "name", &ev->str, &ev->str_len);
    case HT_REC_THREAD_EXIT:
    case HT_REC_THREAD_RELEASE:
        return decode_thread_index(r, c, &ev->value);
    case HT_REC_FREE:
        return cur_block(r, c, "age", &ev->addr);
    case HT_REC_REALLOC:
        return decode_realloc(r, c, ev);
    case HT_REC_MMAP:
        return cur_u(r, c, "addr", &ev->addr) || cur_u(r, c, "len", &ev->size) ||
               cur_u(r, c, "prot", &ev->prot) || cur_u(r, c, "flags", &ev->flags) ||
               cur_stack(r, c, &ev->stack);
    case HT_REC_MUNMAP:
        return cur_u(r, c, "addr", &ev->addr) || cur_u(r, c, "len", &ev->size);
    case HT_REC_MREMAP:
        return cur_u(r, c, "old", &ev->old_addr) || cur_u(r, c, "old_len", &ev->old_size) ||
               cur_u(r, c, "new", &ev->addr) || cur_u(r, c, "new_len", &ev->size) ||
               cur_stack(r, c, &ev->stack);
    case HT_REC_OWNER_BEGIN:
        return decode_kind(r, c, ev) || cur_stack(r, c, &ev->stack);
    case HT_REC_TICK:
        return 0;
    case HT_REC_IGNORE:
        return cur_block(r, c, "age", &ev->addr);
    case HT_REC_OWNER_END:
        return cur_handle(r, c, &ev->handle);
    case HT_REC_OWNER_CLOSE:
        return decode_kind(r, c, ev) || cur_handle(r, c, &ev->handle);
    case HT_REC_MARK:
        return cur_str(r, c, "label", &ev->str, &ev->str_len);
    case HT_REC_EXEC:
        return cur_str(r, c, "path", &ev->str, &ev->str_len);
    case HT_REC_RSS:
        return cur_u(r, c, "rss_bytes", &ev->value);
    case HT_REC_LOST:
        return cur_u(r, c, "events", &ev->value);
    case HT_REC_FORK:
        return cur_u(r, c, "child_pid", &ev->value);
    case HT_REC_NOTE:
        return cur_u(r, c, "code", &ev->value);
    case HT_REC_SAMPLING:
        return cur_u(r, c, "every", &ev->value);
    case HT_REC_END:
        return cur_u(r, c, "reason", &ev->value);
    case HT_REC_ATTACH:
        return cur_u(r, c, "heap_bytes", &ev->value) || cur_u(r, c, "allocator", &ev->kind);
    case HT_REC_SNAPSHOT_BEGIN:
        return decode_snap_begin(r, c, ev);
    case HT_REC_SNAPSHOT_END:
        return decode_snap_end(r, c, ev);
    case HT_REC_GC_ALLOC:
    case HT_REC_GC_FREE:
    case HT_REC_GC_COLLECTION:
    case HT_REC_GC_LINK:
    case HT_REC_GC_FINALIZER:
    case HT_REC_GC_FINALIZE_BEGIN:
    case HT_REC_GC_FINALIZE_END:
        return decode_gc(r, c, ev);
    default:
        return reader_fail(r, "unknown record tag 0x%02x at byte %llu (record %llu)", tag,
                           (unsigned long long)r->cur_off, (unsigned long long)r->record_no);
    }
}

static int decode_payload(struct ht_reader *r, struct cursor *c, struct ht_event *ev)
{
    uint64_t dt;
    switch (ev->tag) {
    case HT_REC_HEADER:
        return decode_header(r, c);
    case HT_REC_MODULES:
        return decode_modules(r, c);
    case HT_REC_STACK:
        return decode_stack(r, c, ev);
    case HT_REC_SNAPSHOT_EDGES: /* no dt: at the current time */
    case HT_REC_SNAPSHOT_EDGES_AT:
    case HT_REC_SNAPSHOT_EDGES_DELTA:
        return decode_snap_edges(r, c, ev) ||
                       cur_done(r, c)
                   ? -1
                   : 0;
    case HT_REC_SNAPSHOT_ROOTS:
        return decode_snap_roots(r, c, ev) || cur_done(r, c) ? -1 : 0;
    case HT_REC_SNAPSHOT_FRAMES:
        return decode_snap_frames(r, c, ev) || cur_done(r, c) ? -1 : 0;
    case HT_REC_SWITCH: {
        uint64_t t;
        if (decode_thread_index(r, c, &t) || cur_done(r, c))
            return -1;
        ev->thread = (uint32_t)t;
        return 0;
    }
    default:
        break;
    }
    if (!names_tag(ev->tag))
        return decode_event(r, c, ev); /* reports the unknown tag */
    if (HT_TAG_IS_COMPACT(ev->tag)) /* no dt: at the current time (moved by TICK) */
        return decode_event(r, c, ev) || cur_done(r, c) ? -1 : 0;
    if (cur_u(r, c, "dt", &dt))
        return -1;
    if (dt > UINT64_MAX - r->time_us)
        return reader_corrupt(r, "time overflows");
    ev->time_us = r->time_us + dt;
    if (decode_event(r, c, ev) || cur_done(r, c))
        return -1;
    return 0;
}

/* Commits the implicit state once a record decoded completely. */
static void reader_commit(struct ht_reader *r, struct ht_event *ev)
{
    r->time_us = ev->time_us;
    switch (ev->tag) {
    case HT_REC_SWITCH:
        r->thread = ev->thread;
        break;
    case HT_REC_STACK:
        r->nstacks++;
        r->nips += ev->depth;
        break;
    case HT_REC_REALLOC:
        r->blocks += ev->addr != 0;
        break;
    case HT_REC_END:
        r->ended = true;
        break;
    case HT_REC_SNAPSHOT_BEGIN:
    case HT_REC_SNAPSHOT_EDGES:
    case HT_REC_SNAPSHOT_ROOTS:
    case HT_REC_SNAPSHOT_END:
        snap_commit(r, ev);
        break;
    default:
        if (ev->tag >= HT_REC_ALLOC_BASE && ev->tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_)
            r->blocks++;
        break;
    }
    if (ev->tag != HT_REC_SWITCH)
        ev->thread = r->thread;
    /* The recorder's own housekeeping (RSS, LOST, MODULES...) may still land
     * between EXEC and the new image; only a program event undoes "complete". */
    bool housekeeping = ev->tag == HT_REC_RSS || ev->tag == HT_REC_LOST || ev->tag == HT_REC_NOTE ||
                        ev->tag == HT_REC_MODULES || ev->tag == HT_REC_STACK ||
                        ev->tag == HT_REC_SWITCH;
    r->exec_last = ev->tag == HT_REC_EXEC || (r->exec_last && housekeeping);
}

/* ------------------------------------------------------------- record layer */

/* The log ends inside the current record (built only then: this path is cold). */
static int truncate_inside(struct ht_reader *r)
{
    char why[128];
    snprintf(why, sizeof(why), "log ends inside record %llu at byte %llu",
             (unsigned long long)r->record_no, (unsigned long long)r->cur_off);
    return reader_truncate(r, why);
}

/*
 * Fast path for the records that make up nearly every log (ALLOC, FREE,
 * REALLOC, TICK) when the window already holds READER_FAST_BYTES: no
 * reader_fill, one decoding pass, no cursor. It produces exactly what the
 * general path would; anything unusual (a long or malformed varint, a bad
 * age, an undefined stack, trailing bytes, an overflowing time, data after
 * END) returns 0 without touching any state, and the general path decodes
 * the record again and reports it. @return 1 when it decoded the record.
 */
#define READER_FAST_BYTES (1 + 4 * HT_VARINT_MAX)

static inline bool fast_u(const uint8_t **pp, uint64_t *out)
{
    const uint8_t *p = *pp;
    if (p[0] < 0x80) {
        *out = p[0];
        *pp = p + 1;
        return true;
    }
    /* The caller guarantees HT_VARINT_MAX readable bytes per field. */
    return ht_get_uvarint(pp, p + HT_VARINT_MAX, out) == 0;
}

static inline int reader_next_fast(struct ht_reader *r, struct ht_event *ev)
{
    const uint8_t *start = r->buf + r->pos, *p = start + 1;
    uint8_t tag = start[0];
    uint64_t a, b, size, stack;
    uint64_t addr = 0, old_addr = 0, time_us = r->time_us, blocks = r->blocks;
    if (tag >= HT_REC_ALLOC_BASE && tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_) {
        if (!fast_u(&p, &size) || !fast_u(&p, &stack) || stack > r->nstacks ||
            blocks + 1 > honest_bound(time_us))
            return 0;
        addr = ++blocks;
    } else if (tag == HT_REC_FREE) {
        if (!fast_u(&p, &a) || a >= blocks)
            return 0;
        addr = blocks - a;
        size = stack = 0;
    } else if (tag == HT_REC_REALLOC) {
        if (!fast_u(&p, &a) || !fast_u(&p, &b) || !fast_u(&p, &size) || !fast_u(&p, &stack) ||
            stack > r->nstacks || a > blocks || b > 1 || blocks + b > honest_bound(time_us))
            return 0;
        old_addr = a ? blocks - (a - 1) : 0;
        addr = b ? blocks + 1 : 0;
        blocks += b;
    } else if (tag == HT_REC_TICK) {
        /* tag, length, dt: the payload must be exactly the dt varint */
        if (!fast_u(&p, &a) || a > HT_VARINT_MAX)
            return 0;
        const uint8_t *q = p;
        if (!fast_u(&q, &b) || (uint64_t)(q - p) != a || b > UINT64_MAX - time_us)
            return 0;
        p = q;
        time_us += b;
        size = stack = 0;
    } else {
        return 0;
    }
    uint64_t off = r->buf_off + r->pos;
    /* Every field, one store each: a whole-struct initializer or memset
     * becomes a `rep stos` that costs more than decoding the record. */
    ev->tag = tag;
    ev->fn = tag == HT_REC_FREE || tag == HT_REC_REALLOC || tag == HT_REC_TICK
                 ? 0
                 : (uint8_t)(tag - HT_REC_ALLOC_BASE);
    ev->thread = r->thread;
    ev->time_us = time_us;
    ev->record_no = r->record_no;
    ev->offset = off;
    ev->addr = addr;
    ev->old_addr = old_addr;
    ev->size = size;
    ev->old_size = 0;
    ev->stack = stack;
    ev->prot = ev->flags = 0;
    ev->kind = ev->handle = ev->tid = ev->stack_lo = ev->stack_hi = ev->value = 0;
    ev->str = NULL;
    ev->str_len = 0;
    ev->ips = NULL;
    ev->depth = 0;
    r->cur_off = off;
    r->cur_tag = tag;
    r->time_us = time_us;
    r->blocks = blocks;
    r->exec_last = false;
    r->pos += (size_t)(p - start);
    r->record_no++;
    return 1;
}

int ht_reader_next(struct ht_reader *r, struct ht_event *ev)
{
    if (r->failed)
        return -1;
    if (r->done)
        return 0;
    if (r->len - r->pos >= READER_FAST_BYTES && !r->ended && reader_next_fast(r, ev))
        return 1;
    memset(ev, 0, sizeof(*ev));
    long n = reader_fill(r, 1);
    if (n < 0)
        return -1;
    if (n == 0) {
        if (!r->ended && !r->exec_last)
            return reader_truncate(r, r->trunc[0] ? r->trunc : "no END record");
        r->done = true;
        return 0;
    }
    r->cur_off = r->buf_off + r->pos;
    r->cur_tag = r->buf[r->pos];
    if (r->ended)
        return reader_fail(r, "data after the END record at byte %llu",
                           (unsigned long long)r->cur_off);
    uint64_t len;
    int rc;
    const uint8_t *p;
    if (HT_TAG_IS_COMPACT(r->cur_tag)) {
        /* No length field: the payload is a fixed number of varints. */
        n = reader_fill(r, 1 + (size_t)HT_COMPACT_FIELDS(r->cur_tag) * HT_VARINT_MAX);
        if (n < 0)
            return -1;
        p = r->buf + r->pos + 1;
        const uint8_t *q = p, *end = r->buf + r->pos + n;
        for (int i = 0; i < HT_COMPACT_FIELDS(r->cur_tag); i++) {
            uint64_t v;
            rc = ht_get_uvarint(&q, end, &v);
            if (rc == -1)
                return truncate_inside(r);
            if (rc < 0)
                return reader_corrupt(r, "malformed varint in a compact record");
        }
        len = (uint64_t)(q - p);
    } else {
        n = reader_fill(r, 1 + HT_VARINT_MAX);
        if (n < 0)
            return -1;
        p = r->buf + r->pos + 1;
        const uint8_t *end = r->buf + r->pos + n;
        rc = ht_get_uvarint(&p, end, &len);
        if (rc == -1)
            return truncate_inside(r);
        if (rc < 0)
            return reader_corrupt(r, "malformed record length");
    }
    if (len > HT_MAX_RECORD_LEN)
        return reader_corrupt(r, "record length %llu exceeds the limit of %u",
                              (unsigned long long)len, HT_MAX_RECORD_LEN);
    size_t hlen = (size_t)(p - (r->buf + r->pos));
    size_t total = hlen + (size_t)len;
    n = reader_fill(r, total);
    if (n < 0)
        return -1;
    if ((size_t)n < total)
        return truncate_inside(r);
    ev->tag = r->cur_tag;
    ev->record_no = r->record_no;
    ev->offset = r->cur_off;
    ev->time_us = r->time_us;
    struct cursor c = {r->buf + r->pos + hlen, r->buf + r->pos + total};
    if (decode_payload(r, &c, ev) < 0)
        return -1;
    reader_commit(r, ev);
    r->pos += total;
    r->record_no++;
    return 1;
}

/* ------------------------------------------------------------------- open */

static struct ht_reader *reader_create(void)
{
    struct ht_reader *r = xcalloc(1, sizeof(*r));
    r->fd = -1;
    r->zds = ZSTD_createDStream();
    if (!r->zds) {
        fprintf(stderr, "heaptrace-report: error: out of memory (zstd)\n");
        exit(HT_EXIT_INTERNAL);
    }
    ZSTD_initDStream(r->zds);
    return r;
}

/* Magic, version and the HEADER record. */
static int reader_start(struct ht_reader *r)
{
    struct ht_event ev;
    long n = reader_fill(r, HT_MAGIC_LEN + HT_VARINT_MAX);
    if (n < 0) {
        if (r->in_off == 0 && r->zin.pos <= 4) {
            char zerr[sizeof(r->err)];
            snprintf(zerr, sizeof(zerr), "%s", r->err);
            return reader_fail(r, "not a heaptrace log (%s)", zerr);
        }
        return -1;
    }
    if (n == 0 && r->in_off + r->zin.size == 0)
        return reader_fail(r, "log is empty (the traced process wrote nothing)");
    if (n < HT_MAGIC_LEN && memcmp(r->buf, HT_MAGIC, (size_t)n) == 0)
        return reader_fail(r, "log ends inside its header, at byte %ld", n);
    if (n < HT_MAGIC_LEN || memcmp(r->buf, HT_MAGIC, HT_MAGIC_LEN) != 0)
        return reader_fail(r, "not a heaptrace log (bad magic at byte 0)");
    const uint8_t *p = r->buf + HT_MAGIC_LEN;
    uint64_t version;
    int rc = ht_get_uvarint(&p, r->buf + n, &version);
    if (rc == -1)
        return reader_fail(r, "log ends inside its header, at byte %ld", n);
    if (rc < 0)
        return reader_fail(r, "corrupt header: malformed version varint");
    if (version > HT_FORMAT_VERSION)
        return reader_fail(r, "log format version %llu is newer than this analyzer's %d",
                           (unsigned long long)version, HT_FORMAT_VERSION);
    if (version == 0)
        return reader_fail(r, "log format version 0 is not supported");
    r->hdr.version = (uint32_t)version;
    r->pos = (size_t)(p - r->buf);
    rc = ht_reader_next(r, &ev);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return reader_fail(r, "log ends inside its HEADER record (%s)", r->trunc);
    if (ev.tag != HT_REC_HEADER)
        return reader_fail(r, "corrupt record 0 (tag 0x%02x) at byte %llu: the first record "
                              "is not a HEADER",
                           ev.tag, (unsigned long long)ev.offset);
    return 0;
}

static int reader_finish_open(struct ht_reader **out, struct ht_reader *r)
{
    if (out)
        *out = r;
    else if (r->failed) {
        ht_reader_close(r);
        return -1;
    }
    return r->failed ? -1 : 0;
}

/*
 * A log is a regular file, or "-": standard input, whatever it is (a pipe
 * from zstdcat or ssh). Anything else is refused at once: opening a FIFO
 * nobody writes to would block forever, and a directory or a device is not
 * a log. The file is opened without blocking, then checked.
 */
static int reader_open_fd(struct ht_reader *r, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0) {
        r->fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        if (r->fd < 0)
            return reader_fail(r, "cannot open '-' (standard input): %s", strerror(errno));
        return 0;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (r->fd < 0)
        return reader_fail(r, "cannot open '%s': %s", path, strerror(errno));
    if (fstat(r->fd, &st) != 0)
        return reader_fail(r, "cannot open '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return reader_fail(r, "cannot open '%s': not a regular file (%s); to read a log from a "
                              "pipe, give '-' and the pipe on standard input",
                           path, S_ISFIFO(st.st_mode)  ? "a FIFO"
                                 : S_ISDIR(st.st_mode) ? "a directory"
                                 : S_ISSOCK(st.st_mode) ? "a socket"
                                                        : "a device");
    int fl = fcntl(r->fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(r->fd, F_SETFL, fl & ~O_NONBLOCK);
    return 0;
}

int ht_reader_open(struct ht_reader **out, const char *path)
{
    struct ht_reader *r = reader_create();
    if (reader_open_fd(r, path) == 0) {
        r->in = xmalloc(READER_IN_CHUNK);
        reader_start(r);
    }
    return reader_finish_open(out, r);
}

int ht_reader_open_mem(struct ht_reader **out, const void *data, size_t len, const char *name)
{
    (void)name;
    struct ht_reader *r = reader_create();
    r->mem = data ? data : (const void *)"";
    r->mem_len = len;
    reader_start(r);
    return reader_finish_open(out, r);
}

/* ------------------------------------------------------------- accessors */

const struct ht_header *ht_reader_header(const struct ht_reader *r)
{
    return &r->hdr;
}

const struct ht_module *ht_reader_modules(const struct ht_reader *r, size_t *count)
{
    *count = r->nmods;
    return r->mods;
}

bool ht_reader_truncated(const struct ht_reader *r)
{
    return r->truncated;
}

bool ht_reader_exec_replaced(const struct ht_reader *r)
{
    return r->done && !r->failed && !r->truncated && !r->ended && r->exec_last;
}

const char *ht_reader_truncation(const struct ht_reader *r)
{
    return r->truncated ? r->trunc : "";
}

uint64_t ht_reader_stack_count(const struct ht_reader *r)
{
    return r->nstacks;
}

uint64_t ht_reader_offset(const struct ht_reader *r)
{
    return r->buf_off + r->pos;
}

const char *ht_reader_warning(const struct ht_reader *r)
{
    return r->warn;
}

const char *ht_reader_error(const struct ht_reader *r)
{
    return r->failed ? r->err : "";
}

void ht_reader_close(struct ht_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    ZSTD_freeDStream(r->zds);
    free(r->in);
    free(r->buf);
    free(r->snap_edges);
    free(r->snap_roots);
    free(r->snap_frames);
    reader_free_header(&r->hdr);
    reader_free_modules(r->mods, r->nmods);
    free(r);
}
