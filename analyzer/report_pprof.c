/* SPDX-License-Identifier: MIT */
/*
 * report_pprof.c - the model as a pprof profile (profile.proto, gzipped), for
 * `go tool pprof`, Pyroscope, Parca and anything else that reads the format
 * (github.com/google/pprof, proto/profile.proto). docs/PPROF.md is the
 * user's side of this file.
 *
 * One sample per allocation site and process, its locations innermost first
 * (one location per recorded return address; inlined frames are the
 * location's extra lines, innermost first), with the values of
 * pprof_types[] below. A process tree's processes share the profile; each
 * sample carries the labels pid and program. Sites with every value 0 are
 * left out.
 *
 * Only the findings model is read (model.h, leaks.h, growth.h): the writer
 * renders what the text report says, in another shape. The profile is
 * deterministic for a given log: ids follow the order of the model's sites.
 */
#include "report_extra.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "findings.h"
#include "htab.h"
#include "leaks.h"
#include "protobuf.h"
#include "xalloc.h"

/* ------------------------------------------------------------ the values */

enum pprof_value {
    PV_ALLOC_OBJECTS,
    PV_ALLOC_SPACE,
    PV_INUSE_OBJECTS,
    PV_INUSE_SPACE,
    PV_PEAK_SPACE,
    PV_LOST_OBJECTS,
    PV_LOST_SPACE,
    PV_GROWTH_PER_MARK,
    PV_GROWTH_PER_SECOND,
    PV_COUNT
};

/* Names and units are public (docs/PPROF.md): -sample_index=NAME selects one. */
static const char *const pprof_types[PV_COUNT][2] = {
    {"alloc_objects", "count"},  {"alloc_space", "bytes"},           {"inuse_objects", "count"},
    {"inuse_space", "bytes"},    {"peak_space", "bytes"},            {"lost_objects", "count"},
    {"lost_space", "bytes"},     {"growth_space_per_mark", "bytes"}, {"growth_space_per_second", "bytes"},
};
#define PPROF_DEFAULT_TYPE "inuse_space"

/* ------------------------------------------------------- interned tables */

/*
 * Strings to dense ids, in order of first use: the string table, and the
 * keys of functions, locations and mappings. htab maps a key's hash to its
 * first entry; entries of equal hash chain through next[].
 */
struct intern {
    struct htab first; /* hash -> index + 1 */
    char **keys;
    uint32_t *next; /* index + 1 of the next entry of the same hash, or 0 */
    size_t n, cap;
};

static uint64_t intern_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3u;
    return h ? h : 1; /* htab keys are non-zero */
}

/* The index of key (its n bytes), added when new (*added says so). */
static size_t intern_n(struct intern *t, const char *key, size_t n, bool *added)
{
    if (!t->first.keys)
        htab_init(&t->first, sizeof(uint32_t));
    uint32_t *head = htab_put(&t->first, intern_hash(key, n), NULL);
    for (uint32_t i = *head; i; i = t->next[i - 1])
        if (memcmp(t->keys[i - 1], key, n) == 0 && t->keys[i - 1][n] == '\0') {
            if (added)
                *added = false;
            return i - 1;
        }
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->keys = xreallocarray(t->keys, t->cap, sizeof(*t->keys));
        t->next = xreallocarray(t->next, t->cap, sizeof(*t->next));
    }
    t->keys[t->n] = xstrndup(key, n);
    t->next[t->n] = *head;
    *head = (uint32_t)++t->n;
    if (added)
        *added = true;
    return t->n - 1;
}

static void intern_free(struct intern *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->keys[i]);
    free(t->keys);
    free(t->next);
    if (t->first.keys)
        htab_release(&t->first);
}

/* A growable key: the fields of a function, location or mapping. */
struct keybuf {
    char *s;
    size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void key_add(struct keybuf *k, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(k->s ? k->s + k->len : NULL, k->s ? k->cap - k->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (k->s && (size_t)n < k->cap - k->len) {
            k->len += (size_t)n;
            return;
        }
        k->cap = k->cap * 2 + (size_t)n + 64;
        k->s = xreallocarray(k->s, k->cap, 1);
    }
}

/* ---------------------------------------------------------- the profile */

struct pprof_mapping {
    int64_t file;
    uint64_t start, limit;
    bool has_functions, has_filenames, has_lines, has_inline;
};

struct pprof_line {
    uint64_t function;
    int64_t line;
};

struct pprof_location {
    uint64_t mapping, address;
    size_t first_line, nlines;
};

struct pprof_function {
    int64_t name, file;
};

struct pprof {
    struct intern strings, functions, locations, mappings;
    struct pprof_function *funcs;
    struct pprof_location *locs;
    struct pprof_mapping *maps;
    struct pprof_line *lines;
    size_t nlines, lines_cap;
    struct keybuf key;
    struct pb_buf out, msg, sub;
    uint64_t *ids; /* one sample's location ids */
    size_t ids_cap;
    int64_t exe; /* string id of the root process's program, for mapping[0] */
};

static int64_t pprof_str(struct pprof *p, const char *s)
{
    return (int64_t)intern_n(&p->strings, s, strlen(s), NULL);
}

static uint64_t pprof_function(struct pprof *p, const char *name, const char *file)
{
    p->key.len = 0;
    key_add(&p->key, "%s\n%s", name, file ? file : "");
    bool added;
    size_t i = intern_n(&p->functions, p->key.s, p->key.len, &added);
    if (added) {
        p->funcs = xreallocarray(p->funcs, p->functions.cap, sizeof(*p->funcs));
        p->funcs[i] = (struct pprof_function){pprof_str(p, name), pprof_str(p, file ? file : "")};
    }
    return i + 1;
}

/* The mapping of frame f (module and load address), 0 outside every module. */
static uint64_t pprof_mapping(struct pprof *p, const struct sym_frame *f)
{
    if (!f->module || f->address < f->offset)
        return 0;
    uint64_t base = f->address - f->offset;
    p->key.len = 0;
    key_add(&p->key, "%s\n%" PRIx64, f->module, base);
    bool added;
    size_t i = intern_n(&p->mappings, p->key.s, p->key.len, &added);
    if (added) {
        p->maps = xreallocarray(p->maps, p->mappings.cap, sizeof(*p->maps));
        p->maps[i] = (struct pprof_mapping){.file = pprof_str(p, f->module), .start = base,
                                            .limit = base};
    }
    struct pprof_mapping *m = &p->maps[i];
    if (f->address >= m->limit)
        m->limit = f->address + 1; /* the log keeps no segment sizes here: what was seen */
    m->has_functions |= f->function != NULL;
    m->has_filenames |= f->file != NULL;
    m->has_lines |= f->line != 0;
    m->has_inline |= f->inlined;
    return i + 1;
}

/* The location of frames[0..n): one return address, the last frame the
 * function that holds it, the ones before inlined into it. */
static uint64_t pprof_location(struct pprof *p, const struct sym_frame *fr, size_t n)
{
    uint64_t mapping = pprof_mapping(p, &fr[n - 1]);
    p->key.len = 0;
    key_add(&p->key, "%" PRIu64 "\n%" PRIx64, mapping, fr[n - 1].address);
    char *names[64];
    size_t named = n < 64 ? n : 64;
    for (size_t i = 0; i < named; i++) {
        names[i] = model_frame_name(&fr[i]);
        key_add(&p->key, "\n%s\n%s\n%" PRIu32, names[i], fr[i].file ? fr[i].file : "",
                fr[i].line);
    }
    bool added;
    size_t i = intern_n(&p->locations, p->key.s, p->key.len, &added);
    if (added) {
        p->locs = xreallocarray(p->locs, p->locations.cap, sizeof(*p->locs));
        if (p->nlines + named > p->lines_cap) {
            p->lines_cap = 2 * p->lines_cap + named + 64;
            p->lines = xreallocarray(p->lines, p->lines_cap, sizeof(*p->lines));
        }
        p->locs[i] = (struct pprof_location){mapping, fr[n - 1].address, p->nlines, named};
        for (size_t k = 0; k < named; k++)
            p->lines[p->nlines++] = (struct pprof_line){pprof_function(p, names[k], fr[k].file),
                                                        fr[k].line};
    }
    for (size_t k = 0; k < named; k++)
        free(names[k]);
    return i + 1;
}

/* The location ids of a stack, innermost first; "(no stack)" for none. */
static size_t pprof_stack(struct pprof *p, const struct model_stack *st)
{
    if (p->ids_cap < st->nframes + 1u) {
        p->ids_cap = st->nframes + 1u;
        p->ids = xreallocarray(p->ids, p->ids_cap, sizeof(*p->ids));
    }
    size_t n = 0;
    for (uint32_t k = 0; k < st->nframes;) {
        uint32_t end = k;
        while (end + 1 < st->nframes && st->frames[end].inlined)
            end++;
        p->ids[n++] = pprof_location(p, &st->frames[k], end - k + 1);
        k = end + 1;
    }
    if (!n) {
        struct sym_frame none = {.function = "(no stack)"};
        p->ids[n++] = pprof_location(p, &none, 1);
    }
    return n;
}

/* ------------------------------------------------------ values per site */

/* Lost bytes and blocks by stack id: memcheck's definitely + indirectly lost
 * with an exit snapshot, else what was live at the end (model_leaked). */
struct site_lost {
    uint64_t bytes, blocks;
};

static void lost_by_site(const struct model *m, const struct model_leaked *ml, struct htab *lost)
{
    htab_init(lost, sizeof(struct site_lost));
    if (!ml->lost)
        return;
    for (int c = LEAK_DEFINITELY; c <= LEAK_INDIRECTLY; c++) {
        const struct leak_class_total *t = &m->leaks->cls[c];
        for (size_t j = 0; j < t->nsites; j++) {
            struct site_lost *v = htab_put(lost, t->sites[j].stack_id + 1, NULL);
            v->bytes += t->sites[j].bytes;
            v->blocks += t->sites[j].blocks;
        }
    }
}

/* Growth findings by site: the model stack they name -> the finding. */
static void growth_by_site(const struct model *m, struct htab *g)
{
    htab_init(g, sizeof(const struct growth_finding *));
    if (!m->growth)
        return;
    for (size_t i = 0; i < m->growth->n; i++) {
        const struct growth_finding *f = &m->growth->findings[i];
        if (f->by != GROWTH_BY_SITE || !f->stack)
            continue;
        const struct growth_finding **v = htab_put(g, (uint64_t)(uintptr_t)f->stack, NULL);
        if (!*v || f->slope_per_s > (*v)->slope_per_s)
            *v = f;
    }
}

static int64_t slope_value(double v)
{
    return isfinite(v) && v > 0 && v < 9.2e18 ? (int64_t)llround(v) : 0;
}

static void site_values(const struct model *m, const struct model_site *s,
                        const struct model_leaked *ml, const struct htab *lost,
                        const struct htab *growth, int64_t *v)
{
    const struct replay_site *st = s->st;
    v[PV_ALLOC_OBJECTS] = (int64_t)st->allocations;
    v[PV_ALLOC_SPACE] = (int64_t)st->bytes_allocated;
    v[PV_INUSE_OBJECTS] = (int64_t)st->live_blocks;
    v[PV_INUSE_SPACE] = (int64_t)st->live_bytes;
    v[PV_PEAK_SPACE] = (int64_t)st->at_peak_bytes;
    if (ml->lost) {
        const struct site_lost *l = htab_get(lost, s->stack_id + 1);
        v[PV_LOST_OBJECTS] = l ? (int64_t)l->blocks : 0;
        v[PV_LOST_SPACE] = l ? (int64_t)l->bytes : 0;
    } else {
        v[PV_LOST_OBJECTS] = ml->replaced ? 0 : (int64_t)st->live_blocks;
        v[PV_LOST_SPACE] = ml->replaced ? 0 : (int64_t)st->live_bytes;
    }
    const struct growth_finding *const *f = htab_get(growth, (uint64_t)(uintptr_t)&s->stack);
    v[PV_GROWTH_PER_MARK] = f && m->growth->per_mark ? slope_value((*f)->slope_per_mark) : 0;
    v[PV_GROWTH_PER_SECOND] = f ? slope_value((*f)->slope_per_s) : 0;
}

/*
 * The byte sampling period of the log (its SAMPLING record), 0 when every
 * allocation was recorded; the values above are then the replay's
 * estimates, and the profile says so (period, comment).
 */
static uint64_t pprof_sample_period(const struct model *m)
{
    return m->rp->tot.sample_every;
}

/* ------------------------------------------------------------- encoding */

static void encode_label(struct pprof *p, const char *key, const char *str, int64_t num)
{
    pb_reset(&p->sub);
    pb_int(&p->sub, 1, pprof_str(p, key));
    if (str)
        pb_int(&p->sub, 2, pprof_str(p, str));
    else
        pb_int(&p->sub, 3, num);
    pb_message(&p->msg, 3, &p->sub);
}

static const char *program_name(const struct model *m)
{
    const char *exe = m->hdr->exe && *m->hdr->exe ? m->hdr->exe : "?";
    const char *base = strrchr(exe, '/');
    return base ? base + 1 : exe;
}

/* Profile.sample (2): one per site of m with a value. @return how many. */
static uint64_t encode_samples(struct pprof *p, const struct model *m)
{
    struct model_leaked ml;
    model_leaked(m, &ml);
    struct htab lost, growth;
    lost_by_site(m, &ml, &lost);
    growth_by_site(m, &growth);
    uint64_t n = 0;
    for (uint64_t i = 0; i < m->nsites; i++) {
        int64_t v[PV_COUNT];
        site_values(m, &m->sites[i], &ml, &lost, &growth, v);
        bool any = false;
        for (int k = 0; k < PV_COUNT; k++)
            any |= v[k] != 0;
        if (!any)
            continue;
        size_t nids = pprof_stack(p, &m->sites[i].stack);
        pb_reset(&p->msg);
        pb_packed(&p->msg, 1, p->ids, nids);
        pb_packed(&p->msg, 2, (const uint64_t *)v, PV_COUNT);
        encode_label(p, "pid", NULL, (int64_t)m->hdr->pid);
        encode_label(p, "program", program_name(m), 0);
        pb_message(&p->out, 2, &p->msg);
        n++;
    }
    htab_release(&lost);
    htab_release(&growth);
    return n;
}

static void encode_value_type(struct pprof *p, uint32_t field, const char *type, const char *unit)
{
    pb_reset(&p->msg);
    pb_int(&p->msg, 1, pprof_str(p, type));
    pb_int(&p->msg, 2, pprof_str(p, unit));
    pb_message(&p->out, field, &p->msg);
}

/* Profile.mapping (3), the root program's first: pprof names the profile
 * after mapping[0]. */
static void encode_mappings(struct pprof *p)
{
    size_t exe = 0;
    for (size_t i = 0; i < p->mappings.n; i++)
        if (p->maps[i].file == p->exe) {
            exe = i;
            break;
        }
    for (size_t k = 0; k < p->mappings.n; k++) {
        size_t i = k == 0 ? exe : (k <= exe ? k - 1 : k);
        const struct pprof_mapping *m = &p->maps[i];
        pb_reset(&p->msg);
        pb_uint(&p->msg, 1, i + 1);
        pb_uint(&p->msg, 2, m->start);
        pb_uint(&p->msg, 3, m->limit);
        pb_int(&p->msg, 5, m->file);
        pb_uint(&p->msg, 7, m->has_functions);
        pb_uint(&p->msg, 8, m->has_filenames);
        pb_uint(&p->msg, 9, m->has_lines);
        pb_uint(&p->msg, 10, m->has_inline);
        pb_message(&p->out, 3, &p->msg);
    }
}

static void encode_locations(struct pprof *p)
{
    for (size_t i = 0; i < p->locations.n; i++) {
        const struct pprof_location *l = &p->locs[i];
        pb_reset(&p->msg);
        pb_uint(&p->msg, 1, i + 1);
        pb_uint(&p->msg, 2, l->mapping);
        pb_uint(&p->msg, 3, l->address);
        for (size_t k = 0; k < l->nlines; k++) {
            pb_reset(&p->sub);
            pb_uint(&p->sub, 1, p->lines[l->first_line + k].function);
            pb_int(&p->sub, 2, p->lines[l->first_line + k].line);
            pb_message(&p->msg, 4, &p->sub);
        }
        pb_message(&p->out, 4, &p->msg);
    }
}

static void encode_functions(struct pprof *p)
{
    for (size_t i = 0; i < p->functions.n; i++) {
        pb_reset(&p->msg);
        pb_uint(&p->msg, 1, i + 1);
        pb_int(&p->msg, 2, p->funcs[i].name);
        pb_int(&p->msg, 3, p->funcs[i].name);
        pb_int(&p->msg, 4, p->funcs[i].file);
        pb_message(&p->out, 5, &p->msg);
    }
}

/* Profile.comment (13): what a reader of the profile should know. */
static void encode_comments(struct pprof *p, struct model *const *procs, size_t n)
{
    const struct model *m = procs[0];
    char buf[512];
    snprintf(buf, sizeof(buf), "heaptrace log %s", m->path ? m->path : "?");
    pb_int(&p->out, 13, pprof_str(p, buf));
    if (m->rp->opts.from_us || m->rp->opts.to_us != UINT64_MAX) {
        double to = m->rp->opts.to_us == UINT64_MAX ? (double)m->rp->tot.duration_us
                                                    : (double)m->rp->opts.to_us;
        snprintf(buf, sizeof(buf), "window %.6gs to %.6gs of the log (--from/--to)",
                 (double)m->rp->opts.from_us / 1e6, to / 1e6);
        pb_int(&p->out, 13, pprof_str(p, buf));
    }
    if (n > 1) {
        snprintf(buf, sizeof(buf), "%zu processes (labels pid and program)", n);
        pb_int(&p->out, 13, pprof_str(p, buf));
    }
    for (size_t i = 0; i < n; i++) {
        if (procs[i]->truncation && *procs[i]->truncation) {
            snprintf(buf, sizeof(buf), "pid %" PRIu64 ": %s: values are lower bounds",
                     procs[i]->hdr->pid, procs[i]->truncation);
            pb_int(&p->out, 13, pprof_str(p, buf));
        }
        if (pprof_sample_period(procs[i])) {
            snprintf(buf, sizeof(buf), "pid %" PRIu64 ": sampled log: values are estimates",
                     procs[i]->hdr->pid);
            pb_int(&p->out, 13, pprof_str(p, buf));
        }
    }
}

/* The whole profile, not yet compressed, into p->out. */
static uint64_t pprof_encode(struct pprof *p, struct model *const *procs, size_t n)
{
    pprof_str(p, ""); /* string_table[0] must be "" */
    p->exe = pprof_str(p, procs[0]->hdr->exe ? procs[0]->hdr->exe : "");
    for (int k = 0; k < PV_COUNT; k++)
        encode_value_type(p, 1, pprof_types[k][0], pprof_types[k][1]);
    uint64_t samples = 0;
    for (size_t i = 0; i < n; i++)
        samples += encode_samples(p, procs[i]);
    encode_mappings(p);
    encode_locations(p);
    encode_functions(p);
    const struct model *m = procs[0];
    uint64_t from = m->rp->opts.from_us;
    uint64_t end = m->rp->tot.duration_us;
    pb_int(&p->out, 9, (int64_t)(m->hdr->start_unix_ns + from * 1000));
    pb_int(&p->out, 10, (int64_t)((end > from ? end - from : 0) * 1000));
    encode_value_type(p, 11, "space", "bytes");
    pb_int(&p->out, 12, (int64_t)pprof_sample_period(m));
    encode_comments(p, procs, n);
    pb_int(&p->out, 14, pprof_str(p, PPROF_DEFAULT_TYPE));
    /* the string table last: every id above is in it by now */
    for (size_t i = 0; i < p->strings.n; i++)
        pb_string(&p->out, 6, p->strings.keys[i]);
    return samples;
}

static void pprof_free(struct pprof *p)
{
    intern_free(&p->strings);
    intern_free(&p->functions);
    intern_free(&p->locations);
    intern_free(&p->mappings);
    free(p->funcs);
    free(p->locs);
    free(p->maps);
    free(p->lines);
    free(p->key.s);
    free(p->ids);
    pb_release(&p->out);
    pb_release(&p->msg);
    pb_release(&p->sub);
}

/* ---------------------------------------------------------------- gzip */

/* Writes data gzipped to f. @return 0, or -1 (errno set when the file failed). */
static int gzip_write(FILE *f, const uint8_t *data, size_t len)
{
    z_stream z = {0};
    /* 15 + 16: a gzip header and trailer around the deflate stream */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uint8_t chunk[65536];
    int rc, flush;
    size_t left = len;
    do {
        size_t in = left < (1u << 30) ? left : (1u << 30);
        z.next_in = (Bytef *)(uintptr_t)(data + (len - left));
        z.avail_in = (uInt)in;
        left -= in;
        flush = left ? Z_NO_FLUSH : Z_FINISH;
        do {
            z.next_out = chunk;
            z.avail_out = sizeof(chunk);
            rc = deflate(&z, flush);
            size_t have = sizeof(chunk) - z.avail_out;
            if (rc == Z_STREAM_ERROR || fwrite(chunk, 1, have, f) != have) {
                deflateEnd(&z);
                return -1;
            }
        } while (z.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

int pprof_write_file(struct model *const *procs, size_t n, const char *path)
{
    struct pprof p = {0};
    uint64_t samples = n ? pprof_encode(&p, procs, n) : 0;
    FILE *f = report_open_output(path);
    if (!f) {
        pprof_free(&p);
        return HT_EXIT_USAGE;
    }
    int zrc = gzip_write(f, p.out.data, p.out.len);
    pprof_free(&p);
    if (zrc && !ferror(f)) { /* a file error is report_close_output's to say */
        fprintf(stderr, "heaptrace-report: error: cannot compress the profile '%s'\n", path);
        report_close_output(f, path);
        return HT_EXIT_INTERNAL;
    }
    if (!samples && n)
        fprintf(stderr, "heaptrace-report: warning: the profile '%s' is empty: no allocation "
                        "site in the log%s\n",
                path, procs[0]->rp->opts.from_us || procs[0]->rp->opts.to_us != UINT64_MAX
                          ? " in the --from/--to window" : "");
    return report_close_output(f, path);
}
