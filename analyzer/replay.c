/* SPDX-License-Identifier: MIT */
/*
 * replay.c - see replay.h.
 *
 * Lazy peak snapshot: peak_epoch grows by one whenever the heap reaches a
 * new maximum. A site remembers the epoch of its last change. Before a site
 * changes, if its last change is older than the current epoch, its live
 * bytes are exactly what it held at the latest peak, so they are saved as
 * at_peak_bytes for that epoch. At the end, a site untouched since the last
 * peak holds its peak share in live_bytes.
 *
 * Timeline: buckets of bucket_us microseconds keep the maximum heap and mmap
 * bytes and the last RSS seen; when they would exceed 2 * SAMPLES, pairs
 * merge and the bucket width doubles, so memory stays fixed whatever the
 * duration.
 */
#include "replay.h"
#include "sampling.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define OWNER_NESTING 8
#define BUCKETS_MAX (2 * REPLAY_TIMELINE_SAMPLES)

struct replay_thread {
    uint64_t last_alloc; /* address of this thread's last event if it was an allocation */
    uint64_t stack_bytes;           /* its stack mapping, from THREAD_START */
    bool released, held;            /* joined/detached; exited unreleased (counted) */
    uint32_t owner_stack[OWNER_NESTING];
    uint32_t owner_depth;
};

struct replay_owner {
    uint64_t handle, bytes, blocks;
    uint32_t group;
    bool used, live;
    uint32_t next_free;
};

struct replay_bucket {
    uint64_t heap_bytes, mmap_bytes, rss_bytes;
    uint64_t owner_handles[HT_OWNER_KIND_COUNT_], owner_bytes[HT_OWNER_KIND_COUNT_];
    bool used;
};

/* Handles and the bytes behind them per owner kind, as of now (like RSS). */
static void bucket_owners(struct replay_bucket *b, const struct replay *rp)
{
    memcpy(b->owner_handles, rp->tot.owner_handles, sizeof(b->owner_handles));
    memcpy(b->owner_bytes, rp->tot.owner_bytes, sizeof(b->owner_bytes));
}

/* ------------------------------------------------------------------ setup */

struct replay *replay_create(const struct replay_opts *opts)
{
    struct replay *rp = xcalloc(1, sizeof(*rp));
    rp->opts = *opts;
    blockmap_init(&rp->blocks);
    htab_init(&rp->threads, sizeof(struct replay_thread));
    htab_init(&rp->handles, sizeof(uint32_t));
    htab_init(&rp->regions, sizeof(uint64_t));
    htab_init(&rp->group_index, sizeof(uint64_t));
    rp->releases = -1;
    rp->nsites = 1; /* site 0: allocations without a stack */
    rp->sites_cap = 64;
    rp->sites = xcalloc(rp->sites_cap, sizeof(*rp->sites));
    rp->stacks = xcalloc(rp->sites_cap, sizeof(*rp->stacks));
    rp->buckets = xcalloc(BUCKETS_MAX, sizeof(*rp->buckets));
    rp->bucket_us = 1000;
    rp->want_wake_us[0] = rp->want_wake_us[1] = UINT64_MAX; /* no listener yet */
    return rp;
}

static bool in_window(const struct replay *rp, uint64_t t)
{
    return t >= rp->opts.from_us;
}

/* --------------------------------------------------------------- timeline */

static void timeline_note(struct replay *rp, uint64_t t)
{
    /* Fast path: t falls in the last bucket (nearly always: time only grows). */
    if (rp->nbuckets && t >= rp->bucket_last_us && t - rp->bucket_last_us < rp->bucket_us) {
        struct replay_bucket *b = &rp->buckets[rp->nbuckets - 1];
        if (rp->tot.heap_bytes > b->heap_bytes)
            b->heap_bytes = rp->tot.heap_bytes;
        if (rp->tot.mmap_bytes > b->mmap_bytes)
            b->mmap_bytes = rp->tot.mmap_bytes;
        b->rss_bytes = rp->tot.rss_bytes;
        if (rp->ngroups) /* only programs with owner handles pay for this */
            bucket_owners(b, rp);
        return;
    }
    uint64_t i = t / rp->bucket_us;
    while (i >= BUCKETS_MAX) {
        for (uint64_t k = 0; k < BUCKETS_MAX / 2; k++) {
            struct replay_bucket *a = &rp->buckets[2 * k], *b = &rp->buckets[2 * k + 1];
            struct replay_bucket m = *a;
            if (b->used) {
                m.heap_bytes = a->heap_bytes > b->heap_bytes ? a->heap_bytes : b->heap_bytes;
                m.mmap_bytes = a->mmap_bytes > b->mmap_bytes ? a->mmap_bytes : b->mmap_bytes;
                m.rss_bytes = b->rss_bytes;
                memcpy(m.owner_handles, b->owner_handles, sizeof(m.owner_handles));
                memcpy(m.owner_bytes, b->owner_bytes, sizeof(m.owner_bytes));
                m.used = true;
            }
            rp->buckets[k] = m;
        }
        memset(rp->buckets + BUCKETS_MAX / 2, 0, BUCKETS_MAX / 2 * sizeof(*rp->buckets));
        rp->nbuckets = (rp->nbuckets + 1) / 2;
        rp->bucket_us *= 2;
        i = t / rp->bucket_us;
    }
    /* buckets without events carry the state forward */
    struct replay_bucket prev = rp->nbuckets ? rp->buckets[rp->nbuckets - 1]
                                              : (struct replay_bucket){0};
    for (uint64_t k = rp->nbuckets; k < i; k++) {
        rp->buckets[k] = prev;
        rp->buckets[k].heap_bytes = rp->tot.heap_bytes;
        rp->buckets[k].mmap_bytes = rp->tot.mmap_bytes;
        rp->buckets[k].rss_bytes = rp->tot.rss_bytes;
        bucket_owners(&rp->buckets[k], rp);
        rp->buckets[k].used = true;
    }
    if (i + 1 > rp->nbuckets)
        rp->nbuckets = i + 1;
    struct replay_bucket *b = &rp->buckets[i];
    if (!b->used || rp->tot.heap_bytes > b->heap_bytes)
        b->heap_bytes = rp->tot.heap_bytes;
    if (!b->used || rp->tot.mmap_bytes > b->mmap_bytes)
        b->mmap_bytes = rp->tot.mmap_bytes;
    b->rss_bytes = rp->tot.rss_bytes;
    bucket_owners(b, rp);
    b->used = true;
    rp->bucket_last_us = (rp->nbuckets - 1) * rp->bucket_us;
}

static void timeline_finish(struct replay *rp)
{
    uint64_t n = rp->nbuckets, k = (n + REPLAY_TIMELINE_SAMPLES - 1) / REPLAY_TIMELINE_SAMPLES;
    if (k == 0)
        k = 1;
    rp->timeline = xcalloc(n / k + 1, sizeof(*rp->timeline));
    for (uint64_t i = 0; i < n; i += k) {
        struct replay_sample *s = &rp->timeline[rp->ntimeline++];
        s->t_us = i * rp->bucket_us;
        for (uint64_t j = i; j < i + k && j < n; j++) {
            const struct replay_bucket *b = &rp->buckets[j];
            if (b->heap_bytes > s->heap_bytes)
                s->heap_bytes = b->heap_bytes;
            if (b->mmap_bytes > s->mmap_bytes)
                s->mmap_bytes = b->mmap_bytes;
            s->rss_bytes = b->rss_bytes;
            memcpy(s->owner_handles, b->owner_handles, sizeof(s->owner_handles));
            memcpy(s->owner_bytes, b->owner_bytes, sizeof(s->owner_bytes));
        }
    }
}

/* ---------------------------------------------------------- sites and peak */

static struct replay_site *site_touch(struct replay *rp, uint32_t id)
{
    struct replay_site *s = &rp->sites[id];
    if (s->epoch != rp->peak_epoch) {
        s->at_peak_bytes = s->live_bytes;
        s->at_peak_epoch = rp->peak_epoch;
        s->epoch = rp->peak_epoch;
    }
    return s;
}

static void heap_check_peak(struct replay *rp, uint64_t t)
{
    if (rp->tot.heap_bytes > rp->tot.peak_bytes && in_window(rp, t)) {
        rp->tot.peak_bytes = rp->tot.heap_bytes;
        rp->tot.peak_time_us = t;
        rp->peak_epoch++;
    }
}

static uint32_t replay_site_of(const struct replay *rp, uint64_t stack)
{
    return stack < rp->nsites ? (uint32_t)stack : 0;
}

/* ------------------------------------------------------------------ owners */

/* Nearly every event is from the thread of the one before: the last lookup is
 * cached. Only this function puts into rp->threads, so the cached pointer stays
 * valid until it inserts another thread (and then replaces the cache). */
static struct replay_thread *thread_get(struct replay *rp, uint32_t thread)
{
    if (rp->thread_cache && rp->thread_cache_id == thread)
        return rp->thread_cache;
    rp->thread_cache = htab_put(&rp->threads, (uint64_t)thread + 1, NULL);
    rp->thread_cache_id = thread;
    return rp->thread_cache;
}

static void owner_release_if_unused(struct replay *rp, uint32_t idx)
{
    struct replay_owner *o = &rp->owners[idx];
    if (o->live || o->blocks || !o->used)
        return;
    o->used = false;
    o->next_free = rp->owner_free;
    rp->owner_free = idx + 1;
}

/* The group of handles of `kind` opened at `stack`, made on first use. */
static uint32_t group_of(struct replay *rp, uint64_t kind, uint64_t stack)
{
    uint64_t key = ((kind << 56) ^ stack) + 1;
    bool existed;
    uint64_t *g = htab_put(&rp->group_index, key, &existed);
    if (!existed) {
        if (rp->ngroups == rp->groups_cap) {
            rp->groups_cap = rp->groups_cap ? rp->groups_cap * 2 : 16;
            rp->groups = xreallocarray(rp->groups, rp->groups_cap, sizeof(*rp->groups));
        }
        *g = rp->ngroups;
        rp->groups[rp->ngroups++] = (struct replay_owner_group){.kind = kind, .stack = stack};
    }
    return (uint32_t)*g;
}

/*
 * Threads that exited without being joined or detached keep their stacks
 * mapped: an owner group of its own (HT_OWNER_THREAD), one "handle" per such
 * thread and its stack mapping as the bytes. A later join releases it.
 */
static void thread_held(struct replay *rp, struct replay_thread *th, bool held)
{
    if (th->held == held)
        return;
    th->held = held;
    uint32_t gi = group_of(rp, HT_OWNER_THREAD, 0); /* may move rp->groups */
    struct replay_owner_group *g = &rp->groups[gi];
    if (held) {
        g->live_handles++;
        g->opened++;
        g->bytes += th->stack_bytes;
        rp->tot.owner_handles[HT_OWNER_THREAD]++;
        rp->tot.owner_bytes[HT_OWNER_THREAD] += th->stack_bytes;
        if (g->bytes > g->peak_bytes)
            g->peak_bytes = g->bytes;
    } else {
        g->live_handles--;
        g->closed++;
        g->last_close_us = rp->tot.duration_us;
        g->bytes -= th->stack_bytes;
        rp->tot.owner_handles[HT_OWNER_THREAD]--;
        rp->tot.owner_bytes[HT_OWNER_THREAD] -= th->stack_bytes;
    }
}

static void thread_event(struct replay *rp, const struct ht_event *ev)
{
    if (ev->value > UINT32_MAX)
        return;
    struct replay_thread *th = thread_get(rp, (uint32_t)ev->value);
    switch (ev->tag) {
    case HT_REC_THREAD_START:
        *th = (struct replay_thread){.stack_bytes = ev->stack_hi > ev->stack_lo
                                                        ? ev->stack_hi - ev->stack_lo : 0};
        break;
    case HT_REC_THREAD_EXIT: thread_held(rp, th, rp->releases > 0 && !th->released); break;
    case HT_REC_THREAD_RELEASE:
        th->released = true;
        thread_held(rp, th, false);
        break;
    default: break;
    }
}

static uint32_t owner_new(struct replay *rp, uint64_t kind, uint64_t stack)
{
    uint32_t idx;
    if (rp->owner_free) {
        idx = rp->owner_free - 1;
        rp->owner_free = rp->owners[idx].next_free;
    } else {
        if (rp->nowners == rp->owners_cap) {
            rp->owners_cap = rp->owners_cap ? rp->owners_cap * 2 : 64;
            rp->owners = xreallocarray(rp->owners, rp->owners_cap, sizeof(*rp->owners));
        }
        idx = rp->nowners++;
    }
    rp->owners[idx] = (struct replay_owner){.group = group_of(rp, kind, stack), .used = true};
    return idx;
}

static void owner_add_bytes(struct replay *rp, uint32_t idx, uint64_t size)
{
    struct replay_owner *o = &rp->owners[idx];
    o->bytes += size;
    o->blocks++;
    if (o->live) {
        struct replay_owner_group *g = &rp->groups[o->group];
        g->bytes += size;
        rp->tot.owner_bytes[g->kind] += size;
        if (g->bytes > g->peak_bytes)
            g->peak_bytes = g->bytes;
    }
}

static void owner_sub_bytes(struct replay *rp, uint32_t idx, uint64_t size)
{
    struct replay_owner *o = &rp->owners[idx];
    o->bytes -= size;
    o->blocks--;
    if (o->live)
        rp->groups[o->group].bytes -= size;
    if (o->live)
        rp->tot.owner_bytes[rp->groups[o->group].kind] -= size;
    owner_release_if_unused(rp, idx);
}

static void owner_close(struct replay *rp, uint32_t idx)
{
    struct replay_owner *o = &rp->owners[idx];
    if (!o->live)
        return;
    struct replay_owner_group *g = &rp->groups[o->group];
    g->live_handles--;
    g->closed++;
    g->last_close_us = rp->tot.duration_us; /* the time of the event before: close enough */
    g->bytes -= o->bytes;
    rp->tot.owner_handles[g->kind]--;
    rp->tot.owner_bytes[g->kind] -= o->bytes;
    o->live = false;
    htab_remove(&rp->handles, o->handle, NULL);
    owner_release_if_unused(rp, idx);
}

static void owner_begin(struct replay *rp, const struct ht_event *ev)
{
    struct replay_thread *th = thread_get(rp, ev->thread);
    if (th->owner_depth >= OWNER_NESTING)
        return;
    th->owner_stack[th->owner_depth++] = owner_new(rp, ev->kind, ev->stack);
}

static void owner_end(struct replay *rp, const struct ht_event *ev)
{
    struct replay_thread *th = thread_get(rp, ev->thread);
    if (th->owner_depth == 0)
        return;
    uint32_t idx = th->owner_stack[--th->owner_depth];
    struct replay_owner *o = &rp->owners[idx];
    if (ev->handle == 0) { /* the constructor failed */
        owner_release_if_unused(rp, idx);
        return;
    }
    uint32_t *prev = htab_get(&rp->handles, ev->handle);
    if (prev) /* reused without a close we saw */
        owner_close(rp, *prev);
    o = &rp->owners[idx];
    o->handle = ev->handle;
    o->live = true;
    *(uint32_t *)htab_put(&rp->handles, ev->handle, NULL) = idx;
    struct replay_owner_group *g = &rp->groups[o->group];
    g->live_handles++;
    g->opened++;
    g->bytes += o->bytes;
    rp->tot.owner_handles[g->kind]++;
    rp->tot.owner_bytes[g->kind] += o->bytes;
    if (g->bytes > g->peak_bytes)
        g->peak_bytes = g->bytes;
}

static void owner_close_event(struct replay *rp, const struct ht_event *ev)
{
    if (ev->handle == 0) /* never opened: owner_end drops failed constructors */
        return;
    uint32_t *idx = htab_get(&rp->handles, ev->handle);
    if (idx && rp->groups[rp->owners[*idx].group].kind == ev->kind)
        owner_close(rp, *idx);
}

uint64_t replay_handle_group(const struct replay *rp, uint64_t handle)
{
    const uint32_t *idx = htab_get(&rp->handles, handle);
    return idx && rp->owners[*idx].live ? (uint64_t)rp->owners[*idx].group + 1 : 0;
}

/* ------------------------------------------------------------ heap events */

/*
 * A sampled log (SAMPLING): what a block of `size` bytes stands for, in
 * bytes (rounded) and allocations. The count is rounded up or down by a
 * hash of the block's id, so it stays unbiased without fractions: a block
 * worth 1.25 counts 2 once in four blocks, 1 otherwise.
 */
static void sample_weights(const struct replay *rp, uint64_t id, uint64_t size, uint64_t *bytes,
                           uint32_t *count)
{
    uint64_t every = rp->tot.sample_every;
    if (!every) {
        *bytes = size;
        *count = 1;
        return;
    }
    double b = ht_sample_bytes(size, every) + 0.5, c = ht_sample_count(size, every);
    *bytes = b >= 1.8e19 ? UINT64_MAX : (uint64_t)b;
    uint64_t h = (id + 1) * 0x9e3779b97f4a7c15ull;
    double u = (double)((h ^ (h >> 29)) >> 11) * (1.0 / 9007199254740992.0);
    double whole = c >= 4e9 ? 4e9 : (double)(uint64_t)c;
    *count = (uint32_t)whole + (c - whole > u);
}

static void block_alloc(struct replay *rp, const struct ht_event *ev, uint64_t addr,
                        uint32_t inherit_owner)
{
    bool counted = in_window(rp, ev->time_us);
    uint32_t site_id = replay_site_of(rp, ev->stack);
    bool existed;
    struct bm_block *b = blockmap_put(&rp->blocks, addr, &existed);
    if (existed) { /* a free we never saw (LOST) */
        struct bm_block old = *b;
        struct replay_site *os = site_touch(rp, old.site);
        os->live_bytes -= old.size;
        os->live_blocks -= old.weight;
        rp->tot.heap_bytes -= old.size;
        if (old.owner)
            owner_sub_bytes(rp, old.owner - 1, old.size);
    }
    struct replay_thread *th = thread_get(rp, ev->thread);
    uint32_t owner = inherit_owner;
    if (!owner && th->owner_depth)
        owner = th->owner_stack[th->owner_depth - 1] + 1;
    uint64_t size;
    uint32_t weight;
    sample_weights(rp, addr, ev->size, &size, &weight);
    *b = (struct bm_block){.size = size, .site = site_id, .thread = ev->thread,
                           .owner = owner, .weight = weight};
    if (owner)
        owner_add_bytes(rp, owner - 1, size);
    th->last_alloc = addr;
    if (addr > rp->last_block)
        rp->last_block = addr;

    struct replay_site *s = site_touch(rp, site_id);
    s->live_bytes += size;
    s->live_blocks += weight;
    if (counted) {
        s->allocations += weight;
        s->bytes_allocated += size;
        if (s->live_bytes > s->peak_bytes)
            s->peak_bytes = s->live_bytes;
        rp->tot.allocations += weight;
        rp->tot.bytes_allocated += size;
    }
    rp->tot.heap_bytes += size;
    heap_check_peak(rp, ev->time_us);
}

/* Frees addr; @return the block's owner (index + 1) or 0. */
static uint32_t block_free(struct replay *rp, const struct ht_event *ev, uint64_t addr)
{
    bool counted = in_window(rp, ev->time_us);
    struct replay_thread *th = thread_get(rp, ev->thread);
    bool temporary = th->last_alloc == addr;
    th->last_alloc = 0;
    struct bm_block b;
    if (!blockmap_remove(&rp->blocks, addr, &b)) {
        if (counted)
            rp->tot.unknown_frees++;
        return 0;
    }
    struct replay_site *s = site_touch(rp, b.site);
    s->live_bytes -= b.size;
    s->live_blocks -= b.weight;
    if (rp->last_block > addr && rp->last_block - addr > s->max_freed_age)
        s->max_freed_age = rp->last_block - addr;
    rp->tot.heap_bytes -= b.size;
    if (counted) {
        rp->tot.frees += b.weight;
        if (temporary && b.thread == ev->thread) {
            rp->tot.temporary += b.weight;
            s->temporary += b.weight;
        }
    }
    if (b.owner)
        owner_sub_bytes(rp, b.owner - 1, b.size);
    return b.owner;
}

static void replay_realloc(struct replay *rp, const struct ht_event *ev)
{
    uint32_t owner = 0;
    if (ev->old_addr)
        owner = block_free(rp, ev, ev->old_addr);
    if (ev->addr) {
        /* the owner may have been released when its last block went */
        if (owner && !rp->owners[owner - 1].used)
            owner = 0;
        block_alloc(rp, ev, ev->addr, owner);
    } else if (in_window(rp, ev->time_us)) {
        rp->tot.allocations++; /* realloc(p, 0) still counts once */
        rp->sites[replay_site_of(rp, ev->stack)].allocations++;
    }
}

/* --------------------------------------------------------------- mappings */

/* Regions are keyed addr + 1; the one address that would make that 0 is
 * never mapped, so a log naming it is ignored. */
static void region_add(struct replay *rp, uint64_t addr, uint64_t len)
{
    if (addr == UINT64_MAX)
        return;
    bool existed;
    uint64_t *v = htab_put(&rp->regions, addr + 1, &existed);
    if (existed)
        rp->tot.mmap_bytes -= *v;
    *v = len;
    rp->tot.mmap_bytes += len;
    if (rp->tot.mmap_bytes > rp->tot.peak_mmap_bytes)
        rp->tot.peak_mmap_bytes = rp->tot.mmap_bytes;
}

/* Unmaps [addr, addr+len) when it starts a known region (the common case). */
static void region_remove(struct replay *rp, uint64_t addr, uint64_t len)
{
    uint64_t old;
    if (!htab_remove(&rp->regions, addr + 1, &old))
        return;
    rp->tot.mmap_bytes -= old;
    if (len < old)
        region_add(rp, addr + len, old - len);
}

/* ------------------------------------------------------------ other events */

static void replay_stack(struct replay *rp, const struct ht_event *ev)
{
    if (rp->nsites == rp->sites_cap) {
        rp->sites_cap *= 2;
        rp->sites = xreallocarray(rp->sites, rp->sites_cap, sizeof(*rp->sites));
        rp->stacks = xreallocarray(rp->stacks, rp->sites_cap, sizeof(*rp->stacks));
    }
    while (rp->nips + ev->depth > rp->ips_cap) {
        rp->ips_cap = rp->ips_cap ? rp->ips_cap * 2 : 1024;
        rp->ips = xreallocarray(rp->ips, rp->ips_cap, sizeof(*rp->ips));
    }
    if (ev->depth)
        memcpy(rp->ips + rp->nips, ev->ips, ev->depth * sizeof(*ev->ips));
    memset(&rp->sites[rp->nsites], 0, sizeof(*rp->sites));
    rp->sites[rp->nsites].epoch = rp->peak_epoch;
    rp->stacks[rp->nsites] = (struct replay_stack){
        .off = rp->nips, .depth = ev->depth, .modgen = rp->nmodgens ? rp->nmodgens - 1 : 0};
    rp->nips += ev->depth;
    rp->nsites++;
}

static void replay_modules(struct replay *rp, struct ht_reader *r)
{
    size_t n;
    const struct ht_module *src = ht_reader_modules(r, &n);
    rp->modgens = xreallocarray(rp->modgens, rp->nmodgens + 1, sizeof(*rp->modgens));
    struct replay_modgen *g = &rp->modgens[rp->nmodgens++];
    g->count = n;
    g->mods = xcalloc(n, sizeof(*g->mods));
    for (size_t i = 0; i < n; i++) {
        struct ht_module *m = &g->mods[i];
        *m = src[i];
        m->path = xstrdup(src[i].path);
        m->build_id = xmalloc(src[i].build_id_len);
        memcpy(m->build_id, src[i].build_id, src[i].build_id_len);
        m->segs = xcalloc(src[i].nseg, sizeof(*m->segs));
        memcpy(m->segs, src[i].segs, src[i].nseg * sizeof(*m->segs));
    }
}

static void replay_mark(struct replay *rp, const struct ht_event *ev)
{
    rp->tot.marks_total++;
    if (rp->nmarks >= REPLAY_MAX_MARKS || !in_window(rp, ev->time_us))
        return;
    if ((rp->nmarks & (rp->nmarks - 1)) == 0)
        rp->marks = xreallocarray(rp->marks, rp->nmarks ? rp->nmarks * 2 : 1, sizeof(*rp->marks));
    size_t len = ev->str_len > 255 ? 255 : ev->str_len;
    rp->marks[rp->nmarks++] = (struct replay_mark){
        .time_us = ev->time_us, .heap_bytes = rp->tot.heap_bytes,
        .label = xstrndup(ev->str, len)};
}

static void replay_misc(struct replay *rp, const struct ht_event *ev)
{
    switch (ev->tag) {
    case HT_REC_MMAP: region_add(rp, ev->addr, ev->size); break;
    case HT_REC_MUNMAP: region_remove(rp, ev->addr, ev->size); break;
    case HT_REC_MREMAP:
        region_remove(rp, ev->old_addr, ev->old_size);
        region_add(rp, ev->addr, ev->size);
        break;
    case HT_REC_OWNER_BEGIN: owner_begin(rp, ev); break;
    case HT_REC_OWNER_END: owner_end(rp, ev); break;
    case HT_REC_OWNER_CLOSE: owner_close_event(rp, ev); break;
    case HT_REC_MARK: replay_mark(rp, ev); break;
    case HT_REC_RSS:
        rp->tot.rss_bytes = ev->value;
        if (ev->value > rp->tot.peak_rss && in_window(rp, ev->time_us))
            rp->tot.peak_rss = ev->value;
        break;
    case HT_REC_LOST:
        if (ev->value > UINT64_MAX - rp->tot.lost_events)
            rp->tot.lost_events = UINT64_MAX;
        else
            rp->tot.lost_events += ev->value;
        break;
    case HT_REC_SAMPLING:
        rp->tot.sample_every = ev->value;
        break;
    case HT_REC_ATTACH:
        rp->tot.attached = true;
        rp->tot.before_attach_bytes = ev->value;
        break;
    case HT_REC_NOTE:
        if (ev->value < 32)
            rp->tot.notes |= 1u << ev->value;
        break;
    case HT_REC_FORK:
        rp->fork_pids = xreallocarray(rp->fork_pids, rp->nforks + 1, sizeof(uint64_t));
        rp->fork_pids[rp->nforks++] = ev->value;
        break;
    case HT_REC_EXEC:
        if (rp->nexecs < 64) {
            rp->execs = xreallocarray(rp->execs, rp->nexecs + 1, sizeof(char *));
            rp->execs[rp->nexecs++] = xstrndup(ev->str, ev->str_len);
        }
        break;
    case HT_REC_THREAD_START:
    case HT_REC_THREAD_EXIT:
    case HT_REC_THREAD_RELEASE: thread_event(rp, ev); break;
    case HT_REC_END:
        rp->tot.complete = true;
        rp->tot.end_reason = ev->value;
        break;
    default: break;
    }
}

/* rp->want_tag's bit 1 << after and rp->want_wake_us[after] from the `before`
 * (after = 0) or the other listeners. */
static void wants_sum(struct replay *rp, int after)
{
    uint32_t from = after ? rp->nbefore : 0, to = after ? rp->nlisteners : rp->nbefore;
    uint64_t tags[4] = {0}, wake_us = UINT64_MAX;
    for (uint32_t i = from; i < to; i++) {
        const struct replay_listener *l = &rp->listeners[i];
        for (int k = 0; k < 4; k++)
            tags[k] |= l->tags[k];
        if (l->wake_us < wake_us)
            wake_us = l->wake_us;
    }
    rp->want_wake_us[after] = wake_us;
    if (memcmp(tags, rp->want_tags[after], sizeof(tags)) == 0)
        return; /* the common case: a listener moved its wake_us only */
    memcpy(rp->want_tags[after], tags, sizeof(tags));
    uint8_t bit = (uint8_t)(1u << after);
    for (unsigned t = 0; t < 256; t++)
        rp->want_tag[t] = (uint8_t)((rp->want_tag[t] & ~bit) |
                                    (((tags[t >> 6] >> (t & 63)) & 1) ? bit : 0));
}

/* The `before` (after = 0) or the other listeners that want ev. */
static inline void listeners_call(struct replay *rp, int after, const struct ht_event *ev)
{
    if (__builtin_expect(!(rp->want_tag[ev->tag] & (1u << after)) &&
                             ev->time_us < rp->want_wake_us[after], 1))
        return;
    uint32_t from = after ? rp->nbefore : 0, to = after ? rp->nlisteners : rp->nbefore;
    for (uint32_t i = from; i < to; i++) {
        struct replay_listener *l = &rp->listeners[i];
        if (((l->tags[ev->tag >> 6] >> (ev->tag & 63)) & 1) || ev->time_us >= l->wake_us)
            l->on_event(l, rp, ev);
    }
    wants_sum(rp, after); /* the callbacks may have changed their tags or wake_us */
}

void replay_apply(struct replay *rp, struct ht_reader *r, const struct ht_event *ev)
{
    if (rp->releases < 0) /* version 1 logs say nothing of joins */
        rp->releases = !r || ht_reader_header(r)->version >= 2;
    if (ev->tag == HT_REC_STACK) { /* defined even past the window: ids must stay aligned */
        replay_stack(rp, ev);
        return;
    }
    if (ev->tag == HT_REC_MODULES) {
        replay_modules(rp, r);
        return;
    }
    if (ev->time_us > rp->opts.to_us) {
        rp->stopped = true;
        return;
    }
    listeners_call(rp, 0, ev);
    if (ev->tag >= HT_REC_ALLOC_BASE && ev->tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_) {
        if (ev->addr)
            block_alloc(rp, ev, ev->addr, 0);
    } else if (ev->tag == HT_REC_FREE) {
        block_free(rp, ev, ev->addr);
    } else if (ev->tag == HT_REC_REALLOC) {
        replay_realloc(rp, ev);
    } else {
        replay_misc(rp, ev);
    }
    if (ev->tag != HT_REC_SWITCH) {
        rp->tot.duration_us = ev->time_us;
        timeline_note(rp, ev->time_us);
    }
    listeners_call(rp, 1, ev);
}

void replay_listen(struct replay *rp, const struct replay_listener *l)
{
    if (rp->nlisteners == REPLAY_MAX_LISTENERS)
        abort(); /* a wiring mistake: REPLAY_MAX_LISTENERS is far above the analyses' count */
    uint32_t at = l->before ? rp->nbefore++ : rp->nlisteners;
    memmove(&rp->listeners[at + 1], &rp->listeners[at],
            (rp->nlisteners - at) * sizeof(*rp->listeners));
    rp->listeners[at] = *l;
    rp->nlisteners++;
    wants_sum(rp, 0);
    wants_sum(rp, 1);
}

bool replay_done(const struct replay *rp)
{
    return rp->stopped;
}

int replay_run(struct replay *rp, struct ht_reader *r)
{
    struct ht_event ev;
    int rc;
    while ((rc = ht_reader_next(r, &ev)) == 1) {
        replay_apply(rp, r, &ev);
        if (replay_done(rp))
            break;
    }
    replay_finish(rp, rc == 1 || (rc == 0 && !ht_reader_truncated(r)));
    if (rc == 0 && ht_reader_exec_replaced(r)) {
        rp->tot.exec_replaced = true;
        rp->tot.end_reason = HT_END_EXEC;
    }
    return rc < 0 ? -1 : 0;
}

void replay_finish(struct replay *rp, bool complete)
{
    rp->tot.complete = complete;
    for (uint64_t i = 0; i < rp->nsites; i++) {
        struct replay_site *s = &rp->sites[i];
        if (s->epoch != rp->peak_epoch)
            s->at_peak_bytes = s->live_bytes;
        rp->tot.leaked_bytes += s->live_bytes;
        rp->tot.leaked_blocks += s->live_blocks;
    }
    timeline_finish(rp);
    for (uint32_t i = 0; i < rp->nlisteners; i++)
        if (rp->listeners[i].finish)
            rp->listeners[i].finish(&rp->listeners[i], rp);
}

size_t replay_each_block(const struct replay *rp,
                         void (*fn)(void *ctx, uint64_t id, uint64_t size, uint32_t site),
                         void *ctx)
{
    const struct blockmap *m = &rp->blocks;
    size_t unordered = 0;
    for (size_t i = 0; i < m->far.cap; i++)
        if (m->far.keys[i]) {
            const struct bm_block *b = htab_slot_val(&m->far, i);
            fn(ctx, m->far.keys[i], b->size, b->site);
            unordered++;
        }
    for (uint64_t id = m->lo; id < m->hi; id++) {
        const struct bm_slot *s = &m->ring[id & (m->cap - 1)];
        if (s->id == id)
            fn(ctx, id, s->b.size, s->b.site);
    }
    return unordered;
}

const uint64_t *replay_stack_ips(const struct replay *rp, uint64_t id, uint32_t *depth)
{
    if (id == 0 || id >= rp->nsites) {
        *depth = 0;
        return NULL;
    }
    *depth = rp->stacks[id].depth;
    return rp->ips + rp->stacks[id].off;
}

void replay_free(struct replay *rp)
{
    if (!rp)
        return;
    blockmap_release(&rp->blocks);
    htab_release(&rp->threads);
    htab_release(&rp->handles);
    htab_release(&rp->regions);
    htab_release(&rp->group_index);
    for (uint32_t g = 0; g < rp->nmodgens; g++) {
        for (size_t i = 0; i < rp->modgens[g].count; i++) {
            free(rp->modgens[g].mods[i].path);
            free(rp->modgens[g].mods[i].build_id);
            free(rp->modgens[g].mods[i].segs);
        }
        free(rp->modgens[g].mods);
    }
    for (uint64_t i = 0; i < rp->nmarks; i++)
        free(rp->marks[i].label);
    for (uint64_t i = 0; i < rp->nexecs; i++)
        free(rp->execs[i]);
    free(rp->execs);
    free(rp->marks);
    free(rp->fork_pids);
    free(rp->modgens);
    free(rp->groups);
    free(rp->owners);
    free(rp->buckets);
    free(rp->timeline);
    free(rp->sites);
    free(rp->stacks);
    free(rp->ips);
    free(rp);
}
