/* SPDX-License-Identifier: MIT */
/*
 * dominators.c - see dominators.h. The Lengauer-Tarjan part follows the
 * paper (T. Lengauer, R. E. Tarjan, "A fast algorithm for finding
 * dominators in a flowgraph", TOPLAS 1979), steps 1-4, with its simple
 * LINK/EVAL, working on DFS numbers (0 is the super-root) so that the hot
 * arrays are dense and indexed by number, not by node.
 */
#include "dominators.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "xalloc.h"

/* ------------------------------------------------------------------------
 * Lengauer-Tarjan
 * ---------------------------------------------------------------------- */

/*
 * EVAL touches ancestor, label and semi of the same vertex together, at
 * random places on big heaps, so they share one 16-byte record: one cache
 * miss instead of three. On a random 10 M-node, 50 M-edge graph the whole
 * computation is bound by such misses (about 25 s on the dev box).
 */
struct lt_vert {
    uint32_t semi;     /* semidominator, as a DFS number */
    uint32_t label;    /* EVAL: the vertex of least semi on the compressed path */
    uint32_t ancestor; /* LINK forest, GRAPH_NONE for a forest root */
    uint32_t idom;     /* as a DFS number: relative (step 3), then final (step 4) */
};

/* Scratch of one dom_compute; every array has nnodes entries, indexed by DFS number. */
struct lt {
    uint32_t *dfn;        /* node -> DFS number, GRAPH_NONE when unreachable */
    uint32_t *vertex;     /* DFS number -> node */
    uint32_t *parent;     /* DFS tree parent */
    struct lt_vert *vert; /* by DFS number */
    uint32_t *bucket;     /* the DFS edge cursors first, then the head of the list of
                             vertices whose semi is this one */
    uint32_t *next;       /* next in that list */
    uint32_t *stack;      /* DFS stack, then EVAL's compression stack */
    uint32_t n;           /* reachable vertices */
};

static uint32_t *lt_array(uint32_t n)
{
    return xmalloc((size_t)n * sizeof(uint32_t));
}

/* Step 1: number the reachable nodes in DFS preorder, iteratively. */
static void lt_dfs(struct lt *t, const struct graph *g)
{
    uint32_t *cursor = t->bucket;
    uint32_t sp = 0;
    t->dfn[GRAPH_ROOT] = 0;
    t->vertex[0] = GRAPH_ROOT;
    t->parent[0] = GRAPH_NONE;
    t->n = 1;
    t->stack[sp] = GRAPH_ROOT;
    cursor[sp++] = graph_out_begin(g, GRAPH_ROOT);
    while (sp > 0) {
        uint32_t v = t->stack[sp - 1];
        uint32_t end = graph_out_end(g, v), e = cursor[sp - 1];
        while (e < end && t->dfn[graph_edge_target(g, e)] != GRAPH_NONE)
            e++;
        if (e == end) {
            sp--;
            continue;
        }
        cursor[sp - 1] = e + 1;
        uint32_t w = graph_edge_target(g, e);
        /* w's row next: its targets' numbers and rows are asked for
         * together, so the walk waits on two misses a vertex, not three */
        uint32_t f = graph_out_begin(g, w), f_end = graph_prefetch_end(f, graph_out_end(g, w));
        for (; f < f_end; f++) {
            __builtin_prefetch(&t->dfn[graph_edge_target(g, f)]);
            __builtin_prefetch(&g->out_off[graph_edge_target(g, f)]);
        }
        t->dfn[w] = t->n;
        t->vertex[t->n] = w;
        t->parent[t->n] = t->dfn[v];
        t->n++;
        t->stack[sp] = w;
        cursor[sp++] = graph_out_begin(g, w);
    }
}

/*
 * EVAL(v): the vertex of least semi on the forest path from v up to, but
 * not including, its forest root. COMPRESS is the paper's recursion turned
 * into two loops: climb while the grandparent is linked, then fix labels
 * and shortcut ancestors from the top down.
 */
static uint32_t lt_eval(struct lt *t, uint32_t v)
{
    struct lt_vert *x = t->vert;
    if (x[v].ancestor == GRAPH_NONE)
        return v;
    uint32_t sp = 0;
    for (uint32_t u = v; x[x[u].ancestor].ancestor != GRAPH_NONE; u = x[u].ancestor)
        t->stack[sp++] = u;
    while (sp > 0) {
        uint32_t u = t->stack[--sp], a = x[u].ancestor;
        if (x[x[a].label].semi < x[x[u].label].semi)
            x[u].label = x[a].label;
        x[u].ancestor = x[a].ancestor;
    }
    return x[v].label;
}

/*
 * Step 2 visits vertices in falling DFS order, which is random in memory:
 * each one's in-row offsets, its row, and its predecessors' DFS numbers and
 * records are cache misses, but not dependent ones across vertices, so
 * they are fetched ahead in stages (each stage's address comes from the
 * one before, which arrived meanwhile).
 */
#define PF_ROW 64
#define PF_ADJ 40
#define PF_DFN 24
#define PF_VERT 8

static inline __attribute__((always_inline)) void
lt_semi_prefetch(const struct lt *t, const struct graph *g, uint32_t w)
{
    if (w > PF_ROW)
        __builtin_prefetch(&g->in_off[t->vertex[w - PF_ROW]]);
    if (w > PF_ADJ)
        __builtin_prefetch(&g->in_adj[graph_in_begin(g, t->vertex[w - PF_ADJ])]);
    if (w > PF_DFN) {
        uint32_t node = t->vertex[w - PF_DFN], i = graph_in_begin(g, node);
        for (uint32_t end = graph_prefetch_end(i, graph_in_end(g, node)); i < end; i++)
            __builtin_prefetch(&t->dfn[graph_in_source(g, i)]);
    }
    if (w > PF_VERT) {
        uint32_t node = t->vertex[w - PF_VERT], i = graph_in_begin(g, node);
        for (uint32_t end = graph_prefetch_end(i, graph_in_end(g, node)); i < end; i++) {
            uint32_t v = t->dfn[graph_in_source(g, i)];
            if (v != GRAPH_NONE)
                __builtin_prefetch(&t->vert[v]);
        }
    }
}

/* Steps 2 and 3: semidominators, and idoms implicitly (relative to semi). */
static void lt_semi(struct lt *t, const struct graph *g)
{
    struct lt_vert *x = t->vert;
    for (uint32_t w = 0; w < t->n; w++) {
        x[w] = (struct lt_vert){.semi = w, .label = w, .ancestor = GRAPH_NONE};
        t->bucket[w] = GRAPH_NONE;
    }
    for (uint32_t w = t->n - 1; w > 0; w--) {
        lt_semi_prefetch(t, g, w);
        uint32_t node = t->vertex[w], semi = w;
        for (uint32_t i = graph_in_begin(g, node); i < graph_in_end(g, node); i++) {
            uint32_t v = t->dfn[graph_in_source(g, i)];
            if (v == GRAPH_NONE)
                continue; /* a pointer from an unreachable block proves nothing */
            /* v < w is not linked yet, so EVAL(v) = v and semi(v) = v: skip the lookup */
            uint32_t candidate = v < w ? v : x[lt_eval(t, v)].semi;
            if (candidate < semi)
                semi = candidate;
        }
        x[w].semi = semi;
        t->next[w] = t->bucket[semi];
        t->bucket[semi] = w;
        uint32_t p = t->parent[w];
        x[w].ancestor = p; /* LINK(p, w) */
        for (uint32_t v = t->bucket[p]; v != GRAPH_NONE; v = t->next[v]) {
            uint32_t u = lt_eval(t, v);
            x[v].idom = x[u].semi < x[v].semi ? u : p;
        }
        t->bucket[p] = GRAPH_NONE;
    }
}

/* Step 4: explicit idoms, in increasing DFS order so idom[idom[w]] is final. */
static void lt_idom(struct lt *t)
{
    struct lt_vert *x = t->vert;
    x[0].idom = 0;
    for (uint32_t w = 1; w < t->n; w++)
        if (x[w].idom != x[w].semi)
            x[w].idom = x[x[w].idom].idom;
}

void dom_compute(struct dom *d, const struct graph *g)
{
    uint32_t n = g->nnodes;
    struct lt t = {
        .dfn = lt_array(n), .vertex = lt_array(n), .parent = lt_array(n),
        .vert = xmalloc((size_t)n * sizeof(struct lt_vert)), .bucket = lt_array(n),
        .next = lt_array(n), .stack = lt_array(n),
    };
    memset(t.dfn, 0xff, (size_t)n * sizeof(uint32_t)); /* GRAPH_NONE */
    lt_dfs(&t, g);
    lt_semi(&t, g);
    lt_idom(&t);

    /* Back from DFS numbers to nodes, in place: dfn becomes idom, vertex becomes order. */
    for (uint32_t v = 0; v < n; v++)
        if (t.dfn[v] != GRAPH_NONE)
            t.dfn[v] = t.vertex[t.vert[t.dfn[v]].idom];
    memset(d, 0, sizeof(*d));
    d->nnodes = n;
    d->nreach = t.n;
    d->idom = t.dfn;
    d->order = xreallocarray(t.vertex, t.n, sizeof(uint32_t));
    free(t.parent);
    free(t.vert);
    free(t.bucket);
    free(t.next);
    free(t.stack);
}

void dom_release(struct dom *d)
{
    free(d->idom);
    free(d->order);
    free(d->retained);
    free(d->retained_count);
    memset(d, 0, sizeof(*d));
}

/* Passes over the nodes in DFS or tree order, random in memory, fetch
 * this far ahead. */
#define PF_NODE 16

/* ------------------------------------------------------------------------
 * Retained sizes
 * ---------------------------------------------------------------------- */

void dom_retained_sizes(struct dom *d, const struct graph *g)
{
    assert(g->nnodes == d->nnodes);
    free(d->retained);
    free(d->retained_count);
    d->retained = xcalloc(d->nnodes, sizeof(uint64_t));
    d->retained_count = xcalloc(d->nnodes, sizeof(uint32_t));
    for (uint32_t i = 0; i < d->nreach; i++) {
        if (i + PF_NODE < d->nreach) {
            uint32_t ahead = d->order[i + PF_NODE];
            __builtin_prefetch(&g->size[ahead]);
            __builtin_prefetch(&d->retained[ahead], 1);
            __builtin_prefetch(&d->retained_count[ahead], 1);
        }
        uint32_t v = d->order[i];
        d->retained[v] = graph_size(g, v);
        d->retained_count[v] = 1;
    }
    for (uint32_t i = d->nreach; i-- > 1;) {
        if (i > PF_NODE) {
            uint32_t ahead = d->order[i - PF_NODE];
            __builtin_prefetch(&d->idom[ahead]);
            __builtin_prefetch(&d->retained[ahead]);
            __builtin_prefetch(&d->retained_count[ahead]);
        }
        uint32_t v = d->order[i], p = d->idom[v];
        d->retained[p] += d->retained[v];
        d->retained_count[p] += d->retained_count[v];
    }
}

/* ------------------------------------------------------------------------
 * Top retainers: a size-k min-heap whose top is the weakest kept so far
 * ---------------------------------------------------------------------- */

static bool dom_stronger(const struct dom *d, uint32_t a, uint32_t b)
{
    if (d->retained[a] != d->retained[b])
        return d->retained[a] > d->retained[b];
    return a < b;
}

static void dom_heap_down(const struct dom *d, uint32_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t weakest = i, l = 2 * i + 1, r = l + 1;
        if (l < n && dom_stronger(d, h[weakest], h[l]))
            weakest = l;
        if (r < n && dom_stronger(d, h[weakest], h[r]))
            weakest = r;
        if (weakest == i)
            return;
        uint32_t tmp = h[i];
        h[i] = h[weakest];
        h[weakest] = tmp;
        i = weakest;
    }
}

size_t dom_top_retainers(const struct dom *d, size_t k, uint32_t *out)
{
    assert(d->retained);
    size_t n = 0;
    for (uint32_t i = 1; i < d->nreach && k > 0; i++) {
        uint32_t v = d->order[i];
        if (n < k) {
            out[n++] = v;
            if (n == k) /* heapify once full */
                for (size_t j = k / 2 + 1; j-- > 0;)
                    dom_heap_down(d, out, n, j);
        } else if (dom_stronger(d, v, out[0])) {
            out[0] = v;
            dom_heap_down(d, out, n, 0);
        }
    }
    if (n < k) /* never filled: make it a heap for the sort below */
        for (size_t j = n / 2 + 1; j-- > 0;)
            dom_heap_down(d, out, n, j);
    /* heap sort: moving the weakest to the end leaves out[] strongest first */
    for (size_t end = n; end > 1; end--) {
        uint32_t tmp = out[0];
        out[0] = out[end - 1];
        out[end - 1] = tmp;
        dom_heap_down(d, out, end - 1, 0);
    }
    return n;
}

/* ------------------------------------------------------------------------
 * Per-site aggregation
 * ---------------------------------------------------------------------- */

struct dom_site_acc {
    struct dom_site s;
    uint32_t end; /* dominator-tree preorder position just past the last head's subtree */
};

/*
 * The reachable nodes in dominator-tree preorder, without child lists:
 * walking order[] (each node after its idom), a node takes the next free
 * slot inside its idom's span, and its own span is retained_count slots.
 * @return nreach nodes, by position; the caller frees it.
 */
static uint32_t *dom_tree_preorder(const struct dom *d)
{
    uint32_t *pos = lt_array(d->nnodes), *free_slot = lt_array(d->nnodes);
    pos[GRAPH_ROOT] = 0;
    free_slot[GRAPH_ROOT] = 1;
    for (uint32_t i = 1; i < d->nreach; i++) {
        if (i + PF_NODE < d->nreach) {
            uint32_t ahead = d->order[i + PF_NODE];
            __builtin_prefetch(&d->idom[ahead]);
            __builtin_prefetch(&d->retained_count[ahead]);
            __builtin_prefetch(&pos[ahead], 1);
            __builtin_prefetch(&free_slot[ahead], 1);
        }
        uint32_t v = d->order[i], p = d->idom[v];
        pos[v] = free_slot[p];
        free_slot[p] += d->retained_count[v];
        free_slot[v] = pos[v] + 1;
    }
    uint32_t *by_pos = free_slot; /* reused: free_slot is dead now */
    for (uint32_t i = 0; i < d->nreach; i++)
        by_pos[pos[d->order[i]]] = d->order[i];
    free(pos);
    return by_pos;
}

static int dom_site_cmp(const void *a, const void *b)
{
    const struct dom_site *x = a, *y = b;
    if (x->retained != y->retained)
        return x->retained > y->retained ? -1 : 1;
    return (x->site > y->site) - (x->site < y->site);
}

size_t dom_top_sites(const struct dom *d, const struct graph *g, size_t k, struct dom_site *out)
{
    assert(d->retained);
    uint32_t *by_pos = dom_tree_preorder(d);
    struct htab sites;
    htab_init(&sites, sizeof(struct dom_site_acc));
    /*
     * In preorder, the heads of one site have disjoint spans in increasing
     * order, so a block is under a same-site head iff it is inside the span
     * of the last head seen for its site.
     */
    for (uint32_t j = 1; j < d->nreach; j++) {
        if (j + PF_NODE < d->nreach) { /* preorder is random in node order */
            uint32_t ahead = by_pos[j + PF_NODE];
            __builtin_prefetch(&g->site[ahead]);
            __builtin_prefetch(&d->retained[ahead]);
            __builtin_prefetch(&d->retained_count[ahead]);
        }
        uint32_t v = by_pos[j], site = graph_site(g, v);
        if (site == 0)
            continue;
        struct dom_site_acc *a = htab_put(&sites, (uint64_t)site + 1, NULL);
        a->s.site = site;
        a->s.blocks++;
        if (j >= a->end) {
            a->s.heads++;
            a->s.retained += d->retained[v];
            a->s.retained_blocks += d->retained_count[v];
            a->end = j + d->retained_count[v];
        }
    }
    free(by_pos);
    struct dom_site *all = xcalloc(sites.count, sizeof(*all));
    size_t n = 0;
    for (size_t i = 0; i < sites.cap; i++)
        if (sites.keys[i])
            all[n++] = ((struct dom_site_acc *)htab_slot_val(&sites, i))->s;
    htab_release(&sites);
    qsort(all, n, sizeof(*all), dom_site_cmp);
    if (n > k)
        n = k;
    if (n > 0)
        memcpy(out, all, n * sizeof(*out));
    free(all);
    return n;
}
