/* SPDX-License-Identifier: MIT */
/*
 * paths.h - why is this block alive: the shortest chain of pointers from
 * the roots (the super-root, node 0 of a graph.h graph) to a block, or to
 * any block of an allocation site, for a report to print as a retention path.
 *
 * A breadth-first search over out-edges, iterative: O(n + m) time and 8 n
 * bytes of scratch per query (path_bfs_tree: one search for many). Among
 * equally short paths the one found first in edge order wins (deterministic
 * for a given edge list). Where duplicate edges u -> v differ in kind, the
 * first in edge order decides the step's interior flag.
 * The graph is only read: queries on one graph may run in parallel.
 */
#ifndef HT_PATHS_H
#define HT_PATHS_H

#include <stdbool.h>
#include <stdint.h>

#include "graph.h"

struct path {
    uint32_t *nodes; /* len nodes: nodes[0] == 0, the last one is the match */
    bool *interior;  /* len - 1 steps: edge nodes[i] -> nodes[i + 1] is an interior pointer */
    uint32_t len;
};

/*
 * The shortest path from node 0 to target, into p (owned by the caller:
 * path_release). A target of 0 gives the one-node path.
 * @return 0, or -1 (p left empty) when target is unreachable or not a node.
 */
int path_shortest(const struct graph *g, uint32_t target, struct path *p);

/*
 * The shortest path from node 0 to any node whose site is `site`; ties go
 * to the node found first. @return 0, or -1 (p left empty) when no
 * reachable node has that site.
 */
int path_shortest_to_site(const struct graph *g, uint32_t site, struct path *p);

/*
 * For many queries on one graph: one breadth-first search from node 0 that
 * records, for every node, the edge it was first reached by (GRAPH_NONE for
 * node 0 and for unreachable nodes). O(n + m) time, 8 n bytes while running;
 * the result (n entries) is the caller's to free. With order != NULL, also
 * the visit order: *order gets the *nvisited reachable nodes, node 0 first,
 * by increasing distance from the roots (the caller frees it; without it,
 * the 4 n bytes are freed here). path_from_tree then reads
 * the shortest path to any node back in O(length log n): the same path that
 * path_shortest finds.
 */
uint32_t *path_bfs_tree(const struct graph *g, uint32_t **order, uint32_t *nvisited);

/* @return 0, or -1 (p left empty) when target is not a node or unreachable. */
int path_from_tree(const struct graph *g, const uint32_t *via, uint32_t target, struct path *p);

/* Frees and zeroes p; a no-op on a zeroed p. */
void path_release(struct path *p);

#endif /* HT_PATHS_H */
