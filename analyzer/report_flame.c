/* SPDX-License-Identifier: MIT */
/*
 * report_flame.c - folded stacks ("main;parse;xmalloc 4096") readable by
 * flamegraph.pl, speedscope and inferno. Frame names never contain ';' (it
 * is replaced by ':') nor newlines.
 */
#include "report_extra.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int flame_metric_parse(const char *name)
{
    static const char *const names[] = {"peak", "leaked", "allocations", "bytes", "temporary"};
    for (int i = 0; i < 5; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static uint64_t flame_value(const struct replay_site *s, int metric)
{
    switch (metric) {
    case FLAME_LEAKED: return s->live_bytes;
    case FLAME_ALLOCATIONS: return s->allocations;
    case FLAME_BYTES: return s->bytes_allocated;
    case FLAME_TEMPORARY: return s->temporary;
    default: return s->at_peak_bytes;
    }
}

static void flame_name(FILE *out, const struct sym_frame *f)
{
    char *name = model_frame_name(f);
    for (char *p = name; *p; p++)
        if (*p == ';' || *p == '\n' || *p == '\r')
            *p = ':';
    fputs(name, out);
    free(name);
}

uint64_t flame_write(const struct model *m, int metric, FILE *out)
{
    uint64_t lines = 0;
    for (uint64_t i = 0; i < m->nsites; i++) {
        const struct model_site *s = &m->sites[i];
        uint64_t v = flame_value(s->st, metric);
        if (!v)
            continue;
        lines++;
        if (s->stack.nframes == 0)
            fputs("(no stack)", out);
        for (uint32_t k = s->stack.nframes; k-- > 0;) {
            flame_name(out, &s->stack.frames[k]);
            if (k)
                fputc(';', out);
        }
        fprintf(out, " %" PRIu64 "\n", v);
    }
    return lines;
}

FILE *report_open_output(const char *path)
{
    if (strcmp(path, "-") == 0)
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "heaptrace-report: error: cannot open '%s' for writing: %s\n", path,
                strerror(errno));
    return f;
}

int report_close_output(FILE *f, const char *path)
{
    bool bad = ferror(f) != 0;
    if (f == stdout)
        bad |= fflush(f) != 0;
    else
        bad |= fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "heaptrace-report: error: cannot write '%s': %s\n", path,
                strerror(errno));
        return HT_EXIT_USAGE;
    }
    return HT_EXIT_OK;
}

int flame_write_file(const struct model *m, int metric, const char *path)
{
    FILE *f = report_open_output(path);
    if (!f)
        return HT_EXIT_USAGE;
    static const char *const names[] = {"peak", "leaked", "allocations", "bytes", "temporary"};
    if (!flame_write(m, metric, f))
        fprintf(stderr, "heaptrace-report: warning: the flame graph '%s' is empty: no site has "
                        "a %s value above 0%s\n",
                path, metric >= 0 && metric <= FLAME_TEMPORARY ? names[metric] : "?",
                metric == FLAME_LEAKED ? " (try --metric peak)" : "");
    else if (m->rp->tot.sample_every) /* the folded format has no room to say it */
        fprintf(stderr, "heaptrace-report: note: the flame graph '%s' is of a sampled log (one "
                        "sample per %" PRIu64 " bytes): its values are estimates\n",
                path, m->rp->tot.sample_every);
    return report_close_output(f, path);
}
