/* SPDX-License-Identifier: MIT */
/*
 * logcheck.c - reads one .htrace log back with the analyzer's reader and
 * checks expectations about it; the verdict half of the integration tests.
 *
 *     logcheck [--summary] [--header] [--explain] [--parent-in FILE] [-e EXPR]... LOG
 *
 * It replays the heap exactly: a table of live blocks (address -> size and
 * the function that made it) is updated by every ALLOC, FREE and REALLOC in
 * file order, so a FREE is matched against the block it releases and a
 * REALLOC against the block it moves. Every event is then counted into each
 * expectation that selects it. An expectation is
 *
 *     NAME(lo..hi)  OP  N       e.g.  alloc.malloc(1200..1600)==400
 *
 * where the optional size range (lo..hi) is half-open ((n) is exactly n) and
 * OP is one of == != >= <= > <. Counter names:
 *
 *   alloc, alloc.FN       ALLOC records (FN: malloc calloc posix_memalign
 *                         aligned_alloc memalign valloc pvalloc reallocarray
 *                         custom); range on the size
 *   alloc.overlap         ALLOC of an address that was already live
 *   free, free.FN         FREE of a live block; range on the block's size,
 *                         FN the function that made the block ("realloc" for
 *                         blocks made by realloc/reallocarray)
 *   free.unmatched        FREE of an address that was not live
 *   free.null             FREE of address 0
 *   realloc               REALLOC moving a live block to a new one; range on
 *                         the new size. The range may be followed by from(lo..hi) (the
 *                         old block's size must be in it) or deltaD (the old
 *                         size must be exactly new size + D), e.g.
 *                         realloc(4200..4600)delta-1000==400
 *   realloc.grow/.shrink/.same   the same, by comparing new and old size
 *   realloc.new           realloc(NULL, n): range on n
 *   realloc.free          realloc(p, 0) of a live block: range on its size
 *   realloc.unmatched     REALLOC whose old address was not live
 *   leaked, leaked.FN     blocks still live at the end of the log
 *   mmap munmap mremap thread_start thread_exit thread_name switch stack
 *   modules mark rss lost fork exec owner_begin owner_end owner_close
 *   records               records of that kind (mmap: range on the length)
 *   end                   1 if the log has an END record
 *   end.reason            END's reason (-1 without END)
 *   truncated             1 if the log ends without END
 *   end_snapshot          1 if the log has no END, or a complete exit snapshot
 *                         (SNAPSHOT_BEGIN reason EXIT ... SNAPSHOT_END) before it
 *   snapshot_begin, snapshot_end, note   records of that kind
 *   header.parent         1 if HEADER.parent_log is not empty
 *   header.flags, header.depth, header.pid, header.ppid
 *
 * --explain prints the first 10 anomalies (a FREE or REALLOC of an address
 * that is not live, an ALLOC at a live one) with their record numbers.
 *
 * Exit status: 0 when every expectation holds, 1 when one does not, 2 for a
 * usage error, a log that cannot be opened, or a corrupt record (a truncated
 * log is not corrupt; check `truncated` or `end` for it).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

#define FN_REALLOC HT_FN_COUNT_ /* pseudo function: block made by realloc */
#define FN_ANY 0xff

static const char *const fn_names[HT_FN_COUNT_ + 1] = {
    "malloc", "calloc", "posix_memalign", "aligned_alloc", "memalign", "valloc",
    "pvalloc", "reallocarray", "custom", "inherited", "realloc",
};

/* ===================================================================
 * Live block table: open addressing, linear probing, backward-shift delete
 * =================================================================== */

struct block {
    uint64_t addr; /* 0 = empty slot */
    uint64_t size;
    uint8_t fn;
};

struct live {
    struct block *slots;
    size_t cap; /* power of two */
    size_t used;
};

static size_t live_hash(uint64_t addr, size_t cap)
{
    addr ^= addr >> 33;
    addr *= 0xff51afd7ed558ccdULL;
    addr ^= addr >> 33;
    return (size_t)addr & (cap - 1);
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n, sz);
    if (!p) {
        fprintf(stderr, "logcheck: out of memory\n");
        exit(2);
    }
    return p;
}

static void live_put_slot(struct live *l, const struct block *b)
{
    size_t i = live_hash(b->addr, l->cap);
    while (l->slots[i].addr != 0 && l->slots[i].addr != b->addr)
        i = (i + 1) & (l->cap - 1);
    if (l->slots[i].addr == 0)
        l->used++;
    l->slots[i] = *b;
}

static void live_grow(struct live *l)
{
    struct block *old = l->slots;
    size_t old_cap = l->cap;
    l->cap = old_cap ? old_cap * 2 : 1024;
    l->slots = xcalloc(l->cap, sizeof(*l->slots));
    l->used = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].addr)
            live_put_slot(l, &old[i]);
    free(old);
}

/* @return true when the address was already live (it is overwritten). */
static bool live_put(struct live *l, uint64_t addr, uint64_t size, uint8_t fn)
{
    if ((l->used + 1) * 4 >= l->cap * 3)
        live_grow(l);
    size_t before = l->used;
    struct block b = { addr, size, fn };
    live_put_slot(l, &b);
    return l->used == before;
}

/* Removes `addr` into *out. @return false when it was not live. */
static bool live_take(struct live *l, uint64_t addr, struct block *out)
{
    if (l->cap == 0 || addr == 0)
        return false;
    size_t mask = l->cap - 1, i = live_hash(addr, l->cap);
    while (l->slots[i].addr != addr) {
        if (l->slots[i].addr == 0)
            return false;
        i = (i + 1) & mask;
    }
    *out = l->slots[i];
    l->used--;
    /* Backward-shift: pull later members of the probe run into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; l->slots[j].addr != 0; j = (j + 1) & mask) {
        size_t home = live_hash(l->slots[j].addr, l->cap);
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            l->slots[hole] = l->slots[j];
            hole = j;
        }
    }
    l->slots[hole].addr = 0;
    return true;
}

/* ===================================================================
 * Expectations
 * =================================================================== */

enum counter {
    C_ALLOC, C_ALLOC_OVERLAP, C_FREE, C_FREE_UNMATCHED, C_FREE_NULL,
    C_REALLOC, C_REALLOC_GROW, C_REALLOC_SHRINK, C_REALLOC_SAME, C_REALLOC_NEW,
    C_REALLOC_FREE, C_REALLOC_UNMATCHED, C_LEAKED,
    C_TAG,      /* records with a given tag (tag field) */
    C_RECORDS,
    C_END, C_END_REASON, C_TRUNCATED, C_END_SNAPSHOT,
    C_HEADER_PARENT, C_HEADER_FLAGS, C_HEADER_DEPTH, C_HEADER_PID, C_HEADER_PPID,
};

enum op { OP_EQ, OP_NE, OP_GE, OP_LE, OP_GT, OP_LT };

struct expect {
    const char *text;
    enum counter counter;
    uint8_t fn;  /* FN_ANY or a function */
    uint8_t tag; /* C_TAG */
    bool has_range, has_from, has_delta;
    uint64_t lo, hi, from_lo, from_hi;
    int64_t delta;
    enum op op;
    int64_t want;
    int64_t got;
};

static const struct {
    const char *name;
    enum counter counter;
    uint8_t tag;
} counter_names[] = {
    { "alloc", C_ALLOC, 0 },
    { "alloc.overlap", C_ALLOC_OVERLAP, 0 },
    { "free", C_FREE, 0 },
    { "free.unmatched", C_FREE_UNMATCHED, 0 },
    { "free.null", C_FREE_NULL, 0 },
    { "realloc", C_REALLOC, 0 },
    { "realloc.grow", C_REALLOC_GROW, 0 },
    { "realloc.shrink", C_REALLOC_SHRINK, 0 },
    { "realloc.same", C_REALLOC_SAME, 0 },
    { "realloc.new", C_REALLOC_NEW, 0 },
    { "realloc.free", C_REALLOC_FREE, 0 },
    { "realloc.unmatched", C_REALLOC_UNMATCHED, 0 },
    { "leaked", C_LEAKED, 0 },
    { "mmap", C_TAG, HT_REC_MMAP },
    { "munmap", C_TAG, HT_REC_MUNMAP },
    { "mremap", C_TAG, HT_REC_MREMAP },
    { "thread_start", C_TAG, HT_REC_THREAD_START },
    { "thread_exit", C_TAG, HT_REC_THREAD_EXIT },
    { "thread_name", C_TAG, HT_REC_THREAD_NAME },
    { "switch", C_TAG, HT_REC_SWITCH },
    { "stack", C_TAG, HT_REC_STACK },
    { "modules", C_TAG, HT_REC_MODULES },
    { "mark", C_TAG, HT_REC_MARK },
    { "rss", C_TAG, HT_REC_RSS },
    { "lost", C_TAG, HT_REC_LOST },
    { "fork", C_TAG, HT_REC_FORK },
    { "note", C_TAG, HT_REC_NOTE },
    { "exec", C_TAG, HT_REC_EXEC },
    { "owner_begin", C_TAG, HT_REC_OWNER_BEGIN },
    { "owner_end", C_TAG, HT_REC_OWNER_END },
    { "owner_close", C_TAG, HT_REC_OWNER_CLOSE },
    { "records", C_RECORDS, 0 },
    { "end", C_END, 0 },
    { "end.reason", C_END_REASON, 0 },
    { "truncated", C_TRUNCATED, 0 },
    { "end_snapshot", C_END_SNAPSHOT, 0 },
    { "snapshot_begin", C_TAG, HT_REC_SNAPSHOT_BEGIN },
    { "snapshot_end", C_TAG, HT_REC_SNAPSHOT_END },
    { "header.parent", C_HEADER_PARENT, 0 },
    { "header.flags", C_HEADER_FLAGS, 0 },
    { "header.depth", C_HEADER_DEPTH, 0 },
    { "header.pid", C_HEADER_PID, 0 },
    { "header.ppid", C_HEADER_PPID, 0 },
};

static bool parse_u64(const char **s, uint64_t *out)
{
    char *end;
    if (**s < '0' || **s > '9')
        return false;
    *out = strtoull(*s, &end, 10);
    *s = end;
    return true;
}

/* "(lo..hi)", half-open, or "(n)". (Not "[lo,hi)": CMake lists keep
 * everything after an unbalanced '[' in one element.) */
static bool parse_range(const char **s, uint64_t *lo, uint64_t *hi)
{
    if (**s != '(')
        return false;
    (*s)++;
    if (!parse_u64(s, lo))
        return false;
    if (**s == ')') {
        (*s)++;
        *hi = *lo + 1;
        return true;
    }
    if (strncmp(*s, "..", 2) != 0)
        return false;
    *s += 2;
    if (!parse_u64(s, hi) || **s != ')' || *hi <= *lo)
        return false;
    (*s)++;
    return true;
}

/* NAME is a run of [a-z_.]: a counter, or alloc./free./leaked. + a function. */
static bool parse_name(const char **s, struct expect *e)
{
    size_t len = strspn(*s, "abcdefghijklmnopqrstuvwxyz_.");
    e->fn = FN_ANY;
    for (size_t i = 0; i < sizeof(counter_names) / sizeof(counter_names[0]); i++) {
        if (strlen(counter_names[i].name) == len && strncmp(*s, counter_names[i].name, len) == 0) {
            e->counter = counter_names[i].counter;
            e->tag = counter_names[i].tag;
            *s += len;
            return true;
        }
    }
    static const char *const with_fn[] = { "alloc.", "free.", "leaked." };
    static const enum counter fn_counter[] = { C_ALLOC, C_FREE, C_LEAKED };
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(with_fn[i]);
        if (len <= n || strncmp(*s, with_fn[i], n) != 0)
            continue;
        for (uint8_t fn = 0; fn <= HT_FN_COUNT_; fn++) {
            if (strlen(fn_names[fn]) == len - n && strncmp(*s + n, fn_names[fn], len - n) == 0) {
                e->counter = fn_counter[i];
                e->fn = fn;
                *s += len;
                return true;
            }
        }
    }
    return false;
}

static bool parse_expect(const char *text, struct expect *e)
{
    memset(e, 0, sizeof(*e));
    e->text = text;
    const char *s = text;
    if (!parse_name(&s, e))
        return false;
    if (*s == '(') {
        if (!parse_range(&s, &e->lo, &e->hi))
            return false;
        e->has_range = true;
    }
    /* from/delta follow a range, so they cannot be mistaken for a name */
    if (e->has_range && strncmp(s, "from", 4) == 0) {
        s += 4;
        if (!parse_range(&s, &e->from_lo, &e->from_hi))
            return false;
        e->has_from = true;
    } else if (e->has_range && strncmp(s, "delta", 5) == 0) {
        char *end;
        e->delta = strtoll(s + 5, &end, 10);
        if (end == s + 5)
            return false;
        s = end;
        e->has_delta = true;
    }
    static const struct { const char *text; enum op op; } ops[] = {
        { "==", OP_EQ }, { "!=", OP_NE }, { ">=", OP_GE },
        { "<=", OP_LE }, { ">", OP_GT }, { "<", OP_LT },
    };
    size_t k;
    for (k = 0; k < 6; k++)
        if (strncmp(s, ops[k].text, strlen(ops[k].text)) == 0)
            break;
    if (k == 6)
        return false;
    e->op = ops[k].op;
    s += strlen(ops[k].text);
    char *end;
    e->want = strtoll(s, &end, 10);
    return end != s && *end == '\0';
}

static bool in_range(const struct expect *e, uint64_t size)
{
    return !e->has_range || (size >= e->lo && size < e->hi);
}

static bool holds(const struct expect *e)
{
    switch (e->op) {
    case OP_EQ: return e->got == e->want;
    case OP_NE: return e->got != e->want;
    case OP_GE: return e->got >= e->want;
    case OP_LE: return e->got <= e->want;
    case OP_GT: return e->got > e->want;
    case OP_LT: return e->got < e->want;
    }
    return false;
}

/* ===================================================================
 * Replay
 * =================================================================== */

/* One heap happening, after matching against the live table. */
struct happening {
    enum counter counter;
    uint8_t fn;
    uint64_t size;     /* the size the range applies to */
    uint64_t old_size; /* C_REALLOC: the moved block's size */
};

struct state {
    struct expect *ex;
    size_t nex;
    struct live live;
    /* summary */
    uint64_t tag_count[256];
    uint64_t fn_count[HT_FN_COUNT_ + 1], fn_bytes[HT_FN_COUNT_ + 1];
    uint64_t min_size, max_size;
    uint64_t frees, frees_unmatched, frees_null, reallocs, realloc_new, realloc_free,
        realloc_unmatched, alloc_overlap;
    uint64_t records;
    unsigned explain; /* anomalies still to print (--explain) */
    bool has_end;
    bool exit_snapshot_open, exit_snapshot_done; /* SNAPSHOT_BEGIN reason EXIT, then END */
    uint64_t end_reason;
};

static void count(struct state *st, const struct happening *h)
{
    for (size_t i = 0; i < st->nex; i++) {
        struct expect *e = &st->ex[i];
        bool realloc_kind = e->counter == C_REALLOC && (h->counter == C_REALLOC ||
            h->counter == C_REALLOC_GROW || h->counter == C_REALLOC_SHRINK ||
            h->counter == C_REALLOC_SAME);
        if (e->counter != h->counter && !realloc_kind)
            continue;
        if (e->fn != FN_ANY && e->fn != h->fn)
            continue;
        if (!in_range(e, h->size))
            continue;
        if (e->has_from && (h->old_size < e->from_lo || h->old_size >= e->from_hi))
            continue;
        if (e->has_delta && (int64_t)(h->old_size - h->size) != e->delta)
            continue;
        e->got++;
    }
}

static void note_size(struct state *st, uint64_t size)
{
    if (size < st->min_size)
        st->min_size = size;
    if (size > st->max_size)
        st->max_size = size;
}

/* --explain: prints the first few anomalies with where they are in the log. */
static void explain(struct state *st, const struct ht_event *ev, const char *what,
                    const struct block *prev)
{
    if (st->explain == 0)
        return;
    st->explain--;
    printf("  record %" PRIu64 " (thread %u, %" PRIu64 " us): %s addr %#" PRIx64 " size %" PRIu64,
           ev->record_no, ev->thread, ev->time_us, what, ev->addr, ev->size);
    if (prev)
        printf(" (live block: %s, size %" PRIu64 ")", fn_names[prev->fn], prev->size);
    printf("\n");
}

static void on_alloc(struct state *st, const struct ht_event *ev)
{
    uint8_t fn = ev->fn < HT_FN_COUNT_ ? ev->fn : HT_FN_CUSTOM;
    st->fn_count[fn]++;
    st->fn_bytes[fn] += ev->size;
    note_size(st, ev->size);
    struct happening h = { C_ALLOC, fn, ev->size, 0 };
    count(st, &h);
    struct block prev;
    if (st->explain && live_take(&st->live, ev->addr, &prev)) {
        explain(st, ev, "alloc of a live address", &prev);
        live_put(&st->live, prev.addr, prev.size, prev.fn);
    }
    if (live_put(&st->live, ev->addr, ev->size, fn)) {
        st->alloc_overlap++;
        h.counter = C_ALLOC_OVERLAP;
        count(st, &h);
    }
}

static void on_free(struct state *st, const struct ht_event *ev)
{
    struct block b;
    struct happening h = { C_FREE_NULL, FN_ANY, 0, 0 };
    if (ev->addr == 0) {
        st->frees_null++;
    } else if (live_take(&st->live, ev->addr, &b)) {
        st->frees++;
        h = (struct happening){ C_FREE, b.fn, b.size, 0 };
    } else {
        st->frees_unmatched++;
        h.counter = C_FREE_UNMATCHED;
        explain(st, ev, "free of an address not live", NULL);
    }
    count(st, &h);
}

static void on_realloc(struct state *st, const struct ht_event *ev)
{
    struct block b;
    struct happening h = { C_REALLOC_NEW, FN_REALLOC, ev->size, 0 };
    if (ev->old_addr == 0) {
        st->realloc_new++;
        note_size(st, ev->size);
    } else if (!live_take(&st->live, ev->old_addr, &b)) {
        st->realloc_unmatched++;
        h.counter = C_REALLOC_UNMATCHED;
        explain(st, ev, "realloc of an address not live", NULL);
    } else if (ev->addr == 0) {
        st->realloc_free++;
        h = (struct happening){ C_REALLOC_FREE, b.fn, b.size, 0 };
    } else {
        st->reallocs++;
        note_size(st, ev->size);
        h.old_size = b.size;
        h.counter = ev->size > b.size ? C_REALLOC_GROW
                  : ev->size < b.size ? C_REALLOC_SHRINK : C_REALLOC_SAME;
    }
    count(st, &h);
    if (st->explain && ev->addr != 0 && live_take(&st->live, ev->addr, &b)) {
        explain(st, ev, "realloc to a live address", &b);
        live_put(&st->live, b.addr, b.size, b.fn);
    }
    if (ev->addr != 0 && live_put(&st->live, ev->addr, ev->size, FN_REALLOC)) {
        st->alloc_overlap++;
        h = (struct happening){ C_ALLOC_OVERLAP, FN_REALLOC, ev->size, 0 };
        count(st, &h);
    }
}

static void on_event(struct state *st, const struct ht_event *ev)
{
    st->records++;
    st->tag_count[ev->tag]++;
    if (ev->tag >= HT_REC_ALLOC_BASE && ev->tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_) {
        on_alloc(st, ev);
        return;
    }
    struct happening h = { C_TAG, FN_ANY, 0, 0 };
    switch (ev->tag) {
    case HT_REC_FREE:
        on_free(st, ev);
        return;
    case HT_REC_REALLOC:
        on_realloc(st, ev);
        return;
    case HT_REC_SNAPSHOT_BEGIN:
        st->exit_snapshot_open = ev->kind == HT_SNAP_EXIT;
        break;
    case HT_REC_SNAPSHOT_END:
        st->exit_snapshot_done |= st->exit_snapshot_open;
        st->exit_snapshot_open = false;
        break;
    case HT_REC_END:
        st->has_end = true;
        st->end_reason = ev->value;
        return;
    case HT_REC_MMAP:
    case HT_REC_MREMAP:
    case HT_REC_MUNMAP:
        h.size = ev->size;
        break;
    default:
        break;
    }
    for (size_t i = 0; i < st->nex; i++)
        if (st->ex[i].counter == C_TAG && st->ex[i].tag == ev->tag && in_range(&st->ex[i], h.size))
            st->ex[i].got++;
}

static void finish(struct state *st, const struct ht_header *hdr, bool truncated)
{
    for (size_t i = 0; i < st->live.cap; i++) {
        const struct block *b = &st->live.slots[i];
        if (b->addr == 0)
            continue;
        struct happening h = { C_LEAKED, b->fn, b->size, 0 };
        count(st, &h);
    }
    for (size_t i = 0; i < st->nex; i++) {
        struct expect *e = &st->ex[i];
        switch (e->counter) {
        case C_RECORDS: e->got = (int64_t)st->records; break;
        case C_END: e->got = st->has_end || !truncated; break; /* END, or EXEC last */
        case C_END_REASON: e->got = st->has_end ? (int64_t)st->end_reason : -1; break;
        case C_TRUNCATED: e->got = truncated; break;
        /* a process that ended (END) was snapshotted at its end */
        case C_END_SNAPSHOT: e->got = !st->has_end || st->exit_snapshot_done; break;
        case C_HEADER_PARENT: e->got = hdr->parent_log && hdr->parent_log[0]; break;
        case C_HEADER_FLAGS: e->got = (int64_t)hdr->flags; break;
        case C_HEADER_DEPTH: e->got = (int64_t)hdr->depth; break;
        case C_HEADER_PID: e->got = (int64_t)hdr->pid; break;
        case C_HEADER_PPID: e->got = (int64_t)hdr->ppid; break;
        default: break;
        }
    }
}

static const char *tag_name(unsigned tag)
{
    if (tag >= HT_REC_ALLOC_BASE && tag < HT_REC_ALLOC_BASE + HT_FN_COUNT_)
        return "alloc";
    for (size_t i = 0; i < sizeof(counter_names) / sizeof(counter_names[0]); i++)
        if (counter_names[i].counter == C_TAG && counter_names[i].tag == tag)
            return counter_names[i].name;
    switch (tag) {
    case HT_REC_HEADER: return "header";
    case HT_REC_FREE: return "free";
    case HT_REC_REALLOC: return "realloc";
    case HT_REC_END: return "end";
    default: return "?";
    }
}

static void print_summary(const struct state *st, const char *path,
                          const struct ht_header *hdr, bool truncated, uint64_t end_offset)
{
    printf("log %s\n", path);
    printf("  pid %" PRIu64 " ppid %" PRIu64 " exe %s depth %" PRIu64 " flags %#" PRIx64 "\n",
           hdr->pid, hdr->ppid, hdr->exe ? hdr->exe : "", hdr->depth, hdr->flags);
    printf("  parent_log '%s'\n", hdr->parent_log ? hdr->parent_log : "");
    printf("  records %" PRIu64 "\n", st->records);
    for (unsigned t = 0; t < 256; t++)
        if (st->tag_count[t] && !(t >= HT_REC_ALLOC_BASE && t < HT_REC_ALLOC_BASE + HT_FN_COUNT_))
            printf("    %-13s %" PRIu64 "\n", tag_name(t), st->tag_count[t]);
    for (unsigned fn = 0; fn < HT_FN_COUNT_; fn++)
        if (st->fn_count[fn])
            printf("    alloc.%-7s %" PRIu64 " (%" PRIu64 " bytes)\n", fn_names[fn],
                   st->fn_count[fn], st->fn_bytes[fn]);
    printf("  frees matched %" PRIu64 " unmatched %" PRIu64 " null %" PRIu64 "\n", st->frees,
           st->frees_unmatched, st->frees_null);
    printf("  reallocs moved %" PRIu64 " new %" PRIu64 " free %" PRIu64 " unmatched %" PRIu64 "\n",
           st->reallocs, st->realloc_new, st->realloc_free, st->realloc_unmatched);
    printf("  alloc of a live address %" PRIu64 "\n", st->alloc_overlap);
    uint64_t leaked = 0, leaked_bytes = 0;
    for (size_t i = 0; i < st->live.cap; i++)
        if (st->live.slots[i].addr) {
            leaked++;
            leaked_bytes += st->live.slots[i].size;
        }
    printf("  live at end %" PRIu64 " blocks, %" PRIu64 " bytes\n", leaked, leaked_bytes);
    if (st->max_size)
        printf("  sizes %" PRIu64 "..%" PRIu64 "\n", st->min_size, st->max_size);
    if (st->has_end)
        printf("  END reason %" PRIu64 "\n", st->end_reason);
    else
        printf("  no END: %s at stream offset %" PRIu64 "\n",
               truncated ? "truncated" : "ended", end_offset);
}

/* @return true when the header's parent_log is one of the lines of `file`. */
static bool parent_in(const char *parent, const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "logcheck: cannot open '%s'\n", file);
        return false;
    }
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        found = parent[0] && strcmp(line, parent) == 0;
    }
    fclose(f);
    return found;
}

static int usage(void)
{
    fprintf(stderr, "usage: logcheck [--summary] [--header] [--explain] [--parent-in FILE] "
                    "[-e EXPR]... LOG\n"
                    "  EXPR: NAME(lo..hi)OPN, e.g. alloc.malloc(1200..1600)==400 (see logcheck.c)\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct state st;
    memset(&st, 0, sizeof(st));
    st.min_size = UINT64_MAX;
    st.ex = xcalloc((size_t)argc, sizeof(*st.ex));
    bool summary = false, header = false;
    const char *parent_file = NULL, *path = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--summary") == 0) {
            summary = true;
        } else if (strcmp(argv[i], "--explain") == 0) {
            st.explain = 10;
        } else if (strcmp(argv[i], "--header") == 0) {
            header = true;
        } else if (strcmp(argv[i], "--parent-in") == 0 && i + 1 < argc) {
            parent_file = argv[++i];
        } else if ((strcmp(argv[i], "-e") == 0 || strcmp(argv[i], "--expect") == 0) &&
                   i + 1 < argc) {
            if (!parse_expect(argv[++i], &st.ex[st.nex])) {
                fprintf(stderr, "logcheck: bad expectation '%s'\n", argv[i]);
                path = NULL;
                break;
            }
            st.nex++;
        } else if (argv[i][0] == '-' || path) {
            path = NULL;
            break;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        free(st.ex);
        return usage();
    }
    if (st.nex == 0 && !header && !parent_file)
        summary = true;

    struct ht_reader *r = NULL;
    if (ht_reader_open(&r, path) != 0) {
        fprintf(stderr, "logcheck: %s: %s\n", path, r ? ht_reader_error(r) : "cannot open");
        ht_reader_close(r);
        return 2;
    }
    const struct ht_header *hdr = ht_reader_header(r);
    if (header) /* pid ppid exe log_path parent_log argv[0], tab-separated */
        printf("%" PRIu64 "\t%" PRIu64 "\t%s\t%s\t%s\t%s\n", hdr->pid, hdr->ppid,
               hdr->exe ? hdr->exe : "", hdr->log_path ? hdr->log_path : "",
               hdr->parent_log ? hdr->parent_log : "",
               hdr->argc > 0 && hdr->argv && hdr->argv[0] ? hdr->argv[0] : "");

    struct ht_event ev;
    int rc;
    while ((rc = ht_reader_next(r, &ev)) == 1)
        on_event(&st, &ev);
    bool truncated = ht_reader_truncated(r);
    finish(&st, hdr, truncated);
    if (summary)
        print_summary(&st, path, hdr, truncated, ht_reader_offset(r));

    int status = 0;
    if (rc < 0) {
        fprintf(stderr, "logcheck: %s: corrupt: %s\n", path, ht_reader_error(r));
        status = 2;
    }
    if (parent_file && !parent_in(hdr->parent_log ? hdr->parent_log : "", parent_file)) {
        fprintf(stderr, "logcheck: FAIL %s: parent_log '%s' is not a log listed in %s\n", path,
                hdr->parent_log ? hdr->parent_log : "", parent_file);
        status = status ? status : 1;
    }
    for (size_t i = 0; i < st.nex; i++) {
        if (!holds(&st.ex[i])) {
            fprintf(stderr, "logcheck: FAIL %s: %s (got %" PRId64 ")\n", path, st.ex[i].text,
                    st.ex[i].got);
            status = status ? status : 1;
        }
    }
    ht_reader_close(r);
    free(st.live.slots);
    free(st.ex);
    return status;
}
