/* SPDX-License-Identifier: MIT */
/*
 * stats.h - the analyzer's statistics, in one place: the median, the
 * Mann-Kendall trend test, the Theil-Sen slope with Sen's confidence
 * interval, and the tails of the normal and Poisson laws and of the
 * Kolmogorov-Smirnov statistic. The detectors (growth.c, tables.c,
 * gc_weak.c, suspects.c) build on these; none of them prints anything.
 *
 * Plain functions of their arguments: no state, no randomness, and the
 * same result for the same input on every run. None can fail (memory
 * exhaustion exits through xalloc.h).
 */
#ifndef HT_STATS_H
#define HT_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The median of v[0..n) (v is reordered). 0 for n == 0. */
double stats_median(double *v, size_t n);

/* The median of v[0..n), v left as it is. 0 for n == 0. */
double stats_median_of(const double *v, size_t n);

/* The Mann-Kendall test of y[0..n) for a monotonic trend. */
struct stats_mk {
    double s;     /* S: sum over pairs i < j of sign(y[j] - y[i]) */
    double var_s; /* Var S, corrected for ties; 0 when n < 2 */
    double z;     /* continuity-corrected S / sqrt(Var S); 0 when Var S is 0 */
    double p;     /* one-sided, for an increasing trend: P(Z > z); 1 when Var S is 0 */
};

/* S, its variance with the tie correction, z and p of y[0..n). */
void stats_mann_kendall(const double *y, size_t n, struct stats_mk *out);

/*
 * Theil-Sen slope (median of the pairwise slopes over distinct x) and its
 * 95% confidence interval by Sen's method (ranks from the Mann-Kendall
 * variance). @return the slope; 0 (and 0, 0) when no two x differ.
 * lo/hi may be NULL.
 */
double stats_theil_sen(const double *x, const double *y, size_t n, double *lo, double *hi);

/* Standard normal upper tail P(Z > z). */
double stats_normal_sf(double z);

/* P(X >= k) for X ~ Poisson(lambda). */
double stats_poisson_sf(uint64_t k, double lambda);

/* Kolmogorov-Smirnov p of u[0..n) (sorted, in [0, 1]) against the uniform
 * law: the asymptotic series with Stephens' small-sample correction.
 * 1 for n == 0. */
double stats_ks_uniform_p(const double *u, size_t n);

#endif /* HT_STATS_H */
