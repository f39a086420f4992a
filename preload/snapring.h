/* SPDX-License-Identifier: MIT */
/*
 * snapring.h - the shared ring that carries a snapshot child's records to
 * the writer (snapring.c).
 */
#ifndef HT_SNAPRING_H
#define HT_SNAPRING_H

#include <stdbool.h>
#include <stddef.h>

struct ht_snap_ring;

/* The writer, before it clones the child: NULL when no memory. */
struct ht_snap_ring *ht_snap_ring_new(void);
/* The writer, once done with the snapshot (or giving up on it). */
void ht_snap_ring_free(struct ht_snap_ring *r);
/* A forked child of the program: unmaps its copy, leaving the snapshot be. */
void ht_snap_ring_forget(struct ht_snap_ring *r);

/* The child: appends n bytes, waiting while the ring is full; false when the
 * writer gave up or is gone (the bytes are dropped). */
bool ht_snap_ring_write(struct ht_snap_ring *r, const void *src, size_t n);
/* The writer: moves up to room bytes out; returns how many (0: none yet). */
size_t ht_snap_ring_read(struct ht_snap_ring *r, void *dst, size_t room);

#endif /* HT_SNAPRING_H */
