/* SPDX-License-Identifier: MIT */
/*
 * htab.c - see htab.h. Fibonacci hashing spreads aligned addresses (their low
 * 4 bits are always zero) over the whole table.
 */
#include "htab.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define HTAB_MIN_CAP 16

static size_t htab_home(const struct htab *t, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> t->shift);
}

static void htab_alloc(struct htab *t, size_t cap)
{
    t->keys = xcalloc(cap, sizeof(uint64_t));
    t->vals = xcalloc(cap, t->val_size);
    t->cap = cap;
    t->shift = 64;
    for (size_t c = cap; c > 1; c >>= 1)
        t->shift--;
}

void htab_init(struct htab *t, size_t val_size)
{
    memset(t, 0, sizeof(*t));
    t->val_size = val_size;
    htab_alloc(t, HTAB_MIN_CAP);
}

void htab_release(struct htab *t)
{
    free(t->keys);
    free(t->vals);
    memset(t, 0, sizeof(*t));
}

void *htab_get(const struct htab *t, uint64_t key)
{
    if (key == 0) /* the empty slot's key: never stored */
        return NULL;
    for (size_t i = htab_home(t, key);; i = (i + 1) & (t->cap - 1)) {
        if (t->keys[i] == key)
            return htab_slot_val(t, i);
        if (t->keys[i] == 0)
            return NULL;
    }
}

static void htab_grow(struct htab *t)
{
    struct htab old = *t;
    htab_alloc(t, old.cap * 2);
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.keys[i])
            continue;
        size_t j = htab_home(t, old.keys[i]);
        while (t->keys[j])
            j = (j + 1) & (t->cap - 1);
        t->keys[j] = old.keys[i];
        memcpy(htab_slot_val(t, j), htab_slot_val(&old, i), t->val_size);
    }
    free(old.keys);
    free(old.vals);
}

void *htab_put(struct htab *t, uint64_t key, bool *existed)
{
    if ((t->count + 1) * 4 > t->cap * 3)
        htab_grow(t);
    size_t i = htab_home(t, key);
    for (; t->keys[i]; i = (i + 1) & (t->cap - 1)) {
        if (t->keys[i] == key) {
            if (existed)
                *existed = true;
            return htab_slot_val(t, i);
        }
    }
    t->keys[i] = key;
    t->count++;
    memset(htab_slot_val(t, i), 0, t->val_size);
    if (existed)
        *existed = false;
    return htab_slot_val(t, i);
}

bool htab_remove(struct htab *t, uint64_t key, void *out)
{
    if (key == 0)
        return false;
    size_t mask = t->cap - 1, i = htab_home(t, key);
    while (t->keys[i] != key) {
        if (!t->keys[i])
            return false;
        i = (i + 1) & mask;
    }
    if (out)
        memcpy(out, htab_slot_val(t, i), t->val_size);
    /* Backward shift: move later entries of the cluster into the hole when
     * their home is not between the hole and their slot. */
    for (size_t j = (i + 1) & mask; t->keys[j]; j = (j + 1) & mask) {
        size_t home = htab_home(t, t->keys[j]);
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            t->keys[i] = t->keys[j];
            memcpy(htab_slot_val(t, i), htab_slot_val(t, j), t->val_size);
            i = j;
        }
    }
    t->keys[i] = 0;
    t->count--;
    return true;
}
