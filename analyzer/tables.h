/* SPDX-License-Identifier: MIT */
/*
 * tables.h - tables whose dead slots keep growing, and chains that keep
 * growing, found in the heap snapshots' graphs (retention.h) without any
 * knowledge of the program's types.
 *
 * Shapes, per snapshot:
 *   table  a block (the vector) with TABLES_MIN_SLOTS or more pointers, most
 *          of them to blocks of one other allocation site (the entries);
 *          entries also found through chains of same-site entries linked at
 *          one offset (open hashing) belong to it;
 *   link   for a site, the offset at which its blocks point to blocks of the
 *          same site most often (a `next` field);
 *   value  for a site, the offset (other than the link) at which its blocks
 *          most often point to a block they do not dominate: something the
 *          program shares, such as the port a weak table's slot stands for.
 *          An entry without a pointer there is DEAD: cleared, yet still
 *          linked. A dead entry's owned bytes are what it alone keeps alive
 *          through its other fields (an iconv_t the sweeper would close);
 *   chain  a run of same-site blocks linked at the site's link offset from
 *          a head no same-site block links to (a queue, a list); its holder
 *          is what points at the head.
 * "Site" here is an allocation point: the innermost frame of the stack,
 * whatever called it. Across snapshots, a table is known by its vector's
 * and its entries' points, a chain by its nodes' point. A table is flagged when its dead entries keep
 * growing (growth.h's test once there are 10 points; from 4 to 9, a rise at
 * every step after the first point to three times the second or more) while its live
 * entries do not; a chain when its length keeps growing.
 *
 * Cost per snapshot: O(n + m) time plus a hash of sites; 16 n bytes of
 * scratch.
 */
#ifndef HT_TABLES_H
#define HT_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"

struct dom;
struct replay;
struct snap_node;
struct retention_root;
struct retention_path;

#define TABLES_MIN_SLOTS 8  /* pointers a vector needs to be a table */
#define TABLES_MIN_CHAIN 16 /* blocks a chain needs to be reported */
#define TABLES_KEEP 16      /* tables and chains kept per snapshot */

struct table_point {
    uint32_t snapshot; /* index in retention.snaps */
    uint64_t time_us;
    uint64_t live, dead, dead_bytes, owned_bytes;
    uint64_t capacity; /* pointer slots of the vector(s): size / 8 */
    uint64_t owned_site; /* stack id of the blocks dead entries own most bytes of, or 0 */
};

struct table_series {
    uint64_t vector_ip, entry_ip;     /* the identity: allocation points */
    uint64_t vector_site, entry_site; /* stack ids standing for them */
    uint64_t link_offset, value_offset;
    bool has_link, has_value;
    struct table_point *pts;
    size_t npts;
    struct retention_path *path; /* to the vector, from the latest snapshot; or NULL */
    double dead_slope;           /* dead entries per snapshot (Theil-Sen) */
    bool flagged;
};

struct chain_point {
    uint32_t snapshot;
    uint64_t time_us;
    uint64_t length, bytes; /* the longest chain of the site */
};

struct chain_series {
    uint64_t ip;   /* the identity: the nodes' allocation point */
    uint64_t site; /* a stack id standing for it */
    uint64_t link_offset;
    struct chain_point *pts;
    size_t npts;
    struct retention_path *path; /* to the longest chain's head (latest snapshot) */
    double length_slope;
    bool flagged;
};

struct tables {
    struct table_series *tables;
    size_t ntables;
    struct chain_series *chains;
    size_t nchains;
};

/*
 * Finds the tables and chains of one snapshot (graph g, dominator tree d
 * with retained sizes, nodes and root_of as retention_add_snapshot has
 * them) and adds a point to their series.
 */
void tables_add_snapshot(struct tables *t, const struct replay *rp, const struct graph *g,
                         const struct dom *d, const struct snap_node *nodes,
                         const struct retention_root *root_of, uint32_t snapshot,
                         uint64_t time_us);

/* Slopes and flags, once every snapshot is in. */
void tables_finish(struct tables *t);

/* Whether y grows over the points x (snapshot indexes) as a leaking table's
 * dead entries or a leaking chain's length do: growth.h's test from 10
 * points on (8 after its warm-up: fewer cannot reach its p < 0.001), a
 * stricter rule below (tables.c); the Theil-Sen slope goes to *slope. */
bool tables_grows(const double *x, const double *y, size_t n, double *slope);

void tables_release(struct tables *t);

#endif /* HT_TABLES_H */
