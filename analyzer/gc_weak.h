/* SPDX-License-Identifier: MIT */
/*
 * gc_weak.h - weak tables seen through their disappearing links: per
 * registration stack (one stack: one table, in practice), the links live,
 * cleared by collections, and cleared slots the program still holds (dead
 * slots), sampled at each collection, and two findings on those series:
 *   growing live: live links keep growing while (almost) none is ever
 *     cleared: entries that should die never do (a value keeping its key
 *     alive: Boehm has no ephemerons);
 *   growing dead: cleared slots the program keeps grow: a table never vacuumed.
 * Fed by gc_observe; printed by report_gc_weak.c.
 */
#ifndef HT_GC_WEAK_H
#define HT_GC_WEAK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "htab.h"
#include "model.h"
#include "reader.h"

#define GC_WEAK_MAX_POINTS 512 /* per table: every other point dropped when full */
#define GC_WEAK_MIN_POINTS 8   /* collections a finding needs */
#define GC_WEAK_MIN_GAIN 256.0 /* links: less is not a table worth a finding */

struct replay;
struct symbolizer;

/* One collection's end, for one table. */
struct gc_weak_point {
    uint64_t t_us, live, cleared, dead;
    uint64_t collection; /* its number in the log (the x of the growth test) */
};

struct gc_weak_table {
    uint64_t stack; /* where its links were registered (log stack id) */
    uint64_t registered, unregistered, cleared, dropped;
    uint64_t collections_before; /* collections in the log before its first link */
    struct gc_weak_point *points;
    uint32_t npoints, cap;
    bool growing_live, growing_dead;
    struct model_stack sym; /* gc_weak_symbolize */
};

struct gc_weak {
    struct htab by_stack; /* stack id -> index into tables */
    struct gc_weak_table *tables;
    uint64_t ntables, cap;
    uint64_t last_collection_us, collections;
};

/* GC_LINK and GC_COLLECTION records. */
void gc_weak_observe(struct gc_weak **wp, const struct ht_event *ev);
/* After the replay: the findings. */
void gc_weak_finish(struct gc_weak *w);
void gc_weak_symbolize(struct gc_weak *w, struct replay *rp, struct symbolizer *sym);
void gc_weak_free(struct gc_weak *w);

static inline uint64_t gc_weak_live(const struct gc_weak_table *t)
{
    uint64_t gone = t->unregistered + t->cleared; /* older logs: unregistrations by call stack */
    return t->registered > gone ? t->registered - gone : 0;
}

static inline uint64_t gc_weak_dead(const struct gc_weak_table *t)
{
    return t->cleared > t->dropped ? t->cleared - t->dropped : 0;
}

/* report_gc_weak.c: ,"weak_tables":[...] inside "gc", and the text lines. */
void gc_weak_json(const struct gc_weak *w, FILE *out);
void gc_weak_text(const struct gc_weak *w, FILE *out);

#endif /* HT_GC_WEAK_H */
