/* SPDX-License-Identifier: MIT */
/*
 * test_domtree.c - domtree.c on a hand-made snapshot whose merged tree is
 * known: a global table (two top-level heads of one site merge), its
 * entries (a chained entry merges into its dominator's node), the buffers
 * the entries own, and a block with more children than are kept.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "format.h"
#include "dominators.h"
#include "domtree.h"
#include "graph.h"
#include "paths.h"
#include "retention.h"

#define N 30

int main(void)
{
    static const struct {
        uint32_t site;
        uint64_t size;
    } node[N] = {
        [1] = {1, 512}, [2] = {2, 16}, [3] = {2, 16}, [4] = {2, 16}, [5] = {2, 16},
        [6] = {3, 1000}, [7] = {3, 1000}, [8] = {3, 1000}, [9] = {3, 1000},
        [10] = {2, 16}, [11] = {3, 1000}, [12] = {4, 100}, [13] = {1, 50}, [14] = {5, 8},
    };
    struct graph_edge e[64];
    size_t ne = 0;
    /* the roots: table (1), another block of its site (13), 12, 14 */
    static const uint32_t roots[] = {1, 12, 13, 14};
    for (size_t i = 0; i < 4; i++)
        e[ne++] = (struct graph_edge){0, roots[i], false, 0};
    for (uint32_t v = 2; v <= 5; v++) {
        e[ne++] = (struct graph_edge){1, v, false, 8 * v};
        e[ne++] = (struct graph_edge){v, v + 4, false, 8};
    }
    e[ne++] = (struct graph_edge){5, 10, false, 0}; /* a chained entry */
    e[ne++] = (struct graph_edge){10, 11, false, 8};
    for (uint32_t v = 15; v < N; v++) /* 15 children of 14, one site each */
        e[ne++] = (struct graph_edge){14, v, false, 0};

    struct graph g;
    CHECK_EQ(graph_build(&g, N, e, ne), 0);
    struct snap_node nodes[N - 1];
    for (uint32_t v = 1; v < N; v++) {
        uint32_t site = v >= 15 ? 100 + v : node[v].site;
        uint64_t size = v >= 15 ? v : node[v].size;
        graph_set_node(&g, v, size, site);
        nodes[v - 1] = (struct snap_node){.id = v, .size = size, .site = site};
    }
    struct retention_root root_of[4];
    memset(root_of, 0, sizeof(root_of));
    for (size_t i = 0; i < 4; i++)
        root_of[i] = (struct retention_root){.kind = HT_ROOT_GLOBAL, .offset = 8 * i, .to = roots[i]};
    struct dom d;
    dom_compute(&d, &g);
    dom_retained_sizes(&d, &g);
    uint32_t *via = path_bfs_tree(&g, NULL, NULL);

    struct domtree t = {0};
    domtree_build(&t, &g, &d, via, nodes, root_of);
    /* top level by retained: the table's site (1 and 13 merged), 14's, 12's */
    CHECK(t.n >= 3);
    const struct domtree_node *a = &t.nodes[0];
    CHECK_EQ(a->parent, DOMTREE_NONE);
    CHECK_EQ(a->stack_id, 1);
    CHECK_EQ(a->blocks, 2);
    CHECK_EQ(a->bytes, 562);
    CHECK_EQ(a->retained_bytes, 512 + 50 + 5 * 16 + 5 * 1000);
    CHECK_EQ(a->retained_blocks, 2 + 5 + 5);
    CHECK(a->path != NULL && a->path->nsteps == 1);
    uint64_t sum15 = 0;
    for (uint32_t v = 15; v < N; v++)
        sum15 += v;
    CHECK_EQ(t.nodes[1].stack_id, 5);
    CHECK_EQ(t.nodes[1].retained_bytes, 8 + sum15);
    CHECK_EQ(t.nodes[2].stack_id, 4);
    CHECK_EQ(t.nodes[2].retained_bytes, 100);
    CHECK_EQ(t.others_nodes, 0);
    /* below the table: one node of entries (the chained one merged in) */
    size_t entries = 0, buffers = 0, kids14 = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.nodes[i].parent == 0) {
            entries = i;
            CHECK_EQ(t.nodes[i].stack_id, 2);
        }
        if (t.nodes[i].parent == 1)
            kids14++;
        CHECK(t.nodes[i].parent == DOMTREE_NONE || t.nodes[i].parent < i);
        CHECK(t.nodes[i].parent == DOMTREE_NONE || t.nodes[i].path == NULL);
    }
    CHECK(entries > 0);
    CHECK_EQ(t.nodes[entries].blocks, 5);
    CHECK_EQ(t.nodes[entries].retained_bytes, 5 * 16 + 5 * 1000);
    for (size_t i = 0; i < t.n; i++)
        if (t.nodes[i].parent == entries) {
            buffers = i;
            CHECK_EQ(t.nodes[i].stack_id, 3);
            CHECK_EQ(t.nodes[i].blocks, 5);
            CHECK_EQ(t.nodes[i].retained_bytes, 5000);
        }
    CHECK(buffers > 0);
    /* 14's 15 children: the 12 largest kept, the 3 smallest summed */
    CHECK_EQ(kids14, DOMTREE_CHILDREN);
    CHECK_EQ(t.nodes[1].others_nodes, 15 - DOMTREE_CHILDREN);
    CHECK_EQ(t.nodes[1].others_bytes, 15 + 16 + 17);

    domtree_release(&t);
    CHECK_EQ(t.n, 0);
    domtree_release(&t);
    free(via);
    dom_release(&d);
    graph_release(&g);
    return check_exit();
}
