/* SPDX-License-Identifier: MIT */
/* suspects.c - see suspects.h. */
#include "suspects.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"
#include "leaks.h"
#include "names.h"
#include "retention.h"
#include "stats.h"
#include "userframe.h"
#include "xalloc.h"

#define SUSPECTS_MAX_LEAK_SITES 64 /* definitely lost sites read, largest first */

struct build {
    const struct model *m;
    struct suspect *c; /* candidates: one piece of evidence each */
    size_t n, cap;
    bool per_mark;
};

static const struct retention *retention_of(const struct model *m)
{
    const struct leaks *l = m->leaks;
    return l ? l->retention : NULL;
}

/* The number of marks at or before time t: the x of a snapshot per mark. */
static double marks_at(const struct replay *rp, uint64_t time_us)
{
    uint64_t lo = 0, hi = rp->nmarks;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (rp->marks[mid].time_us <= time_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (double)lo;
}

static double unit_x(const struct build *b, uint64_t time_us)
{
    return b->per_mark ? marks_at(b->m->rp, time_us) : (double)time_us / 1e6;
}

/* The next user frame out of `f` in st, or NULL. */
static const struct sym_frame *caller_of(const struct model_stack *st, const struct sym_frame *f)
{
    if (!st || !f)
        return NULL;
    for (uint32_t i = (uint32_t)(f - st->frames) + 1; i < st->nframes; i++)
        if (!userframe_is_system(&st->frames[i]))
            return &st->frames[i];
    return NULL;
}

static struct suspect *add(struct build *b, enum suspect_kind kind, size_t index, uint64_t site,
                           const struct model_stack *st)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        b->c = xreallocarray(b->c, b->cap, sizeof(*b->c));
    }
    struct suspect *s = &b->c[b->n++];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->site = site;
    s->stack = st;
    s->frame = userframe_of(st);
    s->caller = caller_of(st, s->frame);
    s->callee = userframe_callee(st);
    s->per_mark = b->per_mark;
    s->evidence = xmalloc(sizeof(*s->evidence));
    s->evidence[0] = (struct suspect_evidence){kind, index};
    s->nevidence = 1;
    return s;
}

/* tables.h knows nodes by their innermost frame: for operator new or a libc
 * allocator that is every such allocation, and the stack standing for it
 * may be anyone's. Such a site only groups by its holder. */
static void mark_approximate(struct suspect *s)
{
    if (s->stack && s->stack->nframes && userframe_is_system(&s->stack->frames[0])) {
        s->site_approximate = true;
        s->frame = s->caller = NULL;
        s->callee = NULL;
    }
}

static void set_holder(const struct build *b, struct suspect *s, const struct retention_path *p)
{
    if (!p || !p->nsteps)
        return;
    s->holder = p;
    s->holder_site = p->steps[0].stack_id;
    s->holder_stack = model_stack_of(b->m, s->holder_site);
    s->holder_frame = userframe_of(s->holder_stack);
    if (s->holder_frame && userframe_is_system(s->holder_frame))
        s->holder_frame = NULL;
}

/* The stack id of a growth finding's stack (the model's site it points to). */
static uint64_t stack_id_of(const struct model *m, const struct model_stack *st)
{
    for (uint64_t i = 0; st && i < m->nsites; i++)
        if (&m->sites[i].stack == st)
            return m->sites[i].stack_id;
    return 0;
}

static void add_growth(struct build *b)
{
    const struct growth_result *r = b->m->growth;
    for (size_t i = 0; r && i < r->n; i++) {
        const struct growth_finding *f = &r->findings[i];
        bool held = f->reachable == 1 && f->path;
        struct suspect *s = add(b, held ? SUSPECT_HELD_GROWTH : SUSPECT_GROWTH, i,
                                stack_id_of(b->m, f->stack), f->stack);
        s->growing = true;
        s->per_mark = r->per_mark;
        s->rate = r->per_mark ? f->slope_per_mark : f->slope_per_s;
        s->gained_bytes = f->gained_bytes;
        s->bytes = f->last_bytes;
        if (held) {
            set_holder(b, s, f->path);
            s->holder_blocks = f->holder_blocks;
            s->total_blocks = f->total_blocks;
        }
        if (f->by == GROWTH_BY_OWNER)
            s->handle_kind = f->owner_kind;
        /* a retainer's stack is the holder's, not where its bytes come from */
        s->site_approximate = f->by == GROWTH_BY_RETAINER;
    }
}

static void add_tables(struct build *b, const struct tables *t)
{
    for (size_t i = 0; i < t->ntables; i++) {
        const struct table_series *ts = &t->tables[i];
        if (!ts->flagged || !ts->npts || !ts->has_value)
            continue;
        const struct table_point *last = &ts->pts[ts->npts - 1];
        uint64_t site = last->owned_site ? last->owned_site : ts->entry_site;
        struct suspect *s = add(b, SUSPECT_TABLE, i, site, model_stack_of(b->m, site));
        mark_approximate(s);
        s->growing = true;
        s->live_entries = last->live;
        s->dead_entries = last->dead;
        s->dead_bytes = last->dead_bytes;
        s->owned_bytes = last->owned_bytes;
        s->bytes = last->dead_bytes + last->owned_bytes;
        double *x = xmalloc(ts->npts * sizeof(double)), *y = xmalloc(ts->npts * sizeof(double));
        for (size_t k = 0; k < ts->npts; k++) {
            x[k] = unit_x(b, ts->pts[k].time_us);
            y[k] = (double)ts->pts[k].dead;
        }
        s->dead_rate = stats_theil_sen(x, y, ts->npts, NULL, NULL);
        for (size_t k = 0; k < ts->npts; k++)
            y[k] = (double)(ts->pts[k].dead_bytes + ts->pts[k].owned_bytes);
        s->rate = stats_theil_sen(x, y, ts->npts, NULL, NULL);
        free(x);
        free(y);
        set_holder(b, s, ts->path);
        if (!s->holder) { /* no path: the vector itself stands for the holder */
            s->holder_site = ts->vector_site;
            s->holder_stack = model_stack_of(b->m, ts->vector_site);
            s->holder_frame = userframe_of(s->holder_stack);
        }
    }
}

static void add_chains(struct build *b, const struct tables *t)
{
    for (size_t i = 0; i < t->nchains; i++) {
        const struct chain_series *cs = &t->chains[i];
        if (!cs->flagged || !cs->npts)
            continue;
        const struct chain_point *last = &cs->pts[cs->npts - 1];
        struct suspect *s = add(b, SUSPECT_CHAIN, i, cs->site, model_stack_of(b->m, cs->site));
        mark_approximate(s);
        s->growing = true;
        s->chain_length = last->length;
        s->bytes = last->bytes;
        double *x = xmalloc(cs->npts * sizeof(double)), *y = xmalloc(cs->npts * sizeof(double));
        for (size_t k = 0; k < cs->npts; k++) {
            x[k] = unit_x(b, cs->pts[k].time_us);
            y[k] = (double)cs->pts[k].length;
        }
        s->chain_rate = stats_theil_sen(x, y, cs->npts, NULL, NULL);
        for (size_t k = 0; k < cs->npts; k++)
            y[k] = (double)cs->pts[k].bytes;
        s->rate = stats_theil_sen(x, y, cs->npts, NULL, NULL);
        free(x);
        free(y);
        set_holder(b, s, cs->path);
    }
}

static void add_leaks(struct build *b)
{
    const struct leaks *l = b->m->leaks;
    if (!l || !l->valid)
        return;
    const struct leak_class_total *k = &l->cls[LEAK_DEFINITELY];
    for (size_t i = 0; i < k->nsites && i < SUSPECTS_MAX_LEAK_SITES; i++) {
        uint64_t id = k->sites[i].stack_id;
        struct suspect *s = add(b, SUSPECT_LEAK, i, id, model_stack_of(b->m, id));
        s->lost_bytes = s->bytes = k->sites[i].bytes;
        s->lost_blocks = s->blocks = k->sites[i].blocks;
    }
}

static void add_dark_matter(struct build *b)
{
    const struct model *m = b->m;
    for (uint64_t i = 0; i < m->nowners; i++) {
        const struct replay_owner_group *g = m->owners[i].g;
        if (!g->live_handles || !g->bytes)
            continue;
        struct suspect *s = add(b, SUSPECT_DARK_MATTER, i, 0, &m->owners[i].stack);
        s->handles = g->live_handles;
        s->handles_closed = g->closed;
        s->handle_kind = names_owner_kind(g->kind);
        s->bytes = g->bytes;
    }
}

/* ------------------------------------------------------------- grouping */

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool frame_eq(const struct sym_frame *a, const struct sym_frame *b)
{
    if (!a || !b)
        return a == b;
    if (a->file || b->file)
        return str_eq(a->function, b->function) && str_eq(a->file, b->file) &&
               a->line == b->line;
    /* no line information: the same function in the same module */
    return str_eq(a->function, b->function) && str_eq(a->module, b->module) &&
           (a->function || a->offset == b->offset);
}

/* Both held by one named global, or by blocks of one site a root points to. */
static bool same_holder(const struct suspect *a, const struct suspect *b)
{
    if (a->holder && b->holder && a->holder->root.kind == HT_ROOT_GLOBAL &&
        b->holder->root.kind == HT_ROOT_GLOBAL && a->holder->root.name)
        return str_eq(a->holder->root.name, b->holder->root.name) &&
               str_eq(a->holder->root.module, b->holder->root.module);
    return a->holder_site && a->holder_site == b->holder_site;
}

static bool same_cause(const struct suspect *a, const struct suspect *b)
{
    if (same_holder(a, b))
        return true;
    return a->frame && b->frame && !a->site_approximate && !b->site_approximate &&
           frame_eq(a->frame, b->frame) && frame_eq(a->caller, b->caller);
}

static size_t find(size_t *up, size_t i)
{
    while (up[i] != i)
        i = up[i] = up[up[i]];
    return i;
}

bool suspects_site_is_noise(const struct model *m, uint64_t stack_id)
{
    const struct model_stack *st = model_stack_of(m, stack_id);
    if (!st || !st->nframes)
        return false;
    const struct replay_site *site = m->sites[m->site_index[stack_id] - 1].st;
    return userframe_is_system(&st->frames[0]) && site->allocations <= SUSPECTS_ONE_TIME;
}

static bool is_system(const struct model *m, const struct suspect *s)
{
    if (s->site && !s->site_approximate && suspects_site_is_noise(m, s->site))
        return true;
    bool user = (s->stack && (s->site_approximate || userframe_index(s->stack) >= 0)) ||
                (s->holder_stack && userframe_index(s->holder_stack) >= 0);
    return !user;
}

/* Folds candidate c into group g (g's lead is the stronger of the two). */
static void merge(struct suspect *g, struct suspect *c)
{
    struct suspect_evidence *ev = xreallocarray(g->evidence, g->nevidence + c->nevidence,
                                                sizeof(*ev));
    memcpy(ev + g->nevidence, c->evidence, c->nevidence * sizeof(*ev));
    g->evidence = ev;
    g->nevidence += c->nevidence;
    free(c->evidence);
    c->evidence = NULL;
    c->nevidence = 0;
    struct suspect lead = *g, other = *c;
    bool stronger = c->kind < g->kind ||
                    (c->kind == g->kind && g->site_approximate && !c->site_approximate) ||
                    (c->kind == g->kind && g->site_approximate == c->site_approximate &&
                     c->bytes > g->bytes);
    if (stronger) {
        lead = *c;
        other = *g;
        lead.evidence = g->evidence;
        lead.nevidence = g->nevidence;
        /* the lead's piece first */
        for (size_t i = 0; i < lead.nevidence; i++)
            if (lead.evidence[i].kind == c->kind) {
                struct suspect_evidence t = lead.evidence[0];
                lead.evidence[0] = lead.evidence[i];
                lead.evidence[i] = t;
                break;
            }
    }
    if (lead.site_approximate && !other.site_approximate && other.stack) {
        lead.site = other.site; /* a real stack says where the nodes come from */
        lead.stack = other.stack;
        lead.frame = other.frame;
        lead.caller = other.caller;
        lead.callee = other.callee;
        lead.site_approximate = false;
    }
    lead.growing = lead.growing || other.growing;
    if (other.bytes > lead.bytes)
        lead.bytes = other.bytes;
    if (other.rate > lead.rate) {
        lead.rate = other.rate;
        lead.gained_bytes = other.gained_bytes;
    }
    if (!lead.holder && other.holder) {
        lead.holder = other.holder;
        lead.holder_site = other.holder_site;
        lead.holder_stack = other.holder_stack;
        lead.holder_frame = other.holder_frame;
        lead.holder_blocks = other.holder_blocks;
        lead.total_blocks = other.total_blocks;
    }
    if (!lead.holder_frame && other.holder_frame && other.holder_site == lead.holder_site)
        lead.holder_frame = other.holder_frame;
    if (!lead.lost_bytes) {
        lead.lost_bytes = other.lost_bytes;
        lead.lost_blocks = other.lost_blocks;
    }
    if (!lead.handles && other.handles) {
        lead.handles = other.handles;
        lead.handles_closed = other.handles_closed;
    }
    if (!lead.handle_kind)
        lead.handle_kind = other.handle_kind;
    if (!lead.callee)
        lead.callee = other.callee;
    if (!lead.dead_entries && other.dead_entries) {
        lead.live_entries = other.live_entries;
        lead.dead_entries = other.dead_entries;
        lead.dead_rate = other.dead_rate;
        lead.dead_bytes = other.dead_bytes;
        lead.owned_bytes = other.owned_bytes;
    }
    if (!lead.chain_length && other.chain_length) {
        lead.chain_length = other.chain_length;
        lead.chain_rate = other.chain_rate;
    }
    *g = lead;
}

static const char *key_of(const struct suspect *s)
{
    return s->stack && s->stack->key ? s->stack->key : "";
}

static int rank_cmp(const void *pa, const void *pb)
{
    const struct suspect *a = pa, *b = pb;
    if (a->system != b->system)
        return a->system ? 1 : -1;
    if (a->growing != b->growing)
        return a->growing ? -1 : 1;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    if (a->rate != b->rate)
        return a->rate > b->rate ? -1 : 1;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    int k = strcmp(key_of(a), key_of(b));
    if (k)
        return k;
    return a->site < b->site ? -1 : a->site > b->site;
}

struct suspects *suspects_build(const struct model *m)
{
    struct build b = {.m = m};
    b.per_mark = m->growth ? m->growth->per_mark : m->rp->nmarks >= GROWTH_MIN_MARKS;
    const struct retention *ret = retention_of(m);
    if (ret) {
        add_tables(&b, &ret->tables);
        add_chains(&b, &ret->tables);
    }
    add_growth(&b);
    add_leaks(&b);
    add_dark_matter(&b);

    size_t *up = xmalloc((b.n ? b.n : 1) * sizeof(size_t));
    for (size_t i = 0; i < b.n; i++)
        up[i] = i;
    for (size_t i = 0; i < b.n; i++)
        for (size_t j = i + 1; j < b.n; j++)
            if (same_cause(&b.c[i], &b.c[j])) {
                size_t ri = find(up, i), rj = find(up, j);
                if (ri != rj)
                    up[rj > ri ? rj : ri] = rj > ri ? ri : rj;
            }
    struct suspects *out = xcalloc(1, sizeof(*out));
    out->list = xcalloc(b.n ? b.n : 1, sizeof(*out->list));
    for (size_t i = 0; i < b.n; i++) {
        size_t r = find(up, i);
        if (r != i)
            merge(&b.c[r], &b.c[i]);
    }
    for (size_t i = 0; i < b.n; i++)
        if (b.c[i].nevidence) {
            b.c[i].system = is_system(m, &b.c[i]);
            out->list[out->n++] = b.c[i];
        }
    if (out->n > 1)
        qsort(out->list, out->n, sizeof(*out->list), rank_cmp);
    for (size_t i = 0; i < out->n; i++) {
        out->list[i].rank = (uint32_t)i + 1;
        if (out->list[i].system) {
            out->nsystem++;
            out->system_bytes += out->list[i].bytes;
        }
    }
    if (b.per_mark && m->rp->nmarks)
        out->unit = m->rp->marks[0].label;
    free(up);
    free(b.c);
    return out;
}

void suspects_free(struct suspects *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->list[i].evidence);
    free(s->list);
    free(s);
}
