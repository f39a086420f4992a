/* SPDX-License-Identifier: MIT */
/*
 * gc.c - see gc.h: the GC records replayed into numbers.
 *
 * Dark matter is all live malloc heap: none of it is visible to libgc. What
 * a finalizer frees (its thread's malloc heap shrinking between
 * GC_FINALIZE_BEGIN and END, and the handles it closes) is the part only a
 * collection can release: its growth between collections is what a
 * collector pacing itself by GC allocation does not see.
 */
#include "gc.h"

#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "xalloc.h"

/* A finalizer running on a thread: the malloc it freed so far, and where it
 * was registered (depth: finalizers run from inside a finalizer). */
struct gc_window {
    uint64_t freed, stack;
    uint32_t depth;
};

/* A FREE or REALLOC on a thread inside a finalizer: the old block's size. */
static void finalizer_free(struct gc_stats *g, struct replay *rp, const struct ht_event *ev)
{
    struct gc_window *w = htab_get(&g->fin_threads, (uint64_t)ev->thread + 1);
    uint64_t id = ev->tag == HT_REC_FREE ? ev->addr : ev->old_addr;
    const struct bm_block *b = w && id ? blockmap_get(&rp->blocks, id) : NULL;
    if (b)
        w->freed += b->size;
}

static void sample_push(struct gc_stats *g, const struct gc_sample *s)
{
    if (g->nsamples == g->samples_cap) {
        g->samples_cap = g->samples_cap ? g->samples_cap * 2 : 64;
        g->samples = xreallocarray(g->samples, g->samples_cap, sizeof(*g->samples));
    }
    g->samples[g->nsamples++] = *s;
}

static void collection(struct gc_stats *g, struct replay *rp, const struct ht_event *ev)
{
    uint64_t dark = rp->tot.heap_bytes;
    g->collections++;
    g->gc_heap_bytes = ev->size;
    if (ev->size > g->peak_gc_heap_bytes)
        g->peak_gc_heap_bytes = ev->size;
    g->gc_ns += ht_gc_collection_duration_ns(ev);
    if (dark > g->dark_at_last && dark - g->dark_at_last > g->max_dark_growth)
        g->max_dark_growth = dark - g->dark_at_last;
    g->dark_at_last = dark;
    uint64_t held = 0; /* groups known GC-owned so far (a finalizer closed one of theirs) */
    for (uint64_t i = 0; i < g->ngroup_closes && i < rp->ngroups; i++)
        if (g->group_closes[i])
            held += rp->groups[i].bytes;
    if (held > g->peak_held_bytes)
        g->peak_held_bytes = held;
    if (ev->handle)
        g->rss_bytes = ev->handle;
    struct gc_sample s = {ev->time_us, ev->size, dark, g->rss_bytes};
    sample_push(g, &s);
}

/* A handle closed inside a finalizer: its owner group is GC-owned. */
static void finalizer_close(struct gc_stats *g, struct replay *rp, const struct ht_event *ev,
                            const struct gc_window *w)
{
    g->finalizer_closes++;
    uint64_t group = replay_handle_group(rp, ev->handle);
    if (!group--)
        return;
    if (group >= g->ngroup_closes) {
        uint64_t n = rp->ngroups > group ? rp->ngroups : group + 1;
        g->group_closes = xreallocarray(g->group_closes, n, sizeof(*g->group_closes));
        g->group_fin_stack = xreallocarray(g->group_fin_stack, n, sizeof(*g->group_fin_stack));
        memset(g->group_closes + g->ngroup_closes, 0,
               (n - g->ngroup_closes) * sizeof(*g->group_closes));
        memset(g->group_fin_stack + g->ngroup_closes, 0,
               (n - g->ngroup_closes) * sizeof(*g->group_fin_stack));
        g->ngroup_closes = n;
    }
    g->group_closes[group]++;
    g->group_fin_stack[group] = w->stack;
}

/* The records gc_observe wants beyond the GC records themselves: those of
 * a program with a collector, and frees only while a finalizer runs. */
static void gc_want_more(struct replay_listener *self, const struct gc_stats *g)
{
    replay_listener_want(self, HT_REC_OWNER_CLOSE, true);
    replay_listener_want(self, HT_REC_RSS, true);
    replay_listener_want(self, HT_REC_FREE, g->open_windows != 0);
    replay_listener_want(self, HT_REC_REALLOC, g->open_windows != 0);
}

static void gc_observe(struct replay_listener *self, struct replay *rp, const struct ht_event *ev)
{
    struct gc_stats **gp = self->ctx, *g = *gp;
    if (!g) {
        g = *gp = xcalloc(1, sizeof(*g));
        htab_init(&g->fin_threads, sizeof(struct gc_window));
        gc_want_more(self, g);
    }
    uint64_t key = (uint64_t)ev->thread + 1;
    switch (ev->tag) {
    case HT_REC_GC_ALLOC:
        g->objects += ev->value;
        g->allocated_bytes += ev->size;
        break;
    case HT_REC_GC_FREE:
        g->frees++;
        g->freed_bytes += ev->size;
        break;
    case HT_REC_GC_COLLECTION:
        collection(g, rp, ev);
        gc_weak_observe(&g->weak, ev);
        break;
    case HT_REC_GC_LINK:
        if (ev->kind < HT_GC_LINK_OP_COUNT_)
            g->links[ev->kind] += ev->value;
        gc_weak_observe(&g->weak, ev);
        break;
    case HT_REC_GC_FINALIZER:
        if (ev->kind == 0)
            g->finalizers_registered++;
        else
            g->finalizers_removed++;
        break;
    case HT_REC_GC_FINALIZE_BEGIN: {
        g->finalized++;
        g->finalized_bytes += ev->size;
        bool existed;
        struct gc_window *w = htab_put(&g->fin_threads, key, &existed);
        if (existed) {
            w->depth++;
        } else {
            *w = (struct gc_window){0, ev->stack, 1};
            if (g->open_windows++ == 0)
                gc_want_more(self, g);
        }
        break;
    }
    case HT_REC_GC_FINALIZE_END: {
        struct gc_window *w = htab_get(&g->fin_threads, key);
        if (w && --w->depth == 0) {
            g->finalizer_freed_bytes += w->freed;
            htab_remove(&g->fin_threads, key, NULL);
            if (--g->open_windows == 0)
                gc_want_more(self, g);
        }
        break;
    }
    case HT_REC_FREE:
    case HT_REC_REALLOC: finalizer_free(g, rp, ev); break;
    case HT_REC_RSS: g->rss_bytes = ev->value; break;
    case HT_REC_OWNER_CLOSE: {
        const struct gc_window *w = htab_get(&g->fin_threads, key);
        if (w)
            finalizer_close(g, rp, ev, w);
        break;
    }
    default: break;
    }
}

uint64_t gc_group_closes(const struct model *m, const struct replay_owner_group *grp)
{
    const struct gc_stats *g = m->gc;
    if (!g)
        return 0;
    uint64_t i = (uint64_t)(grp - m->rp->groups);
    return i < g->ngroup_closes ? g->group_closes[i] : 0;
}

bool gc_runs_too_rarely(const struct model *m)
{
    const struct gc_stats *g = m->gc;
    if (!g || m->rp->tot.peak_bytes <= g->peak_gc_heap_bytes)
        return false;
    /* finalizers freed malloc, or finalizable objects wait for a collection */
    return g->finalizer_freed_bytes > 0 ||
           g->finalizers_registered > g->finalized + g->finalizers_removed;
}

static void gc_finish(struct replay_listener *self, struct replay *rp)
{
    struct gc_stats *g = *(struct gc_stats **)self->ctx;
    if (g)
        gc_weak_finish(g->weak);
    if (!g || !g->nsamples || rp->tot.duration_us <= g->samples[g->nsamples - 1].t_us)
        return;
    uint64_t dark = rp->tot.heap_bytes;
    if (dark > g->dark_at_last && dark - g->dark_at_last > g->max_dark_growth)
        g->max_dark_growth = dark - g->dark_at_last; /* since the last collection */
    struct gc_sample s = {rp->tot.duration_us, g->gc_heap_bytes, dark, g->rss_bytes};
    sample_push(g, &s);
}

struct replay_listener gc_listener(struct gc_stats **out)
{
    struct replay_listener l = {.ctx = out, .on_event = gc_observe, .finish = gc_finish,
                                .before = true, .wake_us = UINT64_MAX};
    for (unsigned tag = HT_REC_GC_ALLOC; tag <= HT_REC_GC_FINALIZE_END; tag++)
        replay_listener_want(&l, (uint8_t)tag, true);
    return l;
}

void gc_symbolize(struct gc_stats *g, struct replay *rp, struct symbolizer *sym)
{
    if (g)
        gc_weak_symbolize(g->weak, rp, sym);
    if (!g || !g->ngroup_closes || g->fin_stacks)
        return;
    g->fin_stacks = xcalloc(g->ngroup_closes, sizeof(*g->fin_stacks));
    for (uint64_t i = 0; i < g->ngroup_closes; i++)
        if (g->group_closes[i])
            model_stack_build(&g->fin_stacks[i], rp, g->group_fin_stack[i], sym);
}

const struct model_stack *gc_group_fin_stack(const struct model *m,
                                             const struct replay_owner_group *grp)
{
    const struct gc_stats *g = m->gc;
    uint64_t i = g ? (uint64_t)(grp - m->rp->groups) : 0;
    if (!g || !g->fin_stacks || i >= g->ngroup_closes || !g->group_closes[i])
        return NULL;
    return &g->fin_stacks[i];
}

void gc_free(struct gc_stats *g)
{
    if (!g)
        return;
    for (uint64_t i = 0; g->fin_stacks && i < g->ngroup_closes; i++) {
        free(g->fin_stacks[i].frames);
        free(g->fin_stacks[i].key);
    }
    free(g->fin_stacks);
    free(g->group_fin_stack);
    htab_release(&g->fin_threads);
    free(g->group_closes);
    free(g->samples);
    gc_weak_free(g->weak);
    free(g);
}
