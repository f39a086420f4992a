/* SPDX-License-Identifier: MIT */
/*
 * report_gate.c - the gates' verdicts (findings.h, struct gate_result) as
 * the "heaptrace-report: gate failed: ..." lines on stderr, GitHub Actions
 * annotations and JUnit XML. gate.c evaluates the rules; the wording here is
 * a public contract (docs/CI.md): CI jobs parse these lines.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exitcode.h"
#include "findings.h"
#include "userframe.h"

/* One verdict in words: the message, and the file and line of its site
 * ("" and 0 when unknown). */
struct verdict {
    char message[1024];
    char file[256];
    uint32_t line;
};

static const char *op_text(enum gate_op op)
{
    static const char *const t[] = {">", ">=", "<", "<="};
    return t[op];
}

static bool is_bytes(const struct gate_rule *r)
{
    return r->metric != GATE_LEAKED_BLOCKS && r->metric != GATE_LIVE_AT_EXIT_BLOCKS &&
           r->metric != GATE_OWNER_LIVE;
}

static void fmt_value(const struct gate_rule *r, double v, char buf[48])
{
    char b[32];
    if (is_bytes(r))
        snprintf(buf, 48, "%s", report_bytes(v > 0 ? (uint64_t)llround(v) : 0, b));
    else
        snprintf(buf, 48, "%.0f", v);
}

/* " at file:line (function)" for the verdict's site into where, and its file
 * and line into v; "" without a site. */
static void site_text(const struct gate_result *res, struct verdict *v, char *where, size_t wlen)
{
    const struct model_stack *st = res->site;
    const char *label = res->label;
    where[0] = '\0';
    if (!st)
        return;
    char loc[300];
    const char *file;
    uint32_t line;
    report_stack_location(st, loc, sizeof(loc), &file, &line);
    if (file) {
        snprintf(v->file, sizeof(v->file), "%s", file);
        v->line = line;
    }
    char *fn = NULL;
    if (!label && st->nframes)
        label = fn = model_frame_name(userframe_of(st));
    if (label && file)
        snprintf(where, wlen, " at %s (%s)", loc, label);
    else if (label)
        snprintf(where, wlen, " at %s", label);
    else if (file)
        snprintf(where, wlen, " at %s", loc);
    free(fn);
}

static void growth_text(const struct gate_result *res, struct verdict *v)
{
    const struct gate_rule *rule = res->rule;
    const char *unit = rule->per == GATE_PER_MARK ? "/mark" : rule->per == GATE_PER_S ? "/s" : "";
    char where[400], b1[48], b2[48];
    fmt_value(rule, rule->value, b2);
    if (!res->failed) {
        snprintf(v->message, sizeof(v->message), "no growth finding %s %s%s",
                 op_text(rule->op), b2, unit);
        return;
    }
    site_text(res, v, where, sizeof(where));
    fmt_value(rule, res->value, b1);
    int len = snprintf(v->message, sizeof(v->message), "%s grows %s%s (limit %s%s)%s",
                       res->owner ? "owner" : "site", b1, unit, b2, unit, where);
    if (res->count > 1 && len >= 0 && (size_t)len < sizeof(v->message))
        snprintf(v->message + len, sizeof(v->message) - (size_t)len,
                 "; %zu findings over the limit", res->count);
}

static void new_growth_text(const struct gate_result *res, struct verdict *v)
{
    if (!res->failed) {
        snprintf(v->message, sizeof(v->message), "no growth that the baseline does not have");
        return;
    }
    char where[400], b1[32];
    site_text(res, v, where, sizeof(where));
    snprintf(v->message, sizeof(v->message), "new growth of %s/%s, not in the baseline%s%s",
             report_bytes(res->value > 0 ? (uint64_t)res->value : 0, b1),
             res->per_mark ? "mark" : "s", where, res->count > 1 ? " (and others)" : "");
}

/* What a failed metric rule measured, in words. */
static const char *metric_name(const struct gate_result *res)
{
    switch (res->rule->metric) {
    case GATE_LEAKED:
        return res->lost ? "lost (definitely + indirectly)" : "live at the end (no exit snapshot)";
    case GATE_LEAKED_BLOCKS:
        return res->lost ? "lost blocks (definitely + indirectly)"
                         : "blocks live at the end (no exit snapshot)";
    case GATE_LIVE_AT_EXIT: return "live at exit";
    case GATE_LIVE_AT_EXIT_BLOCKS: return "blocks live at exit";
    case GATE_PEAK: return "peak";
    case GATE_RSS: return "peak RSS";
    case GATE_OWNER_LIVE: return "live handles";
    default: return "bytes owned";
    }
}

static void verdict_text(const struct gate_result *res, struct verdict *v)
{
    const struct gate_rule *rule = res->rule;
    memset(v, 0, sizeof(*v));
    if (res->error == GATE_ERROR_NO_BASELINE) {
        snprintf(v->message, sizeof(v->message), "rule '%s' needs --baseline LOG", rule->text);
        return;
    }
    if (res->error == GATE_ERROR_NO_MARKS) {
        snprintf(v->message, sizeof(v->message),
                 "rule '%s' needs marks, and the log has fewer than %" PRIu32 ": use /s or add "
                 "heaptrace_mark() calls", rule->text, res->min_marks);
        return;
    }
    if (rule->metric == GATE_GROWTH) {
        growth_text(res, v);
        return;
    }
    if (rule->metric == GATE_NEW_GROWTH) {
        new_growth_text(res, v);
        return;
    }
    char b1[48], b2[48], b3[48], base_note[128] = "";
    if (rule->relative) {
        fmt_value(rule, res->base_value, b3);
        snprintf(base_note, sizeof(base_note), ", baseline %s", b3);
    }
    fmt_value(rule, res->value, b1);
    fmt_value(rule, res->limit, b2);
    if (!res->failed) {
        snprintf(v->message, sizeof(v->message), "%s is %s (limit %s %s%s)", rule->text, b1,
                 op_text(rule->op), b2, base_note);
        return;
    }
    char where[400];
    site_text(res, v, where, sizeof(where));
    bool owner = rule->metric == GATE_OWNER_LIVE || rule->metric == GATE_OWNER_BYTES;
    snprintf(v->message, sizeof(v->message), "%s%s%s %s (limit %s %s%s)%s%s",
             owner ? rule->owner_kind : "", owner ? " " : "", metric_name(res), b1,
             op_text(rule->op), b2, base_note,
             res->site ? (owner ? ", most opened" : ", largest site") : "", where);
}

void report_gate_lines(const struct gate_result *res, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        struct verdict v;
        verdict_text(&res[i], &v);
        if (res[i].error)
            fprintf(out, "heaptrace-report: error: %s\n", v.message);
        else if (res[i].failed)
            fprintf(out, "heaptrace-report: gate failed: '%s': %s\n", res[i].rule->text,
                    v.message);
    }
}

/* GitHub's escaping: data %, CR, LF; properties also ':' and ','. */
static void gh_escape(FILE *out, const char *s, bool property)
{
    for (; *s; s++) {
        if (*s == '%')
            fputs("%25", out);
        else if (*s == '\r')
            fputs("%0D", out);
        else if (*s == '\n')
            fputs("%0A", out);
        else if (property && *s == ':')
            fputs("%3A", out);
        else if (property && *s == ',')
            fputs("%2C", out);
        else
            fputc(*s, out);
    }
}

void report_gate_github(const struct gate_result *res, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        if (!res[i].failed && !res[i].error)
            continue;
        struct verdict v;
        verdict_text(&res[i], &v);
        fputs("::error", out);
        if (v.file[0]) {
            fputs(" file=", out);
            gh_escape(out, v.file, true);
            fprintf(out, ",line=%" PRIu32, v.line);
        }
        fputs("::heaptrace gate '", out);
        gh_escape(out, res[i].rule->text, false);
        fputs("': ", out);
        gh_escape(out, v.message, false);
        fputc('\n', out);
    }
}

static void xml_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, out);
        }
    }
}

int report_gate_junit(const struct gate_result *res, size_t n, const struct model *m,
                      const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "heaptrace-report: error: cannot write '%s': %s\n", path, strerror(errno));
        return HT_EXIT_USAGE;
    }
    size_t failures = 0, errors = 0;
    for (size_t i = 0; i < n; i++) {
        failures += res[i].failed;
        errors += res[i].error != GATE_ERROR_NONE;
    }
    /* timestamp: the traced program's start, so the file depends only on the log */
    time_t start = (time_t)(m->hdr->start_unix_ns / 1000000000u);
    struct tm tm;
    char ts[32];
    gmtime_r(&start, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<testsuite name=\"heaptrace-report\" timestamp=\"%s\" hostname=\"localhost\" "
                 "tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.6f\">\n"
                 "  <properties>\n    <property name=\"log\" value=\"",
            ts, n, failures, errors, (double)m->rp->tot.duration_us / 1e6);
    xml_escape(out, m->path);
    fputs("\"/>\n  </properties>\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs("  <testcase classname=\"heaptrace.gate\" name=\"", out);
        xml_escape(out, res[i].rule->text);
        fputs("\" time=\"0\"", out);
        if (!res[i].failed && !res[i].error) {
            fputs("/>\n", out);
            continue;
        }
        struct verdict v;
        verdict_text(&res[i], &v);
        fprintf(out, ">\n    <%s message=\"", res[i].error ? "error" : "failure");
        xml_escape(out, v.message);
        fprintf(out, "\" type=\"%s\">", res[i].error ? "heaptrace.gate.error" : "heaptrace.gate");
        xml_escape(out, v.message);
        if (v.file[0]) {
            fputs(" [", out);
            xml_escape(out, v.file);
            fprintf(out, ":%" PRIu32 "]", v.line);
        }
        fprintf(out, "</%s>\n  </testcase>\n", res[i].error ? "error" : "failure");
    }
    fputs("  <system-out/>\n  <system-err/>\n</testsuite>\n", out);
    if (fclose(out) != 0) {
        fprintf(stderr, "heaptrace-report: error: cannot write '%s': %s\n", path, strerror(errno));
        return HT_EXIT_USAGE;
    }
    return 0;
}
