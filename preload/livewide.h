/* SPDX-License-Identifier: MIT */
/*
 * livewide.h - the live blocks live.c's compact entries cannot hold
 * (livewide.c): 64 KiB or more, an address not 16-aligned or above 2^48,
 * an id older than the compact entry counts back. Few, and each at least
 * 64 KiB of heap or rare, so 32 bytes each (at 3/8 to 3/4 load) is fine.
 */
#ifndef HT_LIVEWIDE_H
#define HT_LIVEWIDE_H

#include "live.h"

/* *replaced: the address was there (its block now overwritten). */
bool ht_wide_put(const struct ht_live_block *b, bool *replaced);
bool ht_wide_take(uint64_t addr, struct ht_live_block *out); /* out may be NULL */
struct ht_live_block *ht_wide_find(uint64_t addr);
size_t ht_wide_count(void);
void ht_wide_clear(void);
/* The slots in place, for reading them all; addr 0 is an empty one. */
struct ht_live_block *ht_wide_slots(size_t *cap);
size_t ht_wide_bytes(void);

#endif /* HT_LIVEWIDE_H */
