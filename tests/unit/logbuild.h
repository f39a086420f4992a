/* SPDX-License-Identifier: MIT */
/*
 * logbuild.h - test-only writer of .htrace logs, per common/format.h: build
 * a stream record by record, then compress it into one or more zstd frames.
 * It keeps the same implicit state as the recorder (time, running address)
 * so tests pass absolute times and addresses (mapped to block ids as the
 * recorder's live table does). Not for production: aborts on
 * out of memory.
 */
#ifndef HT_LOGBUILD_H
#define HT_LOGBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct logbuild {
    uint8_t *buf; /* the decompressed stream */
    size_t len, cap;
    uint64_t time_us;
    uint64_t blocks; /* blocks created so far; the log names blocks by age */
    struct { uint64_t addr, id; } *live; /* open addressing by addr; id 0: a free slot */
    size_t nlive, live_cap;
    uint64_t snap_edges, snap_roots; /* entries written since the last lb_snapshot_begin */
    uint64_t version; /* lb_init's: from 5 on, lb_compress adds the check frames */
};

/* Starts a stream: magic and `version` (HT_FORMAT_VERSION normally). */
void lb_init(struct logbuild *b, uint64_t version);
void lb_release(struct logbuild *b);

/*
 * Appends one record. fmt: 'u' uint64_t uvarint, 's' int64_t svarint,
 * 'S' const char * string, 'B' (const void *, size_t) raw string. Event
 * records must start with their dt themselves (or use the helpers below).
 */
void lb_rec(struct logbuild *b, uint8_t tag, const char *fmt, ...);
/* Appends raw bytes (for malformed records). */
void lb_raw(struct logbuild *b, const void *p, size_t n);

void lb_header(struct logbuild *b, uint64_t pid, uint64_t ppid, const char *exe,
               const char *log_path, const char *parent_log);
/* One module with one r-x segment [0, size). */
void lb_module(struct logbuild *b, const char *path, uint64_t base, uint64_t size);
void lb_stack(struct logbuild *b, uint32_t depth, const uint64_t *ips);
void lb_switch(struct logbuild *b, uint32_t thread);
/* A handle as the recorder writes it: by block when `handle` is live, else by address. */
uint64_t lb_handle(struct logbuild *b, uint64_t handle);
void lb_alloc(struct logbuild *b, uint64_t t, int fn, uint64_t addr, uint64_t size,
              uint64_t stack);
void lb_free(struct logbuild *b, uint64_t t, uint64_t addr);
void lb_realloc(struct logbuild *b, uint64_t t, uint64_t old, uint64_t new_addr, uint64_t size,
                uint64_t stack);
/* Event record with absolute time t: fmt describes the fields after dt. */
void lb_event(struct logbuild *b, uint8_t tag, uint64_t t, const char *fmt, ...);
void lb_end(struct logbuild *b, uint64_t t, uint64_t reason);

/*
 * Heap snapshots (format.h SNAPSHOT_*). lb_id gives the block id of a live
 * address (0 when not live); a snapshot target is LB_REF(id, interior).
 * lb_snapshot_begin counts the live blocks itself; lb_snapshot_edges writes
 * one record with one entry (from, n targets); lb_snapshot_root one record
 * with one root; lb_snapshot_end the counts written since begin.
 * lb_snapshot_edges_at writes the version 2 form with each pointer's byte
 * offset in `from` (ascending multiples of 8); lb_snapshot_edges_delta the
 * version 3 form, one record of `nfrom` entries: block froms[i] with
 * counts[i] targets, taken in turn from refs and offsets;
 * lb_snapshot_end_scan adds SNAPSHOT_END's scan_ns.
 */
#define LB_REF(id, interior) (((uint64_t)(id) << 1) | ((interior) ? 1u : 0u))
uint64_t lb_id(const struct logbuild *b, uint64_t addr);
void lb_snapshot_begin(struct logbuild *b, uint64_t t, uint64_t seq, uint64_t reason);
void lb_snapshot_edges(struct logbuild *b, uint64_t from, size_t n, const uint64_t *refs);
void lb_snapshot_edges_at(struct logbuild *b, uint64_t from, size_t n, const uint64_t *refs,
                          const uint64_t *offsets);
void lb_snapshot_edges_delta(struct logbuild *b, size_t nfrom, const uint64_t *froms,
                             const size_t *counts, const uint64_t *refs, const uint64_t *offsets);
void lb_snapshot_root(struct logbuild *b, uint64_t kind, uint64_t where, uint64_t offset,
                      uint64_t ref);
void lb_snapshot_end(struct logbuild *b, uint64_t t, uint64_t pause_ns);
void lb_snapshot_end_scan(struct logbuild *b, uint64_t t, uint64_t pause_ns, uint64_t scan_ns);

/*
 * A log whose exit snapshot has one block of every leak class (stacks 1-6,
 * sizes in bytes; "->" a start pointer, "~>" an interior pointer):
 *   root -> R1(10, s1) -> R2(20, s1) ~> R3(80, s5)     still reachable: R1 R2
 *   root ~> P(50, s3) -> Q(60, s3)                      possibly lost: P Q R3
 *   C1(30, s2) -> C2(40, s2) -> C1 (a lost cycle)       definitely: C1 L X
 *   L(70, s4) -> R1, L ~> R2 (lost, pointing in)        indirectly: C2 Y
 *   Y(100, s6) is older than X(90, s4) -> Y
 * An earlier snapshot (seq 1, nothing referenced) must be superseded, and a
 * block freed before the snapshot is not in it.
 */
void lb_leak_sample(struct logbuild *b);

/*
 * GC records (format.h 0x70-0x76): a GC_generic_malloc_many batch of 64, three
 * GC objects with finalizers each owning an iconv_t of 1000 bytes (stack 2;
 * finalizers registered at stack 1), 5 links registered and 1 unregistered,
 * one collection (GC heap 2000, 3 links cleared), two finalizers closing two
 * handles and freeing their blocks, one GC_free.
 */
void lb_gc_sample(struct logbuild *b);

/*
 * Compresses the stream into `frames` zstd frames of about equal size.
 * @return a malloc'd buffer; its size in *out_len.
 */
uint8_t *lb_compress(const struct logbuild *b, int frames, size_t *out_len);
/* The same with zstd's streaming calls, as the recorder compresses: each
 * frame in two parts, so its header has a window descriptor (no size). */
uint8_t *lb_compress_streamed(const struct logbuild *b, int frames, size_t *out_len);
/* Writes the compressed log to path. @return 0 or -1. */
int lb_write(const struct logbuild *b, const char *path, int frames);
int lb_write_bytes(const char *path, const void *p, size_t n);


/*
 * A log with every record kind at least once and `iterations` rounds of
 * alloc/realloc/free on two threads (bigger logs for truncation tests).
 * Ends with END unless `with_end` is 0.
 */
void lb_sample(struct logbuild *b, unsigned iterations, int with_end);

#endif /* HT_LOGBUILD_H */
