/* SPDX-License-Identifier: MIT */
/*
 * growth.c - see growth.h. Sections: statistics, recording (the replay
 * hook), series and findings, output.
 */
#include "growth.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "report.h"
#include "suppress.h"
#include "userframe.h"
#include "xalloc.h"

/* ------------------------------------------------------------ statistics */

double growth_normal_sf(double z)
{
    return 0.5 * erfc(z / sqrt(2.0));
}

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

double growth_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), dbl_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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

void growth_mann_kendall(const double *y, size_t n, struct growth_mk *out)
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
    *out = (struct growth_mk){.s = s, .var_s = var, .z = z,
                              .p = var > 0 ? growth_normal_sf(z) : 1.0};
}

double growth_theil_sen(const double *x, const double *y, size_t n, double *lo, double *hi)
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
    double med = growth_median(sl, npairs); /* sorts sl */
    /* Sen (1968): C = z(0.975) sqrt(Var S); the limits are the M1-th and
     * (M2+1)-th ordered slopes, M1 = (N - C) / 2, M2 = (N + C) / 2. */
    struct growth_mk mk;
    growth_mann_kendall(y, n, &mk);
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

static double median_copy(const double *v, size_t n)
{
    double *c = xmalloc((n ? n : 1) * sizeof(*c));
    memcpy(c, v, n * sizeof(*c));
    double m = growth_median(c, n);
    free(c);
    return m;
}

void growth_detect(const double *x, const double *y, size_t n, double warmup,
                   struct growth_verdict *v)
{
    growth_detect_gain(x, y, n, warmup, GROWTH_MIN_GAIN, v);
}

void growth_detect_gain(const double *x, const double *y, size_t n, double warmup,
                        double min_gain, struct growth_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->p = 1;
    if (warmup < 0 || warmup >= 1)
        warmup = 0.2;
    size_t first = (size_t)floor(warmup * (double)n);
    v->first = first;
    if (n < first + 6)
        return;
    const double *xs = x + first, *ys = y + first;
    size_t m = n - first, w = m / 10 ? m / 10 : 1;
    double start = median_copy(ys, w);
    v->gained = median_copy(ys + m - w, w) - start;
    struct growth_mk mk;
    growth_mann_kendall(ys, m, &mk);
    v->p = mk.p;
    if (mk.p >= GROWTH_ALPHA)
        return;
    v->slope = growth_theil_sen(xs, ys, m, &v->slope_lo, &v->slope_hi);
    if (v->slope <= 0 || v->slope_lo <= 0)
        return;
    size_t third = m / 3;
    if (third >= 3) {
        double s3 = growth_theil_sen(xs + m - third, ys + m - third, third, NULL, NULL);
        if (s3 < 0.25 * v->slope) {
            v->plateau = true;
            return;
        }
    }
    /* the lower envelope must rise too: a sawtooth's troughs stay put. Thirds,
     * not quarters: each holds a trough of a sawtooth with 3 teeth or more */
    size_t q = m / 3 ? m / 3 : 1;
    double min_first = ys[0], min_last = ys[m - q];
    for (size_t i = 0; i < q; i++) {
        if (ys[i] < min_first)
            min_first = ys[i];
        if (ys[m - q + i] < min_last)
            min_last = ys[m - q + i];
    }
    double span = xs[m - 1] - xs[0];
    v->growing = v->gained >= min_gain && v->gained >= 0.4 * v->slope * span &&
                 min_last - min_first >= 0.25 * v->slope * span && v->gained >= 0.25 * start;
}

/* -------------------------------------------------------------- recording */

#define GROWTH_TOP_OWNERS 256
#define GROWTH_FIRST_INTERVAL_US 1000

struct gentry {
    uint32_t id, count; /* count: live blocks (sites) or live handles (owners) */
    uint64_t bytes;
};

struct gsample {
    uint64_t t_us, x, heap_bytes;
    struct gentry *sites, *owners;
    uint32_t nsites, nowners;
};

struct gset {
    struct gsample s[GROWTH_MAX_SAMPLES];
    uint32_t n;
    uint64_t stride; /* marks between samples, or microseconds */
};

struct growth_recorder {
    struct replay *rp;
    struct gset marks, time;
    uint64_t nmarks, t0;
    bool started;
    uint64_t *startup; /* live bytes per stack id at the first mark */
    uint64_t nstartup;
    struct gentry *scratch;
    size_t scratch_cap;
};

static int gentry_bytes_cmp(const void *pa, const void *pb)
{
    const struct gentry *a = pa, *b = pb;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* The `top` largest of scratch[0..n) (all when fewer), copied out. */
static struct gentry *keep_top(struct growth_recorder *g, size_t n, uint32_t top, uint32_t *out_n)
{
    if (n > top) {
        qsort(g->scratch, n, sizeof(*g->scratch), gentry_bytes_cmp);
        n = top;
    }
    struct gentry *e = xmalloc((n ? n : 1) * sizeof(*e));
    memcpy(e, g->scratch, n * sizeof(*e));
    *out_n = (uint32_t)n;
    return e;
}

static void scratch_reserve(struct growth_recorder *g, size_t n)
{
    if (n > g->scratch_cap) {
        g->scratch_cap = n * 2;
        g->scratch = xreallocarray(g->scratch, g->scratch_cap, sizeof(*g->scratch));
    }
}

static void snapshot(struct growth_recorder *g, struct gsample *s, uint64_t t, uint64_t x)
{
    const struct replay *rp = g->rp;
    *s = (struct gsample){.t_us = t, .x = x, .heap_bytes = rp->tot.heap_bytes};
    scratch_reserve(g, rp->nsites + rp->ngroups);
    size_t n = 0;
    for (uint64_t i = 0; i < rp->nsites; i++)
        if (rp->sites[i].live_bytes)
            g->scratch[n++] = (struct gentry){(uint32_t)i, (uint32_t)rp->sites[i].live_blocks,
                                              rp->sites[i].live_bytes};
    s->sites = keep_top(g, n, GROWTH_TOP_SITES, &s->nsites);
    n = 0;
    for (uint64_t i = 0; i < rp->ngroups; i++)
        if (rp->groups[i].bytes || rp->groups[i].live_handles)
            g->scratch[n++] = (struct gentry){(uint32_t)i, (uint32_t)rp->groups[i].live_handles,
                                              rp->groups[i].bytes};
    s->owners = keep_top(g, n, GROWTH_TOP_OWNERS, &s->nowners);
}

static void sample_release(struct gsample *s)
{
    free(s->sites);
    free(s->owners);
}

/* Keeps the even points of a full set; the stride doubles. */
static void gset_thin(struct gset *set)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < set->n; i++) {
        if (i % 2)
            sample_release(&set->s[i]);
        else
            set->s[k++] = set->s[i];
    }
    set->n = k;
    set->stride *= 2;
}

static void on_mark(struct growth_recorder *g, uint64_t t)
{
    uint64_t k = g->nmarks++;
    if (k == 0) {
        g->nstartup = g->rp->nsites;
        g->startup = xcalloc(g->nstartup ? g->nstartup : 1, sizeof(*g->startup));
        for (uint64_t i = 0; i < g->nstartup; i++)
            g->startup[i] = g->rp->sites[i].live_bytes;
    }
    if (k % g->marks.stride)
        return;
    if (g->marks.n == GROWTH_MAX_SAMPLES) {
        gset_thin(&g->marks);
        if (k % g->marks.stride)
            return;
    }
    snapshot(g, &g->marks.s[g->marks.n++], t, k);
}

static void on_time(struct growth_recorder *g, uint64_t t)
{
    if (!g->started) {
        g->started = true;
        g->t0 = t;
    }
    if (g->time.n == GROWTH_MAX_SAMPLES)
        gset_thin(&g->time);
    snapshot(g, &g->time.s[g->time.n++], t, t - g->t0);
    g->rp->sample_next_us = g->t0 + ((t - g->t0) / g->time.stride + 1) * g->time.stride;
}

static void growth_hook(void *ctx, struct replay *rp, const struct ht_event *ev)
{
    struct growth_recorder *g = ctx;
    if (ev->tag == HT_REC_MARK)
        on_mark(g, ev->time_us);
    if (ev->time_us >= rp->sample_next_us)
        on_time(g, ev->time_us);
}

struct growth_recorder *growth_recorder_create(struct replay *rp)
{
    struct growth_recorder *g = xcalloc(1, sizeof(*g));
    g->rp = rp;
    g->marks.stride = 1;
    g->time.stride = GROWTH_FIRST_INTERVAL_US;
    rp->sample_fn = growth_hook;
    rp->sample_ctx = g;
    rp->sample_next_us = 0;
    return g;
}

void growth_recorder_free(struct growth_recorder *g)
{
    if (!g)
        return;
    for (uint32_t i = 0; i < g->marks.n; i++)
        sample_release(&g->marks.s[i]);
    for (uint32_t i = 0; i < g->time.n; i++)
        sample_release(&g->time.s[i]);
    free(g->startup);
    free(g->scratch);
    free(g);
}

/* ---------------------------------------------------- series and findings */

struct series_ctx {
    const struct gset *set;
    uint32_t n;      /* points used (teardown trimmed) */
    double *x, *t;   /* x: mark number or seconds; t: seconds */
    bool per_mark;
    double warmup;
};

static void add_finding(struct growth_result *r, const struct series_ctx *c, const double *y,
                        const struct growth_verdict *v, struct growth_finding f)
{
    f.p_value = v->p;
    f.slope_lo = v->slope_lo;
    f.slope_hi = v->slope_hi;
    f.gained_bytes = (int64_t)llround(v->gained);
    f.last_bytes = (uint64_t)y[c->n - 1];
    size_t m = c->n - v->first;
    f.slope_per_s = growth_theil_sen(c->t + v->first, y + v->first, m, NULL, NULL);
    f.slope_per_mark = c->per_mark ? v->slope : NAN;
    /* 10x the run: as many more marks (or seconds) as nine runs add */
    double span = c->x[c->n - 1] + (c->per_mark ? 1 : 0);
    double proj = y[c->n - 1] + v->slope * 9 * span;
    f.projected_bytes_10x = proj > 0 ? (uint64_t)llround(proj) : 0;
    f.nseries = c->n;
    f.series_t = xmalloc(c->n * sizeof(double));
    f.series_y = xmalloc(c->n * sizeof(double));
    memcpy(f.series_t, c->t, c->n * sizeof(double));
    memcpy(f.series_y, y, c->n * sizeof(double));
    if (c->set) /* growth_analyze's own series; growth_add_series callers set t0 */
        f.series_t0_us = c->set->s[0].t_us;
    r->findings = xreallocarray(r->findings, r->n + 1, sizeof(*r->findings));
    r->findings[r->n++] = f;
}

static bool detect(const struct series_ctx *c, const double *y, struct growth_verdict *v)
{
    double max = 0;
    for (uint32_t i = 0; i < c->n; i++)
        if (y[i] > max)
            max = y[i];
    if (max < GROWTH_MIN_GAIN)
        return false;
    growth_detect(c->x, y, c->n, c->warmup, v);
    return v->growing;
}

static const char *innermost_name(const struct model_stack *st, char **owned)
{
    *owned = st->nframes ? model_frame_name(&st->frames[0]) : NULL;
    return *owned ? *owned : "(no stack)";
}

static int finding_cmp(const void *pa, const void *pb)
{
    const struct growth_finding *a = pa, *b = pb;
    if (a->gained_bytes != b->gained_bytes)
        return a->gained_bytes > b->gained_bytes ? -1 : 1;
    if (a->by != b->by)
        return a->by < b->by ? -1 : 1;
    int c = strcmp(a->function ? a->function : "", b->function ? b->function : "");
    return c ? c : strcmp(a->stack->key, b->stack->key);
}

/* The program's teardown is not the run: trailing points where the whole heap
 * fell below half its earlier maximum, in the last 10% of the run, and a
 * final decline (never rising more than 1% of the peak) from the last point
 * near the last third's peak to below half of it. Freeing what a leak kept
 * takes time in proportion to the leak (weak_table_server tears down for 13%
 * of its run), so a fixed share alone makes the biggest leaks look like a
 * plateau. A drop followed by a rise is a sawtooth and stays. */
static uint32_t trim_teardown(const struct gset *set)
{
    uint32_t n = set->n, floor10 = set->n - set->n / 10, floor33 = set->n - set->n / 3;
    if (n < 3)
        return n;
    uint64_t wmax = 0;
    for (uint32_t i = floor33; i < n; i++)
        if (set->s[i].heap_bytes > wmax)
            wmax = set->s[i].heap_bytes;
    uint32_t top = n - 1; /* the last point near the last third's peak */
    while (top > floor33 && set->s[top].heap_bytes < wmax - wmax / 100)
        top--;
    bool decline = top < n - 1 && set->s[n - 1].heap_bytes * 2 < set->s[top].heap_bytes;
    for (uint32_t i = top + 1; decline && i < n; i++)
        if (set->s[i].heap_bytes > set->s[i - 1].heap_bytes + wmax / 100)
            decline = false; /* fell and rose again: a sawtooth, not a teardown */
    if (decline)
        return top + 1 > 2 ? top + 1 : 2;
    while (n > 2 && n > floor10) {
        uint64_t max = 0;
        for (uint32_t i = 0; i + 1 < n; i++)
            if (set->s[i].heap_bytes > max)
                max = set->s[i].heap_bytes;
        if (set->s[n - 1].heap_bytes * 2 >= max)
            break;
        n--;
    }
    return n;
}

static void analyze_sites(struct growth_result *r, const struct series_ctx *c,
                          const struct model *m, const struct growth_opts *o)
{
    const struct replay *rp = m->rp;
    uint32_t *row = xmalloc((rp->nsites ? rp->nsites : 1) * sizeof(*row));
    memset(row, 0xff, (rp->nsites ? rp->nsites : 1) * sizeof(*row));
    uint32_t nrows = 0;
    for (uint64_t i = 0; i < m->nsites; i++) {
        if (o->supp && supp_match_stack(o->supp, &m->sites[i].stack))
            continue;
        row[m->sites[i].stack_id] = (uint32_t)i; /* model index, remapped below */
    }
    /* rows only for sites seen in a sample */
    uint32_t *model_of = xmalloc((m->nsites ? m->nsites : 1) * sizeof(*model_of));
    uint32_t *rowid = xmalloc((rp->nsites ? rp->nsites : 1) * sizeof(*rowid));
    memset(rowid, 0xff, (rp->nsites ? rp->nsites : 1) * sizeof(*rowid));
    for (uint32_t k = 0; k < c->n; k++)
        for (uint32_t e = 0; e < c->set->s[k].nsites; e++) {
            uint32_t id = c->set->s[k].sites[e].id;
            if (id < rp->nsites && row[id] != UINT32_MAX && rowid[id] == UINT32_MAX) {
                rowid[id] = nrows;
                model_of[nrows++] = row[id];
            }
        }
    double *y = xcalloc((size_t)nrows * c->n + 1, sizeof(*y));
    for (uint32_t k = 0; k < c->n; k++)
        for (uint32_t e = 0; e < c->set->s[k].nsites; e++) {
            uint32_t id = c->set->s[k].sites[e].id;
            if (id < rp->nsites && rowid[id] != UINT32_MAX)
                y[(size_t)rowid[id] * c->n + k] = (double)c->set->s[k].sites[e].bytes;
        }
    /* functions: rows merged by innermost name (only names of >= 2 sites) */
    char **names = xcalloc(nrows + 1, sizeof(*names));
    const char **name = xcalloc(nrows + 1, sizeof(*name));
    for (uint32_t i = 0; i < nrows; i++) {
        const struct model_site *s = &m->sites[model_of[i]];
        name[i] = innermost_name(&s->stack, &names[i]);
        struct growth_verdict v;
        if (detect(c, y + (size_t)i * c->n, &v))
            add_finding(r, c, y + (size_t)i * c->n, &v,
                        (struct growth_finding){.by = GROWTH_BY_SITE, .stack = &s->stack,
                                                .function = name[i]});
    }
    bool *done = xcalloc(nrows + 1, sizeof(*done));
    double *sum = xmalloc((c->n + 1) * sizeof(*sum)), *best_last = NULL;
    (void)best_last;
    for (uint32_t i = 0; i < nrows; i++) {
        if (done[i])
            continue;
        memcpy(sum, y + (size_t)i * c->n, c->n * sizeof(*sum));
        uint32_t members = 1, best = i;
        for (uint32_t j = i + 1; j < nrows; j++) {
            if (done[j] || strcmp(name[i], name[j]) != 0)
                continue;
            done[j] = true;
            members++;
            for (uint32_t k = 0; k < c->n; k++)
                sum[k] += y[(size_t)j * c->n + k];
            if (y[(size_t)j * c->n + c->n - 1] > y[(size_t)best * c->n + c->n - 1])
                best = j;
        }
        struct growth_verdict v;
        if (members >= 2 && detect(c, sum, &v))
            add_finding(r, c, sum, &v,
                        (struct growth_finding){.by = GROWTH_BY_FUNCTION,
                                                .stack = &m->sites[model_of[best]].stack,
                                                .function = xstrdup(name[i])});
    }
    /* findings keep pointers into names: move ownership to the result */
    for (size_t f = 0; f < r->n; f++)
        if (r->findings[f].by == GROWTH_BY_SITE)
            r->findings[f].function = xstrdup(r->findings[f].function);
    for (uint32_t i = 0; i < nrows; i++)
        free(names[i]);
    free(names);
    free(name);
    free(done);
    free(sum);
    free(y);
    free(rowid);
    free(model_of);
    free(row);
}

static void analyze_owners(struct growth_result *r, const struct series_ctx *c,
                           const struct model *m, const struct growth_opts *o)
{
    double *y = xmalloc((c->n + 1) * sizeof(*y));
    for (uint64_t i = 0; i < m->nowners; i++) {
        if (o->supp && supp_match_stack(o->supp, &m->owners[i].stack))
            continue;
        uint32_t gid = (uint32_t)(m->owners[i].g - m->rp->groups);
        for (uint32_t k = 0; k < c->n; k++) {
            y[k] = 0;
            for (uint32_t e = 0; e < c->set->s[k].nowners; e++)
                if (c->set->s[k].owners[e].id == gid)
                    y[k] = (double)c->set->s[k].owners[e].bytes;
        }
        struct growth_verdict v;
        char *fn;
        const char *nm = innermost_name(&m->owners[i].stack, &fn);
        if (detect(c, y, &v))
            add_finding(r, c, y, &v,
                        (struct growth_finding){.by = GROWTH_BY_OWNER,
                                                .stack = &m->owners[i].stack,
                                                .function = xstrdup(nm),
                                                .owner_kind = names_owner_kind(
                                                    m->owners[i].g->kind)});
        free(fn);
    }
    free(y);
}

bool growth_add_series(struct growth_result *r, const double *x, const double *t, const double *y,
                       uint32_t n, bool per_mark, double warmup, struct growth_finding f)
{
    const struct series_ctx c = {.n = n, .x = (double *)x, .t = (double *)t,
                                 .per_mark = per_mark, .warmup = warmup};
    struct growth_verdict v;
    if (n < 8 || !detect(&c, y, &v))
        return false;
    add_finding(r, &c, y, &v, f);
    return true;
}

void growth_sort(struct growth_result *r)
{
    if (r->n > 1)
        qsort(r->findings, r->n, sizeof(*r->findings), finding_cmp);
}

struct growth_result *growth_analyze(const struct growth_recorder *g, const struct model *m,
                                     const struct growth_opts *o)
{
    static const struct growth_opts defaults = {.warmup = 0.2};
    if (!o)
        o = &defaults;
    struct growth_result *r = xcalloc(1, sizeof(*r));
    r->warmup = o->warmup;
    r->model = m;
    if (g->startup) {
        r->nstartup = g->nstartup;
        r->startup_bytes = xmalloc(g->nstartup * sizeof(uint64_t) + 1);
        memcpy(r->startup_bytes, g->startup, g->nstartup * sizeof(uint64_t));
    }
    struct series_ctx c = {.warmup = o->warmup};
    c.per_mark = g->marks.n >= GROWTH_MIN_MARKS;
    c.set = c.per_mark ? &g->marks : &g->time;
    c.n = c.per_mark ? c.set->n : trim_teardown(c.set);
    r->per_mark = c.per_mark;
    r->nsamples = c.n;
    if (c.n < 8)
        return r;
    c.x = xmalloc(c.n * sizeof(*c.x));
    c.t = xmalloc(c.n * sizeof(*c.t));
    uint64_t t0 = c.set->s[0].t_us;
    for (uint32_t k = 0; k < c.n; k++) {
        c.t[k] = (double)(c.set->s[k].t_us - t0) / 1e6;
        c.x[k] = c.per_mark ? (double)c.set->s[k].x : c.t[k];
    }
    analyze_sites(r, &c, m, o);
    analyze_owners(r, &c, m, o);
    growth_sort(r);
    free(c.x);
    free(c.t);
    return r;
}

void growth_result_free(struct growth_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->findings[i].function);
        free(r->findings[i].series_t);
        free(r->findings[i].series_y);
    }
    free(r->findings);
    free(r->startup_bytes);
    free(r);
}

/* ------------------------------------------------------------------ output */

static const char *const by_names[] = {"site", "function", "owner", "retainer"};

const char *growth_stack_location(const struct model_stack *st, char *buf, size_t len,
                                  const char **file, uint32_t *line)
{
    buf[0] = '\0';
    *file = NULL;
    *line = 0;
    /* the program's own frame, never a line borrowed from another frame */
    const struct sym_frame *f = userframe_of(st);
    if (f && f->file && f->line) {
        *file = f->file;
        *line = f->line;
        snprintf(buf, len, "%s:%" PRIu32, f->file, f->line);
    }
    return buf;
}

static void json_num(FILE *out, double v)
{
    if (isnan(v))
        fputs("null", out);
    else
        fprintf(out, "%.3f", v);
}

void growth_json(const struct growth_result *r, FILE *out)
{
    fputs("\"growth\":[", out);
    for (size_t i = 0; r && i < r->n; i++) {
        const struct growth_finding *f = &r->findings[i];
        fprintf(out, "%s\n {\"by\":\"%s\",\"function\":", i ? "," : "", by_names[f->by]);
        report_json_str(out, f->function ? f->function : "");
        fputs(",\"owner_kind\":", out);
        if (f->owner_kind)
            report_json_str(out, f->owner_kind);
        else
            fputs("null", out);
        fputs(",\"stack\":", out);
        report_json_stack(out, f->stack);
        fputs(",\"slope_bytes_per_mark\":", out);
        json_num(out, f->slope_per_mark);
        fputs(",\"slope_bytes_per_s\":", out);
        json_num(out, f->slope_per_s);
        fputs(",\"slope_ci95\":[", out);
        json_num(out, f->slope_lo);
        fputc(',', out);
        json_num(out, f->slope_hi);
        fprintf(out, "],\"confidence\":%.6f,\"p_value\":%.3g,\"gained_bytes\":%" PRId64
                     ",\"last_bytes\":%" PRIu64 ",\"projected_bytes_10x\":%" PRIu64
                     ",\"reachable\":%s,\"path\":",
                1 - f->p_value, f->p_value, f->gained_bytes, f->last_bytes,
                f->projected_bytes_10x,
                f->reachable > 0 ? "true" : f->reachable == 0 ? "false" : "null");
        if (f->path)
            report_retention_path_json(out, r->model, f->path);
        else
            fputs("null", out);
        fputc('}', out);
    }
    fputs("],\n", out);
    if (r)
        fprintf(out, "\"growth_samples\":{\"per\":\"%s\",\"points\":%" PRIu32
                     ",\"warmup\":%.3f},\n",
                r->per_mark ? "mark" : "second", r->nsamples, r->warmup);
}

void growth_text(const struct growth_result *r, bool color, bool no_addresses, FILE *out)
{
    if (!r || !r->n)
        return;
    char b1[32], b2[32], b3[32], loc[512];
    const char *unit = r->per_mark ? "mark" : "s";
    if (color)
        fputs("\n\033[1;31m", out);
    else
        fputc('\n', out);
    fprintf(out, "growth: %zu finding%s (live bytes that keep rising, per %s, after a %.0f%% "
                 "warm-up)",
            r->n, r->n == 1 ? "" : "s", r->per_mark ? "mark" : "second", r->warmup * 100);
    fputs(color ? "\033[0m\n" : "\n", out);
    for (size_t i = 0; i < r->n; i++) {
        const struct growth_finding *f = &r->findings[i];
        double slope = r->per_mark ? f->slope_per_mark : f->slope_per_s;
        const char *file;
        uint32_t line;
        growth_stack_location(f->stack, loc, sizeof(loc), &file, &line);
        const char *base = file ? strrchr(file, '/') : NULL;
        const struct sym_frame *uf = userframe_of(f->stack);
        char *uname = uf && f->function && f->by != GROWTH_BY_OWNER ? model_frame_name(uf) : NULL;
        bool from = uname && strcmp(uname, f->function) != 0;
        fprintf(out, "  #%zu %s %s%s%s%s%s%s%s", i + 1, by_names[f->by],
                f->owner_kind ? f->owner_kind : "", f->owner_kind ? " opened in " : "",
                f->function ? f->function : "?", from ? ", from " : "", from ? uname : "",
                file ? " at " : uf && uf->function ? " (no line info)" : "",
                file ? (base ? base + 1 : file) : "");
        free(uname);
        if (file)
            fprintf(out, ":%" PRIu32, line);
        fprintf(out, ": +%s/%s", report_bytes(slope > 0 ? (uint64_t)slope : 0, b1), unit);
        fprintf(out, ", gained %s, %s after 10x the run (p %.2g)\n",
                report_bytes(f->gained_bytes > 0 ? (uint64_t)f->gained_bytes : 0, b2),
                report_bytes(f->projected_bytes_10x, b3), f->p_value);
        if (f->reachable == 0)
            fputs("      unreachable: leaked (nothing points at it)\n", out);
        else if (f->path)
            report_retention_path_line_share(out, r->model, f->path, f->holder_blocks,
                                             f->total_blocks);
        (void)no_addresses;
    }
}
