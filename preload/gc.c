/* SPDX-License-Identifier: MIT */
/*
 * gc.c - the Boehm-Demers-Weiser collector (libgc.so) as a heap of its own.
 *
 * What is interposed: the allocation entry points (tallied into GC_ALLOC
 * records at each collection), GC_free,
 * disappearing links (GC_LINK), finalizer registration (GC_FINALIZER), and
 * GC_set_on_collection_event, so that our own collection callback can sit in
 * front of the program's (which still runs, for every event).
 *
 * Deaths: a finalizer is wrapped in a trampoline that records
 * GC_FINALIZE_BEGIN/END around the real one, so the object's end of life
 * and whatever its finalizer frees (iconv_close of a port's iconv_t) are in
 * the log. Link slots registered with the collector are kept in a table of
 * our own; after each collection a slot that reads NULL was cleared. Other
 * objects die unseen: only the heap and free bytes at each collection say
 * how much the collector keeps.
 *
 * libgc may not be loaded at all: then nobody calls these and nothing costs.
 * Calls libgc makes to its own exported functions land here too; a
 * per-thread depth keeps them from being counted twice.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ht.h"
#include "varint.h"

/* libgc's ABI, declared here so that building the shim needs no gc.h. */
typedef void (*gc_fin_fn)(void *obj, void *cd);
typedef void (*gc_event_fn)(int event); /* enum GC_EventType */
enum { GC_EVENT_START_ = 0, GC_EVENT_END_ = 5 };
enum { GC_SUCCESS_ = 0 };
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
HT_EXPORT int GC_general_register_disappearing_link(void **link, const void *obj);
HT_EXPORT int GC_register_disappearing_link(void **link);
HT_EXPORT int GC_register_long_link(void **link, const void *obj);
HT_EXPORT int GC_unregister_disappearing_link(void **link);
HT_EXPORT int GC_unregister_long_link(void **link);
HT_EXPORT int GC_move_disappearing_link(void **link, void **new_link);
HT_EXPORT int GC_move_long_link(void **link, void **new_link);
HT_EXPORT void GC_register_finalizer(void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn, void **ocd);
HT_EXPORT void GC_register_finalizer_ignore_self(void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn,
                                                 void **ocd);
HT_EXPORT void GC_register_finalizer_no_order(void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn,
                                              void **ocd);
HT_EXPORT void GC_register_finalizer_unreachable(void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn,
                                                 void **ocd);

/* ---- the real entry points --------------------------------------------- */

#define GC_LIST(X)                                                                                 \
    X(GC_malloc) X(GC_malloc_atomic) X(GC_malloc_uncollectable) X(GC_malloc_atomic_uncollectable) \
    X(GC_malloc_ignore_off_page) X(GC_malloc_atomic_ignore_off_page) X(GC_realloc)                 \
    X(GC_generic_malloc) X(GC_malloc_kind) X(GC_malloc_explicitly_typed)                           \
    X(GC_generic_malloc_many) X(GC_malloc_many) X(GC_free) X(GC_size)                              \
    X(GC_general_register_disappearing_link) X(GC_register_disappearing_link)                     \
    X(GC_register_long_link) X(GC_unregister_disappearing_link) X(GC_unregister_long_link)        \
    X(GC_move_disappearing_link) X(GC_move_long_link) X(GC_register_finalizer)                    \
    X(GC_register_finalizer_ignore_self) X(GC_register_finalizer_no_order)                        \
    X(GC_register_finalizer_unreachable) X(GC_set_on_collection_event)                            \
    X(GC_get_on_collection_event) X(GC_get_prof_stats_unsafe) X(GC_init)
#define GC_ENUM(name) GCX_##name,
enum { GC_LIST(GC_ENUM) GCX_COUNT };
#define GC_NAME(name) #name,
static const char *const gc_names[GCX_COUNT] = {GC_LIST(GC_NAME)};
static void *_Atomic gc_real[GCX_COUNT];

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
        atomic_store(&gc_real[i], dlsym(RTLD_NEXT, gc_names[i]));
}

/* A libgc dlopen'ed later: looked up on first use, outside our guard (dlsym
 * may free its error state, and that free must be recorded like any other). */
static _Atomic bool gc_tried[GCX_COUNT]; /* looked up lazily once: absent stays absent */

static HT_COLD void *gc_lookup(int id)
{
    if (atomic_exchange(&gc_tried[id], true))
        return atomic_load(&gc_real[id]);
    void *sym = dlsym(RTLD_NEXT, gc_names[id]);
    if (!sym) {
        void *h = dlopen("libgc.so.1", RTLD_LAZY | RTLD_NOLOAD);
        if (h) {
            sym = dlsym(h, gc_names[id]);
            dlclose(h);
        }
    }
    if (sym)
        atomic_store(&gc_real[id], sym);
    return sym;
}

static inline void *gc_sym(int id)
{
    void *p = atomic_load_explicit(&gc_real[id], memory_order_relaxed);
    return HT_LIKELY(p != NULL) ? p : gc_lookup(id);
}

/* Depth of GC calls on this thread: libgc calling its own exports is not the
 * program allocating (GC_malloc refills through GC_generic_malloc_many). */
static __thread int gc_depth __attribute__((tls_model("initial-exec")));

/* ---- our own small memory: a spin lock of ours, never the host's -------- */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void spin_lock(_Atomic int *l)
{
    while (atomic_exchange_explicit(l, 1, memory_order_acquire))
        while (atomic_load_explicit(l, memory_order_relaxed))
            cpu_relax();
}

static void spin_unlock(_Atomic int *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

/* ---- collections ------------------------------------------------------- */

static _Atomic gc_event_fn host_event_fn; /* the program's own callback */
static _Atomic int hook_state;             /* 0 not yet, 1 installing, 2 ours in place, 3 none */
static _Atomic uint64_t collection_start_ns;
static void on_collection_event(int event);

static HT_COLD void install_hook(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&hook_state, &expected, 1))
        return;
    void (*set)(gc_event_fn) = gc_sym(GCX_GC_set_on_collection_event);
    gc_event_fn (*get)(void) = gc_sym(GCX_GC_get_on_collection_event);
    if (!set) {
        atomic_store(&hook_state, 3); /* libgc older than 7.6: no collection records */
        return;
    }
    gc_event_fn prev = get ? get() : NULL;
    if (prev && prev != on_collection_event)
        atomic_store(&host_event_fn, prev);
    set(on_collection_event);
    atomic_store(&hook_state, 2);
}

static inline void hook_check(void)
{
    if (HT_UNLIKELY(atomic_load_explicit(&hook_state, memory_order_relaxed) == 0))
        install_hook();
}

static uint64_t read_rss(void)
{
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    uint64_t rss = ht_rss_read(fd);
    if (fd >= 0)
        close(fd);
    return rss;
}

static uint64_t links_sweep(void);
static void tally_flush(void);

/* Under libgc's allocation lock, with the world running again. */
static void collection_end(void)
{
    uint64_t cleared = links_sweep();
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
    uint64_t start = atomic_load(&collection_start_ns), now = ht_mono_ns();
    tally_flush(); /* what was allocated before this collection ended */
    uint8_t buf[6 * HT_VARINT_MAX], *p = buf;
    p = ht_put_uvarint(p, st.gc_no);
    p = ht_put_uvarint(p, heap);
    p = ht_put_uvarint(p, free_b);
    p = ht_put_uvarint(p, unmapped);
    p = ht_put_uvarint(p, start && now > start ? now - start : 0);
    p = ht_put_uvarint(p, read_rss());
    ht_rec_raw(HT_REC_GC_COLLECTION, buf, (size_t)(p - buf));
    if (cleared) {
        p = ht_put_uvarint(buf, HT_GC_LINK_CLEARED);
        p = ht_put_uvarint(p, cleared);
        p = ht_put_uvarint(p, 0);
        ht_rec_raw(HT_REC_GC_LINK, buf, (size_t)(p - buf));
    }
    ht_leave();
}

static void on_collection_event(int event)
{
    if (event == GC_EVENT_START_)
        atomic_store(&collection_start_ns, ht_mono_ns());
    else if (event == GC_EVENT_END_)
        collection_end();
    gc_event_fn host = atomic_load(&host_event_fn);
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
    hook_check();
    real();
}

HT_EXPORT void GC_set_on_collection_event(gc_event_fn fn)
{
    hook_check();
    while (atomic_load(&hook_state) == 1) /* another thread is putting ours in */
        cpu_relax();
    if (atomic_load(&hook_state) == 2) {
        atomic_store(&host_event_fn, fn); /* ours stays in front and calls it */
        return;
    }
    void (*set)(gc_event_fn) = gc_sym(GCX_GC_set_on_collection_event);
    if (set)
        set(fn);
}

HT_EXPORT gc_event_fn GC_get_on_collection_event(void)
{
    if (atomic_load(&hook_state) == 2)
        return atomic_load(&host_event_fn);
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

static struct gc_tally *_Atomic tallies;
static __thread struct gc_tally *my_tally __attribute__((tls_model("initial-exec")));
static _Atomic int tally_lock; /* the chunk carver and the flusher */
static uint64_t sent_count[HT_GC_FN_COUNT_], sent_bytes[HT_GC_FN_COUNT_]; /* under tally_lock */

static HT_COLD struct gc_tally *tally_new(void)
{
    static struct gc_tally *chunk;
    static size_t left;
    spin_lock(&tally_lock);
    if (!left) {
        enum { CHUNK = 64 * 1024 };
        chunk = ht_mem_alloc(CHUNK);
        left = chunk ? CHUNK / sizeof *chunk : 0;
    }
    struct gc_tally *t = left ? &chunk[--left] : NULL;
    if (t) { /* zeroed by mmap; pushed while the lock keeps the flusher out */
        t->next = atomic_load(&tallies);
        atomic_store(&tallies, t);
    }
    spin_unlock(&tally_lock);
    return t;
}

static void note_alloc(unsigned fn, uint64_t count, uint64_t bytes)
{
    hook_check();
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
    spin_lock(&tally_lock);
    for (unsigned fn = 0; fn < HT_GC_FN_COUNT_; fn++) {
        uint64_t count = 0, bytes = 0;
        for (struct gc_tally *t = atomic_load(&tallies); t; t = t->next) {
            count += atomic_load_explicit(&t->count[fn], memory_order_relaxed);
            bytes += atomic_load_explicit(&t->bytes[fn], memory_order_relaxed);
        }
        if (count == sent_count[fn])
            continue;
        uint8_t buf[4 * HT_VARINT_MAX], *p = buf;
        p = ht_put_uvarint(p, fn);
        p = ht_put_uvarint(p, count - sent_count[fn]);
        p = ht_put_uvarint(p, bytes - sent_bytes[fn]);
        p = ht_put_uvarint(p, 0); /* no stack: a tally of many calls */
        ht_rec_raw(HT_REC_GC_ALLOC, buf, (size_t)(p - buf));
        sent_count[fn] = count;
        sent_bytes[fn] = bytes;
    }
    spin_unlock(&tally_lock);
}

void ht_gc_flush(void)
{
    if (atomic_load(&tallies))
        tally_flush();
}

#define GC_ALLOC1(name, fn)                                                                        \
    HT_EXPORT void *name(size_t lb)                                                                \
    {                                                                                              \
        void *(*real)(size_t) = gc_sym(GCX_##name);                                                \
        if (HT_UNLIKELY(!real))                                                                    \
            return NULL;                                                                           \
        gc_depth++;                                                                                \
        void *p = real(lb);                                                                        \
        if (--gc_depth == 0 && p)                                                                  \
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
        gc_depth++;                                                                                \
        void *p = real(lb, arg);                                                                   \
        if (--gc_depth == 0 && p)                                                                  \
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
    gc_depth++;
    void *p = real(old, lb);
    if (--gc_depth == 0 && p)
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
    gc_depth++;
    real(lb, kind, result);
    if (--gc_depth == 0 && *result) {
        uint64_t n = list_length(*result);
        note_alloc(HT_GC_MANY, n, n * lb);
    }
}

HT_EXPORT void *GC_malloc_many(size_t lb)
{
    void *(*real)(size_t) = gc_sym(GCX_GC_malloc_many);
    if (HT_UNLIKELY(!real))
        return NULL;
    gc_depth++;
    void *list = real(lb);
    if (--gc_depth == 0 && list) {
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
    if (p && gc_depth == 0 && ht_enter()) {
        ht_rec_simple(HT_REC_GC_FREE, 1, size ? size(p) : 0, 0);
        ht_leave();
    }
    gc_depth++;
    real(p);
    gc_depth--;
}

/* ---- disappearing links ------------------------------------------------ */

/*
 * Registered link slots, open addressing in our own mmap'd memory. A key is
 * the slot's address, bit 0 set for a long link (a slot may be both). After a
 * collection the slots are read with process_vm_readv, which fails instead
 * of faulting when libgc has unmapped the object the slot lived in.
 */
#define KEY_EMPTY 0u
#define KEY_GONE 1u /* tombstone (addresses are word-aligned: never 1) */
#define LONG_BIT 1u

static struct {
    _Atomic int lock;
    uint64_t *keys;
    uint64_t cap, used, gone; /* used counts live keys; gone tombstones */
    bool blind; /* process_vm_readv refused (seccomp): slots are not tracked at all */
} links;

static uint64_t link_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    return k ^ (k >> 29);
}

/* The slot holding key, or the first free slot for it. */
static uint64_t *link_slot(uint64_t key, bool for_insert)
{
    uint64_t mask = links.cap - 1, *tomb = NULL;
    for (uint64_t i = link_hash(key) & mask;; i = (i + 1) & mask) {
        uint64_t *s = &links.keys[i];
        if (*s == key)
            return s;
        if (*s == KEY_GONE && !tomb)
            tomb = s;
        if (*s == KEY_EMPTY)
            return for_insert ? (tomb ? tomb : s) : NULL;
    }
}

static bool links_grow(void)
{
    uint64_t ncap = links.cap ? links.cap : 1024;
    if ((links.used + 1) * 2 > ncap)
        ncap *= 2;
    uint64_t *old = links.keys, ocap = links.cap;
    uint64_t *keys = ht_mem_alloc(ncap * sizeof *keys);
    if (!keys)
        return false;
    links.keys = keys;
    links.cap = ncap;
    links.used = links.gone = 0;
    for (uint64_t i = 0; i < ocap; i++)
        if (old[i] > KEY_GONE) {
            *link_slot(old[i], true) = old[i];
            links.used++;
        }
    ht_mem_free(old);
    return true;
}

static void link_add(uint64_t key)
{
    spin_lock(&links.lock);
    if (!links.blind && ((links.used + links.gone + 1) * 2 <= links.cap || links_grow())) {
        uint64_t *s = link_slot(key, true);
        if (*s != key) {
            links.gone -= *s == KEY_GONE;
            *s = key;
            links.used++;
        }
    }
    spin_unlock(&links.lock);
}

static bool link_remove(uint64_t key)
{
    bool found = false;
    spin_lock(&links.lock);
    uint64_t *s = links.cap ? link_slot(key, false) : NULL;
    if (s) {
        *s = KEY_GONE;
        links.used--;
        links.gone++;
        found = true;
    }
    spin_unlock(&links.lock);
    return found;
}

/* Reads slots idx[0..n) into val; a slot that cannot be read gets UINT64_MAX.
 * @return false when the kernel refuses the call altogether. */
static bool read_slots(uint64_t *const *idx, uint64_t *val, size_t n)
{
    struct iovec local[256], remote[256];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < 256 ? n - done : 256;
        for (size_t i = 0; i < k; i++) {
            local[i] = (struct iovec){&val[done + i], 8};
            remote[i] = (struct iovec){(void *)(*idx[done + i] & ~(uint64_t)LONG_BIT), 8};
        }
        long r = syscall(SYS_process_vm_readv, (long)syscall(SYS_getpid), local, k, remote, k, 0);
        size_t ok = r > 0 ? (size_t)r / 8 : 0;
        if (r < 0 && done == 0 && (errno == ENOSYS || errno == EPERM))
            return false;
        done += ok;
        if (ok < k)
            val[done++] = UINT64_MAX; /* this slot's memory is gone */
    }
    return true;
}

/* After a collection: slots now NULL were cleared (libgc dropped them too). */
static uint64_t links_sweep(void)
{
    enum { BATCH = 1024 };
    uint64_t *idx[BATCH];
    uint64_t val[BATCH], cleared = 0;
    spin_lock(&links.lock);
    for (uint64_t i = 0; i < links.cap;) {
        size_t n = 0;
        for (; i < links.cap && n < BATCH; i++)
            if (links.keys[i] > KEY_GONE)
                idx[n++] = &links.keys[i];
        if (n == 0)
            break;
        if (!read_slots(idx, val, n)) { /* cannot look: stop tracking, forget them all */
            links.blind = true;
            ht_mem_free(links.keys);
            links.keys = NULL;
            links.cap = links.used = links.gone = 0;
            break;
        }
        for (size_t j = 0; j < n; j++) {
            if (val[j] != 0 && val[j] != UINT64_MAX)
                continue;
            cleared += val[j] == 0;
            *idx[j] = KEY_GONE;
            links.used--;
            links.gone++;
        }
    }
    spin_unlock(&links.lock);
    return cleared;
}

static void note_link(unsigned op)
{
    hook_check();
    if (gc_depth || !ht_enter())
        return;
    uint64_t f[2] = {op, 1};
    ht_rec_fields_stack(HT_REC_GC_LINK, 2, f);
    ht_leave();
}

HT_EXPORT int GC_general_register_disappearing_link(void **link, const void *obj)
{
    int (*real)(void **, const void *) = gc_sym(GCX_GC_general_register_disappearing_link);
    if (HT_UNLIKELY(!real))
        return 2; /* GC_NO_MEMORY */
    gc_depth++;
    int rc = real(link, obj);
    if (--gc_depth == 0 && rc == GC_SUCCESS_) {
        link_add((uint64_t)(uintptr_t)link);
        note_link(HT_GC_LINK_REGISTER);
    }
    return rc;
}

HT_EXPORT int GC_register_disappearing_link(void **link)
{
    int (*real)(void **) = gc_sym(GCX_GC_register_disappearing_link);
    if (HT_UNLIKELY(!real))
        return 2;
    gc_depth++; /* it calls the general form */
    int rc = real(link);
    if (--gc_depth == 0 && rc == GC_SUCCESS_) {
        link_add((uint64_t)(uintptr_t)link);
        note_link(HT_GC_LINK_REGISTER);
    }
    return rc;
}

HT_EXPORT int GC_register_long_link(void **link, const void *obj)
{
    int (*real)(void **, const void *) = gc_sym(GCX_GC_register_long_link);
    if (HT_UNLIKELY(!real))
        return 2;
    gc_depth++;
    int rc = real(link, obj);
    if (--gc_depth == 0 && rc == GC_SUCCESS_) {
        link_add((uint64_t)(uintptr_t)link | LONG_BIT);
        note_link(HT_GC_LINK_REGISTER_LONG);
    }
    return rc;
}

static int unregister(int id, void **link, uint64_t bit)
{
    int (*real)(void **) = gc_sym(id);
    if (HT_UNLIKELY(!real))
        return 0;
    gc_depth++; /* it frees its entry with GC_free */
    int found = real(link);
    if (--gc_depth)
        return found;
    link_remove((uint64_t)(uintptr_t)link | bit);
    if (found)
        note_link(HT_GC_LINK_UNREGISTER);
    return found;
}

HT_EXPORT int GC_unregister_disappearing_link(void **link)
{
    return unregister(GCX_GC_unregister_disappearing_link, link, 0);
}

HT_EXPORT int GC_unregister_long_link(void **link)
{
    return unregister(GCX_GC_unregister_long_link, link, LONG_BIT);
}

static int move_link(int id, void **link, void **new_link, uint64_t bit)
{
    int (*real)(void **, void **) = gc_sym(id);
    if (HT_UNLIKELY(!real))
        return 4; /* GC_NOT_FOUND */
    gc_depth++;
    int rc = real(link, new_link);
    if (--gc_depth == 0 && rc == GC_SUCCESS_ && link != new_link) {
        if (link_remove((uint64_t)(uintptr_t)link | bit))
            link_add((uint64_t)(uintptr_t)new_link | bit);
        note_link(HT_GC_LINK_MOVE);
    }
    return rc;
}

HT_EXPORT int GC_move_disappearing_link(void **link, void **new_link)
{
    return move_link(GCX_GC_move_disappearing_link, link, new_link, 0);
}

HT_EXPORT int GC_move_long_link(void **link, void **new_link)
{
    return move_link(GCX_GC_move_long_link, link, new_link, LONG_BIT);
}

/* ---- finalizers -------------------------------------------------------- */

/* The program's finalizer and data, handed to libgc as our trampoline's data. */
struct fin_ctx {
    gc_fin_fn fn;
    void *cd;
    uint64_t stack; /* hash of the registration's stack */
    struct fin_ctx *next;
};

static _Atomic int fin_lock;
static struct fin_ctx *fin_free;

static struct fin_ctx *ctx_new(void)
{
    spin_lock(&fin_lock);
    if (!fin_free) {
        enum { CHUNK = 64 * 1024 };
        struct fin_ctx *c = ht_mem_alloc(CHUNK);
        for (size_t i = 0; c && i < CHUNK / sizeof *c - 1; i++) {
            c[i].next = fin_free;
            fin_free = &c[i];
        }
    }
    struct fin_ctx *c = fin_free;
    if (c)
        fin_free = c->next;
    spin_unlock(&fin_lock);
    return c;
}

static void ctx_delete(struct fin_ctx *c)
{
    spin_lock(&fin_lock);
    c->next = fin_free;
    fin_free = c;
    spin_unlock(&fin_lock);
}

/* What libgc calls when the object was found unreachable: its end of life. */
static void fin_trampoline(void *obj, void *data)
{
    struct fin_ctx *c = data;
    gc_fin_fn fn = c->fn;
    void *cd = c->cd;
    uint64_t stack = c->stack;
    ctx_delete(c); /* libgc forgot it: a finalizer runs once */
    int depth = gc_depth;
    gc_depth = 0; /* finalizers may run inside GC_malloc: their calls are the program's */
    size_t (*size)(const void *) = gc_sym(GCX_GC_size);
    if (ht_enter()) {
        ht_rec_simple(HT_REC_GC_FINALIZE_BEGIN, 2, size ? size(obj) : 0, stack);
        ht_leave();
    }
    fn(obj, cd);
    if (ht_enter()) {
        ht_rec_simple(HT_REC_GC_FINALIZE_END, 0, 0, 0);
        ht_leave();
    }
    gc_depth = depth;
}

static void register_finalizer(int id, void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn,
                               void **ocd)
{
    void (*real)(void *, gc_fin_fn, void *, gc_fin_fn *, void **) = gc_sym(id);
    if (HT_UNLIKELY(!real))
        return;
    hook_check();
    struct fin_ctx *c = NULL;
    if (fn && gc_depth == 0 && ht_enter()) {
        uint64_t f[1] = {0};
        uint64_t stack = ht_rec_fields_stack(HT_REC_GC_FINALIZER, 1, f);
        ht_leave();
        if ((c = ctx_new()) != NULL)
            *c = (struct fin_ctx){fn, cd, stack, NULL};
    }
    gc_fin_fn old_fn = NULL;
    void *old_cd = NULL;
    gc_depth++;
    real(obj, c ? fin_trampoline : fn, c ? (void *)c : cd, &old_fn, &old_cd);
    gc_depth--;
    if (old_fn == fin_trampoline) { /* the program sees its own, never ours */
        struct fin_ctx *o = old_cd;
        old_fn = o->fn;
        old_cd = o->cd;
        ctx_delete(o);
        if (!fn && gc_depth == 0 && ht_enter()) {
            ht_rec_simple(HT_REC_GC_FINALIZER, 2, 1, 0);
            ht_leave();
        }
    }
    if (ofn)
        *ofn = old_fn;
    if (ocd)
        *ocd = old_cd;
}

#define GC_FINALIZER(name)                                                                         \
    HT_EXPORT void name(void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn, void **ocd)             \
    {                                                                                              \
        register_finalizer(GCX_##name, obj, fn, cd, ofn, ocd);                                     \
    }

GC_FINALIZER(GC_register_finalizer)
GC_FINALIZER(GC_register_finalizer_ignore_self)
GC_FINALIZER(GC_register_finalizer_no_order)
GC_FINALIZER(GC_register_finalizer_unreachable)

void ht_gc_atfork_child(void)
{
    /* only this thread survives; a table it finds half-updated costs a count */
    atomic_store(&links.lock, 0);
    atomic_store(&fin_lock, 0);
    atomic_store(&tally_lock, 0);
}
