/* SPDX-License-Identifier: MIT */
/*
 * gc_weak.c - see gc_weak.h. GC_LINK records of op UNREGISTER, CLEARED and
 * DEAD_DROPPED name where the link was registered; CLEARED and DEAD_DROPPED
 * follow the GC_COLLECTION that found them, so they amend its point.
 */
#include "gc_weak.h"

#include <stddef.h>
#include <stdlib.h>

#include "growth.h"
#include "xalloc.h"

static struct gc_weak_table *table_of(struct gc_weak *w, uint64_t stack)
{
    bool existed;
    uint64_t *idx = htab_put(&w->by_stack, stack + 1, &existed);
    if (!existed) {
        if (w->ntables == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 16;
            w->tables = xreallocarray(w->tables, w->cap, sizeof(*w->tables));
        }
        *idx = w->ntables;
        w->tables[w->ntables++] =
            (struct gc_weak_table){.stack = stack, .collections_before = w->collections};
    }
    return &w->tables[*idx];
}

static void point_set(struct gc_weak_point *p, const struct gc_weak_table *t, uint64_t t_us,
                      uint64_t collection)
{
    *p = (struct gc_weak_point){t_us, gc_weak_live(t), t->cleared, gc_weak_dead(t), collection};
}

static void point_push(struct gc_weak_table *t, uint64_t t_us, uint64_t collection)
{
    if (t->npoints == GC_WEAK_MAX_POINTS) { /* keep every other point: still evenly spread */
        for (uint32_t i = 0; i < t->npoints / 2; i++)
            t->points[i] = t->points[2 * i + 1];
        t->npoints /= 2;
    }
    if (t->npoints == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->points = xreallocarray(t->points, t->cap, sizeof(*t->points));
    }
    point_set(&t->points[t->npoints++], t, t_us, collection);
}

void gc_weak_observe(struct gc_weak **wp, const struct ht_event *ev)
{
    struct gc_weak *w = *wp;
    if (!w) {
        w = *wp = xcalloc(1, sizeof(*w));
        htab_init(&w->by_stack, sizeof(uint64_t));
    }
    if (ev->tag == HT_REC_GC_COLLECTION) {
        w->last_collection_us = ev->time_us;
        w->collections++;
        for (uint64_t i = 0; i < w->ntables; i++)
            if (w->tables[i].registered)
                point_push(&w->tables[i], ev->time_us, w->collections);
        return;
    }
    struct gc_weak_table *t;
    switch (ev->kind) {
    case HT_GC_LINK_REGISTER:
    case HT_GC_LINK_REGISTER_LONG: table_of(w, ev->stack)->registered += ev->value; return;
    case HT_GC_LINK_UNREGISTER: table_of(w, ev->stack)->unregistered += ev->value; return;
    case HT_GC_LINK_CLEARED:
        t = table_of(w, ev->stack);
        t->cleared += ev->value;
        break;
    case HT_GC_LINK_DEAD_DROPPED:
        t = table_of(w, ev->stack);
        t->dropped += ev->value;
        break;
    default: return; /* moves keep a link registered where it was */
    }
    /* found by the collection that just ended: its point */
    if (t->npoints && t->points[t->npoints - 1].collection == w->collections)
        point_set(&t->points[t->npoints - 1], t, w->last_collection_us, w->collections);
}

/* Whether the series field grows over the collections (growth.h's test).
 * x is the collection's number, not its time: a collection's cost grows
 * with the links the recorder checks, so time would bend a straight line. */
static bool grows(const struct gc_weak_table *t, size_t field)
{
    if (t->npoints < GC_WEAK_MIN_POINTS)
        return false;
    double *x = xreallocarray(NULL, t->npoints, sizeof(*x));
    double *y = xreallocarray(NULL, t->npoints, sizeof(*y));
    for (uint32_t i = 0; i < t->npoints; i++) {
        x[i] = (double)t->points[i].collection;
        y[i] = (double)*(const uint64_t *)((const char *)&t->points[i] + field);
    }
    struct growth_verdict v;
    growth_detect_gain(x, y, t->npoints, 0.2, GC_WEAK_MIN_GAIN, &v);
    free(x);
    free(y);
    return v.growing;
}

void gc_weak_finish(struct gc_weak *w)
{
    for (uint64_t i = 0; w && i < w->ntables; i++) {
        struct gc_weak_table *t = &w->tables[i];
        /* "almost none cleared": at most one in ten; many cleared is a table
         * that works, and its live count is the program's business */
        t->growing_live = t->cleared * 10 <= t->registered &&
                          grows(t, offsetof(struct gc_weak_point, live));
        t->growing_dead = grows(t, offsetof(struct gc_weak_point, dead));
    }
}

void gc_weak_symbolize(struct gc_weak *w, struct replay *rp, struct symbolizer *sym)
{
    for (uint64_t i = 0; w && i < w->ntables; i++)
        if (w->tables[i].stack && !w->tables[i].sym.frames)
            model_stack_build(&w->tables[i].sym, rp, w->tables[i].stack, sym);
}

void gc_weak_free(struct gc_weak *w)
{
    if (!w)
        return;
    for (uint64_t i = 0; i < w->ntables; i++) {
        free(w->tables[i].points);
        free(w->tables[i].sym.frames);
        free(w->tables[i].sym.key);
    }
    free(w->tables);
    htab_release(&w->by_stack);
    free(w);
}
