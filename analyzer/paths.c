/* SPDX-License-Identifier: MIT */
/*
 * paths.c - see paths.h. One breadth-first search records, per reached
 * node, the edge it was reached by; a node's parent is that edge's source
 * (graph_edge_source), which saves a parent array at the price of
 * O(log n) per step when the path is read back.
 */
#include "paths.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Reads the path to v back through via[] (the edge each node was reached by). */
static void path_unwind(const struct graph *g, const uint32_t *via, uint32_t v, struct path *p)
{
    uint32_t len = 1;
    for (uint32_t u = v; u != GRAPH_ROOT; u = graph_edge_source(g, via[u]))
        len++;
    p->len = len;
    p->nodes = xmalloc((size_t)len * sizeof(uint32_t));
    p->interior = xmalloc(len > 1 ? (size_t)(len - 1) * sizeof(bool) : 1);
    for (uint32_t i = len - 1, u = v; i > 0; i--) {
        p->nodes[i] = u;
        p->interior[i - 1] = graph_edge_interior(g, via[u]);
        u = graph_edge_source(g, via[u]);
    }
    p->nodes[0] = GRAPH_ROOT;
}

/*
 * The queue says which nodes come next, and each one's row offsets, row and
 * targets' via[] are cache misses on a big graph: they are fetched ahead in
 * stages. always_inline: gcc drops a call that only prefetches.
 */
#define PF_OFF 48
#define PF_ROW 24
#define PF_VIA 8

static inline __attribute__((always_inline)) void
bfs_prefetch(const struct graph *g, const uint32_t *via, const uint32_t *queue, uint32_t head,
             uint32_t tail)
{
    if (head + PF_OFF < tail)
        __builtin_prefetch(&g->out_off[queue[head + PF_OFF]]);
    if (head + PF_ROW < tail)
        __builtin_prefetch(&g->out_adj[graph_out_begin(g, queue[head + PF_ROW])]);
    if (head + PF_VIA < tail) {
        uint32_t v = queue[head + PF_VIA], e = graph_out_begin(g, v);
        for (uint32_t end = graph_prefetch_end(e, graph_out_end(g, v)); e < end; e++)
            __builtin_prefetch(&via[graph_edge_target(g, e)]);
    }
}

uint32_t *path_bfs_tree(const struct graph *g, uint32_t **order, uint32_t *nvisited)
{
    uint32_t *via = xmalloc((size_t)g->nnodes * sizeof(uint32_t));
    uint32_t *queue = xmalloc((size_t)g->nnodes * sizeof(uint32_t));
    memset(via, 0xff, (size_t)g->nnodes * sizeof(uint32_t));
    uint32_t head = 0, tail = 0;
    queue[tail++] = GRAPH_ROOT;
    while (head < tail) {
        bfs_prefetch(g, via, queue, head, tail);
        uint32_t v = queue[head++];
        for (uint32_t e = graph_out_begin(g, v); e < graph_out_end(g, v); e++) {
            uint32_t w = graph_edge_target(g, e);
            if (w == GRAPH_ROOT || via[w] != GRAPH_NONE)
                continue;
            via[w] = e;
            queue[tail++] = w;
        }
    }
    if (order) {
        *order = queue;
        *nvisited = tail;
    } else {
        free(queue);
    }
    return via;
}

int path_from_tree(const struct graph *g, const uint32_t *via, uint32_t target, struct path *p)
{
    memset(p, 0, sizeof(*p));
    if (target >= g->nnodes || (target != GRAPH_ROOT && via[target] == GRAPH_NONE))
        return -1;
    path_unwind(g, via, target, p);
    return 0;
}

int path_shortest(const struct graph *g, uint32_t target, struct path *p)
{
    memset(p, 0, sizeof(*p));
    if (target >= g->nnodes)
        return -1;
    uint32_t *via = path_bfs_tree(g, NULL, NULL);
    int rc = path_from_tree(g, via, target, p);
    free(via);
    return rc;
}

int path_shortest_to_site(const struct graph *g, uint32_t site, struct path *p)
{
    uint32_t *order, n;
    uint32_t *via = path_bfs_tree(g, &order, &n);
    int rc = -1;
    memset(p, 0, sizeof(*p));
    for (uint32_t i = 0; i < n && rc != 0; i++) /* the nearest first */
        if (graph_site(g, order[i]) == site)
            rc = path_from_tree(g, via, order[i], p);
    free(order);
    free(via);
    return rc;
}

void path_release(struct path *p)
{
    free(p->nodes);
    free(p->interior);
    memset(p, 0, sizeof(*p));
}
