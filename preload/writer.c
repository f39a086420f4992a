/* SPDX-License-Identifier: MIT */
/*
 * writer.c - the writer thread: drains every thread's ring in global ticket
 * order, encodes log records (common/format.h), compresses them with zstd's
 * streaming API and writes them with write(2).
 *
 * Invariants:
 * - Only the writer (or, when it is not running, the thread finishing the
 *   log) touches `w`, always under w.lock; fork's prepare handler takes the
 *   lock so a child inherits a consistent state.
 * - A record is written only when every smaller ticket is published: the
 *   round's bound X is ht_ticket read first, lowered to the ticket any thread
 *   still holds pending (see ht_ring_ticket).
 * - A complete zstd frame ends at least every HT_FRAME_NS, so a killed
 *   process leaves a log that reads back to within that time.
 * - The writer's own memory (zstd's workspace, tables, buffers) comes from
 *   ht_mem_* (mmap), never from the host's malloc; its guard is held for life.
 * - A write error prints one line, stops tracing, and never disturbs the host.
 * - The log file is held by the sink (sink.c), a process of our own: the
 *   compressed bytes go to it through memory, and no descriptor of ours is
 *   in the program's table.
 * - The writer thread never keeps the process alive: glibc does not count it
 *   among the program's threads (so the program's last pthread_exit still
 *   calls exit(0)), and when the program's threads have all ended without
 *   exit (a raw SYS_exit, seccomp's strict mode) the writer finishes the log
 *   and ends too: the process ends as it would have.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem, ZSTD_createCCtx_advanced */
#include <zstd.h>

#include "framecheck.h"
#include "ht.h"
#include "varint.h"

#define HT_FRAME_NS (190 * 1000 * 1000ull) /* end a zstd frame at least this often (issue: 200 ms) */
#define HT_RSS_NS (1000 * 1000 * 1000ull)  /* RSS sample period */
#define ENC_FLUSH (256 * 1024)              /* compress when this much is encoded */
/* Record times are kept on this grid: finer deltas are noise that costs ~1 byte
 * an event after compression, and nothing in the analysis needs them. */
#define HT_TIME_GRID_US 100

struct stack_entry {
    uint64_t hash;
    uint32_t id;
    uint32_t gen;
    uint32_t depth;
    uint64_t ips_at; /* index into w.ips */
};

struct cursor {
    struct ht_thread *t;
    uint64_t pos, head;
    struct ht_ev *ev; /* next record, or NULL */
};

static struct writer {
    pthread_mutex_t lock;
    bool open; /* the sink holds the log */
    char path[HT_PATH_MAX];
    bool failed, finished, running;
    pthread_t thread;
    struct ht_thread *self; /* the writer's own ring (RSS, LOST) */

    ZSTD_CCtx *zc;
    uint8_t *enc;
    size_t enc_len, enc_cap;
    uint8_t *zout;
    size_t zout_cap;
    bool frame_has_data;
    uint64_t frame_start_ns;
    uint32_t frame_crc; /* of the current frame's compressed bytes (framecheck.h) */

    /* encoding state (format.h "implicit state") */
    uint64_t start_ns, last_us;
    uint64_t blocks; /* heap blocks created so far in this log */
    uint32_t cur_thread;
    uint32_t next_stack_id, gen;

    struct stack_entry *stacks;
    size_t stacks_cap, stacks_used;
    uint64_t *ips;
    size_t ips_len, ips_cap;

    /* time: tsc -> ns through a calibration pair refreshed while running */
    uint64_t tsc0, ns0;
    double ns_per_tick;

    struct cursor *cur;
    size_t cur_cap;

    uint64_t last_rss_ns;
    uint64_t next_gone_check_ns;
    uint64_t end_ticket; /* END recorded at this ticket: finish after it */
} w = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Atomic uint32_t wake_word;

/* ---- time -------------------------------------------------------------- */

uint64_t ht_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The calling thread's CPU time: a snapshot's scan on one core. */
uint64_t ht_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void clock_calibrate(void)
{
#if defined(__x86_64__)
    uint64_t ns = ht_mono_ns(), tsc = ht_now_tsc();
    if (ns > w.ns0 + 50 * 1000 * 1000 && tsc > w.tsc0)
        w.ns_per_tick = (double)(ns - w.ns0) / (double)(tsc - w.tsc0);
#endif
}

static uint64_t tsc_to_ns(uint64_t tsc)
{
#if defined(__x86_64__)
    if (w.ns_per_tick == 0.0) { /* not calibrated yet: 1 ms since the log opened will do */
        uint64_t ns;
        while ((ns = ht_mono_ns()) < w.ns0 + 1000 * 1000)
            __builtin_ia32_pause();
        w.ns_per_tick = (double)(ns - w.ns0) / (double)(ht_now_tsc() - w.tsc0);
    }
    int64_t d = (int64_t)(tsc - w.tsc0);
    return (uint64_t)((int64_t)w.ns0 + (int64_t)((double)d * w.ns_per_tick));
#else
    return tsc;
#endif
}

/* ---- output ------------------------------------------------------------ */

static void *zmem_alloc(void *opaque, size_t size)
{
    (void)opaque;
    return ht_mem_alloc(size);
}

static void zmem_free(void *opaque, void *p)
{
    (void)opaque;
    ht_mem_free(p);
}

static void fail(const char *what, int err)
{
    if (w.failed)
        return;
    w.failed = true;
    atomic_store(&ht_active, false);
    ht_snapdrive_stop();
    char why[256];
    size_t n = ht_strlcpy(why, "': ", sizeof why);
    n += ht_strlcpy(why + n, what, sizeof why - n);
    ht_strlcpy(why + n, "; tracing stopped", sizeof why - n);
    ht_diag("heaptrace: cannot write '", w.path, why);
    (void)err;
}

static void write_all(const uint8_t *p, size_t n)
{
    int err = 0;
    if (n && !w.failed && !ht_sink_write(p, n, &err))
        fail(ht_errname(err), err);
}

/* Compresses the encoded bytes; ends the frame when `end` is set. */
static void compress_out(bool end)
{
    if (w.failed)
        return;
    ZSTD_inBuffer in = {w.enc, w.enc_len, 0};
    ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
        ZSTD_outBuffer out = {w.zout, w.zout_cap, 0};
        size_t rem = ZSTD_compressStream2(w.zc, &out, &in, mode);
        if (ZSTD_isError(rem)) {
            fail(ZSTD_getErrorName(rem), 0);
            return;
        }
        w.frame_crc = ht_crc32(w.frame_crc, w.zout, out.pos);
        write_all(w.zout, out.pos);
        if (w.failed)
            return;
        if (end ? rem == 0 : in.pos == in.size)
            break;
    }
    w.enc_len = 0;
    if (end) { /* every frame is followed by its check (framecheck.h) */
        uint8_t check[HT_CHECK_FRAME_LEN];
        ht_check_frame(check, w.frame_crc);
        w.frame_crc = 0;
        write_all(check, sizeof check);
        w.frame_has_data = false;
        w.frame_start_ns = ht_mono_ns();
    } else if (!w.frame_has_data) {
        w.frame_has_data = true;
    }
}

static uint8_t *enc_room(size_t n)
{
    if (w.enc_len + n > w.enc_cap) {
        compress_out(false);
        if (n > w.enc_cap) {
            uint8_t *g = ht_mem_realloc(w.enc, n);
            if (!g) {
                fail("out of memory", ENOMEM);
                return NULL;
            }
            w.enc = g;
            w.enc_cap = n;
        }
    }
    return w.enc + w.enc_len;
}

/* Appends one record: tag, length (unless the tag is compact), payload. */
static void put_record(uint8_t tag, const uint8_t *payload, size_t n)
{
    uint8_t *p = enc_room(1 + HT_VARINT_MAX + n);
    if (!p)
        return;
    uint8_t *start = p;
    *p++ = tag;
    if (!HT_TAG_IS_COMPACT(tag))
        p = ht_put_uvarint(p, n);
    memcpy(p, payload, n);
    w.enc_len += (size_t)(p + n - start);
}

/* For snapshot.c, under the writer lock: one record now, with a time delta
 * from the current time when with_dt. */
void ht_writer_put(uint8_t tag, const uint8_t *payload, size_t n, bool with_dt)
{
    if (!with_dt) {
        put_record(tag, payload, n);
        return;
    }
    uint64_t ns = ht_mono_ns();
    uint64_t us = ns > w.start_ns ? (ns - w.start_ns) / 1000 : 0;
    us -= us % HT_TIME_GRID_US;
    if (us < w.last_us)
        us = w.last_us;
    uint8_t *p = enc_room(1 + 2 * HT_VARINT_MAX + n);
    if (!p)
        return;
    uint8_t dt[HT_VARINT_MAX];
    size_t dl = (size_t)(ht_put_uvarint(dt, us - w.last_us) - dt);
    w.last_us = us;
    uint8_t *start = p;
    *p++ = tag;
    p = ht_put_uvarint(p, dl + n);
    memcpy(p, dt, dl);
    memcpy(p + dl, payload, n);
    w.enc_len += (size_t)(p + dl + n - start);
}

/* ---- stacks ------------------------------------------------------------ */

static struct stack_entry *stack_slot(uint64_t hash)
{
    size_t mask = w.stacks_cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask)
        if (w.stacks[i].hash == hash || w.stacks[i].hash == 0)
            return &w.stacks[i];
}

static bool stacks_grow(void)
{
    size_t ncap = w.stacks_cap ? w.stacks_cap * 2 : 4096;
    struct stack_entry *old = w.stacks;
    size_t ocap = w.stacks_cap;
    w.stacks = ht_mem_alloc(ncap * sizeof *w.stacks);
    if (!w.stacks) {
        w.stacks = old;
        return false;
    }
    w.stacks_cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].hash)
            *stack_slot(old[i].hash) = old[i];
    ht_mem_free(old);
    return true;
}

/* Writes the current module map here, now, if the loader's counters moved:
 * everything not yet written (a stack from a library just loaded) comes
 * after it. The writer never queues it through a ring, whose ticket could
 * come after an event that already needs the new module. */
static void write_modules_if_changed(void)
{
    static uint8_t *buf;
    const size_t cap = 512 * 1024;
    if (!buf && !(buf = ht_mem_alloc(cap)))
        return;
    size_t len = ht_modules_encode_if_changed(buf, cap);
    if (len)
        put_record(HT_REC_MODULES, buf, len);
}

/* A new stack from a module the log has not described (loaded by libc
 * itself, or since the last poll): write the current map first. */
static void describe_modules_for(const uint64_t *ips, uint32_t n)
{
    uint32_t i = 0;
    while (i < n && ht_modules_covers(ips[i]))
        i++;
    if (i < n)
        write_modules_if_changed();
}

static void emit_stack(struct stack_entry *e)
{
    uint8_t buf[HT_VARINT_MAX * (HT_MAX_STACK_DEPTH + 1)];
    describe_modules_for(w.ips + e->ips_at, e->depth);
    uint8_t *p = ht_put_uvarint(buf, e->depth);
    for (uint32_t i = 0; i < e->depth; i++)
        p = ht_put_uvarint(p, w.ips[e->ips_at + i]);
    put_record(HT_REC_STACK, buf, (size_t)(p - buf));
    e->id = ++w.next_stack_id;
    e->gen = w.gen;
}

/* The stack id for `hash`, defining it in the log first if needed. */
static uint32_t stack_id(uint64_t hash, const uint64_t *frames, uint32_t n)
{
    if (!hash)
        return 0;
    if ((w.stacks_used + 1) * 2 > w.stacks_cap && !stacks_grow())
        return 0;
    struct stack_entry *e = stack_slot(hash);
    if (!e->hash) {
        if (!frames)
            return 0; /* frames were lost with a dropped record */
        if (w.ips_len + n > w.ips_cap) {
            size_t ncap = (w.ips_cap ? w.ips_cap * 2 : 1 << 16) + n;
            uint64_t *g = ht_mem_realloc(w.ips, ncap * 8);
            if (!g)
                return 0;
            w.ips = g;
            w.ips_cap = ncap;
        }
        memcpy(w.ips + w.ips_len, frames, n * 8);
        e->hash = hash;
        e->depth = n;
        e->ips_at = w.ips_len;
        w.ips_len += n;
        w.stacks_used++;
        emit_stack(e);
    } else if (e->gen != w.gen) {
        emit_stack(e); /* defined in an earlier log (before fork): define again */
    }
    return e->id;
}

/* ---- the program's own anonymous mappings (snapshot roots) ------------- */

/* Only mappings made through our mmap wrapper: the program's own. malloc's
 * big blocks and glibc's thread stacks are mapped inside libc, past us. */
static void mapping_add(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags)
{
    if ((flags & MAP_ANONYMOUS) && (prot & PROT_READ) && (prot & PROT_WRITE))
        ht_snapshot_mapping(addr, len, true);
}

/* A handle as format.h's handle reference: a live block by age, else the
 * address. Handles are nearly always heap blocks (iconv_t, FILE *, DIR *). */
static uint64_t handle_ref(uint64_t handle)
{
    if (!handle)
        return 0;
    uint64_t block = ht_live_get(handle);
    return block ? (w.blocks - block) << 1 | 1 : handle << 1;
}

static bool tag_has_dt(uint8_t tag)
{
    return tag != HT_REC_HEADER && tag != HT_REC_MODULES && tag != HT_REC_STACK &&
           tag != HT_REC_SWITCH;
}

static void emit(struct ht_thread *t, struct ht_ev *ev)
{
    uint8_t tag = ev->tag;
    if (tag == HT_EV_NOTHING)
        return;
    if (!t->is_writer && t->index != w.cur_thread) {
        uint8_t b[HT_VARINT_MAX];
        w.cur_thread = t->index;
        put_record(HT_REC_SWITCH, b, (size_t)(ht_put_uvarint(b, t->index) - b));
    }
    unsigned nf = ev->flags & 0x0f;
    const uint64_t *f = ev->f;
    const uint64_t *frames = ev->nframes ? f + nf : NULL;

    uint64_t freed = 0, ignored = 0;
    if (tag == HT_REC_FREE && !(freed = ht_live_take(f[0])))
        return; /* allocated before tracing began (or in a parent), or not sampled */
    if (freed && ht_sample_every)
        ht_sample_forget(f[0]); /* sample.c's free filter */
    if (tag == HT_REC_IGNORE && !(ignored = ht_live_get(f[0])))
        return; /* heaptrace_ignore() of something that is not a live block */

    uint8_t buf[96];
    uint8_t *p = buf;
    if (tag_has_dt(tag)) {
        uint64_t ns = tsc_to_ns(ev->tsc);
        uint64_t us = ns > w.start_ns ? (ns - w.start_ns) / 1000 : 0;
        us -= us % HT_TIME_GRID_US;
        if (us < w.last_us)
            us = w.last_us; /* clocks of two cores may disagree by a hair */
        uint64_t dt = us - w.last_us;
        w.last_us = us;
        if (HT_TAG_IS_COMPACT(tag)) { /* time moves by TICK; the record has no dt */
            if (dt) {
                uint8_t tb[HT_VARINT_MAX];
                put_record(HT_REC_TICK, tb, (size_t)(ht_put_uvarint(tb, dt) - tb));
            }
        } else {
            p = ht_put_uvarint(p, dt);
        }
    }
    if (ev->flags & HT_EV_RAW) {
        size_t n = (size_t)f[0];
        size_t head = (size_t)(p - buf);
        uint8_t *o = enc_room(1 + HT_VARINT_MAX + head + n);
        if (!o)
            return;
        uint8_t *start = o;
        *o++ = tag;
        o = ht_put_uvarint(o, head + n);
        memcpy(o, buf, head);
        memcpy(o + head, &f[1], n);
        w.enc_len += (size_t)(o + head + n - start);
        if (tag == HT_REC_END)
            w.end_ticket = ev->ticket;
        return;
    }
    if (tag >= HT_REC_ALLOC_BASE && tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_) {
        uint32_t id = stack_id(f[2], frames, ev->nframes);
        ht_live_put(f[0], ++w.blocks, f[1], f[2]);
        p = ht_put_uvarint(p, f[1]);
        p = ht_put_uvarint(p, id);
    } else {
        switch (tag) {
        case HT_REC_FREE:
            p = ht_put_uvarint(p, w.blocks - freed);
            break;
        case HT_REC_REALLOC: {
            uint32_t id = stack_id(f[3], frames, ev->nframes);
            uint64_t old = f[0] ? ht_live_take(f[0]) : 0;
            if (old && ht_sample_every)
                ht_sample_forget(f[0]);
            p = ht_put_uvarint(p, old ? w.blocks - old + 1 : 0);
            p = ht_put_uvarint(p, f[1] ? 1 : 0);
            p = ht_put_uvarint(p, f[2]);
            p = ht_put_uvarint(p, id);
            if (f[1])
                ht_live_put(f[1], ++w.blocks, f[2], f[3]);
            break;
        }
        case HT_REC_MMAP:   /* addr len prot flags, stack */
        case HT_REC_MREMAP: { /* old old_len new new_len, stack */
            if (tag == HT_REC_MMAP)
                mapping_add(f[0], f[1], f[2], f[3]);
            else
                ht_snapshot_mapping_move(f[0], f[1], f[2], f[3]);
            uint32_t id = stack_id(f[4], frames, ev->nframes);
            for (int i = 0; i < 4; i++)
                p = ht_put_uvarint(p, f[i]);
            p = ht_put_uvarint(p, id);
            break;
        }
        case HT_REC_OWNER_BEGIN: {
            uint32_t id = stack_id(f[1], frames, ev->nframes);
            p = ht_put_uvarint(p, f[0]);
            p = ht_put_uvarint(p, id);
            break;
        }
        case HT_REC_GC_ALLOC:   /* plain fields, then a stack hash */
        case HT_REC_GC_LINK:
        case HT_REC_GC_FINALIZER:
        case HT_REC_GC_FINALIZE_BEGIN: { /* its hash was sent with GC_FINALIZER */
            uint32_t id = nf ? stack_id(f[nf - 1], frames, ev->nframes) : 0;
            for (unsigned i = 0; i + 1 < nf; i++)
                p = ht_put_uvarint(p, f[i]);
            p = ht_put_uvarint(p, id);
            break;
        }
        case HT_REC_OWNER_END:
            p = ht_put_uvarint(p, handle_ref(f[0]));
            break;
        case HT_REC_IGNORE:
            p = ht_put_uvarint(p, w.blocks - ignored);
            break;
        case HT_REC_OWNER_CLOSE:
            p = ht_put_uvarint(p, f[0]);
            p = ht_put_uvarint(p, handle_ref(f[1]));
            break;
        case HT_REC_MUNMAP:
            ht_snapshot_mapping(f[0], f[1], false);
            /* fall through */
        case HT_REC_END:
            if (tag == HT_REC_END)
                w.end_ticket = ev->ticket;
            /* fall through */
        default: /* plain fields: OWNER_END/CLOSE, THREAD_EXIT, RSS, LOST, FORK, MUNMAP */
            for (unsigned i = 0; i < nf; i++)
                p = ht_put_uvarint(p, f[i]);
            break;
        }
    }
    put_record(tag, buf, (size_t)(p - buf));
}

/* ---- draining ---------------------------------------------------------- */

static struct ht_ev *cursor_peek(struct cursor *c)
{
    while (c->pos < c->head) {
        struct ht_ev *ev = (struct ht_ev *)(c->t->buf + (c->pos & (c->t->cap - 1)));
        if (ev->tag != HT_EV_PAD)
            return ev;
        c->pos += ev->len;
    }
    return NULL;
}

/* The bound below which every ticket is published, or 0 to retry later. */
static uint64_t publish_bound(void)
{
    uint64_t x = atomic_load(&ht_ticket.next);
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        if (atomic_load(&t->state) == HT_TS_FREE)
            continue;
        uint64_t p = atomic_load(&t->pending);
        for (int spin = 0; p == HT_TAKING && spin < 1000; spin++) {
            __builtin_ia32_pause();
            p = atomic_load(&t->pending);
        }
        if (p == HT_TAKING)
            return 0;
        if (p && p < x)
            x = p;
    }
    return x;
}

/* One round: writes every published record below the bound. Returns how many. */
static size_t drain_round(void)
{
    uint64_t bound = publish_bound();
    if (!bound)
        return 0;
    size_t n = 0;
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        if (atomic_load(&t->state) == HT_TS_FREE)
            continue;
        if (n == w.cur_cap) {
            size_t ncap = w.cur_cap ? w.cur_cap * 2 : 64;
            struct cursor *g = ht_mem_realloc(w.cur, ncap * sizeof *g);
            if (!g)
                break;
            w.cur = g;
            w.cur_cap = ncap;
        }
        struct cursor *c = &w.cur[n];
        c->t = t;
        c->pos = atomic_load_explicit(&t->tail, memory_order_relaxed);
        c->head = atomic_load_explicit(&t->head, memory_order_acquire);
        c->ev = cursor_peek(c);
        if (c->ev && c->ev->ticket < bound)
            n++;
        else
            atomic_store_explicit(&t->tail, c->pos, memory_order_release);
    }
    size_t written = 0;
    while (n) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (w.cur[i].ev->ticket < w.cur[best].ev->ticket)
                best = i;
        struct cursor *c = &w.cur[best];
        emit(c->t, c->ev);
        written++;
        c->pos += c->ev->len;
        c->ev = cursor_peek(c);
        if ((written & 255) == 0 || !c->ev || c->ev->ticket >= bound)
            atomic_store_explicit(&c->t->tail, c->pos, memory_order_release);
        if (!c->ev || c->ev->ticket >= bound)
            w.cur[best] = w.cur[--n];
        if (w.end_ticket)
            break; /* END is the last record of the log */
    }
    for (size_t i = 0; i < n; i++)
        atomic_store_explicit(&w.cur[i].t->tail, w.cur[i].pos, memory_order_release);
    return written;
}

static void collect_lost(void)
{
    uint64_t lost = 0;
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next)
        if (atomic_load_explicit(&t->lost, memory_order_relaxed))
            lost += atomic_exchange(&t->lost, 0);
    if (lost)
        ht_rec_simple(HT_REC_LOST, 1, lost, 0);
}

static void sample_rss(uint64_t now)
{
    if (now - w.last_rss_ns < HT_RSS_NS)
        return;
    w.last_rss_ns = now;
    uint64_t rss = ht_rss_now();
    if (rss)
        ht_rec_simple(HT_REC_RSS, 1, rss, 0);
}

/* Drains until no published record below the bound remains; ends a frame
 * when asked or when the current one is old. Caller holds w.lock. */
static void drain_all(bool end_frame)
{
    /* Everything ticketed before this call must be written. A thread that
     * keeps a ticket pending (stuck in a huge realloc) gets one second. */
    uint64_t target = atomic_load(&ht_ticket.next);
    uint64_t deadline = ht_mono_ns() + 1000 * 1000 * 1000ull;
    while (!w.end_ticket && !w.failed) {
        size_t n = drain_round();
        if (n == 0 && publish_bound() >= target)
            break;
        if (n == 0) {
            if (ht_mono_ns() > deadline)
                break;
            sched_yield();
        }
    }
    if ((end_frame || w.end_ticket) && (w.frame_has_data || w.enc_len))
        compress_out(true);
}

/* For snapdrive.c, under the writer lock. */
void ht_writer_drain(bool end_frame)
{
    drain_all(end_frame);
}

size_t ht_writer_drain_published(void)
{
    return drain_round();
}

bool ht_writer_failed(void)
{
    return w.failed;
}

/* ---- the thread -------------------------------------------------------- */

void ht_writer_wake(void)
{
    if (atomic_exchange(&wake_word, 1) == 0)
        syscall(SYS_futex, &wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void writer_sleep(void)
{
    struct timespec to = {0, 2 * 1000 * 1000};
    if (atomic_exchange(&wake_word, 0) == 0)
        syscall(SYS_futex, &wake_word, FUTEX_WAIT_PRIVATE, 0, &to, NULL, 0);
    atomic_store(&wake_word, 0);
}

/* Every thread of the program ended without exit(): a raw SYS_exit (or
 * pthread_exit where glibc counted us), seccomp's strict mode. Natively the
 * process would be gone: finish the log here, then end this thread too,
 * with the exit status the first thread gave (the kernel reports the last
 * thread's: when another thread of the program ended last with another
 * status, that one is not known). */
static HT_NOINLINE void finish_for_gone_program(void)
{
    HT_MARK_PROGRAM_SP();
    ht_writer_finish(HT_END_UNDERSCORE_EXIT);
}

static bool program_gone(uint64_t now, int *status)
{
    if (now < w.next_gone_check_ns)
        return false;
    w.next_gone_check_ns = now + 100 * 1000 * 1000ull;
    return ht_program_gone(status);
}

static void *writer_main(void *arg)
{
    (void)arg;
    int status = 0; /* this thread's exit status, when it ends the process */
    ht_guard = 1; /* for life: nothing this thread does is traced */
    pthread_mutex_lock(&w.lock);
    w.self = ht_thread_register(true);
    pthread_mutex_unlock(&w.lock);
    for (;;) {
        pthread_mutex_lock(&w.lock);
        if (w.finished || w.failed) {
            pthread_mutex_unlock(&w.lock);
            break;
        }
        uint64_t now = ht_mono_ns();
        if (program_gone(now, &status)) {
            pthread_mutex_unlock(&w.lock);
            finish_for_gone_program();
            break;
        }
        clock_calibrate();
        collect_lost();
        sample_rss(now);
        write_modules_if_changed();
        ht_snapdrive_tick(now);
        size_t n = 0, got;
        while ((got = drain_round()) > 0 && !w.end_ticket)
            n += got;
        if (w.enc_len >= ENC_FLUSH)
            compress_out(false);
        if ((w.frame_has_data || w.enc_len) && now - w.frame_start_ns >= HT_FRAME_NS)
            compress_out(true);
        ht_thread_reap();
        pthread_mutex_unlock(&w.lock);
        /* Sleep between rounds: spinning on the producers' cache lines
         * (ht_ticket, pending) slows every event. A ring crossing half full
         * wakes us early (ht_ring_reserve). */
        (void)n;
        writer_sleep();
    }
    /* Not through pthread's return: glibc would count this thread's end,
     * which ht_writer_start took out of its count. When this is the
     * process's last thread, its status is the process's. */
    syscall(SYS_exit, status);
    return NULL;
}

/* glibc's count of running threads: when the last one ends in pthread_exit
 * (or returns from its start function), that thread calls exit(0), running
 * the program's atexit handlers and flushing stdio. The writer is taken out
 * of it, or a main that ends in pthread_exit would never exit. */
static _Atomic unsigned *glibc_nthreads(void)
{
    static _Atomic unsigned *count;
    static bool looked;
    if (!looked) {
        looked = true;
        count = ht_real_next("__nptl_nthreads"); /* GLIBC_PRIVATE; NULL elsewhere */
    }
    return count;
}

void ht_writer_start(void)
{
    if (w.running || !w.open || w.failed)
        return;
    _Atomic unsigned *nthreads = glibc_nthreads();
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread inherits: no signal lands there */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    ht_guard++;
    int rc = pthread_create(&w.thread, &attr, writer_main, NULL);
    if (rc == 0 && nthreads)
        atomic_fetch_sub(nthreads, 1);
    ht_guard--;
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    w.running = rc == 0;
}

/* ---- opening the log --------------------------------------------------- */

/* The log's name from the pattern; false when it would not fit in cap. */
static bool expand_pattern(char *out, size_t cap, const char *pat, const char *prog)
{
    size_t n = 0;
    char num[24];
    const char *s = pat;
    for (; *s && n + 1 < cap; s++) {
        const char *ins = NULL;
        if (s[0] == '%' && s[1] == 'p') {
            ht_fmt_u64(num, (uint64_t)getpid());
            ins = num;
        } else if (s[0] == '%' && s[1] == 'e') {
            ins = prog;
        } else if (s[0] == '%' && s[1] == '%') {
            ins = "%";
        }
        if (ins) {
            s++;
            for (; *ins && n + 1 < cap; ins++)
                out[n++] = *ins;
            if (*ins)
                return false;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    return *s == '\0';
}

static void program_name(char *out, size_t cap)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *base = exe;
    for (const char *s = exe; *s; s++)
        if (*s == '/')
            base = s + 1;
    ht_strlcpy(out, *base ? base : "program", cap);
}

/* Encodes magic, version and HEADER into the (empty) encode buffer. */
static void put_header(const char *parent_log)
{
    uint8_t *p = enc_room(HT_MAGIC_LEN + HT_VARINT_MAX);
    memcpy(p, HT_MAGIC, HT_MAGIC_LEN);
    w.enc_len += HT_MAGIC_LEN + (size_t)(ht_put_uvarint(p + HT_MAGIC_LEN, HT_FORMAT_VERSION) -
                                        (p + HT_MAGIC_LEN));

    static uint8_t hdr[16384];
    static char cmdline[8192];
    char exe[1024];
    ssize_t en = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[en > 0 ? en : 0] = '\0';
    ssize_t cl = 0;
    struct ht_proc f;
    if (ht_proc_open(&f, "cmdline")) {
        long r;
        while (cl < (ssize_t)sizeof cmdline &&
               (r = ht_proc_read(&f, cmdline + cl, sizeof cmdline - (size_t)cl)) > 0)
            cl += r;
        ht_proc_close(&f);
    }
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint8_t *q = hdr;
    q = ht_put_uvarint(q, (uint64_t)getpid());
    q = ht_put_uvarint(q, (uint64_t)getppid());
    q = ht_put_uvarint(q, (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec);
    q = ht_put_uvarint(q, sizeof(void *));
    q = ht_put_uvarint(q, (uint64_t)sysconf(_SC_PAGESIZE));
    q = ht_put_uvarint(q, ht_config.depth);
    q = ht_put_uvarint(q, (ht_config.follow_exec ? HT_FLAG_FOLLOW_EXEC : 0) |
                              (ht_config.follow_fork ? HT_FLAG_FOLLOW_FORK : 0));
    size_t el = strlen(exe);
    q = ht_put_uvarint(q, el);
    memcpy(q, exe, el);
    q += el;
    /* argv strings as the kernel shows them; the last may lack its NUL when
     * the program rewrote its argv (setproctitle) or it was cut at the buffer. */
    uint64_t argc = 0;
    for (ssize_t i = 0; i < cl; i += (ssize_t)strnlen(cmdline + i, (size_t)(cl - i)) + 1)
        argc++;
    q = ht_put_uvarint(q, argc);
    for (ssize_t i = 0; i < cl;) {
        size_t al = strnlen(cmdline + i, (size_t)(cl - i));
        q = ht_put_uvarint(q, al);
        memcpy(q, cmdline + i, al);
        q += al;
        i += (ssize_t)al + 1;
    }
    size_t pl = strlen(w.path), ql = strlen(parent_log);
    q = ht_put_uvarint(q, pl);
    memcpy(q, w.path, pl);
    q += pl;
    q = ht_put_uvarint(q, ql);
    memcpy(q, parent_log, ql);
    q += ql;
    put_record(HT_REC_HEADER, hdr, (size_t)(q - hdr));
    if (ht_sample_every) { /* dt 0: at the start */
        uint8_t b[1 + HT_VARINT_MAX];
        b[0] = 0;
        put_record(HT_REC_SAMPLING, b, (size_t)(ht_put_uvarint(b + 1, ht_sample_every) - b));
    }
}

static bool buffers_init(void)
{
    if (!w.zc) {
        ZSTD_customMem mem = {zmem_alloc, zmem_free, NULL};
        w.zc = ZSTD_createCCtx_advanced(mem);
        if (!w.zc)
            return false;
        ZSTD_CCtx_setParameter(w.zc, ZSTD_c_compressionLevel, (int)ht_config.zstd_level);
    } else {
        ZSTD_CCtx_reset(w.zc, ZSTD_reset_session_only);
    }
    if (!w.enc) {
        w.enc_cap = ENC_FLUSH * 2;
        w.enc = ht_mem_alloc(w.enc_cap);
        w.zout_cap = ZSTD_CStreamOutSize();
        w.zout = ht_mem_alloc(w.zout_cap);
    }
    return w.enc && w.zout;
}

bool ht_writer_open(bool is_fork_child)
{
    static char want[HT_PATH_MAX], parent_log[HT_PATH_MAX];
    char prog[256];
    int err = 0;
    if (is_fork_child)
        ht_strlcpy(parent_log, w.path, sizeof parent_log);
    else
        ht_strlcpy(parent_log, ht_config.parent_log, sizeof parent_log);

    w.enc_len = 0;
    w.frame_has_data = false;
    w.frame_crc = 0;
    w.failed = w.finished = w.running = false;
    w.end_ticket = 0;
    w.last_us = 0;
    w.blocks = 0;
    w.next_stack_id = 0; /* a new log numbers its stacks from 1 (older entries re-emit) */
    w.cur_thread = 0;
    w.gen++;
    w.last_rss_ns = 0;
    w.next_gone_check_ns = 0;
    if (!buffers_init()) {
        ht_diag("heaptrace: out of memory for the log writer; tracing stopped", "", "");
        return false;
    }
    if (!ht_config.out_pattern[0])
        return false; /* refused at start, with a message */
    program_name(prog, sizeof prog);
    if (!expand_pattern(want, sizeof want, ht_config.out_pattern, prog)) {
        ht_diag("heaptrace: the log's name (HEAPTRACE_OUT) is longer than PATH_MAX; "
                "tracing stopped", "", "");
        return false;
    }
    w.open = ht_sink_start(want, w.path, sizeof w.path);
    if (!w.open) {
        char why[256];
        size_t n = ht_strlcpy(why, "': ", sizeof why);
        n += ht_strlcpy(why + n, ht_errname(errno), sizeof why - n);
        ht_strlcpy(why + n, "; tracing stopped", sizeof why - n);
        ht_diag("heaptrace: cannot create '", w.path, why);
        return false;
    }
    w.start_ns = ht_mono_ns();
    w.ns0 = w.start_ns;
    w.tsc0 = ht_now_tsc();
    w.frame_start_ns = w.start_ns;
    put_header(parent_log);
    compress_out(true); /* the header on disk now: a process killed at once leaves a log */
    /* Wait until the sink has written it: a log that cannot be written
     * (/dev/full, a full disk) is refused here, every time, before tracing
     * starts. Without this the sink's failure could land while the caller
     * was about to set ht_active: tracing went on with no writer, and every
     * event of the program waited for a ring that nobody drained. */
    if (!w.failed && !ht_sink_sync(&err))
        fail(ht_errname(err), err);
    if (w.failed) {
        ht_sink_close();
        w.open = false;
        return false;
    }
    return true;
}

const char *ht_writer_log_path(void)
{
    return w.path;
}

/* ---- flush, finish, fork ----------------------------------------------- */

void ht_writer_flush(void)
{
    if (!w.open || w.failed || !atomic_load(&ht_active))
        return;
    ht_guard++;
    pthread_mutex_lock(&w.lock);
    drain_all(true);
    pthread_mutex_unlock(&w.lock);
    ht_guard--;
}

void ht_writer_finish(unsigned reason)
{
    if (!w.open || !atomic_load(&ht_active))
        return;
    if (ht_config.snapshots && reason != HT_END_EXEC && reason != HT_END_ERROR)
        ht_freeres_thread_cache(); /* what __libc_freeres frees, before the exit snapshot */
    ht_guard++;
    pthread_mutex_lock(&w.lock);
    ht_snapdrive_complete(); /* a running-program snapshot first completes */
    if (reason != HT_END_ERROR) { /* the RSS the program ends with, however short it ran */
        w.last_rss_ns = 0;
        sample_rss(ht_mono_ns());
    }
    if (ht_config.snapshots && reason != HT_END_EXEC && reason != HT_END_ERROR) {
        /* After all exit-time code: the heap as the program leaves it.
         * Scanned by a child as a running program's is, while this thread
         * compresses what it sends: the two take turns on one core, or
         * overlap on two. In this thread when no child can be made. */
        drain_all(false);
        if (!w.failed) {
            if (!ht_config.snapshot_fork)
                ht_snapshot_write(HT_SNAP_EXIT);
            else if (ht_snapdrive_start(HT_SNAP_EXIT, true))
                ht_snapdrive_complete();
        }
    }
    ht_snapdrive_ending();
    pthread_mutex_unlock(&w.lock);
    ht_gc_flush(); /* GC allocations since the last collection */
    ht_rec_simple(HT_REC_END, 1, reason, 0);
    atomic_store(&ht_active, false);
    pthread_mutex_lock(&w.lock);
    if (!w.finished) {
        drain_all(true);
        w.finished = true;
        ht_snapdrive_stop();
        ht_sink_close(); /* waits until the log is whole on disk */
        w.open = false;
    }
    pthread_mutex_unlock(&w.lock);
    ht_guard--;
}

void ht_writer_atfork_prepare(void)
{
    ht_guard++;
    pthread_mutex_lock(&w.lock);
    /* The child inherits the live table: bring it up to this instant (the
     * child drops what is still in the rings; that belongs to our log). */
    if (w.open && !w.failed && !w.finished && atomic_load(&ht_active))
        drain_all(false);
}

void ht_writer_atfork_parent(void)
{
    pthread_mutex_unlock(&w.lock);
    ht_guard--;
}

/*
 * A fork child's heap starts as a copy of its parent's: its log starts by
 * announcing those blocks (ALLOC, fn INHERITED, with the stack that made
 * them), numbered afresh, so its replay and its snapshots see its whole heap.
 */
static void announce_inherited(void)
{
    size_t n = ht_live_count();
    struct ht_live_block *b = n ? ht_mem_alloc(n * sizeof *b) : NULL;
    n = b ? ht_live_export(b, n) : 0;
    ht_live_clear();
    for (size_t i = 0; i < n; i++) {
        uint32_t id = stack_id(b[i].stack, NULL, 0);
        uint8_t buf[2 * HT_VARINT_MAX];
        uint8_t *p = ht_put_uvarint(buf, b[i].size);
        p = ht_put_uvarint(p, id);
        put_record(HT_REC_ALLOC_BASE + HT_FN_INHERITED, buf, (size_t)(p - buf));
        ht_live_put(b[i].addr, ++w.blocks, b[i].size, b[i].stack);
    }
    ht_mem_free(b);
}

void ht_writer_atfork_child(void)
{
    pthread_mutex_init(&w.lock, NULL);
    ht_gc_atfork_child();
    ht_process_set_owner();
    ht_process_after_fork_child((uint64_t)__builtin_thread_pointer());
    ht_thread_after_fork_child();
    ht_sink_forget();
    w.open = false;
    ht_snapdrive_forked();
    ht_sink_note_first_thread();
    w.running = false;
    if (!atomic_load(&ht_active) || !ht_config.follow_fork || w.failed || w.finished) {
        atomic_store(&ht_active, false);
        ht_guard--;
        return;
    }
    if (!ht_writer_open(true)) {
        atomic_store(&ht_active, false);
        ht_guard--;
        return;
    }
    announce_inherited();
    if (ht_self) {
        ht_rec_thread_start(ht_self);
    }
    ht_rec_modules();
    ht_writer_start();
    ht_guard--;
}
