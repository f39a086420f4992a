/* SPDX-License-Identifier: MIT */
/*
 * gc.h - garbage-collected programs (libgc, format.h records 0x70-0x76):
 * the GC heap over time against the malloc heap the collector cannot see
 * ("dark matter"), collections, disappearing links and finalizers, and
 * which owners' malloc only a collection frees.
 *
 * Fed by replay_apply (replay->gc is created by the first GC record, so
 * other logs pay one branch); printed by gc_json / gc_text (report_gc.c).
 */
#ifndef HT_GC_H
#define HT_GC_H

#include <stdint.h>
#include <stdio.h>

#include "gc_weak.h"
#include "htab.h"
#include "model.h"
#include "reader.h"

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

/* True for the records gc_observe wants (GC records, and OWNER_CLOSE and RSS
 * once GC records were seen, and frees while a finalizer runs). */
static inline bool gc_wants(const struct gc_stats *g, uint8_t tag)
{
    return (tag >= HT_REC_GC_ALLOC && tag <= HT_REC_GC_FINALIZE_END) ||
           (g && (tag == HT_REC_OWNER_CLOSE || tag == HT_REC_RSS ||
                  (g->open_windows && (tag == HT_REC_FREE || tag == HT_REC_REALLOC))));
}

/* Applies one event, before replay does (an OWNER_CLOSE's handle is still known). */
void gc_observe(struct gc_stats **gp, struct replay *rp, const struct ht_event *ev);
void gc_free(struct gc_stats *g);
/* At the end of the replay: one last timeline sample at the log's end. */
void gc_finish(struct replay *rp);

/* Symbolizes the finalizer stacks of GC-owned owner groups (after replay). */
struct symbolizer;
void gc_symbolize(struct replay *rp, struct symbolizer *sym);

/* Handles of group g closed by GC finalizers (0 without GC records). */
uint64_t gc_group_closes(const struct replay *rp, const struct replay_owner_group *g);
/* Where the finalizers that closed group g's handles were registered (the
 * last one seen), symbolized by gc_symbolize; NULL when unknown. */
const struct model_stack *gc_group_fin_stack(const struct replay *rp,
                                             const struct replay_owner_group *g);
/* Whether dark matter outgrew the GC heap while finalizers freed malloc. */
bool gc_runs_too_rarely(const struct replay *rp);

/* "gc":{...}, (only for logs with GC records). */
void gc_json(const struct model *m, FILE *out);
/* ,"closed_by_gc_finalizers":N inside an owners entry (GC logs only). */
void gc_json_owner(const struct model *m, const struct replay_owner_group *g, FILE *out);
/* The "garbage collector" section (GC logs only). */
void gc_text(const struct model *m, const struct report_opts *o, FILE *out);

#endif /* HT_GC_H */
