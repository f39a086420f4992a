/* SPDX-License-Identifier: MIT */
/*
 * report_diff.c - `--diff A B`: sites of two logs matched by their
 * symbolized stack key (addresses differ between runs, names and
 * module+offset do not), with the change of peak and leaked bytes. Sorted
 * by peak growth, then leaked growth, then key.
 */
#include "report_extra.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct diff_row {
    const char *key;
    const struct model_stack *stack; /* from b when present, else a */
    uint64_t peak[2], leaked[2], allocations[2];
    bool present[2];
};

struct diff_entry {
    const struct model_site *site;
    int side;
};

static int entry_cmp(const void *pa, const void *pb)
{
    const struct diff_entry *a = pa, *b = pb;
    return strcmp(a->site->stack.key, b->site->stack.key);
}

static int64_t growth(uint64_t a, uint64_t b)
{
    return (int64_t)(b - a);
}

static int row_cmp(const void *pa, const void *pb)
{
    const struct diff_row *a = pa, *b = pb;
    int64_t ga = growth(a->peak[0], a->peak[1]), gb = growth(b->peak[0], b->peak[1]);
    if (ga != gb)
        return ga > gb ? -1 : 1;
    ga = growth(a->leaked[0], a->leaked[1]);
    gb = growth(b->leaked[0], b->leaked[1]);
    if (ga != gb)
        return ga > gb ? -1 : 1;
    return strcmp(a->key, b->key);
}

static struct diff_row *diff_rows(const struct model *ma, const struct model *mb, size_t *count)
{
    size_t n = ma->nsites + mb->nsites, nr = 0;
    struct diff_entry *e = xcalloc(n, sizeof(*e));
    for (uint64_t i = 0; i < ma->nsites; i++)
        e[i] = (struct diff_entry){&ma->sites[i], 0};
    for (uint64_t i = 0; i < mb->nsites; i++)
        e[ma->nsites + i] = (struct diff_entry){&mb->sites[i], 1};
    qsort(e, n, sizeof(*e), entry_cmp);
    struct diff_row *rows = xcalloc(n, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        if (!nr || strcmp(rows[nr - 1].key, e[i].site->stack.key) != 0)
            rows[nr++] = (struct diff_row){.key = e[i].site->stack.key};
        struct diff_row *r = &rows[nr - 1];
        int s = e[i].side;
        r->peak[s] += e[i].site->st->peak_bytes;
        r->leaked[s] += e[i].site->st->live_bytes;
        r->allocations[s] += e[i].site->st->allocations;
        r->present[s] = true;
        if (!r->stack || s == 1)
            r->stack = &e[i].site->stack;
    }
    free(e);
    qsort(rows, nr, sizeof(*rows), row_cmp);
    *count = nr;
    return rows;
}

static const char *row_status(const struct diff_row *r)
{
    return !r->present[0] ? "new" : !r->present[1] ? "gone" : "both";
}

static void diff_text(const struct model *ma, const struct model *mb, const struct diff_row *rows,
                      size_t n, const struct report_opts *o, FILE *out)
{
    const struct replay_totals *a = &ma->rp->tot, *b = &mb->rp->tot;
    fprintf(out, "heaptrace diff: %s -> %s\n", ma->path, mb->path);
    fprintf(out, "  peak     %" PRIu64 " -> %" PRIu64 " (%+" PRId64 " B)\n", a->peak_bytes,
            b->peak_bytes, growth(a->peak_bytes, b->peak_bytes));
    fprintf(out, "  leaked   %" PRIu64 " -> %" PRIu64 " (%+" PRId64 " B)\n", a->leaked_bytes,
            b->leaked_bytes, growth(a->leaked_bytes, b->leaked_bytes));
    fprintf(out, "  allocations %" PRIu64 " -> %" PRIu64 "\n\nsites by growth\n", a->allocations,
            b->allocations);
    uint64_t top = o->top ? o->top : 10;
    for (size_t i = 0; i < n && i < top; i++) {
        const struct diff_row *r = &rows[i];
        fprintf(out, "  %s peak %+" PRId64 " B (%" PRIu64 " -> %" PRIu64 "), leaked %+" PRId64
                     " B (%" PRIu64 " -> %" PRIu64 ")\n",
                !r->present[0] ? "[new] " : !r->present[1] ? "[gone]" : "      ",
                growth(r->peak[0], r->peak[1]), r->peak[0], r->peak[1],
                growth(r->leaked[0], r->leaked[1]), r->leaked[0], r->leaked[1]);
        for (uint32_t k = 0; k < r->stack->nframes; k++) {
            char *name = model_frame_name(&r->stack->frames[k]);
            fprintf(out, "      %s\n", name);
            free(name);
        }
    }
}

static void diff_json(const struct model *ma, const struct model *mb, const struct diff_row *rows,
                      size_t n, const struct report_opts *o, FILE *out)
{
    fputs("{\"format_version\":1,\"a\":", out);
    report_json_str(out, ma->path);
    fputs(",\"b\":", out);
    report_json_str(out, mb->path);
    const struct replay_totals *a = &ma->rp->tot, *b = &mb->rp->tot;
    fprintf(out, ",\n\"summary\":{\"peak_bytes_a\":%" PRIu64 ",\"peak_bytes_b\":%" PRIu64
                 ",\"leaked_bytes_a\":%" PRIu64 ",\"leaked_bytes_b\":%" PRIu64 "},\n\"sites\":[",
            a->peak_bytes, b->peak_bytes, a->leaked_bytes, b->leaked_bytes);
    for (size_t i = 0; i < n && (!o->top || i < o->top); i++) {
        const struct diff_row *r = &rows[i];
        fprintf(out, "%s\n {\"status\":\"%s\",\"peak_bytes_a\":%" PRIu64 ",\"peak_bytes_b\":%" PRIu64
                     ",\"peak_change_bytes\":%" PRId64 ",\"leaked_bytes_a\":%" PRIu64
                     ",\"leaked_bytes_b\":%" PRIu64 ",\"leaked_change_bytes\":%" PRId64
                     ",\"allocations_a\":%" PRIu64 ",\"allocations_b\":%" PRIu64 ",\"stack\":[",
                i ? "," : "", row_status(r), r->peak[0], r->peak[1],
                growth(r->peak[0], r->peak[1]), r->leaked[0], r->leaked[1],
                growth(r->leaked[0], r->leaked[1]), r->allocations[0], r->allocations[1]);
        for (uint32_t k = 0; k < r->stack->nframes; k++) {
            char *name = model_frame_name(&r->stack->frames[k]);
            if (k)
                fputc(',', out);
            report_json_str(out, name);
            free(name);
        }
        fputs("]}", out);
    }
    fputs("]}\n", out);
}

int diff_run(const char *pa, const char *pb, const struct analysis_opts *o,
             const struct report_opts *r, bool json, FILE *out)
{
    struct analysis *a = NULL, *b = NULL;
    int rc = analysis_load(&a, pa, o);
    if (!rc)
        rc = analysis_load(&b, pb, o);
    if (!rc) {
        size_t n;
        struct diff_row *rows = diff_rows(a->model, b->model, &n);
        if (json)
            diff_json(a->model, b->model, rows, n, r, out);
        else
            diff_text(a->model, b->model, rows, n, r, out);
        free(rows);
    }
    analysis_free(a);
    analysis_free(b);
    return rc;
}
