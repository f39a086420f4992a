/* SPDX-License-Identifier: MIT */
/*
 * growth_retention.c - growth meets the retention graph (growth.h,
 * retention.h): a series per retainer (the bytes an allocation site retains
 * at each heap snapshot of the running program) through the same detector
 * as the live-bytes series, and, on every finding, whether the growing
 * blocks are still reachable and along which path.
 *
 * A retainer series needs 10 snapshots or more (8 after the warm-up: fewer
 * cannot reach the Mann-Kendall test's p < 0.001) (HEAPTRACE_SNAPSHOT_INTERVAL
 * or HEAPTRACE_SNAPSHOT_EVERY_MARKS) of the running program; the exit
 * snapshot is left out, since it follows the program's teardown. Each
 * snapshot keeps its RETENTION_SITE_SERIES largest retainers: where a site
 * is missing from a full list its value is taken as that list's smallest,
 * an upper bound, which can only hide growth, never invent it.
 */
#include "growth.h"

#include <stdlib.h>
#include <string.h>

#include "leaks.h"
#include "retention.h"
#include "xalloc.h"

/* The stack id of a finding's stack (a site's, by pointer), or 0. */
static uint64_t finding_stack_id(const struct model *m, const struct growth_finding *f)
{
    for (uint64_t i = 0; i < m->nsites; i++)
        if (&m->sites[i].stack == f->stack)
            return m->sites[i].stack_id;
    return 0;
}

/* Bytes of site `id` that the last snapshot found lost (any lost class) or reachable. */
static void last_snapshot_split(const struct leaks *l, uint64_t id, uint64_t *lost,
                                uint64_t *reach)
{
    *lost = *reach = 0;
    if (!l || !l->valid)
        return;
    for (int c = 0; c < LEAK_CLASSES; c++)
        for (size_t i = 0; i < l->cls[c].nsites; i++)
            if (l->cls[c].sites[i].stack_id == id)
                *(c == LEAK_REACHABLE ? reach : lost) += l->cls[c].sites[i].bytes;
}

static void annotate(struct growth_finding *f, const struct model *m, const struct leaks *l)
{
    f->reachable = -1;
    f->path = NULL;
    f->holder_blocks = f->total_blocks = 0;
    uint64_t id = f->by == GROWTH_BY_OWNER ? 0 : finding_stack_id(m, f);
    if (!id || !l)
        return;
    uint64_t lost, reach;
    last_snapshot_split(l, id, &lost, &reach);
    const struct retention_site_path *sp = retention_site_path(l->retention, id);
    if (lost > reach) {
        f->reachable = 0;
    } else if (sp && sp->reachable_bytes) {
        f->reachable = 1;
        f->path = sp->has_path ? &sp->path : NULL;
        if (sp->nholders && sp->holders[0].path.nsteps) { /* the holder with most bytes */
            f->path = &sp->holders[0].path;
            f->holder_blocks = sp->holders[0].blocks;
            f->total_blocks = sp->reachable_blocks;
        }
    } else if (reach) {
        f->reachable = 1;
    }
}

/* The value of `id` in snapshot s (see the header for a missing site). */
static double site_value(const struct retention_snapshot *s, uint64_t id)
{
    uint64_t smallest = UINT64_MAX;
    for (uint32_t i = 0; i < s->nsites; i++) {
        if (s->sites[i].stack_id == id)
            return (double)s->sites[i].retained_bytes;
        if (s->sites[i].retained_bytes < smallest)
            smallest = s->sites[i].retained_bytes;
    }
    return s->nsites < RETENTION_SITE_SERIES ? 0 : (double)smallest;
}

/* A retainer nested in another one that also grows adds nothing: drop it. */
static bool nested_in_growing(const struct retention *ret, uint64_t id, const bool *grows)
{
    for (size_t i = 0; i < ret->ntop; i++)
        if (ret->top[i].stack_id == id) {
            for (int32_t up = ret->top[i].inside; up >= 0; up = ret->top[up].inside)
                if (grows[up])
                    return true;
            return false;
        }
    return false;
}

static void add_retainers(struct growth_result *r, const struct model *m,
                          const struct retention *ret)
{
    /* the running snapshots: the exit one follows the program's teardown */
    const struct retention_snapshot **snaps = xcalloc(ret->nsnaps, sizeof(*snaps));
    uint32_t n = 0;
    for (size_t i = 0; i < ret->nsnaps; i++)
        if (ret->snaps[i].reason != HT_SNAP_EXIT)
            snaps[n++] = &ret->snaps[i];
    if (n < 10) {
        free(snaps);
        return;
    }
    double *x = xmalloc(n * sizeof(double)), *t = xmalloc(n * sizeof(double));
    double *y = xmalloc(n * sizeof(double));
    bool per_mark = r->per_mark;
    for (uint32_t k = 0; k < n; k++) {
        t[k] = (double)(snaps[k]->time_us - snaps[0]->time_us) / 1e6;
        x[k] = per_mark ? (double)snaps[k]->marks : t[k];
    }
    /* candidates: the retainers of the last snapshot; top-listed ones first
     * decide nesting, so test in the order of ret->top where listed */
    const struct retention_snapshot *last = snaps[n - 1];
    bool *grows = xcalloc(ret->ntop + 1, sizeof(bool));
    size_t first_new = r->n;
    for (uint32_t i = 0; i < last->nsites; i++) {
        uint64_t id = last->sites[i].stack_id;
        const struct model_stack *st = model_stack_of(m, id);
        if (!st || !st->nframes)
            continue;
        for (uint32_t k = 0; k < n; k++)
            y[k] = site_value(snaps[k], id);
        struct growth_finding f = {.by = GROWTH_BY_RETAINER, .stack = st,
                                   .function = model_frame_name(&st->frames[0]),
                                   .series_t0_us = snaps[0]->time_us};
        if (!growth_add_series(r, x, t, y, n, per_mark, r->warmup, f)) {
            free((char *)f.function);
            continue;
        }
        for (size_t j = 0; j < ret->ntop; j++)
            if (ret->top[j].stack_id == id)
                grows[j] = true;
    }
    /* drop the nested ones, keeping the outermost of each growing chain */
    size_t w = first_new;
    for (size_t i = first_new; i < r->n; i++) {
        uint64_t id = finding_stack_id(m, &r->findings[i]);
        if (id && nested_in_growing(ret, id, grows)) {
            free((char *)r->findings[i].function);
            free(r->findings[i].series_t);
            free(r->findings[i].series_y);
            continue;
        }
        r->findings[w++] = r->findings[i];
    }
    r->n = w;
    free(grows);
    free(snaps);
    free(x);
    free(t);
    free(y);
}

void growth_add_retention(struct growth_result *r, const struct model *m,
                          const struct growth_opts *o)
{
    (void)o;
    const struct leaks *l = m->leaks;
    const struct retention *ret = l ? l->retention : NULL;
    if (ret && ret->nsnaps)
        add_retainers(r, m, ret);
    for (size_t i = 0; i < r->n; i++)
        annotate(&r->findings[i], m, l);
    growth_sort(r);
}
