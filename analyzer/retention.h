/* SPDX-License-Identifier: MIT */
/*
 * retention.h - who keeps the heap alive, from the heap snapshots of a log:
 * a summary of every snapshot (when, how many blocks and pointers, how many
 * bytes a root still reaches, how long the program was held), the bytes
 * each allocation site retains at every snapshot (for growth per retainer),
 * and the top retainers of the largest snapshot with the shortest chain of
 * pointers from a named root to each.
 *
 * leaks.c builds each snapshot's graph once and hands it here
 * (retention_add_snapshot); the root names (a global's symbol, a thread's
 * name) are filled in after the replay by retention_finish, which needs
 * the symbolizer. "Retained" is the dominator tree's meaning (dominators.h):
 * the bytes that would become unreachable if the retainer's blocks were
 * freed. A site's retained size counts each block once (dom_top_sites).
 *
 * Memory: per snapshot O(RETENTION_SITE_SERIES); the top retainers of one
 * snapshot with paths of at most RETENTION_PATH_MAX steps. While a snapshot
 * is analysed: the dominator tree and one breadth-first search over its
 * graph (about 60 bytes per block plus 4 per pointer).
 */
#ifndef HT_RETENTION_H
#define HT_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domtree.h"
#include "domtree.h"
#include "graph.h"
#include "tables.h"

struct symbolizer;
struct sym_frame;
struct replay;

#define RETENTION_TOP 20          /* top retainers kept with paths */
#define RETENTION_RELEASE_WALKS 8 /* top sites of several heads measured by a walk (retention.c) */
#define RETENTION_SITE_SERIES 64  /* sites per snapshot kept for growth series */
#define RETENTION_PATH_MAX 24     /* path steps kept: the first and last half */
#define RETENTION_SITE_PATHS 256  /* sites of the largest snapshot given a path */
#define RETENTION_ROOT_IGNORED 99 /* a heaptrace_ignore()d block: held as if by a root */
#define RETENTION_HOLDERS 4       /* per site: the holders carrying most of its bytes */
#define RETENTION_OUTER_FRAMES 8  /* a stack root's frames kept to find the program's own */

/* A block of a snapshot: node v >= 1 of its graph is nodes[v - 1]. */
struct snap_node {
    uint64_t id, size;
    uint32_t site; /* stack id of the allocation */
};

/* Where a root pointer lies: a SNAPSHOT_ROOTS entry, then its name. */
struct retention_root {
    uint32_t kind;          /* enum ht_root_kind, or RETENTION_ROOT_IGNORED */
    uint32_t modgen;        /* the module list in force (GLOBAL) */
    uint64_t where, offset; /* as in SNAPSHOT_ROOTS (format.h) */
    uint64_t to;            /* block id */
    bool interior;
    uint64_t frame_ip;   /* STACK: the pc of the frame the word lies in (0: unknown) */
    bool frame_innermost; /* ... the interrupted frame: frame_ip is a pc, not a return address */
    uint64_t outer_ip[RETENTION_OUTER_FRAMES]; /* STACK: the next frames out (return
                                                * addresses; 0 past the last) */
    /* retention_finish: */
    const struct sym_frame *frame; /* STACK: the frame the word lies in, or when that one is
                                    * libc's or heaptrace's (a wait without frame pointers
                                    * spans its callers' frames), the first frame out that is
                                    * the program's own (userframe.h); symbolized, or NULL
                                    * (also when no frame of the walk is the program's) */
    const char *name;    /* GLOBAL: symbol; STACK, TLS, REGISTER: thread name; or NULL */
    const char *module;  /* GLOBAL: the module's path */
    uint64_t name_offset; /* GLOBAL: bytes from the symbol's start */
};

/* One block on a path: the pointer to the next step lies at `offset` in it. */
struct retention_step {
    uint64_t block_id, stack_id, size;
    uint64_t offset;   /* of the pointer to the next step (0 for the last step) */
    bool interior;     /* the pointer that reaches this block points inside it */
};

struct retention_path {
    struct retention_root root;
    struct retention_step *steps;
    uint32_t nsteps;
    uint32_t elided_after; /* steps [0, elided_after) then `elided` blocks left out */
    uint64_t elided;
};

struct retainer {
    uint64_t stack_id;                 /* the allocation site */
    uint64_t retained_bytes, retained_blocks;
    uint64_t blocks, bytes;            /* the site's own reachable blocks */
    uint32_t heads;                    /* its blocks no block of the site dominates */
    int32_t inside;                    /* an earlier retainer whose block dominates
                                        * this one's (index in top), or -1 */
    bool has_path;
    struct retention_path path;        /* to its head that retains most */
};

/*
 * A holder of a site's blocks: one kind of root (a thread's stack, a
 * module's globals...) and, on the shortest path from it, the first block's
 * allocation site (the table's vector, the cache's list nodes). Every
 * reachable block of the site belongs to the holder its shortest path
 * from the roots starts with.
 */
struct retention_holder {
    uint64_t bytes, blocks;     /* of the site's blocks, those this holder reaches first */
    struct retention_path path; /* to the nearest of them */
};

/* Why one site's blocks are alive: the path to its block nearest a root,
 * and the holders that carry most of them. */
struct retention_site_path {
    uint64_t stack_id;
    uint64_t live_bytes, reachable_bytes; /* the site's blocks in that snapshot */
    uint64_t reachable_blocks;
    bool has_path;
    struct retention_path path;
    struct retention_holder holders[RETENTION_HOLDERS]; /* most bytes first */
    uint32_t nholders;
};

struct retention_site_value {
    uint64_t stack_id, retained_bytes, retained_blocks;
};

struct retention_snapshot {
    uint64_t seq, reason, time_us;
    uint64_t marks; /* marks before it began: every one, where replay keeps REPLAY_MAX_MARKS */
    uint64_t blocks, edges, roots;
    uint64_t live_bytes;                       /* every block of the snapshot */
    uint64_t reachable_bytes, reachable_blocks; /* from a root, by any pointer */
    uint64_t pause_ns, scan_ns, scan_cpu_ns;   /* scan_*: 0 when the log does not say */
    uint64_t index_cpu_ns;                     /* of scan_cpu_ns, building the index (or 0) */
    struct retention_site_value *sites;        /* top sites by retained bytes */
    uint32_t nsites;
};

struct retention {
    struct retention_snapshot *snaps;
    size_t nsnaps, snaps_cap;
    /* top retainers of the snapshot with the most reachable bytes (ties: later) */
    size_t top_snapshot; /* index into snaps; valid when ntop > 0 or nsnaps > 0 */
    struct retainer *top;
    size_t ntop;
    /* the same snapshot: sites by live bytes (at most RETENTION_SITE_PATHS) */
    struct retention_site_path *site_paths;
    size_t nsite_paths;
    struct tables tables; /* tables.h: dead-slot tables and growing chains */
    /* the largest snapshot's dominator tree merged by site (domtree.h), when
     * want_domtree (the HTML report) */
    bool want_domtree;
    struct domtree domtree;
    struct sym_frame **kept_frames; /* retention_finish's copies of frames */
    size_t nkept_frames;
    /* thread index -> name, from THREAD_NAME records */
    char **thread_names;
    size_t nthread_names;
};

struct retention *retention_create(void);

/* Remembers a thread's name (THREAD_NAME) for naming stack roots. */
void retention_thread_name(struct retention *r, uint64_t thread, const char *name, size_t len);

/*
 * Analyses one snapshot. g: node 0 is the super-root, node v >= 1 is
 * nodes[v - 1] (sizes and sites set); its first out-edges of node 0 are the
 * root pointers, root_of[i] describing out-edge i of node 0 (copied).
 * snap carries the summary fields the caller knows (seq, reason, time_us,
 * blocks, edges, roots, pause_ns, scan_ns); the rest is computed here.
 */
void retention_add_snapshot(struct retention *r, const struct replay *rp, const struct graph *g,
                            const struct snap_node *nodes, const struct retention_root *root_of,
                            const struct retention_snapshot *snap);

/* The path to a block of site stack_id in the largest snapshot, or NULL. */
const struct retention_site_path *retention_site_path(const struct retention *r,
                                                      uint64_t stack_id);

/* After the replay: tables' slopes and flags, and the names of every path's
 * root. sym may be NULL. */
void retention_finish(struct retention *r, struct symbolizer *sym, const struct replay *rp);

/*
 * The shortest path to node `target` of g as a retention path (via from
 * path_bfs_tree; root_of and nodes as for retention_add_snapshot).
 * @return false (out left empty) when target is unreachable.
 */
bool retention_path_build(const struct graph *g, const uint32_t *via,
                          const struct snap_node *nodes, const struct retention_root *root_of,
                          uint32_t target, struct retention_path *out);
void retention_path_free(struct retention_path *p);

void retention_free(struct retention *r);

#endif /* HT_RETENTION_H */
