/* SPDX-License-Identifier: MIT */
/*
 * leaks.c - see leaks.h.
 *
 * leaks_classify is mc_leakcheck.c's algorithm without heuristics, in three
 * passes over the graph instead of memcheck's mark stack with upgrades (the
 * fixpoint is the same, the order of pushes does not matter):
 *   1. from the root set along start pointers only: still reachable;
 *   2. from every pointer out of the root set or a reachable block, along
 *      any pointer, to blocks not reachable: possibly lost (memcheck:
 *      Unreached -> Possible; a possible block's pointers pass Possible on);
 *   3. "cliques": every block still unreached, in node order, leads a walk
 *      along any pointer that makes the unreached blocks it meets (other
 *      than itself) indirectly lost, earlier leaders included. Leaders no
 *      later walk reached stay definitely lost.
 */
#include "leaks.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "replay.h"
#include "retention.h"
#include "xalloc.h"

#define UNREACHED LEAK_CLASSES /* internal state: becomes LEAK_DEFINITELY */

struct leaks_collect {
    bool open;
    uint64_t seq, reason, time_us;
    uint64_t marks; /* marks recorded before the snapshot began (all, not only kept) */
    struct snap_node *nodes; /* live at BEGIN, sorted by id after BEGIN */
    size_t nnodes, nodes_cap;
    uint32_t *id_cell;       /* id_cell[id >> id_shift]: the first node with that high part */
    size_t nid_cells;
    unsigned id_shift;
    struct graph_edge *refs; /* pointers from block to block, between nodes */
    size_t nrefs, refs_cap;
    uint64_t unknown_refs;   /* pointers naming a block the replay did not hold */
    struct retention_root *roots; /* root pointers, then ignored blocks */
    struct snap_frame_at { uint64_t thread, below, ip; bool innermost; } *frames;
    size_t nframes, frames_cap;   /* SNAPSHOT_FRAMES of the open snapshot */
    size_t nroot_refs, roots_cap;
    uint64_t nedges, nroots;
    uint32_t modgen; /* the module list in force at the ROOTS records */
    uint64_t *ignored; /* heaptrace_ignore(): block ids, roots at every snapshot */
    size_t nignored, ignored_cap;
};

const char *leaks_class_key(int c)
{
    static const char *const keys[LEAK_CLASSES] = {"definitely_lost", "indirectly_lost",
                                                   "possibly_lost", "still_reachable"};
    return c >= 0 && c < LEAK_CLASSES ? keys[c] : "?";
}

const char *leaks_class_name(int c)
{
    static const char *const names[LEAK_CLASSES] = {"definitely lost", "indirectly lost",
                                                    "possibly lost", "still reachable"};
    return c >= 0 && c < LEAK_CLASSES ? names[c] : "?";
}

/* ------------------------------------------------------------ classify */

/* Pushes v when it is in state `from`, switching it to `to`. */
static inline void mark(uint8_t *cls, uint32_t *stack, size_t *top, uint32_t v, uint8_t from,
                        uint8_t to)
{
    if (cls[v] == from) {
        cls[v] = to;
        stack[(*top)++] = v;
    }
}

void leaks_classify(const struct graph *g, uint8_t *cls)
{
    uint32_t n = g->nnodes;
    if (n <= 1)
        return;
    /* each node is pushed at most once per pass: n entries are enough */
    uint32_t *stack = xcalloc(n, sizeof(*stack));
    size_t top = 0;
    for (uint32_t v = 1; v < n; v++)
        cls[v] = UNREACHED;

    /* 1. start-pointer chains from the roots */
    for (uint32_t e = graph_out_begin(g, GRAPH_ROOT); e < graph_out_end(g, GRAPH_ROOT); e++)
        if (!graph_edge_interior(g, e) && graph_edge_target(g, e) != GRAPH_ROOT)
            mark(cls, stack, &top, graph_edge_target(g, e), UNREACHED, LEAK_REACHABLE);
    while (top) {
        uint32_t v = stack[--top];
        for (uint32_t e = graph_out_begin(g, v); e < graph_out_end(g, v); e++)
            if (!graph_edge_interior(g, e))
                mark(cls, stack, &top, graph_edge_target(g, e), UNREACHED, LEAK_REACHABLE);
    }

    /* Every block reached (a program that leaks nothing): 2 and 3 would
     * walk every edge again to find nothing. */
    uint32_t unreached = 0;
    for (uint32_t v = 1; v < n; v++)
        unreached += cls[v] == UNREACHED;
    if (!unreached) {
        free(stack);
        return;
    }

    /* 2. any pointer out of the roots or a reachable block, then any chain */
    for (uint32_t u = 0; u < n; u++) {
        if (u != GRAPH_ROOT && cls[u] != LEAK_REACHABLE)
            continue;
        for (uint32_t e = graph_out_begin(g, u); e < graph_out_end(g, u); e++)
            if (graph_edge_target(g, e) != GRAPH_ROOT)
                mark(cls, stack, &top, graph_edge_target(g, e), UNREACHED, LEAK_POSSIBLY);
        while (top) {
            uint32_t v = stack[--top];
            for (uint32_t e = graph_out_begin(g, v); e < graph_out_end(g, v); e++)
                mark(cls, stack, &top, graph_edge_target(g, e), UNREACHED, LEAK_POSSIBLY);
        }
    }

    /* 3. cliques of lost blocks, leaders in node order */
    for (uint32_t leader = 1; leader < n; leader++) {
        if (cls[leader] != UNREACHED)
            continue;
        stack[top++] = leader;
        while (top) {
            uint32_t v = stack[--top];
            for (uint32_t e = graph_out_begin(g, v); e < graph_out_end(g, v); e++) {
                uint32_t w = graph_edge_target(g, e);
                if (w != leader)
                    mark(cls, stack, &top, w, UNREACHED, LEAK_INDIRECTLY);
            }
        }
    }
    for (uint32_t v = 1; v < n; v++)
        if (cls[v] == UNREACHED)
            cls[v] = LEAK_DEFINITELY;
    free(stack);
}

/* ------------------------------------------------------------- results */

static void result_clear(struct leaks *l)
{
    for (int c = 0; c < LEAK_CLASSES; c++)
        free(l->cls[c].sites);
    memset(l->cls, 0, sizeof(l->cls));
    l->valid = false;
}

static int site_cmp(const void *pa, const void *pb)
{
    const struct leak_site *a = pa, *b = pb;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    if (a->blocks != b->blocks)
        return a->blocks > b->blocks ? -1 : 1;
    return a->stack_id < b->stack_id ? -1 : a->stack_id > b->stack_id;
}

/* Sums the classes per site (node v >= 1 is c->nodes[v - 1]). */
static void result_build(struct leaks *l, const struct leaks_collect *c, const uint8_t *cls)
{
    struct htab index; /* (class << 32 | site) + 1 -> index into that class's sites */
    htab_init(&index, sizeof(size_t));
    size_t caps[LEAK_CLASSES] = {0};
    for (size_t i = 0; i < c->nnodes; i++) {
        const struct snap_node *nd = &c->nodes[i];
        int k = cls[i + 1];
        struct leak_class_total *t = &l->cls[k];
        t->bytes += nd->size;
        t->blocks++;
        bool existed;
        size_t *idx = htab_put(&index, ((uint64_t)k << 32 | nd->site) + 1, &existed);
        if (!existed) {
            if (t->nsites == caps[k]) {
                caps[k] = caps[k] ? caps[k] * 2 : 16;
                t->sites = xreallocarray(t->sites, caps[k], sizeof(*t->sites));
            }
            *idx = t->nsites;
            t->sites[t->nsites++] = (struct leak_site){.stack_id = nd->site};
        }
        t->sites[*idx].bytes += nd->size;
        t->sites[*idx].blocks++;
    }
    htab_release(&index);
    for (int k = 0; k < LEAK_CLASSES; k++)
        if (l->cls[k].nsites)
            qsort(l->cls[k].sites, l->cls[k].nsites, sizeof(*l->cls[k].sites), site_cmp);
}

/* ----------------------------------------------------------- collection */

static void collect_node(void *ctx, uint64_t id, uint64_t size, uint32_t site)
{
    struct leaks_collect *c = ctx;
    if (c->nnodes == c->nodes_cap) {
        c->nodes_cap = c->nodes_cap ? c->nodes_cap * 2 : 1024;
        c->nodes = xreallocarray(c->nodes, c->nodes_cap, sizeof(*c->nodes));
    }
    c->nodes[c->nnodes++] = (struct snap_node){.id = id, .size = size, .site = site};
}

static int node_cmp(const void *pa, const void *pb)
{
    const struct snap_node *a = pa, *b = pb;
    return a->id < b->id ? -1 : a->id > b->id;
}

/*
 * node_of's index: ids are cut into cells of 2^id_shift, no more cells than
 * nodes, and id_cell[k] is the first node whose id is in cell k or after.
 * A lookup is a cell and a short search inside it, not a binary search of
 * every node: on 10 M blocks that search was 30% of the analysis.
 */
static void index_ids(struct leaks_collect *c)
{
    uint64_t max = c->nnodes ? c->nodes[c->nnodes - 1].id : 0;
    unsigned shift = 0;
    while (shift < 63 && (max >> shift) > c->nnodes)
        shift++;
    size_t ncells = (size_t)(max >> shift) + 2;
    if (ncells > c->nid_cells) {
        free(c->id_cell);
        c->id_cell = xreallocarray(NULL, ncells, sizeof(*c->id_cell));
    }
    c->nid_cells = ncells;
    c->id_shift = shift;
    size_t v = 0;
    for (size_t k = 0; k < ncells; k++) {
        while (v < c->nnodes && (c->nodes[v].id >> shift) < k)
            v++;
        c->id_cell[k] = (uint32_t)v;
    }
}

/* The node of block id (1-based), or GRAPH_NONE when it was not live at BEGIN. */
static uint32_t node_of(const struct leaks_collect *c, uint64_t id)
{
    uint64_t k = id >> c->id_shift;
    if (k + 1 >= c->nid_cells)
        return GRAPH_NONE;
    size_t lo = c->id_cell[k], hi = c->id_cell[k + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->nodes[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nnodes && c->nodes[lo].id == id ? (uint32_t)(lo + 1) : GRAPH_NONE;
}

/*
 * Targets are anywhere among the nodes: each node_of is two cache misses
 * (its cell, the nodes it points to), independent from one edge to the
 * next, so the lookups of later edges are fetched ahead in two stages.
 * always_inline: gcc otherwise takes a function that only prefetches for
 * one without effects and drops the call (snapshot.c has the same note).
 */
#define PF_ID_CELL 32
#define PF_ID_NODE 16

static inline __attribute__((always_inline)) void
node_of_prefetch(const struct leaks_collect *c, const struct ht_snap_edge *edges, size_t i, size_t n)
{
    if (i + PF_ID_CELL < n) {
        uint64_t k = edges[i + PF_ID_CELL].to >> c->id_shift;
        if (k < c->nid_cells)
            __builtin_prefetch(&c->id_cell[k]);
    }
    if (i + PF_ID_NODE < n) {
        uint64_t k = edges[i + PF_ID_NODE].to >> c->id_shift;
        if (k + 1 < c->nid_cells && c->nodes)
            __builtin_prefetch(&c->nodes[c->id_cell[k]]);
    }
}

/* Where in its source block a pointer lies (0 for version 1 logs, which do
 * not say); beyond 4 GiB it saturates: no path step is that far in. */
static uint32_t edge_offset(const struct ht_snap_edge *r)
{
    return r->offset < UINT32_MAX ? (uint32_t)r->offset : UINT32_MAX;
}

static void refs_room(struct leaks_collect *c, size_t n)
{
    if (c->nrefs + n > c->refs_cap) {
        size_t cap = c->refs_cap ? c->refs_cap : 1024;
        while (cap < c->nrefs + n)
            cap *= 2;
        c->refs = xreallocarray(c->refs, cap, sizeof(*c->refs));
        c->refs_cap = cap;
    }
}

static void snapshot_begin(struct leaks_collect *c, const struct replay *rp,
                           const struct ht_event *ev)
{
    c->open = true;
    c->seq = ev->value;
    c->reason = ev->kind;
    c->time_us = ev->time_us;
    c->marks = rp->tot.marks_total;
    c->nnodes = c->nrefs = 0;
    c->unknown_refs = 0;
    c->nedges = c->nroots = 0;
    /* By id: the replay hands the old blocks first, in no order, then the
     * rest in order and all above them, so only the first part needs a sort
     * (sorting all 10 M nodes of a big heap took 0.4 s a snapshot). */
    size_t unordered = replay_each_block(rp, collect_node, c);
    if (unordered > 1)
        qsort(c->nodes, unordered, sizeof(*c->nodes), node_cmp);
    for (size_t i = 1; i < c->nnodes; i++) /* node_of's search needs it: make sure */
        if (c->nodes[i - 1].id >= c->nodes[i].id) {
            qsort(c->nodes, c->nnodes, sizeof(*c->nodes), node_cmp);
            break;
        }
    index_ids(c);
}

static void collect_root(struct leaks_collect *c, const struct retention_root *r)
{
    if (c->nroot_refs == c->roots_cap) {
        c->roots_cap = c->roots_cap ? c->roots_cap * 2 : 256;
        c->roots = xreallocarray(c->roots, c->roots_cap, sizeof(*c->roots));
    }
    c->roots[c->nroot_refs++] = *r;
}

/* Roots users can name and act on come first: among equally short paths
 * the first root edge wins (paths.h), and "global `table`" says more than
 * "a stack slot of main's thread" that happens to hold the same pointer. */
/* The frame a stack root lies in: its pc (see format.h SNAPSHOT_FRAMES). */
static void root_frame(const struct leaks_collect *c, struct retention_root *r)
{
    for (size_t i = 0; i < c->nframes; i++) {
        const struct snap_frame_at *f = &c->frames[i];
        if (f->thread != r->where || r->offset > f->below)
            continue;
        bool last = i + 1 == c->nframes || c->frames[i + 1].thread != f->thread;
        if (last || r->offset > c->frames[i + 1].below) {
            r->frame_ip = f->ip;
            r->frame_innermost = f->innermost;
            for (size_t k = 0; k < RETENTION_OUTER_FRAMES; k++) {
                size_t j = i + 1 + k;
                r->outer_ip[k] = j < c->nframes && c->frames[j].thread == f->thread
                                     ? c->frames[j].ip
                                     : 0;
            }
            return;
        }
    }
}

static int root_rank(uint32_t kind)
{
    switch (kind) {
    case HT_ROOT_GLOBAL: return 0;
    case HT_ROOT_TLS: return 1;
    case HT_ROOT_USER: return 2;
    case HT_ROOT_MAPPING: return 3;
    case HT_ROOT_PREATTACH: return 3;
    case HT_ROOT_STACK: return 4;
    case HT_ROOT_REGISTER: return 5;
    default: return 6;
    }
}

static int root_cmp(const void *pa, const void *pb)
{
    const struct retention_root *a = pa, *b = pb;
    int ra = root_rank(a->kind), rb = root_rank(b->kind);
    if (ra != rb)
        return ra - rb;
    /* stable within a kind: by place, which is the order they were read;
     * then by target (ignored blocks have no place) */
    if (a->where != b->where)
        return a->where < b->where ? -1 : 1;
    if (a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    return a->to < b->to ? -1 : a->to > b->to;
}

/*
 * The snapshot's graph: node 0 stands for the roots and its out-edges are
 * the root pointers in the order of c->roots (root_of[i] describes out-edge
 * i of node 0, which retention.c needs to name a path's root), then node v
 * is c->nodes[v - 1]. A pointer naming a block the replay did not hold
 * counts in *unknown and is left out.
 */
static int snapshot_graph(struct leaks_collect *c, struct graph *g, struct retention_root **root_of,
                          uint64_t *unknown)
{
    /* the root edges go after the block edges, in the same array */
    refs_room(c, c->nroot_refs + 1);
    struct graph_edge *edges = c->refs;
    *root_of = xcalloc(c->nroot_refs + 1, sizeof(**root_of));
    size_t nedges = c->nrefs, nroot_of = 0;
    *unknown = c->unknown_refs;
    if (c->nroot_refs > 1)
        qsort(c->roots, c->nroot_refs, sizeof(*c->roots), root_cmp);
    for (size_t i = 0; i < c->nroot_refs; i++)
        if (c->roots[i].kind == HT_ROOT_STACK)
            root_frame(c, &c->roots[i]);
    for (size_t i = 0; i < c->nroot_refs; i++) {
        uint32_t to = node_of(c, c->roots[i].to);
        if (to == GRAPH_NONE) {
            ++*unknown;
            continue;
        }
        (*root_of)[nroot_of++] = c->roots[i];
        edges[nedges++] = (struct graph_edge){.from = GRAPH_ROOT, .to = to,
                                              .interior = c->roots[i].interior};
    }
    int rc = graph_build(g, (uint32_t)c->nnodes + 1, edges, nedges);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < c->nnodes; i++)
        graph_set_node(g, (uint32_t)(i + 1), c->nodes[i].size, c->nodes[i].site);
    return 0;
}

struct classify_job {
    const struct graph *g;
    uint8_t *cls;
};

static void *classify_run(void *arg)
{
    struct classify_job *job = arg;
    leaks_classify(job->g, job->cls);
    return NULL;
}

static void snapshot_end(struct leaks *l, struct leaks_collect *c, const struct replay *rp,
                         const struct ht_event *ev)
{
    c->open = false;
    if (c->nnodes >= GRAPH_NONE - 1)
        return; /* beyond the graph's node ids: leave the previous result */
    struct graph g;
    struct retention_root *root_of;
    uint64_t unknown;
    if (snapshot_graph(c, &g, &root_of, &unknown) != 0) {
        free(root_of);
        return;
    }
    uint8_t *cls = xcalloc(c->nnodes + 1, 1);
    /* The leak classes and the dominators only read the graph: on a second
     * core, they take the time of the longer (the dominators) */
    struct classify_job job = {&g, cls};
    pthread_t worker;
    bool apart = pthread_create(&worker, NULL, classify_run, &job) == 0;
    if (!apart)
        leaks_classify(&g, cls);
    const struct retention_snapshot summary = {
        .seq = c->seq, .reason = c->reason, .time_us = c->time_us, .marks = c->marks,
        .blocks = c->nnodes,
        .edges = c->nedges, .roots = c->nroots, .pause_ns = ht_snap_end_pause_ns(ev),
        .scan_ns = ht_snap_end_scan_ns(ev), .scan_cpu_ns = ht_snap_end_scan_cpu_ns(ev),
        .index_cpu_ns = ht_snap_end_index_cpu_ns(ev)};
    retention_add_snapshot(l->retention, rp, &g, c->nodes, root_of, &summary);
    if (apart)
        pthread_join(worker, NULL);
    graph_release(&g);
    free(root_of);
    result_clear(l);
    result_build(l, c, cls);
    free(cls);
    l->valid = true;
    l->seq = c->seq;
    l->reason = c->reason;
    l->time_us = c->time_us;
    l->blocks = c->nnodes;
    l->edges = c->nedges;
    l->roots = c->nroots;
    l->unknown_refs = unknown;
}

static void leaks_observe(struct replay_listener *self, struct replay *rp,
                          const struct ht_event *ev)
{
    struct leaks **lp = self->ctx;
    if (!*lp) {
        if (ev->tag != HT_REC_SNAPSHOT_BEGIN && ev->tag != HT_REC_IGNORE &&
            ev->tag != HT_REC_THREAD_NAME && ev->tag != HT_REC_THREAD_START)
            return;
        *lp = xcalloc(1, sizeof(**lp));
        (*lp)->c = xcalloc(1, sizeof(*(*lp)->c));
        (*lp)->retention = retention_create();
        (*lp)->retention->want_domtree = rp->opts.domtree;
    }
    struct leaks *l = *lp;
    struct leaks_collect *c = l->c;
    switch (ev->tag) {
    case HT_REC_THREAD_START: /* the name, when the thread had one by then */
    case HT_REC_THREAD_NAME:
        if (ev->str_len)
            retention_thread_name(l->retention, ev->value, ev->str, ev->str_len);
        break;
    case HT_REC_SNAPSHOT_BEGIN:
        snapshot_begin(c, rp, ev);
        c->nroot_refs = c->nframes = 0;
        break;
    case HT_REC_SNAPSHOT_FRAMES:
        if (!c->open)
            break;
        for (size_t i = 0; i < ev->nframes; i++) {
            if (c->nframes == c->frames_cap) {
                c->frames_cap = c->frames_cap ? c->frames_cap * 2 : 64;
                c->frames = xreallocarray(c->frames, c->frames_cap, sizeof(*c->frames));
            }
            c->frames[c->nframes++] = (struct snap_frame_at){
                .thread = ev->value, .below = ev->frames[i].below, .ip = ev->frames[i].ip,
                .innermost = i == 0};
        }
        break;
    case HT_REC_SNAPSHOT_EDGES:
        if (!c->open)
            break;
        if (!ev->nedges)
            break;
        /* as graph edges between nodes at once: half the memory of a copy */
        refs_room(c, ev->nedges);
        for (size_t i = 0; i < ev->nedges; i++) {
            node_of_prefetch(c, ev->edges, i, ev->nedges);
            const struct ht_snap_edge *r = &ev->edges[i];
            uint32_t from = node_of(c, r->from), to = node_of(c, r->to);
            if (from == GRAPH_NONE || to == GRAPH_NONE)
                c->unknown_refs++;
            else
                c->refs[c->nrefs++] = (struct graph_edge){
                    .from = from, .to = to, .interior = r->interior, .offset = edge_offset(r)};
        }
        c->nedges += ev->nedges;
        break;
    case HT_REC_SNAPSHOT_ROOTS:
        if (!c->open)
            break;
        c->modgen = rp->nmodgens ? rp->nmodgens - 1 : 0;
        for (size_t i = 0; i < ev->nroots; i++) {
            const struct ht_snap_root *r = &ev->roots[i];
            collect_root(c, &(struct retention_root){
                                .kind = (uint32_t)r->kind, .modgen = c->modgen, .where = r->where,
                                .offset = r->offset, .to = r->to, .interior = r->interior});
        }
        c->nroots += ev->nroots;
        break;
    case HT_REC_IGNORE:
        if (c->nignored == c->ignored_cap) {
            c->ignored_cap = c->ignored_cap ? c->ignored_cap * 2 : 16;
            c->ignored = xreallocarray(c->ignored, c->ignored_cap, sizeof(*c->ignored));
        }
        c->ignored[c->nignored++] = ev->addr;
        break;
    case HT_REC_SNAPSHOT_END:
        if (!c->open)
            break;
        /* An ignored block (LSan's ignore_object) is held as if by a root:
         * neither it nor what it reaches is a leak. */
        for (size_t i = 0; i < c->nignored; i++)
            if (node_of(c, c->ignored[i]) != GRAPH_NONE)
                collect_root(c, &(struct retention_root){.kind = RETENTION_ROOT_IGNORED,
                                                         .to = c->ignored[i]});
        snapshot_end(l, c, rp, ev);
        break;
    default: break;
    }
}

struct replay_listener leaks_listener(struct leaks **out)
{
    struct replay_listener l = {.ctx = out, .on_event = leaks_observe, .wake_us = UINT64_MAX};
    static const uint8_t tags[] = {HT_REC_SNAPSHOT_BEGIN, HT_REC_SNAPSHOT_EDGES,
                                   HT_REC_SNAPSHOT_ROOTS, HT_REC_SNAPSHOT_FRAMES,
                                   HT_REC_SNAPSHOT_END,   HT_REC_IGNORE,
                                   HT_REC_THREAD_NAME,    HT_REC_THREAD_START};
    for (size_t i = 0; i < sizeof(tags); i++)
        replay_listener_want(&l, tags[i], true);
    return l;
}

struct model_exit_lost leaks_exit_lost(const struct leaks *l)
{
    if (!l || !l->valid || l->reason != HT_SNAP_EXIT)
        return (struct model_exit_lost){0};
    return (struct model_exit_lost){
        .valid = true,
        .bytes = l->cls[LEAK_DEFINITELY].bytes + l->cls[LEAK_INDIRECTLY].bytes,
        .blocks = l->cls[LEAK_DEFINITELY].blocks + l->cls[LEAK_INDIRECTLY].blocks};
}

void leaks_free(struct leaks *l)
{
    if (!l)
        return;
    result_clear(l);
    retention_free(l->retention);
    if (l->c) {
        free(l->c->nodes);
        free(l->c->id_cell);
        free(l->c->refs);
        free(l->c->roots);
        free(l->c->frames);
        free(l->c->ignored);
        free(l->c);
    }
    free(l);
}
