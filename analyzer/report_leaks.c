/* SPDX-License-Identifier: MIT */
/*
 * report_leaks.c - memcheck's leak classes in the text and JSON reports, for
 * one process or summed over a process tree: valgrind --trace-children=yes
 * prints one summary per process that ends, and the tree's leaks are their
 * sum (analysis.c picks the processes: each image that ended with a
 * complete snapshot; an image replaced by exec ends nothing).
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "leaks.h"
#include "names.h"
#include "suspects.h"
#include "userframe.h"
#include "xalloc.h"

/* One site of one class in one process. */
struct lsite {
    const struct model *m;
    const struct leak_site *s;
    const struct model_stack *st; /* NULL: not a site of the model (no stack) */
};

static int lsite_cmp(const void *pa, const void *pb)
{
    const struct lsite *a = pa, *b = pb;
    if (a->s->bytes != b->s->bytes)
        return a->s->bytes > b->s->bytes ? -1 : 1;
    if (a->s->blocks != b->s->blocks)
        return a->s->blocks > b->s->blocks ? -1 : 1;
    if (a->m->hdr->pid != b->m->hdr->pid)
        return a->m->hdr->pid < b->m->hdr->pid ? -1 : 1;
    int k = strcmp(a->st ? a->st->key : "", b->st ? b->st->key : "");
    if (k)
        return k;
    return a->s->stack_id < b->s->stack_id ? -1 : a->s->stack_id > b->s->stack_id;
}

/* Class c over the processes: totals, and its sites sorted (caller frees). */
static struct lsite *class_sum(struct model *const *ms, size_t n, int c, uint64_t *bytes,
                               uint64_t *blocks, size_t *nsites)
{
    size_t total = 0;
    *bytes = *blocks = 0;
    for (size_t i = 0; i < n; i++) {
        const struct leak_class_total *t = &ms[i]->leaks->cls[c];
        *bytes += t->bytes;
        *blocks += t->blocks;
        total += t->nsites;
    }
    struct lsite *v = total ? xcalloc(total, sizeof(*v)) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct leak_class_total *t = &ms[i]->leaks->cls[c];
        for (size_t j = 0; j < t->nsites; j++)
            v[k++] = (struct lsite){ms[i], &t->sites[j],
                                    model_stack_of(ms[i], t->sites[j].stack_id)};
    }
    if (k > 1)
        qsort(v, k, sizeof(*v), lsite_cmp);
    *nsites = k;
    return v;
}

/* Without a frame of the program's own code, or system noise (suspects.h). */
static bool site_is_system(const struct lsite *v)
{
    return !v->st || userframe_index(v->st) < 0 || suspects_site_is_noise(v->m, v->s->stack_id);
}

/* Anything lost (definitely, indirectly, possibly); with !all, by the program's own code. */
static bool anything_lost(struct model *const *ms, size_t n, bool all)
{
    for (size_t i = 0; i < n; i++) {
        const struct leaks *l = ms[i]->leaks;
        for (int c = 0; c < LEAK_REACHABLE; c++)
            for (size_t j = 0; j < l->cls[c].nsites; j++) {
                struct lsite v = {ms[i], &l->cls[c].sites[j],
                                  model_stack_of(ms[i], l->cls[c].sites[j].stack_id)};
                if (all || !site_is_system(&v))
                    return true;
            }
    }
    return false;
}

void report_leaks_text(FILE *out, const struct report_opts *o, struct model *const *ms, size_t n,
                       bool tree)
{
    static const struct model_stack none = {0};
    char b1[32], title[160];
    /* without --full, only when the program's own code lost something */
    if (n == 0 || !anything_lost(ms, n, o->full))
        return;
    if (tree)
        snprintf(title, sizeof(title),
                 "leaks of the process tree (valgrind memcheck's classes, summed over %zu "
                 "process%s)", n, n == 1 ? "" : "es");
    else
        snprintf(title, sizeof(title),
                 "leaks (valgrind memcheck's classes, %s snapshot %" PRIu64 ")",
                 names_snapshot_reason(ms[0]->leaks->reason), ms[0]->leaks->seq);
    report_text_heading(out, o, title);
    for (int c = 0; c < LEAK_CLASSES; c++) {
        uint64_t bytes, blocks;
        size_t ns;
        free(class_sum(ms, n, c, &bytes, &blocks, &ns));
        fprintf(out, "  %-16s %s in %" PRIu64 " blocks\n", leaks_class_name(c),
                report_bytes(bytes, b1), blocks);
    }
    uint64_t top = o->top ? o->top : o->full ? 10 : 5;
    uint64_t folded = 0, folded_blocks = 0;
    for (int c = 0; c < LEAK_REACHABLE; c++) {
        uint64_t bytes, blocks;
        size_t ns;
        struct lsite *v = class_sum(ms, n, c, &bytes, &blocks, &ns);
        for (size_t i = 0, shown = 0; i < ns; i++) {
            if (!o->full && site_is_system(&v[i])) { /* the runtime's: one line below */
                folded += v[i].s->bytes;
                folded_blocks += v[i].s->blocks;
                continue;
            }
            if (shown++ >= top)
                continue;
            fprintf(out, "  %s: %s in %" PRIu64 " blocks", leaks_class_name(c),
                    report_bytes(v[i].s->bytes, b1), v[i].s->blocks);
            if (tree)
                fprintf(out, " (pid %" PRIu64 ")", v[i].m->hdr->pid);
            fputc('\n', out);
            report_text_stack(out, o, v[i].st ? v[i].st : &none);
        }
        free(v);
    }
    if (folded)
        fprintf(out, "  and %s in %" PRIu64 " blocks of glibc, the loader and other runtime code "
                     "(--full lists them)\n",
                report_bytes(folded, b1), folded_blocks);
}

void report_leaks_json(FILE *out, const struct report_opts *o, struct model *const *ms, size_t n,
                       bool tree)
{
    static const struct model_stack none = {0};
    if (n == 0)
        return;
    fputs("\"leaks\":{", out);
    for (int c = 0; c < LEAK_CLASSES; c++) {
        uint64_t bytes, blocks;
        size_t ns;
        struct lsite *v = class_sum(ms, n, c, &bytes, &blocks, &ns);
        fprintf(out, "%s\n \"%s\":{\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64 ",\"sites\":[",
                c ? "," : "", leaks_class_key(c), bytes, blocks);
        for (size_t i = 0; i < ns && (!o->top || i < o->top); i++) {
            fprintf(out, "%s\n  {\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64, i ? "," : "",
                    v[i].s->bytes, v[i].s->blocks);
            if (tree)
                fprintf(out, ",\"pid\":%" PRIu64, v[i].m->hdr->pid);
            fputs(",\"stack\":", out);
            report_json_stack(out, v[i].st ? v[i].st : &none);
            fputc('}', out);
        }
        fputs("]}", out);
        free(v);
    }
    fprintf(out, "},\n\"leaks_processes\":%zu,\n", n);
}

void report_leaks_json_totals(FILE *out, const struct model *m)
{
    const struct leaks *l = m->leaks;
    fputc('{', out);
    for (int c = 0; c < LEAK_CLASSES; c++)
        fprintf(out, "%s\"%s\":{\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64 "}", c ? "," : "",
                leaks_class_key(c), l->cls[c].bytes, l->cls[c].blocks);
    fputc('}', out);
}
