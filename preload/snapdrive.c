/* SPDX-License-Identifier: MIT */
/*
 * snapdrive.c - the running-snapshot driver: takes requests (API calls,
 * marks, a signal, the interval and snappolicy.c's schedule), starts a
 * snapshot from the writer thread by cloning a child that scans its copy
 * of the heap, and moves the child's records into the log as they come.
 *
 * Invariants:
 * - Everything but the request and the waiters' counters runs in the
 *   writer thread (or the thread finishing the log) under the writer's lock.
 * - One snapshot at a time: a request made while one is being scanned is
 *   taken when it is over.
 * - No snapshot starts once the program ends (ht_snapdrive_ending): END is
 *   on its way, and a snapshot's records must come before it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ht.h"
#include "snapring.h"
#include "varint.h"

static struct snapdrive {
    _Atomic unsigned request; /* 0, or 1 + enum ht_snapshot_reason */
    _Atomic uint64_t started; /* snapshots begun or given up: for waiters */
    _Atomic bool gone;        /* no snapshot will be taken any more */
    bool ending;              /* the program ends: no more running snapshots */
    /* the snapshot being scanned by a child (snapshot.c) */
    bool active;
    struct ht_snap_ring *ring; /* its records (snapring.h) */
    pid_t pid;                 /* waited for with WNOHANG: no descriptor */
    uint8_t *buf;              /* its frames, until complete */
    size_t len, cap;
    uint64_t pause_ns;         /* how long it held the program */
    uint64_t next_interval_ns; /* HEAPTRACE_SNAPSHOT_INTERVAL's next one */
} D;

void ht_snapshot_request(unsigned reason)
{
    atomic_store(&D.request, reason + 1);
    ht_writer_wake(); /* a futex syscall: safe in a signal handler */
}

void ht_snapshot_request_wait(unsigned reason, const uint64_t *caller_regs, uint64_t program_sp)
{
    struct ht_thread *self = ht_self;
    if (self) {
        self->has_caller_regs = caller_regs != NULL;
        if (caller_regs)
            memcpy(self->caller_regs, caller_regs, sizeof self->caller_regs);
        atomic_store(&self->program_sp, program_sp); /* publishes the registers */
    }
    uint64_t seen = atomic_load(&D.started);
    ht_snapshot_request(reason);
    /* One snapshot at a time: when one is still being scanned, this one
     * starts after it, and the caller waits that long. */
    const struct timespec nap = {0, 200 * 1000};
    uint64_t deadline = ht_mono_ns() + 10 * 1000 * 1000 * 1000ull;
    while (!atomic_load(&D.gone) && ht_mono_ns() < deadline &&
           (atomic_load(&D.request) != 0 || atomic_load(&D.started) == seen))
        nanosleep(&nap, NULL);
    if (self)
        atomic_store(&self->program_sp, 0);
}

/*
 * The writer drains, writes SNAPSHOT_BEGIN at that point of the log and
 * clones a child that scans its copy of the heap while the program goes on.
 * The child has exit signal 0: the program's own wait(-1) or SIGCHLD handler
 * never sees it (only __WCLONE waits do), so its behaviour is unchanged.
 * False when no child scans: the snapshot is then written empty, or, when
 * `fallback` (at exit), scanned in this thread instead.
 */
bool ht_snapdrive_start(unsigned reason, bool fallback)
{
    if (ht_sandboxed()) { /* a seccomp filter: no child, no tracer (sandbox.c) */
        atomic_fetch_add(&D.started, 1);
        return false;
    }
    ht_writer_drain(false);
    struct ht_snap_ring *ring = ht_enc_failed() ? NULL : ht_snap_ring_new();
    if (!ring) {
        ht_snap_ring_free(ring);
        atomic_fetch_add(&D.started, 1);
        if (fallback && !ht_enc_failed())
            ht_snapshot_write(reason);
        return false;
    }
    ht_snapshot_gather_roots();
    uint64_t t0 = ht_mono_ns();
    ht_snapshot_park_threads(); /* their registers, saved for the child's copy */
    /* What the threads did between the drain above and their parking must
     * be in the live table, or a block they just made and linked (the new
     * head of a chain) would be missing and cut the chain off from its
     * root. Only published events: a thread parked between taking a ticket
     * and publishing it would stall a full drain (its block is missed). */
    while (ht_writer_drain_published() > 0)
        ;
    ht_snapshot_begin(reason);
    long pid = syscall(SYS_clone, 0L, NULL, NULL, NULL, 0L);
    if (pid == 0) {
        ht_snapshot_child(ring);
        syscall(SYS_exit_group, HT_EXIT_OK);
    }
    if (pid < 0) {
        ht_snap_ring_free(ring);
        atomic_fetch_add(&D.started, 1);
        if (fallback) {
            ht_snapshot_scan_here(t0); /* releases the threads */
        } else {
            ht_snapshot_release_threads();
            ht_snapshot_end(ht_mono_ns() - t0, &(struct ht_snap_cost){0});
        }
        return false;
    }
    ht_snapshot_release_threads();
    atomic_fetch_add(&D.started, 1);
    D.pause_ns = ht_mono_ns() - t0;
    D.active = true;
    D.ring = ring;
    D.pid = (pid_t)pid;
    D.len = 0;
    return true;
}

/* Appends complete frames from the child; true when the snapshot is over. */
static bool snapshot_frames(void)
{
    size_t at = 0;
    bool done = false;
    while (D.len - at >= 2) {
        const uint8_t *p = D.buf + at + 1, *end = D.buf + D.len;
        uint64_t n;
        if (ht_get_uvarint(&p, end, &n) != 0 || (uint64_t)(end - p) < n)
            break; /* not complete yet */
        uint8_t tag = D.buf[at];
        if (tag == HT_SNAP_CHILD_DONE) {
            struct ht_snap_cost cost = {0};
            const uint8_t *q = p;
            ht_get_uvarint(&q, p + n, &cost.edges);
            ht_get_uvarint(&q, p + n, &cost.roots);
            ht_get_uvarint(&q, p + n, &cost.scan_ns);
            ht_get_uvarint(&q, p + n, &cost.scan_cpu_ns);
            ht_get_uvarint(&q, p + n, &cost.index_cpu_ns);
            ht_snapshot_end(D.pause_ns, &cost);
            ht_snap_policy_ended(D.pause_ns, cost.scan_ns);
            done = true;
        } else if (tag == HT_REC_SNAPSHOT_EDGES_DELTA || tag == HT_REC_SNAPSHOT_ROOTS ||
                   tag == HT_REC_SNAPSHOT_FRAMES) {
            ht_writer_put(tag, p, (size_t)n, false);
        }
        at = (size_t)(p + n - D.buf);
    }
    memmove(D.buf, D.buf + at, D.len - at);
    D.len -= at;
    return done;
}

static void snapshot_close(bool ended)
{
    if (!ended)
        ht_snapshot_end(D.pause_ns, &(struct ht_snap_cost){0}); /* the child died: empty */
    D.active = false;
    ht_snap_ring_free(D.ring);
    D.ring = NULL;
    int st;
    if (D.pid > 0)
        waitpid(D.pid, &st, __WCLONE);
    D.pid = 0;
}

/* Moves what the child wrote into the log; waits for it when `block`. */
static void snapshot_pump(bool block)
{
    /* 30 s, and more for a big heap (a few seconds per 10 M blocks). */
    uint64_t deadline = ht_mono_ns() + (30 + ht_live_count() / 1000000) * 1000000000ull;
    bool child_ended = false;
    while (D.active) {
        if (D.cap - D.len < 65536) {
            size_t ncap = D.cap ? D.cap * 2 : 1 << 20;
            uint8_t *g = ht_mem_realloc(D.buf, ncap);
            if (!g) {
                snapshot_close(false);
                return;
            }
            D.buf = g;
            D.cap = ncap;
        }
        size_t n = ht_snap_ring_read(D.ring, D.buf + D.len, D.cap - D.len);
        if (n) {
            D.len += n;
            if (snapshot_frames()) {
                snapshot_close(true);
                return;
            }
            continue;
        }
        if (child_ended) { /* and the ring is empty: it died before DONE */
            snapshot_close(false);
            return;
        }
        int st, err = errno;
        pid_t r = waitpid(D.pid, &st, __WCLONE | WNOHANG);
        errno = err;
        if (r == D.pid || (r < 0 && err != EINTR)) {
            D.pid = 0; /* reaped */
            child_ended = true; /* what it wrote before is still in the ring */
            continue;
        }
        if (!block)
            return;
        if (ht_mono_ns() > deadline) { /* a child stuck or far too slow: end it */
            kill(D.pid, SIGKILL);
            snapshot_close(false);
            return;
        }
        struct timespec nap = {0, 200 * 1000};
        nanosleep(&nap, NULL);
    }
}

void ht_snapdrive_tick(uint64_t now)
{
    /* Once the program ends, END is on its way: a snapshot started now
     * would drain it, then write its records after it. */
    if (D.ending)
        return;
    if (D.active) {
        snapshot_pump(false);
        return;
    }
    if (ht_config.snapshot_interval_ms) {
        if (!D.next_interval_ns)
            D.next_interval_ns = now + ht_config.snapshot_interval_ms * 1000000ull;
        else if (now >= D.next_interval_ns) {
            D.next_interval_ns = now + ht_config.snapshot_interval_ms * 1000000ull;
            atomic_store(&D.request, HT_SNAP_INTERVAL + 1);
        }
    }
    if (ht_snap_policy_tick(now))
        atomic_store(&D.request, HT_SNAP_INTERVAL + 1);
    unsigned req = atomic_exchange(&D.request, 0);
    if (req)
        ht_snapdrive_start(req - 1, false);
}

void ht_snapdrive_complete(void)
{
    if (D.active)
        snapshot_pump(true);
}

void ht_snapdrive_ending(void)
{
    D.ending = true;
}

void ht_snapdrive_stop(void)
{
    atomic_store(&D.gone, true);
}

void ht_snapdrive_forked(void)
{
    D.active = false; /* the parent's snapshot, not ours */
    D.ending = false;
    ht_snap_policy_forked();
    D.pid = 0;
    ht_snap_ring_forget(D.ring);
    D.ring = NULL;
}
