/* SPDX-License-Identifier: MIT */
/*
 * gc_finalizers.c - libgc's finalizers: each registration (GC_FINALIZER) and
 * each run. The program's finalizer is wrapped in a trampoline that records
 * GC_FINALIZE_BEGIN/END around it: the collector found the object dead, its
 * end of life, and whatever the finalizer frees (iconv_close of a Guile
 * port's iconv_t) is freed by a GC object. The program never sees the
 * trampoline: the old finalizer libgc hands back is unwrapped.
 */
#define _GNU_SOURCE
#include "libgc.h"

HT_EXPORT void GC_register_finalizer(void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn, void **ocd);
HT_EXPORT void GC_register_finalizer_ignore_self(void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn,
                                                 void **ocd);
HT_EXPORT void GC_register_finalizer_no_order(void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn,
                                              void **ocd);
HT_EXPORT void GC_register_finalizer_unreachable(void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn,
                                                 void **ocd);

/* The program's finalizer and data, handed to libgc as our trampoline's data. */
struct fin_ctx {
    gc_fin_fn fn;
    void *cd;
    uint64_t stack; /* hash of the registration's stack */
    struct fin_ctx *next;
};


static struct finalizers_state {
    _Atomic int lock;
    struct fin_ctx *free_list; /* contexts to reuse, under lock */
} fin;
static struct fin_ctx *ctx_new(void)
{
    gc_lock(&fin.lock);
    if (!fin.free_list) {
        enum { CHUNK = 64 * 1024 };
        struct fin_ctx *c = ht_mem_alloc(CHUNK);
        for (size_t i = 0; c && i < CHUNK / sizeof *c - 1; i++) {
            c[i].next = fin.free_list;
            fin.free_list = &c[i];
        }
    }
    struct fin_ctx *c = fin.free_list;
    if (c)
        fin.free_list = c->next;
    gc_unlock(&fin.lock);
    return c;
}

static void ctx_delete(struct fin_ctx *c)
{
    gc_lock(&fin.lock);
    c->next = fin.free_list;
    fin.free_list = c;
    gc_unlock(&fin.lock);
}

/* What libgc calls when the object was found unreachable: its end of life. */
static void fin_trampoline(void *obj, void *data)
{
    struct fin_ctx *c = data;
    gc_fin_fn fn = c->fn;
    void *cd = c->cd;
    uint64_t stack = c->stack;
    ctx_delete(c); /* libgc forgot it: a finalizer runs once */
    int depth = ht_gc_depth;
    ht_gc_depth = 0; /* finalizers may run inside GC_malloc: their calls are the program's */
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
    ht_gc_depth = depth;
}

static void register_finalizer(int id, void *obj, gc_fin_fn fn, void *cd, gc_fin_fn *ofn,
                               void **ocd)
{
    void (*real)(void *, gc_fin_fn, void *, gc_fin_fn *, void **) = gc_sym(id);
    if (HT_UNLIKELY(!real))
        return;
    gc_hook_check();
    struct fin_ctx *c = NULL;
    if (fn && ht_gc_depth == 0 && ht_enter()) {
        uint64_t f[1] = {0};
        uint64_t stack = ht_rec_fields_stack(HT_REC_GC_FINALIZER, 1, f);
        ht_leave();
        if ((c = ctx_new()) != NULL)
            *c = (struct fin_ctx){fn, cd, stack, NULL};
    }
    gc_fin_fn old_fn = NULL;
    void *old_cd = NULL;
    ht_gc_depth++;
    real(obj, c ? fin_trampoline : fn, c ? (void *)c : cd, &old_fn, &old_cd);
    ht_gc_depth--;
    if (old_fn == fin_trampoline) { /* the program sees its own, never ours */
        struct fin_ctx *o = old_cd;
        old_fn = o->fn;
        old_cd = o->cd;
        ctx_delete(o);
        if (!fn && ht_gc_depth == 0 && ht_enter()) {
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

void ht_gc_fin_atfork_child(void)
{
    atomic_store(&fin.lock, 0);
}
