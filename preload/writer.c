/* SPDX-License-Identifier: MIT */
/*
 * writer.c - the writer thread: drains every thread's ring in global ticket
 * order into the encoder (logenc.c), samples RSS, drives running snapshots
 * (snapdrive.c), and finishes the log at exit and in fork children.
 *
 * Invariants:
 * - Only the writer (or, when it is not running, the thread finishing the
 *   log) touches `w`, always under w.lock; fork's prepare handler takes the
 *   lock so a child inherits a consistent state.
 * - A record is written only when every smaller ticket is published: the
 *   round's bound X is ht_ticket read first, lowered to the ticket any thread
 *   still holds pending (see ht_ring_ticket).
 * - The writer's own memory comes from ht_mem_* (mmap), never from the
 *   host's malloc; its guard is held for life.
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
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ht.h"
#include "varint.h"

#define HT_RSS_NS (1000 * 1000 * 1000ull) /* RSS sample period */

struct cursor {
    struct ht_thread *t;
    uint64_t pos, head;
    struct ht_ev *ev; /* next record, or NULL */
};

static struct writer {
    pthread_mutex_t lock;
    bool open; /* the sink holds the log */
    bool finished, running;
    pthread_t thread;
    struct ht_thread *self; /* the writer's own ring (RSS, LOST) */

    struct cursor *cur;
    size_t cur_cap;

    uint64_t last_rss_ns;
    uint64_t next_gone_check_ns;
    _Atomic unsigned *nthreads; /* glibc's count of running threads (glibc_nthreads) */
    bool nthreads_looked;

    /* Set by any thread to wake the writer (a futex word). On a cache line
     * of its own: the writer's lock, taken every round, is not next to it. */
    _Alignas(64) _Atomic uint32_t wake_word;
} w = {.lock = PTHREAD_MUTEX_INITIALIZER};

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
        bool ended = ht_enc_event(c->t, c->ev);
        written++;
        c->pos += c->ev->len;
        c->ev = cursor_peek(c);
        if ((written & 255) == 0 || !c->ev || c->ev->ticket >= bound)
            atomic_store_explicit(&c->t->tail, c->pos, memory_order_release);
        if (!c->ev || c->ev->ticket >= bound)
            w.cur[best] = w.cur[--n];
        if (ended)
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
    while (!ht_enc_ended() && !ht_enc_failed()) {
        size_t n = drain_round();
        if (n == 0 && publish_bound() >= target)
            break;
        if (n == 0) {
            if (ht_mono_ns() > deadline)
                break;
            sched_yield();
        }
    }
    if (end_frame || ht_enc_ended())
        ht_enc_end_frame();
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

/* ---- the thread -------------------------------------------------------- */

void ht_writer_wake(void)
{
    if (atomic_exchange(&w.wake_word, 1) == 0)
        syscall(SYS_futex, &w.wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void writer_sleep(void)
{
    struct timespec to = {0, 2 * 1000 * 1000};
    if (atomic_exchange(&w.wake_word, 0) == 0)
        syscall(SYS_futex, &w.wake_word, FUTEX_WAIT_PRIVATE, 0, &to, NULL, 0);
    atomic_store(&w.wake_word, 0);
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
        if (w.finished || ht_enc_failed()) {
            pthread_mutex_unlock(&w.lock);
            break;
        }
        uint64_t now = ht_mono_ns();
        if (program_gone(now, &status)) {
            pthread_mutex_unlock(&w.lock);
            finish_for_gone_program();
            break;
        }
        ht_enc_calibrate();
        collect_lost();
        sample_rss(now);
        ht_enc_modules();
        ht_snapdrive_tick(now);
        size_t n = 0, got;
        while ((got = drain_round()) > 0 && !ht_enc_ended())
            n += got;
        ht_enc_tick(now);
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
    if (!w.nthreads_looked) {
        w.nthreads_looked = true;
        w.nthreads = ht_real_next("__nptl_nthreads"); /* GLIBC_PRIVATE; NULL elsewhere */
    }
    return w.nthreads;
}

void ht_writer_start(void)
{
    if (w.running || !w.open || ht_enc_failed())
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

/* ---- open, flush, finish, fork ----------------------------------------- */

bool ht_writer_open(bool is_fork_child)
{
    w.finished = w.running = false;
    w.last_rss_ns = 0;
    w.next_gone_check_ns = 0;
    if (!ht_enc_reset()) {
        ht_diag("heaptrace: out of memory for the log writer; tracing stopped", "", "");
        return false;
    }
    w.open = ht_logopen(is_fork_child);
    return w.open;
}

void ht_writer_flush(void)
{
    if (!w.open || ht_enc_failed() || !atomic_load(&ht_active))
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
        if (!ht_enc_failed()) {
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
    if (w.open && !ht_enc_failed() && !w.finished && atomic_load(&ht_active))
        drain_all(false);
}

void ht_writer_atfork_parent(void)
{
    pthread_mutex_unlock(&w.lock);
    ht_guard--;
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
    if (!atomic_load(&ht_active) || !ht_config.follow_fork || ht_enc_failed() || w.finished) {
        atomic_store(&ht_active, false);
        ht_guard--;
        return;
    }
    if (!ht_writer_open(true)) {
        atomic_store(&ht_active, false);
        ht_guard--;
        return;
    }
    ht_enc_inherited();
    if (ht_self) {
        ht_rec_thread_start(ht_self);
    }
    ht_rec_modules();
    ht_writer_start();
    ht_guard--;
}
