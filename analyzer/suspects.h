/* SPDX-License-Identifier: MIT */
/*
 * suspects.h - the answer first: every finding of a report grouped by its
 * root cause, one suspect per cause, ranked. Plain data computed from the
 * model (model.h) and its findings; writers render it (report_suspects.c
 * for text and JSON). Nothing here prints.
 *
 * Evidence read (each piece is one "candidate"):
 *   - growth findings (growth.h) by site, function, owner and retainer;
 *   - flagged tables whose dead entries keep growing (only those whose
 *     entries have a value slot: without one, "dead" says nothing) and
 *     flagged chains (tables.h), from the heap snapshots;
 *   - definitely lost blocks per allocation site at the last snapshot
 *     (leaks.h);
 *   - dark matter: library handles still open with heap behind them
 *     (model owners, replay.h).
 *
 * Grouping. Two candidates are the same suspect when
 *   - they have the same HOLDER: their retention paths (retention.h) start
 *     at the same named global, or (other roots) at blocks of the same
 *     allocation site (the table's vector, the map's bucket array), or
 *   - their bytes come from the same place in the program: the first frame
 *     in the program's own code (userframe.h) and the next one out are the
 *     same function and line (an xmalloc wrapper alone does not merge the
 *     callers it serves).
 * The lead of a group is its strongest piece of evidence, in this order: a
 * table, a chain, growth kept alive by a holder, growth, a leak, dark
 * matter. Several findings of one group count the same bytes (a site, its
 * function, its owner): a suspect's bytes are the largest of its pieces,
 * never their sum.
 *
 * Ranking: growing suspects first (bytes that still rise at the end of the
 * run), then by bytes at risk, then by growth rate; ties by the allocation
 * site's stack key, so the order is deterministic for a given log.
 *
 * A suspect whose stacks hold no frame of the program's own code, or whose
 * lead site is system noise (below), is SYSTEM: writers fold those into
 * one line unless asked for everything.
 */
#ifndef HT_SUSPECTS_H
#define HT_SUSPECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct retention_path;

/* The kinds of evidence, strongest first (the lead's order). */
enum suspect_kind {
    SUSPECT_TABLE = 0,       /* a table whose dead entries keep growing (tables.h) */
    SUSPECT_CHAIN = 1,       /* a linked chain whose length keeps growing (tables.h) */
    SUSPECT_HELD_GROWTH = 2, /* growth whose blocks a holder keeps reachable (growth.h) */
    SUSPECT_GROWTH = 3,      /* growth without a known holder, or unreachable */
    SUSPECT_LEAK = 4,        /* definitely lost at the last snapshot (leaks.h) */
    SUSPECT_DARK_MATTER = 5, /* open library handles with heap behind them */
    SUSPECT_KINDS
};

/* One piece of evidence: where it lies in the model. */
struct suspect_evidence {
    enum suspect_kind kind;
    /* TABLE: index in retention tables.tables; CHAIN: in tables.chains;
     * (HELD_)GROWTH: in m->growth->findings; LEAK: in the last snapshot's
     * cls[LEAK_DEFINITELY].sites; DARK_MATTER: in m->owners. */
    size_t index;
};

struct suspect {
    uint32_t rank;          /* 1 = the first to look at; system suspects rank last */
    enum suspect_kind kind; /* of the lead evidence */
    bool system;            /* no frame of the program's own code anywhere (see above) */
    bool growing;           /* some piece still grows (growth, table, chain) */

    /* The bytes at risk: the lead's allocation site. */
    uint64_t site;                  /* its stack id, 0 when unknown */
    const struct model_stack *stack; /* its symbolized stack, or NULL */
    const struct sym_frame *frame;  /* userframe_of(stack): the program's line; NULL w/o stack */
    const struct sym_frame *caller; /* the next user frame out of `frame`, or NULL */
    const char *callee;             /* the system function `frame` called ("iconv_open"), or NULL */
    bool site_approximate; /* the site stands for an allocation point many stacks share
                            * (a table's or chain's nodes from operator new), or is a
                            * retainer's (the holder's site, not the bytes'): a merged
                            * growth finding's stack replaces it */
    uint64_t bytes;  /* largest of the pieces: live at the last sample, owned by dead
                      * table entries, in the chain, lost, behind open handles */
    uint64_t blocks; /* blocks of the lead's bytes where known, else 0 */

    /* Growth (growing): rate per mark (per_mark) or per second. */
    bool per_mark;
    double rate;           /* bytes per unit, the largest of the growth pieces; 0: none */
    int64_t gained_bytes;  /* over the run, of the same piece */

    /* The holder: what keeps the bytes reachable. */
    const struct retention_path *holder; /* from a named root to the holding block, or NULL */
    uint64_t holder_site;                /* stack id of the block the root points to, 0 without */
    const struct model_stack *holder_stack; /* its stack, or NULL */
    const struct sym_frame *holder_frame;   /* its user frame (the holder's line), or NULL */
    /* Share: of the lead site's blocks in the largest snapshot, how many the
     * holder carries (holder_blocks of total_blocks; 0 of 0 when unknown). */
    uint64_t holder_blocks, total_blocks;

    /* A table (kind TABLE): entries at the last snapshot, dead entries'
     * growth per unit (per_mark: per mark, else per second). */
    uint64_t live_entries, dead_entries;
    double dead_rate;
    uint64_t dead_bytes, owned_bytes; /* the dead entries' own bytes; what they still own */

    /* A chain (kind CHAIN): its length at the last snapshot and growth per unit. */
    uint64_t chain_length;
    double chain_rate;

    /* Lost at the last snapshot (definitely lost blocks of the lead site). */
    uint64_t lost_bytes, lost_blocks;

    /* Dark matter: live handles of kind handle_kind ("iconv_open") that
     * hold the bytes; closed: how many of that group were ever closed. */
    uint64_t handles, handles_closed;
    const char *handle_kind;

    struct suspect_evidence *evidence; /* every piece of the group, lead first */
    size_t nevidence;
};

struct suspects {
    struct suspect *list; /* ranked: list[0] has rank 1 */
    size_t n;
    size_t nsystem;        /* how many of them are system suspects (at the end) */
    uint64_t system_bytes; /* their bytes together */
    const char *unit;      /* the marks' label ("request") when rates are per mark, else NULL */
};

/*
 * System noise: a site allocated in system code (its innermost frame is
 * not the program's, userframe.h) at most SUSPECTS_ONE_TIME times: the
 * stdio buffer, the loader's and gconv's caches, locale data. Writers fold
 * these into one line without --full.
 */
#define SUSPECTS_ONE_TIME 8
bool suspects_site_is_noise(const struct model *m, uint64_t stack_id);

/* Groups and ranks the findings of m (rules above). Never fails; an empty
 * list when there is nothing to suspect. Borrows from m: free it first. */
struct suspects *suspects_build(const struct model *m);
void suspects_free(struct suspects *s);

#endif /* HT_SUSPECTS_H */
