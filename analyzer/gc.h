/* SPDX-License-Identifier: MIT */
/*
 * gc.h - garbage-collected programs (libgc, format.h records 0x70-0x76):
 * the GC heap over time against the malloc heap the collector cannot see
 * ("dark matter"), collections, disappearing links and finalizers, and
 * which owners' malloc only a collection frees.
 *
 * Fed by the replay through gc_listener (analysis.c subscribes it; the model
 * hands the result to writers as m->gc); printed by gc_json / gc_text
 * (report_gc.c).
 */
#ifndef HT_GC_H
#define HT_GC_H

#include <stdint.h>
#include <stdio.h>

#include "gc_weak.h"
#include "htab.h"
#include "model.h"
#include "reader.h"
#include "replay.h"

struct replay;
struct model;
struct report_opts;
struct replay_owner_group;

/* One collection's end: the GC heap, the malloc heap then, RSS then. */
struct gc_sample {
    uint64_t t_us, gc_heap_bytes, dark_bytes, rss_bytes;
};

struct gc_stats {
    uint64_t collections, gc_heap_bytes, peak_gc_heap_bytes, gc_ns;
    uint64_t objects, allocated_bytes, frees, freed_bytes;
    uint64_t links[HT_GC_LINK_OP_COUNT_]; /* by enum ht_gc_link_op, summed counts */
    uint64_t finalizers_registered, finalizers_removed, finalized, finalized_bytes;
    uint64_t finalizer_freed_bytes; /* malloc freed by finalizers (their own thread's frees) */
    uint64_t open_windows;          /* threads inside a finalizer now */
    uint64_t finalizer_closes;      /* handles closed by finalizers */
    uint64_t max_dark_growth;       /* malloc growth between two collections */
    uint64_t dark_at_last;
    uint64_t rss_bytes; /* the latest RSS known: from a collection or an RSS record */
    uint64_t peak_held_bytes; /* at a collection's end: live bytes of finalizer-closed groups */
    uint64_t *group_closes; /* per replay owner group: handles closed by finalizers */
    uint64_t *group_fin_stack; /* ... and where the last closing finalizer was registered */
    uint64_t ngroup_closes;
    struct model_stack *fin_stacks; /* gc_symbolize: group_fin_stack symbolized, or NULL */
    struct gc_sample *samples;
    uint64_t nsamples, samples_cap;
    struct htab fin_threads; /* thread + 1 -> struct gc_window: a finalizer running there */
    struct gc_weak *weak;    /* links per registration stack: weak tables */
};

/*
 * The replay listener that fills *out (replay.h): it is created by the first
 * GC record, so other logs keep NULL and pay a bit test per event. It sees
 * events before replay applies them (an OWNER_CLOSE's handle is still known,
 * a block a finalizer frees still in the map), and once GC records came,
 * OWNER_CLOSE and RSS too, and frees while a finalizer runs. At the replay's
 * end it adds one last timeline sample at the log's end. *out must outlive
 * the replay; free it with gc_free.
 */
struct replay_listener gc_listener(struct gc_stats **out);
void gc_free(struct gc_stats *g);

/* Symbolizes the finalizer stacks of GC-owned owner groups (after replay). */
struct symbolizer;
void gc_symbolize(struct gc_stats *g, struct replay *rp, struct symbolizer *sym);

/* Handles of group g closed by GC finalizers (0 without GC records). */
uint64_t gc_group_closes(const struct model *m, const struct replay_owner_group *g);
/* Where the finalizers that closed group g's handles were registered (the
 * last one seen), symbolized by gc_symbolize; NULL when unknown. */
const struct model_stack *gc_group_fin_stack(const struct model *m,
                                             const struct replay_owner_group *g);
/* Whether dark matter outgrew the GC heap while finalizers freed malloc. */
bool gc_runs_too_rarely(const struct model *m);

/* "gc":{...}, (only for logs with GC records). */
void gc_json(const struct model *m, FILE *out);
/* ,"closed_by_gc_finalizers":N inside an owners entry (GC logs only). */
void gc_json_owner(const struct model *m, const struct replay_owner_group *g, FILE *out);
/* The "garbage collector" section (GC logs only). */
void gc_text(const struct model *m, const struct report_opts *o, FILE *out);

#endif /* HT_GC_H */
