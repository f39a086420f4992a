/* SPDX-License-Identifier: MIT */
/*
 * live.h - the writer's table of live heap blocks (live.c): address -> the
 * block's id in the log, its size and the id of the stack that made it.
 * Writer only: callers hold the writer lock (a snapshot child reads its
 * copy). The API is the whole contract: what the table stores and how
 * (docs/COSTS.md, "live blocks") may change behind it.
 */
#ifndef HT_LIVE_H
#define HT_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ht_live_block {
    uint64_t addr, size, id;
    uint32_t stack; /* the stack id in this log (writer.c's stack_id) */
};

/* An address seen live again replaces the older block. false: out of memory. */
bool ht_live_put(uint64_t addr, uint64_t id, uint64_t size, uint32_t stack);
uint64_t ht_live_take(uint64_t addr); /* the block's id, or 0 if unknown */
uint64_t ht_live_get(uint64_t addr);  /* the same, leaving the block live */
void ht_live_clear(void);
size_t ht_live_count(void);
uint64_t ht_live_newest_id(void); /* the highest id put since the table was cleared */

/* Reading every block, in no particular order, `room` at a time: start
 * from a zeroed cursor; 0 at the end. With `release` (a snapshot child,
 * which reads its copy of the table once), the memory of what was read is
 * given back as it goes: the table is unusable afterwards. */
struct ht_live_cursor {
    size_t part, slot;
    bool release;
};
size_t ht_live_read(struct ht_live_cursor *c, struct ht_live_block *out, size_t room);

/* A fork child's table: the blocks get ids first_id, first_id + 1, ... in
 * the order fn sees them (with the new id), and fn sets the stack id. fn
 * may not use the table. */
typedef void ht_live_renumber_fn(void *arg, struct ht_live_block *b);
void ht_live_renumber(uint64_t first_id, ht_live_renumber_fn *fn, void *arg);

/* The bytes of memory the table holds now (tests, docs/COSTS.md). */
size_t ht_live_bytes(void);

#endif /* HT_LIVE_H */
