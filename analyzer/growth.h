/* SPDX-License-Identifier: MIT */
/*
 * growth.h - leak-growth detection: per-site, per-function and per-owner
 * series of live bytes at sample points, and a robust trend test on each.
 *
 * Recording (during the replay): a growth_recorder hooks the replay and takes
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
 *     three teeth or more after the warm-up), and
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

/* ------------------------------------------------------------ statistics */

struct growth_mk {
    double s, var_s, z, p; /* p: one-sided, for an increasing trend */
};

/* Mann-Kendall S, its variance with the tie correction, z and p. Cannot fail. */
void growth_mann_kendall(const double *y, size_t n, struct growth_mk *out);

/*
 * Theil-Sen slope (median of the pairwise slopes over distinct x) and its
 * 95% confidence interval by Sen's method (ranks from the Mann-Kendall
 * variance). @return the slope; 0 when n < 2. lo/hi may be NULL.
 */
double growth_theil_sen(const double *x, const double *y, size_t n, double *lo, double *hi);

/* The median of v[0..n) (v is reordered). 0 for n == 0. */
double growth_median(double *v, size_t n);

/* Standard normal upper tail P(Z > z). */
double growth_normal_sf(double z);

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

/* --------------------------------------------------------------- results */

enum growth_by { GROWTH_BY_SITE, GROWTH_BY_FUNCTION, GROWTH_BY_OWNER, GROWTH_BY_RETAINER };

struct retention_path;

struct growth_finding {
    enum growth_by by;
    const struct model_stack *stack; /* site, owner, or the function's largest site */
    const char *function;            /* by function: its name; else the innermost frame's */
    const char *owner_kind;          /* by owner: iconv_open, fopen...; else NULL */
    double slope_per_mark;           /* NAN when the samples are in time */
    double slope_per_s;
    double slope_lo, slope_hi;       /* CI of the primary slope (per mark or per s) */
    double p_value;
    int64_t gained_bytes;
    uint64_t last_bytes;             /* at the last sample */
    uint64_t projected_bytes_10x;
    /* growth_add_retention (heap snapshots): 1 kept alive, 0 unreachable (leaked),
     * -1 unknown; and what keeps it alive (or NULL) */
    int reachable;
    const struct retention_path *path;
    /* of the site's reachable blocks in the largest snapshot (total), how
     * many `path`'s holder carries (retention.h, retention_holder); 0, 0
     * when the path is not a holder's */
    uint64_t holder_blocks, total_blocks;
    /* the series the finding was tested on (owned by the result): seconds
     * from series_t0_us (log time) and the bytes (or count) at each point */
    double *series_t, *series_y;
    uint32_t nseries;
    uint64_t series_t0_us;
};

struct growth_result {
    struct growth_finding *findings; /* by gained bytes descending, then by, then key */
    size_t n;
    bool per_mark;      /* samples at marks (else evenly in time) */
    uint32_t nsamples;  /* points used */
    double warmup;
    const struct model *model; /* the model analysed (for paths' stacks) */
    /* --ignore-startup: live bytes per stack id at the first mark (NULL if none) */
    uint64_t *startup_bytes;
    uint64_t nstartup;
};

struct growth_recorder;

/* Hooks a recorder into rp (before replay_run). Free it after the replay. */
struct growth_recorder *growth_recorder_create(struct replay *rp);
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

/* The "growth" JSON array (with its key, no trailing comma). */
void growth_json(const struct growth_result *r, FILE *out);

/* The text section; prints nothing without findings. */
void growth_text(const struct growth_result *r, bool color, bool no_addresses, FILE *out);

/* file:line of the stack's frame in the program's own code (userframe.h;
 * "" when that frame has no line information); buf >= 512. */
const char *growth_stack_location(const struct model_stack *st, char *buf, size_t len,
                                  const char **file, uint32_t *line);

#endif /* HT_GROWTH_H */
