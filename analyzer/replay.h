/* SPDX-License-Identifier: MIT */
/*
 * replay.h - replays one log's events in file order over a live map
 * addr -> block and derives the numbers every report shows: totals, per-site
 * (stack id) statistics, the per-site breakdown at the heap peak, owners
 * (handles such as iconv_t that keep hidden allocations alive), marks and a
 * timeline.
 *
 * One pass, no second look at the log: the peak breakdown uses a "peak
 * epoch" per site (a site's live bytes are snapshotted lazily the first time
 * it changes after a new peak), so reaching a new peak costs O(1).
 *
 * Memory: O(live blocks + stacks + live handles + threads), independent of
 * the number of events. Marks are kept up to REPLAY_MAX_MARKS.
 *
 * Replay knows no analysis: those that need more than these numbers (leak
 * classes, GC, growth samples) follow the events as listeners (below).
 *
 * Definitions (docs/REPORT.md repeats them for users):
 *   allocations   every ALLOC and every REALLOC (in the window)
 *   frees         FREE of a known block, and REALLOC whose old block is known
 *   temporary     an allocation freed by the next alloc/free event of the same
 *                 thread (no allocation in between; heaptrack's definition);
 *                 REALLOC counts as a free of old followed by an allocation
 *   leaked        still live at the end of the replay (END, log end or --to)
 *   unknown frees FREE / REALLOC of an address never allocated in this log
 */
#ifndef HT_REPLAY_H
#define HT_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "blockmap.h"
#include "htab.h"
#include "reader.h"

#define REPLAY_MAX_MARKS 100000
#define REPLAY_TIMELINE_SAMPLES 200

struct replay_site {
    uint64_t allocations, bytes_allocated, temporary;
    uint64_t live_bytes, live_blocks; /* at the end: leaked */
    uint64_t peak_bytes;              /* the site's own maximum of live bytes */
    uint64_t at_peak_bytes;           /* live bytes at the global peak (after finish) */
    uint64_t epoch, at_peak_epoch;    /* see replay.c: lazy peak snapshot */
    uint64_t max_freed_age;           /* the longest life of a block it freed, in
                                         blocks created meanwhile (growth.c) */
};

struct replay_stack {
    uint64_t off;    /* into replay.ips */
    uint32_t depth;
    uint32_t modgen; /* index into replay.modgens in force when defined */
};

/* One MODULES record's list (copied from the reader). */
struct replay_modgen {
    struct ht_module *mods;
    size_t count;
};

/* Owner groups: handles of one kind opened at one stack. */
struct replay_owner_group {
    uint64_t kind, stack;
    uint64_t live_handles, bytes, peak_bytes;
    uint64_t opened; /* handles ever opened successfully */
    uint64_t closed, last_close_us; /* closes seen, and when the last was */
};

struct replay_mark {
    uint64_t time_us, heap_bytes;
    char *label;
};

struct replay_sample {
    uint64_t t_us, heap_bytes, mmap_bytes, rss_bytes;
    /* live handles per owner kind, and the bytes behind them */
    uint64_t owner_handles[HT_OWNER_KIND_COUNT_], owner_bytes[HT_OWNER_KIND_COUNT_];
};

struct replay_totals {
    uint64_t allocations, frees, bytes_allocated, temporary;
    uint64_t peak_bytes, peak_time_us;
    uint64_t leaked_bytes, leaked_blocks;
    uint64_t peak_rss, duration_us, lost_events, unknown_frees;
    uint32_t notes; /* NOTE codes seen: bit 1 << code */
    bool attached;  /* the log began in a running program (heaptrace attach) */
    uint64_t before_attach_bytes; /* ... whose allocator then held this much (0: unknown) */
    uint64_t heap_bytes, mmap_bytes, rss_bytes; /* current */
    uint64_t owner_handles[HT_OWNER_KIND_COUNT_], owner_bytes[HT_OWNER_KIND_COUNT_];
    uint64_t peak_mmap_bytes;
    uint64_t marks_total;                       /* including those not kept */
    bool complete;                              /* END record seen */
    bool exec_replaced; /* the log ends with EXEC: the image was replaced, not ended */
    uint64_t end_reason;                        /* enum ht_end_reason (HT_END_EXEC: replaced) */
    uint64_t sample_every; /* SAMPLING: bytes per sample point; 0 = every allocation recorded.
                            * Then every byte and count here and in the sites is an
                            * estimate: each block weighed by its own size (common/sampling.h) */
};

/*
 * Listeners: the analyses that follow the replay (the leak classes, the
 * garbage collector's numbers, the growth recorder) subscribe here; replay
 * names none of them. analysis.c wires them.
 *
 * A listener is called with the events it asked for: those whose tag is set
 * in `tags` (replay_listener_want), and, whatever the tag, the first event at
 * or after `wake_us` (UINT64_MAX: never; a listener moves it forward itself).
 * It may change `tags` and `wake_us` from inside its callback (self is the
 * replay's own copy). Events are the window's only: none past --to, and no
 * STACK or MODULES record (replay keeps those; see replay_stack_ips).
 *
 *   before   called before replay applies the event: a FREE's block is still
 *            in the map, an OWNER_CLOSE's handle still known
 *   after    called after: totals, sites, marks and timeline include it
 *   finish   from replay_finish, after the totals and the timeline; NULL: none
 *
 * Cost: per event, a byte test and a compare for all the `before` listeners
 * together, and the same for the others (replay keeps a table of the tags
 * they want and their earliest wake_us, summed again after a callback ran);
 * the indirect calls only for wanted events. No allocation.
 */
#define REPLAY_MAX_LISTENERS 8

struct replay;

struct replay_listener {
    void *ctx;
    void (*on_event)(struct replay_listener *self, struct replay *rp, const struct ht_event *ev);
    void (*finish)(struct replay_listener *self, struct replay *rp);
    bool before;
    uint64_t tags[4]; /* bit per record tag (enum ht_record_tag) */
    uint64_t wake_us;
};

/* Whether l receives records of tag (sets or clears its bit). */
static inline void replay_listener_want(struct replay_listener *l, uint8_t tag, bool on)
{
    if (on)
        l->tags[tag >> 6] |= 1ull << (tag & 63);
    else
        l->tags[tag >> 6] &= ~(1ull << (tag & 63));
}

struct replay_opts {
    uint64_t from_us, to_us; /* window; to_us = UINT64_MAX for no limit */
    bool domtree;            /* keep the largest snapshot's dominator tree (domtree.h) */
};

struct replay {
    struct replay_opts opts;
    struct replay_totals tot;

    struct replay_site *sites; /* by stack id; [0] = no stack */
    struct replay_stack *stacks;
    uint64_t nsites, sites_cap;
    uint64_t *ips;
    uint64_t nips, ips_cap;
    struct replay_modgen *modgens;
    uint32_t nmodgens;

    struct replay_owner_group *groups;
    uint64_t ngroups, groups_cap;

    struct replay_mark *marks;
    uint64_t nmarks;
    uint64_t *fork_pids;
    uint64_t nforks;
    char **execs;
    uint64_t nexecs;

    struct replay_sample *timeline; /* after replay_finish */
    uint64_t ntimeline;

    /* internals (replay.c) */
    uint64_t peak_epoch;
    struct blockmap blocks;
    struct htab threads, handles, regions, group_index;
    struct replay_thread *thread_cache; /* threads' value of thread_cache_id, or NULL */
    uint32_t thread_cache_id;
    struct replay_owner *owners;
    uint32_t nowners, owners_cap, owner_free;
    struct replay_bucket *buckets;
    uint64_t nbuckets, bucket_us;
    uint64_t bucket_last_us; /* start of the last bucket, nbuckets - 1 (when nbuckets > 0) */
    bool stopped;
    int8_t releases; /* the log records THREAD_RELEASE (version >= 2): 1, 0, -1 unknown yet */
    struct replay_listener listeners[REPLAY_MAX_LISTENERS]; /* the `before` ones first */
    uint32_t nlisteners, nbefore;
    uint8_t want_tag[256]; /* by tag: 1 a `before` listener wants it, 2 another one does */
    uint64_t want_tags[2][4];  /* the union of their tags (want_tag is rebuilt when it changes) */
    uint64_t want_wake_us[2]; /* the earliest wake_us of the `before` listeners, the others' */
    uint64_t last_block; /* the id of the newest block created (ids are dense, in order) */
};

struct replay *replay_create(const struct replay_opts *opts);

/*
 * Applies one event (the reader is needed for MODULES). Events past the
 * window's end are ignored; replay_done() then says so.
 */
void replay_apply(struct replay *rp, struct ht_reader *r, const struct ht_event *ev);

/* True once an event past --to arrived: the caller may stop reading. */
bool replay_done(const struct replay *rp);

/* Subscribes a copy of *l (before the first event). At most
 * REPLAY_MAX_LISTENERS; `before` ones are called in the order subscribed,
 * then the others in that order. */
void replay_listen(struct replay *rp, const struct replay_listener *l);

/* Reads the whole log into rp. @return the reader's final rc (0 or -1). */
int replay_run(struct replay *rp, struct ht_reader *r);

/* Closes the replay: leaked totals, peak breakdown, timeline, then each
 * listener's finish. Call once. */
void replay_finish(struct replay *rp, bool complete);

/* The frames of stack id (innermost first); depth in *depth (0 for id 0). */
const uint64_t *replay_stack_ips(const struct replay *rp, uint64_t id, uint32_t *depth);

/* Calls fn for every live block: first those the block map keeps below its
 * window (blockmap.h: old ones, in no order, all of smaller id), then the
 * window's in increasing id. Returns how many came first, in no order. */
size_t replay_each_block(const struct replay *rp,
                         void (*fn)(void *ctx, uint64_t id, uint64_t size, uint32_t site),
                         void *ctx);

/* The owner group (index + 1) of a live handle, or 0. */
uint64_t replay_handle_group(const struct replay *rp, uint64_t handle);

void replay_free(struct replay *rp);

#endif /* HT_REPLAY_H */
