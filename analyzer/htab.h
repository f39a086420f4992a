/* SPDX-License-Identifier: MIT */
/*
 * htab.h - open-addressing hash table from a non-zero uint64_t key to a
 * fixed-size value, for the replay's live-block map (10M+ entries) and its
 * smaller maps (threads, handles, mmap regions).
 *
 * Linear probing with backward-shift deletion, so there are no tombstones
 * and lookups stay short under churn. Key 0 marks an empty slot: callers
 * whose keys may be 0 store key + 1. Load stays below 3/4; the table only
 * grows. Value pointers are valid until the next put or remove.
 */
#ifndef HT_HTAB_H
#define HT_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct htab {
    uint64_t *keys;
    unsigned char *vals;
    size_t val_size, cap, count;
    unsigned shift;
};

void htab_init(struct htab *t, size_t val_size);
void htab_release(struct htab *t);

/* The value stored for key, or NULL (always NULL for key 0). */
void *htab_get(const struct htab *t, uint64_t key);

/* The value for key, inserted zero-filled when absent (*existed says which).
 * key must not be 0: a caller whose key comes from a log checks it first. */
void *htab_put(struct htab *t, uint64_t key, bool *existed);

/* Removes key, copying its value to out (when not NULL). @return whether it was there. */
bool htab_remove(struct htab *t, uint64_t key, void *out);

/* Iteration: slots 0..cap-1 whose key is non-zero. */
static inline void *htab_slot_val(const struct htab *t, size_t i)
{
    return t->vals + i * t->val_size;
}

#endif /* HT_HTAB_H */
