/* SPDX-License-Identifier: MIT */
/*
 * report_suspects.c - the suspects (suspects.h) for people and programs:
 * one headline per suspect ("1. global `table` (table_new, weak_ports.c:87)
 * keeps 9,968 dead entries, +1,000 per 1,000 requests; ..."), the verdict
 * line above them, and the JSON "suspects" array (docs/REPORT.md).
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "leaks.h"
#include "names.h"
#include "retention.h"
#include "suspects.h"
#include "userframe.h"

/* A bounded string builder: appends never overflow, the result is cut. */
struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->len + 1 >= b->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

const char *report_count(uint64_t n, char buf[32])
{
    char tmp[32];
    int len = snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
    int out = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = tmp[i];
    }
    buf[out] = '\0';
    return buf;
}

static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

#define SHORT_TEMPLATE_ARGS 24 /* longer template argument lists become <...> */

/* The end of the bracketed run opening at p (open/close), or NULL. */
static const char *bracket_end(const char *p, char open, char close)
{
    int depth = 0;
    for (; *p; p++) {
        if (*p == open)
            depth++;
        else if (*p == close && --depth == 0)
            return p;
    }
    return NULL;
}

/* Copies name into buf, long template argument lists folded to <...>; with
 * cut_params, it stops at the parameter list. */
static const char *fold_name(const char *name, char *buf, size_t len, bool cut_params)
{
    size_t o = 0;
    for (const char *p = name; *p && o + 6 < len; p++) {
        bool op = p - name >= 8 && strncmp(p - 8, "operator", 8) == 0;
        if (cut_params && *p == '(' && strncmp(p, "(anonymous namespace)", 21) == 0) {
            size_t n = strlen("(anonymous namespace)");
            if (o + n + 1 >= len)
                break;
            memcpy(buf + o, p, n);
            o += n;
            p += n - 1;
            continue;
        }
        if (cut_params && *p == '(' && p != name && !op)
            break; /* the parameter list: not needed to find the line */
        const char *end = *p == '<' && !op ? bracket_end(p, '<', '>') : NULL;
        if (end && end - p > SHORT_TEMPLATE_ARGS) {
            memcpy(buf + o, "<...>", 5);
            o += 5;
            p = end;
            continue;
        }
        buf[o++] = *p;
    }
    buf[o] = '\0';
    return buf;
}

const char *report_short_name(const char *name, char *buf, size_t len)
{
    return fold_name(name, buf, len, true);
}

const char *report_fold_templates(const char *name, char *buf, size_t len)
{
    return fold_name(name, buf, len, false);
}

/* "port_open (weak_ports.c:117)", "f (no line info)", "python3.11+0x1234". */
static void sb_frame(struct sbuf *b, const struct sym_frame *f)
{
    if (!f) {
        sb_printf(b, "an unknown place");
        return;
    }
    char *name = model_frame_name(f), shortname[256];
    report_short_name(name, shortname, sizeof(shortname));
    if (f->file)
        sb_printf(b, "%s (%s:%" PRIu32 ")", shortname, base_of(f->file), f->line);
    else if (f->function)
        sb_printf(b, "%s (no line info)", shortname);
    else
        sb_printf(b, "%s", shortname);
    free(name);
}

const char *report_frame_text(const struct sym_frame *f, char *buf, size_t len)
{
    struct sbuf b = {buf, 0, len};
    buf[0] = '\0';
    sb_frame(&b, f);
    return buf;
}

/* An allocation wrapper (xmalloc): the caller says more than the wrapper. */
static bool is_wrapper(const struct suspect *s)
{
    return s->frame && s->caller && s->stack && s->frame == &s->stack->frames[0] &&
           s->frame->function && (strstr(s->frame->function, "alloc") ||
                                  strstr(s->frame->function, "new"));
}

/* A C library function the program called ("iconv_open"): worth naming;
 * libstdc++'s insides (std::map<...>::operator[], operator new) are not. */
static bool c_callee(const struct suspect *s)
{
    return s->callee && !strstr(s->callee, "::") && strncmp(s->callee, "operator", 8) != 0;
}

static void sb_where(struct sbuf *b, const struct suspect *s)
{
    sb_frame(b, s->frame);
    if (is_wrapper(s)) {
        sb_printf(b, " called from ");
        sb_frame(b, s->caller);
    }
}

/* The scale growth is quoted in: "per 1,000 requests", "/s". */
static void sb_rate(struct sbuf *b, const struct model *m, const struct suspects *all, double rate,
                    bool bytes)
{
    char n1[32];
    if (!(rate > 0))
        return;
    if (all->unit) {
        uint64_t scale = 1;
        while (scale < 1000 && scale * 10 <= m->rp->nmarks / 10)
            scale *= 10;
        double v = rate * (double)scale;
        if (bytes)
            sb_printf(b, "+%s per ", report_bytes((uint64_t)llround(v), n1));
        else
            sb_printf(b, "+%s per ", report_count((uint64_t)llround(v), n1));
        if (scale > 1)
            sb_printf(b, "%s %ss", report_count(scale, n1), all->unit);
        else
            sb_printf(b, "%s", all->unit);
    } else if (bytes) {
        sb_printf(b, "+%s/s", report_bytes((uint64_t)llround(rate), n1));
    } else {
        sb_printf(b, "+%.1f/s", rate);
    }
}

/* "global `table`", "a local of main (weak_ports.c:160)", "thread 2's TLS". */
static void sb_root(struct sbuf *b, const struct retention_root *r)
{
    switch (r->kind) {
    case HT_ROOT_GLOBAL:
        if (r->name)
            sb_printf(b, "global `%s`", r->name);
        else
            sb_printf(b, "a global of %s", r->module ? base_of(r->module) : "an unknown module");
        break;
    case HT_ROOT_STACK:
        if (r->frame && r->frame->function) {
            sb_printf(b, "a local of ");
            sb_frame(b, r->frame);
        } else if (r->name) {
            sb_printf(b, "the stack of thread %" PRIu64 " \"%s\"", r->where, r->name);
        } else {
            sb_printf(b, "the stack of thread %" PRIu64, r->where);
        }
        break;
    case HT_ROOT_TLS: sb_printf(b, "thread-local data of thread %" PRIu64, r->where); break;
    case HT_ROOT_REGISTER: sb_printf(b, "a register of thread %" PRIu64, r->where); break;
    case HT_ROOT_USER: sb_printf(b, "a heaptrace_root() region"); break;
    case HT_ROOT_MAPPING: sb_printf(b, "an anonymous mapping"); break;
    case HT_ROOT_PREATTACH: sb_printf(b, "memory allocated before the attach"); break;
    case RETENTION_ROOT_IGNORED: sb_printf(b, "a heaptrace_ignore()d block"); break;
    default: sb_printf(b, "a root"); break;
    }
}

static void sb_holder(struct sbuf *b, const struct suspect *s)
{
    if (s->holder)
        sb_root(b, &s->holder->root);
    else
        sb_printf(b, "a block");
    if (s->holder_frame && s->holder && s->holder->root.kind != HT_ROOT_GLOBAL) {
        /* "a local of main (x.c:148), through set_add (x.c:71)" */
        sb_printf(b, ", through ");
        sb_frame(b, s->holder_frame);
    } else if (s->holder_frame) { /* "global `table` (table_new, weak_ports.c:87)" */
        char *name = model_frame_name(s->holder_frame), shortname[256];
        report_short_name(name, shortname, sizeof(shortname));
        if (s->holder_frame->file)
            sb_printf(b, " (%s, %s:%" PRIu32 ")", shortname, base_of(s->holder_frame->file),
                      s->holder_frame->line);
        else
            sb_printf(b, " (%s)", shortname);
        free(name);
    }
}

static void sb_share(struct sbuf *b, const struct suspect *s)
{
    char n1[32], n2[32];
    if (s->total_blocks && s->holder_blocks < s->total_blocks)
        sb_printf(b, " (%s of %s blocks)", report_count(s->holder_blocks, n1),
                  report_count(s->total_blocks, n2));
}

const char *report_suspect_headline(const struct model *m, const struct suspects *all,
                                    const struct suspect *s, char *buf, size_t len)
{
    struct sbuf b = {buf, 0, len};
    char n1[32], n2[32], callee[256];
    buf[0] = '\0';
    switch (s->kind) {
    case SUSPECT_TABLE:
        sb_holder(&b, s);
        sb_printf(&b, " keeps %s dead entries", report_count(s->dead_entries, n1));
        if (s->dead_rate > 0) {
            sb_printf(&b, ", ");
            sb_rate(&b, m, all, s->dead_rate, false);
        }
        sb_printf(&b, "; they own %s", report_bytes(s->owned_bytes + s->dead_bytes, n2));
        if (c_callee(s))
            sb_printf(&b, " of %s buffers", report_short_name(s->callee, callee, sizeof(callee)));
        sb_printf(&b, " allocated in ");
        sb_where(&b, s);
        break;
    case SUSPECT_CHAIN:
        sb_holder(&b, s);
        sb_printf(&b, " keeps a chain of %s blocks (%s) from ", report_count(s->chain_length, n1),
                  report_bytes(s->bytes, n2));
        sb_where(&b, s);
        if (s->chain_rate > 0) {
            sb_printf(&b, ", ");
            sb_rate(&b, m, all, s->chain_rate, false);
        }
        break;
    case SUSPECT_HELD_GROWTH:
        sb_holder(&b, s);
        sb_printf(&b, " keeps %s", report_bytes(s->bytes, n1));
        if (c_callee(s))
            sb_printf(&b, " of %s buffers", report_short_name(s->callee, callee, sizeof(callee)));
        sb_printf(&b, " allocated in ");
        sb_where(&b, s);
        sb_share(&b, s);
        sb_printf(&b, ", growing ");
        sb_rate(&b, m, all, s->rate, true);
        break;
    case SUSPECT_GROWTH:
        sb_where(&b, s);
        if (s->lost_bytes) { /* growth nothing points to: a leak on a path taken again and again */
            sb_printf(&b, " leaks %s in %s blocks, ", report_bytes(s->lost_bytes, n1),
                      report_count(s->lost_blocks, n2));
            sb_rate(&b, m, all, s->rate, true);
            sb_printf(&b, " (definitely lost: nothing points to them)");
            break;
        }
        sb_printf(&b, " allocates %s", report_bytes(s->bytes, n1));
        if (c_callee(s))
            sb_printf(&b, " through %s", report_short_name(s->callee, callee, sizeof(callee)));
        sb_printf(&b, " that keeps growing, ");
        sb_rate(&b, m, all, s->rate, true);
        break;
    case SUSPECT_LEAK:
        sb_where(&b, s);
        sb_printf(&b, " leaks %s in %s blocks (definitely lost: nothing points to them)",
                  report_bytes(s->lost_bytes, n1), report_count(s->lost_blocks, n2));
        break;
    case SUSPECT_DARK_MATTER:
        sb_printf(&b, "%s %s handle%s opened in ", report_count(s->handles, n1),
                  s->handle_kind ? s->handle_kind : "library", s->handles == 1 ? "" : "s");
        sb_where(&b, s);
        sb_printf(&b, " %s never closed and hold %s", s->handles == 1 ? "is" : "are",
                  report_bytes(s->bytes, n2));
        break;
    default: break;
    }
    return buf;
}

/* ------------------------------------------------------------------ text */

static size_t shown(const struct suspects *s, const struct report_opts *o)
{
    size_t user = s->n - s->nsystem, k = o->top ? o->top : 5;
    if (o->full)
        return s->n;
    return user < k ? user : k;
}

/* Lost at the last snapshot (memcheck's lost classes), or live at the end without one. */
static uint64_t lost_at_exit(const struct model *m, bool *snapshot)
{
    const struct leaks *l = m->leaks;
    *snapshot = l && l->valid;
    if (!*snapshot)
        return m->rp->tot.leaked_bytes;
    return l->cls[LEAK_DEFINITELY].bytes + l->cls[LEAK_INDIRECTLY].bytes;
}

/* "verdict: 2 suspects in the program's own code, 1 growing; peak heap 314.6 MiB, ..." */
static void text_verdict(const struct model *m, const struct suspects *s,
                         const struct report_opts *o, FILE *out)
{
    char b1[32], b2[32], title[256];
    size_t user = s->n - s->nsystem, growing = 0;
    for (size_t i = 0; i < user; i++)
        growing += s->list[i].growing;
    bool snap;
    uint64_t lost = lost_at_exit(m, &snap);
    int n;
    if (user)
        n = snprintf(title, sizeof(title), "verdict: %zu suspect%s in the program's own code",
                     user, user == 1 ? "" : "s");
    else
        n = snprintf(title, sizeof(title),
                     "verdict: no suspect in the program's own code (nothing of its own keeps "
                     "growing or is lost)");
    if (growing && n > 0 && (size_t)n < sizeof(title))
        n += snprintf(title + n, sizeof(title) - (size_t)n, ", %zu growing", growing);
    if (n > 0 && (size_t)n < sizeof(title))
        snprintf(title + n, sizeof(title) - (size_t)n, "; peak heap %s, %s %s",
                 report_bytes(m->rp->tot.peak_bytes, b1), report_bytes(lost, b2),
                 m->rp->tot.complete && m->rp->tot.end_reason == HT_END_DETACH
                     ? (snap ? "lost at detach" : "live at detach")
                     : (snap ? "lost at exit" : "live at exit"));
    report_text_heading(out, o, title);
}

/* CPython's own allocator (pymalloc) keeps objects in mmap'd arenas: when
 * a python's mmap grows while nothing on the heap does, say how to see them. */
static void python_hint(const struct model *m, const struct suspects *s, FILE *out)
{
    const char *exe = strrchr(m->hdr->exe, '/');
    exe = exe ? exe + 1 : m->hdr->exe;
    const struct replay *rp = m->rp;
    if (strncmp(exe, "python", 6) != 0 || rp->ntimeline < 2 || (s->n - s->nsystem) > 0)
        return;
    uint64_t first = rp->timeline[0].mmap_bytes, last = rp->timeline[rp->ntimeline - 1].mmap_bytes;
    uint64_t peak = 0;
    for (uint64_t i = 0; i < rp->ntimeline; i++)
        if (rp->timeline[i].mmap_bytes > peak)
            peak = rp->timeline[i].mmap_bytes;
    if (peak < (1u << 20) || peak < 2 * (first + 1) || (m->growth && m->growth->n))
        return;
    char b1[32], b2[32], b3[32];
    fprintf(out, "  hint: %s's mmap grew from %s to %s (%s at the end) while no heap site grew: "
                 "CPython's own allocator keeps its objects in arenas heaptrace sees only whole; "
                 "trace with PYTHONMALLOC=malloc (the heaptrace wrapper sets it unless "
                 "--pymalloc)\n",
            exe, report_bytes(first, b1), report_bytes(peak, b2), report_bytes(last, b3));
}

/* What the log lacks for a better answer, and the flag that gives it. */
static void text_hints(const struct model *m, const struct suspects *s, FILE *out)
{
    python_hint(m, s, out);
    const struct leaks *l = m->leaks;
    const struct retention *r = l ? l->retention : NULL;
    size_t running = 0;
    for (size_t i = 0; r && i < r->nsnaps; i++)
        running += r->snaps[i].reason != HT_SNAP_EXIT;
    bool unexplained = false; /* growth that is neither held nor lost */
    for (size_t i = 0; i < s->n; i++)
        unexplained |= s->list[i].growing && !s->list[i].system && !s->list[i].holder &&
                       !s->list[i].lost_bytes;
    if (m->rp->tot.sample_every)
        fputs("  hint: a sampled log has no heap snapshot (a snapshot needs every block), so "
              "nothing says what is lost or who keeps it alive: record without --sample\n",
              out);
    else if (!r || !r->nsnaps)
        fputs("  hint: no heap snapshot in this log, so nothing says what is lost or who keeps "
              "it alive: record without HEAPTRACE_SNAPSHOTS=0\n",
              out);
    else if (unexplained && running < 4)
        fprintf(out, "  hint: %zu snapshot%s of the running program: too few to tell a table's "
                     "dead entries or who keeps the growth alive; record with "
                     "`heaptrace --snapshot-every-marks N` (programs that call heaptrace_mark) "
                     "or `--snapshot-interval SECONDS`\n",
                running, running == 1 ? "" : "s");
}

void report_suspects_text(const struct model *m, const struct report_opts *o, FILE *out)
{
    const struct suspects *s = m->suspects;
    char line[1024], b1[32];
    if (!s)
        return;
    size_t user = s->n - s->nsystem, n = shown(s, o);
    text_verdict(m, s, o, out);
    for (size_t i = 0; i < n; i++) {
        report_suspect_headline(m, s, &s->list[i], line, sizeof(line));
        fprintf(out, "  %" PRIu32 ". %s%s\n", s->list[i].rank, s->list[i].system ? "(system) " : "",
                line);
    }
    if (user > n)
        fprintf(out, "  ... %zu more (--top %zu or --full)\n", user - n, user);
    if (s->nsystem && !o->full)
        fprintf(out, "  system: %zu finding%s in glibc, the loader and other runtime code only "
                     "(%s): --full lists them\n",
                s->nsystem, s->nsystem == 1 ? "" : "s", report_bytes(s->system_bytes, b1));
    text_hints(m, s, out);
}

/* ------------------------------------------------------------------ JSON */

static const char *const kind_keys[SUSPECT_KINDS] = {"table", "chain", "held_growth", "growth",
                                                     "leak", "dark_matter"};

static void json_frame_or_null(FILE *out, const struct sym_frame *f)
{
    if (!f) {
        fputs("null", out);
        return;
    }
    char *name = model_frame_name(f);
    fputs("{\"function\":", out);
    report_json_str(out, name);
    fputs(",\"file\":", out);
    report_json_str_or_null(out, f->file);
    fprintf(out, ",\"line\":%" PRIu32 "}", f->line);
    free(name);
}

static void json_rate(FILE *out, const char *key, double v)
{
    if (isfinite(v))
        fprintf(out, ",\"%s\":%.6g", key, v);
    else
        fprintf(out, ",\"%s\":null", key);
}

void report_suspects_json(const struct model *m, FILE *out)
{
    const struct suspects *s = m->suspects;
    char line[1024];
    fputs("\"suspects\":[", out);
    for (size_t i = 0; s && i < s->n; i++) {
        const struct suspect *x = &s->list[i];
        fprintf(out, "%s\n {\"rank\":%" PRIu32 ",\"kind\":\"%s\",\"system\":%s,\"growing\":%s,"
                     "\"headline\":",
                i ? "," : "", x->rank, kind_keys[x->kind], x->system ? "true" : "false",
                x->growing ? "true" : "false");
        report_json_str(out, report_suspect_headline(m, s, x, line, sizeof(line)));
        fputs(",\"frame\":", out);
        json_frame_or_null(out, x->frame);
        fputs(",\"caller\":", out);
        json_frame_or_null(out, x->caller);
        fputs(",\"callee\":", out);
        report_json_str_or_null(out, x->callee);
        fprintf(out, ",\"bytes\":%" PRIu64 ",\"per\":", x->bytes);
        report_json_str(out, x->per_mark ? "mark" : "second");
        json_rate(out, "rate_bytes", x->rate);
        fputs(",\"holder\":", out);
        if (x->holder)
            report_retention_path_json(out, m, x->holder);
        else
            fputs("null", out);
        fputs(",\"holder_frame\":", out);
        json_frame_or_null(out, x->holder_frame);
        fprintf(out, ",\"holder_blocks\":%" PRIu64 ",\"total_blocks\":%" PRIu64, x->holder_blocks,
                x->total_blocks);
        fprintf(out, ",\"live_entries\":%" PRIu64 ",\"dead_entries\":%" PRIu64, x->live_entries,
                x->dead_entries);
        json_rate(out, "dead_entries_rate", x->dead_rate);
        fprintf(out, ",\"chain_length\":%" PRIu64, x->chain_length);
        json_rate(out, "chain_rate", x->chain_rate);
        fprintf(out, ",\"lost_bytes\":%" PRIu64 ",\"lost_blocks\":%" PRIu64
                     ",\"handles\":%" PRIu64 ",\"handle_kind\":",
                x->lost_bytes, x->lost_blocks, x->handles);
        report_json_str_or_null(out, x->handle_kind);
        fputs(",\"evidence\":[", out);
        for (size_t k = 0; k < x->nevidence; k++)
            fprintf(out, "%s{\"kind\":\"%s\",\"index\":%zu}", k ? "," : "",
                    kind_keys[x->evidence[k].kind], x->evidence[k].index);
        fputs("]}", out);
    }
    fputs("],\n", out);
}
