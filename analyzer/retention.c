/* SPDX-License-Identifier: MIT */
/*
 * retention.c - see retention.h.
 *
 * Per snapshot: the dominator tree and retained sizes (dominators.c), the
 * top sites by retained bytes. For the snapshot with the most reachable
 * bytes so far, also the paths: one breadth-first search from the roots
 * (paths.c) serves every retainer, whose path leads to the site's block
 * with the largest retained size (a head of the site: a same-site block
 * dominating it would retain more).
 */
#include "retention.h"

#include <stdlib.h>
#include <string.h>

#include "dominators.h"
#include "htab.h"
#include "paths.h"
#include "replay.h"
#include "symbolize.h"
#include "userframe.h"
#include "xalloc.h"

struct retention *retention_create(void)
{
    return xcalloc(1, sizeof(struct retention));
}

/* A copy of a symbolized frame that lives as long as r (its strings are the
 * symbolizer's, which outlives the report). */
static const struct sym_frame *retention_keep_frame(struct retention *r, const struct sym_frame *f)
{
    r->kept_frames = xreallocarray(r->kept_frames, r->nkept_frames + 1, sizeof(struct sym_frame *));
    struct sym_frame *copy = xmalloc(sizeof(*copy));
    *copy = *f;
    r->kept_frames[r->nkept_frames++] = copy;
    return copy;
}

void retention_thread_name(struct retention *r, uint64_t thread, const char *name, size_t len)
{
    if (thread >= 1u << 20) /* a bad log's index: not worth an array that big */
        return;
    if (thread >= r->nthread_names) {
        size_t n = (size_t)thread + 1;
        r->thread_names = xreallocarray(r->thread_names, n, sizeof(char *));
        memset(r->thread_names + r->nthread_names, 0, (n - r->nthread_names) * sizeof(char *));
        r->nthread_names = n;
    }
    free(r->thread_names[thread]);
    r->thread_names[thread] = xstrndup(name, len);
}

void retention_path_free(struct retention_path *p)
{
    free(p->steps);
    memset(p, 0, sizeof(*p));
}

static void top_clear(struct retention *r)
{
    for (size_t i = 0; i < r->ntop; i++)
        retention_path_free(&r->top[i].path);
    free(r->top);
    r->top = NULL;
    r->ntop = 0;
    for (size_t i = 0; i < r->nsite_paths; i++) {
        retention_path_free(&r->site_paths[i].path);
        for (uint32_t k = 0; k < r->site_paths[i].nholders; k++)
            retention_path_free(&r->site_paths[i].holders[k].path);
    }
    free(r->site_paths);
    r->site_paths = NULL;
    r->nsite_paths = 0;
    domtree_release(&r->domtree);
}

/* The step for graph node v; `next_edge` is the edge to the next node or GRAPH_NONE. */
static struct retention_step step_of(const struct graph *g, const struct snap_node *nodes,
                                     uint32_t v, uint32_t in_edge, uint32_t next_edge)
{
    const struct snap_node *n = &nodes[v - 1];
    return (struct retention_step){
        .block_id = n->id, .stack_id = n->site, .size = n->size,
        .offset = next_edge != GRAPH_NONE ? graph_edge_offset(g, next_edge) : 0,
        .interior = graph_edge_interior(g, in_edge)};
}

/* Turns the shortest path to `target` into root + steps, eliding the middle of long ones. */
bool retention_path_build(const struct graph *g, const uint32_t *via,
                          const struct snap_node *nodes, const struct retention_root *root_of,
                          uint32_t target, struct retention_path *out)
{
    memset(out, 0, sizeof(*out));
    struct path p;
    if (target == GRAPH_ROOT || path_from_tree(g, via, target, &p) != 0)
        return false;
    uint32_t nblocks = p.len - 1; /* nodes[1..len-1] */
    uint32_t root_edge = via[p.nodes[1]];
    out->root = root_of[root_edge - graph_out_begin(g, GRAPH_ROOT)];
    uint32_t keep = nblocks > RETENTION_PATH_MAX ? RETENTION_PATH_MAX : nblocks;
    out->steps = xcalloc(keep, sizeof(*out->steps));
    out->nsteps = keep;
    out->elided_after = keep;
    out->elided = nblocks - keep;
    for (uint32_t k = 0; k < keep; k++) {
        /* the first half from the root, the second half up to the target */
        uint32_t i = k < keep / 2 || nblocks == keep ? k + 1 : p.len - (keep - k);
        uint32_t next = i + 1 < p.len ? via[p.nodes[i + 1]] : GRAPH_NONE;
        out->steps[k] = step_of(g, nodes, p.nodes[i], via[p.nodes[i]], next);
    }
    if (out->elided)
        out->elided_after = keep / 2;
    path_release(&p);
    return true;
}

static int site_path_cmp(const void *pa, const void *pb)
{
    const struct retention_site_path *a = pa, *b = pb;
    if (a->live_bytes != b->live_bytes)
        return a->live_bytes > b->live_bytes ? -1 : 1;
    return a->stack_id < b->stack_id ? -1 : a->stack_id > b->stack_id;
}

/* A holder's identity (retention_holder): the root's kind and place (a
 * module, a thread) and the site of the block it points to. Never 0. */
static uint64_t holder_key(const struct retention_root *r, uint32_t first_site)
{
    uint64_t where = r->kind == HT_ROOT_GLOBAL || r->kind == HT_ROOT_STACK ||
                             r->kind == HT_ROOT_TLS || r->kind == HT_ROOT_REGISTER
                         ? r->where
                         : 0;
    uint64_t h = (uint64_t)r->kind * 0x9E3779B97F4A7C15ull;
    h ^= (where + 1) * 0xC2B2AE3D27D4EB4Full;
    h ^= ((uint64_t)first_site + 1) * 0x165667B19E3779F9ull;
    h ^= h >> 29;
    return h | 1;
}

struct holder_count {
    uint64_t key; /* holder_key, to tell a hash collision apart */
    uint64_t bytes, blocks;
    uint32_t site_at; /* index in all[] */
    uint32_t nearest; /* the first node met (BFS order: nearest the root) */
};

/*
 * The holders of the kept sites: for each reachable node, the holder its
 * BFS path starts with; per (site, holder) the bytes and blocks; per site
 * the RETENTION_HOLDERS largest, with a path each.
 */
static void holders_build(struct retention_site_path *all, const struct htab *index,
                          const struct graph *g, const uint32_t *via, const uint32_t *order,
                          uint32_t nvisited, const struct snap_node *nodes,
                          const struct retention_root *root_of)
{
    uint32_t *first = xmalloc((size_t)g->nnodes * sizeof(uint32_t)); /* the root's block */
    uint32_t root_begin = graph_out_begin(g, GRAPH_ROOT);
    struct htab pairs; /* hash(site, holder) -> holder_count */
    htab_init(&pairs, sizeof(struct holder_count));
    for (uint32_t j = 1; j < nvisited; j++) {
        uint32_t v = order[j];
        uint32_t src = graph_edge_source(g, via[v]);
        first[v] = src == GRAPH_ROOT ? v : first[src]; /* src came earlier in BFS order */
        size_t at = *(const size_t *)htab_get(index, (uint64_t)graph_site(g, v) + 1);
        if (at == SIZE_MAX)
            continue;
        const struct retention_root *r = &root_of[via[first[v]] - root_begin];
        uint64_t key = holder_key(r, graph_site(g, first[v]));
        uint64_t slot = (key ^ ((uint64_t)at * 0xD6E8FEB86659FD93ull)) | 1;
        bool existed;
        struct holder_count *hc = htab_put(&pairs, slot, &existed);
        if (!existed)
            *hc = (struct holder_count){.key = key, .site_at = (uint32_t)at, .nearest = v};
        else if (hc->key != key || hc->site_at != at)
            continue; /* a collision: this block counts for no holder */
        hc->bytes += graph_size(g, v);
        hc->blocks++;
    }
    /* per site, the largest holders by bytes (ties: more blocks first; the
     * table's slot order, which follows the keys, decides the rest) */
    for (size_t i = 0; i < pairs.cap; i++) {
        if (!pairs.keys[i])
            continue;
        const struct holder_count *hc = htab_slot_val(&pairs, i);
        struct retention_site_path *sp = &all[hc->site_at];
        uint32_t k = sp->nholders;
        while (k > 0 && (sp->holders[k - 1].bytes < hc->bytes ||
                         (sp->holders[k - 1].bytes == hc->bytes &&
                          sp->holders[k - 1].blocks < hc->blocks)))
            k--;
        if (k >= RETENTION_HOLDERS)
            continue;
        uint32_t last = sp->nholders < RETENTION_HOLDERS ? sp->nholders : RETENTION_HOLDERS - 1;
        if (sp->nholders == RETENTION_HOLDERS)
            retention_path_free(&sp->holders[last].path);
        memmove(&sp->holders[k + 1], &sp->holders[k], (last - k) * sizeof(sp->holders[0]));
        sp->holders[k] = (struct retention_holder){.bytes = hc->bytes, .blocks = hc->blocks};
        if (!retention_path_build(g, via, nodes, root_of, hc->nearest, &sp->holders[k].path))
            memset(&sp->holders[k].path, 0, sizeof(sp->holders[k].path));
        if (sp->nholders < RETENTION_HOLDERS)
            sp->nholders++;
    }
    htab_release(&pairs);
    free(first);
}

/*
 * For the RETENTION_SITE_PATHS sites with the most live bytes: reachable
 * bytes and the path to the site's block nearest a root (BFS order), so a
 * growth finding can say what keeps its site's blocks alive, and the
 * holders that carry most of them (holders_build).
 */
static void site_paths_build(struct retention *r, const struct graph *g, const uint32_t *via,
                             const uint32_t *order, uint32_t nvisited,
                             const struct snap_node *nodes, const struct retention_root *root_of)
{
    struct htab index; /* site + 1 -> position in all[] */
    htab_init(&index, sizeof(size_t));
    struct retention_site_path *all = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t v = 1; v < g->nnodes; v++) {
        bool existed;
        size_t *at = htab_put(&index, (uint64_t)graph_site(g, v) + 1, &existed);
        if (!existed) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                all = xreallocarray(all, cap, sizeof(*all));
            }
            *at = n;
            all[n++] = (struct retention_site_path){.stack_id = graph_site(g, v)};
        }
        all[*at].live_bytes += graph_size(g, v);
    }
    if (n > 1)
        qsort(all, n, sizeof(*all), site_path_cmp);
    size_t keep = n < RETENTION_SITE_PATHS ? n : RETENTION_SITE_PATHS;
    for (size_t i = 0; i < n; i++) /* re-index after the sort; -1: not kept */
        *(size_t *)htab_put(&index, all[i].stack_id + 1, NULL) = i < keep ? i : SIZE_MAX;
    for (uint32_t j = 1; j < nvisited; j++) {
        uint32_t v = order[j];
        size_t at = *(const size_t *)htab_get(&index, (uint64_t)graph_site(g, v) + 1);
        if (at == SIZE_MAX)
            continue;
        all[at].reachable_bytes += graph_size(g, v);
        all[at].reachable_blocks++;
        if (!all[at].has_path) /* the first met is the nearest a root */
            all[at].has_path = retention_path_build(g, via, nodes, root_of, v, &all[at].path);
    }
    holders_build(all, &index, g, via, order, nvisited, nodes, root_of);
    htab_release(&index);
    r->site_paths = all;
    r->nsite_paths = keep;
}

const struct retention_site_path *retention_site_path(const struct retention *r,
                                                      uint64_t stack_id)
{
    for (size_t i = 0; r && i < r->nsite_paths; i++)
        if (r->site_paths[i].stack_id == stack_id)
            return &r->site_paths[i];
    return NULL;
}

/*
 * What freeing every block of `site` would release: the reachable bytes and
 * blocks a walk from the roots no longer reaches when it may not enter them.
 * The sum of the site's heads' dominator trees says the same unless its
 * blocks share what they hold: an array caught being resized (old and new
 * both point at every element, so neither dominates one). seen and queue:
 * g->nnodes each, seen all 0 on entry.
 */
static void site_release(const struct graph *g, uint32_t site, uint64_t reach_bytes,
                         uint64_t reach_blocks, uint8_t *seen, uint32_t *queue, uint64_t *bytes,
                         uint64_t *blocks)
{
    uint32_t head = 0, tail = 0;
    uint64_t kept_bytes = 0, kept_blocks = 0;
    queue[tail++] = GRAPH_ROOT;
    seen[GRAPH_ROOT] = 1;
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t e = graph_out_begin(g, v); e < graph_out_end(g, v); e++) {
            uint32_t w = graph_edge_target(g, e);
            if (seen[w])
                continue;
            seen[w] = 1;
            if (graph_site(g, w) == site)
                continue;
            kept_bytes += graph_size(g, w);
            kept_blocks++;
            queue[tail++] = w;
        }
    }
    *bytes = reach_bytes - kept_bytes;
    *blocks = reach_blocks - kept_blocks;
}

static int site_retained_cmp(const void *pa, const void *pb)
{
    const struct dom_site *a = pa, *b = pb;
    if (a->retained != b->retained)
        return a->retained > b->retained ? -1 : 1;
    return a->site < b->site ? -1 : a->site > b->site;
}

/* The top sites' retained sizes as freeing all their blocks would release
 * (site_release), for those with more than one head among the first
 * RETENTION_RELEASE_WALKS (a walk of the whole graph each), re-sorted. */
static void sites_by_release(const struct graph *g, const struct dom *d, struct dom_site *sites,
                             size_t nsites)
{
    size_t k = nsites < RETENTION_TOP ? nsites : RETENTION_TOP, walks = 0;
    uint8_t *seen = NULL;
    uint32_t *queue = NULL;
    for (size_t i = 0; i < k && walks < RETENTION_RELEASE_WALKS; i++) {
        if (sites[i].heads < 2)
            continue; /* one head: its dominator tree is what the site holds */
        if (!seen) {
            seen = xmalloc(g->nnodes);
            queue = xmalloc((size_t)g->nnodes * sizeof(uint32_t));
        }
        memset(seen, 0, g->nnodes);
        uint64_t bytes, blocks;
        site_release(g, sites[i].site, d->retained[GRAPH_ROOT], d->nreach - 1, seen, queue,
                     &bytes, &blocks);
        walks++;
        if (bytes > sites[i].retained) {
            sites[i].retained = bytes;
            sites[i].retained_blocks = blocks;
        }
    }
    free(seen);
    free(queue);
    qsort(sites, k, sizeof(*sites), site_retained_cmp);
}

/* Fills r->top from this snapshot's top sites. */
static void top_build(struct retention *r, const struct graph *g, const struct dom *d,
                      const struct snap_node *nodes, const struct retention_root *root_of,
                      const struct dom_site *sites, size_t nsites)
{
    top_clear(r);
    size_t k = nsites < RETENTION_TOP ? nsites : RETENTION_TOP;
    if (!k || g->nnodes < 2)
        return;
    r->top = xcalloc(k, sizeof(*r->top));
    r->ntop = k;
    /* per top site: its block that retains most, and the site's own bytes */
    struct htab index; /* site + 1 -> position in top */
    htab_init(&index, sizeof(size_t));
    uint32_t *best = xmalloc(k * sizeof(uint32_t));
    for (size_t i = 0; i < k; i++) {
        *(size_t *)htab_put(&index, (uint64_t)sites[i].site + 1, NULL) = i;
        best[i] = GRAPH_NONE;
        r->top[i] = (struct retainer){
            .stack_id = sites[i].site, .retained_bytes = sites[i].retained,
            .retained_blocks = sites[i].retained_blocks, .blocks = sites[i].blocks,
            .heads = sites[i].heads};
    }
    /* in order of distance from the roots: among heads that retain the
     * same, the one with the shortest path wins */
    uint32_t *order, nvisited;
    uint32_t *via = path_bfs_tree(g, &order, &nvisited);
    for (uint32_t j = 1; j < nvisited; j++) {
        uint32_t v = order[j];
        const size_t *at = htab_get(&index, (uint64_t)graph_site(g, v) + 1);
        if (!at)
            continue;
        r->top[*at].bytes += graph_size(g, v);
        if (best[*at] == GRAPH_NONE || d->retained[v] > d->retained[best[*at]])
            best[*at] = v;
    }
    htab_release(&index);
    site_paths_build(r, g, via, order, nvisited, nodes, root_of);
    if (r->want_domtree)
        domtree_build(&r->domtree, g, d, via, nodes, root_of);
    free(order);
    for (size_t i = 0; i < k; i++) {
        r->top[i].inside = -1;
        if (best[i] == GRAPH_NONE)
            continue;
        r->top[i].has_path = retention_path_build(g, via, nodes, root_of, best[i], &r->top[i].path);
        /* nested in an earlier retainer: its head dominates ours */
        for (uint32_t u = d->idom[best[i]]; u != GRAPH_ROOT && r->top[i].inside < 0; u = d->idom[u])
            for (size_t j = 0; j < i; j++)
                if (best[j] == u) {
                    r->top[i].inside = (int32_t)j;
                    break;
                }
    }
    free(via);
    free(best);
}

void retention_add_snapshot(struct retention *r, const struct replay *rp, const struct graph *g,
                            const struct snap_node *nodes, const struct retention_root *root_of,
                            const struct retention_snapshot *snap)
{
    struct dom d;
    dom_compute(&d, g);
    dom_retained_sizes(&d, g);
    struct dom_site *sites = xcalloc(RETENTION_SITE_SERIES, sizeof(*sites));
    size_t nsites = dom_top_sites(&d, g, RETENTION_SITE_SERIES, sites);

    if (r->nsnaps == r->snaps_cap) {
        r->snaps_cap = r->snaps_cap ? r->snaps_cap * 2 : 16;
        r->snaps = xreallocarray(r->snaps, r->snaps_cap, sizeof(*r->snaps));
    }
    struct retention_snapshot *s = &r->snaps[r->nsnaps];
    *s = *snap;
    s->live_bytes = 0;
    for (uint32_t v = 1; v < g->nnodes; v++)
        s->live_bytes += graph_size(g, v);
    s->reachable_bytes = d.retained[GRAPH_ROOT];
    s->reachable_blocks = d.nreach - 1;
    s->nsites = (uint32_t)nsites;
    s->sites = xcalloc(nsites ? nsites : 1, sizeof(*s->sites));
    for (size_t i = 0; i < nsites; i++)
        s->sites[i] = (struct retention_site_value){
            .stack_id = sites[i].site, .retained_bytes = sites[i].retained,
            .retained_blocks = sites[i].retained_blocks};

    /* the paths are worth computing for the snapshot users look at: the largest */
    if (r->nsnaps == 0 || s->reachable_bytes >= r->snaps[r->top_snapshot].reachable_bytes) {
        r->top_snapshot = r->nsnaps;
        sites_by_release(g, &d, sites, nsites);
        top_build(r, g, &d, nodes, root_of, sites, nsites);
    }
    tables_add_snapshot(&r->tables, rp, g, &d, nodes, root_of, (uint32_t)r->nsnaps, snap->time_us);
    r->nsnaps++;
    free(sites);
    dom_release(&d);
}

static void name_root(struct retention *r, struct retention_root *root, struct symbolizer *sym,
                  const struct replay *rp)
{
    switch (root->kind) {
    case HT_ROOT_GLOBAL:
        if (root->modgen < rp->nmodgens) {
            const struct replay_modgen *gen = &rp->modgens[root->modgen];
            if (root->where < gen->count)
                root->module = gen->mods[root->where].path;
            if (sym)
                root->name = sym_data(sym, gen, root->where, root->offset, &root->name_offset);
        }
        break;
    case HT_ROOT_STACK:
    case HT_ROOT_TLS:
    case HT_ROOT_REGISTER:
        if (root->where < r->nthread_names)
            root->name = r->thread_names[root->where];
        if (root->frame_ip && sym && root->modgen < rp->nmodgens) {
            const struct sym_frame *f;
            size_t n = sym_lookup(sym, &rp->modgens[root->modgen], root->modgen, root->frame_ip,
                                  root->frame_innermost, &f);
            /* a system frame (a libc wait spans its callers' frames when it
             * keeps no frame pointer): the first of the program's own out */
            struct sym_frame chosen = f[n - 1]; /* sym_lookup's array: good until the next */
            for (size_t k = 0; userframe_is_system(&chosen) && k < RETENTION_OUTER_FRAMES &&
                               root->outer_ip[k];
                 k++) {
                const struct sym_frame *g;
                size_t gn = sym_lookup(sym, &rp->modgens[root->modgen], root->modgen,
                                       root->outer_ip[k], false, &g);
                if (!userframe_is_system(&g[gn - 1]))
                    chosen = g[gn - 1];
            }
            /* the function itself, not what was inlined into it; none when
             * the walk found no frame of the program's (then the thread names it) */
            root->frame = userframe_is_system(&chosen) ? NULL : retention_keep_frame(r, &chosen);
        }
        break;
    default: break;
    }
}

void retention_finish(struct retention *r, struct symbolizer *sym, const struct replay *rp)
{
    tables_finish(&r->tables);
    for (size_t i = 0; i < r->tables.ntables; i++)
        if (r->tables.tables[i].path)
            name_root(r, &r->tables.tables[i].path->root, sym, rp);
    for (size_t i = 0; i < r->tables.nchains; i++)
        if (r->tables.chains[i].path)
            name_root(r, &r->tables.chains[i].path->root, sym, rp);
    for (size_t i = 0; i < r->ntop; i++)
        if (r->top[i].has_path)
            name_root(r, &r->top[i].path.root, sym, rp);
    for (size_t i = 0; i < r->nsite_paths; i++) {
        if (r->site_paths[i].has_path)
            name_root(r, &r->site_paths[i].path.root, sym, rp);
        for (uint32_t k = 0; k < r->site_paths[i].nholders; k++)
            if (r->site_paths[i].holders[k].path.nsteps)
                name_root(r, &r->site_paths[i].holders[k].path.root, sym, rp);
    }
    for (size_t i = 0; i < r->domtree.n; i++)
        if (r->domtree.nodes[i].path)
            name_root(r, &r->domtree.nodes[i].path->root, sym, rp);
}

void retention_free(struct retention *r)
{
    if (!r)
        return;
    top_clear(r);
    tables_release(&r->tables);
    for (size_t i = 0; i < r->nsnaps; i++)
        free(r->snaps[i].sites);
    free(r->snaps);
    for (size_t i = 0; i < r->nthread_names; i++)
        free(r->thread_names[i]);
    for (size_t i = 0; i < r->nkept_frames; i++)
        free(r->kept_frames[i]);
    free(r->kept_frames);
    free(r->thread_names);
    free(r);
}
