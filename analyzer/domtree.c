/* SPDX-License-Identifier: MIT */
/*
 * domtree.c - the dominator tree of a snapshot merged by allocation site
 * and pruned to what a page can show (domtree.h).
 */
#include "domtree.h"

#include <stdlib.h>
#include <string.h>

#include "dominators.h"
#include "htab.h"
#include "retention.h"
#include "xalloc.h"

/* A merged node while building; index 0 is the super-root. */
struct dt_tmp {
    uint32_t parent, depth, site, best; /* best: its head that retains most */
    uint64_t retained_bytes, retained_blocks, blocks, bytes;
};

struct dt_build {
    struct dt_tmp *v;
    uint32_t n, cap;
    uint32_t *child_start, *children; /* children of node i: children[child_start[i] ..] */
};

static uint32_t dt_new(struct dt_build *b, uint32_t parent, uint32_t site)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
    }
    b->v[b->n] = (struct dt_tmp){.parent = parent, .site = site, .best = GRAPH_NONE,
                                 .depth = parent == DOMTREE_NONE ? 0 : b->v[parent].depth + 1};
    return b->n++;
}

/* Every reachable block into its merged node (see domtree.h). */
static void dt_merge(struct dt_build *b, const struct graph *g, const struct dom *d)
{
    uint32_t *node_of = xmalloc((size_t)g->nnodes * sizeof(uint32_t) + 4);
    struct htab index; /* (parent node << 32 | site) + 1 -> node */
    htab_init(&index, sizeof(uint32_t));
    dt_new(b, DOMTREE_NONE, 0);
    node_of[GRAPH_ROOT] = 0;
    for (uint32_t j = 1; j < d->nreach; j++) {
        uint32_t v = d->order[j], p = d->idom[v], pc = node_of[p], site = graph_site(g, v), c;
        if ((p != GRAPH_ROOT && graph_site(g, p) == site) || b->v[pc].depth >= DOMTREE_MAX_DEPTH) {
            c = pc;
        } else {
            bool existed;
            uint32_t *slot = htab_put(&index, ((uint64_t)pc << 32 | site) + 1, &existed);
            if (!existed)
                *slot = dt_new(b, pc, site);
            c = *slot;
        }
        node_of[v] = c;
        struct dt_tmp *t = &b->v[c];
        if (c != pc) { /* a head: what it retains is the node's */
            t->retained_bytes += d->retained[v];
            t->retained_blocks += d->retained_count[v];
            if (t->best == GRAPH_NONE || d->retained[v] > d->retained[t->best])
                t->best = v;
        }
        if (t->site == site) {
            t->blocks++;
            t->bytes += graph_size(g, v);
        }
    }
    htab_release(&index);
    free(node_of);
}

struct dt_key {
    uint64_t retained;
    uint32_t site, index;
};

static int dt_key_cmp(const void *pa, const void *pb)
{
    const struct dt_key *a = pa, *b = pb;
    if (a->retained != b->retained)
        return a->retained > b->retained ? -1 : 1;
    if (a->site != b->site)
        return a->site < b->site ? -1 : 1;
    return a->index < b->index ? -1 : 1;
}

/* Children lists, each by retained bytes (ties: site, then index). */
static void dt_children(struct dt_build *b)
{
    b->child_start = xcalloc((size_t)b->n + 1, sizeof(uint32_t));
    b->children = xmalloc((size_t)b->n * sizeof(uint32_t) + 4);
    for (uint32_t i = 1; i < b->n; i++)
        b->child_start[b->v[i].parent + 1]++;
    for (uint32_t i = 0; i < b->n; i++)
        b->child_start[i + 1] += b->child_start[i];
    struct dt_key *keys = xmalloc((size_t)b->n * sizeof(*keys) + sizeof(*keys));
    uint32_t *fill = xmalloc((size_t)b->n * sizeof(uint32_t) + 4);
    memcpy(fill, b->child_start, (size_t)b->n * sizeof(uint32_t));
    for (uint32_t i = 1; i < b->n; i++)
        keys[fill[b->v[i].parent]++] = (struct dt_key){b->v[i].retained_bytes, b->v[i].site, i};
    free(fill);
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t lo = b->child_start[i], hi = b->child_start[i + 1];
        if (hi - lo > 1)
            qsort(keys + lo, hi - lo, sizeof(*keys), dt_key_cmp);
        for (uint32_t k = lo; k < hi; k++)
            b->children[k] = keys[k].index;
    }
    free(keys);
}

void domtree_build(struct domtree *t, const struct graph *g, const struct dom *d,
                   const uint32_t *via, const struct snap_node *nodes,
                   const struct retention_root *root_of)
{
    domtree_release(t);
    struct dt_build b = {0};
    dt_merge(&b, g, d);
    dt_children(&b);
    /* breadth first from the super-root: parents before children */
    uint32_t *queue = xmalloc((size_t)b.n * sizeof(uint32_t) + 4), *out_of = queue;
    uint32_t head = 0, tail = 0;
    t->nodes = xcalloc(DOMTREE_MAX_NODES, sizeof(*t->nodes));
    queue[tail++] = 0;
    while (head < tail) {
        uint32_t x = queue[head], parent = head ? head - 1 : DOMTREE_NONE;
        head++;
        uint64_t rest_bytes = 0, rest_nodes = 0;
        for (uint32_t k = b.child_start[x], kept = 0; k < b.child_start[x + 1]; k++) {
            const struct dt_tmp *c = &b.v[b.children[k]];
            if (kept < DOMTREE_CHILDREN && t->n < DOMTREE_MAX_NODES) {
                kept++;
                queue[tail++] = b.children[k];
                t->nodes[t->n++] = (struct domtree_node){
                    .parent = parent, .depth = c->depth, .stack_id = c->site,
                    .retained_bytes = c->retained_bytes, .retained_blocks = c->retained_blocks,
                    .blocks = c->blocks, .bytes = c->bytes};
            } else {
                rest_bytes += c->retained_bytes;
                rest_nodes++;
            }
        }
        if (parent == DOMTREE_NONE) {
            t->others_bytes = rest_bytes;
            t->others_nodes = rest_nodes;
        } else {
            t->nodes[parent].others_bytes = rest_bytes;
            t->nodes[parent].others_nodes = rest_nodes;
        }
    }
    /* queue[i + 1] is output node i: the top level gets its path */
    for (size_t i = 0; i < t->n && t->nodes[i].parent == DOMTREE_NONE; i++) {
        uint32_t best = b.v[out_of[i + 1]].best;
        struct retention_path *p = xcalloc(1, sizeof(*p));
        if (best != GRAPH_NONE && retention_path_build(g, via, nodes, root_of, best, p))
            t->nodes[i].path = p;
        else
            free(p);
    }
    free(queue);
    free(b.v);
    free(b.child_start);
    free(b.children);
}

void domtree_release(struct domtree *t)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (t->nodes[i].path) {
            retention_path_free(t->nodes[i].path);
            free(t->nodes[i].path);
        }
    if (t) {
        free(t->nodes);
        memset(t, 0, sizeof(*t));
    }
}
