/* SPDX-License-Identifier: MIT */
/*
 * report_text.c - the report for people: summary, top sites, top functions,
 * owners and marks. Colour only when asked (main.c: stdout is a tty and
 * NO_COLOR is unset). With no_addresses, no address or time is printed, so
 * golden files stay stable across runs.
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "gc.h"
#include "leaks.h"
#include "names.h"
#include "suspects.h"
#include "userframe.h"

const char *report_bytes(uint64_t n, char buf[32])
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (n < 1024) {
        snprintf(buf, 32, "%" PRIu64 " B", n);
        return buf;
    }
    double v = (double)n / 1024;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    snprintf(buf, 32, "%.1f %s", v, units[u]);
    return buf;
}

struct text {
    FILE *out;
    const struct report_opts *o;
};

static void heading(const struct text *t, const char *title)
{
    if (t->o->color)
        fprintf(t->out, "\n\033[1m%s\033[0m\n", title);
    else
        fprintf(t->out, "\n%s\n", title);
}

static void text_frame(const struct text *t, const struct sym_frame *f)
{
    char *name = model_frame_name(f);
    char folded[512];
    const char *shown = name;
    if (!t->o->full && strchr(name, '<')) {
        report_fold_templates(name, folded, sizeof(folded));
        shown = folded;
    }
    fprintf(t->out, "      %s%s", f->inlined ? "(inlined) " : "", shown);
    free(name);
    if (f->file) {
        const char *base = strrchr(f->file, '/');
        fprintf(t->out, " (%s:%" PRIu32 ")", base ? base + 1 : f->file, f->line);
    } else if (f->function && f->module && !t->o->full) {
        fprintf(t->out, " (no line info)");
    }
    if (!t->o->no_addresses)
        fprintf(t->out, " [0x%" PRIx64 "]", f->address);
    fputc('\n', t->out);
}

/* "... 17 frames in libc.so.6, ld-linux-x86-64.so.2": a run of system frames. */
static void text_folded_run(const struct text *t, const struct model_stack *st, uint32_t from,
                            uint32_t to)
{
    const char *mods[3] = {NULL, NULL, NULL};
    size_t nmods = 0;
    for (uint32_t i = from; i < to; i++) {
        const char *m = st->frames[i].module;
        const char *base = m ? strrchr(m, '/') : NULL;
        base = base ? base + 1 : m;
        bool seen = !base;
        for (size_t k = 0; k < nmods && !seen; k++)
            seen = strcmp(mods[k], base) == 0;
        if (!seen && nmods < 3)
            mods[nmods++] = base;
    }
    fprintf(t->out, "      ... %" PRIu32 " frames", to - from);
    for (size_t k = 0; k < nmods; k++)
        fprintf(t->out, "%s%s", k ? ", " : " in ", mods[k]);
    fputc('\n', t->out);
}

/*
 * A stack as people read it: without --full, nothing below main (--frames N:
 * at most N frames), and a run of more than three system frames (the
 * loader's dlopen chain under iconv_open) folded into one line, keeping its
 * innermost frame and the one the program called.
 */
static void text_stack(const struct text *t, const struct model_stack *st)
{
    if (st->nframes == 0)
        fprintf(t->out, "      (no stack)\n");
    uint32_t n = t->o->full ? st->nframes : userframe_trimmed_count(st, 0);
    if (t->o->frames && n > t->o->frames)
        n = t->o->frames;
    for (uint32_t i = 0; i < n;) {
        uint32_t run = 0;
        while (!t->o->full && i + run < n && userframe_is_system(&st->frames[i + run]))
            run++;
        if (run > 3) {
            text_frame(t, &st->frames[i]);
            text_folded_run(t, st, i + 1, i + run - 1);
            text_frame(t, &st->frames[i + run - 1]);
            i += run;
            continue;
        }
        text_frame(t, &st->frames[i]);
        i++;
    }
}

static uint64_t text_limit(uint64_t n, const struct report_opts *o);

void report_text_stack(FILE *out, const struct report_opts *o, const struct model_stack *st)
{
    const struct text t = {out, o};
    text_stack(&t, st);
}

void report_text_heading(FILE *out, const struct report_opts *o, const char *title)
{
    const struct text t = {out, o};
    heading(&t, title);
}

static void text_header(const struct text *t, const struct model *m)
{
    const struct ht_header *h = m->hdr;
    FILE *out = t->out;
    fprintf(out, "heaptrace report: %s (pid %" PRIu64 ")\n", h->exe, h->pid);
    fprintf(out, "  command:");
    for (uint32_t i = 0; i < h->argc; i++)
        fprintf(out, " %s", h->argv[i]);
    fputc('\n', out);
    if (m->truncation[0])
        fprintf(out, "  log truncated: %s (results cover what was recorded)\n", m->truncation);
    if (m->rp->tot.sample_every) {
        char b[32];
        fprintf(out, "  sampled every %s: sizes and counts are estimates, no heap snapshot\n",
                report_bytes(m->rp->tot.sample_every, b));
    }
}

static void text_summary(const struct text *t, const struct model *m)
{
    const struct replay_totals *s = &m->rp->tot;
    char b1[32], b2[32];
    FILE *out = t->out;
    heading(t, "summary");
    fprintf(out, "  allocations      %" PRIu64 " (%" PRIu64 " temporary)\n", s->allocations,
            s->temporary);
    fprintf(out, "  frees            %" PRIu64 "\n", s->frees);
    fprintf(out, "  bytes allocated  %s\n", report_bytes(s->bytes_allocated, b1));
    fprintf(out, "  peak heap        %s", report_bytes(s->peak_bytes, b1));
    if (!t->o->no_addresses)
        fprintf(out, " at %.3f s", (double)s->peak_time_us / 1e6);
    struct model_leaked lk;
    model_leaked(m, &lk);
    bool detached = s->complete && s->end_reason == HT_END_DETACH; /* heaptrace attach */
    fprintf(out, "\n  leaked           %s in %" PRIu64 " blocks (%s)\n",
            report_bytes(lk.bytes, b1), lk.blocks,
            lk.replaced ? "replaced by exec: its heap went with it"
            : lk.lost && detached ? "definitely + indirectly lost at the detach snapshot"
            : lk.lost   ? "definitely + indirectly lost at the exit snapshot"
                        : "live at the end: no exit snapshot");
    if (lk.lost || lk.replaced)
        fprintf(out, "  live at %s%s%s in %" PRIu64 " blocks\n",
                lk.replaced ? "exec" : detached ? "detach" : "exit", detached ? "   " : "     ",
                report_bytes(s->leaked_bytes, b1), s->leaked_blocks);
    fprintf(out, "  peak RSS         %s\n", report_bytes(s->peak_rss, b1));
    fprintf(out, "  peak mmap        %s\n", report_bytes(s->peak_mmap_bytes, b2));
    if (!t->o->no_addresses)
        fprintf(out, "  duration         %.3f s\n", (double)s->duration_us / 1e6);
    if (s->unknown_frees)
        fprintf(out, "  unknown frees    %" PRIu64 " (blocks allocated before tracing)\n",
                s->unknown_frees);
    if (s->attached && s->before_attach_bytes)
        fprintf(out, "  before attach    %s in use when heaptrace attached, not tracked\n",
                report_bytes(s->before_attach_bytes, b1));
    else if (s->attached)
        fputs("  before attach    an unknown amount in use when heaptrace attached, not tracked\n",
              out);
    if (s->lost_events)
        fprintf(out, "  lost events      %" PRIu64 " (counts are lower bounds)\n",
                s->lost_events);
    if (s->notes & 1u << HT_NOTE_SANDBOX)
        fputs("  note             the program installed a seccomp filter: no snapshot after that\n",
              out);
    if (s->notes & 1u << HT_NOTE_NOT_STOPPED)
        fputs("  note             a snapshot could not stop every thread (ptrace refused):\n"
              "                   their stacks were scanned whole, their registers unknown\n",
              out);
}

static uint64_t text_limit(uint64_t n, const struct report_opts *o)
{
    uint64_t top = o->top ? o->top : o->full ? 10 : 5;
    return n < top ? n : top;
}

static void text_sites(const struct text *t, const struct model *m)
{
    char b1[32], b2[32], b3[32], title[96];
    uint64_t n = text_limit(m->nsites, t->o);
    snprintf(title, sizeof(title), "top sites by peak (%" PRIu64 " of %" PRIu64 ")", n, m->nsites);
    heading(t, title);
    for (uint64_t i = 0; i < n; i++) {
        const struct replay_site *s = m->sites[i].st;
        fprintf(t->out, "  #%" PRIu64 " peak %s, leaked %s in %" PRIu64 " blocks, %" PRIu64
                        " allocations (%" PRIu64 " temporary), %s allocated\n",
                i + 1, report_bytes(s->peak_bytes, b1), report_bytes(s->live_bytes, b2),
                s->live_blocks, s->allocations, s->temporary, report_bytes(s->bytes_allocated, b3));
        text_stack(t, &m->sites[i].stack);
    }
    n = text_limit(m->nfunctions, t->o);
    snprintf(title, sizeof(title), "top functions by share of the peak (%" PRIu64 " of %" PRIu64 ")",
             n, m->nfunctions);
    heading(t, title);
    for (uint64_t i = 0; i < n; i++) {
        const struct model_function *f = &m->functions[i];
        fprintf(t->out, "  %10s at peak  %10s leaked  %8" PRIu64 " allocations  %s\n",
                report_bytes(f->peak_bytes, b1), report_bytes(f->leaked_bytes, b2),
                f->allocations, f->name);
    }
}

/* "iconv_t: 12000 live handles hold 384.0 MiB (32.8 KiB each), opened at
 * port_open (port.c:40); closed 0 times": what a garbage collector or a
 * heap walk of the program's own objects would never see. */
static void text_dark_matter(const struct text *t, const struct model *m)
{
    char b1[32], b2[32];
    bool any = false;
    uint64_t span = m->rp->tot.duration_us;
    for (uint64_t i = 0; i < m->nowners; i++) {
        const struct replay_owner_group *g = m->owners[i].g;
        if (!g->live_handles || !g->bytes)
            continue;
        if (!any)
            heading(t, "dark matter (heap hidden behind library handles)");
        any = true;
        if (g->kind == HT_OWNER_THREAD) { /* stacks, not heap: their own wording */
            fprintf(t->out, "  threads: %" PRIu64 " exited but never joined or detached, holding %s "
                            "of stack (%s each); %" PRIu64 " such threads were joined later\n",
                    g->live_handles, report_bytes(g->bytes, b1),
                    report_bytes(g->bytes / g->live_handles, b2), g->closed);
            continue;
        }
        fprintf(t->out, "  %s: %" PRIu64 " live handle%s hold%s %s (%s each)", names_owner_type(g->kind),
                g->live_handles, g->live_handles == 1 ? "" : "s", g->live_handles == 1 ? "s" : "",
                report_bytes(g->bytes, b1), report_bytes(g->bytes / g->live_handles, b2));
        const struct model_stack *st = &m->owners[i].stack;
        if (st->nframes) {
            const struct sym_frame *f = &st->frames[0];
            char *name = model_frame_name(f);
            const char *base = f->file ? strrchr(f->file, '/') : NULL;
            fprintf(t->out, ", opened at %s", name);
            if (f->file)
                fprintf(t->out, " (%s:%" PRIu32 ")", base ? base + 1 : f->file, f->line);
            free(name);
        }
        if (!g->closed)
            fprintf(t->out, "; never closed\n");
        else if (g->last_close_us * 10 < span)
            fprintf(t->out, "; closed %" PRIu64 " times, none in the last 90%% of the run\n",
                    g->closed);
        else
            fprintf(t->out, "; closed %" PRIu64 " times\n", g->closed);
    }
}

static void text_owners_marks(const struct text *t, const struct model *m)
{
    char b1[32], b2[32];
    text_dark_matter(t, m);
    if (m->nowners) {
        heading(t, "owners (handles keeping allocations alive)");
        for (uint64_t i = 0; i < m->nowners; i++) {
            const struct replay_owner_group *g = m->owners[i].g;
            fprintf(t->out, "  %s: %" PRIu64 " live of %" PRIu64 " opened, %s live, peak %s\n",
                    names_owner_kind(g->kind), g->live_handles, g->opened,
                    report_bytes(g->bytes, b1), report_bytes(g->peak_bytes, b2));
            text_stack(t, &m->owners[i].stack);
        }
    }
    const struct replay *rp = m->rp;
    if (!rp->nmarks)
        return;
    heading(t, "marks (heap at each mark, growth since the previous one)");
    if (!t->o->full && rp->nmarks > text_limit(rp->nmarks, t->o))
        fprintf(t->out, "  %" PRIu64 " marks \"%s\"; the last ones:\n", rp->nmarks,
                rp->marks[0].label);
    uint64_t n = text_limit(rp->nmarks, t->o), first = rp->nmarks - n;
    if (first)
        fprintf(t->out, "  ... %" PRIu64 " earlier marks\n", first);
    for (uint64_t i = first; i < rp->nmarks; i++) {
        const struct replay_mark *k = &rp->marks[i];
        int64_t growth = (int64_t)(k->heap_bytes - (i ? rp->marks[i - 1].heap_bytes : 0));
        if (!t->o->no_addresses)
            fprintf(t->out, "  %10.3f s", (double)k->time_us / 1e6);
        fprintf(t->out, "  %-20s %12s  %+" PRId64 " B\n", k->label,
                report_bytes(k->heap_bytes, b1), growth);
    }
}

/*
 * The verdict and the suspects first (the first screen), then the summary
 * and the evidence. --full adds what the default leaves out: every finding,
 * system code's one-time blocks and retainers, whole stacks.
 */
void report_text(const struct model *m, const struct report_opts *o, bool skip_leaks, FILE *out)
{
    struct text t = {out, o};
    text_header(&t, m);
    report_suspects_text(m, o, out);
    text_summary(&t, m);
    report_growth_text(m->growth, o->color, out);
    report_retention_text(m, o, out);
    if (!skip_leaks && m->leaks && m->leaks->valid) {
        struct model *self = (struct model *)m; /* read only: the writer takes a list */
        report_leaks_text(out, o, &self, 1, false);
    }
    gc_text(m, o, out);
    text_sites(&t, m);
    text_owners_marks(&t, m);
}

/* The suspects of one process in the program's own code, and how many grow. */
static size_t user_suspects(const struct model *m, size_t *growing)
{
    const struct suspects *s = m->suspects;
    size_t n = s ? s->n - s->nsystem : 0;
    *growing = 0;
    for (size_t i = 0; i < n; i++)
        *growing += s->list[i].growing;
    return n;
}

void report_text_processes(struct model *const *procs, size_t nprocs, FILE *out)
{
    char b1[32], b2[32], sus[64];
    fprintf(out, "processes (one line each; the suspects' details follow for those that have "
                 "any)\n  %8s %8s %10s %10s %-12s %-20s %s\n",
            "pid", "ppid", "peak", "lost", "suspects", "program", "log");
    for (size_t i = 0; i < nprocs; i++) {
        const struct model *p = procs[i];
        const struct replay_totals *t = &p->rp->tot;
        struct model_leaked lk;
        model_leaked(p, &lk);
        size_t growing, n = user_suspects(p, &growing);
        if (growing)
            snprintf(sus, sizeof(sus), "%zu (%zu grow)", n, growing);
        else
            snprintf(sus, sizeof(sus), "%zu", n);
        const char *exe = strrchr(p->hdr->exe, '/'), *log = strrchr(p->path, '/');
        fprintf(out, "  %8" PRIu64 " %8" PRIu64 " %10s %10s %-12s %-20s %s%s\n", p->hdr->pid,
                p->hdr->ppid, report_bytes(t->peak_bytes, b1),
                t->exec_replaced ? "-" : report_bytes(lk.bytes, b2), sus,
                exe ? exe + 1 : p->hdr->exe, log ? log + 1 : p->path,
                t->exec_replaced ? " (replaced by exec)"
                : !t->complete  ? " (log truncated)"
                : lk.lost       ? ""
                                : " (no exit snapshot: lost = live at the end)");
    }
    fputc('\n', out);
}

bool report_text_has_news(const struct model *m)
{
    size_t growing;
    return user_suspects(m, &growing) > 0 || m->truncation[0];
}

void report_tree_suspects(struct model *const *procs, size_t nprocs, const struct report_opts *o,
                          FILE *out)
{
    size_t total = 0, growing = 0, with = 0;
    for (size_t i = 0; i < nprocs; i++) {
        size_t g, n = user_suspects(procs[i], &g);
        total += n;
        growing += g;
        with += n > 0;
    }
    char title[200], line[1024];
    if (total)
        snprintf(title, sizeof(title),
                 "verdict: %zu suspect%s in the program's own code in %zu of %zu processes%s",
                 total, total == 1 ? "" : "s", with, nprocs, growing ? ", some growing" : "");
    else
        snprintf(title, sizeof(title),
                 "verdict: no suspect in the program's own code in any of %zu processes", nprocs);
    report_text_heading(out, o, title);
    /* the first of each process, growing ones first, then the rest by rank */
    size_t limit = o->full ? total : o->top ? o->top : 5, shown = 0;
    for (int pass = 0; pass < 2 && shown < limit; pass++)
        for (uint32_t rank = 1; shown < limit && rank <= total; rank++) {
            bool any = false;
            for (size_t i = 0; i < nprocs && shown < limit; i++) {
                const struct suspects *s = procs[i]->suspects;
                if (!s || rank > s->n - s->nsystem)
                    continue;
                const struct suspect *x = &s->list[rank - 1];
                any = true;
                if ((pass == 0) != x->growing)
                    continue;
                report_suspect_headline(procs[i], s, x, line, sizeof(line));
                fprintf(out, "  pid %" PRIu64 " #%" PRIu32 ": %s\n", procs[i]->hdr->pid, rank,
                        line);
                shown++;
            }
            if (!any)
                break;
        }
    if (total > shown)
        fprintf(out, "  ... %zu more in the processes' sections below\n", total - shown);
    fputc('\n', out);
}
