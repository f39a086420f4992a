/* SPDX-License-Identifier: MIT */
/*
 * logenc.c - record encoding: turns ring records into log records
 * (common/format.h), keeps the log's implicit state (time, thread, block
 * numbers, stack ids), compresses with zstd's streaming API and hands the
 * bytes to the sink.
 *
 * Invariants:
 * - Only the writer (or, when it is not running, the thread finishing the
 *   log) calls in here, always under the writer's lock.
 * - A complete zstd frame ends at least every HT_FRAME_NS, so a killed
 *   process leaves a log that reads back to within that time; every frame
 *   is followed by its check frame (framecheck.h).
 * - The encoder's own memory (zstd's workspace, tables, buffers) comes from
 *   ht_mem_* (mmap), never from the host's malloc.
 * - A write error prints one line, stops tracing, and never disturbs the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem, ZSTD_createCCtx_advanced */
#include <zstd.h>

#include "framecheck.h"
#include "ht.h"
#include "varint.h"

#define HT_FRAME_NS (190 * 1000 * 1000ull) /* end a zstd frame at least this often (issue: 200 ms) */
#define ENC_FLUSH (256 * 1024)              /* compress when this much is encoded */
/* Record times are kept on this grid: finer deltas are noise that costs ~1 byte
 * an event after compression, and nothing in the analysis needs them. */
#define HT_TIME_GRID_US 100

struct stack_entry {
    uint64_t hash;
    uint32_t id;
    uint32_t gen;
    uint32_t depth;
    uint64_t ips_at; /* index into E.ips */
};

static struct encoder {
    /* output: encoded bytes -> zstd -> the sink */
    ZSTD_CCtx *zc;
    uint8_t *enc;
    size_t enc_len, enc_cap;
    uint8_t *zout;
    size_t zout_cap;
    bool frame_has_data;
    uint64_t frame_start_ns;
    uint32_t frame_crc; /* of the current frame's compressed bytes (framecheck.h) */
    bool failed;        /* the log cannot be written: tracing stopped */

    /* encoding state (format.h "implicit state") */
    uint64_t start_ns, last_us;
    uint64_t blocks; /* heap blocks created so far in this log */
    uint32_t cur_thread;
    uint32_t next_stack_id, gen;
    uint64_t end_ticket; /* END recorded at this ticket: finish after it */

    /* stacks already defined in the log, by hash; their frames in ips */
    struct stack_entry *stacks;
    size_t stacks_cap, stacks_used;
    uint64_t *ips;
    size_t ips_len, ips_cap;
    uint8_t *modules_buf; /* a MODULES payload being encoded */

    /* time: tsc -> ns through a calibration pair refreshed while running */
    uint64_t tsc0, ns0;
    double ns_per_tick;
} E;

/* ---- time -------------------------------------------------------------- */

/* Writer thread: refreshes the tsc -> ns pair while the program runs. */
void ht_enc_calibrate(void)
{
#if defined(__x86_64__)
    uint64_t ns = ht_mono_ns(), tsc = ht_now_tsc();
    if (ns > E.ns0 + 50 * 1000 * 1000 && tsc > E.tsc0)
        E.ns_per_tick = (double)(ns - E.ns0) / (double)(tsc - E.tsc0);
#endif
}

static uint64_t tsc_to_ns(uint64_t tsc)
{
#if defined(__x86_64__)
    if (E.ns_per_tick == 0.0) { /* not calibrated yet: 1 ms since the log opened will do */
        uint64_t ns;
        while ((ns = ht_mono_ns()) < E.ns0 + 1000 * 1000)
            __builtin_ia32_pause();
        E.ns_per_tick = (double)(ns - E.ns0) / (double)(ht_now_tsc() - E.tsc0);
    }
    int64_t d = (int64_t)(tsc - E.tsc0);
    return (uint64_t)((int64_t)E.ns0 + (int64_t)((double)d * E.ns_per_tick));
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

void ht_enc_fail(const char *what, int err)
{
    if (E.failed)
        return;
    E.failed = true;
    atomic_store(&ht_active, false);
    ht_snapdrive_stop();
    char why[256];
    size_t n = ht_strlcpy(why, "': ", sizeof why);
    n += ht_strlcpy(why + n, what, sizeof why - n);
    ht_strlcpy(why + n, "; tracing stopped", sizeof why - n);
    ht_diag("heaptrace: cannot write '", ht_writer_log_path(), why);
    (void)err;
}

static void write_all(const uint8_t *p, size_t n)
{
    int err = 0;
    if (n && !E.failed && !ht_sink_write(p, n, &err))
        ht_enc_fail(ht_errname(err), err);
}

/* Compresses the encoded bytes; ends the frame when `end` is set. */
static void compress_out(bool end)
{
    if (E.failed)
        return;
    ZSTD_inBuffer in = {E.enc, E.enc_len, 0};
    ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
        ZSTD_outBuffer out = {E.zout, E.zout_cap, 0};
        size_t rem = ZSTD_compressStream2(E.zc, &out, &in, mode);
        if (ZSTD_isError(rem)) {
            ht_enc_fail(ZSTD_getErrorName(rem), 0);
            return;
        }
        E.frame_crc = ht_crc32(E.frame_crc, E.zout, out.pos);
        write_all(E.zout, out.pos);
        if (E.failed)
            return;
        if (end ? rem == 0 : in.pos == in.size)
            break;
    }
    E.enc_len = 0;
    if (end) { /* every frame is followed by its check (framecheck.h) */
        uint8_t check[HT_CHECK_FRAME_LEN];
        ht_check_frame(check, E.frame_crc);
        E.frame_crc = 0;
        write_all(check, sizeof check);
        E.frame_has_data = false;
        E.frame_start_ns = ht_mono_ns();
    } else if (!E.frame_has_data) {
        E.frame_has_data = true;
    }
}

static uint8_t *enc_room(size_t n)
{
    if (E.enc_len + n > E.enc_cap) {
        compress_out(false);
        if (n > E.enc_cap) {
            uint8_t *g = ht_mem_realloc(E.enc, n);
            if (!g) {
                ht_enc_fail("out of memory", ENOMEM);
                return NULL;
            }
            E.enc = g;
            E.enc_cap = n;
        }
    }
    return E.enc + E.enc_len;
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
    E.enc_len += (size_t)(p + n - start);
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
    uint64_t us = ns > E.start_ns ? (ns - E.start_ns) / 1000 : 0;
    us -= us % HT_TIME_GRID_US;
    if (us < E.last_us)
        us = E.last_us;
    uint8_t *p = enc_room(1 + 2 * HT_VARINT_MAX + n);
    if (!p)
        return;
    uint8_t dt[HT_VARINT_MAX];
    size_t dl = (size_t)(ht_put_uvarint(dt, us - E.last_us) - dt);
    E.last_us = us;
    uint8_t *start = p;
    *p++ = tag;
    p = ht_put_uvarint(p, dl + n);
    memcpy(p, dt, dl);
    memcpy(p + dl, payload, n);
    E.enc_len += (size_t)(p + dl + n - start);
}

/* ---- stacks ------------------------------------------------------------ */

static struct stack_entry *stack_slot(uint64_t hash)
{
    size_t mask = E.stacks_cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask)
        if (E.stacks[i].hash == hash || E.stacks[i].hash == 0)
            return &E.stacks[i];
}

static bool stacks_grow(void)
{
    size_t ncap = E.stacks_cap ? E.stacks_cap * 2 : 4096;
    struct stack_entry *old = E.stacks;
    size_t ocap = E.stacks_cap;
    E.stacks = ht_mem_alloc(ncap * sizeof *E.stacks);
    if (!E.stacks) {
        E.stacks = old;
        return false;
    }
    E.stacks_cap = ncap;
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
void ht_enc_modules(void)
{
    const size_t cap = 512 * 1024;
    if (!E.modules_buf && !(E.modules_buf = ht_mem_alloc(cap)))
        return;
    size_t len = ht_modules_encode_if_changed(E.modules_buf, cap);
    if (len)
        put_record(HT_REC_MODULES, E.modules_buf, len);
}

/* A new stack from a module the log has not described (loaded by libc
 * itself, or since the last poll): write the current map first. */
static void describe_modules_for(const uint64_t *ips, uint32_t n)
{
    uint32_t i = 0;
    while (i < n && ht_modules_covers(ips[i]))
        i++;
    if (i < n)
        ht_enc_modules();
}

static void emit_stack(struct stack_entry *e)
{
    uint8_t buf[HT_VARINT_MAX * (HT_MAX_STACK_DEPTH + 1)];
    describe_modules_for(E.ips + e->ips_at, e->depth);
    uint8_t *p = ht_put_uvarint(buf, e->depth);
    for (uint32_t i = 0; i < e->depth; i++)
        p = ht_put_uvarint(p, E.ips[e->ips_at + i]);
    put_record(HT_REC_STACK, buf, (size_t)(p - buf));
    e->id = ++E.next_stack_id;
    e->gen = E.gen;
}

/* The stack id for `hash`, defining it in the log first if needed. */
static uint32_t stack_id(uint64_t hash, const uint64_t *frames, uint32_t n)
{
    if (!hash)
        return 0;
    if ((E.stacks_used + 1) * 2 > E.stacks_cap && !stacks_grow())
        return 0;
    struct stack_entry *e = stack_slot(hash);
    if (!e->hash) {
        if (!frames)
            return 0; /* frames were lost with a dropped record */
        if (E.ips_len + n > E.ips_cap) {
            size_t ncap = (E.ips_cap ? E.ips_cap * 2 : 1 << 16) + n;
            uint64_t *g = ht_mem_realloc(E.ips, ncap * 8);
            if (!g)
                return 0;
            E.ips = g;
            E.ips_cap = ncap;
        }
        memcpy(E.ips + E.ips_len, frames, n * 8);
        e->hash = hash;
        e->depth = n;
        e->ips_at = E.ips_len;
        E.ips_len += n;
        E.stacks_used++;
        emit_stack(e);
    } else if (e->gen != E.gen) {
        emit_stack(e); /* defined in an earlier log (before fork): define again */
    }
    return e->id;
}

/* ---- records ----------------------------------------------------------- */

/* A handle as format.h's handle reference: a live block by age, else the
 * address. Handles are nearly always heap blocks (iconv_t, FILE *, DIR *). */
static uint64_t handle_ref(uint64_t handle)
{
    if (!handle)
        return 0;
    uint64_t block = ht_live_get(handle);
    return block ? (E.blocks - block) << 1 | 1 : handle << 1;
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
    if (!t->is_writer && t->index != E.cur_thread) {
        uint8_t b[HT_VARINT_MAX];
        E.cur_thread = t->index;
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
        uint64_t us = ns > E.start_ns ? (ns - E.start_ns) / 1000 : 0;
        us -= us % HT_TIME_GRID_US;
        if (us < E.last_us)
            us = E.last_us; /* clocks of two cores may disagree by a hair */
        uint64_t dt = us - E.last_us;
        E.last_us = us;
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
        E.enc_len += (size_t)(o + head + n - start);
        if (tag == HT_REC_END)
            E.end_ticket = ev->ticket;
        return;
    }
    if (tag >= HT_REC_ALLOC_BASE && tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_) {
        uint32_t id = stack_id(f[2], frames, ev->nframes);
        ht_live_put(f[0], ++E.blocks, f[1], id);
        p = ht_put_uvarint(p, f[1]);
        p = ht_put_uvarint(p, id);
    } else {
        switch (tag) {
        case HT_REC_FREE:
            p = ht_put_uvarint(p, E.blocks - freed);
            break;
        case HT_REC_REALLOC: {
            uint32_t id = stack_id(f[3], frames, ev->nframes);
            uint64_t old = f[0] ? ht_live_take(f[0]) : 0;
            if (old && ht_sample_every)
                ht_sample_forget(f[0]);
            p = ht_put_uvarint(p, old ? E.blocks - old + 1 : 0);
            p = ht_put_uvarint(p, f[1] ? 1 : 0);
            p = ht_put_uvarint(p, f[2]);
            p = ht_put_uvarint(p, id);
            if (f[1])
                ht_live_put(f[1], ++E.blocks, f[2], id);
            break;
        }
        case HT_REC_MMAP:   /* addr len prot flags, stack */
        case HT_REC_MREMAP: { /* old old_len new new_len, stack */
            if (tag == HT_REC_MMAP) /* the registry follows the log (mapreg.c) */
                ht_mapreg_mmap(f[0], f[1], f[2], f[3]);
            else
                ht_mapreg_mremap(f[0], f[1], f[2], f[3]);
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
            p = ht_put_uvarint(p, E.blocks - ignored);
            break;
        case HT_REC_OWNER_CLOSE:
            p = ht_put_uvarint(p, f[0]);
            p = ht_put_uvarint(p, handle_ref(f[1]));
            break;
        case HT_REC_MUNMAP:
            ht_mapreg_munmap(f[0], f[1]);
            /* fall through */
        case HT_REC_END:
            if (tag == HT_REC_END)
                E.end_ticket = ev->ticket;
            /* fall through */
        default: /* plain fields: OWNER_END/CLOSE, THREAD_EXIT, RSS, LOST, FORK, MUNMAP */
            for (unsigned i = 0; i < nf; i++)
                p = ht_put_uvarint(p, f[i]);
            break;
        }
    }
    put_record(tag, buf, (size_t)(p - buf));
}

/* One ring record into the log; true once END is written (nothing follows). */
bool ht_enc_event(struct ht_thread *t, struct ht_ev *ev)
{
    emit(t, ev);
    return E.end_ticket != 0;
}

static bool buffers_init(void)
{
    if (!E.zc) {
        ZSTD_customMem mem = {zmem_alloc, zmem_free, NULL};
        E.zc = ZSTD_createCCtx_advanced(mem);
        if (!E.zc)
            return false;
        ZSTD_CCtx_setParameter(E.zc, ZSTD_c_compressionLevel, (int)ht_config.zstd_level);
    } else {
        ZSTD_CCtx_reset(E.zc, ZSTD_reset_session_only);
    }
    if (!E.enc) {
        E.enc_cap = ENC_FLUSH * 2;
        E.enc = ht_mem_alloc(E.enc_cap);
        E.zout_cap = ZSTD_CStreamOutSize();
        E.zout = ht_mem_alloc(E.zout_cap);
    }
    return E.enc && E.zout;
}

/* ---- the log's life ---------------------------------------------------- */

bool ht_enc_reset(void)
{
    E.enc_len = 0;
    E.frame_has_data = false;
    E.frame_crc = 0;
    E.failed = false;
    E.end_ticket = 0;
    E.last_us = 0;
    E.blocks = 0;
    E.next_stack_id = 0; /* a new log numbers its stacks from 1 (older entries re-emit) */
    E.cur_thread = 0;
    E.gen++;
    return buffers_init();
}

void ht_enc_begin(void)
{
    E.start_ns = ht_mono_ns();
    E.ns0 = E.start_ns;
    E.tsc0 = ht_now_tsc();
    E.frame_start_ns = E.start_ns;
    uint8_t *p = enc_room(HT_MAGIC_LEN + HT_VARINT_MAX);
    memcpy(p, HT_MAGIC, HT_MAGIC_LEN);
    E.enc_len += HT_MAGIC_LEN + (size_t)(ht_put_uvarint(p + HT_MAGIC_LEN, HT_FORMAT_VERSION) -
                                        (p + HT_MAGIC_LEN));
}

void ht_enc_record(uint8_t tag, const uint8_t *payload, size_t n)
{
    put_record(tag, payload, n);
}

void ht_enc_tick(uint64_t now)
{
    if (E.enc_len >= ENC_FLUSH)
        compress_out(false);
    if ((E.frame_has_data || E.enc_len) && now - E.frame_start_ns >= HT_FRAME_NS)
        compress_out(true);
}

void ht_enc_end_frame(void)
{
    if (E.frame_has_data || E.enc_len)
        compress_out(true);
}

bool ht_enc_failed(void)
{
    return E.failed;
}

bool ht_enc_ended(void)
{
    return E.end_ticket != 0;
}

struct inherited {
    uint64_t *hash_of; /* the parent log's stack ids -> their hashes */
    uint32_t nids;
};

/* One inherited block: announced (its id is the next one), with its stack
 * defined again in this log. */
static void announce_block(void *arg, struct ht_live_block *b)
{
    const struct inherited *in = arg;
    b->stack = b->stack < in->nids ? stack_id(in->hash_of[b->stack], NULL, 0) : 0;
    uint8_t buf[2 * HT_VARINT_MAX];
    uint8_t *p = ht_put_uvarint(buf, b->size);
    p = ht_put_uvarint(p, b->stack);
    put_record(HT_REC_ALLOC_BASE + HT_FN_INHERITED, buf, (size_t)(p - buf));
}

/*
 * A fork child's heap starts as a copy of its parent's: its log starts by
 * announcing those blocks (ALLOC, fn INHERITED, with the stack that made
 * them), numbered afresh, so its replay and its snapshots see its whole heap.
 */
void ht_enc_inherited(void)
{
    /* The live table names stacks by the parent log's ids: the entries of
     * its generation still carry them (until stack_id defines them again). */
    struct inherited in = {NULL, 0};
    for (size_t i = 0; i < E.stacks_cap; i++)
        if (E.stacks[i].hash && E.stacks[i].gen == E.gen - 1 && E.stacks[i].id >= in.nids)
            in.nids = E.stacks[i].id + 1;
    in.hash_of = in.nids ? ht_mem_alloc(in.nids * sizeof *in.hash_of) : NULL;
    if (!in.hash_of)
        in.nids = 0; /* no memory: the blocks keep no stack */
    for (size_t i = 0; i < E.stacks_cap && in.hash_of; i++)
        if (E.stacks[i].hash && E.stacks[i].gen == E.gen - 1)
            in.hash_of[E.stacks[i].id] = E.stacks[i].hash;
    size_t n = ht_live_count();
    ht_live_renumber(E.blocks + 1, announce_block, &in);
    E.blocks += n;
    ht_mem_free(in.hash_of);
}
