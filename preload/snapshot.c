/* SPDX-License-Identifier: MIT */
/*
 * snapshot.c - a heap snapshot: which live block points at which, and which
 * roots point into the heap (common/format.h, SNAPSHOT_*).
 *
 * A cloned child scans its copy of the heap and hands its records to the
 * writer through a shared ring (ht_snapshot_child, snapring.c), for a
 * running program and at exit alike: the writer compresses them meanwhile.
 * Without a child the same scan runs in this thread (ht_snapshot_write),
 * with the writer's lock held and every record drained, so the live table
 * is the heap.
 *
 * Memory is read through snapread.c, never by dereferencing here: in-process
 * with process_vm_readv, in a child with loads under a fault handler. A
 * block or a global with a PROT_NONE page, a write-only mapping or a file
 * mapping past EOF ends a read instead of killing the host; the unreadable
 * pages are skipped, the rest is scanned. Neighbouring blocks
 * are read together (one call per BATCH_MAX bytes, not per block), and each
 * word is looked up through snapindex.h's cells, with prefetches running
 * ahead: a heap of millions of blocks makes nearly every lookup a cache miss.
 *
 * Roots (valgrind memcheck's): the writable segments of every loaded module
 * but ours; the stack of the calling thread from its stack pointer up (its
 * callee-saved registers are spilled there first); the stacks of other live
 * threads whole (we do not know their stack pointers yet: conservative, it
 * may keep a block reachable that valgrind calls lost); static TLS and the
 * thread control block (pthread_setspecific's slots) around each live
 * thread's pointer; the program's own anonymous read-write mappings. A
 * thread waiting in heaptrace_snapshot() or a mark is scanned from the
 * program's frames up, and its callee-saved registers at that call (saved
 * by shim.c's entry stubs) are register roots. Dynamic TLS is heap, reached
 * through the TCB's DTV; a DTV outside the heap (the main thread's, from the
 * loader) is a root itself. A thread that ended unjoined keeps its stack
 * mapped: scanned whole, as valgrind scans any mapping (a joined or
 * detached one's is in glibc's cache: not a root, freeres.c). Other live
 * threads are stopped by a tracer task (stw.c: ptrace, no signal) that
 * saves their registers and stack pointer; one it cannot stop is scanned
 * whole.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "ht.h"
#include "snapindex.h"
#include "snapring.h"
#include "varint.h"

#define CHUNK_FLUSH (64 * 1024)          /* bytes of entries per record */
#define READ_MAX (1024 * 1024)           /* bytes read per ht_snap_read */
#define BATCH_MAX (256 * 1024)           /* blocks read together: about L2's size */
#define BATCH_GAP 4096                   /* largest gap read through between blocks */
#define BATCH_BLOCKS 16384               /* blocks in a batch at most */
#define PAGE 4096ull

/* Where finished records go: the log (in this thread) or the ring (a child). */
typedef void snap_put_fn(void *ctx, uint8_t tag, const uint8_t *payload, size_t n);

struct snap {
    snap_put_fn *put;
    void *put_ctx;
    struct ht_snap_index x;  /* live blocks, sorted, with the address lookup */

    uint8_t tag;             /* SNAPSHOT_EDGES_DELTA or SNAPSHOT_ROOTS being filled */
    uint64_t prev_from;      /* the last block id an EDGES_DELTA entry named */
    uint8_t *chunk;          /* entries of the current record, after room for n */
    size_t len, cap;
    uint64_t entries;

    uint64_t *targets;       /* one block's outgoing edges: (ref, word index) pairs */
    size_t ntargets, targets_cap;
    uint8_t *rbuf;           /* read buffer, READ_MAX bytes */
    uint64_t edges, roots;
};

/* Reads [addr, addr + len) of our own memory into dst (snapread.c);
 * returns how many bytes from the start could be read. */
static size_t read_some(uint8_t *dst, uint64_t addr, size_t len)
{
    return ht_snap_read(dst, addr, len);
}

static bool read_mem(uint8_t *dst, uint64_t addr, size_t len)
{
    return read_some(dst, addr, len) == len;
}

/* ---- records ----------------------------------------------------------- */

static void chunk_flush(struct snap *s)
{
    if (!s->entries)
        return;
    uint8_t n[HT_VARINT_MAX];
    size_t nl = (size_t)(ht_put_uvarint(n, s->entries) - n);
    uint8_t *start = s->chunk + HT_VARINT_MAX - nl;
    memcpy(start, n, nl);
    s->put(s->put_ctx, s->tag, start, nl + s->len);
    s->len = 0;
    s->entries = 0;
    s->prev_from = 0; /* each record's ids start from 0 */
}

static uint8_t *chunk_room(struct snap *s, size_t need)
{
    if (s->len + need > s->cap) {
        chunk_flush(s);
        if (need > s->cap) {
            uint8_t *g = ht_mem_realloc(s->chunk, HT_VARINT_MAX + need);
            if (!g)
                return NULL;
            s->chunk = g;
            s->cap = need;
        }
    }
    return s->chunk + HT_VARINT_MAX + s->len;
}

static void add_target(struct snap *s, uint64_t ref, uint64_t word)
{
    if (s->ntargets == s->targets_cap) {
        size_t ncap = s->targets_cap ? s->targets_cap * 2 : 1024;
        uint64_t *g = ht_mem_realloc(s->targets, ncap * 16);
        if (!g)
            return;
        s->targets = g;
        s->targets_cap = ncap;
    }
    s->targets[2 * s->ntargets] = ref;
    s->targets[2 * s->ntargets + 1] = word;
    s->ntargets++;
}

/*
 * glibc's malloc keeps pointers to chunk headers in its own globals
 * (main_arena in libc's .data): `top`, the chunk after the last one it
 * carved from the program break, and its bins' ends, free chunks. A chunk's
 * header (16 bytes before the block it holds) lies in the last bytes of
 * the chunk before, so to us such a word looks like an interior pointer
 * into the block before it. Valgrind never sees them (it replaces malloc),
 * so neither should a root. Recognised by malloc's own bookkeeping: the
 * word is exactly where the block's chunk ends (its size field, 8 bytes
 * before the block, says how long the chunk is).
 */
static bool is_malloc_chunk_header(const struct ht_snap_block *b, uint64_t v)
{
    uint64_t size;
    if (b->addr < 16 || !read_mem((uint8_t *)&size, b->addr - 8, 8) || (size & 2))
        return false; /* bit 2: a chunk mmapped alone, nothing follows it */
    return v == b->addr - 16 + (size & ~7ull);
}

/*
 * Scans the aligned words of [addr, addr + len) for roots, read in pieces;
 * an unreadable page (PROT_NONE, a file mapping past its end) is skipped,
 * the rest is scanned. Skips malloc's own pointers to chunk headers
 * (is_malloc_chunk_header).
 */
static void scan_range(struct snap *s, uint64_t addr, uint64_t len,
                       void (*hit)(struct snap *, uint64_t at, uint64_t ref, void *), void *arg)
{
    uint64_t at = (addr + 7) & ~7ull, end = (addr + len) & ~7ull;
    while (at < end) {
        size_t want = end - at > READ_MAX ? READ_MAX : (size_t)(end - at);
        size_t got = read_some(s->rbuf, at, want) & ~(size_t)7;
        for (size_t i = 0; i < got; i += 8) {
            uint64_t v;
            memcpy(&v, s->rbuf + i, 8);
            bool interior;
            const struct ht_snap_block *b = ht_snap_index_find(&s->x, v, &interior);
            if (b && !(interior && is_malloc_chunk_header(b, v)))
                hit(s, at + i, ht_snap_block_id(&s->x, b) << 1 | interior, arg);
        }
        at += got;
        if (got < want) /* a fault: go on after the page it is in */
            at = (at + PAGE) & ~(PAGE - 1);
    }
}

/* ---- edges --------------------------------------------------------------- */

/* The pointers in `words` words at buf, the first at word `word` of the
 * block: the hot loop (most words are not in the heap's span at all). */
static void scan_words(struct snap *s, const uint8_t *buf, size_t words, uint64_t word)
{
    const struct ht_snap_index *x = &s->x;
    for (size_t i = 0; i < words; i++) {
        uint64_t v;
        memcpy(&v, buf + 8 * i, 8);
        if (v - x->lo >= x->span)
            continue;
        bool interior;
        const struct ht_snap_block *b = ht_snap_index_find(x, v, &interior);
        if (b)
            add_target(s, ht_snap_block_id(x, b) << 1 | interior, word + i);
    }
}

/* A block read on its own, in pieces; unreadable pages are skipped. A block
 * that is not 8-aligned (only heaptrace_alloc makes those) gets its offsets
 * rounded down to 8. */
static void scan_block_alone(struct snap *s, const struct ht_snap_block *blk)
{
    uint64_t at = (blk->addr + 7) & ~7ull, end = (blk->addr + ht_snap_block_size(&s->x, blk)) & ~7ull;
    while (at < end) {
        size_t want = end - at > READ_MAX ? READ_MAX : (size_t)(end - at);
        size_t got = read_some(s->rbuf, at, want) & ~(size_t)7;
        scan_words(s, s->rbuf, got / 8, (at - blk->addr) / 8);
        at += got;
        if (got < want)
            at = (at + PAGE) & ~(PAGE - 1);
    }
}

/* An EDGES_DELTA entry is block blk's id, its n targets, then each target
 * (entry_target, from the id entry_begin left in s->prev_from):
 * entry_begin returns where the targets go (NULL: no memory, the entry is
 * dropped), entry_end counts the entry in. */
static uint8_t *entry_begin(struct snap *s, const struct ht_snap_block *blk, size_t n)
{
    uint8_t *p = chunk_room(s, HT_VARINT_MAX * (2 + 2 * n));
    if (!p) /* after chunk_room: a flush starts the ids over */
        return NULL;
    uint64_t id = ht_snap_block_id(&s->x, blk);
    p = ht_put_svarint(p, (int64_t)(id - s->prev_from));
    s->prev_from = id;
    return ht_put_uvarint(p, n);
}

/* Words come in address order: each is written as the gap from the last. */
static HT_ALWAYS_INLINE uint8_t *entry_target(uint8_t *p, uint64_t from, uint64_t ref,
                                              uint64_t word, uint64_t *next_word)
{
    p = ht_put_uvarint(p, ht_zigzag((int64_t)((ref >> 1) - from)) << 1 | (ref & 1));
    p = ht_put_uvarint(p, word - *next_word);
    *next_word = word + 1;
    return p;
}

static void entry_end(struct snap *s, const uint8_t *end, size_t n)
{
    s->len = (size_t)(end - (s->chunk + HT_VARINT_MAX));
    s->entries++;
    s->edges += n;
    if (s->len >= CHUNK_FLUSH)
        chunk_flush(s);
}

/* Appends block blk's edges (s->targets) to the EDGES_DELTA record. */
static void put_edges(struct snap *s, const struct ht_snap_block *blk)
{
    uint8_t *p = s->ntargets ? entry_begin(s, blk, s->ntargets) : NULL;
    if (!p)
        return;
    uint64_t next_word = 0;
    for (size_t k = 0; k < s->ntargets; k++)
        p = entry_target(p, s->prev_from, s->targets[2 * k], s->targets[2 * k + 1], &next_word);
    entry_end(s, p, s->ntargets);
}

/* How many blocks from i on to read with one call: neighbours (gaps of at
 * most BATCH_GAP) that fit in BATCH_MAX bytes together; 0 for a block too
 * big for a batch of its own. Their sizes add up to BATCH_MAX at most too,
 * so their words fit in CANDS_MAX even if blocks overlapped (they should
 * not, but a log with lost events may have a stale one). */
static size_t batch_len(const struct snap *s, size_t i, uint64_t *end)
{
    const struct ht_snap_index *x = &s->x;
    const struct ht_snap_block *b = x->b;
    uint64_t start = b[i].addr & ~7ull, total = ht_snap_block_size(x, &b[i]);
    *end = b[i].addr + total;
    if (*end - start > BATCH_MAX)
        return 0;
    size_t j = i + 1;
    for (; j < s->x.n && j - i < BATCH_BLOCKS; j++) {
        uint64_t size = ht_snap_block_size(x, &b[j]), e = b[j].addr + size;
        if (b[j].addr > *end + BATCH_GAP || (e > *end ? e : *end) - start > BATCH_MAX ||
            total + size > BATCH_MAX)
            break;
        total += size;
        if (e > *end)
            *end = e;
    }
    return j - i;
}

/*
 * The words of one batch that fall in the heap's span are gathered first,
 * then looked up with prefetches running ahead, so that the cache misses of
 * many lookups overlap instead of queueing: on a heap of millions of blocks
 * nearly every lookup misses the cache twice (its cell, its block).
 */
struct cand {
    uint64_t v;    /* the word; once looked up, the target ref (0: none) */
    uint32_t cell; /* its cell in x->cells */
    uint32_t word; /* its word index in its block */
};

#define CANDS_MAX (BATCH_MAX / 8)

/* Software pipelining: the cell of the lookup PF_CELL ahead, the block of
 * the one PF_BLOCK ahead (whose cell came in meanwhile). always_inline: gcc
 * 12's IPA pure-const pass takes a function that only prefetches for one
 * without side effects and deletes the call (no prefetch was emitted). */
#define PF_CELL 64
#define PF_BLOCK 32

static HT_ALWAYS_INLINE void prefetch_ahead(const struct ht_snap_index *x,
                                            const struct cand *cand, size_t c, size_t n)
{
    if (c + PF_CELL < n)
        __builtin_prefetch(&x->cells[cand[c + PF_CELL].cell]);
    if (c + PF_BLOCK < n) {
        const struct ht_snap_block *f = &x->b[x->cells[cand[c + PF_BLOCK].cell]];
        __builtin_prefetch(f);
        __builtin_prefetch((const char *)f + 16); /* the next block's start too */
    }
}

/* A batch: blocks i to i + k, whose bytes from `start` on are at `bytes`
 * (the program's memory itself, or a copy); its candidates, and in
 * cand_end[j - i] where block j's end. */
struct batch {
    const struct snap *s;
    size_t i, k;
    uint64_t start;
    struct cand *cand;
    uint32_t *cand_end;
    size_t n;
};

/* The heap is read in address order, but the processor's prefetchers stop
 * at each 4 KiB page: without a hint, every page starts with a wait for
 * memory (the child waited on most of its loads of heap words). Each block
 * asks for the two lines a page further on (blocks are mostly smaller). */
#define HEAP_AHEAD 4096

static void batch_cands(void *arg, const uint8_t *bytes)
{
    struct batch *bt = arg;
    const struct ht_snap_index *x = &bt->s->x;
    struct cand *cand = bt->cand;
    size_t n = 0;
    for (size_t j = bt->i; j < bt->i + bt->k; j++) {
        uint64_t at = (x->b[j].addr + 7) & ~7ull,
                 e = (x->b[j].addr + ht_snap_block_size(x, &x->b[j])) & ~7ull;
        const uint8_t *buf = bytes + (at - bt->start);
        __builtin_prefetch(buf + HEAP_AHEAD);
        __builtin_prefetch(buf + HEAP_AHEAD + 64);
        uint32_t first = (uint32_t)((at - x->b[j].addr) / 8);
        for (size_t w = 0; at + 8 * w < e; w++) {
            uint64_t v;
            memcpy(&v, buf + 8 * w, 8);
            if (v - x->lo >= x->span)
                continue;
            const struct ht_snap_region *r = ht_snap_index_region(x, v);
            if (v >= r->end)
                continue;
            cand[n++] = (struct cand){v, ht_snap_index_cell(x, r, v), first + (uint32_t)w};
        }
        bt->cand_end[j - bt->i] = (uint32_t)n;
    }
    bt->n = n;
}

/* The edges of a batch's k blocks from blk on, straight from the looked-up
 * candidates (cand[].v the target ref, 0: none). */
static void put_batch_edges(struct snap *s, const struct ht_snap_block *blk, size_t k,
                            const struct cand *cand, const uint32_t *cand_end)
{
    for (size_t j = 0, c = 0; j < k; j++, blk++) {
        size_t first = c, n = 0;
        for (; c < cand_end[j]; c++)
            n += cand[c].v != 0;
        uint8_t *p = n ? entry_begin(s, blk, n) : NULL;
        if (!p)
            continue;
        uint64_t next_word = 0;
        for (c = first; c < cand_end[j]; c++)
            if (cand[c].v)
                p = entry_target(p, s->prev_from, cand[c].v, cand[c].word, &next_word);
        entry_end(s, p, n);
    }
}

static void scan_blocks(struct snap *s)
{
    s->tag = HT_REC_SNAPSHOT_EDGES_DELTA;
    const struct ht_snap_index *x = &s->x;
    const struct ht_snap_block *b = x->b;
    struct cand *cand = ht_mem_alloc(CANDS_MAX * sizeof *cand);
    uint32_t *cand_end = ht_mem_alloc(BATCH_BLOCKS * sizeof *cand_end);
    for (size_t i = 0; i < x->n;) {
        uint64_t end;
        size_t k = batch_len(s, i, &end);
        struct batch bt = {s, i, k, b[i].addr & ~7ull, cand, cand_end, 0};
        size_t len = (size_t)(end - bt.start);
        bool ok = k && cand && cand_end;
        if (ok && !ht_snap_in_place(bt.start, len, batch_cands, &bt)) {
            ok = read_mem(s->rbuf, bt.start, len);
            if (ok)
                batch_cands(&bt, s->rbuf);
        }
        if (!ok) {
            /* too big for a batch, no memory, or something in it is
             * unreadable: block by block, in pieces */
            for (size_t j = i; j < i + (k ? k : 1); j++) {
                s->ntargets = 0;
                scan_block_alone(s, &b[j]);
                put_edges(s, &b[j]);
            }
            i += k ? k : 1;
            continue;
        }
        size_t n = bt.n;
        /* Only lookups in this loop: the processor runs further ahead with
         * nothing else in the way (edges are written in a second pass). */
        for (size_t c = 0; c < n; c++) {
            prefetch_ahead(x, cand, c, n);
            uint64_t v = cand[c].v;
            const struct ht_snap_block *t = &b[ht_snap_index_floor_cell(x, cand[c].cell, v)];
            uint64_t id = ht_snap_block_id(x, t);
            cand[c].v = v == t->addr ? id << 1 : v - t->addr < ht_snap_block_size(x, t) ? id << 1 | 1 : 0;
        }
        put_batch_edges(s, &b[i], k, cand, cand_end);
        i += k;
    }
    ht_mem_free(cand);
    ht_mem_free(cand_end);
    chunk_flush(s);
}

struct root_where {
    unsigned kind;
    uint64_t where, origin; /* offset = at - origin (GLOBAL) or origin - at (STACK) */
};

static void root_hit(struct snap *s, uint64_t at, uint64_t ref, void *arg)
{
    const struct root_where *r = arg;
    uint8_t *p = chunk_room(s, 4 * HT_VARINT_MAX);
    if (!p)
        return;
    uint8_t *start = p;
    p = ht_put_uvarint(p, r->kind);
    p = ht_put_uvarint(p, r->where);
    p = ht_put_uvarint(p, r->kind == HT_ROOT_STACK ? r->origin - at : at - r->origin);
    p = ht_put_uvarint(p, ref);
    s->len += (size_t)(p - start);
    s->entries++;
    s->roots++;
    if (s->len >= CHUNK_FLUSH)
        chunk_flush(s);
}

static void global_segment(void *arg, uint32_t module, uint64_t base, uint64_t start, uint64_t len)
{
    struct root_where r = {HT_ROOT_GLOBAL, module, base};
    scan_range(arg, start, len, root_hit, &r);
}

/* ---- the roots kept between snapshots ----------------------------------- */

#define MAX_USER_ROOTS 1024
struct user_root {
    uint64_t inverted_start, len; /* ~start: no pointer to a collector in the program */
};

#define MAX_SEGMENTS 4096
struct segment {
    uint32_t module;
    uint64_t base, start, len;
};
#define MAX_UNRELEASED 1024
#define MAX_LINK_MAPS 1024

static struct snapshot_state {
    /* heaptrace_root()'s ranges, from any thread under user_roots_lock */
    struct user_root *_Atomic user_roots; /* MAX_USER_ROOTS, mapped on first use */
    size_t nuser_roots;
    _Atomic int user_roots_lock;

    /* Gathered by the parent before it clones (ht_snapshot_gather_roots): a
     * child must not call dl_iterate_phdr, whose lock another thread of the
     * parent may have held at that instant. */
    struct segment *_Atomic segments; /* writable module segments, MAX_SEGMENTS,
                                         mapped on first use */
    size_t nsegments;
    uint64_t tls_below, tls_above; /* static TLS around each thread pointer */
    /* Thread pointers of threads neither joined nor detached (process.c), for
     * the stacks of those that have ended (scan_dead_stacks). */
    uint64_t unreleased[MAX_UNRELEASED];
    size_t nunreleased;
    uint64_t link_maps[MAX_LINK_MAPS]; /* the loader's (scan_link_maps) */
    size_t nlink_maps;

    uint64_t seq; /* SNAPSHOT_BEGIN's number */
} S;

/* ---- user roots: heaptrace_root() --------------------------------------- */

/* Adds [start, start + len) as a root, or removes the one at start (len 0). */
void ht_snapshot_user_root(uint64_t start, uint64_t len)
{
    struct user_root *u = HT_MEM_ONCE(&S.user_roots, MAX_USER_ROOTS * sizeof *u);
    if (!u)
        return;
    while (atomic_exchange(&S.user_roots_lock, 1))
        ;
    size_t i = 0;
    while (i < S.nuser_roots && u[i].inverted_start != ~start)
        i++;
    if (len == 0) {
        if (i < S.nuser_roots)
            u[i] = u[--S.nuser_roots];
    } else if (i < S.nuser_roots) {
        u[i].len = len;
    } else if (S.nuser_roots < MAX_USER_ROOTS) {
        u[S.nuser_roots++] = (struct user_root){~start, len};
    }
    atomic_store(&S.user_roots_lock, 0);
}

static void scan_user_roots(struct snap *s)
{
    struct root_where r = {HT_ROOT_USER, 0, 0};
    const struct user_root *u = atomic_load(&S.user_roots);
    for (size_t i = 0; i < S.nuser_roots; i++)
        scan_range(s, ~u[i].inverted_start, u[i].len, root_hit, &r);
}

/* ---- the program's anonymous read-write mappings (mapreg.c) ------------ */

struct mapping_scan {
    struct snap *s;
    struct root_where r;
};

static void scan_tracked(void *arg, uint64_t start, uint64_t len)
{
    struct mapping_scan *m = arg;
    scan_range(m->s, start, len, root_hit, &m->r);
}

/* A mapping of the process: scan where it overlaps a tracked mapping, if it
 * is readable and writable now (mprotect may have changed it). */
static bool scan_overlap(void *arg, uint64_t lo, uint64_t hi, bool readable, bool writable)
{
    if (readable && writable)
        ht_mapreg_each_in(lo, hi, scan_tracked, arg);
    return true;
}

/* Roots of `kind` where the process's mappings overlap a registry's. */
static void scan_registry(struct snap *s, unsigned kind, bool empty, ht_maps_fn *overlap)
{
    struct mapping_scan m = {s, {kind, 0, 0}};
    if (!empty)
        ht_maps_each(overlap, &m);
}

static void scan_mappings(struct snap *s)
{
    scan_registry(s, HT_ROOT_MAPPING, ht_mapreg_empty(), scan_overlap);
}

/* ---- memory from before an attach (heaptrace attach) -------------------- */

/* [start, +len) without the tracked blocks in it (they are scanned as
 * blocks): the memory of blocks allocated before the attach, and malloc's. */
static void scan_untracked(void *arg, uint64_t start, uint64_t len)
{
    struct mapping_scan *m = arg;
    const struct ht_snap_index *x = &m->s->x;
    uint64_t at = start, e = start + len;
    size_t lo = 0, hi = x->n;
    while (lo < hi) { /* the first block at or above start */
        size_t mid = lo + (hi - lo) / 2;
        if (x->b[mid].addr < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo ? lo - 1 : 0; i < x->n && at < e; i++) {
        uint64_t ba = x->b[i].addr, be = ba + ht_snap_block_size(x, &x->b[i]);
        if (ba >= e)
            break;
        if (be <= at)
            continue;
        if (ba > at)
            scan_range(m->s, at, ba - at, root_hit, &m->r);
        at = be;
    }
    if (at < e)
        scan_range(m->s, at, e - at, root_hit, &m->r);
}

static bool scan_preattach_overlap(void *arg, uint64_t lo, uint64_t hi, bool readable,
                                   bool writable)
{
    if (readable && writable)
        ht_mapreg_each_preattach_in(lo, hi, scan_untracked, arg);
    return true;
}

/* Blocks from before an attach are not in the log, but what they point to
 * is alive: their words are roots (not the tracked blocks among them). */
static void scan_preattach(struct snap *s)
{
    scan_registry(s, HT_ROOT_PREATTACH, ht_mapreg_preattach_empty(), scan_preattach_overlap);
}

/* ---- registers and stacks of stopped threads (stw.c stops them) ---------- */

uint64_t ht_program_sp;

/* The registers of parked threads, and those a thread waiting in our API
 * call had at the call (by their index in on_park's order). */
static void register_root(struct snap *s, const struct ht_thread *t, unsigned at, uint64_t v)
{
    bool interior;
    const struct ht_snap_block *b = ht_snap_index_find(&s->x, v, &interior);
    if (b) {
        struct root_where r = {HT_ROOT_REGISTER, t->index, 0};
        root_hit(s, at, ht_snap_block_id(&s->x, b) << 1 | interior, &r);
    }
}

static void register_roots(struct snap *s)
{
    static const unsigned caller_at[HT_CALLER_REGS] = {1, 6, 11, 12, 13, 14}; /* rbx rbp r12-r15 */
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        if (atomic_load(&t->parked))
            for (unsigned i = 0; i < t->nregs; i++)
                register_root(s, t, i, t->regs[i]);
        if (atomic_load(&t->program_sp) && t->has_caller_regs)
            for (unsigned i = 0; i < HT_CALLER_REGS; i++)
                register_root(s, t, caller_at[i], t->caller_regs[i]);
    }
}

/* noinline: its frame, holding the spilled registers, is below the caller's SP range. */
static HT_NOINLINE void scan_stacks(struct snap *s)
{
    __builtin_unwind_init(); /* callee-saved registers onto this frame */
    uint64_t sp;
#if defined(__x86_64__)
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
#else
    sp = (uint64_t)&sp;
#endif
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        if (t->is_writer || !t->stack_hi || atomic_load(&t->state) != HT_TS_LIVE)
            continue;
        /* Ours: from where the program called into the shim (our own frames
         * below hold stale copies of block addresses from earlier events). */
        uint64_t lo = t == ht_self ? (ht_program_sp > sp ? ht_program_sp : sp)
                      : atomic_load(&t->parked) ? t->sp
                                                : t->stack_lo;
        if (t != ht_self && (lo < t->stack_lo || lo > t->stack_hi))
            lo = t->stack_lo; /* stopped on an alternate signal stack */
        uint64_t waiting = atomic_load(&t->program_sp); /* parked in our own wait */
        if (t != ht_self && waiting > lo && waiting < t->stack_hi)
            lo = waiting;
        struct root_where r = {HT_ROOT_STACK, t->index, t->stack_hi};
        if (lo < t->stack_hi)
            scan_range(s, lo, t->stack_hi - lo, root_hit, &r);
    }
}

static void gather_unreleased(void *arg, uint64_t tp, bool released)
{
    (void)arg;
    if (!released && S.nunreleased < MAX_UNRELEASED)
        S.unreleased[S.nunreleased++] = tp;
}

static void gather_segment(void *arg, uint32_t module, uint64_t base, uint64_t start, uint64_t len)
{
    struct segment *seg = arg;
    if (S.nsegments < MAX_SEGMENTS)
        seg[S.nsegments++] = (struct segment){module, base, start, len};
}

/*
 * The loader's link maps: those of the objects loaded at start-up were
 * allocated by ld.so's own start-up allocator, outside the heap and outside
 * any module's segments; valgrind scans that memory like any mapping, and
 * the chain of maps (l_next, l_prev) is the start pointer to each later
 * dlopened library's map (a heap block) and all it holds. Their public
 * head (struct link_map: l_addr, l_name, l_ld, l_next, l_prev) is scanned.
 * Walked under dl_iterate_phdr's lock, which the loader takes to change the
 * chain.
 */
static int gather_link_maps(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)info;
    (void)size;
    (void)arg;
    const struct link_map *l = _r_debug.r_map;
    for (; l && S.nlink_maps < MAX_LINK_MAPS; l = l->l_next)
        S.link_maps[S.nlink_maps++] = (uint64_t)(uintptr_t)l;
    return 1; /* once is enough */
}

static void scan_link_maps(struct snap *s)
{
    struct root_where r = {HT_ROOT_MAPPING, 0, 0};
    for (size_t i = 0; i < S.nlink_maps; i++) {
        bool interior;
        if (!ht_snap_index_find(&s->x, S.link_maps[i], &interior))
            scan_range(s, S.link_maps[i], sizeof(struct link_map), root_hit, &r);
    }
}

void ht_snapshot_gather_roots(void)
{
    S.nsegments = 0;
    struct segment *seg = HT_MEM_ONCE(&S.segments, MAX_SEGMENTS * sizeof *seg);
    if (seg)
        ht_modules_each_writable(gather_segment, seg);
    ht_modules_tls_span(&S.tls_below, &S.tls_above);
    S.nunreleased = 0;
    ht_process_each_tp(gather_unreleased, NULL);
    S.nlink_maps = 0;
    dl_iterate_phdr(gather_link_maps, NULL);
}

/*
 * A thread's DTV (x86-64: the TCB's second word points at its second
 * entry; the first holds the length): glibc's loader allocates the main
 * thread's at startup outside the heap (dlopen may later move it to a heap
 * block), so the pointers to dynamic TLS blocks (a dlopened library's
 * __thread variables) in it are roots of their own. A DTV that is a heap
 * block is scanned as one (reached through the TCB).
 */
static void scan_dtv(struct snap *s, const struct ht_thread *t)
{
#if defined(__x86_64__)
    uint64_t dtv, len;
    bool interior;
    if (!read_mem((uint8_t *)&dtv, t->tp + 8, 8) || dtv < 16 || (dtv & 15) ||
        !read_mem((uint8_t *)&len, dtv - 16, 8) || len == 0 || len > 65536 ||
        ht_snap_index_find(&s->x, dtv - 16, &interior))
        return;
    struct root_where r = {HT_ROOT_TLS, t->index, dtv - 16};
    scan_range(s, dtv - 16, (len + 2) * 16, root_hit, &r);
#else
    (void)s;
    (void)t;
#endif
}

static bool tp_unreleased(uint64_t tp)
{
    for (size_t i = 0; i < S.nunreleased; i++)
        if (S.unreleased[i] == tp)
            return true;
    return false;
}

/*
 * A thread that has ended but was neither joined nor detached keeps its
 * stack mapped (glibc frees or caches it only at the join): memory the
 * program can still reach, which valgrind scans whole like any other
 * mapping. Known while the thread's state has not been reused by another.
 */
static void scan_dead_stacks(struct snap *s)
{
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        if (t->is_writer || !t->tp || !t->stack_hi || atomic_load(&t->state) == HT_TS_LIVE ||
            !tp_unreleased(t->tp))
            continue;
        bool reused = false;
        for (struct ht_thread *o = atomic_load(&ht_threads); o && !reused; o = o->next)
            reused = o != t && atomic_load(&o->state) == HT_TS_LIVE && o->stack_lo < t->stack_hi &&
                     t->stack_lo < o->stack_hi;
        if (reused)
            continue;
        struct root_where r = {HT_ROOT_STACK, t->index, t->stack_hi};
        scan_range(s, t->stack_lo, t->stack_hi - t->stack_lo, root_hit, &r);
    }
}

/* Static TLS and the TCB of every live thread whose stack mapping does not
 * already hold them (the main thread's come from the loader, not the stack). */
static void scan_tls(struct snap *s)
{
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next) {
        if (t->is_writer || !t->tp || atomic_load(&t->state) != HT_TS_LIVE)
            continue;
        scan_dtv(s, t);
        uint64_t lo = t->tp - S.tls_below, hi = t->tp + S.tls_above;
        /* A thread glibc made has its TLS and TCB at the top of its stack
         * mapping, scanned with the stack. tls_above is a bound, not the
         * TCB's size: past the mapping's end it would read the next mapping
         * up (another thread's stack, full of stale pointers). */
        if (t->stack_hi && t->tp >= t->stack_lo && t->tp < t->stack_hi)
            continue;
        struct root_where r = {HT_ROOT_TLS, t->index, lo};
        scan_range(s, lo, hi - lo, root_hit, &r);
    }
}

static void scan_roots(struct snap *s)
{
    s->tag = HT_REC_SNAPSHOT_ROOTS;
    const struct segment *seg = atomic_load(&S.segments);
    for (size_t i = 0; i < S.nsegments; i++)
        global_segment(s, seg[i].module, seg[i].base, seg[i].start, seg[i].len);
    scan_stacks(s);
    scan_dead_stacks(s);
    scan_link_maps(s);
    scan_tls(s);
    register_roots(s);
    scan_user_roots(s);
    scan_mappings(s);
    scan_preattach(s);
    chunk_flush(s);
    ht_snapshot_frames(s->put, s->put_ctx);
}

/* ---- the snapshot ------------------------------------------------------ */

static uint8_t *put_u3(uint8_t *p, uint64_t a, uint64_t b, uint64_t c)
{
    p = ht_put_uvarint(p, a);
    p = ht_put_uvarint(p, b);
    return ht_put_uvarint(p, c);
}

/* consume: in a snapshot child, the index takes the live table's memory. */
static bool snap_init(struct snap *s, snap_put_fn *put, void *ctx, bool consume)
{
    memset(s, 0, sizeof *s);
    s->put = put;
    s->put_ctx = ctx;
    s->rbuf = ht_mem_alloc(READ_MAX);
    s->cap = CHUNK_FLUSH + 4096;
    s->chunk = ht_mem_alloc(HT_VARINT_MAX + s->cap);
    return s->rbuf && s->chunk && ht_snap_index_build(&s->x, consume);
}

static void snap_release(struct snap *s)
{
    ht_snap_index_release(&s->x);
    ht_mem_free(s->rbuf);
    ht_mem_free(s->chunk);
    ht_mem_free(s->targets);
}

/* MODULES (ROOTS name modules by their index in it) and SNAPSHOT_BEGIN. */
void ht_snapshot_begin(unsigned reason)
{
    uint8_t *mods = ht_mem_alloc(512 * 1024);
    size_t mlen = mods ? ht_modules_encode(mods, 512 * 1024) : 0;
    if (mlen)
        ht_writer_put(HT_REC_MODULES, mods, mlen, false);
    ht_mem_free(mods);
    uint8_t buf[4 * HT_VARINT_MAX];
    ht_writer_put(HT_REC_SNAPSHOT_BEGIN, buf,
                  (size_t)(put_u3(buf, ++S.seq, reason, ht_live_count()) - buf), true);
}

void ht_snapshot_end(uint64_t pause_ns, const struct ht_snap_cost *cost)
{
    uint8_t buf[6 * HT_VARINT_MAX];
    uint8_t *p = put_u3(buf, pause_ns, cost->edges, cost->roots);
    p = put_u3(p, cost->scan_ns, cost->scan_cpu_ns, cost->index_cpu_ns);
    ht_writer_put(HT_REC_SNAPSHOT_END, buf, (size_t)(p - buf), true);
}

static void put_log(void *ctx, uint8_t tag, const uint8_t *payload, size_t n)
{
    (void)ctx;
    ht_writer_put(tag, payload, n, false);
}

/* In this thread, once SNAPSHOT_BEGIN is written and the other threads are
 * parked (since t0): scans, releases them, writes SNAPSHOT_END. */
void ht_snapshot_scan_here(uint64_t t0)
{
    struct snap s;
    uint64_t t_scan = ht_mono_ns(), cpu = ht_thread_cpu_ns(), cpu_index = 0;
    if (snap_init(&s, put_log, NULL, false)) {
        cpu_index = ht_thread_cpu_ns() - cpu;
        scan_blocks(&s);
        scan_roots(&s);
    }
    struct ht_snap_cost cost = {s.edges, s.roots, ht_mono_ns() - t_scan,
                                ht_thread_cpu_ns() - cpu, /* the compression of the records too */
                                cpu_index};
    ht_snapshot_release_threads();
    ht_snapshot_end(ht_mono_ns() - t0, &cost);
    snap_release(&s);
}

void ht_snapshot_write(unsigned reason)
{
    if (ht_sandboxed()) /* a seccomp filter: no system call it may not expect (sandbox.c) */
        return;
    uint64_t t0 = ht_mono_ns();
    ht_snapshot_gather_roots();
    ht_snapshot_begin(reason);
    ht_snapshot_park_threads();
    ht_snapshot_scan_here(t0);
}

/* ---- in a child: the same scan, written to the shared ring --------------- */

/* Frames in the ring: tag, length, payload, like log records. When the
 * writer has given up on us, there is nothing left to do. */
static void put_ring(void *ctx, uint8_t tag, const uint8_t *payload, size_t n)
{
    struct ht_snap_ring *ring = ctx;
    uint8_t hdr[1 + HT_VARINT_MAX];
    hdr[0] = tag;
    if (!ht_snap_ring_write(ring, hdr, (size_t)(ht_put_uvarint(hdr + 1, n) - hdr)) ||
        !ht_snap_ring_write(ring, payload, n))
        syscall(SYS_exit_group, HT_EXIT_OK);
}

/* The child never reads the threads' event rings (the writer drains them
 * in the program): its copies of their pages go, 4 MiB a thread that has
 * filled one, so that what it holds is the heap, the index and its own
 * buffers. Private mappings: the program keeps its pages. */
static void drop_rings(void)
{
    for (struct ht_thread *t = atomic_load(&ht_threads); t; t = t->next)
        if (t->buf)
            syscall(SYS_madvise, t->buf, (size_t)t->cap, MADV_DONTNEED);
}

void ht_snapshot_child(struct ht_snap_ring *ring)
{
    struct snap s;
    uint64_t t0 = ht_mono_ns(), cpu = ht_thread_cpu_ns();
    drop_rings();
    ht_snap_read_direct();
    if (snap_init(&s, put_ring, ring, true)) {
        uint64_t cpu_index = ht_thread_cpu_ns() - cpu;
        scan_blocks(&s);
        scan_roots(&s);
        uint8_t buf[5 * HT_VARINT_MAX];
        uint8_t *p = put_u3(buf, s.edges, s.roots, ht_mono_ns() - t0);
        p = ht_put_uvarint(p, ht_thread_cpu_ns() - cpu);
        p = ht_put_uvarint(p, cpu_index);
        put_ring(ring, HT_SNAP_CHILD_DONE, buf, (size_t)(p - buf));
    }
}
