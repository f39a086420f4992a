/* SPDX-License-Identifier: MIT */
/*
 * dominators.h - the dominator tree of a retention graph (graph.h) rooted at
 * the super-root, and what it answers: how many bytes each block keeps alive
 * (its retained size), which blocks and which allocation sites retain most.
 *
 * Block d dominates block v when every pointer path from the roots to v goes
 * through d: freeing d (and dropping its pointers) would make v garbage. The
 * immediate dominator idom(v) is the strict dominator of v that all other
 * strict dominators of v dominate; the idom links form a tree rooted at 0.
 *
 * Algorithm: Lengauer-Tarjan, the "simple" version (path compression without
 * balanced linking), O(m log n) time and O(n) extra space in the worst case,
 * near linear on real heaps. It was chosen over Cooper-Harvey-Kennedy because
 * CHK's iteration count depends on the graph and its intersect walks can go
 * quadratic on the deep, chain-shaped dominator trees that linked lists of
 * millions of blocks produce. Everything is iterative (explicit stacks), so
 * depth is bounded by memory, not by the C stack.
 *
 * Invariants after dom_compute: idom[0] == 0; idom[v] == GRAPH_NONE exactly
 * for the nodes unreachable from the super-root (the "definitely lost"
 * candidates); order[] lists the nreach reachable nodes in DFS preorder from
 * node 0, and every node comes after its idom there (an idom is a proper
 * ancestor in the DFS tree), so a reverse walk of order[] is a bottom-up
 * walk of the dominator tree. Not thread-safe; read-only use is.
 *
 * Memory: 8 n bytes for the result, plus 32 n bytes while computing (freed
 * before dom_compute returns); dom_retained_sizes adds 12 n.
 */
#ifndef HT_DOMINATORS_H
#define HT_DOMINATORS_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

struct dom {
    uint32_t nnodes;
    uint32_t nreach;          /* reachable nodes, the super-root included */
    uint32_t *idom;           /* per node; see the invariants above */
    uint32_t *order;          /* nreach nodes, DFS preorder, order[0] == 0 */
    uint64_t *retained;       /* dom_retained_sizes: per node, 0 when unreachable */
    uint32_t *retained_count; /* dom_retained_sizes: blocks, the node included */
};

/*
 * Computes the dominator tree of g rooted at node 0 into d (d's previous
 * contents are not freed). Cannot fail: out of memory exits (xalloc.h).
 * O(m log n) time.
 */
void dom_compute(struct dom *d, const struct graph *g);

/*
 * Fills d->retained and d->retained_count: for a reachable v, the sum of
 * the sizes (and the number) of the nodes v dominates, v included. So
 * retained[0] is every reachable byte and retained[v] is what freeing v
 * would release. Unreachable nodes get 0 and 0: they are outside the tree.
 * One bottom-up pass over order[], O(n). Cannot fail.
 */
void dom_retained_sizes(struct dom *d, const struct graph *g);

/*
 * The (at most) k reachable nodes other than the super-root with the
 * largest retained size, written to out[] by decreasing retained size, ties
 * by increasing node number (deterministic). Needs dom_retained_sizes.
 * O(n log k). @return how many were written: min(k, nreach - 1).
 */
size_t dom_top_retainers(const struct dom *d, size_t k, uint32_t *out);

/* What one allocation site keeps alive; see dom_top_sites. */
struct dom_site {
    uint32_t site;
    uint32_t heads;           /* its blocks that no block of the same site dominates */
    uint64_t blocks;          /* its reachable blocks */
    uint64_t retained;        /* bytes: the sum of its heads' retained sizes */
    uint64_t retained_blocks; /* blocks: the sum of its heads' retained counts */
};

/*
 * Aggregates retained sizes per allocation site (site 0, "none", is left
 * out) and writes the (at most) k sites with the largest retained bytes to
 * out[], ties by increasing site id. Needs dom_retained_sizes.
 *
 * The rule: a block counts for its site only when none of its strict
 * dominators has the same site (it is a "head"); the site's retained size
 * is the sum of its heads' retained sizes. Heads of one site never dominate
 * each other, so their dominator subtrees are disjoint and nothing is
 * counted twice: the result is the number of bytes dominated by at least
 * one block of the site. A list of 10,000 same-site nodes counts once, at
 * its head, and so does a same-site block below a block of another site
 * below a block of the first site (checking only idom's site would count it
 * twice). It is a lower bound on what freeing every block of the site would
 * release: a block kept alive by two blocks of the site together, but by
 * neither alone, is not counted.
 *
 * O(n) plus a hash of the sites, and 12 n bytes of scratch.
 * @return how many sites were written: min(k, sites with a reachable block).
 */
size_t dom_top_sites(const struct dom *d, const struct graph *g, size_t k, struct dom_site *out);

/* Frees the arrays and zeroes d; a no-op on a zeroed d. */
void dom_release(struct dom *d);

#endif /* HT_DOMINATORS_H */
