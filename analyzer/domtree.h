/* SPDX-License-Identifier: MIT */
/*
 * domtree.h - the dominator tree of one heap snapshot, merged by allocation
 * site, kept small enough to show: the data behind the HTML report's
 * expandable tree (docs/REPORT.md). Plain data, computed once for the
 * largest snapshot when asked for (replay_opts.domtree).
 *
 * Merging: a block whose immediate dominator has the same site belongs to
 * that dominator's node (a list of 10,000 nodes is one node); otherwise it
 * belongs to the node (its dominator's node, its site), so blocks of one
 * site under one node share a node. A node's retained size is the sum over
 * its heads (blocks whose dominator is in another node) of their retained
 * sizes: heads of one node never dominate each other, so nothing counts
 * twice. Below DOMTREE_MAX_DEPTH levels blocks fold into their dominator's
 * node.
 *
 * Kept: from the super-root down, at each node the DOMTREE_CHILDREN
 * children that retain most (what is left is summed in others_*), at most
 * DOMTREE_MAX_NODES nodes in all. Each top-level node (directly below the
 * roots) has the shortest path from a root to its head that retains most.
 *
 * Cost: one pass over the reachable blocks in dominator-tree preorder, 4
 * bytes per block and a hash of the (node, site) pairs while building.
 */
#ifndef HT_DOMTREE_H
#define HT_DOMTREE_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

struct dom;
struct snap_node;
struct retention_root;
struct retention_path;

#define DOMTREE_MAX_DEPTH 16
#define DOMTREE_CHILDREN 12
#define DOMTREE_MAX_NODES 600
#define DOMTREE_NONE UINT32_MAX

struct domtree_node {
    uint32_t parent;                   /* index in domtree.nodes, DOMTREE_NONE at the top */
    uint32_t depth;                    /* 1 at the top */
    uint64_t stack_id;                 /* the allocation site of its blocks */
    uint64_t retained_bytes, retained_blocks;
    uint64_t blocks, bytes;            /* its own blocks */
    uint64_t others_bytes, others_nodes; /* retained by children not kept */
    struct retention_path *path;       /* top level: from a root; else NULL */
};

struct domtree {
    struct domtree_node *nodes; /* parents before children, children by retained bytes */
    size_t n;
    uint64_t others_bytes, others_nodes; /* top-level nodes not kept */
};

/*
 * Builds t from graph g and its dominator tree d (with retained sizes);
 * via, nodes and root_of as retention_path_build wants them. Frees t's
 * previous contents. Cannot fail: out of memory exits (xalloc.h).
 */
void domtree_build(struct domtree *t, const struct graph *g, const struct dom *d,
                   const uint32_t *via, const struct snap_node *nodes,
                   const struct retention_root *root_of);

/* Frees and zeroes t; a no-op on a zeroed t. */
void domtree_release(struct domtree *t);

#endif /* HT_DOMTREE_H */
