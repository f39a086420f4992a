/* SPDX-License-Identifier: MIT */
/*
 * gc_links.c - libgc's disappearing links (GC_LINK records): registrations,
 * unregistrations and moves as the program makes them, and the links each
 * collection cleared, found by reading the registered slots afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gc.h"

HT_EXPORT int GC_general_register_disappearing_link(void **link, const void *obj);
HT_EXPORT int GC_register_disappearing_link(void **link);
HT_EXPORT int GC_register_long_link(void **link, const void *obj);
HT_EXPORT int GC_unregister_disappearing_link(void **link);
HT_EXPORT int GC_unregister_long_link(void **link);
HT_EXPORT int GC_move_disappearing_link(void **link, void **new_link);
HT_EXPORT int GC_move_long_link(void **link, void **new_link);

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
    gc_lock(&links.lock);
    if (!links.blind && ((links.used + links.gone + 1) * 2 <= links.cap || links_grow())) {
        uint64_t *s = link_slot(key, true);
        if (*s != key) {
            links.gone -= *s == KEY_GONE;
            *s = key;
            links.used++;
        }
    }
    gc_unlock(&links.lock);
}

static bool link_remove(uint64_t key)
{
    bool found = false;
    gc_lock(&links.lock);
    uint64_t *s = links.cap ? link_slot(key, false) : NULL;
    if (s) {
        *s = KEY_GONE;
        links.used--;
        links.gone++;
        found = true;
    }
    gc_unlock(&links.lock);
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
uint64_t ht_gc_links_sweep(void)
{
    enum { BATCH = 1024 };
    uint64_t *idx[BATCH];
    uint64_t val[BATCH], cleared = 0;
    gc_lock(&links.lock);
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
    gc_unlock(&links.lock);
    return cleared;
}

static void note_link(unsigned op)
{
    gc_hook_check();
    if (ht_gc_depth || !ht_enter())
        return;
    uint64_t f[2] = {op, 1};
    ht_rec_fields_stack(HT_REC_GC_LINK, 2, f);
    ht_leave();
}

/* After libgc's register call returned rc: a new link is ours to watch. */
static int registered(int rc, void **link, uint64_t bit)
{
    if (--ht_gc_depth == 0 && rc == GC_SUCCESS_) {
        link_add((uint64_t)(uintptr_t)link | bit);
        note_link(bit ? HT_GC_LINK_REGISTER_LONG : HT_GC_LINK_REGISTER);
    }
    return rc;
}

HT_EXPORT int GC_general_register_disappearing_link(void **link, const void *obj)
{
    int (*real)(void **, const void *) = gc_sym(GCX_GC_general_register_disappearing_link);
    if (HT_UNLIKELY(!real))
        return GC_NO_MEMORY_;
    ht_gc_depth++;
    return registered(real(link, obj), link, 0);
}

HT_EXPORT int GC_register_disappearing_link(void **link)
{
    int (*real)(void **) = gc_sym(GCX_GC_register_disappearing_link);
    if (HT_UNLIKELY(!real))
        return GC_NO_MEMORY_;
    ht_gc_depth++; /* it calls the general form */
    return registered(real(link), link, 0);
}

HT_EXPORT int GC_register_long_link(void **link, const void *obj)
{
    int (*real)(void **, const void *) = gc_sym(GCX_GC_register_long_link);
    if (HT_UNLIKELY(!real))
        return GC_NO_MEMORY_;
    ht_gc_depth++;
    return registered(real(link, obj), link, LONG_BIT);
}

static int unregister(int id, void **link, uint64_t bit)
{
    int (*real)(void **) = gc_sym(id);
    if (HT_UNLIKELY(!real))
        return 0;
    ht_gc_depth++; /* it frees its entry with GC_free */
    int found = real(link);
    if (--ht_gc_depth)
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
        return GC_NOT_FOUND_;
    ht_gc_depth++;
    int rc = real(link, new_link);
    if (--ht_gc_depth == 0 && rc == GC_SUCCESS_ && link != new_link) {
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

void ht_gc_links_atfork_child(void)
{
    atomic_store(&links.lock, 0);
}
