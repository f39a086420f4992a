/* SPDX-License-Identifier: MIT */
/*
 * report_growth.c - the growth findings (findings.h, struct growth_result)
 * as the text report's "growth" section and the JSON "growth" array, and
 * the one-line "why" of a finding both print. growth.c computes them.
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "userframe.h"

static const char *const by_names[] = {"site", "function", "owner", "retainer"};

const char *report_stack_location(const struct model_stack *st, char *buf, size_t len,
                                  const char **file, uint32_t *line)
{
    buf[0] = '\0';
    *file = NULL;
    *line = 0;
    /* the program's own frame, never a line borrowed from another frame */
    const struct sym_frame *f = userframe_of(st);
    if (f && f->file && f->line) {
        *file = f->file;
        *line = f->line;
        snprintf(buf, len, "%s:%" PRIu32, f->file, f->line);
    }
    return buf;
}

/* An age in x units: "153,241 marks" or "0.192 s". buf >= 48. */
static const char *x_age(const struct growth_result *r, double v, char *buf)
{
    if (!r->per_mark) {
        snprintf(buf, 48, "%.3g s", v);
        return buf;
    }
    char digits[32], *o = buf;
    uint64_t n = v > 0 ? (uint64_t)llround(v) : 0;
    int len = snprintf(digits, sizeof(digits), "%" PRIu64, n);
    for (int i = 0; i < len; i++) {
        *o++ = digits[i];
        if ((len - i - 1) % 3 == 0 && i + 1 < len)
            *o++ = ',';
    }
    snprintf(o, 16, " mark%s", n == 1 ? "" : "s");
    return buf;
}

/* The one-line reason of a finding (no newline), from its numbers. */
static void growth_why(const struct growth_result *r, const struct growth_finding *f, char *buf,
                       size_t len)
{
    char b1[32], b2[32];
    if (f->evidence == GROWTH_EV_KEPT || (f->evidence == GROWTH_EV_TREND && f->has_kept)) {
        const struct growth_kept *k = &f->kept;
        char freed[128], a1[48], a2[48], a3[48];
        if (k->longest_freed_age > 0)
            snprintf(freed, sizeof(freed), "none freed that old (the longest any lived: %s)",
                     x_age(r, k->longest_freed_age, a1));
        else
            snprintf(freed, sizeof(freed), "none freed");
        snprintf(buf, len,
                 "%" PRIu64 " blocks (%s) kept after the warm-up, %s, oldest %s ago, "
                 "youngest %s; created at %" PRIu64 " separate times spread evenly "
                 "(p %.2g that a high-water mark rises that often, spread p %.2f)",
                 k->blocks, report_bytes(k->bytes, b1), freed, x_age(r, k->oldest_age, a2),
                 x_age(r, k->youngest_age, a3), k->events, k->record_p, k->spread_p);
    } else if (f->evidence == GROWTH_EV_BLOCK) {
        const struct growth_block *b = &f->block;
        snprintf(buf, len,
                 "%" PRIu64 " block%s reallocated ever larger: %s to %s each after the warm-up, "
                 "in %" PRIu32 " steps, the last at %.0f%% of the run, the block count flat",
                 b->blocks, b->blocks == 1 ? "" : "s", report_bytes(b->first_bytes, b1),
                 report_bytes(b->last_bytes, b2), b->rises, b->last_rise_at * 100);
    } else {
        snprintf(buf, len,
                 "rose over %" PRIu32 " points after the warm-up (Mann-Kendall p %.2g, "
                 "slope 95%% CI %.4g..%.4g B/%s)",
                 f->points, f->p_value, f->slope_lo, f->slope_hi, r->per_mark ? "mark" : "s");
    }
}

static void json_num(FILE *out, double v)
{
    if (isnan(v))
        fputs("null", out);
    else
        fprintf(out, "%.3f", v);
}

void report_growth_json(const struct growth_result *r, FILE *out)
{
    fputs("\"growth\":[", out);
    for (size_t i = 0; r && i < r->n; i++) {
        const struct growth_finding *f = &r->findings[i];
        fprintf(out, "%s\n {\"by\":\"%s\",\"function\":", i ? "," : "", by_names[f->by]);
        report_json_str(out, f->function ? f->function : "");
        fputs(",\"owner_kind\":", out);
        if (f->owner_kind)
            report_json_str(out, f->owner_kind);
        else
            fputs("null", out);
        fputs(",\"stack\":", out);
        report_json_stack(out, f->stack);
        fputs(",\"slope_bytes_per_mark\":", out);
        json_num(out, f->slope_per_mark);
        fputs(",\"slope_bytes_per_s\":", out);
        json_num(out, f->slope_per_s);
        fputs(",\"slope_ci95\":[", out);
        json_num(out, f->slope_lo);
        fputc(',', out);
        json_num(out, f->slope_hi);
        fprintf(out, "],\"confidence\":%.6f,\"p_value\":%.3g,\"gained_bytes\":%" PRId64
                     ",\"last_bytes\":%" PRIu64 ",\"projected_bytes_10x\":%" PRIu64
                     ",\"reachable\":%s,\"path\":",
                1 - f->p_value, f->p_value, f->gained_bytes, f->last_bytes,
                f->projected_bytes_10x,
                f->reachable > 0 ? "true" : f->reachable == 0 ? "false" : "null");
        if (f->path)
            report_retention_path_json(out, r->model, f->path);
        else
            fputs("null", out);
        static const char *const ev_names[] = {"trend", "kept", "block"};
        fprintf(out, ",\"evidence\":\"%s\",\"points\":%" PRIu32 ",\"why\":",
                ev_names[f->evidence], f->points);
        char why[512];
        growth_why(r, f, why, sizeof(why));
        report_json_str(out, why);
        fputs(",\"user_frame\":", out);
        if (f->user_frame >= 0) {
            const struct sym_frame *uf = &f->stack->frames[f->user_frame];
            fputs("{\"function\":", out);
            report_json_str(out, uf->function ? uf->function : "");
            fputs(",\"file\":", out);
            if (uf->file)
                report_json_str(out, uf->file);
            else
                fputs("null", out);
            fprintf(out, ",\"line\":%" PRIu32 "}", uf->line);
        } else {
            fputs("null", out);
        }
        fputs(",\"kept\":", out);
        if (f->has_kept) {
            const struct growth_kept *k = &f->kept;
            fprintf(out, "{\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"events\":%" PRIu64
                         ",\"oldest_age\":",
                    k->blocks, k->bytes, k->events);
            json_num(out, k->oldest_age);
            fputs(",\"youngest_age\":", out);
            json_num(out, k->youngest_age);
            fputs(",\"longest_freed_age\":", out);
            json_num(out, k->longest_freed_age);
            fprintf(out, ",\"record_p\":%.3g,\"spread_p\":%.3g}", k->record_p, k->spread_p);
        } else {
            fputs("null", out);
        }
        fputs(",\"block\":", out);
        if (f->has_block) {
            const struct growth_block *b = &f->block;
            fprintf(out, "{\"blocks\":%" PRIu64 ",\"first_bytes\":%" PRIu64
                         ",\"last_bytes\":%" PRIu64 ",\"rises\":%" PRIu32
                         ",\"last_rise_at\":%.3f,\"record_p\":%.3g}",
                    b->blocks, b->first_bytes, b->last_bytes, b->rises, b->last_rise_at,
                    b->record_p);
        } else {
            fputs("null", out);
        }
        fputc('}', out);
    }
    fputs("],\n", out);
    if (r)
        fprintf(out, "\"growth_samples\":{\"per\":\"%s\",\"points\":%" PRIu32
                     ",\"warmup\":%.3f},\n",
                r->per_mark ? "mark" : "second", r->nsamples, r->warmup);
}

void report_growth_text(const struct growth_result *r, bool color, FILE *out)
{
    if (!r || !r->n)
        return;
    char b1[32], b2[32], b3[32], loc[512];
    const char *unit = r->per_mark ? "mark" : "s";
    if (color)
        fputs("\n\033[1;31m", out);
    else
        fputc('\n', out);
    fprintf(out, "growth: %zu finding%s (live bytes that keep rising, per %s, after a %.0f%% "
                 "warm-up)",
            r->n, r->n == 1 ? "" : "s", r->per_mark ? "mark" : "second", r->warmup * 100);
    fputs(color ? "\033[0m\n" : "\n", out);
    for (size_t i = 0; i < r->n; i++) {
        const struct growth_finding *f = &r->findings[i];
        double slope = r->per_mark ? f->slope_per_mark : f->slope_per_s;
        const char *file;
        uint32_t line;
        report_stack_location(f->stack, loc, sizeof(loc), &file, &line);
        const char *base = file ? strrchr(file, '/') : NULL;
        const struct sym_frame *uf = userframe_of(f->stack);
        char *uname = uf && f->function && f->by != GROWTH_BY_OWNER ? model_frame_name(uf) : NULL;
        bool from = uname && strcmp(uname, f->function) != 0;
        char fshort[256], ushort[256];
        fprintf(out, "  #%zu %s %s%s%s%s%s%s%s", i + 1, by_names[f->by],
                f->owner_kind ? f->owner_kind : "", f->owner_kind ? " opened in " : "",
                f->function ? report_short_name(f->function, fshort, sizeof(fshort)) : "?",
                from ? ", from " : "", from ? report_short_name(uname, ushort, sizeof(ushort)) : "",
                file ? " at " : uf && uf->function ? " (no line info)" : "",
                file ? (base ? base + 1 : file) : "");
        free(uname);
        if (file)
            fprintf(out, ":%" PRIu32, line);
        if (slope > 0 && slope < 10)
            fprintf(out, ": +%.2g B/%s", slope, unit);
        else
            fprintf(out, ": +%s/%s", report_bytes(slope > 0 ? (uint64_t)slope : 0, b1), unit);
        fprintf(out, ", gained %s, %s after 10x the run ",
                report_bytes(f->gained_bytes > 0 ? (uint64_t)f->gained_bytes : 0, b2),
                report_bytes(f->projected_bytes_10x, b3));
        if (f->evidence == GROWTH_EV_BLOCK)
            fprintf(out, "(x%.1f inside its block%s)\n",
                    f->block.first_bytes ? (double)f->block.last_bytes / (double)f->block.first_bytes : 0,
                    f->block.blocks == 1 ? "" : "s");
        else
            fprintf(out, "(p %.2g)\n", f->p_value);
        char why[512];
        growth_why(r, f, why, sizeof(why));
        fprintf(out, "      why: %s\n", why);
        if (f->reachable == 0)
            fputs("      unreachable: leaked (nothing points at it)\n", out);
        else if (f->path)
            report_retention_path_line_share(out, r->model, f->path, f->holder_blocks,
                                             f->total_blocks);
    }
}
