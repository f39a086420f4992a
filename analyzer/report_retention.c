/* SPDX-License-Identifier: MIT */
/*
 * report_retention.c - who keeps the heap alive, in the text and JSON
 * reports: the top retainers of the largest heap snapshot (retention.h),
 * each with the chain of pointers from a named root, and one summary line
 * per snapshot. JSON field names are a contract (docs/REPORT.md).
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "leaks.h"
#include "names.h"
#include "retention.h"
#include "suspects.h"
#include "userframe.h"

static const struct retention *retention_of(const struct model *m)
{
    const struct leaks *l = m->leaks;
    return l && l->retention && l->retention->nsnaps ? l->retention : NULL;
}

static const char *root_kind(uint32_t kind)
{
    return kind == RETENTION_ROOT_IGNORED ? "ignored" : names_root_kind(kind);
}

static const struct model_stack *stack_or_none(const struct model *m, uint64_t stack_id)
{
    static const struct model_stack none = {0};
    const struct model_stack *st = model_stack_of(m, stack_id);
    return st ? st : &none;
}

static uint64_t limit(uint64_t n, uint64_t top, uint64_t dflt)
{
    uint64_t k = top ? top : dflt;
    return n < k ? n : k;
}

/* ------------------------------------------------------------------ text */

/* "name (file:line)" of a site's frame in the program's own code, into buf. */
static const char *site_name(const struct model *m, uint64_t stack_id, char *buf, size_t len)
{
    const struct model_stack *st = model_stack_of(m, stack_id);
    if (!st || !st->nframes) {
        snprintf(buf, len, "an unknown site");
        return buf;
    }
    const struct sym_frame *f = userframe_of(st); /* the program's line, not operator new */
    char *name = model_frame_name(f), shortname[160];
    report_short_name(name, shortname, sizeof(shortname));
    const char *base = f->file ? strrchr(f->file, '/') : NULL;
    if (f->file)
        snprintf(buf, len, "%s (%s:%" PRIu32 ")", shortname, base ? base + 1 : f->file, f->line);
    else
        snprintf(buf, len, "%s", shortname);
    free(name);
    return buf;
}

/* The root, on the current line: "global `g_ports` in server". */
static void text_root_name(FILE *out, bool addresses, const struct retention_root *r)
{
    fputs(root_kind(r->kind), out);
    switch (r->kind) {
    case HT_ROOT_GLOBAL: {
        const char *mod = r->module ? strrchr(r->module, '/') : NULL;
        if (r->name)
            fprintf(out, " `%s`", r->name);
        if (r->name && r->name_offset)
            fprintf(out, "+%" PRIu64, r->name_offset);
        if (!r->name)
            fprintf(out, " at +0x%" PRIx64, r->offset);
        if (r->module)
            fprintf(out, " in %s", mod ? mod + 1 : r->module);
        break;
    }
    case HT_ROOT_STACK:
    case HT_ROOT_TLS:
    case HT_ROOT_REGISTER:
        fprintf(out, " of thread %" PRIu64, r->where);
        if (r->name)
            fprintf(out, " \"%s\"", r->name);
        if (r->kind == HT_ROOT_STACK && r->frame && r->frame->function) {
            const char *base = r->frame->file ? strrchr(r->frame->file, '/') : NULL;
            fprintf(out, ", in %s", r->frame->function);
            if (r->frame->file)
                fprintf(out, " (%s:%" PRIu32 ")", base ? base + 1 : r->frame->file,
                        r->frame->line);
        } else if (r->kind == HT_ROOT_STACK) {
            fprintf(out, ", %" PRIu64 " bytes below its top", r->offset);
        }
        break;
    case HT_ROOT_USER:
    case HT_ROOT_MAPPING:
    case HT_ROOT_PREATTACH:
        if (addresses)
            fprintf(out, " at 0x%" PRIx64, r->offset);
        break;
    default: break;
    }
}

void report_retention_path_line(FILE *out, const struct model *m, const struct retention_path *p)
{
    report_retention_path_line_share(out, m, p, 0, 0);
}

void report_retention_path_line_share(FILE *out, const struct model *m,
                                      const struct retention_path *p, uint64_t held,
                                      uint64_t total)
{
    char name[256], n1[32], n2[32];
    fputs("      kept alive by ", out);
    text_root_name(out, false, &p->root);
    for (uint32_t i = 0; i < p->nsteps;) {
        if (p->elided && i == p->elided_after)
            fprintf(out, " -> ... %" PRIu64 " blocks", p->elided);
        /* consecutive blocks of one site (a chain), or named by one line of
         * the program (iconv_open's two blocks under port_open) */
        uint32_t run = 1;
        site_name(m, p->steps[i].stack_id, name, sizeof(name));
        while (i + run < p->nsteps && !(p->elided && i + run == p->elided_after)) {
            char next[256];
            if (p->steps[i + run].stack_id != p->steps[i].stack_id &&
                strcmp(site_name(m, p->steps[i + run].stack_id, next, sizeof(next)), name) != 0)
                break;
            run++;
        }
        if (run > 1)
            fprintf(out, " -> %" PRIu32 " blocks from %s", run, name);
        else
            fprintf(out, " -> %s", name);
        i += run;
    }
    if (total > 1)
        fprintf(out, " (%s of %s blocks)", report_count(held, n1), report_count(total, n2));
    fputc('\n', out);
}

static void text_path(FILE *out, const struct report_opts *o, const struct model *m,
                      const struct retention_path *p)
{
    char b1[32], name[256];
    fputs("      ", out);
    text_root_name(out, !o->no_addresses, &p->root);
    fputc('\n', out);
    for (uint32_t i = 0; i < p->nsteps; i++) {
        if (p->elided && i == p->elided_after)
            fprintf(out, "      -> ... %" PRIu64 " more blocks ...\n", p->elided);
        const struct retention_step *s = &p->steps[i];
        fprintf(out, "      -> %s%s block from %s", s->interior ? "(inside) " : "",
                report_bytes(s->size, b1), site_name(m, s->stack_id, name, sizeof(name)));
        if (i + 1 < p->nsteps || p->elided)
            fprintf(out, ", pointer at +%" PRIu64, s->offset);
        fputc('\n', out);
    }
}

/* Flagged tables and chains, with their series, in the text report. */
static void text_tables(const struct model *m, const struct report_opts *o,
                        const struct tables *t, FILE *out)
{
    char b1[32], b2[32], name[256], name2[256];
    size_t flagged = 0;
    for (size_t i = 0; i < t->ntables; i++)
        flagged += t->tables[i].flagged;
    if (flagged) {
        report_text_heading(out, o, "tables whose dead slots keep growing (cleared entries never unlinked)");
        for (size_t i = 0; i < t->ntables; i++) {
            const struct table_series *s = &t->tables[i];
            if (!s->flagged)
                continue;
            const struct table_point *p = &s->pts[s->npts - 1];
            fprintf(out, "  table of %s, entries from %s:\n",
                    site_name(m, s->vector_site, name, sizeof(name)),
                    site_name(m, s->entry_site, name2, sizeof(name2)));
            fprintf(out, "      %" PRIu64 " live, %" PRIu64 " dead entries (+%.1f per snapshot); "
                         "the dead hold %s and still own %s",
                    p->live, p->dead, s->dead_slope, report_bytes(p->dead_bytes, b1),
                    report_bytes(p->owned_bytes, b2));
            if (p->owned_site)
                fprintf(out, ", mostly from %s", site_name(m, p->owned_site, name, sizeof(name)));
            fputc('\n', out);
            fputs("      dead per snapshot:", out);
            for (size_t k = 0; k < s->npts; k++)
                fprintf(out, " %" PRIu64, s->pts[k].dead);
            fputc('\n', out);
            if (s->path)
                report_retention_path_line(out, m, s->path);
        }
    }
    flagged = 0;
    for (size_t i = 0; i < t->nchains; i++)
        flagged += t->chains[i].flagged;
    if (!flagged)
        return;
    report_text_heading(out, o, "chains that keep growing (linked blocks of one site)");
    for (size_t i = 0; i < t->nchains; i++) {
        const struct chain_series *c = &t->chains[i];
        if (!c->flagged)
            continue;
        const struct chain_point *p = &c->pts[c->npts - 1];
        fprintf(out, "  chain of %s linked at +%" PRIu64 ": %" PRIu64 " blocks (%s), +%.0f per snapshot\n",
                site_name(m, c->site, name, sizeof(name)), c->link_offset, p->length,
                report_bytes(p->bytes, b1), c->length_slope);
        fputs("      length per snapshot:", out);
        for (size_t k = 0; k < c->npts; k++)
            fprintf(out, " %" PRIu64, c->pts[k].length);
        fputc('\n', out);
        if (c->path) /* the path to the chain's head: who holds it */
            report_retention_path_line(out, m, c->path);
    }
}

void report_retention_text(const struct model *m, const struct report_opts *o, FILE *out)
{
    const struct retention *r = retention_of(m);
    if (!r)
        return;
    text_tables(m, o, &r->tables, out);
    if (!r->ntop)
        return;
    const struct retention_snapshot *s = &r->snaps[r->top_snapshot];
    char b1[32], b2[32], title[256];
    int n = snprintf(title, sizeof(title),
                     "retainers (dominator tree of the largest snapshot, #%" PRIu64 " %s",
                     s->seq, names_snapshot_reason(s->reason));
    if (!o->no_addresses && n > 0 && (size_t)n < sizeof(title))
        n += snprintf(title + n, sizeof(title) - (size_t)n, " at %.3f s",
                      (double)s->time_us / 1e6);
    if (n > 0 && (size_t)n < sizeof(title))
        snprintf(title + n, sizeof(title) - (size_t)n, ": %s reachable in %" PRIu64 " blocks)",
                 report_bytes(s->reachable_bytes, b1), s->reachable_blocks);
    report_text_heading(out, o, title);
    char name[256], n1[32], n2[32];
    uint64_t folded = 0, folded_bytes = 0;
    for (uint64_t i = 0; i < limit(r->ntop, o->top, 10); i++) {
        const struct retainer *t = &r->top[i];
        const struct model_stack *st = model_stack_of(m, t->stack_id);
        if (!o->full && (!st || userframe_index(st) < 0 || suspects_site_is_noise(m, t->stack_id))) {
            folded++; /* the runtime's own: one line below */
            folded_bytes += t->retained_bytes;
            continue;
        }
        fprintf(out, "  #%" PRIu64 " retains %s in %" PRIu64 " blocks: %" PRIu64
                     " block%s of %s from",
                i + 1, report_bytes(t->retained_bytes, b1), t->retained_blocks, t->blocks,
                t->blocks == 1 ? "" : "s", report_bytes(t->bytes, b2));
        if (t->inside >= 0) { /* its path runs through that one's: one line is enough */
            fprintf(out, " %s, inside #%" PRId32 "\n",
                    site_name(m, t->stack_id, name, sizeof(name)), t->inside + 1);
            continue;
        }
        fputc('\n', out);
        report_text_stack(out, o, stack_or_none(m, t->stack_id));
        /* the holder that carries most of the site's blocks, when one does */
        const struct retention_site_path *sp = retention_site_path(r, t->stack_id);
        if (sp && sp->nholders && sp->holders[0].path.nsteps) {
            fprintf(out, "    held by (%s of %s blocks)\n", report_count(sp->holders[0].blocks, n1),
                    report_count(sp->reachable_blocks, n2));
            text_path(out, o, m, &sp->holders[0].path);
        } else if (t->has_path) {
            fprintf(out, "    held by\n");
            text_path(out, o, m, &t->path);
        }
    }
    if (folded)
        fprintf(out, "  and %" PRIu64 " retainer%s in glibc, the loader and other runtime code "
                     "(%s; --full lists them)\n",
                folded, folded == 1 ? "" : "s", report_bytes(folded_bytes, n1));
}

/* ------------------------------------------------------------------ JSON */

void report_retention_root_json(FILE *out, const struct retention_root *r)
{
    fprintf(out, "{\"kind\":\"%s\"", root_kind(r->kind));
    switch (r->kind) {
    case HT_ROOT_GLOBAL:
        fputs(",\"name\":", out);
        report_json_str_or_null(out, r->name);
        fputs(",\"module\":", out);
        report_json_str_or_null(out, r->module);
        fprintf(out, ",\"offset\":%" PRIu64 ",\"module_offset\":%" PRIu64, r->name_offset,
                r->offset);
        break;
    case HT_ROOT_STACK:
    case HT_ROOT_TLS:
    case HT_ROOT_REGISTER:
        fprintf(out, ",\"thread\":%" PRIu64 ",\"thread_name\":", r->where);
        report_json_str_or_null(out, r->name);
        fprintf(out, ",\"offset\":%" PRIu64, r->offset);
        if (r->kind == HT_ROOT_STACK) { /* the frame the word lies in, when known */
            const struct sym_frame *f = r->frame;
            fputs(",\"function\":", out);
            report_json_str_or_null(out, f ? f->function : NULL);
            fputs(",\"file\":", out);
            report_json_str_or_null(out, f ? f->file : NULL);
            if (f && f->line)
                fprintf(out, ",\"line\":%" PRIu32, f->line);
            else
                fputs(",\"line\":null", out);
        }
        break;
    case HT_ROOT_USER:
    case HT_ROOT_PREATTACH:
    case HT_ROOT_MAPPING: fprintf(out, ",\"address\":\"0x%" PRIx64 "\"", r->offset); break;
    default: break;
    }
    fputc('}', out);
}

void report_retention_path_json(FILE *out, const struct model *m, const struct retention_path *p)
{
    fputc('[', out);
    report_retention_root_json(out, &p->root);
    for (uint32_t i = 0; i < p->nsteps; i++) {
        if (p->elided && i == p->elided_after)
            fprintf(out, ",{\"kind\":\"elided\",\"blocks\":%" PRIu64 "}", p->elided);
        const struct retention_step *s = &p->steps[i];
        fprintf(out, ",{\"kind\":\"block\",\"size\":%" PRIu64 ",\"offset\":%" PRIu64
                     ",\"interior\":%s,\"stack\":",
                s->size, s->offset, s->interior ? "true" : "false");
        report_json_stack(out, stack_or_none(m, s->stack_id));
        fputc('}', out);
    }
    fputc(']', out);
}

static void json_path_or_null(FILE *out, const struct model *m, const struct retention_path *p)
{
    if (p)
        report_retention_path_json(out, m, p);
    else
        fputs("null", out);
}

static void json_tables(const struct model *m, const struct tables *t, FILE *out)
{
    fputs("\"tables\":[", out);
    for (size_t i = 0; i < t->ntables; i++) {
        const struct table_series *s = &t->tables[i];
        fprintf(out, "%s\n {\"path\":", i ? "," : "");
        json_path_or_null(out, m, s->path);
        fputs(",\"table_stack\":", out);
        report_json_stack(out, stack_or_none(m, s->vector_site));
        fputs(",\"entry_stack\":", out);
        report_json_stack(out, stack_or_none(m, s->entry_site));
        fputs(",\"link_offset\":", out);
        if (s->has_link)
            fprintf(out, "%" PRIu64, s->link_offset);
        else
            fputs("null", out);
        fputs(",\"value_offset\":", out);
        if (s->has_value)
            fprintf(out, "%" PRIu64, s->value_offset);
        else
            fputs("null", out);
        fputs(",\"snapshots\":[", out);
        for (size_t k = 0; k < s->npts; k++) {
            const struct table_point *p = &s->pts[k];
            fprintf(out, "%s{\"t_s\":%.6f,\"live\":%" PRIu64 ",\"dead\":%" PRIu64
                         ",\"dead_bytes\":%" PRIu64 ",\"owned_bytes\":%" PRIu64
                         ",\"capacity\":%" PRIu64 ",\"owned_stack\":",
                    k ? "," : "", (double)p->time_us / 1e6, p->live, p->dead, p->dead_bytes,
                    p->owned_bytes, p->capacity);
            if (p->owned_site)
                report_json_stack(out, stack_or_none(m, p->owned_site));
            else
                fputs("null", out);
            fputc('}', out);
        }
        fprintf(out, "],\"dead_slope_per_snapshot\":%.3f,\"flagged\":%s}", s->dead_slope,
                s->flagged ? "true" : "false");
    }
    fputs("],\n\"chains\":[", out);
    for (size_t i = 0; i < t->nchains; i++) {
        const struct chain_series *c = &t->chains[i];
        fprintf(out, "%s\n {\"path\":", i ? "," : "");
        json_path_or_null(out, m, c->path);
        fputs(",\"node_stack\":", out);
        report_json_stack(out, stack_or_none(m, c->site));
        fprintf(out, ",\"link_offset\":%" PRIu64 ",\"snapshots\":[", c->link_offset);
        for (size_t k = 0; k < c->npts; k++)
            fprintf(out, "%s{\"t_s\":%.6f,\"length\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
                    k ? "," : "", (double)c->pts[k].time_us / 1e6, c->pts[k].length,
                    c->pts[k].bytes);
        fprintf(out, "],\"length_slope_per_snapshot\":%.3f,\"flagged\":%s}", c->length_slope,
                c->flagged ? "true" : "false");
    }
    fputs("],\n", out);
}

void report_retention_json(const struct model *m, const struct report_opts *o, FILE *out)
{
    const struct retention *r = retention_of(m);
    if (!r)
        return;
    fputs("\"snapshots\":[", out);
    for (size_t i = 0; i < r->nsnaps; i++) {
        const struct retention_snapshot *s = &r->snaps[i];
        fprintf(out, "%s\n {\"seq\":%" PRIu64 ",\"reason\":\"%s\",\"t_s\":%.6f,\"blocks\":%" PRIu64
                     ",\"edges\":%" PRIu64 ",\"roots\":%" PRIu64 ",\"live_bytes\":%" PRIu64
                     ",\"reachable_bytes\":%" PRIu64 ",\"reachable_blocks\":%" PRIu64
                     ",\"pause_ns\":%" PRIu64 ",\"scan_ns\":%" PRIu64
                     ",\"scan_cpu_ns\":%" PRIu64 ",\"index_cpu_ns\":%" PRIu64 "}",
                i ? "," : "", s->seq, names_snapshot_reason(s->reason), (double)s->time_us / 1e6,
                s->blocks, s->edges, s->roots, s->live_bytes, s->reachable_bytes,
                s->reachable_blocks, s->pause_ns, s->scan_ns, s->scan_cpu_ns, s->index_cpu_ns);
    }
    fputs("],\n", out);
    json_tables(m, &r->tables, out);
    fprintf(out, "\"retainers_snapshot\":%" PRIu64 ",\n\"retainers\":[",
            r->snaps[r->top_snapshot].seq);
    for (uint64_t i = 0; i < limit(r->ntop, o->top, r->ntop); i++) {
        const struct retainer *t = &r->top[i];
        fprintf(out, "%s\n {\"retained_bytes\":%" PRIu64 ",\"retained_blocks\":%" PRIu64
                     ",\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"heads\":%" PRIu32
                     ",\"inside\":",
                i ? "," : "", t->retained_bytes, t->retained_blocks, t->blocks, t->bytes,
                t->heads);
        if (t->inside >= 0)
            fprintf(out, "%" PRId32, t->inside);
        else
            fputs("null", out);
        fputs(",\"stack\":", out);
        report_json_stack(out, stack_or_none(m, t->stack_id));
        fputs(",\"path\":", out);
        if (t->has_path)
            report_retention_path_json(out, m, &t->path);
        else
            fputs("null", out);
        fputc('}', out);
    }
    fputs("],\n", out);
}
