/* SPDX-License-Identifier: MIT */
/*
 * growth.c - see growth.h. Sections: detection, recording (the replay
 * hook), series and findings. It prints nothing: report_growth.c renders
 * the findings (findings.h).
 */
#include "growth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "stats.h"
#include "suppress.h"
#include "userframe.h"
#include "xalloc.h"

/* -------------------------------------------------------------- detection */

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
    double start = stats_median_of(ys, w);
    v->gained = stats_median_of(ys + m - w, w) - start;
    struct stats_mk mk;
    stats_mann_kendall(ys, m, &mk);
    v->p = mk.p;
    if (mk.p >= GROWTH_ALPHA)
        return;
    v->slope = stats_theil_sen(xs, ys, m, &v->slope_lo, &v->slope_hi);
    if (v->slope <= 0 || v->slope_lo <= 0)
        return;
    size_t third = m / 3;
    if (third >= 3) {
        double s3 = stats_theil_sen(xs + m - third, ys + m - third, third, NULL, NULL);
        if (s3 < 0.25 * v->slope) {
            v->plateau = true;
            return;
        }
    }
    /* the lower envelope must rise too: a sawtooth's troughs stay put. Thirds,
     * not quarters: each holds a trough of a sawtooth with 3 teeth or more */
    size_t q = m / 3 ? m / 3 : 1;
    double min_first = ys[0], min_last = ys[m - q];
    double max_first = ys[0], max_last = ys[m - q];
    for (size_t i = 0; i < q; i++) {
        min_first = fmin(min_first, ys[i]);
        min_last = fmin(min_last, ys[m - q + i]);
        max_first = fmax(max_first, ys[i]);
        max_last = fmax(max_last, ys[m - q + i]);
    }
    /* ... and so must the upper one: a bounded queue that drains while its
     * consumer keeps up and stays full when it falls behind raises its
     * troughs, but its high-water mark was already reached early */
    double span = xs[m - 1] - xs[0], rise = 0.25 * v->slope * span;
    v->growing = v->gained >= min_gain && v->gained >= 0.4 * v->slope * span &&
                 min_last - min_first >= rise && max_last - max_first >= rise &&
                 v->gained >= 0.25 * start;
}

/* -------------------------------------------------------------- recording */

#define GROWTH_TOP_OWNERS 256
#define GROWTH_FIRST_INTERVAL_US 1000

struct gentry {
    uint32_t id, count; /* count: live blocks (sites) or live handles (owners) */
    uint64_t bytes;
    uint64_t freed_age; /* sites: replay_site.max_freed_age */
};

struct gsample {
    uint64_t t_us, x, heap_bytes;
    uint64_t last_block; /* the newest block id at this point */
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
    *s = (struct gsample){.t_us = t, .x = x, .heap_bytes = rp->tot.heap_bytes,
                          .last_block = rp->last_block};
    scratch_reserve(g, rp->nsites + rp->ngroups);
    size_t n = 0;
    for (uint64_t i = 0; i < rp->nsites; i++)
        if (rp->sites[i].live_bytes)
            g->scratch[n++] = (struct gentry){(uint32_t)i, (uint32_t)rp->sites[i].live_blocks,
                                              rp->sites[i].live_bytes,
                                              rp->sites[i].max_freed_age};
    s->sites = keep_top(g, n, GROWTH_TOP_SITES, &s->nsites);
    n = 0;
    for (uint64_t i = 0; i < rp->ngroups; i++)
        if (rp->groups[i].bytes || rp->groups[i].live_handles)
            g->scratch[n++] = (struct gentry){(uint32_t)i, (uint32_t)rp->groups[i].live_handles,
                                              rp->groups[i].bytes, 0};
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

/* A sample on the time grid; @return when the next one is due. */
static uint64_t on_time(struct growth_recorder *g, uint64_t t)
{
    if (!g->started) {
        g->started = true;
        g->t0 = t;
    }
    if (g->time.n == GROWTH_MAX_SAMPLES)
        gset_thin(&g->time);
    snapshot(g, &g->time.s[g->time.n++], t, t - g->t0);
    return g->t0 + ((t - g->t0) / g->time.stride + 1) * g->time.stride;
}

/* Called after every MARK and at the first event of each time step. */
static void growth_hook(struct replay_listener *self, struct replay *rp,
                        const struct ht_event *ev)
{
    (void)rp;
    struct growth_recorder *g = self->ctx;
    if (ev->tag == HT_REC_MARK)
        on_mark(g, ev->time_us);
    if (ev->time_us >= self->wake_us)
        self->wake_us = on_time(g, ev->time_us);
}

struct growth_recorder *growth_recorder_create(struct replay *rp)
{
    struct growth_recorder *g = xcalloc(1, sizeof(*g));
    g->rp = rp;
    g->marks.stride = 1;
    g->time.stride = GROWTH_FIRST_INTERVAL_US;
    return g;
}

struct replay_listener growth_recorder_listener(struct growth_recorder *g)
{
    struct replay_listener l = {.ctx = g, .on_event = growth_hook, .wake_us = 0};
    replay_listener_want(&l, HT_REC_MARK, true);
    return l;
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
    f.slope_per_s = stats_theil_sen(c->t + v->first, y + v->first, m, NULL, NULL);
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
    f.points = (uint32_t)m;
    f.user_frame = userframe_index(f.stack);
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

/* ------------------------------------------------------------ kept blocks */

struct kblock {
    uint32_t site;
    uint64_t id, size;
};

struct kcollect {
    uint64_t lo, hi; /* ids in (lo, hi] */
    struct kblock *b;
    size_t n, cap;
};

static void kept_collect(void *ctx, uint64_t id, uint64_t size, uint32_t site)
{
    struct kcollect *k = ctx;
    if (id <= k->lo || id > k->hi)
        return;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 1024;
        k->b = xreallocarray(k->b, k->cap, sizeof(*k->b));
    }
    k->b[k->n++] = (struct kblock){site, id, size};
}

static int kblock_cmp(const void *pa, const void *pb)
{
    const struct kblock *a = pa, *b = pb;
    if (a->site != b->site)
        return a->site < b->site ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* The sample interval (k - 1, k] in which block id was created (0: at or
 * before the first point), and its position in x, interpolated. */
static uint32_t id_interval(const struct series_ctx *c, uint64_t id, double *x)
{
    uint32_t lo = 0, hi = c->n - 1;
    if (id <= c->set->s[0].last_block) {
        *x = c->x[0];
        return 0;
    }
    while (lo + 1 < hi) { /* s[lo].last_block < id <= s[hi].last_block */
        uint32_t mid = (lo + hi) / 2;
        if (c->set->s[mid].last_block < id)
            lo = mid;
        else
            hi = mid;
    }
    double a = (double)c->set->s[lo].last_block, b = (double)c->set->s[hi].last_block;
    *x = c->x[lo] + (c->x[hi] - c->x[lo]) * ((double)id - a) / (b > a ? b - a : 1);
    return hi;
}

static const struct gentry *sample_site(const struct gsample *s, uint32_t site)
{
    for (uint32_t e = 0; e < s->nsites; e++)
        if (s->sites[e].id == site)
            return &s->sites[e];
    return NULL;
}

static struct growth_finding *site_finding(struct growth_result *r, const struct model_stack *st)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->findings[i].by == GROWTH_BY_SITE && r->findings[i].stack == st)
            return &r->findings[i];
    return NULL;
}

/* Null: 1 + the x of the warm-up's end, over it (a zero x is the first mark). */
static double record_lambda(const struct series_ctx *c, uint32_t first)
{
    double xw = c->x[first], xe = c->x[c->n - 1];
    if (xw <= 0)
        xw = c->n > 1 ? c->x[1] : 1;
    return xe > xw ? log(xe / xw) : 0;
}

/* growth_kept for one site's blocks b[0..n) (ids ascending); false when it fails. */
/* The axis of the spread and record tests: marks when the points are marks
 * (the program's own measure of its work), else the allocation clock
 * (block ids), not seconds: wall time stretches and shrinks with the
 * machine's load, a steady loop's allocations per request do not. */
static double kept_axis(const struct series_ctx *c, uint64_t id, double x)
{
    return c->per_mark ? x : (double)id;
}

static bool kept_test(const struct series_ctx *c, uint32_t first, const struct kblock *b, size_t n,
                      uint64_t freed_age, const struct gentry *at_first,
                      const struct gentry *at_last, struct growth_kept *k, double *xs)
{
    uint64_t id_end = c->set->s[c->n - 1].last_block, id_first = c->set->s[first].last_block;
    double x_end = c->x[c->n - 1];
    memset(k, 0, sizeof(*k));
    if (freed_age >= id_end || !(x_end > c->x[first]) || id_end <= id_first)
        return false;
    /* the youngest block that can count: older than any the site freed */
    double x_hi = x_end;
    if (freed_age)
        id_interval(c, id_end - freed_age, &x_hi);
    double u_first = kept_axis(c, id_first, c->x[first]), u_end = kept_axis(c, id_end, x_end);
    double u_hi = kept_axis(c, id_end - freed_age, x_hi);
    if (u_hi - u_first < 0.5 * (u_end - u_first))
        return false; /* it frees blocks too old to tell */
    k->longest_freed_age = x_end - x_hi;
    uint32_t prev = UINT32_MAX;
    size_t ne = 0;
    double u_last = u_first;
    for (size_t i = 0; i < n; i++) {
        if (id_end - b[i].id <= freed_age)
            break; /* ids ascend: the rest are younger */
        double x;
        uint32_t iv = id_interval(c, b[i].id, &x);
        if (k->blocks == 0)
            k->oldest_age = x_end - x;
        k->youngest_age = x_end - x;
        k->blocks++;
        k->bytes += b[i].size;
        u_last = kept_axis(c, b[i].id, x);
        if (iv != prev) {
            xs[ne++] = (u_last - u_first) / (u_hi - u_first);
            prev = iv;
        }
    }
    k->events = ne;
    if (ne < GROWTH_KEPT_MIN_EVENTS)
        return false;
    double lambda = c->per_mark ? record_lambda(c, first) : log(u_end / u_first);
    k->record_p = stats_poisson_sf(ne, lambda);
    /* (1 - gap/window)^events: the chance of a gap this long since the last */
    double last_at = (u_last - u_first) / (u_hi - u_first);
    double p_gap = pow(last_at < 1 ? last_at : 1, (double)ne);
    for (size_t i = 0; i < ne; i++)
        xs[i] = xs[i] < 0 ? 0 : xs[i] > 1 ? 1 : xs[i];
    k->spread_p = fmin(p_gap, stats_ks_uniform_p(xs, ne));
    if (at_first && at_last && (double)at_last->count < (double)at_first->count + 0.5 * (double)k->blocks)
        return false;
    return k->record_p < GROWTH_ALPHA && k->spread_p >= GROWTH_KEPT_SPREAD_ALPHA;
}

/* Cumulative bytes of the kept blocks at each point after the warm-up. */
static void kept_series(const struct series_ctx *c, uint32_t first, const struct kblock *b,
                        size_t n, uint64_t nkept, double *y)
{
    size_t j = 0;
    double sum = 0;
    for (uint32_t k = first; k < c->n; k++) {
        while (j < nkept && j < n && b[j].id <= c->set->s[k].last_block)
            sum += (double)b[j++].size;
        y[k - first] = sum;
    }
}

/* The series a finding of analyze_kept/analyze_blocks shows: the points
 * after the warm-up (y[0..np) at c->t[first..]). */
static void finding_series(struct growth_finding *f, const struct series_ctx *c, uint32_t first,
                           const double *y, uint32_t np)
{
    f->nseries = np;
    f->series_t = xmalloc((np ? np : 1) * sizeof(double));
    f->series_y = xmalloc((np ? np : 1) * sizeof(double));
    memcpy(f->series_t, c->t + first, np * sizeof(double));
    memcpy(f->series_y, y, np * sizeof(double));
    f->series_t0_us = c->set->s[0].t_us;
}

static void analyze_kept(struct growth_result *r, const struct series_ctx *c,
                         const struct model *m, const struct growth_opts *o)
{
    uint32_t first = (uint32_t)floor(c->warmup * (double)c->n);
    if (c->n < first + 8)
        return;
    const struct gsample *last = &c->set->s[c->n - 1], *warm = &c->set->s[first];
    struct kcollect kc = {.lo = warm->last_block, .hi = last->last_block};
    replay_each_block(m->rp, kept_collect, &kc);
    if (kc.n)
        qsort(kc.b, kc.n, sizeof(*kc.b), kblock_cmp);
    double *xs = xmalloc((c->n + 1) * sizeof(*xs));
    double *y = xmalloc((c->n + 1) * sizeof(*y));
    for (size_t i = 0; i < kc.n;) {
        size_t j = i;
        while (j < kc.n && kc.b[j].site == kc.b[i].site)
            j++;
        uint32_t site = kc.b[i].site;
        if (j - i < GROWTH_KEPT_MIN_EVENTS) {
            i = j;
            continue;
        }
        const struct model_stack *st = model_stack_of(m, site);
        const struct gentry *at_last = sample_site(last, site);
        uint64_t freed_age = at_last ? at_last->freed_age
                             : site < m->rp->nsites ? m->rp->sites[site].max_freed_age : 0;
        struct growth_kept k;
        if (!st || !st->nframes ||
            (o->supp && supp_match_stack(o->supp, st)) ||
            !kept_test(c, first, kc.b + i, j - i, freed_age, sample_site(warm, site), at_last,
                       &k, xs)) {
            i = j;
            continue;
        }
        struct growth_finding *f = site_finding(r, st);
        if (!f) {
            uint32_t np = c->n - first;
            kept_series(c, first, kc.b + i, j - i, k.blocks, y);
            struct growth_finding nf = {.by = GROWTH_BY_SITE, .stack = st,
                                        .evidence = GROWTH_EV_KEPT};
            char *fn;
            nf.function = xstrdup(innermost_name(st, &fn));
            free(fn);
            nf.slope_per_s = stats_theil_sen(c->t + first, y, np, NULL, NULL);
            double slope = stats_theil_sen(c->x + first, y, np, &nf.slope_lo, &nf.slope_hi);
            nf.slope_per_mark = c->per_mark ? slope : NAN;
            nf.p_value = k.record_p;
            nf.gained_bytes = (int64_t)k.bytes;
            nf.last_bytes = at_last ? at_last->bytes : k.bytes;
            double proj = (double)nf.last_bytes + slope * 9 * (c->x[c->n - 1] + (c->per_mark ? 1 : 0));
            nf.projected_bytes_10x = proj > 0 ? (uint64_t)llround(proj) : 0;
            nf.points = np;
            nf.user_frame = userframe_index(st);
            finding_series(&nf, c, first, y, np);
            r->findings = xreallocarray(r->findings, r->n + 1, sizeof(*r->findings));
            r->findings[r->n++] = nf;
            f = &r->findings[r->n - 1];
        }
        f->has_kept = true;
        f->kept = k;
        i = j;
    }
    free(kc.b);
    free(xs);
    free(y);
}

/* ------------------------------------------------------ growth in blocks */

static void analyze_blocks(struct growth_result *r, const struct series_ctx *c,
                           const struct model *m, const struct growth_opts *o)
{
    uint32_t first = (uint32_t)floor(c->warmup * (double)c->n);
    if (c->n < first + 8)
        return;
    const struct gsample *last = &c->set->s[c->n - 1];
    double x_end = c->x[c->n - 1];
    for (uint32_t e = 0; e < last->nsites; e++) {
        const struct gentry *le = &last->sites[e];
        const struct gentry *fe = sample_site(&c->set->s[first], le->id);
        if (!fe || !fe->count || !le->count || le->count > fe->count ||
            le->bytes < fe->bytes + (uint64_t)GROWTH_MIN_GAIN)
            continue;
        double z0 = (double)fe->bytes / fe->count, zend = (double)le->bytes / le->count;
        if (zend < GROWTH_BLOCK_MIN_RATIO * z0)
            continue;
        uint32_t rises = 0;
        double prev = z0, last_rise = 0;
        bool fell = false;
        for (uint32_t k = first + 1; k < c->n && !fell; k++) {
            const struct gentry *ge = sample_site(&c->set->s[k], le->id);
            double z = ge && ge->count ? (double)ge->bytes / ge->count : 0;
            if (z < prev * 0.95)
                fell = true;
            else if (z > prev * 1.05) {
                rises++;
                last_rise = c->x[k];
            }
            prev = z;
        }
        if (fell || rises < 2 || last_rise < 0.5 * x_end)
            continue;
        const struct model_stack *st = model_stack_of(m, le->id);
        if (!st || !st->nframes || site_finding(r, st) ||
            (o->supp && supp_match_stack(o->supp, st)))
            continue;
        struct growth_finding f = {.by = GROWTH_BY_SITE, .stack = st,
                                   .evidence = GROWTH_EV_BLOCK, .has_block = true};
        f.block = (struct growth_block){.blocks = le->count, .first_bytes = (uint64_t)z0,
                                        .last_bytes = (uint64_t)zend, .rises = rises,
                                        .last_rise_at = x_end > 0 ? last_rise / x_end : 1,
                                        .record_p = stats_poisson_sf(rises, record_lambda(c, first))};
        char *fn;
        f.function = xstrdup(innermost_name(st, &fn));
        free(fn);
        uint32_t np = c->n - first;
        double *y = xmalloc(np * sizeof(*y));
        for (uint32_t k = first; k < c->n; k++) {
            const struct gentry *ge = sample_site(&c->set->s[k], le->id);
            y[k - first] = ge ? (double)ge->bytes : 0;
        }
        double span = x_end - c->x[first];
        double slope = span > 0 ? (double)(le->bytes - fe->bytes) / span : 0;
        double tspan = c->t[c->n - 1] - c->t[first];
        f.slope_per_s = tspan > 0 ? (double)(le->bytes - fe->bytes) / tspan : 0;
        f.slope_per_mark = c->per_mark ? slope : NAN;
        stats_theil_sen(c->x + first, y, np, &f.slope_lo, &f.slope_hi);
        finding_series(&f, c, first, y, np);
        free(y);
        f.p_value = f.block.record_p;
        f.gained_bytes = (int64_t)(le->bytes - fe->bytes);
        f.last_bytes = le->bytes;
        double proj = (double)le->bytes + slope * 9 * (x_end + (c->per_mark ? 1 : 0));
        f.projected_bytes_10x = proj > 0 ? (uint64_t)llround(proj) : 0;
        f.points = np;
        f.user_frame = userframe_index(st);
        r->findings = xreallocarray(r->findings, r->n + 1, sizeof(*r->findings));
        r->findings[r->n++] = f;
    }
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
    analyze_kept(r, &c, m, o);
    analyze_blocks(r, &c, m, o);
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
