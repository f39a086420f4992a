/* SPDX-License-Identifier: MIT */
/*
 * report_json.c - the JSON report. Field names are a contract with users'
 * CI (docs/REPORT.md documents each): add fields, never rename or remove.
 */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "findings.h"
#include "gc.h"
#include "leaks.h"
#include "names.h"

void report_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void report_json_str_or_null(FILE *out, const char *s)
{
    if (s)
        report_json_str(out, s);
    else
        fputs("null", out);
}

static void json_stack(FILE *out, const struct model_stack *st)
{
    fputc('[', out);
    for (uint32_t i = 0; i < st->nframes; i++) {
        const struct sym_frame *f = &st->frames[i];
        fputs(i ? ",{\"function\":" : "{\"function\":", out);
        report_json_str_or_null(out, f->function);
        fputs(",\"file\":", out);
        report_json_str_or_null(out, f->file);
        if (f->line)
            fprintf(out, ",\"line\":%" PRIu32, f->line);
        else
            fputs(",\"line\":null", out);
        fputs(",\"module\":", out);
        report_json_str_or_null(out, f->module);
        fprintf(out, ",\"address\":\"0x%" PRIx64 "\",\"offset\":\"0x%" PRIx64
                     "\",\"inlined\":%s}",
                f->address, f->offset, f->inlined ? "true" : "false");
    }
    fputc(']', out);
}

void report_json_stack(FILE *out, const struct model_stack *st)
{
    json_stack(out, st);
}

static double secs(uint64_t us)
{
    return (double)us / 1e6;
}

static void json_program(const struct model *m, FILE *out)
{
    const struct ht_header *h = m->hdr;
    fputs("\"program\":{\"argv\":[", out);
    for (uint32_t i = 0; i < h->argc; i++) {
        if (i)
            fputc(',', out);
        report_json_str(out, h->argv[i]);
    }
    fprintf(out, "],\"pid\":%" PRIu64 ",\"ppid\":%" PRIu64 ",\"exe\":", h->pid, h->ppid);
    report_json_str(out, h->exe);
    fputs(",\"log_path\":", out);
    report_json_str(out, h->log_path);
    fputs(",\"parent_log\":", out);
    report_json_str(out, h->parent_log);
    fputs(",\"log_file\":", out);
    report_json_str(out, m->path);
    fputs("},\n", out);
}

static void json_summary(const struct model *m, FILE *out)
{
    const struct replay_totals *t = &m->rp->tot;
    struct model_leaked lk;
    model_leaked(m, &lk);
    fprintf(out,
            "\"summary\":{\"allocations\":%" PRIu64 ",\"frees\":%" PRIu64
            ",\"bytes_allocated\":%" PRIu64 ",\"peak_bytes\":%" PRIu64 ",\"peak_time_s\":%.6f"
            ",\"leaked_bytes\":%" PRIu64 ",\"leaked_blocks\":%" PRIu64
            ",\"temporary_allocations\":%" PRIu64 ",\"peak_rss_bytes\":%" PRIu64
            ",\"duration_s\":%.6f,\"lost_events\":%" PRIu64 ",\"log_complete\":%s"
            ",\"unknown_frees\":%" PRIu64 ",\"peak_mmap_bytes\":%" PRIu64 ",\"end_reason\":",
            t->allocations, t->frees, t->bytes_allocated, t->peak_bytes, secs(t->peak_time_us),
            lk.bytes, lk.blocks, t->temporary, t->peak_rss, secs(t->duration_us),
            t->lost_events, t->complete ? "true" : "false", t->unknown_frees,
            t->peak_mmap_bytes);
    report_json_str_or_null(out, t->complete && m->truncation[0] == 0
                              ? names_end_reason(t->end_reason) : NULL);
    fputs(",\"attached\":", out);
    fputs(t->attached ? "true" : "false", out);
    fputs(",\"before_attach_bytes\":", out);
    if (t->attached && t->before_attach_bytes)
        fprintf(out, "%" PRIu64, t->before_attach_bytes);
    else
        fputs("null", out);
    fputs(",\"truncation\":", out);
    report_json_str_or_null(out, m->truncation[0] ? m->truncation : NULL);
    fprintf(out, ",\"leaked_means\":\"%s\",\"live_at_exit_bytes\":%" PRIu64
                 ",\"live_at_exit_blocks\":%" PRIu64 "},\n",
            lk.replaced ? "replaced_by_exec" : lk.lost ? "lost" : "live_at_exit",
            t->leaked_bytes, t->leaked_blocks);
}

static uint64_t limit(uint64_t n, const struct report_opts *o)
{
    return o->top && o->top < n ? o->top : n;
}

static void json_sites(const struct model *m, const struct report_opts *o, FILE *out)
{
    fputs("\"sites\":[", out);
    for (uint64_t i = 0; i < limit(m->nsites, o); i++) {
        const struct replay_site *s = m->sites[i].st;
        fprintf(out,
                "%s\n {\"allocations\":%" PRIu64 ",\"bytes_allocated\":%" PRIu64
                ",\"peak_bytes\":%" PRIu64 ",\"leaked_bytes\":%" PRIu64
                ",\"leaked_blocks\":%" PRIu64 ",\"temporary_allocations\":%" PRIu64
                ",\"peak_contribution_bytes\":%" PRIu64 ",\"stack\":",
                i ? "," : "", s->allocations, s->bytes_allocated, s->peak_bytes, s->live_bytes,
                s->live_blocks, s->temporary, s->at_peak_bytes);
        json_stack(out, &m->sites[i].stack);
        fputc('}', out);
    }
    fputs("],\n\"functions\":[", out);
    for (uint64_t i = 0; i < limit(m->nfunctions, o); i++) {
        const struct model_function *f = &m->functions[i];
        fprintf(out, "%s\n {\"function\":", i ? "," : "");
        report_json_str(out, f->name);
        fprintf(out,
                ",\"allocations\":%" PRIu64 ",\"bytes_allocated\":%" PRIu64
                ",\"peak_contribution_bytes\":%" PRIu64 ",\"leaked_bytes\":%" PRIu64
                ",\"leaked_blocks\":%" PRIu64 ",\"temporary_allocations\":%" PRIu64
                ",\"sites\":%" PRIu64 "}",
                f->allocations, f->bytes_allocated, f->peak_bytes, f->leaked_bytes,
                f->leaked_blocks, f->temporary, f->sites);
    }
    fputs("],\n", out);
}

static void json_owners_marks(const struct model *m, FILE *out)
{
    fputs("\"owners\":[", out);
    for (uint64_t i = 0; i < m->nowners; i++) {
        const struct replay_owner_group *g = m->owners[i].g;
        fprintf(out, "%s\n {\"kind\":\"%s\",\"live_handles\":%" PRIu64 ",\"bytes\":%" PRIu64
                     ",\"peak_bytes\":%" PRIu64 ",\"opened\":%" PRIu64 ",\"closed\":%" PRIu64
                     ",\"last_close_s\":",
                i ? "," : "", names_owner_kind(g->kind), g->live_handles, g->bytes,
                g->peak_bytes, g->opened, g->closed);
        if (g->closed)
            fprintf(out, "%.6f", secs(g->last_close_us));
        else
            fputs("null", out);
        fprintf(out, ",\"bytes_per_handle\":%" PRIu64 ",\"stack\":",
                g->live_handles ? g->bytes / g->live_handles : 0);
        json_stack(out, &m->owners[i].stack);
        gc_json_owner(m, g, out);
        fputc('}', out);
    }
    fputs("],\n\"marks\":[", out);
    const struct replay *rp = m->rp;
    for (uint64_t i = 0; i < rp->nmarks; i++) {
        const struct replay_mark *k = &rp->marks[i];
        int64_t growth = (int64_t)(k->heap_bytes - (i ? rp->marks[i - 1].heap_bytes : 0));
        fprintf(out, "%s\n {\"t_s\":%.6f,\"label\":", i ? "," : "", secs(k->time_us));
        report_json_str(out, k->label);
        fprintf(out, ",\"heap_bytes\":%" PRIu64 ",\"heap_growth_bytes\":%" PRId64 "}",
                k->heap_bytes, growth);
    }
    fprintf(out, "],\n\"marks_total\":%" PRIu64 ",\n", rp->tot.marks_total);
}

static void json_processes(struct model *const *procs, size_t n, FILE *out)
{
    fputs(",\n\"processes\":[", out);
    for (size_t i = 0; i < n; i++) {
        const struct model *p = procs[i];
        const struct replay_totals *t = &p->rp->tot;
        struct model_leaked lk;
        model_leaked(p, &lk);
        fprintf(out, "%s\n {\"pid\":%" PRIu64 ",\"ppid\":%" PRIu64 ",\"exe\":", i ? "," : "",
                p->hdr->pid, p->hdr->ppid);
        report_json_str(out, p->hdr->exe);
        fputs(",\"log_file\":", out);
        report_json_str(out, p->path);
        fprintf(out, ",\"allocations\":%" PRIu64 ",\"peak_bytes\":%" PRIu64
                     ",\"leaked_bytes\":%" PRIu64 ",\"leaked_blocks\":%" PRIu64
                     ",\"leaked_means\":\"%s\",\"live_at_exit_bytes\":%" PRIu64
                     ",\"log_complete\":%s,\"replaced_by_exec\":%s",
                t->allocations, t->peak_bytes, lk.bytes, lk.blocks,
                lk.replaced ? "replaced_by_exec" : lk.lost ? "lost" : "live_at_exit",
                t->leaked_bytes,
                t->complete ? "true" : "false", t->exec_replaced ? "true" : "false");
        if (p->leaks && p->leaks->valid) {
            fputs(",\"leaks\":", out);
            report_leaks_json_totals(out, p);
        }
        fputc('}', out);
    }
    fputc(']', out);
}

void report_json(const struct model *m, const struct report_opts *o,
                 struct model *const *procs, size_t nprocs, const struct report_leak_set *ls,
                 FILE *out)
{
    fputs("{\"format_version\":1,\n", out);
    json_program(m, out);
    if (m->rp->tot.sample_every)
        fprintf(out, "\"sampling\":{\"every_bytes\":%" PRIu64 ",\"estimates\":true},\n",
                m->rp->tot.sample_every);
    else
        fputs("\"sampling\":null,\n", out);
    json_summary(m, out);
    json_sites(m, o, out);
    json_owners_marks(m, out);
    report_suspects_json(m, out);
    report_growth_json(m->growth, out);
    report_leaks_json(out, o, ls->procs, ls->n, ls->tree);
    report_retention_json(m, o, out);
    gc_json(m, out);
    fputs("\"timeline\":[", out);
    for (uint64_t i = 0; i < m->rp->ntimeline; i++) {
        const struct replay_sample *s = &m->rp->timeline[i];
        fprintf(out, "%s\n {\"t_s\":%.6f,\"heap_bytes\":%" PRIu64 ",\"mmap_bytes\":%" PRIu64
                     ",\"rss_bytes\":%" PRIu64,
                i ? "," : "", secs(s->t_us), s->heap_bytes, s->mmap_bytes, s->rss_bytes);
        if (m->rp->ngroups) { /* per owner kind: live handles and the bytes behind them */
            fputs(",\"owners\":{", out);
            for (unsigned k = 0, first = 1; k < HT_OWNER_KIND_COUNT_; k++) {
                if (!s->owner_handles[k] && !s->owner_bytes[k])
                    continue;
                fprintf(out, "%s\"%s\":{\"live_handles\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
                        first ? "" : ",", names_owner_kind(k), s->owner_handles[k],
                        s->owner_bytes[k]);
                first = 0;
            }
            fputc('}', out);
        }
        fputc('}', out);
    }
    fputc(']', out);
    json_processes(procs, nprocs, out);
    fputs("}\n", out);
}
