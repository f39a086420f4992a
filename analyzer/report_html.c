/* SPDX-License-Identifier: MIT */
/*
 * report_html.c - the HTML report (--html FILE): one self-contained page,
 * the style sheet and script of analyzer/html/ embedded at build time
 * (html_assets.c, generated), the data of the process tree as one JSON blob
 * that the script renders (docs/REPORT.md, "The HTML report").
 *
 * The blob is sized for the log's summary, never its events: stacks are
 * lists of indexes into one table of distinct frames, the flame graph gets
 * at most HTML_MAX_SITES sites, marks and GC samples are thinned to a few
 * hundred points, and only processes with something to say get more than
 * their totals. Every '<' of the blob is written as \u003c, so no string of
 * the log (a function name, a path, a mark's label) can close the <script>
 * element that holds it.
 *
 * Like the other writers it only reads the model and the findings; it
 * computes nothing but the choice of what to show.
 */
#include "report_extra.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "gc.h"
#include "htab.h"
#include "leaks.h"
#include "names.h"
#include "retention.h"
#include "suspects.h"
#include "userframe.h"
#include "xalloc.h"

extern const char html_css[];
extern const char html_js[];

#define HTML_MAX_SITES 3000    /* flame graph leaves */
#define HTML_MAX_MARKS 400     /* marks drawn on the time axis */
#define HTML_MAX_GC 600        /* GC samples drawn */
#define HTML_MAX_FINDINGS 40   /* growth findings */
#define HTML_MAX_DETAILED 24   /* processes with a section of their own */
#define HTML_MAX_LEAK_SITES 10 /* per leak class */

/* The frame table: distinct frames by (name, file, line, module). */
struct html_frames {
    struct htab index; /* hash of the frame + 1 -> uint32_t index */
    FILE *out;         /* the "frames" array being written */
    char *buf;
    size_t len;
    uint32_t n;
};

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull; /* a separator: "ab","c" differs from "a","bc" */
}

static const char *base_name(const char *path)
{
    const char *b = path ? strrchr(path, '/') : NULL;
    return b ? b + 1 : path;
}

static uint32_t frame_id(struct html_frames *fr, const struct sym_frame *f)
{
    char *name = model_frame_name(f);
    uint64_t h = fnv(fnv(fnv(0xcbf29ce484222325ull, name), f->file), f->module);
    h = (h ^ f->line) * 0x100000001b3ull;
    h = (h ^ (f->inlined ? 1 : 2)) * 0x100000001b3ull;
    bool existed;
    uint32_t *v = htab_put(&fr->index, h ? h : 1, &existed);
    if (!existed) {
        *v = fr->n++;
        fputs(*v ? ",\n[" : "[", fr->out);
        report_json_str(fr->out, name);
        fputc(',', fr->out);
        report_json_str_or_null(fr->out, f->file);
        fprintf(fr->out, ",%" PRIu32 ",", f->line);
        report_json_str_or_null(fr->out, base_name(f->module));
        /* the program's own code or not (userframe.h), for the page to
         * pick the user's frame and trim what lies below main */
        bool is_main = f->function && strcmp(f->function, "main") == 0;
        int flags = userframe_is_system(f) | userframe_is_heaptrace(f) << 1 |
                    (userframe_is_main_or_below(f) && !is_main) << 2 | is_main << 3;
        fprintf(fr->out, ",%d,%d]", f->inlined ? 1 : 0, flags);
    }
    free(name);
    return *v;
}

struct html {
    FILE *out; /* the blob, before escaping */
    struct html_frames fr;
    const struct model *m;
};

static void stack_json(struct html *h, const struct model_stack *st)
{
    fputc('[', h->out);
    for (uint32_t i = 0; st && i < st->nframes; i++)
        fprintf(h->out, i ? ",%" PRIu32 : "%" PRIu32, frame_id(&h->fr, &st->frames[i]));
    fputc(']', h->out);
}

static void stack_of_json(struct html *h, uint64_t stack_id)
{
    stack_json(h, model_stack_of(h->m, stack_id));
}

static void num(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.6g", v);
    else
        fputs("null", out);
}

static void path_json(struct html *h, const struct retention_path *p)
{
    if (!p) {
        fputs("null", h->out);
        return;
    }
    fputs("{\"root\":", h->out);
    report_retention_root_json(h->out, &p->root);
    fputs(",\"steps\":[", h->out);
    for (uint32_t i = 0; i < p->nsteps; i++) {
        if (p->elided && i == p->elided_after)
            fprintf(h->out, "%s{\"elided\":%" PRIu64 "}", i ? "," : "", p->elided);
        const struct retention_step *s = &p->steps[i];
        fprintf(h->out, "%s{\"size\":%" PRIu64 ",\"offset\":%" PRIu64 ",\"interior\":%s,\"stack\":",
                i || (p->elided && !p->elided_after) ? "," : "", s->size, s->offset,
                s->interior ? "true" : "false");
        stack_of_json(h, s->stack_id);
        fputc('}', h->out);
    }
    fputs("]}", h->out);
}

static const struct retention *retention_of(const struct model *m)
{
    const struct leaks *l = m->leaks;
    return l && l->retention && l->retention->nsnaps ? l->retention : NULL;
}

/* ------------------------------------------------------------ summary */

static void summary_json(struct html *h, const struct model *m)
{
    const struct replay_totals *t = &m->rp->tot;
    const struct ht_header *hd = m->hdr;
    FILE *out = h->out;
    struct model_leaked lk; /* what "leaked" means here, as in the JSON summary */
    model_leaked(m, &lk);
    fprintf(out, "\"pid\":%" PRIu64 ",\"ppid\":%" PRIu64 ",\"exe\":", hd->pid, hd->ppid);
    report_json_str(out, hd->exe);
    fputs(",\"argv\":[", out);
    for (uint32_t i = 0; i < hd->argc && i < 32; i++) {
        if (i)
            fputc(',', out);
        report_json_str(out, hd->argv[i]);
    }
    fputs("],\"log\":", out);
    report_json_str(out, m->path);
    fprintf(out,
            ",\"summary\":{\"allocations\":%" PRIu64 ",\"frees\":%" PRIu64
            ",\"bytes_allocated\":%" PRIu64 ",\"peak_bytes\":%" PRIu64 ",\"peak_time_s\":%.6f"
            ",\"leaked_bytes\":%" PRIu64 ",\"leaked_blocks\":%" PRIu64 ",\"leaked_means\":\"%s\""
            ",\"live_at_exit_bytes\":%" PRIu64 ",\"live_at_exit_blocks\":%" PRIu64
            ",\"temporary\":%" PRIu64 ",\"peak_rss_bytes\":%" PRIu64 ",\"duration_s\":%.6f"
            ",\"lost_events\":%" PRIu64 ",\"marks\":%" PRIu64 ",\"complete\":%s,\"truncation\":",
            t->allocations, t->frees, t->bytes_allocated, t->peak_bytes,
            (double)t->peak_time_us / 1e6, lk.bytes, lk.blocks,
            lk.replaced ? "replaced_by_exec" : lk.lost ? "lost" : "live_at_exit",
            t->leaked_bytes, t->leaked_blocks, t->temporary,
            t->peak_rss, (double)t->duration_us / 1e6, t->lost_events, t->marks_total,
            t->complete ? "true" : "false");
    report_json_str_or_null(out, m->truncation[0] ? m->truncation : NULL);
    fprintf(out, ",\"sample_every\":%" PRIu64 "}", t->sample_every); /* 0: not sampled */
}

/* ------------------------------------------------------ memory over time */

static void timeline_json(struct html *h, const struct model *m)
{
    const struct replay *rp = m->rp;
    FILE *out = h->out;
    static const char *const keys[] = {"t", "heap", "mmap", "rss"};
    fputs(",\"timeline\":{", out);
    for (int k = 0; k < 4; k++) {
        fprintf(out, "%s\"%s\":[", k ? "," : "", keys[k]);
        for (uint64_t i = 0; i < rp->ntimeline; i++) {
            const struct replay_sample *s = &rp->timeline[i];
            uint64_t v = k == 0 ? 0 : k == 1 ? s->heap_bytes : k == 2 ? s->mmap_bytes : s->rss_bytes;
            if (k == 0)
                fprintf(out, i ? ",%.6f" : "%.6f", (double)s->t_us / 1e6);
            else
                fprintf(out, i ? ",%" PRIu64 : "%" PRIu64, v);
        }
        fputc(']', out);
    }
    fputs(",\"owners\":{", out); /* bytes behind live handles, per owner kind */
    for (unsigned kind = 0, first = 1; kind < HT_OWNER_KIND_COUNT_; kind++) {
        bool any = false;
        for (uint64_t i = 0; i < rp->ntimeline && !any; i++)
            any = rp->timeline[i].owner_bytes[kind] != 0;
        if (!any)
            continue;
        fprintf(out, "%s\"%s\":[", first ? "" : ",", names_owner_kind(kind));
        for (uint64_t i = 0; i < rp->ntimeline; i++)
            fprintf(out, i ? ",%" PRIu64 : "%" PRIu64, rp->timeline[i].owner_bytes[kind]);
        fputc(']', out);
        first = 0;
    }
    fputs("}}", out);
    /* marks: at most HTML_MAX_MARKS, evenly chosen, and their count */
    uint64_t stride = (rp->nmarks + HTML_MAX_MARKS - 1) / HTML_MAX_MARKS;
    fputs(",\"marks\":{\"t\":[", out);
    for (uint64_t i = 0, k = 0; stride && i < rp->nmarks; i += stride, k++)
        fprintf(out, k ? ",%.6f" : "%.6f", (double)rp->marks[i].time_us / 1e6);
    fputs("],\"label\":", out);
    report_json_str_or_null(out, rp->nmarks ? rp->marks[0].label : NULL);
    fprintf(out, ",\"every\":%" PRIu64 "}", stride ? stride : 1);
}

static void gc_series_json(struct html *h, const struct model *m)
{
    const struct gc_stats *g = m->gc;
    FILE *out = h->out;
    if (!g) {
        fputs(",\"gc\":null", out);
        return;
    }
    fprintf(out, ",\"gc\":{\"collections\":%" PRIu64 ",\"peak_gc_heap_bytes\":%" PRIu64
                 ",\"finalizer_closes\":%" PRIu64 ",\"max_dark_growth\":%" PRIu64
                 ",\"runs_too_rarely\":%s",
            g->collections, g->peak_gc_heap_bytes, g->finalizer_closes, g->max_dark_growth,
            gc_runs_too_rarely(m) ? "true" : "false");
    /* of each run of `stride` samples, the one with the most dark matter */
    uint64_t stride = (g->nsamples + HTML_MAX_GC - 1) / HTML_MAX_GC;
    if (!stride)
        stride = 1;
    static const char *const keys[] = {"t", "heap", "dark", "rss"};
    for (int k = 0; k < 4; k++) {
        fprintf(out, ",\"%s\":[", keys[k]);
        for (uint64_t i = 0; i < g->nsamples; i += stride) {
            const struct gc_sample *b = &g->samples[i];
            for (uint64_t j = i; j < i + stride && j < g->nsamples; j++)
                if (g->samples[j].dark_bytes > b->dark_bytes)
                    b = &g->samples[j];
            if (i)
                fputc(',', out);
            if (k == 0)
                fprintf(out, "%.6f", (double)b->t_us / 1e6);
            else
                fprintf(out, "%" PRIu64,
                        k == 1 ? b->gc_heap_bytes : k == 2 ? b->dark_bytes : b->rss_bytes);
        }
        fputc(']', out);
    }
    fputs(",\"weak_tables\":[", out);
    const struct gc_weak *w = g->weak;
    for (uint64_t i = 0, k = 0; w && i < w->ntables; i++) {
        const struct gc_weak_table *t = &w->tables[i];
        if (!t->growing_live && !t->growing_dead)
            continue;
        fprintf(out, "%s{\"live\":%" PRIu64 ",\"cleared\":%" PRIu64 ",\"dead\":%" PRIu64
                     ",\"growing_live\":%s,\"growing_dead\":%s,\"stack\":",
                k++ ? "," : "", gc_weak_live(t), t->cleared, gc_weak_dead(t),
                t->growing_live ? "true" : "false", t->growing_dead ? "true" : "false");
        stack_json(h, &t->sym);
        fputc('}', out);
    }
    fputs("]}", out);
}

static void snapshots_json(struct html *h, const struct retention *r)
{
    FILE *out = h->out;
    fputs(",\"snapshots\":[", out);
    for (size_t i = 0; r && i < r->nsnaps; i++) {
        const struct retention_snapshot *s = &r->snaps[i];
        fprintf(out, "%s{\"seq\":%" PRIu64 ",\"reason\":\"%s\",\"t\":%.6f,\"blocks\":%" PRIu64
                     ",\"live\":%" PRIu64 ",\"reachable\":%" PRIu64 "}",
                i ? "," : "", s->seq, names_snapshot_reason(s->reason), (double)s->time_us / 1e6,
                s->blocks, s->live_bytes, s->reachable_bytes);
    }
    fputc(']', out);
}

/* ------------------------------------------------------------- findings */

static const char *const by_names[] = {"site", "function", "owner", "retainer"};

static void growth_findings_json(struct html *h, const struct growth_result *g)
{
    FILE *out = h->out;
    fprintf(out, ",\"growth\":{\"per_mark\":%s,\"findings\":[",
            g && g->per_mark ? "true" : "false");
    for (size_t i = 0; g && i < g->n && i < HTML_MAX_FINDINGS; i++) {
        const struct growth_finding *f = &g->findings[i];
        fprintf(out, "%s{\"by\":\"%s\",\"function\":", i ? ",\n" : "", by_names[f->by]);
        report_json_str_or_null(out, f->function);
        fputs(",\"owner_kind\":", out);
        report_json_str_or_null(out, f->owner_kind);
        fputs(",\"slope_per_mark\":", out);
        num(out, f->slope_per_mark);
        fputs(",\"slope_per_s\":", out);
        num(out, f->slope_per_s);
        fprintf(out, ",\"p\":%.3g,\"gained\":%" PRId64 ",\"last\":%" PRIu64 ",\"reachable\":%d",
                f->p_value, f->gained_bytes, f->last_bytes, f->reachable);
        fputs(",\"stack\":", out);
        stack_json(h, f->stack);
        fputs(",\"path\":", out);
        path_json(h, f->path);
        fprintf(out, ",\"series\":{\"t0\":%.6f,\"t\":[", (double)f->series_t0_us / 1e6);
        for (uint32_t k = 0; k < f->nseries; k++)
            fprintf(out, k ? ",%.6g" : "%.6g", f->series_t[k]);
        fputs("],\"y\":[", out);
        for (uint32_t k = 0; k < f->nseries; k++)
            fprintf(out, k ? ",%.0f" : "%.0f", f->series_y[k]);
        fputs("]}}", out);
    }
    fputs("]}", out);
}

static void tables_json(struct html *h, const struct tables *t)
{
    FILE *out = h->out;
    fputs(",\"tables\":[", out);
    for (size_t i = 0; t && i < t->ntables; i++) {
        const struct table_series *s = &t->tables[i];
        fprintf(out, "%s{\"flagged\":%s,\"dead_slope\":", i ? ",\n" : "",
                s->flagged ? "true" : "false");
        num(out, s->dead_slope);
        fputs(",\"table_stack\":", out);
        stack_of_json(h, s->vector_site);
        fputs(",\"entry_stack\":", out);
        stack_of_json(h, s->entry_site);
        fputs(",\"path\":", out);
        path_json(h, s->path);
        fputs(",\"points\":[", out);
        for (size_t k = 0; k < s->npts; k++) {
            const struct table_point *p = &s->pts[k];
            fprintf(out, "%s{\"t\":%.6f,\"live\":%" PRIu64 ",\"dead\":%" PRIu64
                         ",\"dead_bytes\":%" PRIu64 ",\"owned_bytes\":%" PRIu64 "}",
                    k ? "," : "", (double)p->time_us / 1e6, p->live, p->dead, p->dead_bytes,
                    p->owned_bytes);
        }
        fputs("],\"owned_stack\":", out);
        if (s->npts && s->pts[s->npts - 1].owned_site)
            stack_of_json(h, s->pts[s->npts - 1].owned_site);
        else
            fputs("null", out);
        fputc('}', out);
    }
    fputs("],\"chains\":[", out);
    for (size_t i = 0; t && i < t->nchains; i++) {
        const struct chain_series *c = &t->chains[i];
        fprintf(out, "%s{\"flagged\":%s,\"length_slope\":", i ? ",\n" : "",
                c->flagged ? "true" : "false");
        num(out, c->length_slope);
        fprintf(out, ",\"link_offset\":%" PRIu64 ",\"stack\":", c->link_offset);
        stack_of_json(h, c->site);
        fputs(",\"path\":", out);
        path_json(h, c->path);
        fputs(",\"points\":[", out);
        for (size_t k = 0; k < c->npts; k++)
            fprintf(out, "%s{\"t\":%.6f,\"length\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
                    k ? "," : "", (double)c->pts[k].time_us / 1e6, c->pts[k].length,
                    c->pts[k].bytes);
        fputs("]}", out);
    }
    fputc(']', out);
}

/* The top retainers of the largest snapshot: each names the earlier one
 * whose block dominates it ("inside"), so they form the top of its
 * dominator tree, merged by allocation site. */
static void retainers_json(struct html *h, const struct retention *r)
{
    FILE *out = h->out;
    if (!r || !r->ntop) {
        fputs(",\"dominators\":null", out);
        return;
    }
    const struct retention_snapshot *s = &r->snaps[r->top_snapshot];
    fprintf(out, ",\"dominators\":{\"seq\":%" PRIu64 ",\"t\":%.6f,\"reachable\":%" PRIu64
                 ",\"blocks\":%" PRIu64 ",\"retainers\":[",
            s->seq, (double)s->time_us / 1e6, s->reachable_bytes, s->reachable_blocks);
    for (size_t i = 0; i < r->ntop; i++) {
        const struct retainer *t = &r->top[i];
        fprintf(out, "%s{\"retained\":%" PRIu64 ",\"retained_blocks\":%" PRIu64
                     ",\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"heads\":%" PRIu32
                     ",\"inside\":%" PRId32 ",\"stack\":",
                i ? ",\n" : "", t->retained_bytes, t->retained_blocks, t->blocks, t->bytes,
                t->heads, t->inside);
        stack_of_json(h, t->stack_id);
        fputs(",\"path\":", out);
        path_json(h, t->has_path ? &t->path : NULL);
        fputc('}', out);
    }
    fputs("]}", out);
}

/* The dominator tree merged by site (domtree.h), when the replay kept it. */
static void domtree_json(struct html *h, const struct retention *r)
{
    FILE *out = h->out;
    if (!r || !r->domtree.n) {
        fputs(",\"domtree\":null", out);
        return;
    }
    const struct domtree *t = &r->domtree;
    fprintf(out, ",\"domtree\":{\"others_bytes\":%" PRIu64 ",\"others_nodes\":%" PRIu64
                 ",\"nodes\":[",
            t->others_bytes, t->others_nodes);
    for (size_t i = 0; i < t->n; i++) {
        const struct domtree_node *n = &t->nodes[i];
        fprintf(out, "%s{\"parent\":%d,\"retained\":%" PRIu64 ",\"retained_blocks\":%" PRIu64
                     ",\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"others_bytes\":%" PRIu64
                     ",\"others_nodes\":%" PRIu64 ",\"stack\":",
                i ? ",\n" : "", n->parent == DOMTREE_NONE ? -1 : (int)n->parent, n->retained_bytes,
                n->retained_blocks, n->blocks, n->bytes, n->others_bytes, n->others_nodes);
        stack_of_json(h, n->stack_id);
        fputs(",\"path\":", out);
        path_json(h, n->path);
        fputc('}', out);
    }
    fputs("]}", out);
}

static void leaks_json(struct html *h, const struct model *m)
{
    const struct leaks *l = m->leaks;
    FILE *out = h->out;
    if (!l || !l->valid) {
        fputs(",\"leaks\":null", out);
        return;
    }
    fputs(",\"leaks\":[", out);
    for (int c = 0; c < LEAK_CLASSES; c++) {
        const struct leak_class_total *t = &l->cls[c];
        fprintf(out, "%s{\"class\":\"%s\",\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64
                     ",\"sites\":[",
                c ? "," : "", leaks_class_name(c), t->bytes, t->blocks);
        for (size_t i = 0; i < t->nsites && i < HTML_MAX_LEAK_SITES; i++) {
            fprintf(out, "%s{\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64 ",\"stack\":",
                    i ? "," : "", t->sites[i].bytes, t->sites[i].blocks);
            stack_of_json(h, t->sites[i].stack_id);
            fputc('}', out);
        }
        fputs("]}", out);
    }
    fputc(']', out);
}

static void owners_json(struct html *h, const struct model *m)
{
    FILE *out = h->out;
    fputs(",\"owners\":[", out);
    for (uint64_t i = 0; i < m->nowners && i < 20; i++) {
        const struct replay_owner_group *g = m->owners[i].g;
        fprintf(out, "%s{\"kind\":\"%s\",\"live\":%" PRIu64 ",\"bytes\":%" PRIu64
                     ",\"peak_bytes\":%" PRIu64 ",\"opened\":%" PRIu64 ",\"closed\":%" PRIu64
                     ",\"closed_by_gc\":%" PRIu64 ",\"stack\":",
                i ? "," : "", names_owner_kind(g->kind), g->live_handles, g->bytes, g->peak_bytes,
                g->opened, g->closed, gc_group_closes(m, g));
        stack_json(h, &m->owners[i].stack);
        fputc('}', out);
    }
    fputc(']', out);
}

/* -------------------------------------------------------------- suspects */

static const char *const suspect_kind_keys[] = {"table", "chain", "held_growth", "growth",
                                                "leak", "dark_matter"};

/* The first piece of evidence of a kind in suspect s, or NULL. */
static const struct suspect_evidence *evidence_of(const struct suspect *s, enum suspect_kind k)
{
    for (size_t i = 0; i < s->nevidence; i++)
        if (s->evidence[i].kind == k)
            return &s->evidence[i];
    return NULL;
}

static void frame_or_null(struct html *h, const struct sym_frame *f)
{
    if (f)
        fprintf(h->out, "%" PRIu32, frame_id(&h->fr, f));
    else
        fputs("null", h->out);
}

/* Where a suspect's series are in the page's data: its table's or chain's
 * index in "tables"/"chains", its growth finding's in "growth". */
static void suspect_series_json(FILE *out, const struct model *m, const struct suspect *s,
                                const struct retention *r)
{
    const struct suspect_evidence *e;
    if ((e = evidence_of(s, SUSPECT_TABLE)) && r && e->index < r->tables.ntables)
        fprintf(out, ",\"table\":%zu", e->index);
    else if ((e = evidence_of(s, SUSPECT_CHAIN)) && r && e->index < r->tables.nchains)
        fprintf(out, ",\"chain\":%zu", e->index);
    if (!(e = evidence_of(s, SUSPECT_HELD_GROWTH)))
        e = evidence_of(s, SUSPECT_GROWTH);
    if (e && m->growth && e->index < m->growth->n && e->index < HTML_MAX_FINDINGS)
        fprintf(out, ",\"growth\":%zu", e->index);
}

/* Where the bracket opened at s[0] closes (nesting counted), or NULL. */
static const char *closing(const char *s, char open, char close)
{
    int depth = 0;
    for (; *s; s++) {
        depth += *s == open;
        depth -= *s == close;
        if (depth == 0)
            return s;
    }
    return NULL;
}

/* A headline as a page shows it: C++ template arguments and parameter
 * lists folded ("LruCache::put(…)", "std::vector<…>"), the rest as is.
 * Into out (at least strlen(in) + 8 bytes). */
static void fold_cxx(const char *in, char *out, size_t len)
{
    size_t w = 0;
    for (const char *r = in; *r && w + 8 < len; r++) {
        bool word = r > in && (r[-1] == '_' || (r[-1] >= 'a' && r[-1] <= 'z') ||
                               (r[-1] >= 'A' && r[-1] <= 'Z') || (r[-1] >= '0' && r[-1] <= '9'));
        const char *end = NULL;
        bool name = r[1] == '_' || r[1] == ':' || (r[1] >= 'a' && r[1] <= 'z') ||
                    (r[1] >= 'A' && r[1] <= 'Z') || (r[1] >= '0' && r[1] <= '9');
        if (*r == '<' && word && name) /* "vector<int>", never "a </b>" */
            end = closing(r, '<', '>');
        else if (*r == '(' && r > in && r[-1] != ' ' && r[-1] != '(' &&
                 (end = closing(r, '(', ')')) != NULL) {
            const char *colons = strstr(r, "::"), *amp = memchr(r, '&', (size_t)(end - r));
            if (end == r + 1 || !((colons && colons < end) || amp))
                end = NULL; /* "f()" and "(weak_ports.c:87)" stay */
        }
        if (end) {
            w += (size_t)snprintf(out + w, len - w, "%c\u2026%c", *r, *end);
            r = end;
        } else {
            out[w++] = *r;
        }
    }
    out[w] = '\0';
}

/* The suspects of the findings model (suspects.h), ranked, each with the
 * evidence the page expands to. */
static void suspects_json(struct html *h, const struct model *m, const struct retention *r)
{
    FILE *out = h->out;
    const struct suspects *ss = m->suspects;
    char line[2048], folded[2100];
    fputs(",\"suspects\":[", out);
    for (size_t i = 0; ss && i < ss->n; i++) {
        const struct suspect *s = &ss->list[i];
        fprintf(out, "%s{\"rank\":%" PRIu32 ",\"kind\":\"%s\",\"system\":%s,\"growing\":%s",
                i ? ",\n" : "", s->rank,
                s->kind < SUSPECT_KINDS ? suspect_kind_keys[s->kind] : "unknown",
                s->system ? "true" : "false", s->growing ? "true" : "false");
        fputs(",\"headline\":", out);
        fold_cxx(report_suspect_headline(m, ss, s, line, sizeof(line)), folded, sizeof(folded));
        report_json_str(out, folded);
        fprintf(out, ",\"bytes\":%" PRIu64 ",\"where\":", s->bytes);
        frame_or_null(h, s->frame);
        fputs(",\"caller\":", out);
        frame_or_null(h, s->caller);
        fputs(",\"stack\":", out);
        stack_json(h, s->stack);
        fputs(",\"path\":", out);
        path_json(h, s->holder);
        fputs(",\"holder_frame\":", out);
        frame_or_null(h, s->holder_frame);
        if (s->total_blocks)
            fprintf(out, ",\"share\":{\"n\":%" PRIu64 ",\"of\":%" PRIu64
                         ",\"what\":\"blocks of the site\"}",
                    s->holder_blocks, s->total_blocks);
        else if (s->kind == SUSPECT_TABLE && s->live_entries + s->dead_entries)
            fprintf(out, ",\"share\":{\"n\":%" PRIu64 ",\"of\":%" PRIu64
                         ",\"what\":\"entries dead\"}",
                    s->dead_entries, s->live_entries + s->dead_entries);
        fprintf(out, ",\"per_mark\":%s,\"rate\":", s->per_mark ? "true" : "false");
        num(out, s->rate);
        if (s->kind == SUSPECT_DARK_MATTER && m->gc)
            fputs(",\"gc_chart\":true", out);
        suspect_series_json(out, m, s, r);
        fputc('}', out);
    }
    fprintf(out, "],\"suspects_system\":%zu,\"suspects_unit\":", ss ? ss->nsystem : 0);
    report_json_str_or_null(out, ss ? ss->unit : NULL);
}

/* ------------------------------------------------------------ flame graph */

/* Gained bytes of the growth finding on site i (by site), or 0. */
static int64_t site_growth(const struct model *m, uint64_t i)
{
    const struct growth_result *g = m->growth;
    for (size_t k = 0; g && k < g->n; k++)
        if (g->findings[k].by == GROWTH_BY_SITE && g->findings[k].stack == &m->sites[i].stack)
            return g->findings[k].gained_bytes > 0 ? g->findings[k].gained_bytes : 0;
    return 0;
}

struct site_rank {
    uint64_t value, index;
};

static int rank_cmp(const void *pa, const void *pb)
{
    const struct site_rank *a = pa, *b = pb;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    return a->index < b->index ? -1 : 1;
}

/* Which sites the flame graph gets: all of them, or the top of each metric. */
static bool *choose_sites(const struct model *m)
{
    bool *keep = xcalloc(m->nsites + 1, sizeof(bool));
    if (m->nsites <= HTML_MAX_SITES) {
        for (uint64_t i = 0; i < m->nsites; i++)
            keep[i] = true;
        return keep;
    }
    /* sites are sorted by peak; the biggest by leaked and allocated bytes too */
    uint64_t quota = HTML_MAX_SITES / 3;
    struct site_rank *rank = xmalloc(m->nsites * sizeof(*rank));
    for (uint64_t i = 0; i < quota; i++)
        keep[i] = true;
    for (int metric = 0; metric < 2; metric++) {
        for (uint64_t i = 0; i < m->nsites; i++) {
            const struct replay_site *st = m->sites[i].st;
            rank[i] = (struct site_rank){metric ? st->bytes_allocated : st->live_bytes, i};
        }
        qsort(rank, m->nsites, sizeof(*rank), rank_cmp);
        for (uint64_t i = 0; i < quota; i++)
            keep[rank[i].index] = true;
    }
    const struct growth_result *g = m->growth;
    for (size_t k = 0; g && k < g->n; k++)
        if (g->findings[k].by == GROWTH_BY_SITE)
            for (uint64_t i = 0; i < m->nsites; i++)
                if (g->findings[k].stack == &m->sites[i].stack)
                    keep[i] = true;
    free(rank);
    return keep;
}

static void sites_json(struct html *h, const struct model *m)
{
    FILE *out = h->out;
    bool *keep = choose_sites(m);
    uint64_t rest[4] = {0}, shown = 0;
    fputs(",\"sites\":[", out);
    for (uint64_t i = 0; i < m->nsites; i++) {
        const struct replay_site *s = m->sites[i].st;
        int64_t grew = site_growth(m, i);
        if (!keep[i]) {
            rest[0] += s->at_peak_bytes;
            rest[1] += s->live_bytes;
            rest[2] += s->bytes_allocated;
            continue;
        }
        fprintf(out, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRId64 ",", shown++ ? ",\n" : "",
                s->at_peak_bytes, s->live_bytes, s->bytes_allocated, grew);
        stack_json(h, &m->sites[i].stack);
        fputc(']', out);
    }
    fprintf(out, "],\"sites_other\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",0],\"sites_total\":%" PRIu64,
            rest[0], rest[1], rest[2], m->nsites);
    free(keep);
}

/* ------------------------------------------------------------- processes */

/* Whether a process gets a section: findings, leaks, or the only one. */
static bool has_something(const struct model *m)
{
    const struct leaks *l = m->leaks;
    if (m->growth && m->growth->n)
        return true;
    if (l && l->valid && (l->cls[LEAK_DEFINITELY].bytes || l->cls[LEAK_POSSIBLY].bytes))
        return true;
    const struct retention *r = retention_of(m);
    for (size_t i = 0; r && i < r->tables.ntables; i++)
        if (r->tables.tables[i].flagged)
            return true;
    for (size_t i = 0; r && i < r->tables.nchains; i++)
        if (r->tables.chains[i].flagged)
            return true;
    return m->gc && gc_runs_too_rarely(m);
}

static void process_json(struct html *h, const struct model *m, bool detailed)
{
    h->m = m;
    FILE *out = h->out;
    fputc('{', out);
    summary_json(h, m);
    fprintf(out, ",\"detailed\":%s,\"something\":%s", detailed ? "true" : "false",
            has_something(m) ? "true" : "false");
    if (detailed) {
        const struct retention *r = retention_of(m);
        timeline_json(h, m);
        gc_series_json(h, m);
        snapshots_json(h, r);
        suspects_json(h, m, r);
        growth_findings_json(h, m->growth);
        tables_json(h, r ? &r->tables : NULL);
        retainers_json(h, r);
        domtree_json(h, r);
        leaks_json(h, m);
        owners_json(h, m);
        sites_json(h, m);
    }
    fputc('}', out);
}

/* Copies the blob to out with every '<' escaped. */
static void write_escaped(FILE *out, const char *s, size_t n)
{
    const char *end = s + n;
    while (s < end) {
        const char *lt = memchr(s, '<', (size_t)(end - s));
        size_t run = lt ? (size_t)(lt - s) : (size_t)(end - s);
        fwrite(s, 1, run, out);
        s += run;
        if (lt) {
            fputs("\\u003c", out);
            s++;
        }
    }
}

static void html_escaped(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

void html_write(struct model *const *procs, size_t n, size_t selected, FILE *out)
{
    struct html h = {0};
    char *body = NULL;
    size_t body_len = 0;
    htab_init(&h.fr.index, sizeof(uint32_t));
    h.fr.out = open_memstream(&h.fr.buf, &h.fr.len);
    h.out = open_memstream(&body, &body_len);
    if (!h.fr.out || !h.out) {
        fputs("heaptrace-report: error: out of memory\n", stderr);
        exit(HT_EXIT_INTERNAL);
    }
    /* sections for the selected process and those with something to say,
     * the largest first when there are too many */
    bool *detailed = xcalloc(n + 1, sizeof(bool));
    size_t ndetailed = 0;
    if (selected < n)
        detailed[selected] = true, ndetailed++;
    for (size_t i = 0; i < n && ndetailed < HTML_MAX_DETAILED; i++)
        if (!detailed[i] && has_something(procs[i]))
            detailed[i] = true, ndetailed++;
    fprintf(h.out, "{\"version\":1,\"selected\":%zu,\"procs\":[", selected);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(",\n", h.out);
        process_json(&h, procs[i], detailed[i]);
    }
    fputs("],\n\"frames\":[", h.out);
    fclose(h.fr.out);
    fwrite(h.fr.buf, 1, h.fr.len, h.out);
    fputs("]}", h.out);
    fclose(h.out);

    const struct model *m = procs[selected < n ? selected : 0];
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"color-scheme\" content=\"light dark\">\n<link rel=\"icon\" href=\"data:,\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
          "<title>heaptrace: ", out);
    html_escaped(out, base_name(m->hdr->exe));
    fputs("</title>\n<style>\n", out);
    fputs(html_css, out);
    fputs("</style>\n</head>\n<body>\n<header id=\"top\"><h1>heaptrace <span class=\"prog\">", out);
    html_escaped(out, base_name(m->hdr->exe));
    fputs("</span></h1><p id=\"verdict\" class=\"verdict\">reading the report&hellip;</p></header>\n"
          "<main id=\"app\"></main>\n<script type=\"application/json\" id=\"ht-data\">", out);
    write_escaped(out, body, body_len);
    fputs("</script>\n<script>\n", out);
    fputs(html_js, out);
    fputs("</script>\n</body>\n</html>\n", out);
    free(body);
    free(h.fr.buf);
    free(detailed);
    htab_release(&h.fr.index);
}

int html_write_file(struct model *const *procs, size_t n, size_t selected, const char *path)
{
    FILE *f = report_open_output(path);
    if (!f)
        return HT_EXIT_USAGE;
    html_write(procs, n, selected, f);
    return report_close_output(f, path);
}
