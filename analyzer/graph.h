/* SPDX-License-Identifier: MIT */
/*
 * graph.h - the retention graph of a heap snapshot: nodes are live blocks,
 * an edge u -> v says "block u holds a pointer to block v" (to its first
 * byte, or an interior pointer), and node 0 is the super-root whose edges
 * stand for the roots (globals, thread stacks, TLS, registers).
 *
 * Invariants: nodes are numbered 0..nnodes-1 (uint32_t, GRAPH_NONE is never
 * a node); node 0 is the super-root. The graph is immutable once built and
 * stored as compressed sparse rows in both directions: out_adj[out_off[v] ..
 * out_off[v+1]) are v's targets in the order the edge list gave them, and
 * in_adj likewise holds v's sources. An edge is named by its position e in
 * out_adj ("edge id"), which keys the interior-pointer bit set. Duplicate
 * edges and self-loops are kept (every algorithm here tolerates them); edges
 * with an endpoint >= nnodes are dropped and counted in bad_edges.
 *
 * Memory: 8 (n + 1) + 12 m + m / 8 bytes for the adjacency and the edge
 * offsets, plus 12 n for the node attributes (size, site), with no per-node allocation: 10 M nodes and
 * 50 M edges take about 0.6 GB. Building is O(n + m) with no sort.
 * Not thread-safe while building; read-only use from many threads is fine.
 */
#ifndef HT_GRAPH_H
#define HT_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRAPH_ROOT 0u
#define GRAPH_NONE UINT32_MAX

/* One pointer found in a snapshot; the input of graph_build. */
struct graph_edge {
    uint32_t from, to;
    bool interior;   /* points inside the block, not at its first byte */
    uint32_t offset; /* where in `from` the pointer lies (bytes; 0 when unknown) */
};

struct graph {
    uint32_t nnodes;
    uint32_t nedges;    /* edges kept */
    uint64_t bad_edges; /* dropped: an endpoint was not a node */
    uint32_t *out_off, *out_adj;
    uint32_t *in_off, *in_adj;
    uint64_t *interior_bits; /* bit e set: edge e is an interior pointer */
    uint32_t *edge_offset;   /* per edge id: graph_edge.offset */
    uint64_t *size;          /* bytes of each block; 0 for the super-root */
    uint32_t *site;          /* allocation-site id of each block; 0 = none */
};

/*
 * Builds g from an edge list the caller keeps ownership of (it may be freed
 * right after). Node sizes and sites start at 0: set them with
 * graph_set_node. Out of memory exits (xalloc.h). O(n + m).
 * @return 0, or -1 (g left empty, graph_release still safe) when nnodes is
 * 0 or GRAPH_NONE, or when UINT32_MAX or more edges are valid.
 */
int graph_build(struct graph *g, uint32_t nnodes, const struct graph_edge *edges, size_t nedges);

/* Frees the arrays and zeroes g; graph_release of a zeroed g is a no-op. */
void graph_release(struct graph *g);

/* Node attributes; v must be < g->nnodes. Cannot fail. */
static inline void graph_set_node(struct graph *g, uint32_t v, uint64_t size, uint32_t site)
{
    g->size[v] = size;
    g->site[v] = site;
}

static inline uint64_t graph_size(const struct graph *g, uint32_t v)
{
    return g->size[v];
}

static inline uint32_t graph_site(const struct graph *g, uint32_t v)
{
    return g->site[v];
}

/* v's out-edges are the edge ids graph_out_begin(v) .. graph_out_end(v) - 1. */
static inline uint32_t graph_out_begin(const struct graph *g, uint32_t v)
{
    return g->out_off[v];
}

static inline uint32_t graph_out_end(const struct graph *g, uint32_t v)
{
    return g->out_off[v + 1];
}

static inline uint32_t graph_edge_target(const struct graph *g, uint32_t e)
{
    return g->out_adj[e];
}

/* Where in its source block edge e's pointer lies, in bytes (0: unknown). */
static inline uint32_t graph_edge_offset(const struct graph *g, uint32_t e)
{
    return g->edge_offset[e];
}

static inline bool graph_edge_interior(const struct graph *g, uint32_t e)
{
    return (g->interior_bits[e / 64] >> (e % 64)) & 1;
}

/* The source of edge e (< nedges): a binary search over the rows, O(log n). */
uint32_t graph_edge_source(const struct graph *g, uint32_t e);

/* v's predecessors are graph_in_source(i) for i in graph_in_begin(v) .. graph_in_end(v) - 1. */
static inline uint32_t graph_in_begin(const struct graph *g, uint32_t v)
{
    return g->in_off[v];
}

static inline uint32_t graph_in_end(const struct graph *g, uint32_t v)
{
    return g->in_off[v + 1];
}

static inline uint32_t graph_in_source(const struct graph *g, uint32_t i)
{
    return g->in_adj[i];
}

/* Where a walk that fetches ahead stops in the row [begin, end): after
 * GRAPH_PREFETCH_ROW entries, so that a block pointing to millions (a hash
 * table's bucket array) does not flush the cache. */
#define GRAPH_PREFETCH_ROW 16

static inline uint32_t graph_prefetch_end(uint32_t begin, uint32_t end)
{
    return end - begin > GRAPH_PREFETCH_ROW ? begin + GRAPH_PREFETCH_ROW : end;
}

#endif /* HT_GRAPH_H */
