/* SPDX-License-Identifier: MIT */
/*
 * snappolicy.c - when heaptrace takes snapshots of the running program by
 * itself (HEAPTRACE_SNAPSHOT_EVERY_MARKS and HEAPTRACE_SNAPSHOT_INTERVAL
 * both unset, or "auto"). Only the policy: the writer (writer.c) takes them.
 *
 * A program that calls heaptrace_mark: snapshot k is due at mark
 *     256 (2^L - 1) + (k mod 4 + 1) 64 2^L,   L = k / 4,
 * that is at marks 64, 128, 192, 256, then every 128 up to 768, every 256
 * up to 1792...: four per doubling of the spacing, about 4 log2(N / 32)
 * over N marks (14 for 4,000, 19 for 10,000, 54 for a million).
 * A program without marks: at 0.1, 0.2, 0.3, 0.4 s, then every 0.2 s up to
 * 1.2 s, every 0.4 s up to 2.8 s...: the same shape in time (about 27
 * snapshots in a minute); none once a mark is seen (the marks' schedule
 * takes over). Only in the process heaptrace started: not in its forked
 * children nor in the programs they exec (a build's compilers, a shell's
 * subshells), whose snapshots would mostly catch them on their way out.
 * Either way the cost is bounded: the program is held for at most about 5%
 * of its run (an automatic snapshot waits 19 times the previous one's pause
 * after it), and the child that scans a copy of the heap beside it uses at
 * most about a quarter of a core (3 times its scan's wall time). A due
 * snapshot that must wait is taken at the first mark or tick after, and
 * the ones it passed are skipped.
 */
#include <stdatomic.h>

#include "ht.h"

#define MARKS_FIRST 64            /* the first spacing, in marks */
#define TIME_FIRST_NS 100000000ull /* the first spacing in time: 0.1 s */
#define PER_LEVEL 4               /* snapshots per spacing before it doubles */
#define PAUSE_FACTOR 19 /* wait 19x the program's pause: it loses <= 5% of its run */
#define SCAN_FACTOR 3   /* and 3x the scan: the scanning child uses <= 25% of a core */

static struct {
    _Atomic unsigned long mark_k;  /* the next mark snapshot's index */
    _Atomic bool marks_seen;
    _Atomic uint64_t not_before_ns; /* the cost bound */
    uint64_t start_ns;             /* writer thread only: the time schedule's origin */
    unsigned long time_k;          /* writer thread only */
} pol;

/* Snapshot k's position in units of the first spacing (see above). */
static unsigned long long schedule(unsigned long k)
{
    unsigned level = (unsigned)(k / PER_LEVEL);
    if (level > 40)
        return ~0ull;
    unsigned long long step = 1ull << level;
    return PER_LEVEL * (step - 1) + (k % PER_LEVEL + 1) * step;
}

static bool cost_allows(void)
{
    return ht_mono_ns() >= atomic_load(&pol.not_before_ns);
}

bool ht_snap_policy_mark(unsigned long mark)
{
    atomic_store_explicit(&pol.marks_seen, true, memory_order_relaxed);
    if (!ht_config.snapshot_marks_auto)
        return false;
    unsigned long k = atomic_load(&pol.mark_k);
    if (mark < schedule(k) * MARKS_FIRST || !cost_allows())
        return false;
    unsigned long next = k + 1; /* skip what a late one passed */
    while (schedule(next) * MARKS_FIRST <= mark)
        next++;
    /* one thread wins each snapshot */
    return atomic_compare_exchange_strong(&pol.mark_k, &k, next);
}

bool ht_snap_policy_tick(uint64_t now)
{
    if (!ht_config.snapshot_time_auto || atomic_load(&pol.marks_seen))
        return false;
    if (!pol.start_ns)
        pol.start_ns = now;
    uint64_t since = now - pol.start_ns;
    if (since < schedule(pol.time_k) * TIME_FIRST_NS || !cost_allows())
        return false;
    while (schedule(pol.time_k) * TIME_FIRST_NS <= since)
        pol.time_k++;
    return true;
}

void ht_snap_policy_forked(void)
{
    /* the child's own schedule: marks from its own count on, and no
     * time-spaced snapshots (a forked shell that execs soon after would
     * have one in flight) */
    atomic_store(&pol.mark_k, 0);
    atomic_store(&pol.not_before_ns, 0);
    pol.start_ns = 0;
    pol.time_k = 0;
    ht_config.snapshot_time_auto = false;
}

void ht_snap_policy_ended(uint64_t pause_ns, uint64_t scan_ns)
{
    uint64_t wait = PAUSE_FACTOR * pause_ns, scan_wait = SCAN_FACTOR * scan_ns;
    atomic_store(&pol.not_before_ns, ht_mono_ns() + (wait > scan_wait ? wait : scan_wait));
}
