/* SPDX-License-Identifier: MIT */
/* stats.c - see stats.h. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

double stats_normal_sf(double z)
{
    return 0.5 * erfc(z / sqrt(2.0));
}

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

double stats_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), dbl_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double stats_median_of(const double *v, size_t n)
{
    double *c = xmalloc((n ? n : 1) * sizeof(*c));
    memcpy(c, v, n * sizeof(*c));
    double m = stats_median(c, n);
    free(c);
    return m;
}

/* Sum over groups of equal values of t(t-1)(2t+5). */
static double tie_term(const double *y, size_t n)
{
    double *s = xmalloc((n ? n : 1) * sizeof(*s));
    memcpy(s, y, n * sizeof(*s));
    qsort(s, n, sizeof(*s), dbl_cmp);
    double sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && s[j] == s[i])
            j++;
        double t = (double)(j - i);
        sum += t * (t - 1) * (2 * t + 5);
        i = j;
    }
    free(s);
    return sum;
}

void stats_mann_kendall(const double *y, size_t n, struct stats_mk *out)
{
    double s = 0;
    for (size_t i = 0; i + 1 < n; i++)
        for (size_t j = i + 1; j < n; j++)
            s += (y[j] > y[i]) - (y[j] < y[i]);
    double dn = (double)n;
    double var = n < 2 ? 0 : (dn * (dn - 1) * (2 * dn + 5) - tie_term(y, n)) / 18.0;
    double z = 0;
    if (var > 0)
        z = s > 0 ? (s - 1) / sqrt(var) : s < 0 ? (s + 1) / sqrt(var) : 0;
    *out = (struct stats_mk){.s = s, .var_s = var, .z = z,
                             .p = var > 0 ? stats_normal_sf(z) : 1.0};
}

double stats_theil_sen(const double *x, const double *y, size_t n, double *lo, double *hi)
{
    size_t npairs = 0;
    double *sl = xmalloc((n > 1 ? n * (n - 1) / 2 : 1) * sizeof(*sl));
    for (size_t i = 0; i + 1 < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (x[j] != x[i])
                sl[npairs++] = (y[j] - y[i]) / (x[j] - x[i]);
    if (npairs == 0) {
        free(sl);
        if (lo)
            *lo = 0;
        if (hi)
            *hi = 0;
        return 0;
    }
    double med = stats_median(sl, npairs); /* sorts sl */
    /* Sen (1968): C = z(0.975) sqrt(Var S); the limits are the M1-th and
     * (M2+1)-th ordered slopes, M1 = (N - C) / 2, M2 = (N + C) / 2. */
    struct stats_mk mk;
    stats_mann_kendall(y, n, &mk);
    double c = 1.959964 * sqrt(mk.var_s);
    double m1 = ((double)npairs - c) / 2, m2 = ((double)npairs + c) / 2;
    long i1 = (long)floor(m1) - 1, i2 = (long)ceil(m2);
    if (i1 < 0)
        i1 = 0;
    if (i2 > (long)npairs - 1)
        i2 = (long)npairs - 1;
    if (lo)
        *lo = sl[i1];
    if (hi)
        *hi = sl[i2];
    free(sl);
    return med;
}

double stats_poisson_sf(uint64_t k, double lambda)
{
    if (k == 0)
        return 1;
    double term = exp(-lambda), cdf = 0;
    for (uint64_t i = 0; i < k; i++) {
        cdf += term;
        term *= lambda / (double)(i + 1);
    }
    return cdf >= 1 ? 0 : 1 - cdf;
}

double stats_ks_uniform_p(const double *u, size_t n)
{
    if (n == 0)
        return 1;
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double lo = u[i] - (double)i / (double)n, hi = (double)(i + 1) / (double)n - u[i];
        d = fmax(d, fmax(lo, hi));
    }
    double sn = sqrt((double)n), l = (sn + 0.12 + 0.11 / sn) * d, p = 0;
    if (l < 0.3)
        return 1;
    for (int j = 1; j <= 100; j++)
        p += (j % 2 ? 2 : -2) * exp(-2.0 * j * j * l * l);
    return p < 0 ? 0 : p > 1 ? 1 : p;
}
