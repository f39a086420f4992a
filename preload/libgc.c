/* SPDX-License-Identifier: MIT */
/*
 * libgc.c - the Boehm-Demers-Weiser collector (libgc.so) as a heap of its own:
 * finding libgc, collections, allocations. gc_links.c and gc_finalizers.c
 * do disappearing links and finalizers (objects' deaths).
 *
 * What is interposed here: the allocation entry points (tallied into
 * GC_ALLOC records at each collection), GC_free, GC_init, and
 * GC_set_on_collection_event, so that our own collection callback can sit
 * in front of the program's (which still runs, for every event). At each
 * collection's end: the heap and free bytes, and the links it cleared.
 * Objects without a finalizer or a link die unseen: only those byte counts
 * say how much the collector keeps.
 *
 * libgc may not be loaded at all: then nobody calls these and nothing costs.
 * Calls libgc makes to its own exported functions land here too; a
 * per-thread depth keeps them from being counted twice.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "libgc.h"
#include "varint.h"

/* libgc's ABI beyond libgc.h's (see there). */
enum { GC_EVENT_START_ = 0, GC_EVENT_END_ = 5 };
struct gc_prof_stats { /* struct GC_prof_stats_s, its first fields (libgc >= 7.4) */
    unsigned long heapsize_full, free_bytes_full, unmapped_bytes, bytes_allocd_since_gc,
        allocd_bytes_before_gc, non_gc_bytes, gc_no, markers_m1, bytes_reclaimed_since_gc,
        reclaimed_bytes_before_gc, expl_freed_bytes_since_gc, obtained_from_os_bytes;
};

/* The interposed functions (libgc's prototypes, for -Wmissing-prototypes). */
HT_EXPORT void GC_init(void);
HT_EXPORT void GC_set_on_collection_event(gc_event_fn fn);
HT_EXPORT gc_event_fn GC_get_on_collection_event(void);
HT_EXPORT void *GC_malloc(size_t lb);
HT_EXPORT void *GC_malloc_atomic(size_t lb);
HT_EXPORT void *GC_malloc_uncollectable(size_t lb);
HT_EXPORT void *GC_malloc_atomic_uncollectable(size_t lb);
HT_EXPORT void *GC_malloc_ignore_off_page(size_t lb);
HT_EXPORT void *GC_malloc_atomic_ignore_off_page(size_t lb);
HT_EXPORT void *GC_generic_malloc(size_t lb, int kind);
HT_EXPORT void *GC_malloc_kind(size_t lb, int kind);
HT_EXPORT void *GC_malloc_explicitly_typed(size_t lb, unsigned long descr);
HT_EXPORT void *GC_realloc(void *old, size_t lb);
HT_EXPORT void GC_generic_malloc_many(size_t lb, int kind, void **result);
HT_EXPORT void *GC_malloc_many(size_t lb);
HT_EXPORT void GC_free(void *p);

/* ---- the real entry points --------------------------------------------- */

#define GC_NAME(name) #name,
static const char *const gc_names[GCX_COUNT] = {GC_LIST(GC_NAME)};
void *_Atomic ht_gc_real[GCX_COUNT];

static int find_libgc(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    const char *slash = strrchr(info->dlpi_name, '/');
    return strncmp(slash ? slash + 1 : info->dlpi_name, "libgc.so", 8) == 0;
}

/* At init: libgc linked with the program is found now. Only when it is
 * there: a failed dlsym leaves glibc's dlerror state allocated, which a
 * program without libgc must not see changed. */
void ht_gc_resolve(void)
{
    if (!dl_iterate_phdr(find_libgc, NULL))
        return;
    for (int i = 0; i < GCX_COUNT; i++)
        atomic_store(&ht_gc_real[i], dlsym(RTLD_NEXT, gc_names[i]));
}

static struct libgc_state {
    _Atomic bool tried[GCX_COUNT];   /* looked up lazily once: absent stays absent */
    _Atomic gc_event_fn host_event_fn; /* the program's own collection callback */
    _Atomic uint64_t collection_start_ns;
    /* the threads' allocation tallies (below) */
    struct gc_tally *_Atomic tallies;
    _Atomic int tally_lock; /* the chunk carver and the flusher */
    uint64_t sent_count[HT_GC_FN_COUNT_], sent_bytes[HT_GC_FN_COUNT_]; /* under tally_lock */
    struct gc_tally *chunk; /* tallies carved from it (tally_new) */
    size_t left;
} gc;

/* Outside our guard: dlsym may free its error state, and that free must be
 * recorded like any other. */
HT_COLD void *ht_gc_lookup(int id)
{
    if (atomic_exchange(&gc.tried[id], true))
        return atomic_load(&ht_gc_real[id]);
    void *sym = dlsym(RTLD_NEXT, gc_names[id]);
    if (!sym) {
        void *h = dlopen("libgc.so.1", RTLD_LAZY | RTLD_NOLOAD);
        if (h) {
            sym = dlsym(h, gc_names[id]);
            dlclose(h);
        }
    }
    if (sym)
        atomic_store(&ht_gc_real[id], sym);
    return sym;
}

__thread int ht_gc_depth __attribute__((tls_model("initial-exec")));

/* ---- collections ------------------------------------------------------- */

_Atomic int ht_gc_hook_state;
static void on_collection_event(int event);

HT_COLD void ht_gc_install_hook(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&ht_gc_hook_state, &expected, 1))
        return;
    void (*set)(gc_event_fn) = gc_sym(GCX_GC_set_on_collection_event);
    gc_event_fn (*get)(void) = gc_sym(GCX_GC_get_on_collection_event);
    if (!set) {
        atomic_store(&ht_gc_hook_state, 3); /* libgc older than 7.6: no collection records */
        return;
    }
    gc_event_fn prev = get ? get() : NULL;
    if (prev && prev != on_collection_event)
        atomic_store(&gc.host_event_fn, prev);
    set(on_collection_event);
    atomic_store(&ht_gc_hook_state, 2);
}

static void tally_flush(void);

/* Under libgc's allocation lock, with the world running again. */
static void collection_end(void)
{
    ht_gc_links_sweep();
    if (!ht_enter())
        return;
    struct gc_prof_stats st;
    memset(&st, 0, sizeof st);
    size_t (*stats)(struct gc_prof_stats *, size_t) = gc_sym(GCX_GC_get_prof_stats_unsafe);
    if (stats)
        stats(&st, sizeof st); /* the unlocked variant: we already hold the lock */
    uint64_t unmapped = st.unmapped_bytes;
    uint64_t heap = st.heapsize_full > unmapped ? st.heapsize_full - unmapped : 0;
    uint64_t free_b = st.free_bytes_full > unmapped ? st.free_bytes_full - unmapped : 0;
    uint64_t start = atomic_load(&gc.collection_start_ns), now = ht_mono_ns();
    tally_flush(); /* what was allocated before this collection ended */
    uint8_t buf[6 * HT_VARINT_MAX], *p = buf;
    p = ht_put_uvarint(p, st.gc_no);
    p = ht_put_uvarint(p, heap);
    p = ht_put_uvarint(p, free_b);
    p = ht_put_uvarint(p, unmapped);
    p = ht_put_uvarint(p, start && now > start ? now - start : 0);
    p = ht_put_uvarint(p, ht_rss_now());
    ht_rec_raw(HT_REC_GC_COLLECTION, buf, (size_t)(p - buf));
    ht_gc_links_report();
    ht_leave();
}

static void on_collection_event(int event)
{
    if (event == GC_EVENT_START_)
        atomic_store(&gc.collection_start_ns, ht_mono_ns());
    else if (event == GC_EVENT_END_)
        collection_end();
    gc_event_fn host = atomic_load(&gc.host_event_fn);
    if (host)
        host(event);
}

/* Our callback goes in before the first collection (setting it needs no
 * initialized collector); other entry points install it lazily when a
 * program never calls GC_init itself. */
HT_EXPORT void GC_init(void)
{
    void (*real)(void) = gc_sym(GCX_GC_init);
    if (HT_UNLIKELY(!real))
        return;
    gc_hook_check();
    real();
}

HT_EXPORT void GC_set_on_collection_event(gc_event_fn fn)
{
    gc_hook_check();
    while (atomic_load(&ht_gc_hook_state) == 1) /* another thread is putting ours in */
        gc_cpu_relax();
    if (atomic_load(&ht_gc_hook_state) == 2) {
        atomic_store(&gc.host_event_fn, fn); /* ours stays in front and calls it */
        return;
    }
    void (*set)(gc_event_fn) = gc_sym(GCX_GC_set_on_collection_event);
    if (set)
        set(fn);
}

HT_EXPORT gc_event_fn GC_get_on_collection_event(void)
{
    if (atomic_load(&ht_gc_hook_state) == 2)
        return atomic_load(&gc.host_event_fn);
    gc_event_fn (*get)(void) = gc_sym(GCX_GC_get_on_collection_event);
    return get ? get() : NULL;
}

/* ---- allocations ------------------------------------------------------- */

/*
 * GC allocations are tallied, not recorded one by one: Guile makes tens of
 * millions, a record and a stack each would double its run time, and what
 * the report needs is how much the program allocated between collections.
 * Each thread adds to its own tally (single writer); the thread that ends a
 * collection, and the one that ends the log, writes the sum of every
 * tally's growth since the last time as GC_ALLOC records (stack 0).
 */
struct gc_tally {
    _Atomic uint64_t count[HT_GC_FN_COUNT_], bytes[HT_GC_FN_COUNT_];
    struct gc_tally *next;
};

static __thread struct gc_tally *my_tally __attribute__((tls_model("initial-exec")));

static HT_COLD struct gc_tally *tally_new(void)
{
    gc_lock(&gc.tally_lock);
    if (!gc.left) {
        enum { CHUNK = 64 * 1024 };
        gc.chunk = ht_mem_alloc(CHUNK);
        gc.left = gc.chunk ? CHUNK / sizeof *gc.chunk : 0;
    }
    struct gc_tally *t = gc.left ? &gc.chunk[--gc.left] : NULL;
    if (t) { /* zeroed by mmap; pushed while the lock keeps the flusher out */
        t->next = atomic_load(&gc.tallies);
        atomic_store(&gc.tallies, t);
    }
    gc_unlock(&gc.tally_lock);
    return t;
}

static void note_alloc(unsigned fn, uint64_t count, uint64_t bytes)
{
    gc_hook_check();
    struct gc_tally *t = my_tally;
    if (HT_UNLIKELY(!t) && !(t = my_tally = tally_new()))
        return;
    /* single writer: a relaxed load and store, no locked instruction */
    atomic_store_explicit(&t->count[fn],
                          atomic_load_explicit(&t->count[fn], memory_order_relaxed) + count,
                          memory_order_relaxed);
    atomic_store_explicit(&t->bytes[fn],
                          atomic_load_explicit(&t->bytes[fn], memory_order_relaxed) + bytes,
                          memory_order_relaxed);
}

/* Writes the tallies' growth since the last call; the caller holds the guard. */
static void tally_flush(void)
{
    gc_lock(&gc.tally_lock);
    for (unsigned fn = 0; fn < HT_GC_FN_COUNT_; fn++) {
        uint64_t count = 0, bytes = 0;
        for (struct gc_tally *t = atomic_load(&gc.tallies); t; t = t->next) {
            count += atomic_load_explicit(&t->count[fn], memory_order_relaxed);
            bytes += atomic_load_explicit(&t->bytes[fn], memory_order_relaxed);
        }
        if (count == gc.sent_count[fn])
            continue;
        uint8_t buf[4 * HT_VARINT_MAX], *p = buf;
        p = ht_put_uvarint(p, fn);
        p = ht_put_uvarint(p, count - gc.sent_count[fn]);
        p = ht_put_uvarint(p, bytes - gc.sent_bytes[fn]);
        p = ht_put_uvarint(p, 0); /* no stack: a tally of many calls */
        ht_rec_raw(HT_REC_GC_ALLOC, buf, (size_t)(p - buf));
        gc.sent_count[fn] = count;
        gc.sent_bytes[fn] = bytes;
    }
    gc_unlock(&gc.tally_lock);
}

void ht_gc_flush(void)
{
    if (atomic_load(&gc.tallies))
        tally_flush();
}

#define GC_ALLOC1(name, fn)                                                                        \
    HT_EXPORT void *name(size_t lb)                                                                \
    {                                                                                              \
        void *(*real)(size_t) = gc_sym(GCX_##name);                                                \
        if (HT_UNLIKELY(!real))                                                                    \
            return NULL;                                                                           \
        ht_gc_depth++;                                                                             \
        void *p = real(lb);                                                                        \
        if (--ht_gc_depth == 0 && p)                                                               \
            note_alloc(fn, 1, lb);                                                                 \
        return p;                                                                                  \
    }

GC_ALLOC1(GC_malloc, HT_GC_MALLOC)
GC_ALLOC1(GC_malloc_atomic, HT_GC_MALLOC_ATOMIC)
GC_ALLOC1(GC_malloc_uncollectable, HT_GC_UNCOLLECTABLE)
GC_ALLOC1(GC_malloc_atomic_uncollectable, HT_GC_UNCOLLECTABLE)
GC_ALLOC1(GC_malloc_ignore_off_page, HT_GC_IGNORE_OFF_PAGE)
GC_ALLOC1(GC_malloc_atomic_ignore_off_page, HT_GC_IGNORE_OFF_PAGE)

/* With a second argument (kind, descriptor): same shape. */
#define GC_ALLOC2(name, fn, type2)                                                                 \
    HT_EXPORT void *name(size_t lb, type2 arg)                                                     \
    {                                                                                              \
        void *(*real)(size_t, type2) = gc_sym(GCX_##name);                                         \
        if (HT_UNLIKELY(!real))                                                                    \
            return NULL;                                                                           \
        ht_gc_depth++;                                                                             \
        void *p = real(lb, arg);                                                                   \
        if (--ht_gc_depth == 0 && p)                                                               \
            note_alloc(fn, 1, lb);                                                                 \
        return p;                                                                                  \
    }

GC_ALLOC2(GC_generic_malloc, HT_GC_GENERIC, int)
GC_ALLOC2(GC_malloc_kind, HT_GC_GENERIC, int)
GC_ALLOC2(GC_malloc_explicitly_typed, HT_GC_TYPED, unsigned long)

HT_EXPORT void *GC_realloc(void *old, size_t lb)
{
    void *(*real)(void *, size_t) = gc_sym(GCX_GC_realloc);
    if (HT_UNLIKELY(!real))
        return NULL;
    ht_gc_depth++;
    void *p = real(old, lb);
    if (--ht_gc_depth == 0 && p)
        note_alloc(HT_GC_REALLOC, 1, lb);
    return p;
}

/* A free list linked through each object's first word (GC_NEXT). */
static uint64_t list_length(void *list)
{
    uint64_t n = 0;
    for (void *p = list; p; p = *(void **)p)
        n++;
    return n;
}

HT_EXPORT void GC_generic_malloc_many(size_t lb, int kind, void **result)
{
    void (*real)(size_t, int, void **) = gc_sym(GCX_GC_generic_malloc_many);
    if (HT_UNLIKELY(!real)) {
        *result = NULL;
        return;
    }
    ht_gc_depth++;
    real(lb, kind, result);
    if (--ht_gc_depth == 0 && *result) {
        uint64_t n = list_length(*result);
        note_alloc(HT_GC_MANY, n, n * lb);
    }
}

HT_EXPORT void *GC_malloc_many(size_t lb)
{
    void *(*real)(size_t) = gc_sym(GCX_GC_malloc_many);
    if (HT_UNLIKELY(!real))
        return NULL;
    ht_gc_depth++;
    void *list = real(lb);
    if (--ht_gc_depth == 0 && list) {
        uint64_t n = list_length(list);
        note_alloc(HT_GC_MANY, n, n * lb);
    }
    return list;
}

HT_EXPORT void GC_free(void *p)
{
    void (*real)(void *) = gc_sym(GCX_GC_free);
    size_t (*size)(const void *) = gc_sym(GCX_GC_size);
    if (HT_UNLIKELY(!real))
        return;
    if (p && ht_gc_depth == 0 && ht_enter()) {
        ht_rec_simple(HT_REC_GC_FREE, 1, size ? size(p) : 0, 0);
        ht_leave();
    }
    ht_gc_depth++;
    real(p);
    ht_gc_depth--;
}

void ht_gc_atfork_child(void)
{
    /* only this thread survives; a table it finds half-updated costs a count */
    atomic_store(&gc.tally_lock, 0);
    ht_gc_links_atfork_child();
    ht_gc_fin_atfork_child();
}
