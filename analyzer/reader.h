/* SPDX-License-Identifier: MIT */
/*
 * reader.h - streaming, bounds-checked reader of .htrace logs.
 *
 * One pass, constant memory apart from the current record: the file is
 * decompressed frame by frame with zstd's streaming API and cut into records.
 * Every length, count and index is checked against what remains before use;
 * bad input is reported with its byte offset, never trusted.
 *
 *     struct ht_reader *r;
 *     struct ht_event ev;
 *     if (ht_reader_open(&r, "run.htrace") != 0) { ...ht_reader_error(r)...; }
 *     int rc;
 *     while ((rc = ht_reader_next(r, &ev)) == 1)
 *         handle(&ev);
 *     // rc == 0: clean end or truncated (ht_reader_truncated); rc < 0: corrupt
 *     ht_reader_close(r);
 *
 * Not thread-safe; one reader per thread.
 */
#ifndef HT_READER_H
#define HT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct ht_reader;

/* Set in ht_event.handle when the handle is an address, not a block id. */
#define HT_HANDLE_ADDRESS (1ull << 63)

/* One pointer from a live block to a live block (SNAPSHOT_EDGES target). */
struct ht_snap_edge {
    uint64_t from, to; /* block ids */
    uint64_t offset;   /* byte offset in `from` of the pointer word (0 when the log does not say) */
    bool interior;     /* points strictly inside `to`, not at its start */
};

/* One root pointer into the heap (SNAPSHOT_ROOTS entry). */
struct ht_snap_root {
    uint64_t kind;   /* enum ht_root_kind */
    uint64_t where;  /* GLOBAL: module index; STACK: thread index; USER: 0 */
    uint64_t offset; /* GLOBAL: address - module base; STACK: below the top; USER: address */
    uint64_t to;     /* block id */
    bool interior;
};

/* One frame of a parked thread (SNAPSHOT_FRAMES entry), innermost first. */
struct ht_snap_frame {
    uint64_t below; /* where the frame starts, in bytes under the stack's top */
    uint64_t ip;    /* its pc (frame 0) or return address */
};

/* One decoded record. Pointers inside stay valid until the next call. */
struct ht_event {
    uint8_t tag;        /* enum ht_record_tag; ALLOC records keep base + fn */
    uint8_t fn;         /* enum ht_alloc_fn, for ALLOC records */
    uint32_t thread;    /* thread index (from SWITCH) */
    uint64_t time_us;   /* absolute: microseconds since HEADER start */
    uint64_t record_no; /* 0-based index of the record in the stream */
    uint64_t offset;    /* byte offset of the record in the decompressed stream */

    /* Heap records name blocks, not addresses (the log carries none): for
     * ALLOC, FREE and REALLOC, addr and old_addr hold block ids (1, 2, 3... in
     * creation order; 0 = none). ALLOC: addr (the new block), size, stack.
     * FREE: addr. REALLOC: old_addr (0 for realloc(NULL)), addr (0 when the
     * call freed old and returned NULL), size, stack. MMAP: addr, size, prot, flags, stack. MUNMAP: addr,
     * size. MREMAP: old_addr, old_size, addr, size, stack. */
    uint64_t addr, old_addr, size, old_size, stack;
    uint64_t prot, flags;

    /* OWNER_*: kind, handle (an identity: the id of the heap block behind the
     * handle, or HT_HANDLE_ADDRESS | the handle's address when it is not a
     * heap block; 0 when the constructor failed). TICK: only time_us moves. THREAD_*: tid, stack_lo, stack_hi. FORK: child
     * pid in `value`. RSS: bytes in `value`. LOST: count in `value`. END:
     * reason in `value`. SWITCH: new thread in `thread`. STACK: id in `stack`.
     * ATTACH: heap bytes in use before the attach in `value`, whose count
     * (enum ht_attach_allocator) in `kind`. */
    uint64_t kind, handle, tid, stack_lo, stack_hi, value;

    /* MARK label, THREAD name, EXEC path (not NUL-terminated; use str_len). */
    const char *str;
    size_t str_len;

    /* Addition: THREAD_START / THREAD_NAME / THREAD_EXIT carry the thread
     * they describe in `value` (ev.thread stays the SWITCH thread). */

    /* STACK: frames, innermost first. */
    const uint64_t *ips;
    uint32_t depth;

    /* Addition, heap snapshots (format.h). SNAPSHOT_BEGIN: seq in `value`,
     * reason (enum ht_snapshot_reason) in `kind`, scanned blocks in `size`.
     * SNAPSHOT_EDGES / SNAPSHOT_ROOTS (no dt: at the current time): every
     * entry of the record in edges/nedges or roots/nroots, block ids checked
     * (1 .. blocks created so far). A SNAPSHOT_EDGES_AT or _DELTA record is
     * returned as a SNAPSHOT_EDGES (tag 0x61) whose edges carry their offset
     * (and, for DELTA, ids already added up); in a
     * plain SNAPSHOT_EDGES (version 1 logs) every offset is 0, unknown.
     * SNAPSHOT_END: pause_ns in `value`, the snapshot's edge count in
     * `size`, its root count in `old_size`, scan_ns in `flags` (0 when the
     * log does not say: version 1), scan_cpu_ns in `prot` (0 before
     * version 3), index_cpu_ns in `old_addr` (0 when absent). These fields are meaningful for the
     * snapshot records only (the fast path of the heap records does not
     * clear them). */
    /* Addition, GC records (format.h 0x70-0x76). GC_ALLOC: fn in `kind`,
     * objects in `value`, bytes in `size`, stack. GC_FREE: bytes in `size`.
     * GC_COLLECTION: gc_no in `value`, heap_bytes in `size`, free_bytes in
     * `old_size`, unmapped_bytes in `addr`, duration_ns in `old_addr`,
     * rss_bytes in `handle`. GC_LINK: op in `kind`, count in `value`, stack.
     * GC_FINALIZER: op in `kind`, stack. GC_FINALIZE_BEGIN: bytes in `size`,
     * the finalizer's registration stack in `stack`. */
    const struct ht_snap_edge *edges;
    size_t nedges;
    const struct ht_snap_root *roots;
    size_t nroots;
    /* SNAPSHOT_FRAMES: the thread (in `value`) and its frames. */
    const struct ht_snap_frame *frames;
    size_t nframes;
};

/*
 * Named reads of the fields SNAPSHOT_END and GC_COLLECTION park in slots
 * named for other records (see above): use these, not ev->prot and friends,
 * so a reader of the analysis sees what it reads. 0 when the log omits it.
 */
static inline uint64_t ht_snap_end_pause_ns(const struct ht_event *ev) { return ev->value; }
static inline uint64_t ht_snap_end_scan_ns(const struct ht_event *ev) { return ev->flags; }
static inline uint64_t ht_snap_end_scan_cpu_ns(const struct ht_event *ev) { return ev->prot; }
static inline uint64_t ht_snap_end_index_cpu_ns(const struct ht_event *ev) { return ev->old_addr; }
static inline uint64_t ht_gc_collection_duration_ns(const struct ht_event *ev)
{
    return ev->old_addr;
}


struct ht_module_seg {
    uint64_t vaddr, memsz, flags;
};

struct ht_module {
    char *path;
    uint64_t base;
    uint8_t *build_id;
    size_t build_id_len;
    struct ht_module_seg *segs;
    uint32_t nseg;
};

/* The HEADER record, decoded by ht_reader_open. Strings are NUL-terminated. */
struct ht_header {
    uint32_t version;
    uint64_t pid, ppid, start_unix_ns, pointer_size, page_size, depth, flags;
    char *exe;
    char **argv;
    uint32_t argc;
    char *log_path;
    char *parent_log;
};

/*
 * Opens `path`, checks the magic and version and decodes the HEADER.
 * @return 0, or -1 with *out still set (when not NULL) so ht_reader_error()
 * says why: "cannot open 'x': ...", "not a heaptrace log", "log format
 * version 9 is newer than this analyzer's 3" ...
 */
int ht_reader_open(struct ht_reader **out, const char *path);

/*
 * Addition: like ht_reader_open, but reads the compressed log from memory
 * (fuzzing, tests). `data` must outlive the reader; `name` is used in
 * messages only.
 */
int ht_reader_open_mem(struct ht_reader **out, const void *data, size_t len, const char *name);

/*
 * Reads the next record into *ev.
 * @return 1 for a record, 0 at the end of the log (clean or truncated; see
 * ht_reader_truncated), -1 for corrupt input (ht_reader_error names the byte
 * offset and record number). MODULES records are consumed internally (see
 * ht_reader_modules) and also returned, with no fields set but tag and time.
 */
int ht_reader_next(struct ht_reader *r, struct ht_event *ev);

const struct ht_header *ht_reader_header(const struct ht_reader *r);

/* The module list in force after the last MODULES record read. */
const struct ht_module *ht_reader_modules(const struct ht_reader *r, size_t *count);

/* True when the log ended without an END record (process killed, disk full).
 * A log whose last record is EXEC is complete: its image was replaced. */
bool ht_reader_truncated(const struct ht_reader *r);

/* True when the log ended with EXEC (and no END): its image was replaced
 * by the program it exec'd, which writes a log of its own. */
bool ht_reader_exec_replaced(const struct ht_reader *r);

/* Decompressed bytes consumed so far (where a truncated log ends). */
uint64_t ht_reader_offset(const struct ht_reader *r);

/*
 * Addition: for a truncated log, where and how it ends ("log ends inside
 * record 12 at byte 345", "log ends inside a zstd frame", "no END record"),
 * else "".
 */
const char *ht_reader_truncation(const struct ht_reader *r);

/* Addition: number of STACK records read so far (the highest stack id). */
uint64_t ht_reader_stack_count(const struct ht_reader *r);

/* Addition: damage that did not stop the reading, or "" (e.g. a log cut
 * before the check of its last frame: docs/FORMAT.md "Frame checks"). */
const char *ht_reader_warning(const struct ht_reader *r);

/* The last error message, or "" (owned by the reader). */
const char *ht_reader_error(const struct ht_reader *r);

/* Frees the reader; NULL is a no-op. */
void ht_reader_close(struct ht_reader *r);

#endif /* HT_READER_H */
