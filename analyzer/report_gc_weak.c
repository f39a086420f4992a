/* SPDX-License-Identifier: MIT */
/*
 * report_gc_weak.c - "weak_tables" inside the "gc" JSON object and a line
 * per flagged table in the "garbage collector" section (docs/REPORT.md).
 * Key names are a contract: add, never rename.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "gc_weak.h"
#include "report.h"
#include "xalloc.h"

#define GC_WEAK_JSON_POINTS 64 /* snapshots per table in the JSON */
#define GC_WEAK_JSON_TABLES 20 /* unflagged tables listed (Guile has ~1500 stacks of a link or two) */

static const char *jbool(bool b)
{
    return b ? "true" : "false";
}

static void json_points(const struct gc_weak_table *t, FILE *out)
{
    uint32_t stride = (t->npoints + GC_WEAK_JSON_POINTS - 1) / GC_WEAK_JSON_POINTS;
    stride = stride ? stride : 1;
    fputs("\"snapshots\":[", out);
    /* from the last point back, so the end of the run is always there */
    uint32_t first = (t->npoints - 1) % stride;
    for (uint32_t i = first; i < t->npoints; i += stride) {
        const struct gc_weak_point *p = &t->points[i];
        fprintf(out, "%s{\"t_s\":%.6f,\"live\":%" PRIu64 ",\"cleared\":%" PRIu64
                     ",\"dead\":%" PRIu64 "}",
                i != first ? "," : "", (double)p->t_us / 1e6, p->live, p->cleared, p->dead);
    }
    fputc(']', out);
}

/* Flagged tables first, then by links registered, then by stack id. */
static int by_interest(const void *a, const void *b)
{
    const struct gc_weak_table *x = *(const struct gc_weak_table *const *)a;
    const struct gc_weak_table *y = *(const struct gc_weak_table *const *)b;
    int fx = x->growing_live || x->growing_dead, fy = y->growing_live || y->growing_dead;
    if (fx != fy)
        return fy - fx;
    if (x->registered != y->registered)
        return x->registered < y->registered ? 1 : -1;
    return (x->stack > y->stack) - (x->stack < y->stack);
}

void gc_weak_json(const struct gc_weak *w, FILE *out)
{
    fputs(",\n \"weak_tables\":[", out);
    uint64_t n = w ? w->ntables : 0;
    const struct gc_weak_table **order = xreallocarray(NULL, n ? n : 1, sizeof(*order));
    for (uint64_t i = 0; i < n; i++)
        order[i] = &w->tables[i];
    qsort(order, n, sizeof(*order), by_interest);
    bool any = false;
    uint64_t unflagged = 0;
    for (uint64_t i = 0; i < n; i++) {
        const struct gc_weak_table *t = order[i];
        bool f = t->growing_live || t->growing_dead;
        if (!t->stack || !t->registered || (!f && unflagged++ >= GC_WEAK_JSON_TABLES))
            continue;
        fputs(any ? ",\n  {\"stack\":" : "\n  {\"stack\":", out);
        any = true;
        report_json_stack(out, &t->sym);
        fprintf(out, ",\"registered\":%" PRIu64 ",\"unregistered\":%" PRIu64
                     ",\"cleared\":%" PRIu64 ",\"live\":%" PRIu64
                     ",\"cleared_not_unregistered\":%" PRIu64 ",\"dead_slots_dropped\":%" PRIu64
                     ",",
                t->registered, t->unregistered, t->cleared, gc_weak_live(t),
                gc_weak_dead(t), t->dropped);
        json_points(t, out);
        fprintf(out, ",\"growing_live\":%s,\"growing_dead\":%s,\"flagged\":%s}",
                jbool(t->growing_live), jbool(t->growing_dead), jbool(f));
    }
    free(order);
    fputc(']', out);
}

/* "fn (file:line)" of the innermost frame, then its callers on one line. */
static void text_where(const struct model_stack *st, FILE *out)
{
    if (!st->nframes) {
        fputs("an unknown stack", out);
        return;
    }
    for (uint32_t i = 0; i < st->nframes && i < 4; i++) {
        const struct sym_frame *f = &st->frames[i];
        char *name = model_frame_name(f);
        fprintf(out, "%s%s", i ? " < " : "", name);
        if (f->file)
            fprintf(out, " (%s:%" PRIu32 ")", f->file, f->line);
        free(name);
    }
}

void gc_weak_text(const struct gc_weak *w, FILE *out)
{
    for (uint64_t i = 0; w && i < w->ntables; i++) {
        const struct gc_weak_table *t = &w->tables[i];
        if (!t->stack || !(t->growing_live || t->growing_dead))
            continue;
        uint64_t collections = w->collections - t->collections_before; /* since its first link */
        fputs("  weak table registered at ", out);
        text_where(&t->sym, out);
        if (t->growing_live)
            fprintf(out, ": %" PRIu64 " live links, %" PRIu64 " cleared in %" PRIu64
                         " collections: entries are never collected (a value keeping its key "
                         "alive? Boehm has no ephemerons)",
                    gc_weak_live(t), t->cleared, collections);
        if (t->growing_dead)
            fprintf(out, "%s %" PRIu64 " dead slots (links the collector cleared, %" PRIu64
                         " of %" PRIu64 " registered, whose entries the program still holds), "
                         "growing over %" PRIu64 " collections: the table is never vacuumed",
                    t->growing_live ? "; and" : ":", gc_weak_dead(t), t->cleared, t->registered,
                    collections);
        fputc('\n', out);
    }
}
