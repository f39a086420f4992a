/* SPDX-License-Identifier: MIT */
/*
 * leaks.h - valgrind memcheck's leak classes from a heap snapshot.
 *
 * The replay feeds every SNAPSHOT_* record here (leaks_listener). At
 * SNAPSHOT_BEGIN the live blocks (id, size, site) are copied: a snapshot
 * describes the heap at its BEGIN (format.h), and a running program's
 * EDGES/ROOTS/END may come after later frees. At SNAPSHOT_END the blocks are
 * classified and the result replaces the previous snapshot's, so what is
 * left after the replay is the LAST complete snapshot of the log (normally
 * the exit snapshot). A snapshot without END (truncated log) is dropped.
 *
 * The classes follow mc_leakcheck.c with --leak-check-heuristics=none:
 *   still reachable  a chain of start pointers leads to it from a root
 *   possibly lost    only chains with at least one interior pointer do
 *   definitely lost  no chain from a root; not reachable from another lost
 *                    block, or the first block (lowest id) of a lost cycle
 *                    nothing else points into
 *   indirectly lost  no chain from a root, but reachable (by any pointer)
 *                    from a definitely lost block
 * Memcheck walks the lost blocks in address order and the first one of a
 * cycle becomes "definitely"; the log has no addresses, so heaptrace walks
 * them in id (allocation) order: the split between definitely and
 * indirectly lost inside a lost cycle may differ from valgrind's.
 */
#ifndef HT_LEAKS_H
#define HT_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "model.h"
#include "reader.h"
#include "replay.h"

/* Order is the report's order. */
enum leak_class {
    LEAK_DEFINITELY = 0,
    LEAK_INDIRECTLY = 1,
    LEAK_POSSIBLY = 2,
    LEAK_REACHABLE = 3,
    LEAK_CLASSES
};

/* Blocks of one class allocated at one site (stack id). */
struct leak_site {
    uint64_t stack_id, bytes, blocks;
};

struct leak_class_total {
    uint64_t bytes, blocks;
    struct leak_site *sites; /* bytes, blocks descending, then stack id */
    size_t nsites;
};

struct leaks_collect; /* leaks.c: the snapshot being read */
struct retention;     /* retention.h */

struct leaks {
    bool valid; /* a complete snapshot was classified */
    /* the classified snapshot: SNAPSHOT_BEGIN's seq, reason and time */
    uint64_t seq, reason, time_us;
    uint64_t blocks;       /* live blocks at its BEGIN (the replay's) */
    uint64_t edges, roots; /* as read */
    uint64_t unknown_refs; /* edges and roots naming a block the replay did not hold */
    struct leak_class_total cls[LEAK_CLASSES];
    struct retention *retention; /* every snapshot's summary, the top retainers */
    struct leaks_collect *c;
};

/*
 * The replay listener (replay.h) that keeps *out up to date: it takes the
 * SNAPSHOT_* records, IGNORE, and thread names (THREAD_START, THREAD_NAME)
 * for the roots; *out is created at the first of them (NULL for a log
 * without). The replay supplies the live blocks at BEGIN. *out must outlive
 * the replay; free it with leaks_free.
 */
struct replay_listener leaks_listener(struct leaks **out);

/* The exit snapshot's lost bytes and blocks (definitely + indirectly), for
 * the model (model.h); NULL or no exit snapshot: none. */
struct model_exit_lost leaks_exit_lost(const struct leaks *l);

/*
 * The classification itself, on a graph whose node 0 is the root set (its
 * edges are the root pointers) and nodes 1..n are the blocks in the order
 * memcheck would scan them (here: by id). Writes enum leak_class of node v
 * to cls[v] for v >= 1 (cls[0] is left alone). O(nodes + edges).
 */
void leaks_classify(const struct graph *g, uint8_t *cls);

/* "definitely_lost", "indirectly_lost", "possibly_lost", "still_reachable" (JSON keys). */
const char *leaks_class_key(int c);
/* "definitely lost", "indirectly lost", "possibly lost", "still reachable". */
const char *leaks_class_name(int c);

void leaks_free(struct leaks *l);

#endif /* HT_LEAKS_H */
