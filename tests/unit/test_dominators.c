/* SPDX-License-Identifier: MIT */
/*
 * test_dominators.c - graph.c, dominators.c and paths.c against naive
 * oracles on thousands of random graphs (sizes 1..60, then a few hundred
 * nodes): cycles, self-loops, duplicate edges, edges into the super-root,
 * unreachable parts and out-of-range edges. Then two 1 M-node graphs with a
 * 900,000-long chain, which must not overflow any stack (the time is
 * printed, never asserted).
 *
 * The dominator oracle is the definition: d dominates a reachable v iff v
 * is unreachable once d is removed; idom(v) is the strict dominator of v
 * that every other strict dominator of v dominates. O(n (n + m)) a graph.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "dominators.h"
#include "graph.h"
#include "paths.h"

/* ------------------------------------------------------------------------
 * Random test graphs
 * ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint32_t rng_below(uint32_t n)
{
    return n ? (uint32_t)(rng() % n) : 0;
}

struct tgraph {
    uint32_t n;
    struct graph_edge *edges;
    size_t nedges, cap, bad; /* bad: edges with an endpoint >= n */
    uint64_t *size;
    uint32_t *site;
};

static void tg_edge(struct tgraph *t, uint32_t from, uint32_t to, bool interior)
{
    if (t->nedges == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->edges = realloc(t->edges, t->cap * sizeof(*t->edges));
        if (!t->edges)
            abort();
    }
    /* a made-up but checkable offset: the edge's position, in words */
    t->edges[t->nedges] = (struct graph_edge){from, to, interior, (uint32_t)t->nedges * 8};
    t->nedges++;
    t->bad += from >= t->n || to >= t->n;
}

static void tg_init(struct tgraph *t, uint32_t n)
{
    memset(t, 0, sizeof(*t));
    t->n = n;
    t->size = calloc(n, sizeof(uint64_t));
    t->site = calloc(n, sizeof(uint32_t));
    if (!t->size || !t->site)
        abort();
}

static void tg_free(struct tgraph *t)
{
    free(t->edges);
    free(t->size);
    free(t->site);
}

/* Shapes: uniform random, or a chain 0 -> 1 -> ... (deep trees) with random extra edges. */
static void tg_random(struct tgraph *t, uint32_t n)
{
    tg_init(t, n);
    static const unsigned density_x2[] = {0, 1, 2, 3, 4, 6, 10, 16};
    uint32_t m = rng_below(n * density_x2[rng_below(8)] / 2 + 1);
    bool chain = rng_below(3) == 0;
    if (chain)
        for (uint32_t v = 1; v < n; v++)
            if (rng_below(10) != 0) /* a few gaps leave unreachable tails */
                tg_edge(t, v - 1, v, rng_below(4) == 0);
    uint32_t roots = rng_below(4);
    for (uint32_t i = 0; i < roots; i++)
        tg_edge(t, 0, rng_below(n), false);
    for (uint32_t i = 0; i < m; i++) {
        uint32_t from = rng_below(n), to = rng_below(n);
        if (chain && rng_below(2)) /* mostly backwards: keeps the tree deep */
            to = rng_below(from + 1);
        tg_edge(t, from, to, rng_below(3) == 0);
    }
    if (t->nedges && rng_below(2)) { /* duplicates, sometimes of the other kind */
        uint32_t dups = 1 + rng_below(4);
        for (uint32_t i = 0; i < dups; i++) {
            struct graph_edge e = t->edges[rng_below((uint32_t)t->nedges)];
            tg_edge(t, e.from, e.to, rng_below(2) ? e.interior : !e.interior);
        }
    }
    if (rng_below(4) == 0)
        tg_edge(t, rng_below(n), n + rng_below(3), false);
    if (rng_below(8) == 0)
        tg_edge(t, n + 5, rng_below(n), false);
    uint32_t nsites = 1 + rng_below(4);
    for (uint32_t v = 1; v < n; v++) {
        t->size[v] = rng_below(8) == 0 ? 0 : 1 + rng_below(1000);
        t->site[v] = rng_below(nsites + 1); /* 0: no site */
    }
}

static void tg_build(const struct tgraph *t, struct graph *g)
{
    CHECK_EQ(graph_build(g, t->n, t->edges, t->nedges), 0);
    CHECK_EQ(g->bad_edges, t->bad);
    CHECK_EQ(g->nedges, t->nedges - t->bad);
    for (uint32_t v = 0; v < t->n; v++)
        graph_set_node(g, v, t->size[v], t->site[v]);
}

/* ------------------------------------------------------------------------
 * Oracles
 * ---------------------------------------------------------------------- */

/* Adjacency lists of the valid edges, built separately from graph.c. */
struct oracle {
    uint32_t n;
    uint32_t *head, *next, *to; /* edge lists by source */
    bool *reach;                /* reachable from 0 */
    uint32_t *dist;             /* BFS distance from 0, UINT32_MAX when unreachable */
    bool *dom;                  /* dom[d * n + v]: d dominates v (both reachable) */
    uint32_t *idom;
    uint32_t *queue;
};

/* BFS from 0 that never enters `removed`; fills dist (may be NULL) and seen. */
static void oracle_bfs(struct oracle *o, uint32_t removed, bool *seen, uint32_t *dist)
{
    memset(seen, 0, o->n);
    if (dist)
        for (uint32_t v = 0; v < o->n; v++)
            dist[v] = UINT32_MAX;
    if (removed == 0)
        return;
    uint32_t qh = 0, qt = 0;
    o->queue[qt++] = 0;
    seen[0] = true;
    if (dist)
        dist[0] = 0;
    while (qh < qt) {
        uint32_t v = o->queue[qh++];
        for (uint32_t e = o->head[v]; e != UINT32_MAX; e = o->next[e]) {
            uint32_t w = o->to[e];
            if (w == removed || seen[w])
                continue;
            seen[w] = true;
            if (dist)
                dist[w] = dist[v] + 1;
            o->queue[qt++] = w;
        }
    }
}

static void oracle_init(struct oracle *o, const struct tgraph *t)
{
    uint32_t n = t->n;
    o->n = n;
    o->head = malloc(n * sizeof(uint32_t));
    o->next = malloc((t->nedges + 1) * sizeof(uint32_t));
    o->to = malloc((t->nedges + 1) * sizeof(uint32_t));
    o->reach = malloc(n);
    o->dist = malloc(n * sizeof(uint32_t));
    o->dom = calloc((size_t)n * n, 1);
    o->idom = malloc(n * sizeof(uint32_t));
    o->queue = malloc(n * sizeof(uint32_t));
    bool *seen = malloc(n);
    if (!o->head || !o->next || !o->to || !o->reach || !o->dist || !o->dom || !o->idom ||
        !o->queue || !seen)
        abort();
    memset(o->head, 0xff, n * sizeof(uint32_t));
    for (size_t i = t->nedges; i-- > 0;) { /* prepend: lists end up in edge order */
        const struct graph_edge *e = &t->edges[i];
        if (e->from >= n || e->to >= n)
            continue;
        o->to[i] = e->to;
        o->next[i] = o->head[e->from];
        o->head[e->from] = (uint32_t)i;
    }
    oracle_bfs(o, UINT32_MAX, o->reach, o->dist);
    for (uint32_t d = 0; d < n; d++) {
        if (!o->reach[d])
            continue;
        oracle_bfs(o, d, seen, NULL);
        for (uint32_t v = 0; v < n; v++)
            o->dom[(size_t)d * n + v] = o->reach[v] && (v == d || !seen[v]);
    }
    /*
     * The strict dominators of v form a chain, so the candidate is the one
     * with the most dominators itself; then check it against the definition.
     */
    uint32_t *ndom = calloc(n, sizeof(uint32_t));
    if (!ndom)
        abort();
    for (uint32_t d = 0; d < n; d++)
        for (uint32_t v = 0; v < n; v++)
            ndom[v] += o->dom[(size_t)d * n + v];
    for (uint32_t v = 0; v < n; v++) {
        o->idom[v] = v == 0 ? 0 : GRAPH_NONE;
        if (!o->reach[v] || v == 0)
            continue;
        uint32_t best = GRAPH_NONE;
        for (uint32_t d = 0; d < n; d++)
            if (d != v && o->dom[(size_t)d * n + v] && (best == GRAPH_NONE || ndom[d] > ndom[best]))
                best = d;
        for (uint32_t x = 0; x < n; x++) /* every other strict dominator of v dominates it */
            if (x != v && o->dom[(size_t)x * n + v])
                CHECK(o->dom[(size_t)x * n + best]);
        o->idom[v] = best;
    }
    free(ndom);
    free(seen);
}

static void oracle_free(struct oracle *o)
{
    free(o->head);
    free(o->next);
    free(o->to);
    free(o->reach);
    free(o->dist);
    free(o->dom);
    free(o->idom);
    free(o->queue);
}

static bool oracle_dominates(const struct oracle *o, uint32_t d, uint32_t v)
{
    return o->dom[(size_t)d * o->n + v];
}

/* ------------------------------------------------------------------------
 * Checks of one graph
 * ---------------------------------------------------------------------- */

static void check_graph_rows(const struct tgraph *t, const struct graph *g)
{
    /* every valid edge, in order, once in each direction */
    uint32_t *out_seen = calloc(t->n + 1, sizeof(uint32_t));
    uint32_t *in_seen = calloc(t->n + 1, sizeof(uint32_t));
    for (size_t i = 0; i < t->nedges; i++) {
        const struct graph_edge *e = &t->edges[i];
        if (e->from >= t->n || e->to >= t->n)
            continue;
        uint32_t pos = graph_out_begin(g, e->from) + out_seen[e->from]++;
        CHECK(pos < graph_out_end(g, e->from));
        CHECK_EQ(graph_edge_target(g, pos), e->to);
        CHECK_EQ(graph_edge_interior(g, pos), e->interior);
        CHECK_EQ(graph_edge_source(g, pos), e->from);
        uint32_t ipos = graph_in_begin(g, e->to) + in_seen[e->to]++;
        CHECK(ipos < graph_in_end(g, e->to));
        CHECK_EQ(graph_in_source(g, ipos), e->from);
    }
    for (uint32_t v = 0; v < t->n; v++) {
        CHECK_EQ(graph_out_end(g, v) - graph_out_begin(g, v), out_seen[v]);
        CHECK_EQ(graph_in_end(g, v) - graph_in_begin(g, v), in_seen[v]);
    }
    free(out_seen);
    free(in_seen);
}

static bool has_edge(const struct tgraph *t, uint32_t from, uint32_t to, bool interior)
{
    for (size_t i = 0; i < t->nedges; i++)
        if (t->edges[i].from == from && t->edges[i].to == to && t->edges[i].interior == interior)
            return true;
    return false;
}

/* Every edge of g keeps the offset its input edge had. */
static void check_offsets(const struct tgraph *t, const struct graph *g)
{
    for (uint32_t v = 0; v < g->nnodes; v++)
        for (uint32_t e = graph_out_begin(g, v); e < graph_out_end(g, v); e++) {
            uint32_t off = graph_edge_offset(g, e);
            CHECK(off % 8 == 0 && off / 8 < t->nedges);
            const struct graph_edge *in = &t->edges[off / 8];
            CHECK(in->from == v && in->to == graph_edge_target(g, e) &&
                  in->interior == graph_edge_interior(g, e));
        }
}

/* p is a real path from 0 to a node, as short as the oracle's BFS says. */
static void check_path(const struct tgraph *t, const struct oracle *o, const struct path *p)
{
    CHECK(p->len >= 1);
    if (p->len < 1)
        return;
    CHECK_EQ(p->nodes[0], 0);
    uint32_t last = p->nodes[p->len - 1];
    CHECK(last < t->n);
    if (last >= t->n)
        return;
    CHECK_EQ(p->len - 1, o->dist[last]);
    for (uint32_t i = 0; i + 1 < p->len; i++)
        CHECK(has_edge(t, p->nodes[i], p->nodes[i + 1], p->interior[i]));
}

static void check_paths(const struct tgraph *t, const struct graph *g, const struct oracle *o)
{
    struct path p;
    for (uint32_t v = 0; v < t->n; v++) {
        int rc = path_shortest(g, v, &p);
        CHECK_EQ(rc, o->reach[v] ? 0 : -1);
        if (rc == 0) {
            check_path(t, o, &p);
            CHECK_EQ(p.nodes[p.len - 1], v);
        } else {
            CHECK(p.nodes == NULL && p.len == 0);
        }
        path_release(&p);
    }
    CHECK_EQ(path_shortest(g, t->n, &p), -1);
    /* one search for every target gives paths as short as one search each */
    uint32_t *order, nvisited;
    uint32_t *via = path_bfs_tree(g, &order, &nvisited);
    uint32_t nreach = 0;
    for (uint32_t v = 0; v < t->n; v++)
        nreach += o->reach[v];
    CHECK_EQ(nvisited, nreach);
    CHECK_EQ(order[0], GRAPH_ROOT);
    for (uint32_t i = 1; i < nvisited; i++) /* by distance from the roots */
        CHECK(o->dist[order[i - 1]] <= o->dist[order[i]]);
    free(order);
    for (uint32_t v = 0; v < t->n; v++) {
        int rc = path_from_tree(g, via, v, &p);
        CHECK_EQ(rc, o->reach[v] ? 0 : -1);
        if (rc == 0) {
            check_path(t, o, &p);
            CHECK_EQ(p.nodes[p.len - 1], v);
        }
        path_release(&p);
    }
    CHECK_EQ(path_from_tree(g, via, t->n, &p), -1);
    free(via);
    check_offsets(t, g);
    for (uint32_t s = 0; s <= 5; s++) {
        uint32_t best = UINT32_MAX;
        for (uint32_t v = 0; v < t->n; v++)
            if (t->site[v] == s && o->dist[v] < best)
                best = o->dist[v];
        int rc = path_shortest_to_site(g, s, &p);
        CHECK_EQ(rc, best != UINT32_MAX ? 0 : -1);
        if (rc == 0) {
            check_path(t, o, &p);
            CHECK_EQ(t->site[p.nodes[p.len - 1]], s);
            CHECK_EQ(p.len - 1, best);
        }
        path_release(&p);
    }
}

static uint64_t *cmp_retained;

static int cmp_retainer(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (cmp_retained[x] != cmp_retained[y])
        return cmp_retained[x] > cmp_retained[y] ? -1 : 1;
    return (x > y) - (x < y);
}

static int cmp_site(const void *a, const void *b)
{
    const struct dom_site *x = a, *y = b;
    if (x->retained != y->retained)
        return x->retained > y->retained ? -1 : 1;
    return (x->site > y->site) - (x->site < y->site);
}

/* Sites by the definition: heads have no same-site strict dominator. */
static size_t oracle_sites(const struct tgraph *t, const struct oracle *o, const uint64_t *ret,
                           const uint32_t *cnt, struct dom_site *out)
{
    size_t n = 0;
    for (uint32_t s = 1; s <= 5; s++) {
        struct dom_site ds = {.site = s};
        uint64_t covered = 0, covered_blocks = 0;
        for (uint32_t v = 1; v < t->n; v++) {
            if (!o->reach[v])
                continue;
            bool under_site = false, head = t->site[v] == s;
            for (uint32_t d = 1; d < t->n; d++) {
                if (t->site[d] == s && oracle_dominates(o, d, v)) {
                    under_site = true;
                    if (d != v)
                        head = false;
                }
            }
            covered += under_site ? t->size[v] : 0;
            covered_blocks += under_site;
            if (t->site[v] != s)
                continue;
            ds.blocks++;
            if (head) {
                ds.heads++;
                ds.retained += ret[v];
                ds.retained_blocks += cnt[v];
            }
        }
        /* no double counting: the heads' sum is the union of the dominated sets */
        CHECK_EQ(ds.retained, covered);
        CHECK_EQ(ds.retained_blocks, covered_blocks);
        if (ds.blocks)
            out[n++] = ds;
    }
    qsort(out, n, sizeof(*out), cmp_site);
    return n;
}

static void check_dominators(const struct tgraph *t, const struct graph *g,
                             const struct oracle *o)
{
    struct dom d;
    dom_compute(&d, g);
    uint32_t nreach = 0;
    for (uint32_t v = 0; v < t->n; v++) {
        nreach += o->reach[v];
        CHECK_EQ(d.idom[v], o->idom[v]);
    }
    CHECK_EQ(d.nreach, nreach);
    CHECK_EQ(d.order[0], 0);
    for (uint32_t i = 1; i < d.nreach; i++) { /* each node after its idom */
        bool before = false;
        for (uint32_t j = 0; j < i; j++)
            before |= d.order[j] == d.idom[d.order[i]];
        CHECK(before);
    }

    dom_retained_sizes(&d, g);
    uint64_t *ret = calloc(t->n, sizeof(uint64_t));
    uint32_t *cnt = calloc(t->n, sizeof(uint32_t));
    for (uint32_t dd = 0; dd < t->n; dd++)
        for (uint32_t v = 0; v < t->n; v++)
            if (oracle_dominates(o, dd, v)) {
                ret[dd] += t->size[v];
                cnt[dd]++;
            }
    for (uint32_t v = 0; v < t->n; v++) {
        CHECK_EQ(d.retained[v], ret[v]);
        CHECK_EQ(d.retained_count[v], cnt[v]);
    }

    /* top retainers: the reachable non-root nodes, sorted */
    uint32_t *all = malloc(t->n * sizeof(uint32_t)), *top = malloc((t->n + 2) * sizeof(uint32_t));
    size_t nall = 0;
    for (uint32_t v = 1; v < t->n; v++)
        if (o->reach[v])
            all[nall++] = v;
    cmp_retained = ret;
    qsort(all, nall, sizeof(*all), cmp_retainer);
    size_t k = rng_below(t->n + 2);
    size_t ntop = dom_top_retainers(&d, k, top);
    CHECK_EQ(ntop, k < nall ? k : nall);
    for (size_t i = 0; i < ntop && i < nall; i++)
        CHECK_EQ(top[i], all[i]);

    struct dom_site want[5], got[6];
    size_t nwant = oracle_sites(t, o, ret, cnt, want);
    size_t ks = rng_below(7);
    size_t ngot = dom_top_sites(&d, g, ks, got);
    CHECK_EQ(ngot, ks < nwant ? ks : nwant);
    for (size_t i = 0; i < ngot && i < nwant; i++) {
        CHECK_EQ(got[i].site, want[i].site);
        CHECK_EQ(got[i].heads, want[i].heads);
        CHECK_EQ(got[i].blocks, want[i].blocks);
        CHECK_EQ(got[i].retained, want[i].retained);
        CHECK_EQ(got[i].retained_blocks, want[i].retained_blocks);
    }
    free(all);
    free(top);
    free(ret);
    free(cnt);
    dom_release(&d);
}

static void check_random(uint32_t min_n, uint32_t max_n, unsigned rounds)
{
    unsigned failed_graphs = 0;
    for (unsigned r = 0; r < rounds && failed_graphs < 5; r++) {
        uint64_t seed = rng_state;
        int before = check_failures;
        struct tgraph t;
        tg_random(&t, min_n + rng_below(max_n - min_n + 1));
        struct graph g;
        tg_build(&t, &g);
        struct oracle o;
        oracle_init(&o, &t);
        check_graph_rows(&t, &g);
        check_dominators(&t, &g, &o);
        check_paths(&t, &g, &o);
        if (check_failures != before) {
            fprintf(stderr, "  in round %u: %u nodes, %zu edges, rng state 0x%016llx\n", r,
                    t.n, t.nedges, (unsigned long long)seed);
            failed_graphs++;
        }
        oracle_free(&o);
        graph_release(&g);
        tg_free(&t);
    }
}

/* ------------------------------------------------------------------------
 * Fixed cases
 * ---------------------------------------------------------------------- */

/*
 * 0 -> 1 (site 1) -> 2 (site 2) -> 3 (site 1) -> 4 (site 1), and 0 -> 5
 * (site 2) -> 6 (site 1) <- 1: site 1 has heads 1 and 6 (3 and 4 are under
 * 1, however many other-site blocks are in between), site 2 has 2 and 5.
 */
static void check_sites_example(void)
{
    static const struct graph_edge e[] = {
        {0, 1, false, 0}, {1, 2, true, 0}, {2, 3, false, 0}, {3, 4, false, 0},
        {0, 5, false, 0}, {5, 6, false, 0}, {1, 6, true, 0},
    };
    struct graph g;
    CHECK_EQ(graph_build(&g, 7, e, sizeof(e) / sizeof(e[0])), 0);
    static const uint32_t site[] = {0, 1, 2, 1, 1, 2, 1};
    for (uint32_t v = 0; v < 7; v++)
        graph_set_node(&g, v, 10 * v, site[v]);
    struct dom d;
    dom_compute(&d, &g);
    static const uint32_t idom[] = {0, 0, 1, 2, 3, 0, 0};
    for (uint32_t v = 0; v < 7; v++)
        CHECK_EQ(d.idom[v], idom[v]);
    dom_retained_sizes(&d, &g);
    CHECK_EQ(d.retained[0], 210);
    CHECK_EQ(d.retained[1], 100);
    CHECK_EQ(d.retained_count[1], 4);
    struct dom_site s[3];
    CHECK_EQ(dom_top_sites(&d, &g, 3, s), 2);
    CHECK_EQ(s[0].site, 1);
    CHECK_EQ(s[0].heads, 2);
    CHECK_EQ(s[0].blocks, 4);
    CHECK_EQ(s[0].retained, 160);
    CHECK_EQ(s[1].site, 2);
    CHECK_EQ(s[1].retained, 90 + 50);
    uint32_t top[2];
    CHECK_EQ(dom_top_retainers(&d, 2, top), 2);
    CHECK_EQ(top[0], 1);
    CHECK_EQ(top[1], 2); /* 100, 90, then 3 holds 70 and 6 holds 60 */
    struct path p;
    CHECK_EQ(path_shortest(&g, 4, &p), 0);
    CHECK_EQ(p.len, 5);
    CHECK(p.interior[1] && !p.interior[0] && !p.interior[2]);
    path_release(&p);
    CHECK_EQ(path_shortest_to_site(&g, 1, &p), 0);
    CHECK_EQ(p.len, 2);
    CHECK_EQ(p.nodes[1], 1);
    path_release(&p);
    dom_release(&d);
    graph_release(&g);
}

static void check_degenerate(void)
{
    struct graph g;
    CHECK_EQ(graph_build(&g, 0, NULL, 0), -1);
    graph_release(&g);
    CHECK_EQ(graph_build(&g, GRAPH_NONE, NULL, 0), -1);
    graph_release(&g);

    /* one node, no edges, or only a self-loop */
    static const struct graph_edge loop[] = {{0, 0, true, 0}, {0, 3, false, 0}};
    for (size_t m = 0; m <= 2; m++) {
        CHECK_EQ(graph_build(&g, 1, loop, m), 0);
        CHECK_EQ(g.bad_edges, m == 2);
        struct dom d;
        dom_compute(&d, &g);
        CHECK_EQ(d.nreach, 1);
        CHECK_EQ(d.idom[0], 0);
        dom_retained_sizes(&d, &g);
        uint32_t top[1];
        CHECK_EQ(dom_top_retainers(&d, 1, top), 0);
        struct dom_site s[1];
        CHECK_EQ(dom_top_sites(&d, &g, 1, s), 0);
        struct path p;
        CHECK_EQ(path_shortest(&g, 0, &p), 0);
        CHECK_EQ(p.len, 1);
        path_release(&p);
        CHECK_EQ(path_shortest_to_site(&g, 1, &p), -1);
        dom_release(&d);
        graph_release(&g);
    }
}

/* ------------------------------------------------------------------------
 * Big graphs
 * ---------------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * 1 M nodes: a chain 0 -> 1 -> ... -> 899,999, random edges back along the
 * chain, and 100,000 unreachable nodes pointing into the chain and at each
 * other. With `shortcuts`, 1 M random chain-to-chain edges as well, which
 * flatten the tree; without, idom(v) = v - 1 exactly.
 */
static void check_big(bool shortcuts)
{
    const uint32_t n = 1000000, chain = 900000;
    struct tgraph t;
    tg_init(&t, n);
    for (uint32_t v = 1; v < chain; v++)
        tg_edge(&t, v - 1, v, false);
    for (uint32_t i = 0; i < 1000000; i++) {
        uint32_t from = rng_below(chain);
        tg_edge(&t, from, rng_below(from + 1), rng_below(2));
    }
    for (uint32_t i = 0; i < 300000; i++)
        tg_edge(&t, chain + rng_below(n - chain), rng_below(n), false);
    if (shortcuts)
        for (uint32_t i = 0; i < 1000000; i++)
            tg_edge(&t, rng_below(chain), rng_below(chain), false);
    uint64_t total = 0;
    for (uint32_t v = 1; v < n; v++) {
        t.size[v] = 16 + v % 64;
        t.site[v] = 1 + v % 7;
        total += v < chain ? t.size[v] : 0;
    }

    double t0 = now();
    struct graph g;
    tg_build(&t, &g);
    double t1 = now();
    struct dom d;
    dom_compute(&d, &g);
    double t2 = now();
    dom_retained_sizes(&d, &g);
    uint32_t top[10];
    CHECK_EQ(dom_top_retainers(&d, 10, top), 10);
    struct dom_site sites[7];
    CHECK_EQ(dom_top_sites(&d, &g, 7, sites), 7);
    double t3 = now();
    struct path p;
    CHECK_EQ(path_shortest(&g, chain - 1, &p), 0);
    double t4 = now();
    printf("%s: %u nodes, %u edges: build %.3f s, dominators %.3f s, retained+top %.3f s, "
           "path %.3f s (%u steps)\n",
           shortcuts ? "1M chain + shortcuts" : "1M chain", n, g.nedges, t1 - t0, t2 - t1,
           t3 - t2, t4 - t3, p.len - 1);

    CHECK_EQ(d.nreach, chain);
    CHECK_EQ(d.retained[0], total);
    CHECK_EQ(d.idom[chain], GRAPH_NONE);
    CHECK_EQ(d.idom[n - 1], GRAPH_NONE);
    for (int i = 0; i < 7; i++) /* heads of one site are disjoint subtrees */
        CHECK(sites[i].retained <= total);
    if (!shortcuts) {
        uint32_t bad = 0;
        for (uint32_t v = 1; v < chain; v++)
            bad += d.idom[v] != v - 1;
        CHECK_EQ(bad, 0);
        CHECK_EQ(top[0], 1);
        CHECK_EQ(p.len, chain);
        CHECK_EQ(sites[0].heads, 1); /* the chain's head of each site holds the rest */
    } else {
        /*
         * Every pointer u -> v leaves from inside idom(v)'s subtree (idom(v)
         * is on every path to v). Subtree spans come from an explicit-stack
         * DFS over child lists, independent of dominators.c.
         */
        uint32_t *first = calloc(n + 1, sizeof(uint32_t)), *kids = malloc(n * sizeof(uint32_t));
        uint32_t *tin = malloc(n * sizeof(uint32_t)), *tout = malloc(n * sizeof(uint32_t));
        uint32_t *stack = malloc(n * sizeof(uint32_t)), *cur = malloc(n * sizeof(uint32_t));
        for (uint32_t v = 1; v < n; v++)
            if (d.idom[v] != GRAPH_NONE)
                first[d.idom[v] + 1]++;
        for (uint32_t v = 0; v < n; v++)
            first[v + 1] += first[v];
        memcpy(cur, first, n * sizeof(uint32_t));
        for (uint32_t v = 1; v < n; v++)
            if (d.idom[v] != GRAPH_NONE)
                kids[cur[d.idom[v]]++] = v;
        uint32_t sp = 0, clock = 0;
        stack[sp++] = 0;
        cur[0] = first[0];
        tin[0] = clock++;
        while (sp) {
            uint32_t v = stack[sp - 1];
            if (cur[v] == first[v + 1]) {
                tout[v] = clock;
                sp--;
                continue;
            }
            uint32_t w = kids[cur[v]++];
            tin[w] = clock++;
            cur[w] = first[w];
            stack[sp++] = w;
        }
        CHECK_EQ(clock, chain);
        uint32_t bad = 0;
        for (size_t i = 0; i < t.nedges; i++) {
            uint32_t u = t.edges[i].from, v = t.edges[i].to, a = d.idom[v];
            if (d.idom[u] == GRAPH_NONE || v == 0)
                continue;
            bad += !(tin[a] <= tin[u] && tin[u] < tout[a]);
        }
        CHECK_EQ(bad, 0);
        free(first);
        free(kids);
        free(tin);
        free(tout);
        free(stack);
        free(cur);
    }
    path_release(&p);
    dom_release(&d);
    graph_release(&g);
    tg_free(&t);
}

int main(void)
{
    check_degenerate();
    check_sites_example();
    check_random(1, 8, 2000);
    check_random(1, 60, 4000);
    check_random(200, 600, 20);
    check_big(false);
    check_big(true);
    return check_exit();
}
