/* SPDX-License-Identifier: MIT */
/*
 * paths.c - see paths.h. The search records, per reached node, the edge it
 * was reached by; a node's parent is that edge's source (graph_edge_source),
 * which saves a parent array at the price of O(log n) per step when the
 * path is read back.
 */
#include "paths.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct path_goal {
    uint32_t node; /* GRAPH_NONE: match by site */
    uint32_t site;
};

static bool path_matches(const struct graph *g, const struct path_goal *goal, uint32_t v)
{
    return goal->node == GRAPH_NONE ? graph_site(g, v) == goal->site : v == goal->node;
}

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

static int path_search(const struct graph *g, const struct path_goal *goal, struct path *p)
{
    memset(p, 0, sizeof(*p));
    if (path_matches(g, goal, GRAPH_ROOT)) {
        path_unwind(g, NULL, GRAPH_ROOT, p);
        return 0;
    }
    uint32_t *via = xmalloc((size_t)g->nnodes * sizeof(uint32_t));
    uint32_t *queue = xmalloc((size_t)g->nnodes * sizeof(uint32_t));
    memset(via, 0xff, (size_t)g->nnodes * sizeof(uint32_t)); /* GRAPH_NONE: not reached */
    uint32_t head = 0, tail = 0, found = GRAPH_NONE;
    queue[tail++] = GRAPH_ROOT;
    while (head < tail && found == GRAPH_NONE) {
        uint32_t v = queue[head++];
        for (uint32_t e = graph_out_begin(g, v); e < graph_out_end(g, v); e++) {
            uint32_t w = graph_edge_target(g, e);
            if (w == GRAPH_ROOT || via[w] != GRAPH_NONE)
                continue;
            via[w] = e;
            if (path_matches(g, goal, w)) {
                found = w;
                break;
            }
            queue[tail++] = w;
        }
    }
    if (found != GRAPH_NONE)
        path_unwind(g, via, found, p);
    free(via);
    free(queue);
    return found != GRAPH_NONE ? 0 : -1;
}

int path_shortest(const struct graph *g, uint32_t target, struct path *p)
{
    if (target >= g->nnodes) {
        memset(p, 0, sizeof(*p));
        return -1;
    }
    const struct path_goal goal = {.node = target};
    return path_search(g, &goal, p);
}

int path_shortest_to_site(const struct graph *g, uint32_t site, struct path *p)
{
    const struct path_goal goal = {.node = GRAPH_NONE, .site = site};
    return path_search(g, &goal, p);
}

void path_release(struct path *p)
{
    free(p->nodes);
    free(p->interior);
    memset(p, 0, sizeof(*p));
}
