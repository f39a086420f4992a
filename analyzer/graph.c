/* SPDX-License-Identifier: MIT */
/*
 * graph.c - see graph.h. Each direction is a counting sort of the edge list:
 * count the degrees, turn them into row ends with a prefix sum, then place
 * the edges last to first while decrementing the row ends, which leaves each
 * row in input order and the offsets at the row starts, with no cursor array.
 */
#include "graph.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static bool graph_edge_valid(const struct graph_edge *e, uint32_t nnodes)
{
    return e->from < nnodes && e->to < nnodes;
}

/* Fills off (nnodes + 1 entries) and adj for one direction; reverse picks to -> from. */
static void graph_fill_rows(struct graph *g, const struct graph_edge *edges, size_t nedges,
                            bool reverse)
{
    uint32_t *off = xcalloc((size_t)g->nnodes + 1, sizeof(uint32_t));
    uint32_t *adj = xmalloc((size_t)g->nedges * sizeof(uint32_t));
    for (size_t i = 0; i < nedges; i++)
        if (graph_edge_valid(&edges[i], g->nnodes))
            off[reverse ? edges[i].to : edges[i].from]++;
    uint32_t sum = 0;
    for (uint32_t v = 0; v < g->nnodes; v++) {
        sum += off[v];
        off[v] = sum;
    }
    off[g->nnodes] = sum;
    for (size_t i = nedges; i-- > 0;) {
        const struct graph_edge *e = &edges[i];
        if (!graph_edge_valid(e, g->nnodes))
            continue;
        uint32_t pos = --off[reverse ? e->to : e->from];
        adj[pos] = reverse ? e->from : e->to;
        if (reverse)
            continue;
        g->edge_offset[pos] = e->offset;
        if (e->interior)
            g->interior_bits[pos / 64] |= (uint64_t)1 << (pos % 64);
    }
    if (reverse) {
        g->in_off = off;
        g->in_adj = adj;
    } else {
        g->out_off = off;
        g->out_adj = adj;
    }
}

int graph_build(struct graph *g, uint32_t nnodes, const struct graph_edge *edges, size_t nedges)
{
    memset(g, 0, sizeof(*g));
    if (nnodes == 0 || nnodes == GRAPH_NONE)
        return -1;
    size_t valid = 0;
    for (size_t i = 0; i < nedges; i++)
        valid += graph_edge_valid(&edges[i], nnodes);
    if (valid >= UINT32_MAX)
        return -1;
    g->nnodes = nnodes;
    g->nedges = (uint32_t)valid;
    g->bad_edges = nedges - valid;
    g->interior_bits = xcalloc(valid / 64 + 1, sizeof(uint64_t));
    g->edge_offset = xmalloc((valid ? valid : 1) * sizeof(uint32_t));
    graph_fill_rows(g, edges, nedges, false);
    graph_fill_rows(g, edges, nedges, true);
    g->size = xcalloc(nnodes, sizeof(uint64_t));
    g->site = xcalloc(nnodes, sizeof(uint32_t));
    return 0;
}

void graph_release(struct graph *g)
{
    free(g->out_off);
    free(g->out_adj);
    free(g->in_off);
    free(g->in_adj);
    free(g->interior_bits);
    free(g->edge_offset);
    free(g->size);
    free(g->site);
    memset(g, 0, sizeof(*g));
}

uint32_t graph_edge_source(const struct graph *g, uint32_t e)
{
    assert(e < g->nedges);
    uint32_t lo = 0, hi = g->nnodes; /* out_off[lo] <= e < out_off[hi] */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->out_off[mid] <= e)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
