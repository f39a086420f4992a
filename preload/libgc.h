/* SPDX-License-Identifier: MIT */
/*
 * libgc.h - what the shim's libgc files share (libgc.c: resolution, collections,
 * allocations; gc_links.c: disappearing links; gc_finalizers.c: finalizers).
 * libgc's ABI is declared here so that building the shim needs no gc.h.
 */
#ifndef HT_LIBGC_H
#define HT_LIBGC_H

#include "ht.h"

typedef void (*gc_fin_fn)(void *obj, void *cd);
typedef void (*gc_event_fn)(int event); /* enum GC_EventType */
enum { GC_SUCCESS_ = 0, GC_NO_MEMORY_ = 2, GC_NOT_FOUND_ = 4 };

/* Every libgc function we call or wrap, looked up by ht_gc_resolve. */
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
    X(GC_get_on_collection_event) X(GC_get_prof_stats_unsafe) X(GC_init) X(GC_base)    \
    X(GC_is_marked)
#define GC_ENUM(name) GCX_##name,
enum { GC_LIST(GC_ENUM) GCX_COUNT };

extern void *_Atomic ht_gc_real[GCX_COUNT];
/* A libgc dlopen'ed after init: looked up on first use. */
void *ht_gc_lookup(int id);

/* The real function GCX_id, or NULL when libgc lacks it. */
static inline void *gc_sym(int id)
{
    void *p = atomic_load_explicit(&ht_gc_real[id], memory_order_relaxed);
    return HT_LIKELY(p != NULL) ? p : ht_gc_lookup(id);
}

/* Depth of GC calls on this thread: libgc calling its own exports is not the
 * program allocating (GC_malloc refills through GC_generic_malloc_many). */
extern __thread int ht_gc_depth __attribute__((tls_model("initial-exec")));

/* Puts our collection callback in front of the program's, once. */
extern _Atomic int ht_gc_hook_state; /* 0 not yet, 1 installing, 2 ours in place, 3 none */
void ht_gc_install_hook(void);
static inline void gc_hook_check(void)
{
    if (HT_UNLIKELY(atomic_load_explicit(&ht_gc_hook_state, memory_order_relaxed) == 0))
        ht_gc_install_hook();
}

/* Spin locks of our own, never the host's: held for a few instructions. */
static inline void gc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static inline void gc_lock(_Atomic int *l)
{
    while (atomic_exchange_explicit(l, 1, memory_order_acquire))
        while (atomic_load_explicit(l, memory_order_relaxed))
            gc_cpu_relax();
}

static inline void gc_unlock(_Atomic int *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

/* gc_links.c: after a collection (GC lock held), finds the registered slots
 * now NULL (cleared) and the dead slots dropped, per registration stack... */
void ht_gc_links_sweep(void);
/* ...and writes them as GC_LINK records (guard held). */
void ht_gc_links_report(void);
/* In a fork child: locks a vanished thread held are free again. */
void ht_gc_links_atfork_child(void);
void ht_gc_fin_atfork_child(void);

#endif /* HT_LIBGC_H */
