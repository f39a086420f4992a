/* SPDX-License-Identifier: MIT */
/*
 * thread.c - per-thread state: registration, the event ring, exit, reuse.
 *
 * Each thread owns one struct ht_thread (mmap'd, never the host's malloc) with
 * a single-producer ring that only the writer thread consumes. States live in
 * a push-only list and are never unmapped: an exited thread's state is
 * retired by the writer once its ring is drained and its tid is gone, and is
 * then reused by the next new thread.
 *
 * Global order: a record's position in the log is its ticket, a fetch-add on
 * ht_ticket. `pending` tells the writer which tickets are taken but not yet
 * published (see ht_ring_ticket), so it never writes a later ticket first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ht.h"

struct ht_ticket_line ht_ticket = {1};
struct ht_thread *_Atomic ht_threads;
__thread struct ht_thread *ht_self __attribute__((tls_model("initial-exec")));
__thread int ht_guard __attribute__((tls_model("initial-exec")));
__thread int ht_bookkeeping __attribute__((tls_model("initial-exec")));
__thread int ht_errno __attribute__((tls_model("initial-exec")));

static struct thread_state {
    pthread_key_t exit_key;       /* its destructor sees a thread end */
    _Atomic uint32_t next_index;  /* the next thread's index in the log */
} thr;

/* ---- registration ------------------------------------------------------ */

static void on_thread_exit(void *arg)
{
    struct ht_thread *t = arg;
    if (!t || t->is_writer)
        return;
    ht_guard++;
    if (atomic_load(&ht_active))
        ht_rec_simple(HT_REC_THREAD_EXIT, 1, t->index, 0);
    atomic_store(&t->state, HT_TS_EXITED);
    ht_guard--;
    /* ht_self stays set: frees done later by this thread's own teardown still
     * land in this ring, which the writer keeps until the tid is gone. */
}

void ht_thread_init_key(void)
{
    pthread_key_create(&thr.exit_key, on_thread_exit);
}

static struct ht_thread *reuse_free_state(void)
{
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        int expected = HT_TS_FREE;
        if (atomic_load(&t->state) == HT_TS_FREE &&
            atomic_compare_exchange_strong(&t->state, &expected, HT_TS_LIVE)) {
            return t;
        }
    }
    return NULL;
}

static struct ht_thread *new_state(void)
{
    struct ht_thread *t = ht_mem_alloc(sizeof *t);
    if (!t)
        return NULL;
    t->cap = (uint64_t)ht_config.ring_kib * 1024;
    t->cap = 1ull << (63 - __builtin_clzll(t->cap)); /* power of two */
    t->buf = ht_sys_mmap(t->cap);
    if (!t->buf) {
        ht_mem_free(t);
        return NULL;
    }
    atomic_store(&t->state, HT_TS_LIVE);
    struct ht_thread *head = atomic_load(&ht_threads);
    do
        t->next = head;
    while (!atomic_compare_exchange_weak(&ht_threads, &head, t));
    return t;
}

struct ht_thread *ht_thread_register(bool is_writer)
{
    struct ht_thread *t = reuse_free_state();
    if (!t)
        t = new_state();
    if (!t)
        return NULL;
    t->index = atomic_fetch_add(&thr.next_index, 1);
    t->tid = (pid_t)syscall(SYS_gettid);
    t->is_writer = is_writer;
    t->owner_depth = 0;
    ht_self = t;
    if (!is_writer) {
        pthread_setspecific(thr.exit_key, t);
        ht_rec_thread_start(t);
    }
    return t;
}

struct ht_thread *ht_thread_get(void)
{
    struct ht_thread *t = ht_self;
    if (HT_LIKELY(t))
        return t;
    return ht_thread_register(false);
}

void ht_thread_after_fork_child(void)
{
    atomic_store(&thr.next_index, 0);
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        /* Whatever the parent had buffered is the parent's to write. */
        atomic_store(&t->tail, atomic_load(&t->head));
        atomic_store(&t->pending, 0);
        if (t != ht_self)
            atomic_store(&t->state, HT_TS_FREE);
    }
    struct ht_thread *self = ht_self;
    if (self) {
        /* Stacks this thread sent may have died in the discarded ring: the
         * child's writer must be sent every stack in full again. */
        memset(self->stack_cache, 0, sizeof self->stack_cache);
        self->index = atomic_fetch_add(&thr.next_index, 1);
        self->tid = (pid_t)syscall(SYS_gettid);
    }
}

void ht_thread_reap(void)
{
    pid_t pid = getpid();
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        if (atomic_load(&t->state) != HT_TS_EXITED)
            continue;
        if (atomic_load(&t->tail) != atomic_load(&t->head) || atomic_load(&t->pending))
            continue;
        if (syscall(SYS_tgkill, pid, t->tid, 0) == 0 || errno != ESRCH)
            continue;
        atomic_store(&t->state, HT_TS_FREE);
    }
}

/* ---- the ring ---------------------------------------------------------- */

static uint64_t ring_free_bytes(struct ht_thread *t, uint64_t head)
{
    return t->cap - (head - atomic_load_explicit(&t->tail, memory_order_acquire));
}

/* The ring stayed full: wait for the writer, a bounded time. */
static HT_COLD bool ring_wait(struct ht_thread *t, uint64_t head, uint64_t need)
{
    struct timespec nap = {0, 50 * 1000};
    for (int i = 0; i < 2000; i++) { /* about 100 ms at most */
        ht_writer_wake();
        if (i < 20)
            sched_yield();
        else
            nanosleep(&nap, NULL);
        if (ring_free_bytes(t, head) >= need)
            return true;
        if (!atomic_load(&ht_active))
            return false;
    }
    return false;
}

struct ht_ev *ht_ring_reserve(struct ht_thread *t, size_t len)
{
    len = (len + 7) & ~(size_t)7;
    if (HT_UNLIKELY(len > t->cap / 4))
        return NULL;
    uint64_t head = atomic_load_explicit(&t->head, memory_order_relaxed);
    uint64_t pos = head & (t->cap - 1);
    uint64_t to_end = t->cap - pos;
    uint64_t need = len + (to_end < len ? to_end : 0);
    uint64_t avail = ring_free_bytes(t, head);
    if (HT_UNLIKELY(avail < need) && !ring_wait(t, head, need))
        return NULL;
    if (HT_UNLIKELY(avail - need < t->cap / 2 && avail >= t->cap / 2))
        ht_writer_wake(); /* crossing half full: don't let the writer sleep */
    if (to_end < len) {
        struct ht_ev *pad = (struct ht_ev *)(t->buf + pos);
        pad->len = (uint32_t)to_end;
        pad->tag = HT_EV_PAD;
        head += to_end;
        pos = 0;
    }
    struct ht_ev *ev = (struct ht_ev *)(t->buf + pos);
    ev->len = (uint32_t)len;
    ev->nframes = 0;
    ev->flags = 0;
    t->resv_head = head + len;
    return ev;
}

void ht_ring_ticket(struct ht_thread *t, struct ht_ev *ev)
{
    /* pending must be visible before the ticket exists: a writer that read
     * ht_ticket and then sees pending == 0 knows every smaller ticket of this
     * thread is published. On x86 a locked RMW drains the store buffer, so a
     * plain store before it is enough and saves an xchg on every event. */
#if defined(__x86_64__) || defined(__i386__)
    atomic_store_explicit(&t->pending, HT_TAKING, memory_order_relaxed);
#else
    atomic_store(&t->pending, HT_TAKING);
#endif
    uint64_t ticket = atomic_fetch_add(&ht_ticket.next, 1);
    atomic_store_explicit(&t->pending, ticket, memory_order_release);
    ev->ticket = ticket;
    ev->tsc = ht_now_tsc();
}

void ht_ring_publish(struct ht_thread *t, struct ht_ev *ev)
{
    (void)ev;
    atomic_store_explicit(&t->head, t->resv_head, memory_order_release);
    atomic_store_explicit(&t->pending, 0, memory_order_release);
}

void ht_ring_commit(struct ht_thread *t, struct ht_ev *ev)
{
    ht_ring_ticket(t, ev);
    ht_ring_publish(t, ev);
}
