/* SPDX-License-Identifier: MIT */
/*
 * report_gc.c - the "gc" JSON object and the "garbage collector" text
 * section (docs/REPORT.md). Key names are a contract: add, never rename.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "gc.h"
#include "names.h"
#include "report.h"

#define GC_TIMELINE_MAX 200

/* Up to GC_TIMELINE_MAX samples: of each run of `stride`, the one with the
 * most dark matter, so the peaks survive. */
static void json_timeline(const struct gc_stats *g, FILE *out)
{
    uint64_t stride = (g->nsamples + GC_TIMELINE_MAX - 1) / GC_TIMELINE_MAX;
    if (stride == 0)
        stride = 1;
    fputs("\"timeline\":[", out);
    for (uint64_t i = 0; i < g->nsamples; i += stride) {
        const struct gc_sample *best = &g->samples[i];
        for (uint64_t j = i; j < i + stride && j < g->nsamples; j++)
            if (g->samples[j].dark_bytes > best->dark_bytes)
                best = &g->samples[j];
        fprintf(out, "%s\n  {\"t_s\":%.6f,\"gc_heap_bytes\":%" PRIu64 ",\"dark_bytes\":%" PRIu64
                     ",\"rss_bytes\":%" PRIu64 "}",
                i ? "," : "", (double)best->t_us / 1e6, best->gc_heap_bytes, best->dark_bytes,
                best->rss_bytes);
    }
    fputc(']', out);
}

void gc_json(const struct model *m, FILE *out)
{
    const struct replay *rp = m->rp;
    const struct gc_stats *g = m->gc;
    if (!g)
        return;
    fprintf(out,
            "\"gc\":{\"collector\":\"bdwgc\",\"collections\":%" PRIu64
            ",\"peak_gc_heap_bytes\":%" PRIu64 ",\"peak_dark_bytes\":%" PRIu64
            ",\"disappearing_links\":{\"registered\":%" PRIu64 ",\"unregistered\":%" PRIu64
            ",\"cleared\":%" PRIu64 "},",
            g->collections, g->peak_gc_heap_bytes, rp->tot.peak_bytes,
            g->links[HT_GC_LINK_REGISTER] + g->links[HT_GC_LINK_REGISTER_LONG],
            g->links[HT_GC_LINK_UNREGISTER], g->links[HT_GC_LINK_CLEARED]);
    json_timeline(g, out);
    fprintf(out,
            ",\n \"objects_allocated\":%" PRIu64 ",\"bytes_allocated\":%" PRIu64
            ",\"explicit_frees\":%" PRIu64 ",\"collection_seconds\":%.6f"
            ",\"finalizers\":{\"registered\":%" PRIu64 ",\"removed\":%" PRIu64 ",\"run\":%" PRIu64
            ",\"freed_malloc_bytes\":%" PRIu64 ",\"closed_handles\":%" PRIu64 "}"
            ",\"max_dark_growth_between_collections_bytes\":%" PRIu64
            ",\"peak_finalizer_held_dark_bytes\":%" PRIu64
            ",\"runs_too_rarely\":%s",
            g->objects, g->allocated_bytes, g->frees, (double)g->gc_ns / 1e9,
            g->finalizers_registered, g->finalizers_removed, g->finalized,
            g->finalizer_freed_bytes, g->finalizer_closes, g->max_dark_growth, g->peak_held_bytes,
            gc_runs_too_rarely(m) ? "true" : "false");
    gc_weak_json(g->weak, out);
    fputs("},\n", out);
}

void gc_json_owner(const struct model *m, const struct replay_owner_group *grp, FILE *out)
{
    if (!m->gc)
        return;
    fprintf(out, ",\"closed_by_gc_finalizers\":%" PRIu64, gc_group_closes(m, grp));
    const struct model_stack *st = gc_group_fin_stack(m, grp);
    if (st) {
        fputs(",\"gc_finalizer_stack\":", out);
        report_json_stack(out, st);
    }
}

/* The first frames of a stack, one a line. */
static void text_frames(const struct model_stack *st, FILE *out)
{
    for (uint32_t i = 0; i < st->nframes && i < 6; i++) {
        const struct sym_frame *f = &st->frames[i];
        char *name = model_frame_name(f);
        fprintf(out, "      %s", name);
        if (f->file)
            fprintf(out, " (%s:%" PRIu32 ")", f->file, f->line);
        fputc('\n', out);
        free(name);
    }
}

/* Owners whose handles GC finalizers closed: the dark matter a GC object holds. */
static void text_gc_owners(const struct model *m, FILE *out)
{
    char b1[32], b2[32];
    bool any = false;
    for (uint64_t i = 0; i < m->nowners; i++)
        any |= gc_group_closes(m, m->owners[i].g) != 0;
    if (!any)
        return;
    if (m->gc->peak_held_bytes)
        fprintf(out, "  dark matter held by GC objects: up to %s of it at a collection was malloc "
                     "behind handles that only GC finalizers close (dark matter peak %s):\n",
                report_bytes(m->gc->peak_held_bytes, b1),
                report_bytes(m->rp->tot.peak_bytes, b2));
    else
        fputs("  dark matter held by GC objects (handles that GC finalizers close):\n", out);
    for (uint64_t i = 0; i < m->nowners; i++) {
        const struct replay_owner_group *grp = m->owners[i].g;
        uint64_t closes = gc_group_closes(m, grp);
        if (!closes)
            continue;
        fprintf(out, "    %s: %s live in %" PRIu64 " handles, peak %s; %" PRIu64 " of %" PRIu64
                     " opened were closed by GC finalizers; opened at\n",
                names_owner_kind(grp->kind), report_bytes(grp->bytes, b1), grp->live_handles,
                report_bytes(grp->peak_bytes, b2), closes, grp->opened);
        text_frames(&m->owners[i].stack, out);
        const struct model_stack *st = gc_group_fin_stack(m, grp);
        if (st && st->nframes) {
            fputs("    held by GC objects whose finalizer was registered at\n", out);
            text_frames(st, out);
        }
    }
}

/* A few collections spread over the run: the GC heap, dark matter, RSS. */
static void text_timeline(const struct gc_stats *g, const struct report_opts *o, FILE *out)
{
    enum { ROWS = 8 };
    char b1[32], b2[32], b3[32];
    if (g->nsamples < 2)
        return;
    fprintf(out, "  %10s %12s %12s %12s\n", o->no_addresses ? "collection" : "time",
            "GC heap", "dark matter", "RSS");
    uint64_t rows = g->nsamples < ROWS ? g->nsamples : ROWS;
    for (uint64_t r = 0; r < rows; r++) {
        uint64_t i = r * (g->nsamples - 1) / (rows - 1);
        const struct gc_sample *s = &g->samples[i];
        if (o->no_addresses)
            fprintf(out, "  %10" PRIu64, i + 1);
        else
            fprintf(out, "  %8.3f s", (double)s->t_us / 1e6);
        fprintf(out, " %12s %12s %12s\n", report_bytes(s->gc_heap_bytes, b1),
                report_bytes(s->dark_bytes, b2), report_bytes(s->rss_bytes, b3));
    }
}

void gc_text(const struct model *m, const struct report_opts *o, FILE *out)
{
    const struct replay *rp = m->rp;
    const struct gc_stats *g = m->gc;
    char b1[32], b2[32], b3[32];
    if (!g)
        return;
    fputs("\ngarbage collector (bdwgc)\n", out);
    double secs = (double)rp->tot.duration_us / 1e6;
    fprintf(out, "  %" PRIu64 " collections", g->collections);
    if (!o->no_addresses && g->collections)
        fprintf(out, " in %.2f s (one every %.3f s, %.3f s collecting)", secs,
                secs / (double)g->collections, (double)g->gc_ns / 1e9);
    fprintf(out, "; %s of GC objects allocated (%" PRIu64 " objects)\n",
            report_bytes(g->allocated_bytes, b1), g->objects);
    uint64_t peak_rss = rp->tot.peak_rss;
    for (uint64_t i = 0; i < g->nsamples; i++)
        if (g->samples[i].rss_bytes > peak_rss)
            peak_rss = g->samples[i].rss_bytes;
    fprintf(out, "  GC heap peak %s vs dark matter (malloc outside the GC) peak %s; RSS peak %s\n",
            report_bytes(g->peak_gc_heap_bytes, b1), report_bytes(rp->tot.peak_bytes, b2),
            report_bytes(peak_rss, b3));
    if (g->nsamples >= 2) {
        const struct gc_sample *a = &g->samples[0], *z = &g->samples[g->nsamples - 1];
        int64_t drss = (int64_t)(z->rss_bytes - a->rss_bytes);
        fprintf(out, "  RSS %c%s while the GC heap stayed at or below %s "
                     "(from the first collection to the end)\n",
                drss < 0 ? '-' : '+', report_bytes((uint64_t)(drss < 0 ? -drss : drss), b1),
                report_bytes(g->peak_gc_heap_bytes, b2));
    }
    text_timeline(g, o, out);
    fprintf(out, "  disappearing links: %" PRIu64 " registered, %" PRIu64 " unregistered, %" PRIu64
                 " cleared by collections\n",
            g->links[HT_GC_LINK_REGISTER] + g->links[HT_GC_LINK_REGISTER_LONG],
            g->links[HT_GC_LINK_UNREGISTER], g->links[HT_GC_LINK_CLEARED]);
    fprintf(out, "  finalizers: %" PRIu64 " registered, %" PRIu64 " run (objects found dead), "
                 "freeing %s of malloc and closing %" PRIu64 " handles\n",
            g->finalizers_registered, g->finalized, report_bytes(g->finalizer_freed_bytes, b1),
            g->finalizer_closes);
    gc_weak_text(g->weak, out);
    text_gc_owners(m, out);
    if (gc_runs_too_rarely(m))
        fprintf(out,
                "  GC runs too rarely: dark matter peaked at %s, %.1fx the GC heap, and grew by "
                "up to %s between two collections; libgc paces itself by GC allocation only, "
                "so malloc that only finalizers free piles up unseen (%" PRIu64 " finalizable "
                "objects still waiting at the end; close such handles explicitly, or collect "
                "more often)\n",
                report_bytes(rp->tot.peak_bytes, b1),
                g->peak_gc_heap_bytes ? (double)rp->tot.peak_bytes / (double)g->peak_gc_heap_bytes
                                      : 0.0,
                report_bytes(g->max_dark_growth, b2),
                g->finalizers_registered > g->finalized + g->finalizers_removed
                    ? g->finalizers_registered - g->finalized - g->finalizers_removed
                    : 0);
}
