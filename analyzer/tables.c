/* SPDX-License-Identifier: MIT */
/*
 * tables.c - see tables.h. One snapshot is read in four passes:
 *   1. per (site, offset): how many pointers lead to a block of the same
 *      site (link candidates) and how many to a block the source does not
 *      dominate (value candidates); each site's link and value offsets;
 *   2. vectors: blocks with TABLES_MIN_SLOTS pointers or more, most of them
 *      to one other site (a majority vote, then a count);
 *   3. each vector's entries: its direct targets of the entry site, then
 *      their chains at the link offset; live or dead, and owned bytes;
 *   4. chains: for sites with a link offset, from each head (a block no
 *      same-site block links to) along the link, the longest per site.
 */
#include "tables.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dominators.h"
#include "growth.h"
#include "htab.h"
#include "paths.h"
#include "replay.h"
#include "retention.h"
#include "stats.h"
#include "xalloc.h"

/*
 * Blocks are grouped by allocation point, the innermost frame of their
 * stack, not by whole stack: a table's slots are one kind of block whether
 * table_insert was called from the request loop or from a load spike.
 * point[v] is a small number per distinct innermost address (0: no stack);
 * rep[p] is the stack id that stands for point p in reports.
 */
struct points {
    uint32_t *point; /* per node */
    uint64_t *ip;    /* per point: the innermost address */
    uint64_t *rep;   /* per point: a stack id */
    uint32_t n;
};

static void points_build(struct points *p, const struct graph *g, const struct replay *rp)
{
    struct htab index; /* ip + 1 -> point */
    htab_init(&index, sizeof(uint32_t));
    p->point = xcalloc(g->nnodes, sizeof(uint32_t));
    p->ip = xcalloc(g->nnodes + 1, sizeof(uint64_t));
    p->rep = xcalloc(g->nnodes + 1, sizeof(uint64_t));
    p->n = 1; /* point 0: no stack */
    for (uint32_t v = 1; v < g->nnodes; v++) {
        uint64_t id = graph_site(g, v);
        if (!id || id >= rp->nsites || !rp->stacks[id].depth)
            continue;
        uint64_t ip = rp->ips[rp->stacks[id].off];
        bool existed;
        uint32_t *at = htab_put(&index, ip + 1, &existed);
        if (!existed) {
            *at = p->n;
            p->ip[p->n] = ip;
            p->rep[p->n] = id;
            p->n++;
        }
        p->point[v] = *at;
    }
    htab_release(&index);
}

static void points_release(struct points *p)
{
    free(p->point);
    free(p->ip);
    free(p->rep);
}

struct offset_count {
    uint64_t same;   /* pointers to a block of the same site */
    uint64_t shared; /* pointers to a block the source does not dominate */
};

struct site_shape {
    uint64_t link_off, value_off;
    uint64_t link_n, value_n;
    bool has_link, has_value;
};

/* A table found in this snapshot (several vectors of one key add up). */
struct found_table {
    uint32_t vector; /* the largest vector, for the path */
    uint32_t entry;  /* the entries' point */
    struct table_point pt;
};

static uint64_t off_key(uint32_t site, uint32_t off)
{
    return ((uint64_t)site << 32 | (off >> 3)) + 1;
}

/* Keeps (n, off) when n beats the best so far (ties: the lower offset). */
static void best_offset(uint64_t n, uint64_t off, uint64_t *best_n, uint64_t *best_off, bool *has)
{
    if (n > *best_n || (n && n == *best_n && off < *best_off)) {
        *best_n = n;
        *best_off = off;
        *has = true;
    }
}

/* Pass 1: each site's link and value offsets, into shapes (site + 1 -> struct site_shape). */
#define PF_EDGE 16 /* edges ahead whose target's data a pass over every edge asks for */

static void site_shapes(const struct graph *g, const struct dom *d, const uint32_t *pt,
                        struct htab *shapes)
{
    struct htab counts;
    htab_init(&counts, sizeof(struct offset_count));
    for (uint32_t u = 1; u < g->nnodes; u++)
        for (uint32_t e = graph_out_begin(g, u); e < graph_out_end(g, u); e++) {
            if (e + PF_EDGE < g->nedges) { /* targets are random: fetch a later edge's */
                uint32_t ahead = graph_edge_target(g, e + PF_EDGE);
                __builtin_prefetch(&pt[ahead]);
                __builtin_prefetch(&d->idom[ahead]);
            }
            uint32_t w = graph_edge_target(g, e);
            if (w == u || graph_edge_interior(g, e))
                continue;
            bool same = pt[w] == pt[u];
            bool shared = d->idom[w] != u;
            if (!same && !shared)
                continue;
            struct offset_count *c =
                htab_put(&counts, off_key(pt[u], graph_edge_offset(g, e)), NULL);
            c->same += same;
            c->shared += shared;
        }
    /* two passes: a site's value offset must not be its link offset */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < counts.cap; i++) {
            if (!counts.keys[i])
                continue;
            uint64_t k = counts.keys[i] - 1, off = (k & 0xffffffffu) << 3;
            const struct offset_count *c = htab_slot_val(&counts, i);
            struct site_shape *s = htab_put(shapes, (k >> 32) + 1, NULL);
            if (pass == 0) /* the link: most same-site pointers */
                best_offset(c->same, off, &s->link_n, &s->link_off, &s->has_link);
            else if (!s->has_link || off != s->link_off) /* the value: most shared */
                best_offset(c->shared, off, &s->value_n, &s->value_off, &s->has_value);
        }
    htab_release(&counts);
}

/* The site most of v's targets have (not v's own), or 0 when none has half. */
static uint32_t entry_site_of(const struct graph *g, const uint32_t *pt, uint32_t v)
{
    uint32_t cand = 0, votes = 0, n = 0;
    for (uint32_t e = graph_out_begin(g, v); e < graph_out_end(g, v); e++) {
        uint32_t s = pt[graph_edge_target(g, e)];
        if (votes == 0) {
            cand = s;
            votes = 1;
        } else {
            votes += s == cand ? 1 : (uint32_t)-1;
        }
        n++;
    }
    uint32_t count = 0;
    for (uint32_t e = graph_out_begin(g, v); e < graph_out_end(g, v); e++)
        count += pt[graph_edge_target(g, e)] == cand;
    return cand && cand != pt[v] && count * 2 >= n ? cand : 0;
}

/* The target of u's pointer at byte offset off, or GRAPH_NONE. */
static uint32_t pointer_at(const struct graph *g, uint32_t u, uint64_t off)
{
    for (uint32_t e = graph_out_begin(g, u); e < graph_out_end(g, u); e++)
        if (graph_edge_offset(g, e) == off && !graph_edge_interior(g, e))
            return graph_edge_target(g, e);
    return GRAPH_NONE;
}

/* Bytes dead entries own, by the owned block's point: the few largest. */
#define OWNED_KINDS 8
struct owned { uint32_t point; uint64_t bytes; };

static void owned_add(struct owned *o, uint32_t point, uint64_t bytes)
{
    for (int i = 0; i < OWNED_KINDS; i++)
        if (o[i].point == point || o[i].bytes == 0) {
            o[i].point = point;
            o[i].bytes += bytes;
            return;
        }
}

static uint32_t owned_top(const struct owned *o)
{
    uint32_t best = 0;
    uint64_t most = 0;
    for (int i = 0; i < OWNED_KINDS; i++)
        if (o[i].bytes > most) {
            most = o[i].bytes;
            best = o[i].point;
        }
    return best;
}

/* Pass 3 for one vector: walks its entries (stamp marks them) into out;
 * the points of the blocks dead entries own go to owned. */
static void table_entries(const struct graph *g, const struct dom *d, const uint32_t *pt, uint32_t vec,
                          uint32_t esite, const struct site_shape *shape, uint32_t *stamp,
                          uint32_t mark, uint32_t *stack, struct table_point *out,
                          struct owned *owned)
{
    size_t top = 0;
    for (uint32_t e = graph_out_begin(g, vec); e < graph_out_end(g, vec); e++) {
        if (e + PF_EDGE < graph_out_end(g, vec)) { /* a bucket array's slots: random blocks */
            uint32_t ahead = graph_edge_target(g, e + PF_EDGE);
            __builtin_prefetch(&pt[ahead]);
            __builtin_prefetch(&stamp[ahead]);
        }
        uint32_t w = graph_edge_target(g, e);
        if (pt[w] == esite && stamp[w] != mark) {
            stamp[w] = mark;
            stack[top++] = w;
        }
    }
    out->capacity += graph_size(g, vec) / 8;
    while (top) {
        uint32_t u = stack[--top];
        bool live = !shape->has_value || pointer_at(g, u, shape->value_off) != GRAPH_NONE;
        if (live) {
            out->live++;
        } else {
            out->dead++;
            out->dead_bytes += graph_size(g, u);
            /* what only this dead entry keeps alive, its chain link aside */
            for (uint32_t e = graph_out_begin(g, u); e < graph_out_end(g, u); e++) {
                uint32_t w = graph_edge_target(g, e);
                if (d->idom[w] == u && pt[w] != esite) {
                    out->owned_bytes += d->retained[w];
                    owned_add(owned, pt[w], d->retained[w]);
                }
            }
        }
        if (!shape->has_link)
            continue;
        uint32_t next = pointer_at(g, u, shape->link_off);
        if (next != GRAPH_NONE && pt[next] == esite && stamp[next] != mark) {
            stamp[next] = mark;
            stack[top++] = next;
        }
    }
}

/* A table is known across snapshots by its vector's and entries' points. */
static struct table_series *table_series_find(struct tables *t, const struct points *pts,
                                              uint32_t vpoint, uint32_t epoint)
{
    for (size_t i = 0; i < t->ntables; i++)
        if (t->tables[i].vector_ip == pts->ip[vpoint] && t->tables[i].entry_ip == pts->ip[epoint])
            return &t->tables[i];
    return NULL;
}

static struct table_series *table_series_of(struct tables *t, const struct points *pts,
                                            uint32_t vpoint, uint32_t epoint)
{
    struct table_series *found = table_series_find(t, pts, vpoint, epoint);
    if (found)
        return found;
    t->tables = xreallocarray(t->tables, t->ntables + 1, sizeof(*t->tables));
    struct table_series *s = &t->tables[t->ntables++];
    memset(s, 0, sizeof(*s));
    s->vector_ip = pts->ip[vpoint];
    s->entry_ip = pts->ip[epoint];
    s->vector_site = pts->rep[vpoint];
    s->entry_site = pts->rep[epoint];
    return s;
}

static struct chain_series *chain_series_of(struct tables *t, const struct points *pts,
                                            uint32_t point)
{
    for (size_t i = 0; i < t->nchains; i++)
        if (t->chains[i].ip == pts->ip[point])
            return &t->chains[i];
    t->chains = xreallocarray(t->chains, t->nchains + 1, sizeof(*t->chains));
    struct chain_series *s = &t->chains[t->nchains++];
    memset(s, 0, sizeof(*s));
    s->ip = pts->ip[point];
    s->site = pts->rep[point];
    return s;
}

static void set_path(struct retention_path **slot, const struct graph *g, const uint32_t *via,
                     const struct snap_node *nodes, const struct retention_root *root_of,
                     uint32_t target)
{
    if (*slot)
        retention_path_free(*slot);
    else
        *slot = xcalloc(1, sizeof(**slot));
    if (!retention_path_build(g, via, nodes, root_of, target, *slot)) {
        free(*slot);
        *slot = NULL;
    }
}

static int found_cmp(const void *pa, const void *pb)
{
    const struct found_table *a = pa, *b = pb;
    uint64_t na = a->pt.live + a->pt.dead, nb = b->pt.live + b->pt.dead;
    return na != nb ? (na > nb ? -1 : 1) : (a->vector > b->vector) - (a->vector < b->vector);
}

/* Pass 2 and 3: the tables of this snapshot, the largest TABLES_KEEP kept. */
static void find_tables(struct tables *t, const struct graph *g, const struct dom *d,
                        const struct points *pts, const struct htab *shapes,
                        struct htab *entry_points, uint32_t *stamp, uint32_t *stack,
                        const uint32_t *via, const struct snap_node *nodes,
                        const struct retention_root *root_of, uint32_t snapshot,
                        uint64_t time_us)
{
    const uint32_t *pt = pts->point;
    struct htab index; /* (vector point << 32 | entry point) + 1 -> found index + 1 */
    htab_init(&index, sizeof(size_t));
    struct found_table *found = NULL;
    size_t nfound = 0;
    uint32_t mark = 0;
    for (uint32_t v = 1; v < g->nnodes; v++) {
        if (graph_out_end(g, v) - graph_out_begin(g, v) < TABLES_MIN_SLOTS || d->idom[v] == GRAPH_NONE)
            continue;
        uint32_t esite = entry_site_of(g, pt, v);
        if (!esite)
            continue;
        struct site_shape shape = {0};
        const struct site_shape *now = htab_get(shapes, (uint64_t)esite + 1);
        if (now)
            shape = *now;
        /* a snapshot where no entry is live (the program let go of every
         * value) shows no value offset: use the one learned before */
        const struct table_series *known = table_series_find(t, pts, pt[v], esite);
        if (!shape.has_value && known && known->has_value) {
            shape.has_value = true;
            shape.value_off = known->value_offset;
        }
        struct table_point here = {.snapshot = snapshot, .time_us = time_us};
        struct owned owned[OWNED_KINDS] = {{0, 0}};
        table_entries(g, d, pt, v, esite, &shape, stamp, ++mark, stack, &here, owned);
        here.owned_site = pts->rep[owned_top(owned)];
        bool existed;
        size_t *at = htab_put(&index, ((uint64_t)pt[v] << 32 | esite) + 1, &existed);
        if (!existed) {
            found = xreallocarray(found, nfound + 1, sizeof(*found));
            found[nfound] = (struct found_table){.vector = v, .entry = esite, .pt = here};
            *at = ++nfound;
            continue;
        }
        struct found_table *f = &found[*at - 1];
        if (graph_size(g, v) > graph_size(g, f->vector))
            f->vector = v;
        f->pt.live += here.live;
        f->pt.dead += here.dead;
        f->pt.dead_bytes += here.dead_bytes;
        f->pt.owned_bytes += here.owned_bytes;
        f->pt.capacity += here.capacity;
    }
    htab_release(&index);
    if (nfound > 1)
        qsort(found, nfound, sizeof(*found), found_cmp);
    for (size_t i = 0; i < nfound && i < TABLES_KEEP; i++) {
        uint32_t v = found[i].vector, esite = found[i].entry;
        struct table_series *s = table_series_of(t, pts, pt[v], esite);
        htab_put(entry_points, (uint64_t)esite + 1, NULL);
        const struct site_shape *shape = htab_get(shapes, (uint64_t)esite + 1);
        if (shape && shape->has_link) {
            s->has_link = true;
            s->link_offset = shape->link_off;
        }
        if (shape && shape->has_value) {
            s->has_value = true;
            s->value_offset = shape->value_off;
        }
        s->pts = xreallocarray(s->pts, s->npts + 1, sizeof(*s->pts));
        s->pts[s->npts++] = found[i].pt;
        set_path(&s->path, g, via, nodes, root_of, v);
    }
    free(found);
}

/* Pass 4: per site with a link, its longest chain of TABLES_MIN_CHAIN or more. */
static void find_chains(struct tables *t, const struct graph *g, const struct points *pts,
                        const struct htab *shapes, const struct htab *entry_points,
                        uint32_t *stamp, const uint32_t *via, const struct snap_node *nodes,
                        const struct retention_root *root_of, uint32_t snapshot,
                        uint64_t time_us)
{
    const uint32_t *pt = pts->point;
    /* linked[v]: some same-site block links to v at the site's link offset */
    uint8_t *linked = xcalloc(g->nnodes, 1);
    for (uint32_t u = 1; u < g->nnodes; u++) {
        const struct site_shape *s = htab_get(shapes, (uint64_t)pt[u] + 1);
        if (!s || !s->has_link)
            continue;
        uint32_t w = pointer_at(g, u, s->link_off);
        if (w != GRAPH_NONE && w != u && pt[w] == pt[u])
            linked[w] = 1;
    }
    struct best { uint32_t head; uint64_t length, bytes; };
    struct htab best; /* site + 1 -> struct best */
    htab_init(&best, sizeof(struct best));
    memset(stamp, 0, g->nnodes * sizeof(uint32_t));
    for (uint32_t h = 1; h < g->nnodes; h++) {
        if (linked[h])
            continue;
        const struct site_shape *s = htab_get(shapes, (uint64_t)pt[h] + 1);
        if (!s || !s->has_link || htab_get(entry_points, (uint64_t)pt[h] + 1))
            continue; /* a table's hash chains are the table's business */
        /* every block is walked once: a cycle, or a chain merging into one
         * already walked, ends the walk (O(n) for the pass) */
        uint64_t len = 0, bytes = 0;
        for (uint32_t u = h; u != GRAPH_NONE && !stamp[u] && pt[u] == pt[h];
             u = pointer_at(g, u, s->link_off)) {
            stamp[u] = 1;
            len++;
            bytes += graph_size(g, u);
        }
        if (len < TABLES_MIN_CHAIN)
            continue;
        struct best *b = htab_put(&best, (uint64_t)pt[h] + 1, NULL);
        if (len > b->length)
            *b = (struct best){.head = h, .length = len, .bytes = bytes};
    }
    for (size_t i = 0; i < best.cap; i++) {
        if (!best.keys[i])
            continue;
        const struct best *b = htab_slot_val(&best, i);
        uint32_t site = (uint32_t)(best.keys[i] - 1);
        const struct site_shape *s = htab_get(shapes, (uint64_t)site + 1);
        struct chain_series *c = chain_series_of(t, pts, site);
        c->link_offset = s->link_off;
        c->pts = xreallocarray(c->pts, c->npts + 1, sizeof(*c->pts));
        c->pts[c->npts++] = (struct chain_point){
            .snapshot = snapshot, .time_us = time_us, .length = b->length, .bytes = b->bytes};
        set_path(&c->path, g, via, nodes, root_of, b->head);
    }
    htab_release(&best);
    free(linked);
}

void tables_add_snapshot(struct tables *t, const struct replay *rp, const struct graph *g,
                         const struct dom *d, const struct snap_node *nodes,
                         const struct retention_root *root_of, uint32_t snapshot,
                         uint64_t time_us)
{
    if (g->nnodes < 2)
        return;
    struct points pts;
    points_build(&pts, g, rp);
    struct htab shapes; /* point + 1 -> struct site_shape */
    htab_init(&shapes, sizeof(struct site_shape));
    site_shapes(g, d, pts.point, &shapes);
    uint32_t *stamp = xcalloc(g->nnodes, sizeof(uint32_t));
    uint32_t *stack = xmalloc(g->nnodes * sizeof(uint32_t));
    uint32_t *via = path_bfs_tree(g, NULL, NULL);
    struct htab entry_points; /* point + 1 of the kept tables' entries */
    htab_init(&entry_points, 1);
    find_tables(t, g, d, &pts, &shapes, &entry_points, stamp, stack, via, nodes, root_of,
                snapshot, time_us);
    find_chains(t, g, &pts, &shapes, &entry_points, stamp, via, nodes, root_of, snapshot,
                time_us);
    htab_release(&entry_points);
    free(via);
    free(stack);
    free(stamp);
    htab_release(&shapes);
    points_release(&pts);
}

/* tables.h. From 4 to 9 points: after the first, a rise at every step to
 * at least three times the second point. */
bool tables_grows(const double *x, const double *y, size_t n, double *slope)
{
    *slope = n >= 2 ? stats_theil_sen(x, y, n, NULL, NULL) : 0;
    if (n >= 10) { /* 8 after the warm-up: the least for Mann-Kendall's p < 0.001 */
        struct growth_verdict v;
        growth_detect_gain(x, y, n, 0.2, TABLES_MIN_SLOTS, &v);
        return v.growing;
    }
    /* few points: the first is the warm-up (a bounded queue may still be
     * filling); the rest must rise at every step and end at three times or
     * more (a bounded queue's length sampled four times can rise by chance).
     * Dead entries that nobody removes never fall: a fall from the warm-up
     * point by a quarter of it or more is a sawtooth's tooth, caught by too
     * few snapshots ([2745, 257, 2467, 3592], [3582, 1407, 4910, 4999]), not
     * growth. */
    if (n < 4 || y[n - 1] < 3 * y[1] || y[n - 1] < TABLES_MIN_SLOTS || y[0] - y[1] >= y[0] / 4)
        return false;
    for (size_t i = 2; i < n; i++)
        if (y[i] <= y[i - 1])
            return false;
    return true;
}

/* The program's teardown is not the run: a series whose last points fall
 * from its peak to half of it or less, never rising again by more than 1% of
 * the peak, is judged up to the peak (a leaky queue freed at the end, caught
 * halfway by a snapshot). A fall and a rise again is a sawtooth and stays. */
static size_t before_teardown(const double *y, size_t n)
{
    size_t top = 0;
    for (size_t i = 1; i < n; i++)
        if (y[i] >= y[top])
            top = i;
    if (top + 1 >= n || y[n - 1] * 2 > y[top])
        return n;
    for (size_t i = top + 1; i < n; i++)
        if (y[i] > y[i - 1] + y[top] / 100)
            return n;
    return top + 1;
}

void tables_finish(struct tables *t)
{
    for (size_t i = 0; i < t->ntables; i++) {
        struct table_series *s = &t->tables[i];
        size_t n = s->npts;
        double *x = xmalloc((n + 1) * sizeof(double)), *dead = xmalloc((n + 1) * sizeof(double));
        double *live = xmalloc((n + 1) * sizeof(double)), live_slope;
        for (size_t k = 0; k < n; k++) {
            x[k] = s->pts[k].snapshot;
            dead[k] = (double)s->pts[k].dead;
            live[k] = (double)s->pts[k].live;
        }
        n = before_teardown(dead, n);
        bool dead_grows = tables_grows(x, dead, n, &s->dead_slope);
        bool live_grows = tables_grows(x, live, n, &live_slope);
        s->flagged = dead_grows && !live_grows;
        free(x);
        free(dead);
        free(live);
    }
    for (size_t i = 0; i < t->nchains; i++) {
        struct chain_series *c = &t->chains[i];
        double *x = xmalloc((c->npts + 1) * sizeof(double));
        double *len = xmalloc((c->npts + 1) * sizeof(double));
        for (size_t k = 0; k < c->npts; k++) {
            x[k] = c->pts[k].snapshot;
            len[k] = (double)c->pts[k].length;
        }
        c->flagged = tables_grows(x, len, before_teardown(len, c->npts), &c->length_slope);
        free(x);
        free(len);
    }
}

void tables_release(struct tables *t)
{
    for (size_t i = 0; i < t->ntables; i++) {
        free(t->tables[i].pts);
        if (t->tables[i].path)
            retention_path_free(t->tables[i].path);
        free(t->tables[i].path);
    }
    for (size_t i = 0; i < t->nchains; i++) {
        free(t->chains[i].pts);
        if (t->chains[i].path)
            retention_path_free(t->chains[i].path);
        free(t->chains[i].path);
    }
    free(t->tables);
    free(t->chains);
    memset(t, 0, sizeof(*t));
}
