/* SPDX-License-Identifier: MIT */
/*
 * record.c - turning one intercepted call into one ring record.
 *
 * Called from the interposers with ht_guard held. A record carries the raw
 * fields and, the first time this thread sees a stack, its frames; after
 * that only the stack's 64-bit hash (the writer maps hashes to stack ids).
 * Nothing here allocates or locks; libunwind's caches are its own mmap'd pools.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ht.h"
#include "varint.h"

_Atomic bool ht_active;

/* ---- stacks ------------------------------------------------------------ */

/* Four independent multiply-xorshift lanes: the hash runs on every allocation
 * and one serial chain costs ~5 cycles a frame. Collisions would merge two
 * stacks, so it stays a full-strength 64-bit mix. */
static inline uint64_t lane_mix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 29);
}

uint64_t ht_stack_hash(const uint64_t *ips, size_t n)
{
    uint64_t a = 0x9e3779b97f4a7c15ull ^ n, b = 0xc2b2ae3d27d4eb4full, c = 0x165667b19e3779f9ull,
             d = 0x27d4eb2f165667c5ull;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        a = lane_mix(a, ips[i]);
        b = lane_mix(b, ips[i + 1]);
        c = lane_mix(c, ips[i + 2]);
        d = lane_mix(d, ips[i + 3]);
    }
    for (; i < n; i++)
        a = lane_mix(a, ips[i]);
    uint64_t h = lane_mix(lane_mix(a, b), lane_mix(c, d) + 0x9e3779b97f4a7c15ull);
    return h ? h : 1; /* 0 means "no stack" */
}

/*
 * Reserves a record with `nf` fields plus the caller's stack; fills in the
 * stack hash as field `nf - 1`. Returns NULL (and counts a lost event) when
 * the ring stays full.
 */
static struct ht_ev *reserve_with_stack(struct ht_thread *t, uint8_t tag, unsigned nf,
                                        uint64_t *hash_out)
{
    uint64_t *ips = t->ips; /* not on the stack: a handler's may be a small sigaltstack */
    size_t n = ht_stack_capture(ips, ht_config.depth);
    uint64_t h = ht_stack_hash(ips, n);
    uint64_t *slot = &t->stack_cache[h & (HT_STACK_CACHE - 1)];
    bool cached = *slot == h;
    size_t len = sizeof(struct ht_ev) + nf * 8 + (cached ? 0 : n * 8);
    struct ht_ev *ev = ht_ring_reserve(t, len);
    if (HT_UNLIKELY(!ev)) {
        atomic_fetch_add_explicit(&t->lost, 1, memory_order_relaxed);
        return NULL;
    }
    ev->tag = tag;
    ev->flags = (uint8_t)nf;
    ev->f[nf - 1] = h;
    if (!cached) {
        ev->nframes = (uint16_t)n;
        memcpy(&ev->f[nf], ips, n * 8);
        *slot = h; /* the record cannot be lost any more: it is reserved */
    }
    *hash_out = h;
    return ev;
}

void ht_rec_alloc(unsigned fn, void *p, size_t size)
{
    struct ht_thread *t = ht_thread_get();
    uint64_t h;
    if (HT_UNLIKELY(!t))
        return;
    struct ht_ev *ev = reserve_with_stack(t, (uint8_t)(HT_REC_ALLOC_BASE + fn), 3, &h);
    if (HT_UNLIKELY(!ev))
        return;
    ev->f[0] = (uint64_t)p;
    ev->f[1] = size;
    ht_ring_commit(t, ev);
}

void ht_rec_free(void *p)
{
    struct ht_thread *t = ht_thread_get();
    if (HT_UNLIKELY(!t))
        return;
    struct ht_ev *ev = ht_ring_reserve(t, sizeof *ev + 8);
    if (HT_UNLIKELY(!ev)) {
        atomic_fetch_add_explicit(&t->lost, 1, memory_order_relaxed);
        return;
    }
    ev->tag = HT_REC_FREE;
    ev->flags = 1;
    ev->f[0] = (uint64_t)p;
    ht_ring_commit(t, ev);
}

/*
 * realloc: the record takes its ticket before the real call (so the old block
 * is freed in the log before anyone can be seen reusing it) and is published
 * after it. The caller passes the old pointer; ht_rec_realloc_end fills in the
 * result. Between the two, the thread holds its ticket "pending".
 */
struct ht_ev *ht_rec_realloc_begin(struct ht_thread *t, void *old, size_t size)
{
    uint64_t h;
    struct ht_ev *ev = reserve_with_stack(t, HT_REC_REALLOC, 4, &h);
    if (HT_UNLIKELY(!ev))
        return NULL;
    ev->f[0] = (uint64_t)old;
    ev->f[2] = size;
    ht_ring_ticket(t, ev);
    return ev;
}

void ht_rec_realloc_end(struct ht_thread *t, struct ht_ev *ev, void *result, bool failed)
{
    if (failed)
        ev->tag = HT_EV_NOTHING; /* a failed realloc changes nothing */
    ev->f[1] = (uint64_t)result;
    ht_ring_publish(t, ev);
}

/* MMAP and MREMAP: four plain fields and a stack. */
static void rec_four_with_stack(uint8_t tag, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    struct ht_thread *t = ht_thread_get();
    uint64_t h;
    if (HT_UNLIKELY(!t))
        return;
    struct ht_ev *ev = reserve_with_stack(t, tag, 5, &h);
    if (HT_UNLIKELY(!ev))
        return;
    ev->f[0] = a;
    ev->f[1] = b;
    ev->f[2] = c;
    ev->f[3] = d;
    ht_ring_commit(t, ev);
}

void ht_rec_mmap(void *p, size_t len, int prot, int flags)
{
    rec_four_with_stack(HT_REC_MMAP, (uint64_t)p, len, (uint64_t)(unsigned)prot,
                        (uint64_t)(unsigned)flags);
}

void ht_rec_mremap(void *old, size_t old_len, void *p, size_t len)
{
    rec_four_with_stack(HT_REC_MREMAP, (uint64_t)old, old_len, (uint64_t)p, len);
}

void ht_rec_owner_begin(unsigned kind)
{
    struct ht_thread *t = ht_thread_get();
    uint64_t h;
    if (HT_UNLIKELY(!t))
        return;
    struct ht_ev *ev = reserve_with_stack(t, HT_REC_OWNER_BEGIN, 2, &h);
    if (HT_UNLIKELY(!ev))
        return;
    ev->f[0] = kind;
    ht_ring_commit(t, ev);
}

/* `nf` plain fields and the caller's stack (GC records: the writer turns the
 * last field, the stack hash, into a stack id). Returns the hash, or 0. */
uint64_t ht_rec_fields_stack(uint8_t tag, unsigned nf, const uint64_t *fields)
{
    struct ht_thread *t = ht_thread_get();
    uint64_t h;
    if (HT_UNLIKELY(!t))
        return 0;
    struct ht_ev *ev = reserve_with_stack(t, tag, nf + 1, &h);
    if (HT_UNLIKELY(!ev))
        return 0;
    for (unsigned i = 0; i < nf; i++)
        ev->f[i] = fields[i];
    ht_ring_commit(t, ev);
    return h;
}

/* A record of up to 3 plain fields, no stack. */
void ht_rec_simple(uint8_t tag, int nf, uint64_t a, uint64_t b)
{
    struct ht_thread *t = ht_thread_get();
    if (HT_UNLIKELY(!t))
        return;
    struct ht_ev *ev = ht_ring_reserve(t, sizeof *ev + (size_t)nf * 8);
    if (HT_UNLIKELY(!ev)) {
        atomic_fetch_add_explicit(&t->lost, 1, memory_order_relaxed);
        return;
    }
    ev->tag = tag;
    ev->flags = (uint8_t)nf;
    if (nf > 0)
        ev->f[0] = a;
    if (nf > 1)
        ev->f[1] = b;
    ht_ring_commit(t, ev);
}

/* A record whose payload (after dt, if the tag has one) is pre-encoded. */
void ht_rec_raw(uint8_t tag, const void *bytes, size_t n)
{
    struct ht_thread *t = ht_thread_get();
    if (HT_UNLIKELY(!t))
        return;
    struct ht_ev *ev = ht_ring_reserve(t, sizeof *ev + 8 + n);
    if (HT_UNLIKELY(!ev)) {
        atomic_fetch_add_explicit(&t->lost, 1, memory_order_relaxed);
        return;
    }
    ev->tag = tag;
    ev->flags = 1 | HT_EV_RAW;
    ev->f[0] = n;
    memcpy(&ev->f[1], bytes, n);
    ht_ring_commit(t, ev);
}

/* ---- threads ----------------------------------------------------------- */

struct find_range {
    uint64_t addr, lo, hi;
};

static bool contains(void *arg, uint64_t lo, uint64_t hi, bool readable, bool writable)
{
    struct find_range *f = arg;
    (void)readable;
    (void)writable;
    if (f->addr < lo || f->addr >= hi)
        return true;
    f->lo = lo;
    f->hi = hi;
    return false;
}

/* The mapping that contains `addr` (a thread's stack), or 0, 0. */
static void stack_range(uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    struct find_range f = {addr, 0, 0};
    ht_maps_each(contains, &f);
    *lo = f.lo;
    *hi = f.hi;
}

void ht_rec_thread_start(struct ht_thread *t)
{
    uint8_t buf[64 + 16];
    char name[17] = {0};
    uint64_t lo, hi;
    prctl(PR_GET_NAME, name, 0, 0, 0);
    stack_range((uint64_t)__builtin_frame_address(0), &lo, &hi);
    t->stack_lo = lo;
    t->stack_hi = hi; /* lets the unwinder check frame pointers it follows */
    t->tp = (uint64_t)__builtin_thread_pointer();
    uint8_t *p = buf;
    p = ht_put_uvarint(p, t->index);
    p = ht_put_uvarint(p, (uint64_t)t->tid);
    p = ht_put_uvarint(p, lo);
    p = ht_put_uvarint(p, hi);
    size_t n = strnlen(name, 16);
    p = ht_put_uvarint(p, n);
    memcpy(p, name, n);
    ht_rec_raw(HT_REC_THREAD_START, buf, (size_t)(p + n - buf));
}

void ht_rec_thread_name(uint32_t index, const char *name)
{
    uint8_t buf[16 + 256];
    uint8_t *p = ht_put_uvarint(buf, index);
    size_t n = strnlen(name, 255);
    p = ht_put_uvarint(p, n);
    memcpy(p, name, n);
    ht_rec_raw(HT_REC_THREAD_NAME, buf, (size_t)(p + n - buf));
}

/* ---- modules ----------------------------------------------------------- */

#define MODULES_BUF (512 * 1024)
static struct record_state {
    _Atomic int modules_lock;
    uint8_t *_Atomic modules_buf; /* a MODULES payload, MODULES_BUF, mapped on first use */
} rec;

void ht_rec_modules(void)
{
    uint8_t *buf = HT_MEM_ONCE(&rec.modules_buf, MODULES_BUF);
    if (!buf)
        return;
    while (atomic_exchange(&rec.modules_lock, 1))
        ;
    size_t n = ht_modules_encode(buf, MODULES_BUF);
    if (n)
        ht_rec_raw(HT_REC_MODULES, buf, n);
    atomic_store(&rec.modules_lock, 0);
}
