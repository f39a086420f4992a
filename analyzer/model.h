/* SPDX-License-Identifier: MIT */
/*
 * model.h - the report model: one replayed log turned into what every
 * writer (text, JSON, flame graph, massif, diff) prints. Sites get their
 * symbolized stacks and a stable key; sites are merged into functions; all
 * lists are sorted by stable keys so output is deterministic.
 *
 * Sort orders: sites by peak_bytes, leaked_bytes, bytes_allocated (all
 * descending), then key; functions likewise; owners by bytes, live_handles,
 * then kind and key.
 */
#ifndef HT_MODEL_H
#define HT_MODEL_H

#include <stdint.h>

#include "reader.h"
#include "replay.h"
#include "symbolize.h"

struct model_stack {
    struct sym_frame *frames; /* innermost first, shim frames dropped */
    uint32_t nframes;
    char *key; /* "fn;fn;module+0xoff" innermost first: stable across runs */
};

struct model_site {
    uint64_t stack_id;
    const struct replay_site *st;
    struct model_stack stack;
};

struct model_function {
    const char *name; /* the innermost function, or module+0xoffset */
    uint64_t allocations, bytes_allocated, peak_bytes, leaked_bytes, leaked_blocks, temporary;
    uint64_t sites;
};

struct model_owner {
    const struct replay_owner_group *g;
    struct model_stack stack;
};

/* The exit snapshot's verdict (leaks_exit_lost): definitely + indirectly
 * lost; valid only when the log's last complete snapshot is the exit one. */
struct model_exit_lost {
    bool valid;
    uint64_t bytes, blocks;
};

struct leaks;
struct gc_stats;

struct model {
    const struct ht_header *hdr;
    struct replay *rp;
    const char *path;
    char *truncation; /* "" for a complete log */
    struct model_site *sites;
    uint64_t nsites;
    struct model_function *functions;
    uint64_t nfunctions;
    struct model_owner *owners;
    uint64_t nowners;
    struct growth_result *growth; /* growth.h, set by analysis.c (owned there), or NULL */
    struct suspects *suspects;    /* suspects.h, set by analysis.c (owned there), or NULL */
    /* The analyses the replay fed, handed in by analysis.c (owned there): */
    const struct leaks *leaks;    /* leaks.h: the last complete heap snapshot, or NULL */
    const struct gc_stats *gc;    /* gc.h: garbage collector records, or NULL */
    struct model_exit_lost exit_lost;
    uint64_t *site_index; /* stack id -> index in sites + 1 (0: not a site) */
};

/*
 * Builds the model from a finished replay. sym may be NULL (no
 * symbolization: frames carry module+offset only). The model borrows rp and
 * hdr; they must outlive it.
 */
struct model *model_build(struct replay *rp, const struct ht_header *hdr, const char *path,
                          const char *truncation, struct symbolizer *sym);

/* Symbolizes stack id of rp into st (sym may be NULL); free frames and key. */
void model_stack_build(struct model_stack *st, struct replay *rp, uint64_t id,
                       struct symbolizer *sym);

/* "function" or "module+0xoffset" or "0xaddress" for one frame (malloc'd). */
char *model_frame_name(const struct sym_frame *f);

/* The symbolized stack of stack id, or NULL when it is not a site. */
const struct model_stack *model_stack_of(const struct model *m, uint64_t stack_id);

/*
 * What "leaked" means for this process (docs/REPORT.md, the summary and the
 * gates' `leaked`): with an exit snapshot, memcheck's "lost" (definitely +
 * indirectly lost, lost = true); without one, what was live at the end of
 * the log (lost = false: the fallback, `live_at_exit`). An image replaced
 * by exec leaked nothing: its heap went with it (replaced = true, 0).
 */
struct model_leaked {
    uint64_t bytes, blocks;
    bool lost;
    bool replaced; /* the image was replaced by exec: nothing of it leaked (0) */
};
void model_leaked(const struct model *m, struct model_leaked *out);

/* The log holds an exit snapshot, classified (its leak classes are final). */
bool model_has_exit_snapshot(const struct model *m);

void model_free(struct model *m);

#endif /* HT_MODEL_H */
