/* SPDX-License-Identifier: MIT */
/*
 * growth.h - leak-growth detection: per-site, per-function and per-owner
 * series of live bytes at sample points, and a robust trend test on each.
 *
 * Recording (during the replay): a growth_recorder listens to the replay and takes
 * two sets of samples, one at the program's marks (x = mark number) and one
 * on a time grid (x = seconds); analysis uses the marks when the log has at
 * least GROWTH_MIN_MARKS of them, the time grid otherwise. Each set keeps at
 * most GROWTH_MAX_SAMPLES points: when full, every other point is dropped
 * and the stride (marks) or interval (time) doubles, so points stay evenly
 * spaced. A sample stores the GROWTH_TOP_SITES sites with the most live bytes
 * (all of them when fewer are live) and every owner group, so memory is
 * O(samples * GROWTH_TOP_SITES) whatever the program.
 *
 * Detection (growth_detect, per series): the first `warmup` fraction of the
 * points is ignored; then a finding needs all of
 *   - a Mann-Kendall increasing trend, one-sided p < GROWTH_ALPHA (ties corrected),
 *   - a Theil-Sen slope whose 95% confidence interval lies above 0,
 *   - a last third that still grows (its own Theil-Sen slope >= 1/4 of the
 *     whole slope): a cache that fills and then plateaus is not growth,
 *   - a gain (median of the last tenth - median of the first tenth) of at
 *     least GROWTH_MIN_GAIN bytes, of at least 40% of what the slope predicts
 *     over the span, a lower envelope (minimum of the last third - minimum
 *     of the first) rising at least 1/4 of that (a sawtooth whose troughs
 *     stay put is not growth: thirds hold a trough of any sawtooth with
 *     three teeth or more after the warm-up), an upper envelope (maximum)
 *     rising as much (a bounded queue, empty while its consumer keeps up and
 *     full when it falls behind, raises its troughs but reached its
 *     high-water mark early), and
 *     of at least 25% of the starting level (a bounded, slowly wandering
 *     level such as an LRU of random-sized entries is not growth; the price:
 *     a slow leak inside a site that already holds 4x more goes unflagged).
 * Steps (growth every Nth request) pass all of these.
 *
 * Everything is deterministic for a given log: no randomness, stable sorts.
 */
#ifndef HT_GROWTH_H
#define HT_GROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "findings.h"
#include "model.h"
#include "replay.h"

#define GROWTH_MAX_SAMPLES 256
#define GROWTH_TOP_SITES 512
#define GROWTH_MIN_MARKS 8
#define GROWTH_ALPHA 0.001
#define GROWTH_MIN_GAIN 4096.0

struct suppressions;

struct growth_opts {
    double warmup;                   /* fraction of the points ignored; default 0.2 */
    bool ignore_startup;             /* blocks live at the first mark do not count */
    const struct suppressions *supp; /* sites to ignore, or NULL */
};

/* ------------------------------------------------------------- detection */

/* growth_detect, on the statistics of stats.h. */

struct growth_verdict {
    bool growing;
    bool plateau;      /* rose, then the last third stopped */
    double slope;      /* Theil-Sen, bytes per x unit */
    double slope_lo, slope_hi;
    double p;          /* Mann-Kendall one-sided p */
    double gained;     /* median of the last tenth - median of the first tenth */
    size_t first;      /* index of the first point after the warm-up */
};

/* Applies the rules above to y over x (n points). Cannot fail. */
void growth_detect(const double *x, const double *y, size_t n, double warmup,
                   struct growth_verdict *v);
/* The same with another least gain than GROWTH_MIN_GAIN bytes: for series
 * of counts (dead table entries, chain lengths). */
void growth_detect_gain(const double *x, const double *y, size_t n, double warmup,
                        double min_gain, struct growth_verdict *v);

/* ------------------------------------------------------- finding rules */

/* The findings (struct growth_result and its parts) are in findings.h;
 * these are the rules behind its kept and block evidence. */

/*
 * Kept blocks (growth_kept, per site): the site's blocks created after the
 * warm-up, still live at the last point and older than any block the site
 * ever freed ("none freed that old"). The positions are x units (marks or
 * seconds, interpolated from block ids between sample points); an "event"
 * is a sample interval in which at least one of them was created.
 *
 * Null model (a steady site): blocks that are never freed come from
 * high-water marks - a pool, a free list, an arena, a cache that fills to
 * its bound, singletons - and a high-water mark of a stationary demand rises
 * at records: after a share w of the run, a stationary sequence sets on
 * average ln(1/w) new records (H_n - H_wn), about Poisson, at times
 * crowded towards the start. A cache with replacement frees old blocks, so
 * its survivors are never "older than any freed". The test:
 *   - events >= GROWTH_KEPT_MIN_EVENTS and P(Poisson(ln(x_end/x_warm)) >=
 *     events) < GROWTH_ALPHA (record_p);
 *   - the events spread evenly over the window they can fall in: a
 *     Kolmogorov-Smirnov test against the uniform law and the probability
 *     (1 - gap/window)^events of the trailing gap (a cache that filled and
 *     stopped) are both >= GROWTH_KEPT_SPREAD_ALPHA (spread_p: the smaller);
 *   - where the samples hold the site, its live block count rose by at
 *     least half the kept blocks (kept blocks replacing others are no growth).
 * Positions for the record and spread tests are marks, or without marks
 * block ids (the allocation clock): seconds stretch with the machine's load.
 * A leak of one block every K marks passes once 10 of them fall after the
 * warm-up: 1 per 10,000 requests over 200,000 leaves 16.
 */

/*
 * Growth inside blocks (growth_block, per site): the site's live block count
 * stays flat (no more blocks at the last point than after the warm-up) while
 * its mean block size never falls, rises at least twice, ends at least
 * GROWTH_BLOCK_MIN_RATIO times its size after the warm-up (and by
 * GROWTH_MIN_GAIN bytes), and last rose in the second half of the run (x
 * from 0): a buffer whose content grows at a steady rate doubles at x, 2x,
 * 4x..., so its last doubling is always after half the elapsed time, and
 * between a warm-up of 20% and the end its content grows 5x (capacity at
 * least 2.5x). A buffer grown to the largest request seen rises at records
 * (record_p: the Poisson law above, for its rises) and, for requests of a
 * bounded size, hardly at all after the warm-up.
 */
#define GROWTH_KEPT_MIN_EVENTS 10
#define GROWTH_KEPT_SPREAD_ALPHA 0.01
#define GROWTH_BLOCK_MIN_RATIO 2.0

struct growth_recorder;

/* A recorder of rp's growth samples; it records once subscribed (replay_listen
 * of growth_recorder_listener, before replay_run). Free it after the replay. */
struct growth_recorder *growth_recorder_create(struct replay *rp);
/* The listener (replay.h) that takes the samples: after every MARK, and at
 * the first event of each step of the time grid. */
struct replay_listener growth_recorder_listener(struct growth_recorder *g);
void growth_recorder_free(struct growth_recorder *g);

/*
 * Series and findings for a finished replay and its model. Suppressed sites
 * (o->supp) are left out. @return a result to free with growth_result_free.
 */
struct growth_result *growth_analyze(const struct growth_recorder *g, const struct model *m,
                                     const struct growth_opts *o);
void growth_result_free(struct growth_result *r);

/*
 * One more series (n points: x is the mark number or seconds, t seconds),
 * tested as growth_analyze tests its own; a finding `f` (by, stack,
 * function... filled by the caller) is added when it grows.
 * Call growth_sort after the last one. @return true when added.
 */
bool growth_add_series(struct growth_result *r, const double *x, const double *t, const double *y,
                       uint32_t n, bool per_mark, double warmup, struct growth_finding f);
void growth_sort(struct growth_result *r);

/* growth_retention.c: findings per retainer from the heap snapshots'
 * retained sizes, and reachable/path on every finding. */
void growth_add_retention(struct growth_result *r, const struct model *m,
                          const struct growth_opts *o);

#endif /* HT_GROWTH_H */
