/* SPDX-License-Identifier: MIT */
/*
 * gc_links.c - libgc's disappearing links (GC_LINK records): registrations,
 * unregistrations and moves as the program makes them, and the links each
 * collection cleared, found by reading the registered slots afterwards.
 *
 * Every link remembers where it was registered, so that unregistrations and
 * clearings are told per registration stack (one stack: one weak table, in
 * practice). A cleared slot stays watched as a dead slot until the object
 * holding it is collected or the slot is reused: a weak table that never
 * drops its dead entries keeps them all (GC_LINK op 5 counts the dropped).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "libgc.h"

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
#define DEAD_BIT 2u /* cleared: the slot is watched until its object is collected */

#define TALLY_CAP 256
struct tally {
    uint64_t stack, cleared, dropped;
};

static struct {
    _Atomic int lock;
    uint64_t *keys;
    uint64_t *stacks; /* parallel to keys: the registration's stack hash */
    uint64_t cap, used, gone; /* used counts live keys; gone tombstones */
    bool blind; /* process_vm_readv refused (seccomp): slots are not tracked at all */
    /* What one sweep found, per registration stack (lock held: one sweep at a
     * time); stacks beyond TALLY_CAP are counted under an unknown stack. */
    struct tally tally[TALLY_CAP], tally_rest;
} links = {.tally_rest = {1, 0, 0}};

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
    uint64_t *old = links.keys, *ostacks = links.stacks, ocap = links.cap;
    uint64_t *keys = ht_mem_alloc(ncap * sizeof *keys);
    uint64_t *stacks = keys ? ht_mem_alloc(ncap * sizeof *stacks) : NULL;
    if (!stacks) {
        if (keys)
            ht_mem_free(keys);
        return false;
    }
    links.keys = keys;
    links.stacks = stacks;
    links.cap = ncap;
    links.used = links.gone = 0;
    for (uint64_t i = 0; i < ocap; i++)
        if (old[i] > KEY_GONE) {
            uint64_t *s = link_slot(old[i], true);
            *s = old[i];
            links.stacks[s - links.keys] = ostacks[i];
            links.used++;
        }
    if (old) {
        ht_mem_free(old);
        ht_mem_free(ostacks);
    }
    return true;
}

/* Drops the entry at s (lock held). */
static void link_drop(uint64_t *s)
{
    *s = KEY_GONE;
    links.used--;
    links.gone++;
}

/* Watches a new link registered at stack. @return the stack of a dead slot
 * at the same address, now reused (0 when none). */
static uint64_t link_add(uint64_t key, uint64_t stack)
{
    uint64_t reused = 0;
    gc_lock(&links.lock);
    uint64_t *d = links.cap ? link_slot(key | DEAD_BIT, false) : NULL;
    if (d) {
        reused = links.stacks[d - links.keys];
        link_drop(d);
    }
    if (!links.blind && ((links.used + links.gone + 1) * 2 <= links.cap || links_grow())) {
        uint64_t *s = link_slot(key, true);
        if (*s != key) {
            links.gone -= *s == KEY_GONE;
            *s = key;
            links.used++;
        }
        links.stacks[s - links.keys] = stack;
    }
    gc_unlock(&links.lock);
    return reused;
}

/* Forgets a link. @return its registration stack (1 when unknown), 0 if not found. */
static uint64_t link_remove(uint64_t key)
{
    uint64_t stack = 0;
    gc_lock(&links.lock);
    uint64_t *s = links.cap ? link_slot(key, false) : NULL;
    if (s) {
        stack = links.stacks[s - links.keys];
        stack = stack ? stack : 1;
        link_drop(s);
    }
    gc_unlock(&links.lock);
    return stack;
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
            remote[i] = (struct iovec){(void *)(*idx[done + i] & ~(uint64_t)(LONG_BIT | DEAD_BIT)), 8};
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


static struct tally *tally_of(uint64_t stack)
{
    for (unsigned i = stack % TALLY_CAP, n = 0; n < TALLY_CAP; i = (i + 1) % TALLY_CAP, n++)
        if (links.tally[i].stack == stack ||
            (!links.tally[i].cleared && !links.tally[i].dropped)) {
            links.tally[i].stack = stack;
            return &links.tally[i];
        }
    return &links.tally_rest;
}

/* Whether the GC object holding a dead slot survived the collection that
 * just ended (mark bits are valid until the next one starts). */
static bool slot_held(uint64_t addr)
{
    void *(*base)(void *) = gc_sym(GCX_GC_base);
    int (*marked)(const void *) = gc_sym(GCX_GC_is_marked);
    if (!base || !marked)
        return false;
    void *b = base((void *)(uintptr_t)addr);
    return b && marked(b);
}

/* After a collection (GC lock held): slots now NULL were cleared (libgc
 * dropped them too); dead slots whose object was collected, or that hold a
 * pointer again, were dropped by the program. */
void ht_gc_links_sweep(void)
{
    enum { BATCH = 1024 };
    uint64_t *idx[BATCH];
    uint64_t val[BATCH];
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
            ht_mem_free(links.stacks);
            links.keys = links.stacks = NULL;
            links.cap = links.used = links.gone = 0;
            break;
        }
        for (size_t j = 0; j < n; j++) {
            uint64_t key = *idx[j], addr = key & ~(uint64_t)(LONG_BIT | DEAD_BIT);
            uint64_t stack = links.stacks[idx[j] - links.keys];
            if (key & DEAD_BIT) {
                if (val[j] == 0 && slot_held(addr))
                    continue;
                tally_of(stack)->dropped++;
                link_drop(idx[j]);
                continue;
            }
            if (val[j] != 0 && val[j] != UINT64_MAX)
                continue;
            if (val[j] == 0) {
                struct tally *t = tally_of(stack);
                t->cleared++;
                if (slot_held(addr) && !link_slot(key | DEAD_BIT, false)) {
                    *idx[j] = key | DEAD_BIT; /* its entry stays in the table: watch it */
                    continue;
                }
                /* its object died with the key, or it is no GC object (or
                 * libgc cannot say): nothing to watch, so no dead slot */
                t->dropped++;
            }
            link_drop(idx[j]);
        }
    }
    gc_unlock(&links.lock);
}

/* One GC_LINK record of `count` links registered at `stack` (a hash the
 * writer already knows from the registration), no stack of its own. */
static void note_count(unsigned op, uint64_t count, uint64_t stack)
{
    struct ht_thread *t = ht_thread_get();
    struct ht_ev *ev = t ? ht_ring_reserve(t, sizeof *ev + 3 * 8) : NULL;
    if (HT_UNLIKELY(!ev)) {
        if (t)
            atomic_fetch_add_explicit(&t->lost, 1, memory_order_relaxed);
        return;
    }
    ev->tag = HT_REC_GC_LINK;
    ev->flags = 3;
    ev->f[0] = op;
    ev->f[1] = count;
    ev->f[2] = stack == 1 ? 0 : stack;
    ht_ring_commit(t, ev);
}

/* Writes what the last sweep found (guard held), after its GC_COLLECTION. */
void ht_gc_links_report(void)
{
    gc_lock(&links.lock);
    for (unsigned i = 0; i <= TALLY_CAP; i++) {
        struct tally *t = i < TALLY_CAP ? &links.tally[i] : &links.tally_rest;
        if (t->cleared)
            note_count(HT_GC_LINK_CLEARED, t->cleared, t->stack);
        if (t->dropped)
            note_count(HT_GC_LINK_DEAD_DROPPED, t->dropped, t->stack);
        t->cleared = t->dropped = 0;
    }
    gc_unlock(&links.lock);
}

/* A GC_LINK record with the caller's stack. @return the stack's hash. */
static uint64_t note_link(unsigned op)
{
    gc_hook_check();
    if (ht_gc_depth || !ht_enter())
        return 0;
    uint64_t f[2] = {op, 1};
    uint64_t h = ht_rec_fields_stack(HT_REC_GC_LINK, 2, f);
    ht_leave();
    return h;
}

/* A record told by where the link was registered. */
static void note_at(unsigned op, uint64_t stack)
{
    if (ht_gc_depth || !ht_enter())
        return;
    note_count(op, 1, stack);
    ht_leave();
}

/* After libgc's register call returned rc: a new link is ours to watch. */
static int registered(int rc, void **link, uint64_t bit)
{
    if (--ht_gc_depth == 0 && rc == GC_SUCCESS_) {
        uint64_t h = note_link(bit ? HT_GC_LINK_REGISTER_LONG : HT_GC_LINK_REGISTER);
        uint64_t reused = link_add((uint64_t)(uintptr_t)link | bit, h ? h : 1);
        if (reused)
            note_at(HT_GC_LINK_DEAD_DROPPED, reused); /* a dead slot holds a new entry */
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
    uint64_t stack = link_remove((uint64_t)(uintptr_t)link | bit);
    if (found && stack)
        note_at(HT_GC_LINK_UNREGISTER, stack); /* told by where it was registered */
    else if (found)
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
        uint64_t stack = link_remove((uint64_t)(uintptr_t)link | bit);
        uint64_t reused = stack ? link_add((uint64_t)(uintptr_t)new_link | bit, stack) : 0;
        note_link(HT_GC_LINK_MOVE);
        if (reused)
            note_at(HT_GC_LINK_DEAD_DROPPED, reused);
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
